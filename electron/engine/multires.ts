/**
 * Working-resolution grids for the twin's morphology: large smooth shapes
 * (the body, the closing envelope of bone) are decided on a grid of blocks of
 * f_i × f_j × f_k voxels, then brought back to the source grid where the
 * final voxel decision is made with the source intensities. Block factors are
 * chosen so a block is at most `workingMm` wide (1 where voxels are already
 * that large, so 3 mm CT is processed at full resolution).
 */
import type { Vec3, Volume, VolumeGeometry } from './volume.js';

/** Block factor per axis: floor(workingMm / spacing), at least 1. */
export function blockFactors(spacingMm: Vec3, workingMm: number): Vec3 {
  return spacingMm.map((s) => Math.max(1, Math.floor(workingMm / s + 1e-6))) as Vec3;
}

/** Geometry of the block grid (block centres; partial blocks at the far ends count as blocks). */
export function blockGeometry(g: VolumeGeometry, f: Vec3): VolumeGeometry {
  const dims = g.dims.map((d, a) => Math.ceil(d / f[a]!)) as Vec3;
  const spacingMm = g.spacingMm.map((s, a) => s * f[a]!) as Vec3;
  const shift = g.spacingMm.map((s, a) => (s * (f[a]! - 1)) / 2);
  const d = g.direction;
  const originLps: Vec3 = [0, 1, 2].map((r) => g.originLps[r]! + d[3 * r]! * shift[0]! + d[3 * r + 1]! * shift[1]! + d[3 * r + 2]! * shift[2]!) as Vec3;
  return { dims, spacingMm, originLps, direction: [...g.direction] };
}

/** Block index of each i (column), precomputed so inner loops do no division. */
function columnBlocks(nx: number, f: number): Int32Array {
  const c = new Int32Array(nx);
  for (let i = 0; i < nx; i++) c[i] = (i / f) | 0;
  return c;
}

/** Mean intensity of each block (Float32). */
export function downsampleMean(v: Volume, f: Vec3): Volume<Float32Array> {
  const bg = blockGeometry(v, f);
  const [nx, ny, nz] = v.dims;
  const [mx, my] = bg.dims;
  const sum = new Float32Array(bg.dims[0] * bg.dims[1] * bg.dims[2]);
  const cnt = new Uint16Array(sum.length);
  const cb = columnBlocks(nx, f[0]);
  const d = v.data;
  for (let k = 0; k < nz; k++) {
    const K = ((k / f[2]) | 0) * mx * my;
    for (let j = 0; j < ny; j++) {
      const JK = K + ((j / f[1]) | 0) * mx;
      const row = nx * (j + ny * k);
      for (let i = 0; i < nx; i++) {
        const b = JK + (cb[i] as number);
        sum[b] = (sum[b] as number) + (d[row + i] as number);
        cnt[b] = (cnt[b] as number) + 1;
      }
    }
  }
  for (let b = 0; b < sum.length; b++) sum[b] = (sum[b] as number) / Math.max(1, cnt[b] as number);
  return { ...bg, data: sum };
}

/** Block OR of a mask: a block is set when any of its voxels is. */
export function downsampleAny(mask: Uint8Array, g: VolumeGeometry, f: Vec3): Uint8Array {
  const bg = blockGeometry(g, f);
  const [nx, ny, nz] = g.dims;
  const [mx, my] = bg.dims;
  const out = new Uint8Array(bg.dims[0] * bg.dims[1] * bg.dims[2]);
  const cb = columnBlocks(nx, f[0]);
  for (let k = 0; k < nz; k++) {
    const K = ((k / f[2]) | 0) * mx * my;
    for (let j = 0; j < ny; j++) {
      const JK = K + ((j / f[1]) | 0) * mx;
      const row = nx * (j + ny * k);
      for (let i = 0; i < nx; i++) if (mask[row + i]) out[JK + (cb[i] as number)] = 1;
    }
  }
  return out;
}

/** The value of each voxel's block (nearest-block upsampling) of a block-grid mask. */
export function upsampleBlocks(low: Uint8Array, g: VolumeGeometry, f: Vec3): Uint8Array {
  const [nx, ny, nz] = g.dims;
  const mx = Math.ceil(nx / f[0]);
  const my = Math.ceil(ny / f[1]);
  const out = new Uint8Array(nx * ny * nz);
  const colBlock = columnBlocks(nx, f[0]);
  for (let k = 0; k < nz; k++) {
    const K = ((k / f[2]) | 0) * mx * my;
    for (let j = 0; j < ny; j++) {
      const JK = K + ((j / f[1]) | 0) * mx;
      const row = nx * (j + ny * k);
      for (let i = 0; i < nx; i++) out[row + i] = low[JK + (colBlock[i] as number)] as number;
    }
  }
  return out;
}
