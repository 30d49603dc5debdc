/**
 * The session's breakpoints and watchpoints: toggling a breakpoint on the
 * current event's kind (its register, attribute or interrupt line) or a
 * watchpoint on the selected state field, and matching events for the
 * event list's marks. Running to them is the timeline's.
 */
import type { Point } from '../recorder/inspect.js';
import { type Breakpoint, type EventMatch, matches } from '../replay/timeline.js';
import type { TraceEvent } from '../traces/events.js';
import type { DecodedEvent } from './format.js';
import type { Tone } from './frame.js';
import type { EventInterrupt } from './interrupts.js';

const bigintJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));

/** What a toggle did, in words for the status line. */
export interface Said {
  readonly message: string;
  readonly tone: Tone;
}

export class BreakpointList {
  private list: Breakpoint[] = [];

  /** Every breakpoint and watchpoint, in the order set. */
  get all(): readonly Breakpoint[] {
    return this.list;
  }

  get events(): number {
    return this.list.filter((b) => b.kind === 'event').length;
  }

  get watches(): number {
    return this.list.filter((b) => b.kind === 'watch').length;
  }

  /** Paths with a watchpoint. */
  watched(): Set<string> {
    return new Set(this.list.filter((b): b is Extract<Breakpoint, { kind: 'watch' }> => b.kind === 'watch').map((b) => b.path));
  }

  /** Whether an event breakpoint matches `ev`, about to run at `at`. */
  matchesEvent(ev: TraceEvent, at: Point | undefined): boolean {
    return this.list.some((b) => b.kind === 'event' && matches(b.match, ev, at));
  }

  /** Removes them all; says how many there were. */
  clear(): Said {
    const n = this.list.length;
    this.list = [];
    return { message: n ? `cleared ${n} breakpoint(s) and watchpoint(s)` : 'no breakpoints to clear', tone: 'normal' };
  }

  /** Sets or clears the breakpoint on event `ev`'s kind (decoded as `d`; `touched`: the interrupts it raised, lowered, took or ended). */
  toggleEvent(ev: TraceEvent, d: DecodedEvent, touched: readonly EventInterrupt[] = []): Said {
    const { match, label } = breakpointFor(ev, d, touched);
    const key = bigintJson(match);
    const i = this.list.findIndex((b) => b.kind === 'event' && bigintJson(b.match) === key);
    if (i >= 0) {
      this.list.splice(i, 1);
      return { message: `breakpoint cleared: ${label}`, tone: 'normal' };
    }
    this.list.push({ kind: 'event', match, label });
    return { message: `breakpoint set: ${label} (c / C run to the next / previous one)`, tone: 'accent' };
  }

  /** Sets or clears a watchpoint on a state path. */
  toggleWatch(path: string): Said {
    const i = this.list.findIndex((b) => b.kind === 'watch' && b.path === path);
    if (i >= 0) {
      this.list.splice(i, 1);
      return { message: `watchpoint cleared: ${path}`, tone: 'normal' };
    }
    this.list.push({ kind: 'watch', path, label: path });
    return { message: `watching ${path} (c / C run to where it changes next / last)`, tone: 'accent' };
  }
}

/** A breakpoint on the current event's kind: its register, attribute or interrupt line (the interrupt it raised or lowered). */
export function breakpointFor(ev: TraceEvent, d: DecodedEvent, touched: readonly EventInterrupt[] = []): { match: EventMatch; label: string } {
  const vm = ev.vm ? { vm: ev.vm } : {};
  switch (ev.kind) {
    case 'mmio': {
      const reg = String(d.reg ?? '');
      if (reg && !reg.startsWith('?') && !reg.startsWith('unclaimed')) return { match: { kind: 'mmio', reg, ...vm }, label: `mmio ${reg}` };
      return { match: { kind: 'mmio', ...vm }, label: 'mmio (any)' };
    }
    case 'set_attr':
    case 'get_attr':
    case 'has_attr':
      // Group numbers are per device (the label names them by this device's table): the breakpoint is on this device's group.
      return {
        match: { kind: ev.kind, ...(ev.target.kind === 'device' && { device: ev.target.handle }), group: ev.group, attr: ev.attr, ...vm },
        label: `${ev.kind} ${String(d.group_name)} ${String(d.attr_name)}`,
      };
    case 'irq_line': {
      const t = touched[0];
      if (!t) return { match: { kind: 'irq_line', ...vm }, label: 'irq_line (any)' };
      return { match: { kind: 'irq_line', irq: t.irq, ...vm }, label: `irq_line ${t.name ?? `irq ${t.irq}`}` };
    }
    default:
      return { match: { kind: ev.kind, ...vm }, label: ev.kind };
  }
}
