/**
 * The TUI's debugger session: one trace (and optionally a second one to
 * compare against), a Timeline over it, and everything the screen shows.
 * It turns key records into actions on the timeline and the panes, and
 * hands the screen Frames (plain data). It owns no replay logic: stepping
 * and seeking are the Timeline's, decoding is replay/decode.ts's, long
 * operations run in replay/async.ts slices or as jobs (jobs/run-job.ts).
 *
 * The parts, one concern each: event-cache.ts (decoded rows and views, a
 * scratch replay for the rows below), frame-builder.ts (a frame from
 * them), tree-nav.ts (the state pane's navigation), diff-view.ts (the diff
 * pane), job-slots.ts (the three job slots), prompt.ts (the prompts),
 * breakpoints.ts and interrupts.ts (what a breakpoint or an explain is
 * about).
 *
 * Positions: the timeline's position p is the number of events applied;
 * the current event is p - 1, the one that just ran. The state pane shows
 * the state at p, with the fields event p - 1 changed highlighted. What the
 * screen says names events only: the state at p is "after event p - 1"
 * (replay/report.ts afterEvents), p = 0 "the start".
 */
import { basename } from 'node:path';
import type { InterruptRange } from '../devices/core/device.js';
import type { BackendFactory } from '../recorder/backend.js';
import { MODELS } from '../recorder/execute.js';
import { buildTimeline, reach, runBackwardCooperative, runForwardCooperative, searchCooperative, seekCooperative } from '../replay/async.js';
import { afterEvents } from '../replay/report.js';
import { Timeline } from '../replay/timeline.js';
import type { TraceReader } from '../traces/reader.js';
import { openTrace } from '../replay/open-trace.js';
import { BreakpointList } from './breakpoints.js';
import { DiffPane } from './diff-view.js';
import { EventCache } from './event-cache.js';
import { count, formatValue } from './format.js';
import type { Debugger, Frame, PaneSizes, StatusInfo, Tone, TreeLine } from './frame.js';
import { type Core, coreKey, FrameBuilder } from './frame-builder.js';
import { irqOf, parseInterrupt } from './interrupts.js';
import type { JobSpec } from './jobs/run-job.js';
import { InlineRunner, type JobRunner, WorkerRunner } from './jobs/runner.js';
import { JobSlots } from './job-slots.js';
import { type Action, actionFor, type Focus } from './keymap.js';
import type { KeyRecord } from './keys.js';
import { parseGoto, Prompt, type PromptKind } from './prompt.js';
import { TreeNav } from './tree-nav.js';

export interface DebugSessionOptions {
  /**
   * What replays the traces and how their state is read (default: the
   * device models). Jobs run on worker threads only with the default (a
   * thread makes its own models); with another factory they run on this
   * thread unless `runner` says otherwise.
   */
  readonly backends?: BackendFactory;
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

/**
 * Up to how many events (of both traces) each kind of job runs on the TUI's
 * own thread with the default runner: about 100 ms of work at most on a
 * busy machine. Measured per event: the replay check some 5 µs, a search
 * job (jobs/run-job.ts; the session itself searches on its own timeline, in
 * slices) well under 1 µs, migrate-check about 0.3 ms, bisect (stepping two traces and
 * comparing state digests) 0.5-1 ms, explain about 2 ms. Above, a warm
 * worker thread runs the job while the screen keeps drawing.
 */
export const INLINE_EVENTS: Readonly<Record<JobSpec['kind'], number>> = { check: 20_000, search: 2000, migrate: 300, bisect: 150, explain: 40 };

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
  private readonly inline: InlineRunner;
  private readonly checkOnStart: boolean;

  private readonly jobs: JobSlots;
  private readonly cache: EventCache;
  private readonly nav = new TreeNav();
  private readonly diff: DiffPane;
  private readonly prompt = new Prompt();
  private readonly breakpoints = new BreakpointList();
  private readonly builder: FrameBuilder;

  private pos = 0;
  private focus: Focus = 'events';
  private helpOpen = false;
  private divergence: { event: number; source: 'replay' | 'bisect'; reason: string } | null = null;
  private lastQuery = '';
  private message = 'loading…';
  private messageTone: Tone = 'normal';
  private lastOpMs: number | null = null;
  private quitting = false;
  private started = false;
  private loaded = false;

  private readonly listeners = new Set<() => void>();
  private ver = 0;
  private coreVer = 0;
  private core: Core | null = null;
  private lastSizes: PaneSizes | null = null;
  private lastNotify = 0;

  /** Opens TRACE (and OTHER); a damaged or unreadable file throws its TraceError. */
  constructor(path: string, opts: DebugSessionOptions = {}) {
    this.path = path;
    this.againstPath = opts.against ?? null;
    const backends = opts.backends ?? MODELS;
    this.reader = openTrace(path, backends);
    try {
      this.other = opts.against ? openTrace(opts.against, backends) : null;
    } catch (e) {
      this.reader.close();
      throw e;
    }
    const tlOpts = { checkpointEvery: opts.checkpointEvery ?? 8192, backends };
    this.tl = new Timeline(this.reader, tlOpts);
    this.otl = this.other ? new Timeline(this.other, tlOpts) : null;
    this.length = this.reader.eventCount;
    this.inline = new InlineRunner(backends);
    this.runner = opts.runner ?? opts.threads ?? (backends === MODELS ? new WorkerRunner() : this.inline);
    this.inlineSmall = !opts.runner;
    this.ownRunner = !opts.runner && !opts.threads && this.runner !== this.inline;
    this.checkOnStart = opts.check ?? true;

    this.jobs = new JobSlots({ changed: (core, progressOnly) => this.changed(core, progressOnly), say: (m, t) => this.say(m, t) });
    this.cache = new EventCache(this.tl, (ev, at) => this.breakpoints.matchesEvent(ev, at));
    this.diff = new DiffPane(this.otl && { tl: this.otl, path: this.againstPath! }, {
      busy: () => this.jobs.main !== null,
      runMain: (label, work) => this.jobs.runMain(label, work),
      say: (m, t) => this.say(m, t),
    });
    this.builder = new FrameBuilder({ path: this.path, againstPath: this.againstPath, tl: this.tl, cache: this.cache, tree: this.nav, diff: this.diff });
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
    this.jobs.track(this.load());
    if (this.checkOnStart) this.startCheck();
  }

  /** Resolves when no work is running (tests, the bench). */
  idle(): Promise<void> {
    return this.jobs.idle();
  }

  /** Stops all work and closes the traces. */
  close(): void {
    if (this.ownRunner) this.runner.close?.();
    this.jobs.cancelAll();
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
    if (!this.core || (this.core.key !== key && !this.jobs.main)) this.core = this.computeCore(sizes, key);
    return { ...this.core.data, status: this.status(), prompt: this.prompt.state(), help: this.helpOpen, quit: this.quitting };
  }

  key(k: KeyRecord): void {
    const t0 = performance.now();
    if (this.prompt.isOpen) return this.promptKey(k);
    if (this.helpOpen) {
      this.helpOpen = false;
      return this.changed(true);
    }
    const action = actionFor(k, this.focus);
    if (!action) return;
    if (this.jobs.main && action.type !== 'cancel' && action.type !== 'quit' && action.type !== 'help') {
      this.say(`busy: ${this.jobs.main.label} (Esc stops it)`, 'warn');
      return this.changed(false);
    }
    this.dispatch(action);
    if (this.jobs.main || !this.lastSizes) return this.changed(true);
    // Do the frame's work now, so that the time shown covers stepping and decoding.
    this.recompute();
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
        return this.prompt.open('goto', `go to event (0-${Math.max(0, this.length - 1)}, +N, -N)`, '');
      case 'run':
        return this.run(a.direction);
      case 'toggle-breakpoint':
        return this.toggleBreakpoint();
      case 'toggle-watch':
        return this.toggleWatch();
      case 'clear-breakpoints':
        this.cache.clearRows();
        return this.tell(this.breakpoints.clear());
      case 'search-prompt':
        return this.prompt.open('search', 'search events', this.lastQuery);
      case 'search-again':
        return this.searchAgain(a.direction);
      case 'mark':
        this.diff.setMark(this.pos, this.cache.viewAt(this.pos));
        return this.say(`marked A ${afterEvents(this.pos)}; the diff pane shows A -> here (d cycles, a goes back to A)`);
      case 'goto-mark':
        if (!this.diff.mark) return this.say('no mark yet: m marks point A', 'warn');
        return this.goTo(this.diff.mark.pos);
      case 'diff-mode':
        if (!this.diff.cycle()) this.say('diff: this event only (m marks point A; devrr tui A --against B adds a second trace)', 'warn');
        return;
      case 'divergence':
        if (!this.divergence) return this.say(this.jobs.bg ? 'the replay check is still running; B bisects' : 'no divergence known: the replay matches; B bisects', 'warn');
        this.goTo(this.divergence.event + 1);
        return this.say(`divergence at event ${this.divergence.event}: ${whyDiverged(this.divergence.reason)} (found by ${this.divergence.source === 'bisect' ? 'bisect' : 'the replay check'})`, 'bad');
      case 'bisect':
        return this.startBisect();
      case 'migrate':
        return this.startMigrate();
      case 'explain-prompt': {
        const touched = this.pos > 0 ? this.cache.detail(this.pos - 1)?.interrupts ?? [] : [];
        const sel = this.nav.selectedField();
        const ranges = this.interruptRanges();
        const irq = irqOf(this.focus === 'state' ? sel : null, touched, ranges) ?? irqOf(sel, [], ranges);
        return this.prompt.open('explain', 'explain interrupt', irq === null ? '' : String(irq));
      }
      case 'focus': {
        const order: Focus[] = ['events', 'state', 'diff'];
        this.focus = order[(order.indexOf(this.focus) + a.direction + order.length) % order.length]!;
        if (this.focus === 'state' && !this.nav.selected) this.nav.selectDefault(this.treeLines());
        return;
      }
      case 'tree-move':
        return this.nav.move(this.treeLines(), a.delta);
      case 'tree-expand':
        return this.nav.open(this.treeLines(), true);
      case 'tree-collapse':
        return this.nav.open(this.treeLines(), false);
      case 'tree-toggle':
        return this.nav.open(this.treeLines(), null);
      case 'scroll':
        this.diff.scroll = Math.max(0, this.diff.scroll + a.delta);
        return;
      case 'help':
        this.helpOpen = !this.helpOpen;
        return;
      case 'cancel':
        return this.cancel();
      case 'quit':
        this.quitting = true;
        this.jobs.cancelAll();
        return;
    }
  }

  /** Moves to position `target` (clamped); far beyond what is built, in slices. */
  private goTo(target: number): void {
    const to = Math.max(0, Math.min(this.length, Math.floor(target)));
    this.diff.scroll = 0;
    if (to <= reach(this.tl) || this.tl.position >= to) {
      this.pos = to;
      return;
    }
    this.jobs.runMain(`seeking to event ${to - 1}`, async (signal, progress) => {
      const ok = await seekCooperative(this.tl, to, { signal, onProgress: progress });
      if (ok) {
        this.pos = to;
        this.say(`at event ${to - 1}`);
      } else this.say(`seek stopped ${afterEvents(this.tl.position)}: the timeline is built that far`, 'warn');
    });
  }

  private run(direction: 1 | -1): void {
    if (!this.breakpoints.all.length) return this.say('no breakpoints: b breaks on the current event\'s kind, w watches the selected state field', 'warn');
    const bps = [...this.breakpoints.all];
    const from = this.pos;
    this.jobs.runMain(direction > 0 ? 'running forward' : 'running back', async (signal, progress) => {
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
    // The current event decoded (cached by the frame, else now), with the interrupts it touched.
    this.cache.prepare(cur, cur, this.pos);
    const d = this.cache.detail(cur)!;
    const ev = this.tl.event(cur);
    this.cache.clearRows();
    this.tell(this.breakpoints.toggleEvent(ev, d.json, d.interrupts));
  }

  private toggleWatch(): void {
    const path = this.nav.selectedField();
    if (!path) return this.say('select a state field first (Tab to the state pane, arrows to choose)', 'warn');
    this.tell(this.breakpoints.toggleWatch(path));
  }

  private searchAgain(direction: 1 | -1): void {
    if (!this.lastQuery) return this.prompt.open('search', 'search events', '');
    const from = direction > 0 ? this.pos : this.pos - 2;
    if (from < 0) return this.say(`no earlier event to search for "${this.lastQuery}"`, 'warn');
    if (from >= this.length) return this.say(`no later event to search for "${this.lastQuery}"`, 'warn');
    this.startSearch(this.lastQuery, from, direction);
  }

  private cancel(): void {
    if (this.jobs.main) {
      this.jobs.main.abort.abort();
      return;
    }
    if (this.jobs.fg) {
      this.jobs.fg.handle.cancel();
      return;
    }
    if (this.diff.closeReport()) return;
    this.say('');
  }

  // ---- prompts -----------------------------------------------------------------

  private promptKey(k: KeyRecord): void {
    const out = this.prompt.key(k);
    if (out.type === 'submit') {
      const t0 = performance.now();
      this.submit(out.kind, out.text);
      if (!this.jobs.main && this.lastSizes && out.kind === 'goto') {
        this.recompute();
        this.lastOpMs = performance.now() - t0;
        return this.changed(false);
      }
    }
    this.changed(true);
  }

  private submit(kind: PromptKind, text: string): void {
    if (!text) return;
    if (kind === 'goto') {
      const g = parseGoto(text, this.pos - 1, this.length);
      if ('error' in g) return this.say(g.error, 'warn');
      this.goTo(g.event + 1);
      return this.say('');
    }
    if (kind === 'search') {
      this.lastQuery = text;
      if (this.pos >= this.length) return this.startSearch(text, 0, 1);
      return this.startSearch(text, this.pos, 1);
    }
    const i = parseInterrupt(text, this.interruptRanges());
    if ('error' in i) return this.say(i.error, 'warn');
    this.startExplain(i.irq);
  }

  // ---- jobs ------------------------------------------------------------------------

  private async load(): Promise<void> {
    const t0 = performance.now();
    await new Promise<void>((resolve) =>
      this.jobs.runMain('loading', async (signal, progress) => {
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

  /**
   * A job on a small trace runs on this thread: sending it to a thread costs
   * more than it does, and the screen does not miss a frame.
   */
  private runnerFor(spec: JobSpec): JobRunner {
    const events = this.length + (spec.kind === 'bisect' && spec.against ? (this.other?.eventCount ?? 0) : 0);
    return this.inlineSmall && events <= INLINE_EVENTS[spec.kind] ? this.inline : this.runner;
  }

  private startJob(slot: 'fg' | 'bg', label: string, spec: JobSpec, done: Parameters<JobSlots['startWorker']>[4]): void {
    this.jobs.startWorker(slot, label, spec, this.runnerFor(spec), done);
  }

  private startCheck(): void {
    this.startJob('bg', 'replay check', { kind: 'check', path: this.path }, (r) => {
      if (r.kind !== 'check') return;
      if (r.divergence && !(this.divergence?.source === 'bisect')) {
        this.divergence = { event: r.divergence.event, source: 'replay', reason: r.divergence.reason };
        if (!this.diff.report && r.report) this.diff.report = r.report;
        this.say(`the replay diverges at event ${r.divergence.event}: ${whyDiverged(r.divergence.reason)} (D jumps there)`, 'bad');
      }
    });
  }

  private startBisect(): void {
    const spec: JobSpec = this.againstPath ? { kind: 'bisect', path: this.path, against: this.againstPath } : { kind: 'bisect', path: this.path };
    this.startJob('fg', this.againstPath ? `bisect against ${basename(this.againstPath)}` : 'bisect against the models', spec, (r) => {
      if (r.kind !== 'bisect') return;
      this.diff.showReport(r.report);
      if (r.event === null) return this.say('bisect: no divergence', 'good');
      const event = r.event;
      this.divergence = { event, source: 'bisect', reason: r.reason ?? '' };
      this.jobs.whenFree(() => {
        this.goTo(event + 1);
        this.say(`bisect: first divergence at event ${event}: ${whyDiverged(r.reason ?? '')}`, 'bad');
      });
    });
  }

  private startMigrate(): void {
    const at = this.pos;
    this.startJob('fg', `migrate-check ${afterEvents(at)}`, { kind: 'migrate', path: this.path, at }, (r) => {
      if (r.kind !== 'migrate') return;
      this.diff.showReport(r.report);
      this.say(r.report.title, r.failures ? 'bad' : 'good');
    });
  }

  private startExplain(irq: number): void {
    const at = this.pos;
    this.startJob('fg', `explain irq ${irq}`, { kind: 'explain', path: this.path, irq, at }, (r) => {
      if (r.kind !== 'explain') return;
      this.diff.showReport(r.report);
      this.say(r.deliverableTo.length ? `irq ${irq} is deliverable to vcpu ${r.deliverableTo.join(', ')}` : `irq ${irq} is not deliverable: ${r.blocking.join('; ')}`, r.deliverableTo.length ? 'good' : 'bad');
    });
  }

  /**
   * Search runs on the session's own timeline, in slices like a run to a
   * breakpoint: it starts from the nearest of the timeline's checkpoints
   * (no trace to open again, no replay from the start), and the status line
   * shows its progress.
   */
  private startSearch(query: string, from: number, direction: 1 | -1): void {
    const home = this.pos;
    this.jobs.runMain(`search "${query}"`, async (signal, progress) => {
      const out = await searchCooperative(this.tl, query, from, direction, { signal, onProgress: progress });
      if (out.status === 'hit') {
        this.pos = out.match.event + 1;
        this.say(`"${query}" at event ${out.match.event} (. next, , previous)`, 'accent');
      } else if (out.status === 'end') this.say(`"${query}": no match ${direction > 0 ? `from event ${from} on` : `at or before event ${from}`}`, 'warn');
      else this.say(`search "${query}" stopped; back where it started`, 'warn');
      if (out.status !== 'hit') this.tl.seek(home);
    });
  }

  // ---- the frame -------------------------------------------------------------------

  private say(message: string, tone: Tone = 'normal'): void {
    this.message = message;
    this.messageTone = tone;
  }

  private tell(s: { readonly message: string; readonly tone: Tone }): void {
    this.say(s.message, s.tone);
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

  private status(): StatusInfo {
    const job = this.jobs.main ?? this.jobs.fg;
    return {
      position: this.pos,
      length: this.length,
      mode: job ? job.label : 'step',
      focus: this.focus,
      diffMode: this.diff.label(),
      breakpoints: this.breakpoints.events,
      watches: this.breakpoints.watches,
      lastOpMs: this.lastOpMs,
      message: this.message,
      messageTone: this.messageTone,
      job: this.jobs.status(job, true),
      background: this.jobs.status(this.jobs.bg, false),
    };
  }

  /** Computes the frame for the last sizes now. */
  private recompute(): void {
    this.coreVer++;
    this.core = this.computeCore(this.lastSizes!, coreKey(this.coreVer, this.lastSizes!));
  }

  private computeCore(sizes: PaneSizes, key: string): Core {
    return this.builder.build({ pos: this.pos, focus: this.focus, divergence: this.divergence?.event ?? null, watched: this.breakpoints.watched() }, sizes, key);
  }

  /** The interrupt numbers VM 0's irqchip has, as its interrupts facet says (none known: any number goes). */
  private interruptRanges(): readonly InterruptRange[] {
    const at = this.tl.point();
    return at ? at.inspector.interruptRanges(at.state, 0) : [];
  }

  /** Every line of the state tree (computing a frame first if there is none). */
  private treeLines(): readonly TreeLine[] {
    if (!this.core && this.lastSizes) this.core = this.computeCore(this.lastSizes, 'tree');
    return this.core?.treeAll ?? [];
  }
}

/** Why an event diverges, in a few words, from the reason bisect and replay give. */
function whyDiverged(reason: string): string {
  if (reason === 'result') return 'its replayed result differs from the recorded one';
  if (reason === 'input') return 'the traces record different events';
  return 'the device state after it differs';
}

function isMove(a: Action): boolean {
  return a.type === 'step' || a.type === 'first' || a.type === 'last' || a.type === 'goto-mark' || a.type === 'divergence';
}
