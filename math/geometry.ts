/**
 * Voxel-grid geometry in patient world coordinates (runtime-neutral: used by
 * the engine and the renderer).
 *
 * Convention (the same as ITK and DICOM): world coordinates are LPS
 * (x → patient Left, y → Posterior, z → Superior), in millimetres. A voxel
 * index (i, j, k), with i varying fastest in `data`, maps to
 *
 *   p_LPS = origin + D · diag(spacing) · [i, j, k]ᵀ
 *
 * where `direction` D is a row-major 3×3 matrix whose column c is the unit
 * LPS direction of index axis c. Oblique directions are allowed.
 */

export type Vec3 = [number, number, number];
/** Row-major 3×3 matrix: m[row * 3 + col]. */
export type Mat3 = [number, number, number, number, number, number, number, number, number];

/** Geometry of a voxel grid in LPS mm. */
export interface VolumeGeometry {
  /** Number of voxels along i, j, k. */
  dims: Vec3;
  /** Voxel spacing along i, j, k in mm. */
  spacingMm: Vec3;
  /** LPS position (mm) of the centre of voxel (0, 0, 0). */
  originLps: Vec3;
  /** Row-major direction cosines; column c is index axis c in LPS. */
  direction: Mat3;
}

/**
 * World position (LPS mm) of the continuous voxel index `ijk`.
 * @param g grid geometry
 * @param ijk voxel index (may be fractional)
 * @returns LPS position in mm
 */
export function indexToLps(g: VolumeGeometry, ijk: readonly number[]): Vec3 {
  const d = g.direction;
  const s = g.spacingMm;
  const a = (ijk[0] ?? 0) * s[0];
  const b = (ijk[1] ?? 0) * s[1];
  const c = (ijk[2] ?? 0) * s[2];
  return [g.originLps[0] + d[0] * a + d[1] * b + d[2] * c, g.originLps[1] + d[3] * a + d[4] * b + d[5] * c, g.originLps[2] + d[6] * a + d[7] * b + d[8] * c];
}

/**
 * Continuous voxel index of an LPS point (mm). The direction matrix is assumed
 * orthonormal (as DICOM, NIfTI sform rotations and ITK require), so its inverse
 * is its transpose.
 */
export function lpsToIndex(g: VolumeGeometry, p: readonly number[]): Vec3 {
  const d = g.direction;
  const v0 = (p[0] ?? 0) - g.originLps[0];
  const v1 = (p[1] ?? 0) - g.originLps[1];
  const v2 = (p[2] ?? 0) - g.originLps[2];
  return [
    (d[0] * v0 + d[3] * v1 + d[6] * v2) / g.spacingMm[0],
    (d[1] * v0 + d[4] * v1 + d[7] * v2) / g.spacingMm[1],
    (d[2] * v0 + d[5] * v1 + d[8] * v2) / g.spacingMm[2],
  ];
}

/**
 * Index of the volume axis that is closest to the given LPS axis
 * (0 = L/R, 1 = A/P, 2 = S/I). Used to find the "axial" index axis of
 * a volume whose direction is a permutation or close to one.
 */
export function indexAxisClosestTo(g: VolumeGeometry, worldAxis: 0 | 1 | 2): 0 | 1 | 2 {
  let best: 0 | 1 | 2 = 0;
  let bestV = -1;
  for (const c of [0, 1, 2] as const) {
    const v = Math.abs(g.direction[worldAxis * 3 + c] as number);
    if (v > bestV) {
      bestV = v;
      best = c;
    }
  }
  return best;
}

/**
 * The centre of the voxel nearest to `p` (LPS mm), its index clamped into the grid: where the viewer's crosshair
 * sits. Each slice view shows the slice through this voxel, its label gives this position, and its crosshair lines
 * are drawn through it, so slice number, position and crosshair agree exactly (3D Slicer snaps slice offsets to voxel
 * centres the same way). Index components are rounded half up (60.5 → 61).
 * @param g grid geometry
 * @param p a point, LPS mm (any: outside the volume it snaps to the nearest border voxel)
 * @returns the voxel centre, LPS mm
 */
export function snapToVoxelCentre(g: VolumeGeometry, p: readonly number[]): Vec3 {
  const ijk = lpsToIndex(g, p);
  return indexToLps(
    g,
    ijk.map((v, a) => Math.max(0, Math.min(g.dims[a]! - 1, Math.round(v)))),
  );
}

/**
 * The voxel centre `step` slices from `p` along index axis `indexAxis` (the slice axis of a view), clamped to the
 * first and last slice; `p` is snapped first (snapToVoxelCentre). One step is one voxel of that axis, whatever the
 * spacing of the others.
 * @param g grid geometry
 * @param p the current position, LPS mm
 * @param indexAxis the index axis stepped (0 = i, 1 = j, 2 = k)
 * @param step slices to move (negative: back)
 * @returns the new voxel centre, LPS mm
 */
export function stepVoxelCentre(g: VolumeGeometry, p: readonly number[], indexAxis: 0 | 1 | 2, step: number): Vec3 {
  const ijk = lpsToIndex(g, snapToVoxelCentre(g, p)).map(Math.round) as Vec3;
  ijk[indexAxis] = Math.max(0, Math.min(g.dims[indexAxis] - 1, ijk[indexAxis] + Math.round(step)));
  return indexToLps(g, ijk);
}
