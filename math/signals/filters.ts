/**
 * IIR filter design and application in second-order sections (SOS), written
 * to reproduce SciPy's `scipy.signal` step for step (SciPy 1.10, the Debian
 * peer of the tests):
 *
 * - `butterSos`: digital Butterworth design as `butter(N, Wn, btype, fs=fs,
 *   output='sos')` — analog prototype (`buttap`), frequency transformation
 *   (`lp2lp_zpk` / `lp2hp_zpk` / `lp2bp_zpk`) at the prewarped edges
 *   `4·tan(π·Wn/2)` (Wn = 2f/fs), bilinear transform (`bilinear_zpk`, fs = 2)
 *   and pole–zero pairing into sections (`zpk2sos`, pairing 'nearest').
 * - `iirnotchSos`: `iirnotch(f0, Q, fs)` as one section.
 * - `sosfilt`: cascade of direct-form-II-transposed biquads (`sosfilt`).
 * - `sosfiltZi`: steady-state initial conditions of the cascade for a unit
 *   step (`sosfilt_zi`, per section `lfilter_zi`).
 * - `sosfiltfilt`: forward–backward zero-phase filtering (`sosfiltfilt`,
 *   padtype 'odd', the default pad length 3·(2·sections + 1 − min(#b2 = 0,
 *   #a2 = 0))).
 *
 * Shapes: an SOS matrix is a `Float64Array` of 6·sections numbers, row-major
 * `[b0, b1, b2, a0 (= 1), a1, a2]` per section (SciPy's `(n_sections, 6)`).
 * Signals are `Float64Array`s in any unit; outputs are in the input's unit.
 * Frequencies are in Hz, with the sampling rate `fs` in Hz.
 */

/** A complex number (re + i·im). */
interface Cx {
  re: number;
  im: number;
}

const cx = (re: number, im = 0): Cx => ({ re, im });
const cadd = (a: Cx, b: Cx): Cx => cx(a.re + b.re, a.im + b.im);
const csub = (a: Cx, b: Cx): Cx => cx(a.re - b.re, a.im - b.im);
const cmul = (a: Cx, b: Cx): Cx => cx(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
const cscale = (a: Cx, s: number): Cx => cx(a.re * s, a.im * s);
const cabs = (a: Cx): number => Math.hypot(a.re, a.im);
const conj = (a: Cx): Cx => cx(a.re, -a.im);
const isReal = (a: Cx): boolean => a.im === 0;

/** Complex division by Smith's algorithm (as NumPy). */
function cdiv(a: Cx, b: Cx): Cx {
  if (Math.abs(b.re) >= Math.abs(b.im)) {
    if (b.re === 0 && b.im === 0) return cx(a.re / 0, a.im / 0);
    const r = b.im / b.re;
    const d = b.re + b.im * r;
    return cx((a.re + a.im * r) / d, (a.im - a.re * r) / d);
  }
  const r = b.re / b.im;
  const d = b.im + b.re * r;
  return cx((a.re * r + a.im) / d, (a.im * r - a.re) / d);
}

/** Principal complex square root (C99 csqrt). */
function csqrt(a: Cx): Cx {
  if (a.re === 0 && a.im === 0) return cx(0, a.im);
  const t = Math.sqrt((Math.abs(a.re) + Math.hypot(a.re, a.im)) / 2);
  if (a.re >= 0) return cx(t, a.im / (2 * t));
  return cx(Math.abs(a.im) / (2 * t), a.im < 0 || Object.is(a.im, -0) ? -t : t);
}

interface Zpk {
  z: Cx[];
  p: Cx[];
  k: number;
}

/** Analog Butterworth prototype of order N (SciPy `buttap`). */
function buttap(N: number): Zpk {
  const p: Cx[] = [];
  for (let m = -N + 1; m < N; m += 2) {
    const th = (Math.PI * m) / (2 * N);
    p.push(cx(-Math.cos(th), -Math.sin(th)));
  }
  return { z: [], p, k: 1 };
}

const prod = (v: Cx[]): Cx => v.reduce((acc, x) => cmul(acc, x), cx(1));

function lp2lp(f: Zpk, wo: number): Zpk {
  const degree = f.p.length - f.z.length;
  return { z: f.z.map((x) => cscale(x, wo)), p: f.p.map((x) => cscale(x, wo)), k: f.k * wo ** degree };
}

function lp2hp(f: Zpk, wo: number): Zpk {
  const degree = f.p.length - f.z.length;
  const z = f.z.map((x) => cdiv(cx(wo), x));
  const p = f.p.map((x) => cdiv(cx(wo), x));
  for (let i = 0; i < degree; i++) z.push(cx(0));
  const k = f.k * cdiv(prod(f.z.map((x) => cscale(x, -1))), prod(f.p.map((x) => cscale(x, -1)))).re;
  return { z, p, k };
}

function lp2bp(f: Zpk, wo: number, bw: number): Zpk {
  const degree = f.p.length - f.z.length;
  const tr = (v: Cx[]): Cx[] => {
    const lp = v.map((x) => cscale(cscale(x, bw), 1 / 2));
    const roots = lp.map((x) => csqrt(csub(cmul(x, x), cx(wo * wo))));
    return [...lp.map((x, i) => cadd(x, roots[i]!)), ...lp.map((x, i) => csub(x, roots[i]!))];
  };
  const z = tr(f.z);
  for (let i = 0; i < degree; i++) z.push(cx(0));
  return { z, p: tr(f.p), k: f.k * bw ** degree };
}

function bilinear(f: Zpk, fs: number): Zpk {
  const degree = f.p.length - f.z.length;
  const fs2 = 2 * fs;
  const z = f.z.map((x) => cdiv(cadd(cx(fs2), x), csub(cx(fs2), x)));
  const p = f.p.map((x) => cdiv(cadd(cx(fs2), x), csub(cx(fs2), x)));
  for (let i = 0; i < degree; i++) z.push(cx(-1));
  const k = f.k * cdiv(prod(f.z.map((x) => csub(cx(fs2), x))), prod(f.p.map((x) => csub(cx(fs2), x)))).re;
  return { z, p, k };
}

/** SciPy `_cplxreal`: the upper-half members of conjugate pairs (averaged), then the real values, each sorted. */
function cplxreal(v: Cx[]): Cx[] {
  if (v.length === 0) return [];
  const tol = 100 * Number.EPSILON;
  const s = v
    .map((x, i) => ({ x, i }))
    .sort((a, b) => a.x.re - b.x.re || Math.abs(a.x.im) - Math.abs(b.x.im) || a.i - b.i)
    .map((e) => e.x);
  const isR = s.map((x) => Math.abs(x.im) <= tol * cabs(x));
  const zr = s.filter((_, i) => isR[i]).map((x) => cx(x.re));
  const rest = s.filter((_, i) => !isR[i]);
  const zp = rest.filter((x) => x.im > 0);
  const zn = rest.filter((x) => x.im < 0);
  if (zp.length !== zn.length) throw new Error('complex value with no matching conjugate');
  // runs of (nearly) equal real parts are sorted by |imag|
  let i = 0;
  while (i < zp.length) {
    let j = i;
    while (j + 1 < zp.length && zp[j + 1]!.re - zp[j]!.re <= tol * cabs(zp[j]!)) j++;
    if (j > i) {
      for (const chunk of [zp, zn]) {
        const part = chunk.slice(i, j + 1).sort((a, b) => Math.abs(a.im) - Math.abs(b.im));
        for (let q = 0; q < part.length; q++) chunk[i + q] = part[q]!;
      }
    }
    i = j + 1;
  }
  const zc: Cx[] = [];
  for (let q = 0; q < zp.length; q++) {
    const a = zp[q]!,
      b = conj(zn[q]!);
    if (cabs(csub(a, b)) > tol * cabs(zn[q]!)) throw new Error('complex value with no matching conjugate');
    zc.push(cscale(cadd(a, b), 1 / 2));
  }
  return [...zc, ...zr];
}

/** Index of the entry of `fro` nearest `to`, restricted to real / complex entries. */
function nearestIdx(fro: Cx[], to: Cx, which: 'real' | 'complex' | 'any'): number {
  const order = fro.map((x, i) => ({ d: cabs(csub(x, to)), i })).sort((a, b) => a.d - b.d || a.i - b.i);
  for (const o of order) {
    const r = isReal(fro[o.i]!);
    if (which === 'any' || (which === 'real' && r) || (which === 'complex' && !r)) return o.i;
  }
  throw new Error(`no ${which} zero left to pair`);
}

/** Coefficients [1, −(r1+r2), r1·r2] of a monic polynomial from up to two roots (NumPy `poly`, real part). */
function poly(roots: Cx[]): number[] {
  let a: Cx[] = [cx(1)];
  for (const r of roots) {
    const next: Cx[] = [];
    for (let i = 0; i <= a.length; i++) {
      const hi = i < a.length ? a[i]! : cx(0);
      const lo = i > 0 ? cmul(a[i - 1]!, cscale(r, -1)) : cx(0);
      next.push(i === 0 ? hi : i === a.length ? lo : cadd(hi, lo));
    }
    a = next;
  }
  return a.map((x) => x.re);
}

function singleSection(z: Cx[], p: Cx[]): number[] {
  const sos = [0, 0, 0, 0, 0, 0];
  const b = poly(z),
    a = poly(p);
  for (let i = 0; i < b.length; i++) sos[3 - b.length + i] = b[i]!;
  for (let i = 0; i < a.length; i++) sos[6 - a.length + i] = a[i]!;
  return sos;
}

/** SciPy `zpk2sos(z, p, k, pairing='nearest')` for a digital filter. */
function zpk2sos(f: Zpk): Float64Array {
  let z = [...f.z],
    p = [...f.p];
  while (p.length < z.length) p.push(cx(0));
  while (z.length < p.length) z.push(cx(0));
  const nSections = Math.floor((p.length + 1) / 2);
  if (p.length % 2 === 1) {
    p.push(cx(0));
    z.push(cx(0));
  }
  z = cplxreal(z);
  p = cplxreal(p);
  const idxWorst = (v: Cx[]): number => {
    let best = 0;
    for (let i = 1; i < v.length; i++) if (Math.abs(1 - cabs(v[i]!)) < Math.abs(1 - cabs(v[best]!))) best = i;
    return best;
  };
  const take = (v: Cx[], i: number): Cx => v.splice(i, 1)[0]!;
  const out = new Float64Array(6 * nSections);
  for (let si = nSections - 1; si >= 0; si--) {
    const p1 = take(p, idxWorst(p));
    let sec: number[];
    const nRealP = p.filter(isReal).length;
    if (isReal(p1) && nRealP === 0) {
      const z1 = take(z, nearestIdx(z, p1, 'real'));
      sec = singleSection([z1, cx(0)], [p1, cx(0)]);
    } else if (p.length + 1 === z.length && !isReal(p1) && nRealP === 1 && z.filter(isReal).length === 1) {
      const z1 = take(z, nearestIdx(z, p1, 'complex'));
      sec = singleSection([z1, conj(z1)], [p1, conj(p1)]);
    } else {
      let p2: Cx;
      if (isReal(p1)) {
        const realIdx = p.map((x, i) => (isReal(x) ? i : -1)).filter((i) => i >= 0);
        p2 = take(p, realIdx[idxWorst(realIdx.map((i) => p[i]!))]!);
      } else p2 = conj(p1);
      if (z.length > 0) {
        const z1 = take(z, nearestIdx(z, p1, 'any'));
        if (!isReal(z1)) sec = singleSection([z1, conj(z1)], [p1, p2]);
        else if (z.length > 0) {
          const z2 = take(z, nearestIdx(z, p1, 'real'));
          sec = singleSection([z1, z2], [p1, p2]);
        } else sec = singleSection([z1], [p1, p2]);
      } else sec = singleSection([], [p1, p2]);
    }
    out.set(sec, 6 * si);
  }
  for (let i = 0; i < 3; i++) out[i]! *= f.k;
  return out;
}

export type FilterType = 'lowpass' | 'highpass' | 'bandpass';

/**
 * Digital Butterworth filter of design order `order` as second-order sections,
 * as `scipy.signal.butter(order, cutoffHz, type, fs=fs, output='sos')`.
 * A band-pass of design order N has order 2N (N sections).
 * @param cutoffHz one edge (low/high-pass) or [low, high] (band-pass), Hz, 0 < f < fs/2
 * @throws on an order < 1 or edges outside (0, fs/2) or not increasing
 */
export function butterSos(order: number, cutoffHz: number | readonly [number, number], type: FilterType, fs: number): Float64Array {
  if (!Number.isInteger(order) || order < 1) throw new Error(`Butterworth order must be a positive integer, got ${order}`);
  if (!(fs > 0)) throw new Error(`sampling rate must be positive, got ${fs} Hz`);
  const edges = typeof cutoffHz === 'number' ? [cutoffHz] : [...cutoffHz];
  if ((type === 'bandpass') !== (edges.length === 2)) throw new Error(`${type} needs ${type === 'bandpass' ? 'two edges' : 'one cut-off'}`);
  const wn = edges.map((f) => (2 * f) / fs);
  for (const [i, w] of wn.entries()) if (!(w > 0 && w < 1)) throw new Error(`filter edge ${edges[i]} Hz must lie in (0, ${fs / 2}) Hz (fs = ${fs} Hz)`);
  if (wn.length === 2 && !(wn[0]! < wn[1]!)) throw new Error('band-pass edges must be increasing');
  const warped = wn.map((w) => 2 * 2 * Math.tan((Math.PI * w) / 2));
  const proto = buttap(order);
  let a: Zpk;
  if (type === 'lowpass') a = lp2lp(proto, warped[0]!);
  else if (type === 'highpass') a = lp2hp(proto, warped[0]!);
  else a = lp2bp(proto, Math.sqrt(warped[0]! * warped[1]!), warped[1]! - warped[0]!);
  return zpk2sos(bilinear(a, 2));
}

/**
 * Second-order IIR notch (as `scipy.signal.iirnotch(f0, Q, fs)`), one section.
 * −3 dB bandwidth f0/Q. @throws unless 0 < f0 < fs/2 and Q > 0
 */
export function iirnotchSos(f0: number, Q: number, fs: number): Float64Array {
  let w0 = (2 * f0) / fs;
  if (!(w0 > 0 && w0 < 1)) throw new Error(`notch frequency ${f0} Hz must lie in (0, ${fs / 2}) Hz`);
  if (!(Q > 0)) throw new Error(`notch quality factor must be positive, got ${Q}`);
  let bw = w0 / Q;
  bw = bw * Math.PI;
  w0 = w0 * Math.PI;
  const gb = 1 / Math.sqrt(2);
  const beta = (Math.sqrt(1.0 - gb ** 2.0) / gb) * Math.tan(bw / 2.0);
  const gain = 1.0 / (1.0 + beta);
  return Float64Array.from([gain, gain * (-2.0 * Math.cos(w0)), gain, 1, -2.0 * gain * Math.cos(w0), 2.0 * gain - 1.0]);
}

function sections(sos: Float64Array): number {
  if (sos.length === 0 || sos.length % 6 !== 0) throw new Error(`an SOS matrix needs 6 numbers per section, got ${sos.length}`);
  const n = sos.length / 6;
  for (let s = 0; s < n; s++) if (sos[6 * s + 3] !== 1) throw new Error(`SOS section ${s} must have a0 = 1`);
  return n;
}

/**
 * Filter `x` through the cascade (SciPy `sosfilt`, direct form II transposed).
 * @param zi initial state, 2 numbers per section (updated in place to the final state), zeros when omitted
 */
export function sosfilt(sos: Float64Array, x: Float64Array, zi?: Float64Array): Float64Array {
  const n = sections(sos);
  const z = zi ?? new Float64Array(2 * n);
  if (z.length !== 2 * n) throw new Error(`zi needs 2 numbers per section (${2 * n}), got ${z.length}`);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let xn = x[i]!;
    for (let s = 0; s < n; s++) {
      const o = 6 * s;
      const xc = sos[o]! * xn + z[2 * s]!;
      z[2 * s] = sos[o + 1]! * xn - sos[o + 4]! * xc + z[2 * s + 1]!;
      z[2 * s + 1] = sos[o + 2]! * xn - sos[o + 5]! * xc;
      xn = xc;
    }
    y[i] = xn;
  }
  return y;
}

/** Steady-state initial conditions for a unit step (SciPy `sosfilt_zi`), 2 numbers per section. */
export function sosfiltZi(sos: Float64Array): Float64Array {
  const n = sections(sos);
  const zi = new Float64Array(2 * n);
  let scale = 1;
  for (let s = 0; s < n; s++) {
    const [b0, b1, b2, , a1, a2] = sos.subarray(6 * s, 6 * s + 6) as unknown as number[];
    // lfilter_zi: (I − companion(a)ᵀ) zi = b[1:] − a[1:]·b0, solved by LU with partial pivoting
    const m = [
      [1 + a1!, -1],
      [a2!, 1],
    ];
    const r = [b1! - a1! * b0!, b2! - a2! * b0!];
    if (Math.abs(m[1]![0]!) > Math.abs(m[0]![0]!)) {
      [m[0], m[1]] = [m[1]!, m[0]!];
      [r[0], r[1]] = [r[1]!, r[0]!];
    }
    const l = m[1]![0]! / m[0]![0]!;
    const u11 = m[1]![1]! - l * m[0]![1]!;
    const y1 = r[1]! - l * r[0]!;
    const z1 = y1 / u11;
    const z0 = (r[0]! - m[0]![1]! * z1) / m[0]![0]!;
    zi[2 * s] = scale * z0;
    zi[2 * s + 1] = scale * z1;
    scale *= (b0! + b1! + b2!) / (1 + a1! + a2!);
  }
  return zi;
}

/** Default pad length of `sosfiltfilt`: 3·(2·sections + 1 − min(#sections with b2 = 0, #with a2 = 0)). */
export function sosfiltfiltPadlen(sos: Float64Array): number {
  const n = sections(sos);
  let zb = 0,
    za = 0;
  for (let s = 0; s < n; s++) {
    if (sos[6 * s + 2] === 0) zb++;
    if (sos[6 * s + 5] === 0) za++;
  }
  return 3 * (2 * n + 1 - Math.min(zb, za));
}

/**
 * Zero-phase forward–backward filtering, as `scipy.signal.sosfiltfilt(sos, x)`
 * (padtype 'odd', default pad length). The magnitude response is squared:
 * a Butterworth edge at −3 dB becomes −6 dB.
 * @throws when `x` is not longer than the pad length
 */
export function sosfiltfilt(sos: Float64Array, x: Float64Array): Float64Array {
  const edge = sosfiltfiltPadlen(sos);
  const N = x.length;
  if (N <= edge) throw new Error(`the signal (${N} samples) must be longer than the filter's pad length (${edge} samples)`);
  const ext = new Float64Array(N + 2 * edge);
  const x0 = x[0]!,
    xl = x[N - 1]!;
  for (let i = 0; i < edge; i++) {
    ext[i] = 2 * x0 - x[edge - i]!;
    ext[edge + N + i] = 2 * xl - x[N - 2 - i]!;
  }
  ext.set(x, edge);
  const zi = sosfiltZi(sos);
  const z = zi.map((v) => v * ext[0]!);
  const y = sosfilt(sos, ext, z);
  y.reverse();
  const y0 = y[0]!;
  const z2 = zi.map((v) => v * y0);
  const yb = sosfilt(sos, y, z2);
  yb.reverse();
  return yb.slice(edge, edge + N);
}
