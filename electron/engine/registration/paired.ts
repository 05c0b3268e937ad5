/**
 * Paired-point rigid registration with the checks a user-facing tool needs:
 * Horn's closed-form absolute orientation (`fitRigidPaired`, as
 * vtkLandmarkTransform in rigid-body mode; Horn, JOSA A 4(4) 1987), the
 * fiducial registration error per pair, a leave-one-out error (closer to a
 * target registration error than the FRE; Fitzpatrick, West & Maurer, IEEE
 * TMI 17(5) 1998), and the worst pair removed while it lies beyond 3× the
 * RMS of the others (with 5 pairs or more). Used for the camera ↔ tracker
 * calibration from touched fiducials and the 3-point coarse alignment of the
 * skin registration.
 */
import { applyPoint, fitRigidPaired, symmetricEigen, type Mat4 } from '../../../math/rigid.js';

export interface PairedPointFit {
  /** from → to, row-major 4×4 (mm). */
  transform: Mat4;
  /** Fiducial registration error: RMS over the pairs kept (mm), and per pair (NaN for a removed pair). */
  freRmsMm: number;
  freMm: number[];
  /** RMS over the kept pairs of each pair's distance when the fit leaves it out (mm); NaN with only 3 pairs. */
  leaveOneOutRmsMm: number;
  /** Indices of the pairs removed as outliers. */
  removed: number[];
}

const flat = (pts: readonly (readonly number[])[], keep: readonly number[]) => keep.flatMap((i) => [pts[i]![0]!, pts[i]![1]!, pts[i]![2]!]);
const dist = (T: Mat4, a: readonly number[], b: readonly number[]) => Math.hypot(...applyPoint(T, a[0]!, a[1]!, a[2]!).map((v, k) => v - b[k]!));

/**
 * Rigid transform mapping points `from` onto their partners `to`.
 * @param from points in the source frame (mm), n ≥ 3
 * @param to the same points in the target frame (mm)
 * @param o minSpreadMm: the points' second principal spread below which they count as collinear (default 5 mm); removeOutliers (default true)
 * @throws Error when the counts differ, fewer than 3 pairs are given, or the points are (nearly) collinear
 */
export function fitPairedPoints(
  from: readonly (readonly number[])[],
  to: readonly (readonly number[])[],
  o: { minSpreadMm?: number; removeOutliers?: boolean } = {},
): PairedPointFit {
  const n = from.length;
  if (n !== to.length) throw new Error(`${n} source points but ${to.length} target points`);
  if (n < 3) throw new Error(`at least 3 point pairs are needed (got ${n})`);
  const c = [0, 1, 2].map((k) => from.reduce((s, p) => s + p[k]!, 0) / n);
  const S = new Array<number>(9).fill(0);
  for (const p of from) for (let r = 0; r < 3; r++) for (let q = 0; q < 3; q++) S[3 * r + q]! += ((p[r]! - c[r]!) * (p[q]! - c[q]!)) / n;
  if (Math.sqrt(Math.max(0, symmetricEigen(S, 3).values[1]!)) < (o.minSpreadMm ?? 5))
    throw new Error('the points are (nearly) collinear: spread them out (not on one line)');
  let keep = from.map((_, i) => i);
  const removed: number[] = [];
  let T = fitRigidPaired(flat(from, keep), flat(to, keep));
  while ((o.removeOutliers ?? true) && keep.length >= 5) {
    const d = keep.map((i) => dist(T, from[i]!, to[i]!));
    const worst = d.indexOf(Math.max(...d));
    const others = d.filter((_, k) => k !== worst);
    const rmsOthers = Math.sqrt(others.reduce((s, v) => s + v * v, 0) / others.length);
    if (d[worst]! <= 3 * Math.max(rmsOthers, 0.1)) break;
    removed.push(keep[worst]!);
    keep = keep.filter((_, k) => k !== worst);
    T = fitRigidPaired(flat(from, keep), flat(to, keep));
  }
  const freMm = from.map((p, i) => (keep.includes(i) ? dist(T, p, to[i]!) : NaN));
  const freRmsMm = Math.sqrt(keep.reduce((s, i) => s + freMm[i]! ** 2, 0) / keep.length);
  let loo = NaN;
  if (keep.length > 3) {
    loo = 0;
    for (const i of keep) {
      const rest = keep.filter((j) => j !== i);
      loo += dist(fitRigidPaired(flat(from, rest), flat(to, rest)), from[i]!, to[i]!) ** 2;
    }
    loo = Math.sqrt(loo / keep.length);
  }
  return { transform: T, freRmsMm, freMm, leaveOneOutRmsMm: loo, removed };
}
