import { describe, expect, it } from 'vitest';
import { estimateTimeOffset, lineDepthPx, motionSignal, TemporalCalibrationError } from './temporal.js';
import { rng } from '../../../math/random.js';
import { plateSweep as recording } from '../../../tests/helpers/plateSweep.js';

describe('temporal calibration (line depth vs probe motion)', () => {
  it('finds the line in a speckled frame to a fraction of a pixel', () => {
    const rec = recording(3, 0, 1);
    const depth = lineDepthPx(rec.frames[5]!, rec.cols, rec.rows);
    const t = 0.01 + 5 / 30;
    expect(Math.abs(depth - (100 - rec.z(t) / 0.2))).toBeLessThan(0.5);
  });

  for (const lateMs of [-80, 0, 123, 297.6]) {
    it(`recovers a video stamped ${lateMs} ms late within 4 ms`, () => {
      const rec = recording(11 + lateMs, lateMs);
      const video = { t: rec.videoT, v: rec.frames.map((f) => lineDepthPx(f, rec.cols, rec.rows)) };
      const tracker = { t: rec.trackerT, v: motionSignal(rec.positions).v };
      const res = estimateTimeOffset(video, tracker, { maxLagMs: 500 });
      expect(Math.abs(res.offsetMs + lateMs)).toBeLessThan(4);
      expect(res.peakNcc).toBeGreaterThan(0.95);
      // with the probe's axial direction the sign is known: the line deepens as the probe moves back along the axis
      const signed = estimateTimeOffset(video, { t: rec.trackerT, v: motionSignal(rec.positions, rec.u).v }, { maxLagMs: 500 });
      expect(signed.sign).toBe(-1);
      expect(Math.abs(signed.offsetMs - res.offsetMs)).toBeLessThan(0.5);
    });
  }

  it('refuses signals that do not correlate, and too short a recording', () => {
    const rec = recording(5, 0);
    const r = rng(9);
    const video = { t: rec.videoT, v: rec.videoT.map(() => r()) };
    const tracker = { t: rec.trackerT, v: motionSignal(rec.positions).v };
    expect(() => estimateTimeOffset(video, tracker)).toThrow(/correlate at 0\.\d+ at best/);
    const short = recording(6, 0, 3);
    expect(() =>
      estimateTimeOffset(
        { t: short.videoT, v: short.frames.map((f) => lineDepthPx(f, short.cols, short.rows)) },
        { t: short.trackerT, v: motionSignal(short.positions).v },
      ),
    ).toThrow(TemporalCalibrationError);
  });
});
