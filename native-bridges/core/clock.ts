/**
 * Time for the device layer. One host clock for every process of the app:
 * microseconds since the Unix epoch, anchored once per process at
 * `performance.timeOrigin` and advanced by the monotonic `performance.now()`
 * (so it never jumps back when the wall clock is adjusted, and processes on
 * one machine agree to well under a millisecond).
 *
 * Device clocks (a tracker's frame counter, a scanner's OpenIGTLink
 * timestamps, a camera's frame time) are mapped to it by DeviceClockMap: a
 * linear fit host ≈ offset + (1 + drift)·device over a sliding window, with
 * the offset taken at the lower envelope of the residuals (the sample with
 * the least transport delay), plus a per-device temporal calibration offset
 * (e.g. the ultrasound image lag behind the tracker found by PLUS's temporal
 * calibration).
 */

/** Host clock (µs since the Unix epoch, monotonic within a process). */
export function hostClockUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

export interface ClockMapState {
  /** Host time of device time 0 (µs), at the lower envelope. */
  offsetUs: number;
  /** Relative rate error of the device clock (host/device − 1), e.g. 50e-6 for 50 ppm. */
  drift: number;
  /** Temporal calibration added to every mapped time (µs). */
  calibrationUs: number;
  /** Pairs in the window. */
  pairs: number;
  /** Spread of (host − mapped device) over the window (µs): the transport jitter. */
  jitterUs: number;
}

export class DeviceClockMap {
  private dev: number[] = [];
  private host: number[] = [];
  private state: ClockMapState;

  /**
   * @param windowSize pairs kept for the fit (default 2000)
   * @param calibrationUs per-device temporal calibration offset (µs) added to mapped times
   */
  constructor(
    private readonly windowSize = 2000,
    calibrationUs = 0,
  ) {
    this.state = { offsetUs: 0, drift: 0, calibrationUs, pairs: 0, jitterUs: 0 };
  }

  setCalibration(us: number): void {
    this.state.calibrationUs = us;
  }

  /** Adds a (device time, host arrival time) pair, both µs, and refits. */
  add(deviceUs: number, hostUs: number): void {
    this.dev.push(deviceUs);
    this.host.push(hostUs);
    if (this.dev.length > this.windowSize) {
      this.dev.shift();
      this.host.shift();
    }
    this.fit();
  }

  private fit(): void {
    const n = this.dev.length;
    const d0 = this.dev[0]!;
    const h0 = this.host[0]!;
    let drift = 0;
    if (n >= 10) {
      let sx = 0;
      let sy = 0;
      for (let i = 0; i < n; i++) {
        sx += this.dev[i]! - d0;
        sy += this.host[i]! - h0;
      }
      const mx = sx / n;
      const my = sy / n;
      let sxx = 0;
      let sxy = 0;
      for (let i = 0; i < n; i++) {
        const x = this.dev[i]! - d0 - mx;
        sxx += x * x;
        sxy += x * (this.host[i]! - h0 - my);
      }
      if (sxx > 0) drift = sxy / sxx - 1;
    }
    // lower envelope: the pair that arrived fastest fixes the offset
    let minR = Infinity;
    let maxR = -Infinity;
    for (let i = 0; i < n; i++) {
      const r = this.host[i]! - (this.dev[i]! - d0) * (1 + drift);
      if (r < minR) minR = r;
      if (r > maxR) maxR = r;
    }
    this.state = { ...this.state, offsetUs: minR - d0 * (1 + drift), drift, pairs: n, jitterUs: maxR - minR };
  }

  /** Host time (µs) of a device time (µs), including the temporal calibration. */
  toHost(deviceUs: number): number {
    return this.state.offsetUs + deviceUs * (1 + this.state.drift) + this.state.calibrationUs;
  }

  get current(): Readonly<ClockMapState> {
    return this.state;
  }
}
