/**
 * Skin capture from a depth camera's point cloud (camera frame, mm: x right,
 * y down, z forward): what the markerless registration needs of the cloud —
 * the patient's exposed skin without the table, the background or flying
 * edge points, evenly sampled, with normals facing the camera. The steps are
 * the usual point-cloud pipeline (Rusu & Cousins 2011, PCL; Open3D):
 * depth range of interest → voxel-grid downsampling (centroid per cell) →
 * RANSAC plane removal (Fischler & Bolles 1981) for the table and the floor
 * or walls (large planes with the patient in front and nothing behind), with
 * everything behind them and the noise band just in front → largest Euclidean cluster →
 * statistical outlier removal (mean distance to the k nearest neighbours
 * beyond mean + α·SD) → normals by local PCA, oriented towards the camera.
 */
import { KdTree3 } from './kdtree.js';
import { symmetricEigen } from '../../../math/rigid.js';
import { rng } from '../../../math/random.js';

export interface SkinCaptureParams {
  /** Depth range of interest along the camera's optical axis (mm). */
  minDepthMm: number;
  maxDepthMm: number;
  /** Voxel-grid cell (mm). */
  voxelMm: number;
  /** RANSAC inlier distance (mm), hypotheses per plane (from local triples), planes tried at most. */
  planeThresholdMm: number;
  planeIterations: number;
  maxPlanes: number;
  /** A plane is a support (table, floor) when it holds at least this fraction of the cloud's points (before any plane was removed), something stands in front of it and (almost) nothing is behind it. */
  minPlaneFraction: number;
  /** Points farther apart than this are different clusters (mm). */
  clusterGapMm: number;
  /** Statistical outlier removal: neighbours and SD multiplier. */
  sorNeighbours: number;
  sorStdRatio: number;
  /** Neighbours for the PCA normals. */
  normalNeighbours: number;
  /** RANSAC seed (reproducible results). */
  seed: number;
}

export const DEFAULT_SKIN_CAPTURE: SkinCaptureParams = {
  minDepthMm: 200,
  maxDepthMm: 2500,
  voxelMm: 4,
  planeThresholdMm: 10,
  planeIterations: 400,
  maxPlanes: 3,
  minPlaneFraction: 0.08,
  clusterGapMm: 12,
  sorNeighbours: 16,
  sorStdRatio: 2.5,
  normalNeighbours: 16,
  seed: 1,
};

export interface SupportPlane {
  /** Unit normal (towards the camera) and offset: n·p = d on the plane (camera frame, mm). */
  normal: [number, number, number];
  d: number;
  inliers: number;
}

export interface CapturedSkin {
  /** Skin points, xyz interleaved, camera frame (mm). */
  points: Float64Array;
  /** Unit normals facing the camera. */
  normals: Float64Array;
  planes: SupportPlane[];
  /** How many points each step removed (counted on the voxel grid, except `outOfRange`, counted on the input). */
  removed: { invalid: number; outOfRange: number; planes: number; behindPlanes: number; clusters: number; outliers: number };
  inputPoints: number;
}

/**
 * Voxel-grid downsampling: one point per occupied cell, the centroid of its points.
 * @param pts xyz interleaved (mm) @returns xyz interleaved (mm)
 */
export function voxelDownsample(pts: ArrayLike<number>, cellMm: number): Float64Array {
  const cells = new Map<string, number[]>();
  for (let i = 0; i + 2 < pts.length; i += 3) {
    const key = `${Math.floor(pts[i]! / cellMm)},${Math.floor(pts[i + 1]! / cellMm)},${Math.floor(pts[i + 2]! / cellMm)}`;
    const c = cells.get(key);
    if (c) {
      c[0]! += pts[i]!;
      c[1]! += pts[i + 1]!;
      c[2]! += pts[i + 2]!;
      c[3]!++;
    } else cells.set(key, [pts[i]!, pts[i + 1]!, pts[i + 2]!, 1]);
  }
  const out = new Float64Array(cells.size * 3);
  let o = 0;
  for (const c of cells.values()) {
    out[o++] = c[0]! / c[3]!;
    out[o++] = c[1]! / c[3]!;
    out[o++] = c[2]! / c[3]!;
  }
  return out;
}

const pick = (pts: Float64Array, keep: (i: number) => boolean): Float64Array => {
  const out: number[] = [];
  for (let i = 0; i < pts.length / 3; i++) if (keep(i)) out.push(pts[3 * i]!, pts[3 * i + 1]!, pts[3 * i + 2]!);
  return Float64Array.from(out);
};

/**
 * Unit normals by PCA of the k nearest neighbours (eigenvector of the
 * smallest eigenvalue of their covariance), flipped to face `viewpoint`.
 * @param pts xyz interleaved (mm) @returns xyz interleaved unit normals
 */
export function estimateNormals(pts: Float64Array, k: number, viewpoint: readonly number[] = [0, 0, 0], tree = new KdTree3(pts)): Float64Array {
  const n = pts.length / 3;
  const normals = new Float64Array(pts.length);
  for (let i = 0; i < n; i++) {
    const x = pts[3 * i]!,
      y = pts[3 * i + 1]!,
      z = pts[3 * i + 2]!;
    const nb = tree.knn(x, y, z, k);
    const c = [0, 0, 0];
    for (const j of nb) for (let a = 0; a < 3; a++) c[a]! += pts[3 * j + a]! / nb.length;
    const C = new Array<number>(9).fill(0);
    for (const j of nb) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) C[3 * a + b]! += (pts[3 * j + a]! - c[a]!) * (pts[3 * j + b]! - c[b]!);
    const v = symmetricEigen(C, 3).vectors[0]!;
    const s = v[0]! * (viewpoint[0]! - x) + v[1]! * (viewpoint[1]! - y) + v[2]! * (viewpoint[2]! - z) < 0 ? -1 : 1;
    normals[3 * i] = s * v[0]!;
    normals[3 * i + 1] = s * v[1]!;
    normals[3 * i + 2] = s * v[2]!;
  }
  return normals;
}

/**
 * The patient's skin in a depth camera's point cloud.
 * @param cloud xyz interleaved, camera frame (mm); NaN or z ≤ 0 where the sensor saw nothing
 * @throws Error when fewer than 100 skin points remain (names the step that emptied the cloud)
 */
export function captureSkin(cloud: ArrayLike<number>, o: Partial<SkinCaptureParams> = {}): CapturedSkin {
  const p = { ...DEFAULT_SKIN_CAPTURE, ...o };
  const removed = { invalid: 0, outOfRange: 0, planes: 0, behindPlanes: 0, clusters: 0, outliers: 0 };
  const inputPoints = Math.floor(cloud.length / 3);
  const kept: number[] = [];
  for (let i = 0; i < inputPoints; i++) {
    const x = cloud[3 * i]!,
      y = cloud[3 * i + 1]!,
      z = cloud[3 * i + 2]!;
    if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z) || z <= 0) removed.invalid++;
    else if (z < p.minDepthMm || z > p.maxDepthMm) removed.outOfRange++;
    else kept.push(x, y, z);
  }
  let pts = voxelDownsample(kept, p.voxelMm);
  const fail = (step: string) => {
    throw new Error(`skin capture: only ${pts.length / 3} points left after ${step} (of ${inputPoints} in the cloud)`);
  };
  if (pts.length / 3 < 100) fail('the depth range of interest');

  // support planes (table, floor, walls): large planes with something standing in front of them
  const planes: SupportPlane[] = [];
  const r = rng(p.seed);
  const n0 = pts.length / 3;
  // a far, noisy plane (the floor) can be found again from its points left in front of the threshold: such a repeat is
  // removed but does not count as another support
  for (let attempt = 0; planes.length < p.maxPlanes && attempt < p.maxPlanes + 3; attempt++) {
    const n = pts.length / 3;
    let best: SupportPlane | null = null;
    // hypotheses: every other one a random triple of the whole cloud (large planes), the others a local triple on a
    // 25 mm grid (a point and two of its neighbours there: planes that hold a smaller share, like the table beside
    // the patient); all scored on a fixed random sample of the cloud
    const grid = voxelDownsample(pts, 25);
    const gn = grid.length / 3;
    const gtree = new KdTree3(grid);
    const sample = Uint32Array.from({ length: Math.min(n, 4000) }, () => Math.floor(r() * n));
    const m = sample.length;
    for (let it = 0; it < p.planeIterations; it++) {
      const global = it % 2 === 0 || gn < 12;
      const src: Float64Array = global ? pts : grid;
      let a: number, b: number, c: number;
      if (global) [a, b, c] = [Math.floor(r() * n), Math.floor(r() * n), Math.floor(r() * n)];
      else {
        a = Math.floor(r() * gn);
        const nb = gtree.knn(grid[3 * a]!, grid[3 * a + 1]!, grid[3 * a + 2]!, 12);
        b = nb[1 + Math.floor(r() * (nb.length - 1))]!;
        c = nb[1 + Math.floor(r() * (nb.length - 1))]!;
      }
      const u = [src[3 * b]! - src[3 * a]!, src[3 * b + 1]! - src[3 * a + 1]!, src[3 * b + 2]! - src[3 * a + 2]!];
      const v = [src[3 * c]! - src[3 * a]!, src[3 * c + 1]! - src[3 * a + 1]!, src[3 * c + 2]! - src[3 * a + 2]!];
      let nx = u[1]! * v[2]! - u[2]! * v[1]!,
        ny = u[2]! * v[0]! - u[0]! * v[2]!,
        nz = u[0]! * v[1]! - u[1]! * v[0]!;
      const len = Math.hypot(nx, ny, nz);
      if (len < 1e-6) continue;
      nx /= len;
      ny /= len;
      nz /= len;
      let d = nx * src[3 * a]! + ny * src[3 * a + 1]! + nz * src[3 * a + 2]!;
      // normal towards the camera (origin): n·(0 − p) > 0 ⇔ d < 0
      if (d > 0) ((nx = -nx), (ny = -ny), (nz = -nz), (d = -d));
      let inl = 0,
        front = 0,
        behind = 0;
      for (let t = 0; t < m; t++) {
        const i = sample[t]!;
        const s = nx * pts[3 * i]! + ny * pts[3 * i + 1]! + nz * pts[3 * i + 2]! - d;
        if (Math.abs(s) <= p.planeThresholdMm) inl++;
        else if (s > 3 * p.planeThresholdMm) front++;
        else if (s < -3 * p.planeThresholdMm) behind++;
      }
      // a support has the patient in front of it and (almost) nothing behind it — a plane through the curved back has its flanks behind
      if ((inl / m) * n >= p.minPlaneFraction * n0 && front >= 0.05 * m && behind <= 0.02 * m && (!best || inl > best.inliers))
        best = { normal: [nx, ny, nz], d, inliers: inl };
    }
    if (!best) break;
    best.inliers = 0;
    const repeat = planes.some(
      (q) =>
        q.normal[0] * best.normal[0] + q.normal[1] * best.normal[1] + q.normal[2] * best.normal[2] > Math.cos((5 * Math.PI) / 180) &&
        Math.abs(q.d - best.d) < 4 * p.planeThresholdMm,
    );
    if (!repeat) planes.push(best);
    const [nx, ny, nz] = best.normal;
    pts = pick(pts, (i) => {
      const s = nx * pts[3 * i]! + ny * pts[3 * i + 1]! + nz * pts[3 * i + 2]! - best.d;
      if (Math.abs(s) <= p.planeThresholdMm) return (removed.planes++, best.inliers++, false);
      if (s < 0) return (removed.behindPlanes++, false);
      // the noise band just in front of the plane (far planes are noisy: depth noise grows as z²) goes with it
      if (s < 3 * p.planeThresholdMm) return (removed.planes++, false);
      return true;
    });
    if (pts.length / 3 < 100) fail('support-plane removal');
  }

  // largest Euclidean cluster (connected within clusterGapMm)
  {
    const n = pts.length / 3;
    const tree = new KdTree3(pts);
    const comp = new Int32Array(n).fill(-1);
    const sizes: number[] = [];
    const gap2 = p.clusterGapMm ** 2;
    for (let s = 0; s < n; s++) {
      if (comp[s]! >= 0) continue;
      const id = sizes.length;
      let size = 0;
      const stack = [s];
      comp[s] = id;
      while (stack.length) {
        const i = stack.pop()!;
        size++;
        const d2: number[] = [];
        const nb = tree.knn(pts[3 * i]!, pts[3 * i + 1]!, pts[3 * i + 2]!, 12, d2);
        nb.forEach((j, m) => {
          if (comp[j]! < 0 && d2[m]! <= gap2) {
            comp[j] = id;
            stack.push(j);
          }
        });
      }
      sizes.push(size);
    }
    const big = sizes.indexOf(Math.max(...sizes));
    removed.clusters = n - sizes[big]!;
    pts = pick(pts, (i) => comp[i] === big);
    if (pts.length / 3 < 100) fail('clustering');
  }

  // statistical outlier removal
  let tree = new KdTree3(pts);
  {
    const n = pts.length / 3;
    const md = new Float64Array(n);
    const d2: number[] = [];
    for (let i = 0; i < n; i++) {
      tree.knn(pts[3 * i]!, pts[3 * i + 1]!, pts[3 * i + 2]!, p.sorNeighbours + 1, d2);
      let s = 0;
      for (let m = 1; m < d2.length; m++) s += Math.sqrt(d2[m]!);
      md[i] = s / Math.max(1, d2.length - 1);
    }
    let mean = 0;
    for (const v of md) mean += v / n;
    let sd = 0;
    for (const v of md) sd += (v - mean) ** 2 / n;
    const lim = mean + p.sorStdRatio * Math.sqrt(sd);
    const before = n;
    pts = pick(pts, (i) => md[i]! <= lim);
    removed.outliers = before - pts.length / 3;
    if (pts.length / 3 < 100) fail('outlier removal');
    tree = new KdTree3(pts);
  }
  const normals = estimateNormals(pts, p.normalNeighbours, [0, 0, 0], tree);
  return { points: pts, normals, planes, removed, inputPoints };
}
