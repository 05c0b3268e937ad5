/**
 * Rigid transforms for registration: row-major 4×4 matrices (mm) composed
 * as column-vector transforms (p′ = T·p), the closed-form paired-point fit
 * (Horn 1987 unit quaternion, in the form of VTK's vtkLandmarkTransform,
 * rigid-body mode, no scale), small-angle updates (Rodrigues) and the
 * symmetric eigen/linear solvers they need.
 */

export { identity4, mul4, invertRigid, invert4, applyPoint, applyDir, type Mat4 } from './transform.js';
import { identity4, applyPoint, type Mat4 } from './transform.js';

/** Transforms xyz-interleaved points (new array). */
export function transformPoints(t: readonly number[], pts: Float32Array | Float64Array): Float64Array {
  const out = new Float64Array(pts.length);
  for (let i = 0; i < pts.length; i += 3) {
    const q = applyPoint(t, pts[i]!, pts[i + 1]!, pts[i + 2]!);
    out[i] = q[0];
    out[i + 1] = q[1];
    out[i + 2] = q[2];
  }
  return out;
}

/** Rotation by the vector ω (axis · angle in radians, Rodrigues) with translation t, as a 4×4. */
export function rigidFromRotationVector(w: readonly number[], t: readonly number[] = [0, 0, 0]): Mat4 {
  const th = Math.hypot(w[0]!, w[1]!, w[2]!);
  const m = identity4();
  if (th > 1e-15) {
    const [x, y, z] = [w[0]! / th, w[1]! / th, w[2]! / th];
    const c = Math.cos(th),
      s = Math.sin(th),
      C = 1 - c;
    m[0] = c + x * x * C;
    m[1] = x * y * C - z * s;
    m[2] = x * z * C + y * s;
    m[4] = y * x * C + z * s;
    m[5] = c + y * y * C;
    m[6] = y * z * C - x * s;
    m[8] = z * x * C - y * s;
    m[9] = z * y * C + x * s;
    m[10] = c + z * z * C;
  }
  m[3] = t[0]!;
  m[7] = t[1]!;
  m[11] = t[2]!;
  return m;
}

/**
 * Rotation vector (axis · angle, rad; the matrix logarithm of SO(3)) of the
 * rotation part of a row-major 4×4 — the inverse of rigidFromRotationVector,
 * stable near 0 and π.
 */
export function rotationVectorOf(t: readonly number[]): [number, number, number] {
  const c = Math.max(-1, Math.min(1, (t[0]! + t[5]! + t[10]! - 1) / 2));
  const th = Math.acos(c);
  const v: [number, number, number] = [t[9]! - t[6]!, t[2]! - t[8]!, t[4]! - t[1]!];
  if (th < 1e-8) return [v[0] / 2, v[1] / 2, v[2] / 2];
  if (Math.PI - th > 1e-4) {
    const k = th / (2 * Math.sin(th));
    return [v[0] * k, v[1] * k, v[2] * k];
  }
  // near π: the axis from the diagonal of R = 2aaᵀ − I, its sign from the skew part
  const d = [t[0]!, t[5]!, t[10]!];
  const i = d[0]! >= d[1]! && d[0]! >= d[2]! ? 0 : d[1]! >= d[2]! ? 1 : 2;
  const a = [0, 0, 0];
  a[i] = Math.sqrt(Math.max(0, (d[i]! + 1) / 2));
  for (let j = 0; j < 3; j++) if (j !== i) a[j] = (t[4 * i + j]! + t[4 * j + i]!) / (4 * a[i]!);
  const s = a[0]! * v[0] + a[1]! * v[1] + a[2]! * v[2] < 0 ? -1 : 1;
  return [s * a[0]! * th, s * a[1]! * th, s * a[2]! * th];
}

/** Rotation angle of a rigid transform (degrees). */
export function rotationAngleDeg(t: readonly number[]): number {
  const c = (t[0]! + t[5]! + t[10]! - 1) / 2;
  return (Math.acos(Math.max(-1, Math.min(1, c))) * 180) / Math.PI;
}

/**
 * Eigen-decomposition of a symmetric n×n matrix (cyclic Jacobi rotations).
 * @param a row-major n×n (not modified)
 * @returns eigenvalues ascending and the matching unit eigenvectors (vectors[k] is the k-th)
 */
export function symmetricEigen(a: readonly number[], n: number): { values: number[]; vectors: number[][] } {
  const A = a.slice();
  const V: number[] = Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * n + q]! - A[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1),
          s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!,
            akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!,
            aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p]!,
            vkq = V[k * n + q]!;
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[i * n + i]! - A[j * n + j]!);
  return { values: order.map((i) => A[i * n + i]!), vectors: order.map((i) => Array.from({ length: n }, (_, k) => V[k * n + i]!)) };
}

/**
 * Solves the symmetric positive-definite system A·x = b (Cholesky).
 * @returns x, or null when A is not positive definite (degenerate geometry)
 */
export function solveSpd(a: readonly number[], b: readonly number[], n: number): number[] | null {
  const L = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (s <= 1e-12 * Math.max(1, Math.abs(a[i * n + i]!))) return null;
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j]!;
    }
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!;
    y[i] = s / L[i * n + i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}

/** Inverse of a symmetric positive-definite n×n matrix (column by column), or null. */
export function invertSpd(a: readonly number[], n: number): number[] | null {
  const out = new Array<number>(n * n).fill(0);
  for (let j = 0; j < n; j++) {
    const e = new Array<number>(n).fill(0);
    e[j] = 1;
    const x = solveSpd(a, e, n);
    if (!x) return null;
    for (let i = 0; i < n; i++) out[i * n + j] = x[i]!;
  }
  return out;
}

/**
 * Closed-form rigid fit of paired points: the T minimising Σ wᵢ‖T·aᵢ − bᵢ‖²
 * (Horn 1987, unit quaternion = eigenvector of the largest eigenvalue of the
 * 4×4 matrix N built from M = Σ wᵢ a′ᵢ b′ᵢᵀ, as in vtkLandmarkTransform with
 * rigid-body mode).
 * @param a source points, xyz interleaved (mm); @param b target points, same count
 * @param w optional weights per pair
 * @throws Error when fewer than 3 pairs are given
 */
export function fitRigidPaired(a: ArrayLike<number>, b: ArrayLike<number>, w?: ArrayLike<number>): Mat4 {
  const n = Math.floor(a.length / 3);
  if (n < 3 || b.length < 3 * n) throw new Error(`paired-point fit needs at least 3 pairs (got ${n})`);
  let sw = 0;
  const ca = [0, 0, 0],
    cb = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i]! : 1;
    sw += wi;
    for (let k = 0; k < 3; k++) {
      ca[k]! += wi * a[3 * i + k]!;
      cb[k]! += wi * b[3 * i + k]!;
    }
  }
  for (let k = 0; k < 3; k++) {
    ca[k]! /= sw;
    cb[k]! /= sw;
  }
  const M = new Array<number>(9).fill(0);
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i]! : 1;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) M[3 * r + c]! += wi * (a[3 * i + r]! - ca[r]!) * (b[3 * i + c]! - cb[c]!);
  }
  const m = (r: number, c: number) => M[3 * r + c]!;
  const N = [
    m(0, 0) + m(1, 1) + m(2, 2),
    m(1, 2) - m(2, 1),
    m(2, 0) - m(0, 2),
    m(0, 1) - m(1, 0),
    m(1, 2) - m(2, 1),
    m(0, 0) - m(1, 1) - m(2, 2),
    m(0, 1) + m(1, 0),
    m(2, 0) + m(0, 2),
    m(2, 0) - m(0, 2),
    m(0, 1) + m(1, 0),
    -m(0, 0) + m(1, 1) - m(2, 2),
    m(1, 2) + m(2, 1),
    m(0, 1) - m(1, 0),
    m(2, 0) + m(0, 2),
    m(1, 2) + m(2, 1),
    -m(0, 0) - m(1, 1) + m(2, 2),
  ];
  const { vectors } = symmetricEigen(N, 4);
  const [qw, qx, qy, qz] = vectors[3]!;
  const R = [
    qw! * qw! + qx! * qx! - qy! * qy! - qz! * qz!,
    2 * (qx! * qy! - qw! * qz!),
    2 * (qx! * qz! + qw! * qy!),
    2 * (qx! * qy! + qw! * qz!),
    qw! * qw! - qx! * qx! + qy! * qy! - qz! * qz!,
    2 * (qy! * qz! - qw! * qx!),
    2 * (qx! * qz! - qw! * qy!),
    2 * (qy! * qz! + qw! * qx!),
    qw! * qw! - qx! * qx! - qy! * qy! + qz! * qz!,
  ];
  const T = identity4();
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) T[4 * r + c] = R[3 * r + c]!;
    T[4 * r + 3] = cb[r]! - (R[3 * r]! * ca[0]! + R[3 * r + 1]! * ca[1]! + R[3 * r + 2]! * ca[2]!);
  }
  return T;
}
