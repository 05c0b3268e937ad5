/**
 * Calibrations of an acquisition setup, stored with their residuals and
 * dates (append-only; the newest of a kind is current): import of a PLUS
 * configuration's coordinate definitions, pivot calibration of a stylus from
 * a tracked recording, depth camera ↔ tracker (paired fiducials or hand-eye),
 * temporal offset of the video against the tracker. The N-wire probe
 * calibration runs as a job (jobs.ts).
 */
import { AppError } from '../../electron/contract/errors.js';
import type { z } from 'zod';
import type { CalibrationRecord, CameraTrackerInput } from './contract.js';
import type { TwinStore } from '../../electron/db/store.js';
import { readPlusConfig } from '../../native-bridges/recording/plusConfig.js';
import { framePixels, readPlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { pivotCalibration } from '../../electron/engine/fusion/pivot.js';
import { calibrateCameraToTrackerHandEye, calibrateCameraToTrackerPoints, CameraTrackerCalibrationError } from '../../electron/engine/fusion/cameraTracker.js';
import { estimateTimeOffset, lineDepthPx, motionSignal, TemporalCalibrationError } from '../../electron/engine/fusion/temporal.js';
import { applyDir, invert4, mul4 } from '../../math/rigid.js';
import { insertCalibration, listCalibrations } from './repo.js';

/** The newest accepted record of each kind and frame pair (records newest first); proposed and rejected ones are never current. */
export function currentCalibrations(all: readonly CalibrationRecord[]): CalibrationRecord[] {
  const seen = new Set<string>();
  return all.filter((c) => {
    if (c.status !== 'accepted') return false;
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
  // a configuration is one device set: into a setup that already has calibrations, all of it is proposed (none goes live by itself)
  const propose = currentCalibrations(listCalibrations(store, setup)).length > 0;
  return cfg.transforms.map((t) =>
    insertCalibration(store, {
      ...(propose ? { propose: true } : {}),
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
  return insertCalibration(store, {
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

/**
 * Depth camera ↔ tracker calibration from paired fiducials or hand-eye
 * stations; stores CameraToTracker with its error (FRE or the AX = XB
 * translation residual) and residuals.
 * @throws AppError BAD_REQUEST with the reason when the input does not determine the transform (too few, collinear, one rotation axis)
 */
export function cameraToTrackerCalibration(store: TwinStore, actor: string, setup: string, input: z.infer<typeof CameraTrackerInput>): CalibrationRecord {
  try {
    let r: { matrix: number[]; errorMm: number; residuals: Record<string, number> };
    if (input.method === 'paired-points') {
      const c = calibrateCameraToTrackerPoints(input.camera, input.tracker);
      r = {
        matrix: c.cameraToTracker,
        errorMm: c.freRmsMm,
        residuals: {
          freRmsMm: c.freRmsMm,
          ...(Number.isFinite(c.leaveOneOutRmsMm) ? { leaveOneOutRmsMm: c.leaveOneOutRmsMm } : {}),
          pairs: input.camera.length,
          removed: c.removed.length,
        },
      };
    } else {
      const c = calibrateCameraToTrackerHandEye(input.trackerFromSensor, input.cameraFromObject);
      r = {
        matrix: c.cameraToTracker,
        errorMm: c.translationResidualMm,
        residuals: { rotationResidualDeg: c.rotationResidualDeg, translationResidualMm: c.translationResidualMm, motions: c.motions },
      };
    }
    return insertCalibration(store, {
      setup,
      kind: 'CameraToTracker',
      fromFrame: 'Camera',
      toFrame: 'Tracker',
      ...r,
      valueMs: null,
      method: input.method,
      sourcePath: input.sourcePath,
      calibratedAt: new Date().toISOString(),
      createdBy: actor,
    });
  } catch (e) {
    if (e instanceof CameraTrackerCalibrationError) throw new AppError('BAD_REQUEST', `camera ↔ tracker calibration: ${e.message}`);
    throw e;
  }
}

/**
 * Temporal calibration of the ultrasound video against the tracker from a
 * recorded plate sweep: the video frames (and their timestamps) from
 * `videoPath`; the probe poses `<tool>ToReference` (else `<tool>ToTracker`)
 * from `trackerPath` (default: the same sequence). The probe position is
 * projected on its axial direction when the setup has an ImageToProbe (the
 * image's row axis), else on its principal motion. Stores TemporalOffset
 * (Video → Tracker) with the offset to add to the video timestamps (ms).
 * @throws AppError BAD_REQUEST naming the file when it cannot be read, lacks images or the tool, or the signals do not correlate
 */
export function temporalFromRecording(
  store: TwinStore,
  actor: string,
  setup: string,
  videoPath: string,
  o: { tool: string; maxLagMs: number; trackerPath?: string | undefined },
): CalibrationRecord {
  const read = (file: string) => {
    try {
      return readPlusSequence(file);
    } catch (e) {
      throw new AppError('BAD_REQUEST', (e as Error).message, { file });
    }
  };
  const video = read(videoPath);
  const trackerPath = o.trackerPath ?? videoPath;
  const tracker = trackerPath === videoPath ? video : read(trackerPath);
  if (video.width * video.height === 0) throw new AppError('BAD_REQUEST', `${videoPath}: the sequence holds no images`, { file: videoPath });
  const depths = video.frames.map((_, i) => lineDepthPx(framePixels(video, i), video.width, video.height));
  const t: number[] = [],
    positions: number[][] = [];
  let rotation: number[] | null = null;
  for (const f of tracker.frames) {
    const m = f.transforms[`${o.tool}ToReference`] ?? f.transforms[`${o.tool}ToTracker`];
    if (!m || m.status !== 'OK') continue;
    t.push(f.timestampS);
    positions.push([m.matrix[3]!, m.matrix[7]!, m.matrix[11]!]);
    rotation ??= m.matrix;
  }
  if (positions.length < 10)
    throw new AppError('BAD_REQUEST', `${trackerPath}: fewer than 10 valid ${o.tool}ToReference / ${o.tool}ToTracker poses`, { file: trackerPath });
  const imageToProbe = currentCalibrations(listCalibrations(store, setup)).find((c) => c.kind === 'ImageToProbe' && c.matrix)?.matrix;
  let axis: number[] | undefined;
  if (imageToProbe && rotation) {
    // the image's row direction (+y, depth) in the tracker frame, at the first pose (the probe is moved, not turned)
    const d = applyDir(mul4(rotation, imageToProbe), 0, 1, 0);
    const n = Math.hypot(...d);
    axis = d.map((v) => v / n);
  }
  let res;
  try {
    res = estimateTimeOffset({ t: video.frames.map((f) => f.timestampS), v: depths }, { t, v: motionSignal(positions, axis).v }, { maxLagMs: o.maxLagMs });
  } catch (e) {
    if (e instanceof TemporalCalibrationError) throw new AppError('BAD_REQUEST', `${videoPath}: ${e.message}`, { file: videoPath });
    throw e;
  }
  return insertCalibration(store, {
    setup,
    kind: 'TemporalOffset',
    fromFrame: 'Video',
    toFrame: 'Tracker',
    matrix: null,
    valueMs: res.offsetMs,
    errorMm: null,
    residuals: {
      peakNcc: res.peakNcc,
      framesWithLine: depths.filter(Number.isFinite).length,
      framesTotal: depths.length,
      trackerSamples: positions.length,
      axialProjection: axis ? 1 : 0,
    },
    method: 'line-motion-correlation',
    sourcePath: videoPath,
    calibratedAt: new Date().toISOString(),
    createdBy: actor,
  });
}
