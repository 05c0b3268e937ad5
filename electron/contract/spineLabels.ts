/**
 * Vertebra relabelling rules shared by the spine service, the engine and the
 * spine panel: a relabel must never leave two vertebrae with the same name.
 * `relabelRefusal` says why a set of corrections is refused; `planRelabel`
 * works out the consistent shift of the neighbouring labels that the panel
 * offers (relabel L2 as L3 when L3 exists: L3→L4, L4→L5, … as a whole).
 * Names are in column order, superior first (as in the report).
 */

/** Level names superior → inferior, with the variants T13 and L6 where anatomy puts them. */
export const LEVEL_SEQUENCE: readonly string[] = [
  ...Array.from({ length: 7 }, (_, i) => `C${i + 1}`),
  ...Array.from({ length: 12 }, (_, i) => `T${i + 1}`),
  'T13',
  ...Array.from({ length: 6 }, (_, i) => `L${i + 1}`),
  'S1',
];

/** One level's new name in a relabel plan (index in column order). */
export interface LabelChange {
  index: number;
  from: string;
  to: string;
}

export type RelabelPlan = { ok: true; changes: LabelChange[] } | { ok: false; refusal: string };

const arrow = (c: LabelChange[]): string => c.map((x) => `${x.from}→${x.to}`).join(', ');

const STANDARD: readonly string[] = LEVEL_SEQUENCE.filter((n) => n !== 'T13' && n !== 'L6');

/** Position of a name along the column (variants between their neighbours), or -1 for a generic name. */
function pos(name: string): number {
  if (name === 'T13') return STANDARD.indexOf('T12') + 0.5;
  if (name === 'L6') return STANDARD.indexOf('L5') + 0.5;
  return STANDARD.indexOf(name);
}

/**
 * The name one level beyond `prev` in direction d (+1 inferior), for a level
 * now named `cur`: the variants are skipped, except that a lumbar level pushed
 * below L5 becomes L6 (S1 is the sacrum's); null past the ends.
 */
function step(prev: string, d: number, cur: string): string | null {
  if (d > 0) {
    if (prev === 'L5' || prev === 'L6') return prev === 'L5' && cur.startsWith('L') ? 'L6' : null;
    if (prev === 'T13') return 'L1';
  } else {
    if (prev === 'L6') return 'L5';
    if (prev === 'T13') return 'T12';
  }
  return STANDARD[STANDARD.indexOf(prev) + d] ?? null;
}

/**
 * The relabel of level `index` (current names `names`, column order) as `to`,
 * made consistent: when `to` is already another level's label (or the new
 * label would put the column out of order), that level and the ones beyond
 * it, in the direction of the change, each take the next label on, until no
 * name is used twice (L2 as L3: L3→L4, L4→L5, L5→L6; the sacrum stays S1).
 * Refused when the shift would run past C1 or S1, or a level to shift has a
 * generic name (V…).
 */
export function planRelabel(names: readonly string[], index: number, to: string): RelabelPlan {
  const from = names[index]!;
  if (to === from) return { ok: true, changes: [] };
  const first: LabelChange = { index, from, to };
  const clash = names.findIndex((n, i) => i !== index && n === to);
  if (pos(from) < 0 || pos(to) < 0) {
    if (clash < 0) return { ok: true, changes: [first] };
    return { ok: false, refusal: refusalSentence(from, to, 'a generic name has no neighbours to shift to') };
  }
  const d = Math.sign(pos(to) - pos(from));
  const changes = [first];
  const taken = new Set([to]);
  let prev = to;
  for (let i = index + d; i >= 0 && i < names.length; i += d) {
    const cur = names[i]!;
    const outOfOrder = pos(cur) >= 0 && (pos(cur) - pos(prev)) * d <= 0;
    if (!taken.has(cur) && !outOfOrder) break;
    const next = pos(cur) < 0 ? null : step(prev, d, cur);
    if (next === null)
      return { ok: false, refusal: refusalSentence(from, to, pos(cur) < 0 ? `${cur} has a generic name` : `the shift would run past ${d > 0 ? 'S1' : 'C1'}`) };
    changes.push({ index: i, from: cur, to: next });
    taken.add(next);
    prev = next;
  }
  return { ok: true, changes };
}

function refusalSentence(from: string, to: string, why: string): string {
  return `Relabelling ${from} as ${to} would give two vertebrae named ${to}: another level already has that label, and the neighbouring labels cannot be shifted with it (${why}). Choose a label no other level has.`;
}

/**
 * Why corrections (automatic name → corrected name) are refused on a column
 * whose automatic names are `automaticNames`, or null when every level keeps
 * a name of its own. The sentence names the level that already has the label
 * and offers the consistent shift when there is one.
 */
export function relabelRefusal(automaticNames: readonly string[], corrections: Readonly<Record<string, string>>): string | null {
  const finals = automaticNames.map((a) => corrections[a] ?? a);
  for (let i = 0; i < finals.length; i++)
    for (let j = i + 1; j < finals.length; j++) {
      if (finals[i] !== finals[j]) continue;
      // the relabelled one is the level whose name was corrected to the shared label; the other already had it
      const iMoved = automaticNames[i] !== finals[i];
      const [r, h] = iMoved && automaticNames[j] === finals[j] ? [i, j] : [j, i];
      const to = finals[r]!;
      const auto = automaticNames[r]!;
      const holderAuto = automaticNames[h]!;
      // the shift offered: from the names without this level's correction
      const before = finals.slice();
      before[r] = auto;
      const dup = new Set(before).size !== before.length;
      const plan = dup ? null : planRelabel(before, r, to);
      const holder = holderAuto === to ? `${to}` : `${to} (found automatically as ${holderAuto})`;
      const alt =
        plan && plan.ok && plan.changes.length > 1
          ? `Shift the neighbouring labels with it (${arrow(plan.changes.slice(1))}) or choose a label no other level has.`
          : 'Choose a label no other level has.';
      return `Relabelling ${auto} as ${to} would give two vertebrae named ${to}: ${holder} already has that label. ${alt}`;
    }
  return null;
}
