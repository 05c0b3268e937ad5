/**
 * Surfaces of the spine characterisation: CT grey levels sampled along the
 * bone mesh's inward normals (the MS-DT's "grey levels mapped onto bone
 * surfaces"), the intervertebral spaces as meshes, and distances from
 * landmarks to the skin surface.
 */
import { indexToLps, lpsToIndex, type Vec3, type Volume, type VolumeGeometry } from '../volume.js';
import { meshFromMask, type TriangleMesh } from '../surface.js';
import { dot, normalize } from './centreline.js';
import { sampleLps } from './grid.js';
import type { DiscMeasurement, VertebraMeasurement } from './measure.js';

/**
 * CT values along each vertex's inward normal: samples every `stepMm` from
 * the surface (depth 0) to `depthMm` inside, trilinear in LPS mm.
 * @param ct CT volume (HU)
 * @param mesh bone mesh in LPS mm with outward unit vertex normals
 * @returns per-vertex mean and maximum HU over the depth (NaN where every sample is outside the volume)
 * @throws Error when the mesh has no normals or the depth is not positive
 */
export function greyLevelsAlongNormals(ct: Volume, mesh: TriangleMesh, depthMm: number, stepMm = 0.5): { mean: Float32Array; max: Float32Array } {
  if (!mesh.normals) throw new Error('greyLevelsAlongNormals: the mesh has no vertex normals');
  if (!(depthMm > 0) || !(stepMm > 0)) throw new Error(`greyLevelsAlongNormals: depth ${depthMm} mm and step ${stepMm} mm must be positive`);
  const n = mesh.points.length / 3;
  const mean = new Float32Array(n);
  const max = new Float32Array(n);
  const steps = Math.max(1, Math.round(depthMm / stepMm));
  const P = mesh.points;
  const N = mesh.normals;
  const q: Vec3 = [0, 0, 0];
  for (let v = 0; v < n; v++) {
    let s = 0;
    let c = 0;
    let m = -Infinity;
    for (let i = 0; i <= steps; i++) {
      const t = (depthMm * i) / steps;
      for (const k of [0, 1, 2] as const) q[k] = P[3 * v + k]! - N[3 * v + k]! * t;
      const h = sampleLps(ct, q);
      if (Number.isNaN(h)) continue;
      s += h;
      c++;
      if (h > m) m = h;
    }
    mean[v] = c ? s / c : NaN;
    max[v] = c ? m : NaN;
  }
  return { mean, max };
}

/**
 * The intervertebral space between each pair of neighbouring vertebrae: the
 * voxels of `grid` that are not vertebra, lie between the upper body's
 * inferior endplate plane and the lower body's superior endplate plane, and
 * inside the elliptic footprint of the two bodies (half width × half depth,
 * around the disc centre). Meshed by Surface Nets and smoothed.
 * @param labels vertebra label map on `grid`
 * @param grid geometry of the label map (LPS mm)
 * @param frames body frames by level name (centre, superior z, anterior a, left l, half width/depth in mm)
 * @returns one mesh (LPS mm) with the disc index per vertex, and each disc's volume (mL; null when it has no endplates)
 */
export function intervertebralSpaces(
  labels: Uint8Array,
  grid: VolumeGeometry,
  vertebrae: VertebraMeasurement[],
  discs: DiscMeasurement[],
  frames: Map<string, { c: Vec3; z: Vec3; a: Vec3; l: Vec3; halfW: number; halfD: number }>,
): { mesh: TriangleMesh | null; discIndex: Float32Array; volumesMl: (number | null)[] } {
  const [nx, ny, nz] = grid.dims;
  const vox = grid.spacingMm[0] * grid.spacingMm[1] * grid.spacingMm[2];
  const meshes: TriangleMesh[] = [];
  const ids: number[] = [];
  const volumesMl: (number | null)[] = [];
  discs.forEach((d, di) => {
    const up = vertebrae.find((v) => v.name === d.upper);
    const lower = vertebrae.find((v) => v.name === d.lower);
    const fu = frames.get(d.upper);
    const fl = frames.get(d.lower);
    const pu = up?.inferiorEndplate;
    const pl = lower?.superiorEndplate;
    if (!fu || !fl || !pu || !pl) {
      volumesMl.push(null);
      return;
    }
    const n = normalize([pu.normal[0] + pl.normal[0], pu.normal[1] + pl.normal[1], pu.normal[2] + pl.normal[2]]);
    const a = normalize(fl.a.map((x, k) => x - dot(fl.a, n) * n[k]!));
    const l: Vec3 = [n[1] * a[2] - n[2] * a[1], n[2] * a[0] - n[0] * a[2], n[0] * a[1] - n[1] * a[0]];
    const halfW = (fu.halfW + fl.halfW) / 2;
    const halfD = (fu.halfD + fl.halfD) / 2;
    const c = d.centreLps;
    const reach = Math.hypot(halfW, halfD, 15);
    const mask = new Uint8Array(nx * ny * nz);
    let count = 0;
    const lo = [Infinity, Infinity, Infinity];
    const hi = [-Infinity, -Infinity, -Infinity];
    for (const sx of [-1, 1])
      for (const sy of [-1, 1])
        for (const sz of [-1, 1]) {
          const q = lpsToIndex(grid, [c[0] + sx * reach, c[1] + sy * reach, c[2] + sz * reach]);
          for (const k of [0, 1, 2] as const) ((lo[k] = Math.min(lo[k]!, q[k])), (hi[k] = Math.max(hi[k]!, q[k])));
        }
    const r0 = (k: 0 | 1 | 2) => Math.max(0, Math.floor(lo[k]!));
    const r1 = (k: 0 | 1 | 2) => Math.min(grid.dims[k] - 1, Math.ceil(hi[k]!));
    for (let k = r0(2); k <= r1(2); k++)
      for (let j = r0(1); j <= r1(1); j++)
        for (let i = r0(0); i <= r1(0); i++) {
          const p = indexToLps(grid, [i, j, k]);
          const r: Vec3 = [p[0] - c[0], p[1] - c[1], p[2] - c[2]];
          const v = i + nx * (j + ny * k);
          if (labels[v]) continue;
          const below = dot([p[0] - pu.point[0], p[1] - pu.point[1], p[2] - pu.point[2]], pu.normal);
          const above = dot([p[0] - pl.point[0], p[1] - pl.point[1], p[2] - pl.point[2]], pl.normal);
          if (below > 0 || above < 0) continue;
          if ((dot(r, l) / halfW) ** 2 + (dot(r, a) / halfD) ** 2 > 1) continue;
          mask[v] = 1;
          count++;
        }
    volumesMl.push((count * vox) / 1000);
    if (count < 8) return;
    const m = meshFromMask(mask, grid, { smoothingIterations: 10, maxTriangles: 20_000 }).mesh;
    meshes.push(m);
    ids.push(di);
  });
  if (!meshes.length) return { mesh: null, discIndex: new Float32Array(0), volumesMl };
  const nP = meshes.reduce((s, m) => s + m.points.length, 0);
  const nT = meshes.reduce((s, m) => s + m.triangles.length, 0);
  const points = new Float32Array(nP);
  const normals = new Float32Array(nP);
  const triangles = new Uint32Array(nT);
  const discIndex = new Float32Array(nP / 3);
  let po = 0;
  let to = 0;
  meshes.forEach((m, i) => {
    points.set(m.points, po);
    if (m.normals) normals.set(m.normals, po);
    for (let t = 0; t < m.triangles.length; t++) triangles[to + t] = m.triangles[t]! + po / 3;
    discIndex.fill(ids[i]!, po / 3, (po + m.points.length) / 3);
    po += m.points.length;
    to += m.triangles.length;
  });
  return { mesh: { points, triangles, normals }, discIndex, volumesMl };
}

/**
 * Nearest skin point to each landmark: brute force over the skin mesh's
 * vertices (a Surface Nets mesh has vertices every voxel or decimation cell,
 * so the distance is within half a cell of the point-to-surface distance).
 * @param skin skin mesh vertices, xyz interleaved, LPS mm
 */
export function nearestSkin(p: Vec3, skin: Float32Array): { skinPointLps: Vec3; skinDistanceMm: number } | null {
  let best = Infinity;
  let bi = -1;
  for (let v = 0; v < skin.length; v += 3) {
    const d = (skin[v]! - p[0]) ** 2 + (skin[v + 1]! - p[1]) ** 2 + (skin[v + 2]! - p[2]) ** 2;
    if (d < best) {
      best = d;
      bi = v;
    }
  }
  if (bi < 0) return null;
  return { skinPointLps: [skin[bi]!, skin[bi + 1]!, skin[bi + 2]!], skinDistanceMm: Math.sqrt(best) };
}
