/**
 * A corpus worker thread: checks the traces it is sent, one message
 * ({ id, task, file }) at a time, and posts each outcome back with its id.
 * It is started through the same bootstrap as the TUI's job threads
 * (tui/jobs/boot.mjs), so it runs however devrr itself runs.
 */
import { parentPort } from 'node:worker_threads';
import { checkTrace, type CorpusTask } from './corpus-check.js';

const port = parentPort!;
port.on('message', ({ id, task, file }: { id: number; task: CorpusTask; file: string }) => {
  port.postMessage({ id, outcome: checkTrace(task, file) });
});
port.postMessage({ type: 'ready' });
