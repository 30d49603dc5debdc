/**
 * Time travel over a trace. The timeline keeps a position p in [0, length]:
 * the models' state after events [0, p). "The current event" is p - 1, the
 * one that just ran. Checkpoints (state snapshots of the replay itself)
 * every K events are taken the first time the replay passes them, so
 * seek(n) restores the nearest checkpoint at or before n and replays at most
 * K events; stepping back is a seek.
 *
 * Breakpoints stop on events (kind, device, group/attr, register by name,
 * IRQ number, errno); watchpoints stop where a state field's value changes.
 */
import { findGroup } from '../devices/core/device.js';
import { stateBytes } from '../devices/core/state.js';
import { formatPath, parsePath, type PathStep } from '../devices/core/view.js';
import { resolveSessionPath, sessionView } from '../devices/core/vm-view.js';
import { DEVICE_MODELS } from '../devices/registry.js';
import { Session, type SessionState } from '../recorder/execute.js';
import type { TraceEvent } from '../traces/events.js';
import { mmioNames } from './decode.js';
import { chunkIndexOf, type ChunkView, type TraceSource } from './engine.js';
import { FAST_SKIP, fastMmio } from './fast.js';

/** What an event breakpoint matches; every given field must match. */
export interface EventMatch {
  readonly kind?: TraceEvent['kind'];
  readonly vm?: number;
  /** Device handle of an attribute event, or of the device an MMIO access hits. */
  readonly device?: number;
  readonly group?: number;
  readonly attr?: bigint;
  /** Register by spec name; "GICD_ISENABLER" matches GICD_ISENABLER0, 1, ... */
  readonly reg?: string;
  /** IRQ number: KVM_IRQ_LINE of that INTID, or GICC_IAR/EOIR/DIR values naming it. */
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

/** A few decoded chunks kept around: stepping back and forth re-reads the same ones. */
class ChunkCache {
  private readonly cache = new Map<number, ChunkView>();
  constructor(private readonly src: TraceSource, private readonly size = 8) {}

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
}

/** Default budget for a timeline's checkpoints: guest RAM can make each one large. */
const DEFAULT_CHECKPOINT_BYTES = 256 << 20;

export class Timeline {
  readonly length: number;
  /** K: checkpoints[k] is the state after events [0, k*K). */
  private every: number;
  private readonly chunks: ChunkCache;
  /** checkpoints[k] = state after events [0, k*K); filled as the replay first passes them. */
  private checkpoints: SessionState[] = [];
  /** stateBytes of each checkpoint, and their sum, against the budget. */
  private sizes: number[] = [];
  private bytes = 0;
  private readonly budget: number;
  private session = new Session();
  private pos = 0;

  private readonly anchor: TimelineOptions['anchor'];

  constructor(readonly src: TraceSource, opts: TimelineOptions = {}) {
    this.anchor = opts.anchor;
    this.length = src.eventCount;
    this.every = opts.checkpointEvery ?? 8192;
    this.budget = opts.checkpointBytes ?? DEFAULT_CHECKPOINT_BYTES;
    this.chunks = new ChunkCache(src);
    this.keep(this.session.snapshot());
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

  /** The session at the current position (do not mutate; copy with snapshot()). */
  get current(): Session {
    return this.session;
  }

  /** Moves to position n (clamped to [0, length]). */
  seek(n: number): void {
    const target = Math.max(0, Math.min(this.length, Math.floor(n)));
    if (target === this.pos) return;
    const K = this.checkpointEvery;
    const nearest = Math.min(Math.floor(target / K), this.checkpoints.length - 1);
    let from = nearest * K;
    const a = this.anchor?.(target);
    if (a && a.event > from && a.event <= target) from = a.event;
    // Going forward within reach of the current position is cheaper than a restore.
    if (!(target > this.pos && this.pos >= from)) {
      this.session.restore(from === nearest * K ? this.checkpoints[nearest]! : a!.state);
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
    while (this.pos < target) {
      const k = this.chunkIndex(this.pos);
      const chunk = this.chunks.get(k);
      // The value-column cursor of event pos within its chunk.
      let vi = chunk.valueStart[this.pos - chunk.first]!;
      const end = Math.min(target, chunk.first + chunk.count);
      for (let i = this.pos; i < end; i++) {
        if (i % this.every === 0 && i / this.every === this.checkpoints.length) this.keep(this.session.snapshot());
        const j = i - chunk.first;
        const shape = chunk.shapes[chunk.index[j]!]!;
        let done = false;
        if (shape.kind === 'mmio') {
          const lo = chunk.values[vi]!;
          vi += shape.len === 8 ? 2 : 1;
          done = fastMmio(this.session, shape, lo) !== FAST_SKIP;
        } else if (shape.kind === 'irq_line' && this.session.vms[shape.vm]) {
          this.session.vms[shape.vm]!.irqLine(shape.irq, shape.level);
          done = true;
        }
        if (!done) this.session.execute(chunk.event(j));
        this.pos = i + 1;
      }
    }
  }

  private chunkIndex(i: number): number {
    return chunkIndexOf(this.src.chunks, i);
  }

  /** Event i, decoded. */
  event(i: number): TraceEvent {
    const chunk = this.chunks.get(this.chunkIndex(i));
    return chunk.event(i - chunk.first);
  }

  /** The named view of the state at the current position. */
  view(): Record<string, unknown> {
    return sessionView(this.session.vms.map((v) => v.state), DEVICE_MODELS);
  }

  /** One field of the view at the current position ("gic.cpu[1].pmr"). */
  get(path: string | readonly PathStep[]): unknown {
    const steps = typeof path === 'string' ? parsePath(path) : path;
    if (!steps) throw new Error(`not a state path: ${String(path)}`);
    return resolveSessionPath(this.session.vms.map((v) => v.state), DEVICE_MODELS, steps);
  }

  /** State snapshot at the current position. */
  snapshot(): SessionState {
    return this.session.snapshot();
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
      const evHit = prepared.events.find((b) => matches(b.match, ev, this.session));
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

/** Does event `ev` (about to run in `session`) match? */
export function matches(m: EventMatch, ev: TraceEvent, session: Session): boolean {
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
  if (m.device !== undefined) {
    if ('target' in ev) {
      if (ev.target.kind !== 'device' || ev.target.handle !== m.device) return false;
    } else if (ev.kind === 'mmio') {
      const f = session.vms[ev.vm]?.frameAt(ev.addr, ev.len);
      if (!f || f.handle !== m.device) return false;
    } else return false;
  }
  if (m.reg !== undefined) {
    if (ev.kind !== 'mmio') return false;
    const reg = mmioNames(ev, session).reg;
    if (!(reg === m.reg || (reg.startsWith(m.reg) && /^\d/.test(reg.slice(m.reg.length))))) return false;
  }
  if (m.irq !== undefined) {
    if (ev.kind === 'irq_line') {
      if ((ev.irq & 0xffff) !== m.irq) return false;
    } else if (ev.kind === 'mmio') {
      const reg = mmioNames(ev, session).reg;
      if (!/^GICC_(A?IAR|A?EOIR|DIR)$/.test(reg) || (Number(ev.value) & 0x3ff) !== m.irq) return false;
    } else return false;
  }
  return true;
}

/** "group 1 attr 0x..." style decoding helper for breakpoint labels. */
export function describeMatch(m: EventMatch, session?: Session): string {
  const parts: string[] = [];
  if (m.kind) parts.push(m.kind);
  if (m.device !== undefined) {
    const vm = session?.vms[m.vm ?? 0];
    const name = vm?.state.devices[m.device] ? vm.modelOf(m.device).inodeName : `dev ${m.device}`;
    parts.push(name);
    if (m.group !== undefined && vm?.state.devices[m.device]) parts.push(findGroup(vm.modelOf(m.device), m.group)?.name ?? `group ${m.group}`);
  } else if (m.group !== undefined) parts.push(`group ${m.group}`);
  if (m.attr !== undefined) parts.push(`attr 0x${m.attr.toString(16)}`);
  if (m.reg) parts.push(m.reg);
  if (m.irq !== undefined) parts.push(`irq ${m.irq}`);
  if (m.errno !== undefined) parts.push(m.errno === 'any' ? 'any errno' : `errno ${m.errno}`);
  return parts.join(' ') || 'any event';
}

export { formatPath };
