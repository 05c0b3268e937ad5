/**
 * Surface/intramuscular EMG processing after the SENIAM / ISEK conventions
 * (Hermens et al. 2000, SENIAM; Merletti 1999, ISEK "Standards for reporting
 * EMG data"), reproducing SciPy step for step where SciPy defines the step:
 *
 * 1. band-pass 20–450 Hz, Butterworth of design order 4 (an 8th-order
 *    band-pass, 4 sections), applied zero-phase as `scipy.signal.sosfiltfilt`
 *    (odd padding, default pad length) — the edges become −6 dB points;
 * 2. optional notch at 50 or 60 Hz (`scipy.signal.iirnotch`, Q = 30),
 *    zero-phase, after the band-pass — off by default: it removes genuine EMG
 *    power near the line frequency;
 * 3. amplitude: IEMG = Σ|y|·Δt (V·s), RMS = √(Σy²/N) (V) of the filtered y;
 * 4. spectrum: Welch PSD (Hann, 1024 samples, 512 overlap, constant detrend,
 *    density scaling, as `scipy.signal.welch`), mean frequency MNF = Σf·P/ΣP
 *    and median frequency MDF (linear interpolation of the cumulative power)
 *    over the bins with 20 ≤ f ≤ 450 Hz;
 * 5. fatigue: MDF of 1 s windows advanced by 0.5 s (each window's Welch PSD
 *    with the same settings; time = window centre), least-squares line
 *    MDF(t) = a + b·t; b in Hz/s (negative = spectral compression, fatigue)
 *    and 100·b/a in %/s (Merletti, Knaflitz & De Luca 1990, J Appl Physiol 69:1810);
 * 6. linear envelope: full-wave rectification |y − mean(y)|, Butterworth
 *    low-pass 6 Hz of design order 2, zero-phase (effective 4th order);
 * 7. onset/offset: Hodges & Bui (1996, Electroencephalogr Clin Neurophysiol
 *    101:511): rectified y low-passed at 50 Hz (Butterworth order 2,
 *    zero-phase), moving mean over 50 ms (centred), active while it is ≥
 *    μ + 3σ of the same processed signal over the baseline (the first 0.5 s);
 * 8. quality: a channel whose samples are all equal (e.g. all zero) is `flat`
 *    (amplitudes 0, spectral features null, never NaN); a channel is
 *    `saturated` when ≥ 1 % of its samples sit at the amplifier's range
 *    (|x| ≥ saturationRangeV when given) or, without a stated range, in
 *    clipping plateaus (runs of ≥ 3 equal samples at its own extremes).
 *
 * Shapes and units: input samples are one channel as a `Float64Array` in
 * volts at `rateHz` samples per second; outputs say their unit in the name.
 * Errors: a non-positive or non-finite rate, non-finite samples, a band edge
 * at or above fs/2, or a signal not longer than the filter's pad length
 * (27 samples for the default band-pass) throw an Error naming the cause.
 */
import { butterSos, iirnotchSos, sosfiltfilt, sosfiltfiltPadlen } from '../../../math/signals/filters.js';
import { meanFrequency, medianFrequency, welchPsd } from '../../../math/signals/spectral.js';

/** Every tunable parameter of `emgFeatures`, with the defaults of OrthoTwin issue 21. */
export interface EmgParams {
  /** band-pass lower edge, Hz (20) */
  bandpassLowHz: number;
  /** band-pass upper edge, Hz (450) */
  bandpassHighHz: number;
  /** Butterworth design order N of the band-pass (4 → 8th-order band-pass) */
  bandpassOrder: number;
  /** notch frequency, Hz (50 or 60), or null for none (null) */
  notchHz: number | null;
  /** notch quality factor (30) */
  notchQ: number;
  /** linear envelope low-pass cut-off, Hz (6) */
  envelopeLowpassHz: number;
  /** linear envelope Butterworth design order, applied zero-phase (2) */
  envelopeOrder: number;
  /** Welch segment length, samples (1024) */
  welchNperseg: number;
  /** Welch segment overlap, samples (512) */
  welchNoverlap: number;
  /** band of MNF/MDF, Hz (20) */
  spectralLowHz: number;
  /** band of MNF/MDF, Hz (450) */
  spectralHighHz: number;
  /** MDF window for the fatigue slope, s (1) */
  fatigueWindowS: number;
  /** MDF window step, s (0.5) */
  fatigueStepS: number;
  /** onset baseline: the first seconds of the record (0.5) */
  onsetBaselineS: number;
  /** onset low-pass of the rectified signal, Hz (50) */
  onsetLowpassHz: number;
  /** onset moving-mean window, s (0.05) */
  onsetWindowS: number;
  /** onset threshold, standard deviations above the baseline mean (3) */
  onsetThresholdSd: number;
  /** amplifier range, V, or null to detect plateaus at the channel's own extremes (null) */
  saturationRangeV: number | null;
  /** fraction of samples at the range that flags saturation (0.01) */
  saturationFraction: number;
}

export const EMG_DEFAULTS: Readonly<EmgParams> = Object.freeze({
  bandpassLowHz: 20,
  bandpassHighHz: 450,
  bandpassOrder: 4,
  notchHz: null,
  notchQ: 30,
  envelopeLowpassHz: 6,
  envelopeOrder: 2,
  welchNperseg: 1024,
  welchNoverlap: 512,
  spectralLowHz: 20,
  spectralHighHz: 450,
  fatigueWindowS: 1,
  fatigueStepS: 0.5,
  onsetBaselineS: 0.5,
  onsetLowpassHz: 50,
  onsetWindowS: 0.05,
  onsetThresholdSd: 3,
  saturationRangeV: null,
  saturationFraction: 0.01,
});

/** The fixed choices of the pipeline, stored with the parameters. */
export const EMG_METHOD = Object.freeze({
  algorithm: 'orthotwin.emg',
  version: 1,
  bandpass: 'Butterworth (bilinear, prewarped), second-order sections, zero-phase sosfiltfilt, odd padding',
  notch: 'iirnotch, zero-phase sosfiltfilt',
  amplitude: 'IEMG = sum|y|/fs (V s); RMS = sqrt(mean y^2) (V), of the filtered signal',
  psd: "Welch: window 'hann' (periodic), detrend 'constant', scaling 'density', one-sided, mean of segments",
  mnf: 'sum f P / sum P over spectralLowHz <= f <= spectralHighHz',
  mdf: 'cumulative power over the band, linear interpolation at half the total',
  fatigue: 'least-squares slope of window MDF against the window centre time',
  envelope: 'full-wave |y - mean y|, Butterworth low-pass, zero-phase',
  onset: 'Hodges & Bui 1996: centred moving mean of the low-passed rectified signal >= baseline mean + h SD (baseline statistics of the same processed signal)',
});

export interface FatigueWindow {
  /** window centre, s from the first sample */
  tS: number;
  /** median frequency of the window, Hz (null for a window without power) */
  mdfHz: number | null;
  /** mean frequency of the window, Hz */
  mnfHz: number | null;
}

export interface Burst {
  /** onset, s from the first sample */
  onsetS: number;
  /** offset, s; null when the record ends active */
  offsetS: number | null;
}

export interface EmgFeatures {
  rateHz: number;
  samples: number;
  durationS: number;
  /** every sample equal (e.g. an unconnected all-zero channel) */
  flat: boolean;
  /** clipping at the amplifier's range (see saturationRangeV) */
  saturated: boolean;
  /** fraction of samples at the range, or in plateaus at the channel's extremes */
  saturatedFraction: number;
  /** integrated EMG of the filtered signal, V·s */
  iemgVs: number;
  /** RMS of the filtered signal, V */
  rmsV: number;
  /** mean frequency of the whole record, Hz (null when flat) */
  mnfHz: number | null;
  /** median frequency of the whole record, Hz (null when flat) */
  mdfHz: number | null;
  /** least-squares slope of the window MDFs, Hz/s (null with fewer than 2 windows or when flat) */
  mdfSlopeHzPerS: number | null;
  /** intercept a of MDF(t) = a + b·t, Hz */
  mdfInterceptHz: number | null;
  /** 100·b/a, %/s */
  mdfSlopePctPerS: number | null;
  fatigueWindows: FatigueWindow[];
  /** Hodges & Bui bursts; empty when flat, shorter than the baseline, or the baseline has no spread */
  bursts: Burst[];
  /** the parameters used (defaults merged with the caller's) */
  params: EmgParams;
  /** the fixed method choices */
  method: typeof EMG_METHOD;
  /** values derived from the parameters */
  derived: { bandpassSections: number; padlenSamples: number; welchNpersegUsed: number; welchSegments: number };
  /** processed signals, same length as the input: band-passed (and notched) y, V; linear envelope, V */
  signals: { filtered: Float64Array; envelope: Float64Array };
}

/** Mean and population SD. */
function meanSd(x: Float64Array, from = 0, to = x.length): [number, number] {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]!;
  const m = s / (to - from);
  let v = 0;
  for (let i = from; i < to; i++) v += (x[i]! - m) ** 2;
  return [m, Math.sqrt(v / (to - from))];
}

/** Integrated EMG Σ|x|·Δt, in (unit of x)·s. */
export function iemg(x: Float64Array, rateHz: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]!);
  return s / rateHz;
}

/** Root mean square √(Σx²/N), in the unit of x; 0 for an empty signal. */
export function rms(x: Float64Array): number {
  if (x.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / x.length);
}

/** Linear envelope: |x − mean(x)| low-passed by a zero-phase Butterworth (design order `order`, cut-off `cutoffHz`). */
export function linearEnvelope(x: Float64Array, rateHz: number, cutoffHz = 6, order = 2): Float64Array {
  const [m] = meanSd(x);
  const r = x.map((v) => Math.abs(v - m));
  return sosfiltfilt(butterSos(order, cutoffHz, 'lowpass', rateHz), r);
}

/**
 * Ordinary least-squares line y = a + b·t.
 * @returns [a, b], or null with fewer than two points or all t equal
 */
export function leastSquaresLine(t: readonly number[], y: readonly number[]): [number, number] | null {
  const n = t.length;
  if (n < 2 || y.length !== n) return null;
  let mt = 0,
    my = 0;
  for (let i = 0; i < n; i++) {
    mt += t[i]!;
    my += y[i]!;
  }
  mt /= n;
  my /= n;
  let stt = 0,
    sty = 0;
  for (let i = 0; i < n; i++) {
    stt += (t[i]! - mt) ** 2;
    sty += (t[i]! - mt) * (y[i]! - my);
  }
  if (!(stt > 0)) return null;
  const b = sty / stt;
  return [my - b * mt, b];
}

/**
 * MDF/MNF of consecutive windows of `windowS` seconds advanced by `stepS`
 * (only whole windows), each with the Welch settings given; t = window centre.
 */
export function fatigueWindows(
  y: Float64Array,
  rateHz: number,
  p: Pick<EmgParams, 'fatigueWindowS' | 'fatigueStepS' | 'welchNperseg' | 'welchNoverlap' | 'spectralLowHz' | 'spectralHighHz'>,
): FatigueWindow[] {
  const W = Math.round(p.fatigueWindowS * rateHz),
    S = Math.round(p.fatigueStepS * rateHz);
  if (!(W >= 1) || !(S >= 1)) throw new Error('fatigue window and step must be at least one sample');
  const out: FatigueWindow[] = [];
  for (let s = 0; s + W <= y.length; s += S) {
    const seg = y.subarray(s, s + W);
    const nper = Math.min(p.welchNperseg, W);
    const psd = welchPsd(seg, rateHz, { nperseg: nper, noverlap: Math.min(p.welchNoverlap, nper - 1) });
    out.push({
      tS: (s + W / 2) / rateHz,
      mdfHz: medianFrequency(psd.freqsHz, psd.psd, p.spectralLowHz, p.spectralHighHz),
      mnfHz: meanFrequency(psd.freqsHz, psd.psd, p.spectralLowHz, p.spectralHighHz),
    });
  }
  return out;
}

/**
 * Hodges & Bui (1996) onset/offset detection on the filtered signal `y`:
 * e = low-pass(|y|) (Butterworth order 2, zero-phase), m = centred moving
 * mean of e over `windowS`, μ/σ = mean/SD of e over the first `baselineS`;
 * active while m ≥ μ + h·σ. Returns the bursts (onset = first active sample,
 * offset = first inactive sample after it). Empty when σ = 0.
 */
export function hodgesBuiOnsets(
  y: Float64Array,
  rateHz: number,
  p: Pick<EmgParams, 'onsetBaselineS' | 'onsetLowpassHz' | 'onsetWindowS' | 'onsetThresholdSd'> = EMG_DEFAULTS,
): Burst[] {
  const nb = Math.round(p.onsetBaselineS * rateHz);
  if (nb < 2 || nb > y.length) throw new Error(`onset baseline of ${p.onsetBaselineS} s needs 2 … ${y.length} samples`);
  const lp = p.onsetLowpassHz < rateHz / 2 ? butterSos(2, p.onsetLowpassHz, 'lowpass', rateHz) : null;
  const r = y.map(Math.abs);
  const e = lp ? sosfiltfilt(lp, r) : r;
  const [mu, sd] = meanSd(e, 0, nb);
  if (!(sd > 0)) return [];
  const thr = mu + p.onsetThresholdSd * sd;
  const half = Math.max(0, Math.floor(Math.round(p.onsetWindowS * rateHz) / 2));
  // prefix sums for the centred moving mean (window clipped at the ends)
  const cs = new Float64Array(e.length + 1);
  for (let i = 0; i < e.length; i++) cs[i + 1] = cs[i]! + e[i]!;
  const bursts: Burst[] = [];
  let active = false;
  for (let i = 0; i < e.length; i++) {
    const a = Math.max(0, i - half),
      b = Math.min(e.length, i + half + 1);
    const on = (cs[b]! - cs[a]!) / (b - a) >= thr;
    if (on && !active) bursts.push({ onsetS: i / rateHz, offsetS: null });
    else if (!on && active) bursts[bursts.length - 1]!.offsetS = i / rateHz;
    active = on;
  }
  return bursts;
}

/**
 * Bilateral symmetry index (Robinson et al. 1986, J Manipulative Physiol Ther 9:149):
 * SI = 100·(R − L)/(½·(R + L)), %; 0 = symmetric, positive = right larger.
 * Null when R + L = 0 or a value is missing.
 */
export function symmetryIndex(left: number | null, right: number | null): number | null {
  if (left === null || right === null || !Number.isFinite(left) || !Number.isFinite(right)) return null;
  const s = left + right;
  return s === 0 ? null : (100 * (right - left)) / (0.5 * s);
}

export type SymmetryFeature = 'iemgVs' | 'rmsV' | 'mnfHz' | 'mdfHz' | 'mdfSlopeHzPerS';

/**
 * Bilateral symmetry index per level (e.g. the erector spinae at L4 and L2:
 * EMG1/EMG2 and EMG3/EMG4) of one feature, `symmetryIndex(left, right)` in %;
 * null for a level where a side is flat or lacks the feature.
 */
export function symmetryByLevel(
  pairs: readonly { level: string; left: EmgFeatures; right: EmgFeatures }[],
  feature: SymmetryFeature,
): { level: string; feature: SymmetryFeature; left: number | null; right: number | null; siPct: number | null }[] {
  return pairs.map(({ level, left, right }) => {
    const l = left.flat ? null : left[feature],
      r = right.flat ? null : right[feature];
    return { level, feature, left: l, right: r, siPct: symmetryIndex(l, r) };
  });
}

/**
 * Quality of a raw channel: flat (all samples equal) and the fraction of
 * samples at the range (|x| ≥ rangeV) or, without a range, in clipping
 * plateaus (runs of ≥ 3 equal samples at the channel's own minimum or
 * maximum; a sine touching its peak once a period is not clipped).
 */
export function channelQuality(x: Float64Array, rangeV: number | null): { flat: boolean; saturatedFraction: number } {
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i]! < lo) lo = x[i]!;
    if (x[i]! > hi) hi = x[i]!;
  }
  const flat = x.length === 0 || lo === hi;
  if (flat) return { flat, saturatedFraction: 0 };
  let n = 0;
  if (rangeV !== null) {
    for (let i = 0; i < x.length; i++) if (Math.abs(x[i]!) >= rangeV) n++;
  } else {
    // clipping plateaus: runs of ≥ 3 consecutive samples at the minimum or the maximum
    for (let i = 0; i < x.length;) {
      const v = x[i]!;
      let j = i + 1;
      while (j < x.length && x[j] === v) j++;
      if ((v === lo || v === hi) && j - i >= 3) n += j - i;
      i = j;
    }
  }
  return { flat, saturatedFraction: n / x.length };
}

/**
 * Every feature of one EMG channel (see the module comment).
 * @param samples one channel, V
 * @param rateHz sampling rate, Hz
 * @param params overrides of `EMG_DEFAULTS`; all the values used are returned in `params`
 * @throws on invalid input or parameters (message names the cause)
 */
export function emgFeatures(samples: Float64Array, rateHz: number, params: Partial<EmgParams> = {}): EmgFeatures {
  const p: EmgParams = { ...EMG_DEFAULTS, ...params };
  if (!(rateHz > 0) || !Number.isFinite(rateHz)) throw new Error(`sampling rate must be a positive number of Hz, got ${rateHz}`);
  for (let i = 0; i < samples.length; i++) if (!Number.isFinite(samples[i]!)) throw new Error(`sample ${i} is not a finite number (${samples[i]})`);
  if (p.notchHz !== null && !(p.notchHz > 0)) throw new Error(`notchHz must be null or positive, got ${p.notchHz}`);
  const bp = butterSos(p.bandpassOrder, [p.bandpassLowHz, p.bandpassHighHz], 'bandpass', rateHz);
  const padlen = sosfiltfiltPadlen(bp);
  const n = samples.length;
  if (n <= padlen) throw new Error(`the channel has ${n} samples; at least ${padlen + 1} are needed (the band-pass pad length)`);
  const q = channelQuality(samples, p.saturationRangeV);
  const saturated = !q.flat && q.saturatedFraction >= p.saturationFraction;
  const nper = Math.min(p.welchNperseg, n);
  const derived = {
    bandpassSections: bp.length / 6,
    padlenSamples: padlen,
    welchNpersegUsed: nper,
    welchSegments: p.welchNoverlap < nper ? Math.floor((n - nper) / (nper - p.welchNoverlap)) + 1 : 0,
  };
  const base = { rateHz, samples: n, durationS: n / rateHz, saturatedFraction: q.saturatedFraction, params: p, method: EMG_METHOD, derived };
  if (q.flat) {
    const zeros = new Float64Array(n);
    return {
      ...base,
      flat: true,
      saturated: false,
      iemgVs: 0,
      rmsV: 0,
      mnfHz: null,
      mdfHz: null,
      mdfSlopeHzPerS: null,
      mdfInterceptHz: null,
      mdfSlopePctPerS: null,
      fatigueWindows: [],
      bursts: [],
      signals: { filtered: zeros, envelope: new Float64Array(n) },
    };
  }
  let y = sosfiltfilt(bp, samples);
  if (p.notchHz !== null) y = sosfiltfilt(iirnotchSos(p.notchHz, p.notchQ, rateHz), y);
  const psd = welchPsd(y, rateHz, { nperseg: p.welchNperseg, noverlap: p.welchNoverlap });
  const windows = fatigueWindows(y, rateHz, p);
  const valid = windows.filter((w) => w.mdfHz !== null);
  const line = leastSquaresLine(
    valid.map((w) => w.tS),
    valid.map((w) => w.mdfHz!),
  );
  return {
    ...base,
    flat: false,
    saturated,
    iemgVs: iemg(y, rateHz),
    rmsV: rms(y),
    mnfHz: meanFrequency(psd.freqsHz, psd.psd, p.spectralLowHz, p.spectralHighHz),
    mdfHz: medianFrequency(psd.freqsHz, psd.psd, p.spectralLowHz, p.spectralHighHz),
    mdfSlopeHzPerS: line ? line[1] : null,
    mdfInterceptHz: line ? line[0] : null,
    mdfSlopePctPerS: line && line[0] !== 0 ? (100 * line[1]) / line[0] : null,
    fatigueWindows: windows,
    bursts: Math.round(p.onsetBaselineS * rateHz) <= n ? hodgesBuiOnsets(y, rateHz, p) : [],
    signals: { filtered: y, envelope: linearEnvelope(y, rateHz, p.envelopeLowpassHz, p.envelopeOrder) },
  };
}
