/**
 * Pivot calibration of a tracked stylus: the tip offset in the stylus
 * marker's frame from poses recorded while the tip rests in a divot and the
 * stylus is pivoted about it. Each pose (R_i, t_i) satisfies
 * R_i·p_tip + t_i = p_pivot, stacked as [R_i  −I]·[p_tip; p_pivot] = −t_i and
 * solved by linear least squares (the "algebraic two-step"-free formulation
 * of Yaniv, "Which pivot calibration?", SPIE Medical Imaging 2015; PLUS
 * vtkPlusPivotCalibrationAlgo), with outlier poses (slips of the tip)
 * removed iteratively.
 */
import { solveSpd, symmetricEigen } from '../../../math/rigid.js';
import type { Vec3 } from '../volume.js';

export interface PivotCalibrationResult {
  /** Tip in the stylus marker frame (mm): StylusTipToStylus translation. */
  tipInMarkerMm: Vec3;
  /** The pivot point in the reference (tracker) frame (mm). */
  pivotInReferenceMm: Vec3;
  /** RMS and maximum distance of R_i·tip + t_i from the pivot over the poses kept (mm). */
  rmsMm: number;
  maxMm: number;
  posesUsed: number;
  posesRejected: number;
  /** Largest rotation of the stylus from its mean pose (degrees): how much it was pivoted. */
  rotationRangeDeg: number;
}

export class PivotCalibrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PivotCalibrationError';
  }
}

function solve(poses: readonly (readonly number[])[], use: readonly boolean[]): { x: number[]; residuals: number[] } | null {
  const h = new Array<number>(36).fill(0);
  const g = new Array<number>(6).fill(0);
  poses.forEach((m, i) => {
    if (!use[i]) return;
    for (let r = 0; r < 3; r++) {
      // row r of [R −I], right side −t_r
      const row = [m[4 * r]!, m[4 * r + 1]!, m[4 * r + 2]!, r === 0 ? -1 : 0, r === 1 ? -1 : 0, r === 2 ? -1 : 0];
      const b = -m[4 * r + 3]!;
      for (let a = 0; a < 6; a++) {
        g[a]! += row[a]! * b;
        for (let c = 0; c < 6; c++) h[6 * a + c]! += row[a]! * row[c]!;
      }
    }
  });
  const x = solveSpd(h, g, 6);
  if (!x) return null;
  const residuals = poses.map((m) => {
    const p = [0, 1, 2].map((r) => m[4 * r]! * x[0]! + m[4 * r + 1]! * x[1]! + m[4 * r + 2]! * x[2]! + m[4 * r + 3]! - x[3 + r]!);
    return Math.hypot(p[0]!, p[1]!, p[2]!);
  });
  return { x, residuals };
}

/**
 * Pivot calibration from stylus poses.
 * @param poses row-major 4×4 StylusToReference (or StylusToTracker) poses, mm
 * @param o.outlierFactor a pose is rejected when its residual exceeds this × the RMS of the poses kept (default 3), and at least `minOutlierMm` (default 0.5 mm)
 * @returns the tip offset in the marker frame, the pivot point, residuals and counts
 * @throws PivotCalibrationError with fewer than 10 poses, or when the stylus was pivoted less than 10° (the tip is then undetermined)
 */
export function pivotCalibration(poses: readonly (readonly number[])[], o: { outlierFactor?: number; minOutlierMm?: number } = {}): PivotCalibrationResult {
  if (poses.length < 10) throw new PivotCalibrationError(`pivot calibration needs at least 10 stylus poses, got ${poses.length}`);
  const range = rotationRangeDeg(poses);
  if (range < 10)
    throw new PivotCalibrationError(`the stylus was pivoted by only ${range.toFixed(1)}° (at least 10° is needed; tilt it around the divot in all directions)`);
  const factor = o.outlierFactor ?? 3;
  const minOut = o.minOutlierMm ?? 0.5;
  const use = poses.map(() => true);
  let sol = solve(poses, use);
  for (let it = 0; it < 10 && sol; it++) {
    const kept = sol.residuals.filter((_, i) => use[i]);
    const rms = Math.sqrt(kept.reduce((s, r) => s + r * r, 0) / kept.length);
    const limit = Math.max(minOut, factor * rms);
    let changed = false;
    sol.residuals.forEach((r, i) => {
      if (use[i] && r > limit) {
        use[i] = false;
        changed = true;
      }
    });
    if (!changed) break;
    if (use.filter(Boolean).length < 10) throw new PivotCalibrationError('too many poses rejected as outliers (the tip slipped in the divot?)');
    sol = solve(poses, use);
  }
  if (!sol) throw new PivotCalibrationError('the pivot equations are singular (the stylus did not rotate)');
  const kept = sol.residuals.filter((_, i) => use[i]);
  return {
    tipInMarkerMm: [sol.x[0]!, sol.x[1]!, sol.x[2]!],
    pivotInReferenceMm: [sol.x[3]!, sol.x[4]!, sol.x[5]!],
    rmsMm: Math.sqrt(kept.reduce((s, r) => s + r * r, 0) / kept.length),
    maxMm: Math.max(...kept),
    posesUsed: kept.length,
    posesRejected: poses.length - kept.length,
    rotationRangeDeg: range,
  };
}

/** Largest angle (degrees) between any pose's rotation and the chordal mean rotation. */
function rotationRangeDeg(poses: readonly (readonly number[])[]): number {
  // chordal mean: the rotation nearest to the mean of the matrices (via the polar factor, from the eigenvectors of MᵀM)
  const mean = new Array<number>(9).fill(0);
  for (const m of poses) for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) mean[3 * r + c]! += m[4 * r + c]! / poses.length;
  const mtm = new Array<number>(9).fill(0);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let k = 0; k < 3; k++) mtm[3 * a + b]! += mean[3 * k + a]! * mean[3 * k + b]!;
  const { values, vectors } = symmetricEigen(mtm, 3);
  // R = M · V · diag(1/√λ) · Vᵀ
  const inv = new Array<number>(9).fill(0);
  for (let a = 0; a < 3; a++)
    for (let b = 0; b < 3; b++) for (let k = 0; k < 3; k++) inv[3 * a + b]! += (vectors[k]![a]! * vectors[k]![b]!) / Math.sqrt(Math.max(values[k]!, 1e-12));
  const rm = new Array<number>(9).fill(0);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let k = 0; k < 3; k++) rm[3 * a + b]! += mean[3 * a + k]! * inv[3 * k + b]!;
  let worst = 0;
  for (const m of poses) {
    // angle of Rmeanᵀ·R_i from its trace
    let tr = 0;
    for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) tr += rm[3 * k + r]! * m[4 * k + r]!;
    worst = Math.max(worst, (Math.acos(Math.max(-1, Math.min(1, (tr - 1) / 2))) * 180) / Math.PI);
  }
  return worst;
}
