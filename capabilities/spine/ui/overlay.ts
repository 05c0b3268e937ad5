/**
 * Geometry of the spine overlays (pure): the segment that draws an endplate
 * in 3D within the coronal (x–z) or sagittal (y–z) plane, LPS mm.
 */
import type { Vec3 } from '../../../math/geometry.js';

/**
 * The endplate's trace in a coronal or sagittal plane through its point: the
 * direction in that plane perpendicular to the normal, `halfMm` each side.
 * A normal lying along the plane's depth axis gives the plane's horizontal axis.
 */
export function endplateSegment3d(pl: { point: Vec3; normal: Vec3 }, plane: 'coronal' | 'sagittal', halfMm: number): [Vec3, Vec3] {
  const ax = plane === 'coronal' ? 0 : 1;
  const nu = pl.normal[ax];
  const ns = pl.normal[2];
  const len = Math.hypot(nu, ns);
  const du = len < 1e-6 ? 1 : ns / len;
  const dz = len < 1e-6 ? 0 : -nu / len;
  const a = [...pl.point] as Vec3;
  const b = [...pl.point] as Vec3;
  a[ax] -= du * halfMm;
  a[2] -= dz * halfMm;
  b[ax] += du * halfMm;
  b[2] += dz * halfMm;
  return [a, b];
}
