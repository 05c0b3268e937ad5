/**
 * The shipped SR ×2 model, run by the product's runtime (onnxruntime-node, one
 * thread, 8-bit frames in and out), reproduces the held-out figure its model
 * card states (models/us-sr2.eval.json, written by training/us_enhance/evaluate.py
 * with PyTorch on float frames): each held-out frame (BoneUltrasound_L14, 21
 * frames, and the last 6 MSK images — never seen in training) cropped to even
 * size, degraded by 2 × 2 averaging, upsampled, PSNR against the original.
 * The runtime takes 8-bit frames, so the degraded frame is rounded to grey
 * levels here where Python kept it in float: the two agree within 0.1 dB.
 * Lanczos-4 is computed here too (Keys-free, the separable a = 4 windowed
 * sinc as OpenCV's INTER_LANCZOS4) and the network must beat it by the
 * card's margin within the same tolerance.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEnhancer, type Enhancer } from '../../electron/enhance/enhancer.js';
import { readGreyPng } from '../../capabilities/enhance/cliEnhance.js';
import { framePixels, readPlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { dataPath, describeData, projectRoot } from '../helpers/data.js';

interface Grey {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** The held-out frames of issue 22 (training/us_enhance/data.py), cropped to even size. */
function heldOutFrames(): Grey[] {
  const out: Grey[] = [];
  const seq = readPlusSequence(dataPath('us/BoneUltrasound_L14.igs.mha'));
  for (let k = 0; k < seq.frames.length; k++) out.push({ width: seq.width, height: seq.height, pixels: framePixels(seq, k).slice() });
  const dir = dataPath('us/msk_vastus_lateralis_cc0');
  const pngs = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.png'))
    .sort();
  for (const f of pngs.slice(12)) out.push(readGreyPng(path.join(dir, f)));
  return out.map((g) => {
    const w = g.width & ~1;
    const h = g.height & ~1;
    const p = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) p.set(g.pixels.subarray(y * g.width, y * g.width + w), y * w);
    return { width: w, height: h, pixels: p };
  });
}

/** 2 × 2 area average (OpenCV INTER_AREA at ×½), rounded to 8 bits. */
function degrade(g: Grey): Grey {
  const w = g.width / 2;
  const h = g.height / 2;
  const p = new Uint8Array(w * h);
  const s = g.pixels;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = 2 * y * g.width + 2 * x;
      p[y * w + x] = Math.round((s[i]! + s[i + 1]! + s[i + g.width]! + s[i + g.width + 1]!) / 4);
    }
  return { width: w, height: h, pixels: p };
}

/** PSNR (dB, peak 255) of b against a. */
function psnr(a: Uint8Array | Float64Array, b: Uint8Array | Float64Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.min(255, Math.max(0, b[i]!)) - a[i]!;
    se += d * d;
  }
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

/** ×2 Lanczos-4 upsampling with half-pixel centres and replicated borders (OpenCV INTER_LANCZOS4's kernel), float output. */
function lanczos2x(g: Grey): Float64Array {
  const W = 2 * g.width;
  const H = 2 * g.height;
  const taps = (t: number): number[] => {
    // 8 taps at distances t+3 … t−4 (OpenCV: x = t, coefficients for offsets −3..4), normalised
    const w: number[] = [];
    let sum = 0;
    for (let k = -3; k <= 4; k++) {
      const x = t - k;
      const v = Math.abs(x) < 1e-9 ? 1 : (4 * Math.sin(Math.PI * x) * Math.sin((Math.PI * x) / 4)) / (Math.PI * Math.PI * x * x);
      w.push(v);
      sum += v;
    }
    return w.map((v) => v / sum);
  };
  const tmp = new Float64Array(W * g.height);
  for (let X = 0; X < W; X++) {
    const sx = (X + 0.5) / 2 - 0.5;
    const x0 = Math.floor(sx);
    const w = taps(sx - x0);
    for (let y = 0; y < g.height; y++) {
      let v = 0;
      for (let k = -3; k <= 4; k++) v += w[k + 3]! * g.pixels[y * g.width + Math.min(g.width - 1, Math.max(0, x0 + k))]!;
      tmp[y * W + X] = v;
    }
  }
  const out = new Float64Array(W * H);
  for (let Y = 0; Y < H; Y++) {
    const sy = (Y + 0.5) / 2 - 0.5;
    const y0 = Math.floor(sy);
    const w = taps(sy - y0);
    for (let X = 0; X < W; X++) {
      let v = 0;
      for (let k = -3; k <= 4; k++) v += w[k + 3]! * tmp[Math.min(g.height - 1, Math.max(0, y0 + k)) * W + X]!;
      out[Y * W + X] = v;
    }
  }
  return out;
}

describeData('SR ×2 on the held-out frames through the product runtime', () => {
  let sr: Enhancer;
  const card = JSON.parse(fs.readFileSync(path.join(projectRoot, 'models', 'us-sr2.eval.json'), 'utf8')) as {
    version: string;
    summary: { networkPsnr: number; lanczosPsnr: number; gainOverLanczosDb: number };
  };
  beforeAll(async () => {
    sr = await createEnhancer({ model: 'sr2', threads: 1 });
  });
  afterAll(async () => {
    await sr.close();
  });

  it('reproduces the model card’s PSNR and its gain over Lanczos-4 within 0.1 dB', async () => {
    expect(sr.info.version).toBe(card.version);
    const net: number[] = [];
    const lz: number[] = [];
    for (const hr of heldOutFrames()) {
      const lr = degrade(hr);
      const out = await sr.enhance({ ...lr, pixels: lr.pixels.slice() });
      expect([out.width, out.height]).toEqual([hr.width, hr.height]);
      net.push(psnr(hr.pixels, out.pixels));
      lz.push(psnr(hr.pixels, lanczos2x(lr)));
    }
    expect(net).toHaveLength(27);
    const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
    console.log(
      `sr2 held-out PSNR: runtime ${mean(net).toFixed(3)} dB (card ${card.summary.networkPsnr.toFixed(3)}), Lanczos-4 ${mean(lz).toFixed(3)} dB (card ${card.summary.lanczosPsnr.toFixed(3)})`,
    );
    expect(Math.abs(mean(net) - card.summary.networkPsnr)).toBeLessThan(0.1);
    expect(Math.abs(mean(lz) - card.summary.lanczosPsnr)).toBeLessThan(0.1);
    expect(Math.abs(mean(net) - mean(lz) - card.summary.gainOverLanczosDb)).toBeLessThan(0.1);
  }, 120_000);
});
