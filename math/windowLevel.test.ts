import { describe, expect, it } from 'vitest';
import { autoWindowLevel } from './windowLevel.js';

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
