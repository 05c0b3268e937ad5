/**
 * Body (skin) and bone masks: the anatomical layer of the MS-DT Human
 * Modelling Engine (Paccini, Cammarasana, Patanè, CNR-IMATI). Masks are
 * Uint8Array label maps on the source grid (1 = inside).
 */
import {
  closeBall,
  countForeground,
  dilateBall,
  fillHoles2D,
  fillHoles3D,
  keepLargestComponent,
  onBoundingBox,
  openBall,
  removeSmallComponents,
  step6,
} from './morphology.js';
import { blockFactors, blockGeometry, downsampleAny, downsampleMean, upsampleBlocks } from './multires.js';
import { indexAxisClosestTo, voxelVolumeMm3, type Volume } from './volume.js';

export interface SkinCtParams {
  /** HU threshold between air and tissue (default −300). */
  thresholdHu: number;
  /** Radius (mm) of the opening that cuts thin bridges such as the CT table or cables (default 4). */
  tableCutRadiusMm: number;
  /** Block size (mm) of the grid the body's shape is decided on (default 1.5; see multires.ts). */
  workingResolutionMm: number;
}

export const DEFAULT_SKIN_CT: SkinCtParams = { thresholdHu: -300, tableCutRadiusMm: 4, workingResolutionMm: 1.5 };

export interface MaskResult {
  mask: Uint8Array;
  /** Foreground voxel count. */
  voxels: number;
  /** Extra numbers of the algorithm (thresholds found, components dropped...). */
  info: Record<string, number>;
}

/** Progress callback: fraction 0..1 within the current algorithm. */
export type StepProgress = (fraction: number, step: string) => void;

const noProgress: StepProgress = () => undefined;

/** The body mask algorithm of bodyMaskFromCt on one grid (no block refinement). */
function bodyMaskSingleGrid(ct: Volume, p: SkinCtParams, progress: StepProgress): MaskResult {
  const { dims, spacingMm } = ct;
  const n = ct.data.length;
  const thr = new Uint8Array(n);
  const t = p.thresholdHu;
  const d = ct.data;
  for (let v = 0; v < n; v++) thr[v] = (d[v] as number) > t ? 1 : 0;
  progress(0.1, 'threshold');
  const opened = p.tableCutRadiusMm > 0 ? openBall(thr, dims, spacingMm, p.tableCutRadiusMm) : thr.slice();
  progress(0.45, 'opening');
  const comps = keepLargestComponent(opened, dims, 6);
  progress(0.6, 'largest component');
  // Restore what the opening shaved off near the body (skin folds, fingers of
  // tissue) but not the table: dilate by the same radius within the threshold mask.
  const grown = p.tableCutRadiusMm > 0 ? dilateBall(opened, dims, spacingMm, p.tableCutRadiusMm) : opened;
  const mask = new Uint8Array(n);
  for (let v = 0; v < n; v++) mask[v] = grown[v] && thr[v] ? 1 : 0;
  keepLargestComponent(mask, dims, 6);
  progress(0.8, 'reconstruction');
  fillHoles2D(mask, dims, indexAxisClosestTo(ct, 2));
  fillHoles3D(mask, dims);
  progress(1, 'hole filling');
  return { mask, voxels: countForeground(mask), info: { thresholdHu: t, componentsBeforeSelection: comps.count } };
}

/**
 * Body mask from CT: HU > thresholdHu, opening (radius tableCutRadiusMm) to
 * separate the table and other thin attachments, largest 6-connected
 * component, reconstruction of the skin detail lost by the opening (dilation
 * by the same radius restricted to the threshold mask), then 2D (axial) and 3D
 * hole filling so lungs, airways and bowel gas are inside the body.
 *
 * On fine grids the shape is decided on blocks of about workingResolutionMm
 * (mean HU per block), then brought back: voxels of blocks inside the body
 * (one block from its edge) are body; in the one-block band either side of
 * the edge, source voxels above the threshold are; then the largest component
 * and 3D hole filling on the source grid.
 *
 * @param ct CT volume in HU, LPS geometry
 * @returns body mask on the CT grid
 */
export function bodyMaskFromCt(ct: Volume, p: SkinCtParams = DEFAULT_SKIN_CT, progress: StepProgress = noProgress): MaskResult {
  const f = blockFactors(ct.spacingMm, p.workingResolutionMm);
  if (f[0] === 1 && f[1] === 1 && f[2] === 1) return bodyMaskSingleGrid(ct, p, progress);
  const low = downsampleMean(ct, f);
  const lowMask = bodyMaskSingleGrid(low, p, (x, s) => progress(0.7 * x, s));
  // block states: 2 = inside (one block in from the edge), 1 = edge band, 0 = outside
  const core = step6(lowMask.mask, low.dims, false);
  const shell = step6(lowMask.mask, low.dims, true);
  for (let b = 0; b < core.length; b++) core[b] = core[b] ? 2 : shell[b] ? 1 : 0;
  const state = upsampleBlocks(core, ct, f);
  progress(0.8, 'refinement');
  const t = p.thresholdHu;
  const d = ct.data;
  for (let v = 0; v < state.length; v++) state[v] = state[v] === 2 || (state[v] === 1 && (d[v] as number) > t) ? 1 : 0;
  keepLargestComponent(state, ct.dims, 6);
  fillHoles3D(state, ct.dims);
  progress(1, 'hole filling');
  return { mask: state, voxels: countForeground(state), info: { ...lowMask.info, blockFactor: f[0] * f[1] * f[2] } };
}

export interface SkinMrParams {
  /** Multiplier on the Otsu threshold of log intensities (default 1). Lower tolerates more bias field. */
  otsuScale: number;
  /** Closing radius (mm) that bridges dark fat/fascia gaps in the outline (default 3). */
  closingRadiusMm: number;
}

export const DEFAULT_SKIN_MR: SkinMrParams = { otsuScale: 1, closingRadiusMm: 3 };

/**
 * Otsu's threshold (N. Otsu, IEEE Trans. SMC 9(1), 1979) of `values` over a
 * 256-bin histogram between their minimum and maximum.
 */
export function otsuThreshold(values: ArrayLike<number>, bins = 256): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (!(hi > lo)) return lo;
  const h = new Float64Array(bins);
  const w = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) h[Math.min(bins - 1, Math.floor(((values[i] as number) - lo) / w))]! += 1;
  let total = 0;
  let sumAll = 0;
  for (let b = 0; b < bins; b++) {
    total += h[b] as number;
    sumAll += b * (h[b] as number);
  }
  let w0 = 0;
  let sum0 = 0;
  let best = 0;
  let bestB = 0;
  for (let b = 0; b < bins; b++) {
    w0 += h[b] as number;
    sum0 += b * (h[b] as number);
    const w1 = total - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = sum0 / w0;
    const m1 = (sumAll - sum0) / w1;
    const between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      bestB = b;
    }
  }
  return lo + (bestB + 1) * w;
}

/**
 * Body mask from MR: Otsu threshold of log(1 + I) (a multiplicative bias field
 * becomes an additive offset there, so the threshold tolerates it), closing,
 * largest 6-connected component, 2D and 3D hole filling.
 *
 * @param mr MR volume (arbitrary non-negative units), LPS geometry
 */
export function bodyMaskFromMr(mr: Volume, p: SkinMrParams = DEFAULT_SKIN_MR, progress: StepProgress = noProgress): MaskResult {
  const { dims, spacingMm } = mr;
  const n = mr.data.length;
  const logI = new Float32Array(n);
  let minV = Infinity;
  for (let v = 0; v < n; v++) minV = Math.min(minV, mr.data[v] as number);
  for (let v = 0; v < n; v++) logI[v] = Math.log1p((mr.data[v] as number) - minV);
  const tLog = otsuThreshold(logI) * p.otsuScale;
  const thr = new Uint8Array(n);
  for (let v = 0; v < n; v++) thr[v] = (logI[v] as number) > tLog ? 1 : 0;
  progress(0.3, 'threshold');
  const closed = p.closingRadiusMm > 0 ? closeBall(thr, dims, spacingMm, p.closingRadiusMm) : thr;
  progress(0.6, 'closing');
  const comps = keepLargestComponent(closed, dims, 6);
  fillHoles2D(closed, dims, indexAxisClosestTo(mr, 2));
  fillHoles3D(closed, dims);
  progress(1, 'hole filling');
  return {
    mask: closed,
    voxels: countForeground(closed),
    info: { thresholdIntensity: Math.expm1(tLog) + minV, componentsBeforeSelection: comps.count },
  };
}

export interface BoneCtParams {
  /** HU above which a voxel is dense (cortical) bone (default 200). */
  corticalHu: number;
  /** HU above which a voxel enclosed by cortex counts as trabecular bone (default 60). */
  trabecularHu: number;
  /** Closing radius (mm) that closes the cortical shell around trabecular bone (default 5). */
  closingRadiusMm: number;
  /** Islands smaller than this (mL) are dropped (default 0.5). */
  minIslandMl: number;
  /** Block size (mm) of the grid the closing envelope is computed on (default 1.5; see multires.ts). */
  workingResolutionMm: number;
}

export const DEFAULT_BONE_CT: BoneCtParams = { corticalHu: 150, trabecularHu: 35, closingRadiusMm: 10, minIslandMl: 0.5, workingResolutionMm: 1.5 };

/**
 * Bone mask from CT. Dense bone (HU ≥ corticalHu) is closed with a ball of
 * closingRadiusMm and hole-filled slice by slice, so that the trabecular
 * interior of vertebral bodies and long bones is kept; inside that envelope
 * voxels must still be ≥ trabecularHu (which drops soft tissue the closing
 * bridged). Islands under minIslandMl are removed.
 *
 * @param ct CT volume in HU, LPS geometry
 * @param body optional body mask: bone outside it (the table) is dropped
 */
export function boneMaskFromCt(ct: Volume, body: Uint8Array | null, p: BoneCtParams = DEFAULT_BONE_CT, progress: StepProgress = noProgress): MaskResult {
  const { dims, spacingMm } = ct;
  const n = ct.data.length;
  const d = ct.data;
  const dense = new Uint8Array(n);
  for (let v = 0; v < n; v++) dense[v] = (d[v] as number) >= p.corticalHu && (!body || body[v]) ? 1 : 0;
  progress(0.1, 'threshold');
  // The envelope: closing of the dense voxels, hole-filled slice by slice, on the
  // block grid (any dense voxel sets its block), within the dense voxels' bounding box
  // grown by the radius (the closing reaches no further).
  const f = blockFactors(spacingMm, p.workingResolutionMm);
  const lg = blockGeometry(ct, f);
  const denseLow = f[0] * f[1] * f[2] === 1 ? dense : downsampleAny(dense, ct, f);
  const margin = lg.spacingMm.map((s) => Math.ceil(p.closingRadiusMm / s) + 1) as typeof dims;
  const envLow = onBoundingBox(denseLow, lg.dims, margin, (sub, sd) => closeBall(sub, sd, lg.spacingMm, p.closingRadiusMm));
  progress(0.6, 'closing');
  fillHoles2D(envLow, lg.dims, indexAxisClosestTo(ct, 2));
  const envelope = f[0] * f[1] * f[2] === 1 ? envLow : upsampleBlocks(envLow, ct, f);
  progress(0.75, 'hole filling');
  const mask = new Uint8Array(n);
  for (let v = 0; v < n; v++) mask[v] = dense[v] || (envelope[v] && (d[v] as number) >= p.trabecularHu) ? 1 : 0;
  const minVoxels = Math.max(1, Math.round((p.minIslandMl * 1000) / voxelVolumeMm3(ct)));
  const dropped = removeSmallComponents(mask, dims, minVoxels, 26);
  progress(1, 'islands');
  return { mask, voxels: countForeground(mask), info: { islandsDropped: dropped, minIslandVoxels: minVoxels } };
}
