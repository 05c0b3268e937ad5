/** Stable measurement numbers: kept across removals, max + 1 for new ones, legacy sets numbered by position. */
import { describe, expect, it } from 'vitest';
import type { Annotation } from './contract.js';
import { nextAnnotationNumber, numberAnnotations } from './numbering.js';
import { AnnotationsService } from './contract.js';

const ruler = (n?: number): Annotation => ({ kind: 'ruler', view: 'axial', sliceIndex: 3, a: [0, 0, 0], b: [3, 4, 0], mm: 5, ...(n ? { n } : {}) });

describe('measurement numbers', () => {
  it('a legacy set (no numbers) gets the numbers the viewer showed: 1, 2, 3 by position', () => {
    expect(numberAnnotations([ruler(), ruler(), ruler()]).map((a) => a.n)).toEqual([1, 2, 3]);
  });
  it('numbers survive a removal: removing 2 of 1, 2, 3 leaves 1 and 3, and a new one takes 4', () => {
    const set = numberAnnotations([ruler(), ruler(), ruler()]);
    const after = set.filter((a) => a.n !== 2);
    expect(numberAnnotations(after).map((a) => a.n)).toEqual([1, 3]);
    expect(nextAnnotationNumber(after)).toBe(4);
  });
  it('new ones take the largest + 1, not the count + 1', () => {
    expect(nextAnnotationNumber([ruler(7), ruler(2)])).toBe(8);
    expect(nextAnnotationNumber([])).toBe(1);
  });
  it('a mixed set keeps the stored numbers and gives the unnumbered ones free numbers', () => {
    // the second gets its position (2, free); the third's position (3) is the fourth's, so it takes the largest + 1
    expect(numberAnnotations([ruler(5), ruler(), ruler(), ruler(3)]).map((a) => a.n)).toEqual([5, 2, 6, 3]);
  });
  it('is idempotent and keeps the order', () => {
    const once = numberAnnotations([ruler(4), ruler(), ruler(1)]);
    expect(numberAnnotations(once)).toEqual(once);
    expect(once.map((a) => a.n)).toEqual([4, 2, 1]);
  });
  it('the save contract refuses two items with the same number', () => {
    const args = AnnotationsService.methods.save.args;
    expect(args.safeParse(['t1', 0, [ruler(1), ruler(2)]]).success).toBe(true);
    expect(args.safeParse(['t1', 0, [ruler(1), ruler(1)]]).success).toBe(false);
    expect(args.safeParse(['t1', 0, [ruler(), ruler()]]).success).toBe(true);
  });
});
