/**
 * The FLIC's interrupt numbering for breakpoints, the explain prompt and
 * names: one number per floating queue (I/O ISC 0-7, pfault done, virtio,
 * the service signal, the floating machine check), and which events raise
 * them: a successful ENQUEUE raises the queue of each record it carried, a
 * successful AIRQ_INJECT the adapter's ISC unless AIS suppressed it
 * (kvm_s390_inject_airq). Delivery to the guest is not modelled (no event
 * acknowledges a floating interrupt).
 */
import type { InterruptEffect, InterruptFacet, InterruptRange } from '../core/device.js';
import type { VmState } from '../core/vm-state.js';
import { s390Facility } from '../arch/s390x/state.js';
import type { FlicState } from './state.js';
import { aisModeMask, FLIC_GRP, intWordToIsc, IRQ_SIZE, iscToIntWord, KVM_S390_INT_IO_MAX, S390_INT } from './uapi.js';

/** The queue numbers: 0-7 I/O ISC n, then these. */
export const FLIC_IRQ = { PFAULT_DONE: 8, VIRTIO: 9, SERVICE: 10, MCHK: 11 } as const;

const RANGES: readonly InterruptRange[] = [
  { name: 'I/O ISC', first: 0, last: 7 },
  { name: 'pfault done', first: FLIC_IRQ.PFAULT_DONE, last: FLIC_IRQ.PFAULT_DONE },
  { name: 'virtio', first: FLIC_IRQ.VIRTIO, last: FLIC_IRQ.VIRTIO },
  { name: 'service signal', first: FLIC_IRQ.SERVICE, last: FLIC_IRQ.SERVICE },
  { name: 'machine check', first: FLIC_IRQ.MCHK, last: FLIC_IRQ.MCHK },
];

export function flicIrqName(irq: number): string {
  if (irq >= 0 && irq <= 7) return `I/O ISC ${irq}`;
  return RANGES.find((r) => r.first === irq)?.name ?? `queue ${irq}`;
}

/** The queue a floating record goes to, or undefined for a type that is not floating. */
function queueOf(rec: Uint8Array): number | undefined {
  const d = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const type = d.getBigUint64(0, false);
  if (type <= BigInt(KVM_S390_INT_IO_MAX)) return intWordToIsc(d.getUint32(16, false));
  const byType: Record<string, number> = {
    [S390_INT.KVM_S390_INT_PFAULT_DONE]: FLIC_IRQ.PFAULT_DONE,
    [S390_INT.KVM_S390_INT_VIRTIO]: FLIC_IRQ.VIRTIO,
    [S390_INT.KVM_S390_INT_SERVICE]: FLIC_IRQ.SERVICE,
    [S390_INT.KVM_S390_MCHK]: FLIC_IRQ.MCHK,
  };
  return byType[type.toString()];
}

function effects(vm: VmState, s: FlicState, ev: Parameters<InterruptFacet<FlicState>['effects']>[2]): InterruptEffect[] {
  if (ev.kind !== 'set_attr' || ev.errno) return [];
  const raised = new Set<number>();
  if (ev.group === FLIC_GRP.KVM_DEV_FLIC_ENQUEUE && ev.data) {
    const n = Math.min(Math.floor(ev.data.length / IRQ_SIZE), Number(BigInt.asUintN(32, ev.attr)) / IRQ_SIZE);
    for (let i = 0; i < n; i++) {
      const q = queueOf(ev.data.subarray(i * IRQ_SIZE, (i + 1) * IRQ_SIZE));
      if (q !== undefined) raised.add(q);
    }
  } else if (ev.group === FLIC_GRP.KVM_DEV_FLIC_AIRQ_INJECT) {
    const a = s.adapters.find((x) => BigInt(x.id) === BigInt.asUintN(32, ev.attr));
    const suppressed = a !== undefined && a.suppressible && s390Facility(vm, 72) && (s.nimm & aisModeMask(a.isc)) !== 0;
    if (a && !suppressed) raised.add(intWordToIsc(iscToIntWord(a.isc)));
  }
  return [...raised].sort((x, y) => x - y).map((irq) => ({ action: 'raise', irq }));
}

export const flicInterrupts: InterruptFacet<FlicState> = {
  ranges: RANGES,
  name: flicIrqName,
  effects,
};
