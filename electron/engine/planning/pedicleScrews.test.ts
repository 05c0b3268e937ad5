/**
 * The breach depth on a phantom whose answer is known: an hourglass "pedicle"
 * (a rod 7 mm wide, 9 mm high and 4 mm long — as long as a pedicle is at the
 * example CT's 3 mm voxels, 1–2 voxels) between a wide "lamina" behind and a
 * wide "body" in front, on 1 mm voxels. A 5 mm screw along the rod's axis
 * moved 6 mm laterally has its lateral edge 8.5 mm from the axis, 5 mm
 * outside the rod's lateral wall in every cross-section through the rod:
 * Gertzbein–Robbins grade D. The nearest bone in 3D is the body or the lamina
 * 2 mm along the axis, so the 3D distance (what the check measured before)
 * says 2 mm — grade C — whatever the breach.
 */
import { describe, expect, it } from 'vitest';
import { BREACH_DEPTH_CAP_MM } from '../../../capabilities/planning/contract.js';
import { fmtBreachMm } from '../../../capabilities/planning/ui/display.js';
import { crossSectionDepth, gradeScrew, LabelQuery, type LabelGrid, type VertebraFrame } from './pedicleScrews.js';

type V3 = [number, number, number];
/** 1 mm grid, voxel (i, j, k) at LPS (i − 30, j − 30, k − 30). */
function hourglass(): LabelGrid {
  const n = 61;
  const data = new Uint8Array(n * n * n);
  for (let k = 0; k < n; k++)
    for (let j = 0; j < n; j++)
      for (let i = 0; i < n; i++) {
        const x = i - 30,
          y = j - 30,
          z = k - 30;
        const lamina = y >= -12 && y <= -2 && Math.abs(x) <= 15 && Math.abs(z) <= 12;
        const rod = y >= -1 && y <= 2 && Math.abs(x) <= 3.5 && Math.abs(z) <= 4.5; // voxel boxes: x ∈ [−3.5, 3.5], z ∈ [−4.5, 4.5], y ∈ [−1.5, 2.5]
        const body = y >= 3 && y <= 28 && Math.abs(x) <= 15 && Math.abs(z) <= 12;
        if (lamina || rod || body) data[i + n * (j + n * k)] = 1;
      }
  return { dims: [n, n, n], spacingMm: [1, 1, 1], originLps: [-30, -30, -30], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], data };
}

const frame: VertebraFrame = { origin: [0, 10, 0], left: [1, 0, 0], anterior: [0, 1, 0], superior: [0, 0, 1] };

describe('breach depth in the screw’s cross-section (Gertzbein–Robbins) on an hourglass phantom', () => {
  const q = new LabelQuery(hourglass(), 1);
  it('a point beside the rod: 5 mm in its cross-section, 2 mm in 3D (the body and lamina 2 mm along the axis)', () => {
    const p: V3 = [8.5, 0.5, 0];
    expect(q.signedDistance(p)).toBeCloseTo(2, 5);
    expect(crossSectionDepth(q, p, [0, 1, 0])).toBeCloseTo(5, 1);
    // inside: 0; in the body's section: distance to the body's side wall
    expect(crossSectionDepth(q, [0, 10, 0], [0, 1, 0])).toBe(0);
    expect(crossSectionDepth(q, [17.5, 10, 0], [0, 1, 0])).toBeCloseTo(2, 1); // body box wall at x = 15.5
  });

  it('a screw wholly outside, 12 mm beyond the body wall, reaches the check’s cap: grade E, shown as "≥ 8.0", not 8.0', () => {
    const g = gradeScrew(q, frame, 'left', [27.5, -10, 0], [27.5, 25, 0], 5);
    expect(g.grade).toBe('E');
    expect(g.worstBreachMm).toBe(BREACH_DEPTH_CAP_MM);
    expect(fmtBreachMm(g.worstBreachMm)).toBe('≥ 8.0');
    expect(fmtBreachMm(5.04)).toBe('5.0');
  });

  it('a screw 6 mm lateral of the rod’s axis grades D (5 mm lateral), not C', () => {
    const g = gradeScrew(q, frame, 'left', [6, -10, 0], [6, 25, 0], 5);
    expect(g.worstBreachMm).toBeGreaterThan(4.9);
    expect(g.worstBreachMm).toBeLessThan(5.1);
    expect(g.grade).toBe('D');
    expect(g.direction).toBe('lateral');
    // the same screw on the rod's axis stays inside: grade A
    expect(gradeScrew(q, frame, 'left', [0, -10, 0], [0, 25, 0], 5).grade).toBe('A');
  });
});
