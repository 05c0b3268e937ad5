/**
 * Discrete Fourier transform in double precision: an iterative radix-2
 * Cooley–Tukey FFT for power-of-two lengths, and Bluestein's chirp-z
 * algorithm (built on the radix-2 FFT) for any other length.
 *
 * Shapes: `re`, `im` are `Float64Array`s of equal length n ≥ 1, transformed
 * in place; X[k] = Σₙ x[n]·e^(−2πi·kn/N) (no scaling, NumPy's convention).
 */

const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array }>();

/** cos/sin(2πk/n), k < n/2, each from Math.cos/Math.sin (no recurrence, no drift). */
function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  let t = twiddleCache.get(n);
  if (!t) {
    const h = n >> 1;
    t = { cos: new Float64Array(h), sin: new Float64Array(h) };
    for (let k = 0; k < h; k++) {
      t.cos[k] = Math.cos((2 * Math.PI * k) / n);
      t.sin[k] = Math.sin((2 * Math.PI * k) / n);
    }
    if (twiddleCache.size > 32) twiddleCache.clear();
    twiddleCache.set(n, t);
  }
  return t;
}

export const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;

/** In-place radix-2 FFT; `n` must be a power of two. `inverse` uses e^(+2πi…) without the 1/n scaling. */
export function fftRadix2(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (im.length !== n) throw new Error('fft: real and imaginary parts differ in length');
  if (!isPowerOfTwo(n)) throw new Error(`fftRadix2: length ${n} is not a power of two`);
  // bit-reversal permutation
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i]!;
      re[i] = re[j]!;
      re[j] = t;
      t = im[i]!;
      im[i] = im[j]!;
      im[j] = t;
    }
  }
  const { cos, sin } = twiddles(n);
  const sgn = inverse ? 1 : -1;
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const step = n / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step]!,
          wi = sgn * sin[k * step]!;
        const a = i + k,
          b = a + half;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a]! += xr;
        im[a]! += xi;
      }
    }
  }
}

/** In-place forward DFT of any length n ≥ 1 (radix-2 when n is a power of two, else Bluestein). */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  if (im.length !== n) throw new Error('fft: real and imaginary parts differ in length');
  if (n === 0) throw new Error('fft: empty input');
  if (isPowerOfTwo(n)) return fftRadix2(re, im);
  // Bluestein: X[k] = conj(w[k]) · Σ (x[j]·conj(w[j])) · w[k−j], w[j] = e^(iπj²/n)
  let m = 1;
  while (m < 2 * n - 1) m <<= 1;
  const wr = new Float64Array(n),
    wi = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const a = (Math.PI * ((j * j) % (2 * n))) / n;
    wr[j] = Math.cos(a);
    wi[j] = Math.sin(a);
  }
  const ar = new Float64Array(m),
    ai = new Float64Array(m),
    br = new Float64Array(m),
    bi = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    ar[j] = re[j]! * wr[j]! + im[j]! * wi[j]!;
    ai[j] = im[j]! * wr[j]! - re[j]! * wi[j]!;
  }
  br[0] = wr[0]!;
  bi[0] = wi[0]!;
  for (let j = 1; j < n; j++) {
    br[j] = br[m - j] = wr[j]!;
    bi[j] = bi[m - j] = wi[j]!;
  }
  fftRadix2(ar, ai);
  fftRadix2(br, bi);
  for (let k = 0; k < m; k++) {
    const r = ar[k]! * br[k]! - ai[k]! * bi[k]!;
    ai[k] = ar[k]! * bi[k]! + ai[k]! * br[k]!;
    ar[k] = r;
  }
  fftRadix2(ar, ai, true);
  for (let k = 0; k < n; k++) {
    const cr = ar[k]! / m,
      ci = ai[k]! / m;
    re[k] = cr * wr[k]! + ci * wi[k]!;
    im[k] = ci * wr[k]! - cr * wi[k]!;
  }
}
