/**
 * The replay hot path shared by the engine, the timeline and bisect: guest
 * MMIO straight to the device with the value from the trace's value column,
 * no event object built.
 */
import type { Session } from '../recorder/execute.js';
import type { MmioEvent } from '../traces/events.js';

export const FAST_SKIP = -1;
export const FAST_OK = -2;

/**
 * The MMIO fast path: a 1/2/4-byte access by a vcpu that has already run,
 * on a live VM, recorded without error and claimed by a device. Returns
 * FAST_SKIP when the event is not eligible (nothing was executed: the
 * general path runs it), FAST_OK when it ran and matched, or, when it ran and
 * a read returned something else, the value it returned.
 */
export function fastMmio(session: Session, shape: MmioEvent, lo: number): number {
  if (shape.len === 8 || shape.errno !== 0 || shape.exit) return FAST_SKIP;
  const vm = session.vms[shape.vm];
  if (!vm || vm.state.dead) return FAST_SKIP;
  const idx = vm.vcpuIndexById(shape.vcpu);
  if (idx < 0 || !vm.state.vcpus[idx]!.ran) return FAST_SKIP;
  const v = vm.mmioFast(idx, shape.write, shape.addr, shape.len, lo);
  if (v < 0) return FAST_SKIP; // no device claims it: nothing ran
  return shape.write || v === lo ? FAST_OK : v;
}

