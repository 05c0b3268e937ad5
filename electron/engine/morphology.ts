/**
 * Binary morphology on voxel masks (Uint8Array, 0 = background, 1 = foreground,
 * i fastest: `mask[i + nx * (j + ny * k)]`). Distances are in millimetres on
 * anisotropic grids (spacing per axis). Algorithms:
 * - connected components: breadth-first flood fill, 6- or 26-connectivity;
 * - Euclidean distance transform: Felzenszwalb & Huttenlocher, "Distance
 *   Transforms of Sampled Functions", Theory of Computing 8 (2012), applied
 *   separably per axis with the axis spacing;
 * - dilation/erosion by a ball of radius r mm = thresholding that transform.
 */
import type { Vec3 } from './volume.js';

export type Connectivity = 6 | 26;

/** Growable FIFO of voxel indices (ring buffer), so BFS never allocates N ints up front. */
class IndexQueue {
  private buf: Int32Array;
  private head = 0;
  private tail = 0;
  private size = 0;
  constructor(capacity = 1 << 16) {
    this.buf = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[this.tail] = v;
    this.tail = (this.tail + 1) % this.buf.length;
    this.size++;
  }
  shift(): number {
    const v = this.buf[this.head] as number;
    this.head = (this.head + 1) % this.buf.length;
    this.size--;
    return v;
  }
  get length(): number {
    return this.size;
  }
  private grow(): void {
    const n = new Int32Array(this.buf.length * 2);
    for (let i = 0; i < this.size; i++) n[i] = this.buf[(this.head + i) % this.buf.length] as number;
    this.buf = n;
    this.head = 0;
    this.tail = this.size;
  }
}

function neighbourOffsets(dims: Vec3, conn: Connectivity): { di: number[]; dj: number[]; dk: number[] } {
  const di: number[] = [];
  const dj: number[] = [];
  const dk: number[] = [];
  for (let c = -1; c <= 1; c++)
    for (let b = -1; b <= 1; b++)
      for (let a = -1; a <= 1; a++) {
        const n = Math.abs(a) + Math.abs(b) + Math.abs(c);
        if (n === 0) continue;
        if (conn === 6 && n > 1) continue;
        if (dims[2] === 1 && c !== 0) continue;
        di.push(a);
        dj.push(b);
        dk.push(c);
      }
  return { di, dj, dk };
}

/**
 * Visits the connected region of voxels with `state[v] === from` that contains
 * `seed`, setting them to `to`. Returns the number of voxels visited.
 */
function floodFill(state: Uint8Array, dims: Vec3, seed: number, from: number, to: number, conn: Connectivity, queue: IndexQueue): number {
  const [nx, ny, nz] = dims;
  const nxy = nx * ny;
  const { di, dj, dk } = neighbourOffsets(dims, conn);
  const nn = di.length;
  state[seed] = to;
  queue.push(seed);
  let count = 0;
  while (queue.length > 0) {
    const v = queue.shift();
    count++;
    const k = (v / nxy) | 0;
    const r = v - k * nxy;
    const j = (r / nx) | 0;
    const i = r - j * nx;
    if (conn === 6) {
      if (i > 0 && state[v - 1] === from) ((state[v - 1] = to), queue.push(v - 1));
      if (i < nx - 1 && state[v + 1] === from) ((state[v + 1] = to), queue.push(v + 1));
      if (j > 0 && state[v - nx] === from) ((state[v - nx] = to), queue.push(v - nx));
      if (j < ny - 1 && state[v + nx] === from) ((state[v + nx] = to), queue.push(v + nx));
      if (k > 0 && state[v - nxy] === from) ((state[v - nxy] = to), queue.push(v - nxy));
      if (k < nz - 1 && state[v + nxy] === from) ((state[v + nxy] = to), queue.push(v + nxy));
      continue;
    }
    for (let n = 0; n < nn; n++) {
      const a = i + (di[n] as number);
      const b = j + (dj[n] as number);
      const c = k + (dk[n] as number);
      if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
      const w = a + nx * (b + ny * c);
      if (state[w] === from) {
        state[w] = to;
        queue.push(w);
      }
    }
  }
  return count;
}

export interface ComponentStats {
  /** Number of components. */
  count: number;
  /** Voxel count per component, largest first. */
  sizes: number[];
}

/**
 * Keeps the largest connected foreground component of `mask` (in place).
 * @returns the statistics of all components found before the others were dropped
 */
export function keepLargestComponent(mask: Uint8Array, dims: Vec3, conn: Connectivity = 6): ComponentStats {
  const queue = new IndexQueue();
  const seeds: number[] = [];
  const sizes: number[] = [];
  for (let v = 0; v < mask.length; v++) {
    if (mask[v] !== 1) continue;
    seeds.push(v);
    sizes.push(floodFill(mask, dims, v, 1, 2, conn, queue));
  }
  let best = -1;
  for (let c = 0; c < sizes.length; c++) if (best < 0 || (sizes[c] as number) > (sizes[best] as number)) best = c;
  if (best >= 0) floodFill(mask, dims, seeds[best] as number, 2, 3, conn, queue);
  for (let v = 0; v < mask.length; v++) mask[v] = mask[v] === 3 ? 1 : 0;
  return { count: sizes.length, sizes: [...sizes].sort((a, b) => b - a) };
}

/**
 * Removes (in place) foreground components smaller than `minVoxels`.
 * @returns number of components removed
 */
export function removeSmallComponents(mask: Uint8Array, dims: Vec3, minVoxels: number, conn: Connectivity = 26): number {
  const queue = new IndexQueue();
  const small: number[] = [];
  for (let v = 0; v < mask.length; v++) {
    if (mask[v] !== 1) continue;
    const n = floodFill(mask, dims, v, 1, 2, conn, queue);
    if (n < minVoxels) small.push(v);
  }
  for (const s of small) floodFill(mask, dims, s, 2, 0, conn, queue);
  for (let v = 0; v < mask.length; v++) if (mask[v] === 2) mask[v] = 1;
  return small.length;
}

/** Counts connected components of the foreground (mask is left unchanged). */
export function countComponents(mask: Uint8Array, dims: Vec3, conn: Connectivity = 6): ComponentStats {
  const work = Uint8Array.from(mask, (x) => (x ? 1 : 0));
  const queue = new IndexQueue();
  const sizes: number[] = [];
  for (let v = 0; v < work.length; v++) if (work[v] === 1) sizes.push(floodFill(work, dims, v, 1, 2, conn, queue));
  return { count: sizes.length, sizes: sizes.sort((a, b) => b - a) };
}

/**
 * 3D hole filling (in place): background voxels not 6-connected to the
 * volume border become foreground.
 */
export function fillHoles3D(mask: Uint8Array, dims: Vec3): void {
  const [nx, ny, nz] = dims;
  const queue = new IndexQueue();
  const seed = (v: number): void => {
    if (mask[v] === 0) floodFill(mask, dims, v, 0, 2, 6, queue);
  };
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        if (i === 0 || j === 0 || k === 0 || i === nx - 1 || j === ny - 1 || k === nz - 1) seed(i + nx * (j + ny * k));
      }
  for (let v = 0; v < mask.length; v++) mask[v] = mask[v] === 2 ? 0 : 1;
}

/**
 * 2D hole filling (in place) in every slice normal to index axis `axis`:
 * background regions of a slice that do not touch the slice border become
 * foreground. Fills lungs and bowel gas that 3D filling leaves open at the
 * ends of a scan.
 */
export function fillHoles2D(mask: Uint8Array, dims: Vec3, axis: 0 | 1 | 2): void {
  const [nx, ny] = dims;
  const strides = [1, nx, nx * ny];
  const u = axis === 0 ? 1 : 0;
  const w = axis === 2 ? 1 : 2;
  const nu = dims[u];
  const nw = dims[w];
  const su = strides[u] as number;
  const sw = strides[w] as number;
  const sa = strides[axis] as number;
  const plane = new Uint8Array(nu * nw);
  const queue = new IndexQueue();
  const planeDims: Vec3 = [nu, nw, 1];
  for (let s = 0; s < dims[axis]; s++) {
    const base = s * sa;
    for (let b = 0; b < nw; b++) for (let a = 0; a < nu; a++) plane[a + nu * b] = mask[base + a * su + b * sw] ? 1 : 0;
    for (let b = 0; b < nw; b++)
      for (let a = 0; a < nu; a++) {
        if (a !== 0 && b !== 0 && a !== nu - 1 && b !== nw - 1) continue;
        const p = a + nu * b;
        if (plane[p] === 0) floodFill(plane, planeDims, p, 0, 2, 6, queue);
      }
    for (let b = 0; b < nw; b++) for (let a = 0; a < nu; a++) if (plane[a + nu * b] === 0) mask[base + a * su + b * sw] = 1;
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
 * `(mask[v] !== 0) === !invert`; voxels of that set get 0. Values beyond
 * `capMm²` are clamped to `capMm²` (saves nothing in time but keeps Float32 exact).
 */
export function distanceSq(mask: Uint8Array, dims: Vec3, spacingMm: Vec3, invert = false, capMm = 1e4): Float32Array {
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const out = new Float32Array(n);
  const len = Math.max(nx, ny, nz);
  const f = new Float64Array(len);
  const d = new Float64Array(len);
  const v = new Int32Array(len);
  const z = new Float64Array(len + 1);
  const cap = capMm * capMm;
  // axis 0
  for (let r = 0; r < ny * nz; r++) {
    const base = r * nx;
    for (let i = 0; i < nx; i++) f[i] = ((mask[base + i] as number) !== 0) !== invert ? 0 : INF;
    dt1d(f, nx, spacingMm[0], d, v, z);
    for (let i = 0; i < nx; i++) out[base + i] = Math.min(d[i] as number, cap);
  }
  // axis 1
  for (let k = 0; k < nz; k++)
    for (let i = 0; i < nx; i++) {
      const base = i + nx * ny * k;
      for (let j = 0; j < ny; j++) {
        const x = out[base + j * nx] as number;
        f[j] = x >= cap ? INF : x;
      }
      dt1d(f, ny, spacingMm[1], d, v, z);
      for (let j = 0; j < ny; j++) out[base + j * nx] = Math.min(d[j] as number, cap);
    }
  // axis 2
  const nxy = nx * ny;
  if (nz > 1)
    for (let p = 0; p < nxy; p++) {
      for (let k = 0; k < nz; k++) {
        const x = out[p + k * nxy] as number;
        f[k] = x >= cap ? INF : x;
      }
      dt1d(f, nz, spacingMm[2], d, v, z);
      for (let k = 0; k < nz; k++) out[p + k * nxy] = Math.min(d[k] as number, cap);
    }
  return out;
}

/** Dilation by a ball of radius `radiusMm` (returns a new mask). */
export function dilateBall(mask: Uint8Array, dims: Vec3, spacingMm: Vec3, radiusMm: number): Uint8Array {
  const d = distanceSq(mask, dims, spacingMm, false, radiusMm + Math.max(...spacingMm));
  const r2 = radiusMm * radiusMm + 1e-6;
  const out = new Uint8Array(mask.length);
  for (let v = 0; v < out.length; v++) out[v] = (d[v] as number) <= r2 ? 1 : 0;
  return out;
}

/** Erosion by a ball of radius `radiusMm` (returns a new mask). */
export function erodeBall(mask: Uint8Array, dims: Vec3, spacingMm: Vec3, radiusMm: number): Uint8Array {
  const d = distanceSq(mask, dims, spacingMm, true, radiusMm + Math.max(...spacingMm));
  const r2 = radiusMm * radiusMm + 1e-6;
  const out = new Uint8Array(mask.length);
  for (let v = 0; v < out.length; v++) out[v] = (d[v] as number) > r2 ? 1 : 0;
  return out;
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
  let v = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, v++) {
        if (!mask[v]) continue;
        if (i < i0) i0 = i;
        if (i > i1) i1 = i;
        if (j < j0) j0 = j;
        if (j > j1) j1 = j;
        if (k < k0) k0 = k;
        if (k > k1) k1 = k;
      }
  return i1 < 0 ? null : [i0, j0, k0, i1, j1, k1];
}
