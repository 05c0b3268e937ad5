/**
 * The studies capability: scanning and importing CT/MR/US series, the
 * patient's studies and volumes, freehand 3D ultrasound reconstruction, and
 * identified or de-identified export (PS3.15 Basic Profile), with the
 * `twin reconstruct` CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { currentCaller } from '../../electron/services/actor.js';
import { defineCapability } from '../../electron/platform/capability.js';
import { DEFAULT_MAX_VOLUME_BYTES } from '../../electron/io/headers.js';
import { TwinParams } from '../twins/contract.js';
import { getPatient } from '../patients/repo.js';
import { identityDifferences } from '../../electron/io/identity.js';
import { StudiesService } from './contract.js';
import { findImportedSeries, listStudies, setSeriesModality } from './repo.js';
import * as m0013 from './migrations/0013-series-source-hash.js';
import * as m0014 from './migrations/0014-series-identity-override.js';
import * as m0018 from './migrations/0018-series-dicom-sources.js';
import { importJob, reconstructJob, scanJob } from './jobs.js';
import { exportDeidentifiedSeries, exportIdentifiedSeries } from './exports.js';

export default defineCapability(
  {
    name: 'studies',
    title: 'Studies and import',
    version: '1.0.0',
    services: [StudiesService],
    jobs: [importJob, reconstructJob, scanJob],
    migrations: [
      { version: 13, name: m0013.name, sql: m0013.sql },
      { version: 14, name: m0014.name, sql: m0014.sql },
      { version: 18, name: m0018.name, sql: m0018.sql },
    ],
    cli: [
      {
        name: 'reconstruct',
        usage:
          'twin reconstruct <sequence.igs.mha> --config <PLUS xml> [--spacing MM] --out <volume.mha|.nrrd|.nii.gz> [--interpolation nearest|linear] [--no-fill] [--json]',
        run: async (argv) => (await import('./cliReconstruct.js')).runReconstruct(argv),
      },
    ],
  },
  ({ store, jobs, actor, maxVolumeBytes }) => ({
    studies: {
      scan: async (p, patientId) => {
        const patient = patientId ? getPatient(store, patientId) : null;
        const r = await jobs.runDetached(scanJob, { path: p });
        if (patient && r.kind === 'dicom')
          for (const sp of r.patients) sp.differences = identityDifferences(patient, { ...sp, patientBirthDate: sp.birthDate, patientSex: sp.sex });
        // a series already in this patient (same SeriesInstanceUID, or the same file content): the scan says so, the import asks
        if (patient)
          for (const sp of r.patients)
            for (const st of sp.studies)
              for (const se of st.series) {
                const found = findImportedSeries(
                  store,
                  patient.id,
                  r.kind === 'file'
                    ? { sourceSha256: r.sha256 ?? '' }
                    : se.seriesInstanceUid
                      ? { seriesInstanceUid: se.seriesInstanceUid }
                      : { dicomSourcePath: path.resolve(r.path) },
                );
                if (found) se.alreadyImported = found;
              }
        return r;
      },
      import: (req) => {
        getPatient(store, req.patientId);
        const params = TwinParams.parse({});
        const abs = path.resolve(req.path);
        const job = jobs.start(importJob, {
          payload: { path: req.path, seriesInstanceUid: req.seriesInstanceUid ?? null, buildTwin: req.buildTwin },
          context: { patientId: req.patientId, params, confirmIdentity: req.confirmIdentity === true },
          request: (stagingDir) => ({
            path: abs,
            ...(req.seriesInstanceUid ? { seriesInstanceUid: req.seriesInstanceUid } : {}),
            strict: req.strict,
            maxBytes: maxVolumeBytes ?? DEFAULT_MAX_VOLUME_BYTES,
            stagingDir,
            buildTwin: req.buildTwin,
            params,
            ...(req.modality ? { modality: req.modality } : {}),
          }),
        });
        // a browser-mode upload is removed once its import has ended
        const uploads = path.join(store.dataDir, 'uploads') + path.sep;
        if (abs.startsWith(uploads)) {
          const dir = path.join(uploads, path.relative(uploads, abs).split(path.sep)[0] ?? '');
          void jobs.wait(job.id).then(() => fs.rmSync(dir, { recursive: true, force: true }));
        }
        return job.id;
      },
      reconstruct: (req) => {
        getPatient(store, req.patientId);
        return jobs.start(reconstructJob, {
          payload: { sequencePath: req.sequencePath, configPath: req.configPath, spacingMm: req.spacingMm ?? null },
          context: { patientId: req.patientId },
          request: (stagingDir) => ({
            sequencePath: path.resolve(req.sequencePath),
            configPath: path.resolve(req.configPath),
            spacingMm: req.spacingMm ?? null,
            interpolation: req.interpolation,
            fillHoles: req.fillHoles,
            referenceToImage: req.referenceToImage ?? null,
            stagingDir,
          }),
        }).id;
      },
      list: (patientId) => {
        getPatient(store, patientId);
        return listStudies(store, patientId);
      },
      setModality: (seriesId, modality) => setSeriesModality(store, seriesId, modality),
      exportIdentified: (seriesId, outDir) => exportIdentifiedSeries(store, actor(), seriesId, outDir),
      exportDeidentified: (seriesId, outDir, opts) => {
        // a researcher writes de-identified exports into the data directory's exports/ folder only (no host path)
        if (currentCaller()?.role !== 'researcher') return exportDeidentifiedSeries(store, actor(), seriesId, outDir, opts);
        const exportsRoot = path.join(store.dataDir, 'exports');
        const target = path.resolve(exportsRoot, outDir);
        if (path.relative(exportsRoot, target).startsWith('..') || path.isAbsolute(path.relative(exportsRoot, target)))
          throw new AppError('FORBIDDEN', `a researcher exports into ${exportsRoot} only`);
        return exportDeidentifiedSeries(store, actor(), seriesId, target, opts);
      },
    },
  }),
);
