/**
 * The AHRS on synthetic motions whose orientation is known (the agreement
 * with x-io Fusion's own output on the real recording is in
 * tests/integration/ahrsFusionReference.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  Ahrs,
  FUSION_ADVANCED_AHRS_SETTINGS,
  GyroscopeOffset,
  axesSwap,
  compassHeadingDeg,
  parseImuCsv,
  processImu,
  quaternionAngleDeg,
  quaternionFromAxisAngle,
  quaternionToEuler,
  rotateVector,
  quaternionConjugate,
  type Quaternion,
  type Vec3,
} from './ahrs.js';

/** Accelerometer reading (g) of a sensor at rest with orientation q (earth ← sensor), NWU: gravity reaction is +z up. */
function staticAccel(q: Quaternion): Vec3 {
  return rotateVector(quaternionConjugate(q), [0, 0, 1]);
}

describe('AHRS on synthetic motions', () => {
  it('static gravity along +z gives zero roll and pitch', () => {
    const ahrs = new Ahrs({ ...FUSION_ADVANCED_AHRS_SETTINGS });
    for (let i = 0; i < 500; i++) ahrs.updateNoMagnetometer([0, 0, 0], [0, 0, 1]);
    const e = ahrs.euler;
    expect(Math.abs(e.roll)).toBeLessThan(1e-9);
    expect(Math.abs(e.pitch)).toBeLessThan(1e-9);
    expect(Math.abs(e.yaw)).toBeLessThan(1e-9);
    expect(ahrs.flags.initialising).toBe(false);
  });

  it('a static tilted sensor converges to its roll and pitch (start-up ramp), the 6-axis heading stays 0', () => {
    const truth = quaternionFromAxisAngle([1, 0, 0], 20); // roll 20°
    const ahrs = new Ahrs();
    for (let i = 0; i < 1000; i++) ahrs.updateNoMagnetometer([0, 0, 0], staticAccel(truth));
    expect(ahrs.euler.roll).toBeCloseTo(20, 6);
    expect(ahrs.euler.pitch).toBeCloseTo(0, 6);
    expect(ahrs.euler.yaw).toBeCloseTo(0, 6);
    const tilt2 = quaternionFromAxisAngle([0, 1, 0], -30); // pitch −30°
    const b = new Ahrs({ convention: 'ENU' });
    for (let i = 0; i < 1000; i++) b.updateNoMagnetometer([0, 0, 0], staticAccel(tilt2));
    expect(b.euler.pitch).toBeCloseTo(-30, 6);
  });

  it('constant rate integrates exactly as the discrete update q ← normalise(q + q ⊗ (0, ½ω·Δt))', () => {
    // each step turns by 2·atan(½|ω|Δt) about ω (first-order update, then normalisation)
    const step = (rateDps: number, dt: number): number => (2 * Math.atan((0.5 * rateDps * Math.PI * dt) / 180) * 180) / Math.PI;
    const ahrs = new Ahrs({ gain: 0.5 });
    ahrs.skipStartup();
    for (let i = 0; i < 100; i++) ahrs.update([0, 0, 90], [0, 0, 1], [0, 0, 0]); // 90 °/s about z for 1 s at 100 Hz
    expect(ahrs.euler.yaw).toBeCloseTo(100 * step(90, 0.01), 9);
    expect(Math.abs(ahrs.euler.yaw - 90)).toBeLessThan(0.002); // ≈ 90° (−0.0019° of first-order integration)
    // an oblique axis, no accelerometer or magnetometer
    const axis: Vec3 = [1, 2, -2];
    const n = Math.hypot(...axis);
    const w: Vec3 = [(30 * axis[0]) / n, (30 * axis[1]) / n, (30 * axis[2]) / n];
    const b = new Ahrs({ sampleRateHz: 1000 });
    for (let i = 0; i < 2000; i++) b.update(w, [0, 0, 0], [0, 0, 0]);
    expect(quaternionAngleDeg(b.quaternion, quaternionFromAxisAngle(axis, 2000 * step(30, 0.001)))).toBeLessThan(1e-9);
    expect(quaternionAngleDeg(b.quaternion, quaternionFromAxisAngle(axis, 60))).toBeLessThan(1e-4);
  });

  it('the sample period follows setSamplePeriod (timestamps)', () => {
    const ahrs = new Ahrs();
    ahrs.setSamplePeriod(0.5);
    ahrs.update([0, 0, 40], [0, 0, 0], [0, 0, 0]);
    expect(ahrs.euler.yaw).toBeCloseTo((2 * Math.atan((0.5 * 40 * Math.PI * 0.5) / 180) * 180) / Math.PI, 9);
  });

  it('9-axis: heading converges to the magnetic heading in each convention (NWU, ENU, NED)', () => {
    // the sensor yawed by 30° about the Earth z axis of each convention; the Earth field points north
    // and 60° down; at rest the accelerometer reads "up" (+z in NWU/ENU, −z in NED)
    for (const convention of ['NWU', 'ENU', 'NED'] as const) {
      const truth = quaternionFromAxisAngle([0, 0, 1], 30);
      const north: Vec3 = convention === 'ENU' ? [0, 1, 0] : [1, 0, 0];
      const down: Vec3 = convention === 'NED' ? [0, 0, 1] : [0, 0, -1];
      const field: Vec3 = [0.5 * north[0] + 0.866 * down[0], 0.5 * north[1] + 0.866 * down[1], 0.5 * north[2] + 0.866 * down[2]];
      const conj = quaternionConjugate(truth);
      const acc = rotateVector(conj, [-down[0], -down[1], -down[2]]);
      const mag = rotateVector(conj, field);
      expect(compassHeadingDeg(convention, acc, mag)).toBeCloseTo(30, 6);
      const ahrs = new Ahrs({ convention });
      for (let i = 0; i < 1500; i++) ahrs.update([0, 0, 0], acc, mag);
      expect(quaternionAngleDeg(ahrs.quaternion, truth)).toBeLessThan(1e-4);
      expect(ahrs.euler.yaw).toBeCloseTo(30, 4);
      const g = ahrs.gravity;
      const up = rotateVector(conj, [0, 0, 1]);
      for (let k = 0; k < 3; k++) expect(g[k]!).toBeCloseTo(up[k]! * (convention === 'NED' ? -1 : 1), 6);
    }
  });

  it('acceleration rejection ignores a large transient and the recovery trigger forces it back after the timeout', () => {
    const ahrs = new Ahrs({ ...FUSION_ADVANCED_AHRS_SETTINGS });
    for (let i = 0; i < 400; i++) ahrs.updateNoMagnetometer([0, 0, 0], [0, 0, 1]);
    expect(ahrs.flags.initialising).toBe(false);
    ahrs.updateNoMagnetometer([0, 0, 0], [0.5, 0, 1]); // 26.6° off vertical
    expect(ahrs.internalStates.accelerometerIgnored).toBe(true);
    expect(ahrs.internalStates.accelerationErrorDeg).toBeCloseTo(26.565, 2);
    let forced = -1;
    for (let i = 1; i < 700 && forced < 0; i++) {
      ahrs.updateNoMagnetometer([0, 0, 0], [0.5, 0, 1]);
      if (!ahrs.internalStates.accelerometerIgnored) forced = i;
    }
    // the trigger counts +1 per rejected update and forces recovery once above 5 s × 100 Hz
    expect(forced).toBe(500);
    expect(ahrs.flags.accelerationRecovery).toBe(true);
  });

  it('gyroscope over-range (> 98 % of the range) soft-restarts: angular-rate recovery during the new start-up', () => {
    const ahrs = new Ahrs({ ...FUSION_ADVANCED_AHRS_SETTINGS });
    for (let i = 0; i < 400; i++) ahrs.updateNoMagnetometer([0, 0, 0], [0, 0, 1]);
    expect(ahrs.flags.initialising).toBe(false);
    ahrs.setSamplePeriod(1e-5);
    ahrs.updateNoMagnetometer([1990, 0, 0], [0, 0, 1]);
    expect(ahrs.flags).toMatchObject({ initialising: true, angularRateRecovery: true });
    ahrs.setSamplePeriod(0.01);
    for (let i = 0; i < 400; i++) ahrs.updateNoMagnetometer([0, 0, 0], [0, 0, 1]);
    expect(ahrs.flags).toMatchObject({ initialising: false, angularRateRecovery: false });
  });

  it('gyroscope offset: learns a constant bias after the stationary period', () => {
    const off = new GyroscopeOffset();
    let g: number[] = [];
    for (let i = 0; i < 100 * 120; i++) g = off.update([0.5, -1, 0.25]);
    expect(Math.abs(g[0]!)).toBeLessThan(1e-4);
    expect(off.offset[1]).toBeCloseTo(-1, 4);
    // moving (above 3 °/s) resets the timer and leaves the offset alone
    const before = [...off.offset];
    off.update([10, 0, 0]);
    expect(off.offset).toEqual(before);
  });

  it('Euler angles as FusionQuaternionToEuler, axes swap as FusionAxesSwap', () => {
    const q = quaternionFromAxisAngle([0, 0, 1], 40);
    expect(quaternionToEuler(q).yaw).toBeCloseTo(40, 10);
    const e = quaternionToEuler(quaternionFromAxisAngle([0, 1, 0], 95)); // beyond the singularity
    expect(e.pitch).toBeCloseTo(85, 6);
    expect(axesSwap([1, 2, 3], '+Y-X+Z')).toEqual([2, -1, 3]);
    expect(axesSwap([1, 2, 3], '-Z+X-Y')).toEqual([-3, 1, -2]);
  });

  it('parses a CSV without magnetometer columns and runs the 6-axis update', () => {
    const csv =
      'Time (s),Gyroscope X (deg/s),Gyroscope Y (deg/s),Gyroscope Z (deg/s),Accelerometer X (g),Accelerometer Y (g),Accelerometer Z (g)\n' +
      Array.from({ length: 50 }, (_, i) => `${i * 0.01},0,0,10,0,0,1`).join('\n');
    const { samples, hasMagnetometer } = parseImuCsv(csv);
    expect(hasMagnetometer).toBe(false);
    const out = processImu(samples, { offset: null });
    expect(out.every((o) => o.magnetometerIgnored)).toBe(true);
    // heading held at 0 during start-up
    expect(out.at(-1)!.euler.yaw).toBeCloseTo(0, 9);
  });
});
