/**
 * Every device model devrr has, by KVM_DEV_TYPE value. A new family adds one
 * line here and nothing in recorder/, replay/ or tui/.
 */
import { ARCH_RULES } from './arch/index.js';
import type { DeviceModel } from './core/device.js';
import type { DeviceRegistry } from './core/vm.js';
import { Vm } from './core/vm.js';
import type { Arch } from './core/uapi.js';
import { vgicV2 } from './arm-vgic/v2/device.js';
import { vgicV3 } from './arm-vgic/v3/device.js';
import { vgicIts } from './arm-vgic/its/device.js';
import { kvmVfio } from './vfio/kvm-vfio.js';
import { xics } from './ppc-xics/device.js';
import { flic } from './s390-flic/device.js';
import { fslMpic20, fslMpic42 } from './fsl-mpic/device.js';
import { x86Irqchip } from './x86-irqchip/device.js';

export const DEVICE_MODELS: DeviceRegistry = new Map<number, DeviceModel<any>>([
  [vgicV2.type, vgicV2],
  [vgicV3.type, vgicV3],
  [vgicIts.type, vgicIts],
  [kvmVfio.type, kvmVfio],
  [xics.type, xics],
  [flic.type, flic],
  [fslMpic20.type, fslMpic20],
  [fslMpic42.type, fslMpic42],
  [x86Irqchip.type, x86Irqchip],
]);

/** The default IPA size per architecture when a scenario names none. */
export const DEFAULT_IPA_BITS: Record<Arch, number> = Object.fromEntries(Object.values(ARCH_RULES).map((r) => [r.arch, r.defaultIpaBits])) as Record<Arch, number>;

/** A Vm with every registered device model. */
export function createVm(arch: Arch, ipaBits = DEFAULT_IPA_BITS[arch]): Vm {
  return new Vm(DEVICE_MODELS, arch, ipaBits);
}

/** "name version" of each model, recorded in trace headers. */
export function modelVersions(): Record<string, number> {
  return Object.fromEntries([...DEVICE_MODELS.values()].map((m) => [m.inodeName, m.modelVersion]));
}
