/**
 * A motion session as OpenSim storage (issue 21 §6): the linear envelope (V)
 * of every sEMG channel of the trial, resampled at 100 Hz (every
 * `rate / 100`-th sample of the 6 Hz envelope), one column per channel label
 * (white space as `_`: OpenSim's reader splits labels on it), in V, clamped at
 * 0 (the zero-phase low-pass rings slightly below 0 at the record's edges; an
 * excitation is not negative),
 * time in s from the trial's first sample — the layout OpenSim reads as
 * excitations or as a .mot of any quantity (`inDegrees=no`).
 */
import { AppError } from '../../electron/contract/errors.js';
import { emgFeatures, type EmgParams } from '../../electron/engine/signals/emg.js';
import { writeStorage } from '../../electron/io/opensim.js';
import type { MotionSession, OpenSimFile } from './contract.js';
import type { Trial } from './trial.js';

/** Rows per second of the exported envelopes. */
export const OPENSIM_ENVELOPE_HZ = 100;

/**
 * @throws AppError BAD_REQUEST when the trial has no sEMG channel
 */
export function sessionOpenSim(session: MotionSession, trial: Trial, format: 'mot' | 'sto', params: Partial<EmgParams>): OpenSimFile {
  const emg = trial.channels.filter((c) => c.kind === 'emg');
  if (!emg.length) throw new AppError('BAD_REQUEST', `${session.fileName} has no sEMG channel to export`);
  const step = Math.max(1, Math.round(trial.analogHz / OPENSIM_ENVELOPE_HZ));
  const n = Math.ceil(emg[0]!.samples.length / step);
  const timeS = Float64Array.from({ length: n }, (_, k) => (k * step) / trial.analogHz);
  const columns = emg.map((c) => {
    const env = emgFeatures(c.samples, trial.analogHz, params).signals.envelope;
    return { label: c.label.trim().replace(/\s+/g, '_'), values: Float64Array.from({ length: n }, (_, k) => Math.max(0, env[k * step]!)) };
  });
  const base = session.fileName.replace(/\.[^.]+$/, '') || 'trial';
  const name = `${base}_emg_envelope`;
  const text = writeStorage({ name, timeS, columns, inDegrees: false });
  return { fileName: `${name}.${format}`, text, rows: n, columns: columns.length + 1 };
}
