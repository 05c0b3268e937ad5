/**
 * A motion trial as the motion lab reads it from a file: a C3D (a capture
 * system's export, Cometa EMG and Motion Tools' C3D, or a session OrthoTwin
 * recorded), an analog CSV export (the "Frame,Sub Frame" layout of capture
 * software) or a plain time-series CSV (a time column, then channels; analogCsv.ts). Gives the analog channels in physical units with what each
 * is (sEMG, IMU, other) and where it sits (muscle, side, level), the events,
 * and the sEMG features of every sEMG channel (electron/engine/signals/emg.ts)
 * as the rows the twin store keeps (value, unit, channel, muscle, side,
 * level, algorithm and version, parameters).
 *
 * Channel kinds: a channel in V whose label ends in `EMG<n>` (`Delt_ant.EMG1`,
 * `IM EMG3`, `EMG2`) is sEMG; g, deg/s, °/s, uT or µT is IMU; anything else
 * (a trigger voltage, a force plate) is `other` and gets no sEMG features.
 * Sites: OrthoTwin's recordings describe each sEMG channel as
 * "<muscle> <level> <side>" (ANALOG:DESCRIPTIONS, e.g. "erector spinae L4
 * left"); a capture export names the muscle before the dot of its label
 * (`Delt_ant.EMG1` → Delt_ant; a `Sensor 12.` prefix is no muscle) and gives
 * no side or level.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { c3dParam, readC3d, type C3dFile } from '../../electron/io/c3d.js';
import { EMG_METHOD, emgFeatures, symmetryByLevel, type EmgFeatures, type EmgParams } from '../../electron/engine/signals/emg.js';
import { parseAnalogCsv, parseTimeSeriesCsv, type AnalogChannel } from './analogCsv.js';
import type { MotionChannel, MotionEvent, MotionFeature } from './contract.js';

export interface TrialChannel extends MotionChannel {
  /** Samples in `unit`, at the trial's analog rate. */
  samples: Float64Array;
}

export interface Trial {
  file: string;
  format: 'c3d' | 'analog-csv' | 'time-series-csv';
  analogHz: number;
  /** The IMU's own rate before it was interpolated onto the analog samples (ORTHOTWIN:IMU_RATE), else the analog rate (Hz). */
  imuRateHz: number;
  /** Made by a simulator or a replay (ORTHOTWIN:SIMULATED = 1 in OrthoTwin's recordings). */
  simulated: boolean;
  /** Marker frame rate (Hz); 0 without markers. */
  pointHz: number;
  points: number;
  durationS: number;
  channels: TrialChannel[];
  events: MotionEvent[];
}

const IMU_UNITS = new Set(['g', 'deg/s', '°/s', 'uT', 'µT', 'μT', 'm/s^2', 'm/s²', 'rad/s']);

/** What an analog channel is, from its label and unit (see the module comment). */
export function channelKind(label: string, unit: string): MotionChannel['kind'] {
  if (unit === 'V' && /(^|[.\s])(IM\s*)?EMG\s*\d+$/i.test(label.trim())) return 'emg';
  if (IMU_UNITS.has(unit)) return 'imu';
  return 'other';
}

/** Where a channel sits: OrthoTwin's "<muscle> <level> <side>" description, else the muscle before the label's dot. */
export function channelSite(label: string, description: string): Pick<MotionChannel, 'muscle' | 'side' | 'level'> {
  const words = description.trim().split(/\s+/).filter(Boolean);
  const last = words[words.length - 1];
  if (last === 'left' || last === 'right' || last === 'midline') {
    const level = words.find((w) => /^[CTLS]\d{1,2}$/.test(w)) ?? '';
    const muscle = words.filter((w, i) => i < words.length - 1 && w !== level).join(' ');
    return { muscle, side: last, level };
  }
  const dot = label.lastIndexOf('.');
  const prefix = dot > 0 ? label.slice(0, dot).trim() : '';
  return { muscle: prefix && !/^Sensor\s*\d+$/i.test(prefix) ? prefix : '', side: '', level: '' };
}

/** The analog channels of a C3D file (scaled to physical units, ANALOG:LABELS, UNITS and the analog rate). */
export function c3dAnalogChannels(c: C3dFile): AnalogChannel[] {
  return c.labels.analogs.map((label, k) => ({
    label,
    unit: c.units.analogs[k] ?? '',
    device: label.includes('.') ? label.slice(0, label.lastIndexOf('.')) : '',
    rateHz: c.rates.analogHz,
    samples: c.analogs.slice(k * c.analogSamples, (k + 1) * c.analogSamples),
  }));
}

/**
 * Reads a trial file (by its extension: `.c3d`, else an analog CSV export).
 * @throws AppError naming the file: NOT_FOUND (cannot be read), and readTrialBytes' errors
 */
export function readTrial(file: string): Trial {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new AppError('NOT_FOUND', `${path.basename(file)}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return readTrialBytes(bytes, path.basename(file));
}

/**
 * Reads a trial from its bytes; `name` (the file's name) chooses the format by its extension and names it in errors.
 * @throws AppError naming the file: the C3D reader's errors (truncated, bad header or parameter pointer, absurd
 *   counts), IMPORT_BAD_HEADER (a CSV that is not an analog export), IMPORT_UNSUPPORTED (no analog channel)
 */
export function readTrialBytes(bytes: Uint8Array, name: string): Trial {
  const file = name;
  let channels: AnalogChannel[];
  let descriptions: string[] = [];
  let events: MotionEvent[] = [];
  let pointHz = 0,
    points = 0,
    imuRateHz = 0,
    simulated = false,
    format: Trial['format'];
  if (/\.c3d$/i.test(name)) {
    const c = readC3d(bytes, name);
    channels = c3dAnalogChannels(c);
    descriptions = c.descriptions.analogs;
    events = c.events.map((e) => ({ label: e.label, context: e.context, timeS: e.timeS }));
    pointHz = c.pointCount ? c.rates.pointHz : 0;
    points = c.pointCount;
    imuRateHz = Number(c3dParam(c.groups, 'ORTHOTWIN', 'IMU_RATE')?.values[0] ?? 0);
    simulated = Number(c3dParam(c.groups, 'ORTHOTWIN', 'SIMULATED')?.values[0] ?? 0) === 1;
    format = 'c3d';
  } else {
    const text = new TextDecoder().decode(bytes);
    // a capture system's analog export ("Frame,Sub Frame" layout), else a plain time-series export
    const vicon = /^Frame,\s*Sub Frame/im.test(text);
    try {
      channels = vicon ? parseAnalogCsv(text) : parseTimeSeriesCsv(text);
    } catch (e) {
      throw new AppError(
        'IMPORT_BAD_HEADER',
        `${name}: ${(e as Error).message}${vicon ? '' : ' (a motion trial is a C3D file, an analog CSV export with a "Frame,Sub Frame" row, or a time-series CSV)'}`,
      );
    }
    format = vicon ? 'analog-csv' : 'time-series-csv';
    // a time-series export names its columns as it likes ("Erector spinae L4 left [µV]"): its labels are the descriptions
    if (!vicon) descriptions = channels.map((c) => c.label);
  }
  if (!channels.length || !channels[0]!.samples.length)
    throw new AppError('IMPORT_UNSUPPORTED', `${name}: the file holds no analog samples (a motion trial needs sEMG or IMU channels)`);
  const analogHz = channels[0]!.rateHz;
  return {
    file,
    format,
    analogHz,
    imuRateHz: imuRateHz > 0 && imuRateHz <= analogHz ? imuRateHz : analogHz,
    simulated,
    pointHz,
    points,
    durationS: channels[0]!.samples.length / analogHz,
    channels: channels.map((c, k) => ({
      label: c.label,
      unit: c.unit,
      // a time-series export's amplitude columns are its sEMG
      kind: format === 'time-series-csv' && c.unit === 'V' ? 'emg' : channelKind(c.label, c.unit),
      ...channelSite(c.label, descriptions[k] ?? ''),
      samples: c.samples,
    })),
    events,
  };
}

/** Below this RMS (V) a channel is at the noise of the electrodes and amplifier: its features are flagged. */
export const LOW_SIGNAL_V = 5e-6;

/**
 * A flag for the MDF slope when the fatigue windows are not one sustained contraction: windows whose RMS (of the
 * band-passed signal) is under 30 % of the largest window's are rest, and a slope over rest and contraction is not a
 * fatigue index. Null when at least 80 % of the windows are active (or there are fewer than two).
 */
export function restWindows(f: EmgFeatures): string | null {
  const y = f.signals.filtered;
  const W = Math.round(f.params.fatigueWindowS * f.rateHz),
    S = Math.round(f.params.fatigueStepS * f.rateHz);
  const rms: number[] = [];
  for (let s = 0; s + W <= y.length; s += S) {
    let e = 0;
    for (let i = s; i < s + W; i++) e += y[i]! * y[i]!;
    rms.push(Math.sqrt(e / W));
  }
  if (rms.length < 2 || f.flat) return null;
  const peak = Math.max(...rms);
  const active = rms.filter((r) => r >= 0.3 * peak).length;
  return active >= 0.8 * rms.length ? null : `not one sustained contraction (active in ${active} of ${rms.length} windows)`;
}

/** The features of one sEMG channel that the twin keeps, with their units (EmgFeatures field → stored name). */
export const STORED_EMG_FEATURES = [
  { key: 'iemgVs', name: 'emg.iemg', unit: 'V·s' },
  { key: 'rmsV', name: 'emg.rms', unit: 'V' },
  { key: 'mnfHz', name: 'emg.mnf', unit: 'Hz' },
  { key: 'mdfHz', name: 'emg.mdf', unit: 'Hz' },
  { key: 'mdfSlopeHzPerS', name: 'emg.mdf_slope', unit: 'Hz/s' },
] as const;

/**
 * The sEMG features of every sEMG channel of a trial as stored twin feature rows (STORED_EMG_FEATURES per channel,
 * value null for a flat channel's spectral features; flags 'flat' / 'saturated'), and the bilateral symmetry index
 * (%) of RMS and MDF per level where both sides of one muscle at that level are present
 * (`emg.symmetry_rms`, `emg.symmetry_mdf`, channel "left/right").
 * @param params overrides of EMG_DEFAULTS (e.g. notchHz 50); every parameter is stored with each row
 */
export function trialFeatures(trial: Trial, params: Partial<EmgParams> = {}): { features: MotionFeature[]; perChannel: Map<string, EmgFeatures> } {
  const features: MotionFeature[] = [];
  const perChannel = new Map<string, EmgFeatures>();
  const algorithm = EMG_METHOD.algorithm,
    algorithmVersion = String(EMG_METHOD.version);
  for (const c of trial.channels) {
    if (c.kind !== 'emg') continue;
    const f = emgFeatures(c.samples, trial.analogHz, params);
    perChannel.set(c.label, f);
    const flags = [f.flat ? 'flat' : '', f.saturated ? 'saturated' : '', !f.flat && f.rmsV < LOW_SIGNAL_V ? 'low signal (RMS under 5 µV)' : ''].filter(Boolean);
    const rest = restWindows(f);
    for (const s of STORED_EMG_FEATURES)
      features.push({
        name: s.name,
        value: f[s.key],
        unit: s.unit,
        channel: c.label,
        muscle: c.muscle,
        side: c.side,
        level: c.level,
        flags: s.key === 'mdfSlopeHzPerS' && rest ? [...flags, rest] : [...flags],
        algorithm,
        algorithmVersion,
        parameters: { ...f.params },
      });
  }
  // bilateral pairs: one muscle at one level, a left and a right channel
  const pairs: { level: string; muscle: string; left: EmgFeatures; right: EmgFeatures; labels: string }[] = [];
  for (const l of trial.channels)
    if (l.kind === 'emg' && l.side === 'left' && l.level) {
      const r = trial.channels.find((c) => c.kind === 'emg' && c.side === 'right' && c.level === l.level && c.muscle === l.muscle);
      if (r) pairs.push({ level: l.level, muscle: l.muscle, left: perChannel.get(l.label)!, right: perChannel.get(r.label)!, labels: `${l.label}/${r.label}` });
    }
  for (const [feature, name] of [
    ['rmsV', 'emg.symmetry_rms'],
    ['mdfHz', 'emg.symmetry_mdf'],
  ] as const) {
    const si = symmetryByLevel(pairs, feature);
    si.forEach((s, i) =>
      features.push({
        name,
        value: s.siPct,
        unit: '%',
        channel: pairs[i]!.labels,
        muscle: pairs[i]!.muscle,
        side: 'bilateral',
        level: s.level,
        flags: s.siPct === null ? ['side missing or flat'] : [],
        algorithm: 'orthotwin.emg.symmetry',
        algorithmVersion,
        parameters: { ...pairs[i]!.left.params, formula: 'SI = 100 (R − L) / (0.5 (R + L))' },
      }),
    );
  }
  return { features, perChannel };
}
