/**
 * Pedicle screw trajectories on a CT spine analysis (issue 24 §1), pure.
 *
 * STATUS (helper-screws): on the 3 mm example CT all 10 L1–L5 screws grade
 * A. At L3 right and L4 both sides no corridor within ±2 mm / ±5° of the
 * anatomical axis holds even a 4.5 mm screw (corridor radii 1.9, 1.7,
 * 1.9 mm); the search then widens to ±4 mm / ±10° (noted on the screw) and
 * finds 2.8–3.1 mm. The breach depth is measured in the screw's cross-section
 * (`crossSectionDepth`, issue 24 review): the 3D distance it replaced let the
 * pedicle's flare 1–2 mm along the axis cut a lateral breach short. A screw
 * moved laterally until its axis runs 1 mm lateral of the pedicle's lateral
 * wall (expected depth radius + 1 mm) grades C or D at 9 of the 10 L1–L5
 * screws — within 0.3 mm of the expectation where the breach is lateral at
 * L1–L4 — and B at L4 right, whose planned axis enters the pedicle only
 * 3.3 mm behind the body (its narrowest part lies in the entry allowance).
 *
 * How the axis is found, and what was tried before: (a) cross-sections'
 * connected areas perpendicular to an axis (`sweepIsthmus`) — at 3 mm the
 * pedicle joins the body and posterior elements in-plane; (b) a line through
 * the midpoints of left–right runs in coronal rows, and (c) the same over
 * every row beside the canal (weighted least squares) — at 3 mm the pedicle
 * is 2–3 voxels long and wide, the runs are pulled laterally by the body's
 * posterolateral corners and medially by the laminae, and the fitted line
 * diverged at L1, L3 and L4 (−10° to −27°). Now (d): the pedicle's CENTRE is
 * measured (the weighted centroid of the first label runs lateral of the
 * canal, 0.5–8 mm behind the posterior wall), its DIRECTION is anatomical
 * (towards the canal's centre line at the body's anterior cortex) and then
 * refined for the widest straight corridor (`refineAxis`). The transverse
 * angles are thus partly a prior: they run 5–11° above Zindrick's means at
 * L1–L3 (see the plan's resolution note).
 *
 * Input: the analysis's vertebra label map (`vertebra-labels.nrrd`, on the
 * CT's own grid) and its report (per vertebra: label, body centroid,
 * whole-vertebra centroid, endplate planes). The frames and the angle and
 * grade definitions are in capabilities/planning/contract.ts.
 *
 * Per level and side:
 * 1. The vertebra's frame; the body's posterior wall: from the body centroid
 *    along −anterior in the mid-sagittal plane to where the label ends (the
 *    canal).
 * 2. The pedicle's height: the centroid of the label behind the posterior
 *    wall on that side (1–14 mm behind it, 3–22 mm from the midline, within
 *    12 mm of the body centroid's height).
 * 3. The canal: rows along the left axis 0.5–8 mm behind the posterior wall
 *    near the pedicle's height that are empty at the midline; its centre
 *    line the median of their walls' midpoints. The pedicle's centre: the
 *    weighted centroid of each row's first label run lateral of the canal on
 *    that side (at most 16 mm of it).
 * 4. The axis: from the pedicle's centre towards the canal's centre line at
 *    the body's anterior cortex, refined (`refineAxis`) within ±2 mm and ±5°
 *    for the largest smallest centreline depth inside the label from the
 *    entry (+ one voxel) to 35 mm in front of the centre; when that corridor
 *    is narrower than the smallest screw, within ±4 mm and ±10°. The isthmus
 *    (`isthmusWidth`, across the ±2 mm / ±5° axis: an anatomical measure,
 *    whatever corridor the screw takes): the narrowest label run across the
 *    axis in the axial plane, 0.5–8 mm behind the posterior wall; its height the run along the
 *    in-plane superior axis there (label voxels as boxes: ±1 voxel).
 *    Entry where the axis leaves the label posteriorly (the posterior
 *    cortex); the body depth along the axis from the posterior wall to the
 *    anterior cortex; the planned tip at 80 % of it.
 * 5. Size: the largest catalogue diameter ≤ 80 % of the narrower of the
 *    isthmus's width and height that grades A at some catalogue length ≤
 *    entry → planned tip (the longest such); when none does, the least
 *    breach, with a note.
 * 6. Breach check (`gradeScrew`): the screw's cylindrical surface sampled
 *    every 0.5 mm along the axis and every 11.25° around it; each point's
 *    depth outside the label is its distance to the nearest voxel of the
 *    label taken as a box within the screw's cross-section through the point
 *    (`crossSectionDepth`: the image Gertzbein and Robbins measure on, not
 *    the 3D distance, which lets the pedicle's flare in front of and behind
 *    a 1–3-voxel-long isthmus cut a lateral breach short; 0 inside); the worst depth gives the
 *    Gertzbein–Robbins grade (Gertzbein & Robbins, Spine 1990;15:11–14: A no
 *    breach, B < 2 mm, C 2–4 mm, D 4–6 mm, E > 6 mm) and its direction.
 *
 * Resolution: the label map has the CT's voxels. At 3 mm spacing (the
 * example CT) a pedicle 8–15 mm wide spans 3–5 voxels; its edges are known
 * to about half a voxel each side, so a width is uncertain by about ±1.5–3 mm
 * and a breach shallower than about 1.5 mm cannot be told from the
 * voxelisation of the cortex (a screw graded A there has no surface point
 * outside the voxelised label, no more).
 */
import type { VolumeGeometry } from '../../../math/geometry.js';
import { indexToLps, lpsToIndex } from '../../../math/geometry.js';
import type { SpineReport, VertebraMeasurement } from '../../contract/spine.js';
import type { BreachCheck, BreachDirection, BreachGrade, Isthmus, ScrewCatalogue, ScrewTrajectory, Side } from '../../../capabilities/planning/contract.js';
import { BREACH_DEPTH_CAP_MM } from '../../../capabilities/planning/contract.js';

type V3 = [number, number, number];

export const SCREW_ALGORITHM_VERSION = '0.1.0';

/** A label map on a voxel grid: `data[i + nx * (j + ny * k)]`. */
export interface LabelGrid extends VolumeGeometry {
  data: ArrayLike<number>;
}

/** A vertebra's frame (unit LPS vectors) at its body centroid. */
export interface VertebraFrame {
  origin: V3;
  left: V3;
  anterior: V3;
  superior: V3;
}

const add = (a: V3, b: V3): V3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const sub = (a: readonly number[], b: readonly number[]): V3 => [a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!];
const mul = (a: V3, s: number): V3 => [a[0] * s, a[1] * s, a[2] * s];
const dot = (a: V3, b: V3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: V3): number => Math.hypot(a[0], a[1], a[2]);
const unit = (a: V3): V3 => {
  const n = norm(a);
  return n > 0 ? mul(a, 1 / n) : [0, 0, 0];
};
const deg = (r: number): number => (r * 180) / Math.PI;
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const roundV = (v: V3, d = 2): V3 => [round(v[0], d), round(v[1], d), round(v[2], d)];

/** The vertebra's frame (see capabilities/planning/contract.ts). */
export function vertebraFrame(v: VertebraMeasurement): VertebraFrame | null {
  if (!v.bodyCentroidLps) return null;
  const origin = [...v.bodyCentroidLps] as V3;
  let s: V3 = v.superiorEndplate ? ([...v.superiorEndplate.normal] as V3) : v.inferiorEndplate ? ([...v.inferiorEndplate.normal] as V3) : [0, 0, 1];
  if (s[2] < 0) s = mul(s, -1);
  s = unit(s);
  let a = sub(origin, v.centroidLps);
  if (norm(a) < 3) a = [0, -1, 0];
  a = unit(sub(a, mul(s, dot(a, s))));
  const l = unit(cross(s, a));
  return { origin, left: l, anterior: a, superior: s };
}

/** Point queries on a label map for one label. */
export class LabelQuery {
  readonly g: LabelGrid;
  readonly label: number;
  private readonly n: V3;
  private readonly s: V3;
  constructor(g: LabelGrid, label: number) {
    this.g = g;
    this.label = label;
    this.n = [...g.dims] as V3;
    this.s = [...g.spacingMm] as V3;
  }
  private at(i: number, j: number, k: number): boolean {
    const [nx, ny, nz] = this.n;
    if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) return false;
    return this.g.data[i + nx * (j + ny * k)] === this.label;
  }
  /** Whether the voxel holding the point (nearest voxel centre) has the label. */
  inside(p: V3): boolean {
    const q = lpsToIndex(this.g, p);
    return this.at(Math.round(q[0]), Math.round(q[1]), Math.round(q[2]));
  }
  /** Trilinear interpolation of the label's indicator at a point (0–1). */
  fraction(p: V3): number {
    const q = lpsToIndex(this.g, p);
    const i0 = Math.floor(q[0]),
      j0 = Math.floor(q[1]),
      k0 = Math.floor(q[2]);
    const fx = q[0] - i0,
      fy = q[1] - j0,
      fz = q[2] - k0;
    let v = 0;
    for (let dk = 0; dk < 2; dk++)
      for (let dj = 0; dj < 2; dj++)
        for (let di = 0; di < 2; di++) {
          if (!this.at(i0 + di, j0 + dj, k0 + dk)) continue;
          v += (di ? fx : 1 - fx) * (dj ? fy : 1 - fy) * (dk ? fz : 1 - fz);
        }
    return v;
  }
  /**
   * Signed distance (mm) of a point to the voxelised label's boundary, voxels taken as boxes: > 0 outside (the
   * exact distance to the nearest labelled voxel box), < 0 inside (minus the distance to the nearest unlabelled
   * box), capped at ±capMm.
   */
  signedDistance(p: V3, capMm = BREACH_DEPTH_CAP_MM): number {
    const q = lpsToIndex(this.g, p);
    const ci = Math.round(q[0]),
      cj = Math.round(q[1]),
      ck = Math.round(q[2]);
    const inside = this.at(ci, cj, ck);
    const [sx, sy, sz] = this.s;
    const wi = Math.ceil(capMm / sx),
      wj = Math.ceil(capMm / sy),
      wk = Math.ceil(capMm / sz);
    let best = capMm * capMm;
    for (let k = ck - wk; k <= ck + wk; k++) {
      const dz = Math.max(0, Math.abs(q[2] - k) - 0.5) * sz;
      if (dz * dz >= best) continue;
      for (let j = cj - wj; j <= cj + wj; j++) {
        const dy = Math.max(0, Math.abs(q[1] - j) - 0.5) * sy;
        const dyz = dy * dy + dz * dz;
        if (dyz >= best) continue;
        for (let i = ci - wi; i <= ci + wi; i++) {
          if (this.at(i, j, k) === inside) continue;
          const dx = Math.max(0, Math.abs(q[0] - i) - 0.5) * sx;
          const d2 = dx * dx + dyz;
          if (d2 < best) best = d2;
        }
      }
    }
    return inside ? -Math.sqrt(best) : Math.sqrt(best);
  }
  /**
   * Distance (mm) from the centre of voxel (i, j, k) to the nearest labelled voxel centre (0 on the label) —
   * what `scipy.ndimage.distance_transform_edt(~mask, sampling=spacing)` gives; capped at capMm.
   */
  centreDistance(i: number, j: number, k: number, capMm = 20): number {
    if (this.at(i, j, k)) return 0;
    const [sx, sy, sz] = this.s;
    const wi = Math.ceil(capMm / sx),
      wj = Math.ceil(capMm / sy),
      wk = Math.ceil(capMm / sz);
    let best = capMm * capMm;
    for (let c = k - wk; c <= k + wk; c++)
      for (let b = j - wj; b <= j + wj; b++)
        for (let a = i - wi; a <= i + wi; a++) {
          if (!this.at(a, b, c)) continue;
          const d2 = ((a - i) * sx) ** 2 + ((b - j) * sy) ** 2 + ((c - k) * sz) ** 2;
          if (d2 < best) best = d2;
        }
    return Math.sqrt(best);
  }
}

/** Gertzbein–Robbins grade of a breach depth (mm). */
export function gertzbeinRobbins(breachMm: number): BreachGrade {
  if (breachMm <= 0) return 'A';
  if (breachMm < 2) return 'B';
  if (breachMm < 4) return 'C';
  if (breachMm < 6) return 'D';
  return 'E';
}

export interface ScrewSurfaceSample {
  /** LPS mm. */
  pointLps: V3;
  /** Gertzbein–Robbins depth outside the label (mm, 0 inside): the distance to the label within the screw's cross-section through the point (`crossSectionDepth`). */
  breachMm: number;
  /** Signed 3D distance to the label's boundary (mm, > 0 outside): a lower bound of `breachMm`. */
  signedMm: number;
}

/**
 * Depth (mm) of a point outside the label as Gertzbein & Robbins grade it: on the image perpendicular to the screw
 * (the axial image for a medial or lateral breach, the sagittal or coronal reformat for a superior or inferior one),
 * the distance from the screw's edge to the bone — here the distance from `p` to the nearest labelled voxel (voxels as
 * boxes) within the plane through `p` perpendicular to the screw axis `d`; 0 inside, capped at `capMm`. Searched on
 * rings 0.2 mm apart (a ray every ≤ 0.25 mm of arc), every ray that hits on the first ring with a hit refined by
 * bisection, the nearest kept: the depth is exact to about 0.05 mm of the box union's section (never less than the 3D distance `signedDistance`).
 *
 * Why not the 3D distance: at 3 mm voxels a pedicle is 1–3 voxels long, so for a point beside its narrowest section
 * the nearest bone is often the wider section just in front or behind it (its flare into the body and the lamina),
 * not the wall in the point's own cross-section; the 3D distance then understates a lateral breach by up to a voxel
 * (tests/integration/pedicleScrews.test.ts measures it on the example CT; engine/planning/pedicleScrews.test.ts on
 * an hourglass phantom whose answer is known).
 */
export function crossSectionDepth(q: LabelQuery, p: V3, d: V3, capMm = BREACH_DEPTH_CAP_MM): number {
  if (q.inside(p)) return 0;
  const helper: V3 = Math.abs(d[2]) < 0.9 ? [0, 0, 1] : [1, 0, 0];
  const e1 = unit(cross(d, helper));
  const e2 = cross(d, e1);
  const step = 0.2;
  for (let ring = 1; ring * step <= capMm + 1e-9; ring++) {
    const r = ring * step;
    const n = Math.max(16, Math.ceil((2 * Math.PI * r) / 0.25));
    let best = Infinity;
    for (let a = 0; a < n; a++) {
      const th = (2 * Math.PI * a) / n;
      const u = add(mul(e1, Math.cos(th)), mul(e2, Math.sin(th)));
      if (!q.inside(add(p, mul(u, r)))) continue;
      // every ray that hits on the first ring that hits, each refined by bisection: the nearest is the depth
      let lo = r - step,
        hi = r;
      while (hi - lo > 0.01) {
        const m = (lo + hi) / 2;
        if (q.inside(add(p, mul(u, m)))) hi = m;
        else lo = m;
      }
      best = Math.min(best, hi);
    }
    if (best < Infinity) return best;
  }
  return capMm;
}

/** Where the breach check samples a screw's surface: every `axialStepMm` along the axis, `around` points per ring. */
export function screwSurfacePoints(entry: V3, target: V3, diameterMm: number, o: { axialStepMm?: number; around?: number; fromMm?: number } = {}): V3[] {
  const axis = sub(target, entry);
  const len = norm(axis);
  const d = unit(axis);
  const helper: V3 = Math.abs(d[2]) < 0.9 ? [0, 0, 1] : [1, 0, 0];
  const e1 = unit(cross(d, helper));
  const e2 = cross(d, e1);
  const r = diameterMm / 2;
  const step = o.axialStepMm ?? 0.5;
  const around = o.around ?? 32;
  const pts: V3[] = [];
  for (let t = o.fromMm ?? 0; t <= len + 1e-9; t += step) {
    const c = add(entry, mul(d, t));
    for (let a = 0; a < around; a++) {
      const th = (2 * Math.PI * a) / around;
      pts.push(add(c, add(mul(e1, r * Math.cos(th)), mul(e2, r * Math.sin(th)))));
    }
  }
  pts.push(target);
  return pts;
}

/** The first millimetres of a screw (entering the posterior cortex obliquely) left out of the breach check. */
export function entryAllowanceMm(g: VolumeGeometry, diameterMm: number): number {
  return Math.max(diameterMm / 2, Math.max(...g.spacingMm));
}

/**
 * Breach check of a screw from `entry` to `target` (its tip) with the given diameter on the vertebra's label:
 * the grade, the worst depth outside the label and its direction in the vertebra's frame.
 */
export function gradeScrew(
  q: LabelQuery,
  frame: VertebraFrame,
  side: Side,
  entry: V3,
  target: V3,
  diameterMm: number,
): BreachCheck & { points: ScrewSurfaceSample[] } {
  const allowance = entryAllowanceMm(q.g, diameterMm);
  const pts = screwSurfacePoints(entry, target, diameterMm, { fromMm: allowance });
  const d = unit(sub(target, entry));
  let worst = 0;
  let worstP: V3 | null = null;
  let clearance = Infinity;
  let outside = 0;
  const samples: ScrewSurfaceSample[] = [];
  for (const p of pts) {
    const sd = q.signedDistance(p);
    const b = sd > 0 ? Math.max(sd, crossSectionDepth(q, p, d)) : 0;
    samples.push({ pointLps: p, breachMm: b, signedMm: sd });
    if (sd > 0) {
      outside++;
      if (b > worst) {
        worst = b;
        worstP = p;
      }
    } else clearance = Math.min(clearance, -sd);
  }
  let direction: BreachDirection | null = null;
  if (worstP) {
    const along = dot(sub(worstP, entry), d);
    const radial = sub(worstP, add(entry, mul(d, along)));
    const lat = dot(radial, frame.left) * (side === 'left' ? 1 : -1);
    const sup = dot(radial, frame.superior);
    direction = Math.abs(lat) >= Math.abs(sup) ? (lat > 0 ? 'lateral' : 'medial') : sup > 0 ? 'superior' : 'inferior';
  }
  return {
    grade: gertzbeinRobbins(worst),
    worstBreachMm: round(worst),
    direction,
    worstPointLps: worstP ? roundV(worstP) : null,
    minClearanceMm: Number.isFinite(clearance) ? round(clearance) : 0,
    samples: pts.length,
    outside,
    entryAllowanceMm: round(allowance),
    points: samples,
  };
}

/** Transverse and sagittal angles (degrees) of a screw axis in a vertebra's frame (definitions in the contract). */
export function screwAngles(frame: VertebraFrame, side: Side, entry: V3, target: V3): { transverseAngleDeg: number; sagittalAngleDeg: number } {
  const d = unit(sub(target, entry));
  const a = dot(d, frame.anterior);
  const medial = dot(d, frame.left) * (side === 'left' ? -1 : 1);
  const up = dot(d, frame.superior);
  return { transverseAngleDeg: round(deg(Math.atan2(medial, a)), 1), sagittalAngleDeg: round(deg(Math.atan2(up, a)), 1) };
}

interface Section {
  t: number;
  centre: V3;
  areaMm2: number;
  widthMm: number;
  heightMm: number;
  truncated: boolean;
}

/** A CT (HU) on its grid: `data[i + nx * (j + ny * k)]`. */
export interface HuGrid extends VolumeGeometry {
  data: ArrayLike<number>;
}

/** Trilinear HU at a point (edge voxels repeated outside the grid). */
export function huAt(ct: HuGrid, p: V3): number {
  const q = lpsToIndex(ct, p);
  const [nx, ny, nz] = ct.dims;
  const cl = (x: number, n: number): number => Math.min(n - 1, Math.max(0, x));
  const i0 = Math.floor(q[0]),
    j0 = Math.floor(q[1]),
    k0 = Math.floor(q[2]);
  const fx = q[0] - i0,
    fy = q[1] - j0,
    fz = q[2] - k0;
  let v = 0;
  for (let dk = 0; dk < 2; dk++)
    for (let dj = 0; dj < 2; dj++)
      for (let di = 0; di < 2; di++) {
        const w = (di ? fx : 1 - fx) * (dj ? fy : 1 - fy) * (dk ? fz : 1 - fz);
        if (w) v += w * ct.data[cl(i0 + di, nx) + nx * (cl(j0 + dj, ny) + ny * cl(k0 + dk, nz))]!;
      }
  return v;
}

/**
 * Full width at half maximum (mm) of the bone across `c` along `e`: the peak HU within the label's run, the
 * background the mean HU 3 mm beyond the run's ends (clamped to −100…100 HU: fat, muscle, CSF), the edges where the
 * profile first falls below their mean walking out from the centre (linear interpolation). Sub-voxel, unlike the
 * label's run, which takes in every partial-volume voxel ≥ 100 HU.
 */
export function fwhmAcross(ct: HuGrid, c: V3, e: V3, run: [number, number], step = 0.25): number {
  let peak = -Infinity;
  for (let t = run[0]; t <= run[1]; t += step) peak = Math.max(peak, huAt(ct, add(c, mul(e, t))));
  const bg = Math.min(100, Math.max(-100, (huAt(ct, add(c, mul(e, run[0] - 3))) + huAt(ct, add(c, mul(e, run[1] + 3)))) / 2));
  const thr = (peak + bg) / 2;
  // walk in from 3 mm beyond the run's end to the first sample at or above the threshold (the outer edge: the
  // cancellous inside may lie below the cortex's half maximum)
  const edge = (end: number, sgn: number): number => {
    let prev = huAt(ct, add(c, mul(e, end + sgn * 3)));
    for (let t = end + sgn * (3 - step); sgn * t >= 0; t -= sgn * step) {
      const v = huAt(ct, add(c, mul(e, t)));
      if (v >= thr) return Math.abs(t + (sgn * step * (v - thr)) / Math.max(1e-9, v - prev));
      prev = v;
    }
    return 0;
  };
  return edge(run[1], 1) + edge(run[0], -1);
}

/** The inside run (mm, from − to +) through `c` along the unit vector `e`, or null when `c` is outside (trilinear indicator ≥ 0.5). */
function runThrough(q: LabelQuery, c: V3, e: V3, maxMm = 20, step = 0.25): [number, number] | null {
  if (q.fraction(c) < 0.5) return null;
  let hi = 0,
    lo = 0;
  while (hi < maxMm && q.fraction(add(c, mul(e, hi + step))) >= 0.5) hi += step;
  while (lo < maxMm && q.fraction(add(c, mul(e, -(lo + step)))) >= 0.5) lo += step;
  return [-lo, hi];
}

/**
 * The pedicle's cross-section in the plane through `c` perpendicular to `d`: its extent along the vertebra's left
 * axis (made perpendicular to `d`) and along the in-plane superior axis, each the inside run through the section's
 * centre (found by alternating the two runs' midpoints, starting at the inside point nearest the axis within 4 mm).
 * Runs rather than the section's area: in-plane the pedicle joins the body and the posterior elements, so the
 * connected area is not the pedicle's.
 */
export function crossSection(q: LabelQuery, frame: VertebraFrame, c: V3, d: V3, t: number, ct: HuGrid | null = null): Section | null {
  let e1 = sub(frame.left, mul(d, dot(frame.left, d)));
  if (norm(e1) < 1e-6) e1 = cross(d, frame.superior);
  e1 = unit(e1);
  const e2 = cross(d, e1);
  let p: V3 | null = null;
  for (let r = 0; r <= 4 && !p; r += 0.5)
    for (let a = 0; a < (r ? 16 : 1) && !p; a++) {
      const th = (2 * Math.PI * a) / 16;
      const x = add(c, add(mul(e1, r * Math.cos(th)), mul(e2, r * Math.sin(th))));
      if (q.fraction(x) >= 0.5) p = x;
    }
  if (!p) return null;
  for (let it = 0; it < 3; it++) {
    const rw = runThrough(q, p, e1);
    if (!rw) return null;
    p = add(p, mul(e1, (rw[0] + rw[1]) / 2));
    const rh = runThrough(q, p, e2);
    if (!rh) return null;
    p = add(p, mul(e2, (rh[0] + rh[1]) / 2));
  }
  // the runs again about the final centre; the widths from the CT's half-maximum edges when the CT is given
  const rw = runThrough(q, p, e1),
    rh = runThrough(q, p, e2);
  if (!rw || !rh) return null;
  const w = rw,
    h = rh;
  const widthMm = ct ? fwhmAcross(ct, p, e1, w) : w[1] - w[0],
    heightMm = ct ? fwhmAcross(ct, p, e2, h) : h[1] - h[0];
  return { t, centre: p, areaMm2: (Math.PI / 4) * widthMm * heightMm, widthMm, heightMm, truncated: w[1] - w[0] >= 39 || h[1] - h[0] >= 39 };
}

/** The smallest section swept from the body backwards before the sections grow again (the isthmus), with its neighbours. */
export function sweepIsthmus(q: LabelQuery, frame: VertebraFrame, c: V3, d: V3, ct: HuGrid | null): { isthmus: Section; sections: Section[] } | null {
  const sections: Section[] = [];
  let best: Section | null = null;
  for (let t = 12; t >= -22; t -= 1) {
    const s = crossSection(q, frame, add(c, mul(d, t)), d, t, ct);
    if (!s) {
      if (best) break;
      continue;
    }
    sections.push(s);
    if (s.truncated || s.widthMm < 2) continue;
    if (!best || s.widthMm < best.widthMm) best = s;
    else if (s.widthMm > best.widthMm + 6) break;
  }
  return best ? { isthmus: best, sections } : null;
}

/** Where a line from `p` along `d` leaves the label (last inside point), allowing gaps up to `gapMm`. */
function exitAlong(q: LabelQuery, p: V3, d: V3, maxMm: number, gapMm = 0): { point: V3; distanceMm: number } {
  let last = 0;
  for (let t = 0; t <= maxMm; t += 0.25) {
    if (q.inside(add(p, mul(d, t)))) last = t;
    else if (t - last > gapMm) break;
  }
  return { point: add(p, mul(d, last)), distanceMm: last };
}

/** How far in front of the pedicle's centre the corridor search looks (mm): past the planned tips of 40–55 mm screws' bone. */
const REACH = 35;

/** Rotates `v` about the unit axis `k` by `a` radians (Rodrigues). */
function rotate(v: V3, k: V3, a: number): V3 {
  const c = Math.cos(a),
    s = Math.sin(a);
  return add(add(mul(v, c), mul(cross(k, v), s)), mul(k, dot(k, v) * (1 - c)));
}

/**
 * The smallest depth inside the label (mm, negative when outside; depths capped at `capMm`) of the line `c + t d`,
 * t from `from` to `to`; stops early once it is below `stopBelow` (a search's best so far).
 */
function lineClearance(q: LabelQuery, c: V3, d: V3, from: number, to: number, step = 1, capMm = 4.5, stopBelow = -Infinity): number {
  let m = Infinity;
  for (let t = from; t <= to; t += step) {
    const sd = q.signedDistance(add(c, mul(d, t)), capMm);
    if (-sd < m) m = -sd;
    if (m < stopBelow || m < -capMm + 1e-9) break;
  }
  return m;
}

/**
 * Refines the pedicle axis: within ±2 mm of its centre (perpendicular to it) and ±5° in the transverse and sagittal
 * planes, the line with the largest smallest depth inside the label from 3 mm behind the centre to 25 mm in front
 * of it (the widest bone corridor through the pedicle into the body); coarse (1 mm, 2.5°) then fine (0.5 mm, 1.25°);
 * ties go to the smaller change.
 */
export interface AxisSearch {
  /** Offsets of the centre perpendicular to the axis: ±offsetMm in steps of offsetStepMm. */
  offsetMm: number;
  offsetStepMm: number;
  /** Rotations about the vertebra's superior axis (degrees, positive = `positive`'s sense) and about the in-plane lateral axis. */
  transverseDeg: [number, number];
  sagittalDeg: [number, number];
  angleStepDeg: number;
  /** Unit vector whose side of the axis a positive transverse rotation turns the axis to. */
  positive?: V3;
}

/**
 * The straight bone corridor through a pedicle: over centres offset perpendicular to `d0` and axes rotated from
 * it (ranges in `o`), the line with the largest smallest depth inside the label from its entry (plus the breach
 * check's entry allowance) to 30 mm in front of the centre — the widest screw that stays inside; coarse then fine
 * (half steps); ties go to the smaller change.
 */
export function refineAxis(
  q: LabelQuery,
  frame: VertebraFrame,
  c0: V3,
  d0: V3,
  o: AxisSearch = { offsetMm: 2, offsetStepMm: 1, transverseDeg: [-5, 5], sagittalDeg: [-5, 5], angleStepDeg: 2.5 },
): { centre: V3; axis: V3; clearanceMm: number } {
  const e1 = unit(cross(frame.superior, d0)); // in the axial plane, perpendicular to the axis
  const e2 = unit(cross(d0, e1));
  const rad = Math.PI / 180;
  const allowance = Math.max(...q.g.spacingMm);
  const sense = o.positive && dot(cross(frame.superior, d0), o.positive) < 0 ? -1 : 1;
  const dir = (a: number, b: number): V3 => unit(rotate(rotate(d0, frame.superior, sense * a * rad), e1, b * rad));
  let best = { x: 0, y: 0, a: 0, b: 0, score: -Infinity, clr: -Infinity };
  const inRange = (x: number, y: number, a: number, b: number): boolean =>
    Math.abs(x) <= o.offsetMm + 1e-9 &&
    Math.abs(y) <= o.offsetMm + 1e-9 &&
    a >= o.transverseDeg[0] - 1e-9 &&
    a <= o.transverseDeg[1] + 1e-9 &&
    b >= o.sagittalDeg[0] - 1e-9 &&
    b <= o.sagittalDeg[1] + 1e-9;
  const evalAt = (x: number, y: number, a: number, b: number): void => {
    if (!inRange(x, y, a, b)) return;
    const c = add(c0, add(mul(e1, x), mul(e2, y)));
    const d = dir(a, b);
    // from the entry (where the line leaves the label backwards, as `analysePedicle` sets it) plus the breach
    // check's entry allowance for the widest catalogue screws (one voxel), to REACH mm in front of the centre:
    // the centreline's smallest depth is the largest screw radius that stays inside (the depth is 1-Lipschitz)
    const back = exitAlong(q, c, mul(d, -1), 40, 0).distanceMm;
    const clr = lineClearance(q, c, d, -back + allowance, REACH, 0.5, 4.5, best.score);
    const score = clr - 0.02 * Math.hypot(x, y) - 0.002 * Math.hypot(a, b);
    if (score > best.score) best = { x, y, a, b, score, clr };
  };
  const so = o.offsetStepMm,
    sa = o.angleStepDeg;
  for (let x = -o.offsetMm; x <= o.offsetMm + 1e-9; x += so)
    for (let y = -o.offsetMm; y <= o.offsetMm + 1e-9; y += so)
      for (let a = o.transverseDeg[0]; a <= o.transverseDeg[1] + 1e-9; a += sa)
        for (let b = o.sagittalDeg[0]; b <= o.sagittalDeg[1] + 1e-9; b += sa) evalAt(x, y, a, b);
  const c = { ...best };
  for (let x = c.x - so / 2; x <= c.x + so / 2 + 1e-9; x += so / 2)
    for (let y = c.y - so / 2; y <= c.y + so / 2 + 1e-9; y += so / 2)
      for (let a = c.a - sa / 2; a <= c.a + sa / 2 + 1e-9; a += sa / 2) for (let b = c.b - sa / 2; b <= c.b + sa / 2 + 1e-9; b += sa / 2) evalAt(x, y, a, b);
  return { centre: add(c0, add(mul(e1, best.x), mul(e2, best.y))), axis: dir(best.a, best.b), clearanceMm: best.clr };
}

/**
 * The isthmus along an axis: at every 0.5 mm of the axis between 0.5 and 8 mm behind the body's posterior wall
 * (`wPost`, along the frame's anterior axis), the label's run through the axis across it in the axial plane (the
 * transverse width, label voxels as boxes by the trilinear indicator ≥ 0.5: uncertain by about one voxel); the
 * isthmus is the narrowest, its height the run along the in-plane superior axis there, its centre the run's middle.
 */
export function isthmusWidth(q: LabelQuery, frame: VertebraFrame, c: V3, d: V3, wPost: number): { centre: V3; widthMm: number; heightMm: number } {
  const e1 = unit(cross(frame.superior, d));
  const e2 = unit(cross(d, e1));
  const dw = dot(d, frame.anterior);
  const w0 = dot(sub(c, frame.origin), frame.anterior);
  let best: { centre: V3; widthMm: number; heightMm: number } | null = null;
  for (let w = wPost - 8; w <= wPost - 0.5; w += 0.5) {
    const p = add(c, mul(d, (w - w0) / dw));
    const rw = runThrough(q, p, e1, 30);
    if (!rw) continue;
    const m = add(p, mul(e1, (rw[0] + rw[1]) / 2));
    const rh = runThrough(q, m, e2, 30);
    const width = rw[1] - rw[0];
    if (!best || width < best.widthMm) best = { centre: m, widthMm: width, heightMm: rh ? rh[1] - rh[0] : 0 };
  }
  return best ?? { centre: c, widthMm: 0, heightMm: 0 };
}

export interface PedicleAnalysis {
  frame: VertebraFrame;
  isthmus: Isthmus;
  axis: V3;
  entry: V3;
  /** Where the axis crosses the body's posterior wall, and leaves its anterior cortex. */
  posteriorWall: V3;
  anteriorCortex: V3;
  bodyDepthAlongAxisMm: number;
  /** The refined corridor's smallest centreline depth inside the label from the entry (+ allowance) on: the largest screw radius that stays inside. */
  corridorRadiusMm: number;
  /** Whether the search had to go beyond ±2 mm / ±5° (to ±4 mm / ±10°) to find a corridor of `minCorridorMm`. */
  widened: boolean;
  /** The planned tip: 80 % of the body depth along the axis. */
  plannedTip: V3;
}

/** The pedicle of a vertebra on one side: isthmus, axis, entry, body depth along the axis (see the file comment). */
export function analysePedicle(
  q: LabelQuery,
  v: VertebraMeasurement,
  side: Side,
  _ct: HuGrid | null = null,
  minCorridorMm = 2.25,
): PedicleAnalysis | { reason: string } {
  const frame = vertebraFrame(v);
  if (!frame) return { reason: 'no vertebral body in view' };
  const sgn = side === 'left' ? 1 : -1;
  // the body's posterior wall in the mid-sagittal plane
  const back = exitAlong(q, frame.origin, mul(frame.anterior, -1), 60, 1);
  const wPost = -back.distanceMm;
  // first axis: centroid of the label just behind the posterior wall on this side → body centroid
  const g = q.g;
  const [nx, ny, nz] = g.dims;
  const lo = lpsToIndex(g, frame.origin);
  const reach = Math.ceil(45 / Math.min(...g.spacingMm));
  let cnt = 0;
  let acc: V3 = [0, 0, 0];
  for (let k = Math.max(0, Math.round(lo[2]) - reach); k < Math.min(nz, Math.round(lo[2]) + reach); k++)
    for (let j = Math.max(0, Math.round(lo[1]) - reach); j < Math.min(ny, Math.round(lo[1]) + reach); j++)
      for (let i = Math.max(0, Math.round(lo[0]) - reach); i < Math.min(nx, Math.round(lo[0]) + reach); i++) {
        if (g.data[i + nx * (j + ny * k)] !== q.label) continue;
        const p = indexToLps(g, [i, j, k]) as V3;
        const r = sub(p, frame.origin);
        const w = dot(r, frame.anterior),
          u = dot(r, frame.left) * sgn,
          h = dot(r, frame.superior);
        if (w > wPost - 1 || w < wPost - 14 || u < 3 || u > 22 || Math.abs(h) > 12) continue;
        acc = add(acc, p);
        cnt++;
      }
  if (cnt < 3) return { reason: 'no pedicle found behind the body on this side' };
  const hPed = dot(sub(mul(acc, 1 / cnt), frame.origin), frame.superior);
  // At 3 mm the pedicle is 2–3 voxels long and wide: its direction cannot be read off its voxels (the runs beside
  // the canal are pulled laterally by the body's posterolateral corners and medially by the laminae — a fitted line
  // diverges at several levels). So: its centre is measured, its direction is the anatomical one — from the
  // pedicle's centre towards the vertebra's midline (the canal's centre line) at the body's anterior cortex — and
  // then refined for the widest bone corridor within ±2 mm and ±5° (`refineAxis`).
  const at = (w: number, u: number, h: number): V3 => add(frame.origin, add(mul(frame.anterior, w), add(mul(frame.left, u), mul(frame.superior, h))));
  const inL = (w: number, u: number, h: number): boolean => q.fraction(at(w, u, h)) >= 0.5;
  // the canal: rows 0.5–8 mm behind the posterior wall, near the pedicle's height, empty at the frame's midline;
  // its walls the first label either side (u along the frame's left axis, not signed by side)
  const canalMid: number[] = [];
  for (let w = wPost - 0.5; w >= wPost - 8; w -= 1)
    for (let h = hPed - 6; h <= hPed + 6; h += 1) {
      if (inL(w, 0, h)) continue;
      let uL = 0,
        uR = 0;
      while (uL < 25 && !inL(w, uL + 0.5, h)) uL += 0.5;
      while (uR > -25 && !inL(w, uR - 0.5, h)) uR -= 0.5;
      if (uL >= 25 || uR <= -25) continue;
      canalMid.push((uL + uR) / 2);
    }
  if (canalMid.length < 4) return { reason: 'no spinal canal found behind the body' };
  canalMid.sort((x, y) => x - y);
  const uc = canalMid[Math.floor(canalMid.length / 2)]!;
  // the pedicle: in the same rows, the first run of label lateral of the canal on this side (at most 16 mm of it:
  // not the transverse process); its centre the runs' weighted centroid
  const ped: { w: number; u: number; h: number; wt: number }[] = [];
  for (let w = wPost - 0.5; w >= wPost - 8; w -= 1)
    for (let h = hPed - 8; h <= hPed + 8; h += 1) {
      if (inL(w, uc, h)) continue;
      let u1 = uc;
      while (Math.abs(u1 - uc) < 25 && !inL(w, u1 + sgn * 0.5, h)) u1 += sgn * 0.5;
      if (Math.abs(u1 - uc) >= 25) continue;
      u1 += sgn * 0.5;
      let u2 = u1;
      while (Math.abs(u2 - u1) < 16 && inL(w, u2 + sgn * 0.5, h)) u2 += sgn * 0.5;
      ped.push({ w, u: (u1 + u2) / 2, h, wt: Math.abs(u2 - u1) + 0.5 });
    }
  if (ped.length < 6) return { reason: 'too few pedicle rows beside the canal on this side' };
  const W = ped.reduce((x, r) => x + r.wt, 0);
  const mw = ped.reduce((x, r) => x + r.wt * r.w, 0) / W,
    mu = ped.reduce((x, r) => x + r.wt * r.u, 0) / W,
    mh = ped.reduce((x, r) => x + r.wt * r.h, 0) / W;
  const c0 = at(mw, mu, mh);
  const antMid = exitAlong(q, at(0, uc, 0), frame.anterior, 60, 3).distanceMm;
  const d0 = unit(sub(at(antMid, uc, mh), c0));
  const anatomical = refineAxis(q, frame, c0, d0);
  let best = anatomical;
  // the anatomical direction is a prior: when no corridor within ±2 mm / ±5° of it holds the smallest screw, the
  // search widens to ±4 mm / ±10° (said in the screw's notes)
  let widened = false;
  if (best.clearanceMm < minCorridorMm) {
    const wide = refineAxis(q, frame, c0, d0, { offsetMm: 4, offsetStepMm: 2, transverseDeg: [-10, 10], sagittalDeg: [-10, 10], angleStepDeg: 2.5 });
    if (wide.clearanceMm > best.clearanceMm) {
      best = wide;
      widened = true;
    }
  }
  const d = best.axis;
  const centre0 = best.centre;
  // the pedicle's width and height across the anatomical axis (an anatomical measure, whatever corridor the screw takes)
  const wid = isthmusWidth(q, frame, anatomical.centre, anatomical.axis, wPost);
  // the trajectory stays on the refined corridor; the isthmus's centre (the middle of its narrowest run) is reported
  const centre = centre0;
  const isth = { centre: wid.centre, widthMm: wid.widthMm, heightMm: wid.heightMm, areaMm2: (Math.PI / 4) * wid.widthMm * wid.heightMm };
  const entry = exitAlong(q, centre, mul(d, -1), 60, 0).point;
  const ant = exitAlong(q, centre, d, 90, 3).point;
  // the axis crosses the posterior wall's coronal plane (w = wPost) at …
  const wOf = (p: V3): number => dot(sub(p, frame.origin), frame.anterior);
  const dw = dot(d, frame.anterior);
  const tWall = dw > 1e-6 ? (wPost - wOf(centre)) / dw : 0;
  const posteriorWall = add(centre, mul(d, Math.max(0, tWall)));
  const bodyDepth = Math.max(0, dot(sub(ant, posteriorWall), d));
  const plannedTip = add(posteriorWall, mul(d, 0.8 * bodyDepth));
  return {
    frame,
    isthmus: { centreLps: roundV(isth.centre), widthMm: round(isth.widthMm, 1), heightMm: round(isth.heightMm, 1), areaMm2: round(isth.areaMm2, 1) },
    axis: d,
    entry,
    posteriorWall,
    anteriorCortex: ant,
    bodyDepthAlongAxisMm: bodyDepth,
    corridorRadiusMm: best.clearanceMm,
    widened,
    plannedTip,
  };
}

const PLANNED_LEVEL = /^(T([1-9]|1[0-3])|L[1-6])$/;

export interface ScrewProposal {
  screws: ScrewTrajectory[];
  skipped: { level: string; side: Side | null; reason: string }[];
  resolution: string;
  timingsMs: Record<string, number>;
}

/** What the grid resolves (said with every plan). */
export function resolutionNote(g: VolumeGeometry): string {
  const s = g.spacingMm.map((x) => round(x, 2));
  const m = Math.max(...g.spacingMm);
  return (
    `label map voxels ${s.join(' × ')} mm: pedicle widths and heights are label runs (voxels as boxes), uncertain by about one voxel ` +
    `(±${round(m, 1)} mm); a breach shallower than about ${round(m / 2, 1)} mm cannot be told from the voxelised cortex; ` +
    `the pedicle spans only ${Math.max(1, Math.round(10 / m))}–${Math.max(2, Math.round(15 / m))} voxels, too few to read its direction, so each axis ` +
    `is anatomical (from the measured pedicle centre towards the canal's centre line at the body's anterior cortex) refined within ` +
    `±2 mm / ±5° for the widest bone corridor (±4 mm / ±10° where that holds no screw: noted on the screw)`
  );
}

/** The automatic screw plan: per thoracic/lumbar level with a body in view and each side. */
export function proposeScrews(labels: LabelGrid, ct: HuGrid | null, report: SpineReport, catalogue: ScrewCatalogue): ScrewProposal {
  const t0 = performance.now();
  const screws: ScrewTrajectory[] = [];
  const skipped: ScrewProposal['skipped'] = [];
  const diameters = [...catalogue.diametersMm].sort((a, b) => b - a);
  const lengths = [...catalogue.lengthsMm].sort((a, b) => b - a);
  for (const v of report.vertebrae) {
    if (!PLANNED_LEVEL.test(v.name)) {
      skipped.push({ level: v.name, side: null, reason: 'pedicle screws are planned from T1 to L5/L6' });
      continue;
    }
    if (v.partial || !v.bodyCentroidLps) {
      skipped.push({ level: v.name, side: null, reason: v.bodyCentroidLps ? 'the vertebra is partly out of view' : 'no vertebral body in view' });
      continue;
    }
    const q = new LabelQuery(labels, v.label);
    for (const side of ['left', 'right'] as const) {
      const p = analysePedicle(q, v, side, ct, Math.min(...catalogue.diametersMm) / 2);
      if ('reason' in p) {
        skipped.push({ level: v.name, side, reason: p.reason });
        continue;
      }
      const notes: string[] = [];
      if (p.widened)
        notes.push(
          `no bone corridor for the smallest screw within ±2 mm / ±5° of the anatomical axis; the axis was searched within ±4 mm / ±10° (corridor radius ${p.corridorRadiusMm.toFixed(1)} mm)`,
        );
      const maxLen = norm(sub(p.plannedTip, p.entry));
      let length = lengths.find((l) => l <= maxLen + 1e-9);
      if (length === undefined) {
        length = lengths[lengths.length - 1]!;
        notes.push(`the body is shorter along the axis (${maxLen.toFixed(1)} mm to 80 % depth) than the shortest screw (${length} mm)`);
      }
      const narrow = Math.min(p.isthmus.widthMm, p.isthmus.heightMm);
      const fits = diameters.filter((x) => x <= 0.8 * narrow + 1e-9);
      if (!fits.length) notes.push(`the pedicle (${narrow.toFixed(1)} mm) is narrower than the smallest screw / 0.8 (${diameters[diameters.length - 1]} mm)`);
      // the largest diameter that grades A at some catalogue length (the longest such), else the least breach
      const lens = lengths.filter((l) => l <= length! + 1e-9);
      let chosen: { diameter: number; length: number; breach: BreachCheck } | null = null;
      let first: { diameter: number; length: number; breach: BreachCheck } | null = null;
      search: for (const dia of fits.length ? fits : [diameters[diameters.length - 1]!])
        for (const len of lens.length ? lens : [length]) {
          const { points: _pts, ...breach } = gradeScrew(q, p.frame, side, p.entry, add(p.entry, mul(p.axis, len)), dia);
          first ??= { diameter: dia, length: len, breach };
          if (breach.grade === 'A') {
            chosen = { diameter: dia, length: len, breach };
            break search;
          }
          if (!chosen || breach.worstBreachMm < chosen.breach.worstBreachMm) chosen = { diameter: dia, length: len, breach };
        }
      if (chosen!.diameter !== first!.diameter || chosen!.length !== first!.length)
        notes.push(`${first!.diameter} × ${first!.length} mm would breach (grade ${first!.breach.grade}); ${chosen!.diameter} × ${chosen!.length} mm chosen`);
      if (chosen!.breach.grade !== 'A') notes.push(`no catalogue screw along this axis grades A; the least breach is shown`);
      length = chosen!.length;
      const target = add(p.entry, mul(p.axis, length));
      const { diameter, breach } = chosen!;
      screws.push({
        level: v.name,
        side,
        entryLps: roundV(p.entry),
        targetLps: roundV(target),
        diameterMm: diameter,
        lengthMm: length,
        ...screwAngles(p.frame, side, p.entry, target),
        isthmus: p.isthmus,
        bodyDepthAlongAxisMm: round(p.bodyDepthAlongAxisMm, 1),
        breach,
        edited: false,
        notes,
      });
    }
  }
  return { screws, skipped, resolution: resolutionNote(labels), timingsMs: { proposal: Math.round(performance.now() - t0) } };
}

/**
 * Grades a trajectory on the analysis (what the UI drag and `planning.gradeTrajectory` use): the screw runs from
 * `entry` to `target` (its tip) with the given diameter; its length is their distance.
 * @throws Error for a level the report does not hold or one without a body
 */
export function gradeTrajectory(
  labels: LabelGrid,
  report: SpineReport,
  t: { level: string; side: Side; entryLps: readonly number[]; targetLps: readonly number[]; diameterMm: number },
): Omit<ScrewTrajectory, 'edited' | 'isthmus' | 'bodyDepthAlongAxisMm'> {
  const v = report.vertebrae.find((x) => x.name === t.level);
  if (!v) throw new Error(`the spine analysis has no level ${t.level}`);
  const frame = vertebraFrame(v);
  if (!frame) throw new Error(`${t.level} has no vertebral body in view`);
  const entry = [...t.entryLps] as V3,
    target = [...t.targetLps] as V3;
  const length = norm(sub(target, entry));
  if (length < 5) throw new Error(`the trajectory is ${length.toFixed(1)} mm long; a screw needs at least 5 mm`);
  const { points: _p, ...breach } = gradeScrew(new LabelQuery(labels, v.label), frame, t.side, entry, target, t.diameterMm);
  return {
    level: t.level,
    side: t.side,
    entryLps: roundV(entry),
    targetLps: roundV(target),
    diameterMm: t.diameterMm,
    lengthMm: round(length, 1),
    ...screwAngles(frame, t.side, entry, target),
    breach,
    notes: [],
  };
}
