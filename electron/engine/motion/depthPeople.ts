/**
 * People in a depth camera's point cloud: the ground-based people detection
 * of Munaro, Basso & Menegatti ("Tracking people within groups with RGB-D
 * data", IROS 2012; PCL's `pcl::people::GroundBasedPeopleDetectionApp`)
 * without its HOG/SVM appearance classifier (depth only):
 *
 * 1. points within a depth range of interest (camera frame, mm: x right,
 *    y down, z forward; NaN or z ≤ 0 = no measurement);
 * 2. a voxel grid (centroid per occupied cell; PCL's VoxelGrid);
 * 3. the ground plane by RANSAC (Fischler & Bolles 1981) among the voxel
 *    centroids, restricted to planes whose normal lies within
 *    `maxGroundTiltDeg` of the camera's "up" hint, refined by least squares
 *    on its inliers; the ground band and everything below it removed;
 * 4. Euclidean cluster extraction on the remaining voxels (Rusu 2009,
 *    PCL's EuclideanClusterExtraction) with a tolerance of two voxels;
 * 5. clusters close in floor coordinates merged (a person cut in pieces
 *    by an occlusion), then head-based sub-clustering (Munaro 2012 §III-B):
 *    the local maxima of a cluster's height-above-ground map that are more
 *    than `headMinDistanceMm` apart are heads, each voxel goes to the
 *    nearest head in floor coordinates — people touching each other are
 *    separated;
 * 6. a sub-cluster is a person when its top is between `minHeightMm` and
 *    `maxHeightMm` above the ground (PCL's limits, 1.3–2.3 m), its width
 *    between `minWidthMm` and `maxWidthMm`, it holds at least `minPoints`
 *    points and its silhouette (area projected across the view) is at
 *    least `minSilhouetteMm2`. The silhouette stands in for Munaro's HOG
 *    confidence: without it, a board or a person mostly hidden behind
 *    others would pass the height test.
 *
 * Every input point of a person is labelled with the person (through its
 * voxel), so counts and centroids are of the sensor's points.
 */
import { rng } from '../../../math/random.js';
import { symmetricEigen } from '../../../math/rigid.js';

export interface PeopleParams {
  /** Depth range of interest along the optical axis (mm). */
  minDepthMm: number;
  maxDepthMm: number;
  /** Voxel-grid cell (mm); PCL's default for people is 60 mm. */
  voxelMm: number;
  /** "Up" in the camera frame (unit not required): the camera's −y for a level camera. */
  upHint: [number, number, number];
  /** Largest angle between the ground normal and the up hint (degrees). */
  maxGroundTiltDeg: number;
  /** RANSAC inlier distance (mm) and hypotheses. */
  groundThresholdMm: number;
  groundIterations: number;
  /** Points closer to the ground than this (or below it) are ground (mm). */
  groundBandMm: number;
  /** Euclidean cluster tolerance (mm); PCL uses two voxels. */
  clusterToleranceMm: number;
  /** Clusters with fewer voxels are noise. */
  minClusterVoxels: number;
  /** Heads closer than this (floor coordinates, mm) are one head; clusters whose centroids are closer are merged. */
  headMinDistanceMm: number;
  /** Person limits: top above the ground (mm), width across the view (mm), sensor points. */
  minHeightMm: number;
  maxHeightMm: number;
  minWidthMm: number;
  maxWidthMm: number;
  minPoints: number;
  /**
   * Smallest silhouette (mm²): the area of the cluster projected on the vertical plane across the view, counted in
   * voxel-sized cells. An adult seen from behind shows about 0.5–0.8 m² (1.7 m × 0.3–0.5 m); a cluster showing less
   * than about half of that is mostly occluded (or not a person) and its back cannot be analysed.
   */
  minSilhouetteMm2: number;
  seed: number;
}

export const DEFAULT_PEOPLE_PARAMS: PeopleParams = {
  minDepthMm: 300,
  maxDepthMm: 8000,
  voxelMm: 60,
  upHint: [0, -1, 0],
  maxGroundTiltDeg: 30,
  groundThresholdMm: 40,
  groundIterations: 500,
  groundBandMm: 80,
  clusterToleranceMm: 120,
  minClusterVoxels: 30,
  headMinDistanceMm: 300,
  minHeightMm: 1300,
  maxHeightMm: 2300,
  minWidthMm: 100,
  maxWidthMm: 1000,
  minPoints: 1000,
  minSilhouetteMm2: 400_000,
  seed: 1,
};

/** The ground plane: unit normal n (pointing up) and offset d, n·p + d = 0 on the plane (camera frame, mm). */
export interface GroundPlane {
  normal: [number, number, number];
  d: number;
  /** Voxels within the RANSAC threshold. */
  inlierVoxels: number;
}

export interface Person {
  /** Indices of the input points (point i = xyz at 3i). */
  indices: Uint32Array;
  /** Centroid of the points (camera frame, mm). */
  centroidMm: [number, number, number];
  /** Top of the person above the ground (mm). */
  heightMm: number;
  /** Extent across the view, perpendicular to up and to the optical axis (mm, 2nd–98th percentile). */
  widthMm: number;
  /** Silhouette area (mm²), see `PeopleParams.minSilhouetteMm2`. */
  silhouetteMm2: number;
  /** Head (highest point of the height map) in camera coordinates (mm). */
  headMm: [number, number, number];
}

export interface PeopleDetection {
  ground: GroundPlane;
  /** People, left to right in the image. */
  people: Person[];
  /** Clusters (after merging and sub-clustering) that failed the person limits, with the reason. */
  rejected: { points: number; heightMm: number; widthMm: number; silhouetteMm2: number; centroidMm: [number, number, number]; reason: string }[];
  /** Valid input points, voxels used. */
  validPoints: number;
  voxels: number;
}

type V3 = [number, number, number];
const dot = (a: readonly number[], b: readonly number[]): number => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
const cross = (a: readonly number[], b: readonly number[]): V3 => [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
const unit = (a: readonly number[]): V3 => {
  const n = Math.hypot(a[0]!, a[1]!, a[2]!);
  if (!(n > 0)) throw new Error('people detection: zero-length direction');
  return [a[0]! / n, a[1]! / n, a[2]! / n];
};

/**
 * Least-squares plane through points (indices into xyz) as n·p + d = 0, n oriented along `up`.
 */
function fitPlane(pts: Float64Array, ids: readonly number[], up: V3): { normal: V3; d: number } {
  const c = [0, 0, 0];
  for (const i of ids) for (let a = 0; a < 3; a++) c[a]! += pts[3 * i + a]! / ids.length;
  const C = new Array<number>(9).fill(0);
  for (const i of ids) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) C[3 * a + b]! += (pts[3 * i + a]! - c[a]!) * (pts[3 * i + b]! - c[b]!);
  const v = symmetricEigen(C, 3).vectors[0]!;
  const s = dot(v, up) < 0 ? -1 : 1;
  const normal: V3 = [s * v[0]!, s * v[1]!, s * v[2]!];
  return { normal, d: -dot(normal, c) };
}

/**
 * People standing on the ground in a depth camera's cloud.
 * @param points xyz interleaved, camera frame (mm); NaN (or z ≤ 0) where nothing was measured; organised or not
 * @throws Error when the cloud has too few valid points or no ground plane is found (the message says which)
 */
export function detectPeople(points: ArrayLike<number>, o: Partial<PeopleParams> = {}): PeopleDetection {
  const p: PeopleParams = { ...DEFAULT_PEOPLE_PARAMS, ...o };
  const up0 = unit(p.upHint);
  const n = Math.floor(points.length / 3);
  // 1–2: depth range and voxel grid; voxelOf[i] = voxel of input point i (−1 = not used)
  const voxelOf = new Int32Array(n).fill(-1);
  const cellIndex = new Map<string, number>();
  const sums: number[] = [];
  let validPoints = 0;
  for (let i = 0; i < n; i++) {
    const x = points[3 * i]!,
      y = points[3 * i + 1]!,
      z = points[3 * i + 2]!;
    if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z) || z <= 0) continue;
    validPoints++;
    if (z < p.minDepthMm || z > p.maxDepthMm) continue;
    const key = `${Math.floor(x / p.voxelMm)},${Math.floor(y / p.voxelMm)},${Math.floor(z / p.voxelMm)}`;
    let v = cellIndex.get(key);
    if (v === undefined) {
      v = sums.length / 4;
      cellIndex.set(key, v);
      sums.push(0, 0, 0, 0);
    }
    sums[4 * v]! += x;
    sums[4 * v + 1]! += y;
    sums[4 * v + 2]! += z;
    sums[4 * v + 3]!++;
    voxelOf[i] = v;
  }
  const nv = sums.length / 4;
  if (nv < 50) throw new Error(`people detection: only ${nv} voxels in the depth range ${p.minDepthMm}–${p.maxDepthMm} mm (${validPoints} valid points)`);
  const vox = new Float64Array(3 * nv);
  const count = new Float64Array(nv);
  for (let v = 0; v < nv; v++) {
    count[v] = sums[4 * v + 3]!;
    for (let a = 0; a < 3; a++) vox[3 * v + a] = sums[4 * v + a]! / count[v]!;
  }

  // 3: ground plane by RANSAC, normal within maxGroundTiltDeg of up, most inlier voxels
  const r = rng(p.seed);
  const cosTilt = Math.cos((p.maxGroundTiltDeg * Math.PI) / 180);
  let best: { normal: V3; d: number; inl: number } | null = null;
  for (let it = 0; it < p.groundIterations; it++) {
    const a = Math.floor(r() * nv),
      b = Math.floor(r() * nv),
      c = Math.floor(r() * nv);
    const u = [vox[3 * b]! - vox[3 * a]!, vox[3 * b + 1]! - vox[3 * a + 1]!, vox[3 * b + 2]! - vox[3 * a + 2]!];
    const w = [vox[3 * c]! - vox[3 * a]!, vox[3 * c + 1]! - vox[3 * a + 1]!, vox[3 * c + 2]! - vox[3 * a + 2]!];
    let nn = cross(u, w);
    const len = Math.hypot(...nn);
    if (len < 1e-6) continue;
    nn = [nn[0] / len, nn[1] / len, nn[2] / len];
    if (dot(nn, up0) < 0) nn = [-nn[0], -nn[1], -nn[2]];
    if (dot(nn, up0) < cosTilt) continue;
    const d = -(nn[0] * vox[3 * a]! + nn[1] * vox[3 * a + 1]! + nn[2] * vox[3 * a + 2]!);
    let inl = 0;
    for (let v = 0; v < nv; v++) if (Math.abs(nn[0] * vox[3 * v]! + nn[1] * vox[3 * v + 1]! + nn[2] * vox[3 * v + 2]! + d) <= p.groundThresholdMm) inl++;
    if (!best || inl > best.inl) best = { normal: nn, d, inl };
  }
  if (!best || best.inl < 20)
    throw new Error(`people detection: no ground plane within ${p.maxGroundTiltDeg}° of the up direction (${best?.inl ?? 0} voxels at best)`);
  const inliers: number[] = [];
  for (let v = 0; v < nv; v++) if (Math.abs(dot(best.normal, [vox[3 * v]!, vox[3 * v + 1]!, vox[3 * v + 2]!]) + best.d) <= p.groundThresholdMm) inliers.push(v);
  const refined = fitPlane(vox, inliers, up0);
  const ground: GroundPlane = { normal: refined.normal, d: refined.d, inlierVoxels: inliers.length };
  const up = ground.normal;
  const height = (x: number, y: number, z: number): number => up[0] * x + up[1] * y + up[2] * z + ground.d;
  // floor coordinates: e1 across the view (camera x projected on the ground), e2 along the view
  const e1 = unit(cross([0, 0, 1], up));
  const e2 = cross(up, e1);

  // 4: Euclidean clusters of the voxels above the ground band (neighbour cells within the tolerance)
  const above = new Uint8Array(nv);
  for (let v = 0; v < nv; v++) above[v] = height(vox[3 * v]!, vox[3 * v + 1]!, vox[3 * v + 2]!) > p.groundBandMm ? 1 : 0;
  const reach = Math.ceil(p.clusterToleranceMm / p.voxelMm);
  const tol2 = p.clusterToleranceMm ** 2;
  const cellKeyOf: string[] = new Array<string>(nv);
  for (const [k, v] of cellIndex) cellKeyOf[v] = k;
  const comp = new Int32Array(nv).fill(-1);
  const clusters: number[][] = [];
  for (let s = 0; s < nv; s++) {
    if (!above[s] || comp[s]! >= 0) continue;
    const id = clusters.length;
    const members: number[] = [];
    const stack = [s];
    comp[s] = id;
    while (stack.length) {
      const v = stack.pop()!;
      members.push(v);
      const [cx, cy, cz] = cellKeyOf[v]!.split(',').map(Number) as V3;
      for (let dx = -reach; dx <= reach; dx++)
        for (let dy = -reach; dy <= reach; dy++)
          for (let dz = -reach; dz <= reach; dz++) {
            const w = cellIndex.get(`${cx + dx},${cy + dy},${cz + dz}`);
            if (w === undefined || !above[w] || comp[w]! >= 0) continue;
            const ddx = vox[3 * w]! - vox[3 * v]!,
              ddy = vox[3 * w + 1]! - vox[3 * v + 1]!,
              ddz = vox[3 * w + 2]! - vox[3 * v + 2]!;
            if (ddx * ddx + ddy * ddy + ddz * ddz > tol2) continue;
            comp[w] = id;
            stack.push(w);
          }
    }
    clusters.push(members);
  }
  const kept = clusters.filter((c) => c.length >= p.minClusterVoxels);

  // 5a: merge clusters whose centroids are close in floor coordinates (PCL mergeClustersCloseInFloorCoordinates)
  const floorCentroid = (c: readonly number[]): [number, number] => {
    let a = 0,
      b = 0,
      w = 0;
    for (const v of c) {
      a += count[v]! * dot(e1, [vox[3 * v]!, vox[3 * v + 1]!, vox[3 * v + 2]!]);
      b += count[v]! * dot(e2, [vox[3 * v]!, vox[3 * v + 1]!, vox[3 * v + 2]!]);
      w += count[v]!;
    }
    return [a / w, b / w];
  };
  for (let merged = true; merged;) {
    merged = false;
    for (let i = 0; i < kept.length && !merged; i++)
      for (let j = i + 1; j < kept.length && !merged; j++) {
        const a = floorCentroid(kept[i]!),
          b = floorCentroid(kept[j]!);
        if (Math.hypot(a[0] - b[0], a[1] - b[1]) < p.headMinDistanceMm) {
          kept[i] = kept[i]!.concat(kept[j]!);
          kept.splice(j, 1);
          merged = true;
        }
      }
  }

  // 5b: head-based sub-clustering: local maxima of the height map along e1 (bins of one voxel)
  const subclusters: number[][] = [];
  for (const c of kept) {
    const s1 = c.map((v) => dot(e1, [vox[3 * v]!, vox[3 * v + 1]!, vox[3 * v + 2]!]));
    const lo = Math.min(...s1);
    const bins = Math.floor((Math.max(...s1) - lo) / p.voxelMm) + 1;
    const top = new Float64Array(bins).fill(-Infinity);
    const topVoxel = new Int32Array(bins).fill(-1);
    c.forEach((v, k) => {
      const b = Math.floor((s1[k]! - lo) / p.voxelMm);
      const h = height(vox[3 * v]!, vox[3 * v + 1]!, vox[3 * v + 2]!);
      if (h > top[b]!) ((top[b] = h), (topVoxel[b] = v));
    });
    // maxima: higher than both neighbours (plateaus: first bin), sorted by height; closer than headMinDistance to a higher one → dropped
    const maxima: number[] = [];
    for (let b = 0; b < bins; b++) {
      if (topVoxel[b]! < 0) continue;
      const l = b > 0 ? top[b - 1]! : -Infinity,
        rr = b < bins - 1 ? top[b + 1]! : -Infinity;
      if (top[b]! > l && top[b]! >= rr) maxima.push(b);
    }
    maxima.sort((a, b) => top[b]! - top[a]!);
    const heads: number[] = [];
    for (const m of maxima) if (heads.every((h) => Math.abs(h - m) * p.voxelMm >= p.headMinDistanceMm)) heads.push(m);
    if (heads.length <= 1) {
      subclusters.push(c);
      continue;
    }
    const headPos = heads.map((b) => floorCentroid([topVoxel[b]!]));
    const parts: number[][] = heads.map(() => []);
    for (const v of c) {
      const q = [dot(e1, [vox[3 * v]!, vox[3 * v + 1]!, vox[3 * v + 2]!]), dot(e2, [vox[3 * v]!, vox[3 * v + 1]!, vox[3 * v + 2]!])];
      let bi = 0,
        bd = Infinity;
      headPos.forEach((h, k) => {
        const d = Math.hypot(q[0]! - h[0], q[1]! - h[1]);
        if (d < bd) ((bd = d), (bi = k));
      });
      parts[bi]!.push(v);
    }
    for (const part of parts) if (part.length >= p.minClusterVoxels) subclusters.push(part);
  }

  // 6: person limits, on the sensor's points
  const people: Person[] = [];
  const rejected: PeopleDetection['rejected'] = [];
  const labelOfVoxel = new Int32Array(nv).fill(-1);
  subclusters.forEach((c, k) => c.forEach((v) => (labelOfVoxel[v] = k)));
  const members: number[][] = subclusters.map(() => []);
  for (let i = 0; i < n; i++) {
    const v = voxelOf[i]!;
    if (v >= 0 && labelOfVoxel[v]! >= 0) members[labelOfVoxel[v]!]!.push(i);
  }
  subclusters.forEach((c, k) => {
    const ids = members[k]!;
    const cen: V3 = [0, 0, 0];
    let hMax = -Infinity;
    let head: V3 = [0, 0, 0];
    const across: number[] = [];
    const cells = new Set<string>();
    for (const i of ids) {
      const x = points[3 * i]!,
        y = points[3 * i + 1]!,
        z = points[3 * i + 2]!;
      cen[0] += x / ids.length;
      cen[1] += y / ids.length;
      cen[2] += z / ids.length;
      const s1 = e1[0] * x + e1[1] * y + e1[2] * z;
      across.push(s1);
      cells.add(`${Math.floor(s1 / p.voxelMm)},${Math.floor(height(x, y, z) / p.voxelMm)}`);
    }
    const silhouetteMm2 = cells.size * p.voxelMm ** 2;
    // top from the voxel centroids (robust to single noisy points)
    for (const v of c) {
      const h = height(vox[3 * v]!, vox[3 * v + 1]!, vox[3 * v + 2]!);
      if (h > hMax) ((hMax = h), (head = [vox[3 * v]!, vox[3 * v + 1]!, vox[3 * v + 2]!]));
    }
    across.sort((a, b) => a - b);
    const q = (f: number): number => across[Math.min(across.length - 1, Math.floor(f * (across.length - 1)))]!;
    const widthMm = ids.length ? q(0.98) - q(0.02) : 0;
    const why =
      ids.length < p.minPoints
        ? `${ids.length} points < ${p.minPoints}`
        : hMax < p.minHeightMm
          ? `top ${hMax.toFixed(0)} mm above the ground < ${p.minHeightMm} mm`
          : hMax > p.maxHeightMm
            ? `top ${hMax.toFixed(0)} mm above the ground > ${p.maxHeightMm} mm`
            : widthMm < p.minWidthMm || widthMm > p.maxWidthMm
              ? `width ${widthMm.toFixed(0)} mm outside ${p.minWidthMm}–${p.maxWidthMm} mm`
              : silhouetteMm2 < p.minSilhouetteMm2
                ? `silhouette ${(silhouetteMm2 / 1e6).toFixed(2)} m² < ${(p.minSilhouetteMm2 / 1e6).toFixed(2)} m² (mostly occluded or not a person)`
                : '';
    if (why) rejected.push({ points: ids.length, heightMm: hMax, widthMm, silhouetteMm2, centroidMm: cen, reason: why });
    else people.push({ indices: Uint32Array.from(ids), centroidMm: cen, heightMm: hMax, widthMm, silhouetteMm2, headMm: head });
  });
  people.sort((a, b) => a.centroidMm[0] / a.centroidMm[2] - b.centroidMm[0] / b.centroidMm[2]);
  return { ground, people, rejected, validPoints, voxels: nv };
}
