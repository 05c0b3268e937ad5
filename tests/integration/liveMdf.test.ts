/**
 * The live MDF trend uses the engine's pipeline and defaults: a 1 s record's
 * window MDF equals emgFeatures' MDF of that record (whose band-pass, Welch
 * and MDF are the SciPy-checked ones); the contraction slope picks the
 * active windows and fits their line.
 */
import { describe, expect, it } from 'vitest';
import { emgFeatures } from '../../electron/engine/signals/emg.js';
import { EmgSignalModel } from '../../native-bridges/devices/emg-imu-picox/signalModel.js';
import { contractionSlope, windowMdf, type MdfTrend } from '../../capabilities/motion/ui/liveMdf.js';

describe('live MDF', () => {
  it('equals the engine’s MDF and RMS on a 1 s record', () => {
    const m = new EmgSignalModel(3, { plan: [{ durationS: 60, level: 0.6 }] });
    for (let k = 0; k < 5; k++) {
      const x = Float64Array.from(m.next(2000));
      const w = windowMdf(x, 2000)!;
      const f = emgFeatures(x, 2000);
      expect(w.mdfHz).toBeCloseTo(f.mdfHz!, 9);
      expect(w.rmsV).toBeCloseTo(f.rmsV, 12);
    }
    expect(windowMdf(new Float64Array(2000), 2000)).toBeNull();
    // samples not received: the longest run without them (≥ 1024 samples) is used, else none
    const y = Float64Array.from(m.next(2000));
    const holed = y.slice();
    holed.fill(NaN, 300, 400);
    expect(windowMdf(holed, 2000)!.mdfHz).toBeCloseTo(emgFeatures(y.subarray(400), 2000).mdfHz!, 9);
    holed.fill(NaN, 1000, 1100);
    expect(windowMdf(holed, 2000)).toBeNull();
  });

  it('falls over the simulated sustained contraction: the slope of its active windows', () => {
    // the simulator's default plan: 2 s rest, 20 s at 60 % MVC (centre frequency falling 0.72 Hz/s), 5 s rest
    const m = new EmgSignalModel(11);
    const tr: MdfTrend = { t: [], mdfHz: [], rmsV: [] };
    const x = Float64Array.from(m.next(2000 * 24));
    for (let end = 2000; end <= x.length; end += 1000) {
      const w = windowMdf(x.subarray(end - 2000, end), 2000);
      tr.t.push(end / 2000);
      tr.mdfHz.push(w?.mdfHz ?? null);
      tr.rmsV.push(w?.rmsV ?? null);
    }
    const s = contractionSlope(tr)!;
    expect(s.windows).toBeGreaterThanOrEqual(36);
    expect(s.fromS).toBeGreaterThanOrEqual(2.5);
    expect(s.toS).toBeLessThanOrEqual(23);
    expect(s.slopeHzPerS).toBeLessThan(-0.3);
    expect(s.slopeHzPerS).toBeGreaterThan(-1.5);
    expect(contractionSlope({ t: [1, 2], mdfHz: [90, 80], rmsV: [1, 1] })).toBeNull();
    // a window the screen could not compute does not cut the contraction
    const gap = { t: [...tr.t], mdfHz: [...tr.mdfHz], rmsV: [...tr.rmsV] };
    gap.mdfHz[20] = gap.rmsV[20] = null;
    expect(contractionSlope(gap)!.windows).toBe(s.windows - 1);
  });
});
