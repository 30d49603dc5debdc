/**
 * `get_lapic`: KVM_GET_LAPIC on a vcpu fd (kvm_arch_vcpu_ioctl ->
 * kvm_vcpu_ioctl_get_lapic -> kvm_apic_get_state, arch/x86/kvm/x86.c and
 * lapic.c): the vcpu's 1024-byte local APIC register page (struct
 * kvm_lapic_state). EINVAL without an in-kernel local APIC.
 */
import type { EventKindDecl } from '../kinds.js';
import { failedText, LAPIC_STATE_BYTES, payloadJson, payloadLimit, payloadText } from './x86-payload.js';

export const GET_LAPIC: EventKindDecl = {
  name: 'get_lapic',
  since: [1, 3],
  needed: true,
  description: "KVM_GET_LAPIC: a vcpu's local APIC register page",
  fields: [
    { name: 'vcpu', type: 'u32' },
    { name: 'errno', type: 'errno' },
    { name: 'data', type: 'bytes' },
  ],
  results: ['errno', 'data'],
  limits: (ev) => payloadLimit('get_lapic', ev['data'], LAPIC_STATE_BYTES),
  scenario: {
    op: 'get_lapic',
    fields: ['vcpu', 'expect', 'expect_data', 'save_as'],
    parse: (p) => ({ vcpu: p.uint('vcpu', 0xffffffff) }),
    request: (f) => ({ vcpu: f['vcpu'], errno: 0, data: new Uint8Array(0) }),
    readData: (ev) => ev['data'] as Uint8Array,
  },
  execute(vm, ev) {
    const r = vm.getLapic(ev['vcpu'] as number);
    return { errno: r.errno, data: r.data };
  },
  describe(ev, names) {
    const vcpu = ev['vcpu'] as number;
    return `get_lapic vcpu ${vcpu}${ev['errno'] ? failedText(ev) : ` -> ${payloadText(ev, names, 'lapic', vcpu, ev['data'] as Uint8Array)}`}`;
  },
  jsonNames: (ev, names) => payloadJson(ev, names, 'lapic', ev['vcpu'] as number, ev['data'] as Uint8Array),
};
