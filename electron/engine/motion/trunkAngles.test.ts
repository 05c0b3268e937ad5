/**
 * Trunk angles from two sensors: synthetic rotations with arbitrary sensor
 * mountings and facing direction must give back the angles they were made of.
 */
import { describe, expect, it } from 'vitest';
import {
  Ahrs,
  quaternionAngleDeg,
  quaternionConjugate,
  quaternionFromAxisAngle,
  quaternionProduct,
  quaternionToMatrix,
  rotateVector,
  type Quaternion,
  type Vec3,
} from './ahrs.js';
import {
  calibrateTrunk,
  earthUp,
  quaternionFromMatrix,
  relativeFromTrunkAngles,
  trunkAngleSeries,
  trunkAngles,
  trunkAnglesFromRelative,
  trunkRangeOfMotion,
  type TrunkAnglesDeg,
} from './trunkAngles.js';

/** Deterministic pseudo-random numbers (LCG). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (1664525 * s + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

const q = (axis: Vec3, deg: number): Quaternion => quaternionFromAxisAngle(axis, deg);
const mul = (...qs: Quaternion[]): Quaternion => qs.reduce((a, b) => quaternionProduct(a, b));

/**
 * A subject facing `headingDeg` (about Earth up) in `convention`: the neutral frame q_E←N
 * (X anterior, Y up, Z right) built by hand.
 */
function neutralFrame(convention: 'NWU' | 'ENU' | 'NED', headingDeg: number): Quaternion {
  // In NWU/ENU: first make X = Earth x, Y = up = Earth z: rotate +90° about x; NED (up = −z): −90° about x.
  const base = convention === 'NED' ? q([1, 0, 0], -90) : q([1, 0, 0], 90);
  const up = earthUp(convention);
  return mul(q(up, headingDeg), base);
}

function expectAngles(a: TrunkAnglesDeg, b: TrunkAnglesDeg, tol = 1e-9): void {
  expect(Math.abs(a.flexion - b.flexion)).toBeLessThan(tol);
  expect(Math.abs(a.lateralBending - b.lateralBending)).toBeLessThan(tol);
  expect(Math.abs(a.axialRotation - b.axialRotation)).toBeLessThan(tol);
}

describe('trunk angles (Z-X-Y Cardan, thorax relative to pelvis)', () => {
  it('the decomposition inverts its composition, and the signs are the clinical ones', () => {
    const r = rng(7);
    for (let i = 0; i < 200; i++) {
      const a = { flexion: 80 * r(), lateralBending: 60 * r(), axialRotation: 170 * r() };
      expectAngles(trunkAnglesFromRelative(relativeFromTrunkAngles(a)), a);
    }
    // forward flexion: the thorax's superior axis (Y) tilts toward the pelvis's anterior axis (X)
    const flex = rotateVector(relativeFromTrunkAngles({ flexion: 30, lateralBending: 0, axialRotation: 0 }), [0, 1, 0]);
    expect(flex[0]).toBeCloseTo(Math.sin(Math.PI / 6), 12);
    // right lateral bending: Y tilts toward Z (right)
    const lat = rotateVector(relativeFromTrunkAngles({ flexion: 0, lateralBending: 20, axialRotation: 0 }), [0, 1, 0]);
    expect(lat[2]).toBeGreaterThan(0.3);
    // positive axial rotation: the anterior axis turns to the left (−Z)
    const ax = rotateVector(relativeFromTrunkAngles({ flexion: 0, lateralBending: 0, axialRotation: 15 }), [1, 0, 0]);
    expect(ax[2]).toBeLessThan(-0.2);
  });

  it('quaternionFromMatrix inverts quaternionToMatrix in all four branches', () => {
    const r = rng(3);
    for (let i = 0; i < 200; i++) {
      const qq = q([r(), r(), r()], 180 * r() + (i % 4) * 45);
      expect(quaternionAngleDeg(quaternionFromMatrix(quaternionToMatrix(qq)), qq)).toBeLessThan(1e-9);
    }
    expect(quaternionAngleDeg(quaternionFromMatrix(quaternionToMatrix(q([1, 0, 0], 179.9))), q([1, 0, 0], 179.9))).toBeLessThan(1e-9);
  });

  it('recovers known flexion, lateral bending and rotation from sensors mounted at arbitrary angles (static-pose alignment)', () => {
    const r = rng(11);
    for (const convention of ['NWU', 'ENU', 'NED'] as const) {
      for (let trial = 0; trial < 5; trial++) {
        const heading = 180 * r();
        const N = neutralFrame(convention, heading);
        // sensor mountings: segment → sensor, q_seg←S (random, within the limit that the pelvis sensor's anterior axis is not vertical)
        const thoraxMount = q([r(), r(), r()], 90 * r());
        const pelvisMount = mul(q([0, 1, 0], 180), q([r(), r(), r()], 30 * r())); // roughly "z out of the back"
        const anteriorInPelvisSensor = rotateVector(quaternionConjugate(pelvisMount), [1, 0, 0]);
        const sensorOf = (segment: Quaternion, mount: Quaternion): Quaternion => mul(segment, mount);
        // static pose, slightly noisy
        const staticT: Quaternion[] = [];
        const staticP: Quaternion[] = [];
        for (let i = 0; i < 50; i++) {
          staticT.push(sensorOf(mul(N, q([r(), r(), r()], 0.01)), thoraxMount));
          staticP.push(sensorOf(mul(N, q([r(), r(), r()], 0.01)), pelvisMount));
        }
        const cal = calibrateTrunk(staticT, staticP, anteriorInPelvisSensor, convention);
        expect(quaternionAngleDeg(cal.neutral, N)).toBeLessThan(0.01);
        // movements: the pelvis tilts and turns, the thorax moves relative to it by known angles
        const truth: TrunkAnglesDeg[] = [];
        const thorax: Quaternion[] = [];
        const pelvis: Quaternion[] = [];
        for (let k = 0; k <= 40; k++) {
          const a = { flexion: 40 * Math.sin(k / 6), lateralBending: 20 * Math.sin(k / 4 + 1), axialRotation: 15 * Math.sin(k / 5 + 2) };
          const pelvisSeg = mul(N, q([0, 0, 1], 10 * Math.sin(k / 7)), q([0, 1, 0], 25 * Math.sin(k / 9)));
          const thoraxSeg = mul(pelvisSeg, relativeFromTrunkAngles(a));
          truth.push(a);
          pelvis.push(sensorOf(pelvisSeg, pelvisMount));
          thorax.push(sensorOf(thoraxSeg, thoraxMount));
        }
        const got = trunkAngleSeries(thorax, pelvis, cal);
        for (let k = 0; k < got.length; k++) expectAngles(got[k]!, truth[k]!, 0.05); // the 0.01° static noise maps through
        const rom = trunkRangeOfMotion(got);
        const romTruth = trunkRangeOfMotion(truth);
        expect(Math.abs(rom.flexion.range - romTruth.flexion.range)).toBeLessThan(0.05);
        expect(Math.abs(rom.lateralBending.max - romTruth.lateralBending.max)).toBeLessThan(0.05);
        expect(Math.abs(rom.axialRotation.min - romTruth.axialRotation.min)).toBeLessThan(0.05);
      }
    }
  });

  it('the neutral pose reads zero, whatever the heading', () => {
    const N = neutralFrame('NWU', 123);
    const mount = q([0, 1, 0], 180);
    const cal = calibrateTrunk([mul(N, mount)], [mul(N, mount)], [-1, 0, 0]);
    expectAngles(trunkAngles(mul(N, mount), mul(N, mount), cal), { flexion: 0, lateralBending: 0, axialRotation: 0 }, 1e-9);
  });

  it('end to end through the AHRS: two simulated sensors (gyroscope + accelerometer) give the forward flexion', () => {
    // both sensors upright for 4 s (static pose), then the thorax flexes forward at 20 °/s for 2 s about the medio-lateral axis
    const rate = 100;
    const mount: Quaternion = q([0, 1, 0], 180); // sensor x posterior, y superior, z to the left (a fixed mounting on the back)
    const N = neutralFrame('NWU', 0);
    const thoraxAhrs = new Ahrs({ sampleRateHz: rate });
    const pelvisAhrs = new Ahrs({ sampleRateHz: rate });
    const staticT: Quaternion[] = [];
    const staticP: Quaternion[] = [];
    const imu = (seg: Quaternion, wSegDps: Vec3): { gyro: Vec3; acc: Vec3 } => {
      const sensor = mul(seg, mount);
      return { gyro: rotateVector(quaternionConjugate(mount), wSegDps), acc: rotateVector(quaternionConjugate(sensor), [0, 0, 1]) };
    };
    let thoraxSeg = N;
    for (let i = 0; i < 4 * rate; i++) {
      const p = imu(N, [0, 0, 0]);
      pelvisAhrs.updateNoMagnetometer(p.gyro, p.acc);
      thoraxAhrs.updateNoMagnetometer(p.gyro, p.acc);
      if (i >= 3.5 * rate) {
        staticT.push(thoraxAhrs.quaternion);
        staticP.push(pelvisAhrs.quaternion);
      }
    }
    const cal = calibrateTrunk(staticT, staticP, rotateVector(quaternionConjugate(mount), [1, 0, 0]));
    for (let i = 0; i < 2 * rate; i++) {
      thoraxSeg = mul(thoraxSeg, q([0, 0, 1], -20 / rate)); // forward flexion = negative rotation about Z (right)
      const t = imu(thoraxSeg, [0, 0, -20]);
      const p = imu(N, [0, 0, 0]);
      thoraxAhrs.updateNoMagnetometer(t.gyro, t.acc);
      pelvisAhrs.updateNoMagnetometer(p.gyro, p.acc);
    }
    // Fusion compares this sample's accelerometer with the previous estimate, so while moving the
    // estimate leads the truth a little (0.13° here); holding still for 10 s lets it settle (τ = 1/gain = 2 s)
    for (let i = 0; i < 10 * rate; i++) {
      const t = imu(thoraxSeg, [0, 0, 0]);
      const p = imu(N, [0, 0, 0]);
      thoraxAhrs.updateNoMagnetometer(t.gyro, t.acc);
      pelvisAhrs.updateNoMagnetometer(p.gyro, p.acc);
    }
    const a = trunkAngles(thoraxAhrs.quaternion, pelvisAhrs.quaternion, cal);
    expect(Math.abs(a.flexion - 40)).toBeLessThan(0.01);
    expect(Math.abs(a.lateralBending)).toBeLessThan(0.01);
    expect(Math.abs(a.axialRotation)).toBeLessThan(0.01);
  });

  it('rejects a vertical anterior axis and mismatched series', () => {
    const N = neutralFrame('NWU', 0);
    expect(() => calibrateTrunk([N], [N], [0, 1, 0])).toThrow(/vertical/);
    const cal = calibrateTrunk([N], [N], [1, 0, 0]);
    expect(() => trunkAngleSeries([N, N], [N], cal)).toThrow(/time-align/);
  });
});
