/**
 * The fusion capability's job kinds: the N-wire probe calibration
 * (ImageToProbe from a tracked sweep of a multi-N-wire phantom, PLUS's
 * method; stored as the setup's calibration) and the markerless skin
 * registration of a depth capture to a twin's skin mesh (Camera → image LPS;
 * stored accepted, or refused with its reasons).
 */
import { z } from 'zod';
import { AppError } from '../../electron/contract/errors.js';
import { Mat3, Vec3 } from '../../electron/contract/primitives.js';
import type { VolumeGeometry } from '../../math/geometry.js';
import { defineJob, type CommitSide } from '../../electron/platform/job.js';
import { fileKeyOf } from '../../electron/db/sealed.js';
import { CalibrationRecord, Registration } from './contract.js';
import { insertCalibration, insertRegistration } from './repo.js';
import { calibrateProbeFromFiles } from './sweep.js';
import { registerCaptureFiles } from './skinRegistration.js';

/** N-wire probe calibration of a setup: the job's result is the stored ImageToProbe calibration. */
export const probeCalibrationJob = defineJob({
  kind: 'calibrate-probe',
  title: 'Probe calibration',
  request: z.object({ sequencePath: z.string(), configPath: z.string(), validationEvery: z.number().int().min(1) }),
  output: CalibrationRecord.omit({ id: true, createdAt: true, createdBy: true, setup: true, status: true, reviewedBy: true, reviewedAt: true }),
  run: (req, w) => {
    w.progress(0.05, 'probe calibration: segmenting the N-wires');
    let res;
    try {
      res = calibrateProbeFromFiles(req.sequencePath, req.configPath, req.validationEvery);
    } catch (e) {
      throw new AppError('COMPUTE_FAILED', (e as Error).message, { file: req.sequencePath });
    }
    const e = res.reprojection3dMm;
    w.result({
      kind: 'ImageToProbe',
      fromFrame: 'Image',
      toFrame: 'Probe',
      matrix: res.imageToProbe,
      valueMs: null,
      errorMm: e.validationMean,
      residuals: {
        calibrationMeanMm: e.calibrationMean,
        calibrationStdMm: e.calibrationStd,
        validationMeanMm: e.validationMean,
        validationStdMm: e.validationStd,
        pixelSpacingXMm: res.spacingMm[0],
        pixelSpacingYMm: res.spacingMm[1],
        framesSegmented: res.frames.segmented,
        framesTotal: res.frames.total,
        pointsUsed: res.pointsUsed,
        outliersRemoved: res.outliersRemoved,
      },
      method: 'n-wire',
      // the probe as its frames identify it: an ImageToProbe is valid only for images of this size
      device: `Probe · ${res.imageSize[0]}×${res.imageSize[1]} px`,
      sourcePath: req.sequencePath,
      calibratedAt: new Date().toISOString(),
    });
  },
  commit: (m, c: CommitSide<{ setup: string }>) => insertCalibration(c.store, { ...m, setup: c.context.setup, createdBy: c.actor }).id,
});

/** Markerless registration of a depth capture to a twin's skin: the job's result is the stored registration. */
export const registrationJob = defineJob({
  kind: 'register',
  title: 'Skin registration',
  request: z.object({
    skinMeshPath: z.string(),
    /** The store's file key (hex) when its files are sealed. */
    fileKey: z.string().nullable(),
    /** The twin's volume grid (LPS mm). */
    geometry: z.object({ dims: Vec3, spacingMm: Vec3, originLps: Vec3, direction: Mat3 }),
    cloudPath: z.string(),
    view: z.enum(['back', 'front']),
    points: z.object({ camera: z.array(z.array(z.number())), image: z.array(z.array(z.number())) }).nullable(),
  }),
  output: Registration.pick({
    matrix: true,
    residualRmsMm: true,
    overlap: true,
    predictedTreMm: true,
    covariance: true,
    centreLps: true,
    refused: true,
    details: true,
  }),
  run: (req, w) => {
    w.progress(0.05, 'registration: reading the skin mesh and the depth capture');
    const r = registerCaptureFiles({
      skinMeshPath: req.skinMeshPath,
      fileKey: fileKeyOf(req),
      geometry: req.geometry as VolumeGeometry,
      cloudPath: req.cloudPath,
      view: req.view,
      ...(req.points ? { points: req.points } : {}),
    });
    w.result({
      matrix: r.reg.transform,
      residualRmsMm: r.reg.residualRmsMm,
      overlap: r.reg.overlap,
      predictedTreMm: r.reg.predictedTreMm,
      covariance: r.reg.covariance,
      centreLps: r.reg.centreLps as [number, number, number],
      refused: r.reg.refused,
      details: {
        cameraPointsIn: r.capture.inputPoints,
        cameraSkinPoints: r.capture.points.length / 3,
        supportPlanes: r.capture.planes.length,
        imageSkinPoints: r.skinPoints,
        startsTried: r.reg.startsTried,
        iterations: r.reg.iterations,
        converged: r.reg.converged ? 1 : 0,
        ...(r.coarse ? { threePointFreMm: r.coarse.freRmsMm } : {}),
        registrationMs: Math.round(r.reg.timeMs),
        totalMs: Math.round(r.totalMs),
      },
    });
  },
  commit: (m, c: CommitSide<{ patientId: string; twinId: string; seriesId: string; threePoint: boolean; cloudPath: string }>) =>
    insertRegistration(c.store, {
      ...m,
      patientId: c.context.patientId,
      twinId: c.context.twinId,
      seriesId: c.context.seriesId,
      method: c.context.threePoint ? 'skin-icp-3point' : 'skin-icp',
      fromFrame: 'Camera',
      toFrame: 'Image',
      sourcePath: c.context.cloudPath,
      createdBy: c.actor,
    }).id,
});
