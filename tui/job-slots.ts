/**
 * The session's three job slots. `main`: work on the session's own
 * timeline (loading, far seeks, runs to a breakpoint, building the other
 * trace), cut into slices on this thread; while it runs the screen keeps
 * its last picture and moves are refused. `fg`: the one job the user
 * started (bisect, migrate-check, explain, search), in a worker thread or,
 * for a small trace, on this thread. `bg`: the replay check started with
 * the session. The slots report progress and their end through the host.
 */
import type { Tone } from './frame.js';
import type { JobStatus } from './frame.js';
import { count } from './format.js';
import type { JobProgress, JobResult, JobSpec } from './jobs/run-job.js';
import type { JobHandle, JobRunner } from './jobs/runner.js';

/** Cooperative work on the session's timeline. */
export interface MainJob {
  readonly label: string;
  readonly abort: AbortController;
  done: number;
  total: number;
  readonly started: number;
}

/** A job a runner runs (a worker thread, or this thread for small traces). */
export interface WorkerJob {
  readonly label: string;
  readonly handle: JobHandle;
  progress: JobProgress | null;
  readonly started: number;
}

/** What the slots tell the session. */
export interface JobHost {
  /** Something changed: `core` when the frame must be recomputed; `progressOnly` may be rate-limited. */
  changed(core: boolean, progressOnly?: boolean): void;
  say(message: string, tone?: Tone): void;
}

export class JobSlots {
  main: MainJob | null = null;
  fg: WorkerJob | null = null;
  bg: WorkerJob | null = null;
  /** Moves that job results asked for while the timeline was busy: done when it is free. */
  private afterMain: (() => void)[] = [];
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly host: JobHost) {}

  /** Keeps `p` among the work `idle()` waits for. */
  track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Resolves when no work is running. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** Stops every job. */
  cancelAll(): void {
    this.main?.abort.abort();
    this.fg?.handle.cancel();
    this.bg?.handle.cancel();
  }

  /** Runs `work` in the main slot; an exception is a bug of devrr's, said as such. */
  runMain(label: string, work: (signal: AbortSignal, progress: (done: number, total: number) => void) => Promise<void>): void {
    const job: MainJob = { label, abort: new AbortController(), done: 0, total: 0, started: performance.now() };
    this.main = job;
    this.host.changed(false);
    const p = (async () => {
      try {
        await work(job.abort.signal, (done, total) => {
          job.done = done;
          job.total = total;
          this.host.changed(false, true);
        });
      } catch (e) {
        this.host.say(`${label}: internal error (a bug in devrr): ${(e as Error).message}`, 'bad');
      } finally {
        this.main = null;
        for (const f of this.afterMain.splice(0)) f();
        this.host.changed(true);
      }
    })();
    this.track(p);
  }

  /** Runs `f` now, or when the main slot's current work ends. */
  whenFree(f: () => void): void {
    if (this.main) this.afterMain.push(f);
    else f();
  }

  /** Starts `spec` on `runner` in the fg or bg slot; `done` gets its result. The fg slot takes one job at a time. */
  startWorker(slot: 'fg' | 'bg', label: string, spec: JobSpec, runner: JobRunner, done: (r: JobResult) => void): void {
    if (slot === 'fg' && this.fg) return this.host.say(`busy: ${this.fg.label} (Esc cancels it)`, 'warn');
    const job: WorkerJob = {
      label,
      progress: null,
      started: performance.now(),
      handle: runner.start(spec, (p) => {
        job.progress = p;
        this.host.changed(false, true);
      }),
    };
    if (slot === 'fg') this.fg = job;
    else this.bg = job;
    this.host.changed(false);
    const p = job.handle.outcome.then((o) => {
      if (slot === 'fg') this.fg = null;
      else this.bg = null;
      if (o.status === 'done') done(o.result);
      else if (o.status === 'cancelled') {
        if (slot === 'fg') this.host.say(`${label} cancelled`, 'warn');
      } else this.host.say(`${label}: ${o.message}`, 'bad');
      this.host.changed(true);
    });
    this.track(p);
  }

  /** A slot's job as the status line shows it. */
  status(j: MainJob | WorkerJob | null, cancellable: boolean): JobStatus | null {
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
}
