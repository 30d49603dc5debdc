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
import type { IrqLineEvent, MmioEvent, TraceEvent } from '../traces/events.js';
import { kindDecl } from '../traces/kinds.js';
import type { ChunkCache } from './trace-source.js';

const OTHER = 0;
const MMIO = 1;
const IRQ_LINE = 2;
const UNKNOWN = 3;

const pathCache = new WeakMap<readonly TraceEvent[], Uint8Array>();
/** The path each shape's events take: the mmio or irq_line fast path, execute, or none (a kind this devrr does not know). */
function pathsOf(shapes: readonly TraceEvent[]): Uint8Array {
  let p = pathCache.get(shapes);
  if (p) return p;
  p = new Uint8Array(shapes.length);
  for (let k = 0; k < shapes.length; k++) {
    const kind = shapes[k]!.kind;
    p[k] = kind === 'mmio' ? MMIO : kind === 'irq_line' ? IRQ_LINE : kindDecl(kind) === undefined ? UNKNOWN : OTHER;
  }
  pathCache.set(shapes, p);
  return p;
}

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
    const { first, shapes, index, values, shapeWords } = chunk;
    const end = Math.min(to, first + chunk.count);
    // Per shape, once per chunk: which hot path its events take (a typed-array load per event, no string compare).
    const paths = pathsOf(shapes);
    // The backend's memo for this chunk's shapes (what each MMIO shape resolved to), once per chunk.
    const memo = fast?.mmioMemo?.(shapes);
    // The value-column cursor of event i within its chunk.
    let vi = i === first ? 0 : chunk.valueStart[i - first]!;
    for (; i < end; i++) {
      const j = i - first;
      const k = index[j]!;
      const path = paths[k]!;
      if (path === MMIO && fast !== undefined) {
        const shape = shapes[k] as MmioEvent;
        const lo = values[vi]!;
        vi += shapeWords[k]!;
        const f = memo !== undefined ? fast.mmioAt!(memo, k, shape, lo) : fast.mmio(shape, lo);
        if (f === FAST_OK) continue;
        if (f !== FAST_SKIP) {
          if (!check) continue;
          const recorded = chunk.event(j);
          return { event: i, recorded, replayed: { ...(recorded as MmioEvent), value: BigInt(f) } };
        }
      } else if (path === IRQ_LINE && fast !== undefined) {
        const shape = shapes[k] as IrqLineEvent;
        const e = fast.irqLine(shape);
        if (e !== FAST_SKIP) {
          if (!check || e === shape.errno) continue;
          const recorded = chunk.event(j);
          return { event: i, recorded, replayed: { ...recorded, errno: e } as TraceEvent };
        }
      } else {
        vi += shapeWords[k]!;
        // A kind this devrr does not know (a newer devrr's, declared in the header): nothing to run.
        if (path === UNKNOWN) continue;
      }
      const recorded = chunk.event(j);
      const replayed = backend.execute(recorded);
      onExecute?.(recorded);
      if (check && !sameResult(recorded, replayed)) return { event: i, recorded, replayed };
    }
  }
  return null;
}
