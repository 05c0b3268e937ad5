/**
 * Decimation by vertex clustering with mean cluster positions (J. Rossignac
 * & P. Borrel, 1993; VTK's vtkQuadricClustering family) on a grid whose cell
 * size is grown until the triangle budget is met. Degenerate faces are
 * dropped and coincident face pairs cancelled, which keeps the surface
 * watertight (a simplicial map of a closed 2-cycle). Step 3 of the pipeline
 * in surface.ts. Positions in LPS mm.
 */
import { GrowF32, GrowU32, type TriangleMesh } from './triangleMesh.js';

/**
 * Vertex clustering on a grid of cell size `cellMm` (see the header of this file).
 * Unused vertices are dropped.
 */
export function clusterVertices(mesh: TriangleMesh, cellMm: number): TriangleMesh {
  const p = mesh.points;
  const n = p.length / 3;
  let minX = Infinity,
    minY = Infinity,
    minZ = Infinity;
  for (let v = 0; v < n; v++) {
    minX = Math.min(minX, p[3 * v] as number);
    minY = Math.min(minY, p[3 * v + 1] as number);
    minZ = Math.min(minZ, p[3 * v + 2] as number);
  }
  const key = new Map<number, number>();
  const clusterOf = new Uint32Array(n);
  const sums: number[] = [];
  const K = 1 << 20;
  for (let v = 0; v < n; v++) {
    const a = Math.floor(((p[3 * v] as number) - minX) / cellMm);
    const b = Math.floor(((p[3 * v + 1] as number) - minY) / cellMm);
    const c = Math.floor(((p[3 * v + 2] as number) - minZ) / cellMm);
    const h = a + K * (b + K * c);
    let id = key.get(h);
    if (id === undefined) {
      id = sums.length / 4;
      key.set(h, id);
      sums.push(0, 0, 0, 0);
    }
    clusterOf[v] = id;
    sums[4 * id]! += p[3 * v] as number;
    sums[4 * id + 1]! += p[3 * v + 1] as number;
    sums[4 * id + 2]! += p[3 * v + 2] as number;
    sums[4 * id + 3]! += 1;
  }
  // triangles over clusters; drop degenerate ones, cancel coincident pairs
  const tris = mesh.triangles;
  // the same cluster triangle twice (either orientation) cancels: count by sorted triple.
  // Keys are exact numbers while clusters³ < 2⁵³, strings beyond.
  const nC = sums.length / 4;
  const numeric = nC * nC * nC < Number.MAX_SAFE_INTEGER;
  const faceCount = new Map<number | string, { count: number; t: [number, number, number] }>();
  for (let t = 0; t < tris.length; t += 3) {
    const a = clusterOf[tris[t] as number] as number;
    const b = clusterOf[tris[t + 1] as number] as number;
    const c = clusterOf[tris[t + 2] as number] as number;
    if (a === b || b === c || a === c) continue;
    const lo = Math.min(a, b, c);
    const hi = Math.max(a, b, c);
    const mid = a + b + c - lo - hi;
    const k = numeric ? (lo * nC + mid) * nC + hi : `${lo},${mid},${hi}`;
    const e = faceCount.get(k);
    if (e) e.count++;
    else faceCount.set(k, { count: 1, t: [a, b, c] });
  }
  const used = new Int32Array(sums.length / 4).fill(-1);
  const outTris = new GrowU32();
  const outPts = new GrowF32();
  let nv = 0;
  for (const { count, t } of faceCount.values()) {
    if (count % 2 === 0) continue;
    const ids = t.map((c) => {
      if ((used[c] as number) < 0) {
        used[c] = nv++;
        const w = sums[4 * c + 3] as number;
        outPts.push3((sums[4 * c] as number) / w, (sums[4 * c + 1] as number) / w, (sums[4 * c + 2] as number) / w);
      }
      return used[c] as number;
    });
    outTris.push3(ids[0] as number, ids[1] as number, ids[2] as number);
  }
  return { points: outPts.result(), triangles: outTris.result() };
}

/**
 * Decimates by vertex clustering until the mesh has at most `maxTriangles`.
 * The first cell size is estimated from the triangle count (the count falls
 * with the square of the cell size); it grows by 10 % until the budget holds.
 * @returns the decimated mesh and the cell size used (0 when no decimation was needed)
 */
export function decimateToBudget(mesh: TriangleMesh, maxTriangles: number): { mesh: TriangleMesh; cellMm: number } {
  const nT = mesh.triangles.length / 3;
  if (nT <= maxTriangles) return { mesh, cellMm: 0 };
  const meanEdge = meanEdgeLength(mesh);
  let cell = meanEdge * Math.sqrt(nT / maxTriangles) * 1.05;
  for (let attempt = 0; attempt < 30; attempt++) {
    const out = clusterVertices(mesh, cell);
    if (out.triangles.length / 3 <= maxTriangles) return { mesh: out, cellMm: cell };
    cell *= 1.1;
  }
  throw new Error(`decimateToBudget: could not reach ${maxTriangles} triangles`);
}

/** Mean length (mm) of the first edge of every triangle, sampled down to about 20 000 triangles; 1 for an empty mesh. */
export function meanEdgeLength(mesh: TriangleMesh): number {
  const p = mesh.points;
  const t = mesh.triangles;
  let sum = 0;
  const nT = t.length / 3;
  const stride = Math.max(1, Math.floor(nT / 20000));
  let m = 0;
  for (let f = 0; f < nT; f += stride) {
    const a = 3 * (t[3 * f] as number),
      b = 3 * (t[3 * f + 1] as number);
    sum += Math.hypot((p[a] as number) - (p[b] as number), (p[a + 1] as number) - (p[b + 1] as number), (p[a + 2] as number) - (p[b + 2] as number));
    m++;
  }
  return m ? sum / m : 1;
}
