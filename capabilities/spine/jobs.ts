/**
 * The spine characterisation as a job kind: the worker segments and labels
 * the vertebrae of a CT twin (engine/spine), measures them, samples CT grey
 * levels along the bone surface's inward normals and stages the label map,
 * the grey-level bone mesh, the intervertebral spaces and the report (JSON,
 * CSV); the parent records the analysis (the twin's next version), its
 * artefacts and its per-level features in one transaction.
 */
import path from 'node:path';
import { z } from 'zod';
import { SpineCorrections, spineReportCsv, type SpineReport } from '../../electron/contract/spine.js';
import { defineJob, type CommitSide } from '../../electron/platform/job.js';
import { newId } from '../../electron/db/files.js';
import { fileKeyOf, readStoreFileSync } from '../../electron/db/sealed.js';
import { decodeNrrd, encodeNrrd } from '../../electron/io/nrrd.js';
import { decodeVtp, encodeVtp } from '../../electron/io/mesh.js';
import { characteriseSpine, SPINE_ALGORITHM, SPINE_ALGORITHM_VERSION, spineFeatureValues } from '../../electron/engine/spine/index.js';
import { greyLevelsAlongNormals } from '../../electron/engine/spine/surfaces.js';
import { StagedArtefact } from '../twins/jobs.js';
import { insertArtefact, insertFeature } from '../twins/repo.js';
import { insertSpineAnalysis } from './repo.js';

/** The analysis staged by the worker: its report and artefacts. */
export const SpineOutput = z.object({
  report: z.custom<SpineReport>((v) => typeof v === 'object' && v !== null && 'vertebrae' in v && 'curvature' in v, 'a spine report'),
  artefacts: z.array(StagedArtefact),
});
export type SpineOutput = z.infer<typeof SpineOutput>;

/** Spine characterisation of a CT twin: the job's result is the new analysis. */
export const spineJob = defineJob({
  kind: 'spine',
  title: 'Spine characterisation',
  request: z.object({
    /** The store's file key (hex) when its files are sealed. */
    fileKey: z.string().nullable(),
    volumePath: z.string(),
    boneMaskPath: z.string().nullable(),
    boneMeshPath: z.string().nullable(),
    skinMeshPath: z.string().nullable(),
    corrections: SpineCorrections,
    /** Depth (mm) of the grey-level sampling along the bone mesh's inward normals. */
    greyDepthMm: z.number(),
    stagingDir: z.string(),
  }),
  output: SpineOutput,
  run: (req, w) => {
    const key = fileKeyOf(req);
    const vol = decodeNrrd(readStoreFileSync(req.volumePath, key), path.basename(req.volumePath));
    w.progress(0.1, 'spine: volume loaded');
    const bone = req.boneMaskPath ? (decodeNrrd(readStoreFileSync(req.boneMaskPath, key), 'bone mask').data as Uint8Array) : null;
    const skin = req.skinMeshPath ? decodeVtp(readStoreFileSync(req.skinMeshPath, key)) : null;
    w.progress(0.15, 'spine: segmenting vertebrae');
    const res = characteriseSpine(vol, bone, { corrections: req.corrections, skinPoints: skin?.points ?? null });
    w.progress(0.75, 'spine: grey levels on the bone surface');
    const geom = { dims: vol.dims, spacingMm: vol.spacingMm, originLps: vol.originLps, direction: vol.direction };
    const artefacts: StagedArtefact[] = [];
    const stage = (a: Omit<StagedArtefact, 'stagedPath' | 'bytes' | 'sha256'>, data: Uint8Array): void => {
      artefacts.push({ ...a, ...w.stage(req.stagingDir, a.name, data) });
    };
    const labelVoxels = res.labelMap.reduce((n, x) => n + (x ? 1 : 0), 0);
    stage(
      { kind: 'vertebra-labels', format: 'nrrd', name: 'vertebra-labels.nrrd', count: labelVoxels },
      encodeNrrd({ ...geom, data: res.labelMap }, { gzip: true, labels: res.labelNames }),
    );
    if (req.boneMeshPath) {
      const mesh = decodeVtp(readStoreFileSync(req.boneMeshPath, key));
      const t0 = performance.now();
      const g = greyLevelsAlongNormals(vol, mesh, req.greyDepthMm);
      res.report.timingsMs['grey levels'] = Math.round(performance.now() - t0);
      res.report.surfaceGreyDepthMm = req.greyDepthMm;
      stage(
        { kind: 'bone-grey-mesh', format: 'vtp', name: 'bone-grey-mesh.vtp', count: mesh.triangles.length / 3 },
        encodeVtp(mesh, { HU_mean: g.mean, HU_max: g.max }),
      );
    }
    if (res.discSpaces)
      stage(
        { kind: 'disc-spaces', format: 'vtp', name: 'disc-spaces.vtp', count: res.discSpaces.mesh.triangles.length / 3 },
        encodeVtp(res.discSpaces.mesh, { disc: res.discSpaces.discIndex }),
      );
    const levels = res.report.vertebrae.length;
    stage({ kind: 'spine-report', format: 'json', name: 'spine-report.json', count: levels }, Buffer.from(JSON.stringify(res.report, null, 1)));
    stage({ kind: 'spine-report', format: 'csv', name: 'spine-report.csv', count: levels }, Buffer.from(spineReportCsv(res.report)));
    w.result({ report: res.report, artefacts });
  },
  commit: (m, c: CommitSide<{ twinId: string; seriesId: string; corrections: SpineCorrections }>) => {
    const { store } = c;
    const { twinId, corrections } = c.context;
    const analysisId = newId();
    const files = m.artefacts.map((a) => ({ stagedPath: a.stagedPath, relPath: path.join('store', 'twins', twinId, 'spine', analysisId, a.name) }));
    store.commitFiles(files, () => {
      const version = insertSpineAnalysis(store, { id: analysisId, twinId, corrections, report: m.report, algorithmVersion: SPINE_ALGORITHM_VERSION });
      m.artefacts.forEach((a, i) =>
        insertArtefact(
          store,
          { twinId, kind: a.kind, format: a.format, relPath: files[i]!.relPath, bytes: a.bytes, sha256: a.sha256, count: a.count },
          analysisId,
        ),
      );
      for (const f of spineFeatureValues(m.report))
        insertFeature(
          store,
          twinId,
          {
            ...f,
            sourceSeriesId: c.context.seriesId,
            algorithm: SPINE_ALGORITHM,
            algorithmVersion: SPINE_ALGORITHM_VERSION,
            parameters: { analysisVersion: version, corrected: Object.keys(corrections.names).length + Object.keys(corrections.centroids).length > 0 },
          },
          analysisId,
        );
      store.audit(c.actor, version === 1 ? 'analyse' : 'correct', 'spine-analysis', analysisId, { twinId, version });
    });
    return analysisId;
  },
});
