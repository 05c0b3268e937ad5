/**
 * Trunk movement from a depth camera behind the patient (issue 21 §5): the
 * back surface per frame, the trunk angles over time (thorax relative to
 * pelvis, the same definitions as the IMU's `trunkAngles.ts`), range of
 * motion, angular velocity, left/right asymmetry, and the time alignment
 * with another angle series (the IMUs of the same session).
 *
 * Frames and units
 * - Camera frame (the cloud's): mm, x right, y down, z forward (optical axis),
 *   the camera behind the patient looking at the back.
 * - Patient (neutral) frame N, ISB style as in `trunkAngles.ts`: X anterior,
 *   Y superior, Z right. Its axes in the camera frame come from `up` (the
 *   ground normal, or the camera's −y for a level camera) and `anterior`
 *   (the optical axis by default; made orthogonal to up), Z = X × Y. Seen
 *   from behind, the patient's right is the image's right.
 * - Angles in degrees, times in seconds, velocities in degrees per second.
 *
 * Method. The first frame (or the one chosen) is the neutral, upright
 * reference. Its back surface (the skin capture of `registration/cloud.ts`:
 * depth range, voxel grid, support planes removed, largest Euclidean
 * cluster, statistical outliers removed, PCA normals) is cut by height
 * along Y into a lower (lumbopelvic) patch and an upper (thoracic) patch,
 * given as fractions of the reference back's height. In every frame each
 * patch is registered rigidly to that frame's back surface by trimmed
 * point-to-plane ICP (Chen & Medioni 1992; `registration/icp.ts`), started
 * from the previous frame's result (the movement is tracked). The patches'
 * motions R_lower, R_upper (camera frame, reference → frame) give the
 * segment orientations R_cam←seg = R·M (M = the neutral frame's axes), and
 * the thorax relative to the pelvis Mᵀ·R_lowerᵀ·R_upper·M is decomposed as
 * in `trunkAnglesFromRelative` (Z-X'-Y'' Cardan; flexion +forward, lateral
 * bending +right, axial rotation +left).
 *
 * Time alignment with another series: the normalised cross-correlation of
 * the angle signals (the three angles, each made zero-mean, concatenated)
 * over lags on a grid, the other series linearly interpolated at the
 * shifted times; the lag with the highest correlation is refined by a
 * parabola through its neighbours; RMS differences after alignment.
 */
import { KdTree3 } from '../registration/kdtree.js';
import { captureSkin, type SkinCaptureParams } from '../registration/cloud.js';
import { icpPointToPlane, type IcpParams, type OrientedCloud } from '../registration/icp.js';
import { identity4 } from '../../../math/rigid.js';
import { quaternionFromMatrix, trunkAnglesFromRelative, trunkRangeOfMotion, type TrunkAnglesDeg, type TrunkRangeOfMotion } from './trunkAngles.js';

type V3 = [number, number, number];

export interface DepthMovementParams {
  /** Superior direction in the camera frame (any length): the ground normal, or [0, −1, 0] for a level camera. */
  up: V3;
  /** Roughly anterior direction in the camera frame: the optical axis [0, 0, 1] for a camera behind the patient. */
  anterior: V3;
  /** Lower (lumbopelvic) and upper (thoracic) patches: fractions [from, to] of the reference back's height along Y, 0 = lowest. */
  lowerBand: [number, number];
  upperBand: [number, number];
  /** Patches are thinned to one point per cell of this size (mm). */
  patchVoxelMm: number;
  /** The skin capture of each frame (camera frame). */
  capture: Partial<SkinCaptureParams>;
  /** Trimmed point-to-plane ICP of each patch. */
  icp: IcpParams;
}

export const DEFAULT_DEPTH_MOVEMENT: DepthMovementParams = {
  up: [0, -1, 0],
  anterior: [0, 0, 1],
  lowerBand: [0, 0.3],
  upperBand: [0.6, 1],
  patchVoxelMm: 8,
  // no support-plane removal: a flat stretch of the back passes its test (the floor goes with the person selection)
  capture: { maxPlanes: 0, voxelMm: 6 },
  icp: { iterations: 25, trim: 0.85, maxDistStartMm: 60, maxDistEndMm: 10, minNormalCos: 0.6, minRotation: 1e-5, minTranslationMm: 0.005 },
};

/** One depth frame: its time and its cloud (xyz interleaved, camera frame, mm; NaN where nothing was measured). */
export interface DepthMovementFrame {
  timeS: number;
  points: ArrayLike<number>;
}

/** The back of one frame: points and unit normals facing the camera (camera frame, mm). */
export type BackSurface = OrientedCloud;

export interface PatchFit {
  /** Reference → this frame, row-major 4×4 (camera frame, mm). */
  transform: number[];
  /** RMS point-to-plane residual of the kept pairs (mm), and the kept fraction of the patch. */
  rmsMm: number;
  keptFraction: number;
}

export interface DepthTrunkSample {
  timeS: number;
  angles: TrunkAnglesDeg;
  lower: PatchFit;
  upper: PatchFit;
  /** Points of this frame's back surface. */
  backPoints: number;
}

/** The neutral frame's axes in the camera frame, row-major 3×3 with columns X (anterior), Y (superior), Z (right). */
export function neutralAxes(up: readonly number[], anterior: readonly number[]): number[] {
  const nu = Math.hypot(up[0]!, up[1]!, up[2]!);
  if (!(nu > 0)) throw new Error('depth movement: the up direction has zero length');
  const Y = [up[0]! / nu, up[1]! / nu, up[2]! / nu];
  const d = anterior[0]! * Y[0]! + anterior[1]! * Y[1]! + anterior[2]! * Y[2]!;
  const h = [anterior[0]! - d * Y[0]!, anterior[1]! - d * Y[1]!, anterior[2]! - d * Y[2]!];
  const nh = Math.hypot(h[0]!, h[1]!, h[2]!);
  if (!(nh > 0.2 * Math.hypot(anterior[0]!, anterior[1]!, anterior[2]!)))
    throw new Error('depth movement: the anterior direction is (nearly) parallel to up; the facing direction is undefined');
  const X = [h[0]! / nh, h[1]! / nh, h[2]! / nh];
  const Z = [X[1]! * Y[2]! - X[2]! * Y[1]!, X[2]! * Y[0]! - X[0]! * Y[2]!, X[0]! * Y[1]! - X[1]! * Y[0]!];
  return [X[0]!, Y[0]!, Z[0]!, X[1]!, Y[1]!, Z[1]!, X[2]!, Y[2]!, Z[2]!];
}

/**
 * The back surface of one frame (the skin capture of `registration/cloud.ts`).
 * @param points xyz interleaved, camera frame (mm), NaN where nothing was measured
 * @throws Error naming the step that left too few points
 */
export function backSurface(points: ArrayLike<number>, capture: Partial<SkinCaptureParams> = {}): BackSurface {
  const c = captureSkin(points, capture);
  return { points: c.points, normals: c.normals };
}

/** Points of `back` whose height along Y (superior) lies in [lo, hi] (mm, camera-frame dot product), thinned to one per cell. */
function patch(back: BackSurface, Y: readonly number[], lo: number, hi: number, cellMm: number): OrientedCloud {
  const seen = new Set<string>();
  const pts: number[] = [],
    nrm: number[] = [];
  for (let i = 0; i < back.points.length / 3; i++) {
    const x = back.points[3 * i]!,
      y = back.points[3 * i + 1]!,
      z = back.points[3 * i + 2]!;
    const h = x * Y[0]! + y * Y[1]! + z * Y[2]!;
    if (h < lo || h > hi) continue;
    const key = `${Math.floor(x / cellMm)},${Math.floor(y / cellMm)},${Math.floor(z / cellMm)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    pts.push(x, y, z);
    nrm.push(back.normals[3 * i]!, back.normals[3 * i + 1]!, back.normals[3 * i + 2]!);
  }
  return { points: Float64Array.from(pts), normals: Float64Array.from(nrm) };
}

const rot3 = (T: readonly number[]): number[] => [T[0]!, T[1]!, T[2]!, T[4]!, T[5]!, T[6]!, T[8]!, T[9]!, T[10]!];
const mul3 = (a: readonly number[], b: readonly number[]): number[] => {
  const o = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) o[3 * r + c]! += a[3 * r + k]! * b[3 * k + c]!;
  return o;
};
const tr3 = (a: readonly number[]): number[] => [a[0]!, a[3]!, a[6]!, a[1]!, a[4]!, a[7]!, a[2]!, a[5]!, a[8]!];

/**
 * Tracks the trunk through a depth sequence: construct with the neutral
 * reference frame's back, then `update` with each frame's back in time order.
 */
export class DepthTrunkTracker {
  readonly axes: number[];
  readonly lowerPatch: OrientedCloud;
  readonly upperPatch: OrientedCloud;
  /** Height range of the reference back along Y (mm, camera-frame dot product). */
  readonly heightRangeMm: [number, number];
  private lastLower = identity4();
  private lastUpper = identity4();
  private readonly p: DepthMovementParams;

  /** @throws Error when a patch of the reference back has fewer than 50 points */
  constructor(reference: BackSurface, o: Partial<DepthMovementParams> = {}) {
    this.p = { ...DEFAULT_DEPTH_MOVEMENT, ...o };
    this.axes = neutralAxes(this.p.up, this.p.anterior);
    const Y = [this.axes[1]!, this.axes[4]!, this.axes[7]!];
    let lo = Infinity,
      hi = -Infinity;
    for (let i = 0; i < reference.points.length; i += 3) {
      const h = reference.points[i]! * Y[0]! + reference.points[i + 1]! * Y[1]! + reference.points[i + 2]! * Y[2]!;
      lo = Math.min(lo, h);
      hi = Math.max(hi, h);
    }
    this.heightRangeMm = [lo, hi];
    const at = (f: number): number => lo + f * (hi - lo);
    this.lowerPatch = patch(reference, Y, at(this.p.lowerBand[0]), at(this.p.lowerBand[1]), this.p.patchVoxelMm);
    this.upperPatch = patch(reference, Y, at(this.p.upperBand[0]), at(this.p.upperBand[1]), this.p.patchVoxelMm);
    for (const [name, c] of [
      ['lower', this.lowerPatch],
      ['upper', this.upperPatch],
    ] as const)
      if (c.points.length / 3 < 50)
        throw new Error(
          `depth movement: the ${name} patch of the reference back has ${c.points.length / 3} points (the back spans ${(hi - lo).toFixed(0)} mm in height)`,
        );
  }

  /** Registers both patches to `back` and returns the trunk angles of that frame. */
  update(back: BackSurface, timeS: number): DepthTrunkSample {
    const tree = new KdTree3(back.points);
    const lower = icpPointToPlane(this.lowerPatch, back, tree, this.lastLower, this.p.icp);
    const upper = icpPointToPlane(this.upperPatch, back, tree, this.lastUpper, this.p.icp);
    this.lastLower = lower.transform;
    this.lastUpper = upper.transform;
    const M = this.axes;
    const rel = mul3(tr3(M), mul3(mul3(tr3(rot3(lower.transform)), rot3(upper.transform)), M));
    const angles = trunkAnglesFromRelative(quaternionFromMatrix(rel));
    const fit = (r: typeof lower): PatchFit => ({ transform: r.transform, rmsMm: r.rmsMm, keptFraction: r.keptFraction });
    return { timeS, angles, lower: fit(lower), upper: fit(upper), backPoints: back.points.length / 3 };
  }
}

/**
 * Trunk angles of a depth sequence (frames in time order).
 * @param referenceIndex the neutral, upright frame (angles 0 by definition)
 * @throws Error naming the frame whose back could not be captured
 */
export function trunkAnglesFromDepth(frames: readonly DepthMovementFrame[], o: Partial<DepthMovementParams> = {}, referenceIndex = 0): DepthTrunkSample[] {
  if (frames.length === 0) throw new Error('depth movement: no frames');
  if (referenceIndex < 0 || referenceIndex >= frames.length) throw new Error(`depth movement: reference frame ${referenceIndex} of ${frames.length}`);
  const capture = { ...DEFAULT_DEPTH_MOVEMENT.capture, ...o.capture };
  const backOf = (k: number): BackSurface => {
    try {
      return backSurface(frames[k]!.points, capture);
    } catch (e) {
      throw new Error(`depth movement: frame ${k} (t = ${frames[k]!.timeS.toFixed(3)} s): ${(e as Error).message}`, { cause: e });
    }
  };
  const tracker = new DepthTrunkTracker(backOf(referenceIndex), o);
  return frames.map((f, k) => tracker.update(backOf(k), f.timeS));
}

/** A regular grid of the back surface in the neutral frame: anterior depth X (mm) per cell of (Z right, Y superior). */
export interface BackSurfaceGrid {
  /** Cells across (Z) and up (Y). */
  columns: number;
  rows: number;
  cellMm: number;
  /** Neutral-frame coordinates (Z, Y) of cell (0, 0)'s lower corner (mm). */
  originMm: [number, number];
  /** Mean X per cell (mm; row-major, row 0 lowest), NaN where no point fell. */
  depthMm: Float32Array;
}

/**
 * The back surface as a height map in the neutral frame (the patient's, not
 * the camera's): each point p is expressed as Mᵀ(p − originCam) and binned
 * by (Z, Y).
 * @param axes `neutralAxes(up, anterior)`; @param originCam the neutral frame's origin in the camera frame (mm)
 */
export function backSurfaceGrid(back: BackSurface, axes: readonly number[], originCam: readonly number[], cellMm = 10): BackSurfaceGrid {
  const n = back.points.length / 3;
  const q = new Float64Array(3 * n);
  let zlo = Infinity,
    zhi = -Infinity,
    ylo = Infinity,
    yhi = -Infinity;
  for (let i = 0; i < n; i++) {
    const d = [back.points[3 * i]! - originCam[0]!, back.points[3 * i + 1]! - originCam[1]!, back.points[3 * i + 2]! - originCam[2]!];
    for (let a = 0; a < 3; a++) q[3 * i + a] = axes[a]! * d[0]! + axes[3 + a]! * d[1]! + axes[6 + a]! * d[2]!;
    zlo = Math.min(zlo, q[3 * i + 2]!);
    zhi = Math.max(zhi, q[3 * i + 2]!);
    ylo = Math.min(ylo, q[3 * i + 1]!);
    yhi = Math.max(yhi, q[3 * i + 1]!);
  }
  if (n === 0) return { columns: 0, rows: 0, cellMm, originMm: [0, 0], depthMm: new Float32Array(0) };
  const z0 = Math.floor(zlo / cellMm) * cellMm,
    y0 = Math.floor(ylo / cellMm) * cellMm;
  const columns = Math.floor((zhi - z0) / cellMm) + 1,
    rows = Math.floor((yhi - y0) / cellMm) + 1;
  const sum = new Float64Array(columns * rows),
    cnt = new Uint32Array(columns * rows);
  for (let i = 0; i < n; i++) {
    const c = Math.floor((q[3 * i + 2]! - z0) / cellMm),
      r = Math.floor((q[3 * i + 1]! - y0) / cellMm);
    sum[r * columns + c]! += q[3 * i]!;
    cnt[r * columns + c]!++;
  }
  const depthMm = new Float32Array(columns * rows);
  for (let k = 0; k < depthMm.length; k++) depthMm[k] = cnt[k] ? sum[k]! / cnt[k]! : NaN;
  return { columns, rows, cellMm, originMm: [z0, y0], depthMm };
}

/** Peak angular velocities (deg/s, absolute) per angle. */
export interface PeakVelocities {
  flexion: number;
  lateralBending: number;
  axialRotation: number;
}

/** Left/right asymmetry of one angle: the peak to each side (deg, ≥ 0) and the symmetry index. */
export interface SideAsymmetry {
  rightDeg: number;
  leftDeg: number;
  /** (right − left) / ((right + left) / 2) · 100 (%); positive = more to the right; null when both are 0. */
  indexPct: number | null;
}

export interface MovementSummary {
  rangeOfMotion: TrunkRangeOfMotion;
  /** Angular velocity per sample (deg/s): central differences, one-sided at the ends. */
  velocityDegS: TrunkAnglesDeg[];
  peakVelocityDegS: PeakVelocities;
  /** Lateral bending (right = positive) and axial rotation (left = positive) to each side. */
  asymmetry: { lateralBending: SideAsymmetry; axialRotation: SideAsymmetry };
}

const KEYS = ['flexion', 'lateralBending', 'axialRotation'] as const;

/**
 * Range of motion, angular velocity, peak velocities and left/right
 * asymmetry of a trunk angle series.
 * @param timesS strictly increasing sample times (s) @param angles one per time (deg)
 * @throws Error when the lengths differ or the times do not increase
 */
export function movementSummary(timesS: readonly number[], angles: readonly TrunkAnglesDeg[]): MovementSummary {
  if (timesS.length !== angles.length) throw new Error(`movement summary: ${timesS.length} times for ${angles.length} samples`);
  for (let i = 1; i < timesS.length; i++)
    if (!(timesS[i]! > timesS[i - 1]!)) throw new Error(`movement summary: times must increase (sample ${i}: ${timesS[i]} s after ${timesS[i - 1]} s)`);
  const n = angles.length;
  const velocityDegS: TrunkAnglesDeg[] = angles.map((_, i) => {
    const a = Math.max(0, i - 1),
      b = Math.min(n - 1, i + 1);
    const dt = timesS[b]! - timesS[a]!;
    const v = { flexion: 0, lateralBending: 0, axialRotation: 0 };
    if (dt > 0) for (const k of KEYS) v[k] = (angles[b]![k] - angles[a]![k]) / dt;
    return v;
  });
  const peakVelocityDegS = { flexion: 0, lateralBending: 0, axialRotation: 0 };
  for (const v of velocityDegS) for (const k of KEYS) peakVelocityDegS[k] = Math.max(peakVelocityDegS[k], Math.abs(v[k]));
  const rangeOfMotion = trunkRangeOfMotion(angles);
  const side = (positive: number, negative: number): SideAsymmetry => {
    const m = (positive + negative) / 2;
    return { rightDeg: positive, leftDeg: negative, indexPct: m > 0 ? ((positive - negative) / m) * 100 : null };
  };
  const lat = rangeOfMotion.lateralBending,
    rot = rangeOfMotion.axialRotation;
  const pos = (v: number): number => (n ? Math.max(0, v) : 0);
  return {
    rangeOfMotion,
    velocityDegS,
    peakVelocityDegS,
    asymmetry: {
      lateralBending: side(pos(lat.max), pos(-lat.min)),
      // axial rotation: positive = to the left
      axialRotation: side(pos(-rot.min), pos(rot.max)),
    },
  };
}

/** An angle series with its times. */
export interface AngleSeries {
  timesS: readonly number[];
  angles: readonly TrunkAnglesDeg[];
}

export interface SeriesAlignment {
  /** Add to the other series' times to bring it onto the reference's clock (s): other(t − lag) ≈ reference(t). */
  lagS: number;
  /** Normalised cross-correlation at that lag (−1…1). */
  correlation: number;
  /** RMS difference per angle after alignment (deg), on the reference's samples the other covers. */
  rmsDeg: TrunkAnglesDeg;
  /** Reference samples compared. */
  samples: number;
}

/** Linear interpolation of one angle of a series at time t (NaN outside). */
export function interpAngle(s: AngleSeries, key: (typeof KEYS)[number], t: number): number {
  const T = s.timesS;
  if (T.length === 0 || t < T[0]! || t > T[T.length - 1]!) return NaN;
  let lo = 0,
    hi = T.length - 1;
  while (hi - lo > 1) {
    const m = (lo + hi) >> 1;
    if (T[m]! <= t) lo = m;
    else hi = m;
  }
  const dt = T[hi]! - T[lo]!;
  const f = dt > 0 ? (t - T[lo]!) / dt : 0;
  return s.angles[lo]![key] * (1 - f) + s.angles[hi]![key] * f;
}

/**
 * Normalised cross-correlation of the three angles of `reference` with `other` shifted by `lag` (s): each angle's
 * pairs (the reference's samples the shifted other covers, the other linearly interpolated) centred on their own
 * means, then pooled. `n` = pairs per angle; `c` NaN when either side is flat.
 */
export function lagCorrelation(reference: AngleSeries, other: AngleSeries, lag: number): { c: number; n: number } {
  const a: number[] = [],
    b: number[] = [];
  for (const k of KEYS) {
    const ra: number[] = [],
      rb: number[] = [];
    reference.timesS.forEach((t, i) => {
      const v = interpAngle(other, k, t - lag);
      if (Number.isFinite(v)) (ra.push(reference.angles[i]![k]), rb.push(v));
    });
    const ma = ra.reduce((s, v) => s + v, 0) / (ra.length || 1),
      mb = rb.reduce((s, v) => s + v, 0) / (rb.length || 1);
    ra.forEach((v, i) => (a.push(v - ma), b.push(rb[i]! - mb)));
  }
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) ((ab += a[i]! * b[i]!), (aa += a[i]! * a[i]!), (bb += b[i]! * b[i]!));
  return { c: aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : NaN, n: a.length / 3 };
}

/**
 * Time-aligns `other` (e.g. IMU trunk angles) to `reference` (e.g. the depth
 * camera's) by normalised cross-correlation of the angle signals over lags in
 * [−maxLagS, maxLagS] on a `stepS` grid, refined by a parabola, and reports
 * the RMS differences after alignment.
 * @throws Error when fewer than 3 reference samples overlap the other series at every lag, or the signals are flat
 */
export function alignAngleSeries(reference: AngleSeries, other: AngleSeries, maxLagS = 1, stepS = 0.01): SeriesAlignment {
  if (reference.timesS.length !== reference.angles.length || other.timesS.length !== other.angles.length)
    throw new Error('series alignment: times and angles differ in length');
  const score = (lag: number): { c: number; n: number } => lagCorrelation(reference, other, lag);
  const steps = Math.round(maxLagS / stepS);
  const cs: number[] = [];
  let bestK = -1;
  for (let k = -steps; k <= steps; k++) {
    const s = score(k * stepS);
    cs.push(s.n >= 3 ? s.c : NaN);
    const i = cs.length - 1;
    if (Number.isFinite(cs[i]!) && (bestK < 0 || cs[i]! > cs[bestK]!)) bestK = i;
  }
  if (bestK < 0) throw new Error('series alignment: the series do not overlap (3 samples at least) at any lag, or the angles are flat');
  let lagS = (bestK - steps) * stepS;
  const c0 = cs[bestK - 1],
    c1 = cs[bestK]!,
    c2 = cs[bestK + 1];
  if (c0 !== undefined && c2 !== undefined && Number.isFinite(c0) && Number.isFinite(c2)) {
    const den = c0 - 2 * c1 + c2;
    if (den < 0) lagS += (0.5 * (c0 - c2) * stepS) / den;
  }
  const rmsDeg = { flexion: 0, lateralBending: 0, axialRotation: 0 };
  let samples = 0;
  for (const k of KEYS) {
    let s = 0,
      m = 0;
    reference.timesS.forEach((t, i) => {
      const v = interpAngle(other, k, t - lagS);
      if (Number.isFinite(v)) ((s += (v - reference.angles[i]![k]) ** 2), m++);
    });
    rmsDeg[k] = m ? Math.sqrt(s / m) : NaN;
    samples = m;
  }
  return { lagS, correlation: score(lagS).c, rmsDeg, samples };
}
