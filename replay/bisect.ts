/**
 * `devrr bisect`: the first event at which device state diverges.
 *
 * Against the models (one trace): the trace's recorded checkpoints carry
 * state digests. A binary search over them finds the first checkpoint the
 * replay no longer reproduces; each probe replays one segment starting from
 * the last checkpoint known good (whose recorded state therefore *is* the
 * replayed state), so the probes add up to about one replay of the trace.
 * Inside the divergent interval the replay steps event by event: the first
 * event whose recorded result differs is the answer; if every result
 * matches, the answer is the earliest event of the interval that wrote a
 * field which ends up differing at the checkpoint.
 *
 * Against another trace (two runs of one workload): the two traces'
 * recorded digests at common checkpoints are compared without replaying,
 * then both traces are replayed in lockstep through the divergent interval
 * and compared after every event (state, and the recorded events themselves).
 */
import { diffState, type FieldDiff } from '../devices/core/state.js';
import type { Backend, BackendFactory, SessionState } from '../recorder/backend.js';
import { MODELS } from '../recorder/execute.js';
import type { TraceEvent } from '../traces/events.js';
import { applyEvents } from './apply.js';
import { Timeline } from './timeline.js';
import { ChunkCache, type TraceSource } from './trace-source.js';

export interface Writer {
  readonly path: string;
  /** The last event (at or before the divergence) that changed this field, or null. */
  readonly event: number | null;
  /** With --against: 'against' when that write is the other trace's (this trace's write of the field is older). */
  readonly trace?: 'against';
}

export interface BisectFinding {
  /** The first divergent event. */
  readonly event: number;
  /** result: a recorded result differs; state: state differs with matching results; input: the two traces' events differ. */
  readonly reason: 'result' | 'state' | 'input';
  readonly recorded?: TraceEvent;
  readonly replayed?: TraceEvent;
  /** With --against: the other trace's event at the same index. */
  readonly other?: TraceEvent;
  /** Named-field differences (recorded vs replayed, or trace A vs trace B). */
  readonly fields: readonly FieldDiff[];
  /** The event that last wrote each differing field: the divergent event itself where it wrote it, else an earlier one. */
  readonly lastWriters: readonly Writer[];
  /** The events [start, end) between two checkpoints that the search narrowed the divergence to. */
  readonly interval: readonly [number, number];
}

export interface BisectResult {
  readonly first_divergence: BisectFinding | null;
  /** Segment replays performed by the search (about log2 of the checkpoints, plus the refinement). */
  readonly probes: number;
  readonly events: number;
}

/** Applies events [from, to) of the trace to `backend`; stops at the first result mismatch and returns its index, else -1. */
function applyRange(backend: Backend, from: number, to: number, chunks: ChunkCache): number {
  return applyEvents(backend, chunks, from, to, true)?.event ?? -1;
}

/** The state capability bisect needs (checkpoints restored, digests compared). */
function stateOf(b: Backend, backends: BackendFactory) {
  if (!b.state) throw new BisectError(`bisect needs a backend that can give and restore its state; ${backends.name} cannot`);
  return b.state;
}

/** Bisect cannot run on this backend. */
export class BisectError extends Error {}

export interface BisectOptions {
  /** What replays the traces (default: the device models); it must have the state capability. */
  readonly backends?: BackendFactory;
}

/** Bisect one trace against the current backend (the models by default). */
export function bisectTrace(src: TraceSource, opts: BisectOptions = {}): BisectResult {
  const backends = opts.backends ?? MODELS;
  const viewOf = (st: SessionState) => backends.inspector.view(st);
  const cps = src.checkpoints;
  const chunks = new ChunkCache(src, 2);
  let probes = 0;
  const anchor = (k: number): Backend => {
    const s = backends.create();
    const st = stateOf(s, backends);
    if (k >= 0) st.restore(src.readCheckpoint(k).state as SessionState);
    return s;
  };
  const eventOf = (k: number) => (k < 0 ? 0 : cps[k]!.event);
  // Q(k): does replaying from the last good anchor reproduce checkpoint k (results and digest)?
  let lo = -1;
  let hi = cps.length;
  let mismatch = -1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const s = anchor(lo);
    probes++;
    const m = applyRange(s, eventOf(lo), cps[mid]!.event, chunks);
    if (m < 0 && s.state!.digest() === cps[mid]!.digest) lo = mid;
    else {
      hi = mid;
      if (m >= 0) mismatch = m;
    }
  }
  // Refine inside (eventOf(lo), end of interval].
  const end = hi < cps.length ? cps[hi]!.event : src.eventCount;
  const s = anchor(lo);
  probes++;
  const start = eventOf(lo);
  const first = mismatch >= 0 && mismatch >= start && mismatch < end ? applyRange(s, start, mismatch + 1, chunks) : applyRange(s, start, end, chunks);
  if (first >= 0) {
    const before = anchor(lo);
    applyRange(before, start, first, chunks);
    const beforeState = before.state!.snapshot();
    const recorded = chunks.event(first);
    const replayed = before.execute(recorded);
    const fields = diffState(viewOf(beforeState), viewOf(before.state!.peek()));
    return {
      // The fields are the ones the divergent event changed on replay: it is their writer.
      first_divergence: { event: first, reason: 'result', recorded, replayed, fields, lastWriters: lastWriters(src, backends, fields.map((f) => f.path), first + 1, lo), interval: [start, end] },
      probes,
      events: src.eventCount,
    };
  }
  if (hi >= cps.length) return { first_divergence: null, probes, events: src.eventCount };
  // Results all matched but the digest at checkpoint hi differs: a state-only divergence.
  const recordedState = src.readCheckpoint(hi).state as SessionState;
  const fields = diffState(viewOf(recordedState), viewOf(s.state!.peek()));
  const writers = lastWriters(src, backends, fields.map((f) => f.path), end, lo);
  const inside = writers.map((w) => w.event).filter((e): e is number => e !== null && e >= start);
  const event = inside.length ? Math.min(...inside) : end - 1;
  return {
    first_divergence: { event, reason: 'state', recorded: chunks.event(event), fields, lastWriters: writers, interval: [start, end] },
    probes,
    events: src.eventCount,
  };
}

/**
 * The last event before `end` that changed each path in the replay of `src`.
 * `goodUpTo`: the recorded checkpoints [0, goodUpTo] are known to equal the
 * replay, so the search may start from them instead of from event 0.
 */
function lastWriters(src: TraceSource, backends: BackendFactory, paths: readonly string[], end: number, goodUpTo = -1): Writer[] {
  const uniq = [...new Set(paths)].slice(0, 64);
  const cache = new Map<number, SessionState>();
  const anchor = (target: number) => {
    let best = -1;
    for (let k = 0; k <= goodUpTo && src.checkpoints[k]!.event <= target; k++) best = k;
    if (best < 0) return undefined;
    let state = cache.get(best);
    if (!state) cache.set(best, (state = src.readCheckpoint(best).state as SessionState));
    return { event: src.checkpoints[best]!.event, state };
  };
  const found = new Timeline(src, { anchor, backends }).lastChanges(uniq, end);
  return uniq.map((path) => ({ path, event: found.get(path) ?? null }));
}

function key(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)) ?? 'undefined';
}

/** Bisect two traces of the same workload against each other. */
export function bisectAgainst(a: TraceSource, b: TraceSource, opts: BisectOptions = {}): BisectResult {
  const backends = opts.backends ?? MODELS;
  const viewOf = (st: SessionState) => backends.inspector.view(st);
  const ca = new ChunkCache(a, 2);
  const cb = new ChunkCache(b, 2);
  const n = Math.min(a.eventCount, b.eventCount);
  // Checkpoints both traces have, at the same event index.
  const byEvent = new Map(b.checkpoints.map((c, k) => [c.event, k] as const));
  const common = a.checkpoints.map((c, k) => ({ event: c.event, ka: k, kb: byEvent.get(c.event) })).filter((c): c is { event: number; ka: number; kb: number } => c.kb !== undefined && c.event <= n);
  let lo = -1;
  let hi = common.length;
  let probes = 0;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    probes++;
    if (a.checkpoints[common[mid]!.ka]!.digest === b.checkpoints[common[mid]!.kb]!.digest) lo = mid;
    else hi = mid;
  }
  const start = lo < 0 ? 0 : common[lo]!.event;
  const end = hi < common.length ? common[hi]!.event : n;
  const sa = backends.create();
  const sb = backends.create();
  const stA = stateOf(sa, backends);
  const stB = stateOf(sb, backends);
  if (lo >= 0) {
    stA.restore(a.readCheckpoint(common[lo]!.ka).state as SessionState);
    stB.restore(b.readCheckpoint(common[lo]!.kb).state as SessionState);
  }
  probes++;
  for (let i = start; i < end; i++) {
    const ea = ca.event(i);
    const eb = cb.event(i);
    const sameInput = key(ea) === key(eb);
    sa.execute(ea);
    sb.execute(eb);
    if (!sameInput || stA.digest() !== stB.digest()) {
      const fields = diffState(viewOf(stA.peek()), viewOf(stB.peek()));
      const paths = fields.map((f) => f.path);
      // Each field's last write up to and including event i, in either trace (event i in one of them, usually).
      const wa = lastWriters(a, backends, paths, i + 1, lo >= 0 ? common[lo]!.ka : -1);
      const wb = lastWriters(b, backends, paths, i + 1, lo >= 0 ? common[lo]!.kb : -1);
      const writers = wa.map((w, k): Writer => {
        const o = wb[k]!;
        return o.event !== null && (w.event === null || o.event > w.event) ? { path: w.path, event: o.event, trace: 'against' } : w;
      });
      return {
        first_divergence: {
          event: i,
          reason: sameInput ? 'state' : 'input',
          recorded: ea,
          other: eb,
          fields,
          lastWriters: writers,
          interval: [start, end],
        },
        probes,
        events: n,
      };
    }
  }
  if (hi < common.length) {
    // Replays agree but the recorded checkpoints do not: the recordings' models differed.
    // The checkpoint holds the state after event end - 1: that event is where they are seen to differ.
    const fa = a.readCheckpoint(common[hi]!.ka).state as SessionState;
    const fb = b.readCheckpoint(common[hi]!.kb).state as SessionState;
    const fields = diffState(viewOf(fa), viewOf(fb));
    return { first_divergence: { event: Math.max(0, end - 1), reason: 'state', fields, lastWriters: [], interval: [start, end] }, probes, events: n };
  }
  if (a.eventCount !== b.eventCount) {
    return { first_divergence: { event: n, reason: 'input', fields: [], lastWriters: [], interval: [start, n], ...(n < a.eventCount && { recorded: ca.event(n) }), ...(n < b.eventCount && { other: cb.event(n) }) }, probes, events: n };
  }
  return { first_divergence: null, probes, events: n };
}
