import { describe, expect, it } from 'vitest';
import { pivotCalibration, PivotCalibrationError } from './pivot.js';
import { rigidFromRotationVector, mul4 } from '../../../math/rigid.js';
import { rng } from '../../../math/random.js';

/**
 * Generated pivoting: the tip (in the marker frame) rests on a pivot point;
 * the stylus is tilted up to `maxTiltDeg` about random axes; the tracker
 * reports the marker pose with Gaussian position noise σ (mm, per axis) and
 * rotation noise; `slips` poses have the tip 3–6 mm off the divot.
 */
function pivotPoses(seed: number, n: number, sigmaMm: number, maxTiltDeg: number, slips = 0, rotNoiseDeg = 0.1) {
  const r = rng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const tip = [12.5, -3.2, 160.4];
  const pivot = [-40, 25, -900];
  const poses: number[][] = [];
  for (let i = 0; i < n; i++) {
    const axis = [gauss(), gauss(), gauss()];
    const norm = Math.hypot(axis[0]!, axis[1]!, axis[2]!);
    const ang = (maxTiltDeg * Math.PI * r()) / 180;
    const R = rigidFromRotationVector(axis.map((a) => (a / norm) * ang));
    const slip = i < slips ? [3 + 3 * r(), -3 - 3 * r(), 0] : [0, 0, 0];
    // marker pose: R·tip + t = pivot + slip
    const rt = [0, 1, 2].map((k) => R[4 * k]! * tip[0]! + R[4 * k + 1]! * tip[1]! + R[4 * k + 2]! * tip[2]!);
    const t = [0, 1, 2].map((k) => pivot[k]! + slip[k]! - rt[k]!);
    const truePose = [R[0]!, R[1]!, R[2]!, t[0]!, R[4]!, R[5]!, R[6]!, t[1]!, R[8]!, R[9]!, R[10]!, t[2]!, 0, 0, 0, 1];
    // tracker noise: σ on the marker position, ~0.1° on its orientation
    const noise = rigidFromRotationVector([gauss(), gauss(), gauss()].map((v) => (v * rotNoiseDeg * Math.PI) / 180));
    const measured = mul4(truePose, noise);
    for (let k = 0; k < 3; k++) measured[4 * k + 3]! += sigmaMm * gauss();
    poses.push(measured);
  }
  return { poses, tip, pivot };
}

describe('pivot calibration', () => {
  it('generated pivoting with 0.2 mm tracker noise and 5 % slips: tip within 0.3 mm, slips rejected', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { poses, tip, pivot } = pivotPoses(seed, 200, 0.2, 30, 10);
      const res = pivotCalibration(poses);
      const err = Math.hypot(...res.tipInMarkerMm.map((v, k) => v - tip[k]!));
      const pErr = Math.hypot(...res.pivotInReferenceMm.map((v, k) => v - pivot[k]!));
      expect(err).toBeLessThan(0.3);
      expect(pErr).toBeLessThan(0.3);
      expect(res.posesRejected).toBeGreaterThanOrEqual(10);
      expect(res.posesRejected).toBeLessThan(20);
      // RMS of a 0.2 mm-per-axis noise plus 0.1° at 160 mm: about √3·0.2 ⊕ 0.5 mm
      expect(res.rmsMm).toBeGreaterThan(0.2);
      expect(res.rmsMm).toBeLessThan(0.8);
      expect(res.rotationRangeDeg).toBeGreaterThan(20);
    }
  });

  it('noise-free poses give the tip exactly', () => {
    const { poses, tip, pivot } = pivotPoses(9, 30, 0, 25, 0, 0);
    const res = pivotCalibration(poses);
    expect(Math.hypot(...res.tipInMarkerMm.map((v, k) => v - tip[k]!))).toBeLessThan(1e-9);
    expect(Math.hypot(...res.pivotInReferenceMm.map((v, k) => v - pivot[k]!))).toBeLessThan(1e-9);
    expect(res.rmsMm).toBeLessThan(1e-9);
    expect(res.posesRejected).toBe(0);
  });

  it('refuses too few poses and a stylus that was not pivoted', () => {
    const { poses } = pivotPoses(3, 50, 0.2, 30);
    expect(() => pivotCalibration(poses.slice(0, 5))).toThrow(/at least 10 stylus poses/);
    const still = pivotPoses(4, 50, 0.2, 3).poses;
    expect(() => pivotCalibration(still)).toThrow(PivotCalibrationError);
    expect(() => pivotCalibration(still)).toThrow(/pivoted by only/);
  });
});
