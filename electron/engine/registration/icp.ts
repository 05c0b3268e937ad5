/**
 * Markerless rigid registration of a depth camera's skin cloud (moving,
 * camera frame) to the skin surface segmented from CT/MR (fixed, image LPS
 * mm), after algorithms.md §2:
 * - global initialisation with no manual points: the camera's nominal set-up
 *   (above the patient, looking at the exposed skin) as a prior, searched
 *   over rotations of up to ±`searchDeg` (multi-start, coarse trimmed ICP on
 *   a subsample from each start, centroids of the cloud and of the skin that
 *   faces the camera matched) — the "ICP from several initialisations, keep
 *   the lowest trimmed error" strategy of §2.3;
 * - trimmed point-to-plane ICP (Chen & Medioni 1992, linearised as in Low
 *   2004; trimming after Chetverikov et al. 2002) on a k-d tree of the skin
 *   vertices, pairs rejected beyond an annealed distance and when the normals
 *   disagree (back-facing skin is never matched);
 * - uncertainty (§10): the pose covariance from the point-to-plane normal
 *   equations with a cluster-robust ("sandwich") middle term — residuals
 *   of a breathing or shifted skin are correlated over tens of mm, so they
 *   are summed per spatial cell before their outer products (Liang & Zeger
 *   1986) — and the predicted TRE at any target, √trace(J Σ Jᵀ) with
 *   J = [−[x − c]×, I];
 * - refusal with reasons when the result cannot be trusted (low overlap,
 *   large residual, ambiguous or poorly constrained pose).
 */
import { KdTree3 } from './kdtree.js';
import { predictedTre } from '../../../math/uncertainty.js';
import { applyDir, applyPoint, invertSpd, mul4, rigidFromRotationVector, solveSpd, type Mat4 } from '../../../math/rigid.js';

export interface OrientedCloud {
  /** xyz interleaved (mm). */
  points: Float64Array | Float32Array;
  /** Unit normals, xyz interleaved (outward for a skin mesh; towards the camera for a camera cloud). */
  normals: Float64Array | Float32Array;
}

export interface IcpParams {
  iterations: number;
  /** Fraction of the matched pairs kept (the closest), 0–1. */
  trim: number;
  /** Pairs farther apart than this are rejected: annealed from start to end over the iterations (mm). */
  maxDistStartMm: number;
  maxDistEndMm: number;
  /** Pairs whose normals make a larger angle are rejected (cosine). */
  minNormalCos: number;
  /** Stop when the update is below these (rad, mm). */
  minRotation: number;
  minTranslationMm: number;
}

export interface IcpResult {
  /** moving → fixed, row-major 4×4 (mm). */
  transform: Mat4;
  /** RMS point-to-plane residual of the kept pairs (mm). */
  rmsMm: number;
  /** Pairs kept in the last iteration / moving points. */
  keptFraction: number;
  iterations: number;
  converged: boolean;
}

interface Pairs {
  /** transformed moving point, fixed normal, residual (q − f)·n per kept pair */
  q: number[];
  n: number[];
  r: number[];
  matched: number;
}

function matchPairs(moving: OrientedCloud, fixed: OrientedCloud, tree: KdTree3, T: Mat4, maxDist: number, minCos: number, trim: number): Pairs {
  const m = moving.points.length / 3;
  const cand: { d2: number; qx: number; qy: number; qz: number; j: number }[] = [];
  const out = new Float64Array(1);
  for (let i = 0; i < m; i++) {
    const [qx, qy, qz] = applyPoint(T, moving.points[3 * i]!, moving.points[3 * i + 1]!, moving.points[3 * i + 2]!);
    const j = tree.nearest(qx, qy, qz, maxDist * maxDist, out);
    if (j < 0) continue;
    const [nx, ny, nz] = applyDir(T, moving.normals[3 * i]!, moving.normals[3 * i + 1]!, moving.normals[3 * i + 2]!);
    if (nx * fixed.normals[3 * j]! + ny * fixed.normals[3 * j + 1]! + nz * fixed.normals[3 * j + 2]! < minCos) continue;
    cand.push({ d2: out[0]!, qx, qy, qz, j });
  }
  cand.sort((a, b) => a.d2 - b.d2);
  const keep = Math.floor(cand.length * trim);
  const q: number[] = [],
    n: number[] = [],
    r: number[] = [];
  for (let k = 0; k < keep; k++) {
    const { qx, qy, qz, j } = cand[k]!;
    const nx = fixed.normals[3 * j]!,
      ny = fixed.normals[3 * j + 1]!,
      nz = fixed.normals[3 * j + 2]!;
    q.push(qx, qy, qz);
    n.push(nx, ny, nz);
    r.push((qx - fixed.points[3 * j]!) * nx + (qy - fixed.points[3 * j + 1]!) * ny + (qz - fixed.points[3 * j + 2]!) * nz);
  }
  return { q, n, r, matched: cand.length };
}

const centroidOf = (q: number[]): [number, number, number] => {
  const c: [number, number, number] = [0, 0, 0];
  const k = q.length / 3;
  for (let i = 0; i < q.length; i += 3) for (let a = 0; a < 3; a++) c[a as 0 | 1 | 2] += q[i + a]! / k;
  return c;
};

/** Row k of the linearised point-to-plane problem about centre c: J = [(q − c)×n, n] (written into J). */
function jacobianRow(P: Pairs, k: number, c: readonly number[], J: number[]): void {
  const qx = P.q[3 * k]! - c[0]!,
    qy = P.q[3 * k + 1]! - c[1]!,
    qz = P.q[3 * k + 2]! - c[2]!;
  const nx = P.n[3 * k]!,
    ny = P.n[3 * k + 1]!,
    nz = P.n[3 * k + 2]!;
  J[0] = qy * nz - qz * ny;
  J[1] = qz * nx - qx * nz;
  J[2] = qx * ny - qy * nx;
  J[3] = nx;
  J[4] = ny;
  J[5] = nz;
}

/** Normal equations of the linearised point-to-plane problem about centre c: rows J (jacobianRow), residual r. */
function normalEquations(P: Pairs, c: readonly number[]): { H: number[]; g: number[] } {
  const H = new Array<number>(36).fill(0);
  const g = new Array<number>(6).fill(0);
  const J = new Array<number>(6);
  for (let k = 0; k < P.r.length; k++) {
    jacobianRow(P, k, c, J);
    for (let a = 0; a < 6; a++) {
      g[a]! += J[a]! * P.r[k]!;
      for (let b = a; b < 6; b++) H[6 * a + b]! += J[a]! * J[b]!;
    }
  }
  for (let a = 0; a < 6; a++) for (let b = 0; b < a; b++) H[6 * a + b] = H[6 * b + a]!;
  return { H, g };
}

/** Update about centre c: x ↦ c + R(ω)(x − c) + t. */
const updateAbout = (x: readonly number[], c: readonly number[]): Mat4 => {
  const R = rigidFromRotationVector([x[0]!, x[1]!, x[2]!]);
  const rc = applyDir(R, c[0]!, c[1]!, c[2]!);
  R[3] = c[0]! - rc[0] + x[3]!;
  R[7] = c[1]! - rc[1] + x[4]!;
  R[11] = c[2]! - rc[2] + x[5]!;
  return R;
};

/**
 * Trimmed point-to-plane ICP.
 * @param moving camera cloud with normals (its own frame, mm)
 * @param fixed skin vertices with outward normals (image LPS mm) and their k-d tree
 * @param T0 initial moving → fixed transform
 */
export function icpPointToPlane(moving: OrientedCloud, fixed: OrientedCloud, tree: KdTree3, T0: Mat4, p: IcpParams): IcpResult {
  let T = T0.slice();
  let rms = Infinity,
    kept = 0,
    it = 0,
    converged = false;
  const m = moving.points.length / 3;
  for (; it < p.iterations; it++) {
    const f = p.iterations > 1 ? Math.min(1, it / Math.max(1, p.iterations * 0.6)) : 1;
    const maxDist = p.maxDistStartMm * (p.maxDistEndMm / p.maxDistStartMm) ** f;
    const P = matchPairs(moving, fixed, tree, T, maxDist, p.minNormalCos, p.trim);
    kept = P.r.length / m;
    if (P.r.length < 12) break;
    rms = Math.sqrt(P.r.reduce((s, v) => s + v * v, 0) / P.r.length);
    const c = centroidOf(P.q);
    const { H, g } = normalEquations(P, c);
    const x = solveSpd(
      H,
      g.map((v) => -v),
      6,
    );
    if (!x) break;
    T = mul4(updateAbout(x, c), T);
    if (Math.hypot(x[0]!, x[1]!, x[2]!) < p.minRotation && Math.hypot(x[3]!, x[4]!, x[5]!) < p.minTranslationMm && f >= 1) {
      converged = true;
      it++;
      break;
    }
  }
  return { transform: T, rmsMm: rms, keptFraction: kept, iterations: it, converged };
}

export interface SkinRegistrationParams {
  /** Nominal camera → image transform of the set-up (camera above the patient, looking at the exposed skin). */
  prior: Mat4;
  /**
   * A coarse camera → image alignment given by the user (e.g. `threePointAlignment`):
   * replaces the prior's search; starts are this pose rotated by up to
   * `manualSearchDeg` about the cloud's centroid, with no re-centring.
   */
  initial?: Mat4;
  manualSearchDeg: number;
  /** Rotations searched around the prior (deg) and the step of the search grid (deg). */
  searchDeg: number;
  searchStepDeg: number;
  /** Points used by the coarse search: a first pass from every start, a second from the best `coarseKeep`. */
  coarsePoints: number;
  coarseFirstIterations: number;
  coarseKeep: number;
  coarse: IcpParams;
  /** Candidates refined on (at most) `finePoints` points of the cloud. */
  fineCandidates: number;
  finePoints: number;
  fine: IcpParams;
  /** Correspondence distance that counts a camera point as on the skin (mm) for the overlap. */
  overlapDistMm: number;
  /** Expected non-rigid skin motion between the scan and the capture (RMS, mm) and its correlation length (mm), for the uncertainty. */
  skinMotionMm: number;
  skinMotionCorrelationMm: number;
  /** Refusal thresholds. */
  minOverlap: number;
  maxRmsMm: number;
  maxPredictedTreMm: number;
  /** Another start that fits within this factor of the best residual, with a pose differing by more than `ambiguityMm`, makes the result ambiguous. */
  ambiguityRatio: number;
  ambiguityMm: number;
}

export const DEFAULT_SKIN_REGISTRATION: Omit<SkinRegistrationParams, 'prior'> = {
  manualSearchDeg: 10,
  searchDeg: 30,
  searchStepDeg: 15,
  coarsePoints: 1200,
  coarseFirstIterations: 8,
  coarseKeep: 6,
  fineCandidates: 2,
  finePoints: 5000,
  coarse: { iterations: 25, trim: 0.7, maxDistStartMm: 80, maxDistEndMm: 12, minNormalCos: 0.5, minRotation: 1e-4, minTranslationMm: 0.01 },
  fine: { iterations: 40, trim: 0.85, maxDistStartMm: 20, maxDistEndMm: 6, minNormalCos: 0.7, minRotation: 2e-5, minTranslationMm: 0.01 },
  overlapDistMm: 5,
  skinMotionMm: 1.5,
  skinMotionCorrelationMm: 120,
  minOverlap: 0.5,
  maxRmsMm: 3,
  maxPredictedTreMm: 5,
  ambiguityRatio: 1.15,
  ambiguityMm: 10,
};

export interface SkinRegistration {
  /** Camera (moving) → image (fixed) transform, row-major 4×4, mm. */
  transform: Mat4;
  /** RMS point-to-plane residual of the trimmed pairs (mm) — a fit measure, not an accuracy. */
  residualRmsMm: number;
  /** Fraction of camera points within `overlapDistMm` of the skin with agreeing normals. */
  overlap: number;
  converged: boolean;
  iterations: number;
  /** Pose covariance (6×6, row-major; rotation vector rad about `centreLps`, then translation mm). */
  covariance: number[];
  /** Centre of the rotation parameters (image LPS mm): the centroid of the matched camera points. */
  centreLps: [number, number, number];
  /** RMS TRE predicted at the centre of the matched skin (mm). */
  predictedTreMm: number;
  startsTried: number;
  /** null when the result can be used; otherwise why it must not be. */
  refused: string[] | null;
  timeMs: number;
}

/** Predicted RMS TRE at a target (re-exported from the contract, shared with the renderer). */
export { predictedTre };

function subsample(c: OrientedCloud, n: number): OrientedCloud {
  const m = c.points.length / 3;
  if (m <= n) return c;
  const points = new Float64Array(3 * n),
    normals = new Float64Array(3 * n);
  for (let k = 0; k < n; k++) {
    const i = Math.floor((k * m) / n);
    for (let a = 0; a < 3; a++) {
      points[3 * k + a] = c.points[3 * i + a]!;
      normals[3 * k + a] = c.normals[3 * i + a]!;
    }
  }
  return { points, normals };
}

/** Rotation vectors (rad) of the search grid: every combination of −S…S in steps about the camera's three axes. */
function searchRotations(maxDeg: number, stepDeg: number): number[][] {
  const steps: number[] = [];
  for (let a = -maxDeg; a <= maxDeg + 1e-9; a += stepDeg) steps.push((a * Math.PI) / 180);
  const out: number[][] = [];
  for (const x of steps) for (const y of steps) for (const z of steps) if (Math.hypot(x, y, z) <= ((maxDeg + 1e-9) * Math.PI) / 180) out.push([x, y, z]);
  return out;
}

/**
 * Registers a camera skin cloud to the image skin.
 * @param moving skin cloud with normals facing the camera (camera frame, mm; see captureSkin)
 * @param fixed image skin vertices with outward normals (LPS mm)
 * @param o `prior` (nominal camera → image) is required; the rest defaults to DEFAULT_SKIN_REGISTRATION
 * @returns the transform, fit, overlap, covariance and predicted TRE, with `refused` reasons when it cannot be trusted
 * @throws Error when either cloud has fewer than 100 points
 */
export function registerSkin(
  moving: OrientedCloud,
  fixed: OrientedCloud,
  o: Partial<SkinRegistrationParams> & { prior: Mat4 },
  tree = new KdTree3(fixed.points),
): SkinRegistration {
  const t0 = performance.now();
  const p: SkinRegistrationParams = { ...DEFAULT_SKIN_REGISTRATION, ...o };
  const nm = moving.points.length / 3,
    nf = fixed.points.length / 3;
  if (nm < 100) throw new Error(`registration: the camera cloud has ${nm} points (at least 100 are needed)`);
  if (nf < 100) throw new Error(`registration: the skin surface has ${nf} points (at least 100 are needed)`);
  const coarseCloud = subsample(moving, p.coarsePoints);
  // centroid of the camera cloud (camera frame)
  const cm = [0, 0, 0];
  for (let i = 0; i < nm; i++) for (let a = 0; a < 3; a++) cm[a]! += moving.points[3 * i + a]! / nm;
  const manual = p.initial;
  const starts = manual
    ? searchRotations(p.manualSearchDeg, Math.max(1, p.manualSearchDeg)).map((w) =>
        // the user's pose, rotated about the cloud's centroid
        mul4(manual, mul4(rigidFromRotationVector(w, cm), rigidFromRotationVector([0, 0, 0], [-cm[0]!, -cm[1]!, -cm[2]!]))),
      )
    : searchRotations(p.searchDeg, p.searchStepDeg).map((w) => {
        // rotate the prior about the cloud's centroid (camera frame), then match the centroid to the skin that faces the camera
        const Rw = rigidFromRotationVector(w);
        const T = mul4(p.prior, Rw);
        const view = applyDir(T, 0, 0, 1); // camera optical axis in the image frame
        const c = [0, 0, 0];
        let k = 0;
        for (let j = 0; j < nf; j++)
          if (fixed.normals[3 * j]! * view[0] + fixed.normals[3 * j + 1]! * view[1] + fixed.normals[3 * j + 2]! * view[2] < -0.3) {
            for (let a = 0; a < 3; a++) c[a]! += fixed.points[3 * j + a]!;
            k++;
          }
        const q = applyPoint(T, cm[0]!, cm[1]!, cm[2]!);
        if (k) for (let a = 0; a < 3; a++) T[4 * a + 3]! += c[a]! / k - q[a]!;
        return T;
      });
  const score = (r: IcpResult) => r.rmsMm / Math.max(1e-3, r.keptFraction / p.coarse.trim) ** 2;
  const byScore = (rs: IcpResult[]) => rs.slice().sort((a, b) => score(a) - score(b));
  // a short pass from every start on half the coarse points, then the best few continue
  const half = subsample(coarseCloud, Math.ceil(p.coarsePoints / 2));
  const first = byScore(
    starts.map((T) => icpPointToPlane(half, fixed, tree, T, { ...p.coarse, iterations: p.coarseFirstIterations, maxDistEndMm: p.coarse.maxDistStartMm / 2 })),
  );
  const coarse = byScore(first.slice(0, p.coarseKeep).map((r) => icpPointToPlane(coarseCloud, fixed, tree, r.transform, p.coarse)));
  // refine the best distinct candidates
  const fineCloud = subsample(moving, p.finePoints);
  const cand: IcpResult[] = [];
  for (const r of coarse) {
    if (cand.length >= p.fineCandidates) break;
    const q = applyPoint(r.transform, cm[0]!, cm[1]!, cm[2]!);
    if (cand.some((c) => Math.hypot(...applyPoint(c.transform, cm[0]!, cm[1]!, cm[2]!).map((v, a) => v - q[a]!)) < 3)) continue;
    cand.push(icpPointToPlane(fineCloud, fixed, tree, r.transform, p.fine));
  }
  const fineScore = (r: IcpResult) => r.rmsMm / Math.max(1e-3, r.keptFraction / p.fine.trim) ** 2;
  cand.sort((a, b) => fineScore(a) - fineScore(b));
  const best = cand[0]!;
  const T = best.transform;

  // overlap and the covariance from the final pairs
  const all = matchPairs(moving, fixed, tree, T, p.overlapDistMm, p.fine.minNormalCos, 1);
  const overlap = all.matched / nm;
  const P = matchPairs(moving, fixed, tree, T, p.fine.maxDistEndMm, p.fine.minNormalCos, p.fine.trim);
  const c = centroidOf(P.q);
  const { H } = normalEquations(P, c);
  const Hinv = invertSpd(H, 6);
  let covariance = new Array<number>(36).fill(0);
  if (Hinv) {
    // Residual = independent sensor noise + the skin's non-rigid motion since the scan (breathing, posture), a smooth
    // random field d ~ GP(0, σ²_motion·exp(−|x − x′|²/2L²)). The pose error is H⁻¹·Σ Jᵢ(noiseᵢ + dᵢ), so
    // Var = H⁻¹ (σ²_noise·Σ JᵢJᵢᵀ + σ²_motion·Σ_cells,cells′ k(c, c′)·(Σ_c Jᵢ)(Σ_c′ Jᵢ)ᵀ) H⁻¹, with the rows summed per small cell.
    const cells = new Map<string, { sJ: number[]; x: number[]; n: number }>();
    const J = new Array<number>(6);
    let s2 = 0;
    const cell = p.skinMotionCorrelationMm / 4;
    for (let k = 0; k < P.r.length; k++) {
      const key = [0, 1, 2].map((a) => Math.floor(P.q[3 * k + a]! / cell)).join(',');
      jacobianRow(P, k, c, J);
      const e = cells.get(key) ?? { sJ: [0, 0, 0, 0, 0, 0], x: [0, 0, 0], n: 0 };
      for (let a = 0; a < 6; a++) e.sJ[a]! += J[a]!;
      for (let a = 0; a < 3; a++) e.x[a]! += P.q[3 * k + a]!;
      e.n++;
      cells.set(key, e);
      s2 += P.r[k]! ** 2 / P.r.length;
    }
    const B = H.map((v) => v * s2);
    const list = [...cells.values()].map((e) => ({ sJ: e.sJ, x: e.x.map((v) => v / e.n) }));
    const m2 = p.skinMotionMm ** 2,
      inv2L2 = 1 / (2 * p.skinMotionCorrelationMm ** 2);
    for (const A of list)
      for (const C of list) {
        const k = m2 * Math.exp(-((A.x[0]! - C.x[0]!) ** 2 + (A.x[1]! - C.x[1]!) ** 2 + (A.x[2]! - C.x[2]!) ** 2) * inv2L2);
        if (k < 1e-6 * m2) continue;
        for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) B[6 * a + b]! += k * A.sJ[a]! * C.sJ[b]!;
      }
    covariance = mul6(mul6(Hinv, B), Hinv);
  }
  const reg: SkinRegistration = {
    transform: T,
    residualRmsMm: best.rmsMm,
    overlap,
    converged: best.converged,
    iterations: best.iterations,
    covariance,
    centreLps: c,
    predictedTreMm: 0,
    startsTried: starts.length,
    refused: null,
    timeMs: 0,
  };
  reg.predictedTreMm = Hinv ? predictedTre(reg, c) : Infinity;
  const reasons: string[] = [];
  if (!Hinv) reasons.push('the matched skin does not constrain all six degrees of freedom');
  if (overlap < p.minOverlap)
    reasons.push(`only ${(100 * overlap).toFixed(0)} % of the camera points lie on the skin (at least ${(100 * p.minOverlap).toFixed(0)} % needed)`);
  if (best.rmsMm > p.maxRmsMm) reasons.push(`fit residual ${best.rmsMm.toFixed(1)} mm exceeds ${p.maxRmsMm} mm`);
  if (reg.predictedTreMm > p.maxPredictedTreMm)
    reasons.push(`predicted TRE ${reg.predictedTreMm.toFixed(1)} mm exceeds ${p.maxPredictedTreMm} mm (poorly constrained pose)`);
  const second = cand[1];
  if (second && fineScore(second) < p.ambiguityRatio * fineScore(best)) {
    const q1 = applyPoint(T, cm[0]!, cm[1]!, cm[2]!),
      q2 = applyPoint(second.transform, cm[0]!, cm[1]!, cm[2]!);
    const dist = Math.hypot(q1[0] - q2[0], q1[1] - q2[1], q1[2] - q2[2]);
    if (dist > p.ambiguityMm) reasons.push(`ambiguous: another pose ${dist.toFixed(0)} mm away fits almost as well`);
  }
  reg.refused = reasons.length ? reasons : null;
  reg.timeMs = performance.now() - t0;
  return reg;
}

function mul6(a: readonly number[], b: readonly number[]): number[] {
  const c = new Array<number>(36).fill(0);
  for (let i = 0; i < 6; i++) for (let k = 0; k < 6; k++) for (let j = 0; j < 6; j++) c[6 * i + j]! += a[6 * i + k]! * b[6 * k + j]!;
  return c;
}
