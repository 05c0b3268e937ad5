/**
 * The site's own refit of a risk model (issue 23): ridge-penalised logistic
 * regression on the base model's terms, the penalty chosen by stratified
 * k-fold cross-validation, discrimination (AUC, Mann–Whitney, with a bootstrap
 * percentile interval), calibration (slope, calibration-in-the-large, deciles,
 * Brier score), Harrell's bootstrap optimism correction of the slope, and the
 * minimum cohort (Peduzzi et al. 1996). Pure: no I/O; every random choice comes
 * from `math/random.ts` with an explicit seed.
 */
import type { RiskModelFile, SiteFitReport } from '../../../capabilities/inference/contract.js';
import { rng } from '../../../math/random.js';
import { solveSpd, invertSpd } from '../../../math/rigid.js';
import { logistic, logit, termOrder, termValues } from './riskModel.js';

const Z95 = 1.959963984540054;

/** ln(1 + e^x) without overflow. */
function log1pexp(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

export interface LogisticFit {
  /** Intercept on the raw scale of X (log-odds). */
  intercept: number;
  /** One coefficient per column of X, raw scale (log-odds per unit). */
  beta: number[];
  /** Standard errors, the intercept's first, then one per column (raw scale). */
  se: number[];
  /** Newton–Raphson iterations used. */
  iterations: number;
}

/**
 * Ridge-penalised logistic regression by Newton–Raphson (IRLS) with step halving.
 *
 * The columns are standardised internally (z = (x − mean)/sd, sd with divisor n) and the penalised negative
 * log-likelihood −Σ[yᵢηᵢ − ln(1 + e^ηᵢ)] + (λ/2)·Σⱼ θⱼ² is minimised over the standardised coefficients θ (the
 * intercept is not penalised); the result is mapped back to the raw scale (βⱼ = θⱼ/sdⱼ, β₀ = θ₀ − Σ θⱼ·meanⱼ/sdⱼ).
 * Equivalently the raw coefficients are penalised by (λ/2)·Σ (βⱼ·sdⱼ)². Standard errors: the square roots of the
 * diagonal of the inverse of the penalised Hessian (Xᵀ W X + λ P) mapped to the raw scale — for λ > 0 an
 * approximation that ignores the penalty's bias (le Cessie & van Houwelingen, Appl Stat 1992;41:191).
 * Convergence: the largest Newton step under 1e-10 (standardised scale), at most 100 iterations.
 * @param X n × p design (no intercept column; p may be 0)
 * @param y n outcomes, 0 or 1
 * @param lambda penalty ≥ 0 (0: ordinary maximum likelihood)
 * @param offset optional n fixed log-odds added to the linear predictor (e.g. calibration-in-the-large)
 * @throws Error for mismatched sizes, an outcome other than 0/1, a single outcome class, a constant column, a
 *   singular Hessian or non-convergence within 100 iterations, and (with λ = 0) separation of the outcomes by the
 *   predictors (the likelihood maximised at infinity): a linear predictor beyond ±50 (fitted probabilities
 *   numerically 0 or 1, as R's glm warns), or a singular Hessian / non-convergence with one beyond ±15
 */
export function fitPenalisedLogistic(X: readonly (readonly number[])[], y: readonly number[], lambda: number, offset?: readonly number[]): LogisticFit {
  const n = y.length;
  if (X.length !== n) throw new Error(`logistic fit: ${X.length} rows of predictors but ${n} outcomes`);
  if (n === 0) throw new Error('logistic fit: no patients');
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new Error(`logistic fit: the penalty must be a finite number ≥ 0, got ${lambda}`);
  if (offset && offset.length !== n) throw new Error(`logistic fit: ${offset.length} offsets for ${n} patients`);
  const p = X[0]!.length;
  let events = 0;
  for (let i = 0; i < n; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new Error(`logistic fit: outcome ${i + 1} is ${y[i]}, not 0 or 1`);
    if (X[i]!.length !== p) throw new Error(`logistic fit: row ${i + 1} has ${X[i]!.length} predictors, not ${p}`);
    events += y[i]!;
  }
  if (events === 0 || events === n) throw new Error(`logistic fit: all ${n} outcomes are ${events ? 1 : 0}; both outcomes are needed`);
  const mean = new Array<number>(p).fill(0),
    sd = new Array<number>(p).fill(0);
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += X[i]![j]!;
    mean[j] = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (X[i]![j]! - mean[j]!) ** 2;
    sd[j] = Math.sqrt(v / n);
    if (!(sd[j]! > 1e-12 * Math.max(1, Math.abs(mean[j]!))))
      throw new Error(`logistic fit: predictor ${j + 1} is constant (${mean[j]}) over the cohort; it cannot be estimated`);
  }
  const q = p + 1;
  const Z = X.map((r) => [1, ...r.map((v, j) => (v - mean[j]!) / sd[j]!)]);
  const off = offset ?? new Array<number>(n).fill(0);
  const eta = (th: readonly number[], i: number): number => {
    let e = off[i]!;
    const z = Z[i]!;
    for (let j = 0; j < q; j++) e += th[j]! * z[j]!;
    return e;
  };
  const objective = (th: readonly number[]): number => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const e = eta(th, i);
      f += log1pexp(e) - y[i]! * e;
    }
    for (let j = 1; j < q; j++) f += 0.5 * lambda * th[j]! ** 2;
    return f;
  };
  const gradHess = (th: readonly number[]): { g: number[]; H: number[] } => {
    const g = new Array<number>(q).fill(0),
      H = new Array<number>(q * q).fill(0);
    for (let i = 0; i < n; i++) {
      const mu = logistic(eta(th, i));
      const w = mu * (1 - mu),
        r = mu - y[i]!,
        z = Z[i]!;
      for (let a = 0; a < q; a++) {
        g[a]! += r * z[a]!;
        for (let b = 0; b <= a; b++) H[a * q + b]! += w * z[a]! * z[b]!;
      }
    }
    for (let a = 1; a < q; a++) {
      g[a]! += lambda * th[a]!;
      H[a * q + a]! += lambda;
    }
    for (let a = 0; a < q; a++) for (let b = 0; b < a; b++) H[b * q + a] = H[a * q + b]!;
    return { g, H };
  };
  const ybar = events / n;
  let th = new Array<number>(q).fill(0);
  th[0] = offset ? 0 : Math.log(ybar / (1 - ybar));
  let f = objective(th);
  let it = 0;
  const SEPARATED =
    'the outcomes are (quasi-)completely separated by the predictors: the likelihood is maximised at infinite coefficients (use a penalty λ > 0)';
  const maxEta = (th: readonly number[]): number => {
    let m = 0;
    for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(eta(th, i)));
    return m;
  };
  const failure = (why: string): Error => new Error(`logistic fit: ${lambda === 0 && maxEta(th) > 15 ? SEPARATED : why}`);
  for (;;) {
    if (it >= 100) throw failure(`no convergence within 100 Newton iterations (λ = ${lambda})`);
    it++;
    const { g, H } = gradHess(th);
    const step = solveSpd(H, g, q);
    if (!step) throw failure('the Hessian is singular (collinear predictors)');
    let t = 1,
      next = th.map((v, j) => v - step[j]!),
      fn = objective(next);
    for (let h = 0; h < 40 && !(fn <= f + 1e-12 * Math.abs(f)); h++) {
      t /= 2;
      next = th.map((v, j) => v - t * step[j]!);
      fn = objective(next);
    }
    const moved = Math.max(...step.map((s) => Math.abs(t * s)));
    th = next;
    f = fn;
    if (lambda === 0 && maxEta(th) > 50) throw new Error(`logistic fit: ${SEPARATED}`);
    if (moved < 1e-10) break;
  }
  const cov = invertSpd(gradHess(th).H, q);
  if (!cov) throw failure('the Hessian at the optimum is singular (collinear predictors)');
  // raw = A θ: row 0 = [1, −m₁/s₁, …], row j = e_j / s_j
  const A: number[][] = Array.from({ length: q }, (_, r) =>
    Array.from({ length: q }, (_, c) => (r === 0 ? (c === 0 ? 1 : -mean[c - 1]! / sd[c - 1]!) : c === r ? 1 / sd[r - 1]! : 0)),
  );
  const raw = A.map((row) => row.reduce((s, a, c) => s + a * th[c]!, 0));
  const se = A.map((row) => {
    let v = 0;
    for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) v += row[a]! * cov[a * q + b]! * row[b]!;
    return Math.sqrt(Math.max(v, 0));
  });
  return { intercept: raw[0]!, beta: raw.slice(1), se, iterations: it };
}

/** The linear predictor β₀ + Σ βⱼ xⱼ of each row. */
export function linearPredictor(fit: Pick<LogisticFit, 'intercept' | 'beta'>, X: readonly (readonly number[])[]): number[] {
  return X.map((r) => r.reduce((s, v, j) => s + fit.beta[j]! * v, fit.intercept));
}

/**
 * Deterministic stratified folds: the events and the non-events are each shuffled (Fisher–Yates with
 * `math/random.ts`'s rng(seed)) and dealt round-robin to the folds, so every fold has about the same event rate.
 * @returns the fold (0..folds−1) of each patient
 */
export function stratifiedFolds(y: readonly number[], folds: number, seed: number): number[] {
  const r = rng(seed);
  const out = new Array<number>(y.length).fill(0);
  let k = 0;
  for (const cls of [1, 0]) {
    const idx = y.map((v, i) => (v === cls ? i : -1)).filter((i) => i >= 0);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    for (const i of idx) out[i] = k++ % folds;
  }
  return out;
}

/** −2 × log-likelihood of outcomes y at linear predictors eta. */
export function deviance(eta: readonly number[], y: readonly number[]): number {
  let d = 0;
  for (let i = 0; i < y.length; i++) d += 2 * (log1pexp(eta[i]!) - y[i]! * eta[i]!);
  return d;
}

/**
 * The ridge penalty by k-fold cross-validation: for each λ of the grid, the model is fitted on k − 1 folds and its
 * deviance computed on the held-out fold; the λ with the smallest mean held-out deviance per patient is chosen
 * (the first of equal ones). A λ whose fit fails on any fold (e.g. separation at λ = 0) scores Infinity.
 * @param X n × p design, y 0/1 outcomes, grid λ values ≥ 0, folds (default 10), seed for stratifiedFolds
 * @returns the chosen λ and the mean held-out deviance per patient of each grid value
 * @throws Error when the grid is empty or every λ fails
 */
export function crossValidateLambda(
  X: readonly (readonly number[])[],
  y: readonly number[],
  grid: readonly number[],
  folds = 10,
  seed = 1,
): { lambda: number; deviances: number[]; folds: number } {
  if (!grid.length) throw new Error('cross-validation: the penalty grid is empty');
  const fold = stratifiedFolds(y, folds, seed);
  const deviances = grid.map((lambda) => {
    let d = 0;
    for (let k = 0; k < folds; k++) {
      const tr = fold.map((f, i) => (f === k ? -1 : i)).filter((i) => i >= 0);
      const te = fold.map((f, i) => (f === k ? i : -1)).filter((i) => i >= 0);
      if (!te.length) continue;
      try {
        const fit = fitPenalisedLogistic(
          tr.map((i) => X[i]!),
          tr.map((i) => y[i]!),
          lambda,
        );
        d += deviance(
          linearPredictor(
            fit,
            te.map((i) => X[i]!),
          ),
          te.map((i) => y[i]!),
        );
      } catch {
        return Infinity;
      }
    }
    return d / y.length;
  });
  let best = -1;
  deviances.forEach((d, i) => {
    if (Number.isFinite(d) && (best < 0 || d < deviances[best]!)) best = i;
  });
  if (best < 0) throw new Error(`cross-validation: every penalty of the grid (${grid.join(', ')}) failed to fit`);
  return { lambda: grid[best]!, deviances, folds };
}

/**
 * Area under the ROC curve by the Mann–Whitney statistic: the probability that a random event scores higher than
 * a random non-event, ties counting 1/2 (midranks: AUC = (R₁ − n₁(n₁+1)/2) / (n₁·n₀)).
 * @param scores n scores (any monotone scale), y n outcomes 0/1
 * @throws Error for mismatched sizes or a single outcome class
 */
export function auc(scores: readonly number[], y: readonly number[]): number {
  const n = y.length;
  if (scores.length !== n) throw new Error(`AUC: ${scores.length} scores for ${n} outcomes`);
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let r1 = 0,
    n1 = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (y[idx[k]!] === 1) {
        r1 += rank;
        n1++;
      }
    i = j + 1;
  }
  const n0 = n - n1;
  if (n1 === 0 || n0 === 0) throw new Error('AUC: both outcomes are needed');
  return (r1 - (n1 * (n1 + 1)) / 2) / (n1 * n0);
}

/** Percentile of sorted values by linear interpolation between order statistics (numpy's default, "type 7"). */
function quantileSorted(v: readonly number[], q: number): number {
  const h = (v.length - 1) * q;
  const lo = Math.floor(h);
  return v[lo]! + (h - lo) * ((v[Math.min(lo + 1, v.length - 1)] ?? v[lo]!) - v[lo]!);
}

/**
 * Percentile bootstrap 95 % interval of the AUC: B resamples of the patients with replacement (rng(seed)), the
 * 2.5th and 97.5th percentiles of their AUCs (linear interpolation); a resample with a single outcome class is
 * drawn again.
 * @returns [lower, upper]
 * @throws Error as auc
 */
export function bootstrapAucInterval(scores: readonly number[], y: readonly number[], B = 1000, seed = 1): [number, number] {
  auc(scores, y);
  const r = rng(seed);
  const n = y.length;
  const out: number[] = [];
  while (out.length < B) {
    const s = new Array<number>(n),
      yy = new Array<number>(n);
    let ev = 0;
    for (let i = 0; i < n; i++) {
      const k = Math.floor(r() * n);
      s[i] = scores[k]!;
      yy[i] = y[k]!;
      ev += y[k]!;
    }
    if (ev === 0 || ev === n) continue;
    out.push(auc(s, yy));
  }
  out.sort((a, b) => a - b);
  return [quantileSorted(out, 0.025), quantileSorted(out, 0.975)];
}

const clampP = (p: number): number => Math.min(Math.max(p, 1e-15), 1 - 1e-15);

/**
 * Calibration of predicted probabilities against outcomes (Cox 1958; Steyerberg, Clinical Prediction Models,
 * 2nd ed. 2019, ch. 15): the slope b of the logistic regression y ~ a + b·logit(p), and calibration-in-the-large:
 * the intercept a of y ~ a + offset(logit(p)) (0 and 1 are perfect). p is clamped to [1e-15, 1 − 1e-15].
 * @throws Error as fitPenalisedLogistic (e.g. all p equal: the slope cannot be estimated)
 */
export function calibration(p: readonly number[], y: readonly number[]): { slope: number; intercept: number } {
  const lp = p.map((v) => logit(clampP(v)));
  return {
    slope: calibrationSlopeOfLp(lp, y),
    intercept: fitPenalisedLogistic(
      lp.map(() => []),
      y,
      0,
      lp,
    ).intercept,
  };
}

/** The calibration slope of a linear predictor (log-odds) against outcomes. */
function calibrationSlopeOfLp(lp: readonly number[], y: readonly number[]): number {
  return fitPenalisedLogistic(
    lp.map((v) => [v]),
    y,
    0,
  ).beta[0]!;
}

/**
 * Calibration by groups of predicted risk: the patients sorted by p (stable) and cut into `bins` groups of equal
 * size (deciles by default; sizes differ by at most one, ties split by the original order), each with its mean
 * predicted probability, observed event rate and size. Empty groups (n < bins) are left out.
 */
export function calibrationBins(p: readonly number[], y: readonly number[], bins = 10): { predicted: number; observed: number; n: number }[] {
  const n = p.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a]! - p[b]! || a - b);
  const out: { predicted: number; observed: number; n: number }[] = [];
  for (let g = 0; g < bins; g++) {
    const a = Math.floor((g * n) / bins),
      b = Math.floor(((g + 1) * n) / bins);
    if (b <= a) continue;
    let sp = 0,
      sy = 0;
    for (let k = a; k < b; k++) {
      sp += p[idx[k]!]!;
      sy += y[idx[k]!]!;
    }
    out.push({ predicted: sp / (b - a), observed: sy / (b - a), n: b - a });
  }
  return out;
}

/** Brier score: mean squared difference between predicted probability and outcome (0 best). */
export function brier(p: readonly number[], y: readonly number[]): number {
  return p.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0) / p.length;
}

/**
 * Optimism-corrected calibration slope by Harrell's bootstrap (Harrell, Lee & Mark, Stat Med 1996;15:361; Harrell,
 * Regression Modeling Strategies, 2nd ed. 2015, §5.3.4): the apparent slope is that of the model fitted on the
 * cohort, on the cohort; for each of B resamples (with replacement, rng(seed)) the model is refitted (same λ), and
 * its optimism = its slope on the resample − its slope on the original cohort; corrected = apparent − mean
 * optimism. (Without a penalty the apparent slope is exactly 1 and this is the familiar 1 − mean optimism; with a
 * ridge penalty the apparent slope exceeds 1.) Resamples whose fit fails are skipped and not counted in `used`.
 * @returns apparent, mean optimism, corrected slope, and the resamples used
 * @throws Error as fitPenalisedLogistic for the fit on the cohort, and when every resample fails
 */
export function optimismCorrectedSlope(
  X: readonly (readonly number[])[],
  y: readonly number[],
  lambda: number,
  B = 200,
  seed = 1,
): { apparent: number; optimism: number; corrected: number; used: number } {
  const full = fitPenalisedLogistic(X, y, lambda);
  const apparent = calibrationSlopeOfLp(linearPredictor(full, X), y);
  const r = rng(seed);
  const n = y.length;
  let sum = 0,
    used = 0;
  for (let b = 0; b < B; b++) {
    const idx = Array.from({ length: n }, () => Math.floor(r() * n));
    const Xb = idx.map((i) => X[i]!),
      yb = idx.map((i) => y[i]!);
    try {
      const fit = fitPenalisedLogistic(Xb, yb, lambda);
      const sb = calibrationSlopeOfLp(linearPredictor(fit, Xb), yb);
      const so = calibrationSlopeOfLp(linearPredictor(fit, X), y);
      sum += sb - so;
      used++;
    } catch {
      // a resample with a constant column or separated outcomes: skipped
    }
  }
  if (!used) throw new Error('optimism correction: every bootstrap refit failed');
  const optimism = sum / used;
  return { apparent, optimism, corrected: apparent - optimism, used };
}

/**
 * The product's minimum cohort for a site fit: at least 10 events per estimated coefficient (Peduzzi et al.,
 * J Clin Epidemiol 1996;49:1373–1379; events = the less frequent outcome; coefficients = the model's terms, the
 * intercept not counted) and at least 100 patients (the product's floor).
 * @returns null when the cohort is large enough, else a sentence giving n, the events and the numbers needed
 */
export function minimumCohort(n: number, events: number, coefficients: number): string | null {
  const minority = Math.min(events, n - events);
  const needEvents = 10 * coefficients;
  if (n >= 100 && minority >= needEvents) return null;
  return (
    `The cohort has ${n} patient${n === 1 ? '' : 's'} with ${events} event${events === 1 ? '' : 's'}` +
    (minority !== events ? ` (${minority} of the less frequent outcome)` : '') +
    `; a site fit of ${coefficients} coefficient${coefficients === 1 ? '' : 's'} needs at least ${needEvents} events ` +
    `(10 per coefficient, Peduzzi et al., J Clin Epidemiol 1996;49:1373) and at least 100 patients.`
  );
}

export interface SiteFitOptions {
  seed: number;
  /** The site fit's key (its id in the store). */
  key: string;
  createdBy: string;
  createdAt: string;
  /** The base model's key (default `<id>@<version>`). */
  baseKey?: string;
  /** Penalty grid (default 0.01, 0.1, 1, 10, 100) and folds (default 10). */
  grid?: number[];
  folds?: number;
  /** Bootstrap resamples for the AUC interval (default 1000) and the optimism correction (default 200). */
  bootstrapAuc?: number;
  bootstrapOptimism?: number;
  /** Patients already left out by the caller (no outcome horizon reached, …), reported with the fit's own. */
  excluded?: { reason: string; count: number }[];
}

/**
 * Refits a risk model on the site's cohort: the design matrix is the base model's term values (same transforms,
 * so the coefficients are comparable with the base's); ridge-penalised logistic regression with λ chosen by
 * stratified k-fold cross-validation (held-out deviance); AUC with its bootstrap interval; calibration slope and
 * intercept, Harrell's optimism-corrected slope, deciles and the Brier score — all on the same cohort — and the
 * base model's AUC and calibration on that cohort beside them.
 * @param base the shipped model
 * @param rows one per patient: the base model's inputs by name, and whether surgery (the outcome) happened;
 *   patients missing any input are left out (reported in `excluded`)
 * @returns report (SiteFitReport) and model: the base file with status 'site-fit', id `<base id>-site`, every
 *   coefficient and se replaced by the fit's with source {kind 'site-fit', citation: key}, performance and
 *   validation describing the fit, and no worked figures (the published ones no longer hold)
 * @throws Error with minimumCohort's sentence when the cohort is too small; as fitPenalisedLogistic otherwise
 */
export function fitSiteModel(
  base: RiskModelFile,
  rows: readonly { inputs: Record<string, number>; surgery: boolean }[],
  opts: SiteFitOptions,
): { report: SiteFitReport; model: RiskModelFile } {
  const order = termOrder(base);
  const names = base.inputs.map((i) => i.name);
  const X: number[][] = [],
    y: number[] = [];
  const missingBy = new Map<string, number>();
  for (const r of rows) {
    const miss = names.filter((m) => !Number.isFinite(r.inputs[m]));
    if (miss.length) {
      const reason = `missing input${miss.length > 1 ? 's' : ''}: ${miss.join(', ')}`;
      missingBy.set(reason, (missingBy.get(reason) ?? 0) + 1);
      continue;
    }
    X.push(termValues(base, new Map(names.map((m) => [m, r.inputs[m]!])), order));
    y.push(r.surgery ? 1 : 0);
  }
  const n = y.length,
    events = y.reduce((a, b) => a + b, 0);
  const excluded = [...(opts.excluded ?? []), ...[...missingBy].map(([reason, count]) => ({ reason, count }))];
  const tooSmall = minimumCohort(n, events, base.terms.length);
  if (tooSmall) throw new Error(tooSmall);

  const grid = opts.grid ?? [0.01, 0.1, 1, 10, 100];
  const cv = crossValidateLambda(X, y, grid, opts.folds ?? 10, opts.seed);
  const fit = fitPenalisedLogistic(X, y, cv.lambda);
  const p = linearPredictor(fit, X).map(logistic);
  const B = opts.bootstrapAuc ?? 1000;
  const a = auc(p, y);
  const aucInterval = bootstrapAucInterval(p, y, B, opts.seed + 1);
  const cal = calibration(p, y);
  const opt = optimismCorrectedSlope(X, y, cv.lambda, opts.bootstrapOptimism ?? 200, opts.seed + 2);
  const bins = calibrationBins(p, y, 10);
  const br = brier(p, y);
  const baseP = linearPredictor({ intercept: base.intercept.value, beta: base.terms.map((t) => t.coefficient) }, X).map(logistic);
  const baseCal = calibration(baseP, y);
  const baseKey = opts.baseKey ?? `${base.id}@${base.version}`;

  const coefficients: SiteFitReport['coefficients'] = [
    { term: 'intercept', estimate: fit.intercept, se: fit.se[0]!, base: base.intercept.value },
    ...base.terms.map((t, j) => ({ term: t.id, estimate: fit.beta[j]!, se: fit.se[j + 1]!, base: t.coefficient })),
  ].map((c) => ({ ...c, interval: [c.estimate - Z95 * c.se, c.estimate + Z95 * c.se] as [number, number] }));

  const report: SiteFitReport = {
    key: opts.key,
    baseKey,
    n,
    events,
    excluded,
    penalty: { kind: 'ridge', lambda: cv.lambda, folds: cv.folds, grid: [...grid] },
    coefficients,
    auc: a,
    aucInterval,
    bootstrap: B,
    calibration: { slope: cal.slope, intercept: cal.intercept, slopeCorrected: opt.corrected, bins },
    brier: br,
    baseAuc: auc(baseP, y),
    baseCalibration: baseCal,
    createdAt: opts.createdAt,
    createdBy: opts.createdBy,
  };
  const src = { kind: 'site-fit' as const, citation: opts.key };
  const f3 = (v: number): string => v.toFixed(3);
  const model: RiskModelFile = {
    ...base,
    id: `${base.id}-site`,
    title: `${base.title} — site refit`,
    citation: `Site refit ${opts.key} of ${baseKey} (${base.citation})`,
    status: 'site-fit',
    terms: base.terms.map((t, j) => ({ ...t, coefficient: fit.beta[j]!, se: fit.se[j + 1]!, source: src })),
    intercept: { value: fit.intercept, se: fit.se[0]!, source: src },
    performance: {
      auc: a,
      aucInterval,
      calibration: `On the site's cohort (apparent): slope ${f3(cal.slope)} (optimism-corrected ${f3(opt.corrected)}, ${opt.used} bootstrap refits), calibration-in-the-large ${f3(cal.intercept)}, Brier ${f3(br)}.`,
      development: `Ridge-penalised logistic regression on the site's cohort of ${n} patients (${events} events) over the terms of ${baseKey}; λ = ${cv.lambda} by ${cv.folds}-fold cross-validation (held-out deviance) over ${grid.join(', ')}.`,
    },
    validation: `Fitted on this site's cohort of ${n} patients (${events} events) and validated only internally (bootstrap optimism correction); not externally validated.`,
    workedFigures: [],
  };
  return { report, model };
}
