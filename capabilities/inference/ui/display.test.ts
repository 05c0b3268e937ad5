/** The Twin overview's numbers: sEMG in µV and mV·s, four significant digits, degrees; the trends drawn. */
import { describe, expect, it } from 'vitest';
import type { Trend } from '../contract.js';
import { chartedTrends, formatValue } from './display.js';

describe('formatValue', () => {
  it('shows volts as µV and V·s as mV·s, four significant digits, degrees without a space', () => {
    expect(formatValue(1.7634e-4, 'V')).toBe('176.3 µV');
    expect(formatValue(1.76e-6, 'V·s')).toBe('0.00176 mV·s');
    expect(formatValue(12.3456, '°')).toBe('12.35°');
    expect(formatValue(48, '%')).toBe('48 %');
    expect(formatValue(2, '')).toBe('2');
    expect(formatValue(null, 'HU')).toBe('—');
    expect(formatValue(3e-7, 'Hz')).toBe('3.00e-7 Hz');
  });
});

describe('chartedTrends', () => {
  const t = (label: string, days: string[], flagged = false): Trend => ({
    feature: label,
    level: '',
    label,
    unit: '',
    modality: 'PROM',
    points: days.map((d, i) => ({ visitId: d, visitDate: d, value: i })),
    threshold: null,
    changes: [],
    flagged,
  });
  it('keeps trends over two days or more, flagged first', () => {
    const out = chartedTrends([
      t('b', ['2026-01-01', '2026-02-01']),
      t('same day', ['2026-01-01', '2026-01-01']),
      t('c', ['2026-01-01', '2026-03-01'], true),
      t('a', ['2026-01-01', '2026-02-01']),
    ]);
    expect(out.map((x) => x.label)).toEqual(['c', 'a', 'b']);
  });
});
