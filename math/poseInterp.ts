/**
 * Temporal interpolation of rigid poses, as PLUS does when it attaches
 * tracker poses to an image frame's timestamp (vtkPlusBuffer
 * GetInterpolatedStreamBufferItemFromTime: linear interpolation of the
 * translation, spherical linear interpolation of the rotation between the
 * two bracketing samples; no interpolation across a gap or an invalid
 * sample). Pure.
 *
 * Matrices are row-major 4×4 (mm); quaternions (w, x, y, z).
 * Sources: K. Shoemake, "Animating rotation with quaternion curves",
 * SIGGRAPH 1985 (slerp); Shepperd's method for matrix → quaternion.
 */

export type Quaternion = [number, number, number, number];

/** Unit quaternion (w, x, y, z) of the rotation part of a row-major 4×4, w ≥ 0. */
export function quaternionOfMatrix(m: readonly number[]): Quaternion {
  const at = (k: number): number => m[k]!;
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = [at(0), at(1), at(2), at(4), at(5), at(6), at(8), at(9), at(10)];
  const tr = m00 + m11 + m22;
  let q: Quaternion;
  if (tr > 0) {
    const s = 2 * Math.sqrt(1 + tr);
    q = [s / 4, (m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s];
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    q = [(m21 - m12) / s, s / 4, (m01 + m10) / s, (m02 + m20) / s];
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    q = [(m02 - m20) / s, (m01 + m10) / s, s / 4, (m12 + m21) / s];
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    q = [(m10 - m01) / s, (m02 + m20) / s, (m12 + m21) / s, s / 4];
  }
  const n = Math.hypot(...q) * (q[0] < 0 ? -1 : 1);
  return q.map((v) => v / n) as Quaternion;
}

/** Spherical linear interpolation between unit quaternions a (t = 0) and b (t = 1), shortest arc. */
export function slerp(a: Quaternion, b: Quaternion, t: number): Quaternion {
  let d = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
  const bb = d < 0 ? (b.map((v) => -v) as Quaternion) : b;
  d = Math.abs(d);
  if (d > 0.9995) {
    const q = a.map((v, i) => v + t * (bb[i]! - v)) as Quaternion;
    const n = Math.hypot(...q);
    return q.map((v) => v / n) as Quaternion;
  }
  const th = Math.acos(d);
  const sa = Math.sin((1 - t) * th) / Math.sin(th);
  const sb = Math.sin(t * th) / Math.sin(th);
  return a.map((v, i) => sa * v + sb * bb[i]!) as Quaternion;
}

/**
 * The pose between two poses: translation linearly, rotation by slerp.
 * @param t 0 gives `a`, 1 gives `b`
 */
export function interpolatePose(a: readonly number[], b: readonly number[], t: number): number[] {
  const [tx, ty, tz] = [3, 7, 11].map((k) => a[k]! + t * (b[k]! - a[k]!)) as [number, number, number];
  return poseMatrix(slerp(quaternionOfMatrix(a), quaternionOfMatrix(b), t), [tx, ty, tz]);
}

/** Row-major 4×4 homogeneous matrix (e.g. tool → tracker, mm) from a unit quaternion (w, x, y, z) and a translation (mm). */
export function poseMatrix(q: readonly [number, number, number, number], t: readonly [number, number, number]): number[] {
  const [w, x, y, z] = q;
  return [
    1 - 2 * (y * y + z * z),
    2 * (x * y - w * z),
    2 * (x * z + w * y),
    t[0],
    2 * (x * y + w * z),
    1 - 2 * (x * x + z * z),
    2 * (y * z - w * x),
    t[1],
    2 * (x * z - w * y),
    2 * (y * z + w * x),
    1 - 2 * (x * x + y * y),
    t[2],
    0,
    0,
    0,
    1,
  ];
}

/** A time-ordered pose track of one tool: sample times (µs) and matrices (null when the tool was not seen). */
export interface PoseTrack {
  timesUs: number[];
  matrices: (number[] | null)[];
}

/**
 * The tool's pose at `tUs`: interpolated between the bracketing samples when
 * both are valid and at most `maxGapUs` apart; the sample itself when `tUs`
 * falls on one; null otherwise (outside the track, across a gap, or next to
 * a sample where the tool was not seen).
 */
export function poseAt(track: PoseTrack, tUs: number, maxGapUs = 100_000): number[] | null {
  const ts = track.timesUs;
  let lo = 0;
  let hi = ts.length - 1;
  if (hi < 0 || tUs < ts[0]! || tUs > ts[hi]!) return null;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ts[mid]! <= tUs) lo = mid;
    else hi = mid;
  }
  if (ts[lo] === tUs) return track.matrices[lo] ?? null;
  if (ts[hi] === tUs) return track.matrices[hi] ?? null;
  const a = track.matrices[lo];
  const b = track.matrices[hi];
  if (!a || !b || ts[hi]! - ts[lo]! > maxGapUs) return null;
  return interpolatePose(a, b, (tUs - ts[lo]!) / (ts[hi]! - ts[lo]!));
}
