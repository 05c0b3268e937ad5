/**
 * The spine capability: vertebra segmentation and measurements of a CT twin
 * (jobs.ts, engine/spine), analyses versioned per twin with the surgeon's
 * corrections (repo.ts, migration 0002), and follow-up across visits.
 */
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { relabelRefusal } from '../../electron/contract/spineLabels.js';
import { defineCapability } from '../../electron/platform/capability.js';
import { getPatient } from '../patients/repo.js';
import { getVolume } from '../studies/repo.js';
import { getTwin } from '../twins/repo.js';
import { SpineService } from './contract.js';
import { listSpineAnalyses, spineAnalysisRecord, spineHistory } from './repo.js';
import { spineJob } from './jobs.js';
import * as m0002 from './migrations/0002-spine.js';

export default defineCapability(
  {
    name: 'spine',
    title: 'Spine characterisation',
    version: '0.2.0',
    services: [SpineService],
    jobs: [spineJob],
    migrations: [{ version: 2, name: m0002.name, sql: m0002.sql }],
  },
  ({ store, jobs }) => ({
    spine: {
      analyse: (twinId, corrections, options) => {
        const twin = getTwin(store, twinId);
        const vol = getVolume(store, twin.volumeId);
        if (vol.modality !== 'CT')
          throw new AppError('BAD_REQUEST', `the spine characterisation needs a CT twin; twin ${twin.version} is from ${vol.modality}`);
        // a relabel must never give two vertebrae the same name: checked against the automatic names of the twin's
        // analyses (the segmentation is deterministic); the engine checks again on the first analysis
        const previous = listSpineAnalyses(store, twinId)[0];
        const refusal = relabelRefusal(previous?.report.automaticNames ?? [], corrections.names);
        if (refusal) throw new AppError('BAD_REQUEST', refusal);
        const art = (kind: string, format: string): string | null => {
          const a = twin.artefacts.find((x) => x.kind === kind && x.format === format);
          return a ? path.join(store.dataDir, a.relPath) : null;
        };
        return jobs.start(spineJob, {
          payload: { twinId, corrections },
          context: { twinId, seriesId: twin.seriesId, corrections },
          request: (stagingDir) => ({
            fileKey: store.fileKey?.toString('hex') ?? null,
            volumePath: path.join(store.dataDir, vol.relPath),
            boneMaskPath: art('bone-mask', 'nrrd'),
            boneMeshPath: art('bone-mesh', 'vtp'),
            skinMeshPath: art('skin-mesh', 'vtp'),
            corrections,
            greyDepthMm: options.greyDepthMm,
            stagingDir,
          }),
        }).id;
      },
      get: (id) => spineAnalysisRecord(store, id),
      list: (twinId) => {
        getTwin(store, twinId);
        return listSpineAnalyses(store, twinId);
      },
      history: (patientId) => {
        getPatient(store, patientId);
        return spineHistory(store, patientId);
      },
    },
  }),
);
