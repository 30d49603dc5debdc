/**
 * The replay engine: re-executes a trace against a fresh backend (the
 * device models by default), checks every recorded result and every
 * checkpoint digest, and at the first divergence reports the event,
 * recorded vs replayed results, and the named-field diff of device state
 * around it.
 *
 * The events between two recorded checkpoints go through the one replay
 * loop (apply.ts); at each checkpoint the backend's digest is compared
 * with the recorded one. A backend without the state capability is
 * checked on results only.
 */
import { diffState, type FieldDiff } from '../devices/core/state.js';
import type { Backend, BackendFactory, SessionState } from '../recorder/backend.js';
import { MODELS } from '../recorder/execute.js';
import type { TraceEvent } from '../traces/events.js';
import { applyEvents } from './apply.js';
import { Timeline } from './timeline.js';
import { ChunkCache, type TraceSource } from './trace-source.js';

export { type ChunkView, chunkIndexOf, type TraceSource } from './trace-source.js';

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
  /** What replays the trace (default: the device models). */
  readonly backends?: BackendFactory;
}

/** Replays `src` from the start against a fresh backend. */
export function replay(src: TraceSource, opts: ReplayOptions = {}): ReplayReport {
  const to = Math.min(opts.to ?? src.eventCount, src.eventCount);
  const backends = opts.backends ?? MODELS;
  const backend = backends.create();
  const chunks = new ChunkCache(src, 2);
  let checked = 0;
  let pos = 0;
  const cps = src.checkpoints;
  for (let k = 0; k <= cps.length; k++) {
    // The events up to the next checkpoint (or the end), then the checkpoint's digest.
    const cp = k < cps.length ? cps[k]! : undefined;
    const until = cp ? Math.min(cp.event, to) : to;
    if (until > pos) {
      const m = applyEvents(backend, chunks, pos, until, true);
      if (m) return { events: m.event, checkpoints: checked, divergence: resultDivergence(src, backends, m.event, m.recorded, m.replayed) };
      pos = until;
    }
    if (!cp || cp.event > to) break;
    if (cp.event < pos || !backend.state) continue;
    checked++;
    const replayedDigest = backend.state.digest();
    if (replayedDigest !== cp.digest) return { events: pos, checkpoints: checked, divergence: digestDivergence(src, k, backend, pos < src.eventCount && pos < to ? chunks.event(pos) : undefined, replayedDigest) };
  }
  return { events: to, checkpoints: checked, divergence: null };
}

/** The replayed state just before event `i`, by replaying [0, i) again. */
export function stateBefore(src: TraceSource, i: number, backends: BackendFactory = MODELS): SessionState {
  const tl = new Timeline(src, { checkpointEvery: 1 << 30, backends });
  tl.seek(i);
  return tl.snapshot();
}

function resultDivergence(src: TraceSource, backends: BackendFactory, i: number, recorded: TraceEvent, replayed: TraceEvent): Divergence {
  const s = backends.create();
  if (!s.state) return { event: i, reason: 'result', recorded, replayed, fields: [] };
  const before = stateBefore(src, i, backends);
  s.state.restore(before);
  s.execute(recorded);
  return { event: i, reason: 'result', recorded, replayed, fields: diffState(before, s.state.peek()) };
}

function digestDivergence(src: TraceSource, k: number, backend: Backend, next: TraceEvent | undefined, replayedDigest: string): Divergence {
  const cp = src.readCheckpoint(k);
  return {
    event: cp.event,
    reason: 'digest',
    ...(next && { recorded: next }),
    recordedDigest: cp.digest,
    replayedDigest,
    fields: diffState(cp.state, backend.state!.snapshot()),
  };
}
