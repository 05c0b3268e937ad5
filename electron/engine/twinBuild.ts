/**
 * The anatomical layer of the MS-DT Human Modelling Engine: from one CT or MR
 * volume (LPS mm) to the body and bone masks, their surface meshes (LPS mm)
 * and the first features, with stage timings. Pure: typed arrays in and out.
 */
import type { TwinParams } from '../../capabilities/twins/contract.js';
import { bodyMaskFromCt, bodyMaskFromMr, boneMaskFromCt, type MaskResult } from './segmentation.js';
import { meshFromMask, meshTopology, surfaceAreaMm2, type MeshTopology, type TriangleMesh } from './surface.js';
import { voxelVolumeMm3, type Volume } from './volume.js';

export const TWIN_ALGORITHM = 'orthotwin.anatomical-twin';
export const TWIN_ALGORITHM_VERSION = '1.0.0';

export interface FeatureValue {
  name: string;
  value: number;
  unit: string;
}

export interface TwinBuildOutput {
  skin: MaskResult;
  bone: MaskResult | null;
  skinMesh: TriangleMesh;
  boneMesh: TriangleMesh | null;
  skinTopology: MeshTopology;
  boneTopology: MeshTopology | null;
  features: FeatureValue[];
  timingsMs: Record<string, number>;
  trianglesBeforeDecimation: { skin: number; bone: number };
}

export type BuildProgress = (fraction: number, stage: string) => void;

/**
 * HU statistics inside a mask: mean, sample standard deviation, and the
 * median, 5th and 95th percentiles by nearest rank (exact: a histogram of
 * integer HU for integer volumes, a sort otherwise).
 */
export function huStatistics(ct: Volume, mask: Uint8Array): { mean: number; std: number; median: number; p05: number; p95: number } {
  let n = 0,
    sum = 0,
    sum2 = 0,
    lo = Infinity,
    hi = -Infinity;
  const d = ct.data;
  for (let v = 0; v < mask.length; v++)
    if (mask[v]) {
      const x = d[v] as number;
      n++;
      sum += x;
      sum2 += x * x;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  if (n === 0) return { mean: NaN, std: NaN, median: NaN, p05: NaN, p95: NaN };
  const mean = sum / n;
  const std = n > 1 ? Math.sqrt(Math.max(0, (sum2 - n * mean * mean) / (n - 1))) : 0;
  const ranks = [0.5, 0.05, 0.95].map((p) => Math.round(p * (n - 1)));
  let values: number[];
  const integer = !(d instanceof Float32Array || d instanceof Float64Array);
  if (integer && hi - lo < 1 << 20) {
    const hist = new Float64Array(hi - lo + 1);
    for (let v = 0; v < mask.length; v++) if (mask[v]) hist[(d[v] as number) - lo]! += 1;
    values = ranks.map((r) => {
      let acc = 0;
      for (let b = 0; b < hist.length; b++) {
        acc += hist[b] as number;
        if (acc > r) return lo + b;
      }
      return hi;
    });
  } else {
    const vals = new Float64Array(n);
    let w = 0;
    for (let v = 0; v < mask.length; v++) if (mask[v]) vals[w++] = d[v] as number;
    vals.sort();
    values = ranks.map((r) => vals[r] as number);
  }
  return { mean, std, median: values[0] as number, p05: values[1] as number, p95: values[2] as number };
}

/**
 * Builds the anatomical twin of one volume.
 *
 * @param vol CT (HU) or MR volume, LPS mm
 * @param modality 'CT' gives body + bone; 'MR' gives body only
 * @param p parameters (thresholds in HU, radii in mm, triangle budgets)
 * @returns masks on the source grid, meshes in LPS mm, features with units, timings in ms
 */
export function buildAnatomicalTwin(vol: Volume, modality: 'CT' | 'MR', p: TwinParams, progress: BuildProgress = () => undefined): TwinBuildOutput {
  const timingsMs: Record<string, number> = {};
  const time = <T>(stage: string, f: () => T): T => {
    const t0 = performance.now();
    const r = f();
    timingsMs[stage] = Math.round((performance.now() - t0) * 10) / 10;
    return r;
  };
  const isCt = modality === 'CT';
  const span = (a: number, b: number) => (f: number, s: string) => progress(a + (b - a) * f, s);
  const skin = time('skin', () =>
    isCt
      ? bodyMaskFromCt(
          vol,
          { thresholdHu: p.skinThresholdHu, tableCutRadiusMm: p.tableCutRadiusMm, workingResolutionMm: p.workingResolutionMm },
          span(0, isCt ? 0.3 : 0.5),
        )
      : bodyMaskFromMr(vol, { otsuScale: p.mrOtsuScale, closingRadiusMm: p.mrClosingRadiusMm }, span(0, 0.5)),
  );
  const bone = isCt
    ? time('bone', () =>
        boneMaskFromCt(
          vol,
          skin.mask,
          {
            corticalHu: p.boneCorticalHu,
            trabecularHu: p.boneTrabecularHu,
            closingRadiusMm: p.boneClosingRadiusMm,
            minIslandMl: p.boneMinIslandMl,
            workingResolutionMm: p.workingResolutionMm,
          },
          span(0.3, 0.6),
        ),
      )
    : null;
  progress(isCt ? 0.6 : 0.5, 'skin mesh');
  const skinSurf = time('skinMesh', () =>
    meshFromMask(skin.mask, vol, { smoothingIterations: p.smoothingIterations, maxTriangles: p.skinMaxTriangles, largestOnly: true }),
  );
  progress(isCt ? 0.8 : 0.9, 'bone mesh');
  const boneSurf = bone
    ? time('boneMesh', () => meshFromMask(bone.mask, vol, { smoothingIterations: p.smoothingIterations, maxTriangles: p.boneMaxTriangles }))
    : null;
  const features: FeatureValue[] = [];
  const features0 = time('features', () => {
    const vv = voxelVolumeMm3(vol);
    features.push({ name: 'body_volume', value: (skin.voxels * vv) / 1e6, unit: 'L' });
    features.push({ name: 'skin_surface_area', value: surfaceAreaMm2(skinSurf.mesh) / 100, unit: 'cm2' });
    if (bone) {
      features.push({ name: 'bone_volume', value: (bone.voxels * vv) / 1e3, unit: 'mL' });
      const s = huStatistics(vol, bone.mask);
      features.push({ name: 'bone_hu_mean', value: s.mean, unit: 'HU' });
      features.push({ name: 'bone_hu_std', value: s.std, unit: 'HU' });
      features.push({ name: 'bone_hu_median', value: s.median, unit: 'HU' });
      features.push({ name: 'bone_hu_p05', value: s.p05, unit: 'HU' });
      features.push({ name: 'bone_hu_p95', value: s.p95, unit: 'HU' });
    }
    // a statistic of no voxel (a volume too small or too soft for any bone voxel) is not a feature: it is left out, never NaN
    return features.filter((f) => Number.isFinite(f.value));
  });
  progress(1, 'done');
  return {
    skin,
    bone,
    skinMesh: skinSurf.mesh,
    boneMesh: boneSurf?.mesh ?? null,
    skinTopology: meshTopology(skinSurf.mesh),
    boneTopology: boneSurf ? meshTopology(boneSurf.mesh) : null,
    features: features0,
    timingsMs,
    trianglesBeforeDecimation: { skin: skinSurf.trianglesBeforeDecimation, bone: boneSurf?.trianglesBeforeDecimation ?? 0 },
  };
}
