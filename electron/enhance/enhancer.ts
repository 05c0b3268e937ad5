/**
 * Runs one enhancement model of the manifest on 8-bit grey frames with
 * onnxruntime-node (CPU, one thread by default, sequential execution). The
 * model file is checked against the manifest's SHA-256 before it is loaded.
 * Usable in the main process, a job worker or the enhancement worker
 * (worker.ts); never imports electron.
 */
import * as ort from 'onnxruntime-node';
import { performance } from 'node:perf_hooks';
import { EnhanceError, loadManifest, modelInfo, readVerifiedModel, resolveModelsDir, type EnhanceModelInfo } from './manifest.js';

/** An 8-bit grey frame: `width × height` pixels, row after row (x fastest), one byte each. */
export interface GreyFrame {
  width: number;
  height: number;
  pixels: Uint8Array;
  /** Components per pixel when known (only 1 is accepted). */
  components?: number;
}

/** An enhanced frame: `width × height` = scale × the input's, one byte per pixel; `ms` the model's run time (wall clock, padding and conversion included). */
export interface EnhancedFrame {
  width: number;
  height: number;
  pixels: Uint8Array;
  ms: number;
}

export interface EnhancerOptions {
  /** The models folder (default `resolveModelsDir()`). */
  modelsDir?: string;
  /** The manifest's model name (`denoise`, `sr2`). */
  model: string;
  /** onnxruntime intra-op threads (default 1: the machine is shared with the viewer and the device host). */
  threads?: number;
}

export interface Enhancer {
  /** The model's manifest entry. */
  readonly info: EnhanceModelInfo;
  /**
   * Enhances one frame.
   * @throws EnhanceError when the frame is not 1-component uint8 of its stated size, or the model's output is not scale × the (padded) input
   */
  enhance(frame: GreyFrame): Promise<EnhancedFrame>;
  /** Releases the onnxruntime session (idempotent). */
  close(): Promise<void>;
}

/**
 * Checks that `frame` is a 1-component 8-bit frame of its stated size.
 * @throws EnhanceError saying what it got (pixel array type, components, byte count)
 */
export function checkGreyFrame(model: string, frame: GreyFrame): void {
  const { width, height, pixels } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new EnhanceError(`model ${model}: a frame of ${width}×${height} pixels cannot be enhanced`, 'BAD_REQUEST');
  if (!(pixels instanceof Uint8Array))
    throw new EnhanceError(
      `model ${model}: frames must be 8-bit grey (Uint8Array pixels); got ${(pixels as object | null)?.constructor?.name ?? typeof pixels}`,
      'BAD_REQUEST',
    );
  const comps = frame.components ?? pixels.length / (width * height);
  if (comps !== 1)
    throw new EnhanceError(
      `model ${model}: frames must be 1-component 8-bit grey; got ${Number.isInteger(comps) ? `${comps} components` : `${pixels.length} bytes`} for a ${width}×${height} frame`,
      'BAD_REQUEST',
    );
  if (pixels.length !== width * height)
    throw new EnhanceError(`model ${model}: a ${width}×${height} frame needs ${width * height} bytes; got ${pixels.length}`, 'BAD_REQUEST');
}

/**
 * `frame` as the model's input: float32 [1, 1, Hp, Wp] = grey / 255, with Hp
 * and Wp the next multiples of `multipleOf`; the added rows and columns
 * repeat the last row and column (edge replication).
 */
export function padToInput(frame: GreyFrame, multipleOf: number): { data: Float32Array; width: number; height: number } {
  const { width: w, height: h, pixels } = frame;
  const W = Math.ceil(w / multipleOf) * multipleOf;
  const H = Math.ceil(h / multipleOf) * multipleOf;
  const data = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    const src = Math.min(y, h - 1) * w;
    const dst = y * W;
    for (let x = 0; x < w; x++) data[dst + x] = pixels[src + x]! / 255;
    const last = pixels[src + w - 1]! / 255;
    for (let x = w; x < W; x++) data[dst + x] = last;
  }
  return { data, width: W, height: H };
}

/**
 * Loads a model of the manifest into an onnxruntime session.
 * @throws EnhanceError when the manifest or model is missing, the file's SHA-256 differs from the manifest, onnxruntime cannot load it, or its input/output names are not the manifest's
 */
export async function createEnhancer(o: EnhancerOptions): Promise<Enhancer> {
  const modelsDir = o.modelsDir ?? resolveModelsDir();
  const info = modelInfo(loadManifest(modelsDir), o.model, modelsDir);
  const bytes = readVerifiedModel(modelsDir, info);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: o.threads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (e) {
    throw new EnhanceError(`model ${info.name}: ${info.file} cannot be loaded by onnxruntime (${(e as Error).message.split('\n')[0]})`);
  }
  if (!session.inputNames.includes(info.input.name) || !session.outputNames.includes(info.output.name)) {
    const names = `inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')}`;
    await session.release();
    throw new EnhanceError(`model ${info.name}: ${info.file} has ${names}; the manifest says input ${info.input.name}, output ${info.output.name}`);
  }
  let closed = false;
  return {
    info,
    async enhance(frame) {
      if (closed) throw new EnhanceError(`model ${info.name}: the enhancer was closed`);
      checkGreyFrame(info.name, frame);
      const t0 = performance.now();
      const inp = padToInput(frame, info.multipleOf);
      const tensor = new ort.Tensor('float32', inp.data, [1, 1, inp.height, inp.width]);
      let out: ort.Tensor;
      try {
        const r = await session.run({ [info.input.name]: tensor });
        out = r[info.output.name]!;
      } catch (e) {
        throw new EnhanceError(`model ${info.name}: onnxruntime failed on a ${frame.width}×${frame.height} frame (${(e as Error).message.split('\n')[0]})`);
      }
      const s = info.scale;
      const dims = out.dims;
      const expected = [1, 1, s * inp.height, s * inp.width];
      if (out.type !== 'float32' || dims.length !== 4 || dims.some((d, i) => d !== expected[i]))
        throw new EnhanceError(
          `model ${info.name} returned ${dims.join('×')} ${out.type} for a ${inp.width}×${inp.height} frame; expected ${expected.join('×')} float32 (scale ${s})`,
        );
      const src = out.data as Float32Array;
      const OW = s * inp.width;
      const w = s * frame.width;
      const h = s * frame.height;
      const pixels = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) {
        const row = y * OW;
        const dst = y * w;
        for (let x = 0; x < w; x++) {
          const v = Math.round(src[row + x]! * 255);
          pixels[dst + x] = v < 0 ? 0 : v > 255 ? 255 : v; // NaN → 0 (Uint8Array stores NaN as 0)
        }
      }
      out.dispose();
      return { width: w, height: h, pixels, ms: performance.now() - t0 };
    },
    async close() {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}
