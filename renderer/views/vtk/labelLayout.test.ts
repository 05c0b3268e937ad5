/** Measurement labels stay inside the view and off each other (review of the 2D viewer, defect 3). */
import { describe, expect, it } from 'vitest';
import { layoutLabels, type LabelBox } from './labelLayout.js';

const within = (b: LabelBox, w: number, h: number, m = 2): boolean => b.x >= m && b.y >= m && b.x + b.w <= w - m && b.y + b.h <= h - m;
const overlap = (a: LabelBox, b: LabelBox): boolean => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('measurement label layout', () => {
  it('a label that fits stays where it asked to be', () => {
    const shape = { x: 100, y: 100, w: 40, h: 40 };
    expect(layoutLabels([{ preferred: { x: 144, y: 109, w: 120, h: 58 }, shape }], 400, 300)).toEqual([{ x: 144, y: 109, w: 120, h: 58 }]);
  });
  it('an ROI near the right edge: its statistics flip to the left of the shape, whole', () => {
    // an ellipse at x 300..380 of a 400 px view; its 160 px label asked for x 384 ("mean -12.7 HU, S…" was cut there)
    const shape = { x: 300, y: 100, w: 80, h: 40 };
    const [b] = layoutLabels([{ preferred: { x: 384, y: 109, w: 160, h: 58 }, shape }], 400, 300);
    expect(b).toEqual({ x: 136, y: 109, w: 160, h: 58 }); // 300 − 4 − 160
    expect(within(b!, 400, 300)).toBe(true);
  });
  it('near the bottom-right corner with no room left, right or below: above the shape, pushed inside, the shape left uncovered', () => {
    const shape = { x: 60, y: 250, w: 290, h: 40 }; // a wide shape at the bottom of a 400 × 300 view
    const [b] = layoutLabels([{ preferred: { x: 354, y: 259, w: 160, h: 58 }, shape }], 400, 300);
    expect(b!.y).toBe(188); // above the shape: 250 − 4 − 58
    expect(b!.x).toBe(238); // pushed back inside: 400 − 2 − 160
    expect(within(b!, 400, 300)).toBe(true);
  });
  it('two labels asking for the same place: the second is nudged to a free side', () => {
    const shape = { x: 100, y: 100, w: 20, h: 20 };
    const req = { preferred: { x: 124, y: 100, w: 80, h: 16 }, shape };
    const [a, b] = layoutLabels([req, req], 400, 300);
    expect(a).toEqual({ x: 124, y: 100, w: 80, h: 16 });
    expect(b).toEqual({ x: 16, y: 100, w: 80, h: 16 }); // the other side: 100 − 4 − 80
    expect(overlap(a!, b!)).toBe(false);
  });
  it('many labels at one point: none overlaps another, all inside the view', () => {
    const shape = { x: 190, y: 140, w: 20, h: 20 };
    const boxes = layoutLabels(
      Array.from({ length: 8 }, () => ({ preferred: { x: 214, y: 141, w: 90, h: 16 }, shape })),
      400,
      300,
    );
    for (const b of boxes) expect(within(b, 400, 300), JSON.stringify(b)).toBe(true);
    for (let i = 0; i < boxes.length; i++) for (let j = 0; j < i; j++) expect(overlap(boxes[i]!, boxes[j]!), `${i} over ${j}`).toBe(false);
  });
});
