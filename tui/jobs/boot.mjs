// Worker bootstrap, for the TypeScript sources only (the compiled build starts
// dist/tui/jobs/worker.js directly: newWorker in runner.ts): a worker thread
// starts without the parent's TypeScript loader, so register tsx here, then
// load the job worker itself.
// Like bin/devrr.js, it names devrr's own tsconfig.json, not the one (if any)
// of the working directory.
import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
await import(workerData.entry);
