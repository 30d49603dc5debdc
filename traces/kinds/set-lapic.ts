/**
 * `set_lapic`: KVM_SET_LAPIC on a vcpu fd (kvm_arch_vcpu_ioctl ->
 * kvm_vcpu_ioctl_set_lapic -> kvm_apic_set_state, arch/x86/kvm/x86.c and
 * lapic.c): the vcpu's local APIC takes a 1024-byte register page. The
 * trace keeps the bytes the step gave; the page's rest is zeros.
 */
import type { EventKindDecl, StepData } from '../kinds.js';
import { failedText, LAPIC_STATE_BYTES, payloadJson, payloadLimit, payloadText } from './x86-payload.js';

export const SET_LAPIC: EventKindDecl = {
  name: 'set_lapic',
  since: [1, 3],
  needed: true,
  description: "KVM_SET_LAPIC: a vcpu's local APIC register page restored",
  fields: [
    { name: 'vcpu', type: 'u32' },
    { name: 'data', type: 'bytes' },
    { name: 'errno', type: 'errno' },
  ],
  results: ['errno'],
  limits: (ev) => payloadLimit('set_lapic', ev['data'], LAPIC_STATE_BYTES),
  scenario: {
    op: 'set_lapic',
    fields: ['vcpu', 'data', 'expect'],
    parse: (p) => ({ vcpu: p.uint('vcpu', 0xffffffff), data: p.data('data', LAPIC_STATE_BYTES) }),
    request: (f, _val, ctx) => ({ vcpu: f['vcpu'], data: ctx.data(f['data'] as StepData).slice(0, LAPIC_STATE_BYTES), errno: 0 }),
  },
  execute: (vm, ev) => ({ errno: vm.setLapic(ev['vcpu'] as number, ev['data'] as Uint8Array) }),
  describe(ev, names) {
    const vcpu = ev['vcpu'] as number;
    return `set_lapic vcpu ${vcpu} <- ${payloadText(ev, names, 'lapic', vcpu, ev['data'] as Uint8Array)}${failedText(ev)}`;
  },
  jsonNames: (ev, names) => payloadJson(ev, names, 'lapic', ev['vcpu'] as number, ev['data'] as Uint8Array),
};
