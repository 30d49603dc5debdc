/**
 * What replay reads a trace through: the reader's own interface, so its
 * decoded chunks (traces/chunk.ts DecodedChunk: shapes, a shape index per
 * event, the MMIO value column) are what the replay loop walks, with no
 * second declaration of their layout. A TraceReader is a TraceSource; a
 * wrapper (the TUI's jobs count the chunks read) passes its members on.
 */
import type { DecodedChunk } from '../traces/chunk.js';
import type { TraceEvent } from '../traces/events.js';
import type { TraceReader } from '../traces/reader.js';

/** What replay needs of a trace: its events by chunk, and its recorded checkpoints. */
export type TraceSource = Pick<TraceReader, 'eventCount' | 'chunks' | 'readChunk' | 'checkpoints' | 'readCheckpoint'>;

/** A decoded chunk, as the reader gives it. */
export type ChunkView = DecodedChunk;

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

/** The decoded chunks of a source, by event index; the last few are kept (stepping back and forth re-reads the same ones). */
export class ChunkCache {
  private readonly cache = new Map<number, ChunkView>();
  /** The chunk `at` returned last: consecutive events hit it without a lookup. */
  private last: ChunkView | undefined;

  constructor(
    readonly src: TraceSource,
    private readonly size = 8,
  ) {}

  /** Decoded chunk k. */
  get(k: number): ChunkView {
    let c = this.cache.get(k);
    if (c) {
      this.cache.delete(k);
      this.cache.set(k, c);
      return c;
    }
    c = this.src.readChunk(k);
    this.cache.set(k, c);
    if (this.cache.size > this.size) this.cache.delete(this.cache.keys().next().value!);
    return c;
  }

  /** The decoded chunk holding event i. */
  at(i: number): ChunkView {
    const l = this.last;
    if (l && i >= l.first && i < l.first + l.count) return l;
    return (this.last = this.get(chunkIndexOf(this.src.chunks, i)));
  }

  /** Event i, decoded. */
  event(i: number): TraceEvent {
    const c = this.at(i);
    return c.event(i - c.first);
  }
}
