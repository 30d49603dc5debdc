/**
 * The one replay loop: applies a range of a trace's events to a backend,
 * in order. Replay (engine.ts), the timeline and bisect all go through it.
 *
 * It walks decoded chunks directly. A backend with the fast-path
 * capability takes an MMIO access (with its value word from the value
 * column) or an interrupt line with no event object built; everything
 * else, and everything on a backend without it, goes through
 * Backend.execute, as the recorder did.
 */
import { type Backend, FAST_OK, FAST_SKIP, sameResult } from '../recorder/backend.js';
import type { MmioEvent, TraceEvent } from '../traces/events.js';
import type { ChunkCache } from './trace-source.js';

/** The first event whose replayed result differs from the recorded one. */
export interface Mismatch {
  readonly event: number;
  readonly recorded: TraceEvent;
  /** The same event with the results the backend gave. */
  readonly replayed: TraceEvent;
}

/**
 * Applies events [from, to) to `backend`. With `check`, stops after the
 * first event whose result differs from the recorded one (it has run) and
 * returns it; otherwise, or when every result matches, returns null.
 * `onExecute` hears of each event that went through Backend.execute rather
 * than a fast path (search uses it: only those may change how events are
 * named); the fast paths never call it.
 */
export function applyEvents(backend: Backend, chunks: ChunkCache, from: number, to: number, check: boolean, onExecute?: (ev: TraceEvent) => void): Mismatch | null {
  const fast = backend.fast;
  for (let i = from; i < to; ) {
    const chunk = chunks.at(i);
    const { first, shapes, index, values } = chunk;
    const end = Math.min(to, first + chunk.count);
    // The value-column cursor of event i within its chunk.
    let vi = chunk.valueStart[i - first]!;
    for (; i < end; i++) {
      const j = i - first;
      const shape = shapes[index[j]!]!;
      if (fast !== undefined) {
        if (shape.kind === 'mmio') {
          const lo = values[vi]!;
          vi += shape.len === 8 ? 2 : 1;
          const f = fast.mmio(shape, lo);
          if (f === FAST_OK) continue;
          if (f !== FAST_SKIP) {
            if (!check) continue;
            const recorded = chunk.event(j);
            return { event: i, recorded, replayed: { ...(recorded as MmioEvent), value: BigInt(f) } };
          }
        } else if (shape.kind === 'irq_line') {
          const e = fast.irqLine(shape);
          if (e !== FAST_SKIP) {
            if (!check || e === shape.errno) continue;
            const recorded = chunk.event(j);
            return { event: i, recorded, replayed: { ...recorded, errno: e } as TraceEvent };
          }
        }
      }
      const recorded = chunk.event(j);
      const replayed = backend.execute(recorded);
      onExecute?.(recorded);
      if (check && !sameResult(recorded, replayed)) return { event: i, recorded, replayed };
    }
  }
  return null;
}
