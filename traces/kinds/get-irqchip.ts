/**
 * `get_irqchip`: KVM_GET_IRQCHIP (kvm_arch_vm_ioctl ->
 * kvm_vm_ioctl_get_irqchip, arch/x86/kvm/x86.c): one chip's state as the
 * `chip` union of struct kvm_irqchip holds it (kvm_pic_state, 16 bytes;
 * kvm_ioapic_state, 216). The trace keeps the bytes the chip's struct
 * fills (the union's tail is the caller's, untouched by the kernel).
 */
import type { EventKindDecl } from '../kinds.js';
import { chipName, failedText, IRQCHIP_UNION_BYTES, payloadJson, payloadLimit, payloadText } from './x86-payload.js';

export const GET_IRQCHIP: EventKindDecl = {
  name: 'get_irqchip',
  since: [1, 3],
  needed: true,
  description: "KVM_GET_IRQCHIP: a PIC's or the IOAPIC's state",
  fields: [
    { name: 'chip', type: 'u32' },
    { name: 'errno', type: 'errno' },
    { name: 'data', type: 'bytes' },
  ],
  results: ['errno', 'data'],
  limits: (ev) => payloadLimit('get_irqchip', ev['data'], IRQCHIP_UNION_BYTES),
  scenario: {
    op: 'get_irqchip',
    fields: ['chip', 'expect', 'expect_data', 'save_as'],
    parse: (p) => ({ chip: p.uint('chip', 0xffffffff) }),
    request: (f) => ({ chip: f['chip'], errno: 0, data: new Uint8Array(0) }),
    readData: (ev) => ev['data'] as Uint8Array,
  },
  execute(vm, ev) {
    const r = vm.getIrqchip(ev['chip'] as number);
    return { errno: r.errno, data: r.data };
  },
  describe(ev, names) {
    const chip = ev['chip'] as number;
    return `get_irqchip ${chipName(chip)}${ev['errno'] ? failedText(ev) : ` -> ${payloadText(ev, names, 'irqchip', chip, ev['data'] as Uint8Array)}`}`;
  },
  jsonNames: (ev, names) => ({ chip_name: chipName(ev['chip'] as number), ...payloadJson(ev, names, 'irqchip', ev['chip'] as number, ev['data'] as Uint8Array) }),
};
