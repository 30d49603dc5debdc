/**
 * `irq_line_status`: KVM_IRQ_LINE_STATUS (kvm_vm_ioctl ->
 * kvm_vm_ioctl_irq_line with line_status, arch/x86/kvm/irq.c), written in a
 * scenario as `irq_line` with `"status": true`. The kernel writes back
 * kvm_set_irq's status (virt/kvm/irqchip.c): the sum of the answers that
 * are not negative over the GSI's routes, where kvm_pic_set_irq and
 * kvm_ioapic_set_irq (i8259.c, ioapic.c) give 1 delivered, 0 coalesced (or
 * accepted by no local APIC) and -1 masked, not routed, or a level pin whose
 * remote_irr waits for an EOI (ioapic_service); -1 when every route said -1. So 2 for a GSI both
 * chips delivered. Where the arch's irqchip reports no
 * status, the field keeps the irq it shares a union with.
 */
import type { EventKindDecl } from '../kinds.js';
import { failedText } from './x86-payload.js';

/** The status as a u64, the way expect_value's number is compared (-1 is 0xffff_ffff_ffff_ffff). */
const asU64 = (v: bigint) => BigInt.asUintN(64, v);

export const IRQ_LINE_STATUS: EventKindDecl = {
  name: 'irq_line_status',
  since: [1, 3],
  needed: true,
  description: 'KVM_IRQ_LINE_STATUS: KVM_IRQ_LINE with the delivery status written back',
  fields: [
    { name: 'irq', type: 'u32' },
    { name: 'level', type: 'u32' },
    { name: 'status', type: 'big' },
    { name: 'errno', type: 'errno' },
  ],
  results: ['errno', 'status'],
  scenario: {
    op: 'irq_line',
    flagOf: { op: 'irq_line', flag: 'status' },
    fields: ['irq', 'level', 'status', 'expect', 'expect_value'],
    parse(p) {
      for (const f of ['spi', 'ppi', 'cpu', 'vcpu']) if (p.has(f)) p.fail(f, 'irq_line with "status": true takes irq, the KVM_IRQ_LINE word');
      return { irq: p.u32('irq'), level: p.u32('level') };
    },
    request: (f) => ({ irq: f['irq'], level: f['level'], status: 0n, errno: 0 }),
    readValue: (ev) => asU64(ev['status'] as bigint),
  },
  execute(vm, ev) {
    const r = vm.irqLineStatus(ev['irq'] as number, ev['level'] as number);
    return { errno: r.errno, status: BigInt(r.status) };
  },
  describe(ev) {
    const s = ev['status'] as bigint;
    // ioapic_service's -1 also covers a level pin whose remote_irr still waits for the EOI.
    const what = s > 0n ? 'delivered' : s === 0n ? 'coalesced' : 'not delivered: masked, no route, or remote_irr set';
    return `irq_line_status irq=${ev['irq'] as number} level=${ev['level'] as number}${ev['errno'] ? failedText(ev) : ` -> status ${s} (${what})`}`;
  },
};
