/**
 * The live enhancement path's logic with a stand-in model worker (the real
 * ONNX worker is exercised in tests/integration/enhanceStreams.test.ts):
 * latest-wins per model (a frame arriving while the worker runs replaces the
 * waiting one, counted as skipped), SR ×2 geometry (size, binning 0.5,
 * ijkToFrame · binningMatrix(0.5) and the placement it gives), enhancement at
 * display scale (the frame binned by the clients' factor f — by 2f for SR ×2 —
 * before the model, its pixels placed on the source pixels they cover, one
 * worker for all the (model, f) keys, each latest-wins, a key no client names
 * stops), colour frames and a model that does not load go raw with a sentence,
 * workers are closed when no client asks.
 */
import { describe, expect, it } from 'vitest';
import type { StreamHeader } from '../contract/devices.js';
import { binImageMessage, binningMatrix } from '../../math/imageBinning.js';
import { applyPoint, mul4 } from '../../math/transform.js';
import { enhancedHeader, inputBinning, LiveEnhancer, type EnhanceRoute, type LiveModelWorker } from './liveEnhance.js';

type Header = Omit<StreamHeader, 'dropped'>;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A stand-in worker: inverts the pixels (denoise) or repeats each pixel 2 × 2 (sr2), after `delayMs`. */
function fakeWorker(model: string, delayMs: number, log: { closed: string[]; frames: number[] }): LiveModelWorker {
  const scale = model === 'sr2' ? 2 : 1;
  return {
    info: { name: model, version: '9.9.9', task: model, scale, validation: 'tested on nothing', sha256: 'x' },
    async enhance(f) {
      await sleep(delayMs);
      log.frames.push(f.pixels[0]!);
      const w = f.width * scale,
        h = f.height * scale;
      const out = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = 255 - f.pixels[Math.floor(y / scale) * f.width + Math.floor(x / scale)]!;
      return { width: w, height: h, pixels: out, ms: delayMs };
    },
    async close() {
      log.closed.push(model);
    },
  };
}

const frame = (seq: number, extra: Partial<Header> = {}): Header => ({
  device: 'replay-1',
  stream: 'image',
  seq,
  deviceTimeUs: seq * 1000,
  hostTimeUs: seq * 1000 + 5,
  width: 4,
  height: 2,
  components: 1,
  scalar: 'uint8',
  ...extra,
});

describe('LiveEnhancer', () => {
  it('runs the latest frame: frames arriving while the worker is busy replace the waiting one and are counted', async () => {
    const log = { closed: [] as string[], frames: [] as number[] };
    const out: { model: string; h: Header; p: Uint8Array }[] = [];
    const e = new LiveEnhancer(
      async (m) => fakeWorker(m, 30, log),
      (r, h, p) => out.push({ model: r.model, h, p }),
    );
    e.demand(['denoise']);
    await sleep(5);
    // frame 0 starts at once; 1..9 arrive while it runs: only 9 is left waiting
    for (let s = 0; s < 10; s++) e.offer(frame(s), new Uint8Array(8).fill(s * 10));
    await sleep(120);
    expect(out.map((o) => o.h.seq)).toEqual([0, 9]);
    expect(log.frames).toEqual([0, 90]);
    expect(Array.from(out[1]!.p)).toEqual(new Array(8).fill(255 - 90));
    expect(out[1]!.h).toMatchObject({
      device: 'replay-1',
      seq: 9,
      deviceTimeUs: 9000,
      width: 4,
      height: 2,
      enhancement: { model: 'denoise', applied: true, version: '9.9.9', validation: 'tested on nothing', ms: 30, skipped: 8 },
    });
    expect(out[1]!.h.binning).toBeUndefined();
    expect(e.stats()[0]).toMatchObject({ model: 'denoise', state: 'ready', enhanced: 2, skipped: 8, raw: 0, ms: [30, 30] });
    // no client asks any more: the worker is closed, frames go nowhere
    e.demand([]);
    e.offer(frame(10), new Uint8Array(8));
    await sleep(50);
    expect(log.closed).toEqual(['denoise']);
    expect(out).toHaveLength(2);
  });

  it('SR ×2: twice the size, binning 0.5 and ijkToFrame · binningMatrix(0.5): an upsampled pixel lands on its quarter of the source pixel', async () => {
    const log = { closed: [] as string[], frames: [] as number[] };
    const out: Header[] = [];
    const e = new LiveEnhancer(
      async (m) => fakeWorker(m, 1, log),
      (_m, h) => out.push(h),
    );
    e.demand(['sr2']);
    await sleep(5);
    // 0.2 mm pixels, origin (10, 20) mm
    const ijk = [0.2, 0, 0, 10, 0, 0.2, 0, 20, 0, 0, 1, 0, 0, 0, 0, 1];
    e.offer(frame(1, { ijkToFrame: ijk }), new Uint8Array(8));
    await sleep(30);
    expect(out[0]).toMatchObject({ width: 8, height: 4, binning: 0.5 });
    expect(out[0]!.ijkToFrame!.slice(0, 4)).toEqual([0.1, 0, 0, 10 - 0.05]);
    // upsampled pixel (0, 0) is the centre of source pixel (0, 0)'s top-left quarter: (−0.25, −0.25) source px
    expect(applyPoint(out[0]!.ijkToFrame!, 0, 0, 0).map((v) => +v.toFixed(9))).toEqual([9.95, 19.95, 0]);
    // upsampled (1, 1) and (0, 0) average to the source pixel's centre
    const p11 = applyPoint(out[0]!.ijkToFrame!, 1, 1, 0);
    expect(p11.map((v) => +v.toFixed(9))).toEqual([10.05, 20.05, 0]);
    // a calibration of the full frame (ImageToProbe) places it the same way through the header's binning (as the fusion view does)
    const cal = [0, 0.08, 0, 5, 0.08, 0, 0, -3, 0, 0, 1, 0, 0, 0, 0, 1];
    const placed = applyPoint(mul4(cal, binningMatrix(out[0]!.binning!)), 3, 1, 0);
    expect(placed.map((v) => +v.toFixed(9))).toEqual(applyPoint(cal, 1.25, 0.25, 0).map((v) => +v.toFixed(9)));
    // binned for display by 2 after upsampling: back to the source grid (binning 1, identity)
    expect(mul4(binningMatrix(0.5), binningMatrix(2))).toEqual(binningMatrix(1));
    await e.close();
  });

  it('a colour frame (RGB grabber) and a model that does not load: the raw frame with a sentence saying why', async () => {
    const out: Header[] = [];
    const e = new LiveEnhancer(
      async (m) => {
        if (m === 'sr2') throw new Error('model sr2: us-sr2.onnx does not match its SHA-256 in the manifest (altered or corrupt file).');
        return fakeWorker(m, 1, { closed: [], frames: [] });
      },
      (_m, h) => out.push(h),
    );
    e.demand(['denoise', 'sr2']);
    await sleep(5);
    e.offer(frame(1, { device: 'uvc:cam', components: 3 }), new Uint8Array(24));
    await sleep(10);
    const rgb = out.find((h) => h.enhancement!.model === 'denoise')!;
    expect(rgb).toMatchObject({ device: 'uvc:cam', width: 4, components: 3, enhancement: { model: 'denoise', applied: false } });
    expect(rgb.enhancement!.reason).toBe(
      'The denoise model takes 8-bit grey frames; uvc:cam sends 3-component uint8 frames (a colour frame grabber?). Frames are shown raw.',
    );
    const sr = out.find((h) => h.enhancement!.model === 'sr2')!;
    expect(sr).toMatchObject({ width: 4, height: 2, enhancement: { model: 'sr2', applied: false } });
    expect(sr.enhancement!.reason).toBe(
      'The sr2 model could not be loaded: model sr2: us-sr2.onnx does not match its SHA-256 in the manifest (altered or corrupt file). Frames are shown raw.',
    );
    expect(e.stats().find((s) => s.model === 'sr2')).toMatchObject({ state: 'failed', raw: 1 });
    await e.close();
  });

  it('a worker busy with a frame is closed only once the frame is done (terminating onnxruntime mid-frame aborts the process)', async () => {
    const log = { closed: [] as string[], frames: [] as number[] };
    const events: string[] = [];
    const e = new LiveEnhancer(
      async (m) => {
        const w = fakeWorker(m, 60, log);
        return { ...w, enhance: (f) => w.enhance(f).finally(() => events.push('frame done')), close: () => (events.push('closed'), w.close()) };
      },
      () => events.push('emitted'),
    );
    e.demand(['denoise']);
    await sleep(5);
    e.offer(frame(0), new Uint8Array(8));
    await sleep(10);
    e.demand([]); // while the frame runs
    expect(events).toEqual([]);
    await sleep(100);
    // the frame finished (its output goes nowhere: nobody asks), then the worker was closed
    expect(events).toEqual(['frame done', 'closed']);
    // close() waits for a worker still finishing its frame (the device host exits after it)
    e.demand(['denoise']);
    await sleep(5);
    e.offer(frame(1), new Uint8Array(8));
    await sleep(10);
    e.demand([]);
    await e.close();
    expect(events).toEqual(['frame done', 'closed', 'frame done', 'closed']);
  });

  it('inputBinning: f for a denoiser, 2f for SR ×2 (its output as wide as the display copy), the full frame at f = 1', () => {
    expect(inputBinning(1, 2, 820, 616)).toBe(2);
    expect(inputBinning(1, 4, 820, 616)).toBe(4);
    expect(inputBinning(2, 2, 820, 616)).toBe(4);
    expect(inputBinning(2, 3, 820, 616)).toBe(6);
    expect(inputBinning(1, 1, 820, 616)).toBe(1);
    expect(inputBinning(2, 1, 820, 616)).toBe(1);
    // a frame too small for 2f × 2f: f, then the full frame
    expect(inputBinning(2, 2, 64, 3)).toBe(2);
    expect(inputBinning(1, 4, 64, 3)).toBe(1);
  });

  /** A 12 × 8 frame with a pixel → frame matrix that is not axis-aligned (rotation, 0.2/0.3 mm pixels, an offset). */
  const IJK = [0.2 * 0.8, -0.3 * 0.6, 0, 10, 0.2 * 0.6, 0.3 * 0.8, 0, 20, 0, 0, 1, 5, 0, 0, 0, 1];
  const ramp = (w: number, h: number): Uint8Array => Uint8Array.from({ length: w * h }, (_, k) => ((k % w) * 17 + Math.floor(k / w) * 29) & 255);
  /** The mean frame position (mm) of the source pixel centres (i, j) for i in [i0, i0 + n), j in [j0, j0 + n). */
  const meanOf = (i0: number, j0: number, n: number): number[] => {
    const acc = [0, 0, 0];
    for (let j = j0; j < j0 + n; j++) for (let i = i0; i < i0 + n; i++) applyPoint(IJK, i, j, 0).forEach((v, k) => (acc[k]! += v / (n * n)));
    return acc;
  };
  const close = (a: number[], b: number[]): void => a.forEach((v, k) => expect(v).toBeCloseTo(b[k]!, 9));

  it('display scale, denoise at f = 2: the model runs on the 2 × 2-binned frame; binning 2, each pixel placed on the 2 × 2 source pixels it averages', async () => {
    const inputs: [number, number][] = [];
    const out: { r: EnhanceRoute; h: Header; p: Uint8Array; src: Header }[] = [];
    const e = new LiveEnhancer(
      async (m) => {
        const w = fakeWorker(m, 1, { closed: [], frames: [] });
        return { ...w, enhance: (f) => (inputs.push([f.width, f.height]), w.enhance(f)) };
      },
      (r, h, p, src) => out.push({ r, h, p, src }),
    );
    e.demand(['denoise']);
    await sleep(5);
    const px = ramp(12, 8);
    e.offer(frame(1, { width: 12, height: 8, ijkToFrame: IJK }), px, new Map([['denoise', [2]]]));
    await sleep(30);
    expect(inputs).toEqual([[6, 4]]);
    expect(out).toHaveLength(1);
    const { r, h, p, src } = out[0]!;
    expect(r).toEqual({ model: 'denoise', factor: 2 });
    expect(src).toMatchObject({ width: 12, height: 8 });
    expect(h).toMatchObject({ width: 6, height: 4, binning: 2, enhancement: { model: 'denoise', applied: true } });
    // the model's output of the display copy (the stand-in inverts it)
    const copy = binImageMessage(frame(1, { width: 12, height: 8, ijkToFrame: IJK }), px, 2);
    expect(Array.from(p)).toEqual(Array.from(copy.payload, (v) => 255 - v));
    expect(h.ijkToFrame).toEqual(copy.header.ijkToFrame);
    // every output pixel centre is the mean (centre) of the source pixel centres it covers
    for (const [i, j] of [
      [0, 0],
      [5, 3],
      [2, 1],
    ] as const)
      close(applyPoint(h.ijkToFrame!, i, j, 0), meanOf(2 * i, 2 * j, 2));
    await e.close();
  });

  it('display scale, SR ×2 at f = 2: binned 4 × 4, upsampled ×2 to the display width; binning 2 and the raw display copy’s geometry', async () => {
    const inputs: [number, number][] = [];
    const out: Header[] = [];
    const e = new LiveEnhancer(
      async (m) => {
        const w = fakeWorker(m, 1, { closed: [], frames: [] });
        return { ...w, enhance: (f) => (inputs.push([f.width, f.height]), w.enhance(f)) };
      },
      (_r, h) => out.push(h),
    );
    e.demand(['sr2']);
    await sleep(5);
    const src = frame(1, { width: 12, height: 8, ijkToFrame: IJK });
    e.offer(src, ramp(12, 8), new Map([['sr2', [2]]]));
    await sleep(30);
    expect(inputs).toEqual([[3, 2]]);
    const h = out[0]!;
    // the size and geometry of the raw frame's 2 × 2 display copy
    const rawCopy = binImageMessage(src, ramp(12, 8), 2).header;
    expect(h).toMatchObject({ width: 6, height: 4, binning: 2, enhancement: { model: 'sr2', applied: true } });
    expect([h.width, h.height]).toEqual([rawCopy.width, rawCopy.height]);
    h.ijkToFrame!.forEach((v, k) => expect(v).toBeCloseTo(rawCopy.ijkToFrame![k]!, 12));
    // binningMatrix(4) · binningMatrix(1/2) = binningMatrix(2)
    mul4(binningMatrix(4), binningMatrix(0.5)).forEach((v, k) => expect(v).toBeCloseTo(binningMatrix(2)[k]!, 12));
    // an output pixel centre is the centre of the 2 × 2 source pixels it stands for
    for (const [i, j] of [
      [0, 0],
      [5, 3],
      [3, 2],
    ] as const)
      close(applyPoint(h.ijkToFrame!, i, j, 0), meanOf(2 * i, 2 * j, 2));
    // and a calibration of the full frame places it through the header's binning, as the fusion view does
    const cal = [0, 0.08, 0, 5, 0.08, 0, 0, -3, 0, 0, 1, 0, 0, 0, 0, 1];
    close(applyPoint(mul4(cal, binningMatrix(h.binning!)), 5, 3, 0), applyPoint(cal, 10.5, 6.5, 0));
    await e.close();
  });

  it('two display factors share one worker, each latest-wins; a factor no client names any more stops', async () => {
    const log = { closed: [] as string[], frames: [] as number[] };
    const inputs: number[] = [];
    let started = 0;
    const out: { f: number; seq: number; w: number }[] = [];
    const e = new LiveEnhancer(
      async (m) => {
        started++;
        const w = fakeWorker(m, 30, log);
        return { ...w, enhance: (f) => (inputs.push(f.width), w.enhance(f)) };
      },
      (r, h) => out.push({ f: r.factor, seq: h.seq, w: h.width! }),
    );
    e.demand(['denoise']);
    await sleep(5);
    const both = new Map([['denoise', [1, 2]]]);
    // frame 0 (f = 1) starts at once; its f = 2 copy and frames 1..5 of both keys wait, latest-wins per key
    for (let s = 0; s < 6; s++) e.offer(frame(s, { width: 8, height: 4 }), ramp(8, 4), both);
    await sleep(150);
    expect(started).toBe(1);
    expect(out.filter((o) => o.f === 1).map((o) => [o.seq, o.w])).toEqual([
      [0, 8],
      [5, 8],
    ]);
    expect(out.filter((o) => o.f === 2).map((o) => [o.seq, o.w])).toEqual([[5, 4]]);
    // skipped: frames 2..5 at f = 1 (frame 0 ran at once), 1..5 at f = 2
    expect(e.stats()[0]).toMatchObject({ enhanced: 3, skipped: 9 });
    // the full-frame client leaves while a frame runs: its waiting frame is dropped at the next frame
    out.length = 0;
    e.offer(frame(6, { width: 8, height: 4 }), ramp(8, 4), both);
    e.offer(frame(7, { width: 8, height: 4 }), ramp(8, 4), both);
    e.offer(frame(8, { width: 8, height: 4 }), ramp(8, 4), new Map([['denoise', [2]]]));
    await sleep(150);
    expect(out).toEqual([
      { f: 1, seq: 6, w: 8 },
      { f: 2, seq: 8, w: 4 },
    ]);
    await e.close();
  });

  it('enhancedHeader keeps the source header and times', () => {
    const h = enhancedHeader(
      frame(3),
      { name: 'denoise', version: '1.0.0', task: 'denoise', scale: 1, validation: 'v', sha256: 's' },
      { width: 4, height: 2, ms: 4.5 },
      2,
    );
    expect(h).toEqual({ ...frame(3), enhancement: { model: 'denoise', applied: true, version: '1.0.0', validation: 'v', ms: 4.5, skipped: 2 } });
  });
});
