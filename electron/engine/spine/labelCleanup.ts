/**
 * Refinement of the vertebra label map (segment.ts): the intensity-ordered
 * flood from the body seeds, per-label hole filling and keeping each label's
 * main piece, and the partial-volume trim on the source grid. Label maps are
 * Uint8Array on the grid of the volume given (x fastest), modified in place.
 */
import { fillHoles2D, fillHoles3D } from '../morphology.js';
import { labelRuns } from '../runs.js';
import type { Vec3, Volume, VolumeGeometry } from '../volume.js';

/**
 * Partial-volume trim of a label map on the source grid: a labelled voxel on
 * its label's surface (a 6-neighbour with another value) whose raw CT value
 * is below `hu` is mostly soft tissue and is cleared. One pass.
 * @param labels label map on `ct`'s grid (modified in place)
 * @param ct the CT in HU
 */
export function trimPartialVolume(labels: Uint8Array, ct: Volume, hu = 100): number {
  const [nx, ny, nz] = ct.dims;
  const nxy = nx * ny;
  const clear: number[] = [];
  for (let v = 0; v < labels.length; v++) {
    const l = labels[v]!;
    if (!l || (ct.data[v] as number) >= hu) continue;
    const x = v % nx,
      y = ((v / nx) | 0) % ny,
      z = (v / nxy) | 0;
    if (
      (x > 0 && labels[v - 1] !== l) ||
      (x < nx - 1 && labels[v + 1] !== l) ||
      (y > 0 && labels[v - nx] !== l) ||
      (y < ny - 1 && labels[v + nx] !== l) ||
      (z > 0 && labels[v - nxy] !== l) ||
      (z < nz - 1 && labels[v + nxy] !== l)
    )
      clear.push(v);
  }
  for (const v of clear) labels[v] = 0;
  return clear.length;
}

/**
 * Seeded region growing in order of decreasing intensity (a marker-based
 * watershed on −HU): unlabelled voxels of `roi` take the label of the
 * brightest labelled 6-neighbour front, so fronts from adjacent vertebrae
 * meet in the dark joint and ligament gaps between their processes.
 */
export function floodByIntensity(labels: Uint8Array, roi: Uint8Array, work: Volume<Float32Array>): void {
  const [nx, ny] = work.dims;
  const nxy = nx * ny;
  const n = labels.length;
  const bucketOf = (hu: number) => Math.max(0, Math.min(255, Math.round((hu + 200) / 10)));
  const buckets: number[][] = Array.from({ length: 256 }, () => []);
  const queued = new Uint8Array(n);
  const push = (v: number) => {
    if (queued[v] || !roi[v] || labels[v]) return;
    queued[v] = 1;
    buckets[bucketOf(work.data[v]!)]!.push(v);
  };
  const neighbours = (v: number, f: (q: number) => void) => {
    const x = v % nx,
      y = Math.floor(v / nx) % ny;
    if (x > 0) f(v - 1);
    if (x < nx - 1) f(v + 1);
    if (y > 0) f(v - nx);
    if (y < ny - 1) f(v + nx);
    if (v >= nxy) f(v - nxy);
    if (v + nxy < n) f(v + nxy);
  };
  for (let v = 0; v < n; v++) if (labels[v]) neighbours(v, push);
  for (let b = 255; b >= 0;) {
    const q = buckets[b]!;
    if (!q.length) {
      b--;
      continue;
    }
    const v = q.pop()!;
    let lab = 0;
    neighbours(v, (u) => {
      if (!lab && labels[u]) lab = labels[u]!;
    });
    if (!lab) continue;
    labels[v] = lab;
    neighbours(v, (u) => {
      if (!queued[u] && roi[u] && !labels[u]) {
        queued[u] = 1;
        const bu = bucketOf(work.data[u]!);
        buckets[bu]!.push(u);
        if (bu > b) b = bu;
      }
    });
  }
}

/**
 * Fills each label's enclosed holes: cavities closed in 3D, and holes closed
 * in an axial slice that are small (trabecular gaps of osteopenic bone) —
 * not the vertebral foramen, which the posterior arch closes in every slice
 * but which is no bone (a hole of more than `maxHoleMm2` in its slice).
 */
export function fillHolesPerLabel(labels: Uint8Array, g: VolumeGeometry, maxHoleMm2 = 180): void {
  const dims = g.dims;
  const values = new Set<number>();
  for (const v of labels) if (v) values.add(v);
  const m = new Uint8Array(labels.length);
  const h = new Uint8Array(labels.length);
  const maxVoxels = maxHoleMm2 / (g.spacingMm[0] * g.spacingMm[1]);
  for (const val of values) {
    for (let v = 0; v < labels.length; v++) m[v] = labels[v] === val ? 1 : 0;
    h.set(m);
    fillHoles2D(h, dims, 2);
    for (let v = 0; v < labels.length; v++) h[v] = h[v] && !m[v] ? 1 : 0;
    // axial holes, component by component within their slice: only the small ones are filled
    const H = labelRuns(h, dims, true, 6, true);
    for (let r = 0; r < H.root.length; r++) if (H.size[H.root[r]!]! <= maxVoxels) m.fill(1, H.start[r]!, H.end[r]!);
    fillHoles3D(m, dims);
    for (let v = 0; v < labels.length; v++) if (m[v] && !labels[v]) labels[v] = val;
  }
}

/** Keeps, for each label, its largest 6-connected piece (stray fragments of neighbours' processes are cleared). */
export function keepMainPiecePerLabel(labels: Uint8Array, dims: Vec3): void {
  const values = new Set<number>();
  for (const v of labels) if (v) values.add(v);
  const m = new Uint8Array(labels.length);
  for (const val of values) {
    for (let v = 0; v < labels.length; v++) m[v] = labels[v] === val ? 1 : 0;
    const L = labelRuns(m, dims, true, 6);
    let big = -1,
      bs = -1;
    for (let r = 0; r < L.root.length; r++) {
      const root = L.root[r]!;
      if (L.size[root]! > bs) {
        bs = L.size[root]!;
        big = root;
      }
    }
    for (let r = 0; r < L.root.length; r++) if (L.root[r] !== big) labels.fill(0, L.start[r]!, L.end[r]!);
  }
}
