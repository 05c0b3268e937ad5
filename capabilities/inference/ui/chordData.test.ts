/** The Twin overview's chord data: groups, the directed matrix, and arcs proportional to the summed |log-odds| under d3's chordDirected. */
import { chordDirected } from 'd3-chord';
import { describe, expect, it } from 'vitest';
import type { Contribution, RiskResult } from '../contract.js';
import { chordMatrix, DERIVED_GROUP, MISSING_GROUP, modalityTotals, primaryRisk, RISK_GROUP, shortLabel } from './chordData.js';

const c = (feature: string, logOdds: number, modality: Contribution['modality'], imputed = false): Contribution => ({
  feature,
  label: feature.toUpperCase(),
  value: 1,
  unit: '',
  logOdds,
  source: 'test',
  sourceKind: 'published',
  imputed,
  nodeId: modality ? `n:${feature}` : null,
  modality,
  visitDate: modality ? '2026-11-20' : null,
});

const CONTRIBUTIONS = [
  c('intercept', -2.5, null),
  c('cobb', 1.2, 'CT'),
  c('odi', 0.4, 'PROM'),
  c('rom', -0.3, 'IMU'),
  c('disc', -0.6, 'CT'),
  c('risser', 0.8, null, true),
  c('cobb_x_risser', 0.1, null),
];

describe('chordMatrix', () => {
  it('groups the modalities (first appearance), then one per term, then Risk; the intercept is left out', () => {
    const { groups, matrix } = chordMatrix(CONTRIBUTIONS);
    expect(groups.map((g) => g.name)).toEqual([
      'CT',
      'PROM',
      'IMU',
      MISSING_GROUP,
      DERIVED_GROUP,
      'COBB',
      'ODI',
      'ROM',
      'DISC',
      'RISSER',
      'COBB_X_RISSER',
      RISK_GROUP,
    ]);
    expect(groups.map((g) => g.kind)).toEqual([...Array(5).fill('modality'), ...Array(6).fill('feature'), 'risk']);
    expect(matrix).toHaveLength(12);
    expect(matrix.every((r) => r.length === 12)).toBe(true);
    // modality → term, term → Risk; nothing else
    expect(matrix[0]![5]).toBeCloseTo(1.2);
    expect(matrix[0]![8]).toBeCloseTo(0.6);
    expect(matrix[3]![9]).toBeCloseTo(0.8);
    expect(matrix[5]![11]).toBeCloseTo(1.2);
    expect(matrix[7]![11]).toBeCloseTo(0.3);
    const sum = matrix.flat().reduce((s, v) => s + v, 0);
    expect(sum).toBeCloseTo(2 * (1.2 + 0.4 + 0.3 + 0.6 + 0.8 + 0.1));
    expect(groups.find((g) => g.name === 'CT')!.total).toBeCloseTo(1.8);
    expect(groups.find((g) => g.name === 'ROM')!.logOdds).toBeCloseTo(-0.3);
  });

  it('makes chordDirected arcs proportional to the summed |log-odds| of each modality (and Risk to all terms)', () => {
    const { groups, matrix } = chordMatrix(CONTRIBUTIONS);
    for (const pad of [0, 0.02]) {
      const chords = chordDirected().padAngle(pad)(matrix);
      const extent = (name: string): number => {
        const g = chords.groups[groups.findIndex((x) => x.name === name)]!;
        return g.endAngle - g.startAngle;
      };
      const totals = modalityTotals(CONTRIBUTIONS);
      const all = [...totals.values()].reduce((s, v) => s + v, 0);
      expect(all).toBeCloseTo(3.4);
      for (const [m, t] of totals) expect(extent(m) / extent(RISK_GROUP)).toBeCloseTo(t / all, 9);
      expect(extent('CT') / extent('PROM')).toBeCloseTo(1.8 / 0.4, 9);
      // a term's arc carries its contribution in and out
      expect(extent('COBB') / extent(RISK_GROUP)).toBeCloseTo((2 * 1.2) / all, 9);
    }
  });

  it('gives an empty diagram (only Risk) for a model with no terms', () => {
    const { groups, matrix } = chordMatrix([c('intercept', -1, null)]);
    expect(groups.map((g) => g.name)).toEqual([RISK_GROUP]);
    expect(matrix).toEqual([[0]]);
  });
});

describe('primaryRisk', () => {
  const r = (id: string, status: RiskResult['model']['status'], approved = false): RiskResult =>
    ({ model: { id, status, approved } as RiskResult['model'] }) as RiskResult;
  it('takes the approved site fit, else the first expert prior, else the first', () => {
    expect(primaryRisk([r('a', 'published'), r('b', 'expert-prior'), r('c', 'site-fit', true)])!.model.id).toBe('c');
    expect(primaryRisk([r('a', 'published'), r('b', 'expert-prior'), r('c', 'site-fit', false), r('d', 'expert-prior')])!.model.id).toBe('b');
    expect(primaryRisk([r('a', 'published'), r('c', 'site-fit')])!.model.id).toBe('a');
    expect(primaryRisk([])).toBeNull();
  });
});

describe('shortLabel', () => {
  it('drops the trailing parenthetical and shortens', () => {
    expect(shortLabel('Disability (ODI, per 10 points above 40)')).toBe('Disability');
    expect(shortLabel('Leg pain (NRS) (per point above 5)')).toBe('Leg pain (NRS)');
    expect(shortLabel('(only a parenthesis)')).toBe('(only a parenthesis)');
    expect(shortLabel('A very long label without any parenthesis at all', 12)).toBe('A very long…');
  });
});
