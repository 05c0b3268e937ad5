/**
 * worker_threads entry point: one job per worker (cancel = terminate).
 * Runs import (itk-wasm) and the twin build (engine/) and writes every output
 * file, fsynced, into the job's staging folder; the parent moves them into
 * the store and records them in one transaction.
 */
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import fs from 'node:fs';
import { toErrorShape, AppError } from '../contract/errors.js';
import { spineReportCsv, type TwinParams } from '../contract/index.js';
import { readVolume } from '../io/readVolume.js';
import { decodeNrrd, encodeNrrd } from '../io/nrrd.js';
import { decodeVtp, encodeStl, encodeVtp } from '../io/mesh.js';
import { characteriseSpine } from '../engine/spine/index.js';
import { greyLevelsAlongNormals } from '../engine/spine/surfaces.js';
import { buildAnatomicalTwin } from '../engine/twinBuild.js';
import { voxelTypeOf, type Volume } from '../engine/volume.js';
import { sha256, writeFileDurable } from '../db/store.js';
import { scanTree } from '../io/scanTree.js';
import { calibrateProbeFromFiles, loadTrackedSweep, reconstructionOptions } from '../io/sweep.js';
import { reconstructVolume } from '../engine/fusion/reconstruct.js';
import { registerCaptureFiles } from '../io/skinRegistration.js';
import { readStoreFileSync } from '../db/sealed.js';

/** The store's file key a job was given (hex), for the store files it reads. */
const storeKey = (req: { fileKey?: string | null }): Buffer | null => (req.fileKey ? Buffer.from(req.fileKey, 'hex') : null);
import type { WorkerRequest, WorkerMessage, StagedArtefact } from './protocol.js';

const post = (m: WorkerMessage): void => parentPort?.postMessage(m);

function stageFile(dir: string, name: string, data: Buffer): { stagedPath: string; bytes: number; sha256: string } {
  const p = path.join(dir, name);
  writeFileDurable(p, data);
  return { stagedPath: p, bytes: data.byteLength, sha256: sha256(data) };
}

/** The stored volume's record: grid, voxel type and value range. */
function volumeRecord(vol: Volume, nominalGeometry: boolean): Extract<WorkerMessage, { t: 'volume' }>['record'] {
  const [minValue, maxValue] = minMax(vol);
  return {
    dims: vol.dims,
    spacingMm: vol.spacingMm,
    originLps: vol.originLps,
    direction: vol.direction,
    voxelType: voxelTypeOf(vol.data),
    minValue,
    maxValue,
    nominalGeometry,
  };
}

function minMax(v: Volume): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  const d = v.data;
  for (let i = 0; i < d.length; i++) {
    const x = d[i] as number;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

function buildTwin(vol: Volume, modality: 'CT' | 'MR', params: TwinParams, stagingDir: string, from: number): void {
  const t0 = performance.now();
  const out = buildAnatomicalTwin(vol, modality, params, (f, s) => post({ t: 'progress', fraction: from + (1 - from) * 0.9 * f, stage: `twin: ${s}` }));
  post({ t: 'progress', fraction: from + (1 - from) * 0.92, stage: 'writing artefacts' });
  const tw = performance.now();
  const artefacts: StagedArtefact[] = [];
  const geom = { dims: vol.dims, spacingMm: vol.spacingMm, originLps: vol.originLps, direction: vol.direction };
  artefacts.push({
    kind: 'skin-mask',
    format: 'nrrd',
    name: 'skin-mask.nrrd',
    count: out.skin.voxels,
    ...stageFile(stagingDir, 'skin-mask.nrrd', encodeNrrd({ ...geom, data: out.skin.mask }, { gzip: true, labels: { 1: 'body' } })),
  });
  if (out.bone)
    artefacts.push({
      kind: 'bone-mask',
      format: 'nrrd',
      name: 'bone-mask.nrrd',
      count: out.bone.voxels,
      ...stageFile(stagingDir, 'bone-mask.nrrd', encodeNrrd({ ...geom, data: out.bone.mask }, { gzip: true, labels: { 1: 'bone' } })),
    });
  for (const [kind, mesh] of [
    ['skin-mesh', out.skinMesh],
    ['bone-mesh', out.boneMesh],
  ] as const) {
    if (!mesh) continue;
    const tri = mesh.triangles.length / 3;
    artefacts.push({ kind, format: 'vtp', name: `${kind}.vtp`, count: tri, ...stageFile(stagingDir, `${kind}.vtp`, encodeVtp(mesh)) });
    artefacts.push({ kind, format: 'stl', name: `${kind}.stl`, count: tri, ...stageFile(stagingDir, `${kind}.stl`, encodeStl(mesh)) });
  }
  const timingsMs = { ...out.timingsMs, write: Math.round(performance.now() - tw), twinTotal: Math.round(performance.now() - t0) };
  post({
    t: 'twin',
    artefacts,
    features: out.features,
    timingsMs,
    summary: {
      skinVoxels: out.skin.voxels,
      boneVoxels: out.bone?.voxels ?? 0,
      skinTriangles: out.skinMesh.triangles.length / 3,
      boneTriangles: out.boneMesh ? out.boneMesh.triangles.length / 3 : 0,
      trianglesBeforeDecimation: out.trianglesBeforeDecimation,
      skinTopology: out.skinTopology,
      boneTopology: out.boneTopology,
      maskInfo: { skin: out.skin.info, bone: out.bone?.info ?? {} },
    },
  });
}

/** Spine characterisation of a stored CT twin: report, vertebra label map, grey-level bone mesh, intervertebral spaces. */
function runSpine(req: Extract<WorkerRequest, { kind: 'spine' }>): void {
  const vol = decodeNrrd(readStoreFileSync(req.volumePath, storeKey(req)), path.basename(req.volumePath));
  post({ t: 'progress', fraction: 0.1, stage: 'spine: volume loaded' });
  const bone = req.boneMaskPath ? (decodeNrrd(readStoreFileSync(req.boneMaskPath, storeKey(req)), 'bone mask').data as Uint8Array) : null;
  const skin = req.skinMeshPath ? decodeVtp(readStoreFileSync(req.skinMeshPath, storeKey(req))) : null;
  post({ t: 'progress', fraction: 0.15, stage: 'spine: segmenting vertebrae' });
  const res = characteriseSpine(vol, bone, { corrections: req.corrections, skinPoints: skin?.points ?? null });
  post({ t: 'progress', fraction: 0.75, stage: 'spine: grey levels on the bone surface' });
  const geom = { dims: vol.dims, spacingMm: vol.spacingMm, originLps: vol.originLps, direction: vol.direction };
  const artefacts: StagedArtefact[] = [];
  const labelVoxels = res.labelMap.reduce((n, x) => n + (x ? 1 : 0), 0);
  artefacts.push({
    kind: 'vertebra-labels',
    format: 'nrrd',
    name: 'vertebra-labels.nrrd',
    count: labelVoxels,
    ...stageFile(req.stagingDir, 'vertebra-labels.nrrd', encodeNrrd({ ...geom, data: res.labelMap }, { gzip: true, labels: res.labelNames })),
  });
  if (req.boneMeshPath) {
    const mesh = decodeVtp(readStoreFileSync(req.boneMeshPath, storeKey(req)));
    const t0 = performance.now();
    const g = greyLevelsAlongNormals(vol, mesh, req.greyDepthMm);
    res.report.timingsMs['grey levels'] = Math.round(performance.now() - t0);
    res.report.surfaceGreyDepthMm = req.greyDepthMm;
    artefacts.push({
      kind: 'bone-grey-mesh',
      format: 'vtp',
      name: 'bone-grey-mesh.vtp',
      count: mesh.triangles.length / 3,
      ...stageFile(req.stagingDir, 'bone-grey-mesh.vtp', encodeVtp(mesh, { HU_mean: g.mean, HU_max: g.max })),
    });
  }
  if (res.discSpaces)
    artefacts.push({
      kind: 'disc-spaces',
      format: 'vtp',
      name: 'disc-spaces.vtp',
      count: res.discSpaces.mesh.triangles.length / 3,
      ...stageFile(req.stagingDir, 'disc-spaces.vtp', encodeVtp(res.discSpaces.mesh, { disc: res.discSpaces.discIndex })),
    });
  const json = Buffer.from(JSON.stringify(res.report, null, 1));
  const csv = Buffer.from(spineReportCsv(res.report));
  const levels = res.report.vertebrae.length;
  artefacts.push({ kind: 'spine-report', format: 'json', name: 'spine-report.json', count: levels, ...stageFile(req.stagingDir, 'spine-report.json', json) });
  artefacts.push({ kind: 'spine-report', format: 'csv', name: 'spine-report.csv', count: levels, ...stageFile(req.stagingDir, 'spine-report.csv', csv) });
  post({ t: 'spine', report: res.report, artefacts });
}

/** Freehand 3D ultrasound reconstruction of a tracked sweep; posts the volume as a new ultrasound series. */
function runReconstruct(req: Extract<WorkerRequest, { kind: 'reconstruct' }>): void {
  const t0 = performance.now();
  post({ t: 'progress', fraction: 0.02, stage: 'reconstruction: reading the sweep' });
  let sweep;
  try {
    sweep = loadTrackedSweep(req.sequencePath, req.configPath, req.referenceToImage ?? undefined);
  } catch (e) {
    throw new AppError('IMPORT_BAD_HEADER', (e as Error).message, { file: req.sequencePath });
  }
  const tr = performance.now();
  const r = reconstructVolume(sweep.frames, {
    ...reconstructionOptions(sweep.settings, req),
    onProgress: (f, stage) => post({ t: 'progress', fraction: 0.05 + 0.85 * f, stage: `reconstruction: ${stage}` }),
  });
  const reconstructMs = Math.round(performance.now() - tr);
  const vol = r.volume;
  const tw = performance.now();
  const staged = stageFile(req.stagingDir, 'volume.nrrd', encodeNrrd(vol, { gzip: false }));
  const base = path.basename(req.sequencePath).replace(/\.igs\.(mha|nrrd)$|\.(mha|nrrd)$/i, '');
  const inImage = req.referenceToImage !== null;
  post({
    t: 'volume',
    meta: {
      format: 'metaimage',
      sourcePath: req.sequencePath,
      modality: 'US',
      modalityGuessed: false,
      patientName: '',
      patientId: '',
      studyInstanceUid: '',
      studyDate: '',
      studyDescription: 'Tracked ultrasound',
      seriesInstanceUid: '',
      seriesDescription: `3D US reconstruction of ${base} (${sweep.frames.length} frames, ${vol.spacingMm[0]} mm, ${req.interpolation}${inImage ? '' : ', tracker Reference frame'})`,
      seriesNumber: 0,
      nominalGeometry: !inImage,
    },
    staged,
    record: volumeRecord(vol, !inImage),
    timingsMs: {
      reconstruct: reconstructMs,
      writeVolume: Math.round(performance.now() - tw),
      total: Math.round(performance.now() - t0),
      framesUsed: sweep.frames.length,
      framesSkipped: sweep.skipped,
      voxelsPasted: r.stats.voxelsPasted,
      holesFilled: r.stats.holesFilled,
      voxelsEmpty: r.stats.voxelsEmpty,
    },
  });
}

async function run(req: WorkerRequest): Promise<void> {
  if (req.kind === 'import') {
    const t0 = performance.now();
    const span = req.buildTwin ? 0.35 : 0.9;
    const imported = await readVolume(req.path, {
      ...(req.seriesInstanceUid ? { seriesInstanceUid: req.seriesInstanceUid } : {}),
      strict: req.strict,
      maxBytes: req.maxBytes,
      onProgress: (f, s) => post({ t: 'progress', fraction: span * f, stage: `import: ${s}` }),
    });
    const readMs = Math.round(performance.now() - t0);
    const vol = imported.volume;
    post({ t: 'progress', fraction: span, stage: 'import: saving volume' });
    const tw = performance.now();
    const staged = stageFile(req.stagingDir, 'volume.nrrd', encodeNrrd(vol, { gzip: false }));
    post({
      t: 'volume',
      meta: imported.meta,
      staged,
      record: volumeRecord(vol, imported.meta.nominalGeometry),
      timingsMs: { import: readMs, writeVolume: Math.round(performance.now() - tw) },
    });
    const modality = imported.meta.modality;
    if (req.buildTwin) {
      if (modality !== 'CT' && modality !== 'MR')
        throw new AppError('IMPORT_UNSUPPORTED', `${path.basename(req.path)}: no anatomical twin can be built from ${modality} images`);
      const twinDir = path.join(req.stagingDir, 'twin');
      fs.mkdirSync(twinDir, { recursive: true });
      buildTwin(vol, modality, req.params, twinDir, span);
    }
  } else if (req.kind === 'spine') {
    runSpine(req);
  } else if (req.kind === 'reconstruct') {
    runReconstruct(req);
  } else if (req.kind === 'calibrate-probe') {
    post({ t: 'progress', fraction: 0.05, stage: 'probe calibration: segmenting the N-wires' });
    let res;
    try {
      res = calibrateProbeFromFiles(req.sequencePath, req.configPath, req.validationEvery);
    } catch (e) {
      throw new AppError('COMPUTE_FAILED', (e as Error).message, { file: req.sequencePath });
    }
    const e = res.reprojection3dMm;
    post({
      t: 'calibration',
      calibration: {
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
        sourcePath: req.sequencePath,
        calibratedAt: new Date().toISOString(),
      },
    });
  } else if (req.kind === 'register') {
    post({ t: 'progress', fraction: 0.05, stage: 'registration: reading the skin mesh and the depth capture' });
    const r = registerCaptureFiles({
      skinMeshPath: req.skinMeshPath,
      fileKey: storeKey(req),
      geometry: req.geometry,
      cloudPath: req.cloudPath,
      view: req.view,
      ...(req.points ? { points: req.points } : {}),
    });
    post({
      t: 'registration',
      registration: {
        matrix: r.reg.transform,
        residualRmsMm: r.reg.residualRmsMm,
        overlap: r.reg.overlap,
        predictedTreMm: r.reg.predictedTreMm,
        covariance: r.reg.covariance,
        centreLps: r.reg.centreLps,
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
      },
    });
  } else if (req.kind === 'scan') {
    post({ t: 'scan', result: scanTree(req.path, (f) => post({ t: 'progress', fraction: f, stage: 'scan' })) });
  } else {
    const vol = decodeNrrd(readStoreFileSync(req.volumePath, storeKey(req)), path.basename(req.volumePath));
    post({ t: 'progress', fraction: 0.05, stage: 'twin: volume loaded' });
    buildTwin(vol, req.modality, req.params, req.stagingDir, 0.05);
  }
}

run(workerData as WorkerRequest).then(
  () => post({ t: 'done' }),
  (e: unknown) => post({ t: 'error', error: toErrorShape(e) }),
);
