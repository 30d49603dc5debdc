/**
 * The job worker: runs one job (workerData.spec) and posts its progress and
 * its result. The TUI terminates the thread to cancel the job.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TraceError } from '../../traces/errors.js';
import { JobError, type JobSpec, runJob } from './run-job.js';

const port = parentPort!;
try {
  const result = runJob((workerData as { spec: JobSpec }).spec, (p) => port.postMessage({ type: 'progress', progress: p }));
  port.postMessage({ type: 'done', result });
} catch (e) {
  const expected = e instanceof JobError || e instanceof TraceError;
  port.postMessage({ type: 'failed', message: expected ? (e as Error).message : `internal error (a bug in devrr): ${(e as Error).stack ?? String(e)}` });
}
