/**
 * Vertebra names and their values in the vertebra label map: the standard
 * names C1 … L6, S1 (value = index + 1) counted upwards from the sacrum, and
 * the generic names V1, V2, … (value 100 + n) used when no sacrum is in view.
 */

/** Standard vertebra names in label-map order; the label value is index + 1. */
export const VERTEBRA_NAMES = [
  'C1',
  'C2',
  'C3',
  'C4',
  'C5',
  'C6',
  'C7',
  'T1',
  'T2',
  'T3',
  'T4',
  'T5',
  'T6',
  'T7',
  'T8',
  'T9',
  'T10',
  'T11',
  'T12',
  'L1',
  'L2',
  'L3',
  'L4',
  'L5',
  'L6',
  'S1',
] as const;
/** Generic names (no anatomical anchor) get label values from 100 up. */
export const GENERIC_LABEL_BASE = 100;

/**
 * Label-map value of a vertebra name.
 * @throws Error when the name is neither a standard name nor V<n>
 */
export function labelOfName(name: string): number {
  const i = (VERTEBRA_NAMES as readonly string[]).indexOf(name);
  if (i >= 0) return i + 1;
  const m = /^V(\d+)$/.exec(name);
  if (m) return GENERIC_LABEL_BASE + Number(m[1]);
  throw new Error(`unknown vertebra name ${name}`);
}

/** Names from the sacrum upwards: S1, L5, …, L1, T12, …, C1 (bottom-up order). */
export function namesFromSacrum(count: number): string[] {
  const order = [
    'S1',
    'L5',
    'L4',
    'L3',
    'L2',
    'L1',
    'T12',
    'T11',
    'T10',
    'T9',
    'T8',
    'T7',
    'T6',
    'T5',
    'T4',
    'T3',
    'T2',
    'T1',
    'C7',
    'C6',
    'C5',
    'C4',
    'C3',
    'C2',
    'C1',
  ];
  return order.slice(0, count);
}
