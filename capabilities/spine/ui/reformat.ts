/**
 * Curved reformats along the spine for the spine panel: a coronal image whose
 * depth (y) follows the body centreline and a sagittal image whose lateral
 * position (x) follows it, so the whole column is in one picture even when it
 * is curved. Rows run along S (superior up), columns along L (coronal: the
 * patient's right on the left, radiological) or P (sagittal: anterior on the
 * left), both at `pixelMm`; since rows and columns are world axes, angles
 * drawn on them are the coronal and sagittal angles of the Cobb definition.
 * Pure (no DOM): the canvas component draws what this computes.
 */
import { lpsToIndex, type Vec3, type VolumeGeometry } from '../../../math/geometry.js';

/** The plane of a curved reformat along the spine. */
export type ReformatPlane = 'coronal' | 'sagittal';

/** A curved reformat: its pixels and the mapping between pixels and LPS mm. */
export interface Reformat {
  plane: ReformatPlane;
  width: number;
  height: number;
  pixelMm: number;
  /** World coordinate (mm) of column 0 along the column axis (L for coronal, P for sagittal). */
  col0Mm: number;
  /** S coordinate (mm) of row 0 (the top row). */
  topSMm: number;
  /** Sampled values (HU), row-major, NaN outside the volume. */
  values: Float32Array;
  /** Depth coordinate (y for coronal, x for sagittal) of the curved surface at row r. */
  depthAt(row: number): number;
}

/**
 * The centreline's depth coordinate at height s (linear between its points,
 * clamped at its ends).
 * @param centreline LPS mm points, in any order along S
 * @param axis 0 (x, for the sagittal surface) or 1 (y, for the coronal surface)
 */
export function centrelineDepthAt(centreline: readonly Vec3[], s: number, axis: 0 | 1): number {
  const pts = [...centreline].sort((a, b) => a[2] - b[2]);
  if (!pts.length) return 0;
  if (s <= pts[0]![2]) return pts[0]![axis];
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    if (s <= b[2]) {
      const f = b[2] === a[2] ? 0 : (s - a[2]) / (b[2] - a[2]);
      return a[axis] + f * (b[axis] - a[axis]);
    }
  }
  return pts[pts.length - 1]![axis];
}

/**
 * Samples a curved reformat (nearest neighbour) of the volume along the spine.
 * @param voxels the volume's voxels (x fastest), geometry `g` in LPS mm
 * @param centreline body centreline, LPS mm
 * @param halfWidthMm half the extent across (coronal: each side of the midline; sagittal: each side of the centreline, 40 % anterior)
 * @param marginMm extent above and below the centreline
 * @throws Error when the centreline is empty
 */
export function curvedReformat(
  voxels: ArrayLike<number>,
  g: VolumeGeometry,
  centreline: readonly Vec3[],
  plane: ReformatPlane,
  pixelMm = 1,
  halfWidthMm = 90,
  marginMm = 25,
): Reformat {
  if (!centreline.length) throw new Error('curved reformat: the spine centreline is empty');
  let sLo = Infinity;
  let sHi = -Infinity;
  let mid = 0;
  const colAxis = plane === 'coronal' ? 0 : 1;
  for (const p of centreline) {
    sLo = Math.min(sLo, p[2]);
    sHi = Math.max(sHi, p[2]);
    mid += p[colAxis] / centreline.length;
  }
  const topSMm = sHi + marginMm;
  const height = Math.max(1, Math.round((sHi - sLo + 2 * marginMm) / pixelMm));
  const width = Math.max(1, Math.round((2 * halfWidthMm) / pixelMm));
  // sagittal: the body sits 40 % from the left (anterior), leaving room for the posterior elements
  const col0Mm = plane === 'coronal' ? mid - halfWidthMm : mid - 0.8 * halfWidthMm;
  const depthAxis = plane === 'coronal' ? 1 : 0;
  const depths = new Float64Array(height);
  for (let r = 0; r < height; r++) depths[r] = centrelineDepthAt(centreline, topSMm - r * pixelMm, depthAxis);
  const values = new Float32Array(width * height);
  const [nx, ny, nz] = g.dims;
  const p: Vec3 = [0, 0, 0];
  for (let r = 0; r < height; r++) {
    p[2] = topSMm - r * pixelMm;
    p[depthAxis] = depths[r]!;
    for (let c = 0; c < width; c++) {
      p[colAxis] = col0Mm + c * pixelMm;
      const q = lpsToIndex(g, p);
      const i = Math.round(q[0]);
      const j = Math.round(q[1]);
      const k = Math.round(q[2]);
      values[r * width + c] = i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz ? NaN : Number(voxels[i + nx * (j + ny * k)]);
    }
  }
  return { plane, width, height, pixelMm, col0Mm, topSMm, values, depthAt: (row) => depths[Math.max(0, Math.min(height - 1, Math.round(row)))]! };
}

/** Pixel (column, row; fractional) of an LPS point on a reformat (its depth coordinate is ignored). */
export function lpsToPixel(f: Reformat, p: readonly number[]): [number, number] {
  const along = f.plane === 'coronal' ? p[0]! : p[1]!;
  return [(along - f.col0Mm) / f.pixelMm, (f.topSMm - p[2]!) / f.pixelMm];
}

/**
 * LPS point of a pixel: the column and row give the in-plane coordinates, the
 * depth coordinate is `depthMm` when given (e.g. the dragged centroid's own)
 * or the curved surface's at that row.
 */
export function pixelToLps(f: Reformat, col: number, row: number, depthMm?: number): Vec3 {
  const along = f.col0Mm + col * f.pixelMm;
  const s = f.topSMm - row * f.pixelMm;
  const d = depthMm ?? f.depthAt(row);
  return f.plane === 'coronal' ? [along, d, s] : [d, along, s];
}

/**
 * Screen segment of an endplate in a reformat: the line through the plane's
 * point perpendicular to its normal projected on the image plane, `halfMm` each side.
 * @returns [[col, row], [col, row]] or null when the normal is perpendicular to the image plane
 */
export function endplateSegment(f: Reformat, point: Vec3, normal: Vec3, halfMm: number): [[number, number], [number, number]] | null {
  const nu = f.plane === 'coronal' ? normal[0] : normal[1];
  const ns = normal[2];
  const len = Math.hypot(nu, ns);
  if (len < 1e-6) return null;
  // in-plane direction perpendicular to (nu, ns): (ns, −nu)
  const du = ns / len;
  const dz = -nu / len;
  const a = [...point] as Vec3;
  const b = [...point] as Vec3;
  const ax = f.plane === 'coronal' ? 0 : 1;
  a[ax] -= du * halfMm;
  a[2] -= dz * halfMm;
  b[ax] += du * halfMm;
  b[2] += dz * halfMm;
  return [lpsToPixel(f, a), lpsToPixel(f, b)];
}

/** Grey value (0–255) of a HU sample for the window/level; black outside the volume. */
export function greyOf(hu: number, window: number, level: number): number {
  if (Number.isNaN(hu)) return 0;
  const v = ((hu - (level - window / 2)) / window) * 255;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
