/**
 * Running the TUI's long jobs without freezing the screen. WorkerRunner runs
 * each job in a worker thread (the screen keeps drawing and reading keys;
 * cancelling terminates the thread). Its threads stay up between jobs and
 * it keeps spare ones started, so a job does not wait for a thread to load
 * the code (up to a second from the sources through tsx). InlineRunner runs
 * jobs on the calling thread after a turn of the event loop: for tests and
 * small traces, where even a warm thread would only add a hop.
 */
import { Worker } from 'node:worker_threads';
import { COMPILED, compiledWorker, packageFile } from '../../package-root.js';
import type { BackendFactory } from '../../recorder/backend.js';
import { TraceError } from '../../traces/errors.js';
import { JobError, type JobProgress, type JobResult, type JobSpec, runJob } from './run-job.js';

export type JobOutcome =
  | { readonly status: 'done'; readonly result: JobResult }
  | { readonly status: 'cancelled' }
  | { readonly status: 'failed'; readonly message: string };

export interface JobHandle {
  readonly outcome: Promise<JobOutcome>;
  /** The worker thread's id running the job (0: this thread). */
  readonly thread: number;
  /** Stops the job; its outcome becomes 'cancelled' (unless it already finished). */
  cancel(): void;
}

export interface JobRunner {
  start(spec: JobSpec, onProgress: (p: JobProgress) => void): JobHandle;
  /** Stops every thread it keeps (the session closes it). */
  close?(): void;
}

/** Threads kept idle at most (a job and the replay check may run at once). */
const MAX_IDLE = 2;

/**
 * A job thread. Compiled (dist/), it runs the compiled worker.js directly;
 * from the TypeScript sources (the tsx fallback of bin/devrr.js, vitest) a
 * worker thread starts without the parent's TypeScript loader, so boot.mjs
 * registers tsx and then loads worker.ts. boot.mjs is not compiled: it is
 * taken from the sources' folder (package-root.ts).
 */
function newWorker(): Worker {
  if (COMPILED) return new Worker(compiledWorker('tui-worker', './worker.js', import.meta.url));
  return new Worker(packageFile('tui/jobs/boot.mjs'), { workerData: { entry: packageFile('tui/jobs/worker.ts').href } });
}

type WorkerMessage =
  | { type: 'ready' }
  | { id: number; type: 'progress'; progress: JobProgress }
  | { id: number; type: 'done'; result: JobResult }
  | { id: number; type: 'failed'; message: string };

/** One worker thread and the job it runs, if any. */
interface Thread {
  readonly worker: Worker;
  /** finish(outcome, reuse): reuse keeps the thread for the next job (it ended its job normally). */
  job: { id: number; finish: (o: JobOutcome, reuse: boolean) => void; onProgress: (p: JobProgress) => void } | null;
}

export interface WorkerRunnerOptions {
  /** Threads kept started and idle, ready for the next job (default 1; 0 starts one per job). */
  readonly spare?: number;
}

/** Jobs in worker threads, which stay up between jobs; `spare` idle ones are kept started. */
export class WorkerRunner implements JobRunner {
  private readonly idle: Thread[] = [];
  private readonly spare: number;
  private nextId = 1;
  private closed = false;

  constructor(opts: WorkerRunnerOptions = {}) {
    this.spare = opts.spare ?? 1;
    this.topUp();
  }

  start(spec: JobSpec, onProgress: (p: JobProgress) => void): JobHandle {
    // A thread from the last job (its code loaded and compiled) first, else a spare, else a new one.
    const t = this.idle.pop() ?? this.spawn();
    t.worker.ref();
    const id = this.nextId++;
    let settle!: (o: JobOutcome) => void;
    let settled = false;
    const outcome = new Promise<JobOutcome>((resolve) => (settle = resolve));
    const finish = (o: JobOutcome, reuse: boolean) => {
      if (settled) return;
      settled = true;
      t.job = null;
      settle(o);
      if (reuse && !this.closed && this.idle.length < MAX_IDLE) {
        t.worker.unref();
        this.idle.push(t);
      } else {
        void t.worker.terminate();
        // A cancelled job took its thread along: start a spare for the next one now.
        this.topUp();
      }
    };
    t.job = { id, onProgress, finish };
    t.worker.postMessage({ id, spec });
    return { outcome, thread: t.worker.threadId, cancel: () => finish({ status: 'cancelled' }, false) };
  }

  close(): void {
    this.closed = true;
    for (const t of this.idle.splice(0)) void t.worker.terminate();
  }

  /** Starts threads until `spare` are idle. */
  private topUp(): void {
    while (!this.closed && this.idle.length < this.spare) this.idle.push(this.spawn());
  }

  private spawn(): Thread {
    const worker = newWorker();
    // An idle thread does not keep the program alive; one running a job does (start refs it).
    worker.unref();
    const t: Thread = { worker, job: null };
    worker.on('message', (m: WorkerMessage) => {
      const job = t.job;
      if (m.type === 'ready' || !job || m.id !== job.id) return;
      if (m.type === 'progress') job.onProgress(m.progress);
      else if (m.type === 'done') job.finish({ status: 'done', result: m.result }, true);
      else job.finish({ status: 'failed', message: m.message }, true);
    });
    const lost = (o: JobOutcome) => {
      const i = this.idle.indexOf(t);
      if (i >= 0) this.idle.splice(i, 1);
      t.job?.finish(o, false);
      t.job = null;
    };
    worker.on('error', (e) => lost({ status: 'failed', message: `internal error (a bug in devrr): ${e.message}` }));
    worker.on('exit', () => lost({ status: 'failed', message: 'the job stopped without a result' }));
    return t;
  }
}

/** Runs the job on this thread, after the current turn of the event loop. */
export class InlineRunner implements JobRunner {
  /** `backends`: what the jobs replay on (default: the device models). */
  constructor(private readonly backends?: BackendFactory) {}

  start(spec: JobSpec, onProgress: (p: JobProgress) => void): JobHandle {
    let cancelled = false;
    const outcome = new Promise<JobOutcome>((resolve) => {
      setImmediate(() => {
        if (cancelled) return resolve({ status: 'cancelled' });
        try {
          resolve({ status: 'done', result: runJob(spec, onProgress, this.backends) });
        } catch (e) {
          if (e instanceof JobError || e instanceof TraceError) resolve({ status: 'failed', message: e.message });
          else resolve({ status: 'failed', message: `internal error (a bug in devrr): ${(e as Error).stack ?? String(e)}` });
        }
      });
    });
    return {
      thread: 0,
      outcome: outcome.then((o) => (cancelled ? { status: 'cancelled' } : o)),
      cancel: () => void (cancelled = true),
    };
  }
}
