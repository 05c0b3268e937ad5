/**
 * `twin enhance` (issue 22) on the shared data: a real ultrasound PNG (CC0
 * vastus lateralis) and PLUS's SpinePhantomFreehand sequence (21 frames
 * 820×616): sizes, frame count, every per-frame tracking field kept, the
 * pixels those of the in-process enhancer, the built CLI's `--json`, and one
 * sentence naming the file for each bad input. The models are whatever
 * models/manifest.json lists (placeholders now, trained ones later).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createEnhancer } from '../../electron/enhance/enhancer.js';
import { loadManifest } from '../../electron/enhance/manifest.js';
import { framePixels, readPlusSequence, writePlusSequence, type PlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { dataPath, describeData, projectRoot } from '../../tests/helpers/data.js';
import { tmpDir } from '../../tests/helpers/tmp.js';
import { enhancedSequence, enhancementMark, pixelMapForScale, readGreyPng, runEnhance } from './cliEnhance.js';

const tmp = tmpDir('orthotwin-enhance-cli-');
afterAll(() => tmp.cleanup());
const manifest = loadManifest(path.join(projectRoot, 'models'));
const out = (name: string): string => path.join(tmp.dir, name);

/** Runs the command in-process with console output captured. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const o: string[] = [];
  const e: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void o.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void e.push(a.join(' ')));
  try {
    return { code: await runEnhance(argv), out: o.join('\n'), err: e.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

function writePng(file: string, width: number, height: number, rgba: (i: number) => [number, number, number, number]): void {
  const p = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) p.data.set(rgba(i), i * 4);
  fs.writeFileSync(file, PNG.sync.write(p));
}

describeData('twin enhance on real ultrasound', () => {
  const png = (): string => {
    const dir = dataPath('us/msk_vastus_lateralis_cc0');
    return path.join(dir, fs.readdirSync(dir).filter((f) => f.endsWith('.png'))[0]!);
  };

  it('a real 8-bit grey PNG: denoise keeps the size, sr2 doubles it; the pixels are the in-process enhancer’s', async () => {
    const src = readGreyPng(png());
    for (const info of manifest.models) {
      const r = await run([png(), '--model', info.name, '--out', out(`us-${info.name}.png`), '--json']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out) as Record<string, unknown>;
      expect(j).toMatchObject({
        model: info.name,
        version: info.version,
        sha256: info.sha256,
        task: info.task,
        scale: info.scale,
        frames: 1,
        inputSize: [src.width, src.height],
        outputSize: [src.width * info.scale, src.height * info.scale],
        out: out(`us-${info.name}.png`),
      });
      const ms = j['msPerFrame'] as { p50: number; p95: number };
      expect(ms.p50).toBeGreaterThan(0);
      const written = PNG.sync.read(fs.readFileSync(out(`us-${info.name}.png`)), { skipRescale: true }) as PNG & { depth: number; colorType: number };
      expect([written.depth, written.colorType, written.width, written.height]).toEqual([8, 0, src.width * info.scale, src.height * info.scale]);
      const e = await createEnhancer({ model: info.name });
      const expected = await e.enhance(src);
      await e.close();
      expect(Buffer.from(readGreyPng(out(`us-${info.name}.png`)).pixels).equals(Buffer.from(expected.pixels))).toBe(true);
    }
  });

  it('SpinePhantomFreehand (21 frames 820×616): every frame enhanced, every tracking field of every frame kept; sr2 halves the pixel spacing', async () => {
    const file = dataPath('us/SpinePhantomFreehand.igs.mha');
    const input = readPlusSequence(file);
    expect([input.width, input.height, input.frames.length]).toEqual([820, 616, 21]);
    for (const info of manifest.models) {
      const dst = out(`spine-${info.name}.igs.mha`);
      const r = await run([file, '--model', info.name, '--out', dst, '--json']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out) as { frames: number; outputSize: number[]; msPerFrame: { p50: number; p95: number } };
      console.log(`${info.name}: 820×616 ×21 frames, ${j.msPerFrame.p50} ms per frame (p50), ${j.msPerFrame.p95} ms (p95)`);
      expect(j.frames).toBe(21);
      const s = readPlusSequence(dst);
      expect([s.width, s.height, s.frames.length, s.elementType]).toEqual([820 * info.scale, 616 * info.scale, 21, 'uint8']);
      expect(s.pixels.length).toBe(820 * 616 * info.scale ** 2 * 21);
      // no Image…To… transform in this file: every transform, status, timestamp and field is the input's
      expect(Object.keys(input.frames[0]!.transforms).some((t) => t.startsWith('Image'))).toBe(false);
      for (let i = 0; i < 21; i++) {
        expect(s.frames[i]!.timestampS, `frame ${i}`).toBe(input.frames[i]!.timestampS);
        expect(s.frames[i]!.transforms, `frame ${i}`).toEqual(input.frames[i]!.transforms);
        // plus the field saying these frames are the model's output
        expect(s.frames[i]!.fields, `frame ${i}`).toEqual({ ...input.frames[i]!.fields, OrthoTwinEnhancement: enhancementMark(info) });
      }
      expect([s.imageOrientation, s.imageType]).toEqual([input.imageOrientation, input.imageType]);
      expect(s.spacing).toEqual(info.scale === 1 ? undefined : [1 / info.scale, 1 / info.scale, 1]);
      // frame 20's pixels are the in-process enhancer's
      const e = await createEnhancer({ model: info.name });
      const expected = await e.enhance({ width: 820, height: 616, pixels: framePixels(input, 20) });
      await e.close();
      expect(Buffer.from(framePixels(s, 20)).equals(Buffer.from(expected.pixels))).toBe(true);
    }
  });

  it('the built CLI (dist) prints the JSON summary and exits 0', () => {
    const cli = path.join(projectRoot, 'dist/electron/cli/twin.js');
    if (!fs.existsSync(cli)) {
      console.warn('[skipped] the built CLI: dist/ is absent (run `npm run build`)');
      return;
    }
    const stdout = execFileSync(process.execPath, [cli, 'enhance', png(), '--model', 'denoise', '--out', out('dist.png'), '--json'], { encoding: 'utf8' });
    expect(JSON.parse(stdout)).toMatchObject({ model: 'denoise', frames: 1, out: out('dist.png') });
    const bad = spawnSync(process.execPath, [cli, 'enhance', out('missing.png'), '--model', 'denoise', '--out', out('x.png')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe(`${out('missing.png')}: no such file (or it cannot be read)`);
  });

  it('refuses a tracking-only sequence, naming it', async () => {
    const file = dataPath('us/SlidingProbeTrackingData.igs.mha');
    const r = await run([file, '--model', 'denoise', '--out', out('t.igs.mha')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: a tracking-only sequence \\(\\d+ frames without images\\); there is nothing to enhance$`),
    );
    expect(fs.existsSync(out('t.igs.mha'))).toBe(false);
  });
});

describe('twin enhance: bad input and sequence headers', () => {
  it('answers one sentence naming the file for a missing file, a non-PNG, a 16-bit PNG, a colour PNG; accepts a grey RGB PNG', async () => {
    const cases: [string, RegExp | string][] = [];
    cases.push([out('missing.png'), `${out('missing.png')}: no such file (or it cannot be read)`]);
    fs.writeFileSync(out('text.png'), 'not an image\n');
    cases.push([out('text.png'), `${out('text.png')}: not a PNG file (no PNG signature)`]);
    const p16 = new PNG({ width: 4, height: 3, bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false });
    p16.data = Buffer.alloc(4 * 3 * 2, 7);
    fs.writeFileSync(out('deep.png'), PNG.sync.write(p16, { bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false }));
    cases.push([out('deep.png'), `${out('deep.png')}: a 16-bit PNG; only 8-bit grey images can be enhanced (the models take 8-bit ultrasound frames)`]);
    writePng(out('colour.png'), 4, 3, (i) => [i, 2 * i, 0, 255]);
    cases.push([out('colour.png'), `${out('colour.png')}: a colour PNG (pixel 1, 0 has R, G, B = 1, 2, 0); only grey images can be enhanced`]);
    writePng(out('clear.png'), 4, 3, (i) => [i, i, i, i === 5 ? 0 : 255]);
    cases.push([out('clear.png'), `${out('clear.png')}: the PNG has transparent pixels; only opaque grey images can be enhanced`]);
    for (const [file, message] of cases) {
      const r = await run([file, '--model', 'denoise', '--out', out('bad-out.png')]);
      expect(r.code, file).toBe(1);
      expect(r.err, file).toBe(message);
    }
    expect(fs.existsSync(out('bad-out.png'))).toBe(false);
    // an RGBA PNG whose channels are equal and opaque is grey
    writePng(out('grey-rgba.png'), 6, 4, (i) => [10 * i, 10 * i, 10 * i, 255]);
    expect(Array.from(readGreyPng(out('grey-rgba.png')).pixels)).toEqual(Array.from({ length: 24 }, (_, i) => 10 * i));
    const r = await run([out('grey-rgba.png'), '--model', 'sr2', '--out', out('grey-sr2.png')]);
    expect(r.code).toBe(0);
    expect(readGreyPng(out('grey-sr2.png'))).toMatchObject({ width: 12, height: 8 });
    // usage errors exit 2
    expect((await run([out('grey-rgba.png'), '--model', 'denoise', '--out', out('x.igs.mha')])).code).toBe(2);
    expect((await run([out('grey-rgba.png'), '--out', out('x.png')])).code).toBe(2);
  });

  it('refuses a 16-bit (depth) sequence; sr2 composes an image transform with the pixel map and halves the spacing; NRRD keeps it too', async () => {
    const frames = [0, 1].map((i) => ({
      timestampS: 10 + i / 30,
      transforms: {
        ImageToProbe: { matrix: [0.2, 0, 0, 5, 0, 0.2, 0, 7, 0, 0, 1, 0, 0, 0, 0, 1], status: 'OK' },
        ProbeToTracker: { matrix: [1, 0, 0, i, 0, 1, 0, 2, 0, 0, 1, 3, 0, 0, 0, 1], status: i ? 'INVALID' : 'OK' },
      },
      fields: { ImageStatus: 'OK', Custom: `x${i}` },
    }));
    const seq: PlusSequence = {
      width: 6,
      height: 4,
      elementType: 'uint8',
      imageOrientation: 'MF',
      imageType: 'BRIGHTNESS',
      spacing: [0.2, 0.2, 1],
      frames,
      pixels: Uint8Array.from({ length: 48 }, (_, i) => i * 5),
    };
    writePlusSequence(out('tiny.igs.nrrd'), seq);
    expect(readPlusSequence(out('tiny.igs.nrrd')).spacing).toEqual([0.2, 0.2, 1]);
    const r = await run([out('tiny.igs.nrrd'), '--model', 'sr2', '--out', out('tiny-sr2.igs.nrrd')]);
    expect(r.code).toBe(0);
    const s = readPlusSequence(out('tiny-sr2.igs.nrrd'));
    expect([s.width, s.height, s.spacing]).toEqual([12, 8, [0.1, 0.1, 1]]);
    expect(s.frames.map((f) => f.transforms['ProbeToTracker'])).toEqual(frames.map((f) => f.transforms.ProbeToTracker));
    expect(s.frames.map((f) => f.fields)).toEqual(
      frames.map((f) => ({ ...f.fields, OrthoTwinEnhancement: expect.stringMatching(/^model output of sr2 .* not acquired frames$/) })),
    );
    // output pixel (1, 1) is input pixel (0.25, 0.25): the same millimetres through the new ImageToProbe
    const m = s.frames[0]!.transforms['ImageToProbe']!.matrix;
    expect(m[0]! * 1 + m[3]!).toBeCloseTo(0.2 * 0.25 + 5, 9);
    expect(m[5]! * 1 + m[7]!).toBeCloseTo(0.2 * 0.25 + 7, 9);
    expect(pixelMapForScale(2)).toEqual([0.5, 0, 0, -0.25, 0, 0.5, 0, -0.25, 0, 0, 1, 0, 0, 0, 0, 1]);
    // denoise keeps transforms and spacing as they are
    const same = enhancedSequence(
      seq,
      1,
      [0, 1].map(() => ({ width: 6, height: 4, pixels: new Uint8Array(24), ms: 1 })),
    );
    expect([same.spacing, same.frames]).toEqual([seq.spacing, seq.frames]);
    writePlusSequence(out('depth.igs.mha'), { ...seq, elementType: 'uint16', pixels: new Uint8Array(96) });
    const d = await run([out('depth.igs.mha'), '--model', 'denoise', '--out', out('depth-out.igs.mha')]);
    expect(d.code).toBe(1);
    expect(d.err).toBe(`${out('depth.igs.mha')}: 16-bit frames (a depth recording); only 8-bit ultrasound frames can be enhanced`);
  });
});
