/**
 * Running the TUI's long jobs without freezing the screen. WorkerRunner runs
 * each job in its own worker thread (the screen keeps drawing and reading
 * keys; cancelling terminates the thread). InlineRunner runs jobs on the
 * calling thread after a turn of the event loop: for tests and small
 * traces, where a thread would only add start-up time.
 */
import { Worker } from 'node:worker_threads';
import { TraceError } from '../../traces/errors.js';
import { JobError, type JobProgress, type JobResult, type JobSpec, runJob } from './run-job.js';

export type JobOutcome =
  | { readonly status: 'done'; readonly result: JobResult }
  | { readonly status: 'cancelled' }
  | { readonly status: 'failed'; readonly message: string };

export interface JobHandle {
  readonly outcome: Promise<JobOutcome>;
  /** Stops the job; its outcome becomes 'cancelled' (unless it already finished). */
  cancel(): void;
}

export interface JobRunner {
  start(spec: JobSpec, onProgress: (p: JobProgress) => void): JobHandle;
}

const BOOT = new URL('./boot.mjs', import.meta.url);
const ENTRY = new URL('./worker.ts', import.meta.url).href;

/** One worker thread per job. */
export class WorkerRunner implements JobRunner {
  start(spec: JobSpec, onProgress: (p: JobProgress) => void): JobHandle {
    const worker = new Worker(BOOT, { workerData: { entry: ENTRY, spec } });
    let settle!: (o: JobOutcome) => void;
    let settled = false;
    const outcome = new Promise<JobOutcome>((resolve) => (settle = resolve));
    const finish = (o: JobOutcome) => {
      if (settled) return;
      settled = true;
      settle(o);
      void worker.terminate();
    };
    worker.on('message', (m: { type: 'progress'; progress: JobProgress } | { type: 'done'; result: JobResult } | { type: 'failed'; message: string }) => {
      if (m.type === 'progress') {
        if (!settled) onProgress(m.progress);
      } else if (m.type === 'done') finish({ status: 'done', result: m.result });
      else finish({ status: 'failed', message: m.message });
    });
    worker.on('error', (e) => finish({ status: 'failed', message: `internal error (a bug in devrr): ${e.message}` }));
    worker.on('exit', () => finish({ status: 'failed', message: 'the job stopped without a result' }));
    return { outcome, cancel: () => finish({ status: 'cancelled' }) };
  }
}

/** Runs the job on this thread, after the current turn of the event loop. */
export class InlineRunner implements JobRunner {
  start(spec: JobSpec, onProgress: (p: JobProgress) => void): JobHandle {
    let cancelled = false;
    const outcome = new Promise<JobOutcome>((resolve) => {
      setImmediate(() => {
        if (cancelled) return resolve({ status: 'cancelled' });
        try {
          resolve({ status: 'done', result: runJob(spec, onProgress) });
        } catch (e) {
          if (e instanceof JobError || e instanceof TraceError) resolve({ status: 'failed', message: e.message });
          else resolve({ status: 'failed', message: `internal error (a bug in devrr): ${(e as Error).stack ?? String(e)}` });
        }
      });
    });
    return {
      outcome: outcome.then((o) => (cancelled ? { status: 'cancelled' } : o)),
      cancel: () => void (cancelled = true),
    };
  }
}
