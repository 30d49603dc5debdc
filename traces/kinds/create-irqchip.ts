/**
 * `create_irqchip`: KVM_CREATE_IRQCHIP on the VM fd (kvm_arch_vm_ioctl,
 * arch/x86/kvm/x86.c: kvm_pic_init, kvm_ioapic_init,
 * kvm_setup_default_irq_routing; arm64 makes a GICv2). EEXIST for a second
 * one, EINVAL once a vcpu exists (x86), the arch's default elsewhere.
 */
import type { EventKindDecl } from '../kinds.js';
import { failedText } from './x86-payload.js';

export const CREATE_IRQCHIP: EventKindDecl = {
  name: 'create_irqchip',
  since: [1, 3],
  needed: true,
  description: 'KVM_CREATE_IRQCHIP',
  fields: [{ name: 'errno', type: 'errno' }],
  results: ['errno'],
  scenario: { op: 'create_irqchip', fields: ['expect'], parse: () => ({}), request: () => ({ errno: 0 }) },
  execute: (vm) => ({ errno: vm.createIrqchip() }),
  describe: (ev) => `create_irqchip${failedText(ev)}`,
};
