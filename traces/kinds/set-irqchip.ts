/**
 * `set_irqchip`: KVM_SET_IRQCHIP (kvm_arch_vm_ioctl ->
 * kvm_vm_ioctl_set_irqchip, arch/x86/kvm/x86.c): one chip takes the state
 * in the `chip` union of struct kvm_irqchip. The trace keeps the bytes the
 * step gave; the rest of the 512-byte union is zeros, as the models and the
 * live backend pad it.
 */
import type { EventKindDecl, StepData } from '../kinds.js';
import { chipName, failedText, IRQCHIP_UNION_BYTES, payloadJson, payloadLimit, payloadText } from './x86-payload.js';

export const SET_IRQCHIP: EventKindDecl = {
  name: 'set_irqchip',
  since: [1, 3],
  needed: true,
  description: "KVM_SET_IRQCHIP: a PIC's or the IOAPIC's state restored",
  fields: [
    { name: 'chip', type: 'u32' },
    { name: 'data', type: 'bytes' },
    { name: 'errno', type: 'errno' },
  ],
  results: ['errno'],
  limits: (ev) => payloadLimit('set_irqchip', ev['data'], IRQCHIP_UNION_BYTES),
  scenario: {
    op: 'set_irqchip',
    fields: ['chip', 'data', 'expect'],
    parse: (p) => ({ chip: p.uint('chip', 0xffffffff), data: p.data('data', IRQCHIP_UNION_BYTES) }),
    request: (f, _val, ctx) => ({ chip: f['chip'], data: ctx.data(f['data'] as StepData).slice(0, IRQCHIP_UNION_BYTES), errno: 0 }),
  },
  execute: (vm, ev) => ({ errno: vm.setIrqchip(ev['chip'] as number, ev['data'] as Uint8Array) }),
  describe(ev, names) {
    const chip = ev['chip'] as number;
    return `set_irqchip ${chipName(chip)} <- ${payloadText(ev, names, 'irqchip', chip, ev['data'] as Uint8Array)}${failedText(ev)}`;
  },
  jsonNames: (ev, names) => ({ chip_name: chipName(ev['chip'] as number), ...payloadJson(ev, names, 'irqchip', ev['chip'] as number, ev['data'] as Uint8Array) }),
};
