/**
 * IMU orientation and trunk angles of a motion trial (issue 21 §4): the
 * sensors whose nine IMU channels a trial holds (`<sensor>_ACC_X … _MAG_Z`,
 * g, deg/s, uT, as OrthoTwin's recordings write them, interpolated onto the
 * sEMG samples), each run at its own rate through the AHRS
 * (electron/engine/motion/ahrs.ts: x-io Fusion's revised Madgwick filter,
 * the advanced example's settings, gyroscope offset correction; the
 * 9-axis update where the magnetometer channels hold data, else the 6-axis
 * one), and the trunk angles of the most cranial sensor relative to the
 * most caudal one (electron/engine/motion/trunkAngles.ts: flexion/extension,
 * lateral bending, axial rotation, degrees), with the sensor-to-segment
 * alignment from a static pose.
 *
 * Assumptions, stored with the features: the patient stands still and
 * upright from `staticFromS` for `staticS` seconds (after the AHRS start-up
 * ramp of 3 s); the sensors sit on the back with their z axis out of the
 * skin, so the anterior direction is −z (`anteriorInSensor`). Angles of a
 * sensor pair on one side are preferred (left, then right), else any pair.
 */
import { FUSION_ADVANCED_AHRS_SETTINGS, processImu, type ImuSample, type Quaternion, type Vec3 } from '../../electron/engine/motion/ahrs.js';
import {
  calibrateTrunk,
  trunkAngleSeries,
  trunkRangeOfMotion,
  type TrunkAnglesDeg,
  type TrunkRangeOfMotion,
} from '../../electron/engine/motion/trunkAngles.js';
import { IMU_AXES } from '../../electron/contract/devices.js';
import type { MotionFeature } from './contract.js';
import type { Trial, TrialChannel } from './trial.js';

export interface TrunkImuParams {
  /** Start of the static, upright pose (s from the trial's first sample; after the AHRS start-up ramp). */
  staticFromS: number;
  /** Length of the static pose (s). */
  staticS: number;
  /** The sensor axis that points anterior when the sensor sits on the back. */
  anteriorInSensor: Vec3;
}

export const TRUNK_IMU_DEFAULTS: Readonly<TrunkImuParams> = Object.freeze({ staticFromS: 3, staticS: 1, anteriorInSensor: [0, 0, -1] as Vec3 });

/** A sensor of the trial with its nine IMU channels (accelerometer g, gyroscope deg/s, magnetometer uT). */
export interface ImuSensor {
  label: string;
  muscle: string;
  side: string;
  level: string;
  channels: TrialChannel[];
}

/** Cranio-caudal order of a vertebral level (C1 … C7, T1 … T12, L1 … L5, S1 …); null for none. */
export function levelOrder(level: string): number | null {
  const m = /^([CTLS])(\d{1,2})$/.exec(level);
  if (!m) return null;
  return { C: 0, T: 7, L: 19, S: 24 }[m[1] as 'C' | 'T' | 'L' | 'S'] + Number(m[2]);
}

/** The trial's sensors with all nine IMU channels; the site is that of the sEMG channel of the same label, if any. */
export function imuSensors(trial: Trial): ImuSensor[] {
  const out: ImuSensor[] = [];
  for (const c of trial.channels) {
    if (!c.label.endsWith('_ACC_X')) continue;
    const label = c.label.slice(0, -'_ACC_X'.length);
    const channels = IMU_AXES.map((a) => trial.channels.find((x) => x.label === `${label}_${a}`));
    if (channels.some((x) => !x)) continue;
    const site = trial.channels.find((x) => x.label === label) ?? c;
    out.push({ label, muscle: site.muscle, side: site.side, level: site.level, channels: channels as TrialChannel[] });
  }
  return out;
}

/**
 * A sensor's orientation (q_E←S, NWU) at the IMU rate: its channels sampled every analogHz / imuRateHz samples.
 * @returns times (s), quaternions, and the fraction of samples whose accelerometer the AHRS rejected
 */
export function sensorOrientation(trial: Trial, s: ImuSensor): { t: number[]; q: Quaternion[]; accelerationIgnored: number; magnetometer: boolean } {
  const rate = trial.imuRateHz;
  const n = Math.floor((trial.channels[0]!.samples.length * rate) / trial.analogHz);
  const at = (k: number, i: number): number => s.channels[k]!.samples[Math.min(s.channels[k]!.samples.length - 1, Math.round((i * trial.analogHz) / rate))]!;
  let magnetometer = false;
  for (let k = 6; k < 9 && !magnetometer; k++) magnetometer = s.channels[k]!.samples.some((v) => v !== 0);
  const samples: ImuSample[] = Array.from({ length: n }, (_, i) => ({
    t: i / rate,
    accelerometer: [at(0, i), at(1, i), at(2, i)],
    gyroscope: [at(3, i), at(4, i), at(5, i)],
    magnetometer: magnetometer ? [at(6, i), at(7, i), at(8, i)] : null,
  }));
  const o = processImu(samples, { ahrs: { ...FUSION_ADVANCED_AHRS_SETTINGS, sampleRateHz: rate } });
  return {
    t: o.map((x) => x.t),
    q: o.map((x) => x.quaternion),
    accelerationIgnored: o.filter((x) => x.accelerometerIgnored).length / Math.max(1, o.length),
    magnetometer,
  };
}

export interface TrunkImu {
  /** The cranial (thorax) and caudal (pelvis) sensors. */
  upper: ImuSensor;
  lower: ImuSensor;
  t: number[];
  angles: TrunkAnglesDeg[];
  rom: TrunkRangeOfMotion;
  params: TrunkImuParams & { imuRateHz: number; magnetometer: boolean; accelerationIgnored: number };
}

/**
 * Trunk angles of a trial from its most cranial and most caudal IMU sensors (see the module comment).
 * @returns the reason instead when the trial has no such pair, is too short for the static pose, or the static pose
 *   cannot align the sensors (one not mounted as assumed)
 */
export function trunkFromImu(trial: Trial, o: Partial<TrunkImuParams> = {}): TrunkImu | { reason: string } {
  const p: TrunkImuParams = { ...TRUNK_IMU_DEFAULTS, ...o };
  const sensors = imuSensors(trial).filter((s) => levelOrder(s.level) !== null);
  if (sensors.length < 2) return { reason: 'fewer than two IMU sensors with a vertebral level' };
  let pair: [ImuSensor, ImuSensor] | null = null;
  for (const side of ['left', 'right', '']) {
    const on = sensors.filter((s) => !side || s.side === side).sort((a, b) => levelOrder(a.level)! - levelOrder(b.level)!);
    if (on.length >= 2 && levelOrder(on[0]!.level)! < levelOrder(on.at(-1)!.level)!) {
      pair = [on[0]!, on.at(-1)!];
      break;
    }
  }
  if (!pair) return { reason: 'the IMU sensors are all at one level: trunk angles need a cranial and a caudal sensor' };
  if (trial.durationS < p.staticFromS + p.staticS + 1)
    return { reason: `the trial lasts ${trial.durationS.toFixed(1)} s: the static pose needs ${p.staticFromS + p.staticS} s and movement after it` };
  const [upper, lower] = pair;
  const u = sensorOrientation(trial, upper),
    l = sensorOrientation(trial, lower);
  const i0 = Math.round(p.staticFromS * trial.imuRateHz),
    i1 = Math.round((p.staticFromS + p.staticS) * trial.imuRateHz);
  let cal: ReturnType<typeof calibrateTrunk>;
  try {
    cal = calibrateTrunk(u.q.slice(i0, i1), l.q.slice(i0, i1), p.anteriorInSensor);
  } catch (e) {
    // e.g. a sensor not mounted as assumed: its anterior axis points up during the static pose
    return { reason: `the static pose at ${p.staticFromS}–${p.staticFromS + p.staticS} s cannot align the sensors (${(e as Error).message})` };
  }
  const accelerationIgnored = Math.max(u.accelerationIgnored, l.accelerationIgnored);
  if (accelerationIgnored > 0.2)
    return {
      reason: `the AHRS rejected the accelerometer in ${Math.round(accelerationIgnored * 100)} % of the samples (fast movement, or sensors not on a trunk moving as one): the orientation is not reliable`,
    };
  // the angles after the start-up ramp (before it the orientation is still converging), unwrapped (no ±180° jumps)
  const angles = unwrapAngles(trunkAngleSeries(u.q.slice(i0), l.q.slice(i0), cal));
  return {
    upper,
    lower,
    t: u.t.slice(i0),
    angles,
    rom: trunkRangeOfMotion(angles),
    params: {
      ...p,
      imuRateHz: trial.imuRateHz,
      magnetometer: u.magnetometer && l.magnetometer,
      accelerationIgnored,
    },
  };
}

/** Angle series made continuous: a jump over 180° between samples is taken as a wrap and undone. */
export function unwrapAngles(a: TrunkAnglesDeg[]): TrunkAnglesDeg[] {
  const out = a.map((x) => ({ ...x }));
  for (const k of ['flexion', 'lateralBending', 'axialRotation'] as const)
    for (let i = 1; i < out.length; i++) {
      const d = out[i]![k] - out[i - 1]![k];
      if (d > 180) out[i]![k] -= 360 * Math.round(d / 360);
      else if (d < -180) out[i]![k] += 360 * Math.round(-d / 360);
    }
  return out;
}

/** The stored features of the trunk angles: range of motion, minimum and maximum of each angle (degrees). */
export function trunkImuFeatures(r: TrunkImu): MotionFeature[] {
  const out: MotionFeature[] = [];
  const channel = `${r.upper.label}/${r.lower.label}`;
  const level = `${r.upper.level}–${r.lower.level}`;
  const parameters = {
    ...r.params,
    anteriorInSensor: [...r.params.anteriorInSensor],
    ahrs: { ...FUSION_ADVANCED_AHRS_SETTINGS, sampleRateHz: r.params.imuRateHz },
  };
  const flags = r.params.accelerationIgnored > 0.2 ? ['accelerometer rejected in over 20 % of samples'] : [];
  for (const [key, name] of [
    ['flexion', 'flexion'],
    ['lateralBending', 'lateral_bending'],
    ['axialRotation', 'axial_rotation'],
  ] as const)
    for (const [what, v] of [
      ['rom', r.rom[key].range],
      ['min', r.rom[key].min],
      ['max', r.rom[key].max],
    ] as const)
      out.push({
        name: `imu.trunk_${name}_${what}`,
        value: Number.isFinite(v) ? v : null,
        unit: '°',
        channel,
        muscle: 'trunk',
        side: r.upper.side === r.lower.side ? r.upper.side : '',
        level,
        flags,
        algorithm: 'orthotwin.trunk_imu',
        algorithmVersion: '1',
        parameters,
      });
  return out;
}
