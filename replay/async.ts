/**
 * Cooperative versions of the timeline's long operations, for callers that
 * must stay responsive (the TUI): building the timeline over the whole
 * trace, seeking far ahead, and running forward or backward to a
 * breakpoint, and text search. Each does its work in slices of about `sliceMs` milliseconds
 * on the calling thread, yields to the event loop between slices (so input
 * is read and frames are drawn), reports progress, and stops when its
 * AbortSignal fires. The results are the ones the synchronous Timeline
 * methods give: these functions only cut the same work into pieces.
 */
import { type SearchMatch, spanBefore, TextSearch } from './search.js';
import type { Breakpoint, Hit, Timeline } from './timeline.js';

export interface CooperativeOptions {
  /** Stops the work between two slices. */
  readonly signal?: AbortSignal;
  /** Called after each slice: work done and work in all, in events. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Target duration of one slice (default 30 ms). */
  readonly sliceMs?: number;
}

/** What a cooperative run ends with. */
export type RunOutcome =
  | { readonly status: 'hit'; readonly hit: Hit }
  | { readonly status: 'end' }
  | { readonly status: 'cancelled' };

/** Lets the event loop run: input, timers, rendering. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Adapts a slice size (in events) so that a slice takes about `targetMs`. */
class Slicer {
  size: number;
  constructor(private readonly targetMs: number, initial = 4096) {
    this.size = initial;
  }

  /** Records that the last slice of `events` events took `ms`. */
  took(events: number, ms: number): void {
    if (events < this.size) return; // a short last slice says nothing about the rate
    if (ms < this.targetMs / 2) this.size = Math.min(this.size * 2, 1 << 22);
    else if (ms > this.targetMs * 1.5) this.size = Math.max(256, Math.floor(this.size / 2));
  }
}

/** The furthest position the timeline can reach with one restore and at most one checkpoint interval. */
export function reach(tl: Timeline): number {
  return Math.max((tl.checkpointCount - 1) * tl.checkpointEvery, tl.position) + tl.checkpointEvery;
}

/**
 * Seeks to `target` in slices (building checkpoints on the way when the
 * target is beyond what the timeline has replayed so far). Returns false if
 * cancelled: the position is then wherever the work had got to.
 */
export async function seekCooperative(tl: Timeline, target: number, opts: CooperativeOptions = {}): Promise<boolean> {
  const to = Math.max(0, Math.min(tl.length, Math.floor(target)));
  if (to <= reach(tl)) {
    tl.seek(to);
    return true;
  }
  const slicer = new Slicer(opts.sliceMs ?? 30, 8192);
  // Start from the furthest point already built rather than replaying from here.
  const from = Math.min(to, (tl.checkpointCount - 1) * tl.checkpointEvery);
  if (tl.position < from) tl.seek(from);
  const start = tl.position;
  while (tl.position < to) {
    if (opts.signal?.aborted) return false;
    const t0 = performance.now();
    const before = tl.position;
    tl.seek(Math.min(to, before + slicer.size));
    slicer.took(tl.position - before, performance.now() - t0);
    opts.onProgress?.(tl.position - start, to - start);
    if (tl.position < to) await yieldToLoop();
  }
  return true;
}

/**
 * Replays the whole trace once so that every checkpoint exists (after this,
 * any seek costs at most one checkpoint interval), then returns to the
 * starting position. Returns false if cancelled (the checkpoints built so
 * far are kept; the position is restored either way).
 */
export async function buildTimeline(tl: Timeline, opts: CooperativeOptions = {}): Promise<boolean> {
  const home = tl.position;
  const done = await seekCooperative(tl, tl.length, opts);
  tl.seek(home);
  return done;
}

/**
 * Timeline.runForward, in slices. On a hit the position is just after the
 * hit event; at the end it is the trace's length; when cancelled it is where
 * the run had got to.
 */
export async function runForwardCooperative(tl: Timeline, bps: readonly Breakpoint[], opts: CooperativeOptions = {}): Promise<RunOutcome> {
  const slicer = new Slicer(opts.sliceMs ?? 30);
  const start = tl.position;
  while (tl.position < tl.length) {
    if (opts.signal?.aborted) return { status: 'cancelled' };
    const t0 = performance.now();
    const before = tl.position;
    const hit = tl.runForward(bps, before + slicer.size);
    if (hit) return { status: 'hit', hit };
    slicer.took(tl.position - before, performance.now() - t0);
    opts.onProgress?.(tl.position - start, tl.length - start);
    if (tl.position < tl.length) await yieldToLoop();
  }
  return { status: 'end' };
}

/**
 * Timeline.runBackward, one checkpoint interval per slice: the latest hit
 * strictly before the current event (the position is then just after it),
 * or the start of the trace (position 0). When cancelled the position goes
 * back to where the run began.
 */
export async function runBackwardCooperative(tl: Timeline, bps: readonly Breakpoint[], opts: CooperativeOptions = {}): Promise<RunOutcome> {
  const K = tl.checkpointEvery;
  const home = tl.position;
  const limit = home - 1; // hits must be at events < the current event
  let intervalStart = Math.floor(Math.max(limit - 1, 0) / K) * K;
  const total = Math.max(limit, 1);
  while (intervalStart >= 0) {
    if (opts.signal?.aborted) {
      tl.seek(home);
      return { status: 'cancelled' };
    }
    const intervalEnd = Math.min(limit, intervalStart + K);
    let last: Hit | null = null;
    tl.seek(intervalStart);
    while (tl.position < intervalEnd) {
      const h = tl.runForward(bps, intervalEnd);
      if (!h) break;
      last = h;
    }
    if (last) {
      tl.seek(last.event + 1);
      return { status: 'hit', hit: last };
    }
    opts.onProgress?.(limit - intervalStart, total);
    if (intervalStart === 0) break;
    intervalStart -= K;
    await yieldToLoop();
  }
  tl.seek(0);
  return { status: 'end' };
}

/** What a cooperative search ends with. */
export type SearchOutcome =
  | { readonly status: 'hit'; readonly match: SearchMatch }
  | { readonly status: 'end' }
  | { readonly status: 'cancelled' };

/**
 * searchEvents (replay/search.ts) on the timeline itself, in slices: the
 * first event at or after `from` (direction 1) or the last at or before it
 * (-1) whose decoded text matches `query`. It starts from the timeline's
 * nearest checkpoint, so a hop costs what lies between here and the match.
 * On a hit the position is just after the matching event; otherwise it is
 * anywhere (the caller goes back where it was).
 */
export async function searchCooperative(tl: Timeline, query: string, from: number, direction: 1 | -1, opts: CooperativeOptions = {}): Promise<SearchOutcome> {
  const n = tl.length;
  if (n === 0 || !query.trim()) return { status: 'end' };
  const start = Math.max(0, Math.min(n - 1, from));
  const slicer = new Slicer(opts.sliceMs ?? 30, 1 << 16);
  const search = new TextSearch(tl, query);
  try {
    if (direction === 1) {
      for (let i = start; i < n; ) {
        if (opts.signal?.aborted) return { status: 'cancelled' };
        const t0 = performance.now();
        const to = Math.min(n, i + slicer.size);
        const m = search.first(i, to);
        if (m) return { status: 'hit', match: m };
        slicer.took(to - i, performance.now() - t0);
        i = to;
        opts.onProgress?.(i - start, n - start);
        if (i < n) await yieldToLoop();
      }
      return { status: 'end' };
    }
    // Backwards: a span at a time, latest first, each scanned forward in slices.
    for (let hi = start + 1; hi > 0; ) {
      const lo = spanBefore(hi, tl.checkpointEvery);
      let found: SearchMatch | null = null;
      for (let i = lo; i < hi; ) {
        if (opts.signal?.aborted) return { status: 'cancelled' };
        const t0 = performance.now();
        const to = Math.min(hi, i + slicer.size);
        found = search.last(i, to) ?? found;
        slicer.took(to - i, performance.now() - t0);
        opts.onProgress?.(start + 1 - hi + (to - lo), start + 1);
        i = to;
        await yieldToLoop();
      }
      if (found) {
        tl.seek(found.event + 1);
        return { status: 'hit', match: found };
      }
      hi = lo;
    }
    return { status: 'end' };
  } finally {
    search.close();
  }
}
