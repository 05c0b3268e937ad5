/**
 * Surface meshes of binary masks, in LPS millimetres.
 *
 * Pipeline (each step a public function):
 * 1. `surfaceNets` — naive Surface Nets (S. F. F. Gibson, "Constrained
 *    elastic surface nets", MICCAI 1998): one vertex per boundary cell of the
 *    zero-padded mask at the mean of its edge crossings, one quad per voxel
 *    face between inside and outside. The result is watertight: every edge is
 *    shared by an even number of faces (two, except at checkerboard faces).
 * 2. `taubinSmooth` — λ|μ smoothing (G. Taubin, "A signal processing
 *    approach to fair surface design", SIGGRAPH 1995), a low-pass filter
 *    without shrinkage, equivalent in purpose to VTK's windowed-sinc filter.
 * 3. `decimateToBudget` — vertex clustering with mean cluster positions
 *    (J. Rossignac & P. Borrel, 1993; VTK's vtkQuadricClustering family) on a
 *    grid whose cell size is grown until the triangle budget is met.
 *    Degenerate faces are dropped and coincident face pairs cancelled, which
 *    keeps the surface watertight (a simplicial map of a closed 2-cycle).
 * 4. `vertexNormals` — area-weighted vertex normals, pointing outward.
 *
 * The stages live in surfaceNets.ts, meshSmoothing.ts, meshDecimation.ts and
 * meshTopology.ts (with the mesh type in triangleMesh.ts); this module
 * re-exports them and runs the full pipeline (`meshFromMask`).
 */
import { decimateToBudget } from './meshDecimation.js';
import { taubinSmooth } from './meshSmoothing.js';
import { largestComponent, vertexNormals } from './meshTopology.js';
import { surfaceNets } from './surfaceNets.js';
import type { TriangleMesh } from './triangleMesh.js';
import type { VolumeGeometry } from './volume.js';

export type { TriangleMesh } from './triangleMesh.js';
export { surfaceNets } from './surfaceNets.js';
export { taubinSmooth, vertexNeighbours } from './meshSmoothing.js';
export { clusterVertices, decimateToBudget, meanEdgeLength } from './meshDecimation.js';
export {
  enclosedVolumeMm3,
  largestComponent,
  meshTopology,
  surfaceAreaMm2,
  triangleCross,
  vertexNormals,
  vertexRoots,
  type MeshTopology,
} from './meshTopology.js';

export interface SurfaceParams {
  /** Taubin λ|μ iterations before and after decimation (default 10). */
  smoothingIterations: number;
  /** Triangle budget after decimation. */
  maxTriangles: number;
  /** Keep only the largest connected piece (the skin: one closed surface). */
  largestOnly?: boolean;
}

export interface SurfaceResult {
  mesh: TriangleMesh;
  trianglesBeforeDecimation: number;
  decimationCellMm: number;
}

/**
 * The full mask → mesh pipeline: Surface Nets, smoothing, decimation to the
 * budget, smoothing, normals.
 */
export function meshFromMask(mask: Uint8Array, g: VolumeGeometry, p: SurfaceParams): SurfaceResult {
  const raw = surfaceNets(mask, g);
  const before = raw.triangles.length / 3;
  // smooth the full-resolution surface only when it is kept; a decimated one is smoothed after clustering
  if (before <= p.maxTriangles) taubinSmooth(raw, p.smoothingIterations);
  const dec = decimateToBudget(raw, p.maxTriangles);
  const cellMm = dec.cellMm;
  const mesh = p.largestOnly ? largestComponent(dec.mesh) : dec.mesh;
  if (cellMm > 0) taubinSmooth(mesh, p.smoothingIterations);
  mesh.normals = vertexNormals(mesh);
  return { mesh, trianglesBeforeDecimation: before, decimationCellMm: cellMm };
}
