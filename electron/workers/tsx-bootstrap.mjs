// Development only: runs a TypeScript worker entry (tests, `tsx` runs) through tsx's loader.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__entryUrl);
