/** PROM scoring by the published rules (ODI v2.1a, RMDQ, NRS, SRS-22r) and the refusals naming the item. */
import { describe, expect, it } from 'vitest';
import { PromDefinition, PromScore } from '../../../capabilities/inference/contract.js';
import { PROM_DEFINITIONS, scoreProm } from './proms.js';

describe('PROM definitions', () => {
  it('validate against the contract, with the published item counts and ranges', () => {
    for (const d of PROM_DEFINITIONS) PromDefinition.parse(d);
    const by = Object.fromEntries(PROM_DEFINITIONS.map((d) => [d.instrument, d]));
    expect(by.odi!.items.map((i) => i.label)).toEqual([
      'Pain intensity',
      'Personal care',
      'Lifting',
      'Walking',
      'Sitting',
      'Standing',
      'Sleeping',
      'Sex life',
      'Social life',
      'Travelling',
    ]);
    expect(by.odi!.items.every((i) => i.min === 0 && i.max === 5)).toBe(true);
    expect(by.rmdq!.items).toHaveLength(24);
    expect(by.srs22r!.items).toHaveLength(22);
    expect(by['nrs-leg']!.items[0]).toMatchObject({ min: 0, max: 10 });
  });
});

describe('ODI v2.1a (Fairbank & Pynsent 2000)', () => {
  it('all 10 sections: sum 23 → 46 %, severe disability', () => {
    const s = scoreProm('odi', [3, 2, 4, 2, 3, 2, 2, 1, 2, 2]);
    PromScore.parse(s);
    expect(s.total).toBeCloseTo(46, 12);
    expect(s.band).toBe('41–60 %: severe disability');
    expect(s).toMatchObject({ answered: 10, items: 10, unit: '%', algorithmVersion: '1.0.0' });
  });
  it('9 sections answered (sex life missing): sum 20 → 20/45 × 100 = 44.44 %', () => {
    const s = scoreProm('odi', [3, 2, 3, 2, 2, 2, 2, null, 2, 2]);
    expect(s.total).toBeCloseTo((20 / 45) * 100, 12);
    expect(s.total).toBeCloseTo(44.44, 2);
    expect(s.answered).toBe(9);
  });
  it('bands at the published edges', () => {
    expect(scoreProm('odi', [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]).band).toBe('0–20 %: minimal disability');
    expect(scoreProm('odi', [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]).band).toBe('21–40 %: moderate disability');
    expect(scoreProm('odi', [4, 4, 4, 4, 4, 4, 4, 4, 4, 4]).band).toBe('61–80 %: crippled');
    expect(scoreProm('odi', [5, 5, 5, 5, 5, 5, 5, 5, 5, 4]).band).toBe('81–100 %: bed-bound or exaggerating symptoms');
  });
  it('refuses fewer than 8 sections, an out-of-range or non-integer answer naming the item, and a wrong count', () => {
    expect(() => scoreProm('odi', [1, 1, 1, 1, 1, 1, 1, null, null, null])).toThrow(/only 7 of 10 sections answered; at least 8/);
    expect(() => scoreProm('odi', [1, 1, 6, 1, 1, 1, 1, 1, 1, 1])).toThrow(/item 3 \(Lifting\) must be an integer from 0 to 5, got 6/);
    expect(() => scoreProm('odi', [1, 1, 1, 1.5, 1, 1, 1, 1, 1, 1])).toThrow(/item 4 \(Walking\) must be an integer from 0 to 5, got 1.5/);
    expect(() => scoreProm('odi', [1, 1, 1])).toThrow(/Oswestry.*expected 10 answers/);
  });
});

describe('RMDQ (Roland & Morris 1983)', () => {
  it('total = number of yes answers', () => {
    const a = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    expect(scoreProm('rmdq', a).total).toBe(8);
    expect(scoreProm('rmdq', new Array<number>(24).fill(1)).total).toBe(24);
  });
  it('refuses a missing statement and an answer of 2', () => {
    const a: (number | null)[] = new Array<number>(24).fill(0);
    a[4] = null;
    expect(() => scoreProm('rmdq', a)).toThrow(/statement 5 unanswered/);
    a[4] = 2;
    expect(() => scoreProm('rmdq', a)).toThrow(/item 5 .* must be an integer from 0 to 1, got 2/);
  });
});

describe('NRS back and leg pain', () => {
  it('the answer is the score; 11 and a missing answer are refused', () => {
    expect(scoreProm('nrs-back', [7]).total).toBe(7);
    expect(scoreProm('nrs-leg', [0]).total).toBe(0);
    expect(() => scoreProm('nrs-leg', [11])).toThrow(/item 1 .* from 0 to 10, got 11/);
    expect(() => scoreProm('nrs-back', [null])).toThrow(/item 1 unanswered/);
  });
});

describe('SRS-22r (Asher et al. 2003, 2006)', () => {
  it('domain means over their items and the total over items 1–20', () => {
    // item i (1-based) answered (i % 5) + 1
    const a = Array.from({ length: 22 }, (_, i) => ((i + 1) % 5) + 1);
    const s = scoreProm('srs22r', a);
    const m = (items: number[]): number => items.reduce((x, i) => x + ((i % 5) + 1), 0) / items.length;
    expect(s.domains.function).toBeCloseTo(m([5, 9, 12, 15, 18]), 12);
    expect(s.domains.pain).toBeCloseTo(m([1, 2, 8, 11, 17]), 12);
    expect(s.domains['self-image']).toBeCloseTo(m([4, 6, 10, 14, 19]), 12);
    expect(s.domains['mental-health']).toBeCloseTo(m([3, 7, 13, 16, 20]), 12);
    expect(s.domains.satisfaction).toBeCloseTo(m([21, 22]), 12);
    expect(s.total).toBeCloseTo(m(Array.from({ length: 20 }, (_, i) => i + 1)), 12);
    expect(s.total).toBeCloseTo(3, 12);
  });
  it('one missing item of a domain: mean of the other four; two missing: null', () => {
    const a: (number | null)[] = new Array<number>(22).fill(4);
    a[4] = null; // item 5 (function)
    a[0] = 2; // item 1 (pain)
    let s = scoreProm('srs22r', a);
    expect(s.domains.function).toBe(4);
    expect(s.domains.pain).toBeCloseTo((2 + 4 * 4) / 5, 12);
    expect(s.total).toBeCloseTo((2 + 18 * 4) / 19, 12);
    a[8] = null; // item 9 (function)
    s = scoreProm('srs22r', a);
    expect(s.domains.function).toBeNull();
    expect(() =>
      scoreProm(
        'srs22r',
        a.map((v, i) => (i === 21 ? 0 : v)),
      ),
    ).toThrow(/item 22 .* from 1 to 5, got 0/);
  });
});
