import { describe, expect, it } from 'vitest';
import { angleAtVertex, cobbAngle } from './angles.js';

describe('angle and Cobb angle', () => {
  it('the angle at a vertex, worked by hand', () => {
    expect(angleAtVertex([10, 0, 0], [0, 0, 0], [0, 10, 0])).toBeCloseTo(90, 10);
    // 3-4-5 triangle: the angle at the origin between (4,0) and (4,3) is atan(3/4) = 36.8699°
    expect(angleAtVertex([4, 0, 0], [0, 0, 0], [4, 3, 0])).toBeCloseTo(36.86989764584402, 10);
    expect(angleAtVertex([1, 0, 0], [0, 0, 0], [-1, 0, 0])).toBeCloseTo(180, 10);
    expect(angleAtVertex([1, 1, 1], [1, 1, 0], [1, 1, 1])).toBe(0);
    // a vertex off the origin, in the coronal plane (x, z)
    expect(angleAtVertex([15, 7, 5], [5, 7, 5], [5 + 10 * Math.cos(Math.PI / 3), 7, 5 + 10 * Math.sin(Math.PI / 3)])).toBeCloseTo(60, 10);
  });

  it('Cobb: the acute angle between the lines, whatever the click order', () => {
    const l1: [[number, number, number], [number, number, number]] = [
      [0, 0, 0],
      [10, 0, 0],
    ];
    const tilted = (deg: number): [[number, number, number], [number, number, number]] => [
      [0, 0, 50],
      [10 * Math.cos((deg * Math.PI) / 180), 0, 50 + 10 * Math.sin((deg * Math.PI) / 180)],
    ];
    expect(cobbAngle(l1, tilted(30))).toBeCloseTo(30, 10);
    expect(cobbAngle(l1, tilted(-30))).toBeCloseTo(30, 10);
    expect(cobbAngle([l1[1], l1[0]], tilted(30))).toBeCloseTo(30, 10); // the first line clicked right to left
    expect(cobbAngle(l1, tilted(150))).toBeCloseTo(30, 10); // 150° between directions is a 30° Cobb angle
    expect(cobbAngle(l1, tilted(90))).toBeCloseTo(90, 10);
    expect(cobbAngle(l1, tilted(0))).toBe(0);
  });

  it('refuses a segment of zero length', () => {
    expect(() => angleAtVertex([0, 0, 0], [0, 0, 0], [1, 0, 0])).toThrow(/non-zero length/);
    expect(() =>
      cobbAngle(
        [
          [1, 1, 1],
          [1, 1, 1],
        ],
        [
          [0, 0, 0],
          [1, 0, 0],
        ],
      ),
    ).toThrow(/non-zero length/);
  });
});
