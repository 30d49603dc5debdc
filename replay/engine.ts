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
import { Timeline } from './timeline.js';
import { FAST_OK, FAST_SKIP, fastMmio } from './fast.js';

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
  /** Index into `values` of each event's first word (MMIO events only carry values). */
  readonly valueStart: Uint32Array;
  event(i: number): TraceEvent;
}

/** Index of the chunk holding event i (the last chunk whose first event is <= i). */
export function chunkIndexOf(chunks: TraceSource['chunks'], i: number): number {
  let lo = 0;
  let hi = chunks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (chunks[mid]!.first <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
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
  const cps = src.checkpoints;
  let cpNext = 0;
  let nextCpEvent = cps.length ? cps[0]!.event : Infinity;
  let checked = 0;
  for (let k = 0; k < src.chunks.length; k++) {
    const meta = src.chunks[k]!;
    if (meta.first >= to) break;
    const chunk = src.readChunk(k);
    const { shapes, index, values } = chunk;
    const end = Math.min(chunk.count, to - chunk.first);
    let vi = 0; // cursor into the value column
    for (let j = 0; j < end; j++) {
      const i = chunk.first + j;
      if (i >= nextCpEvent) {
        while (cpNext < cps.length && cps[cpNext]!.event <= i) {
          const cp = cps[cpNext++]!;
          if (cp.event < i) continue;
          checked++;
          const replayedDigest = liveDigest(session);
          if (replayedDigest !== cp.digest) return { events: i, checkpoints: checked, divergence: digestDivergence(src, cpNext - 1, session, chunk.event(j), replayedDigest) };
        }
        nextCpEvent = cpNext < cps.length ? cps[cpNext]!.event : Infinity;
      }
      const shape = shapes[index[j]!]!;
      if (shape.kind === 'mmio') {
        const lo = values[vi]!;
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
    const replayedDigest = liveDigest(session);
    if (replayedDigest !== cp.digest) return { events: to, checkpoints: checked, divergence: digestDivergence(src, cpNext - 1, session, undefined, replayedDigest) };
  }
  return { events: to, checkpoints: checked, divergence: null };
}

/** digestState(session.snapshot()) without copying the state first (guest RAM can make it large). */
function liveDigest(session: Session): string {
  return digestState({ vms: session.vms.map((v) => v.state) });
}

/** The replayed state just before event `i`, by replaying [0, i) again (on the fast paths). */
export function stateBefore(src: TraceSource, i: number): SessionState {
  const tl = new Timeline(src, { checkpointEvery: 1 << 30 });
  tl.seek(i);
  return tl.snapshot();
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
