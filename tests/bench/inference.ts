/**
 * `npm run bench -- inference`: the inference engine's work on this machine —
 * one ridge logistic fit of a 2000-patient, 4-predictor simulated cohort
 * beside SciPy's (`tests/helpers/logisticScipyPeer.py`: Newton-CG plus exact
 * Newton polishing, the process's wall time including Python's start, and the
 * largest coefficient difference); a whole site refit of Lonstein & Carlson's
 * model on 2000 patients drawn from its table (10-fold cross-validation over
 * the λ grid, 1000 bootstrap AUC resamples, 200 optimism refits); and one
 * risk evaluation with its next-examination ranking of the expert prior
 * (7 inputs, 6 missing: 4096 corners per interval).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RiskModelFile } from '../../capabilities/inference/contract.js';
import { evaluateRisk, nextExamination } from '../../electron/engine/inference/riskModel.js';
import { fitPenalisedLogistic, fitSiteModel } from '../../electron/engine/inference/siteLearning.js';
import { rng } from '../../math/random.js';

const normal = (r: () => number): number => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());

function best(runs: number, f: () => void): number {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return Math.min(...t);
}

export function inferenceSection(root: string, machine: string): string {
  // a 2000-patient cohort from a known 4-predictor logistic model
  const r = rng(20231);
  const beta = [0.8, -0.5, 0.3, 0.6];
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const x = beta.map(() => normal(r));
    const eta = -1.2 + x.reduce((s, v, j) => s + v * beta[j]!, 0);
    X.push(x);
    y.push(r() < 1 / (1 + Math.exp(-eta)) ? 1 : 0);
  }
  const lambda = 1;
  let fit = fitPenalisedLogistic(X, y, lambda);
  const oursMs = best(5, () => (fit = fitPenalisedLogistic(X, y, lambda)));
  let peer: string;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'orthotwin-bench-logit-'));
  try {
    fs.writeFileSync(path.join(tmp, 'cohort.json'), JSON.stringify({ X, y, lambdas: [lambda], scores: y.map((_, i) => i) }));
    const t0 = performance.now();
    execFileSync('/usr/bin/python3', [path.join(root, 'tests', 'helpers', 'logisticScipyPeer.py'), path.join(tmp, 'cohort.json'), path.join(tmp, 'out.json')]);
    const wall = performance.now() - t0;
    const out = JSON.parse(fs.readFileSync(path.join(tmp, 'out.json'), 'utf8')) as { scipy: string; fits: { coef: number[] }[] };
    const ours = [fit.intercept, ...fit.beta];
    const diff = Math.max(...out.fits[0]!.coef.map((c, j) => Math.abs(c - ours[j]!)));
    peer = `SciPy ${out.scipy} (minimize Newton-CG + Newton polish): ${wall.toFixed(0)} ms wall including Python's start; largest coefficient difference ${diff.toExponential(1)}`;
  } catch (e) {
    peer = `SciPy peer not run: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  // a whole site refit of Lonstein & Carlson on 2000 patients drawn from its table
  const lc = RiskModelFile.parse(JSON.parse(fs.readFileSync(path.join(root, 'models', 'risk', 'lonstein-carlson-1984.json'), 'utf8')));
  const table = (cobb: number, risser: number): number => (cobb < 20 ? (risser <= 1 ? 0.22 : 0.016) : risser <= 1 ? 0.68 : 0.23);
  const rows = Array.from({ length: 2000 }, () => {
    const cobb = 5 + 24.9 * r();
    const risser = Math.floor(5 * r());
    return { inputs: { cobb, risser }, surgery: r() < table(cobb, risser) };
  });
  let report: ReturnType<typeof fitSiteModel>['report'] | null = null;
  const siteMs = best(1, () => {
    report = fitSiteModel(lc, rows, { seed: 7, key: 'bench', createdBy: 'bench', createdAt: new Date().toISOString() }).report;
  });
  const rep = report as unknown as ReturnType<typeof fitSiteModel>['report'];

  // the expert prior with six of its seven inputs missing
  const prior = RiskModelFile.parse(JSON.parse(fs.readFileSync(path.join(root, 'models', 'risk', 'msdt-lumbar-surgery-prior.json'), 'utf8')));
  const inputs = { odi: { value: 44, nodeId: null, modality: 'PROM' as const } };
  const evalMs = best(5, () => evaluateRisk(prior, inputs, { key: 'bench', approved: false, statement: '' }));
  const nextMs = best(3, () => nextExamination(prior, inputs));

  return `## inference — site learning, risk evaluation

${machine}

| what | time |
|---|---|
| ridge logistic fit, 2000 patients × 4 predictors (Newton–Raphson on standardised columns, ${fit.iterations} iterations; best of 5) | ${oursMs.toFixed(1)} ms |
| the same fit by ${peer} | |
| site refit of Lonstein & Carlson 1984 on 2000 patients (${rep.events} events): 10-fold CV over ${rep.penalty.grid.length} λ, ${rep.bootstrap} bootstrap AUC resamples, optimism correction (λ ${rep.penalty.lambda}, AUC ${rep.auc.toFixed(3)}, base ${rep.baseAuc.toFixed(3)}) | ${(siteMs / 1000).toFixed(2)} s |
| risk of the expert prior with 6 of 7 inputs missing (all 4096 corners of the missing inputs for the interval; best of 5) | ${evalMs.toFixed(1)} ms |
| next-examination ranking of the same (9 values × 6 inputs, each an interval) | ${nextMs.toFixed(0)} ms |
`;
}
