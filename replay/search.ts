/**
 * Searching a trace's events by text: each event is decoded in the kernel's
 * names as it was at that moment (describeEvent with the models replayed up
 * to just before it), and matched case-insensitively against the query, so
 * "GICD_ICENABLER0", "EEXIST", "SPI 33" or "vcpu 1 read" all find what
 * `devrr dump` shows. The event index matches as well ("#171" or "171").
 */
import type { BackendFactory } from '../recorder/backend.js';
import { describeEvent } from './decode.js';
import { Timeline } from './timeline.js';
import type { TraceSource } from './trace-source.js';

export interface SearchOptions {
  /** Called now and then with events searched so far and the most there are to search. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Checked between events; true stops the search (the result is then null). */
  readonly shouldStop?: () => boolean;
  /** What replays the trace (default: the device models). */
  readonly backends?: BackendFactory;
}

export interface SearchMatch {
  readonly event: number;
  readonly text: string;
}

/** Does the decoded text (or the index) of event `i` match `query`? */
export function matchesQuery(query: string, i: number, text: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return false;
  const idx = /^#?(\d+)$/.exec(q);
  if (idx && Number(idx[1]) === i) return true;
  return text.toLowerCase().includes(q);
}

/**
 * The first event at or after `from` (direction 1), or the last event at or
 * before `from` (direction -1), whose decoded text matches `query`; null if
 * none does.
 */
export function searchEvents(src: TraceSource, query: string, from: number, direction: 1 | -1, opts: SearchOptions = {}): SearchMatch | null {
  const n = src.eventCount;
  if (n === 0 || !query.trim()) return null;
  const tl = new Timeline(src, opts.backends ? { backends: opts.backends } : {});
  const start = Math.max(0, Math.min(n - 1, from));
  const every = 4096;
  if (direction === 1) {
    tl.seek(start);
    for (let i = start; i < n; i++) {
      if ((i - start) % every === 0) {
        if (opts.shouldStop?.()) return null;
        opts.onProgress?.(i - start, n - start);
      }
      const ev = tl.event(i);
      const text = describeEvent(ev, tl.point());
      if (matchesQuery(query, i, text)) return { event: i, text };
      tl.seek(i + 1);
    }
    return null;
  }
  // Backwards: one checkpoint interval at a time, latest match first.
  const K = tl.checkpointEvery;
  let lo = Math.floor(start / K) * K;
  let hi = start + 1;
  let done = 0;
  for (;;) {
    let found: SearchMatch | null = null;
    tl.seek(lo);
    for (let i = lo; i < hi; i++) {
      if (++done % every === 0) {
        if (opts.shouldStop?.()) return null;
        opts.onProgress?.(done, start + 1);
      }
      const ev = tl.event(i);
      const text = describeEvent(ev, tl.point());
      if (matchesQuery(query, i, text)) found = { event: i, text };
      tl.seek(i + 1);
    }
    if (found) return found;
    if (lo === 0) return null;
    hi = lo;
    lo -= K;
  }
}
