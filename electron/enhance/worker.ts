/**
 * worker_threads entry of the enhancement worker (started by
 * `EnhanceWorker.start`, enhanceWorker.ts): loads one model with
 * `createEnhancer` from `workerData` ({ modelsDir?, model, threads? }),
 * answers `ready` with the manifest entry or `failed` with the EnhanceError's
 * sentence, then enhances frames one message at a time (pixels transferred
 * both ways). Never imports electron.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEnhancer } from './enhancer.js';
import type { WorkerReply, WorkerRequest, WorkerStartData } from './enhanceWorker.js';

const port = parentPort!;
const post = (m: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

const start = workerData as WorkerStartData;
createEnhancer({ model: start.model, ...(start.modelsDir ? { modelsDir: start.modelsDir } : {}), ...(start.threads ? { threads: start.threads } : {}) }).then(
  (enhancer) => {
    post({ type: 'ready', info: enhancer.info });
    // one frame at a time, in the order they came (a session run never overlaps another)
    let queue: Promise<void> = Promise.resolve();
    port.on('message', (m: WorkerRequest) => {
      queue = queue.then(async () => {
        if (m.type === 'close') {
          await enhancer.close();
          port.close();
          return;
        }
        try {
          const f = await enhancer.enhance({ width: m.width, height: m.height, pixels: m.pixels });
          post({ type: 'frame', id: m.id, width: f.width, height: f.height, pixels: f.pixels, ms: f.ms }, [f.pixels.buffer as ArrayBuffer]);
        } catch (e) {
          post({ type: 'error', id: m.id, message: (e as Error).message });
        }
      });
    });
  },
  (e: unknown) => {
    post({ type: 'failed', message: (e as Error).message });
  },
);
