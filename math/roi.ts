/**
 * Statistics of an elliptical region of interest on one slice of a volume,
 * as radiology viewers report them (mean, standard deviation, minimum,
 * maximum, area): the voxels of the slice whose centres lie inside the
 * ellipse, in the slice's plane.
 */
import { indexToLps, lpsToIndex, type Vec3, type VolumeGeometry } from './geometry.js';

/** An ellipse on a slice: its centre (LPS mm), its radii (mm) along two LPS axes of the slice's plane. */
export interface EllipseOnSlice {
  /** The index axis the slice is taken along (0 = i, 1 = j, 2 = k) and the slice's index. */
  indexAxis: 0 | 1 | 2;
  sliceIndex: number;
  centre: Vec3;
  /** LPS axes (0 = L, 1 = P, 2 = S) of the ellipse's two radii: the view's right and up axes. */
  axes: [0 | 1 | 2, 0 | 1 | 2];
  radiiMm: [number, number];
}

/** What an ROI measures: voxel count, mean, sample standard deviation, min and max (image units, HU for CT), area (mm²). */
export interface RoiStats {
  n: number;
  mean: number;
  sd: number;
  min: number;
  max: number;
  /** n × the area of one voxel in the slice's plane (mm²). */
  areaMm2: number;
}

/**
 * Statistics of the voxels of one slice whose centres lie inside an ellipse.
 * @param voxels the volume's values, i fastest then j then k (dims of `g`)
 * @param g the volume's grid (LPS mm)
 * @returns n = 0 and NaN statistics when no voxel centre lies inside
 */
export function ellipseRoiStats(voxels: ArrayLike<number>, g: VolumeGeometry, e: EllipseOnSlice): RoiStats {
  const [nx, ny] = g.dims;
  const inPlane = ([0, 1, 2] as const).filter((a) => a !== e.indexAxis) as [0 | 1 | 2, 0 | 1 | 2];
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  let min = Infinity;
  let max = -Infinity;
  const ijk = [0, 0, 0];
  ijk[e.indexAxis] = e.sliceIndex;
  const [ra, rb] = e.radiiMm;
  for (let u = 0; u < g.dims[inPlane[0]]; u++)
    for (let v = 0; v < g.dims[inPlane[1]]; v++) {
      ijk[inPlane[0]] = u;
      ijk[inPlane[1]] = v;
      const p = indexToLps(g, ijk);
      const x = (p[e.axes[0]] - e.centre[e.axes[0]]) / ra;
      const y = (p[e.axes[1]] - e.centre[e.axes[1]]) / rb;
      if (x * x + y * y > 1) continue;
      const value = voxels[ijk[0]! + nx * (ijk[1]! + ny * ijk[2]!)]!;
      n++;
      sum += value;
      sum2 += value * value;
      if (value < min) min = value;
      if (value > max) max = value;
    }
  // the area of one voxel in the slice's plane: |d_a × d_b| s_a s_b (direction columns)
  const d = g.direction;
  const col = (c: number): Vec3 => [d[c]!, d[3 + c]!, d[6 + c]!];
  const [a, b] = [col(inPlane[0]), col(inPlane[1])];
  const cross = Math.hypot(a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]);
  const pixelArea = cross * g.spacingMm[inPlane[0]] * g.spacingMm[inPlane[1]];
  const mean = n ? sum / n : NaN;
  const sd = n > 1 ? Math.sqrt(Math.max(0, (sum2 - n * mean * mean) / (n - 1))) : NaN;
  return { n, mean, sd, min: n ? min : NaN, max: n ? max : NaN, areaMm2: n * pixelArea };
}

/** What a sphere ROI measures: voxel count, mean, sample SD, min and max (image units, HU for CT), volume (mm³). */
export interface SphereRoiStats {
  n: number;
  mean: number;
  sd: number;
  min: number;
  max: number;
  /** n × the volume of one voxel (mm³). */
  volumeMm3: number;
}

/**
 * Statistics of the voxels whose centres lie inside a sphere (3D ROI), as radiology viewers report a spherical ROI.
 * @param voxels the volume's values, i fastest then j then k (dims of `g`)
 * @param g the volume's grid (LPS mm; any direction matrix)
 * @param centre the sphere's centre (LPS mm)
 * @param radiusMm its radius (mm)
 * @returns n = 0 and NaN statistics when no voxel centre lies inside
 */
export function sphereRoiStats(voxels: ArrayLike<number>, g: VolumeGeometry, centre: Vec3, radiusMm: number): SphereRoiStats {
  const [nx, ny] = g.dims;
  // the index box around the sphere: the index range of its bounding cube's corners
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (const sx of [-1, 1])
    for (const sy of [-1, 1])
      for (const sz of [-1, 1]) {
        const ijk = lpsToIndex(g, [centre[0] + sx * radiusMm, centre[1] + sy * radiusMm, centre[2] + sz * radiusMm]);
        for (let a = 0; a < 3; a++) {
          lo[a] = Math.min(lo[a]!, ijk[a]!);
          hi[a] = Math.max(hi[a]!, ijk[a]!);
        }
      }
  const from = lo.map((x) => Math.max(0, Math.floor(x)));
  const to = hi.map((x, a) => Math.min(g.dims[a]! - 1, Math.ceil(x)));
  const r2 = radiusMm * radiusMm;
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let k = from[2]!; k <= to[2]!; k++)
    for (let j = from[1]!; j <= to[1]!; j++)
      for (let i = from[0]!; i <= to[0]!; i++) {
        const p = indexToLps(g, [i, j, k]);
        if ((p[0] - centre[0]) ** 2 + (p[1] - centre[1]) ** 2 + (p[2] - centre[2]) ** 2 > r2) continue;
        const value = voxels[i + nx * (j + ny * k)]!;
        n++;
        sum += value;
        sum2 += value * value;
        if (value < min) min = value;
        if (value > max) max = value;
      }
  const d = g.direction;
  const det = d[0]! * (d[4]! * d[8]! - d[5]! * d[7]!) - d[1]! * (d[3]! * d[8]! - d[5]! * d[6]!) + d[2]! * (d[3]! * d[7]! - d[4]! * d[6]!);
  const voxelVolume = Math.abs(det) * g.spacingMm[0] * g.spacingMm[1] * g.spacingMm[2];
  const mean = n ? sum / n : NaN;
  const sd = n > 1 ? Math.sqrt(Math.max(0, (sum2 - n * mean * mean) / (n - 1))) : NaN;
  return { n, mean, sd, min: n ? min : NaN, max: n ? max : NaN, volumeMm3: n * voxelVolume };
}
