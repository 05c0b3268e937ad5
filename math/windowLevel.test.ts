import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { autoWindowLevel, autoWindowLevelFor, CT_BODY_MIN_HU } from './windowLevel.js';
import { dataPath, describeData } from '../tests/helpers/data.js';

describe('auto W/L from percentiles', () => {
  it('0..1000 uniform: the 1st–99th percentile window is 10..990', () => {
    const v = Int16Array.from({ length: 1001 }, (_, i) => 1000 - i); // any order
    expect(autoWindowLevel(v)).toEqual({ window: 980, level: 500 });
    expect(autoWindowLevel(v, 0, 100)).toEqual({ window: 1000, level: 500 });
    expect(autoWindowLevel(v, 5, 95)).toEqual({ window: 900, level: 500 });
  });
  it('outliers (a metal implant, air) do not stretch the window', () => {
    const v = new Float32Array(10_000).map((_, i) => 100 + (i % 200)); // tissue 100..299
    v[0] = 30000;
    v[1] = -3000;
    const wl = autoWindowLevel(v);
    expect(wl.window).toBeLessThan(200);
    expect(wl.level).toBeGreaterThan(150);
    expect(wl.level).toBeLessThan(250);
  });
  it('a large volume is sampled with a stride and still lands on its percentiles', () => {
    const n = 5_000_000;
    const v = new Uint16Array(n).map((_, i) => (i * 7919) % 4096); // a permutation-like spread over 0..4095
    const wl = autoWindowLevel(v);
    expect(wl.level).toBeCloseTo(2047.5, -1);
    expect(wl.window).toBeGreaterThan(3950);
    expect(wl.window).toBeLessThan(4030);
  });
  it('a constant volume gets a window of 1, an empty one a neutral W/L', () => {
    expect(autoWindowLevel(new Int16Array(100).fill(7))).toEqual({ window: 1, level: 7 });
    expect(autoWindowLevel([])).toEqual({ window: 1, level: 0 });
  });
});

describe('CT: the percentiles of the body only (HU > −500)', () => {
  it('air around a body does not widen the window; MR keeps every voxel', () => {
    // 40 % air at −1000, the body 0..199 HU
    const v = new Int16Array(10_000).map((_, i) => (i < 4000 ? -1000 : i % 200));
    expect(CT_BODY_MIN_HU).toBe(-500);
    expect(autoWindowLevelFor('CT', v)).toEqual({ window: 195, level: 99.5 }); // 1st–99th of the 6000 body voxels: 2..197
    expect(autoWindowLevelFor('MR', v)).toEqual(autoWindowLevel(v));
    expect(autoWindowLevelFor('MR', v)).toEqual({ window: 1196, level: -402 }); // −1000..196
    // nothing above the threshold: all voxels count
    expect(autoWindowLevelFor('CT', new Int16Array(100).fill(-1000))).toEqual({ window: 1, level: -1000 });
  });
});

describeData('Auto W/L of the example abdominal CT (TotalSegmentator totalseg_example_ct, int32 HU)', () => {
  it('over the body: a soft-tissue-like window (W 778 / L −4), not air to bone (W 1319 / L −352)', () => {
    const b = zlib.gunzipSync(fs.readFileSync(dataPath('ct/totalseg_example_ct.nii.gz')));
    const n = 122 * 101 * 112;
    expect([b.readInt16LE(42), b.readInt16LE(44), b.readInt16LE(46), b.readInt16LE(70)]).toEqual([122, 101, 112, 8]); // int32
    const hu = new Int32Array(b.buffer.slice(b.byteOffset + 352, b.byteOffset + 352 + 4 * n));
    const all = autoWindowLevel(hu); // the whole volume: what Auto W/L gave before (air included)
    expect(all).toEqual({ window: 1319, level: -352.5 });
    const body = autoWindowLevelFor('CT', hu);
    // the 1st–99th percentile of the 884 906 voxels above −500 HU: −393 … 385 HU
    expect(body).toEqual({ window: 778, level: -4 });
    expect(body.level).toBeGreaterThan(-50); // centred on soft tissue (water 0, muscle ≈ 40 HU)
    expect(body.level).toBeLessThan(60);
    expect(body.window).toBeLessThan(800);
  });
});
