/**
 * The enhancement job (issue 22): a stored 8-bit ultrasound volume enhanced
 * slice by slice (planes of its first two index axes, one per index of the
 * third) with a model of the manifest, in the job's worker thread (the
 * enhancer is created there directly), staged as NRRD and committed as a new
 * series of the same patient (the studies capability's `commitVolume`).
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { AppError } from '../../electron/contract/errors.js';
import { fileKeyOf, readStoreFileSync } from '../../electron/db/sealed.js';
import { createEnhancer } from '../../electron/enhance/enhancer.js';
import { decodeNrrd, encodeNrrd } from '../../electron/io/nrrd.js';
import type { Volume } from '../../electron/engine/volume.js';
import { defineJob, type CommitSide } from '../../electron/platform/job.js';
import { commitVolume, derivedUltrasoundMeta, VolumeOutput } from '../studies/jobs.js';

/**
 * The grid of a volume whose first two index axes are scaled by `s`: dims
 * ×s, spacing /s, origin moved so that voxel centres align as
 * interpolate(align_corners=False) does (output voxel i sits at input index
 * (i + 0.5)/s − 0.5 along those axes). LPS mm; direction unchanged.
 */
export function scaledGrid(
  v: Pick<Volume, 'dims' | 'spacingMm' | 'originLps' | 'direction'>,
  s: number,
): Pick<Volume, 'dims' | 'spacingMm' | 'originLps' | 'direction'> {
  const o = (1 / s - 1) / 2;
  const d = v.direction;
  const step = [o * v.spacingMm[0], o * v.spacingMm[1], 0];
  const origin = [0, 1, 2].map((r) => v.originLps[r]! + d[r * 3]! * step[0]! + d[r * 3 + 1]! * step[1]! + d[r * 3 + 2]! * step[2]!);
  return {
    dims: [v.dims[0] * s, v.dims[1] * s, v.dims[2]] as Volume['dims'],
    spacingMm: [v.spacingMm[0] / s, v.spacingMm[1] / s, v.spacingMm[2]] as Volume['spacingMm'],
    originLps: origin as Volume['originLps'],
    direction: [...d] as Volume['direction'],
  };
}

export const enhanceVolumeJob = defineJob({
  kind: 'enhance-volume',
  title: 'Ultrasound enhancement',
  request: z.object({
    volumePath: z.string(),
    /** The store's file key (hex) when its files are sealed. */
    fileKey: z.string().nullable(),
    modelsDir: z.string(),
    model: z.string(),
    /** The source series' description (for the new series'). */
    sourceDescription: z.string(),
    /** The source volume's grid is nominal (kept so). */
    nominalGeometry: z.boolean(),
    stagingDir: z.string(),
  }),
  output: VolumeOutput,
  run: async (req, w) => {
    const t0 = performance.now();
    const vol = decodeNrrd(readStoreFileSync(req.volumePath, fileKeyOf(req)), path.basename(req.volumePath));
    if (!(vol.data instanceof Uint8Array))
      throw new AppError(
        'BAD_REQUEST',
        `${path.basename(req.volumePath)}: the volume holds ${vol.data.constructor.name} voxels; only 8-bit ultrasound can be enhanced`,
      );
    const enhancer = await createEnhancer({ modelsDir: req.modelsDir, model: req.model });
    const info = enhancer.info;
    const s = info.scale;
    const [nx, ny, nz] = vol.dims;
    const grid = scaledGrid(vol, s);
    const plane = nx * ny;
    const outPlane = plane * s * s;
    const data = new Uint8Array(outPlane * nz);
    const ms: number[] = [];
    try {
      for (let k = 0; k < nz; k++) {
        const f = await enhancer.enhance({ width: nx, height: ny, pixels: vol.data.subarray(k * plane, (k + 1) * plane) });
        data.set(f.pixels, k * outPlane);
        ms.push(f.ms);
        if (k % 8 === 0) w.progress(0.05 + (0.85 * (k + 1)) / nz, `enhancement: slice ${k + 1} of ${nz}`);
      }
    } finally {
      await enhancer.close();
    }
    const out: Volume<Uint8Array> = { ...grid, data };
    const enhanceMs = Math.round(performance.now() - t0);
    const staged = w.stage(req.stagingDir, 'volume.nrrd', encodeNrrd(out, { gzip: false }));
    let lo = 255,
      hi = 0;
    for (let i = 0; i < data.length; i++) {
      const x = data[i]!;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    ms.sort((a, b) => a - b);
    w.result({
      t: 'volume',
      meta: derivedUltrasoundMeta(
        req.volumePath,
        `${req.sourceDescription || 'ultrasound'} — ${info.task} (${info.name} ${info.version}${s !== 1 ? `, ×${s}` : ''})`,
        req.nominalGeometry,
      ),
      staged,
      record: {
        dims: out.dims,
        spacingMm: out.spacingMm,
        originLps: out.originLps,
        direction: out.direction,
        voxelType: 'uint8',
        minValue: lo,
        maxValue: hi,
        nominalGeometry: req.nominalGeometry,
      },
      timingsMs: { enhance: enhanceMs, slices: nz, msPerSliceP50: ms[Math.floor((ms.length - 1) / 2)] ?? 0 },
    });
  },
  commit: (m, c: CommitSide<{ patientId: string }>) => commitVolume(c, c.context.patientId, m, 'enhance').seriesId,
});
