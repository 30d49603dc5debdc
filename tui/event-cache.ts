/**
 * The session's caches of decoded events and state views, and the
 * decoding that fills them. Each event is decoded with the state just
 * before it (names depend on the VM's layout at that moment), so filling
 * the cache walks the timeline forward; the rows below the current event
 * are decoded on a scratch copy of the state, leaving the timeline where
 * the user is. Work per key stays bounded by what is on screen: decoded
 * rows are cached per event, views per position.
 */
import { type Backend, pointIn } from '../recorder/backend.js';
import type { Point } from '../recorder/inspect.js';
import { claimingFrame, eventToJson } from '../replay/decode.js';
import type { Timeline } from '../replay/timeline.js';
import type { TraceEvent } from '../traces/events.js';
import { type DecodedEvent, detailOf, type MmioTarget, rowText } from './format.js';
import type { EventDetail } from './frame.js';
import type { EventInterrupt } from './interrupts.js';
import { Lru } from './lru.js';

/** One event list row, as decoded. */
export interface CachedRow {
  readonly text: string;
  readonly failed: boolean;
  /** An event breakpoint matched the event when it was decoded (the cache is cleared when breakpoints change). */
  readonly breakpoint: boolean;
}

/** The current event's detail pane and its decoded form. */
export interface CachedDetail {
  readonly detail: EventDetail;
  readonly json: DecodedEvent;
  /** What it did to which interrupts (the interrupts facets). */
  readonly interrupts: readonly EventInterrupt[];
}

export class EventCache {
  private readonly rows = new Lru<number, CachedRow>(4096);
  private readonly views = new Lru<number, unknown>(8);
  private readonly details = new Lru<number, CachedDetail>(64);

  /**
   * `isBreakpoint` says whether an event breakpoint matches an event about
   * to run at a point (the row's `●`).
   */
  constructor(
    private readonly tl: Timeline,
    private readonly isBreakpoint: (ev: TraceEvent, at: Point | undefined) => boolean,
  ) {}

  /** Forgets the decoded rows (their breakpoint marks changed). */
  clearRows(): void {
    this.rows.clear();
  }

  row(i: number): CachedRow | undefined {
    return this.rows.get(i);
  }

  /** Event `i`'s detail, if decoded. */
  detail(i: number): CachedDetail | undefined {
    return this.details.get(i);
  }

  /** The view cached at position p, if any (no replay). */
  cachedView(p: number): unknown {
    return this.views.get(p);
  }

  /** The named view at position p (cached); the timeline is left at p when it had to replay. */
  viewAt(p: number): unknown {
    let v = this.views.get(p);
    if (v === undefined) {
      this.tl.seek(p);
      v = this.tl.view();
      this.views.set(p, v);
    }
    return v;
  }

  private decodeRow(i: number, ev: TraceEvent, at: Point | undefined): { row: CachedRow; json: DecodedEvent } {
    const json = eventToJson(ev, i, at);
    return { row: { text: rowText(json), failed: 'errno' in ev && ev.errno !== 0, breakpoint: this.isBreakpoint(ev, at) }, json };
  }

  /**
   * Decodes exactly (each with the state just before it) the rows from `top`
   * through the current event (pos - 1) that are not cached yet, the current
   * event's detail and the view before it, in one forward pass; leaves the
   * timeline at `pos`.
   */
  prepare(top: number, bottom: number, pos: number): void {
    const cur = pos - 1;
    let s = Infinity;
    for (let i = top; i <= Math.min(cur, bottom); i++) {
      if (!this.rows.has(i)) {
        s = i;
        break;
      }
    }
    if (cur >= 0 && (!this.details.has(cur) || !this.views.has(cur))) s = Math.min(s, cur);
    if (s !== Infinity) {
      this.tl.seek(s);
      for (let i = s; i <= cur; i++) {
        const ev = this.tl.event(i);
        if (!this.rows.has(i) || (i === cur && !this.details.has(cur))) {
          const at = this.tl.point();
          const { row, json } = this.decodeRow(i, ev, at);
          this.rows.set(i, row);
          if (i === cur) this.details.set(cur, { detail: detailOf(cur, json, mmioTarget(ev, at)), json, interrupts: interruptsOf(ev, at) });
        }
        if (i === cur && !this.views.has(cur)) this.views.set(cur, this.tl.view());
        this.tl.seek(i + 1);
      }
    }
    this.tl.seek(pos);
  }

  /**
   * Decodes the rows from `pos` (or `top`) through `bottom`, below the
   * current event, on a scratch copy of the state that runs through them;
   * the timeline stays at `pos`.
   */
  prepareBelow(top: number, bottom: number, pos: number): void {
    const backends = this.tl.backends;
    let scratch: Backend | null = null;
    const at = (): Point | undefined => pointIn(backends, scratch!);
    for (let i = Math.max(pos, top); i <= bottom; i++) {
      const ev = this.tl.event(i);
      if (!this.rows.has(i)) {
        if (!scratch) {
          scratch = backends.create();
          // Without the state capability the scratch copy replays from the start.
          if (scratch.state) scratch.state.restore(this.tl.snapshot());
          for (let j = scratch.state ? pos : 0; j < i; j++) scratch.execute(this.tl.event(j));
        }
        this.rows.set(i, this.decodeRow(i, ev, at()).row);
      }
      scratch?.execute(ev);
    }
  }
}

/** Which device claims an MMIO access made at a point (a vcpu's first access maps the frames first). */
function mmioTarget(ev: TraceEvent, at: Point | undefined): MmioTarget | undefined {
  if (ev.kind !== 'mmio') return undefined;
  const f = claimingFrame(ev, at);
  return f && { handle: f.handle, device: f.device, frame: f.frame };
}

/** What an event about to run at a point does to which interrupts, named by their family. */
function interruptsOf(ev: TraceEvent, at: Point | undefined): EventInterrupt[] {
  if (!at) return [];
  return at.inspector.interruptEffects(at.state, ev).map((e) => {
    const name = at.inspector.interruptName(at.state, ev.vm, e.irq);
    return { irq: e.irq, action: e.action, ...(name !== undefined && { name }) };
  });
}
