/**
 * IMU orientation: the revised AHRS of Madgwick's PhD thesis (ch. 7) exactly
 * as x-io Technologies' Fusion library implements it (xioTechnologies/Fusion,
 * MIT, commit d69784c8f7058a6545802b8852d26d6fcfd5e119: `Fusion/FusionAhrs.c`,
 * the run-time gyroscope offset of `Fusion/FusionBias.c` — the successor of
 * `FusionOffset.c` —, `FusionMath.h`, `FusionAxes.h`, `FusionCompass.c`),
 * ported line by line to double precision with the exact square root (the
 * library's `FUSION_USE_NORMAL_SQRT` build).
 *
 * Algorithm (a complementary filter, not the 2010 gradient-descent filter):
 *   halfGravity = ½ · (direction of gravity in the sensor frame, from q)
 *   accel residual = normalise(a) × halfGravity   (normalised when the error exceeds 90°)
 *   mag residual   = normalise(halfGravity × m) × halfWest
 *   halfRate = ½·ω(rad/s) + gain · (accel residual + mag residual)
 *   q ← normalise(q + q ⊗ (0, halfRate · Δt))
 * with: a start-up ("initialising") phase in which the gain ramps linearly
 * from 10 to its final value over 3 s of updates at the nominal rate and
 * rejection is disabled; acceleration/magnetic rejection (a residual whose
 * angle exceeds the threshold is ignored) with a recovery trigger that counts
 * +1 per rejected and −9 per accepted update and, above the recovery period
 * (rejection timeout × nominal rate, in updates), forces the sensor back in;
 * angular-rate recovery: a soft restart (start-up again, orientation kept)
 * whenever a gyroscope axis exceeds 98 % of the gyroscope range.
 *
 * Units and frames
 * - gyroscope: degrees per second, sensor frame;
 * - accelerometer: g (any unit works: it is normalised), sensor frame;
 * - magnetometer: any calibrated unit (µT in the x-io files), sensor frame;
 *   a zero vector means "none" (the 6-axis update);
 * - time: seconds; the sample period may be set per update (from timestamps);
 * - quaternion q = (w, x, y, z): the sensor's orientation relative to the
 *   Earth frame, i.e. it maps sensor-frame vectors into Earth-frame vectors
 *   (v_earth = q ⊗ v_sensor ⊗ q*), "earth ← sensor";
 * - Earth frame by convention: NWU (x North, y West, z Up — Fusion's
 *   default), ENU (x East, y North, z Up) or NED (x North, y East, z Down);
 * - Euler angles: degrees, ZYX (aerospace) sequence as Fusion's
 *   `FusionQuaternionToEuler`: yaw about Earth z, then pitch about the new y,
 *   then roll about the new x; roll and yaw in (−180°, 180°], pitch in
 *   [−90°, 90°].
 */

/** A 3-vector (x, y, z). */
export type Vec3 = readonly [number, number, number];

/** A quaternion (w, x, y, z); unit for rotations. */
export interface Quaternion {
  readonly w: number;
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

/** Earth axes convention (Fusion's `FusionConvention`). */
export type EarthConvention = 'NWU' | 'ENU' | 'NED';

/** ZYX Euler angles in degrees (Fusion's `FusionEuler`). */
export interface EulerDeg {
  roll: number;
  pitch: number;
  yaw: number;
}

/** AHRS settings (Fusion's `FusionAhrsSettings` at the commit above). */
export interface AhrsSettings {
  /** Nominal sample rate (Hz): sets the start-up ramp step and the recovery period in updates. */
  sampleRateHz: number;
  convention: EarthConvention;
  /** Final gain of the feedback (Fusion default 0.5). */
  gain: number;
  /** Gyroscope full-scale range (°/s); 0 disables angular-rate recovery. */
  gyroscopeRangeDps: number;
  /** Acceleration rejection threshold (degrees of inclination error); 0 disables. */
  accelerationRejectionDeg: number;
  /** Magnetic rejection threshold (degrees of heading error); 0 disables. */
  magneticRejectionDeg: number;
  /** Rejection timeout = recovery trigger period (s); 0 disables rejection. */
  rejectionTimeoutS: number;
}

/** The library's defaults (`fusionAhrsDefaultSettings`): NWU, gain 0.5, no rejection, no range. */
export const FUSION_DEFAULT_AHRS_SETTINGS: Readonly<AhrsSettings> = Object.freeze({
  sampleRateHz: 100,
  convention: 'NWU',
  gain: 0.5,
  gyroscopeRangeDps: 0,
  accelerationRejectionDeg: 0,
  magneticRejectionDeg: 0,
  rejectionTimeoutS: 0,
});

/**
 * The settings of Fusion's advanced example, with which the reference
 * orientation of `imu/fusion_sensor_data.csv` was computed: NWU, gain 0.5,
 * gyroscope range 2000 °/s, acceleration and magnetic rejection 10°,
 * rejection timeout 5 s, at a nominal 100 Hz.
 */
export const FUSION_ADVANCED_AHRS_SETTINGS: Readonly<AhrsSettings> = Object.freeze({
  sampleRateHz: 100,
  convention: 'NWU',
  gain: 0.5,
  gyroscopeRangeDps: 2000,
  accelerationRejectionDeg: 10,
  magneticRejectionDeg: 10,
  rejectionTimeoutS: 5,
});

/** Flags (Fusion's `FusionAhrsFlags`; Fusion names in brackets). */
export interface AhrsFlags {
  /** Start-up gain ramp in progress, rejection disabled [startup]. */
  initialising: boolean;
  /** Soft restart after a gyroscope over-range, until start-up ends [overrangeRecovery]. */
  angularRateRecovery: boolean;
  /** The recovery trigger forces the accelerometer back in. */
  accelerationRecovery: boolean;
  /** The recovery trigger forces the magnetometer back in. */
  magneticRecovery: boolean;
}

/** Internal states (Fusion's `FusionAhrsInternalStates`). */
export interface AhrsInternalStates {
  /** Angle between measured and estimated gravity (degrees; capped at 90). */
  accelerationErrorDeg: number;
  /** The accelerometer did not feed this update back (rejected, or zero). */
  accelerometerIgnored: boolean;
  /** Acceleration recovery trigger as a fraction of the recovery period (0–1). */
  accelerationRecoveryTrigger: number;
  /** Angle between measured and estimated magnetic heading (degrees; capped at 90). */
  magneticErrorDeg: number;
  /** The magnetometer did not feed this update back (rejected, or zero / absent). */
  magnetometerIgnored: boolean;
  /** Magnetic recovery trigger as a fraction of the recovery period (0–1). */
  magneticRecoveryTrigger: number;
}

const INITIAL_STARTUP_GAIN = 10;
const STARTUP_PERIOD_S = 3;
const DEG = Math.PI / 180;

/** Clamped arc sine (Fusion's `FusionArcSin`): ±π/2 outside [−1, 1]. */
function arcSin(v: number): number {
  if (v <= -1) return -Math.PI / 2;
  if (v >= 1) return Math.PI / 2;
  return Math.asin(v);
}

function cross(ax: number, ay: number, az: number, bx: number, by: number, bz: number): [number, number, number] {
  return [ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx];
}

function normalise(v: readonly [number, number, number]): [number, number, number] {
  const s = 1 / Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  return [v[0] * s, v[1] * s, v[2] * s];
}

function isZero(v: Vec3): boolean {
  return v[0] === 0 && v[1] === 0 && v[2] === 0;
}

/** Fusion's `Residual`: sensor × reference, normalised when the angle is ≥ 90°. */
function residual(s: readonly [number, number, number], r: readonly [number, number, number]): [number, number, number] {
  const c = cross(s[0], s[1], s[2], r[0], r[1], r[2]);
  if (s[0] * r[0] + s[1] * r[1] + s[2] * r[2] > 0) return c;
  if (c[0] === 0 && c[1] === 0 && c[2] === 0) return [0, 0, 0];
  return normalise(c);
}

function clampInt(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Quaternion product a ⊗ b (Hamilton). */
export function quaternionProduct(a: Quaternion, b: Quaternion): Quaternion {
  return {
    w: a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
    x: a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
    y: a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
    z: a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
  };
}

/** Conjugate (= inverse for a unit quaternion). */
export function quaternionConjugate(q: Quaternion): Quaternion {
  return { w: q.w, x: -q.x, y: -q.y, z: -q.z };
}

/** Normalised quaternion. */
export function quaternionNormalise(q: Quaternion): Quaternion {
  const s = 1 / Math.sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
  return { w: q.w * s, x: q.x * s, y: q.y * s, z: q.z * s };
}

/**
 * Angle (degrees, 0–180) of the rotation taking unit quaternion a to b, i.e.
 * of a⁻¹ ⊗ b; q and −q are the same rotation, so the sign is irrelevant.
 */
export function quaternionAngleDeg(a: Quaternion, b: Quaternion): number {
  const d = quaternionProduct(quaternionConjugate(a), b);
  const v = Math.hypot(d.x, d.y, d.z);
  return (2 * Math.atan2(v, Math.abs(d.w))) / DEG;
}

/** Rotates a vector by a unit quaternion: q ⊗ (0, v) ⊗ q*. */
export function rotateVector(q: Quaternion, v: Vec3): [number, number, number] {
  const p = quaternionProduct(quaternionProduct(q, { w: 0, x: v[0], y: v[1], z: v[2] }), quaternionConjugate(q));
  return [p.x, p.y, p.z];
}

/** Unit quaternion of a rotation by `angleDeg` degrees about `axis` (normalised here). */
export function quaternionFromAxisAngle(axis: Vec3, angleDeg: number): Quaternion {
  const n = Math.hypot(axis[0], axis[1], axis[2]);
  const h = (angleDeg * DEG) / 2;
  const s = Math.sin(h) / n;
  return { w: Math.cos(h), x: axis[0] * s, y: axis[1] * s, z: axis[2] * s };
}

/**
 * Rotation matrix (row-major 3×3) of a unit quaternion, as Fusion's
 * `FusionQuaternionToMatrix`: maps sensor-frame vectors into the Earth frame.
 */
export function quaternionToMatrix(q: Quaternion): number[] {
  const { w, x, y, z } = q;
  return [
    2 * w * w - 1 + 2 * x * x,
    2 * x * y - 2 * w * z,
    2 * x * z + 2 * w * y,
    2 * x * y + 2 * w * z,
    2 * w * w - 1 + 2 * y * y,
    2 * y * z - 2 * w * x,
    2 * x * z - 2 * w * y,
    2 * y * z + 2 * w * x,
    2 * w * w - 1 + 2 * z * z,
  ];
}

/**
 * ZYX Euler angles in degrees of a unit quaternion, exactly as Fusion's
 * `FusionQuaternionToEuler` (Kuipers p. 168): roll about x, pitch about y,
 * yaw about z; pitch clamped to ±90° at the singularity.
 */
export function quaternionToEuler(q: Quaternion): EulerDeg {
  const { w, x, y, z } = q;
  return {
    roll: Math.atan2(y * z + w * x, w * w + z * z - 0.5) / DEG,
    pitch: arcSin(2 * (w * y - x * z)) / DEG,
    yaw: Math.atan2(x * y + w * z, w * w + x * x - 0.5) / DEG,
  };
}

/**
 * Tilt-compensated magnetic heading (degrees) from an accelerometer and a
 * magnetometer sample, as Fusion's `FusionCompassCalculateHeading`.
 */
export function compassHeadingDeg(convention: EarthConvention, accelerometer: Vec3, magnetometer: Vec3): number {
  const a = accelerometer;
  const m = magnetometer;
  if (convention === 'NED') {
    const up: [number, number, number] = [-a[0], -a[1], -a[2]];
    const west = normalise(cross(up[0], up[1], up[2], m[0], m[1], m[2]));
    const north = normalise(cross(west[0], west[1], west[2], up[0], up[1], up[2]));
    return Math.atan2(west[0], north[0]) / DEG;
  }
  const west = normalise(cross(a[0], a[1], a[2], m[0], m[1], m[2]));
  const north = normalise(cross(west[0], west[1], west[2], a[0], a[1], a[2]));
  if (convention === 'NWU') return Math.atan2(west[0], north[0]) / DEG;
  return Math.atan2(north[0], -west[0]) / DEG; // ENU
}

/**
 * Swaps sensor axes for alignment with the body axes (Fusion's
 * `FusionAxesSwap`). `alignment` names, for each body axis x, y, z in turn,
 * the signed sensor axis along it, e.g. '+Y-X+Z': body x = sensor +Y,
 * body y = sensor −X, body z = sensor +Z. Any of the 24 proper rotations
 * (and, unlike Fusion, improper ones too: the caller is trusted).
 */
export function axesSwap(sensor: Vec3, alignment: string): [number, number, number] {
  const m = /^([+-])([XYZ])([+-])([XYZ])([+-])([XYZ])$/i.exec(alignment.trim());
  if (!m) throw new Error(`axes alignment must look like +X+Y+Z, got "${alignment}"`);
  const out: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    const sign = m[1 + 2 * i] === '-' ? -1 : 1;
    const idx = 'XYZ'.indexOf(m[2 + 2 * i]!.toUpperCase());
    out[i] = sign * sensor[idx]!;
  }
  return out;
}

/** Gyroscope offset settings (Fusion's `FusionBiasSettings`). */
export interface GyroscopeOffsetSettings {
  /** Rate at which `update` is called (Hz). */
  sampleRateHz: number;
  /** All axes below this (°/s) count as stationary. */
  stationaryThresholdDps: number;
  /** Stationary time (s) before the offset starts to adapt. */
  stationaryPeriodS: number;
}

/** The library's defaults at the commit above: 100 Hz, 3 °/s, 3 s. */
export const FUSION_DEFAULT_OFFSET_SETTINGS: Readonly<GyroscopeOffsetSettings> = Object.freeze({
  sampleRateHz: 100,
  stationaryThresholdDps: 3,
  stationaryPeriodS: 3,
});

/** High-pass cutoff of the offset estimate (Hz). */
const OFFSET_CUTOFF_HZ = 0.02;

/**
 * Run-time gyroscope offset (bias) correction (Fusion's `FusionBias`, the
 * `FusionOffset` of earlier releases): the offset is subtracted from every
 * sample; once all axes have stayed below the stationary threshold for the
 * stationary period, the offset follows the corrected rate through a
 * first-order high-pass (cut-off 0.02 Hz). Call once per gyroscope sample.
 */
export class GyroscopeOffset {
  private filterCoefficient = 0;
  private timeout = 0;
  private timer = 0;
  private settings: GyroscopeOffsetSettings;
  /** Current offset estimate (°/s). */
  offset: [number, number, number] = [0, 0, 0];

  /** @param settings defaults: the library's (100 Hz, 3 °/s, 3 s). */
  constructor(settings: Partial<GyroscopeOffsetSettings> = {}) {
    this.settings = { ...FUSION_DEFAULT_OFFSET_SETTINGS };
    this.setSettings({ ...FUSION_DEFAULT_OFFSET_SETTINGS, ...settings });
  }

  /** Replaces the settings (keeps the timer and offset, as Fusion does). */
  setSettings(settings: GyroscopeOffsetSettings): void {
    if (!(settings.sampleRateHz > 0)) throw new Error('gyroscope offset: sample rate must be > 0 Hz');
    this.settings = { ...settings };
    this.filterCoefficient = 2 * Math.PI * OFFSET_CUTOFF_HZ * (1 / settings.sampleRateHz);
    this.timeout = Math.trunc(settings.stationaryPeriodS * settings.sampleRateHz);
  }

  /** The current settings. */
  getSettings(): GyroscopeOffsetSettings {
    return { ...this.settings };
  }

  /**
   * @param gyroscope raw gyroscope (°/s)
   * @returns the offset-corrected gyroscope (°/s)
   */
  update(gyroscope: Vec3): [number, number, number] {
    const g: [number, number, number] = [gyroscope[0] - this.offset[0], gyroscope[1] - this.offset[1], gyroscope[2] - this.offset[2]];
    const th = this.settings.stationaryThresholdDps;
    if (Math.abs(g[0]) > th || Math.abs(g[1]) > th || Math.abs(g[2]) > th) {
      this.timer = 0;
      return g;
    }
    if (this.timer < this.timeout) {
      this.timer++;
      return g;
    }
    const k = this.filterCoefficient;
    this.offset = [this.offset[0] + g[0] * k, this.offset[1] + g[1] * k, this.offset[2] + g[2] * k];
    return g;
  }
}

/**
 * The AHRS (Fusion's `FusionAhrs`). Feed it with `update` (9-axis),
 * `updateNoMagnetometer` (6-axis) or `updateExternalHeading`, after
 * `setSamplePeriod` when the period comes from timestamps.
 */
export class Ahrs {
  private settings: AhrsSettings = { ...FUSION_DEFAULT_AHRS_SETTINGS };
  private samplePeriod = 0.01;
  private gain = 0.5;
  private startupGainRate = 0;
  private overrangeEnabled = false;
  private overrangeThreshold = 0;
  private accelerationRejection = Number.MAX_VALUE;
  private magneticRejection = Number.MAX_VALUE;
  private rejectionTimeout = 0;

  private q: Quaternion = { w: 1, x: 0, y: 0, z: 0 };
  private accelerometer: Vec3 = [0, 0, 0];
  private startup = true;
  private startupGain = INITIAL_STARTUP_GAIN;
  private overrangeRecovery = false;
  private halfAccelerometerResidual: [number, number, number] = [0, 0, 0];
  private accelerationRecoveryTrigger = 0;
  private accelerationRecoveryThreshold = 0;
  private accelerometerIgnored = false;
  private halfMagnetometerResidual: [number, number, number] = [0, 0, 0];
  private magneticRecoveryTrigger = 0;
  private magneticRecoveryThreshold = 0;
  private magnetometerIgnored = false;

  /** @param settings merged over the library's defaults (FUSION_DEFAULT_AHRS_SETTINGS). */
  constructor(settings: Partial<AhrsSettings> = {}) {
    this.setSettings({ ...FUSION_DEFAULT_AHRS_SETTINGS, ...settings });
    this.restart();
  }

  /** Sets the settings (`FusionAhrsSetSettings`); also resets the sample period to 1/rate. */
  setSettings(settings: AhrsSettings): void {
    if (!(settings.sampleRateHz > 0)) throw new Error('AHRS: sample rate must be > 0 Hz');
    if (!['NWU', 'ENU', 'NED'].includes(settings.convention)) throw new Error(`AHRS: unknown convention ${String(settings.convention)}`);
    this.settings = { ...settings };
    this.samplePeriod = 1 / settings.sampleRateHz;
    this.gain = settings.gain;
    this.startupGainRate = ((INITIAL_STARTUP_GAIN - this.gain) / STARTUP_PERIOD_S) * this.samplePeriod;
    this.overrangeEnabled = settings.gyroscopeRangeDps > 0;
    this.overrangeThreshold = 0.98 * settings.gyroscopeRangeDps;
    this.accelerationRejection = settings.accelerationRejectionDeg === 0 ? Number.MAX_VALUE : (0.5 * Math.sin(settings.accelerationRejectionDeg * DEG)) ** 2;
    this.magneticRejection = settings.magneticRejectionDeg === 0 ? Number.MAX_VALUE : (0.5 * Math.sin(settings.magneticRejectionDeg * DEG)) ** 2;
    this.rejectionTimeout = Math.trunc(settings.sampleRateHz * settings.rejectionTimeoutS);
    this.accelerationRecoveryThreshold = this.rejectionTimeout;
    this.magneticRecoveryThreshold = this.rejectionTimeout;
    if (settings.gain === 0 || settings.rejectionTimeoutS === 0) {
      this.accelerationRejection = Number.MAX_VALUE; // rejection disabled when the gain or the timeout is zero
      this.magneticRejection = Number.MAX_VALUE;
    }
  }

  /** The current settings. */
  getSettings(): AhrsSettings {
    return { ...this.settings };
  }

  /** Sample period (s) used by the next updates (`FusionAhrsSetSamplePeriod`). */
  setSamplePeriod(samplePeriodS: number): void {
    this.samplePeriod = samplePeriodS;
  }

  /** Restarts: identity orientation, start-up ramp from gain 10 (`FusionAhrsRestart`). */
  restart(): void {
    this.q = { w: 1, x: 0, y: 0, z: 0 };
    this.accelerometer = [0, 0, 0];
    this.startup = true;
    this.startupGain = INITIAL_STARTUP_GAIN;
    this.overrangeRecovery = false;
    this.halfAccelerometerResidual = [0, 0, 0];
    this.accelerationRecoveryTrigger = 0;
    this.accelerationRecoveryThreshold = this.rejectionTimeout;
    this.accelerometerIgnored = false;
    this.halfMagnetometerResidual = [0, 0, 0];
    this.magneticRecoveryTrigger = 0;
    this.magneticRecoveryThreshold = this.rejectionTimeout;
    this.magnetometerIgnored = false;
  }

  /** Skips start-up when the initial orientation is already known (`FusionAhrsSkipStartup`). */
  skipStartup(): void {
    this.startup = false;
    this.overrangeRecovery = false;
  }

  /**
   * 9-axis update (`FusionAhrsUpdate`).
   * @param gyroscope °/s (offset-corrected), sensor frame
   * @param accelerometer g, sensor frame; [0,0,0] = none
   * @param magnetometer any calibrated unit, sensor frame; [0,0,0] = none
   */
  update(gyroscope: Vec3, accelerometer: Vec3, magnetometer: Vec3): void {
    this.accelerometer = [accelerometer[0], accelerometer[1], accelerometer[2]];
    this.overrange(gyroscope);
    const gain = this.startupStep();
    const h = 0.5 * DEG;
    const hg = this.halfGravity();
    const fa = this.halfInclinationFeedback(hg, accelerometer);
    const fm = this.halfHeadingFeedback(hg, magnetometer);
    const dt = this.samplePeriod;
    const rx = (gyroscope[0] * h + (fa[0] + fm[0]) * gain) * dt;
    const ry = (gyroscope[1] * h + (fa[1] + fm[1]) * gain) * dt;
    const rz = (gyroscope[2] * h + (fa[2] + fm[2]) * gain) * dt;
    const q = this.q;
    this.q = quaternionNormalise({
      w: q.w + (-q.x * rx - q.y * ry - q.z * rz),
      x: q.x + (q.w * rx + q.y * rz - q.z * ry),
      y: q.y + (q.w * ry - q.x * rz + q.z * rx),
      z: q.z + (q.w * rz + q.x * ry - q.y * rx),
    });
  }

  /** 6-axis update (`FusionAhrsUpdateNoMagnetometer`): heading held at zero during start-up. */
  updateNoMagnetometer(gyroscope: Vec3, accelerometer: Vec3): void {
    this.update(gyroscope, accelerometer, [0, 0, 0]);
    if (this.startup) this.setHeading(0);
  }

  /** Update with an external heading in degrees (`FusionAhrsUpdateExternalHeading`). */
  updateExternalHeading(gyroscope: Vec3, accelerometer: Vec3, headingDeg: number): void {
    const q = this.q;
    const roll = Math.atan2(q.w * q.x + q.y * q.z, 0.5 - q.y * q.y - q.x * q.x);
    const hr = headingDeg * DEG;
    const sh = Math.sin(hr);
    this.update(gyroscope, accelerometer, [Math.cos(hr), -Math.cos(roll) * sh, sh * Math.sin(roll)]);
  }

  /** Orientation of the sensor relative to the Earth (earth ← sensor). */
  get quaternion(): Quaternion {
    return this.q;
  }

  /** Replaces the orientation (`FusionAhrsSetQuaternion`). */
  setQuaternion(q: Quaternion): void {
    this.q = { w: q.w, x: q.x, y: q.y, z: q.z };
  }

  /** Euler angles of the orientation (degrees, `FusionQuaternionToEuler`). */
  get euler(): EulerDeg {
    return quaternionToEuler(this.q);
  }

  /** Direction of gravity in the sensor frame (unit; up for NWU/ENU, down for NED). */
  get gravity(): [number, number, number] {
    const g = this.halfGravity();
    return [2 * g[0], 2 * g[1], 2 * g[2]];
  }

  /** Accelerometer minus gravity, sensor frame (g). */
  get linearAcceleration(): [number, number, number] {
    const g = this.gravity;
    const a = this.accelerometer;
    return [a[0] - g[0], a[1] - g[1], a[2] - g[2]];
  }

  /** Acceleration in the Earth frame with gravity removed (g). */
  get earthAcceleration(): [number, number, number] {
    const m = quaternionToMatrix(this.q);
    const a = this.accelerometer;
    const e: [number, number, number] = [
      m[0]! * a[0] + m[1]! * a[1] + m[2]! * a[2],
      m[3]! * a[0] + m[4]! * a[1] + m[5]! * a[2],
      m[6]! * a[0] + m[7]! * a[1] + m[8]! * a[2],
    ];
    e[2] += this.settings.convention === 'NED' ? 1 : -1;
    return e;
  }

  /** Internal states (`FusionAhrsGetInternalStates`). */
  get internalStates(): AhrsInternalStates {
    const n = (v: readonly number[]): number => Math.hypot(v[0]!, v[1]!, v[2]!);
    return {
      accelerationErrorDeg: arcSin(2 * n(this.halfAccelerometerResidual)) / DEG,
      accelerometerIgnored: this.accelerometerIgnored,
      accelerationRecoveryTrigger: this.rejectionTimeout === 0 ? 0 : this.accelerationRecoveryTrigger / this.rejectionTimeout,
      magneticErrorDeg: arcSin(2 * n(this.halfMagnetometerResidual)) / DEG,
      magnetometerIgnored: this.magnetometerIgnored,
      magneticRecoveryTrigger: this.rejectionTimeout === 0 ? 0 : this.magneticRecoveryTrigger / this.rejectionTimeout,
    };
  }

  /** Flags (`FusionAhrsGetFlags`). */
  get flags(): AhrsFlags {
    return {
      initialising: this.startup,
      angularRateRecovery: this.overrangeRecovery,
      accelerationRecovery: this.accelerationRecoveryTrigger > this.accelerationRecoveryThreshold,
      magneticRecovery: this.magneticRecoveryTrigger > this.magneticRecoveryThreshold,
    };
  }

  /** Rotates the orientation about Earth z so that the yaw equals `headingDeg` (`FusionAhrsSetHeading`). */
  setHeading(headingDeg: number): void {
    const q = this.q;
    const yaw = Math.atan2(q.w * q.z + q.x * q.y, 0.5 - q.y * q.y - q.z * q.z);
    const half = 0.5 * (yaw - headingDeg * DEG);
    this.q = quaternionProduct({ w: Math.cos(half), x: 0, y: 0, z: -Math.sin(half) }, q);
  }

  private overrange(gyroscope: Vec3): void {
    if (!this.overrangeEnabled) return;
    const t = this.overrangeThreshold;
    if (Math.abs(gyroscope[0]) <= t && Math.abs(gyroscope[1]) <= t && Math.abs(gyroscope[2]) <= t) return;
    // soft restart: keep the orientation and the accelerometer
    const q = this.q;
    const a = this.accelerometer;
    this.restart();
    this.q = q;
    this.accelerometer = a;
    this.overrangeRecovery = true;
  }

  private startupStep(): number {
    if (!this.startup) return this.gain;
    this.startupGain -= this.startupGainRate;
    if (this.startupGain > this.gain) return this.startupGain;
    this.startup = false;
    this.overrangeRecovery = false;
    return this.gain;
  }

  private halfInclinationFeedback(halfGravity: [number, number, number], accelerometer: Vec3): [number, number, number] {
    this.accelerometerIgnored = true;
    if (isZero(accelerometer)) return [0, 0, 0];
    this.halfAccelerometerResidual = residual(normalise(accelerometer), halfGravity);
    const r = this.halfAccelerometerResidual;
    if (this.startup || r[0] * r[0] + r[1] * r[1] + r[2] * r[2] <= this.accelerationRejection) {
      this.accelerometerIgnored = false;
      this.accelerationRecoveryTrigger -= 9;
    } else {
      this.accelerationRecoveryTrigger += 1;
    }
    if (this.accelerationRecoveryTrigger > this.accelerationRecoveryThreshold) {
      this.accelerationRecoveryThreshold = 0;
      this.accelerometerIgnored = false;
    } else {
      this.accelerationRecoveryThreshold = this.rejectionTimeout;
    }
    this.accelerationRecoveryTrigger = clampInt(this.accelerationRecoveryTrigger, 0, this.rejectionTimeout);
    return this.accelerometerIgnored ? [0, 0, 0] : r;
  }

  private halfHeadingFeedback(halfGravity: [number, number, number], magnetometer: Vec3): [number, number, number] {
    this.magnetometerIgnored = true;
    if (isZero(magnetometer)) return [0, 0, 0];
    const halfWest = this.halfWest();
    this.halfMagnetometerResidual = residual(
      normalise(cross(halfGravity[0], halfGravity[1], halfGravity[2], magnetometer[0], magnetometer[1], magnetometer[2])),
      halfWest,
    );
    const r = this.halfMagnetometerResidual;
    if (this.startup || r[0] * r[0] + r[1] * r[1] + r[2] * r[2] <= this.magneticRejection) {
      this.magnetometerIgnored = false;
      this.magneticRecoveryTrigger -= 9;
    } else {
      this.magneticRecoveryTrigger += 1;
    }
    if (this.magneticRecoveryTrigger > this.magneticRecoveryThreshold) {
      this.magneticRecoveryThreshold = 0;
      this.magnetometerIgnored = false;
    } else {
      this.magneticRecoveryThreshold = this.rejectionTimeout;
    }
    this.magneticRecoveryTrigger = clampInt(this.magneticRecoveryTrigger, 0, this.rejectionTimeout);
    return this.magnetometerIgnored ? [0, 0, 0] : r;
  }

  /** Gravity direction in the sensor frame × 0.5 (× −0.5 for NED): third column of Rᵀ. */
  private halfGravity(): [number, number, number] {
    const { w, x, y, z } = this.q;
    if (this.settings.convention === 'NED') return [w * y - x * z, -(y * z + w * x), 0.5 - w * w - z * z];
    return [x * z - w * y, y * z + w * x, w * w - 0.5 + z * z];
  }

  /** West direction in the sensor frame × 0.5 (from Rᵀ's columns per convention). */
  private halfWest(): [number, number, number] {
    const { w, x, y, z } = this.q;
    switch (this.settings.convention) {
      case 'NWU':
        return [x * y + w * z, w * w - 0.5 + y * y, y * z - w * x];
      case 'ENU':
        return [0.5 - w * w - x * x, w * z - x * y, -(x * z + w * y)];
      case 'NED':
        return [-(x * y + w * z), 0.5 - w * w - y * y, w * x - y * z];
    }
  }
}

/** One IMU sample: time (s), gyroscope (°/s), accelerometer (g), magnetometer (any unit) or null. */
export interface ImuSample {
  t: number;
  gyroscope: Vec3;
  accelerometer: Vec3;
  magnetometer: Vec3 | null;
}

/** One output row of `processImu`. */
export interface OrientationSample {
  t: number;
  quaternion: Quaternion;
  euler: EulerDeg;
  flags: AhrsFlags;
  accelerometerIgnored: boolean;
  magnetometerIgnored: boolean;
}

/** Options of `processImu`. */
export interface ProcessImuOptions {
  ahrs?: Partial<AhrsSettings>;
  /** Gyroscope offset correction settings; null disables it. Default: the library's, at the AHRS rate. */
  offset?: Partial<GyroscopeOffsetSettings> | null;
  /** Sample period from timestamp differences (first sample: 0, as Fusion's example). Default true; false uses 1/rate. */
  periodFromTimestamps?: boolean;
  /** Force the 6-axis update even when magnetometer data are present. */
  noMagnetometer?: boolean;
}

/**
 * Runs a recording through the offset correction and the AHRS as Fusion's
 * advanced example does: per sample, the gyroscope offset update, then the
 * sample period Δt = tᵢ − tᵢ₋₁ (0 for the first sample), then the 9-axis
 * update, or the 6-axis update when the sample has no magnetometer or
 * `noMagnetometer` is set.
 * @returns the orientation after every sample
 */
export function processImu(samples: readonly ImuSample[], options: ProcessImuOptions = {}): OrientationSample[] {
  const settings: AhrsSettings = { ...FUSION_ADVANCED_AHRS_SETTINGS, ...options.ahrs };
  const ahrs = new Ahrs(settings);
  const offset = options.offset === null ? null : new GyroscopeOffset({ sampleRateHz: settings.sampleRateHz, ...options.offset });
  const fromTs = options.periodFromTimestamps ?? true;
  const out: OrientationSample[] = [];
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const g = offset ? offset.update(s.gyroscope) : s.gyroscope;
    if (fromTs) ahrs.setSamplePeriod(i === 0 ? 0 : s.t - samples[i - 1]!.t);
    if (options.noMagnetometer || !s.magnetometer) ahrs.updateNoMagnetometer(g, s.accelerometer);
    else ahrs.update(g, s.accelerometer, s.magnetometer);
    const st = ahrs.internalStates;
    out.push({
      t: s.t,
      quaternion: ahrs.quaternion,
      euler: ahrs.euler,
      flags: ahrs.flags,
      accelerometerIgnored: st.accelerometerIgnored,
      magnetometerIgnored: st.magnetometerIgnored,
    });
  }
  return out;
}

/**
 * Parses an x-io style CSV: a header row, then `time (s), gyroscope X Y Z
 * (°/s), accelerometer X Y Z (g)[, magnetometer X Y Z]`. Columns are found
 * by header name (Time, Gyroscope X…, Accelerometer X…, Magnetometer X…),
 * falling back to that order; without magnetometer columns the samples have
 * `magnetometer: null`.
 */
export function parseImuCsv(text: string): { samples: ImuSample[]; hasMagnetometer: boolean } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new Error('IMU CSV: no data rows');
  const header = lines[0]!.split(',').map((h) => h.trim().toLowerCase());
  const find = (re: RegExp): number => header.findIndex((h) => re.test(h));
  let ti = find(/^(time|timestamp|t)\b/);
  const gi = [find(/^gyroscope x/), find(/^gyroscope y/), find(/^gyroscope z/)];
  const ai = [find(/^accelerometer x/), find(/^accelerometer y/), find(/^accelerometer z/)];
  let mi = [find(/^magnetometer x/), find(/^magnetometer y/), find(/^magnetometer z/)];
  if (ti < 0 || gi.some((i) => i < 0) || ai.some((i) => i < 0)) {
    if (header.length < 7) throw new Error(`IMU CSV: need time, gyroscope X/Y/Z and accelerometer X/Y/Z columns, got "${lines[0]}"`);
    ti = 0;
    gi.splice(0, 3, 1, 2, 3);
    ai.splice(0, 3, 4, 5, 6);
    mi = header.length >= 10 ? [7, 8, 9] : [-1, -1, -1];
  }
  const hasMagnetometer = mi.every((i) => i >= 0);
  const samples: ImuSample[] = [];
  for (let r = 1; r < lines.length; r++) {
    const c = lines[r]!.split(',').map(Number);
    const v = (i: number): number => {
      const x = c[i];
      if (x === undefined || !Number.isFinite(x)) throw new Error(`IMU CSV: row ${r + 1} column ${i + 1} is not a number`);
      return x;
    };
    samples.push({
      t: v(ti),
      gyroscope: [v(gi[0]!), v(gi[1]!), v(gi[2]!)],
      accelerometer: [v(ai[0]!), v(ai[1]!), v(ai[2]!)],
      magnetometer: hasMagnetometer ? [v(mi[0]!), v(mi[1]!), v(mi[2]!)] : null,
    });
  }
  return { samples, hasMagnetometer };
}
