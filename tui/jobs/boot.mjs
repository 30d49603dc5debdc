// Worker bootstrap: a worker thread starts without the parent's TypeScript
// loader, so register tsx here, then load the job worker itself.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
