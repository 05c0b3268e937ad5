/**
 * Risk models as data: the shipped files validate, Lonstein & Carlson's table is reproduced, the contributions sum
 * to the logit, the interval and horizons behave as documented, and the next-examination ranking.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RiskModelFile, RiskResult } from '../../../capabilities/inference/contract.js';
import lcJson from '../../../models/risk/lonstein-carlson-1984.json' with { type: 'json' };
import msJson from '../../../models/risk/msdt-lumbar-surgery-prior.json' with { type: 'json' };
import { evaluateRisk, logistic, nextExamination, termOrder, type RiskInputs } from './riskModel.js';

const LC = RiskModelFile.parse(lcJson);
const MS = RiskModelFile.parse(msJson);
const OPTS = { key: 'test@1', approved: false, statement: 'Not validated on this site’s population.' };
const L = (p: number): number => Math.log(p / (1 - p));
const given = (o: Record<string, number>): RiskInputs =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { value: v, nodeId: `node:${k}`, modality: 'CT' as const }]));

describe('shipped model files', () => {
  it('parse with RiskModelFile and have their terms in a computable order', () => {
    expect(LC.status).toBe('published');
    expect(MS.status).toBe('expert-prior');
    expect(termOrder(LC)).toEqual([0, 1, 2]);
    expect(MS.horizonMonths).toBe(12);
    expect(MS.terms.every((t) => t.source.kind === 'expert-prior' && t.se !== null)).toBe(true);
    expect(MS.inputs.find((i) => i.name === 'trunk_rom')!.from.feature).toBe('imu.trunk_flexion_rom');
  });
});

describe('Lonstein & Carlson 1984 (J Bone Joint Surg Am 66:1061, table of progression incidence by curve magnitude and Risser grade)', () => {
  it.each(LC.workedFigures.map((w) => [JSON.stringify(w.inputs), w] as const))('reproduces the published cell %s within 1e-12', (_, w) => {
    const r = evaluateRisk(LC, given(w.inputs), OPTS);
    RiskResult.parse(r);
    expect(Math.abs(r.probability - w.probability)).toBeLessThan(1e-12);
    expect(r.missing).toEqual([]);
    expect(r.horizons).toEqual([]);
    expect(r.interval[0]).toBeCloseTo(w.probability, 12);
    expect(r.interval[1]).toBeCloseTo(w.probability, 12);
    expect(r.intervalMethod).toMatch(/no coefficient has a standard error/);
  });
  it('the four cells are exactly the table: 22 %, 1.6 %, 68 %, 23 %', () => {
    const p = (cobb: number, risser: number): number => evaluateRisk(LC, given({ cobb, risser }), OPTS).probability;
    expect(p(5, 0)).toBeCloseTo(0.22, 12);
    expect(p(19, 1)).toBeCloseTo(0.22, 12);
    expect(p(19.9, 2)).toBeCloseTo(0.016, 12);
    expect(p(20, 1.9)).toBeCloseTo(0.68, 12);
    expect(p(29, 4)).toBeCloseTo(0.23, 12);
  });
  it('a missing Risser grade: the reference (2) is used, imputed, and the interval spans 1.6 %–22 %', () => {
    const r = evaluateRisk(LC, given({ cobb: 12 }), OPTS);
    expect(r.probability).toBeCloseTo(0.016, 12);
    expect(r.interval[0]).toBeCloseTo(0.016, 12);
    expect(r.interval[1]).toBeCloseTo(0.22, 12);
    expect(r.missing).toEqual([{ input: 'risser', label: 'Risser grade', exam: 'pelvis radiograph: Risser grade', reference: 2 }]);
    expect(r.contributions.find((c) => c.feature === 'risser0to1')!.imputed).toBe(true);
    expect(r.contributions.find((c) => c.feature === 'interaction')!.imputed).toBe(true);
    expect(r.contributions.find((c) => c.feature === 'cobb20to29')).toMatchObject({ imputed: false, nodeId: 'node:cobb', value: 12, unit: '°' });
    expect(r.intervalMethod).toMatch(/missing input "risser" varied over its plausible range/);
  });
  it('a curve outside 5–29° is listed as out of range', () => {
    const r = evaluateRisk(LC, given({ cobb: 35, risser: 1 }), OPTS);
    expect(r.outOfRange).toEqual([{ input: 'cobb', label: LC.inputs[0]!.label, value: 35, validRange: [5, 29] }]);
    // and no probability is to be shown: the model says nothing there
    expect(r.withheld).toBe(`No probability: ${LC.inputs[0]!.label} 35 ° is outside the 5–29 the model was developed on.`);
  });
  it('contributions sum to the logit within 1e-12 for random inputs (and the intercept comes first)', () => {
    fc.assert(
      fc.property(fc.option(fc.double({ min: -10, max: 60, noNaN: true })), fc.option(fc.double({ min: -1, max: 6, noNaN: true })), (cobb, risser) => {
        const o: Record<string, number> = {};
        if (cobb !== null) o.cobb = cobb;
        if (risser !== null) o.risser = risser;
        const r = evaluateRisk(LC, given(o), OPTS);
        expect(r.contributions[0]!.feature).toBe('intercept');
        expect(r.contributions[0]!.logOdds).toBe(LC.intercept.value);
        const s = r.contributions.reduce((a, c) => a + c.logOdds, 0);
        expect(Math.abs(s - r.logit)).toBeLessThan(1e-12);
        expect(Math.abs(r.probability - logistic(r.logit))).toBeLessThan(1e-15);
      }),
      { numRuns: 300, seed: 23 },
    );
  });
});

describe('MS-DT expert prior (surgery within 12 months)', () => {
  const patient = { odi: 60, nrs_leg: 7, cobb: 25, l1_hu: 100, disc_height: 6, emg_mdf_slope: -0.5, trunk_rom: 40 };
  it('one patient computed by hand', () => {
    const byHand =
      L(0.08) +
      Math.log(1.5) * ((60 - 40) / 10) +
      Math.log(1.15) * ((7 - 5) / 1) +
      Math.log(1.3) * ((25 - 20) / 10) +
      Math.log(0.9) * ((100 - 150) / 50) +
      Math.log(0.8) * ((6 - 8) / 2) +
      Math.log(0.85) * ((-0.5 - 0) / 0.5) +
      Math.log(0.85) * ((40 - 60) / 20);
    const r = evaluateRisk(MS, given(patient), OPTS);
    expect(Math.abs(r.logit - byHand)).toBeLessThan(1e-12);
    expect(r.logit).toBeCloseTo(-0.5671688762012268, 12); // Python's math module, same formula
    expect(r.probability).toBeCloseTo(0.3618903481965961, 12);
    expect(r.contributions.map((c) => c.feature)).toEqual(['intercept', 'odi', 'nrs_leg', 'cobb', 'l1_hu', 'disc_height', 'emg_mdf_slope', 'trunk_rom']);
  });
  it('horizons by constant hazard: p6 = 1 − (1 − p12)^(1/2), p24 = 1 − (1 − p12)^2, p12 = p', () => {
    const r = evaluateRisk(MS, given(patient), { ...OPTS, horizonsMonths: [6, 12, 24] });
    const p = r.probability;
    expect(r.horizons.map((h) => h.months)).toEqual([6, 12, 24]);
    expect(r.horizons[0]!.probability).toBeCloseTo(0.2011823413297601, 12);
    expect(r.horizons[0]!.probability).toBeCloseTo(1 - Math.sqrt(1 - p), 14);
    expect(r.horizons[1]!.probability).toBeCloseTo(p, 14);
    expect(r.horizons[2]!.probability).toBeCloseTo(1 - (1 - p) ** 2, 14);
    expect(r.horizons[0]!.assumption).toMatch(/constant hazard/);
    expect(evaluateRisk(MS, given(patient), OPTS).horizons.map((h) => h.months)).toEqual([6, 12]);
  });
  it('the interval contains the point and widens when an input is missing', () => {
    const full = evaluateRisk(MS, given(patient), OPTS);
    expect(full.interval[0]).toBeLessThan(full.probability);
    expect(full.interval[1]).toBeGreaterThan(full.probability);
    expect(full.intervalMethod).toMatch(/delta method/);
    const { odi: _odi, ...rest } = patient;
    const less = evaluateRisk(MS, given(rest), OPTS);
    expect(less.interval[0]).toBeLessThan(full.interval[0]);
    expect(less.interval[1]).toBeGreaterThan(full.interval[1]);
    expect(less.interval[0]).toBeLessThanOrEqual(less.probability);
    expect(less.interval[1]).toBeGreaterThanOrEqual(less.probability);
    const none = evaluateRisk(MS, {}, OPTS);
    expect(none.missing).toHaveLength(7);
    expect(none.probability).toBeCloseTo(logistic(L(0.08) + Math.log(1.3) * -1), 12); // only cobb's reference (10°) is off-centre
    expect(none.interval[1] - none.interval[0]).toBeGreaterThan(less.interval[1] - less.interval[0]);
  });
  it('contributions sum to the logit within 1e-12 for random patients with random inputs missing', () => {
    const names = MS.inputs.map((i) => i.name);
    fc.assert(
      fc.property(fc.array(fc.option(fc.double({ min: -200, max: 400, noNaN: true })), { minLength: 7, maxLength: 7 }), (vals) => {
        const o: Record<string, number> = {};
        vals.forEach((v, i) => v !== null && (o[names[i]!] = v));
        const r = evaluateRisk(MS, given(o), OPTS);
        let s = 0;
        for (const c of r.contributions) s += c.logOdds;
        expect(s).toBe(r.logit);
        expect(Math.abs(r.contributions.reduce((a, c) => a + c.logOdds, 0) - r.logit)).toBeLessThan(1e-12);
      }),
      { numRuns: 200, seed: 7 },
    );
  });
  it('next examination: an input with the larger effect over its plausible range ranks first', () => {
    const { odi: _o, nrs_leg: _n, ...rest } = patient;
    const ranked = nextExamination(MS, given(rest));
    // ODI spans 10 term units (0–100 %, per 10) × ln 1.5; leg pain spans 10 units × ln 1.15: ODI first
    expect(ranked.map((r) => r.input)).toEqual(['odi', 'nrs_leg']);
    expect(ranked[0]!.expectedReduction).toBeGreaterThan(ranked[1]!.expectedReduction);
    expect(ranked[1]!.expectedReduction).toBeGreaterThan(0);
    expect(ranked[0]!.exam).toBe('Oswestry Disability Index questionnaire');
    expect(nextExamination(MS, given(patient))).toEqual([]);
  });
});

describe('model structure errors', () => {
  const mk = (terms: unknown[]): RiskModelFile =>
    RiskModelFile.parse({ ...lcJson, terms: terms.map((t, i) => ({ ...LC.terms[0]!, id: `t${i}`, ...(t as object) })) });
  it('a cycle among products and an unknown term or input are refused, naming the term', () => {
    const cyc = mk([{ transform: { kind: 'product', terms: ['t1', 't2'] } }, { transform: { kind: 'product', terms: ['t0', 't2'] } }, {}]);
    expect(() => evaluateRisk(cyc, {}, OPTS)).toThrow(/cycle \(t0 → t1 → t0\)/);
    const unk = mk([{ transform: { kind: 'product', terms: ['t1', 'zz'] } }, {}]);
    expect(() => evaluateRisk(unk, {}, OPTS)).toThrow(/term "t0" multiplies the unknown term "zz"/);
    const inp = mk([{ transform: { kind: 'linear', input: 'age', center: 0, scale: 1 } }]);
    expect(() => evaluateRisk(inp, {}, OPTS)).toThrow(/term "t0" uses the unknown input "age"/);
  });
});
