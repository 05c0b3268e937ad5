/**
 * Enhancement of the live image streams in the device host (issue 22): one
 * EnhanceWorker (`electron/enhance/enhanceWorker.ts`, ONNX in its own
 * thread) per model that some stream client asked for, started on the first
 * ask and closed when no client asks any more. Latest-wins per model (and
 * display factor, below): while the worker runs a frame, a newer frame of the
 * same device replaces the one waiting (counted in `skipped`), so a model
 * slower than the probe never queues up old frames.
 *
 * Enhanced at display scale: a client that names a display width gets its
 * display factor f = binningFor(width, imageMaxWidth) (1 without one), and the
 * model runs on the display copy, not on the full frame (`inputBinning`): the
 * denoiser on the frame binned f × f (a quarter of the work at f = 2), SR ×2 on
 * the frame binned 2f × 2f, so that its output is as wide as the display copy
 * the client would get (a small frame enlarged by the model); at f = 1 both run
 * on the full frame as before (SR output twice the size). The pipeline is keyed
 * by (model, f) — which fixes the input binning for a frame: one worker per
 * model serves all its keys, latest-wins per key and device, and a key no
 * client asks for any more stops (its waiting frame is dropped at the device's
 * next frame).
 *
 * Every frame offered comes out once per model and display factor asked for
 * (`emit`), as an image message of the same device with the header's
 * `enhancement`:
 * - the model ran: its output pixels, with the geometry of binning by b then
 *   upsampling by the model's scale s: `binning` × b / s and `ijkToFrame` ·
 *   binningMatrix(b) · binningMatrix(1/s) (= binningMatrix(b/s); upsampled
 *   pixel (i′, j′) → input pixel (i′/2 − 1/4, j′/2 − 1/4): the centre of the
 *   quarter of the input pixel it covers, as bicubic upsampling with
 *   align_corners = false samples), so ImageToProbe · binningMatrix(binning)
 *   places it where the raw frame is — for SR ×2 at display scale (b = 2f)
 *   exactly the binning and geometry of the raw display copy (b/s = f);
 * - the model did not load, the frame is not 8-bit grey (an RGB grabber), or
 *   the model failed on it: the raw frame with `applied: false` and the
 *   reason as a sentence naming the device and the model.
 *
 * Never on the recording's path: the recorder gets the raw frames before
 * any of this (`main.ts` publish).
 */
import type { StreamHeader } from '../contract/devices.js';
import { binImageMessage, binningMatrix } from '../../math/imageBinning.js';
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

/** A raw frame waiting for a model, for the clients of one display factor. */
interface Pending {
  header: Header;
  payload: Uint8Array;
  /** The display factor of the clients it is for (the key's f). */
  factor: number;
}

/** What the output of a frame is for: the model and the display factor f of the clients that asked (see `inputBinning`). */
export interface EnhanceRoute {
  model: string;
  factor: number;
}

/**
 * The binning a model's input gets for clients of display factor f: f for a denoiser (scale 1), s·f for an
 * upsampling model of scale s when f > 1 (its output is then as wide as the display copy), 1 at f = 1 (the full
 * frame, as a full-resolution client asks). A factor the frame is too small for falls back to f, then to 1.
 * @param scale the model's upsampling factor (manifest `scale`)
 * @param factor the clients' display factor, binningFor(width, imageMaxWidth), ≥ 1
 * @param width the raw frame's width
 * @param height the raw frame's height
 */
export function inputBinning(scale: number, factor: number, width: number, height: number): number {
  if (factor <= 1) return 1;
  for (const b of [Math.round(scale * factor), factor])
    if (Number.isInteger(b) && b >= 1 && Math.floor(width / b) >= 1 && Math.floor(height / b) >= 1) return b;
  return 1;
}

interface ModelSlot {
  model: string;
  worker: LiveModelWorker | null;
  failed: string | null;
  busy: boolean;
  /** Latest frame waiting per device and display factor (`waitKey`). */
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
   * @param emit receives every offered frame once per model and display factor asked for, enhanced or raw with the
   *   reason, with the raw frame's header (`source`: the clients' display factor is reckoned on its width)
   */
  constructor(
    private readonly start: StartModelWorker,
    private readonly emit: (route: EnhanceRoute, header: Header, payload: Uint8Array, source: Header) => void,
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

  /**
   * Offers a raw image frame (full frame, as the device sent it) to the models in use.
   * @param factors per model, the display factors its clients ask for on this frame (binningFor(width, imageMaxWidth),
   *   1 for full frames); default: 1 for every model in use. A (model, factor) key not named any more stops: its waiting
   *   frame of this device is dropped.
   */
  offer(header: Header, payload: Uint8Array, factors?: ReadonlyMap<string, Iterable<number>>): void {
    if (header.stream !== 'image') return;
    let copy: Uint8Array | null = null;
    for (const slot of this.slots.values()) {
      const fs = new Set(factors ? (factors.get(slot.model) ?? []) : [1]);
      for (const [k, p] of slot.waiting) if (p.header.device === header.device && !fs.has(p.factor)) slot.waiting.delete(k);
      for (const factor of fs) {
        if (slot.failed) {
          this.sendRaw(slot, { header, payload, factor }, slot.failed);
          continue;
        }
        const refusal = frameRefusal(slot.model, header, payload);
        if (refusal) {
          this.sendRaw(slot, { header, payload, factor }, refusal);
          continue;
        }
        const key = waitKey(header.device, factor);
        if (slot.waiting.has(key)) slot.stats.skipped++;
        // a copy (shared by the keys): the device's buffer may be reused for its next frame while this one waits
        copy ??= payload.slice();
        slot.waiting.set(key, { header, payload: copy, factor });
        this.next(slot);
      }
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

  /** Runs the next waiting frame when the worker is free: binned to the key's input binning, then the model. */
  private next(slot: ModelSlot): void {
    const w = slot.worker;
    if (!w || slot.busy || !slot.live) return;
    const first = slot.waiting.entries().next();
    if (first.done) return;
    const [key, p] = first.value;
    slot.waiting.delete(key);
    const { width, height } = p.header as { width: number; height: number };
    const b = inputBinning(w.info.scale, p.factor, width, height);
    // the model's input: the display copy (a new array), or a copy of the full frame the worker may take over (its
    // buffer is transferred); the raw frame stays for a fallback
    let input: { header: Header; payload: Uint8Array };
    try {
      input = b === 1 ? { header: p.header, payload: p.payload.slice(0, width * height) } : binImageMessage(p.header, p.payload, b);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.sendRaw(
        slot,
        p,
        `A frame of ${p.header.device} could not be binned by ${b} for the ${slot.model} model: ${why.replace(/\.$/, '')}. The frame is shown raw.`,
      );
      return this.next(slot);
    }
    slot.busy = true;
    const ih = input.header as { width: number; height: number };
    w.enhance({ width: ih.width, height: ih.height, pixels: input.payload }).then(
      (out) => {
        slot.busy = false;
        if (!slot.live) return slot.onIdle?.();
        slot.stats.enhanced++;
        slot.stats.ms.push(out.ms);
        if (slot.stats.ms.length > 1000) slot.stats.ms.shift();
        this.emit({ model: slot.model, factor: p.factor }, enhancedHeader(input.header, w.info, out, slot.stats.skipped), out.pixels, p.header);
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
    this.emit(
      { model: slot.model, factor: p.factor },
      { ...p.header, enhancement: { model: slot.model, applied: false, reason, skipped: slot.stats.skipped } },
      p.payload,
      p.header,
    );
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

/** The waiting-frame key of a device and display factor (NUL: device ids never contain it). */
const waitKey = (device: string, factor: number): string => `${device}\u0000${factor}`;

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
 * The header of a model's output frame: the input's header (device, seq, times, frame; for a display copy its
 * `binning` and `ijkToFrame` through binningMatrix(b), `binImageMessage`) with the output size, and for an upsampling
 * model (scale s) `binning` × 1/s and `ijkToFrame` · binningMatrix(1/s), plus `enhancement`.
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
