/**
 * Trunk angles from two IMUs (e.g. one over T12 = thorax, one over the
 * sacrum = pelvis), after a sensor-to-segment alignment from a static,
 * upright neutral pose (algorithms.md §7.2–7.3).
 *
 * Frames
 * - Earth frame E: the AHRS's (NWU, ENU or NED); "up" is +z for NWU/ENU and
 *   −z for NED. Sensor orientations are q_E←S (earth ← sensor) as the AHRS
 *   gives them.
 * - Segment (anatomical) frames, ISB style (Wu et al., J Biomech 2005):
 *   X anterior, Y superior, Z to the right.
 * - Neutral frame N: the segments' common frame during the static pose:
 *   Y = Earth up, X = the horizontal direction the subject faces (from the
 *   reference sensor's nominally anterior axis), Z = X × Y (right).
 *
 * Alignment from a static pose: every segment is taken to coincide with N
 * while the subject stands still, upright, in neutral; so for each sensor
 * q_S←seg = q_E←S(static)⁻¹ ⊗ q_E←N, and afterwards
 * q_E←seg(t) = q_E←S(t) ⊗ q_S←seg. The static orientation is the
 * normalised, sign-aligned mean of the quaternions of the static window.
 *
 * Angles: the thorax relative to the pelvis, q_pelvis←thorax =
 * q_E←pelvis⁻¹ ⊗ q_E←thorax, decomposed as the ISB-style Cardan sequence
 * Z-X'-Y'' (flexion–extension about the medio-lateral axis first, then
 * lateral bending about the rotated anterior axis, then axial rotation about
 * the rotated longitudinal axis): R = Rz(α)·Rx(β)·Ry(γ). Reported in degrees
 * with clinical signs:
 *   flexion = −α        (positive: forward flexion, negative: extension),
 *   lateralBending = β  (positive: bending to the right),
 *   axialRotation = γ   (positive: rotation to the left, i.e. counter-clockwise seen from above).
 * Range of motion per angle = max − min over the samples given.
 */
import {
  quaternionConjugate,
  quaternionNormalise,
  quaternionProduct,
  quaternionToMatrix,
  rotateVector,
  type EarthConvention,
  type Quaternion,
  type Vec3,
} from './ahrs.js';

const DEG = Math.PI / 180;

/** Trunk angles (degrees), signs as in the module comment. */
export interface TrunkAnglesDeg {
  flexion: number;
  lateralBending: number;
  axialRotation: number;
}

/** Range of motion of one angle (degrees). */
export interface AngleRange {
  min: number;
  max: number;
  range: number;
}

/** Ranges of motion of the three trunk angles (degrees). */
export interface TrunkRangeOfMotion {
  flexion: AngleRange;
  lateralBending: AngleRange;
  axialRotation: AngleRange;
}

/** The sensor-to-segment alignment of both sensors and the neutral frame. */
export interface TrunkCalibration {
  /** Neutral frame in the Earth frame, q_E←N. */
  neutral: Quaternion;
  /** Thorax sensor → segment: q_S←thorax. */
  thoraxAlignment: Quaternion;
  /** Pelvis sensor → segment: q_S←pelvis. */
  pelvisAlignment: Quaternion;
}

/**
 * Unit quaternion of a proper rotation matrix (row-major 3×3), by the
 * numerically stable branch on the largest diagonal term (Shepperd).
 */
export function quaternionFromMatrix(m: readonly number[]): Quaternion {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = m as [number, number, number, number, number, number, number, number, number];
  const tr = m00 + m11 + m22;
  let q: Quaternion;
  if (tr > 0) {
    const s = 2 * Math.sqrt(1 + tr);
    q = { w: s / 4, x: (m21 - m12) / s, y: (m02 - m20) / s, z: (m10 - m01) / s };
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    q = { w: (m21 - m12) / s, x: s / 4, y: (m01 + m10) / s, z: (m02 + m20) / s };
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    q = { w: (m02 - m20) / s, x: (m01 + m10) / s, y: s / 4, z: (m12 + m21) / s };
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    q = { w: (m10 - m01) / s, x: (m02 + m20) / s, y: (m12 + m21) / s, z: s / 4 };
  }
  return quaternionNormalise(q);
}

/**
 * Mean orientation of a static window: the quaternions are flipped to the
 * hemisphere of the first (q and −q are the same rotation), summed and
 * normalised — accurate for the small spread of a static pose.
 */
export function meanQuaternion(qs: readonly Quaternion[]): Quaternion {
  if (qs.length === 0) throw new Error('static pose: no samples');
  const r = qs[0]!;
  let w = 0,
    x = 0,
    y = 0,
    z = 0;
  for (const q of qs) {
    const s = q.w * r.w + q.x * r.x + q.y * r.y + q.z * r.z < 0 ? -1 : 1;
    w += s * q.w;
    x += s * q.x;
    y += s * q.y;
    z += s * q.z;
  }
  return quaternionNormalise({ w, x, y, z });
}

/** Earth "up" of a convention: +z for NWU and ENU, −z for NED. */
export function earthUp(convention: EarthConvention): Vec3 {
  return convention === 'NED' ? [0, 0, -1] : [0, 0, 1];
}

/**
 * Neutral frame q_E←N from a static pose of a reference sensor (usually the
 * pelvis): Y = Earth up; X = the horizontal projection of the sensor's
 * nominally anterior axis `anteriorInSensor` (e.g. [0, 0, −1] for a sensor
 * whose z axis points out of the skin of the back); Z = X × Y.
 * @throws when that axis is within 10° of vertical (heading undefined)
 */
export function neutralFrameFromStatic(staticSensor: readonly Quaternion[], anteriorInSensor: Vec3, convention: EarthConvention = 'NWU'): Quaternion {
  const q = meanQuaternion(staticSensor);
  const a = rotateVector(q, anteriorInSensor);
  const up = earthUp(convention);
  const na = Math.hypot(a[0], a[1], a[2]);
  const dot = a[0] * up[0] + a[1] * up[1] + a[2] * up[2];
  const h: [number, number, number] = [a[0] - dot * up[0], a[1] - dot * up[1], a[2] - dot * up[2]];
  const nh = Math.hypot(h[0], h[1], h[2]);
  if (!(na > 0) || nh < Math.sin(10 * DEG) * na)
    throw new Error('static pose: the anterior sensor axis is (nearly) vertical; the facing direction is undefined');
  const X = [h[0] / nh, h[1] / nh, h[2] / nh] as const;
  const Y = up;
  const Z = [X[1] * Y[2] - X[2] * Y[1], X[2] * Y[0] - X[0] * Y[2], X[0] * Y[1] - X[1] * Y[0]] as const;
  // columns X, Y, Z: the matrix maps neutral-frame coordinates into the Earth frame
  return quaternionFromMatrix([X[0], Y[0], Z[0], X[1], Y[1], Z[1], X[2], Y[2], Z[2]]);
}

/**
 * Sensor-to-segment alignment from a static pose in which the segment
 * coincides with the neutral frame: q_S←seg = q_E←S(static)⁻¹ ⊗ q_E←N.
 */
export function alignmentFromStatic(staticSensor: readonly Quaternion[], neutral: Quaternion): Quaternion {
  return quaternionNormalise(quaternionProduct(quaternionConjugate(meanQuaternion(staticSensor)), neutral));
}

/** Segment orientation in the Earth frame: q_E←seg = q_E←S ⊗ q_S←seg. */
export function segmentOrientation(sensor: Quaternion, alignment: Quaternion): Quaternion {
  return quaternionProduct(sensor, alignment);
}

/**
 * Calibrates a thorax/pelvis sensor pair from the same static, upright,
 * neutral pose (equal-length or not; each window is averaged).
 * @param anteriorInPelvisSensor the pelvis sensor's axis that points roughly anterior (sets the facing direction)
 */
export function calibrateTrunk(
  thoraxStatic: readonly Quaternion[],
  pelvisStatic: readonly Quaternion[],
  anteriorInPelvisSensor: Vec3,
  convention: EarthConvention = 'NWU',
): TrunkCalibration {
  const neutral = neutralFrameFromStatic(pelvisStatic, anteriorInPelvisSensor, convention);
  return { neutral, thoraxAlignment: alignmentFromStatic(thoraxStatic, neutral), pelvisAlignment: alignmentFromStatic(pelvisStatic, neutral) };
}

/**
 * Decomposes the rotation of the distal segment relative to the proximal
 * one, q_prox←dist, in the Z-X'-Y'' sequence (R = Rz(α)Rx(β)Ry(γ)); returns
 * the clinical trunk angles (flexion = −α, lateral bending = β, axial
 * rotation = γ; degrees). β is in [−90°, 90°] (gimbal lock at ±90°).
 */
export function trunkAnglesFromRelative(relative: Quaternion): TrunkAnglesDeg {
  const R = quaternionToMatrix(quaternionNormalise(relative));
  const r21 = Math.max(-1, Math.min(1, R[7]!));
  const alpha = Math.atan2(-R[1]!, R[4]!);
  const beta = Math.asin(r21);
  const gamma = Math.atan2(-R[6]!, R[8]!);
  return { flexion: -alpha / DEG, lateralBending: beta / DEG, axialRotation: gamma / DEG };
}

/**
 * The relative rotation that the trunk angles describe (inverse of
 * `trunkAnglesFromRelative`): Rz(−flexion)·Rx(lateralBending)·Ry(axialRotation).
 */
export function relativeFromTrunkAngles(a: TrunkAnglesDeg): Quaternion {
  const h = (d: number): [number, number] => [Math.cos((d * DEG) / 2), Math.sin((d * DEG) / 2)];
  const [cz, sz] = h(-a.flexion);
  const [cx, sx] = h(a.lateralBending);
  const [cy, sy] = h(a.axialRotation);
  return quaternionProduct(quaternionProduct({ w: cz, x: 0, y: 0, z: sz }, { w: cx, x: sx, y: 0, z: 0 }), { w: cy, x: 0, y: sy, z: 0 });
}

/** Trunk angles of one sample from the two sensors' orientations (q_E←S) and the calibration. */
export function trunkAngles(thoraxSensor: Quaternion, pelvisSensor: Quaternion, cal: TrunkCalibration): TrunkAnglesDeg {
  const thorax = segmentOrientation(thoraxSensor, cal.thoraxAlignment);
  const pelvis = segmentOrientation(pelvisSensor, cal.pelvisAlignment);
  return trunkAnglesFromRelative(quaternionProduct(quaternionConjugate(pelvis), thorax));
}

/** Trunk angles over time from time-aligned thorax and pelvis orientation series (same length). */
export function trunkAngleSeries(thorax: readonly Quaternion[], pelvis: readonly Quaternion[], cal: TrunkCalibration): TrunkAnglesDeg[] {
  if (thorax.length !== pelvis.length) throw new Error(`trunk angles: ${thorax.length} thorax vs ${pelvis.length} pelvis samples (time-align them first)`);
  return thorax.map((q, i) => trunkAngles(q, pelvis[i]!, cal));
}

function range(values: readonly number[]): AngleRange {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length === 0) return { min: NaN, max: NaN, range: NaN };
  return { min, max, range: max - min };
}

/** Range of motion (max − min, with min and max) of each trunk angle over the samples. */
export function trunkRangeOfMotion(angles: readonly TrunkAnglesDeg[]): TrunkRangeOfMotion {
  return {
    flexion: range(angles.map((a) => a.flexion)),
    lateralBending: range(angles.map((a) => a.lateralBending)),
    axialRotation: range(angles.map((a) => a.axialRotation)),
  };
}
