/**
 * Trunk angles from the IMU of a motion trial (issue 21 §4), end to end:
 * raw 9-axis IMU samples (100 Hz) of two sensors on the back — over T12
 * (mounted 12° askew) and over S1 — are synthesised from known trunk
 * movements (6 s standing still, flexion 0→40→0°, lateral bending ±20°,
 * axial rotation ±15°; gyroscope = the body rate in the sensor frame,
 * accelerometer = gravity's reaction, magnetometer = a 20/−40 µT Earth field;
 * white noise on each axis and a 0.3 °/s gyroscope bias),
 * written as OrthoTwin's recorder writes a PicoX session (C3D, IMU
 * interpolated onto 2000 Hz sEMG samples, ORTHOTWIN:IMU_RATE), read as a
 * trial and run through the AHRS, the static-pose alignment and the angle
 * decomposition: each angle within 1.5° RMS of the truth, and the stored
 * ranges of motion within 2°.
 */
import { describe, expect, it } from 'vitest';
import { quaternionFromAxisAngle, quaternionNormalise, quaternionProduct, type Quaternion } from '../../electron/engine/motion/ahrs.js';
import { readTrialBytes } from '../../capabilities/motion/trial.js';
import { IMU_HZ, ON_BACK, picoxImuRecording } from '../helpers/imuScene.js';
import { imuSensors, levelOrder, trunkFromImu, trunkImuFeatures, unwrapAngles, type TrunkImu } from '../../capabilities/motion/imuTrial.js';
import { trunkAnglesView } from '../../capabilities/motion/channelView.js';

const T = 26;
const bump = (t: number, t0: number, d: number): number => (t < t0 || t > t0 + d ? 0 : 0.5 - 0.5 * Math.cos((2 * Math.PI * (t - t0)) / d));
/** The true trunk angles (degrees) at t: flexion, lateral bending (right +), axial rotation (left +). */
const truth = (t: number): [number, number, number] => [40 * bump(t, 6, 6), 20 * (bump(t, 12, 3) - bump(t, 15, 3)), 15 * (bump(t, 19, 3) - bump(t, 22, 3))];
// Earth NWU; the patient faces north. A sensor on the back: x up, z out of the skin (south), y = z × x (west)
const pelvisQ = (): Quaternion => ON_BACK;
const thoraxMount = quaternionFromAxisAngle([0, 1, 0], 12);
const thoraxQ = (t: number): Quaternion => {
  const [f, b, r] = truth(t);
  // flexion about the medio-lateral axis (west), then lateral bending about the rotated anterior axis, then axial rotation
  const q = quaternionProduct(
    quaternionProduct(quaternionFromAxisAngle([0, 1, 0], f), quaternionFromAxisAngle([1, 0, 0], b)),
    quaternionFromAxisAngle([0, 0, 1], r),
  );
  return quaternionNormalise(quaternionProduct(quaternionProduct(q, ON_BACK), thoraxMount));
};
/** The recording: sensors over T12 (mounted askew) and S1, 26 s, noise and a 0.3 °/s gyroscope bias. */
const session = (): Uint8Array =>
  picoxImuRecording({
    sensors: [
      { label: 'EMG1', description: 'erector spinae T12 left', q: thoraxQ },
      { label: 'EMG2', description: 'erector spinae S1 left', q: pelvisQ },
    ],
    seconds: T,
    seed: 5,
    gyroBiasYDps: 0.3,
  });

describe('trunk angles from the IMU of a recorded session', () => {
  const trial = readTrialBytes(session(), 'picox_Motion.c3d');
  const r = trunkFromImu(trial) as TrunkImu;

  it('finds the two sensors with their levels and the IMU rate', () => {
    expect(trial.imuRateHz).toBe(IMU_HZ);
    expect(imuSensors(trial).map((s) => [s.label, s.level, s.side])).toEqual([
      ['EMG1', 'T12', 'left'],
      ['EMG2', 'S1', 'left'],
    ]);
    expect(levelOrder('T12')! < levelOrder('L1')! && levelOrder('L5')! < levelOrder('S1')!).toBe(true);
    expect('reason' in r).toBe(false);
    expect([r.upper.label, r.lower.label]).toEqual(['EMG1', 'EMG2']);
    expect(r.params.magnetometer).toBe(true);
  });

  it('recovers each trunk angle within 1.5° RMS of the truth', () => {
    const err: [number, number, number] = [0, 0, 0];
    r.t.forEach((t, i) => {
      const a = r.angles[i]!;
      const [f, b, rot] = truth(t);
      err[0]! += (a.flexion - f) ** 2;
      err[1]! += (a.lateralBending - b) ** 2;
      err[2]! += (a.axialRotation - rot) ** 2;
    });
    const rms = err.map((e) => Math.sqrt(e / r.t.length));
    console.log(`IMU trunk angles vs truth: RMS flexion ${rms[0]!.toFixed(2)}°, lateral bending ${rms[1]!.toFixed(2)}°, axial rotation ${rms[2]!.toFixed(2)}°`);
    for (const e of rms) expect(e).toBeLessThan(1.5);
  });

  it('stores the ranges of motion, their extremes and the assumptions', () => {
    const f = trunkImuFeatures(r);
    const get = (n: string) => f.find((x) => x.name === n)!;
    expect(get('imu.trunk_flexion_rom').value!).toBeGreaterThan(38);
    expect(get('imu.trunk_flexion_rom').value!).toBeLessThan(42);
    expect(get('imu.trunk_lateral_bending_max').value!).toBeCloseTo(20, -0.3);
    expect(get('imu.trunk_lateral_bending_min').value!).toBeCloseTo(-20, -0.3);
    expect(get('imu.trunk_axial_rotation_rom').value!).toBeGreaterThan(28);
    expect(get('imu.trunk_axial_rotation_rom').value!).toBeLessThan(32);
    expect(get('imu.trunk_flexion_rom')).toMatchObject({ unit: '°', channel: 'EMG1/EMG2', level: 'T12–S1', side: 'left', algorithm: 'orthotwin.trunk_imu' });
    expect(get('imu.trunk_flexion_rom').parameters).toMatchObject({ staticFromS: 3, staticS: 1, imuRateHz: 100, anteriorInSensor: [0, 0, -1] });
  });

  it('unwraps an angle that crosses ±180°', () => {
    const a = unwrapAngles([170, 179, -178, -170, 175].map((r) => ({ flexion: 0, lateralBending: 0, axialRotation: r })));
    expect(a.map((x) => x.axialRotation)).toEqual([170, 179, 182, 190, 175]);
  });

  it('says why when a trial has no cranial/caudal pair', () => {
    const one = readTrialBytes(session(), 'x.c3d');
    one.channels = one.channels.filter((c) => !c.label.startsWith('EMG2'));
    expect(trunkFromImu(one)).toEqual({ reason: 'fewer than two IMU sensors with a vertebral level' });
    expect(trunkAnglesView(one, 500).reason).toBe('fewer than two IMU sensors with a vertebral level');
    // a sensor whose assumed anterior axis points up in the static pose (here its x axis) cannot be aligned: a reason, no throw
    expect((trunkFromImu(trial, { anteriorInSensor: [1, 0, 0] }) as { reason: string }).reason).toMatch(
      /^the static pose at 3–4 s cannot align the sensors \(/,
    );
    const v = trunkAnglesView(trial, 500);
    expect(v).toMatchObject({ upper: 'EMG1 (T12 left)', lower: 'EMG2 (S1 left)', reason: null });
    expect(v.t.length).toBeLessThanOrEqual(500);
    expect(Math.max(...v.flexion)).toBeGreaterThan(38);
  });
});
