/**
 * Searching a trace's events by text: each event is decoded in the kernel's
 * names as it was at that moment (describeEvent with the models replayed up
 * to just before it), and matched case-insensitively against the query, so
 * "GICD_ICENABLER0", "EEXIST", "SPI 33" or "vcpu 1 read" all find what
 * `devrr dump` shows. The event index matches as well ("#171" or "171").
 *
 * Decoding every event costs microseconds; a busy guest's trace is mostly
 * the same few guest accesses and interrupt lines over and over. So an
 * access or a line is decoded once per distinct event (its fields and
 * value) and its verdict remembered, and the replay runs at full speed
 * over the events already judged. That is exact because of what names an
 * event: the VM's layout (which device a frame is, nr_irqs, the
 * architecture), and the layout changes only through events a backend
 * runs with `execute` (the device-control calls, a vcpu's first run):
 * never through a fast path (recorder/backend.ts FastPaths), which takes
 * only accesses and lines on a VM already running. Whenever an event goes
 * through `execute` (an 8-byte access aside, which changes a register, not
 * the layout), the remembered verdicts are forgotten.
 */
import type { BackendFactory } from '../recorder/backend.js';
import type { TraceEvent } from '../traces/events.js';
import { describeEvent } from './decode.js';
import { Timeline } from './timeline.js';
import type { TraceSource } from './trace-source.js';

export interface SearchOptions {
  /** Called now and then with events searched so far and the most there are to search. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Checked now and then (every chunk of events); true stops the search (the result is then null). */
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

/** The search's own timeline's checkpoint interval, in events. */
const SEARCH_CHECKPOINTS = 1 << 18;

/** Events between two looks at shouldStop and two progress reports. */
const TICK = 1 << 16;

/** A backward search scans forward over spans of at least this many events, latest span first. */
export const BACK_SPAN = 1 << 18;

/** The remembered verdicts of one distinct access or line: by value word(s) for an access, one for a line. */
type Verdicts = { readonly kind: 'mmio'; readonly byValue: Map<number | string, boolean> } | { readonly kind: 'line'; verdict: boolean | undefined };

/**
 * A text search on a timeline: walks events in order, decoding those it has
 * no verdict for, and replays over the rest. It listens to the timeline's
 * onExecute while open (close() stops it). A scan that starts where the
 * last one ended keeps the verdicts; one that starts elsewhere seeks there
 * and starts afresh.
 */
export class TextSearch {
  private readonly q: string;
  /** The event index the query names ("#171"), if it is one. */
  private readonly index: number | undefined;
  /** Verdicts by the event's fields (its shape), across chunks; forgotten when the layout may change. */
  private readonly memo = new Map<string, Verdicts>();
  /** Set when an event went through execute since the memo was last cleared. */
  private layoutMayChange = false;
  /** Where the last scan left the timeline (the memo holds for the state there). */
  private at = -1;

  constructor(
    private readonly tl: Timeline,
    query: string,
  ) {
    this.q = query.trim().toLowerCase();
    const idx = /^#?(\d+)$/.exec(this.q);
    this.index = idx ? Number(idx[1]) : undefined;
    tl.onExecute = (ev) => {
      // An 8-byte access always goes through execute; it writes or reads a register and names nothing new.
      if (!(ev.kind === 'mmio' && ev.len === 8 && !ev.exit && ev.errno === 0)) this.layoutMayChange = true;
    };
  }

  /** The first match in events [from, to), the timeline just after it; null (the timeline at `to`) if none. */
  first(from: number, to: number): SearchMatch | null {
    let m: SearchMatch | null = null;
    this.scan(from, to, (x) => ((m = x), true));
    return m;
  }

  /** The last match in events [from, to), or null; the timeline is left at `to`. */
  last(from: number, to: number): SearchMatch | null {
    let m: SearchMatch | null = null;
    this.scan(from, to, (x) => ((m = x), false));
    return m;
  }

  /** Stops listening to the timeline. */
  close(): void {
    this.tl.onExecute = undefined;
  }

  /** Events [from, to) in order; `found` hears each match and returns true to stop there. */
  private scan(from: number, to: number, found: (m: SearchMatch) => boolean): void {
    const tl = this.tl;
    if (tl.position !== from || this.at !== from) {
      tl.seek(from);
      this.forget();
    }
    let i = from;
    /** Up to here, events are decoded one by one (after a run that went through execute). */
    let careful = from;
    try {
      while (i < to) {
        // A run of events already judged not to match: replayed in one go.
        const k = i < careful ? i : this.judged(i, to);
        if (k > i) {
          this.layoutMayChange = false;
          tl.seek(k);
          if (this.layoutMayChange) {
            // Something in the run went through execute (no model does that on a fast path):
            // the verdicts may be stale. Do it again, one by one.
            tl.seek(i);
            this.forget();
            careful = k;
            continue;
          }
          i = k;
          continue;
        }
        const ev = tl.event(i);
        const text = describeEvent(ev, tl.point());
        const hit = this.index === i || (this.q !== '' && text.toLowerCase().includes(this.q));
        if (i >= careful) this.remember(ev, this.index !== i && hit);
        this.layoutMayChange = false;
        tl.seek(i + 1);
        if (this.layoutMayChange) this.forget();
        i++;
        if (hit && found({ event: i - 1, text })) return;
      }
    } finally {
      this.at = tl.position;
    }
  }

  /** The end of the run of events from `i` (before `end`) with a remembered "no match". */
  private judged(i: number, end: number): number {
    const tl = this.tl;
    while (i < end) {
      const c = tl.chunkAt(i);
      const stop = Math.min(end, c.first + c.count);
      const { shapes, index, values, valueStart } = c;
      // The verdicts of this chunk's shapes, looked up once per shape.
      const local: (Verdicts | null | undefined)[] = [];
      for (; i < stop; i++) {
        if (i === this.index) return i;
        const j = i - c.first;
        const s = index[j]!;
        let v = local[s];
        if (v === undefined) v = local[s] = this.memo.get(keyOf(shapes[s]!) ?? '') ?? null;
        if (v === null) return i;
        if (v.kind === 'line') {
          if (v.verdict !== false) return i;
        } else {
          const w = valueStart[j]!;
          const shape = shapes[s] as Extract<TraceEvent, { kind: 'mmio' }>;
          if (v.byValue.get(shape.len === 8 ? `${values[w + 1]}:${values[w]}` : values[w]!) !== false) return i;
        }
      }
    }
    return i;
  }

  private remember(ev: TraceEvent, hit: boolean): void {
    const key = keyOf(ev);
    if (key === undefined) return;
    let v = this.memo.get(key);
    if (ev.kind === 'mmio') {
      if (!v) this.memo.set(key, (v = { kind: 'mmio', byValue: new Map() }));
      const lo = Number(ev.value & 0xffffffffn);
      (v as Extract<Verdicts, { kind: 'mmio' }>).byValue.set(ev.len === 8 ? `${Number(ev.value >> 32n)}:${lo}` : lo, hit);
    } else {
      if (!v) this.memo.set(key, (v = { kind: 'line', verdict: undefined }));
      (v as Extract<Verdicts, { kind: 'line' }>).verdict = hit;
    }
  }

  private forget(): void {
    this.memo.clear();
    this.layoutMayChange = false;
  }
}

/** The span a backward search scans before `hi` (exclusive): [lo, hi), lo on a checkpoint of the timeline (interval K). */
export function spanBefore(hi: number, K: number): number {
  return Math.max(0, Math.floor(Math.max(0, hi - BACK_SPAN) / K) * K);
}

/**
 * What identifies an access or a line apart from its value: every field
 * its decoded text is made of. Undefined for other events (and for one
 * with a note): those are decoded every time.
 */
function keyOf(ev: TraceEvent): string | undefined {
  if (ev.note !== undefined) return undefined;
  if (ev.kind === 'mmio') return `m${ev.vm},${ev.vcpu},${ev.write ? 1 : 0},${ev.addr},${ev.len},${ev.exit ? 1 : 0},${ev.errno}`;
  if (ev.kind === 'irq_line') return `l${ev.vm},${ev.irq},${ev.level},${ev.errno}`;
  return undefined;
}

/**
 * The first event at or after `from` (direction 1), or the last event at or
 * before `from` (direction -1), whose decoded text matches `query`; null if
 * none does.
 */
export function searchEvents(src: TraceSource, query: string, from: number, direction: 1 | -1, opts: SearchOptions = {}): SearchMatch | null {
  const n = src.eventCount;
  if (n === 0 || !query.trim()) return null;
  // Few checkpoints: a search passes each point once (backwards, once per span), and a
  // snapshot of the state costs as much as replaying thousands of events.
  const tl = new Timeline(src, { checkpointEvery: SEARCH_CHECKPOINTS, ...(opts.backends && { backends: opts.backends }) });
  const search = new TextSearch(tl, query);
  const start = Math.max(0, Math.min(n - 1, from));
  try {
    if (direction === 1) {
      for (let i = start; i < n; i += TICK) {
        if (opts.shouldStop?.()) return null;
        opts.onProgress?.(i - start, n - start);
        const m = search.first(i, Math.min(n, i + TICK));
        if (m) return m;
      }
      return null;
    }
    // Backwards: a span at a time, latest first, each scanned forward.
    let hi = start + 1;
    while (hi > 0) {
      const lo = spanBefore(hi, tl.checkpointEvery);
      let found: SearchMatch | null = null;
      for (let i = lo; i < hi; i += TICK) {
        if (opts.shouldStop?.()) return null;
        opts.onProgress?.(start + 1 - hi + (i - lo), start + 1);
        found = search.last(i, Math.min(hi, i + TICK)) ?? found;
      }
      if (found) return found;
      hi = lo;
    }
    return null;
  } finally {
    search.close();
  }
}
