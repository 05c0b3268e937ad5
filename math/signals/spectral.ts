/**
 * Power spectral density by Welch's method and the spectral descriptors of
 * sEMG (mean and median frequency).
 *
 * `welchPsd` reproduces `scipy.signal.welch(x, fs, window='hann',
 * nperseg, noverlap, detrend='constant', scaling='density',
 * return_onesided=True, average='mean')` (SciPy 1.10): periodic Hann window,
 * segments starting every nperseg − noverlap samples (no boundary extension,
 * no zero padding of the last segment), each segment's mean removed,
 * |FFT|²/(fs·Σw²), one-sided (interior bins doubled), averaged over segments.
 * Welch P. (1967) IEEE Trans Audio Electroacoust 15(2):70–73.
 */
import { fft } from './fft.js';

export interface WelchParams {
  /** samples per segment (default 1024); reduced to the signal's length when longer, as SciPy does */
  nperseg: number;
  /** samples shared by consecutive segments (default 512) */
  noverlap: number;
}

export interface Psd {
  /** bin frequencies, Hz: k·fs/nperseg, k = 0 … nperseg/2 */
  freqsHz: Float64Array;
  /** one-sided PSD, (input unit)²/Hz, same length as freqsHz */
  psd: Float64Array;
  /** segment length actually used (samples) */
  nperseg: number;
  /** overlap actually used (samples) */
  noverlap: number;
  /** number of segments averaged */
  segments: number;
}

/** Periodic Hann window of length n (SciPy `get_window('hann', n)`). */
export function hannPeriodic(n: number): Float64Array {
  const w = new Float64Array(n);
  if (n === 1) {
    w[0] = 1;
    return w;
  }
  const step = (2 * Math.PI) / n;
  for (let i = 0; i < n; i++) w[i] = 0.5 + 0.5 * Math.cos(-Math.PI + i * step);
  return w;
}

/**
 * Welch PSD of `x` sampled at `fs` Hz (see the module comment).
 * @throws on an empty signal, fs ≤ 0, or noverlap ≥ nperseg (after the reduction to the signal's length)
 */
export function welchPsd(x: Float64Array, fs: number, params: WelchParams = { nperseg: 1024, noverlap: 512 }): Psd {
  if (x.length === 0) throw new Error('welch: empty signal');
  if (!(fs > 0)) throw new Error(`welch: sampling rate must be positive, got ${fs}`);
  const nperseg = Math.min(params.nperseg, x.length);
  const noverlap = params.noverlap;
  if (!Number.isInteger(nperseg) || nperseg < 1) throw new Error(`welch: nperseg must be a positive integer, got ${params.nperseg}`);
  if (!Number.isInteger(noverlap) || noverlap < 0 || noverlap >= nperseg)
    throw new Error(`welch: noverlap (${noverlap}) must be an integer in [0, nperseg = ${nperseg})`);
  const step = nperseg - noverlap;
  const segments = Math.floor((x.length - nperseg) / step) + 1;
  const win = hannPeriodic(nperseg);
  let w2 = 0;
  for (let i = 0; i < nperseg; i++) w2 += win[i]! * win[i]!;
  const scale = 1 / (fs * w2);
  const nf = Math.floor(nperseg / 2) + 1;
  const acc = new Float64Array(nf);
  const re = new Float64Array(nperseg),
    im = new Float64Array(nperseg);
  for (let s = 0; s < segments; s++) {
    const o = s * step;
    let mean = 0;
    for (let i = 0; i < nperseg; i++) mean += x[o + i]!;
    mean /= nperseg;
    for (let i = 0; i < nperseg; i++) {
      re[i] = (x[o + i]! - mean) * win[i]!;
      im[i] = 0;
    }
    fft(re, im);
    for (let k = 0; k < nf; k++) {
      let p = (re[k]! * re[k]! + im[k]! * im[k]!) * scale;
      if (k > 0 && (nperseg % 2 === 1 || k < nf - 1)) p *= 2;
      acc[k]! += p;
    }
  }
  const freqsHz = new Float64Array(nf);
  const df = 1 / (nperseg * (1 / fs));
  for (let k = 0; k < nf; k++) {
    freqsHz[k] = k * df;
    acc[k]! /= segments;
  }
  return { freqsHz, psd: acc, nperseg, noverlap, segments };
}

/** Indices of the bins with loHz ≤ f ≤ hiHz. */
function band(freqs: Float64Array, loHz: number, hiHz: number): [number, number] {
  let a = 0;
  while (a < freqs.length && freqs[a]! < loHz) a++;
  let b = freqs.length - 1;
  while (b >= 0 && freqs[b]! > hiHz) b--;
  return [a, b];
}

/**
 * Mean (power-weighted) frequency over the bins with loHz ≤ f ≤ hiHz:
 * MNF = Σ f·P / Σ P, Hz. Null when the band holds no power or no bin.
 */
export function meanFrequency(freqs: Float64Array, psd: Float64Array, loHz: number, hiHz: number): number | null {
  const [a, b] = band(freqs, loHz, hiHz);
  let num = 0,
    den = 0;
  for (let k = a; k <= b; k++) {
    num += freqs[k]! * psd[k]!;
    den += psd[k]!;
  }
  return den > 0 && Number.isFinite(num / den) ? num / den : null;
}

/**
 * Median frequency over the bins with loHz ≤ f ≤ hiHz, Hz: with C[k] the
 * cumulative power of the band's bins (C[k] = Σ_{j ≤ k} P[j]) and H half the
 * total, the first bin k with C[k] ≥ H, linearly interpolated between
 * (C[k−1], f[k−1]) and (C[k], f[k]); the first bin's frequency when k is the
 * band's first. Null when the band holds no power or no bin.
 */
export function medianFrequency(freqs: Float64Array, psd: Float64Array, loHz: number, hiHz: number): number | null {
  const [a, b] = band(freqs, loHz, hiHz);
  if (b < a) return null;
  const c = new Float64Array(b - a + 1);
  let s = 0;
  for (let k = a; k <= b; k++) c[k - a] = s += psd[k]!;
  if (!(s > 0) || !Number.isFinite(s)) return null;
  const half = s / 2;
  let k = 0;
  while (c[k]! < half) k++;
  if (k === 0) return freqs[a]!;
  const c0 = c[k - 1]!,
    c1 = c[k]!;
  const f0 = freqs[a + k - 1]!,
    f1 = freqs[a + k]!;
  return f0 + ((half - c0) / (c1 - c0)) * (f1 - f0);
}
