/**
 * Synthetic PicoX recordings with IMU of a KNOWN trunk movement, for the
 * motion tests: raw 9-axis samples of sensors whose orientation q_E←S(t) is
 * given (Earth NWU, the patient facing north) — gyroscope = the body rate in
 * the sensor frame (°/s, from the orientation's derivative), accelerometer =
 * gravity's reaction (g), magnetometer = a 20/−40 µT Earth field — with white
 * noise (0.005 g, 0.2 °/s, 0.3 µT) and an optional gyroscope bias, written as
 * the device host's recorder writes a PicoX session (C3D: sEMG at 2000 Hz,
 * IMU at 100 Hz interpolated onto it, ORTHOTWIN:IMU_RATE).
 */
import { motionC3d } from '../../electron/devicehost/recorder.js';
import { IMU_AXES, IMU_UNITS } from '../../electron/contract/devices.js';
import { writeC3d } from '../../electron/io/c3d.js';
import { quaternionConjugate, quaternionProduct, rotateVector, type Quaternion, type Vec3 } from '../../electron/engine/motion/ahrs.js';
import { quaternionFromMatrix } from '../../electron/engine/motion/trunkAngles.js';
import { rng } from '../../math/random.js';

/** A sensor on the back: x up, z out of the skin (south), y = z × x (west). */
export const ON_BACK = quaternionFromMatrix([0, 0, -1, 0, 1, 0, 1, 0, 0]);
const FIELD: Vec3 = [20, 0, -40];
export const IMU_HZ = 100,
  EMG_HZ = 2000;

/** Accelerometer (g), gyroscope (°/s, from the orientation's derivative), magnetometer (µT) in the sensor frame at t. */
export function imuAt(q: (t: number) => Quaternion, t: number): number[] {
  const h = 1e-4;
  const dq = quaternionProduct(quaternionConjugate(q(t - h)), q(t + h));
  const s = Math.sign(dq.w) || 1;
  const ang = 2 * Math.atan2(Math.hypot(dq.x, dq.y, dq.z), Math.abs(dq.w));
  const n = Math.hypot(dq.x, dq.y, dq.z) || 1;
  const w = [(s * dq.x * ang) / n / (2 * h), (s * dq.y * ang) / n / (2 * h), (s * dq.z * ang) / n / (2 * h)].map((v) => (v * 180) / Math.PI);
  const c = quaternionConjugate(q(t));
  return [...rotateVector(c, [0, 0, 1]), ...w, ...rotateVector(c, FIELD)];
}

/**
 * A PicoX recording (C3D bytes) of `sensors` for `seconds`: their sEMG (zeros, or uniform noise of ±emgNoiseV / 2)
 * and, unless `withImu` is false, their IMU with noise (seeded) and `gyroBiasYDps` added to every sensor's GYR_Y.
 */
export function picoxImuRecording(o: {
  sensors: { label: string; description: string; q: (t: number) => Quaternion }[];
  seconds: number;
  seed: number;
  gyroBiasYDps?: number;
  emgNoiseV?: number;
  withImu?: boolean;
}): Uint8Array {
  const { sensors } = o;
  const ns = o.seconds * EMG_HZ,
    ni = o.seconds * IMU_HZ;
  const imu = new Float32Array(sensors.length * 9 * ni);
  const rand = rng(o.seed);
  const noise = (sd: number): number => sd * Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
  const sd = [0.005, 0.005, 0.005, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3];
  const bias = o.gyroBiasYDps ?? 0;
  sensors.forEach((s, k) => {
    for (let i = 0; i < ni; i++) imuAt(s.q, i / IMU_HZ).forEach((v, a) => (imu[(k * 9 + a) * ni + i] = v + noise(sd[a]!) + (a === 4 ? bias : 0)));
  });
  const emg = new Float32Array(sensors.length * ns);
  if (o.emgNoiseV) for (let i = 0; i < emg.length; i++) emg[i] = o.emgNoiseV * (rand() - 0.5);
  return writeC3d(
    motionC3d(
      {
        channels: sensors.map((s) => ({ label: s.label, unit: 'V', description: s.description })),
        rateHz: EMG_HZ,
        blocks: [{ firstIndex: 0, count: ns, data: emg }],
        samples: ns,
      },
      o.withImu === false
        ? undefined
        : {
            channels: sensors.flatMap((s) => IMU_AXES.map((a, j) => ({ label: `${s.label}_${a}`, unit: IMU_UNITS[j]! }))),
            rateHz: IMU_HZ,
            blocks: [{ firstIndex: 0, count: ni, data: imu }],
            samples: ni,
          },
    ),
  );
}
