/** The screenshot stamp's layout: wrapped at separators, smaller in narrow views, never cut. */
import { describe, expect, it } from 'vitest';
import { fitStamp, wrapText } from './stamp.js';

// a monospace measure: 0.6 em per character
const mono = (s: string, px: number): number => s.length * px * 0.6;
const STAMP = 'E2E Surgeon Test · ID A-1 · CT 2024-01-02 abdomen · twin v1 · OrthoTwin 0.9.0 · axial · 02/03/2025 14:05 (2025-03-02T14:05:00.000Z)';

describe('screenshot stamp', () => {
  it('fits a wide view on one line at 12 px', () => {
    expect(fitStamp(STAMP, 2000, mono)).toEqual({ fontPx: 12, lines: [STAMP] });
  });
  it('wraps at the " · " separators in a 400 px view, every line within the width, nothing lost', () => {
    const { fontPx, lines } = fitStamp(STAMP, 400, mono);
    expect(fontPx).toBe(12);
    expect(lines.length).toBe(3);
    for (const l of lines) expect(mono(l, 12)).toBeLessThanOrEqual(400);
    expect(lines.join(' · ')).toBe(STAMP);
    expect(lines[0]).toBe('E2E Surgeon Test · ID A-1 · CT 2024-01-02 abdomen');
  });
  it('uses a smaller font when 3 lines at 12 px are not enough (a 250 px view), and more lines at the smallest', () => {
    const narrow = fitStamp(STAMP, 250, mono);
    expect(narrow.fontPx).toBeLessThan(12);
    expect(narrow.lines.length).toBeLessThanOrEqual(3);
    expect(narrow.lines.join(' · ')).toBe(STAMP);
    const tiny = fitStamp(STAMP, 120, mono);
    expect(tiny.fontPx).toBe(8);
    for (const l of tiny.lines) expect(mono(l, 8)).toBeLessThanOrEqual(120);
    expect(tiny.lines.join('').replace(/[ ·]/g, '')).toBe(STAMP.replace(/[ ·]/g, '')); // nothing cut
  });
  it('splits a word longer than a line between characters', () => {
    expect(wrapText('abcdefghij', 24, (s) => s.length * 6)).toEqual(['abcd', 'efgh', 'ij']);
  });
});
