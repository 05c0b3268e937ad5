/**
 * Angles of the 2D measurement tools (issue 20 §3), in LPS mm, in degrees.
 * The angle tool is the angle at a vertex between two rays; the manual Cobb
 * angle (Cobb 1948; SRS terminology) is the angle between two lines drawn
 * along the endplates of the end vertebrae, folded to 0–90° (the lines have
 * no direction), as radiology viewers (OHIF, 3D Slicer) report it.
 */
import type { Vec3 } from './geometry.js';

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const norm = (a: Vec3): number => Math.sqrt(dot(a, a));

/** The angle between two vectors, 0–180°. @throws Error when either has zero length (the angle is undefined) */
function between(u: Vec3, v: Vec3): number {
  const nu = norm(u);
  const nv = norm(v);
  if (nu === 0 || nv === 0) throw new Error('an angle needs two segments of non-zero length');
  // atan2 of |u×v| and u·v: accurate near 0° and 180°, where acos loses digits
  const c: Vec3 = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
  return (Math.atan2(norm(c), dot(u, v)) * 180) / Math.PI;
}

/**
 * The angle at `vertex` between the rays to `a` and to `b` (LPS mm), in degrees, 0–180.
 * @throws Error when a ray has zero length
 */
export function angleAtVertex(a: Vec3, vertex: Vec3, b: Vec3): number {
  return between(sub(a, vertex), sub(b, vertex));
}

/**
 * The Cobb angle between two lines, each given by two points (LPS mm), in degrees, 0–90: the acute angle between the
 * lines' directions, whatever order their points were clicked in.
 * @throws Error when a line's two points coincide
 */
export function cobbAngle(line1: readonly [Vec3, Vec3], line2: readonly [Vec3, Vec3]): number {
  const t = between(sub(line1[1], line1[0]), sub(line2[1], line2[0]));
  return t > 90 ? 180 - t : t;
}
