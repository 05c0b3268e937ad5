/**
 * The enhancement runtime (issue 22) on the models in models/ as the manifest
 * lists them (nothing here knows their weights or hashes): SHA-256 refusal
 * of an altered copy, a model returning the wrong shape (a real ONNX file,
 * tests/fixtures/enhance/half-output.onnx), ONNX ↔ PyTorch parity on the
 * vectors in models/parity, padding and cropping, frame checks, and the
 * worker thread giving the same bytes as the in-process enhancer.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../tests/helpers/data.js';
import { tmpDir } from '../../tests/helpers/tmp.js';
import { createEnhancer, padToInput, type EnhancedFrame, type GreyFrame } from './enhancer.js';
import { EnhanceWorker } from './enhanceWorker.js';
import { checkModels, EnhanceError, loadManifest, modelsDirForAppRoot, readVerifiedModel, resolveModelsDir } from './manifest.js';

const MODELS = path.join(projectRoot, 'models');
const manifest = loadManifest(MODELS);
const tmp = tmpDir('enhance-');
afterAll(() => tmp.cleanup());

/** A speckle-like test frame: a smooth ramp with seeded noise (xorshift). */
function frame(width: number, height: number, seed = 7): GreyFrame {
  const pixels = new Uint8Array(width * height);
  let s = seed;
  for (let i = 0; i < pixels.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const x = i % width;
    pixels[i] = Math.max(0, Math.min(255, Math.round((x / width) * 200 + ((s >>> 0) % 50))));
  }
  return { width, height, pixels };
}

const readF32 = (file: string): Float32Array => {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

describe('enhancement models manifest', () => {
  it('lists models whose files match their SHA-256; the models folder resolves to the repository’s in development', () => {
    expect(path.resolve(resolveModelsDir())).toBe(path.resolve(MODELS));
    // packaged: the extra resource beside app.asar (process.resourcesPath/models)
    expect(modelsDirForAppRoot(path.join('/opt/OrthoTwin/resources', 'app.asar'))).toBe(path.join('/opt/OrthoTwin/resources', 'models'));
    expect(modelsDirForAppRoot('/work/orthotwin')).toBe(path.join('/work/orthotwin', 'models'));
    expect(manifest.models.map((m) => m.name)).toEqual(expect.arrayContaining(['denoise', 'sr2']));
    for (const c of checkModels(MODELS)) expect(c, c.info.name).toEqual({ info: c.info, ok: true });
  });

  it('refuses a model file changed after the manifest was written (one flipped byte), naming the file', async () => {
    const dir = path.join(tmp.dir, 'tampered');
    fs.cpSync(MODELS, dir, { recursive: true });
    const info = manifest.models.find((m) => m.name === 'denoise')!;
    const file = path.join(dir, info.file);
    const b = fs.readFileSync(file);
    b[b.length >> 1] = b[b.length >> 1]! ^ 0x01;
    fs.writeFileSync(file, b);
    const got = crypto.createHash('sha256').update(b).digest('hex');
    const expected = `model denoise: ${file}: sha256 ${got} does not match the manifest (${info.sha256}): the model file was changed; it is not loaded`;
    await expect(createEnhancer({ modelsDir: dir, model: 'denoise' })).rejects.toThrow(expected);
    await expect(createEnhancer({ modelsDir: dir, model: 'denoise' })).rejects.toBeInstanceOf(EnhanceError);
    // the worker rejects with the same sentence
    await expect(EnhanceWorker.start({ modelsDir: dir, model: 'denoise' })).rejects.toThrow(expected);
    // the other model still loads; checkModels reports the altered one
    const checks = checkModels(dir);
    expect(checks.find((c) => c.info.name === 'denoise')).toMatchObject({ ok: false, problem: expected });
    expect(checks.find((c) => c.info.name === 'sr2')?.ok).toBe(true);
  });

  it('names an unknown model and the ones there are; a missing manifest says so', async () => {
    await expect(createEnhancer({ modelsDir: MODELS, model: 'sr4' })).rejects.toThrow(
      /no enhancement model named sr4 in .*manifest\.json \(it has denoise, sr2\)/,
    );
    await expect(createEnhancer({ modelsDir: tmp.dir, model: 'denoise' })).rejects.toThrow(/manifest\.json: the models' manifest cannot be read/);
  });
});

describe('enhancer', () => {
  it('refuses a model whose output is not scale × its input (a half-size model)', async () => {
    const dir = path.join(tmp.dir, 'half');
    fs.mkdirSync(dir);
    const onnx = fs.readFileSync(path.join(projectRoot, 'tests/fixtures/enhance/half-output.onnx'));
    fs.writeFileSync(path.join(dir, 'half.onnx'), onnx);
    const base = manifest.models.find((m) => m.name === 'denoise')!;
    const entry = { ...base, name: 'half', file: 'half.onnx', sha256: crypto.createHash('sha256').update(onnx).digest('hex'), scale: 1, multipleOf: 2 };
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ format: 1, models: [entry] }));
    const e = await createEnhancer({ modelsDir: dir, model: 'half' });
    try {
      await expect(e.enhance(frame(8, 6))).rejects.toThrow('model half returned 1×1×3×4 float32 for a 8×6 frame; expected 1×1×6×8 float32 (scale 1)');
    } finally {
      await e.close();
    }
  });

  it.each(manifest.models.map((m) => [m.name, m] as const))(
    '%s: onnxruntime-node matches PyTorch on the parity vectors (max |diff| ≤ 1e-5)',
    async (_name, info) => {
      const stem = info.file.replace(/\.onnx$/, '');
      const shapes = JSON.parse(fs.readFileSync(path.join(MODELS, 'parity', `${stem}.parity.json`), 'utf8')) as { input: number[]; output: number[] };
      const input = readF32(path.join(MODELS, 'parity', `${stem}.input.f32`));
      const expected = readF32(path.join(MODELS, 'parity', `${stem}.output.f32`));
      expect(input.length).toBe(shapes.input.reduce((a, b) => a * b, 1));
      expect(shapes.output).toEqual([1, 1, info.scale * shapes.input[2]!, info.scale * shapes.input[3]!]);
      const session = await ort.InferenceSession.create(readVerifiedModel(MODELS, info), {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
      });
      const out = (await session.run({ [info.input.name]: new ort.Tensor('float32', input, shapes.input) }))[info.output.name]!;
      await session.release();
      expect([...out.dims]).toEqual(shapes.output);
      const got = out.data as Float32Array;
      let max = 0;
      for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i]! - expected[i]!));
      console.log(`${info.name} ${info.version}: parity max |onnx − torch| = ${max.toExponential(2)} over ${got.length} values`);
      expect(max).toBeLessThanOrEqual(1e-5);
    },
  );

  it('pads to multipleOf by edge replication and crops back; sr2 doubles the size; bytes are the rounded, clamped output', async () => {
    const f = { width: 3, height: 3, pixels: new Uint8Array([0, 51, 255, 10, 20, 30, 1, 2, 3]) };
    const p = padToInput(f, 2);
    expect([p.width, p.height]).toEqual([4, 4]);
    expect([...p.data.slice(0, 4)].map((v) => Math.round(v * 255))).toEqual([0, 51, 255, 255]);
    expect([...p.data.slice(12, 16)].map((v) => Math.round(v * 255))).toEqual([1, 2, 3, 3]);
    const den = await createEnhancer({ modelsDir: MODELS, model: 'denoise' });
    const sr = await createEnhancer({ modelsDir: MODELS, model: 'sr2' });
    try {
      const d = await den.enhance(frame(33, 17));
      expect([d.width, d.height, d.pixels.length]).toEqual([33, 17, 33 * 17]);
      const s = await sr.enhance(frame(13, 7));
      expect([s.width, s.height, s.pixels.length]).toEqual([26, 14, 26 * 14]);
      // cropping keeps the top-left: the padded frame's first rows give the same bytes
      const d2 = await den.enhance(frame(33, 17));
      expect(Buffer.from(d2.pixels).equals(Buffer.from(d.pixels))).toBe(true);
      // timing on a 512² frame (placeholder model; printed for the report)
      const big = frame(512, 512);
      const ms: number[] = [];
      for (let i = 0; i < 5; i++) ms.push((await den.enhance(big)).ms);
      console.log(`denoise 512×512: ${ms.map((m) => m.toFixed(1)).join(', ')} ms`);
    } finally {
      await den.close();
      await sr.close();
    }
  });

  it('refuses frames that are not 1-component uint8, saying what it got', async () => {
    const e = await createEnhancer({ modelsDir: MODELS, model: 'denoise' });
    try {
      await expect(e.enhance({ width: 4, height: 2, pixels: new Uint16Array(8) as unknown as Uint8Array })).rejects.toThrow(
        'model denoise: frames must be 8-bit grey (Uint8Array pixels); got Uint16Array',
      );
      await expect(e.enhance({ width: 4, height: 2, pixels: new Uint8Array(24) })).rejects.toThrow(
        'model denoise: frames must be 1-component 8-bit grey; got 3 components for a 4×2 frame',
      );
      await expect(e.enhance({ width: 4, height: 2, pixels: new Uint8Array(8), components: 4 })).rejects.toThrow(/got 4 components/);
      await expect(e.enhance({ width: 4, height: 2, pixels: new Uint8Array(7) })).rejects.toThrow(/got 7 bytes for a 4×2 frame/);
    } finally {
      await e.close();
    }
  });
});

describe('enhancement worker', () => {
  it('gives the in-process enhancer’s bytes, transfers the pixels, is busy while enhancing', async () => {
    const f = frame(64, 48, 11);
    for (const model of ['denoise', 'sr2']) {
      const local = await createEnhancer({ modelsDir: MODELS, model });
      const expected = await local.enhance(f);
      await local.close();
      const w = await EnhanceWorker.start({ modelsDir: MODELS, model });
      try {
        expect(w.info).toEqual(manifest.models.find((m) => m.name === model));
        expect(w.busy).toBe(false);
        const copy = f.pixels.slice();
        const pending = w.enhance({ width: f.width, height: f.height, pixels: copy });
        expect(w.busy).toBe(true);
        expect(copy.byteLength).toBe(0); // transferred, not copied
        const got = await pending;
        expect(w.busy).toBe(false);
        expect([got.width, got.height]).toEqual([expected.width, expected.height]);
        expect(Buffer.from(got.pixels).equals(Buffer.from(expected.pixels))).toBe(true);
        // a view into a larger buffer is copied: the caller's buffer stays usable
        const big = new Uint8Array(f.pixels.length + 16);
        big.set(f.pixels, 16);
        const viaView = await w.enhance({ width: f.width, height: f.height, pixels: big.subarray(16) });
        expect(big.byteLength).toBe(f.pixels.length + 16);
        expect(Buffer.from(viaView.pixels).equals(Buffer.from(expected.pixels))).toBe(true);
        await expect(w.enhance({ width: 4, height: 2, pixels: new Uint8Array(24) })).rejects.toThrow(/got 3 components/);
      } finally {
        await w.close();
      }
      await expect(w.enhance(f)).rejects.toThrow(`the enhancement worker of model ${model} was closed`);
    }
  });

  it('answers calls made while busy one at a time, in order, each with its own frame', async () => {
    const frames = [3, 5, 9].map((seed) => frame(40, 30, seed));
    const local = await createEnhancer({ modelsDir: MODELS, model: 'denoise' });
    const expected: EnhancedFrame[] = [];
    for (const f of frames) expected.push(await local.enhance(f));
    await local.close();
    const w = await EnhanceWorker.start({ modelsDir: MODELS, model: 'denoise' });
    try {
      const got = await Promise.all(frames.map((f) => w.enhance({ ...f, pixels: f.pixels.slice() })));
      expect(w.busy).toBe(false);
      got.forEach((g, i) => expect(Buffer.from(g.pixels).equals(Buffer.from(expected[i]!.pixels)), `frame ${i}`).toBe(true));
    } finally {
      await w.close();
    }
  });

  it('rejects pending calls with a clear error when the worker dies', async () => {
    const w = await EnhanceWorker.start({ modelsDir: MODELS, model: 'denoise' });
    const pending = w.enhance(frame(256, 256));
    const thread = (w as unknown as { worker: Worker }).worker;
    await thread.terminate();
    await expect(pending).rejects.toThrow(/the enhancement worker of model denoise stopped \(exit code 1\); the frame was not enhanced/);
    await expect(w.enhance(frame(8, 8))).rejects.toThrow(/stopped/);
    expect(w.busy).toBe(false);
  });
});
