import { describe, expect, it } from 'vitest';
import { calibrateCameraToTrackerHandEye, calibrateCameraToTrackerPoints, CameraTrackerCalibrationError } from './cameraTracker.js';
import { applyPoint, invertRigid, mul4, rigidFromRotationVector, rotationAngleDeg, rotationVectorOf } from '../../../math/rigid.js';
import { rng } from '../../../math/random.js';

const deg = Math.PI / 180;
/** A camera 700 mm above the table looking down, the EM field generator beside the table. */
const TRUE_X = rigidFromRotationVector([0.4, -2.6, 0.3], [350, -120, 480]);
const angleBetween = (a: number[], b: number[]) => rotationAngleDeg(mul4(invertRigid(a), b));
const offsetBetween = (a: number[], b: number[]) => Math.hypot(a[3]! - b[3]!, a[7]! - b[7]!, a[11]! - b[11]!);

describe('rotation vector (SO(3) log)', () => {
  it('inverts Rodrigues at small, general and near-π angles', () => {
    for (const w of [
      [1e-9, 0, 0],
      [0.3, -0.2, 0.5],
      [0, Math.PI - 1e-6, 0],
      [Math.PI / Math.sqrt(3) - 1e-7, -Math.PI / Math.sqrt(3) + 1e-7, Math.PI / Math.sqrt(3) - 1e-7],
    ]) {
      const back = rotationVectorOf(rigidFromRotationVector(w));
      expect(Math.hypot(...back.map((v, k) => v - w[k]!))).toBeLessThan(1e-5);
    }
  });
});

describe('camera ↔ tracker calibration', () => {
  it('paired points: recovers CameraToTracker from 8 fiducials with 0.3 mm noise and removes a 12 mm mis-touch', () => {
    const r = rng(21);
    const gauss = (): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    // fiducials of a 200 × 150 × 60 mm calibration object, 600–700 mm in front of the camera
    const camera = Array.from({ length: 8 }, (_, i) => [-100 + 200 * (i % 2), -75 + 150 * ((i >> 1) % 2), 620 + 60 * (i >> 2)]);
    const tracker = camera.map((p, i) => {
      const q = applyPoint(TRUE_X, p[0]!, p[1]!, p[2]!);
      return q.map((v) => v + 0.3 * gauss() + (i === 5 ? 12 / Math.sqrt(3) : 0));
    });
    const cal = calibrateCameraToTrackerPoints(camera, tracker);
    expect(cal.removed).toEqual([5]);
    expect(Number.isNaN(cal.freMm[5]!)).toBe(true);
    expect(cal.freRmsMm).toBeGreaterThan(0.1);
    expect(cal.freRmsMm).toBeLessThan(0.6);
    expect(cal.leaveOneOutRmsMm).toBeGreaterThan(cal.freRmsMm);
    expect(angleBetween(cal.cameraToTracker, TRUE_X)).toBeLessThan(0.3);
    // error at the patient's back, 650 mm from the camera
    const target = [0, 0, 650];
    const d = Math.hypot(...applyPoint(cal.cameraToTracker, 0, 0, 650).map((v, k) => v - applyPoint(TRUE_X, target[0]!, target[1]!, target[2]!)[k]!));
    expect(d).toBeLessThan(0.6);
  });

  it('paired points: refuses collinear fiducials and mismatched counts', () => {
    const line = [0, 1, 2, 3].map((i) => [10 * i, 20 * i, 600 + i]);
    expect(() => calibrateCameraToTrackerPoints(line, line)).toThrow(/collinear/);
    expect(() => calibrateCameraToTrackerPoints(line, line.slice(1))).toThrow(CameraTrackerCalibrationError);
  });

  it('hand-eye (Park & Martin): recovers CameraToTracker within 1 mm and 0.3° from 8 stations with camera pose noise', () => {
    const r = rng(7);
    const gauss = (): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const Y = rigidFromRotationVector([0.1, 0.2, -0.4], [30, -12, 8]); // object → sensor
    const cameraFromObject = Array.from({ length: 8 }, () =>
      rigidFromRotationVector([gauss() * 25 * deg, gauss() * 25 * deg, gauss() * 25 * deg], [60 * gauss(), 60 * gauss(), 650 + 40 * gauss()]),
    );
    // S = X·C·Y⁻¹: the sensor pose in the tracker frame (Y maps sensor → object)
    const trackerFromSensor = cameraFromObject.map((C) => mul4(mul4(TRUE_X, C), invertRigid(Y)));
    // the camera's pose estimate of the object: 0.4 mm and 0.15° noise
    const noisy = cameraFromObject.map((C) =>
      mul4(rigidFromRotationVector([0.15 * deg * gauss(), 0.15 * deg * gauss(), 0.15 * deg * gauss()], [0.4 * gauss(), 0.4 * gauss(), 0.4 * gauss()]), C),
    );
    const cal = calibrateCameraToTrackerHandEye(trackerFromSensor, noisy);
    expect(cal.motions).toBe(28);
    expect(angleBetween(cal.cameraToTracker, TRUE_X)).toBeLessThan(0.3);
    const p = applyPoint(cal.cameraToTracker, 0, 0, 650),
      q = applyPoint(TRUE_X, 0, 0, 650);
    expect(Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2])).toBeLessThan(1);
    expect(cal.rotationResidualDeg).toBeGreaterThan(0.05);
    expect(cal.rotationResidualDeg).toBeLessThan(1);
    // exact data: exact answer
    const exact = calibrateCameraToTrackerHandEye(trackerFromSensor, cameraFromObject);
    expect(offsetBetween(exact.cameraToTracker, TRUE_X)).toBeLessThan(1e-6);
    expect(exact.translationResidualMm).toBeLessThan(1e-6);
  });

  it('hand-eye: refuses stations rotated about one axis only', () => {
    const C = [0, 20, 45, 70].map((a) => rigidFromRotationVector([0, 0, a * deg], [a, 0, 600]));
    const S = C.map((c) => mul4(TRUE_X, c));
    expect(() => calibrateCameraToTrackerHandEye(S, C)).toThrow(/two different axes|undetermined/);
  });
});
