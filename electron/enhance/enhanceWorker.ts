/**
 * The enhancement worker's client: one model in its own worker_thread
 * (worker.ts), so frames are enhanced off the calling thread (the device
 * host's live stream, latest-wins: call `enhance` only when not `busy`).
 * Never imports electron.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { checkGreyFrame, type EnhancedFrame, type GreyFrame } from './enhancer.js';
import { EnhanceError, type EnhanceModelInfo } from './manifest.js';

/** What the worker is started with (workerData). */
export interface WorkerStartData {
  modelsDir?: string;
  model: string;
  threads?: number;
}
/** Parent → worker. */
export type WorkerRequest = { type: 'enhance'; id: number; width: number; height: number; pixels: Uint8Array } | { type: 'close' };
/** Worker → parent. */
export type WorkerReply =
  | { type: 'ready'; info: EnhanceModelInfo }
  | { type: 'failed'; message: string }
  | { type: 'frame'; id: number; width: number; height: number; pixels: Uint8Array; ms: number }
  | { type: 'error'; id: number; message: string };

/** The compiled worker.js beside this file, or (sources: vitest, tsx) worker.ts through the job worker's tsx bootstrap. */
function spawn(data: WorkerStartData): Worker {
  const js = new URL('./worker.js', import.meta.url);
  const w = fs.existsSync(fileURLToPath(js))
    ? new Worker(js, { workerData: data, stdout: true })
    : new Worker(new URL('../workers/tsx-bootstrap.mjs', import.meta.url), {
        workerData: { ...data, __entryUrl: new URL('./worker.ts', import.meta.url).href },
        stdout: true,
      });
  // what onnxruntime prints goes to stderr: stdout stays the CLI's (--json)
  w.stdout.pipe(process.stderr, { end: false });
  return w;
}

interface Pending {
  resolve(f: EnhancedFrame): void;
  reject(e: Error): void;
}

/** One enhancement model running in a worker thread. */
export class EnhanceWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: EnhanceError | null = null;

  private constructor(
    private readonly worker: Worker,
    /** The model's manifest entry. */
    readonly info: EnhanceModelInfo,
  ) {
    worker.on('message', (m: WorkerReply) => {
      if (m.type !== 'frame' && m.type !== 'error') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.type === 'frame') p.resolve({ width: m.width, height: m.height, pixels: m.pixels, ms: m.ms });
      else p.reject(new EnhanceError(m.message));
    });
    worker.on('error', (e) => this.fail(`the enhancement worker of model ${info.name} crashed (${e.message})`));
    worker.on('exit', (code) => this.fail(`the enhancement worker of model ${info.name} stopped (exit code ${code})`));
  }

  /**
   * Starts a worker thread and loads the model there (manifest, SHA-256 check, onnxruntime session).
   * @param o.modelsDir the models folder (default `resolveModelsDir()` in the worker)
   * @param o.model the manifest's model name (`denoise`, `sr2`)
   * @param o.threads onnxruntime intra-op threads (default 1)
   * @returns the running worker once the model is loaded
   * @throws EnhanceError with the loader's sentence (unknown model, missing or altered file, …), or saying the worker stopped while loading
   */
  static start(o: { modelsDir?: string; model: string; threads?: number }): Promise<EnhanceWorker> {
    const data: WorkerStartData = { model: o.model, ...(o.modelsDir ? { modelsDir: o.modelsDir } : {}), ...(o.threads ? { threads: o.threads } : {}) };
    const worker = spawn(data);
    return new Promise((resolve, reject) => {
      const onMessage = (m: WorkerReply): void => {
        if (m.type === 'ready') {
          cleanup();
          resolve(new EnhanceWorker(worker, m.info));
        } else if (m.type === 'failed') {
          cleanup();
          void worker.terminate();
          reject(new EnhanceError(m.message));
        }
      };
      const onError = (e: Error): void => {
        cleanup();
        reject(new EnhanceError(`the enhancement worker of model ${o.model} crashed while loading it (${e.message})`));
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new EnhanceError(`the enhancement worker of model ${o.model} stopped while loading it (exit code ${code})`));
      };
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  }

  /** True while a frame is being enhanced (a live stream drops frames instead of queueing them). */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  /**
   * Enhances one 8-bit grey frame in the worker. The pixels are transferred,
   * not copied, when the Uint8Array spans its whole ArrayBuffer (the caller's
   * array is then detached); a view into a larger buffer is copied first.
   * Calls queue in the worker in order.
   * @returns the enhanced frame (scale × the size; `ms` the model's time in the worker)
   * @throws EnhanceError for a frame that is not 1-component uint8, a model failure, a closed or crashed worker
   */
  enhance(frame: GreyFrame): Promise<EnhancedFrame> {
    if (this.dead) return Promise.reject(this.dead);
    try {
      checkGreyFrame(this.info.name, frame);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const whole = frame.pixels.byteOffset === 0 && frame.pixels.byteLength === frame.pixels.buffer.byteLength && frame.pixels.buffer instanceof ArrayBuffer;
    const pixels = whole ? frame.pixels : frame.pixels.slice();
    const id = this.nextId++;
    return new Promise<EnhancedFrame>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const m: WorkerRequest = { type: 'enhance', id, width: frame.width, height: frame.height, pixels };
      this.worker.postMessage(m, [pixels.buffer as ArrayBuffer]);
    });
  }

  /**
   * Stops the worker; idempotent. Pending calls are rejected at once; the
   * worker is asked to finish the frame it is running and release its
   * session (terminating a thread inside an onnxruntime run takes the whole
   * process down), and is terminated only if it has not exited within
   * `graceMs`.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.dead) return;
    this.fail(`the enhancement worker of model ${this.info.name} was closed`);
    const exited = new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), graceMs);
      this.worker.once('exit', () => (clearTimeout(t), resolve(true)));
    });
    this.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
    if (!(await exited)) await this.worker.terminate();
  }

  private fail(reason: string): void {
    if (this.dead) return;
    this.dead = new EnhanceError(reason);
    for (const p of this.pending.values()) p.reject(new EnhanceError(`${reason}; the frame was not enhanced`));
    this.pending.clear();
  }
}
