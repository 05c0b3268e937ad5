/**
 * The spine engine's working grid: the CT re-indexed so that index axes run
 * along +L, +P, +S (the closest axis permutation and flips of the source
 * direction; the true direction is kept, so LPS positions stay exact), block-
 * averaged to a working resolution, and Gaussian-smoothed. Plus the sampling
 * helpers the spine measurements use (trilinear interpolation in LPS mm).
 */
import { blockFactors, blockGeometry } from '../multires.js';
import { indexAxisClosestTo, lpsToIndex, indexToLps, type Vec3, type Volume, type VolumeGeometry } from '../volume.js';

/** Index permutation and flips from a source grid to its L-P-S ordered twin. */
export interface AxisMap {
  /** perm[c]: the source index axis that runs along world axis c (0 L, 1 P, 2 S). */
  perm: [0 | 1 | 2, 0 | 1 | 2, 0 | 1 | 2];
  /** flip[c]: the source axis runs along −c. */
  flip: [boolean, boolean, boolean];
}

/** The closest axis permutation of a grid's direction (throws when two world axes pick the same index axis). */
export function axisMapOf(g: VolumeGeometry): AxisMap {
  const perm = [indexAxisClosestTo(g, 0), indexAxisClosestTo(g, 1), indexAxisClosestTo(g, 2)] as AxisMap['perm'];
  if (new Set(perm).size !== 3) throw new Error('volume direction is too oblique to find its axial, coronal and sagittal axes');
  const flip = perm.map((p, c) => (g.direction[c * 3 + p] as number) < 0) as AxisMap['flip'];
  return { perm, flip };
}

/** Geometry of the L-P-S ordered grid (same voxels, re-indexed). */
export function canonicalGeometry(g: VolumeGeometry, m: AxisMap): VolumeGeometry {
  const dims = m.perm.map((p) => g.dims[p]) as Vec3;
  const spacingMm = m.perm.map((p) => g.spacingMm[p]) as Vec3;
  const corner = [0, 0, 0];
  for (const c of [0, 1, 2] as const) if (m.flip[c]) corner[m.perm[c]] = g.dims[m.perm[c]] - 1;
  const originLps = indexToLps(g, corner);
  const direction = [0, 0, 0, 0, 0, 0, 0, 0, 0] as VolumeGeometry['direction'];
  for (const c of [0, 1, 2] as const) for (let r = 0; r < 3; r++) direction[r * 3 + c] = (g.direction[r * 3 + m.perm[c]] as number) * (m.flip[c] ? -1 : 1);
  return { dims, spacingMm, originLps, direction };
}

/** Flat source index of each canonical voxel, as strides: src = base + x·sx + y·sy + z·sz. */
export function canonicalStrides(g: VolumeGeometry, m: AxisMap): { base: number; stride: Vec3 } {
  const srcStride = [1, g.dims[0], g.dims[0] * g.dims[1]];
  let base = 0;
  const stride = [0, 0, 0] as Vec3;
  for (const c of [0, 1, 2] as const) {
    const p = m.perm[c];
    if (m.flip[c]) {
      base += (g.dims[p] - 1) * srcStride[p]!;
      stride[c] = -srcStride[p]!;
    } else stride[c] = srcStride[p]!;
  }
  return { base, stride };
}

/** In-place separable Gaussian smoothing (σ in mm, kernel truncated at 2.5σ). */
export function gaussianSmooth(v: Volume<Float32Array>, sigmaMm: number): void {
  const [nx, ny] = v.dims;
  const strides = [1, nx, nx * ny];
  for (let a = 0; a < 3; a++) {
    const sigma = sigmaMm / v.spacingMm[a]!;
    if (sigma < 0.3) continue;
    const r = Math.ceil(2.5 * sigma);
    const w = new Float64Array(2 * r + 1);
    let sum = 0;
    for (let t = -r; t <= r; t++) sum += w[t + r] = Math.exp((-t * t) / (2 * sigma * sigma));
    for (let t = 0; t < w.length; t++) w[t] = w[t]! / sum;
    const n = v.dims[a]!;
    const st = strides[a]!;
    const line = new Float64Array(n);
    const lines = v.data.length / n;
    for (let l = 0; l < lines; l++) {
      // start index of line l along axis a
      let start: number;
      if (a === 0) start = l * nx;
      else if (a === 1) start = (l % nx) + Math.floor(l / nx) * nx * ny;
      else start = l;
      for (let i = 0; i < n; i++) line[i] = v.data[start + i * st]!;
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let t = -r; t <= r; t++) {
          const q = Math.min(n - 1, Math.max(0, i + t));
          acc += w[t + r]! * line[q]!;
        }
        v.data[start + i * st] = acc;
      }
    }
  }
}

/**
 * Trilinear value at a continuous voxel index (clamped to the grid);
 * NaN outside the grid by more than half a voxel.
 */
export function trilinearAt(v: Volume, x: number, y: number, z: number): number {
  const [nx, ny, nz] = v.dims;
  if (x < -0.5 || y < -0.5 || z < -0.5 || x > nx - 0.5 || y > ny - 0.5 || z > nz - 0.5) return NaN;
  const cx = Math.min(nx - 1, Math.max(0, x));
  const cy = Math.min(ny - 1, Math.max(0, y));
  const cz = Math.min(nz - 1, Math.max(0, z));
  const x0 = Math.min(nx - 2, Math.floor(cx)),
    y0 = Math.min(ny - 2, Math.floor(cy)),
    z0 = Math.min(nz - 2, Math.floor(cz));
  const fx = nx > 1 ? cx - x0 : 0,
    fy = ny > 1 ? cy - y0 : 0,
    fz = nz > 1 ? cz - z0 : 0;
  const X0 = Math.max(0, x0),
    Y0 = Math.max(0, y0),
    Z0 = Math.max(0, z0);
  const X1 = Math.min(nx - 1, X0 + 1),
    Y1 = Math.min(ny - 1, Y0 + 1),
    Z1 = Math.min(nz - 1, Z0 + 1);
  const d = v.data;
  const at = (i: number, j: number, k: number) => d[i + nx * (j + ny * k)] as number;
  const c00 = at(X0, Y0, Z0) * (1 - fx) + at(X1, Y0, Z0) * fx;
  const c10 = at(X0, Y1, Z0) * (1 - fx) + at(X1, Y1, Z0) * fx;
  const c01 = at(X0, Y0, Z1) * (1 - fx) + at(X1, Y0, Z1) * fx;
  const c11 = at(X0, Y1, Z1) * (1 - fx) + at(X1, Y1, Z1) * fx;
  return (c00 * (1 - fy) + c10 * fy) * (1 - fz) + (c01 * (1 - fy) + c11 * fy) * fz;
}

/** Trilinear value at an LPS point (mm); NaN outside the grid. */
export function sampleLps(v: Volume, p: readonly number[]): number {
  const [x, y, z] = lpsToIndex(v, p);
  return trilinearAt(v, x, y, z);
}

/**
 * Block means of a volume taken in its canonical (L-P-S) order, without a
 * full-resolution copy: the working grid of a fine CT straight from its
 * source voxels (f = 1 gives the canonical copy itself).
 */
export function canonicalBlockMean(v: Volume, m: AxisMap, f: Vec3): Volume<Float32Array> {
  const cg = canonicalGeometry(v, m);
  const bg = blockGeometry(cg, f);
  const { base, stride } = canonicalStrides(v, m);
  const [nx, ny, nz] = cg.dims;
  const [mx, my] = bg.dims;
  const sum = new Float32Array(bg.dims[0] * bg.dims[1] * bg.dims[2]);
  const cnt = new Uint16Array(sum.length);
  const cb = new Int32Array(nx);
  for (let x = 0; x < nx; x++) cb[x] = (x / f[0]) | 0;
  const d = v.data;
  for (let z = 0; z < nz; z++) {
    const Z = ((z / f[2]) | 0) * mx * my;
    for (let y = 0; y < ny; y++) {
      const ZY = Z + ((y / f[1]) | 0) * mx;
      let s = base + y * stride[1] + z * stride[2];
      for (let x = 0; x < nx; x++, s += stride[0]) {
        const b = ZY + cb[x]!;
        sum[b]! += d[s] as number;
        cnt[b]!++;
      }
    }
  }
  for (let b = 0; b < sum.length; b++) sum[b] = sum[b]! / Math.max(1, cnt[b]!);
  return { ...bg, data: sum };
}

/** Blocks of the canonical grid at least half covered by a source-ordered mask (f = 1: the mask itself, re-ordered). */
export function canonicalBlockMajority(mask: ArrayLike<number>, g: VolumeGeometry, m: AxisMap, f: Vec3): Uint8Array {
  const bin = new Uint8Array(mask.length);
  for (let v = 0; v < mask.length; v++) bin[v] = mask[v] ? 1 : 0;
  const frac = canonicalBlockMean({ ...g, data: bin }, m, f).data;
  const out = new Uint8Array(frac.length);
  for (let b = 0; b < frac.length; b++) out[b] = frac[b]! >= 0.5 ? 1 : 0;
  return out;
}

/** A label map of the canonical block grid brought back to every voxel of the source grid, in the source's voxel order. */
export function blockLabelsToSource(low: Uint8Array, src: VolumeGeometry, m: AxisMap, f: Vec3): Uint8Array {
  const cg = canonicalGeometry(src, m);
  const { base, stride } = canonicalStrides(src, m);
  const [nx, ny, nz] = cg.dims;
  const mx = Math.ceil(nx / f[0]);
  const my = Math.ceil(ny / f[1]);
  const out = new Uint8Array(nx * ny * nz);
  const cb = new Int32Array(nx);
  for (let x = 0; x < nx; x++) cb[x] = (x / f[0]) | 0;
  for (let z = 0; z < nz; z++) {
    const Z = ((z / f[2]) | 0) * mx * my;
    for (let y = 0; y < ny; y++) {
      const ZY = Z + ((y / f[1]) | 0) * mx;
      let s = base + y * stride[1] + z * stride[2];
      for (let x = 0; x < nx; x++, s += stride[0]) out[s] = low[ZY + cb[x]!]!;
    }
  }
  return out;
}

/**
 * The smoothed working CT: L-P-S ordered, block-averaged to `workingMm`
 * straight from the source voxels, Gaussian σ `sigmaMm`.
 */
export function workingCt(ct: Volume, workingMm: number, sigmaMm: number): { map: AxisMap; work: Volume<Float32Array>; factors: Vec3 } {
  const map = axisMapOf(ct);
  const factors = blockFactors(canonicalGeometry(ct, map).spacingMm, workingMm);
  const work = canonicalBlockMean(ct, map, factors);
  gaussianSmooth(work, sigmaMm);
  return { map, work, factors };
}
