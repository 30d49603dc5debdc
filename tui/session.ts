/**
 * The TUI's debugger session: one trace (and optionally a second one to
 * compare against), a Timeline over it, and everything the screen shows.
 * It turns key records into timeline operations and computes Frames (plain
 * data) for the components. It owns no replay logic: stepping and seeking
 * are the Timeline's, decoding is replay/decode.ts's, diffs are
 * devices/core/state.ts's, long operations run in replay/async.ts slices or
 * as jobs (jobs/run-job.ts) in worker threads.
 *
 * Positions: the timeline's position p is the number of events applied;
 * the current event is p - 1, the one that just ran. The state pane shows
 * the state at p, with the fields event p - 1 changed highlighted. What the
 * screen says names events only: the state at p is "after event p - 1"
 * (replay/report.ts afterEvents), p = 0 "the start".
 *
 * Work per key is bounded by what is on screen: decoded rows are cached per
 * event, views per position, and only the visible rows and open tree
 * branches are built.
 */
import { basename } from 'node:path';
import { diffState, type FieldDiff } from '../devices/core/state.js';
import { buildTimeline, reach, runBackwardCooperative, runForwardCooperative, seekCooperative } from '../replay/async.js';
import { claimingFrame, eventToJson } from '../replay/decode.js';
import { afterEvents, formatField } from '../replay/report.js';
import { type Breakpoint, type EventMatch, matches, Timeline } from '../replay/timeline.js';
import { Session } from '../recorder/execute.js';
import type { TraceEvent } from '../traces/events.js';
import { TraceReader } from '../traces/reader.js';
import { count, type DecodedEvent, detailOf, formatValue, type MmioTarget, rowText, wrapLine } from './format.js';
import type { Debugger, DiffView, EventDetail, EventRow, Frame, JobStatus, PaneSizes, PromptState, StatusInfo, TextLine, Tone, TreeLine } from './frame.js';
import type { JobProgress, JobResult, JobSpec, Report } from './jobs/run-job.js';
import { InlineRunner, type JobHandle, type JobRunner, WorkerRunner } from './jobs/runner.js';
import { type Action, actionFor, type Focus } from './keymap.js';
import type { KeyRecord } from './keys.js';
import { buildTree, MORE } from './tree.js';

export interface DebugSessionOptions {
  /** A second trace of the same workload, for bisect and the "other trace" diff. */
  readonly against?: string;
  /** The timeline's checkpoint interval (default 8192 events: a seek replays at most that many). */
  readonly checkpointEvery?: number;
  /** Where every job runs (default: as `threads` says). */
  readonly runner?: JobRunner;
  /**
   * Where jobs too long to run on the TUI's thread run (default: worker
   * threads kept warm); jobs on traces small enough to take well under
   * 100 ms (INLINE_EVENTS) run on this thread.
   */
  readonly threads?: JobRunner;
  /** Check the trace's replay against the models when started, to place the divergence marker (default true). */
  readonly check?: boolean;
}

type DiffMode = 'event' | 'mark' | 'against';
type PromptKind = 'goto' | 'search' | 'explain';

interface MainJob {
  readonly label: string;
  readonly abort: AbortController;
  done: number;
  total: number;
  readonly started: number;
}

interface WorkerJob {
  readonly label: string;
  readonly handle: JobHandle;
  progress: JobProgress | null;
  readonly started: number;
}

interface Core {
  readonly key: string;
  readonly data: Omit<Frame, 'status' | 'prompt' | 'help' | 'quit'>;
  /** Every tree line (the frame holds the visible ones). */
  readonly treeAll: readonly TreeLine[];
}

interface CachedRow {
  readonly text: string;
  readonly failed: boolean;
  readonly breakpoint: boolean;
}

/** A small map that forgets its oldest entries. */
class Lru<K, V> {
  private readonly m = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  has(k: K): boolean {
    return this.m.has(k);
  }
  set(k: K, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > this.max) this.m.delete(this.m.keys().next().value!);
  }
  clear(): void {
    this.m.clear();
  }
}

/**
 * Up to how many events (of both traces) each kind of job runs on the TUI's
 * own thread with the default runner: about 100 ms of work at most on a
 * busy machine. Measured per event: the replay check some 5 µs, search
 * 30-50 µs, migrate-check about 0.3 ms, bisect (stepping two traces and
 * comparing state digests) 0.5-1 ms, explain about 2 ms. Above, a warm
 * worker thread runs the job while the screen keeps drawing.
 */
export const INLINE_EVENTS: Readonly<Record<JobSpec['kind'], number>> = { check: 20_000, search: 2000, migrate: 300, bisect: 150, explain: 40 };

const bigintJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));

/** The interrupt number a path or a decoded event is about, if any. */
export function irqOf(path: string | null, ev: DecodedEvent | null): number | null {
  const m = path && /irq\[(\d+)\]/.exec(path);
  if (m) return Number(m[1]);
  if (!ev) return null;
  if (ev.kind === 'irq_line') return Number(ev.irq) & 0xffff;
  const f = typeof ev.fields === 'string' ? /\b(?:InterruptID|SGIINTID|INTID)=(0x[0-9a-f]+|\d+)/.exec(ev.fields) : null;
  if (f) {
    const n = Number(f[1]);
    return n < 1020 ? n : null;
  }
  return null;
}

export class DebugSession implements Debugger {
  readonly path: string;
  readonly againstPath: string | null;
  readonly length: number;
  private readonly reader: TraceReader;
  private readonly other: TraceReader | null;
  private readonly tl: Timeline;
  private readonly otl: Timeline | null;
  private readonly runner: JobRunner;
  /** Jobs on small traces run on this thread (no `runner` option). */
  private readonly inlineSmall: boolean;
  /** The runner is the session's own, to close with it. */
  private readonly ownRunner: boolean;
  private readonly inline = new InlineRunner();
  private readonly checkOnStart: boolean;

  private pos = 0;
  private focus: Focus = 'events';
  private diffMode: DiffMode = 'event';
  private helpOpen = false;
  private prompt: { kind: PromptKind; label: string; text: string } | null = null;
  private report: Report | null = null;
  private diffScroll = 0;
  private treeTop = 0;
  private selected: string | null = null;
  private readonly expanded = new Set<string>();
  private readonly collapsed = new Set<string>();
  private readonly seenTop = new Set<string>();
  private breakpoints: Breakpoint[] = [];
  private mark: { pos: number; view: unknown } | null = null;
  private divergence: { event: number; source: 'replay' | 'bisect'; reason: string } | null = null;
  private lastQuery = '';
  private message = 'loading…';
  private messageTone: Tone = 'normal';
  private lastOpMs: number | null = null;
  private quitting = false;
  private started = false;
  private loaded = false;

  private mainJob: MainJob | null = null;
  /** Moves that job results asked for while the timeline was busy: done when it is free. */
  private afterMain: (() => void)[] = [];
  private fgJob: WorkerJob | null = null;
  private bgJob: WorkerJob | null = null;
  private readonly pending = new Set<Promise<unknown>>();

  private readonly listeners = new Set<() => void>();
  private ver = 0;
  private coreVer = 0;
  private core: Core | null = null;
  private lastSizes: PaneSizes | null = null;
  private lastNotify = 0;

  private readonly rows = new Lru<number, CachedRow>(4096);
  private readonly views = new Lru<number, unknown>(8);
  private readonly details = new Lru<number, { detail: EventDetail; json: DecodedEvent }>(64);
  private changes: { pos: number; fields: FieldDiff[] } | null = null;
  private otherView: { pos: number; view: unknown } | null = null;

  /** Opens TRACE (and OTHER); a damaged or unreadable file throws its TraceError. */
  constructor(path: string, opts: DebugSessionOptions = {}) {
    this.path = path;
    this.againstPath = opts.against ?? null;
    this.reader = TraceReader.open(path);
    try {
      this.other = opts.against ? TraceReader.open(opts.against) : null;
    } catch (e) {
      this.reader.close();
      throw e;
    }
    const tlOpts = { checkpointEvery: opts.checkpointEvery ?? 8192 };
    this.tl = new Timeline(this.reader, tlOpts);
    this.otl = this.other ? new Timeline(this.other, tlOpts) : null;
    this.length = this.reader.eventCount;
    this.runner = opts.runner ?? opts.threads ?? new WorkerRunner();
    this.inlineSmall = !opts.runner;
    this.ownRunner = !opts.runner && !opts.threads;
    this.checkOnStart = opts.check ?? true;
  }

  // ---- the Debugger interface ------------------------------------------------

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  version(): number {
    return this.ver;
  }

  /** Starts loading (building the timeline's checkpoints) and the replay check. Call once the screen is up. */
  start(): void {
    if (this.started) return;
    this.started = true;
    // The screen keeps its last picture while the timeline is being built: make sure there is one.
    if (!this.core) this.frame(this.lastSizes ?? { listRows: 10, detailRows: 5, treeRows: 10, diffRows: 5 });
    this.track(this.load());
    if (this.checkOnStart) this.startCheck();
  }

  /** Resolves when no work is running (tests, the bench). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** Stops all work and closes the traces. */
  close(): void {
    if (this.ownRunner) this.runner.close?.();
    this.mainJob?.abort.abort();
    this.fgJob?.handle.cancel();
    this.bgJob?.handle.cancel();
    this.reader.close();
    this.other?.close();
  }

  get position(): number {
    return this.pos;
  }

  frame(sizes: PaneSizes): Frame {
    this.lastSizes = sizes;
    const key = coreKey(this.coreVer, sizes);
    // While work runs on the timeline the screen keeps its last picture (only the status moves).
    if (!this.core || (this.core.key !== key && !this.mainJob)) this.core = this.computeCore(sizes, key);
    const prompt: PromptState | null = this.prompt && { label: this.prompt.label, text: this.prompt.text };
    return { ...this.core.data, status: this.status(), prompt, help: this.helpOpen, quit: this.quitting };
  }

  key(k: KeyRecord): void {
    const t0 = performance.now();
    if (this.prompt) return this.promptKey(k);
    if (this.helpOpen) {
      this.helpOpen = false;
      return this.changed(true);
    }
    const action = actionFor(k, this.focus);
    if (!action) return;
    if (this.mainJob && action.type !== 'cancel' && action.type !== 'quit' && action.type !== 'help') {
      this.say(`busy: ${this.mainJob.label} (Esc stops it)`, 'warn');
      return this.changed(false);
    }
    this.dispatch(action);
    if (this.mainJob || !this.lastSizes) return this.changed(true);
    // Do the frame's work now, so that the time shown covers stepping and decoding.
    this.coreVer++;
    this.core = this.computeCore(this.lastSizes, coreKey(this.coreVer, this.lastSizes));
    if (isMove(action)) this.lastOpMs = performance.now() - t0;
    this.changed(false);
  }

  // ---- actions -----------------------------------------------------------------

  private dispatch(a: Action): void {
    switch (a.type) {
      case 'step':
        return this.goTo(this.pos + a.delta);
      case 'first':
        return this.goTo(0);
      case 'last':
        return this.goTo(this.length);
      case 'goto-prompt':
        return this.openPrompt('goto', `go to event (0-${Math.max(0, this.length - 1)}, +N, -N)`, '');
      case 'run':
        return this.run(a.direction);
      case 'toggle-breakpoint':
        return this.toggleBreakpoint();
      case 'toggle-watch':
        return this.toggleWatch();
      case 'clear-breakpoints': {
        const n = this.breakpoints.length;
        this.breakpoints = [];
        this.rows.clear();
        return this.say(n ? `cleared ${n} breakpoint(s) and watchpoint(s)` : 'no breakpoints to clear');
      }
      case 'search-prompt':
        return this.openPrompt('search', 'search events', this.lastQuery);
      case 'search-again':
        return this.searchAgain(a.direction);
      case 'mark':
        this.mark = { pos: this.pos, view: this.viewAt(this.pos) };
        this.diffMode = 'mark';
        this.report = null;
        return this.say(`marked A ${afterEvents(this.pos)}; the diff pane shows A -> here (d cycles, a goes back to A)`);
      case 'goto-mark':
        if (!this.mark) return this.say('no mark yet: m marks point A', 'warn');
        return this.goTo(this.mark.pos);
      case 'diff-mode':
        return this.cycleDiff();
      case 'divergence':
        if (!this.divergence) return this.say(this.bgJob ? 'the replay check is still running; B bisects' : 'no divergence known: the replay matches; B bisects', 'warn');
        this.goTo(this.divergence.event + 1);
        return this.say(`divergence at event ${this.divergence.event}: ${whyDiverged(this.divergence.reason)} (found by ${this.divergence.source === 'bisect' ? 'bisect' : 'the replay check'})`, 'bad');
      case 'bisect':
        return this.startBisect();
      case 'migrate':
        return this.startMigrate();
      case 'explain-prompt': {
        const cur = this.pos > 0 ? this.details.get(this.pos - 1)?.json ?? null : null;
        const sel = this.selected?.endsWith(MORE) ? this.selected.slice(0, -MORE.length) : this.selected;
        const irq = irqOf(this.focus === 'state' ? sel : null, cur) ?? irqOf(sel, null);
        return this.openPrompt('explain', 'explain interrupt', irq === null ? '' : String(irq));
      }
      case 'focus': {
        const order: Focus[] = ['events', 'state', 'diff'];
        this.focus = order[(order.indexOf(this.focus) + a.direction + order.length) % order.length]!;
        if (this.focus === 'state' && !this.selected) this.selectDefault();
        return;
      }
      case 'tree-move':
        return this.treeMove(a.delta);
      case 'tree-expand':
        return this.treeOpen(true);
      case 'tree-collapse':
        return this.treeOpen(false);
      case 'tree-toggle':
        return this.treeOpen(null);
      case 'scroll':
        this.diffScroll = Math.max(0, this.diffScroll + a.delta);
        return;
      case 'help':
        this.helpOpen = !this.helpOpen;
        return;
      case 'cancel':
        return this.cancel();
      case 'quit':
        this.quitting = true;
        this.mainJob?.abort.abort();
        this.fgJob?.handle.cancel();
        this.bgJob?.handle.cancel();
        return;
    }
  }

  /** Moves to position `target` (clamped); far beyond what is built, in slices. */
  private goTo(target: number): void {
    const to = Math.max(0, Math.min(this.length, Math.floor(target)));
    this.diffScroll = 0;
    if (to <= reach(this.tl) || this.tl.position >= to) {
      this.pos = to;
      return;
    }
    this.runMain(`seeking to event ${to - 1}`, async (signal, progress) => {
      const ok = await seekCooperative(this.tl, to, { signal, onProgress: progress });
      if (ok) {
        this.pos = to;
        this.say(`at event ${to - 1}`);
      } else this.say(`seek stopped ${afterEvents(this.tl.position)}: the timeline is built that far`, 'warn');
    });
  }

  private run(direction: 1 | -1): void {
    if (!this.breakpoints.length) return this.say('no breakpoints: b breaks on the current event\'s kind, w watches the selected state field', 'warn');
    const bps = [...this.breakpoints];
    const from = this.pos;
    this.runMain(direction > 0 ? 'running forward' : 'running back', async (signal, progress) => {
      this.tl.seek(from);
      const opts = { signal, onProgress: progress };
      const out = direction > 0 ? await runForwardCooperative(this.tl, bps, opts) : await runBackwardCooperative(this.tl, bps, opts);
      if (out.status === 'hit') {
        this.pos = this.tl.position;
        const h = out.hit;
        if (h.breakpoint.kind === 'watch') this.say(`watch ${h.breakpoint.path}: ${formatValue(h.before)} -> ${formatValue(h.after)} at event ${h.event}`, 'accent');
        else this.say(`breakpoint (${h.breakpoint.label ?? 'event'}) at event ${h.event}`, 'accent');
      } else if (out.status === 'end') {
        this.pos = this.tl.position;
        this.say(direction > 0 ? 'no breakpoint hit: ran to the end of the trace' : 'no breakpoint hit: ran back to the start', 'warn');
      } else {
        if (direction > 0) this.pos = this.tl.position;
        this.say(direction > 0 ? `run stopped ${afterEvents(this.pos)}` : 'run stopped; back where it started', 'warn');
      }
    });
  }

  private toggleBreakpoint(): void {
    if (this.pos === 0) return this.say('no current event (at the start): n steps to event 0', 'warn');
    const cur = this.pos - 1;
    const d = this.decodedCurrent();
    const ev = this.tl.event(cur);
    const { match, label } = breakpointFor(ev, d);
    const key = bigintJson(match);
    const i = this.breakpoints.findIndex((b) => b.kind === 'event' && bigintJson(b.match) === key);
    this.rows.clear();
    if (i >= 0) {
      this.breakpoints.splice(i, 1);
      return this.say(`breakpoint cleared: ${label}`);
    }
    this.breakpoints.push({ kind: 'event', match, label });
    this.say(`breakpoint set: ${label} (c / C run to the next / previous one)`, 'accent');
  }

  private toggleWatch(): void {
    let path = this.selected;
    if (path?.endsWith(MORE)) path = path.slice(0, -MORE.length);
    if (!path) return this.say('select a state field first (Tab to the state pane, arrows to choose)', 'warn');
    const i = this.breakpoints.findIndex((b) => b.kind === 'watch' && b.path === path);
    if (i >= 0) {
      this.breakpoints.splice(i, 1);
      return this.say(`watchpoint cleared: ${path}`);
    }
    this.breakpoints.push({ kind: 'watch', path, label: path });
    this.say(`watching ${path} (c / C run to where it changes next / last)`, 'accent');
  }

  private searchAgain(direction: 1 | -1): void {
    if (!this.lastQuery) return this.openPrompt('search', 'search events', '');
    const from = direction > 0 ? this.pos : this.pos - 2;
    if (from < 0) return this.say(`no earlier event to search for "${this.lastQuery}"`, 'warn');
    if (from >= this.length) return this.say(`no later event to search for "${this.lastQuery}"`, 'warn');
    this.startSearch(this.lastQuery, from, direction);
  }

  private cycleDiff(): void {
    const modes: DiffMode[] = ['event', ...(this.mark ? ['mark' as const] : []), ...(this.otl ? ['against' as const] : [])];
    this.report = null;
    this.diffScroll = 0;
    if (modes.length === 1) {
      this.diffMode = 'event';
      return this.say('diff: this event only (m marks point A; devrr tui A --against B adds a second trace)', 'warn');
    }
    this.diffMode = modes[(modes.indexOf(this.diffMode) + 1) % modes.length]!;
  }

  private cancel(): void {
    if (this.mainJob) {
      this.mainJob.abort.abort();
      return;
    }
    if (this.fgJob) {
      this.fgJob.handle.cancel();
      return;
    }
    if (this.report) {
      this.report = null;
      this.diffScroll = 0;
      return;
    }
    this.say('');
  }

  // ---- prompts -----------------------------------------------------------------

  private openPrompt(kind: PromptKind, label: string, text: string): void {
    this.prompt = { kind, label, text };
  }

  private promptKey(k: KeyRecord): void {
    const p = this.prompt!;
    if (k.name === 'escape') this.prompt = null;
    else if (k.name === 'backspace') p.text = p.text.slice(0, -1);
    else if (k.name === 'char' && !k.ctrl && !k.meta) p.text += k.char;
    else if (k.name === 'return') {
      this.prompt = null;
      const t0 = performance.now();
      this.submit(p.kind, p.text.trim());
      if (!this.mainJob && this.lastSizes && p.kind === 'goto') {
        this.coreVer++;
        this.core = this.computeCore(this.lastSizes, coreKey(this.coreVer, this.lastSizes));
        this.lastOpMs = performance.now() - t0;
        return this.changed(false);
      }
    }
    this.changed(true);
  }

  private submit(kind: PromptKind, text: string): void {
    if (!text) return;
    if (kind === 'goto') {
      const m = /^([+-]?)(\d+)$/.exec(text.replace(/[#_,]/g, ''));
      if (!m) return this.say(`not an event number: "${text}"`, 'warn');
      const n = Number(m[2]);
      const event = m[1] === '+' ? this.pos - 1 + n : m[1] === '-' ? this.pos - 1 - n : n;
      if (event < 0 || event >= this.length) return this.say(`no event ${event}: the trace has events 0-${this.length - 1}`, 'warn');
      this.goTo(event + 1);
      return this.say('');
    }
    if (kind === 'search') {
      this.lastQuery = text;
      if (this.pos >= this.length) return this.startSearch(text, 0, 1);
      return this.startSearch(text, this.pos, 1);
    }
    const irq = Number(text);
    if (!/^\d+$/.test(text) || irq > 1019) return this.say(`not an interrupt number (0-1019): "${text}"`, 'warn');
    this.startExplain(irq);
  }

  // ---- jobs ------------------------------------------------------------------------

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private runMain(label: string, work: (signal: AbortSignal, progress: (done: number, total: number) => void) => Promise<void>): void {
    const job: MainJob = { label, abort: new AbortController(), done: 0, total: 0, started: performance.now() };
    this.mainJob = job;
    this.changed(false);
    const p = (async () => {
      try {
        await work(job.abort.signal, (done, total) => {
          job.done = done;
          job.total = total;
          this.changed(false, true);
        });
      } catch (e) {
        this.say(`${label}: internal error (a bug in devrr): ${(e as Error).message}`, 'bad');
      } finally {
        this.mainJob = null;
        for (const f of this.afterMain.splice(0)) f();
        this.changed(true);
      }
    })();
    this.track(p);
  }

  /** Runs `f` now, or when the timeline's current work ends. */
  private whenFree(f: () => void): void {
    if (this.mainJob) this.afterMain.push(f);
    else f();
  }

  private async load(): Promise<void> {
    const t0 = performance.now();
    await new Promise<void>((resolve) =>
      this.runMain('loading', async (signal, progress) => {
        try {
          const total = this.length + (this.other?.eventCount ?? 0);
          const ok = await buildTimeline(this.tl, { signal, onProgress: (d) => progress(d, total) });
          const ok2 = ok && this.otl ? await buildTimeline(this.otl, { signal, onProgress: (d) => progress(this.length + d, total) }) : ok;
          this.loaded = ok && ok2;
          const ms = performance.now() - t0;
          const damaged = [this.reader, this.other].filter((r): r is TraceReader => r !== null && !r.complete);
          if (damaged.length) this.say(damaged.map((r) => `note: ${basename(r.path)} was not closed cleanly: read ${count(r.eventCount)} events from its complete records${r.damage ? `; stopped at ${r.damage.message}` : ''}`).join('; '), 'warn');
          else if (this.loaded) this.say(`loaded ${count(this.length)} events${this.other ? ` (and ${count(this.other.eventCount)} of ${basename(this.other.path)})` : ''} in ${ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`} · ? shows the keys`);
          else this.say('loading stopped: far seeks build the rest as needed', 'warn');
        } finally {
          resolve();
        }
      }),
    );
  }

  private startWorker(slot: 'fg' | 'bg', label: string, spec: JobSpec, done: (r: JobResult) => void): void {
    if (slot === 'fg' && this.fgJob) return this.say(`busy: ${this.fgJob.label} (Esc cancels it)`, 'warn');
    const job: WorkerJob = {
      label,
      progress: null,
      started: performance.now(),
      handle: this.runnerFor(spec).start(spec, (p) => {
        job.progress = p;
        this.changed(false, true);
      }),
    };
    if (slot === 'fg') this.fgJob = job;
    else this.bgJob = job;
    this.changed(false);
    const p = job.handle.outcome.then((o) => {
      if (slot === 'fg') this.fgJob = null;
      else this.bgJob = null;
      if (o.status === 'done') done(o.result);
      else if (o.status === 'cancelled') {
        if (slot === 'fg') this.say(`${label} cancelled`, 'warn');
      } else this.say(`${label}: ${o.message}`, 'bad');
      this.changed(true);
    });
    this.track(p);
  }

  /**
   * A job on a small trace runs on this thread: sending it to a thread costs
   * more than it does, and the screen does not miss a frame.
   */
  private runnerFor(spec: JobSpec): JobRunner {
    const events = this.length + (spec.kind === 'bisect' && spec.against ? (this.other?.eventCount ?? 0) : 0);
    return this.inlineSmall && events <= INLINE_EVENTS[spec.kind] ? this.inline : this.runner;
  }

  private startCheck(): void {
    this.startWorker('bg', 'replay check', { kind: 'check', path: this.path }, (r) => {
      if (r.kind !== 'check') return;
      if (r.divergence && !(this.divergence?.source === 'bisect')) {
        this.divergence = { event: r.divergence.event, source: 'replay', reason: r.divergence.reason };
        if (!this.report && r.report) this.report = r.report;
        this.say(`the replay diverges at event ${r.divergence.event}: ${whyDiverged(r.divergence.reason)} (D jumps there)`, 'bad');
      }
    });
  }

  private startBisect(): void {
    const spec: JobSpec = this.againstPath ? { kind: 'bisect', path: this.path, against: this.againstPath } : { kind: 'bisect', path: this.path };
    this.startWorker('fg', this.againstPath ? `bisect against ${basename(this.againstPath)}` : 'bisect against the models', spec, (r) => {
      if (r.kind !== 'bisect') return;
      this.report = r.report;
      this.diffScroll = 0;
      if (r.event === null) return this.say('bisect: no divergence', 'good');
      const event = r.event;
      this.divergence = { event, source: 'bisect', reason: r.reason ?? '' };
      this.whenFree(() => {
        this.goTo(event + 1);
        this.say(`bisect: first divergence at event ${event}: ${whyDiverged(r.reason ?? '')}`, 'bad');
      });
    });
  }

  private startMigrate(): void {
    const at = this.pos;
    this.startWorker('fg', `migrate-check ${afterEvents(at)}`, { kind: 'migrate', path: this.path, at }, (r) => {
      if (r.kind !== 'migrate') return;
      this.report = r.report;
      this.diffScroll = 0;
      this.say(r.report.title, r.failures ? 'bad' : 'good');
    });
  }

  private startExplain(irq: number): void {
    const at = this.pos;
    this.startWorker('fg', `explain irq ${irq}`, { kind: 'explain', path: this.path, irq, at }, (r) => {
      if (r.kind !== 'explain') return;
      this.report = r.report;
      this.diffScroll = 0;
      this.say(r.deliverableTo.length ? `irq ${irq} is deliverable to vcpu ${r.deliverableTo.join(', ')}` : `irq ${irq} is not deliverable: ${r.blocking.join('; ')}`, r.deliverableTo.length ? 'good' : 'bad');
    });
  }

  private startSearch(query: string, from: number, direction: 1 | -1): void {
    this.startWorker('fg', `search "${query}"`, { kind: 'search', path: this.path, query, from, direction }, (r) => {
      if (r.kind !== 'search') return;
      if (!r.match) return this.say(`"${query}": no match ${direction > 0 ? `from event ${from} on` : `at or before event ${from}`}`, 'warn');
      const event = r.match.event;
      this.whenFree(() => {
        this.goTo(event + 1);
        this.say(`"${query}" at event ${event} (. next, , previous)`, 'accent');
      });
    });
  }

  // ---- the frame -------------------------------------------------------------------

  private say(message: string, tone: Tone = 'normal'): void {
    this.message = message;
    this.messageTone = tone;
  }

  /** Tells the screen; progress-only changes are limited to about 10 a second. */
  private changed(core: boolean, progressOnly = false): void {
    if (core) this.coreVer++;
    const now = performance.now();
    if (progressOnly && now - this.lastNotify < 100) return;
    this.lastNotify = now;
    this.ver++;
    for (const l of [...this.listeners]) l();
  }

  private jobStatus(j: MainJob | WorkerJob | null, cancellable: boolean): JobStatus | null {
    if (!j) return null;
    const secs = ((performance.now() - j.started) / 1000).toFixed(1);
    if ('abort' in j) {
      const fraction = j.total > 0 ? Math.min(1, j.done / j.total) : null;
      return { label: j.label, fraction, detail: `${j.total ? `${count(j.done)} / ${count(j.total)} events · ` : ''}${secs} s`, cancellable };
    }
    const p = j.progress;
    const fraction = p ? Math.min(0.99, p.done / p.total) : null;
    return { label: j.label, fraction, detail: `${p ? `${p.phase} · ` : ''}${secs} s`, cancellable };
  }

  private status(): StatusInfo {
    const job = this.mainJob ?? this.fgJob;
    return {
      position: this.pos,
      length: this.length,
      mode: job ? job.label : 'step',
      focus: this.focus,
      diffMode: this.report ? 'report' : this.diffMode === 'event' ? 'this event' : this.diffMode === 'mark' ? 'A vs here' : 'vs other trace',
      breakpoints: this.breakpoints.filter((b) => b.kind === 'event').length,
      watches: this.breakpoints.filter((b) => b.kind === 'watch').length,
      lastOpMs: this.lastOpMs,
      message: this.message,
      messageTone: this.messageTone,
      job: this.jobStatus(job, true),
      background: this.jobStatus(this.bgJob, false),
    };
  }

  /** The current event's decoded form (cached by the frame). */
  private decodedCurrent(): DecodedEvent {
    const cur = this.pos - 1;
    const hit = this.details.get(cur);
    if (hit) return hit.json;
    this.tl.seek(cur);
    const json = eventToJson(this.tl.event(cur), cur, this.tl.current);
    this.tl.seek(this.pos);
    return json;
  }

  /** The named view at position p (cached). */
  private viewAt(p: number): unknown {
    let v = this.views.get(p);
    if (v === undefined) {
      this.tl.seek(p);
      v = this.tl.view();
      this.views.set(p, v);
    }
    return v;
  }

  private decodeRow(i: number, ev: TraceEvent, session: Session): { row: CachedRow; json: DecodedEvent } {
    const json = eventToJson(ev, i, session);
    const bp = this.breakpoints.some((b) => b.kind === 'event' && matches(b.match, ev, session));
    return { row: { text: rowText(json), failed: 'errno' in ev && ev.errno !== 0, breakpoint: bp }, json };
  }

  /**
   * Decodes exactly (each with the state just before it) the rows from `top`
   * through the current event that are not cached yet, the current event's
   * detail and the view before it, in one forward pass; leaves the timeline
   * at the current position.
   */
  private prepare(top: number, bottom: number): void {
    const cur = this.pos - 1;
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
          const { row, json } = this.decodeRow(i, ev, this.tl.current);
          this.rows.set(i, row);
          if (i === cur) this.details.set(cur, { detail: detailOf(cur, json, mmioTarget(ev, this.tl.current)), json });
        }
        if (i === cur && !this.views.has(cur)) this.views.set(cur, this.tl.view());
        this.tl.seek(i + 1);
      }
    }
    this.tl.seek(this.pos);
  }

  private computeCore(sizes: PaneSizes, key: string): Core {
    const n = this.length;
    const p = this.pos;
    const cur = p - 1;
    const h = Math.max(1, sizes.listRows);
    const top = n <= h ? 0 : Math.max(0, Math.min(cur - Math.floor(h / 2), n - h));
    const bottom = Math.min(n, top + h) - 1;
    this.prepare(top, bottom);
    // Taken now, before anything else can push them out of their caches.
    const before = cur >= 0 ? this.views.get(cur) : undefined;
    const current = cur >= 0 ? this.details.get(cur)!.detail : undefined;

    // Rows below the current event: decoded on a scratch copy of the state that runs through them.
    let scratch: Session | null = null;
    for (let i = Math.max(p, top); i <= bottom; i++) {
      const ev = this.tl.event(i);
      if (!this.rows.has(i)) {
        if (!scratch) {
          scratch = new Session();
          scratch.restore(this.tl.snapshot());
          for (let j = p; j < i; j++) scratch.execute(this.tl.event(j));
        }
        this.rows.set(i, this.decodeRow(i, ev, scratch).row);
      }
      scratch?.execute(ev);
    }

    const K = this.tl.checkpointEvery;
    const built = this.tl.checkpointCount;
    const rows: EventRow[] = [];
    for (let i = top; i <= bottom; i++) {
      const r = this.rows.get(i)!;
      rows.push({
        index: i,
        text: r.text,
        current: i === cur,
        breakpoint: r.breakpoint,
        divergence: this.divergence?.event === i,
        mark: this.mark !== null && this.mark.pos - 1 === i,
        checkpoint: i % K === 0 && i / K < built,
        failed: r.failed,
      });
    }

    // The current event and what it changed.
    const after = this.viewAt(p);
    let detail: EventDetail;
    let fields: FieldDiff[] = [];
    if (current) {
      detail = current;
      if (this.changes?.pos !== p) this.changes = { pos: p, fields: diffState(before, after) };
      fields = this.changes.fields;
    } else {
      detail = n ? { title: 'the start: no event has run yet', lines: [{ label: '', text: `n (or ↓) runs event 0; g goes to any of ${count(n)} events`, tone: 'dim' }] } : { title: 'an empty trace', lines: [] };
    }

    // The state tree; its top level starts open.
    for (const k of Object.keys(after as object)) {
      if (this.seenTop.has(k)) continue;
      this.seenTop.add(k);
      this.expanded.add(k);
    }
    const changed = new Map(fields.map((f) => [f.path, { a: f.a, b: f.b }] as const));
    const watched = new Set(this.breakpoints.filter((b): b is Extract<Breakpoint, { kind: 'watch' }> => b.kind === 'watch').map((b) => b.path));
    const selected = this.focus === 'state' ? this.selected : null;
    let treeAll = buildTree({ view: after, changed, expanded: this.expanded, collapsed: this.collapsed, watched, selected });
    if (this.focus === 'state' && this.selected && !treeAll.some((l) => l.selected)) {
      // The selection went out of sight (a branch closed automatically): select its nearest shown ancestor.
      const shown = new Set(treeAll.map((l) => l.path));
      let sel: string | null = this.selected;
      while (sel && !shown.has(sel)) sel = parentPath(sel);
      this.selected = sel ?? treeAll[0]?.path ?? null;
      treeAll = treeAll.map((l) => ({ ...l, selected: l.path === this.selected }));
    }
    const rowsT = Math.max(1, sizes.treeRows);
    const selIdx = treeAll.findIndex((l) => l.selected);
    if (selIdx >= 0) {
      if (selIdx < this.treeTop) this.treeTop = selIdx;
      if (selIdx >= this.treeTop + rowsT) this.treeTop = selIdx - rowsT + 1;
    } else {
      const first = treeAll.findIndex((l) => l.changed);
      if (first >= 0 && (first < this.treeTop || first >= this.treeTop + rowsT)) this.treeTop = Math.max(0, first - 2);
    }
    this.treeTop = Math.max(0, Math.min(this.treeTop, treeAll.length - rowsT));
    const tree = treeAll.slice(this.treeTop, this.treeTop + rowsT);

    const diff = this.diffView(fields, after, Math.max(1, sizes.diffRows), sizes.diffColumns ?? 0);
    const checkpoints: number[] = [];
    for (let k = 0; k < built; k++) checkpoints.push(k * K);
    return {
      key,
      treeAll,
      data: {
        file: basename(this.path),
        against: this.againstPath && basename(this.againstPath),
        overview: { length: n, position: p, mark: this.mark?.pos ?? null, divergence: this.divergence?.event ?? null, checkpoints },
        rows,
        rowsTop: top,
        detail,
        tree,
        treeTop: this.treeTop,
        treeTotal: treeAll.length,
        diff,
      },
    };
  }

  private diffView(fields: readonly FieldDiff[], after: unknown, rows: number, columns: number): DiffView {
    let title: string;
    let lines: TextLine[];
    if (this.report) {
      title = this.report.title;
      lines = [...this.report.lines];
    } else if (this.diffMode === 'mark' && this.mark) {
      const f = diffState(this.mark.view, after);
      title = `A (${afterEvents(this.mark.pos)}) -> here (${afterEvents(this.pos)}): ${f.length} field(s)`;
      lines = f.length ? f.map((x) => ({ text: formatField(x) })) : [{ text: 'no differences', tone: 'dim' }];
    } else if (this.diffMode === 'against' && this.otl && this.otherView?.pos !== Math.min(this.pos, this.otl.length) && Math.min(this.pos, this.otl.length) > reach(this.otl)) {
      // The other trace's timeline was not built this far (loading stopped): build it in slices first.
      title = `this -> ${basename(this.againstPath!)}`;
      lines = [{ text: `building ${basename(this.againstPath!)} up to event ${this.pos - 1}…`, tone: 'dim' }];
      const otl = this.otl;
      const at = Math.min(this.pos, otl.length);
      setImmediate(() => {
        if (this.mainJob) return;
        this.runMain(`building ${basename(this.againstPath!)}`, async (signal, progress) => {
          if (await seekCooperative(otl, at, { signal, onProgress: progress })) return;
          // Stopped: back to this event's diff (d tries again).
          this.diffMode = 'event';
          this.say(`stopped building ${basename(this.againstPath!)}`, 'warn');
        });
      });
    } else if (this.diffMode === 'against' && this.otl) {
      const at = Math.min(this.pos, this.otl.length);
      if (this.otherView?.pos !== at) {
        this.otl.seek(at);
        this.otherView = { pos: at, view: this.otl.view() };
      }
      const f = diffState(after, this.otherView.view);
      title = `this -> ${basename(this.againstPath!)}, both ${afterEvents(at)}: ${f.length} field(s)`;
      lines = f.length ? f.map((x) => ({ text: formatField(x) })) : [{ text: 'no differences', tone: 'dim' }];
    } else {
      title = this.pos === 0 ? 'this event: none yet' : `event ${this.pos - 1} changed ${fields.length} field(s)`;
      lines = fields.length ? fields.map((x) => ({ text: formatField(x), tone: 'warn' as const })) : [{ text: this.pos === 0 ? 'step to see what each event changes' : 'no device state changed', tone: 'dim' }];
    }
    if (columns) lines = lines.flatMap((l) => wrapLine(l.text, columns).map((text) => ({ ...l, text })));
    this.diffScroll = Math.max(0, Math.min(this.diffScroll, lines.length - rows));
    return { title, lines: lines.slice(this.diffScroll, this.diffScroll + rows), offset: this.diffScroll, total: lines.length };
  }

  // ---- the state tree ------------------------------------------------------------------

  private treeLines(): readonly TreeLine[] {
    if (!this.core && this.lastSizes) this.core = this.computeCore(this.lastSizes, 'tree');
    return this.core?.treeAll ?? [];
  }

  private selectDefault(): void {
    const lines = this.treeLines();
    this.selected = (lines.find((l) => l.changed) ?? lines[0])?.path ?? null;
  }

  private treeMove(delta: number): void {
    const lines = this.treeLines();
    if (!lines.length) return;
    const i = Math.max(0, lines.findIndex((l) => l.path === this.selected));
    this.selected = lines[Math.max(0, Math.min(lines.length - 1, i + delta))]!.path;
  }

  /** open: true expands, false collapses, null toggles the selected branch. */
  private treeOpen(open: boolean | null): void {
    const lines = this.treeLines();
    const line = lines.find((l) => l.path === this.selected);
    if (!line) return this.selectDefault();
    if (line.kind === 'more') {
      const parent = line.path.slice(0, -MORE.length);
      this.expanded.add(parent);
      this.collapsed.delete(parent);
      return;
    }
    if (line.kind === 'leaf') {
      if (open === false) this.selectParent(line.path);
      return;
    }
    const want = open ?? !line.expanded;
    if (want) {
      if (line.expanded && open === true) {
        // Already open: move into it.
        const i = lines.indexOf(line);
        if (lines[i + 1] && lines[i + 1]!.depth > line.depth) this.selected = lines[i + 1]!.path;
        this.expanded.add(line.path);
        this.collapsed.delete(line.path);
        return;
      }
      this.expanded.add(line.path);
      this.collapsed.delete(line.path);
    } else if (line.expanded) {
      this.expanded.delete(line.path);
      this.collapsed.add(line.path);
    } else this.selectParent(line.path);
  }

  private selectParent(path: string): void {
    const parent = parentPath(path);
    if (parent) this.selected = parent;
  }
}

/** Why an event diverges, in a few words, from the reason bisect and replay give. */
function whyDiverged(reason: string): string {
  if (reason === 'result') return 'its replayed result differs from the recorded one';
  if (reason === 'input') return 'the traces record different events';
  return 'the device state after it differs';
}

/** What a computed frame depends on besides the session: the version and the pane sizes. */
function coreKey(version: number, s: PaneSizes): string {
  return `${version}|${s.listRows},${s.detailRows},${s.treeRows},${s.diffRows},${s.diffColumns ?? 0}`;
}

function parentPath(path: string): string | null {
  const i = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return i > 0 ? path.slice(0, i) : null;
}

function isMove(a: Action): boolean {
  return a.type === 'step' || a.type === 'first' || a.type === 'last' || a.type === 'goto-mark' || a.type === 'divergence';
}

/** Which device claims an MMIO access made with the state `session` (a vcpu's first access maps the frames first). */
function mmioTarget(ev: TraceEvent, session: Session): MmioTarget | undefined {
  if (ev.kind !== 'mmio') return undefined;
  const f = claimingFrame(ev, session)?.frame;
  return f && { handle: f.handle, device: f.model.inodeName, frame: f.frame.name };
}

/** A breakpoint on the current event's kind: its register, attribute or interrupt line. */
export function breakpointFor(ev: TraceEvent, d: DecodedEvent): { match: EventMatch; label: string } {
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
      return { match: { kind: ev.kind, group: ev.group, attr: ev.attr, ...vm }, label: `${ev.kind} ${String(d.group_name)} ${String(d.attr_name)}` };
    case 'irq_line':
      return { match: { kind: 'irq_line', irq: ev.irq & 0xffff, ...vm }, label: `irq_line ${String(d.irq_name).replace(/ vcpu \d+$/, '')}` };
    default:
      return { match: { kind: ev.kind, ...vm }, label: ev.kind };
  }
}
