/**
 * What the PicoX simulator streams (issue 21 §2): surface EMG as band-limited
 * Gaussian noise whose amplitude follows a muscle activation envelope and
 * whose spectrum compresses during a sustained contraction (the median
 * frequency falls as conduction velocity drops with fatigue: De Luca 1984,
 * Merletti & Parker 2004 ch. 9 — modelled here as the centre frequency of a
 * band-pass that falls in proportion to the activation and recovers at
 * rest), and IMU samples replayed from a real recording (x-io's sensor CSV
 * in shared/data/imu/). Deterministic for a seed.
 */
import fs from 'node:fs';
import { rng } from '../../../math/random.js';

/** One stretch of an activation plan: `level` is the fraction of maximal voluntary contraction (0–1) held for `durationS`. */
export interface ActivationSegment {
  durationS: number;
  level: number;
}

export interface EmgModelOptions {
  rateHz?: number;
  /** RMS at rest (V): electrode and amplifier noise (default 3 µV). */
  restRmsV?: number;
  /** RMS at 100 % MVC (V) (default 400 µV: lumbar erector spinae, bipolar surface electrodes). */
  mvcRmsV?: number;
  /** Band-pass centre of a fresh muscle (Hz) (default 120 Hz: a median frequency near 100 Hz). */
  freshCentreHz?: number;
  /** Fall of the centre frequency per second of contraction at 100 % MVC (Hz/s; default 1.2, scaled by the level). */
  fatigueHzPerS?: number;
  /** Lowest centre the fatigue reaches (Hz; default 45). */
  minCentreHz?: number;
  /** Recovery time constant at rest (s; default 40). */
  recoveryS?: number;
  /** The activation plan, looped (default: 2 s rest, 20 s at 60 % MVC, 5 s rest). */
  plan?: ActivationSegment[];
}

/** Second-order band-pass (RBJ cookbook, constant 0 dB peak gain) state and coefficients. */
interface Biquad {
  b0: number;
  b2: number;
  a1: number;
  a2: number;
  x1: number;
  x2: number;
  y1: number;
  y2: number;
}

const bandPass = (q: Biquad, fc: number, fs: number, Q: number): void => {
  const w = (2 * Math.PI * fc) / fs;
  const alpha = Math.sin(w) / (2 * Q);
  const a0 = 1 + alpha;
  q.b0 = alpha / a0;
  q.b2 = -alpha / a0;
  q.a1 = (-2 * Math.cos(w)) / a0;
  q.a2 = (1 - alpha) / a0;
};

const step = (q: Biquad, x: number): number => {
  const y = q.b0 * x + q.b2 * q.x2 - q.a1 * q.y1 - q.a2 * q.y2;
  q.x2 = q.x1;
  q.x1 = x;
  q.y2 = q.y1;
  q.y1 = y;
  return y;
};

/**
 * A simulated sEMG channel. `next(n)` gives the next n samples (V) at
 * `rateHz`; `state` tells the envelope and centre frequency now (for tests
 * and the simulator's status).
 */
export class EmgSignalModel {
  readonly rateHz: number;
  private readonly o: Required<Omit<EmgModelOptions, 'plan' | 'rateHz'>>;
  private readonly plan: ActivationSegment[];
  private readonly planS: number;
  private readonly uniform: () => number;
  private spare: number | null = null;
  private t = 0;
  private envelope = 0;
  private centreHz: number;
  private power = 1;
  private readonly q1: Biquad = { b0: 0, b2: 0, a1: 0, a2: 0, x1: 0, x2: 0, y1: 0, y2: 0 };
  private readonly q2: Biquad = { b0: 0, b2: 0, a1: 0, a2: 0, x1: 0, x2: 0, y1: 0, y2: 0 };

  constructor(seed: number, options: EmgModelOptions = {}) {
    this.rateHz = options.rateHz ?? 2000;
    this.o = {
      restRmsV: options.restRmsV ?? 3e-6,
      mvcRmsV: options.mvcRmsV ?? 400e-6,
      freshCentreHz: options.freshCentreHz ?? 120,
      fatigueHzPerS: options.fatigueHzPerS ?? 1.2,
      minCentreHz: options.minCentreHz ?? 45,
      recoveryS: options.recoveryS ?? 40,
    };
    this.plan = options.plan ?? [
      { durationS: 2, level: 0 },
      { durationS: 20, level: 0.6 },
      { durationS: 5, level: 0 },
    ];
    this.planS = this.plan.reduce((s, p) => s + p.durationS, 0);
    if (!(this.planS > 0)) throw new RangeError('an activation plan needs a positive total duration');
    this.uniform = rng(seed);
    this.centreHz = this.o.freshCentreHz;
    bandPass(this.q1, this.centreHz, this.rateHz, 0.8);
    bandPass(this.q2, this.centreHz, this.rateHz, 0.8);
  }

  /** Activation level of the plan at time t (s), looped. */
  levelAt(t: number): number {
    let r = t % this.planS;
    for (const p of this.plan) {
      if (r < p.durationS) return p.level;
      r -= p.durationS;
    }
    return 0;
  }

  /** The model now: time (s), smoothed activation (0–1) and band-pass centre (Hz). */
  get state(): { timeS: number; envelope: number; centreHz: number } {
    return { timeS: this.t, envelope: this.envelope, centreHz: this.centreHz };
  }

  private gauss(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u = Math.max(this.uniform(), 1e-12);
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** The next n samples (V). */
  next(n: number): Float32Array {
    const out = new Float32Array(n);
    const dt = 1 / this.rateHz;
    const kEnv = 1 - Math.exp(-dt / 0.05); // 50 ms activation dynamics
    const kPow = 1 - Math.exp(-dt / 0.25); // 250 ms running power of the band-passed noise
    for (let i = 0; i < n; i++) {
      const level = this.levelAt(this.t);
      this.envelope += kEnv * (level - this.envelope);
      // fatigue: the centre falls with the activation, recovers towards the fresh value at rest
      const fresh = this.o.freshCentreHz;
      this.centreHz = Math.max(
        this.o.minCentreHz,
        this.centreHz - this.o.fatigueHzPerS * this.envelope * dt + ((fresh - this.centreHz) * dt * (1 - this.envelope)) / this.o.recoveryS,
      );
      if (i % 20 === 0) {
        bandPass(this.q1, this.centreHz, this.rateHz, 0.8);
        bandPass(this.q2, this.centreHz, this.rateHz, 0.8);
      }
      const y = step(this.q2, step(this.q1, this.gauss()));
      this.power += kPow * (y * y - this.power);
      const active = (y / Math.sqrt(this.power + 1e-20)) * this.o.mvcRmsV * this.envelope;
      out[i] = active + this.gauss() * this.o.restRmsV;
      this.t += dt;
    }
    return out;
  }
}

/**
 * An IMU recording to replay: n samples of accelerometer (g), gyroscope (°/s)
 * and magnetometer (µT) in the sensor's axes, with their rate.
 */
export interface ImuRecording {
  rateHz: number;
  /** n × 9: ax ay az gx gy gz mx my mz. */
  data: Float32Array;
  source: string;
}

/**
 * Reads an x-io sensor CSV (`Time (s),Gyroscope X (deg/s),…,Accelerometer X (g),…[,Magnetometer X (uT),…]`,
 * as shared/data/imu/fusion_sensor_data.csv) into an ImuRecording (magnetometer NaN when absent; rate from the
 * median time step).
 * @throws Error naming the file and the missing column or the bad row
 */
export function readXioSensorCsv(file: string): ImuRecording {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter(Boolean);
  const head = (lines[0] ?? '').split(',').map((h) => h.trim());
  const col = (name: string, required = true): number => {
    const i = head.findIndex((h) => h.toLowerCase().startsWith(name.toLowerCase()));
    if (i < 0 && required) throw new Error(`${file}: no "${name}" column (an x-io sensor CSV has Time, Gyroscope X/Y/Z, Accelerometer X/Y/Z)`);
    return i;
  };
  const t = col('Time');
  const idx = [
    col('Accelerometer X'),
    col('Accelerometer Y'),
    col('Accelerometer Z'),
    col('Gyroscope X'),
    col('Gyroscope Y'),
    col('Gyroscope Z'),
    col('Magnetometer X', false),
    col('Magnetometer Y', false),
    col('Magnetometer Z', false),
  ];
  const n = lines.length - 1;
  if (n < 2) throw new Error(`${file}: fewer than two samples`);
  const data = new Float32Array(9 * n);
  const times = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const f = lines[r + 1]!.split(',');
    times[r] = Number(f[t]);
    for (let k = 0; k < 9; k++) data[9 * r + k] = idx[k]! < 0 ? NaN : Number(f[idx[k]!]);
    if (!Number.isFinite(times[r]!)) throw new Error(`${file}: row ${r + 2} has no time`);
  }
  const steps = Array.from({ length: n - 1 }, (_, i) => times[i + 1]! - times[i]!).sort((a, b) => a - b);
  const dt = steps[Math.floor(steps.length / 2)]!;
  if (!(dt > 0)) throw new Error(`${file}: the time column does not increase`);
  return { rateHz: 1 / dt, data, source: file };
}
