/**
 * `take_interrupt`: a vcpu accepts an interrupt inside KVM_RUN
 * (kvm_check_and_inject_events -> kvm_cpu_get_interrupt, arch/x86/kvm/x86.c
 * and irq.c: the PIC's ExtINT first, then the local APIC's highest
 * deliverable vector, acknowledged: IRR to ISR). Its result is the vector,
 * or -1 when the irqchip had none to give. Like any guest event, the vcpu's
 * first one is its first KVM_RUN.
 */
import { errnoName } from '../../devices/core/uapi.js';
import type { EventKindDecl } from '../kinds.js';

export const TAKE_INTERRUPT: EventKindDecl = {
  name: 'take_interrupt',
  since: [1, 3],
  needed: true,
  description: 'a vcpu accepts an interrupt inside KVM_RUN (kvm_cpu_get_interrupt)',
  fields: [
    { name: 'vcpu', type: 'u32' },
    { name: 'vector', type: 'i32m1' },
    { name: 'errno', type: 'errno' },
  ],
  results: ['errno', 'vector'],
  scenario: {
    op: 'take_interrupt',
    fields: ['vcpu', 'expect', 'expect_value'],
    parse: (p) => ({ vcpu: p.uint('vcpu', 0xffffffff) }),
    request: (f) => ({ vcpu: f['vcpu'], vector: -1, errno: 0 }),
    readValue: (ev) => BigInt.asUintN(64, BigInt(ev['vector'] as number)),
  },
  execute(vm, ev) {
    const r = vm.takeInterrupt(ev['vcpu'] as number);
    return { errno: r.errno, vector: r.vector };
  },
  describe(ev) {
    const v = ev['vector'] as number;
    const e = ev['errno'] as number;
    return `take_interrupt vcpu ${ev['vcpu'] as number} -> ${e ? errnoName(e) : v < 0 ? 'none (-1)' : `vector 0x${v.toString(16)}`}`;
  },
};
