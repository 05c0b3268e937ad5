/**
 * The image side of the markerless registration: the skin mesh of the twin
 * (LPS mm) as an oriented point set, without the caps that close a body cut
 * by the edge of the field of view (no camera sees those).
 */
import { lpsToIndex, type VolumeGeometry } from '../volume.js';
import { vertexNormals, type TriangleMesh } from '../surface.js';
import type { OrientedCloud } from './icp.js';

/** True when an LPS point (mm) lies within half a voxel of a face of the volume: a cap vertex where the body is cut by the field of view. */
export function onVolumeFace(g: VolumeGeometry, x: number, y: number, z: number): boolean {
  const q = lpsToIndex(g, [x, y, z]);
  return q.some((v, k) => v < 0.5 || v > g.dims[k as 0 | 1 | 2] - 1.5);
}

/**
 * The skin mesh without its field-of-view caps (triangles with a vertex on a
 * face of the volume are dropped; unused vertices are kept, so vertex indices
 * do not change).
 * @param g geometry of the volume the skin was segmented from
 */
export function skinWithoutCaps(mesh: TriangleMesh, g: VolumeGeometry): TriangleMesh {
  const n = mesh.points.length / 3;
  const cap = new Uint8Array(n);
  for (let i = 0; i < n; i++) cap[i] = onVolumeFace(g, mesh.points[3 * i]!, mesh.points[3 * i + 1]!, mesh.points[3 * i + 2]!) ? 1 : 0;
  const tris: number[] = [];
  for (let t = 0; t < mesh.triangles.length; t += 3) {
    const a = mesh.triangles[t]!,
      b = mesh.triangles[t + 1]!,
      c = mesh.triangles[t + 2]!;
    if (!cap[a] && !cap[b] && !cap[c]) tris.push(a, b, c);
  }
  return { points: mesh.points, triangles: Uint32Array.from(tris) };
}

/**
 * The vertices of a skin mesh that belong to a triangle, with their outward
 * area-weighted normals: the fixed side of the skin registration (LPS mm).
 */
export function orientedSkin(mesh: TriangleMesh): OrientedCloud {
  const normals = vertexNormals(mesh);
  const used = new Uint8Array(mesh.points.length / 3);
  for (const v of mesh.triangles) used[v] = 1;
  const pts: number[] = [],
    nrm: number[] = [];
  for (let i = 0; i < used.length; i++)
    if (used[i]) {
      pts.push(mesh.points[3 * i]!, mesh.points[3 * i + 1]!, mesh.points[3 * i + 2]!);
      nrm.push(normals[3 * i]!, normals[3 * i + 1]!, normals[3 * i + 2]!);
    }
  return { points: Float64Array.from(pts), normals: Float64Array.from(nrm) };
}

/**
 * The nominal camera → image pose of the set-up, the registration's prior: a
 * camera `distanceMm` from the exposed skin looking at it along the
 * anterior–posterior axis, head at the top of the image (camera x right, y
 * down, z forward). 'back': behind the patient (prone), optical axis anterior;
 * 'front': in front (supine), optical axis posterior.
 * @param points skin points (LPS mm, xyz interleaved)
 * @returns row-major 4×4 camera → image (LPS mm)
 */
export function cameraPrior(points: ArrayLike<number>, view: 'back' | 'front' = 'back', distanceMm = 650): number[] {
  const lo = [Infinity, Infinity, Infinity],
    hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < points.length; i++) {
    const k = i % 3;
    lo[k] = Math.min(lo[k]!, points[i]!);
    hi[k] = Math.max(hi[k]!, points[i]!);
  }
  const c = [0, 1, 2].map((k) => (lo[k]! + hi[k]!) / 2);
  // columns: camera x → patient right (−L) seen from behind, left (+L) from the front; y (down) → feet (−S); z → ∓P
  return view === 'back'
    ? [-1, 0, 0, c[0]!, 0, 0, -1, hi[1]! + distanceMm, 0, -1, 0, c[2]!, 0, 0, 0, 1]
    : [1, 0, 0, c[0]!, 0, 0, 1, lo[1]! - distanceMm, 0, -1, 0, c[2]!, 0, 0, 0, 1];
}
