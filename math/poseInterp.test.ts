import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interpolatePose, poseAt, quaternionOfMatrix, slerp } from './poseInterp.js';

/** Rotation by `deg` about the unit axis, translation t (mm), row-major 4×4 (Rodrigues). */
function rot(axis: [number, number, number], deg: number, t: [number, number, number] = [0, 0, 0]): number[] {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / n) as [number, number, number];
  const a = (deg * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  const C = 1 - c;
  return [
    c + x * x * C,
    x * y * C - z * s,
    x * z * C + y * s,
    t[0],
    y * x * C + z * s,
    c + y * y * C,
    y * z * C - x * s,
    t[1],
    z * x * C - y * s,
    z * y * C + x * s,
    c + z * z * C,
    t[2],
    0,
    0,
    0,
    1,
  ];
}

describe('pose interpolation (slerp + linear translation)', () => {
  it('the quaternion of a rotation about z by θ is (cos θ/2, 0, 0, sin θ/2), for every Shepperd branch', () => {
    const q = quaternionOfMatrix(rot([0, 0, 1], 60));
    [Math.cos(Math.PI / 6), 0, 0, Math.sin(Math.PI / 6)].forEach((v, i) => expect(q[i]).toBeCloseTo(v, 12));
    for (const axis of [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ] as [number, number, number][]) {
      const q180 = quaternionOfMatrix(rot(axis, 180));
      expect(Math.abs(q180[0])).toBeLessThan(1e-9);
      axis.forEach((v, i) => expect(Math.abs(q180[i + 1]!)).toBeCloseTo(v, 9));
    }
  });

  it('halfway between 0° and 90° about an axis is 45° about it; the translation is the midpoint', () => {
    const m = interpolatePose(rot([1, 2, 3], 0, [0, 0, 0]), rot([1, 2, 3], 90, [10, -20, 30]), 0.5);
    const e = rot([1, 2, 3], 45, [5, -10, 15]);
    m.forEach((v, i) => expect(v).toBeCloseTo(e[i]!, 12));
  });

  it('random rotations: the ends are reproduced, results stay orthonormal, slerp takes the short arc', () => {
    const ang = fc.double({ min: -179, max: 179, noNaN: true });
    const ax = fc.tuple(fc.double({ min: 0.1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }));
    fc.assert(
      fc.property(ax, ang, ax, ang, fc.double({ min: 0, max: 1, noNaN: true }), (a1, d1, a2, d2, t) => {
        const A = rot(a1, d1, [1, 2, 3]);
        const B = rot(a2, d2, [4, 5, 6]);
        interpolatePose(A, B, 0).forEach((v, i) => expect(v).toBeCloseTo(A[i]!, 9));
        interpolatePose(A, B, 1).forEach((v, i) => expect(v).toBeCloseTo(B[i]!, 9));
        const M = interpolatePose(A, B, t);
        for (let r = 0; r < 3; r++)
          for (let c = 0; c < 3; c++) {
            const dot = M[4 * r]! * M[4 * c]! + M[4 * r + 1]! * M[4 * c + 1]! + M[4 * r + 2]! * M[4 * c + 2]!;
            expect(dot).toBeCloseTo(r === c ? 1 : 0, 9);
          }
        const qa = quaternionOfMatrix(A);
        const qb = quaternionOfMatrix(B);
        const q = slerp(qa, qb, t);
        // the angle from a grows linearly along the short arc
        const full = 2 * Math.acos(Math.min(1, Math.abs(qa.reduce((s, v, i) => s + v * qb[i]!, 0))));
        const part = 2 * Math.acos(Math.min(1, Math.abs(qa.reduce((s, v, i) => s + v * q[i]!, 0))));
        expect(part).toBeCloseTo(t * full, 6);
      }),
      { numRuns: 300 },
    );
  });

  it('poseAt: exact samples, interpolation, nothing across a gap, an invalid sample or outside the track', () => {
    const track = { timesUs: [0, 10_000, 20_000, 200_000], matrices: [rot([0, 0, 1], 0), rot([0, 0, 1], 10, [1, 0, 0]), null, rot([0, 0, 1], 0)] };
    expect(poseAt(track, 10_000)).toEqual(track.matrices[1]);
    const m = poseAt(track, 5_000)!;
    rot([0, 0, 1], 5, [0.5, 0, 0]).forEach((v, i) => expect(m[i]).toBeCloseTo(v, 12));
    expect(poseAt(track, 15_000)).toBeNull(); // next to a sample where the tool was not seen
    expect(poseAt(track, 100_000)).toBeNull(); // across a 180 ms gap
    expect(poseAt(track, -1)).toBeNull();
    expect(poseAt(track, 200_001)).toBeNull();
    expect(poseAt({ timesUs: [], matrices: [] }, 0)).toBeNull();
  });
});
