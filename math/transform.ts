/**
 * Homogeneous 4×4 transforms between coordinate frames (runtime-neutral: the
 * engine, the services and the renderer's live fusion use the same code).
 * Row-major, composed as column-vector transforms (p′ = T·p); translations
 * in mm, image frames may carry pixel spacing as scale (PLUS's ImageToProbe).
 * A transform named AToB maps coordinates in frame A to frame B, as in PLUS.
 */

export type Mat4 = number[];

export const identity4 = (): Mat4 => [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

/** C = A·B (row-major 4×4). */
export function mul4(a: readonly number[], b: readonly number[]): Mat4 {
  const c = new Array<number>(16).fill(0);
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[4 * i + k]! * b[4 * k + j]!;
      c[4 * i + j] = s;
    }
  return c;
}

/** Inverse of a rigid transform [R t; 0 1] → [Rᵀ −Rᵀt; 0 1]. */
export function invertRigid(t: readonly number[]): Mat4 {
  const r = identity4();
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) r[4 * i + j] = t[4 * j + i]!;
  for (let i = 0; i < 3; i++) r[4 * i + 3] = -(r[4 * i]! * t[3]! + r[4 * i + 1]! * t[7]! + r[4 * i + 2]! * t[11]!);
  return r;
}

/** General 4×4 inverse (row-major; affine matrices with scale included). @throws Error when singular */
export function invert4(m: readonly number[]): Mat4 {
  const a = m.slice();
  const inv = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  for (let c = 0; c < 4; c++) {
    let p = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(a[4 * r + c]!) > Math.abs(a[4 * p + c]!)) p = r;
    if (Math.abs(a[4 * p + c]!) < 1e-14) throw new Error('singular 4×4 transform');
    for (let k = 0; k < 4; k++) {
      [a[4 * c + k], a[4 * p + k]] = [a[4 * p + k]!, a[4 * c + k]!];
      [inv[4 * c + k], inv[4 * p + k]] = [inv[4 * p + k]!, inv[4 * c + k]!];
    }
    const d = a[4 * c + c]!;
    for (let k = 0; k < 4; k++) {
      a[4 * c + k]! /= d;
      inv[4 * c + k]! /= d;
    }
    for (let r = 0; r < 4; r++) {
      if (r === c) continue;
      const f = a[4 * r + c]!;
      if (f === 0) continue;
      for (let k = 0; k < 4; k++) {
        a[4 * r + k]! -= f * a[4 * c + k]!;
        inv[4 * r + k]! -= f * inv[4 * c + k]!;
      }
    }
  }
  return inv;
}

/** T·p for a point p (mm). */
export function applyPoint(t: readonly number[], x: number, y: number, z: number): [number, number, number] {
  return [t[0]! * x + t[1]! * y + t[2]! * z + t[3]!, t[4]! * x + t[5]! * y + t[6]! * z + t[7]!, t[8]! * x + t[9]! * y + t[10]! * z + t[11]!];
}

/** R·v for a direction v (no translation). */
export function applyDir(t: readonly number[], x: number, y: number, z: number): [number, number, number] {
  return [t[0]! * x + t[1]! * y + t[2]! * z, t[4]! * x + t[5]! * y + t[6]! * z, t[8]! * x + t[9]! * y + t[10]! * z];
}
