/** Image similarity measures shared by the engine and the renderer (pure). */

/**
 * Normalised cross-correlation of two images or volumes on the same grid over
 * the samples where `mask` is true (Pearson correlation of intensities).
 * @returns NCC in [−1, 1] and the number of samples compared (NaN when fewer than 2 or constant)
 */
export function maskedNcc(a: ArrayLike<number>, b: ArrayLike<number>, mask: (i: number) => boolean): { ncc: number; voxels: number } {
  let n = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let i = 0; i < a.length; i++) {
    if (!mask(i)) continue;
    const x = a[i]!;
    const y = b[i]!;
    n++;
    sa += x;
    sb += y;
    saa += x * x;
    sbb += y * y;
    sab += x * y;
  }
  const cov = sab - (sa * sb) / n;
  const va = saa - (sa * sa) / n;
  const vb = sbb - (sb * sb) / n;
  return { ncc: n < 2 || va <= 0 || vb <= 0 ? NaN : cov / Math.sqrt(va * vb), voxels: n };
}
