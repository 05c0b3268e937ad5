/**
 * The studies' job kinds: import (read a CT/MR/US file or DICOM series with
 * itk-wasm into a volume in LPS mm, then optionally build its twin), freehand
 * 3D ultrasound reconstruction (a tracked sweep pasted into a volume as PLUS
 * does), and the folder scan (the DICOM patient/study/series tree, nothing
 * stored). A volume is committed as a new series of the patient in its own
 * transaction before the twin is built, so a crash during the build keeps a
 * complete import.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../electron/contract/errors.js';
import { defineJob, type CommitSide, type WorkerSide } from '../../electron/platform/job.js';
import { newId } from '../../electron/db/files.js';
import { encodeNrrd } from '../../electron/io/nrrd.js';
import { readVolume, type VolumeSourceMeta } from '../../electron/io/readVolume.js';
import { scanTree } from '../../electron/io/scanTree.js';
import { voxelTypeOf, type Volume } from '../../electron/engine/volume.js';
import { reconstructVolume } from '../../electron/engine/fusion/reconstruct.js';
import { loadTrackedSweep, reconstructionOptions } from '../fusion/sweep.js';
import { TwinParams } from '../twins/contract.js';
import { buildTwinInWorker, commitTwin, TwinOutput } from '../twins/jobs.js';
import { ScanResult, VolumeRecord } from './contract.js';
import { getPatient } from '../patients/repo.js';
import { identityDifferences } from '../../electron/io/identity.js';
import { sourceSeriesFromFiles, type SourceSeries } from '../../electron/io/dicomSeg.js';
import { insertDicomSource, insertSeries, insertVolume, upsertStudy } from './repo.js';
import { fileSha256 } from './sourceHash.js';

/** A volume staged by a worker: its source's identity, the staged NRRD, its grid and value range, timings (ms). */
export const VolumeOutput = z.object({
  t: z.literal('volume'),
  meta: z.custom<VolumeSourceMeta>((v) => typeof v === 'object' && v !== null && 'sourcePath' in v && 'modality' in v, 'a volume source'),
  staged: z.object({ stagedPath: z.string(), bytes: z.number().int(), sha256: z.string() }),
  /** SHA-256 of the source file for a volume file read from one file (not DICOM, not a reconstruction). */
  sourceSha256: z.string().optional(),
  record: VolumeRecord.omit({ id: true, seriesId: true }),
  /**
   * A DICOM series' source reference (what a SEG/SR/Surface Segmentation references, without file paths), recorded with
   * the series (migration 0018); absent for other formats and for a series that cannot be referenced (`dicomSourceNote` says why).
   */
  dicomSource: z.custom<SourceSeries>((v) => typeof v === 'object' && v !== null && 'instances' in v, 'a DICOM source reference').optional(),
  dicomSourceNote: z.string().optional(),
  timingsMs: z.record(z.string(), z.number()),
});
export type VolumeOutput = z.infer<typeof VolumeOutput>;

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

/** The stored volume's record: grid (LPS mm), voxel type and value range. */
function volumeRecord(vol: Volume, nominalGeometry: boolean): VolumeOutput['record'] {
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

/** Moves a staged volume into the store as a new series of the patient (one transaction); returns its series and volume ids. */
export function commitVolume(
  c: CommitSide<unknown>,
  patientId: string,
  m: VolumeOutput,
  action: 'import' | 'reconstruct' | 'enhance',
  identityOverride = '',
): { seriesId: string; volumeId: string } {
  const { store } = c;
  const volumeId = newId();
  const relPath = path.join('store', 'volumes', `${volumeId}.nrrd`);
  const seriesId = store.commitFiles([{ stagedPath: m.staged.stagedPath, relPath }], () => {
    const studyId = upsertStudy(store, patientId, {
      studyInstanceUid: m.meta.studyInstanceUid,
      studyDate: m.meta.studyDate,
      description: m.meta.studyDescription,
    });
    const sid = insertSeries(store, studyId, {
      seriesInstanceUid: m.meta.seriesInstanceUid,
      modality: m.meta.modality,
      modalityGuessed: m.meta.modalityGuessed,
      description: m.meta.seriesDescription,
      format: m.meta.format,
      sourcePath: m.meta.sourcePath,
      sourceSha256: m.sourceSha256 ?? '',
      identityOverride,
    });
    if (m.dicomSource) insertDicomSource(store, sid, m.dicomSource);
    insertVolume(store, volumeId, sid, { ...m.record, relPath, bytes: m.staged.bytes, sha256: m.staged.sha256 });
    store.audit(c.actor, action, 'series', sid, { patientId, format: m.meta.format });
    return sid;
  });
  c.keep('volumeTimingsMs', m.timingsMs);
  // a DICOM series without a recorded source reference: why (its derived objects then need its folder)
  if (m.dicomSourceNote) c.keep('dicomSourceNote', m.dicomSourceNote);
  return { seriesId, volumeId };
}

/** Parent-side state of an import: the patient, and the series and volume once committed (for the twin that follows). */
export interface ImportContext {
  patientId: string;
  params: TwinParams;
  /** The user confirmed that a study whose patient identity differs from the record belongs to this patient. */
  confirmIdentity: boolean;
  seriesId?: string;
  volumeId?: string;
}

/** Import of a file or DICOM series (and, by default, its twin): the job's result is the new series. */
export const importJob = defineJob({
  kind: 'import',
  title: 'Import',
  request: z.object({
    path: z.string(),
    seriesInstanceUid: z.string().optional(),
    strict: z.boolean(),
    maxBytes: z.number(),
    stagingDir: z.string(),
    buildTwin: z.boolean(),
    params: TwinParams,
    modality: z.enum(['CT', 'MR', 'US']).optional(),
  }),
  output: z.discriminatedUnion('t', [VolumeOutput, TwinOutput]),
  run: async (req, w) => {
    const t0 = performance.now();
    const span = req.buildTwin ? 0.35 : 0.9;
    const imported = await readVolume(req.path, {
      ...(req.seriesInstanceUid ? { seriesInstanceUid: req.seriesInstanceUid } : {}),
      strict: req.strict,
      maxBytes: req.maxBytes,
      ...(req.modality ? { modality: req.modality } : {}),
      onProgress: (f, s) => w.progress(span * f, `import: ${s}`),
    });
    const readMs = Math.round(performance.now() - t0);
    const vol = imported.volume;
    w.progress(span, 'import: saving volume');
    const tw = performance.now();
    const staged = w.stage(req.stagingDir, 'volume.nrrd', encodeNrrd(vol, { gzip: false }));
    // a volume file's content hash: a later scan of the same file (any path) says it is already in the patient
    const sourceSha256 = imported.meta.format !== 'dicom' && fs.statSync(req.path).isFile() ? fileSha256(req.path) : '';
    const writeMs = Math.round(performance.now() - tw);
    // a DICOM series' source reference (headers of the files read, in slice order): derived objects reference it once the folder is gone
    const ts = performance.now();
    let dicomSource: SourceSeries | undefined;
    let dicomSourceNote: string | undefined;
    if (imported.dicomSeries)
      try {
        const src = sourceSeriesFromFiles(req.path, imported.dicomSeries);
        if (src.instances.length === vol.dims[2]) dicomSource = { ...src, instances: src.instances.map(({ file: _f, ...i }) => i) };
        else dicomSourceNote = `${src.instances.length} instances for ${vol.dims[2]} slices`;
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        dicomSourceNote = e.message;
      }
    w.result({
      t: 'volume',
      meta: imported.meta,
      staged,
      ...(sourceSha256 ? { sourceSha256 } : {}),
      record: volumeRecord(vol, imported.meta.nominalGeometry),
      ...(dicomSource ? { dicomSource } : {}),
      ...(dicomSourceNote ? { dicomSourceNote } : {}),
      timingsMs: { import: readMs, writeVolume: writeMs, ...(imported.dicomSeries ? { sourceReference: Math.round(performance.now() - ts) } : {}) },
    });
    const modality = imported.meta.modality;
    if (req.buildTwin) {
      // the file does not say its modality and its values are not CT's: the volume is imported, and waits (Series panel) for the
      // user to state its modality before a twin is built — not a failed import
      if (modality === 'OT') return;
      if (modality !== 'CT' && modality !== 'MR')
        throw new AppError(
          'IMPORT_UNSUPPORTED',
          `${path.basename(req.path)}: no anatomical twin can be built from ${modality} images (the volume is imported)`,
        );
      const twinDir = path.join(req.stagingDir, 'twin');
      fs.mkdirSync(twinDir, { recursive: true });
      buildTwinInWorker(vol, modality, req.params, twinDir, span, w as WorkerSide<TwinOutput>);
    }
  },
  commit: (m, c: CommitSide<ImportContext>) => {
    const ctx = c.context;
    if (m.t === 'volume') {
      // the study's patient identity against the record's: a difference is imported only when the user confirmed it (audited)
      const patient = getPatient(c.store, ctx.patientId);
      const differences = m.meta.format === 'dicom' ? identityDifferences(patient, m.meta) : [];
      if (differences.length && !ctx.confirmIdentity)
        throw new AppError(
          'IDENTITY_MISMATCH',
          `${path.basename(m.meta.sourcePath)} may belong to another patient (${differences.join('; ')}): nothing was imported; confirm that it belongs to ${patient.displayName} to import it`,
          { differences },
        );
      const fields = differences.map((d) => d.split(':')[0]);
      if (differences.length) c.store.audit(c.actor, 'identity-override', 'patient', ctx.patientId, { fields });
      const { seriesId, volumeId } = commitVolume(c, ctx.patientId, m, 'import', fields.join(', '));
      ctx.seriesId = seriesId;
      ctx.volumeId = volumeId;
      return seriesId;
    }
    // an import's result is its series (its twin is the patient's newest)
    commitTwin(c, { patientId: ctx.patientId, volumeId: ctx.volumeId ?? '', seriesId: ctx.seriesId ?? '', params: ctx.params }, m);
    return undefined;
  },
});

/** Freehand 3D ultrasound reconstruction of a tracked sweep; the job's result is the new ultrasound series. */
export const reconstructJob = defineJob({
  kind: 'reconstruct',
  title: 'Ultrasound reconstruction',
  request: z.object({
    sequencePath: z.string(),
    configPath: z.string(),
    spacingMm: z.number().nullable(),
    interpolation: z.enum(['nearest', 'linear']),
    fillHoles: z.boolean(),
    referenceToImage: z.array(z.number()).length(16).nullable(),
    stagingDir: z.string(),
  }),
  output: VolumeOutput,
  run: (req, w) => {
    const t0 = performance.now();
    w.progress(0.02, 'reconstruction: reading the sweep');
    let sweep;
    try {
      sweep = loadTrackedSweep(req.sequencePath, req.configPath, req.referenceToImage ?? undefined);
    } catch (e) {
      throw new AppError('IMPORT_BAD_HEADER', (e as Error).message, { file: req.sequencePath });
    }
    const tr = performance.now();
    const r = reconstructVolume(sweep.frames, {
      ...reconstructionOptions(sweep.settings, req),
      onProgress: (f, stage) => w.progress(0.05 + 0.85 * f, `reconstruction: ${stage}`),
    });
    const reconstructMs = Math.round(performance.now() - tr);
    const vol = r.volume;
    const tw = performance.now();
    const staged = w.stage(req.stagingDir, 'volume.nrrd', encodeNrrd(vol, { gzip: false }));
    const base = path.basename(req.sequencePath).replace(/\.igs\.(mha|nrrd)$|\.(mha|nrrd)$/i, '');
    const inImage = req.referenceToImage !== null;
    w.result({
      t: 'volume',
      meta: derivedUltrasoundMeta(
        req.sequencePath,
        `3D US reconstruction of ${base} (${sweep.frames.length} frames, ${vol.spacingMm[0]} mm, ${req.interpolation}${inImage ? '' : ', tracker Reference frame'})`,
        !inImage,
      ),
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
  },
  commit: (m, c: CommitSide<{ patientId: string }>) => commitVolume(c, c.context.patientId, m, 'reconstruct').seriesId,
});

/** Scans a file or folder (recursively) for the import picker: the DICOM patient/study/series tree (no job row, nothing stored). */
export const scanJob = defineJob({
  kind: 'scan',
  title: 'Scan',
  request: z.object({ path: z.string() }),
  output: ScanResult,
  run: (req, w) => {
    const r = scanTree(req.path, (f) => w.progress(f, 'scan'));
    // a single volume file: its content hash, to find it among the patient's series whatever its path
    w.result(r.kind === 'file' ? { ...r, sha256: fileSha256(req.path) } : r);
  },
});

/**
 * The series metadata of an ultrasound volume made on this workstation (a freehand reconstruction, an enhanced
 * volume): modality US, no patient or study identity of its own (the commit attaches it to the patient's study),
 * study description "Tracked ultrasound".
 * @param sourcePath the file it was made from
 * @param seriesDescription what was done, shown in the series list
 * @param nominalGeometry true when its placement is nominal (not in the patient frame)
 */
export function derivedUltrasoundMeta(sourcePath: string, seriesDescription: string, nominalGeometry: boolean): VolumeSourceMeta {
  return {
    format: 'metaimage',
    sourcePath,
    modality: 'US',
    modalityGuessed: false,
    patientName: '',
    patientId: '',
    patientBirthDate: '',
    patientSex: '',
    studyInstanceUid: '',
    studyDate: '',
    studyDescription: 'Tracked ultrasound',
    seriesInstanceUid: '',
    seriesDescription,
    seriesNumber: 0,
    nominalGeometry,
  };
}
