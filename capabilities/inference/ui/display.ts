/**
 * Numbers as the Twin overview shows them: sEMG amplitudes in the unit a
 * clinician reads (µV, mV·s, as the Motion workspace shows them) instead of
 * volts, four significant digits, and the trends a chart can draw.
 */
import type { Trend } from '../contract.js';

/** The factor and unit a value in `unit` is shown in (V → µV, V·s → mV·s; others unchanged). */
export function displayUnit(unit: string): { factor: number; unit: string } {
  if (unit === 'V') return { factor: 1e6, unit: 'µV' };
  if (unit === 'V·s') return { factor: 1e3, unit: 'mV·s' };
  return { factor: 1, unit };
}

/** A value with at most four significant digits, in its display unit: "176 µV", "5.3 %", "12°". */
export function formatValue(value: number | null, unit: string): string {
  if (value === null) return '—';
  const d = displayUnit(unit);
  const v = Number((value * d.factor).toPrecision(4));
  const text = Math.abs(v) !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6) ? v.toExponential(2) : String(v);
  return d.unit === '°' ? `${text}°` : d.unit ? `${text} ${d.unit}` : text;
}

/** The trends worth a chart: at least two visits (distinct days), flagged ones first, then by label. */
export function chartedTrends(trends: readonly Trend[]): Trend[] {
  return trends
    .filter((t) => new Set(t.points.map((p) => p.visitDate)).size >= 2)
    .sort((a, b) => Number(b.flagged) - Number(a.flagged) || a.label.localeCompare(b.label) || a.level.localeCompare(b.level));
}
