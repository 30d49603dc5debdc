/**
 * The lower-left pane: what the current event changed, point A against
 * here, this trace against the other one at the same event, or the report
 * of a long operation (bisect, migrate-check, explain, the replay check),
 * which stays until Esc or another mode. Long lines wrap to the pane.
 */
import { basename } from 'node:path';
import { diffState, type FieldDiff } from '../devices/core/state.js';
import { reach, seekCooperative } from '../replay/async.js';
import { afterEvents, formatField } from '../replay/report.js';
import type { Timeline } from '../replay/timeline.js';
import { wrapLine } from './format.js';
import type { DiffView, TextLine, Tone } from './frame.js';
import type { Report } from './jobs/run-job.js';

export type DiffMode = 'event' | 'mark' | 'against';

/** The second trace of `devrr tui A --against B`. */
export interface OtherTrace {
  readonly tl: Timeline;
  readonly path: string;
}

/** What the pane asks of the session: building the other trace's timeline uses its main job slot. */
export interface DiffHost {
  busy(): boolean;
  runMain(label: string, work: (signal: AbortSignal, progress: (done: number, total: number) => void) => Promise<void>): void;
  say(message: string, tone?: Tone): void;
}

export class DiffPane {
  mode: DiffMode = 'event';
  /** Lines scrolled off the top. */
  scroll = 0;
  /** A long operation's report, shown instead of a diff. */
  report: Report | null = null;
  /** Point A: a position and the view there. */
  mark: { readonly pos: number; readonly view: unknown } | null = null;
  private otherView: { pos: number; view: unknown } | null = null;

  constructor(
    private readonly other: OtherTrace | null,
    private readonly host: DiffHost,
  ) {}

  /** Marks point A and shows A -> here. */
  setMark(pos: number, view: unknown): void {
    this.mark = { pos, view };
    this.mode = 'mark';
    this.report = null;
  }

  /** Shows a report (from the top). */
  showReport(r: Report): void {
    this.report = r;
    this.scroll = 0;
  }

  /** Closes the report shown, if any. */
  closeReport(): boolean {
    if (!this.report) return false;
    this.report = null;
    this.scroll = 0;
    return true;
  }

  /** The next mode: this event, A -> here (with a mark), this -> other (with a second trace). False when there is only one. */
  cycle(): boolean {
    const modes: DiffMode[] = ['event', ...(this.mark ? ['mark' as const] : []), ...(this.other ? ['against' as const] : [])];
    this.report = null;
    this.scroll = 0;
    if (modes.length === 1) {
      this.mode = 'event';
      return false;
    }
    this.mode = modes[(modes.indexOf(this.mode) + 1) % modes.length]!;
    return true;
  }

  /** The mode as the status line names it. */
  label(): string {
    return this.report ? 'report' : this.mode === 'event' ? 'this event' : this.mode === 'mark' ? 'A vs here' : 'vs other trace';
  }

  /**
   * The pane for position `pos`: `fields` are what the current event
   * changed, `after` the view at `pos`; `rows` lines of `columns` (0: no
   * wrapping).
   */
  build(fields: readonly FieldDiff[], after: unknown, pos: number, rows: number, columns: number): DiffView {
    let title: string;
    let lines: TextLine[];
    const o = this.other;
    if (this.report) {
      title = this.report.title;
      lines = [...this.report.lines];
    } else if (this.mode === 'mark' && this.mark) {
      const f = diffState(this.mark.view, after);
      title = `A (${afterEvents(this.mark.pos)}) -> here (${afterEvents(pos)}): ${f.length} field(s)`;
      lines = f.length ? f.map((x) => ({ text: formatField(x) })) : [{ text: 'no differences', tone: 'dim' }];
    } else if (this.mode === 'against' && o && this.otherView?.pos !== Math.min(pos, o.tl.length) && Math.min(pos, o.tl.length) > reach(o.tl)) {
      // The other trace's timeline was not built this far (loading stopped): build it in slices first.
      const name = basename(o.path);
      title = `this -> ${name}`;
      lines = [{ text: `building ${name} up to event ${pos - 1}…`, tone: 'dim' }];
      const at = Math.min(pos, o.tl.length);
      setImmediate(() => {
        if (this.host.busy()) return;
        this.host.runMain(`building ${name}`, async (signal, progress) => {
          if (await seekCooperative(o.tl, at, { signal, onProgress: progress })) return;
          // Stopped: back to this event's diff (d tries again).
          this.mode = 'event';
          this.host.say(`stopped building ${name}`, 'warn');
        });
      });
    } else if (this.mode === 'against' && o) {
      const at = Math.min(pos, o.tl.length);
      if (this.otherView?.pos !== at) {
        o.tl.seek(at);
        this.otherView = { pos: at, view: o.tl.view() };
      }
      const f = diffState(after, this.otherView.view);
      title = `this -> ${basename(o.path)}, both ${afterEvents(at)}: ${f.length} field(s)`;
      lines = f.length ? f.map((x) => ({ text: formatField(x) })) : [{ text: 'no differences', tone: 'dim' }];
    } else {
      title = pos === 0 ? 'this event: none yet' : `event ${pos - 1} changed ${fields.length} field(s)`;
      lines = fields.length ? fields.map((x) => ({ text: formatField(x), tone: 'warn' as const })) : [{ text: pos === 0 ? 'step to see what each event changes' : 'no device state changed', tone: 'dim' }];
    }
    if (columns) lines = lines.flatMap((l) => wrapLine(l.text, columns).map((text) => ({ ...l, text })));
    this.scroll = Math.max(0, Math.min(this.scroll, lines.length - rows));
    return { title, lines: lines.slice(this.scroll, this.scroll + rows), offset: this.scroll, total: lines.length };
  }
}
