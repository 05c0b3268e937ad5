/** Trends against published smallest real changes, and the rule and next-examination advice. */
import { describe, expect, it } from 'vitest';
import { Advice, FeatureNode, RiskModelFile, Trend } from '../../../capabilities/inference/contract.js';
import msJson from '../../../models/risk/msdt-lumbar-surgery-prior.json' with { type: 'json' };
import { nextExamAdvice, ruleAdvice } from './advice.js';
import { buildTrends, CHANGE_THRESHOLDS, type TrendPoint } from './trends.js';

const pt = (feature: string, visitDate: string, value: number, level = ''): TrendPoint => ({
  feature,
  level,
  label: feature,
  unit: '°',
  modality: 'CT',
  visitId: `visit:p:${visitDate}`,
  visitDate,
  value,
});
const node = (name: string, value: number, visitDate = '2025-01-10', level = ''): FeatureNode => ({
  id: `study:s:${name}:${level}:${visitDate}`,
  flags: [],
  name,
  label: name,
  value,
  unit: '',
  modality: 'CT',
  scale: 'meso',
  site: 'spine',
  level,
  side: '',
  visitId: `visit:p:${visitDate}`,
  visitDate,
  algorithm: 'test',
  algorithmVersion: '1',
  source: { kind: 'study', id: 's' },
});

describe('trends (thresholds: Morrissy 1990 Cobb MDC about 5°, Ostelo 2008 MCIDs)', () => {
  it('the threshold table', () => {
    expect(CHANGE_THRESHOLDS['spine.cobb_coronal']).toMatchObject({ value: 5, kind: 'MDC' });
    expect(CHANGE_THRESHOLDS['spine.cobb_max_plane']!.source).toMatch(/Morrissy.*1990;72\(3\):320.*about 5°/);
    expect(CHANGE_THRESHOLDS.odi).toMatchObject({ value: 10, kind: 'MCID' });
    expect(CHANGE_THRESHOLDS.rmdq).toMatchObject({ value: 5, kind: 'MCID' });
    expect(CHANGE_THRESHOLDS.nrs_leg).toMatchObject({ value: 2, kind: 'MCID' });
    expect(CHANGE_THRESHOLDS.odi!.source).toMatch(/Ostelo.*Spine 2008;33\(1\):90/);
    expect(CHANGE_THRESHOLDS['spine.disc_height_mean_ap']).toBeNull();
    expect(CHANGE_THRESHOLDS['spine.trabecular_hu_mean']).toBeNull();
  });
  it('a Cobb change of 6° is flagged and 3° is not; points sorted by visit day', () => {
    const [t6, t3] = buildTrends([
      pt('spine.cobb_coronal', '2025-06-01', 26, 'T10-L2'),
      pt('spine.cobb_coronal', '2025-01-01', 20, 'T10-L2'),
      pt('spine.cobb_coronal', '2025-01-01', 20, 'T11-L3'),
      pt('spine.cobb_coronal', '2025-06-01', 23, 'T11-L3'),
    ]);
    Trend.parse(t6);
    expect(t6!.level).toBe('T10-L2');
    expect(t6!.points.map((p) => p.visitDate)).toEqual(['2025-01-01', '2025-06-01']);
    expect(t6!.changes).toEqual([{ from: '2025-01-01', to: '2025-06-01', delta: 6, exceeds: true }]);
    expect(t6!.flagged).toBe(true);
    expect(t3!.changes).toEqual([{ from: '2025-01-01', to: '2025-06-01', delta: 3, exceeds: false }]);
    expect(t3!.flagged).toBe(false);
  });
  it('a feature without a threshold is never flagged, however large the change', () => {
    const [t] = buildTrends([pt('spine.disc_height_mean_ap', '2024-01-01', 10, 'L4-L5'), pt('spine.disc_height_mean_ap', '2025-01-01', 2, 'L4-L5')]);
    expect(t!.threshold).toBeNull();
    expect(t!.changes[0]).toMatchObject({ delta: -8, exceeds: null });
    expect(t!.flagged).toBe(false);
    const [u] = buildTrends([pt('some_new_feature', '2024-01-01', 0), pt('some_new_feature', '2025-01-01', 1e6)]);
    expect(u!.flagged).toBe(false);
  });
  it('ODI: a 10-point change reaches the MCID, 8 does not', () => {
    const [t] = buildTrends([pt('odi', '2024-01-01', 50), pt('odi', '2024-03-01', 40), pt('odi', '2024-06-01', 32)]);
    expect(t!.changes.map((c) => c.exceeds)).toEqual([true, false]);
  });
});

describe('rule advice', () => {
  const hu = (v: number): Advice[] => ruleAdvice([node('spine.trabecular_hu_mean', v, '2025-01-10', 'L1')], []);
  it('L1 HU 100 → recommend DXA (Pickhardt 2013); 140 → consider; 200 → none', () => {
    const a = hu(100);
    expect(a).toHaveLength(1);
    Advice.parse(a[0]);
    expect(a[0]).toMatchObject({ kind: 'rule', severity: 'recommend', nodes: ['study:s:spine.trabecular_hu_mean:L1:2025-01-10'] });
    expect(a[0]!.text).toMatch(/recommend DXA/);
    expect(a[0]!.citation).toMatch(/Pickhardt.*Ann Intern Med 2013;158\(8\):588/);
    expect(a[0]!.rationale).toMatch(/110 HU or less was over 90 % specific/);
    expect(hu(140)[0]).toMatchObject({ severity: 'consider' });
    expect(hu(140)[0]!.rationale).toMatch(/160 HU or less was 90 % sensitive/);
    expect(hu(200)).toEqual([]);
    // another level does not trigger the L1 rule
    expect(ruleAdvice([node('spine.trabecular_hu_mean', 90, '2025-01-10', 'L2')], [])).toEqual([]);
  });
  it('only the latest L1 value counts', () => {
    const a = ruleAdvice([node('spine.trabecular_hu_mean', 90, '2024-01-10', 'L1'), node('spine.trabecular_hu_mean', 180, '2025-01-10', 'L1')], []);
    expect(a).toEqual([]);
  });
  it('Cobb progression ≥ 5° → recommend follow-up imaging, citing the threshold; 3° → nothing', () => {
    const nodes = [node('spine.cobb_coronal', 20, '2025-01-01', 'T10-L2'), node('spine.cobb_coronal', 26, '2025-06-01', 'T10-L2')];
    const trends = buildTrends(nodes.map((n) => pt(n.name, n.visitDate, n.value!, n.level)));
    const a = ruleAdvice(nodes, trends);
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ severity: 'recommend', id: 'cobb-progression:spine.cobb_coronal:T10-L2', nodes: nodes.map((n) => n.id) });
    expect(a[0]!.text).toMatch(/increased by 6° between 2025-01-01 and 2025-06-01: recommend follow-up imaging/);
    expect(a[0]!.citation).toMatch(/Morrissy/);
    const small = buildTrends([pt('spine.cobb_coronal', '2025-01-01', 20, 'T10-L2'), pt('spine.cobb_coronal', '2025-06-01', 23, 'T10-L2')]);
    expect(ruleAdvice([], small)).toEqual([]);
    // a decrease of 6° is a change but not a progression
    const dec = buildTrends([pt('spine.cobb_coronal', '2025-01-01', 26, 'T10-L2'), pt('spine.cobb_coronal', '2025-06-01', 20, 'T10-L2')]);
    expect(dec[0]!.flagged).toBe(true);
    expect(ruleAdvice([], dec)).toEqual([]);
  });
  it('ODI 44 % → consider a detailed investigation (Fairbank 2000), never a surgical indication; 40 % → nothing', () => {
    const a = ruleAdvice([node('odi', 44)], []);
    expect(a[0]).toMatchObject({ severity: 'consider' });
    expect(a[0]!.citation).toMatch(/Fairbank/);
    expect(ruleAdvice([node('odi', 40)], [])).toEqual([]);
  });
  it('coronal Cobb 35° in an adult → consider follow-up, marked as not confirmed from a primary source; not for a 15-year-old', () => {
    const a = ruleAdvice([node('spine.cobb_coronal', 35, '2025-01-01', 'T12-L4'), node('age_years', 62)], []);
    expect(a).toHaveLength(1);
    expect(a[0]!.citation).toMatch(/Faraj.*Eur Spine J 2016/);
    expect(a[0]!.rationale).toMatch(/not confirmed from a primary source/);
    expect(ruleAdvice([node('spine.cobb_coronal', 35, '2025-01-01', 'T12-L4'), node('age_years', 15)], [])).toEqual([]);
    expect(ruleAdvice([node('spine.cobb_coronal', 35, '2025-01-01', 'T12-L4')], [])).toEqual([]);
  });
});

describe('next-examination advice', () => {
  it('wraps nextExamination, largest expected narrowing first', () => {
    const MS = RiskModelFile.parse(msJson);
    const v = (value: number) => ({ value, nodeId: null, modality: null });
    const a = nextExamAdvice(MS, { cobb: v(25), l1_hu: v(100), disc_height: v(6), emg_mdf_slope: v(-0.5), trunk_rom: v(40) });
    expect(a.map((x) => x.id)).toEqual(['next-exam:msdt-lumbar-surgery-prior:odi', 'next-exam:msdt-lumbar-surgery-prior:nrs_leg']);
    for (const x of a) Advice.parse(x);
    expect(a[0]!.expectedReduction!).toBeGreaterThan(a[1]!.expectedReduction!);
    expect(a[0]).toMatchObject({ kind: 'next-exam', severity: 'info' });
    expect(a[0]!.text).toMatch(/^Oswestry Disability Index questionnaire: measuring Oswestry Disability Index would narrow the interval/);
  });
});
