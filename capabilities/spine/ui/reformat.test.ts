import { describe, expect, it } from 'vitest';
import type { Vec3, VolumeGeometry } from '../../../math/geometry.js';
import { centrelineDepthAt, curvedReformat, endplateSegment, greyOf, lpsToPixel, pixelToLps } from './reformat.js';

// 1 mm grid, 80 × 60 × 100 voxels, origin (−40, −30, 0), identity direction (LPS)
const g: VolumeGeometry = { dims: [80, 60, 100], spacingMm: [1, 1, 1], originLps: [-40, -30, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
// a slanted centreline: x goes from −10 mm (s = 20) to +10 mm (s = 80), y fixed at 0
const line: Vec3[] = Array.from({ length: 61 }, (_, i) => [-10 + (20 * i) / 60, 0, 20 + i]);

describe('curved reformats along the spine', () => {
  it('interpolates the centreline depth and clamps at its ends', () => {
    expect(centrelineDepthAt(line, 50, 0)).toBeCloseTo(0, 6);
    expect(centrelineDepthAt(line, 35, 0)).toBeCloseTo(-5, 6);
    expect(centrelineDepthAt(line, 0, 0)).toBeCloseTo(-10, 6);
    expect(centrelineDepthAt(line, 99, 0)).toBeCloseTo(10, 6);
  });

  it('the sagittal reformat follows the centreline sideways: a slanted sheet is seen on every row', () => {
    const vox = new Int16Array(80 * 60 * 100);
    // bright voxels only where x equals the centreline's x at that height
    for (let k = 20; k <= 80; k++) {
      const i = Math.round(centrelineDepthAt(line, k, 0) + 40);
      for (let j = 0; j < 60; j++) vox[i + 80 * (j + 60 * k)] = 1000;
    }
    const f = curvedReformat(vox, g, line, 'sagittal', 1, 25, 10);
    expect(f.width).toBe(50);
    expect(f.height).toBe(80);
    for (let r = 12; r < 68; r++) expect(f.values[r * f.width + 20]).toBe(1000);
    // a flat sagittal plane at x = 0 would cross the sheet on a single row only
    let flatRows = 0;
    for (let k = 20; k <= 80; k++) if (vox[40 + 80 * (30 + 60 * k)] === 1000) flatRows++;
    expect(flatRows).toBeLessThan(5);
  });

  it('maps pixels and LPS points both ways, radiological orientation', () => {
    const vox = new Int16Array(80 * 60 * 100);
    const cor = curvedReformat(vox, g, line, 'coronal', 0.5, 30, 10);
    const p: Vec3 = [7, centrelineDepthAt(line, 42, 1), 42];
    const [c, r] = lpsToPixel(cor, p);
    expect(pixelToLps(cor, c, r)).toEqual([expect.closeTo(7, 6), expect.closeTo(0, 6), expect.closeTo(42, 6)]);
    // the patient's left (+x) is on the right of a coronal image, superior at the top
    expect(lpsToPixel(cor, [10, 0, 42])[0]).toBeGreaterThan(lpsToPixel(cor, [-10, 0, 42])[0]);
    expect(lpsToPixel(cor, [0, 0, 60])[1]).toBeLessThan(lpsToPixel(cor, [0, 0, 30])[1]);
    // sagittal: anterior (−y) on the left; a given depth is kept
    const sag = curvedReformat(vox, g, line, 'sagittal');
    expect(lpsToPixel(sag, [0, -10, 42])[0]).toBeLessThan(lpsToPixel(sag, [0, 10, 42])[0]);
    expect(pixelToLps(sag, 3, 4, 12.5)[0]).toBe(12.5);
    expect(() => curvedReformat(vox, g, [], 'coronal')).toThrow(/centreline is empty/);
  });

  it('draws an endplate perpendicular to its projected normal', () => {
    const cor = curvedReformat(new Int16Array(80 * 60 * 100), g, line, 'coronal');
    // normal tilted 30° towards the patient's left in the coronal plane
    const t = Math.PI / 6;
    const seg = endplateSegment(cor, [0, 0, 50], [Math.sin(t), 0, Math.cos(t)], 20)!;
    const [[c0, r0], [c1, r1]] = seg;
    // screen rows grow downwards: the segment's slope on screen is −Δs/Δx
    const angle = Math.atan2(-(r1 - r0), c1 - c0);
    expect(Math.abs(angle)).toBeCloseTo(t, 6);
    expect(Math.hypot(c1 - c0, r1 - r0)).toBeCloseTo(40, 6);
    // a normal along the image's depth cannot be drawn
    expect(endplateSegment(cor, [0, 0, 50], [0, 1, 0], 20)).toBeNull();
    expect(greyOf(NaN, 400, 40)).toBe(0);
    expect(greyOf(40, 400, 40)).toBeCloseTo(127.5, 6);
    expect(greyOf(5000, 400, 40)).toBe(255);
  });
});
