/**
 * The twin build as a job kind: the worker builds the anatomical twin of a
 * volume (engine/twinBuild: body and bone masks, skin and bone meshes in LPS
 * mm, features) and stages its artefacts; the parent moves them into the
 * store and records the twin (a new version of the patient's twin) in one
 * transaction. `buildTwinInWorker` and `commitTwin` are shared with the
 * import (studies), which builds the twin right after the volume.
 */
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../electron/contract/errors.js';
import { defineJob, type CommitSide, type WorkerSide } from '../../electron/platform/job.js';
import { fileKeyOf, readStoreFileSync } from '../../electron/db/sealed.js';
import { newId } from '../../electron/db/files.js';
import { decodeNrrd, encodeNrrd } from '../../electron/io/nrrd.js';
import { encodeStl, encodeVtp } from '../../electron/io/mesh.js';
import { buildAnatomicalTwin, TWIN_ALGORITHM, TWIN_ALGORITHM_VERSION } from '../../electron/engine/twinBuild.js';
import type { Volume } from '../../electron/engine/volume.js';
import type { MeshTopology } from '../../electron/engine/surface.js';
import { ArtefactKind, TwinParams } from './contract.js';
import { insertArtefact, insertFeature, insertTwin } from './repo.js';

/** An output file staged by a worker, to be moved under store/ by the commit. */
export const StagedArtefact = z.object({
  kind: ArtefactKind,
  format: z.enum(['nrrd', 'vtp', 'stl', 'json', 'csv']),
  name: z.string(),
  stagedPath: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
  count: z.number().int(),
});
export type StagedArtefact = z.infer<typeof StagedArtefact>;

/** Extra numbers of a twin build (topology, counts) for the CLI summary. */
export interface TwinSummary {
  skinVoxels: number;
  boneVoxels: number;
  skinTriangles: number;
  boneTriangles: number;
  trianglesBeforeDecimation: { skin: number; bone: number };
  skinTopology: MeshTopology;
  boneTopology: MeshTopology | null;
  maskInfo: Record<string, Record<string, number>>;
}

/** The worker's twin: staged artefacts, features (value with unit), stage timings (ms) and the summary. */
export const TwinOutput = z.object({
  t: z.literal('twin'),
  artefacts: z.array(StagedArtefact),
  features: z.array(z.object({ name: z.string(), value: z.number(), unit: z.string() })),
  timingsMs: z.record(z.string(), z.number()),
  summary: z.custom<TwinSummary>((v) => typeof v === 'object' && v !== null && 'skinTopology' in v, 'a twin summary'),
});
export type TwinOutput = z.infer<typeof TwinOutput>;

/**
 * Builds the twin of `vol` in a worker and sends it as a TwinOutput; progress from `from` to 1.
 * @param vol the volume (LPS mm grid); CT (HU) or MR
 */
export function buildTwinInWorker(vol: Volume, modality: 'CT' | 'MR', params: TwinParams, stagingDir: string, from: number, w: WorkerSide<TwinOutput>): void {
  const t0 = performance.now();
  const out = buildAnatomicalTwin(vol, modality, params, (f, s) => w.progress(from + (1 - from) * 0.9 * f, `twin: ${s}`));
  w.progress(from + (1 - from) * 0.92, 'writing artefacts');
  const tw = performance.now();
  const artefacts: StagedArtefact[] = [];
  const geom = { dims: vol.dims, spacingMm: vol.spacingMm, originLps: vol.originLps, direction: vol.direction };
  const mask = (kind: 'skin-mask' | 'bone-mask', m: { mask: Uint8Array; voxels: number }, label: string): void => {
    const name = `${kind}.nrrd`;
    artefacts.push({
      kind,
      format: 'nrrd',
      name,
      count: m.voxels,
      ...w.stage(stagingDir, name, encodeNrrd({ ...geom, data: m.mask }, { gzip: true, labels: { 1: label } })),
    });
  };
  mask('skin-mask', out.skin, 'body');
  if (out.bone) mask('bone-mask', out.bone, 'bone');
  for (const [kind, mesh] of [
    ['skin-mesh', out.skinMesh],
    ['bone-mesh', out.boneMesh],
  ] as const) {
    if (!mesh) continue;
    const tri = mesh.triangles.length / 3;
    artefacts.push({ kind, format: 'vtp', name: `${kind}.vtp`, count: tri, ...w.stage(stagingDir, `${kind}.vtp`, encodeVtp(mesh)) });
    artefacts.push({ kind, format: 'stl', name: `${kind}.stl`, count: tri, ...w.stage(stagingDir, `${kind}.stl`, encodeStl(mesh)) });
  }
  const timingsMs = { ...out.timingsMs, write: Math.round(performance.now() - tw), twinTotal: Math.round(performance.now() - t0) };
  w.result({
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

/** Moves a built twin's staged artefacts into the store and records the twin, its artefacts and features in one transaction; returns the twin id. */
export function commitTwin(c: CommitSide<unknown>, t: { patientId: string; volumeId: string; seriesId: string; params: TwinParams }, m: TwinOutput): string {
  const { store } = c;
  const twinId = newId();
  const files = m.artefacts.map((a) => ({ stagedPath: a.stagedPath, relPath: path.join('store', 'twins', twinId, a.name) }));
  store.commitFiles(files, () => {
    insertTwin(store, {
      id: twinId,
      patientId: t.patientId,
      volumeId: t.volumeId,
      params: t.params,
      algorithmVersion: TWIN_ALGORITHM_VERSION,
      timingsMs: m.timingsMs,
    });
    m.artefacts.forEach((a, i) =>
      insertArtefact(store, { twinId, kind: a.kind, format: a.format, relPath: files[i]!.relPath, bytes: a.bytes, sha256: a.sha256, count: a.count }),
    );
    for (const f of m.features)
      insertFeature(store, twinId, {
        name: f.name,
        level: null,
        value: f.value,
        unit: f.unit,
        sourceSeriesId: t.seriesId,
        algorithm: TWIN_ALGORITHM,
        algorithmVersion: TWIN_ALGORITHM_VERSION,
        parameters: t.params,
      });
    store.audit(c.actor, 'build', 'twin', twinId, { patientId: t.patientId, volumeId: t.volumeId });
  });
  c.keep('summary', m.summary);
  return twinId;
}

/** Rebuilds the twin of a stored volume with new parameters: the job's result is the new twin. */
export const twinBuildJob = defineJob({
  kind: 'twin-build',
  title: 'Twin build',
  request: z.object({
    volumePath: z.string(),
    modality: z.enum(['CT', 'MR']),
    params: TwinParams,
    stagingDir: z.string(),
    /** The store's file key (hex) when its files are sealed. */
    fileKey: z.string().nullable(),
  }),
  output: TwinOutput,
  run: (req, w) => {
    const vol = decodeNrrd(readStoreFileSync(req.volumePath, fileKeyOf(req)), path.basename(req.volumePath));
    w.progress(0.05, 'twin: volume loaded');
    buildTwinInWorker(vol, req.modality, req.params, req.stagingDir, 0.05, w);
  },
  commit: (m, c: CommitSide<{ patientId: string; volumeId: string; seriesId: string; params: TwinParams }>) => commitTwin(c, c.context, m),
});

/** Refuses a twin build of a volume that is neither CT nor MR. */
export function assertTwinModality(modality: string): asserts modality is 'CT' | 'MR' {
  if (modality === 'OT') throw new AppError('BAD_REQUEST', 'the series does not say its modality: state it (CT or MR) before a twin is built from it');
  if (modality !== 'CT' && modality !== 'MR') throw new AppError('BAD_REQUEST', `no anatomical twin can be built from ${modality} images`);
}
