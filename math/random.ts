/**
 * Seeded pseudo-random numbers for simulators and tests (xorshift32,
 * Marsaglia 2003): the same seed gives the same sequence on every platform.
 */

/** A generator of uniform numbers in [0, 1) from a 32-bit seed (0 is replaced by 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}
