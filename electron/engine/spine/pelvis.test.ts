/**
 * Spinopelvic parameters on synthetic cases with analytic truth: two femoral
 * heads (solid spheres of bone in soft tissue) found within 1.5 mm, and PI,
 * PT, SS of a tilted S1 endplate plate exact (PI = PT + SS); the SVA of a
 * C7 centroid placed ahead of S1.
 */
import { describe, expect, it } from 'vitest';
import type { Vec3, Volume } from '../volume.js';
import { findFemoralHeads, pelvicAngles, sagittalFrame, sagittalVerticalAxisMm, fitSphere } from './pelvis.js';

const DEG = Math.PI / 180;

/** 3 mm LPS grid (identity direction) with solid spheres of 350 HU in 40 HU. */
function twoHeads(centres: Vec3[], radiusMm: number): Volume<Float32Array> {
  const dims: Vec3 = [90, 70, 80];
  const sp = 3;
  const originLps: Vec3 = [-135, -105, 0];
  const data = new Float32Array(dims[0] * dims[1] * dims[2]).fill(40);
  for (let z = 0; z < dims[2]; z++)
    for (let y = 0; y < dims[1]; y++)
      for (let x = 0; x < dims[0]; x++) {
        const p = [originLps[0] + x * sp, originLps[1] + y * sp, originLps[2] + z * sp];
        // partial-volume: fraction of the voxel inside from the signed distance
        let v = 40;
        for (const c of centres) {
          const d = Math.hypot(p[0]! - c[0], p[1]! - c[1], p[2]! - c[2]) - radiusMm;
          const f = Math.max(0, Math.min(1, 0.5 - d / sp));
          v = Math.max(v, 40 + 310 * f);
        }
        data[x + dims[0] * (y + dims[1] * z)] = v;
      }
  return { dims, spacingMm: [sp, sp, sp], originLps, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], data };
}

describe('femoral heads', () => {
  const right: Vec3 = [-85, -40, 80];
  const left: Vec3 = [84, -43, 86];
  const s1: Vec3 = [0, 0, 180];

  it('finds both heads of a synthetic pelvis within 1.5 mm (radius within 1.5 mm)', () => {
    const res = findFemoralHeads(twoHeads([right, left], 23), s1);
    if (!('right' in res)) throw new Error(res.reason);
    for (const [h, t] of [
      [res.right, right],
      [res.left, left],
    ] as const) {
      expect(Math.hypot(h.centreLps[0] - t[0], h.centreLps[1] - t[1], h.centreLps[2] - t[2])).toBeLessThan(1.5);
      expect(Math.abs(h.radiusMm - 23)).toBeLessThan(1.5);
      expect(h.inlierFraction).toBeGreaterThan(0.5);
    }
  });

  it('says the heads are not in the volume when they are not (never a number)', () => {
    const res = findFemoralHeads(twoHeads([], 23), s1);
    expect(res).toEqual({ reason: 'femoral heads not in the volume' });
  });

  it('needs both heads for the hip axis', () => {
    const res = findFemoralHeads(twoHeads([right], 23), s1);
    expect('reason' in res && res.reason).toMatch(/only the right femoral head/);
  });

  it('fits a sphere through 4 or more points exactly', () => {
    const c: Vec3 = [3, -7, 11];
    const pts: Vec3[] = [
      [c[0] + 20, c[1], c[2]],
      [c[0], c[1] + 20, c[2]],
      [c[0], c[1], c[2] + 20],
      [c[0] - 20, c[1], c[2]],
      [c[0], c[1], c[2] - 20],
    ];
    const s = fitSphere(pts)!;
    expect(s.radius).toBeCloseTo(20, 9);
    s.centre.forEach((v, i) => expect(v).toBeCloseTo(c[i]!, 9));
  });
});

describe('PI, PT, SS of a tilted S1 endplate', () => {
  it.each([
    [40, 90, 20],
    [50, 100, -10],
    [30, 110, 0],
  ])('SS %i°, hip axis %i mm below, %i mm anterior: exact and PI = PT + SS', (ssDeg, belowMm, anteriorMm) => {
    // endplate centre at the origin; normal (superior) tilted anteriorly by SS: LPS anterior = −y
    const centre: Vec3 = [0, 0, 0];
    const normal: Vec3 = [0, -Math.sin(ssDeg * DEG), Math.cos(ssDeg * DEG)];
    const hipAxis: Vec3 = [0, -anteriorMm, -belowMm];
    const f = sagittalFrame([-90, -anteriorMm, -belowMm], [90, -anteriorMm, -belowMm]);
    const a = pelvicAngles(hipAxis, centre, normal, f);
    const pt = Math.atan2(anteriorMm, belowMm) / DEG;
    expect(a.sacralSlopeDeg).toBeCloseTo(ssDeg, 9);
    expect(a.pelvicTiltDeg).toBeCloseTo(pt, 9);
    // PI: angle between the inward perpendicular (0, sin SS, −cos SS in (P, S)) and the line to the hip axis
    const inward = [Math.sin(ssDeg * DEG), -Math.cos(ssDeg * DEG)]; // (posterior, superior)
    const line = [-anteriorMm, -belowMm];
    const pi = Math.acos((inward[0]! * line[0]! + inward[1]! * line[1]!) / Math.hypot(line[0]!, line[1]!)) / DEG;
    expect(a.pelvicIncidenceDeg).toBeCloseTo(pi, 9);
    expect(a.pelvicIncidenceDeg).toBeCloseTo(a.pelvicTiltDeg + a.sacralSlopeDeg, 9);
  });

  it('measures in the plane perpendicular to the head-to-head line (a pelvis turned 20° in the scanner gives the same angles)', () => {
    const turn = (p: Vec3): Vec3 => [p[0] * Math.cos(20 * DEG) - p[1] * Math.sin(20 * DEG), p[0] * Math.sin(20 * DEG) + p[1] * Math.cos(20 * DEG), p[2]];
    const normal: Vec3 = [0, -Math.sin(42 * DEG), Math.cos(42 * DEG)];
    const straight = pelvicAngles([0, -30, -95], [0, 0, 0], normal, sagittalFrame([-90, -30, -95], [90, -30, -95]));
    const turned = pelvicAngles(turn([0, -30, -95]), [0, 0, 0], turn(normal), sagittalFrame(turn([-90, -30, -95]), turn([90, -30, -95])));
    expect(turned.pelvicIncidenceDeg).toBeCloseTo(straight.pelvicIncidenceDeg, 9);
    expect(turned.pelvicTiltDeg).toBeCloseTo(straight.pelvicTiltDeg, 9);
    expect(turned.sacralSlopeDeg).toBeCloseTo(straight.sacralSlopeDeg, 9);
  });
});

describe('sagittal vertical axis', () => {
  it('is the A-P offset of the C7 plumb line from the posterosuperior corner of S1 (positive anterior)', () => {
    const f = sagittalFrame(null, null);
    // C7 45 mm anterior (LPS −y) and 500 mm above S1's posterosuperior corner, 7 mm to the left
    expect(sagittalVerticalAxisMm([7, -45, 520], [0, 0, 20], f)).toBeCloseTo(45, 9);
    expect(sagittalVerticalAxisMm([0, 30, 520], [0, 0, 20], f)).toBeCloseTo(-30, 9);
  });
});
