/**
 * Binary morphology on voxel masks (Uint8Array, 0 = background, 1 = foreground,
 * i fastest: `mask[i + nx * (j + ny * k)]`). Distances are in millimetres on
 * anisotropic grids (spacing per axis). Algorithms:
 * - connected components and hole filling: run-length labelling (runs.ts),
 *   6- or 26-connectivity;
 * - Euclidean distance transform: Felzenszwalb & Huttenlocher, "Distance
 *   Transforms of Sampled Functions", Theory of Computing 8 (2012), applied
 *   separably per axis with the axis spacing;
 * - dilation/erosion by a ball of radius r mm = thresholding that transform.
 */
import { labelRuns, paintRuns, rootsTouchingBorder, type RunLabels } from './runs.js';
import type { Vec3 } from './volume.js';

export type Connectivity = 6 | 26;

export interface ComponentStats {
  /** Number of components. */
  count: number;
  /** Voxel count per component, largest first. */
  sizes: number[];
}

function statsOf(L: RunLabels): ComponentStats {
  const sizes: number[] = [];
  for (let q = 0; q < L.root.length; q++) if (L.root[q] === q) sizes.push(L.size[q] as number);
  return { count: sizes.length, sizes: sizes.sort((a, b) => b - a) };
}

/**
 * Keeps the largest connected foreground component of `mask` (in place;
 * run-length labelling, see runs.ts).
 * @returns the statistics of all components found before the others were dropped
 */
export function keepLargestComponent(mask: Uint8Array, dims: Vec3, conn: Connectivity = 6): ComponentStats {
  const L = labelRuns(mask, dims, true, conn);
  let best = -1;
  for (let q = 0; q < L.root.length; q++) if (L.root[q] === q && (best < 0 || (L.size[q] as number) > (L.size[best] as number))) best = q;
  paintRuns(mask, L, (r) => r !== best, 0);
  return statsOf(L);
}

/**
 * Removes (in place) foreground components smaller than `minVoxels`.
 * @returns number of components removed
 */
export function removeSmallComponents(mask: Uint8Array, dims: Vec3, minVoxels: number, conn: Connectivity = 26): number {
  const L = labelRuns(mask, dims, true, conn);
  let removed = 0;
  for (let q = 0; q < L.root.length; q++) if (L.root[q] === q && (L.size[q] as number) < minVoxels) removed++;
  paintRuns(mask, L, (r) => (L.size[r] as number) < minVoxels, 0);
  return removed;
}

/** Counts connected components of the foreground (mask is left unchanged). */
export function countComponents(mask: Uint8Array, dims: Vec3, conn: Connectivity = 6): ComponentStats {
  return statsOf(labelRuns(mask, dims, true, conn));
}

/**
 * 3D hole filling (in place): background voxels not 6-connected to the
 * volume border become foreground.
 */
export function fillHoles3D(mask: Uint8Array, dims: Vec3): void {
  const L = labelRuns(mask, dims, false, 6);
  const outside = rootsTouchingBorder(L, dims);
  paintRuns(mask, L, (r) => !outside.has(r), 1);
}

/**
 * 2D hole filling (in place) in every slice normal to index axis `axis`:
 * background regions of a slice that do not touch the slice border become
 * foreground. Fills lungs and bowel gas that 3D filling leaves open at the
 * ends of a scan.
 */
export function fillHoles2D(mask: Uint8Array, dims: Vec3, axis: 0 | 1 | 2): void {
  if (axis === 2) {
    const L = labelRuns(mask, dims, false, 6, true);
    const outside = rootsTouchingBorder(L, dims, true);
    paintRuns(mask, L, (r) => !outside.has(r), 1);
    return;
  }
  // slices normal to i or j: label each slice as a one-slice volume
  const [nx, ny] = dims;
  const strides = [1, nx, nx * ny];
  const u = axis === 0 ? 1 : 0;
  const nu = dims[u];
  const nw = dims[2];
  const su = strides[u] as number;
  const sw = strides[2] as number;
  const sa = strides[axis] as number;
  const plane = new Uint8Array(nu * nw);
  const planeDims: Vec3 = [nu, nw, 1];
  for (let s = 0; s < dims[axis]; s++) {
    const base = s * sa;
    for (let b = 0; b < nw; b++) for (let a = 0; a < nu; a++) plane[a + nu * b] = mask[base + a * su + b * sw] ? 1 : 0;
    const L = labelRuns(plane, planeDims, false, 6, true);
    const outside = rootsTouchingBorder(L, planeDims, true);
    paintRuns(plane, L, (r) => !outside.has(r), 1);
    for (let b = 0; b < nw; b++) for (let a = 0; a < nu; a++) if (plane[a + nu * b]) mask[base + a * su + b * sw] = 1;
  }
}

const INF = 1e20;

/**
 * 1D squared distance transform of the sampled function f (Felzenszwalb–
 * Huttenlocher lower envelope of parabolas), sample pitch h mm. Samples with
 * f ≥ INF take no part in the envelope; a row with none finite stays INF.
 */
function dt1d(f: Float64Array, n: number, h: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  const h2 = h * h;
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q] as number;
    if (fq >= INF) continue;
    let s = -INF;
    while (k >= 0) {
      const p = v[k] as number;
      s = (fq + h2 * q * q - ((f[p] as number) + h2 * p * p)) / (2 * h2 * (q - p));
      if (s <= (z[k] as number)) k--;
      else break;
    }
    k++;
    v[k] = q;
    z[k] = k === 0 ? -INF : s;
    z[k + 1] = INF;
  }
  if (k < 0) {
    for (let q = 0; q < n; q++) d[q] = INF;
    return;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while ((z[k + 1] as number) < q) k++;
    const p = v[k] as number;
    const dq = (q - p) * h;
    d[q] = dq * dq + (f[p] as number);
  }
}

/**
 * Squared Euclidean distance (mm²) from every voxel to the nearest voxel where
 * `(mask[v] !== 0) === !invert`; voxels of that set get 0. Values are clamped
 * to capMm², which lets rows that are entirely inside or beyond the cap skip
 * the parabola envelope. Pass 1 (along i) is two linear scans; passes 2 and 3
 * use the lower envelope (dt1d); pass 3 gathers one j-row of k-columns at a
 * time so that memory is read contiguously.
 */
export function distanceSq(mask: Uint8Array, dims: Vec3, spacingMm: Vec3, invert = false, capMm = 1e4): Float32Array {
  const [nx, ny, nz] = dims;
  const nxy = nx * ny;
  const out = new Float32Array(nx * ny * nz);
  const len = Math.max(nx, ny, nz);
  const f = new Float64Array(len);
  const d = new Float64Array(len);
  const v = new Int32Array(len);
  const z = new Float64Array(len + 1);
  const cap = capMm * capMm;
  const sx = spacingMm[0];
  const inSet = invert ? 0 : 1;
  // pass 1: distance along i to the nearest set voxel of the row
  for (let r = 0; r < ny * nz; r++) {
    const base = r * nx;
    let last = -1;
    for (let i = 0; i < nx; i++) {
      if (((mask[base + i] as number) !== 0 ? 1 : 0) === inSet) last = i;
      const dd = last < 0 ? Infinity : (i - last) * sx;
      out[base + i] = dd * dd < cap ? dd * dd : cap;
    }
    last = -1;
    for (let i = nx - 1; i >= 0; i--) {
      if (((mask[base + i] as number) !== 0 ? 1 : 0) === inSet) last = i;
      if (last < 0) continue;
      const dd = (last - i) * sx;
      if (dd * dd < (out[base + i] as number)) out[base + i] = dd * dd;
    }
  }
  // 1D envelope of f[0..n) with pitch h into d; false when the row is all 0 or all capped (left as is)
  const envelope = (n: number, h: number): boolean => {
    let allZero = true;
    let allCap = true;
    for (let q = 0; q < n; q++) {
      const x = f[q] as number;
      if (x !== 0) allZero = false;
      if (x < cap) allCap = false;
      else f[q] = INF;
    }
    if (allZero || allCap) return false;
    dt1d(f, n, h, d, v, z);
    return true;
  };
  // pass 2: along j, within each k-slice
  const hy = spacingMm[1];
  for (let k = 0; k < nz; k++)
    for (let i = 0; i < nx; i++) {
      const base = i + nxy * k;
      for (let q = 0; q < ny; q++) f[q] = out[base + q * nx] as number;
      if (!envelope(ny, hy)) continue;
      for (let q = 0; q < ny; q++) {
        const x = d[q] as number;
        out[base + q * nx] = x < cap ? x : cap;
      }
    }
  // pass 3: along k, one j-row of columns gathered at a time (contiguous reads)
  if (nz > 1) {
    const hz = spacingMm[2];
    const buf = new Float32Array(nz * nx);
    for (let j = 0; j < ny; j++) {
      for (let k = 0; k < nz; k++) buf.set(out.subarray(j * nx + k * nxy, j * nx + k * nxy + nx), k * nx);
      for (let i = 0; i < nx; i++) {
        for (let q = 0; q < nz; q++) f[q] = buf[i + q * nx] as number;
        if (!envelope(nz, hz)) continue;
        for (let q = 0; q < nz; q++) {
          const x = d[q] as number;
          buf[i + q * nx] = x < cap ? x : cap;
        }
      }
      for (let k = 0; k < nz; k++) out.set(buf.subarray(k * nx, k * nx + nx), j * nx + k * nxy);
    }
  }
  return out;
}

/**
 * Dilation (or, with `invert`, erosion) by a ball of radius r mm. Two exact
 * methods, chosen by estimated cost: painting the ball's voxel offsets around
 * every boundary voxel of the set (cheap for small radii and smooth shapes),
 * or thresholding the Euclidean distance transform (cost independent of r).
 */
function ballMorphology(mask: Uint8Array, dims: Vec3, spacingMm: Vec3, radiusMm: number, invert: boolean): Uint8Array {
  const [nx, ny, nz] = dims;
  const nxy = nx * ny;
  const r2 = radiusMm * radiusMm + 1e-6;
  const ext = spacingMm.map((s) => Math.floor(radiusMm / s + 1e-9)) as Vec3;
  const offs: number[] = [];
  for (let dk = -ext[2]; dk <= ext[2]; dk++)
    for (let dj = -ext[1]; dj <= ext[1]; dj++)
      for (let di = -ext[0]; di <= ext[0]; di++)
        if ((di * spacingMm[0]) ** 2 + (dj * spacingMm[1]) ** 2 + (dk * spacingMm[2]) ** 2 <= r2 && (di || dj || dk)) offs.push(di, dj, dk);
  const set = invert ? 0 : 1;
  const isSet = (v: number): boolean => ((mask[v] as number) !== 0 ? 1 : 0) === set;
  // boundary voxels of the set: set, with a face neighbour (inside the grid) not set
  const boundary: number[] = [];
  for (let k = 0, v = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, v++) {
        if (!isSet(v)) continue;
        if (
          (i > 0 && !isSet(v - 1)) ||
          (i < nx - 1 && !isSet(v + 1)) ||
          (j > 0 && !isSet(v - nx)) ||
          (j < ny - 1 && !isSet(v + nx)) ||
          (k > 0 && !isSet(v - nxy)) ||
          (k < nz - 1 && !isSet(v + nxy))
        )
          boundary.push(v);
      }
  const out = new Uint8Array(mask.length);
  if (boundary.length * (offs.length / 3) > 2 * mask.length) {
    const d = distanceSq(mask, dims, spacingMm, invert, radiusMm + Math.max(...spacingMm));
    for (let v = 0; v < out.length; v++) out[v] = ((d[v] as number) <= r2 ? 1 : 0) === set ? 1 : 0;
    return out;
  }
  for (let v = 0; v < out.length; v++) out[v] = isSet(v) ? 1 : 0;
  const no = offs.length / 3;
  for (const v of boundary) {
    const k = (v / nxy) | 0;
    const j = ((v - k * nxy) / nx) | 0;
    const i = v - k * nxy - j * nx;
    for (let q = 0; q < no; q++) {
      const a = i + (offs[3 * q] as number),
        b = j + (offs[3 * q + 1] as number),
        c = k + (offs[3 * q + 2] as number);
      if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
      out[a + nx * b + nxy * c] = 1;
    }
  }
  if (invert) for (let v = 0; v < out.length; v++) out[v] = 1 - (out[v] as number);
  return out;
}

/** Dilation by a ball of radius `radiusMm` (returns a new mask). */
export function dilateBall(mask: Uint8Array, dims: Vec3, spacingMm: Vec3, radiusMm: number): Uint8Array {
  return ballMorphology(mask, dims, spacingMm, radiusMm, false);
}

/** Erosion by a ball of radius `radiusMm` (returns a new mask; outside the grid counts as set). */
export function erodeBall(mask: Uint8Array, dims: Vec3, spacingMm: Vec3, radiusMm: number): Uint8Array {
  return ballMorphology(mask, dims, spacingMm, radiusMm, true);
}

/** Morphological closing (dilate then erode) by a ball of radius `radiusMm`. */
export function closeBall(mask: Uint8Array, dims: Vec3, spacingMm: Vec3, radiusMm: number): Uint8Array {
  return erodeBall(dilateBall(mask, dims, spacingMm, radiusMm), dims, spacingMm, radiusMm);
}

/** Morphological opening (erode then dilate) by a ball of radius `radiusMm`. */
export function openBall(mask: Uint8Array, dims: Vec3, spacingMm: Vec3, radiusMm: number): Uint8Array {
  return dilateBall(erodeBall(mask, dims, spacingMm, radiusMm), dims, spacingMm, radiusMm);
}

/** Number of foreground voxels. */
export function countForeground(mask: Uint8Array): number {
  let n = 0;
  for (let v = 0; v < mask.length; v++) if (mask[v]) n++;
  return n;
}

/** Axis-aligned bounding box [i0, j0, k0, i1, j1, k1] (inclusive) of the foreground, or null if empty. */
export function boundingBox(mask: Uint8Array, dims: Vec3): [number, number, number, number, number, number] | null {
  const [nx, ny, nz] = dims;
  let i0 = nx,
    j0 = ny,
    k0 = nz,
    i1 = -1,
    j1 = -1,
    k1 = -1;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) {
      const base = nx * (j + ny * k);
      let first = 0;
      while (first < nx && mask[base + first] === 0) first++;
      if (first === nx) continue;
      let last = nx - 1;
      while (mask[base + last] === 0) last--;
      if (first < i0) i0 = first;
      if (last > i1) i1 = last;
      if (j < j0) j0 = j;
      if (j > j1) j1 = j;
      if (k < k0) k0 = k;
      k1 = k;
    }
  return i1 < 0 ? null : [i0, j0, k0, i1, j1, k1];
}

/**
 * Runs `op` on the sub-grid of `mask` inside the foreground's bounding box
 * grown by `marginVoxels`, and returns the result pasted into a full-size
 * mask (zero outside the box). For morphology whose effect stays within the
 * margin (dilation, closing by a radius ≤ margin).
 */
export function onBoundingBox(mask: Uint8Array, dims: Vec3, marginVoxels: Vec3, op: (sub: Uint8Array, subDims: Vec3) => Uint8Array): Uint8Array {
  const out = new Uint8Array(mask.length);
  const bb = boundingBox(mask, dims);
  if (!bb) return out;
  const [nx, ny] = dims;
  const lo = [0, 1, 2].map((a) => Math.max(0, (bb[a] as number) - marginVoxels[a]!)) as Vec3;
  const hi = [0, 1, 2].map((a) => Math.min(dims[a]! - 1, (bb[a + 3] as number) + marginVoxels[a]!)) as Vec3;
  const sd: Vec3 = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
  const sub = new Uint8Array(sd[0] * sd[1] * sd[2]);
  for (let k = 0; k < sd[2]; k++)
    for (let j = 0; j < sd[1]; j++) {
      const src = lo[0] + nx * (lo[1] + j + ny * (lo[2] + k));
      sub.set(mask.subarray(src, src + sd[0]), sd[0] * (j + sd[1] * k));
    }
  const res = op(sub, sd);
  for (let k = 0; k < sd[2]; k++)
    for (let j = 0; j < sd[1]; j++) {
      const dst = lo[0] + nx * (lo[1] + j + ny * (lo[2] + k));
      out.set(res.subarray(sd[0] * (j + sd[1] * k), sd[0] * (j + sd[1] * k) + sd[0]), dst);
    }
  return out;
}

/**
 * One step of 6-neighbour morphology (in a new mask): `dilate` sets a voxel
 * when it or a face neighbour is set; erosion keeps it only when it and all
 * face neighbours inside the grid are set.
 */
export function step6(mask: Uint8Array, dims: Vec3, dilate: boolean): Uint8Array {
  const [nx, ny, nz] = dims;
  const nxy = nx * ny;
  const out = new Uint8Array(mask.length);
  const want = dilate ? 1 : 0;
  for (let k = 0, v = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, v++) {
        let hit = (mask[v] ? 1 : 0) === want;
        if (!hit && i > 0) hit = (mask[v - 1] ? 1 : 0) === want;
        if (!hit && i < nx - 1) hit = (mask[v + 1] ? 1 : 0) === want;
        if (!hit && j > 0) hit = (mask[v - nx] ? 1 : 0) === want;
        if (!hit && j < ny - 1) hit = (mask[v + nx] ? 1 : 0) === want;
        if (!hit && k > 0) hit = (mask[v - nxy] ? 1 : 0) === want;
        if (!hit && k < nz - 1) hit = (mask[v + nxy] ? 1 : 0) === want;
        out[v] = hit ? want : 1 - want;
      }
  return out;
}
