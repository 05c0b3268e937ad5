import { describe, expect, it } from 'vitest';
import { indexToLps, type Vec3, type VolumeGeometry } from '../../../math/geometry.js';
import {
  axisFrame,
  distanceFromPlane,
  edgeLetters,
  lpsToPixel,
  nearestLength,
  pixelToLps,
  probePlanes,
  reslice,
  screwOutline,
  targetAtLength,
} from './probeEye.js';
import { columnSources, gradedFor, gradeRgb, shownScrews, superiorAxis } from './display.js';
import type { ScrewPlan, ScrewTrajectory } from '../contract.js';

// an L3 left screw of the example CT's automatic plan (LPS mm): entry on the posterior cortex, tip in the body
const ENTRY: Vec3 = [27.9, 31.5, -148.2];
const TARGET: Vec3 = [14.6, -11.6, -144.9];
// a superior endplate tilted 10° about L (lordosis)
const SUP: Vec3 = [0, -Math.sin(Math.PI / 18), Math.cos(Math.PI / 18)];

const dot = (a: readonly number[], b: readonly number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
const dist = (a: readonly number[], b: readonly number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);

describe("probe's-eye planes of a screw", () => {
  const planes = probePlanes(ENTRY, TARGET, SUP, 20);
  const { d, w, n, lengthMm } = axisFrame(ENTRY, TARGET, SUP);

  it('the axis frame is orthonormal, w lies in the endplate plane and points to the patient’s left', () => {
    expect(lengthMm).toBeCloseTo(dist(ENTRY, TARGET), 9);
    for (const [a, b] of [
      [d, w],
      [d, n],
      [w, n],
      [w, SUP],
    ] as const)
      expect(Math.abs(dot(a, b))).toBeLessThan(1e-12);
    for (const a of [d, w, n]) expect(Math.hypot(...a)).toBeCloseTo(1, 12);
    expect(w[0]).toBeGreaterThan(0);
  });

  it('both longitudinal planes contain the whole axis; the cross-section is perpendicular to it at the depth', () => {
    for (const p of [planes.axial, planes.sagittal]) {
      expect(Math.abs(distanceFromPlane(p, ENTRY))).toBeLessThan(1e-9);
      expect(Math.abs(distanceFromPlane(p, TARGET))).toBeLessThan(1e-9);
      expect(Math.abs(dot(p.normal, d))).toBeLessThan(1e-12);
    }
    expect(Math.abs(Math.abs(dot(planes.cross.normal, d)) - 1)).toBeLessThan(1e-12);
    expect(dist(planes.cross.centre, ENTRY)).toBeCloseTo(20, 9);
    // the axial-oblique plane holds w (the transverse angle is seen in it), the sagittal-oblique holds n
    expect(Math.abs(dot(planes.axial.normal, w))).toBeLessThan(1e-12);
    expect(Math.abs(dot(planes.sagittal.normal, n))).toBeLessThan(1e-12);
  });

  it('pixel ↔ LPS round-trips on each plane; the centre pixel is the plane centre', () => {
    for (const p of Object.values(planes)) {
      const q = pixelToLps(p, 37.25, 151.5);
      const [c, r] = lpsToPixel(p, q);
      expect(c).toBeCloseTo(37.25, 9);
      expect(r).toBeCloseTo(151.5, 9);
      expect(dist(pixelToLps(p, (p.width - 1) / 2, (p.height - 1) / 2), p.centre)).toBeLessThan(1e-9);
      expect(dist(pixelToLps(p, 10, 0), pixelToLps(p, 0, 0))).toBeCloseTo(10 * p.pixelMm, 9);
    }
  });

  it('screen directions: axial-oblique L right and P down, sagittal-oblique S up and A left, cross-section L right and S up', () => {
    expect(edgeLetters(planes.axial)).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
    expect(edgeLetters(planes.sagittal)).toEqual({ left: 'A', right: 'P', top: 'S', bottom: 'I' });
    expect(edgeLetters(planes.cross)).toEqual({ left: 'R', right: 'L', top: 'S', bottom: 'I' });
    // a lateral move of a left screw's target (towards +L) is a move to the right on the axial-oblique view
    const [c0, r0] = lpsToPixel(planes.axial, TARGET);
    const [c1, r1] = lpsToPixel(planes.axial, [TARGET[0] + 10, TARGET[1], TARGET[2]]);
    expect(c1 - c0).toBeGreaterThan(15); // ≥ 7.5 mm of the 10 mm at 0.5 mm pixels
    expect(Math.abs(r1 - r0)).toBeLessThan(c1 - c0);
  });

  it("the screw's outline: a rectangle of its diameter from entry to tip, a circle of its radius in the cross-section", () => {
    const o = screwOutline(planes.axial, ENTRY, TARGET, 6);
    if (o.kind !== 'rect') throw new Error('expected a rectangle');
    const [a, b, c] = o.corners as [[number, number], [number, number], [number, number]];
    expect(Math.hypot(b[0] - a[0], b[1] - a[1]) * planes.axial.pixelMm).toBeCloseTo(lengthMm, 9);
    expect(Math.hypot(c[0] - b[0], c[1] - b[1]) * planes.axial.pixelMm).toBeCloseTo(6, 9);
    const x = screwOutline(planes.cross, ENTRY, TARGET, 6);
    if (x.kind !== 'circle') throw new Error('expected a circle');
    expect(x.centre[0]).toBeCloseTo((planes.cross.width - 1) / 2, 9);
    expect(x.centre[1]).toBeCloseTo((planes.cross.height - 1) / 2, 9);
    expect(x.radiusPx * planes.cross.pixelMm).toBeCloseTo(3, 12);
  });

  it('reslice: on a volume whose values are linear in LPS (exact under trilinear interpolation), every pixel holds the value at its LPS point', () => {
    // an oblique grid: 20° about S, anisotropic voxels
    const c = Math.cos(Math.PI / 9);
    const s = Math.sin(Math.PI / 9);
    const g: VolumeGeometry = { dims: [60, 70, 40], spacingMm: [1.5, 1.5, 3], originLps: [-30, -60, -200], direction: [c, -s, 0, s, c, 0, 0, 0, 1] as never };
    const f = (p: readonly number[]) => 3 * p[0]! - 2 * p[1]! + 5 * p[2]!;
    const data = new Float32Array(60 * 70 * 40);
    for (let k = 0; k < 40; k++) for (let j = 0; j < 70; j++) for (let i = 0; i < 60; i++) data[i + 60 * (j + 70 * k)] = f(indexToLps(g, [i, j, k]));
    const p = probePlanes([5, -10, -150], [0, -40, -145], SUP, 10, 40, 1).axial;
    const [window, level] = [2000, f([2.5, -25, -147.5])];
    const grey = reslice(data, g, p, window, level);
    let checked = 0;
    for (const [col, row] of [
      [20, 20],
      [3, 5],
      [35, 31],
      [12, 27],
    ] as const) {
      const want = Math.max(0, Math.min(255, ((f(pixelToLps(p, col, row)) - (level - window / 2)) / window) * 255));
      expect(Math.abs(grey[row * p.width + col]! - want)).toBeLessThanOrEqual(1);
      checked++;
    }
    expect(checked).toBe(4);
    // and the screw's midpoint sits mid-grey (the level is its value)
    expect(grey[20 * p.width + 20]).toBeGreaterThanOrEqual(126);
    expect(grey[20 * p.width + 20]).toBeLessThanOrEqual(129);
  });

  it('catalogue lengths: the nearest (ties the shorter), the tip moved along the axis', () => {
    expect(nearestLength([30, 35, 40, 45, 50, 55], 43.2)).toBe(45);
    expect(nearestLength([30, 35, 40, 45, 50, 55], 42.5)).toBe(40);
    expect(nearestLength([30, 35, 40, 45, 50, 55], 80)).toBe(55);
    const t = targetAtLength(ENTRY, TARGET, 40);
    expect(dist(ENTRY, t)).toBeCloseTo(40, 1);
    expect(Math.abs(distanceFromPlane(planes.axial, t))).toBeLessThan(0.02);
  });
});

describe('display', () => {
  it("the superior axis: the superior endplate's normal pointing cranially, else the inferior's, else S", () => {
    expect(superiorAxis({ superiorEndplate: { point: [0, 0, 0], normal: [0, 0.6, -0.8], rmsMm: 0.5 }, inferiorEndplate: null })).toEqual([-0, -0.6, 0.8]);
    expect(superiorAxis({ superiorEndplate: null, inferiorEndplate: { point: [0, 0, 0], normal: [0, 0, 2], rmsMm: 0.5 } })).toEqual([0, 0, 1]);
    expect(superiorAxis(undefined)).toEqual([0, 0, 1]);
  });
  it('grade colours as RGB', () => {
    expect(gradeRgb('A').map((x) => Math.round(x * 255))).toEqual([0x3b, 0xb2, 0x73]);
  });
  it('the grade says the voxel size it is measured at', () => {
    const s = columnSources([0.78125, 0.78125, 3], '0.1.0');
    expect(s.grade).toContain('0.78 × 0.78 × 3 mm');
    expect(s.grade).toContain('shallower than about 1.5 mm');
    expect(s.points).toContain('planning engine 0.1.0');
  });
  it('an edit over a plan: its points at once, its grade once graded for those points', () => {
    const breach = {
      grade: 'A',
      worstBreachMm: 0,
      direction: null,
      worstPointLps: null,
      minClearanceMm: 1,
      samples: 10,
      outside: 0,
      entryAllowanceMm: 3,
    } as const;
    const screw: ScrewTrajectory = {
      level: 'L3',
      side: 'left',
      entryLps: ENTRY,
      targetLps: TARGET,
      diameterMm: 6,
      lengthMm: 45,
      transverseAngleDeg: 20,
      sagittalAngleDeg: 1,
      isthmus: null,
      bodyDepthAlongAxisMm: 40,
      breach,
      edited: false,
      notes: [],
    };
    const plan = { screws: [screw] } as ScrewPlan;
    const edit = { level: 'L3', side: 'left' as const, entryLps: ENTRY, targetLps: [20, -11.6, -144.9] as Vec3, diameterMm: 6 };
    const graded = { ...screw, targetLps: [20, -11.6, -144.9] as Vec3, breach: { ...breach, grade: 'C' as const, worstBreachMm: 2.5 } };
    const { edited: _e, isthmus: _i, bodyDepthAlongAxisMm: _b, ...g } = graded;
    expect(shownScrews(plan, new Map([['L3 left', { edit, graded: null }]]))[0]).toMatchObject({ targetLps: [20, -11.6, -144.9], pending: true, stale: true });
    expect(shownScrews(plan, new Map([['L3 left', { edit, graded: g }]]))[0]).toMatchObject({ breach: { grade: 'C' }, pending: true, stale: false });
    const moved = { ...edit, targetLps: [22, -11.6, -144.9] as Vec3 };
    expect(gradedFor(moved, g)).toBe(false);
    expect(shownScrews(plan, new Map([['L3 left', { edit: moved, graded: g }]]))[0]).toMatchObject({ targetLps: [22, -11.6, -144.9], stale: true });
    expect(shownScrews(plan, new Map())[0]).toMatchObject({ pending: false, stale: false, breach: { grade: 'A' } });
  });
});
