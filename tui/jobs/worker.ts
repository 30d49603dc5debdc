/**
 * The job worker: a thread that runs jobs one at a time, each sent as a
 * message ({ id, spec }), posting its progress and then its result or
 * failure with that id. It stays up between jobs (the runner keeps it warm,
 * so a job starts without the cost of loading the code); the TUI terminates
 * the thread to cancel the job it is running.
 */
import { parentPort } from 'node:worker_threads';
import { TraceError } from '../../traces/errors.js';
import { JobError, type JobSpec, runJob } from './run-job.js';

const port = parentPort!;
port.on('message', ({ id, spec }: { id: number; spec: JobSpec }) => {
  try {
    const result = runJob(spec, (p) => port.postMessage({ id, type: 'progress', progress: p }));
    port.postMessage({ id, type: 'done', result });
  } catch (e) {
    const expected = e instanceof JobError || e instanceof TraceError;
    port.postMessage({ id, type: 'failed', message: expected ? (e as Error).message : `internal error (a bug in devrr): ${(e as Error).stack ?? String(e)}` });
  }
});
port.postMessage({ type: 'ready' });
