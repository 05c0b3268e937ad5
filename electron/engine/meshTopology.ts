/**
 * Normals, measures and topology of triangle meshes (LPS mm): area-weighted
 * outward vertex normals (step 4 of the pipeline in surface.ts), surface
 * area, enclosed volume, connectivity/closedness, and the largest connected
 * piece.
 */
import { GrowF32, GrowU32, type TriangleMesh } from './triangleMesh.js';

/**
 * Unnormalised normal (b − a) × (c − a) of the triangle with vertex offsets a,
 * b, c (3 × vertex index) in `p`; its length is twice the triangle's area.
 */
export function triangleCross(p: Float32Array, a: number, b: number, c: number, out: Float64Array): void {
  const ux = (p[b] as number) - (p[a] as number),
    uy = (p[b + 1] as number) - (p[a + 1] as number),
    uz = (p[b + 2] as number) - (p[a + 2] as number);
  const vx = (p[c] as number) - (p[a] as number),
    vy = (p[c + 1] as number) - (p[a + 1] as number),
    vz = (p[c + 2] as number) - (p[a + 2] as number);
  out[0] = uy * vz - uz * vy;
  out[1] = uz * vx - ux * vz;
  out[2] = ux * vy - uy * vx;
}

/** Area-weighted unit vertex normals (outward for a correctly oriented mesh). */
export function vertexNormals(mesh: TriangleMesh): Float32Array {
  const p = mesh.points;
  const t = mesh.triangles;
  const nrm = new Float32Array(p.length);
  const n = new Float64Array(3);
  for (let f = 0; f < t.length; f += 3) {
    const a = 3 * (t[f] as number),
      b = 3 * (t[f + 1] as number),
      c = 3 * (t[f + 2] as number);
    triangleCross(p, a, b, c, n);
    for (const q of [a, b, c]) {
      nrm[q]! += n[0] as number;
      nrm[q + 1]! += n[1] as number;
      nrm[q + 2]! += n[2] as number;
    }
  }
  for (let q = 0; q < nrm.length; q += 3) {
    const l = Math.hypot(nrm[q] as number, nrm[q + 1] as number, nrm[q + 2] as number) || 1;
    nrm[q]! /= l;
    nrm[q + 1]! /= l;
    nrm[q + 2]! /= l;
  }
  return nrm;
}

/** Total triangle area in mm². */
export function surfaceAreaMm2(mesh: TriangleMesh): number {
  const p = mesh.points;
  const t = mesh.triangles;
  const n = new Float64Array(3);
  let s = 0;
  for (let f = 0; f < t.length; f += 3) {
    triangleCross(p, 3 * (t[f] as number), 3 * (t[f + 1] as number), 3 * (t[f + 2] as number), n);
    s += 0.5 * Math.hypot(n[0] as number, n[1] as number, n[2] as number);
  }
  return s;
}

/** Signed enclosed volume (mm³, divergence theorem); positive for an outward-oriented closed mesh. */
export function enclosedVolumeMm3(mesh: TriangleMesh): number {
  const p = mesh.points;
  const t = mesh.triangles;
  let s = 0;
  for (let f = 0; f < t.length; f += 3) {
    const a = 3 * (t[f] as number),
      b = 3 * (t[f + 1] as number),
      c = 3 * (t[f + 2] as number);
    const ax = p[a] as number,
      ay = p[a + 1] as number,
      az = p[a + 2] as number;
    const bx = p[b] as number,
      by = p[b + 1] as number,
      bz = p[b + 2] as number;
    const cx = p[c] as number,
      cy = p[c + 1] as number,
      cz = p[c + 2] as number;
    s += ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx);
  }
  return s / 6;
}

export interface MeshTopology {
  /** Connected components (triangles sharing a vertex are connected). */
  components: number;
  /** Edges used by an odd number of triangles (0 for a watertight surface). */
  boundaryEdges: number;
  /** Edges used by more than two triangles. */
  nonManifoldEdges: number;
  /** Euler characteristic V − E + F. */
  euler: number;
}

/** Union-find root of every vertex, vertices joined along triangle edges. */
export function vertexRoots(mesh: TriangleMesh): Int32Array {
  const t = mesh.triangles;
  const parent = new Int32Array(mesh.points.length / 3).map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x] as number] as number;
      x = parent[x] as number;
    }
    return x;
  };
  for (let f = 0; f < t.length; f += 3) {
    const a = find(t[f] as number);
    const b = find(t[f + 1] as number);
    if (a !== b) parent[b] = a;
    const c = find(t[f + 2] as number);
    if (c !== a) parent[c] = a;
  }
  for (let v = 0; v < parent.length; v++) parent[v] = find(v);
  return parent;
}

/** Connectivity and closedness of a triangle mesh. */
export function meshTopology(mesh: TriangleMesh): MeshTopology {
  const t = mesh.triangles;
  const nV = mesh.points.length / 3;
  const root = vertexRoots(mesh);
  const edges = new Map<number, number>();
  for (let f = 0; f < t.length; f += 3) {
    for (let e = 0; e < 3; e++) {
      const a = t[f + e] as number;
      const b = t[f + ((e + 1) % 3)] as number;
      const k = a < b ? a * nV + b : b * nV + a;
      edges.set(k, (edges.get(k) ?? 0) + 1);
    }
  }
  const used = new Uint8Array(nV);
  for (let f = 0; f < t.length; f++) used[t[f] as number] = 1;
  const roots = new Set<number>();
  let usedCount = 0;
  for (let v = 0; v < nV; v++)
    if (used[v]) {
      roots.add(root[v] as number);
      usedCount++;
    }
  let boundary = 0;
  let nonManifold = 0;
  for (const c of edges.values()) {
    if (c % 2 === 1) boundary++;
    if (c > 2) nonManifold++;
  }
  return { components: roots.size, boundaryEdges: boundary, nonManifoldEdges: nonManifold, euler: usedCount - edges.size + t.length / 3 };
}

/**
 * The largest connected piece of a mesh (triangles sharing vertices), with
 * unused vertices dropped — as vtkPolyDataConnectivityFilter's largest region.
 */
export function largestComponent(mesh: TriangleMesh): TriangleMesh {
  const t = mesh.triangles;
  const nV = mesh.points.length / 3;
  const root = vertexRoots(mesh);
  const find = (v: number): number => root[v] as number;
  const count = new Map<number, number>();
  for (let f = 0; f < t.length; f += 3) {
    const r = find(t[f] as number);
    count.set(r, (count.get(r) ?? 0) + 1);
  }
  let best = -1;
  let bestN = -1;
  for (const [r, n] of count) if (n > bestN) ((best = r), (bestN = n));
  if (count.size <= 1) return mesh;
  const map = new Int32Array(nV).fill(-1);
  const pts = new GrowF32();
  const tris = new GrowU32();
  let nv = 0;
  for (let f = 0; f < t.length; f += 3) {
    if (find(t[f] as number) !== best) continue;
    const ids = [0, 1, 2].map((e) => {
      const v = t[f + e] as number;
      if ((map[v] as number) < 0) {
        map[v] = nv++;
        pts.push3(mesh.points[3 * v] as number, mesh.points[3 * v + 1] as number, mesh.points[3 * v + 2] as number);
      }
      return map[v] as number;
    });
    tris.push3(ids[0] as number, ids[1] as number, ids[2] as number);
  }
  return { points: pts.result(), triangles: tris.result() };
}
