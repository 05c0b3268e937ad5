/**
 * Enhancement of the live image streams in the device host (issue 22): one
 * EnhanceWorker (`electron/enhance/enhanceWorker.ts`, ONNX in its own
 * thread) per model that some stream client asked for, started on the first
 * ask and closed when no client asks any more. Latest-wins per model: while
 * the worker runs a frame, a newer frame of the same device replaces the one
 * waiting (counted in `skipped`), so a model slower than the probe never
 * queues up old frames.
 *
 * Every frame offered comes out once per model in use (`emit`), as an image
 * message of the same device with the header's `enhancement`:
 * - the model ran: its output pixels; for SR ×2 width and height doubled,
 *   `binning` × 0.5 and `ijkToFrame` · binningMatrix(0.5) (upsampled pixel
 *   (i′, j′) → source pixel (i′/2 − 1/4, j′/2 − 1/4): the centre of the
 *   quarter of the source pixel it covers, as bicubic upsampling with
 *   align_corners = false samples), so ImageToProbe · binningMatrix(binning)
 *   places it where the raw frame is;
 * - the model did not load, the frame is not 8-bit grey (an RGB grabber), or
 *   the model failed on it: the raw frame with `applied: false` and the
 *   reason as a sentence naming the device and the model.
 *
 * Never on the recording's path: the recorder gets the raw frames before
 * any of this (`main.ts` publish).
 */
import type { StreamHeader } from '../contract/devices.js';
import { binningMatrix } from '../../math/imageBinning.js';
import { mul4 } from '../../math/transform.js';

type Header = Omit<StreamHeader, 'dropped'>;

/** What the live path needs of a model worker (the shape of `EnhanceWorker`). */
export interface LiveModelWorker {
  enhance(frame: { width: number; height: number; pixels: Uint8Array }): Promise<{ width: number; height: number; pixels: Uint8Array; ms: number }>;
  readonly info: { name: string; version: string; task: string; scale: number; validation: string; sha256: string };
  close(): Promise<void>;
}

/** Starts a worker for a model. @throws Error (a sentence) when the model cannot be loaded */
export type StartModelWorker = (model: string) => Promise<LiveModelWorker>;

/**
 * The default starter: `EnhanceWorker` (one worker thread, one onnxruntime thread) on `modelsDir`, else the
 * runtime's models folder (`ORTHOTWIN_MODELS_DIR`, the packaged resources, the repository's `models/`).
 */
export function defaultModelStarter(modelsDir?: string): StartModelWorker {
  return async (model) => {
    const { EnhanceWorker } = await import('../enhance/enhanceWorker.js');
    return await EnhanceWorker.start({ ...(modelsDir ? { modelsDir } : {}), model, threads: 1 });
  };
}

/** Per-model counters (for the status and the bench). */
export interface ModelStats {
  model: string;
  state: 'starting' | 'ready' | 'failed';
  /** Why the model is not in use (state 'failed'), a sentence. */
  reason: string | null;
  /** Frames the model ran on, frames replaced while waiting, frames sent raw (refused or failed). */
  enhanced: number;
  skipped: number;
  raw: number;
  /** Inference time of the last frames (ms, up to 1000, oldest first). */
  ms: number[];
}

interface Pending {
  header: Header;
  payload: Uint8Array;
}

interface ModelSlot {
  model: string;
  worker: LiveModelWorker | null;
  failed: string | null;
  busy: boolean;
  /** Latest frame waiting per device. */
  waiting: Map<string, Pending>;
  stats: ModelStats;
  /** False once no client asks for the model (the worker is being closed). */
  live: boolean;
  /** Called when the frame in flight settles (a retired slot closes its worker then). */
  onIdle?: () => void;
}

export class LiveEnhancer {
  private slots = new Map<string, ModelSlot>();
  /** Workers being closed (waiting for their frame in flight): `close` waits for them too. */
  private retiring = new Set<Promise<void>>();

  /**
   * @param start starts a model's worker (rejects with the reason when the model cannot be loaded)
   * @param emit receives every offered frame once per model in use, enhanced or raw with the reason
   */
  constructor(
    private readonly start: StartModelWorker,
    private readonly emit: (model: string, header: Header, payload: Uint8Array) => void,
  ) {}

  /** The models in use now: starts the new ones' workers, closes those no client asks for any more. */
  demand(models: Iterable<string>): void {
    const want = new Set(models);
    for (const [m, slot] of this.slots)
      if (!want.has(m)) {
        this.slots.delete(m);
        const r = this.retire(slot);
        this.retiring.add(r);
        void r.then(() => this.retiring.delete(r));
      }
    for (const m of want) if (!this.slots.has(m)) this.open(m);
  }

  private open(model: string): void {
    const slot: ModelSlot = {
      model,
      worker: null,
      failed: null,
      busy: false,
      waiting: new Map(),
      live: true,
      stats: { model, state: 'starting', reason: null, enhanced: 0, skipped: 0, raw: 0, ms: [] },
    };
    this.slots.set(model, slot);
    this.start(model).then(
      (w) => {
        if (!slot.live) return void w.close().catch(() => undefined);
        slot.worker = w;
        slot.stats.state = 'ready';
        this.next(slot);
      },
      (e: unknown) => {
        const why = e instanceof Error ? e.message : String(e);
        slot.failed = `The ${model} model could not be loaded: ${why.replace(/\.$/, '')}. Frames are shown raw.`;
        slot.stats.state = 'failed';
        slot.stats.reason = slot.failed;
        // the frames that waited for it go raw, with why
        const waiting = [...slot.waiting.values()];
        slot.waiting.clear();
        for (const p of waiting) this.sendRaw(slot, p, slot.failed);
      },
    );
  }

  /** Offers a raw image frame (full frame, as the device sent it) to every model in use. */
  offer(header: Header, payload: Uint8Array): void {
    if (header.stream !== 'image') return;
    for (const slot of this.slots.values()) {
      if (slot.failed) {
        this.sendRaw(slot, { header, payload }, slot.failed);
        continue;
      }
      const refusal = frameRefusal(slot.model, header, payload);
      if (refusal) {
        this.sendRaw(slot, { header, payload }, refusal);
        continue;
      }
      if (slot.waiting.has(header.device)) slot.stats.skipped++;
      // a copy: the device's buffer may be reused for its next frame while this one waits
      slot.waiting.set(header.device, { header, payload: payload.slice() });
      this.next(slot);
    }
  }

  /**
   * Closes a slot's worker once its frame in flight is done: terminating the worker thread while onnxruntime runs a
   * frame aborts the whole process (a native exception), so a busy worker is closed only when the frame settles.
   */
  private retire(slot: ModelSlot): Promise<void> {
    slot.live = false;
    slot.waiting.clear();
    if (!slot.busy) return slot.worker?.close().catch(() => undefined) ?? Promise.resolve();
    return new Promise((resolve) => {
      slot.onIdle = () => void (slot.worker?.close().catch(() => undefined) ?? Promise.resolve()).then(resolve);
    });
  }

  /** Runs the next waiting frame when the worker is free. */
  private next(slot: ModelSlot): void {
    const w = slot.worker;
    if (!w || slot.busy || !slot.live) return;
    const first = slot.waiting.entries().next();
    if (first.done) return;
    const [device, p] = first.value;
    slot.waiting.delete(device);
    slot.busy = true;
    const { width, height } = p.header as { width: number; height: number };
    // a copy the worker may take over (its buffer is transferred); the frame stays for a raw fallback
    w.enhance({ width, height, pixels: p.payload.slice(0, width * height) }).then(
      (out) => {
        slot.busy = false;
        if (!slot.live) return slot.onIdle?.();
        slot.stats.enhanced++;
        slot.stats.ms.push(out.ms);
        if (slot.stats.ms.length > 1000) slot.stats.ms.shift();
        this.emit(slot.model, enhancedHeader(p.header, w.info, out, slot.stats.skipped), out.pixels);
        this.next(slot);
      },
      (e: unknown) => {
        slot.busy = false;
        if (!slot.live) return slot.onIdle?.();
        const why = e instanceof Error ? e.message : String(e);
        this.sendRaw(slot, p, `The ${slot.model} model failed on a frame of ${p.header.device}: ${why.replace(/\.$/, '')}. The frame is shown raw.`);
        this.next(slot);
      },
    );
  }

  private sendRaw(slot: ModelSlot, p: Pending, reason: string): void {
    slot.stats.raw++;
    this.emit(slot.model, { ...p.header, enhancement: { model: slot.model, applied: false, reason, skipped: slot.stats.skipped } }, p.payload);
  }

  /** The counters of every model in use. */
  stats(): ModelStats[] {
    return [...this.slots.values()].map((s) => ({ ...s.stats, ms: [...s.stats.ms] }));
  }

  /** Closes every worker, each once its frame in flight is done (the process may exit after: no worker is cut mid-frame). */
  async close(): Promise<void> {
    const slots = [...this.slots.values()];
    this.slots.clear();
    await Promise.all([...slots.map((s) => this.retire(s)), ...this.retiring]);
  }
}

/** Why a model cannot take a frame (a sentence naming the device and the model), or null. The models take 8-bit grey frames. */
export function frameRefusal(model: string, h: Header, payload: Uint8Array): string | null {
  const c = h.components ?? 1;
  if (!h.width || !h.height) return `A frame of ${h.device} has no width or height: the ${model} model cannot take it. The frame is shown raw.`;
  if (c !== 1 || h.scalar !== 'uint8')
    return `The ${model} model takes 8-bit grey frames; ${h.device} sends ${c}-component ${h.scalar ?? 'untyped'} frames (a colour frame grabber?). Frames are shown raw.`;
  if (payload.byteLength < h.width * h.height)
    return `A frame of ${h.device} holds ${payload.byteLength} bytes for ${h.width}×${h.height} pixels: the ${model} model cannot take it. The frame is shown raw.`;
  return null;
}

/**
 * The header of a model's output frame: the source's header (device, seq, times, frame) with the output size, and
 * for an upsampling model (scale s) `binning` × 1/s and `ijkToFrame` · binningMatrix(1/s), plus `enhancement`.
 */
export function enhancedHeader(h: Header, info: LiveModelWorker['info'], out: { width: number; height: number; ms: number }, skipped: number): Header {
  const s = out.width / (h.width ?? out.width);
  const e: Header = {
    ...h,
    width: out.width,
    height: out.height,
    components: 1,
    scalar: 'uint8',
    enhancement: { model: info.name, applied: true, version: info.version, validation: info.validation, ms: out.ms, skipped },
  };
  if (s !== 1) {
    e.binning = (h.binning ?? 1) / s;
    if (h.ijkToFrame) e.ijkToFrame = mul4(h.ijkToFrame, binningMatrix(1 / s));
  }
  return e;
}
