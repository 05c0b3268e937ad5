/**
 * The Twin overview's pieces rendered to markup (no DOM): the risk card says the statement, the interval and its
 * method, the missing inputs and each coefficient's source; the waterfall ends at the logit; the chord diagram's arcs
 * carry their angles; a trend flags a change beyond its threshold naming its source, or says that none is flagged.
 */
import { createElement, Fragment } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Contribution, RiskResult, Trend } from '../contract.js';
import { ChordDiagram } from './ChordDiagram.js';
import { RiskCard } from './RiskCard.js';
import { RiskOverTime, TrendChart } from './Trends.js';

const c = (feature: string, logOdds: number, modality: Contribution['modality'], imputed = false): Contribution => ({
  feature,
  label: feature.toUpperCase(),
  value: feature === 'intercept' ? null : 1,
  unit: 'u',
  logOdds,
  source: `source of ${feature}`,
  sourceKind: 'expert-prior',
  imputed,
  nodeId: null,
  modality,
});
const RISK: RiskResult = {
  model: {
    key: 'prior@1',
    id: 'prior',
    version: '1.0.0',
    title: 'A prior',
    outcome: 'surgery',
    status: 'expert-prior',
    citation: 'MS-DT panel 2026',
    population: 'adults',
    horizonMonths: 12,
    horizonNote: '',
    auc: null,
    validation: 'not validated',
    approved: false,
  },
  probability: 0.3,
  logit: -0.6,
  interval: [0.1, 0.5],
  intervalMethod: 'Monte Carlo over coefficients and missing inputs',
  contributions: [c('intercept', -1, null), c('cobb', 0.5, 'CT'), c('odi', -0.3, 'PROM'), c('nrs_leg', 0.2, null, true)],
  missing: [{ input: 'nrs_leg', label: 'Leg pain NRS', exam: 'NRS form', reference: 5 }],
  outOfRange: [],
  horizons: [{ months: 24, probability: 0.51, assumption: 'constant hazard' }],
  statement: 'Not validated on this site’s population.',
};
const TREND: Trend = {
  feature: 'cobb',
  level: 'L1-L4',
  label: 'Cobb angle',
  unit: '°',
  modality: 'CT',
  points: [
    { visitId: 'a', visitDate: '2026-01-01', value: 20 },
    { visitId: 'b', visitDate: '2026-06-01', value: 27 },
  ],
  threshold: { value: 5, unit: '°', kind: 'MDC', source: 'Carman 1990' },
  changes: [{ from: '2026-01-01', to: '2026-06-01', delta: 7, exceeds: true }],
  flagged: true,
};

const render = (...els: Parameters<typeof createElement>[]): string =>
  renderToStaticMarkup(createElement(Fragment, null, ...els.map((e) => createElement(...e))));

describe('Twin overview markup', () => {
  const errors = vi.spyOn(console, 'error');
  afterEach(() => {
    expect(errors, 'React warned').not.toHaveBeenCalled();
  });

  it('a risk card names the model, its statement, its interval and method, the missing input and every source', () => {
    const html = render([RiskCard, { risk: RISK, primary: true }]);
    for (const s of ['A prior', 'prior v1.0.0', 'expert prior', 'MS-DT panel 2026', 'Not validated on this site’s population.', '30.0 %', '10.0 %', '50.0 %'])
      expect(html).toContain(s);
    expect(html).toContain('Monte Carlo over coefficients and missing inputs');
    expect(html).toContain('Leg pain NRS: reference 5');
    expect(html).toContain('source of cobb');
    // intercept, three terms, the logit; the imputed term hatched
    expect(html.match(/data-term=/g)).toHaveLength(5);
    expect(html).toMatch(/data-term="nrs_leg"[^>]*data-imputed="yes"/);
    expect(html).toContain('missing → ref.');
  });

  it('the chord diagram draws every group with its angles; a modality arc ∝ its |log-odds|', () => {
    const html = render([ChordDiagram, { risk: RISK }]);
    const arcs = [...html.matchAll(/data-group="([^"]*)" data-kind="[^"]*" data-start-angle="([^"]*)" data-end-angle="([^"]*)"/g)].map((m) => ({
      group: m[1]!,
      extent: Number(m[3]) - Number(m[2]),
    }));
    expect(arcs.map((a) => a.group)).toEqual(['CT', 'PROM', 'Missing (reference value)', 'COBB', 'ODI', 'NRS_LEG', 'Risk']);
    const risk = arcs.at(-1)!.extent;
    expect(arcs[0]!.extent / risk).toBeCloseTo(0.5 / 1.0, 9);
    expect(arcs[2]!.extent / risk).toBeCloseTo(0.2 / 1.0, 9);
  });

  it('a trend flags a change beyond its threshold with the source; without one it says no change is flagged', () => {
    const flagged = render([TrendChart, { trend: TREND }]);
    expect(flagged).toContain('exceeds MDC 5°');
    expect(flagged).toContain('source: Carman 1990');
    expect(flagged).toContain('data-exceeds="yes"');
    const none = render([TrendChart, { trend: { ...TREND, threshold: null, flagged: false, changes: [{ ...TREND.changes[0]!, exceeds: null }] } }]);
    expect(none).toContain('No published threshold: changes not flagged.');
    expect(none).not.toContain('exceeds MDC');
    expect(none).not.toContain('data-exceeds="yes"');
    const over = render([
      RiskOverTime,
      {
        points: [
          { visitDate: '2026-01-01', probability: 0.2, interval: [0.1, 0.3] },
          { visitDate: '2026-06-01', probability: 0.3, interval: [0.1, 0.5] },
        ],
        model: RISK.model,
      },
    ]);
    expect(over).toContain('2026-06-01: 30.0 % (10.0 % – 50.0 %)');
  });
});
