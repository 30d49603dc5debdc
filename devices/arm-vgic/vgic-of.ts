/**
 * The VGIC state of a VM. In the kernel it is kvm->arch.vgic, one per VM,
 * whichever device fd created it; here it lives in the irqchip device's slot.
 */
import type { VmCtx } from '../core/device.js';
import type { VgicState } from './state.js';

export function vgicOf(vm: VmCtx): VgicState {
  return vm.state.devices[vm.state.irqchip]!.state as VgicState;
}
