/**
 * The FLIC's interrupt numbering for breakpoints, the explain prompt and
 * names: one number per floating queue (I/O ISC 0-7, pfault done, virtio,
 * the service signal, the floating machine check). No trace event injects
 * through it but set_attr (ENQUEUE, AIRQ_INJECT), which the interrupts
 * facet does not read, so `effects` names none.
 */
import type { InterruptFacet, InterruptRange } from '../core/device.js';
import type { FlicState } from './state.js';

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

export const flicInterrupts: InterruptFacet<FlicState> = {
  ranges: RANGES,
  name: flicIrqName,
  effects: () => [],
};
