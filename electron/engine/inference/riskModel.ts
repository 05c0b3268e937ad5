/**
 * Evaluation of a risk model kept as data (`RiskModelFile`, issue 23): a
 * logistic model logit(p) = β₀ + Σ βⱼ·tⱼ(x) whose terms tⱼ are made from the
 * model's inputs by the file's transforms; the per-term log-odds
 * contributions, the 95 % interval (coefficient uncertainty by the delta
 * method and the plausible range of missing inputs), conversion to other
 * horizons under a constant hazard, and the expected narrowing of the interval
 * if a missing input were measured. Pure: no I/O.
 */
import type { FeatureModality, RiskModelFile, RiskResult, Contribution } from '../../../capabilities/inference/contract.js';

export type RiskInputs = Record<string, { value: number; nodeId: string | null; modality: FeatureModality | null; visitDate?: string | null } | undefined>;
export type RiskTerm = RiskModelFile['terms'][number];

const Z95 = 1.959963984540054;

/** logistic(x) = 1 / (1 + e^−x). */
export function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** logit(p) = ln(p / (1 − p)); p in (0, 1). */
export function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/**
 * The order in which a model's terms can be computed: linear and indicator terms first as listed, each product
 * after the terms it multiplies (depth-first topological order).
 * @returns the term indices (into model.terms) in dependency order
 * @throws Error naming the term for an unknown input, an unknown term id, a duplicate term id, or a cycle of products
 */
export function termOrder(model: RiskModelFile): number[] {
  const index = new Map<string, number>();
  model.terms.forEach((t, i) => {
    if (index.has(t.id)) throw new Error(`model ${model.id}: term id "${t.id}" appears twice`);
    index.set(t.id, i);
  });
  const inputs = new Set(model.inputs.map((i) => i.name));
  const state = new Array<0 | 1 | 2>(model.terms.length).fill(0);
  const out: number[] = [];
  const visit = (i: number, path: string[]): void => {
    if (state[i] === 2) return;
    const t = model.terms[i]!;
    if (state[i] === 1) throw new Error(`model ${model.id}: product terms form a cycle (${[...path, t.id].join(' → ')})`);
    state[i] = 1;
    const tr = t.transform;
    if (tr.kind === 'product') {
      for (const id of tr.terms) {
        const j = index.get(id);
        if (j === undefined) throw new Error(`model ${model.id}: term "${t.id}" multiplies the unknown term "${id}"`);
        visit(j, [...path, t.id]);
      }
    } else if (!inputs.has(tr.input)) throw new Error(`model ${model.id}: term "${t.id}" uses the unknown input "${tr.input}"`);
    state[i] = 2;
    out.push(i);
  };
  model.terms.forEach((_, i) => visit(i, []));
  return out;
}

/**
 * The value of every term for one set of input values.
 * @param values input name → value (every input of the model)
 * @param order from termOrder(model)
 * @returns term values, indexed like model.terms (linear: (x − center)/scale; indicator: 1 when (lo null or x ≥ lo)
 *   and (hi null or x < hi), else 0; product: the product of the named terms' values)
 */
export function termValues(model: RiskModelFile, values: ReadonlyMap<string, number>, order = termOrder(model)): number[] {
  const out = new Array<number>(model.terms.length).fill(NaN);
  const idx = new Map(model.terms.map((t, i) => [t.id, i]));
  for (const i of order) {
    const tr = model.terms[i]!.transform;
    if (tr.kind === 'linear') out[i] = (values.get(tr.input)! - tr.center) / tr.scale;
    else if (tr.kind === 'indicator') {
      const x = values.get(tr.input)!;
      out[i] = (tr.lo === null || x >= tr.lo) && (tr.hi === null || x < tr.hi) ? 1 : 0;
    } else out[i] = tr.terms.reduce((a, id) => a * out[idx.get(id)!]!, 1);
  }
  return out;
}

/** The logit as the left-to-right sum intercept + Σ coefficient × term value (the contributions' order). */
function logitOf(model: RiskModelFile, t: readonly number[]): number {
  let s = model.intercept.value;
  model.terms.forEach((term, i) => (s += term.coefficient * t[i]!));
  return s;
}

/** Standard deviation of the logit from the coefficients' standard errors (independent; se null counts 0). */
function sdOf(model: RiskModelFile, t: readonly number[]): number {
  let v = (model.intercept.se ?? 0) ** 2;
  model.terms.forEach((term, i) => (v += ((term.se ?? 0) * t[i]!) ** 2));
  return Math.sqrt(v);
}

/** The inputs each term depends on (products: of the terms they multiply). */
function termInputs(model: RiskModelFile): Set<string>[] {
  const idx = new Map(model.terms.map((t, i) => [t.id, i]));
  const memo = new Map<number, Set<string>>();
  const of = (i: number): Set<string> => {
    const m = memo.get(i);
    if (m) return m;
    const tr = model.terms[i]!.transform;
    const s = tr.kind === 'product' ? new Set(tr.terms.flatMap((id) => [...of(idx.get(id)!)])) : new Set([tr.input]);
    memo.set(i, s);
    return s;
  };
  termOrder(model);
  return model.terms.map((_, i) => of(i));
}

/**
 * The values a missing input is tried at for the interval: the ends of its plausible range, every indicator
 * threshold (lo or hi) of a term on that input strictly inside the range, and the value just below each such
 * threshold (the left limit, so that a linear term on the same input reaches its extreme on every piece).
 */
function candidates(model: RiskModelFile, name: string): number[] {
  const inp = model.inputs.find((i) => i.name === name)!;
  const [a, b] = inp.plausible;
  const out = new Set<number>([a, b]);
  for (const t of model.terms) {
    const tr = t.transform;
    if (tr.kind !== 'indicator' || tr.input !== name) continue;
    for (const th of [tr.lo, tr.hi])
      if (th !== null && th > a && th < b) {
        out.add(th);
        out.add(th - 1e-9 * Math.max(1, Math.abs(th)));
      }
  }
  return [...out].sort((x, y) => x - y);
}

/** Bounds of the logit's 95 % range over the missing inputs' candidates (all combinations up to 4096, else additive). */
function logitBounds(
  model: RiskModelFile,
  base: ReadonlyMap<string, number>,
  missing: readonly string[],
  order: number[],
): { lo: number; hi: number; method: 'corners' | 'additive' } {
  const cands = missing.map((m) => candidates(model, m));
  const combos = cands.reduce((a, c) => a * c.length, 1);
  let lo = Infinity,
    hi = -Infinity;
  const tryValues = (vals: ReadonlyMap<string, number>): void => {
    const t = termValues(model, vals, order);
    const l = logitOf(model, t),
      sd = sdOf(model, t);
    lo = Math.min(lo, l - Z95 * sd);
    hi = Math.max(hi, l + Z95 * sd);
  };
  tryValues(base);
  if (combos <= 4096) {
    const vals = new Map(base);
    const rec = (k: number): void => {
      if (k === missing.length) return tryValues(vals);
      for (const c of cands[k]!) {
        vals.set(missing[k]!, c);
        rec(k + 1);
      }
    };
    rec(0);
    return { lo, hi, method: 'corners' };
  }
  // additive bound: each missing input varied alone (others at reference), the shifts added, the largest sd used
  const t0 = termValues(model, base, order);
  const l0 = logitOf(model, t0);
  let dLo = 0,
    dHi = 0;
  const maxSq = t0.map((v, i) => ((model.terms[i]!.se ?? 0) * v) ** 2);
  missing.forEach((m, k) => {
    let mn = 0,
      mx = 0;
    for (const c of cands[k]!) {
      const vals = new Map(base);
      vals.set(m, c);
      const t = termValues(model, vals, order);
      const d = logitOf(model, t) - l0;
      mn = Math.min(mn, d);
      mx = Math.max(mx, d);
      t.forEach((v, i) => (maxSq[i] = Math.max(maxSq[i]!, ((model.terms[i]!.se ?? 0) * v) ** 2)));
    }
    dLo += mn;
    dHi += mx;
  });
  const sd = Math.sqrt((model.intercept.se ?? 0) ** 2 + maxSq.reduce((a, b) => a + b, 0));
  return { lo: Math.min(lo, l0 + dLo - Z95 * sd), hi: Math.max(hi, l0 + dHi + Z95 * sd), method: 'additive' };
}

interface Resolved {
  values: Map<string, number>;
  missing: string[];
}

function resolve(model: RiskModelFile, inputs: RiskInputs): Resolved {
  const values = new Map<string, number>();
  const missing: string[] = [];
  for (const inp of model.inputs) {
    const v = inputs[inp.name];
    if (v === undefined || !Number.isFinite(v.value)) {
      missing.push(inp.name);
      values.set(inp.name, inp.reference);
    } else values.set(inp.name, v.value);
  }
  return { values, missing };
}

/** Width (probability units) of the 95 % interval for these values with these inputs missing. */
function intervalWidth(model: RiskModelFile, values: ReadonlyMap<string, number>, missing: readonly string[], order: number[]): number {
  const b = logitBounds(model, values, missing, order);
  return logistic(b.hi) - logistic(b.lo);
}

export interface EvaluateOptions {
  /** The model's key (`<id>@<version>` or a site fit's id). */
  key: string;
  /** Whether the model is the approved one (site fits). */
  approved: boolean;
  /** The validation statement shown with the result. */
  statement: string;
  /** Horizons to convert to (months; default [6, 12]); used only when the model has a horizon in months. */
  horizonsMonths?: number[];
}

/**
 * The risk of one patient under a model kept as data.
 * @param model a parsed RiskModelFile
 * @param inputs input name → {value (the input's unit), nodeId and modality of the graph node it came from};
 *   undefined (or a non-finite value) = missing: the input's `reference` is used, its contributions are marked
 *   imputed and it is listed in `missing`
 * @param opts key, approved, statement, horizonsMonths (default [6, 12])
 * @returns RiskResult: probability = logistic(logit); the contributions (the intercept first, then one per term in
 *   the file's order, logOdds = coefficient × term value) whose left-to-right sum is the logit exactly; the 95 %
 *   interval: on the logit, ±1.96·sd with Var = se₀² + Σ(seⱼ·tⱼ)² (delta method, coefficients assumed independent:
 *   published models rarely give covariances; terms without se add nothing), its extremes taken over the missing
 *   inputs' plausible ranges (all corners, the reference, and indicator thresholds inside the range), mapped through
 *   the logistic; inputs outside their validRange in `outOfRange` (and then `withheld` says no probability is to be
 *   shown: the model says nothing there); with a horizon H in months, the probability at m
 *   months p_m = 1 − (1 − p)^(m/H) (constant hazard)
 * @throws Error for unknown inputs or term ids and for cycles among product terms (termOrder)
 */
export function evaluateRisk(model: RiskModelFile, inputs: RiskInputs, opts: EvaluateOptions): RiskResult {
  const order = termOrder(model);
  const { values, missing } = resolve(model, inputs);
  const t = termValues(model, values, order);
  const deps = termInputs(model);
  const inputOf = new Map(model.inputs.map((i) => [i.name, i]));
  const missingSet = new Set(missing);

  const contributions: Contribution[] = [
    {
      feature: 'intercept',
      label: 'Intercept (baseline log-odds)',
      value: null,
      unit: '',
      logOdds: model.intercept.value,
      source: model.intercept.source.citation,
      sourceKind: model.intercept.source.kind,
      imputed: false,
      nodeId: null,
      modality: null,
      visitDate: null,
    },
  ];
  model.terms.forEach((term, i) => {
    const tr = term.transform;
    const single = tr.kind === 'product' ? null : tr.input;
    const given = single ? inputs[single] : undefined;
    contributions.push({
      feature: term.id,
      label: term.label,
      value: single ? values.get(single)! : null,
      unit: single ? inputOf.get(single)!.unit : '',
      logOdds: term.coefficient * t[i]!,
      source: term.source.citation,
      sourceKind: term.source.kind,
      imputed: [...deps[i]!].some((n) => missingSet.has(n)),
      nodeId: single && given && Number.isFinite(given.value) ? given.nodeId : null,
      modality: single && given && Number.isFinite(given.value) ? given.modality : null,
      visitDate: single && given && Number.isFinite(given.value) ? (given.visitDate ?? null) : null,
    });
  });
  let lg = 0;
  for (const c of contributions) lg += c.logOdds;
  const probability = logistic(lg);

  const bounds = logitBounds(model, values, missing, order);
  const noSe = model.terms.filter((x) => x.se === null).map((x) => x.id);
  const anySe = model.intercept.se !== null || model.terms.some((x) => x.se !== null);
  const noSeNames = [...(model.intercept.se === null ? ['the intercept'] : []), ...noSe.map((s) => `"${s}"`)];
  const parts: string[] = [];
  if (anySe)
    parts.push(
      `coefficient uncertainty by the delta method on the logit (±1.96·sd, Var = se₀² + Σ(seⱼ·tⱼ)², coefficients assumed independent: published models rarely give their covariances)` +
        (noSeNames.length ? `; without a standard error, adding none: ${noSeNames.join(', ')}` : ''),
    );
  else parts.push('no coefficient has a standard error, so the coefficients add no uncertainty');
  if (missing.length)
    parts.push(
      `the missing input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} varied over ${missing.length > 1 ? 'their' : 'its'} plausible range${missing.length > 1 ? 's' : ''} (` +
        (bounds.method === 'corners'
          ? `${missing.length > 1 ? `all ${2 ** missing.length} corners` : 'both ends'}, the reference value and indicator thresholds inside the range; the interval spans their extremes)`
          : 'each varied alone, the shifts added and the largest sd used: a conservative bound)'),
    );
  else parts.push('no input is missing');
  const intervalMethod =
    `95 % interval: ${parts.join('; ')}.` +
    (!anySe && !missing.length ? ' The interval is the point itself: it does not show the model’s own uncertainty.' : '');

  const outOfRange: RiskResult['outOfRange'] = [];
  for (const inp of model.inputs) {
    if (missingSet.has(inp.name)) continue;
    const v = values.get(inp.name)!;
    if (v < inp.validRange[0] || v > inp.validRange[1]) outOfRange.push({ input: inp.name, label: inp.label, value: v, validRange: inp.validRange });
  }

  const H = model.horizonMonths;
  const horizons =
    H === null
      ? []
      : (opts.horizonsMonths ?? [6, 12]).map((m) => ({
          months: m,
          probability: 1 - (1 - probability) ** (m / H),
          assumption: `constant hazard: 1 − (1 − p)^(${m}/${H}) from the model's ${H}-month probability`,
        }));

  return {
    model: {
      key: opts.key,
      id: model.id,
      version: model.version,
      title: model.title,
      outcome: model.outcome,
      status: model.status,
      citation: model.citation,
      population: model.population,
      horizonMonths: model.horizonMonths,
      horizonNote: model.horizonNote,
      auc: model.performance.auc,
      validation: model.validation,
      approved: opts.approved,
    },
    probability,
    logit: lg,
    interval: [Math.min(logistic(bounds.lo), probability), Math.max(logistic(bounds.hi), probability)],
    intervalMethod,
    contributions,
    missing: missing.map((m) => {
      const inp = inputOf.get(m)!;
      return { input: m, label: inp.label, exam: inp.exam, reference: inp.reference };
    }),
    outOfRange,
    horizons,
    statement: opts.statement,
    withheld: outOfRange.length
      ? `No probability: ${outOfRange
          .map(
            (o) =>
              `${o.label} ${Number(o.value.toFixed(1))} ${inputOf.get(o.input)!.unit} is outside the ${o.validRange[0]}–${o.validRange[1]} the model was developed on`,
          )
          .join('; ')}.`
      : null,
  };
}

export interface NextExamination {
  input: string;
  label: string;
  exam: string;
  /** Expected narrowing of the 95 % interval's width (probability units) if the input were measured. */
  expectedReduction: number;
}

/**
 * Which examination would narrow the risk interval most: for each missing input, the width of the 95 % interval
 * now minus the mean width with that input fixed at each of 9 values evenly over its plausible range (ends
 * included; the other missing inputs still varied) — a uniform prior over the plausible range, not a published
 * value-of-information method.
 * @returns one entry per missing input, sorted by expectedReduction (probability units) descending
 * @throws Error as evaluateRisk
 */
export function nextExamination(model: RiskModelFile, inputs: RiskInputs): NextExamination[] {
  const order = termOrder(model);
  const { values, missing } = resolve(model, inputs);
  const now = intervalWidth(model, values, missing, order);
  const out = missing.map((m) => {
    const inp = model.inputs.find((i) => i.name === m)!;
    const others = missing.filter((x) => x !== m);
    const [a, b] = inp.plausible;
    let sum = 0;
    for (let g = 0; g < 9; g++) {
      const vals = new Map(values);
      vals.set(m, a + ((b - a) * g) / 8);
      sum += intervalWidth(model, vals, others, order);
    }
    return { input: m, label: inp.label, exam: inp.exam, expectedReduction: now - sum / 9 };
  });
  return out.sort((x, y) => y.expectedReduction - x.expectedReduction);
}
