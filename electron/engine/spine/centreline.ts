/**
 * The vertebral-body centreline: the column of vertebral bodies is followed
 * slice by slice through the opened bone mask of the working grid, smoothed,
 * and resampled by arc length; the HU profile along it (mean of the smoothed
 * CT in a disc across the column) shows the intervertebral discs as minima
 * between the bright endplates (after algorithms.md §5.5).
 */
import { openBall } from '../morphology.js';
import { labelRuns } from '../runs.js';
import { indexToLps, lpsToIndex, type Vec3, type Volume } from '../volume.js';
import { trilinearAt } from './grid.js';

export interface Centreline {
  /** Points along the body centreline, LPS mm, every `stepMm` of arc length, inferior → superior. */
  points: Vec3[];
  /** Unit tangents (pointing superior). */
  tangents: Vec3[];
  /** Unit anterior directions (−P, orthogonal to the tangent). */
  anterior: Vec3[];
  stepMm: number;
}

export interface ColumnTrack {
  /** Per axial slice of the working grid: body centre (canonical index x, y) or null. */
  centres: ([number, number] | null)[];
  /** Anterior-to-posterior depth (mm) of the tracked column cross-section per slice. */
  depthMm: (number | null)[];
}

interface Blob {
  area: number;
  cx: number;
  cy: number;
  yMin: number;
  yMax: number;
}

/**
 * Follows the column of vertebral bodies through axial slices.
 * @param cand bone candidate mask on the working grid (L-P-S ordered)
 * @param work working grid (geometry only)
 * @param midlineX canonical x index of the body's left-right centre
 * @throws Error when no vertebral body is found
 */
export function trackColumn(cand: Uint8Array, work: Volume, midlineX: number, openingMm: number): ColumnTrack {
  const [nx, ny, nz] = work.dims;
  const [sx, sy, sz] = work.spacingMm;
  const opened = openBall(cand, work.dims, work.spacingMm, openingMm);
  const L = labelRuns(opened, work.dims, true, 6, true);
  // blobs per slice
  const acc = new Map<number, { n: number; sx: number; sy: number; yMin: number; yMax: number; z: number }>();
  for (let r = 0; r < L.start.length; r++) {
    const root = L.root[r] as number;
    const row = L.row[r] as number;
    const y = row % ny;
    const z = Math.floor(row / ny);
    const a = acc.get(root) ?? { n: 0, sx: 0, sy: 0, yMin: Infinity, yMax: -Infinity, z };
    const s = (L.start[r] as number) - row * nx;
    const e = (L.end[r] as number) - row * nx;
    const len = e - s;
    a.n += len;
    a.sx += ((s + e - 1) / 2) * len;
    a.sy += y * len;
    a.yMin = Math.min(a.yMin, y);
    a.yMax = Math.max(a.yMax, y);
    acc.set(root, a);
  }
  const slices: Blob[][] = Array.from({ length: nz }, () => []);
  const px = sx * sy;
  for (const a of acc.values()) slices[a.z]!.push({ area: a.n * px, cx: a.sx / a.n, cy: a.sy / a.n, yMin: a.yMin, yMax: a.yMax });
  // seed: the largest blob near the midline in the middle of the field of view
  let seed: { z: number; b: Blob } | null = null;
  for (let z = Math.floor(nz * 0.15); z < Math.ceil(nz * 0.85); z++)
    for (const b of slices[z]!) if (b.area >= 300 && Math.abs(b.cx - midlineX) * sx < 40 && (!seed || b.area > seed.b.area)) seed = { z, b };
  if (!seed) throw new Error('no vertebral body found: no bone cross-section of at least 3 cm² near the midline');
  const centres: ([number, number] | null)[] = new Array(nz).fill(null);
  const depthMm: (number | null)[] = new Array(nz).fill(null);
  const bodyCentre = (b: Blob): [number, number] => [b.cx, b.cy];
  centres[seed.z] = bodyCentre(seed.b);
  depthMm[seed.z] = (seed.b.yMax - seed.b.yMin + 1) * sy;
  for (const dir of [1, -1]) {
    let prev = centres[seed.z]!;
    let gap = 0;
    for (let z = seed.z + dir; z >= 0 && z < nz; z += dir) {
      gap++;
      const reach = 10 + gap * sz * 1.2;
      let best: Blob | null = null;
      let bestD = Infinity;
      for (const b of slices[z]!) {
        if (b.area < 150) continue;
        const d = Math.hypot((b.cx - prev[0]) * sx, (b.cy - prev[1]) * sy);
        if (d < reach && d < bestD) {
          bestD = d;
          best = b;
        }
      }
      if (best) {
        centres[z] = bodyCentre(best);
        depthMm[z] = (best.yMax - best.yMin + 1) * sy;
        prev = centres[z]!;
        gap = 0;
      } else if (gap * sz > 40) break;
    }
  }
  return { centres, depthMm };
}

/**
 * Smooth centreline through the tracked centres, resampled every `stepMm`.
 * @param windowMm moving-average window along the slices
 */
export function centrelineFromTrack(track: ColumnTrack, work: Volume, windowMm = 12, stepMm = 1): Centreline {
  const nz = work.dims[2];
  const zs: number[] = [];
  for (let z = 0; z < nz; z++) if (track.centres[z]) zs.push(z);
  if (zs.length < 2) throw new Error('the vertebral column is visible in fewer than two slices');
  const z0 = zs[0]!,
    z1 = zs[zs.length - 1]!;
  // linear interpolation over gaps
  const cx: number[] = [],
    cy: number[] = [];
  let last = z0;
  for (let z = z0; z <= z1; z++) {
    const c = track.centres[z];
    if (c) {
      cx.push(c[0]);
      cy.push(c[1]);
      last = z;
    } else {
      let next = z + 1;
      while (!track.centres[next]) next++;
      const a = track.centres[last]!,
        b = track.centres[next]!;
      const t = (z - last) / (next - last);
      cx.push(a[0] + (b[0] - a[0]) * t);
      cy.push(a[1] + (b[1] - a[1]) * t);
    }
  }
  const half = Math.max(1, Math.round(windowMm / 2 / work.spacingMm[2]));
  const smooth = (v: number[]) =>
    v.map((_, i) => {
      let s = 0,
        n = 0;
      for (let t = Math.max(0, i - half); t <= Math.min(v.length - 1, i + half); t++) {
        s += v[t]!;
        n++;
      }
      return s / n;
    });
  const sxs = smooth(cx),
    sys = smooth(cy);
  const raw: Vec3[] = sxs.map((x, i) => indexToLps(work, [x, sys[i]!, z0 + i]));
  // resample by arc length
  const points: Vec3[] = [raw[0]!];
  let carry = 0;
  for (let i = 1; i < raw.length; i++) {
    const a = raw[i - 1]!,
      b = raw[i]!;
    const seg = Math.hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2]);
    let t = stepMm - carry;
    while (t <= seg) {
      const f = t / seg;
      points.push([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f]);
      t += stepMm;
    }
    carry = seg - (t - stepMm);
  }
  const n = points.length;
  const k = Math.max(1, Math.round(5 / stepMm));
  const tangents: Vec3[] = [];
  const anterior: Vec3[] = [];
  for (let i = 0; i < n; i++) {
    const a = points[Math.max(0, i - k)]!,
      b = points[Math.min(n - 1, i + k)]!;
    const t = normalize([b[0] - a[0], b[1] - a[1], b[2] - a[2]]);
    tangents.push(t);
    anterior.push(normalize(orthogonalTo([0, -1, 0], t)));
  }
  return { points, tangents, anterior, stepMm };
}

/**
 * Mean smoothed HU in a disc of radius `radiusMm` across the column at each
 * centreline point, centred `anteriorShiftMm` in front of the centreline.
 */
export function columnProfile(work: Volume, c: Centreline, radiusMm: number, anteriorShiftMm = 0): Float64Array {
  const out = new Float64Array(c.points.length);
  for (let i = 0; i < c.points.length; i++) {
    const p = c.points[i]!,
      t = c.tangents[i]!,
      a = c.anterior[i]!;
    const l = cross(t, a);
    let s = 0,
      n = 0;
    for (const r of [0, 0.5, 1])
      for (let q = 0; q < (r === 0 ? 1 : 8); q++) {
        const th = (q * Math.PI) / 4;
        const u = r * radiusMm * Math.cos(th),
          w = r * radiusMm * Math.sin(th) + anteriorShiftMm;
        const x = [p[0] + l[0] * u + a[0] * w, p[1] + l[1] * u + a[1] * w, p[2] + l[2] * u + a[2] * w];
        const [ix, iy, iz] = lpsToIndex(work, x);
        const v = trilinearAt(work, ix, iy, iz);
        if (!Number.isNaN(v)) {
          s += v;
          n++;
        }
      }
    out[i] = n ? s / n : NaN;
  }
  return out;
}

export function normalize(v: readonly number[]): Vec3 {
  const n = Math.hypot(v[0]!, v[1]!, v[2]!) || 1;
  return [v[0]! / n, v[1]! / n, v[2]! / n];
}
export function dot(a: readonly number[], b: readonly number[]): number {
  return a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
}
export function cross(a: readonly number[], b: readonly number[]): Vec3 {
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
}
/** v minus its component along unit u. */
export function orthogonalTo(v: readonly number[], u: readonly number[]): Vec3 {
  const d = dot(v, u);
  return [v[0]! - d * u[0]!, v[1]! - d * u[1]!, v[2]! - d * u[2]!];
}

export interface DiscCandidate {
  /** Index into the centreline points. */
  index: number;
  /** Sharpness: mean profile value `scaleMm` above and below minus the value at the minimum (HU). */
  score: number;
}

/**
 * Intervertebral discs along the column profile: local minima that are sharp
 * (endplates on both sides within `scaleMm`), chosen as the most regular
 * sequence by dynamic programming: maximise Σ(score − perDiscCost) −
 * λ·Σ|Δᵢ − Δᵢ₋₁| over spacings Δ within [minSpacingMm, maxSpacingMm]. A
 * broad dip at a vertebral-body centre (trabecular bone between two
 * endplates) scores low and falls between two discs, where the spacing
 * limits exclude it.
 * @param profile HU along the centreline (one value per `stepMm`)
 * @returns centreline indices of the discs, inferior → superior
 */
export function detectDiscs(
  profile: Float64Array,
  stepMm: number,
  o: { scaleMm?: number; minSpacingMm?: number; maxSpacingMm?: number; perDiscCost?: number; lambda?: number } = {},
): DiscCandidate[] {
  const scale = Math.max(1, Math.round((o.scaleMm ?? 4) / stepMm));
  const minS = (o.minSpacingMm ?? 18) / stepMm;
  const maxS = (o.maxSpacingMm ?? 55) / stepMm;
  const cost = o.perDiscCost ?? 8;
  const lambda = (o.lambda ?? 1) * stepMm;
  const n = profile.length;
  const cands: DiscCandidate[] = [];
  for (let i = scale; i < n - scale; i++) {
    const v = profile[i]!;
    if (!(v <= profile[i - 1]! && v < profile[i + 1]!)) continue;
    let lo = Infinity;
    for (let t = i - scale; t <= i + scale; t++) lo = Math.min(lo, profile[t]!);
    if (v > lo) continue;
    const score = (profile[i - scale]! + profile[i + scale]!) / 2 - v;
    if (score > cost) cands.push({ index: i, score });
  }
  const m = cands.length;
  if (m === 0) return [];
  // best[i][j]: best chain ending with candidate j then i (j = -1: i starts the chain)
  const best: number[][] = cands.map(() => new Array<number>(m + 1).fill(-Infinity));
  const from: number[][] = cands.map(() => new Array<number>(m + 1).fill(-2));
  let top = { v: -Infinity, i: -1, j: -1 };
  for (let i = 0; i < m; i++) {
    const gain = cands[i]!.score - cost;
    best[i]![m] = gain; // start
    for (let j = 0; j < i; j++) {
      const d = cands[i]!.index - cands[j]!.index;
      if (d < minS || d > maxS) continue;
      // predecessor of j: k (or start)
      let bv = best[j]![m]!;
      let bk = -1;
      for (let k = 0; k < j; k++) {
        const b = best[j]![k]!;
        if (b === -Infinity) continue;
        const v = b - lambda * Math.abs(d - (cands[j]!.index - cands[k]!.index));
        if (v > bv) {
          bv = v;
          bk = k;
        }
      }
      best[i]![j] = bv + gain;
      from[i]![j] = bk;
    }
    for (let j = -1; j < i; j++) {
      const v = best[i]![j < 0 ? m : j]!;
      if (v > top.v) top = { v, i, j };
    }
  }
  const chain: DiscCandidate[] = [];
  let i = top.i,
    j = top.j;
  while (i >= 0) {
    chain.push(cands[i]!);
    if (j < 0) break;
    const k = from[i]![j]!;
    i = j;
    j = k;
  }
  return dropHalfPeriod(chain.reverse(), maxS);
}

/**
 * A chain that splits every vertebra in two (the trabecular centre's dip
 * taken for a disc, seen on blurred or interpolated CT) alternates strong and
 * weak minima: when every other disc scores under 60 % of the others on
 * average and dropping them keeps the spacings within the maximum, they go.
 */
function dropHalfPeriod(chain: DiscCandidate[], maxSpacing: number): DiscCandidate[] {
  if (chain.length < 4) return chain;
  const mean = (xs: DiscCandidate[]) => xs.reduce((s, c) => s + c.score, 0) / xs.length;
  const even = chain.filter((_, i) => i % 2 === 0);
  const odd = chain.filter((_, i) => i % 2 === 1);
  const [strong, weak] = mean(even) >= mean(odd) ? [even, odd] : [odd, even];
  if (mean(weak) >= 0.6 * mean(strong)) return chain;
  for (let i = 1; i < strong.length; i++) if (strong[i]!.index - strong[i - 1]!.index > maxSpacing) return chain;
  return strong;
}
