/**
 * The Twin overview's chord diagram as data (pure, unit-tested): which risk
 * is shown, and the directed matrix modality → term → Risk whose entries are
 * the terms' absolute log-odds contributions, so that with d3-chord's
 * `chordDirected` each modality's arc is proportional to the summed
 * |log-odds| of its terms and the Risk arc to the summed |log-odds| of all
 * terms (the intercept is not drawn: it comes from no acquisition).
 */
import type { Contribution, RiskResult } from '../contract.js';

/** A term's label in at most `max` characters: whole when it fits, else without its trailing parenthetical (the unit step, e.g. "Disability (ODI, per 10 points above 40)" → "Disability"), cut if need be. */
export function shortLabel(label: string, max = 26): string {
  if (label.length <= max) return label;
  const s = label.replace(/\s*\([^()]*\)\s*$/, '').trim() || label;
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The group of a contribution whose input was missing (its reference value was used). */
export const MISSING_GROUP = 'Missing (reference value)';
/** The group of a term that came from no acquisition and was not imputed (e.g. a product of other terms). */
export const DERIVED_GROUP = 'Derived (no acquisition)';
export const RISK_GROUP = 'Risk';

export type ChordGroupKind = 'modality' | 'feature' | 'risk';

export interface ChordGroup {
  /** What the diagram labels it: the modality, the term's label, or "Risk". */
  name: string;
  kind: ChordGroupKind;
  /** feature groups: the term's id; else the name. */
  key: string;
  /** feature groups: the term's signed log-odds (colour), else the summed |log-odds| flowing through it. */
  logOdds: number;
  /** The summed |log-odds| of the terms of this group (modality, feature) or of all terms (risk). */
  total: number;
}

export interface ChordData {
  groups: ChordGroup[];
  /** Square, directed: matrix[source][target]. */
  matrix: number[][];
}

/**
 * The risk the overview puts first (and draws in the chord diagram): the approved site fit if any, else the first
 * expert prior, else the first; null when there is none.
 */
export function primaryRisk(risks: readonly RiskResult[]): RiskResult | null {
  return risks.find((r) => r.model.status === 'site-fit' && r.model.approved) ?? risks.find((r) => r.model.status === 'expert-prior') ?? risks[0] ?? null;
}

/** The modality group of a contribution: its modality, "Missing (reference value)" when imputed without one, else "Derived". */
export function modalityGroup(c: Pick<Contribution, 'modality' | 'imputed'>): string {
  if (c.modality !== null) return c.modality;
  return c.imputed ? MISSING_GROUP : DERIVED_GROUP;
}

/**
 * The groups (modalities in order of first appearance, then one per term, then Risk) and the directed matrix:
 * matrix[modality][term] = |logOdds| and matrix[term][Risk] = |logOdds|; the intercept is left out.
 */
export function chordMatrix(contributions: readonly Pick<Contribution, 'feature' | 'label' | 'logOdds' | 'modality' | 'imputed'>[]): ChordData {
  const terms = contributions.filter((c) => c.feature !== 'intercept');
  const modalities: string[] = [];
  for (const c of terms) {
    const m = modalityGroup(c);
    if (!modalities.includes(m)) modalities.push(m);
  }
  const n = modalities.length + terms.length + 1;
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const risk = n - 1;
  const totals = new Array<number>(modalities.length).fill(0);
  terms.forEach((c, k) => {
    const v = Math.abs(c.logOdds);
    const m = modalities.indexOf(modalityGroup(c));
    const f = modalities.length + k;
    matrix[m]![f] = v;
    matrix[f]![risk] = v;
    totals[m]! += v;
  });
  const all = terms.reduce((s, c) => s + Math.abs(c.logOdds), 0);
  const groups: ChordGroup[] = [
    ...modalities.map((m, i): ChordGroup => ({ name: m, kind: 'modality', key: m, logOdds: totals[i]!, total: totals[i]! })),
    ...terms.map((c): ChordGroup => ({ name: c.label, kind: 'feature', key: c.feature, logOdds: c.logOdds, total: Math.abs(c.logOdds) })),
    { name: RISK_GROUP, kind: 'risk', key: RISK_GROUP, logOdds: all, total: all },
  ];
  return { groups, matrix };
}

/** The summed |log-odds| per modality group (intercept excluded), as the e2e recomputes it from the overview. */
export function modalityTotals(contributions: readonly Pick<Contribution, 'feature' | 'logOdds' | 'modality' | 'imputed'>[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of contributions) if (c.feature !== 'intercept') out.set(modalityGroup(c), (out.get(modalityGroup(c)) ?? 0) + Math.abs(c.logOdds));
  return out;
}
