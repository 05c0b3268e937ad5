/**
 * Depth camera ↔ tracker calibration (algorithms.md §3, "T_Ref←Camera, a
 * one-off camera ↔ EM calibration"), two ways:
 * - paired points: fiducials of a calibration object seen by the camera
 *   (camera frame, mm) and touched with the calibrated tracked stylus
 *   (tracker frame, mm) — Horn's closed-form absolute orientation (`fitRigidPaired`,
 *   as vtkLandmarkTransform), with the fiducial registration error per point
 *   and a leave-one-out check, and the worst pair removed while it is an
 *   outlier (beyond 3× the RMS of the others);
 * - hand-eye: an EM sensor fixed to an object whose pose the camera measures;
 *   poses at several stations give AX = XB with A = Sⱼ·Sᵢ⁻¹ (sensor motion,
 *   tracker frame), B = Cⱼ·Cᵢ⁻¹ (object motion, camera frame) and
 *   X = CameraToTracker, solved as Park & Martin, "Robot sensor calibration:
 *   solving AX = XB on the Euclidean group", IEEE Trans. Robot. Autom. 10(5)
 *   1994: R_X = (MᵀM)^(−½)·Mᵀ with M = Σ βᵢαᵢᵀ (αᵢ, βᵢ the rotation vectors of
 *   Aᵢ, Bᵢ), then t_X from the stacked (R_Aᵢ − I)·t_X = R_X·t_Bᵢ − t_Aᵢ.
 */
import { fitPairedPoints, type PairedPointFit } from '../registration/paired.js';
import { invertRigid, mul4, rotationVectorOf, solveSpd, symmetricEigen, type Mat4 } from '../../../math/rigid.js';

export class CameraTrackerCalibrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CameraTrackerCalibrationError';
  }
}

export interface PairedPointCalibration extends PairedPointFit {
  /** Camera → tracker, row-major 4×4 (mm). */
  cameraToTracker: Mat4;
}

/**
 * Camera ↔ tracker calibration from paired fiducials (see fitPairedPoints).
 * @param camera fiducials in the depth camera's frame (mm), n ≥ 3 (5 or more to detect an outlier)
 * @param tracker the same fiducials touched with the stylus tip, tracker frame (mm)
 * @throws CameraTrackerCalibrationError when the counts differ, fewer than 3 pairs are given, or the points are collinear
 */
export function calibrateCameraToTrackerPoints(camera: readonly (readonly number[])[], tracker: readonly (readonly number[])[]): PairedPointCalibration {
  try {
    const fit = fitPairedPoints(camera, tracker);
    return { ...fit, cameraToTracker: fit.transform };
  } catch (e) {
    throw new CameraTrackerCalibrationError((e as Error).message);
  }
}

export interface HandEyeCalibration {
  /** Camera → tracker, row-major 4×4 (mm). */
  cameraToTracker: Mat4;
  /** Over the motion pairs: RMS angle of A·X vs X·B (deg) and RMS distance of their translations (mm). */
  rotationResidualDeg: number;
  translationResidualMm: number;
  motions: number;
}

/**
 * Hand-eye camera ↔ tracker calibration (Park & Martin 1994).
 * @param trackerFromSensor poses of the EM sensor on the calibration object, tracker frame (row-major 4×4, mm), one per station
 * @param cameraFromObject the object's pose measured by the camera at the same stations (camera frame, mm)
 * @returns X = CameraToTracker with its residuals; every pair of stations (i < j) is one motion
 * @throws CameraTrackerCalibrationError with fewer than 3 stations, different counts, or rotations that do not span two axes (each station must be turned about a different axis, ≥ 10°)
 */
export function calibrateCameraToTrackerHandEye(trackerFromSensor: readonly Mat4[], cameraFromObject: readonly Mat4[]): HandEyeCalibration {
  const n = trackerFromSensor.length;
  if (n !== cameraFromObject.length) throw new CameraTrackerCalibrationError(`${n} sensor poses but ${cameraFromObject.length} camera poses`);
  if (n < 3) throw new CameraTrackerCalibrationError(`hand-eye calibration needs at least 3 stations (got ${n})`);
  const A: Mat4[] = [],
    B: Mat4[] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      A.push(mul4(trackerFromSensor[j]!, invertRigid(trackerFromSensor[i]!)));
      B.push(mul4(cameraFromObject[j]!, invertRigid(cameraFromObject[i]!)));
    }
  const alpha = A.map(rotationVectorOf),
    beta = B.map(rotationVectorOf);
  const M = new Array<number>(9).fill(0);
  const minRad = (10 * Math.PI) / 180;
  let used = 0;
  alpha.forEach((a, k) => {
    const b = beta[k]!;
    if (Math.hypot(...a) < minRad) return;
    used++;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) M[3 * r + c]! += b[r]! * a[c]!;
  });
  // MᵀM and its inverse square root
  const MtM = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) MtM[3 * r + c]! += M[3 * k + r]! * M[3 * k + c]!;
  const { values, vectors } = symmetricEigen(MtM, 3);
  if (used < 2 || values[0]! < 1e-6 * values[2]!)
    throw new CameraTrackerCalibrationError('the stations are not rotated about at least two different axes (by 10° or more): the rotation is undetermined');
  const invSqrt = new Array<number>(9).fill(0);
  for (let k = 0; k < 3; k++)
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) invSqrt[3 * r + c]! += (vectors[k]![r]! * vectors[k]![c]!) / Math.sqrt(values[k]!);
  const R = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) R[3 * r + c]! += invSqrt[3 * r + k]! * M[3 * c + k]!;
  // translation: Σ (R_A − I)ᵀ(R_A − I) t = Σ (R_A − I)ᵀ (R·t_B − t_A)
  const H = new Array<number>(9).fill(0),
    g = [0, 0, 0];
  A.forEach((a, k) => {
    const b = B[k]!;
    const C = [0, 1, 2].map((r) => [0, 1, 2].map((c) => a[4 * r + c]! - (r === c ? 1 : 0)));
    const rhs = [0, 1, 2].map((r) => R[3 * r]! * b[3]! + R[3 * r + 1]! * b[7]! + R[3 * r + 2]! * b[11]! - a[4 * r + 3]!);
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 3; c++) {
        for (let q = 0; q < 3; q++) H[3 * r + c]! += C[q]![r]! * C[q]![c]!;
        g[r]! += C[c]![r]! * rhs[c]!;
      }
  });
  const t = solveSpd(H, g, 3);
  if (!t) throw new CameraTrackerCalibrationError('the translation is undetermined (rotations too small or about one axis)');
  const X: Mat4 = [R[0]!, R[1]!, R[2]!, t[0]!, R[3]!, R[4]!, R[5]!, t[1]!, R[6]!, R[7]!, R[8]!, t[2]!, 0, 0, 0, 1];
  let sr = 0,
    st = 0;
  A.forEach((a, k) => {
    const AX = mul4(a, X),
      XB = mul4(X, B[k]!);
    const D = mul4(invertRigid(XB), AX);
    sr += Math.hypot(...rotationVectorOf(D)) ** 2;
    st += (AX[3]! - XB[3]!) ** 2 + (AX[7]! - XB[7]!) ** 2 + (AX[11]! - XB[11]!) ** 2;
  });
  return {
    cameraToTracker: X,
    rotationResidualDeg: (Math.sqrt(sr / A.length) * 180) / Math.PI,
    translationResidualMm: Math.sqrt(st / A.length),
    motions: A.length,
  };
}
