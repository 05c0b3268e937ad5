/**
 * Temporal calibration between the tracker and the ultrasound video, as
 * PLUS does it (vtkPlusTemporalCalibrationAlgo; Lasso et al., "PLUS:
 * open-source toolkit for ultrasound-guided intervention systems", IEEE TBME
 * 61(10) 2014, §II-C): the probe is moved up and down (irregularly) over a
 * flat plate in water; the plate's line in the image and the probe's
 * position along its axial direction move together. The video signal is the
 * line's depth in each frame, the tracker signal the probe's position
 * projected on the motion axis; both are normalised (zero mean, unit
 * standard deviation over their common time span) and the lag that
 * maximises their normalised cross-correlation is the time offset, refined
 * to a fraction of a sample by a parabola through the peak.
 *
 * Convention (as PLUS's LocalTimeOffsetSec): the offset is ADDED to the video
 * timestamps to align them with the tracker's. A video stamped 100 ms late
 * gets −100 ms.
 */
import { symmetricEigen } from '../../../math/rigid.js';

export class TemporalCalibrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemporalCalibrationError';
  }
}

export interface TimedSignal {
  /** Timestamps (s), increasing. */
  t: ArrayLike<number>;
  v: ArrayLike<number>;
}

/**
 * Depth of the brightest line of a B-mode frame, per frame: in every 4th
 * column of the central 80 % the row of the peak of the (5-row box)
 * smoothed intensity, sub-pixel by a parabola; columns whose peak is below
 * the frame's 95th percentile are ignored; the median over the columns.
 * @param frame grey levels, row-major rows × cols (row 0 at the transducer)
 * @returns the line's depth (pixel rows), or NaN when fewer than 5 columns see a line
 */
export function lineDepthPx(frame: ArrayLike<number>, cols: number, rows: number): number {
  const sorted = Float32Array.from(
    { length: Math.min(frame.length, 4096) },
    (_, k) => frame[Math.floor((k * frame.length) / Math.min(frame.length, 4096))]!,
  ).sort();
  const p95 = sorted[Math.floor(0.95 * (sorted.length - 1))]!;
  const depths: number[] = [];
  const prof = new Float64Array(rows);
  for (let x = Math.floor(cols * 0.1); x < Math.ceil(cols * 0.9); x += 4) {
    for (let y = 0; y < rows; y++) {
      let s = 0,
        k = 0;
      for (let d = -2; d <= 2; d++) {
        const yy = y + d;
        if (yy < 0 || yy >= rows) continue;
        s += frame[yy * cols + x]!;
        k++;
      }
      prof[y] = s / k;
    }
    let best = 1;
    for (let y = 2; y < rows - 1; y++) if (prof[y]! > prof[best]!) best = y;
    if (prof[best]! < p95) continue;
    const a = prof[best - 1]!,
      b = prof[best]!,
      c = prof[best + 1]!;
    const den = a - 2 * b + c;
    depths.push(best + (den < 0 ? (0.5 * (a - c)) / den : 0));
  }
  if (depths.length < 5) return NaN;
  depths.sort((p, q) => p - q);
  return depths[depths.length >> 1]!;
}

/**
 * The tracker's position signal: positions projected on `axis` (unit, the
 * probe's axial direction in the tracker frame when known), else on the
 * principal direction of the motion.
 * @param positions probe positions, tracker frame (mm), one [x, y, z] per sample
 * @returns the projection (mm) and the axis used
 */
export function motionSignal(positions: readonly (readonly number[])[], axis?: readonly number[]): { v: Float64Array; axis: number[] } {
  const n = positions.length;
  const c = [0, 1, 2].map((k) => positions.reduce((s, p) => s + p[k]!, 0) / Math.max(1, n));
  let a = axis ? [...axis] : null;
  if (!a) {
    const S = new Array<number>(9).fill(0);
    for (const p of positions) for (let r = 0; r < 3; r++) for (let q = 0; q < 3; q++) S[3 * r + q]! += (p[r]! - c[r]!) * (p[q]! - c[q]!);
    a = symmetricEigen(S, 3).vectors[2]!;
  }
  const v = Float64Array.from(positions, (p) => (p[0]! - c[0]!) * a[0]! + (p[1]! - c[1]!) * a[1]! + (p[2]! - c[2]!) * a[2]!);
  return { v, axis: a };
}

/** Linear interpolation of a timed signal at time t (NaN outside its span). */
function sampleAt(s: TimedSignal, t: number, hint: { i: number }): number {
  const n = s.t.length;
  if (t < s.t[0]! || t > s.t[n - 1]!) return NaN;
  let i = Math.min(hint.i, n - 2);
  while (i > 0 && s.t[i]! > t) i--;
  while (i < n - 2 && s.t[i + 1]! < t) i++;
  hint.i = i;
  const t0 = s.t[i]!,
    t1 = s.t[i + 1]!;
  const f = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
  return s.v[i]! + f * (s.v[i + 1]! - s.v[i]!);
}

export interface TemporalCalibration {
  /** Offset to add to the video timestamps (ms). */
  offsetMs: number;
  /** Normalised cross-correlation at the offset (sign of the relation removed). */
  peakNcc: number;
  /** +1 when the line deepens as the probe moves along the axis, −1 otherwise. */
  sign: number;
  /** The correlation curve, for a plot: lags (ms) and NCC. */
  lagsMs: number[];
  ncc: number[];
  /** Samples of the common span used. */
  samples: number;
}

/**
 * Lag between a video signal and a tracker signal by maximum normalised cross-correlation.
 * @param video e.g. the line depth per frame (any unit), timestamps (s) as recorded
 * @param tracker e.g. motionSignal of the probe positions, timestamps (s)
 * @param o maxLagMs (default 1000), stepMs resampling step (default 2 ms), minNcc below which the result is refused (default 0.8)
 * @throws TemporalCalibrationError when the signals overlap for less than 3 s, do not move, or do not correlate (peak NCC < minNcc)
 */
export function estimateTimeOffset(
  video: TimedSignal,
  tracker: TimedSignal,
  o: { maxLagMs?: number; stepMs?: number; minNcc?: number } = {},
): TemporalCalibration {
  const maxLag = (o.maxLagMs ?? 1000) / 1000,
    step = (o.stepMs ?? 2) / 1000,
    minNcc = o.minNcc ?? 0.8;
  const finite = (s: TimedSignal): TimedSignal => {
    const t: number[] = [],
      v: number[] = [];
    for (let i = 0; i < s.t.length; i++) if (Number.isFinite(s.v[i]) && Number.isFinite(s.t[i])) (t.push(s.t[i]!), v.push(s.v[i]!));
    return { t, v };
  };
  const V = finite(video),
    K = finite(tracker);
  if (V.t.length < 10 || K.t.length < 10) throw new TemporalCalibrationError(`too few samples (video ${V.t.length}, tracker ${K.t.length})`);
  // the video span shrunk by the largest lag, so every lag is compared over the same video samples
  const t0 = Math.max(V.t[0]!, K.t[0]! + maxLag),
    t1 = Math.min(V.t[V.t.length - 1]!, K.t[K.t.length - 1]! - maxLag);
  if (t1 - t0 < 3)
    throw new TemporalCalibrationError(
      `the video and tracker recordings overlap for ${Math.max(0, t1 - t0).toFixed(1)} s (at least 3 s beyond the ±${maxLag} s lag range)`,
    );
  const m = Math.floor((t1 - t0) / step) + 1;
  const norm = (x: Float64Array): Float64Array | null => {
    let mu = 0;
    for (const v of x) mu += v / x.length;
    let sd = 0;
    for (const v of x) sd += (v - mu) ** 2 / x.length;
    sd = Math.sqrt(sd);
    if (!(sd > 1e-9)) return null;
    return x.map((v) => (v - mu) / sd);
  };
  const hv = { i: 0 };
  const vs = norm(Float64Array.from({ length: m }, (_, k) => sampleAt(V, t0 + k * step, hv)));
  if (!vs) throw new TemporalCalibrationError('the video signal does not change: the line was not seen moving');
  const lagsMs: number[] = [],
    ncc: number[] = [];
  const nl = Math.round(maxLag / step);
  for (let l = -nl; l <= nl; l++) {
    const hk = { i: 0 };
    // video sample at t (video clock) ↔ tracker at t + offset, offset = l·step
    const ks = norm(Float64Array.from({ length: m }, (_, k) => sampleAt(K, t0 + k * step + l * step, hk)));
    if (!ks) throw new TemporalCalibrationError('the tracker signal does not change: the probe was not moved');
    let s = 0;
    for (let k = 0; k < m; k++) s += vs[k]! * ks[k]!;
    lagsMs.push(l * step * 1000);
    ncc.push(s / m);
  }
  let best = 0;
  for (let k = 1; k < ncc.length; k++) if (Math.abs(ncc[k]!) > Math.abs(ncc[best]!)) best = k;
  const sign = ncc[best]! >= 0 ? 1 : -1;
  let frac = 0;
  if (best > 0 && best < ncc.length - 1) {
    const a = sign * ncc[best - 1]!,
      b = sign * ncc[best]!,
      c = sign * ncc[best + 1]!;
    const den = a - 2 * b + c;
    if (den < 0) frac = (0.5 * (a - c)) / den;
  }
  const peak = Math.abs(ncc[best]!);
  if (peak < minNcc)
    throw new TemporalCalibrationError(
      `the video and tracker signals correlate at ${peak.toFixed(2)} at best (at least ${minNcc} needed): is the plate's line visible and the probe moved along its axis?`,
    );
  // the tracker signal at t + L matches the video at t: the video frame stamped t was acquired at t + L, so L is added to its timestamps
  return { offsetMs: lagsMs[best]! + frac * step * 1000, peakNcc: peak, sign, lagsMs, ncc, samples: m };
}
