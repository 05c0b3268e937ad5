/**
 * Calibrations of an acquisition setup, stored with their residuals and
 * dates (append-only; the newest of a kind is current): import of a PLUS
 * configuration's coordinate definitions, pivot calibration of a stylus from
 * a tracked recording. The N-wire probe calibration runs as a job (jobs.ts).
 */
import { AppError } from '../contract/errors.js';
import type { CalibrationRecord } from '../contract/index.js';
import type { TwinStore } from '../db/store.js';
import { readPlusConfig } from '../../native-bridges/recording/plusConfig.js';
import { readPlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { pivotCalibration } from '../engine/fusion/pivot.js';
import { invert4, mul4 } from '../engine/registration/rigid.js';

/** The newest record of each kind and frame pair (records newest first). */
export function currentCalibrations(all: readonly CalibrationRecord[]): CalibrationRecord[] {
  const seen = new Set<string>();
  return all.filter((c) => {
    const k = `${c.kind}|${c.fromFrame}|${c.toFrame}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Imports every coordinate definition of a PLUS device-set configuration.
 * @throws AppError BAD_REQUEST naming the file when it cannot be read or parsed, or holds no transforms
 */
export function importPlusCalibrations(store: TwinStore, actor: string, setup: string, configPath: string): CalibrationRecord[] {
  let cfg;
  try {
    cfg = readPlusConfig(configPath);
  } catch (e) {
    throw new AppError('BAD_REQUEST', (e as Error).message, { file: configPath });
  }
  if (cfg.transforms.length === 0) throw new AppError('BAD_REQUEST', `${configPath}: no <CoordinateDefinitions> transforms to import`, { file: configPath });
  return cfg.transforms.map((t) =>
    store.insertCalibration({
      setup,
      kind: `${t.from}To${t.to}`,
      fromFrame: t.from,
      toFrame: t.to,
      matrix: t.matrix,
      valueMs: null,
      errorMm: t.error,
      residuals: {},
      method: 'plus-config',
      sourcePath: configPath,
      calibratedAt: t.date ?? '',
      createdBy: actor,
    }),
  );
}

/**
 * Pivot calibration from a PLUS sequence of the stylus pivoting in a divot:
 * poses `<tool>ToTracker` (relative to `ReferenceToTracker` when recorded),
 * frames with a non-OK status left out; stores `<tool>TipTo<tool>`.
 * @throws AppError BAD_REQUEST naming the file when it cannot be read, lacks the tool, or the pivoting does not determine the tip
 */
export function pivotFromRecording(store: TwinStore, actor: string, setup: string, sequencePath: string, tool: string): CalibrationRecord {
  let seq;
  try {
    seq = readPlusSequence(sequencePath);
  } catch (e) {
    throw new AppError('BAD_REQUEST', (e as Error).message, { file: sequencePath });
  }
  const name = `${tool}ToTracker`;
  const poses = seq.frames.flatMap((f) => {
    const s = f.transforms[tool + 'ToTracker'];
    if (!s || s.status !== 'OK') return [];
    const r = f.transforms['ReferenceToTracker'];
    if (r && r.status !== 'OK') return [];
    return [r ? mul4(invert4(r.matrix), s.matrix) : s.matrix];
  });
  if (poses.length === 0) throw new AppError('BAD_REQUEST', `${sequencePath}: no valid ${name} transforms`, { file: sequencePath });
  let res;
  try {
    res = pivotCalibration(poses);
  } catch (e) {
    throw new AppError('BAD_REQUEST', `${sequencePath}: ${(e as Error).message}`, { file: sequencePath });
  }
  const [x, y, z] = res.tipInMarkerMm;
  return store.insertCalibration({
    setup,
    kind: `${tool}TipTo${tool}`,
    fromFrame: `${tool}Tip`,
    toFrame: tool,
    matrix: [1, 0, 0, x, 0, 1, 0, y, 0, 0, 1, z, 0, 0, 0, 1],
    valueMs: null,
    errorMm: res.rmsMm,
    residuals: { maxMm: res.maxMm, posesUsed: res.posesUsed, posesRejected: res.posesRejected, rotationRangeDeg: res.rotationRangeDeg },
    method: 'pivot',
    sourcePath: sequencePath,
    calibratedAt: new Date().toISOString(),
    createdBy: actor,
  });
}
