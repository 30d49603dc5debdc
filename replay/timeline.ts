/**
 * Time travel over a trace. The timeline keeps a position p in [0, length]:
 * the backend's state after events [0, p). "The current event" is p - 1,
 * the one that just ran. Checkpoints (state snapshots of the replay itself)
 * every K events are taken the first time the replay passes them, so
 * seek(n) restores the nearest checkpoint at or before n and replays at most
 * K events; stepping back is a seek. A backend without the state capability
 * has no checkpoints: a seek back starts a fresh backend and replays from
 * the start.
 *
 * Breakpoints stop on events (kind, device, group/attr, register by name,
 * IRQ number, errno); watchpoints stop where a state field's value changes.
 */
import { stateBytes } from '../devices/core/state.js';
import { formatPath, parsePath, type PathStep } from '../devices/core/view.js';
import { type Backend, type BackendFactory, pointIn, type SessionState } from '../recorder/backend.js';
import { MODELS } from '../recorder/execute.js';
import { type Point, type PointLike, pointOf } from '../recorder/inspect.js';
import type { TraceEvent } from '../traces/events.js';
import { applyEvents } from './apply.js';
import { mmioNames } from './decode.js';
import { ChunkCache, type ChunkView, type TraceSource } from './trace-source.js';

/** What an event breakpoint matches; every given field must match. */
export interface EventMatch {
  /** An event kind's name: one of TraceEvent's, or a kind declared as data (traces/kinds.ts). */
  readonly kind?: string;
  readonly vm?: number;
  /** Device handle of an attribute event, or of the device an MMIO access hits. */
  readonly device?: number;
  readonly group?: number;
  readonly attr?: bigint;
  /** Register by the name dump prints; a name without its index matches every register of the array ("X" matches X0, X1, ...). */
  readonly reg?: string;
  /**
   * Interrupt number, in the irqchip's numbering: an event that raises,
   * lowers, acknowledges, completes or deactivates it, as the device's
   * interrupts facet says (Inspector.interruptEffects).
   */
  readonly irq?: number;
  /** An errno number, or 'any' for any failed call. */
  readonly errno?: number | 'any';
}

export type Breakpoint =
  | { readonly kind: 'event'; readonly match: EventMatch; readonly label?: string }
  | { readonly kind: 'watch'; readonly path: string; readonly label?: string };

export interface Hit {
  /** The event that matched, or that changed the watched field. */
  readonly event: number;
  readonly breakpoint: Breakpoint;
  /** For a watchpoint: the value before and after the event. */
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface TimelineOptions {
  /** What replays the trace (default: the device models). */
  readonly backends?: BackendFactory;
  /**
   * Distance between the timeline's own checkpoints (default 8192 events). It
   * doubles, dropping every other checkpoint, whenever the checkpoints would
   * hold more than `checkpointBytes` of state.
   */
  readonly checkpointEvery?: number;
  /** Most bytes of state the timeline's checkpoints hold together, roughly (default 256 MiB, at least one checkpoint). */
  readonly checkpointBytes?: number;
  /**
   * States known to equal the replay at some event (a trace's recorded
   * checkpoints that a bisect has verified): the best one at or before a
   * target, if any. Seeks start from it when it is closer than the
   * timeline's own checkpoints, which saves a first pass.
   */
  readonly anchor?: (target: number) => { readonly event: number; readonly state: SessionState } | undefined;
}

/** Default budget for a timeline's checkpoints: guest RAM can make each one large. */
const DEFAULT_CHECKPOINT_BYTES = 256 << 20;

export class Timeline {
  readonly length: number;
  readonly backends: BackendFactory;
  /** K: checkpoints[k] is the state after events [0, k*K). */
  private every: number;
  private readonly chunks: ChunkCache;
  /** checkpoints[k] = state after events [0, k*K); filled as the replay first passes them (only [0] is kept, as null, for a backend without state). */
  private checkpoints: (SessionState | null)[] = [];
  /** stateBytes of each checkpoint, and their sum, against the budget. */
  private sizes: number[] = [];
  private bytes = 0;
  private readonly budget: number;
  private be: Backend;
  private pos = 0;

  private readonly anchor: TimelineOptions['anchor'];

  constructor(readonly src: TraceSource, opts: TimelineOptions = {}) {
    this.backends = opts.backends ?? MODELS;
    this.be = this.backends.create();
    this.anchor = opts.anchor;
    this.length = src.eventCount;
    this.every = opts.checkpointEvery ?? 8192;
    this.budget = opts.checkpointBytes ?? DEFAULT_CHECKPOINT_BYTES;
    this.chunks = new ChunkCache(src);
    if (this.be.state) this.keep(this.be.state.snapshot());
    else this.checkpoints.push(null);
  }

  /** Distance in events between the timeline's checkpoints (it doubles when they outgrow their budget). */
  get checkpointEvery(): number {
    return this.every;
  }

  /** Adds the next checkpoint; while they hold more than the budget, drops every other one and doubles K. */
  private keep(state: SessionState): void {
    const n = stateBytes(state);
    this.checkpoints.push(state);
    this.sizes.push(n);
    this.bytes += n;
    while (this.bytes > this.budget && this.checkpoints.length > 1) {
      this.checkpoints = this.checkpoints.filter((_, k) => k % 2 === 0);
      this.sizes = this.sizes.filter((_, k) => k % 2 === 0);
      this.bytes = this.sizes.reduce((a, b) => a + b, 0);
      this.every *= 2;
    }
  }

  get position(): number {
    return this.pos;
  }

  /** Checkpoints built so far (each covers K events). */
  get checkpointCount(): number {
    return this.checkpoints.length;
  }

  /** The backend at the current position (do not run events on it; copy its state with snapshot()). */
  get backend(): Backend {
    return this.be;
  }

  /** The state at the current position with its inspector, for decoding the event at the position; undefined for a backend without state. */
  point(): Point | undefined {
    return pointIn(this.backends, this.be);
  }

  /** Moves to position n (clamped to [0, length]). */
  seek(n: number): void {
    const target = Math.max(0, Math.min(this.length, Math.floor(n)));
    if (target === this.pos) return;
    const K = this.checkpointEvery;
    const nearest = Math.min(Math.floor(target / K), this.checkpoints.length - 1);
    let from = nearest * K;
    const a = this.be.state ? this.anchor?.(target) : undefined;
    if (a && a.event > from && a.event <= target) from = a.event;
    // Going forward within reach of the current position is cheaper than a restore.
    if (!(target > this.pos && this.pos >= from)) {
      const state = from === nearest * K ? this.checkpoints[nearest]! : a!.state;
      if (state && this.be.state) this.be.state.restore(state);
      else this.be = this.backends.create();
      this.pos = from;
    }
    this.advance(target);
  }

  /** Steps by `delta` events (negative: back). */
  step(delta: number): void {
    this.seek(this.pos + delta);
  }

  /** Applies events [pos, target), taking checkpoints as it first passes them. */
  private advance(target: number): void {
    const st = this.be.state;
    while (this.pos < target) {
      let end = target;
      if (st) {
        const K = this.every;
        if (this.pos % K === 0 && this.pos / K === this.checkpoints.length) this.keep(st.snapshot());
        // Stop at the next checkpoint to take (K may have doubled).
        end = Math.min(target, (Math.floor(this.pos / this.every) + 1) * this.every);
      }
      applyEvents(this.be, this.chunks, this.pos, end, false, this.onExecute);
      this.pos = end;
    }
  }

  /** Event i, decoded. */
  event(i: number): TraceEvent {
    return this.chunks.event(i);
  }

  /** The decoded chunk holding event i (the timeline's own cache: reading it costs no second decode). */
  chunkAt(i: number): ChunkView {
    return this.chunks.at(i);
  }

  /**
   * Hears of every event the timeline applies through Backend.execute (not
   * a fast path) from now on: see applyEvents. Search sets it.
   */
  onExecute: ((ev: TraceEvent) => void) | undefined = undefined;

  /** The named view of the state at the current position ({} for a backend without state). */
  view(): Record<string, unknown> {
    const st = this.be.state;
    return st ? this.backends.inspector.view(st.peek()) : {};
  }

  /** One field of the view at the current position ("gic.cpu[1].pmr"). */
  get(path: string | readonly PathStep[]): unknown {
    const steps = typeof path === 'string' ? parsePath(path) : path;
    if (!steps) throw new Error(`not a state path: ${String(path)}`);
    const st = this.be.state;
    return st && this.backends.inspector.get(st.peek(), steps);
  }

  /** State snapshot at the current position. */
  snapshot(): SessionState {
    const st = this.be.state;
    if (!st) throw new Error(`devrr bug: a state snapshot asked of ${this.backends.name}, which cannot give its state`);
    return st.snapshot();
  }

  /**
   * Runs forward from the current position until a breakpoint hits (the
   * position is then just after the hit event) or the end (null).
   * `until` bounds the run to events before it (the position is then
   * `until`), so a caller can run in slices and stay responsive.
   */
  runForward(bps: readonly Breakpoint[], until: number = this.length): Hit | null {
    return this.runForwardUntil(bps, Math.min(Math.max(until, 0), this.length));
  }

  /**
   * Runs backward: the latest hit strictly before the current event (the
   * position then is just after it), or null (position 0). Each checkpoint
   * interval is replayed at most once.
   */
  runBackward(bps: readonly Breakpoint[]): Hit | null {
    const K = this.checkpointEvery;
    const limit = this.pos - 1; // hits must be at events < the current event
    let intervalStart = Math.floor(Math.max(limit - 1, 0) / K) * K;
    while (intervalStart >= 0) {
      const intervalEnd = Math.min(limit, intervalStart + K);
      let last: Hit | null = null;
      this.seek(intervalStart);
      while (this.pos < intervalEnd) {
        const h = this.runForwardUntil(bps, intervalEnd);
        if (!h) break;
        last = h;
      }
      if (last) {
        this.seek(last.event + 1);
        return last;
      }
      if (intervalStart === 0) break;
      intervalStart -= K;
    }
    this.seek(0);
    return null;
  }

  /**
   * The last event before `end` that changed each path's value (absent: not
   * changed since the start). Walks back one checkpoint interval at a time,
   * replaying each interval once and comparing values after every event, and
   * stops as soon as every path is accounted for. Leaves the position anywhere.
   */
  lastChanges(paths: readonly string[], end: number): Map<string, number> {
    const found = new Map<string, number>();
    const steps = new Map<string, PathStep[]>();
    for (const p of paths) {
      const st = parsePath(p);
      if (st) steps.set(p, st);
    }
    const all = [...steps.keys()];
    const K = this.checkpointEvery;
    let start = Math.floor(Math.max(end - 1, 0) / K) * K;
    while (found.size < all.length) {
      const open = all.filter((p) => !found.has(p));
      const stop = Math.min(end, start + K);
      this.seek(start);
      let before = open.map((p) => changeKey(this.get(steps.get(p)!)));
      const inInterval = new Map<string, number>();
      for (let i = start; i < stop; i++) {
        this.seek(i + 1);
        const after = open.map((p) => changeKey(this.get(steps.get(p)!)));
        for (let k = 0; k < after.length; k++) if (after[k] !== before[k]) inInterval.set(open[k]!, i);
        before = after;
      }
      for (const [p, i] of inInterval) found.set(p, i);
      if (start === 0) break;
      start -= K;
    }
    return found;
  }

  /** runForward bounded to events < end. */
  private runForwardUntil(bps: readonly Breakpoint[], end: number): Hit | null {
    const prepared = prepare(bps);
    const before = prepared.watches.map((w) => this.get(w.steps));
    while (this.pos < end) {
      const i = this.pos;
      const ev = this.event(i);
      const at = prepared.events.length ? this.point() : undefined;
      const evHit = prepared.events.find((b) => matches(b.match, ev, at));
      this.seek(i + 1);
      if (evHit) return { event: i, breakpoint: evHit.bp };
      for (let w = 0; w < prepared.watches.length; w++) {
        const after = this.get(prepared.watches[w]!.steps);
        if (!sameValue(after, before[w])) return { event: i, breakpoint: prepared.watches[w]!.bp, before: before[w], after };
        before[w] = after;
      }
    }
    return null;
  }
}

/** Serialises a view value for change detection. */
function changeKey(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)) ?? 'undefined';
}

function prepare(bps: readonly Breakpoint[]) {
  const events: { match: EventMatch; bp: Breakpoint }[] = [];
  const watches: { steps: PathStep[]; bp: Breakpoint }[] = [];
  for (const bp of bps) {
    if (bp.kind === 'event') events.push({ match: bp.match, bp });
    else {
      const steps = parsePath(bp.path);
      if (!steps) throw new Error(`not a state path: ${bp.path}`);
      watches.push({ steps, bp });
    }
  }
  return { events, watches };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'object' && typeof b === 'object' && a && b) return JSON.stringify(a, big) === JSON.stringify(b, big);
  return false;
}

const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v);

/** Does event `ev` (about to run; `where` holds the state just before it) match? */
export function matches(m: EventMatch, ev: TraceEvent, where: PointLike | undefined): boolean {
  if (m.kind !== undefined && ev.kind !== m.kind) return false;
  if (m.vm !== undefined && ev.vm !== m.vm) return false;
  if (m.errno !== undefined) {
    const e = 'errno' in ev ? ev.errno : 0;
    if (m.errno === 'any' ? e === 0 : e !== m.errno) return false;
  }
  if (m.group !== undefined || m.attr !== undefined) {
    if (!('group' in ev)) return false;
    if (m.group !== undefined && ev.group !== m.group) return false;
    if (m.attr !== undefined && ev.attr !== m.attr) return false;
  }
  const at = m.device !== undefined || m.reg !== undefined || m.irq !== undefined ? pointOf(where) : undefined;
  if (m.device !== undefined) {
    if ('target' in ev) {
      if (ev.target.kind !== 'device' || ev.target.handle !== m.device) return false;
    } else if (ev.kind === 'mmio') {
      const f = at?.inspector.mmio(at.state, ev);
      if (!f || f.handle !== m.device) return false;
    } else return false;
  }
  if (m.reg !== undefined) {
    if (ev.kind !== 'mmio') return false;
    const reg = mmioNames(ev, at).reg;
    if (!(reg === m.reg || (reg.startsWith(m.reg) && /^\d/.test(reg.slice(m.reg.length))))) return false;
  }
  if (m.irq !== undefined) {
    if (!at || !at.inspector.interruptEffects(at.state, ev).some((e) => e.irq === m.irq)) return false;
  }
  return true;
}

/** A breakpoint's match in words ("mmio kvm-arm-vgic-v2 GICD_ISENABLER"); `at` names devices and groups. */
export function describeMatch(m: EventMatch, where?: PointLike): string {
  const at = pointOf(where);
  const parts: string[] = [];
  if (m.kind) parts.push(m.kind);
  const vm = m.vm ?? 0;
  if (m.device !== undefined) {
    const name = at?.inspector.deviceName(at.state, vm, m.device);
    parts.push(name ?? `dev ${m.device}`);
    if (m.group !== undefined && name !== undefined) parts.push(at!.inspector.groupName(at!.state, vm, m.device, m.group) ?? `group ${m.group}`);
  } else if (m.group !== undefined) parts.push(`group ${m.group}`);
  if (m.attr !== undefined) parts.push(`attr 0x${m.attr.toString(16)}`);
  if (m.reg) parts.push(m.reg);
  if (m.irq !== undefined) parts.push(`irq ${m.irq}`);
  if (m.errno !== undefined) parts.push(m.errno === 'any' ? 'any errno' : `errno ${m.errno}`);
  return parts.join(' ') || 'any event';
}

export { formatPath };
