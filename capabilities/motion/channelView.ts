/**
 * One channel of a motion trial as the Motion workspace plots it: the raw
 * signal as min/max per bin (every extreme kept however far it is zoomed
 * out), and for sEMG the linear envelope at the bins' times, the Welch PSD
 * of the band-passed signal (0–500 Hz) and the MDF of each fatigue window
 * with the least-squares line — the same computation as the stored features
 * (electron/engine/signals/emg.ts, one parameter set).
 */
import { AppError } from '../../electron/contract/errors.js';
import { emgFeatures, type EmgParams } from '../../electron/engine/signals/emg.js';
import { welchPsd } from '../../math/signals/spectral.js';
import type { ChannelView, TrunkAnglesView } from './contract.js';
import { trunkFromImu, type ImuSensor } from './imuTrial.js';
import type { Trial } from './trial.js';

/**
 * Min/max decimation of `x` (sampled at `rateHz`, first sample at t = 0) into at most `bins` bins.
 * @returns bin centre times (s) and each bin's minimum and maximum
 */
export function minMaxBins(x: Float64Array, rateHz: number, bins: number): { t: number[]; min: number[]; max: number[] } {
  const n = x.length;
  const per = Math.max(1, Math.ceil(n / bins));
  const t: number[] = [],
    min: number[] = [],
    max: number[] = [];
  for (let s = 0; s < n; s += per) {
    const e = Math.min(n, s + per);
    let lo = Infinity,
      hi = -Infinity;
    for (let i = s; i < e; i++) {
      const v = x[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    t.push((s + e - 1) / 2 / rateHz);
    min.push(lo);
    max.push(hi);
  }
  return { t, min, max };
}

/**
 * The plot data of one channel of a trial.
 * @throws AppError NOT_FOUND when the trial has no channel `label`
 */
export function channelView(trial: Trial, label: string, maxPoints: number, params: Partial<EmgParams> = {}): ChannelView {
  const c = trial.channels.find((ch) => ch.label === label);
  if (!c) throw new AppError('NOT_FOUND', `${trial.file} has no channel ${label}`);
  const raw = minMaxBins(c.samples, trial.analogHz, maxPoints);
  const base = { label: c.label, unit: c.unit, rateHz: trial.analogHz, samples: c.samples.length, raw };
  if (c.kind !== 'emg') return { ...base, envelope: null, psd: null, mdf: null };
  const f = emgFeatures(c.samples, trial.analogHz, params);
  const per = Math.max(1, Math.ceil(c.samples.length / maxPoints));
  const envelope = raw.t.map((_, k) => f.signals.envelope[Math.min(c.samples.length - 1, k * per + Math.floor(per / 2))]!);
  let psd: ChannelView['psd'] = null;
  if (!f.flat) {
    const nper = Math.min(f.params.welchNperseg, c.samples.length);
    const w = welchPsd(f.signals.filtered, trial.analogHz, { nperseg: nper, noverlap: Math.min(f.params.welchNoverlap, nper - 1) });
    const fs: number[] = [],
      ps: number[] = [];
    for (let i = 0; i < w.freqsHz.length && w.freqsHz[i]! <= 500; i++) (fs.push(w.freqsHz[i]!), ps.push(w.psd[i]!));
    psd = { f: fs, p: ps };
  }
  return {
    ...base,
    envelope,
    psd,
    mdf: {
      t: f.fatigueWindows.map((w) => w.tS),
      hz: f.fatigueWindows.map((w) => w.mdfHz),
      interceptHz: f.mdfInterceptHz,
      slopeHzPerS: f.mdfSlopeHzPerS,
    },
  };
}

const sensorName = (s: ImuSensor): string => `${s.label} (${[s.level, s.side].filter(Boolean).join(' ')})`;

/** The trunk angles of a trial's IMU (imuTrial.ts), every k-th sample so that at most `maxPoints` remain. */
export function trunkAnglesView(trial: Trial, maxPoints: number): TrunkAnglesView {
  const r = trunkFromImu(trial);
  if ('reason' in r) return { upper: '', lower: '', t: [], flexion: [], lateralBending: [], axialRotation: [], reason: r.reason };
  const k = Math.max(1, Math.ceil(r.t.length / maxPoints));
  const pick = <T>(a: T[]): T[] => a.filter((_, i) => i % k === 0);
  const a = pick(r.angles);
  return {
    upper: sensorName(r.upper),
    lower: sensorName(r.lower),
    t: pick(r.t),
    flexion: a.map((x) => x.flexion),
    lateralBending: a.map((x) => x.lateralBending),
    axialRotation: a.map((x) => x.axialRotation),
    reason: null,
  };
}
