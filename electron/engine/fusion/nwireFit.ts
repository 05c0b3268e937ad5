/**
 * N-wire geometry and the ImageToProbe fit of probe calibration (steps 3–4
 * of nwire.ts; PLUS vtkPlusProbeCalibrationAlgo):
 *
 * 3. Middle-wire points: along a line, the middle dot divides the segment
 *    between the outer dots in a ratio that is invariant under the
 *    (affine) image mapping, which locates the crossing on the diagonal wire
 *    in phantom coordinates (mm).
 * 4. ImageToProbe: linear least squares of the pixel → probe affine map,
 *    then refined to a rotation with two pixel spacings and a translation
 *    (Gauss–Newton on the 3D distances, outlier points beyond 3 σ removed);
 *    the third axis is the normal with the mean of the two spacings, as PLUS
 *    writes it.
 *
 * Matrices are row-major 4×4 (mm). Pure computation.
 */
import { applyPoint, rigidFromRotationVector, solveSpd, type Mat4 } from '../../../math/rigid.js';
import { quaternionOfMatrix } from '../../../math/poseInterp.js';
import type { Dot } from './nwireDots.js';

export interface NWire {
  name: string;
  /** End points in the phantom frame (mm). */
  front: readonly [number, number, number];
  back: readonly [number, number, number];
}

/** One middle-wire observation: the pixel of the diagonal wire's dot and that crossing in the probe frame (mm). */
export interface MiddleWirePoint {
  frame: number;
  pattern: number;
  pixel: [number, number];
  probeMm: [number, number, number];
}

/**
 * The crossing of the image plane with an N's diagonal wire, in the phantom
 * frame (mm), from its three dots (ordered as the pattern's wires).
 */
export function middleWirePhantomPoint(wires: readonly [NWire, NWire, NWire], dots: readonly [Dot, Dot, Dot]): [number, number, number] {
  const [w1, w2, w3] = wires;
  const [d1, d2, d3] = dots;
  // ratio of the middle dot along the outer dots (affine invariant)
  const ex = d3.x - d1.x;
  const ey = d3.y - d1.y;
  const s = ((d2.x - d1.x) * ex + (d2.y - d1.y) * ey) / (ex * ex + ey * ey);
  // u: unit vector ⟂ to the parallel wires, in the layer, from wire 1 to wire 3
  const dir = sub(w1.back, w1.front);
  const across = sub(w3.front, w1.front);
  const dd = dot(dir, dir);
  const u0 = across.map((v, k) => v - (dot(across, dir) / dd) * dir[k]!);
  const un = Math.hypot(...u0);
  const u = u0.map((v) => v / un);
  const c1 = dot(u, w1.front);
  const c3 = dot(u, w3.front);
  const target = c1 + s * (c3 - c1);
  const f2 = w2.front;
  const g2 = sub(w2.back, w2.front);
  const t = (target - dot(u, f2)) / dot(u, g2);
  return [f2[0] + t * g2[0]!, f2[1] + t * g2[1]!, f2[2] + t * g2[2]!];
}

const sub = (a: readonly number[], b: readonly number[]): number[] => [a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!];
const dot = (a: readonly number[], b: readonly number[]): number => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;

export class ProbeCalibrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeCalibrationError';
  }
}

/** A fitted ImageToProbe with its residuals. */
export interface Fit {
  /** Row-major 4×4, image pixels → probe mm. */
  m: Mat4;
  /** Pixel spacing along image x and y (mm/pixel). */
  spacing: [number, number];
  /** Root mean square 3D residual of the points kept (mm). */
  rms: number;
  /** 3D residual of each point kept (mm). */
  errors: number[];
  /** Points removed as beyond 3 σ. */
  outliers: number;
}

/** ImageToProbe from the parameters: rotation vector w, spacings sx, sy, translation t. */
function imageToProbeOf(x: readonly number[]): Mat4 {
  const r = rigidFromRotationVector([x[0]!, x[1]!, x[2]!]);
  const sx = x[3]!;
  const sy = x[4]!;
  const sz = (sx + sy) / 2;
  return [r[0]! * sx, r[1]! * sy, r[2]! * sz, x[5]!, r[4]! * sx, r[5]! * sy, r[6]! * sz, x[6]!, r[8]! * sx, r[9]! * sy, r[10]! * sz, x[7]!, 0, 0, 0, 1];
}

/**
 * Fits ImageToProbe to middle-wire points: linear least squares of the
 * affine pixel → probe map, then Gauss–Newton on rotation, two spacings and
 * translation with points beyond 3 σ removed (at most three rounds).
 * @throws ProbeCalibrationError when the points do not determine the map
 */
export function fitImageToProbe(points: readonly MiddleWirePoint[]): Fit {
  if (points.length < 6) throw new ProbeCalibrationError(`${points.length} middle-wire points (at least 6 are needed)`);
  // linear: probe_r = a·u + b·v + c for each row r
  const h = new Array<number>(9).fill(0);
  const g = [0, 1, 2].map(() => new Array<number>(3).fill(0));
  for (const p of points) {
    const row = [p.pixel[0], p.pixel[1], 1];
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) h[3 * a + b]! += row[a]! * row[b]!;
      for (let r = 0; r < 3; r++) g[r]![a]! += row[a]! * p.probeMm[r]!;
    }
  }
  const rows = g.map((gr) => solveSpd(h, gr, 3));
  if (rows.some((r) => !r)) throw new ProbeCalibrationError('the middle-wire pixels are collinear: the calibration is undetermined');
  const ax = [rows[0]![0]!, rows[1]![0]!, rows[2]![0]!];
  const ay = [rows[0]![1]!, rows[1]![1]!, rows[2]![1]!];
  const t0 = [rows[0]![2]!, rows[1]![2]!, rows[2]![2]!];
  // initial rotation: Gram–Schmidt of the affine columns
  const sx = Math.hypot(...ax);
  const ex = ax.map((v) => v / sx);
  const ayo = ay.map((v, k) => v - dot(ay, ex) * ex[k]!);
  const sy = Math.hypot(...ayo);
  const ey = ayo.map((v) => v / sy);
  const ez = [ex[1]! * ey[2]! - ex[2]! * ey[1]!, ex[2]! * ey[0]! - ex[0]! * ey[2]!, ex[0]! * ey[1]! - ex[1]! * ey[0]!];
  const w0 = rotationVectorOf([ex[0]!, ey[0]!, ez[0]!, ex[1]!, ey[1]!, ez[1]!, ex[2]!, ey[2]!, ez[2]!]);
  let x = [...w0, sx, Math.hypot(...ay), t0[0]!, t0[1]!, t0[2]!];
  let use = points.map(() => true);
  let outliers = 0;
  const residualsOf = (params: readonly number[]): number[][] => {
    const m = imageToProbeOf(params);
    return points.map((p) => {
      const q = applyPoint(m, p.pixel[0], p.pixel[1], 0);
      return [q[0] - p.probeMm[0], q[1] - p.probeMm[1], q[2] - p.probeMm[2]];
    });
  };
  for (let round = 0; round < 3; round++) {
    for (let it = 0; it < 30; it++) {
      const r0 = residualsOf(x);
      const H = new Array<number>(64).fill(0);
      const G = new Array<number>(8).fill(0);
      const J: number[][][] = [];
      for (let k = 0; k < 8; k++) {
        const step = k < 3 ? 1e-6 : k < 5 ? 1e-7 : 1e-4;
        const xp = [...x];
        xp[k]! += step;
        J.push(residualsOf(xp).map((r, i) => r.map((v, c) => (v - r0[i]![c]!) / step)));
      }
      points.forEach((_, i) => {
        if (!use[i]) return;
        for (let c = 0; c < 3; c++)
          for (let a = 0; a < 8; a++) {
            G[a]! -= J[a]![i]![c]! * r0[i]![c]!;
            for (let b = 0; b < 8; b++) H[8 * a + b]! += J[a]![i]![c]! * J[b]![i]![c]!;
          }
      });
      const dx = solveSpd(H, G, 8);
      if (!dx) throw new ProbeCalibrationError('the calibration fit is degenerate');
      x = x.map((v, k) => v + dx[k]!);
      if (Math.hypot(...dx.slice(0, 3)) < 1e-10 && Math.hypot(...dx.slice(5)) < 1e-7) break;
    }
    const err = residualsOf(x).map((r) => Math.hypot(r[0]!, r[1]!, r[2]!));
    const kept = err.filter((_, i) => use[i]);
    const mean = kept.reduce((s, e) => s + e, 0) / kept.length;
    const std = Math.sqrt(kept.reduce((s, e) => s + (e - mean) ** 2, 0) / kept.length);
    const next = err.map((e) => e <= mean + 3 * std);
    const removed = next.filter((k, i) => use[i] && !k).length;
    use = use.map((u, i) => u && next[i]!);
    outliers += removed;
    if (removed === 0) break;
  }
  const m = imageToProbeOf(x);
  const errors = residualsOf(x)
    .map((r) => Math.hypot(r[0]!, r[1]!, r[2]!))
    .filter((_, i) => use[i]);
  return { m, spacing: [x[3]!, x[4]!], rms: Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length), errors, outliers };
}

/** Rotation vector (axis·angle, radians) of a row-major 3×3 rotation, through its unit quaternion (Shepperd's method). */
function rotationVectorOf(r: readonly number[]): [number, number, number] {
  const [w, x, y, z] = quaternionOfMatrix([r[0]!, r[1]!, r[2]!, 0, r[3]!, r[4]!, r[5]!, 0, r[6]!, r[7]!, r[8]!, 0, 0, 0, 0, 1]);
  const sinHalf = Math.hypot(x, y, z);
  if (sinHalf < 1e-12) return [0, 0, 0];
  const angle = 2 * Math.atan2(sinHalf, w);
  return [(x / sinHalf) * angle, (y / sinHalf) * angle, (z / sinHalf) * angle];
}
