/**
 * The pure parts of the depth-video movement on synthetic series with known
 * answers: neutral axes, movement summary (ROM, velocity, asymmetry), time
 * alignment by cross-correlation, the back-surface grid, and the errors.
 */
import { describe, expect, it } from 'vitest';
import { alignAngleSeries, backSurfaceGrid, movementSummary, neutralAxes } from './depthMovement.js';
import { detectPeople } from './depthPeople.js';
import type { TrunkAnglesDeg } from './trunkAngles.js';

const series = (f: (t: number) => TrunkAnglesDeg, t0: number, t1: number, dt: number) => {
  const timesS: number[] = [];
  for (let t = t0; t <= t1 + 1e-9; t += dt) timesS.push(t);
  return { timesS, angles: timesS.map(f) };
};

describe('depth movement: pure parts', () => {
  it('neutral axes: level camera behind the patient → X = optical axis, Y = −y, Z = x (right); a tilted up is respected', () => {
    expect(neutralAxes([0, -1, 0], [0, 0, 1]).map((v) => Math.round(v * 1e9) / 1e9 + 0)).toEqual([0, 0, 1, 0, -1, 0, 1, 0, 0]);
    const a = neutralAxes([0, -Math.cos(0.2), -Math.sin(0.2)], [0, 0, 1]);
    // X ⟂ Y and unit
    expect(Math.abs(a[0]! * a[1]! + a[3]! * a[4]! + a[6]! * a[7]!)).toBeLessThan(1e-12);
    expect(Math.hypot(a[0]!, a[3]!, a[6]!)).toBeCloseTo(1, 12);
    expect(() => neutralAxes([0, -1, 0], [0, 1, 0])).toThrow(/parallel to up/);
  });

  it('movement summary: ROM, central-difference velocity, left/right asymmetry index', () => {
    // lateral bending 25° right, 15° left; rotation 10° left, 20° right
    const s = series(
      (t) => ({
        flexion: 30 * Math.sin(Math.PI * t),
        lateralBending: t < 1 ? 25 * Math.sin(Math.PI * t) : 15 * Math.sin(Math.PI * t),
        axialRotation: t < 1 ? 10 * Math.sin(Math.PI * t) : 20 * Math.sin(Math.PI * t),
      }),
      0,
      2,
      0.01,
    );
    const m = movementSummary(s.timesS, s.angles);
    expect(m.rangeOfMotion.flexion.range).toBeCloseTo(60, 6);
    expect(m.asymmetry.lateralBending.rightDeg).toBeCloseTo(25, 6);
    expect(m.asymmetry.lateralBending.leftDeg).toBeCloseTo(15, 6);
    expect(m.asymmetry.lateralBending.indexPct).toBeCloseTo(50, 6);
    expect(m.asymmetry.axialRotation.leftDeg).toBeCloseTo(10, 6);
    expect(m.asymmetry.axialRotation.rightDeg).toBeCloseTo(20, 6);
    // peak flexion velocity 30π °/s
    expect(m.peakVelocityDegS.flexion).toBeCloseTo(30 * Math.PI, 0);
    expect(() => movementSummary([0, 0], s.angles.slice(0, 2))).toThrow(/times must increase/);
    expect(() => movementSummary([0], s.angles.slice(0, 2))).toThrow(/1 times for 2 samples/);
  });

  it('alignment finds a known lag to the grid step and reports zero RMS for identical signals', () => {
    const f = (t: number): TrunkAnglesDeg => ({
      flexion: 20 * Math.sin(2 * t) + 5 * Math.sin(5.3 * t),
      lateralBending: 10 * Math.cos(1.7 * t),
      axialRotation: 3 * Math.sin(3.1 * t),
    });
    const ref = series(f, 0, 6, 1 / 15);
    for (const lag of [-0.33, 0, 0.27]) {
      const other = series((t) => f(t + lag), -1, 7, 0.01); // other(t − lag) = f(t)
      const a = alignAngleSeries(ref, other, 0.5, 0.01);
      expect(Math.abs(a.lagS - lag)).toBeLessThan(0.003);
      expect(a.rmsDeg.flexion).toBeLessThan(0.05);
      expect(a.correlation).toBeGreaterThan(0.9999);
    }
    expect(() => alignAngleSeries(ref, series(f, 100, 101, 0.01), 0.5)).toThrow(/do not overlap/);
  });

  it('back-surface grid: a plane 100 mm in front of the origin in the patient frame', () => {
    const pts: number[] = [];
    for (let x = -100; x <= 100; x += 5) for (let y = -200; y <= 200; y += 5) pts.push(x, y, 1100);
    const grid = backSurfaceGrid(
      { points: Float64Array.from(pts), normals: new Float64Array(pts.length) },
      neutralAxes([0, -1, 0], [0, 0, 1]),
      [0, 0, 1000],
      20,
    );
    expect(grid.columns).toBeGreaterThanOrEqual(10);
    expect(grid.rows).toBeGreaterThanOrEqual(20);
    for (const d of grid.depthMm) if (Number.isFinite(d)) expect(d).toBeCloseTo(100, 6);
  });

  it('people detection says why a cloud without a ground fails', () => {
    const pts: number[] = [];
    for (let x = -500; x <= 500; x += 10) for (let y = -500; y <= 500; y += 10) pts.push(x, y, 2000);
    expect(() => detectPeople(Float32Array.from(pts))).toThrow(/no ground plane/);
    expect(() => detectPeople(new Float32Array(30).fill(NaN))).toThrow(/only 0 voxels/);
  });
});
