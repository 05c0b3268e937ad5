/**
 * The surgeon's sagittal spinopelvic parameters from a CT (issue 20 §4):
 * pelvic incidence (PI), pelvic tilt (PT) and sacral slope (SS) where both
 * femoral heads are in the volume, and the sagittal vertical axis (SVA)
 * where C7 is.
 *
 * Definitions (Duval-Beaupère et al., Ann Biomed Eng 1992; Legaye et al.,
 * Eur Spine J 1998; SRS-Schwab classification, Schwab et al., Spine 2012):
 * - S1 endplate: the superior endplate of S1 (its centre and its anterior-
 *   posterior line in the mid-sagittal plane).
 * - Hip axis (HA): the midpoint of the two femoral head centres (bicoxofemoral
 *   axis).
 * - SS: angle between the S1 endplate and the horizontal.
 * - PT: angle between the vertical and the line from the S1 endplate centre to
 *   HA; positive when HA lies anterior of the endplate centre.
 * - PI: angle between the perpendicular to the S1 endplate at its centre and
 *   the line to HA; PI = PT + SS (a morphological constant of the pelvis).
 * - SVA: A-P offset (mm) of the C7 plumb line (vertical through the C7 body
 *   centroid) from the posterosuperior corner of S1, positive anterior.
 *
 * Frame: LPS millimetres. "Vertical" is the scanner's superior axis and
 * "horizontal" its axial plane; the sagittal plane is the one perpendicular to
 * the horizontal part of the line between the femoral head centres (as a
 * lateral radiograph is taken with the heads superimposed), else the scanner's
 * sagittal plane. A CT is taken supine: PT, SS and SVA are positional and
 * differ from the standing values; PI does not depend on position.
 *
 * Femoral heads (hip centres): on the smoothed 3 mm working CT, the bone
 * surface voxels (HU gradient) vote along their gradient for sphere centres
 * 18–30 mm away (Hough transform), lateral of and below the S1 endplate; each
 * candidate is refined (its radius, then its centre at 1 mm) and a RANSAC +
 * least-squares sphere is fitted through the surface points facing it; the
 * pair of spheres most voted for that is nearly mirror-symmetric is taken.
 * At 3 mm the joint line is not resolved: the sphere takes in the head's and
 * the acetabulum's surfaces (concentric), so its centre is the hip centre and
 * its radius may be the acetabulum's. Pure: no I/O.
 */
import { indexToLps, type Vec3, type Volume, type VolumeGeometry } from '../volume.js';
import { rng } from '../../../math/random.js';
import { solveSpd } from '../../../math/rigid.js';
import type { FemoralHead, PelvicParameters, S1Endplate, SagittalVerticalAxis, Spinopelvic, VertebraMeasurement } from '../../contract/spine.js';

export type { FemoralHead, PelvicParameters, S1Endplate, SagittalVerticalAxis, Spinopelvic } from '../../contract/spine.js';

/** Unit LPS vectors of the sagittal frame: anterior and superior (the plane's axes) and lateral (its normal, towards the left). */
export interface SagittalFrame {
  anterior: Vec3;
  superior: Vec3;
  lateral: Vec3;
}

export const REFERENCE_TEXT =
  'Vertical = the scanner’s superior axis, horizontal = its axial plane. The CT is supine: PT, SS and SVA are positional and differ from the standing values; PI does not depend on position.';

export const METHOD_TEXT =
  'Hip centres: sphere fit (Hough transform, then RANSAC + least squares) to the bone surfaces of each femoral head and its acetabulum (concentric; at 3 mm the joint line is not resolved, so the radius may be the acetabulum’s). S1 endplate: plane fit to the superior surface of the S1 segmentation, corners where S1 ends along it in the mid-sagittal plane. Angles in the sagittal plane perpendicular to the line between the head centres (Legaye 1998).';

/**
 * |pipeline − hand| of each angle, degrees, on the validation CT (PI 60.9 vs 62.3, PT 12.5 vs 17.3, SS 48.4 vs 45.0;
 * tests/integration/spinopelvic.test.ts checks the pipeline's values against the hand ones within 6°).
 */
export const HAND_AGREEMENT_DEG = { pelvicIncidence: 1.4, pelvicTilt: 4.8, sacralSlope: 3.4 } as const;

/** How the pelvic parameters were checked (the test tests/integration/spinopelvic.test.ts). */
export const VALIDATION_TEXT =
  'Checked against a hand measurement on one CT (TotalSegmentator example CT, 3 mm voxels): PI 60.9° vs 62.3°, PT 12.5° vs 17.3°, SS 48.4° vs 45.0° by hand (|Δ| ≤ 4.8°; test tolerance 6°). Synthetic phantoms: angles exact, head centres within 1.5 mm. One CT is not a clinical validation.';

const dot = (a: readonly number[], b: readonly number[]): number => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
const sub = (a: readonly number[], b: readonly number[]): Vec3 => [a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!];
const addS = (a: readonly number[], b: readonly number[], s: number): Vec3 => [a[0]! + b[0]! * s, a[1]! + b[1]! * s, a[2]! + b[2]! * s];
const norm = (a: readonly number[]): number => Math.hypot(a[0]!, a[1]!, a[2]!);
const unit = (a: readonly number[]): Vec3 => {
  const n = norm(a) || 1;
  return [a[0]! / n, a[1]! / n, a[2]! / n];
};
const DEG = 180 / Math.PI;

/**
 * The sagittal frame: superior = scanner +S; lateral = the horizontal part of
 * the right → left head line (else +L); anterior = lateral × superior.
 */
export function sagittalFrame(rightHead: Vec3 | null, leftHead: Vec3 | null): SagittalFrame {
  const superior: Vec3 = [0, 0, 1];
  let lateral: Vec3 = [1, 0, 0];
  if (rightHead && leftHead) {
    const d = sub(leftHead, rightHead);
    const h: Vec3 = [d[0], d[1], 0];
    if (norm(h) > 1e-6 && h[0] > 0) lateral = unit(h);
  }
  // lateral × superior: with lateral = +L this is −P = anterior
  const anterior: Vec3 = unit([
    lateral[1] * superior[2] - lateral[2] * superior[1],
    lateral[2] * superior[0] - lateral[0] * superior[2],
    lateral[0] * superior[1] - lateral[1] * superior[0],
  ]);
  return { anterior, superior, lateral };
}

/** (anterior, superior) coordinates of a vector in the sagittal plane. */
const inPlane = (v: readonly number[], f: SagittalFrame): [number, number] => [dot(v, f.anterior), dot(v, f.superior)];

/**
 * PI, PT and SS (degrees) from the hip axis and the S1 endplate, in the
 * sagittal plane of `f`. PI is the signed angle from the endplate's inward
 * perpendicular (−normal) to the line endplate centre → hip axis, so that
 * PI = PT + SS holds exactly.
 * @param hipAxis midpoint of the femoral head centres (LPS mm)
 * @param centre S1 endplate centre (LPS mm)
 * @param normal S1 endplate normal pointing superior (any length)
 */
export function pelvicAngles(
  hipAxis: Vec3,
  centre: Vec3,
  normal: Vec3,
  f: SagittalFrame,
): { pelvicIncidenceDeg: number; pelvicTiltDeg: number; sacralSlopeDeg: number } {
  const [na, ns] = inPlane(normal, f);
  const [da, ds] = inPlane(sub(hipAxis, centre), f);
  const sacralSlopeDeg = Math.atan2(na, ns) * DEG;
  const pelvicTiltDeg = Math.atan2(da, -ds) * DEG;
  // signed angle from −n to d (counter-clockwise in the (anterior, superior) plane)
  const pelvicIncidenceDeg = Math.atan2(-na * ds + ns * da, -na * da - ns * ds) * DEG;
  return { pelvicIncidenceDeg, pelvicTiltDeg, sacralSlopeDeg };
}

/** SVA (mm): the C7 plumb line's A-P offset from the posterosuperior corner of S1, positive anterior. */
export function sagittalVerticalAxisMm(c7Centroid: Vec3, s1PosteriorSuperior: Vec3, f: SagittalFrame): number {
  return dot(sub(c7Centroid, s1PosteriorSuperior), f.anterior);
}

/** Fibonacci sphere: n unit directions spread evenly. */
export function sphereDirections(n: number): Vec3[] {
  const out: Vec3[] = [];
  const ga = Math.PI * (3 - Math.sqrt(5));
  for (let i = 0; i < n; i++) {
    const z = 1 - (2 * (i + 0.5)) / n;
    const r = Math.sqrt(1 - z * z);
    out.push([r * Math.cos(ga * i), r * Math.sin(ga * i), z]);
  }
  return out;
}

/** Sphere through 4 points (or the least-squares algebraic sphere through more): centre and radius, null when degenerate. */
export function fitSphere(pts: readonly Vec3[]): { centre: Vec3; radius: number } | null {
  if (pts.length < 4) return null;
  // |p|² = 2 c·p + k, unknowns (cx, cy, cz, k); normal equations, points centred for conditioning
  const m: Vec3 = [0, 0, 0];
  for (const p of pts) for (const k of [0, 1, 2] as const) m[k] += p[k] / pts.length;
  const A = new Array<number>(16).fill(0);
  const b = [0, 0, 0, 0];
  for (const p of pts) {
    const q = sub(p, m);
    const row = [2 * q[0], 2 * q[1], 2 * q[2], 1];
    const rhs = dot(q, q);
    for (let r = 0; r < 4; r++) {
      b[r]! += row[r]! * rhs;
      for (let c = 0; c < 4; c++) A[r * 4 + c]! += row[r]! * row[c]!;
    }
  }
  const x = solveSpd(A, b, 4);
  if (!x) return null;
  const c: Vec3 = [x[0]!, x[1]!, x[2]!];
  const r2 = x[3]! + dot(c, c);
  if (!(r2 > 0)) return null;
  return { centre: addS(m, c, 1), radius: Math.sqrt(r2) };
}

/** Geometric least-squares sphere (Gauss-Newton on the point-to-surface distances) from a start. */
function refineSphere(pts: readonly Vec3[], start: { centre: Vec3; radius: number }): { centre: Vec3; radius: number } {
  let c = start.centre,
    r = start.radius;
  for (let it = 0; it < 10; it++) {
    const A = new Array<number>(16).fill(0);
    const b = [0, 0, 0, 0];
    for (const p of pts) {
      const d = sub(p, c);
      const L = norm(d) || 1e-9;
      const res = L - r; // residual; ∂/∂c = −d/L, ∂/∂r = −1
      const J = [-d[0] / L, -d[1] / L, -d[2] / L, -1];
      for (let i = 0; i < 4; i++) {
        b[i]! -= J[i]! * res;
        for (let j = 0; j < 4; j++) A[i * 4 + j]! += J[i]! * J[j]!;
      }
    }
    const x = solveSpd(A, b, 4);
    if (!x) break;
    c = addS(c, [x[0]!, x[1]!, x[2]!], 1);
    r += x[3]!;
    if (Math.hypot(x[0]!, x[1]!, x[2]!, x[3]!) < 1e-4) break;
  }
  return { centre: c, radius: r };
}

export interface FemoralHeadOptions {
  radiusMinMm: number;
  radiusMaxMm: number;
  /** Lateral distance of a head centre from the S1 endplate centre (mm). */
  lateralMinMm: number;
  lateralMaxMm: number;
  /** A-P offset of a head centre from the S1 endplate centre, anterior positive (mm). */
  anteriorMinMm: number;
  anteriorMaxMm: number;
  /** Depth of a head centre below the S1 endplate centre (mm). */
  belowMinMm: number;
  belowMaxMm: number;
  /** Surface points within this distance of the sphere are inliers (mm). */
  inlierMm: number;
  /** A head needs inliers in this fraction of 64 evenly spread directions from its centre. */
  minInlierFraction: number;
  seed: number;
}

export const DEFAULT_FEMORAL_HEAD_OPTIONS: FemoralHeadOptions = {
  radiusMinMm: 18,
  radiusMaxMm: 30,
  lateralMinMm: 50,
  lateralMaxMm: 115,
  anteriorMinMm: -60,
  anteriorMaxMm: 120,
  belowMinMm: 30,
  belowMaxMm: 230,
  inlierMm: 2.5,
  minInlierFraction: 0.25,
  seed: 20,
};

const CLAMP_LO = -100;
const CLAMP_HI = 700;
const clampHu = (v: number): number => (v < CLAMP_LO ? CLAMP_LO : v > CLAMP_HI ? CLAMP_HI : v);

/** A surface voxel of the working CT: position (LPS mm), unit HU gradient (towards the brighter side), weight. */
interface Voter {
  p: Vec3;
  g: Vec3;
  w: number;
}

/**
 * Surface voxels below the S1 endplate: HU (clamped to [−100, 700], so metal
 * does not dominate) gradient of at least 12 HU/mm on the working CT.
 */
function surfaceVoters(work: Volume<Float32Array>, s1: Vec3, o: FemoralHeadOptions): Voter[] {
  const [nx, ny, nz] = work.dims;
  const sp = work.spacingMm;
  const D = work.direction;
  const at = (x: number, y: number, z: number): number => clampHu(work.data[x + nx * (y + ny * z)]!);
  const out: Voter[] = [];
  for (let z = 1; z < nz - 1; z++)
    for (let y = 1; y < ny - 1; y++)
      for (let x = 1; x < nx - 1; x++) {
        const gi = (at(x + 1, y, z) - at(x - 1, y, z)) / (2 * sp[0]);
        const gj = (at(x, y + 1, z) - at(x, y - 1, z)) / (2 * sp[1]);
        const gk = (at(x, y, z + 1) - at(x, y, z - 1)) / (2 * sp[2]);
        const mag = Math.hypot(gi, gj, gk);
        if (mag < 12) continue;
        const p = indexToLps(work, [x, y, z]);
        if (s1[2] - p[2] < o.belowMinMm - o.radiusMaxMm - 3 || Math.abs(p[0] - s1[0]) < o.lateralMinMm - o.radiusMaxMm - 3) continue;
        const g: Vec3 = [
          (D[0]! * gi + D[1]! * gj + D[2]! * gk) / mag,
          (D[3]! * gi + D[4]! * gj + D[5]! * gk) / mag,
          (D[6]! * gi + D[7]! * gj + D[8]! * gk) / mag,
        ];
        out.push({ p, g, w: Math.min(mag, 60) / 60 });
      }
  return out;
}

interface Candidate {
  centre: Vec3;
  votes: number;
}

/**
 * Coarse sphere centres of one side by a Hough transform on the working grid:
 * every surface voxel votes along its gradient (into the brighter side) for
 * centres 18–30 mm away; local maxima of the 3×3×3-summed votes inside the
 * search box (lateral of and below the S1 endplate centre).
 * @param side +1 the patient's left (+L), −1 the right
 * @returns up to 6 candidates at least 15 mm apart, most votes first
 */
function houghCandidates(work: Volume<Float32Array>, voters: Voter[], s1: Vec3, side: 1 | -1, o: FemoralHeadOptions): Candidate[] {
  const [nx, ny, nz] = work.dims;
  const sp = work.spacingMm;
  const D = work.direction;
  const inBox = (p: Vec3): boolean => {
    const lat = (p[0] - s1[0]) * side;
    const ant = -(p[1] - s1[1]);
    const below = s1[2] - p[2];
    return lat >= o.lateralMinMm && lat <= o.lateralMaxMm && ant >= o.anteriorMinMm && ant <= o.anteriorMaxMm && below >= o.belowMinMm && below <= o.belowMaxMm;
  };
  const acc = new Float32Array(nx * ny * nz);
  for (const v of voters) {
    if ((v.p[0] - s1[0]) * side < o.lateralMinMm - o.radiusMaxMm - 3) continue;
    for (let t = o.radiusMinMm; t <= o.radiusMaxMm + 1e-6; t += 1.5) {
      const d = sub(addS(v.p, v.g, t), work.originLps);
      const X = Math.round((D[0]! * d[0] + D[3]! * d[1] + D[6]! * d[2]) / sp[0]);
      const Y = Math.round((D[1]! * d[0] + D[4]! * d[1] + D[7]! * d[2]) / sp[1]);
      const Z = Math.round((D[2]! * d[0] + D[5]! * d[1] + D[8]! * d[2]) / sp[2]);
      if (X >= 0 && Y >= 0 && Z >= 0 && X < nx && Y < ny && Z < nz) acc[X + nx * (Y + ny * Z)]! += v.w;
    }
  }
  const box = (x: number, y: number, z: number): number => {
    let s = 0;
    for (let c = Math.max(0, z - 1); c <= Math.min(nz - 1, z + 1); c++)
      for (let b = Math.max(0, y - 1); b <= Math.min(ny - 1, y + 1); b++)
        for (let a = Math.max(0, x - 1); a <= Math.min(nx - 1, x + 1); a++) s += acc[a + nx * (b + ny * c)]!;
    return s;
  };
  const all: Candidate[] = [];
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        if (acc[x + nx * (y + ny * z)]! <= 0) continue;
        const p = indexToLps(work, [x, y, z]);
        if (!inBox(p)) continue;
        const v = box(x, y, z);
        let isMax = true;
        for (let c = -1; c <= 1 && isMax; c++)
          for (let b = -1; b <= 1 && isMax; b++)
            for (let a = -1; a <= 1 && isMax; a++) {
              const X = x + a,
                Y = y + b,
                Z = z + c;
              if ((a || b || c) && X >= 0 && Y >= 0 && Z >= 0 && X < nx && Y < ny && Z < nz && box(X, Y, Z) > v) isMax = false;
            }
        if (isMax) all.push({ centre: p, votes: v });
      }
  all.sort((a, b) => b.votes - a.votes);
  const out: Candidate[] = [];
  for (const c of all) {
    if (out.some((q) => norm(sub(q.centre, c.centre)) < 15)) continue;
    out.push(c);
    if (out.length >= 6) break;
  }
  return out;
}

/** Voters facing a centre (gradient within ~25° of the direction to it) at a distance in [lo, hi] mm. */
const facing = (voters: Voter[], c: Vec3, lo: number, hi: number): { v: Voter; d: number }[] => {
  const out: { v: Voter; d: number }[] = [];
  for (const v of voters) {
    const d = sub(c, v.p);
    const L = norm(d);
    if (L < lo || L > hi) continue;
    if (dot(d, v.g) / L < 0.9) continue;
    out.push({ v, d: L });
  }
  return out;
};

/**
 * Refines a coarse centre: the radius with the most facing voters (1 mm
 * bins, 18–30 mm), then a 1 mm Hough around the centre with votes only at that
 * radius (± 1.5 mm); three rounds. Then a RANSAC + least-squares sphere through
 * the facing surface points within 3 mm of that sphere.
 */
function fitHead(
  voters: Voter[],
  cand: Candidate,
  side: 'right' | 'left',
  o: FemoralHeadOptions,
  rand: () => number,
): (FemoralHead & { votes: number }) | null {
  let c = cand.centre;
  let r = (o.radiusMinMm + o.radiusMaxMm) / 2;
  const N = 25,
    H = 12;
  for (let round = 0; round < 3; round++) {
    const hist = new Float64Array(Math.ceil(o.radiusMaxMm) + 4);
    for (const { v, d } of facing(voters, c, o.radiusMinMm - 2, o.radiusMaxMm + 2)) hist[Math.round(d)]! += v.w;
    let best = -1;
    for (let R = Math.ceil(o.radiusMinMm); R <= Math.floor(o.radiusMaxMm); R++) {
      const sc = (hist[R - 1] ?? 0) + hist[R]! + (hist[R + 1] ?? 0);
      if (sc > best) {
        best = sc;
        r = R;
      }
    }
    const acc = new Float64Array(N * N * N);
    for (const v of voters)
      for (let t = r - 1.5; t <= r + 1.5 + 1e-6; t += 0.5) {
        const q = addS(v.p, v.g, t);
        const X = Math.round(q[0] - c[0] + H),
          Y = Math.round(q[1] - c[1] + H),
          Z = Math.round(q[2] - c[2] + H);
        if (X >= 0 && Y >= 0 && Z >= 0 && X < N && Y < N && Z < N) acc[X + N * (Y + N * Z)]! += v.w;
      }
    let bv = -1;
    let bc: Vec3 = [H, H, H];
    for (let z = 1; z < N - 1; z++)
      for (let y = 1; y < N - 1; y++)
        for (let x = 1; x < N - 1; x++) {
          let sum = 0;
          for (let cz = -1; cz <= 1; cz++) for (let cy = -1; cy <= 1; cy++) for (let cx = -1; cx <= 1; cx++) sum += acc[x + cx + N * (y + cy + N * (z + cz))]!;
          if (sum > bv) {
            bv = sum;
            bc = [x, y, z];
          }
        }
    c = [c[0] + bc[0] - H, c[1] + bc[1] - H, c[2] + bc[2] - H];
  }
  if (norm(sub(c, cand.centre)) > 20) return null;
  // least-squares sphere (RANSAC over 4-point spheres) through the facing surface points near the sphere found
  const pts = facing(voters, c, r - 3, r + 3).map((x) => x.v.p);
  if (pts.length < 12) return null;
  let best: { centre: Vec3; radius: number } | null = null;
  let bestCount = 0;
  const inl = (s: { centre: Vec3; radius: number }): Vec3[] => pts.filter((p) => Math.abs(norm(sub(p, s.centre)) - s.radius) <= o.inlierMm);
  for (let it = 0; it < 300; it++) {
    const pick = new Set<number>();
    while (pick.size < 4) pick.add(Math.floor(rand() * pts.length));
    const s = fitSphere([...pick].map((i) => pts[i]!));
    if (!s || s.radius < o.radiusMinMm || s.radius > o.radiusMaxMm || norm(sub(s.centre, c)) > 6) continue;
    const n = inl(s).length;
    if (n > bestCount) {
      bestCount = n;
      best = s;
    }
  }
  let sphere = best ?? { centre: c, radius: r };
  let inliers = inl(sphere);
  if (inliers.length >= 12) {
    const refined = refineSphere(inliers, sphere);
    if (refined.radius >= o.radiusMinMm && refined.radius <= o.radiusMaxMm && norm(sub(refined.centre, c)) <= 6) sphere = refined;
    inliers = inl(sphere);
  }
  if (inliers.length < 12) return null;
  // angular coverage: share of 64 evenly spread directions (bins) holding an inlier
  const bins = sphereDirections(64);
  const hit = new Set<number>();
  for (const p of inliers) {
    const u = unit(sub(p, sphere.centre));
    let bi = 0,
      bd = -2;
    bins.forEach((b, i) => {
      const d = dot(b, u);
      if (d > bd) {
        bd = d;
        bi = i;
      }
    });
    hit.add(bi);
  }
  const inlierFraction = hit.size / bins.length;
  if (inlierFraction < o.minInlierFraction) return null;
  let ss = 0;
  for (const p of inliers) ss += (norm(sub(p, sphere.centre)) - sphere.radius) ** 2;
  return { side, centreLps: sphere.centre, radiusMm: sphere.radius, rmsMm: Math.sqrt(ss / inliers.length), inlierFraction, votes: cand.votes };
}

/**
 * Finds both femoral heads below and lateral of the S1 endplate: candidates
 * on each side, fitted, and the pair with the most votes that is nearly
 * mirror-symmetric (heights and A-P positions within 30 mm, lateral distances
 * from the S1 centre within 30 mm, 120–260 mm apart).
 * @param work the smoothed working CT (engine/spine/grid.ts)
 * @param s1Centre S1 endplate centre (LPS mm), anchoring the search boxes
 * @returns both heads, or the reason why not
 */
export function findFemoralHeads(
  work: Volume<Float32Array>,
  s1Centre: Vec3,
  opts: Partial<FemoralHeadOptions> = {},
): { right: FemoralHead; left: FemoralHead } | { reason: string } {
  const o = { ...DEFAULT_FEMORAL_HEAD_OPTIONS, ...opts };
  const rand = rng(o.seed);
  const voters = surfaceVoters(work, s1Centre, o);
  const fits = (side: 1 | -1) =>
    houghCandidates(work, voters, s1Centre, side, o)
      .map((c) => fitHead(voters, c, side === 1 ? 'left' : 'right', o, rand))
      .filter((h): h is FemoralHead & { votes: number } => h !== null);
  const rights = fits(-1);
  const lefts = fits(1);
  if (!rights.length && !lefts.length) return { reason: 'femoral heads not in the volume' };
  if (!rights.length || !lefts.length)
    return { reason: `only the ${rights.length ? 'right' : 'left'} femoral head was found in the volume (the hip axis needs both)` };
  let best: { right: FemoralHead; left: FemoralHead; score: number } | null = null;
  for (const R of rights)
    for (const L of lefts) {
      const a = R.centreLps,
        b = L.centreLps;
      const dist = norm(sub(a, b));
      const symmetric = Math.abs(a[2] - b[2]) <= 30 && Math.abs(a[1] - b[1]) <= 30 && Math.abs(s1Centre[0] - a[0] - (b[0] - s1Centre[0])) <= 30;
      if (!symmetric || dist < 120 || dist > 260) continue;
      const score = R.votes + L.votes;
      if (!best || score > best.score) {
        const { votes: _r, ...right } = R;
        const { votes: _l, ...left } = L;
        best = { right, left, score };
      }
    }
  if (!best) return { reason: 'no pair of spheres found below the sacrum makes a pair of femoral heads' };
  return { right: best.right, left: best.left };
}

/**
 * Corners of the S1 endplate in the mid-sagittal plane: from the endplate
 * centre along the plane's anterior (and posterior) direction, 3 mm inside
 * S1, the last point still labelled S1 (gaps up to 3 mm bridged), projected
 * back onto the plane.
 * @param labels vertebra label map on the grid `g`
 * @param s1Label label value of S1
 */
export function s1EndplateCorners(
  labels: Uint8Array,
  g: VolumeGeometry,
  s1Label: number,
  centre: Vec3,
  normal: Vec3,
  f: SagittalFrame,
): { anterior: Vec3 | null; posterior: Vec3 | null } {
  const n = unit(normal);
  const e = unit(addS(f.anterior, n, -dot(f.anterior, n)));
  const base = addS(centre, n, -3);
  const [nx, ny, nz] = g.dims;
  const isS1 = (p: Vec3): boolean => {
    const D = g.direction;
    const d = sub(p, g.originLps);
    const idx = [0, 1, 2].map((c) => Math.round((D[c]! * d[0] + D[3 + c]! * d[1] + D[6 + c]! * d[2]) / g.spacingMm[c]!));
    if (idx[0]! < 0 || idx[1]! < 0 || idx[2]! < 0 || idx[0]! >= nx || idx[1]! >= ny || idx[2]! >= nz) return false;
    return labels[idx[0]! + nx * (idx[1]! + ny * idx[2]!)] === s1Label;
  };
  const walk = (sign: 1 | -1): Vec3 | null => {
    let last = -1;
    for (let t = 0; t <= 60; t += 0.5) {
      if (isS1(addS(base, e, sign * t))) last = t;
      else if (last >= 0 && t - last > 3) break;
    }
    return last < 0 ? null : addS(centre, e, sign * last);
  };
  return { anterior: walk(1), posterior: walk(-1) };
}

export const NOT_MEASURED_PELVIS = (reason: string): PelvicParameters => ({ measurable: false, reason });

/**
 * The spinopelvic parameters of a characterised spine.
 * @param ct source CT (HU, LPS mm)
 * @param work smoothed working CT
 * @param labels vertebra label map on the source CT grid
 * @param vertebrae measured levels (S1 with its superior endplate; C7 for the SVA)
 * @param labelOf label value of a level name
 */
export function spinopelvicParameters(
  ct: Volume,
  work: Volume<Float32Array>,
  labels: Uint8Array,
  vertebrae: readonly VertebraMeasurement[],
  labelOf: (name: string) => number,
  opts: Partial<FemoralHeadOptions> = {},
): Spinopelvic {
  const S1 = vertebrae.find((v) => v.name === 'S1');
  const C7 = vertebrae.find((v) => v.name === 'C7');
  const plane = S1?.superiorEndplate ?? null;
  let pelvic: PelvicParameters;
  let frame = sagittalFrame(null, null);
  let s1Endplate: S1Endplate | null = null;
  if (!plane) pelvic = NOT_MEASURED_PELVIS(S1 ? 'the superior endplate of S1 was not measured' : 'S1 not in the volume (or not found)');
  else {
    const heads = findFemoralHeads(work, plane.point, opts);
    if ('right' in heads) frame = sagittalFrame(heads.right.centreLps, heads.left.centreLps);
    const corners = s1EndplateCorners(labels, ct, labelOf('S1'), plane.point, plane.normal, frame);
    // the endplate centre: midpoint of the corners (standard), else the centroid of the plane fit's edge points
    const centre: Vec3 =
      corners.anterior && corners.posterior
        ? [(corners.anterior[0] + corners.posterior[0]) / 2, (corners.anterior[1] + corners.posterior[1]) / 2, (corners.anterior[2] + corners.posterior[2]) / 2]
        : plane.point;
    s1Endplate = { centreLps: centre, normal: plane.normal, anteriorCornerLps: corners.anterior, posteriorCornerLps: corners.posterior };
    if ('reason' in heads) pelvic = NOT_MEASURED_PELVIS(heads.reason);
    else {
      const hipAxisLps: Vec3 = [
        (heads.right.centreLps[0] + heads.left.centreLps[0]) / 2,
        (heads.right.centreLps[1] + heads.left.centreLps[1]) / 2,
        (heads.right.centreLps[2] + heads.left.centreLps[2]) / 2,
      ];
      pelvic = { measurable: true, ...pelvicAngles(hipAxisLps, centre, plane.normal, frame), femoralHeads: heads, hipAxisLps };
    }
  }
  let sva: SagittalVerticalAxis;
  if (!C7?.bodyCentroidLps) sva = { measurable: false, reason: 'not measurable: C7 not in the volume' };
  else if (!s1Endplate?.posteriorCornerLps) sva = { measurable: false, reason: 'not measurable: the posterosuperior corner of S1 was not found' };
  else
    sva = {
      measurable: true,
      svaMm: sagittalVerticalAxisMm(C7.bodyCentroidLps, s1Endplate.posteriorCornerLps, frame),
      c7CentroidLps: C7.bodyCentroidLps,
      s1PosteriorSuperiorLps: s1Endplate.posteriorCornerLps,
    };
  return {
    pelvic,
    sva,
    s1Endplate,
    frame: { anterior: frame.anterior, superior: frame.superior },
    reference: REFERENCE_TEXT,
    method: METHOD_TEXT,
    validation: VALIDATION_TEXT,
    handAgreementDeg: { ...HAND_AGREEMENT_DEG },
  };
}
