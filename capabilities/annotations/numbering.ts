/**
 * Stable measurement numbers (issue 20 §3 review): every annotation carries
 * its number `n` (1, 2, …) for its whole life, so a report that says "M3"
 * keeps pointing at the same measurement after others are removed. A new one
 * takes the largest number in the set + 1. Sets saved before numbers were
 * stored have none: they get the numbers the viewer showed then (their
 * position, 1-based), or — when that one is already taken — the next free one.
 */
import type { Annotation } from './contract.js';

/** An annotation with its number. */
export type NumberedAnnotation = Annotation & { n: number };

/**
 * The set with a number on every annotation: those that have one keep it; the
 * others (sets stored before numbers were) get their 1-based position, or the
 * largest number in use + 1 when that is taken. Pure; the order is kept.
 */
export function numberAnnotations(list: readonly Annotation[]): NumberedAnnotation[] {
  const used = new Set<number>();
  for (const a of list) if (a.n !== undefined) used.add(a.n);
  let max = Math.max(0, ...used);
  return list.map((a, i) => {
    if (a.n !== undefined) return a as NumberedAnnotation;
    let n = i + 1;
    if (used.has(n)) n = max + 1;
    used.add(n);
    max = Math.max(max, n);
    return { ...a, n };
  });
}

/** The number a new annotation gets: the largest in `list` + 1 (1 for an empty set). Numbers of removed ones above it are reused only once nothing above them is left. */
export function nextAnnotationNumber(list: readonly Annotation[]): number {
  return numberAnnotations(list).reduce((m, a) => Math.max(m, a.n), 0) + 1;
}
