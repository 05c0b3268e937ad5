import { describe, expect, it } from 'vitest';
import { ellipseRoiStats, sphereRoiStats } from './roi.js';
import type { VolumeGeometry } from './geometry.js';

describe('elliptical ROI statistics', () => {
  // 5 × 4 × 3 voxels, 2 × 3 × 4 mm, value = i + 10 j + 100 k, identity direction
  const g: VolumeGeometry = { dims: [5, 4, 3], spacingMm: [2, 3, 4], originLps: [10, 20, 30], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
  const vox = Array.from({ length: 60 }, (_, n) => (n % 5) + 10 * (Math.floor(n / 5) % 4) + 100 * Math.floor(n / 20));

  it('counts the voxel centres inside the ellipse on the slice, with mean, SD, min, max and area', () => {
    // slice k = 1; centre at voxel (2, 1.5); radii 2.5 mm along x (covers i = 1..3), 1.6 mm along y (covers j = 1, 2)
    const s = ellipseRoiStats(vox, g, { indexAxis: 2, sliceIndex: 1, centre: [14, 24.5, 34], axes: [0, 1], radiiMm: [2.5, 1.6] });
    // inside: (x/2.5)² + (y/1.6)² ≤ 1 with x ∈ {−2, 0, 2}, y = ±1.5 → only x = 0 (0 + 0.879) — i = 2, j = 1 and 2
    expect(s.n).toBe(2);
    expect(s.mean).toBe((2 + 10 + 100 + 2 + 20 + 100) / 2);
    expect(s.min).toBe(112);
    expect(s.max).toBe(122);
    expect(s.sd).toBeCloseTo(Math.SQRT2 * 5, 10);
    expect(s.areaMm2).toBe(2 * 6);
  });

  it('an ellipse missing every voxel centre gives n = 0 and no statistics', () => {
    const s = ellipseRoiStats(vox, g, { indexAxis: 2, sliceIndex: 0, centre: [11, 21.5, 30], axes: [0, 1], radiiMm: [0.5, 0.5] });
    expect(s.n).toBe(0);
    expect(s.mean).toBeNaN();
    expect(s.areaMm2).toBe(0);
  });
});

describe('sphere ROI statistics', () => {
  // 5 × 4 × 3 voxels, 2 × 3 × 4 mm, value = i + 10 j + 100 k
  const g: VolumeGeometry = { dims: [5, 4, 3], spacingMm: [2, 3, 4], originLps: [10, 20, 30], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
  const vox = Array.from({ length: 60 }, (_, n) => (n % 5) + 10 * (Math.floor(n / 5) % 4) + 100 * Math.floor(n / 20));

  it('counts the voxel centres inside the ball, worked by hand', () => {
    // centre at voxel (2, 1, 1) = LPS (14, 23, 34); radius 3.5 mm holds (2,1,1), i ± 1 (2 mm) and j ± 1 (3 mm), not k ± 1 (4 mm)
    const s = sphereRoiStats(vox, g, [14, 23, 34], 3.5);
    const inside = [112, 111, 113, 102, 122];
    expect(s.n).toBe(5);
    expect(s.mean).toBeCloseTo(inside.reduce((a, b) => a + b) / 5, 10);
    const m = 112;
    expect(s.sd).toBeCloseTo(Math.sqrt(inside.reduce((a, b) => a + (b - m) ** 2, 0) / 4), 10);
    expect([s.min, s.max]).toEqual([102, 122]);
    expect(s.volumeMm3).toBeCloseTo(5 * 24, 10);
    // radius 4 mm adds k ± 1 and i ± 2 (4 mm: on the sphere counts as inside) and the four (i ± 1, j ± 1) at √13 = 3.61 mm
    expect(sphereRoiStats(vox, g, [14, 23, 34], 4).n).toBe(13);
  });

  it('a rotated grid: the same physical ball holds the same voxels; outside the volume holds none', () => {
    // the grid's axes permuted (i along P, j along L): same voxel centres in LPS as before when the data are permuted too
    const rot: VolumeGeometry = { dims: [4, 5, 3], spacingMm: [3, 2, 4], originLps: [10, 20, 30], direction: [0, 1, 0, 1, 0, 0, 0, 0, 1] };
    const permuted = Array.from({ length: 60 }, (_, n) => {
      const j = n % 4;
      const i = Math.floor(n / 4) % 5;
      const k = Math.floor(n / 20);
      return i + 10 * j + 100 * k;
    });
    const s = sphereRoiStats(permuted, rot, [14, 23, 34], 3.5);
    expect(s.n).toBe(5);
    expect(s.mean).toBeCloseTo(112, 10);
    expect(s.volumeMm3).toBeCloseTo(120, 10);
    expect(sphereRoiStats(vox, g, [500, 500, 500], 3).n).toBe(0);
  });
});
