/**
 * Pure checks of the sEMG engine on synthetic signals whose answers are
 * known analytically (the SciPy agreement on the real trial is in
 * tests/integration/emgScipy.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { fft } from '../../../math/signals/fft.js';
import { butterSos, iirnotchSos, sosfilt, sosfiltfilt, sosfiltfiltPadlen, sosfiltZi } from '../../../math/signals/filters.js';
import { hannPeriodic, meanFrequency, medianFrequency, welchPsd } from '../../../math/signals/spectral.js';
import {
  EMG_DEFAULTS,
  channelQuality,
  emgFeatures,
  hodgesBuiOnsets,
  iemg,
  leastSquaresLine,
  linearEnvelope,
  rms,
  symmetryByLevel,
  symmetryIndex,
} from './emg.js';

const FS = 2000;

/** Seeded uniform [0, 1) (mulberry32) and standard normal (Box–Muller). */
function rng(seed: number): { u: () => number; n: () => number } {
  let a = seed >>> 0;
  const u = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { u, n: () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()) };
}

const sine = (n: number, f: number, a = 1, fs = FS): Float64Array => Float64Array.from({ length: n }, (_, i) => a * Math.sin((2 * Math.PI * f * i) / fs));

/** |H(e^{iω})| of an SOS cascade at f Hz. */
function gain(sos: Float64Array, f: number, fs = FS): number {
  const w = (2 * Math.PI * f) / fs;
  let g = 1;
  for (let s = 0; s < sos.length / 6; s++) {
    const c = sos.subarray(6 * s, 6 * s + 6);
    const h = (b0: number, b1: number, b2: number): number =>
      Math.hypot(b0 + b1 * Math.cos(w) + b2 * Math.cos(2 * w), -b1 * Math.sin(w) - b2 * Math.sin(2 * w));
    g *= h(c[0]!, c[1]!, c[2]!) / h(c[3]!, c[4]!, c[5]!);
  }
  return g;
}

describe('filter design', () => {
  it('Butterworth edges are at −3 dB, flat in the pass band, 4 sections for the default band-pass', () => {
    const bp = butterSos(4, [20, 450], 'bandpass', FS);
    expect(bp.length / 6).toBe(4);
    expect(gain(bp, 20)).toBeCloseTo(Math.SQRT1_2, 10);
    expect(gain(bp, 450)).toBeCloseTo(Math.SQRT1_2, 10);
    expect(gain(bp, Math.sqrt(20 * 450) * 1.0)).toBeCloseTo(1, 3);
    expect(gain(bp, 2)).toBeLessThan(2e-4); // 4 zeros at DC: ≈ (2/20)⁴
    const lp = butterSos(2, 6, 'lowpass', FS);
    expect(gain(lp, 6)).toBeCloseTo(Math.SQRT1_2, 10);
    expect(gain(lp, 0)).toBeCloseTo(1, 12);
    const hp = butterSos(3, 100, 'highpass', FS);
    expect(hp.length / 6).toBe(2);
    expect(gain(hp, 100)).toBeCloseTo(Math.SQRT1_2, 10);
    expect(gain(hp, 999)).toBeCloseTo(1, 6);
    expect(sosfiltfiltPadlen(bp)).toBe(27);
  });

  it('the notch removes its frequency and keeps −3 dB at f0 ± f0/(2Q)', () => {
    const n = iirnotchSos(50, 30, FS);
    expect(gain(n, 50)).toBeLessThan(1e-12);
    expect(gain(n, 400)).toBeCloseTo(1, 2);
    const bw = 50 / 30;
    expect(gain(n, 50 + bw / 2)).toBeCloseTo(Math.SQRT1_2, 2);
  });

  it('rejects edges outside (0, fs/2) and bad orders', () => {
    expect(() => butterSos(4, [20, 1000], 'bandpass', FS)).toThrow(/must lie in/);
    expect(() => butterSos(4, [450, 20], 'bandpass', FS)).toThrow(/increasing/);
    expect(() => butterSos(0, 10, 'lowpass', FS)).toThrow(/order/);
    expect(() => iirnotchSos(60, 30, 100)).toThrow(/notch/);
  });

  it('sosfilt_zi starts a step at its steady state; sosfiltfilt has zero phase and unit pass-band gain', () => {
    const lp = butterSos(2, 6, 'lowpass', FS);
    const y = sosfilt(
      lp,
      new Float64Array(200).fill(3),
      sosfiltZi(lp).map((v) => v * 3),
    );
    for (const v of y) expect(v).toBeCloseTo(3, 10);
    const bp = butterSos(4, [20, 450], 'bandpass', FS);
    const x = sine(4000, 100, 2);
    const z = sosfiltfilt(bp, x);
    let d = 0;
    // away from the ends, where the 20 Hz poles' (radius 0.978) start-up transient has decayed
    for (let i = 1500; i < 2500; i++) d = Math.max(d, Math.abs(z[i]! - x[i]! * gain(bp, 100) ** 2));
    expect(d).toBeLessThan(1e-9);
    expect(() => sosfiltfilt(bp, new Float64Array(27))).toThrow(/pad length/);
  });
});

describe('FFT and Welch PSD', () => {
  it('the FFT equals the direct DFT for power-of-two and other lengths', () => {
    const r = rng(7);
    for (const n of [1, 2, 8, 64, 12, 100, 257]) {
      const x = Float64Array.from({ length: n }, r.n);
      const re = x.slice(),
        im = new Float64Array(n);
      fft(re, im);
      let err = 0;
      for (let k = 0; k < n; k++) {
        let sr = 0,
          si = 0;
        for (let j = 0; j < n; j++) {
          sr += x[j]! * Math.cos((2 * Math.PI * j * k) / n);
          si -= x[j]! * Math.sin((2 * Math.PI * j * k) / n);
        }
        err = Math.max(err, Math.hypot(re[k]! - sr, im[k]! - si));
      }
      expect(err, `n = ${n}`).toBeLessThan(1e-10 * Math.max(1, n));
    }
  });

  it('white noise of variance σ² has the one-sided density 2σ²/fs; the PSD integrates to the variance', () => {
    const r = rng(42);
    const sigma = 3e-4;
    const x = Float64Array.from({ length: 1 << 17 }, () => sigma * r.n());
    const p = welchPsd(x, FS);
    expect([p.nperseg, p.noverlap, p.segments]).toEqual([1024, 512, 255]);
    let mean = 0;
    for (let k = 1; k < p.psd.length - 1; k++) mean += p.psd[k]!;
    mean /= p.psd.length - 2;
    expect(mean / ((2 * sigma * sigma) / FS)).toBeCloseTo(1, 1.5);
    let area = 0;
    for (let k = 0; k < p.psd.length; k++) area += p.psd[k]! * (FS / 1024);
    expect(area / (sigma * sigma)).toBeCloseTo(1, 1.5);
  });

  it('an on-bin sine: MNF is its frequency, MDF half a bin below it (linear interpolation of the cumulative power)', () => {
    const df = FS / 1024,
      f = 50 * df;
    const p = welchPsd(sine(8192, f, 1e-3), FS);
    expect(hannPeriodic(4)).toEqual(Float64Array.from([0, 0.5, 1, 0.5]));
    expect(meanFrequency(p.freqsHz, p.psd, 20, 450)).toBeCloseTo(f, 6);
    expect(medianFrequency(p.freqsHz, p.psd, 20, 450)).toBeCloseTo(f - df / 2, 6);
    expect(medianFrequency(p.freqsHz, new Float64Array(p.psd.length), 20, 450)).toBeNull();
    // all power in the first band bin
    const one = new Float64Array(p.psd.length);
    one[11] = 1;
    expect(medianFrequency(p.freqsHz, one, 20, 450)).toBeCloseTo(11 * df, 12);
  });
});

describe('sEMG features', () => {
  it("a sine's RMS is A/√2 and its IEMG and linear envelope follow the mean rectified value", () => {
    const A = 1e-3;
    const x = sine(4000, 100, A);
    expect(rms(x)).toBeCloseTo(A / Math.SQRT2, 15);
    // 20 samples a period: Σ|sin(πn/10)| over a period = 2·cot(π/20) (→ 2/π·20 when sampled densely)
    expect(iemg(x, FS)).toBeCloseTo((((A * 2) / Math.tan(Math.PI / 20)) * (4000 / 20)) / FS, 15);
    const f = emgFeatures(x, FS);
    expect(f.rmsV / (A / Math.SQRT2)).toBeCloseTo(1, 3);
    expect(f.mnfHz).toBeCloseTo(100, 0);
    expect(f.flat).toBe(false);
    expect(f.saturated).toBe(false);
    // the linear envelope of a steady sine is its mean rectified value (2/π·A sampled densely; 2·cot(π/20)/20·A here)
    const env = linearEnvelope(x, FS);
    expect(env[2000]! / ((2 * A) / Math.tan(Math.PI / 20) / 20)).toBeCloseTo(1, 3);
  });

  it('a chirp falling at 10 Hz/s gives an MDF slope of −10 Hz/s', () => {
    const f0 = 250,
      k = -10,
      T = 12;
    const x = Float64Array.from({ length: T * FS }, (_, i) => {
      const t = i / FS;
      return 1e-3 * Math.sin(2 * Math.PI * (f0 * t + (k / 2) * t * t));
    });
    const f = emgFeatures(x, FS);
    expect(f.fatigueWindows.length).toBe((T - 1) / 0.5 + 1);
    expect(f.fatigueWindows[0]!.tS).toBe(0.5);
    expect(f.mdfSlopeHzPerS!).toBeCloseTo(k, 1);
    expect(f.mdfInterceptHz!).toBeGreaterThan(f0 - 3);
    expect(f.mdfInterceptHz!).toBeLessThan(f0 + 3);
    expect(f.mdfSlopePctPerS!).toBeCloseTo((100 * k) / f0, 0);
  });

  it('least squares recovers an exact line; fewer than two points give null', () => {
    expect(leastSquaresLine([0, 1, 2, 3], [5, 3, 1, -1])).toEqual([5, -2]);
    expect(leastSquaresLine([1], [1])).toBeNull();
  });

  it('all-zero and constant channels are flat with zero amplitudes and null spectra, never NaN', () => {
    for (const x of [new Float64Array(5000), new Float64Array(5000).fill(0.25)]) {
      const f = emgFeatures(x, FS);
      expect(f.flat).toBe(true);
      expect([f.iemgVs, f.rmsV, f.mnfHz, f.mdfHz, f.mdfSlopeHzPerS]).toEqual([0, 0, null, null, null]);
      expect(f.signals.filtered.every((v) => v === 0)).toBe(true);
      expect(JSON.stringify({ ...f, signals: undefined })).not.toMatch(/NaN/);
    }
  });

  it('a clipped channel is flagged saturated (plateaus at its extremes, or at a stated range)', () => {
    const r = rng(3);
    const x = Float64Array.from({ length: 6000 }, () => Math.max(-1e-3, Math.min(1e-3, 1e-3 * r.n())));
    expect(emgFeatures(x, FS).saturated).toBe(true);
    const y = Float64Array.from({ length: 6000 }, () => 1e-3 * r.n());
    expect(emgFeatures(y, FS).saturated).toBe(false);
    expect(emgFeatures(y, FS, { saturationRangeV: 2e-3 }).saturated).toBe(true);
    expect(channelQuality(y, null).saturatedFraction).toBe(0);
  });

  it('Hodges & Bui finds a burst between 2 and 3 s within 30 ms (half the 50 ms centred window + smoothing)', () => {
    const r = rng(11);
    const x = Float64Array.from({ length: 5 * FS }, (_, i) => (i >= 2 * FS && i < 3 * FS ? 1e-3 : 5e-5) * r.n());
    const y = sosfiltfilt(butterSos(4, [20, 450], 'bandpass', FS), x);
    const b = hodgesBuiOnsets(y, FS);
    expect(b.length).toBe(1);
    expect(Math.abs(b[0]!.onsetS - 2)).toBeLessThan(0.03);
    expect(Math.abs(b[0]!.offsetS! - 3)).toBeLessThan(0.03);
    expect(emgFeatures(x, FS).bursts.length).toBe(1);
  });

  it('the symmetry index is 100·(R − L)/mean(R, L)', () => {
    expect(symmetryIndex(1, 1)).toBe(0);
    expect(symmetryIndex(1, 3)).toBe(100);
    expect(symmetryIndex(3, 1)).toBe(-100);
    expect(symmetryIndex(0, 0)).toBeNull();
    expect(symmetryIndex(null, 1)).toBeNull();
    const a = emgFeatures(sine(4000, 100, 1e-3), FS),
      b = emgFeatures(sine(4000, 100, 3e-3), FS),
      z = emgFeatures(new Float64Array(4000), FS);
    const si = symmetryByLevel(
      [
        { level: 'L4', left: a, right: b },
        { level: 'L2', left: a, right: z },
      ],
      'rmsV',
    );
    expect(si[0]!.siPct).toBeCloseTo(100, 6);
    expect(si[1]).toMatchObject({ level: 'L2', right: null, siPct: null });
  });

  it('returns every parameter used, the defaults of issue 21 unless overridden', () => {
    const f = emgFeatures(sine(3000, 80, 1e-4), FS, { notchHz: 60 });
    expect(f.params).toEqual({ ...EMG_DEFAULTS, notchHz: 60 });
    expect(EMG_DEFAULTS).toMatchObject({
      bandpassLowHz: 20,
      bandpassHighHz: 450,
      bandpassOrder: 4,
      welchNperseg: 1024,
      welchNoverlap: 512,
      spectralLowHz: 20,
      spectralHighHz: 450,
      fatigueWindowS: 1,
      fatigueStepS: 0.5,
      notchHz: null,
      notchQ: 30,
    });
    expect(f.derived).toEqual({ bandpassSections: 4, padlenSamples: 27, welchNpersegUsed: 1024, welchSegments: 4 });
  });

  it('rejects bad input with a clear error', () => {
    expect(() => emgFeatures(new Float64Array(20), FS)).toThrow(/at least 28/);
    expect(() => emgFeatures(Float64Array.from([1, NaN, ...new Float64Array(100)]), FS)).toThrow(/sample 1/);
    expect(() => emgFeatures(new Float64Array(100), 0)).toThrow(/rate/);
    expect(() => emgFeatures(new Float64Array(1000), 800)).toThrow(/450 Hz must lie/);
  });
});
