import { describe, expect, it } from 'vitest';
import { planRelabel, relabelRefusal } from './spineLabels.js';

const COLUMN = ['T11', 'T12', 'L1', 'L2', 'L3', 'L4', 'L5', 'S1'];

describe('planRelabel', () => {
  it('a free label is a single change', () => {
    expect(planRelabel(COLUMN, 0, 'T10')).toEqual({ ok: true, changes: [{ index: 0, from: 'T11', to: 'T10' }] });
  });
  it('L2 as L3 when L3 exists shifts L3→L4, L4→L5, L5→L6 and stops at the free S1', () => {
    const p = planRelabel(COLUMN, 3, 'L3');
    expect(p).toEqual({
      ok: true,
      changes: [
        { index: 3, from: 'L2', to: 'L3' },
        { index: 4, from: 'L3', to: 'L4' },
        { index: 5, from: 'L4', to: 'L5' },
        { index: 6, from: 'L5', to: 'L6' },
      ],
    });
    const names = COLUMN.slice();
    if (p.ok) for (const c of p.changes) names[c.index] = c.to;
    expect(new Set(names).size).toBe(names.length);
  });
  it('upwards: L1 as T12 shifts T12→T11, T11→T10', () => {
    expect(planRelabel(COLUMN, 2, 'T12')).toEqual({
      ok: true,
      changes: [
        { index: 2, from: 'L1', to: 'T12' },
        { index: 1, from: 'T12', to: 'T11' },
        { index: 0, from: 'T11', to: 'T10' },
      ],
    });
  });
  it('across the thoracolumbar junction the variant T13 is skipped', () => {
    const p = planRelabel(['T11', 'T12', 'L1', 'L2'], 0, 'T12');
    expect(p.ok && p.changes.map((c) => `${c.from}→${c.to}`)).toEqual(['T11→T12', 'T12→L1', 'L1→L2', 'L2→L3']);
  });
  it('a jump over a level shifts the levels in between too (order kept)', () => {
    const p = planRelabel(['T12', 'L1', 'L2', 'L3'], 3, 'L1');
    expect(p.ok && p.changes.map((c) => `${c.from}→${c.to}`)).toEqual(['L3→L1', 'L2→T12', 'L1→T11', 'T12→T10']);
  });
  it('refuses a shift that would run past S1', () => {
    const p = planRelabel(['L4', 'L5', 'L6', 'S1'], 0, 'L5');
    expect(p).toEqual({
      ok: false,
      refusal:
        'Relabelling L4 as L5 would give two vertebrae named L5: another level already has that label, and the neighbouring labels cannot be shifted with it (the shift would run past S1). Choose a label no other level has.',
    });
  });
});

describe('relabelRefusal', () => {
  it('names the level that already has the label and offers the shift', () => {
    expect(relabelRefusal(COLUMN, { L2: 'L3' })).toBe(
      'Relabelling L2 as L3 would give two vertebrae named L3: L3 already has that label. Shift the neighbouring labels with it (L3→L4, L4→L5, L5→L6) or choose a label no other level has.',
    );
  });
  it('a label taken by an already-corrected level names its automatic name', () => {
    expect(relabelRefusal(COLUMN, { T11: 'T10', T12: 'T10' })).toBe(
      'Relabelling T12 as T10 would give two vertebrae named T10: T10 (found automatically as T11) already has that label. Shift the neighbouring labels with it (T10→T9) or choose a label no other level has.',
    );
  });
  it('accepts corrections that keep every name unique (a consistent shift, a free label)', () => {
    expect(relabelRefusal(COLUMN, { L2: 'L3', L3: 'L4', L4: 'L5', L5: 'L6' })).toBeNull();
    expect(relabelRefusal(COLUMN, { T11: 'T10' })).toBeNull();
    expect(relabelRefusal(COLUMN, {})).toBeNull();
  });
});
