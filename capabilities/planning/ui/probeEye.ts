/**
 * The probe's-eye geometry of a pedicle screw (pure, no DOM): three image
 * planes through a trajectory, pixel ↔ LPS mapping on each, and the CT
 * resampled on them (trilinear, `resliceOnPlane` of the live fusion).
 *
 * Planes (all LPS mm), from the screw axis d = unit(target − entry) and the
 * vertebra's superior axis s (its superior endplate's normal, as the
 * planning engine's vertebra frame — capabilities/planning/contract.ts):
 * - `axial`: the axial-oblique plane, containing the axis and w = unit(s × d)
 *   (the vertebra's left–right direction perpendicular to the screw): it shows
 *   the transverse angle. Drawn as an axial CT: the patient's left on the
 *   screen's right (radiological), anterior up.
 * - `sagittal`: the sagittal-oblique plane, containing the axis and
 *   n = d × w (≈ superior): it shows the sagittal angle. Drawn as a sagittal
 *   CT: superior up, anterior on the left.
 * - `cross`: the cross-section perpendicular to the axis at a depth t (mm
 *   from the entry along d), spanned by w and n. Drawn as a coronal CT:
 *   superior up, the patient's left on the screen's right.
 * Screen directions are the in-plane projections of +L (right) and +P or −S
 * (down), so the letters at the edges (`edgeLetters`) say the real
 * orientation of each oblique plane.
 */
import type { Vec3, VolumeGeometry } from '../../../math/geometry.js';
import { resliceOnPlane } from '../../fusion/ui/fusionMath.js';

export type ProbeView = 'axial' | 'sagittal' | 'cross';

/** An image plane: pixel (i, j) lies at `origin + i·pixelMm·u + j·pixelMm·v` (LPS mm); i along a row, j down the rows. */
export interface ViewPlane {
  view: ProbeView;
  /** Centre of pixel (0, 0), LPS mm. */
  origin: Vec3;
  /** Unit vector along a row (screen right). */
  u: Vec3;
  /** Unit vector down the rows (screen down). */
  v: Vec3;
  /** u × v. */
  normal: Vec3;
  /** The plane's centre (LPS mm): the screw's midpoint (longitudinal) or the axis point at the depth (cross-section). */
  centre: Vec3;
  pixelMm: number;
  width: number;
  height: number;
}

const sub = (a: readonly number[], b: readonly number[]): Vec3 => [a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!];
const addS = (a: readonly number[], b: readonly number[], s: number): Vec3 => [a[0]! + s * b[0]!, a[1]! + s * b[1]!, a[2]! + s * b[2]!];
const dot = (a: readonly number[], b: readonly number[]): number => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
const cross = (a: readonly number[], b: readonly number[]): Vec3 => [
  a[1]! * b[2]! - a[2]! * b[1]!,
  a[2]! * b[0]! - a[0]! * b[2]!,
  a[0]! * b[1]! - a[1]! * b[0]!,
];
const unit = (a: Vec3): Vec3 => {
  const n = Math.hypot(a[0], a[1], a[2]);
  return n > 1e-12 ? [a[0] / n, a[1] / n, a[2] / n] : [0, 0, 0];
};
/** `a` without its components along the unit vectors `ns`, normalised. */
const orthoUnit = (a: Vec3, ...ns: Vec3[]): Vec3 => unit(ns.reduce((x, n) => addS(x, n, -dot(x, n)), a));

/** The screw's axis frame: d along the screw, w across it in the vertebra's axial plane (towards +L), n = d × w. */
export function axisFrame(entry: readonly number[], target: readonly number[], superior: readonly number[]): { d: Vec3; w: Vec3; n: Vec3; lengthMm: number } {
  const e = sub(target, entry);
  const lengthMm = Math.hypot(e[0], e[1], e[2]);
  if (lengthMm < 1e-6) throw new Error('probe’s-eye view: the entry and target coincide');
  const d = unit(e);
  let w = unit(cross(superior, d));
  // a screw along the superior axis: any direction across it
  if (Math.hypot(...w) < 0.5) w = orthoUnit([1, 0, 0], d);
  if (w[0] < 0) w = [-w[0], -w[1], -w[2]];
  return { d, w, n: cross(d, w), lengthMm };
}

function plane(view: ProbeView, centre: Vec3, right: Vec3, down: Vec3, spanA: Vec3, spanB: Vec3, fovMm: number, pixelMm: number): ViewPlane {
  // screen axes: the in-plane projections of the wanted directions, orthonormal
  const normal = unit(cross(spanA, spanB));
  const v = orthoUnit(down, normal);
  const u = orthoUnit(right, normal, v);
  const width = Math.max(2, Math.round(fovMm / pixelMm));
  const height = width;
  const origin = addS(addS(centre, u, (-(width - 1) / 2) * pixelMm), v, (-(height - 1) / 2) * pixelMm);
  return { view, origin, u, v, normal: cross(u, v), centre, pixelMm, width, height };
}

/**
 * The three probe's-eye planes of a trajectory.
 * @param entry, target LPS mm (target = the screw's tip)
 * @param superior the vertebra's superior axis (unit, LPS)
 * @param depthMm where the cross-section cuts the axis, mm from the entry (clamped to 0…length)
 * @param fovMm field of view of each (square) image, mm
 * @param pixelMm pixel size, mm
 * @throws Error when entry and target coincide
 */
export function probePlanes(
  entry: readonly number[],
  target: readonly number[],
  superior: readonly number[],
  depthMm: number,
  fovMm = 100,
  pixelMm = 0.5,
): Record<ProbeView, ViewPlane> {
  const { d, w, n, lengthMm } = axisFrame(entry, target, superior);
  const mid = addS(entry as Vec3, d, lengthMm / 2);
  const t = Math.max(0, Math.min(lengthMm, depthMm));
  return {
    axial: plane('axial', mid, [1, 0, 0], [0, 1, 0], d, w, fovMm, pixelMm),
    sagittal: plane('sagittal', mid, [0, 1, 0], [0, 0, -1], d, n, fovMm, pixelMm),
    cross: plane('cross', addS(entry as Vec3, d, t), [1, 0, 0], [0, 0, -1], w, n, fovMm, pixelMm),
  };
}

/** Pixel (column, row; fractional) of an LPS point projected on the plane. */
export function lpsToPixel(p: ViewPlane, lps: readonly number[]): [number, number] {
  const r = sub(lps, p.origin);
  return [dot(r, p.u) / p.pixelMm, dot(r, p.v) / p.pixelMm];
}

/** LPS point (mm) of a pixel (column, row; fractional) on the plane. */
export function pixelToLps(p: ViewPlane, col: number, row: number): Vec3 {
  return addS(addS(p.origin, p.u, col * p.pixelMm), p.v, row * p.pixelMm);
}

/** Signed distance (mm) of a point from the plane. */
export function distanceFromPlane(p: ViewPlane, lps: readonly number[]): number {
  return dot(sub(lps, p.centre), p.normal);
}

/** Orientation letters at the right and bottom edges of a plane (the dominant LPS axes of u and v; left/top are their opposites). */
export function edgeLetters(p: ViewPlane): { left: string; right: string; top: string; bottom: string } {
  const letter = (a: Vec3): [string, string] => {
    const k = [0, 1, 2].reduce((b, i) => (Math.abs(a[i]!) > Math.abs(a[b]!) ? i : b), 0);
    const pos = ['L', 'P', 'S'][k]!;
    const neg = ['R', 'A', 'I'][k]!;
    return a[k]! >= 0 ? [pos, neg] : [neg, pos];
  };
  const [right, left] = letter(p.u);
  const [bottom, top] = letter(p.v);
  return { left, right, top, bottom };
}

/**
 * The CT resampled on a plane (trilinear; 0 outside the volume), as grey levels for the window/level.
 * @param voxels the volume's voxels (x fastest), geometry `g` in LPS mm
 * @returns `width` × `height` grey levels 0–255, row 0 at the top
 */
export function reslice(voxels: ArrayLike<number>, g: VolumeGeometry, p: ViewPlane, window: number, level: number): Uint8Array {
  const px = p.pixelMm;
  // row-major 4×4 from image pixel (i, j, 0, 1) to LPS mm
  const imageToVolume = [
    p.u[0] * px, p.v[0] * px, p.normal[0], p.origin[0],
    p.u[1] * px, p.v[1] * px, p.normal[1], p.origin[1],
    p.u[2] * px, p.v[2] * px, p.normal[2], p.origin[2],
    0, 0, 0, 1,
  ]; // prettier-ignore
  return resliceOnPlane({ ...g, data: voxels }, imageToVolume, p.width, p.height, p.width, p.height, [window, level]).grey;
}

/**
 * The screw's outline on a plane (pixels): in a longitudinal plane (which contains the axis) the rectangle of its
 * diameter from entry to tip; in the cross-section the circle of its radius at the axis, when the depth lies within
 * the screw.
 */
export function screwOutline(
  p: ViewPlane,
  entry: readonly number[],
  target: readonly number[],
  diameterMm: number,
): { kind: 'rect'; corners: [number, number][] } | { kind: 'circle'; centre: [number, number]; radiusPx: number } {
  const r = diameterMm / 2;
  if (p.view === 'cross') return { kind: 'circle', centre: lpsToPixel(p, p.centre), radiusPx: r / p.pixelMm };
  const d = unit(sub(target, entry));
  // across the axis, in the plane
  const a = unit(cross(p.normal, d));
  const corners = [addS(entry, a, r), addS(target, a, r), addS(target, a, -r), addS(entry, a, -r)].map((q) => lpsToPixel(p, q));
  return { kind: 'rect', corners };
}

/** The catalogue length nearest to `lengthMm` (ties: the shorter). */
export function nearestLength(lengthsMm: readonly number[], lengthMm: number): number {
  let best = lengthsMm[0]!;
  for (const l of lengthsMm) if (Math.abs(l - lengthMm) < Math.abs(best - lengthMm) - 1e-9) best = l;
  return best;
}

/** The target `lengthMm` from the entry along the entry → target direction (LPS mm, rounded to 0.01 mm). */
export function targetAtLength(entry: readonly number[], target: readonly number[], lengthMm: number): Vec3 {
  const d = unit(sub(target, entry));
  return addS(entry, d, lengthMm).map((x) => Math.round(x * 100) / 100) as Vec3;
}
