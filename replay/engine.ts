/**
 * The replay engine: re-executes a trace against fresh device models, checks
 * every recorded result and every checkpoint digest, and at the first
 * divergence reports the event, recorded vs replayed results, and the
 * named-field diff of device state around it.
 *
 * The hot loop works on decoded chunks directly: an MMIO access of a vcpu
 * that has run goes straight to Vm.mmioFast with the value column, with no
 * event object built; everything else goes through the same Session.execute
 * the recorder used.
 */
import { diffState, digestState, type FieldDiff } from '../devices/core/state.js';
import { sameResult, Session, type SessionState } from '../recorder/execute.js';
import type { MmioEvent, TraceEvent } from '../traces/events.js';

/** What the engine needs of a trace (TraceReader provides it). */
export interface TraceSource {
  readonly eventCount: number;
  readonly chunks: readonly { readonly first: number; readonly count: number }[];
  readChunk(k: number): ChunkView;
  readonly checkpoints: readonly { readonly event: number; readonly digest: string }[];
  readCheckpoint(k: number): { event: number; digest: string; state: unknown };
}

/** A decoded chunk: shapes, a shape index per event, and the MMIO value column. */
export interface ChunkView {
  readonly first: number;
  readonly count: number;
  readonly shapes: readonly TraceEvent[];
  readonly index: Uint8Array | Uint16Array;
  readonly values: Uint32Array;
  event(i: number): TraceEvent;
}

export interface Divergence {
  /** Index of the first event whose replay differs (for a digest, the checkpoint's event). */
  readonly event: number;
  readonly reason: 'result' | 'digest';
  /** The event as recorded (for a digest divergence: the event about to run, if any). */
  readonly recorded?: TraceEvent;
  /** The same event's results as replayed now. */
  readonly replayed?: TraceEvent;
  readonly recordedDigest?: string;
  readonly replayedDigest?: string;
  /**
   * result: what the event changed in the replayed state (before -> after);
   * digest: recorded checkpoint state -> replayed state.
   */
  readonly fields: readonly FieldDiff[];
}

export interface ReplayReport {
  readonly events: number;
  readonly checkpoints: number;
  readonly divergence: Divergence | null;
}

export interface ReplayOptions {
  /** Replay only events [0, to). */
  readonly to?: number;
}

/** Replays `src` from the start against fresh models. */
export function replay(src: TraceSource, opts: ReplayOptions = {}): ReplayReport {
  const to = Math.min(opts.to ?? src.eventCount, src.eventCount);
  const session = new Session();
  let cpNext = 0;
  let checked = 0;
  for (let k = 0; k < src.chunks.length; k++) {
    const meta = src.chunks[k]!;
    if (meta.first >= to) break;
    const chunk = src.readChunk(k);
    const end = Math.min(chunk.count, to - chunk.first);
    let vi = 0; // cursor into the value column
    for (let j = 0; j < end; j++) {
      const i = chunk.first + j;
      while (cpNext < src.checkpoints.length && src.checkpoints[cpNext]!.event <= i) {
        const cp = src.checkpoints[cpNext++]!;
        if (cp.event < i) continue;
        checked++;
        const replayedDigest = digestState(session.snapshot());
        if (replayedDigest !== cp.digest) return { events: i, checkpoints: checked, divergence: digestDivergence(src, cpNext - 1, session, chunk.event(j), replayedDigest) };
      }
      const shape = chunk.shapes[chunk.index[j]!]!;
      if (shape.kind === 'mmio') {
        const lo = chunk.values[vi]!;
        const words = shape.len === 8 ? 2 : 1;
        vi += words;
        const f = fastMmio(session, shape, lo);
        if (f === FAST_OK) continue;
        if (f !== FAST_SKIP) {
          const recorded = chunk.event(j);
          return { events: i, checkpoints: checked, divergence: resultDivergence(src, i, recorded, { ...recorded, value: BigInt(f) } as MmioEvent) };
        }
      } else if (shape.kind === 'irq_line' && session.vms[shape.vm]) {
        // KVM_IRQ_LINE needs no event object: call and compare the errno.
        const e = session.vms[shape.vm]!.irqLine(shape.irq, shape.level);
        if (e === shape.errno) continue;
        const recorded = chunk.event(j);
        return { events: i, checkpoints: checked, divergence: resultDivergence(src, i, recorded, { ...recorded, errno: e } as TraceEvent) };
      }
      const recorded = chunk.event(j);
      const replayed = session.execute(recorded);
      if (!sameResult(recorded, replayed)) return { events: i, checkpoints: checked, divergence: resultDivergence(src, i, recorded, replayed) };
    }
  }
  // A checkpoint at the very end (state after the last event).
  while (cpNext < src.checkpoints.length && src.checkpoints[cpNext]!.event <= to) {
    const cp = src.checkpoints[cpNext++]!;
    if (cp.event !== to) continue;
    checked++;
    const replayedDigest = digestState(session.snapshot());
    if (replayedDigest !== cp.digest) return { events: to, checkpoints: checked, divergence: digestDivergence(src, cpNext - 1, session, undefined, replayedDigest) };
  }
  return { events: to, checkpoints: checked, divergence: null };
}

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

/** The replayed state just before event `i`, by replaying [0, i) again. */
export function stateBefore(src: TraceSource, i: number): SessionState {
  const session = new Session();
  for (let k = 0; k < src.chunks.length; k++) {
    const meta = src.chunks[k]!;
    if (meta.first >= i) break;
    const chunk = src.readChunk(k);
    const end = Math.min(chunk.count, i - chunk.first);
    for (let j = 0; j < end; j++) session.execute(chunk.event(j));
  }
  return session.snapshot();
}

function resultDivergence(src: TraceSource, i: number, recorded: TraceEvent, replayed: TraceEvent): Divergence {
  const before = stateBefore(src, i);
  const s = new Session();
  s.restore(before);
  s.execute(recorded);
  return { event: i, reason: 'result', recorded, replayed, fields: diffState(before, s.snapshot()) };
}

function digestDivergence(src: TraceSource, k: number, session: Session, next: TraceEvent | undefined, replayedDigest: string): Divergence {
  const cp = src.readCheckpoint(k);
  return {
    event: cp.event,
    reason: 'digest',
    ...(next && { recorded: next }),
    recordedDigest: cp.digest,
    replayedDigest,
    fields: diffState(cp.state, session.snapshot()),
  };
}
