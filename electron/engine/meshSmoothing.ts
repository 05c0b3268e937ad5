/**
 * Taubin λ|μ smoothing (G. Taubin, "A signal processing approach to fair
 * surface design", SIGGRAPH 1995): a low-pass filter without shrinkage,
 * equivalent in purpose to VTK's windowed-sinc filter; and the vertex
 * adjacency it smooths over. Step 2 of the pipeline in surface.ts.
 */
import type { TriangleMesh } from './triangleMesh.js';

/** Vertex adjacency in CSR form (unique neighbours per vertex). */
export function vertexNeighbours(nVerts: number, tris: Uint32Array): { offsets: Uint32Array; neighbours: Uint32Array } {
  const deg = new Uint32Array(nVerts + 1);
  for (let t = 0; t < tris.length; t += 3)
    for (let e = 0; e < 3; e++) {
      deg[tris[t + e] as number]! += 2;
    }
  const offsets = new Uint32Array(nVerts + 1);
  for (let v = 0; v < nVerts; v++) offsets[v + 1] = (offsets[v] as number) + (deg[v] as number);
  const raw = new Uint32Array(offsets[nVerts] as number);
  const fill = offsets.slice(0, nVerts);
  for (let t = 0; t < tris.length; t += 3) {
    const a = tris[t] as number,
      b = tris[t + 1] as number,
      c = tris[t + 2] as number;
    ((raw[fill[a]!++] = b), (raw[fill[a]!++] = c));
    ((raw[fill[b]!++] = c), (raw[fill[b]!++] = a));
    ((raw[fill[c]!++] = a), (raw[fill[c]!++] = b));
  }
  // de-duplicate per vertex
  const outOff = new Uint32Array(nVerts + 1);
  const out = new Uint32Array(raw.length);
  let w = 0;
  for (let v = 0; v < nVerts; v++) {
    const s = offsets[v] as number,
      e = offsets[v + 1] as number;
    const seg = raw.subarray(s, e).sort();
    outOff[v] = w;
    for (let q = 0; q < seg.length; q++) if (q === 0 || seg[q] !== seg[q - 1]) out[w++] = seg[q] as number;
  }
  outOff[nVerts] = w;
  return { offsets: outOff, neighbours: out.slice(0, w) };
}

/**
 * Taubin λ|μ smoothing in place (uniform umbrella weights).
 * @param iterations number of λ/μ pairs (default 15)
 */
export function taubinSmooth(mesh: TriangleMesh, iterations = 15, lambda = 0.5, mu = -0.53): void {
  const n = mesh.points.length / 3;
  if (n === 0 || iterations <= 0) return;
  const { offsets, neighbours } = vertexNeighbours(n, mesh.triangles);
  const p = mesh.points;
  const tmp = new Float32Array(p.length);
  const step = (f: number): void => {
    for (let v = 0; v < n; v++) {
      const s = offsets[v] as number,
        e = offsets[v + 1] as number;
      if (e === s) {
        tmp[3 * v] = p[3 * v] as number;
        tmp[3 * v + 1] = p[3 * v + 1] as number;
        tmp[3 * v + 2] = p[3 * v + 2] as number;
        continue;
      }
      let x = 0,
        y = 0,
        z = 0;
      for (let q = s; q < e; q++) {
        const u = 3 * (neighbours[q] as number);
        x += p[u] as number;
        y += p[u + 1] as number;
        z += p[u + 2] as number;
      }
      const inv = 1 / (e - s);
      const px = p[3 * v] as number,
        py = p[3 * v + 1] as number,
        pz = p[3 * v + 2] as number;
      tmp[3 * v] = px + f * (x * inv - px);
      tmp[3 * v + 1] = py + f * (y * inv - py);
      tmp[3 * v + 2] = pz + f * (z * inv - pz);
    }
    p.set(tmp);
  };
  for (let it = 0; it < iterations; it++) {
    step(lambda);
    step(mu);
  }
}
