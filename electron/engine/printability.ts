/**
 * Printability of triangle meshes (LPS mm) for 3D printing, and repair where
 * it is safe. The checks follow what the 3MF Core Specification 1.3 (§4.1
 * "Meshes") requires of a model object's mesh and what slicers assume of an
 * STL: every edge is shared by exactly two triangles that traverse it in
 * opposite directions (closed, manifold, consistently oriented), no vertex
 * joins two otherwise separate surface fans (no non-manifold vertex), and the
 * triangles' normals (counter-clockwise winding seen from outside) point out
 * of the solid, i.e. the enclosed signed volume is positive.
 *
 * - `analysePrintability`: the counts (boundary, non-manifold and
 *   inconsistently oriented edges, non-manifold vertices, degenerate and
 *   duplicate triangles, shells), the signed volume and area, and a minimum
 *   wall thickness estimate (`wallThickness`).
 * - `repairMesh`: welds identical vertices, removes index-degenerate and
 *   duplicate triangles (a coincident pair of opposite windings cancels: an
 *   internal double wall), pairs the triangles around a non-manifold edge
 *   so that each solid wedge is bounded by its own two triangles, makes the
 *   winding consistent by breadth-first propagation over that adjacency,
 *   turns closed shells of negative volume inside out, and splits every
 *   non-manifold vertex into one vertex per fan of triangles. Holes are never
 *   filled: a mesh with boundary edges stays open, and the report says so.
 *
 * Pure (no node:): the engine's lint zone.
 */
import { enclosedVolumeMm3, surfaceAreaMm2, triangleCross } from './meshTopology.js';
import type { TriangleMesh } from './triangleMesh.js';

/** What `analysePrintability` finds (counts of edges, vertices and triangles; mm, mm², mm³). */
export interface PrintabilityReport {
  vertices: number;
  triangles: number;
  /** Edges of one triangle only (or an odd number): holes. 0 for a closed mesh. */
  boundaryEdges: number;
  /** Edges of more than two triangles. */
  nonManifoldEdges: number;
  /** Edges of two triangles that traverse it in the same direction (a flipped neighbour). */
  inconsistentEdges: number;
  /**
   * Vertices whose triangles form more than one fan (edge-connected around the vertex), not counting
   * the ends of non-manifold or boundary edges (those are counted as edges).
   */
  nonManifoldVertices: number;
  /** Triangles with a repeated vertex index. */
  degenerateTriangles: number;
  /** Triangles of zero area with three distinct vertices (slivers; reported, not removed). */
  zeroAreaTriangles: number;
  /** Triangles on the same three vertices as an earlier one (either winding). */
  duplicateTriangles: number;
  /** Edge-connected pieces of surface (manifold edges only). */
  shells: number;
  /** No boundary edge. */
  closed: boolean;
  /** Every edge of exactly two triangles, no non-manifold vertex, no degenerate or duplicate triangle. */
  manifold: boolean;
  /** Every two-triangle edge traversed in opposite directions. */
  consistentlyOriented: boolean;
  /** Enclosed signed volume (mm³); positive when the normals point outwards. */
  signedVolumeMm3: number;
  areaMm2: number;
  /** Axis-aligned bounds [min, max] in LPS mm. */
  boundsMm: { min: [number, number, number]; max: [number, number, number] };
  /** Minimum wall thickness estimate; null when not asked for. */
  wall: WallThickness | null;
}

/** Wall thickness sampled along inward normals (mm). */
export interface WallThickness {
  /** Points sampled (triangle centroids). */
  samples: number;
  /** Rays that met no surface (an open mesh or a wrong orientation). */
  missed: number;
  /** null when no ray met a surface. */
  minMm: number | null;
  /** 1st percentile of the sampled thicknesses (null as minMm). */
  p1Mm: number | null;
  medianMm: number | null;
  thresholdMm: number;
  /** Samples thinner than the threshold. */
  belowThreshold: number;
  /** LPS mm of the thinnest sample's centroid. */
  thinnestAtMm: [number, number, number];
}

/** What `repairMesh` did (counts). */
export interface RepairActions {
  /** Vertices merged into another with identical coordinates. */
  weldedVertices: number;
  degenerateRemoved: number;
  /** Same-winding copies removed. */
  duplicatesRemoved: number;
  /** Triangles removed as coincident pairs of opposite windings (internal double walls). */
  oppositePairsRemoved: number;
  /** Non-manifold edges whose triangles were paired (then split at their vertices). */
  nonManifoldEdgesSplit: number;
  /** Vertices duplicated (one copy per extra fan). */
  verticesSplit: number;
  /** Triangles flipped to agree with their shell's orientation. */
  trianglesFlipped: number;
  /** Closed shells of negative volume turned inside out. */
  shellsInverted: number;
}

export interface RepairResult {
  mesh: TriangleMesh;
  actions: RepairActions;
}

const edgeKey = (a: number, b: number, nV: number): number => (a < b ? a * nV + b : b * nV + a);

/** Edge → the triangles (indices) that use it, for a mesh without degenerate triangles. */
function edgeTriangles(t: Uint32Array, nV: number): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let f = 0; f < t.length / 3; f++)
    for (let e = 0; e < 3; e++) {
      const a = t[3 * f + e] as number,
        b = t[3 * f + ((e + 1) % 3)] as number;
      if (a === b) continue;
      const k = edgeKey(a, b, nV);
      const l = m.get(k);
      if (l) l.push(f);
      else m.set(k, [f]);
    }
  return m;
}

/** +1 when triangle f traverses a → b, −1 when b → a, 0 when it does not hold the edge. */
function direction(t: Uint32Array, f: number, a: number, b: number): number {
  for (let e = 0; e < 3; e++) {
    const u = t[3 * f + e],
      v = t[3 * f + ((e + 1) % 3)];
    if (u === a && v === b) return 1;
    if (u === b && v === a) return -1;
  }
  return 0;
}

function thirdVertex(t: Uint32Array, f: number, a: number, b: number): number {
  for (let e = 0; e < 3; e++) {
    const v = t[3 * f + e] as number;
    if (v !== a && v !== b) return v;
  }
  return a;
}

/**
 * Pairs the triangles around a non-manifold edge a–b: sorted by the angle of
 * their third vertex about the edge, a triangle traversing b → a (the solid
 * lies counter-clockwise of it) is paired with the next a → b triangle
 * counter-clockwise, matched like brackets, so that each pair bounds one
 * solid wedge and is consistently oriented (when the windings alternate,
 * each b → a triangle with its successor). Triangles left over (more of one
 * direction than of the other) stay unpaired: boundary.
 */
function pairAroundEdge(mesh: TriangleMesh, fs: number[], a: number, b: number, acrossAir = false): [number, number][] {
  const p = mesh.points;
  const t = mesh.triangles;
  const dx = (p[3 * b] as number) - (p[3 * a] as number),
    dy = (p[3 * b + 1] as number) - (p[3 * a + 1] as number),
    dz = (p[3 * b + 2] as number) - (p[3 * a + 2] as number);
  const dl = Math.hypot(dx, dy, dz) || 1;
  const d = [dx / dl, dy / dl, dz / dl] as const;
  // a basis (u, v) of the plane normal to d
  const ref = Math.abs(d[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  let u = [d[1] * ref[2]! - d[2] * ref[1]!, d[2] * ref[0]! - d[0] * ref[2]!, d[0] * ref[1]! - d[1] * ref[0]!];
  const ul = Math.hypot(u[0]!, u[1]!, u[2]!);
  u = u.map((x) => x / ul);
  const v = [d[1] * u[2]! - d[2] * u[1]!, d[2] * u[0]! - d[0] * u[2]!, d[0] * u[1]! - d[1] * u[0]!];
  const around = fs.map((f) => {
    const c = thirdVertex(t, f, a, b);
    const w = [
      (p[3 * c] as number) - (p[3 * a] as number),
      (p[3 * c + 1] as number) - (p[3 * a + 1] as number),
      (p[3 * c + 2] as number) - (p[3 * a + 2] as number),
    ];
    return { f, angle: Math.atan2(w[0]! * v[0]! + w[1]! * v[1]! + w[2]! * v[2]!, w[0]! * u[0]! + w[1]! * u[1]! + w[2]! * u[2]!), dir: direction(t, f, a, b) };
  });
  around.sort((x, y) => x.angle - y.angle);
  const n = around.length;
  const pairs: [number, number][] = [];
  // a b→a triangle opens a solid wedge (counter-clockwise of it), an a→b one closes it: match them as
  // balanced brackets, read counter-clockwise from the rotation where the running balance is lowest
  let bal = 0,
    low = 0,
    start = 0;
  // across the air instead: an a→b triangle opens, a b→a one closes (the other consistent pairing)
  const opener = acrossAir ? 1 : -1;
  for (let i = 0; i < n; i++) {
    bal += around[i]!.dir === opener ? 1 : around[i]!.dir === -opener ? -1 : 0;
    if (bal < low) ((low = bal), (start = i + 1));
  }
  const open: number[] = [];
  for (let j = 0; j < n; j++) {
    const x = around[(start + j) % n]!;
    if (x.dir === opener) open.push(x.f);
    else if (x.dir === -opener && open.length) pairs.push([open.pop()!, x.f]);
  }
  return pairs;
}

/**
 * Triangle adjacency: for each triangle's edge e (v[e] → v[e+1]) the
 * neighbouring triangle across it, or −1 (a boundary, or an unpaired
 * triangle at a non-manifold edge). Non-manifold edges are paired by
 * `pairAroundEdge`.
 */
function adjacency(
  mesh: TriangleMesh,
  acrossAir: ReadonlySet<number> = new Set(),
): { nb: Int32Array; nonManifoldEdges: number; boundaryEdges: number; paired: { key: number; a: number; b: number; pairs: [number, number][] }[] } {
  const t = mesh.triangles;
  const nV = mesh.points.length / 3;
  const nb = new Int32Array(t.length).fill(-1);
  const slot = (f: number, a: number, b: number): number => {
    for (let e = 0; e < 3; e++) {
      const u = t[3 * f + e],
        v = t[3 * f + ((e + 1) % 3)];
      if ((u === a && v === b) || (u === b && v === a)) return 3 * f + e;
    }
    return -1;
  };
  let nonManifoldEdges = 0;
  let boundaryEdges = 0;
  const paired: { key: number; a: number; b: number; pairs: [number, number][] }[] = [];
  for (const [k, fs] of edgeTriangles(t, nV)) {
    const a = Math.floor(k / nV),
      b = k % nV;
    let pairs: [number, number][];
    if (fs.length === 1) {
      boundaryEdges++;
      continue;
    } else if (fs.length === 2) pairs = [[fs[0]!, fs[1]!]];
    else {
      nonManifoldEdges++;
      pairs = pairAroundEdge(mesh, fs, a, b, acrossAir.has(k));
      paired.push({ key: k, a, b, pairs });
      if (fs.length % 2 === 1) boundaryEdges++;
    }
    for (const [f, g] of pairs) {
      nb[slot(f, a, b)] = g;
      nb[slot(g, a, b)] = f;
    }
  }
  return { nb, nonManifoldEdges, boundaryEdges, paired };
}

/**
 * Groups each vertex's triangles into fans (connected through the adjacency
 * across edges at that vertex). @returns per corner (3 f + k) its fan's id,
 * and the number of vertices with more than one fan
 */
function vertexFans(t: Uint32Array, nV: number, nb: Int32Array): { fanOfCorner: Int32Array; fansPerVertex: Int32Array } {
  const fanOfCorner = new Int32Array(t.length).fill(-1);
  const fansPerVertex = new Int32Array(nV);
  const stack: number[] = [];
  for (let c0 = 0; c0 < t.length; c0++) {
    if ((fanOfCorner[c0] as number) >= 0) continue;
    const v = t[c0] as number;
    const fan = fansPerVertex[v]!++;
    fanOfCorner[c0] = fan;
    stack.push(c0);
    while (stack.length) {
      const c = stack.pop()!;
      const f = Math.floor(c / 3),
        k = c % 3;
      // the two edges of f at this corner: (k, k+1) and (k−1, k)
      for (const e of [k, (k + 2) % 3]) {
        const g = nb[3 * f + e] as number;
        if (g < 0) continue;
        for (let j = 0; j < 3; j++) {
          const cg = 3 * g + j;
          if (t[cg] === v && (fanOfCorner[cg] as number) < 0) {
            fanOfCorner[cg] = fan;
            stack.push(cg);
          }
        }
      }
    }
  }
  return { fanOfCorner, fansPerVertex };
}

/** Shells: connected components of the triangle adjacency. @returns per triangle its shell, and the count */
function shellsOf(nT: number, nb: Int32Array): { shell: Int32Array; count: number } {
  const shell = new Int32Array(nT).fill(-1);
  let count = 0;
  const stack: number[] = [];
  for (let f0 = 0; f0 < nT; f0++) {
    if ((shell[f0] as number) >= 0) continue;
    shell[f0] = count;
    stack.push(f0);
    while (stack.length) {
      const f = stack.pop()!;
      for (let e = 0; e < 3; e++) {
        const g = nb[3 * f + e] as number;
        if (g >= 0 && (shell[g] as number) < 0) {
          shell[g] = count;
          stack.push(g);
        }
      }
    }
    count++;
  }
  return { shell, count };
}

function bounds(p: Float32Array): PrintabilityReport['boundsMm'] {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < p.length; i++) {
    const x = p[i] as number;
    if (x < min[i % 3]!) min[i % 3] = x;
    if (x > max[i % 3]!) max[i % 3] = x;
  }
  return { min, max };
}

/** Sorted vertex triple of a triangle, as a key. */
const triKey = (t: Uint32Array, f: number): string => {
  const x = [t[3 * f] as number, t[3 * f + 1] as number, t[3 * f + 2] as number].sort((p, q) => p - q);
  return `${x[0]},${x[1]},${x[2]}`;
};

/**
 * Checks a mesh for printing (see the file comment). Vertices are taken as
 * indexed: weld first (`repairMesh` does) when the mesh came from an STL
 * triangle soup.
 * @param o wallThresholdMm: thinnest printable wall (default 0.8 mm); wallSamples: centroids sampled for the
 *   thickness (default 20 000; 0 skips the estimate)
 */
export function analysePrintability(mesh: TriangleMesh, o: { wallThresholdMm?: number; wallSamples?: number } = {}): PrintabilityReport {
  const t = mesh.triangles;
  const nT = t.length / 3;
  const nV = mesh.points.length / 3;
  let degenerate = 0;
  let zeroArea = 0;
  const seen = new Set<string>();
  let duplicates = 0;
  const n = new Float64Array(3);
  for (let f = 0; f < nT; f++) {
    const a = t[3 * f],
      b = t[3 * f + 1],
      c = t[3 * f + 2];
    if (a === b || b === c || a === c) {
      degenerate++;
      continue;
    }
    triangleCross(mesh.points, 3 * a!, 3 * b!, 3 * c!, n);
    if (n[0] === 0 && n[1] === 0 && n[2] === 0) zeroArea++;
    const k = triKey(t, f);
    if (seen.has(k)) duplicates++;
    else seen.add(k);
  }
  const edges = edgeTriangles(t, nV);
  let boundaryEdges = 0;
  let nonManifoldEdges = 0;
  let inconsistentEdges = 0;
  // manifold-only adjacency for the shells and the fans (a non-manifold edge joins nothing)
  const nb = new Int32Array(t.length).fill(-1);
  for (const [k, fs] of edges) {
    if (fs.length % 2 === 1) boundaryEdges++;
    if (fs.length > 2) nonManifoldEdges++;
    if (fs.length !== 2) continue;
    const a = Math.floor(k / nV),
      b = k % nV;
    const [f, g] = fs as [number, number];
    if (direction(t, f, a, b) === direction(t, g, a, b)) inconsistentEdges++;
    for (const [x, y] of [
      [f, g],
      [g, f],
    ] as const)
      for (let e = 0; e < 3; e++) {
        const u = t[3 * x + e],
          v = t[3 * x + ((e + 1) % 3)];
        if ((u === a && v === b) || (u === b && v === a)) nb[3 * x + e] = y;
      }
  }
  const { fansPerVertex } = vertexFans(t, nV, nb);
  // a vertex on a non-manifold edge has several fans by construction: count only those the edges do not explain
  const onBadEdge = new Uint8Array(nV);
  for (const [k, fs] of edges)
    if (fs.length !== 2) {
      onBadEdge[Math.floor(k / nV)] = 1;
      onBadEdge[k % nV] = 1;
    }
  let pinched = 0;
  for (let v = 0; v < nV; v++) if ((fansPerVertex[v] as number) > 1 && !onBadEdge[v]) pinched++;
  const closed = boundaryEdges === 0;
  const samples = o.wallSamples ?? 20_000;
  return {
    vertices: nV,
    triangles: nT,
    boundaryEdges,
    nonManifoldEdges,
    inconsistentEdges,
    nonManifoldVertices: pinched,
    degenerateTriangles: degenerate,
    zeroAreaTriangles: zeroArea,
    duplicateTriangles: duplicates,
    shells: shellsOf(nT, nb).count,
    closed,
    manifold: closed && nonManifoldEdges === 0 && pinched === 0 && degenerate === 0 && duplicates === 0,
    consistentlyOriented: inconsistentEdges === 0,
    signedVolumeMm3: enclosedVolumeMm3(mesh),
    areaMm2: surfaceAreaMm2(mesh),
    boundsMm: bounds(mesh.points),
    wall: samples > 0 && nT > 0 ? wallThickness(mesh, { thresholdMm: o.wallThresholdMm ?? 0.8, samples }) : null,
  };
}

/**
 * Repairs what can be repaired without inventing surface (see the file
 * comment). The result is a new mesh (normals dropped: recompute them);
 * the input is not changed.
 * @param o separateMm: how far (mm) each extra copy of a split vertex moves towards the middle of its own fan
 *   (default 0.001 mm, far below any printer's resolution), so that the split pieces no longer share a position
 *   either: an STL, which has no vertex indices, then reads back closed and manifold too (slicers and ADMesh
 *   match vertices by position); 0 keeps the copies where they are
 */
export function repairMesh(input: TriangleMesh, o: { separateMm?: number } = {}): RepairResult {
  const actions: RepairActions = {
    weldedVertices: 0,
    degenerateRemoved: 0,
    duplicatesRemoved: 0,
    oppositePairsRemoved: 0,
    nonManifoldEdgesSplit: 0,
    verticesSplit: 0,
    trianglesFlipped: 0,
    shellsInverted: 0,
  };
  // 1. weld identical coordinates
  const ip = input.points;
  const remap = new Uint32Array(ip.length / 3);
  const index = new Map<string, number>();
  const pts: number[] = [];
  for (let v = 0; v < ip.length / 3; v++) {
    const key = `${(ip[3 * v] as number) + 0},${(ip[3 * v + 1] as number) + 0},${(ip[3 * v + 2] as number) + 0}`;
    let w = index.get(key);
    if (w === undefined) {
      w = pts.length / 3;
      index.set(key, w);
      pts.push(ip[3 * v] as number, ip[3 * v + 1] as number, ip[3 * v + 2] as number);
    } else actions.weldedVertices++;
    remap[v] = w;
  }
  // 2. degenerate and duplicate triangles
  const it = input.triangles;
  const byKey = new Map<string, number[]>();
  const keep: number[][] = [];
  for (let f = 0; f < it.length / 3; f++) {
    const tri = [remap[it[3 * f] as number]!, remap[it[3 * f + 1] as number]!, remap[it[3 * f + 2] as number]!];
    if (tri[0] === tri[1] || tri[1] === tri[2] || tri[0] === tri[2]) {
      actions.degenerateRemoved++;
      continue;
    }
    const k = [...tri].sort((a, b) => a - b).join(',');
    const l = byKey.get(k);
    if (l) l.push(keep.length);
    else byKey.set(k, [keep.length]);
    keep.push(tri);
  }
  const drop = new Uint8Array(keep.length);
  for (const l of byKey.values()) {
    if (l.length < 2) continue;
    // the same winding as the first (an even permutation) or the opposite one
    const first = keep[l[0]!]!;
    const sameAsFirst = (tri: number[]): boolean => {
      const i = tri.indexOf(first[0]!);
      return tri[(i + 1) % 3] === first[1];
    };
    const same = l.filter((f) => sameAsFirst(keep[f]!));
    const opposite = l.filter((f) => !sameAsFirst(keep[f]!));
    // opposite windings cancel in pairs; of what is left, one copy stays
    const cancel = Math.min(same.length, opposite.length);
    const left = same.length > opposite.length ? same.slice(cancel) : opposite.slice(cancel);
    for (const f of [...same.slice(0, cancel), ...opposite.slice(0, cancel)]) drop[f] = 1;
    actions.oppositePairsRemoved += 2 * cancel;
    for (const f of left.slice(1)) {
      drop[f] = 1;
      actions.duplicatesRemoved++;
    }
  }
  const t = Uint32Array.from(keep.filter((_, f) => !drop[f]).flat());
  let mesh: TriangleMesh = { points: Float32Array.from(pts), triangles: t };
  // 3. adjacency with non-manifold edges paired, consistent winding by BFS, outward shells
  const nT = t.length / 3;
  let adj = adjacency(mesh);
  actions.nonManifoldEdgesSplit = adj.nonManifoldEdges;
  const flipped = new Uint8Array(nT);
  const visited = new Uint8Array(nT);
  const stack: number[] = [];
  for (let f0 = 0; f0 < nT; f0++) {
    if (visited[f0]) continue;
    visited[f0] = 1;
    stack.push(f0);
    while (stack.length) {
      const f = stack.pop()!;
      for (let e = 0; e < 3; e++) {
        const g = adj.nb[3 * f + e] as number;
        if (g < 0 || visited[g]) continue;
        // f's edge as f will be wound (after its own flip)
        let a = t[3 * f + e] as number,
          b = t[3 * f + ((e + 1) % 3)] as number;
        if (flipped[f]) [a, b] = [b, a];
        // g must traverse it b → a
        if (direction(t, g, a, b) === 1) flipped[g] = 1;
        visited[g] = 1;
        stack.push(g);
      }
    }
  }
  for (let f = 0; f < nT; f++)
    if (flipped[f]) {
      const x = t[3 * f + 1] as number;
      t[3 * f + 1] = t[3 * f + 2] as number;
      t[3 * f + 2] = x;
      actions.trianglesFlipped++;
    }
  // a closed shell with negative volume is inside out
  if (actions.trianglesFlipped > 0) adj = adjacency(mesh);
  const { shell, count } = shellsOf(nT, adj.nb);
  const vol = new Float64Array(count);
  const open = new Uint8Array(count);
  const p = mesh.points;
  for (let f = 0; f < nT; f++) {
    const a = 3 * (t[3 * f] as number),
      b = 3 * (t[3 * f + 1] as number),
      c = 3 * (t[3 * f + 2] as number);
    vol[shell[f]!]! +=
      (p[a] as number) * ((p[b + 1] as number) * (p[c + 2] as number) - (p[b + 2] as number) * (p[c + 1] as number)) -
      (p[a + 1] as number) * ((p[b] as number) * (p[c + 2] as number) - (p[b + 2] as number) * (p[c] as number)) +
      (p[a + 2] as number) * ((p[b] as number) * (p[c + 1] as number) - (p[b + 1] as number) * (p[c] as number));
    for (let e = 0; e < 3; e++) if ((adj.nb[3 * f + e] as number) < 0) open[shell[f]!] = 1;
  }
  // ... unless it is a cavity: inside an odd number of the other shells (ray parity from one of its vertices)
  const invert = new Uint8Array(count);
  let bvh: TriangleBvh | null = null;
  const cr = new Float64Array(3);
  for (let s = 0; s < count; s++) {
    if (open[s] || (vol[s] as number) >= 0) continue;
    bvh ??= new TriangleBvh(mesh);
    // from the centroid of the shell's largest triangle (a vertex may be shared with another shell)
    let f0 = -1,
      best = -1;
    for (let f = 0; f < nT; f++)
      if (shell[f] === s) {
        triangleCross(p, 3 * (t[3 * f] as number), 3 * (t[3 * f + 1] as number), 3 * (t[3 * f + 2] as number), cr);
        const a2 = Math.hypot(cr[0]!, cr[1]!, cr[2]!);
        if (a2 > best) ((best = a2), (f0 = f));
      }
    const c = [0, 1, 2].map((k) => ((p[3 * t[3 * f0]! + k] as number) + (p[3 * t[3 * f0 + 1]! + k] as number) + (p[3 * t[3 * f0 + 2]! + k] as number)) / 3);
    const crossings = bvh.count(c, RAY, (f) => shell[f] !== s);
    if (crossings % 2 === 0) {
      invert[s] = 1;
      actions.shellsInverted++;
    }
  }
  if (actions.shellsInverted > 0) {
    for (let f = 0; f < nT; f++)
      if (invert[shell[f]!]) {
        const x = t[3 * f + 1] as number;
        t[3 * f + 1] = t[3 * f + 2] as number;
        t[3 * f + 2] = x;
      }
    // the adjacency is kept per edge slot, which a flip reorders
    adj = adjacency(mesh);
  }
  // 4. one vertex per fan
  // a pairing whose pairs stay in one fan at both ends (the surface wraps around both ends of the edge)
  // would not come apart: those edges are paired the other way (across the air), which does
  const nV = mesh.points.length / 3;
  let { fanOfCorner, fansPerVertex } = vertexFans(t, nV, adj.nb);
  const cornerOf = (f: number, v: number): number => 3 * f + [0, 1, 2].find((k) => t[3 * f + k] === v)!;
  const stuck = new Set<number>();
  for (const e of adj.paired) {
    if (e.pairs.length < 2) continue;
    const fansAt = (v: number): Set<number> => new Set(e.pairs.map(([f]) => fanOfCorner[cornerOf(f, v)] as number));
    if (fansAt(e.a).size === 1 && fansAt(e.b).size === 1) stuck.add(e.key);
  }
  if (stuck.size) {
    adj = adjacency(mesh, stuck);
    ({ fanOfCorner, fansPerVertex } = vertexFans(t, nV, adj.nb));
  }
  const firstCopy = new Int32Array(nV).fill(-1);
  const extra: number[] = [];
  let next = nV;
  for (let v = 0; v < nV; v++)
    if ((fansPerVertex[v] as number) > 1) {
      firstCopy[v] = next;
      next += (fansPerVertex[v] as number) - 1;
      actions.verticesSplit += (fansPerVertex[v] as number) - 1;
      for (let k = 1; k < (fansPerVertex[v] as number); k++) extra.push(p[3 * v] as number, p[3 * v + 1] as number, p[3 * v + 2] as number);
    }
  if (extra.length) {
    // each copy moves separateMm towards the middle of its own fan, so that the pieces are apart in space too
    const toward = new Float64Array(extra.length);
    for (let c = 0; c < t.length; c++) {
      const fan = fanOfCorner[c] as number;
      if (fan === 0) continue;
      const v = t[c] as number;
      const copy = (firstCopy[v] as number) + fan - 1;
      const f = Math.floor(c / 3);
      for (let k = 0; k < 3; k++) {
        const w = t[3 * f + k] as number;
        if (3 * f + k === c) continue;
        for (let q = 0; q < 3; q++) toward[3 * (copy - nV) + q]! += (p[3 * w + q] as number) - (p[3 * v + q] as number);
      }
    }
    for (let c = 0; c < t.length; c++) {
      const fan = fanOfCorner[c] as number;
      if (fan > 0) t[c] = (firstCopy[t[c] as number] as number) + fan - 1;
    }
    const sep = o.separateMm ?? 0.001;
    for (let i = 0; i < extra.length; i += 3) {
      const l = Math.hypot(toward[i]!, toward[i + 1]!, toward[i + 2]!);
      if (l > 0) for (let q = 0; q < 3; q++) extra[i + q]! += (sep * toward[i + q]!) / l;
    }
    const np = new Float32Array(p.length + extra.length);
    np.set(p);
    np.set(extra, p.length);
    mesh = { points: np, triangles: t };
  }
  return { mesh, actions };
}

// ---------------------------------------------------------------- wall thickness

/** An oblique unit direction for parity rays (unlikely to graze an axis-aligned edge). */
const RAY = [0.5773672, 0.5773293, 0.5773537].map((x, _, a) => x / Math.hypot(a[0]!, a[1]!, a[2]!));

/** A bounding volume hierarchy over triangles (median split on the longest axis), for ray casts. */
class TriangleBvh {
  private readonly order: Uint32Array;
  /** Per node: min xyz, max xyz. */
  private readonly box: Float64Array;
  /** Per node: left child (or −1 for a leaf), right child, first, count. */
  private readonly node: Int32Array;
  private nodes = 0;

  constructor(private readonly mesh: TriangleMesh) {
    const nT = mesh.triangles.length / 3;
    this.order = new Uint32Array(nT).map((_, i) => i);
    const cap = 2 * Math.max(1, nT);
    this.box = new Float64Array(6 * cap);
    this.node = new Int32Array(4 * cap);
    const cent = new Float64Array(3 * nT);
    const p = mesh.points;
    const t = mesh.triangles;
    for (let f = 0; f < nT; f++)
      for (let k = 0; k < 3; k++)
        cent[3 * f + k] = ((p[3 * t[3 * f]! + k] as number) + (p[3 * t[3 * f + 1]! + k] as number) + (p[3 * t[3 * f + 2]! + k] as number)) / 3;
    this.build(0, nT, cent);
  }

  private build(first: number, count: number, cent: Float64Array): number {
    const id = this.nodes++;
    const p = this.mesh.points;
    const t = this.mesh.triangles;
    const b = this.box;
    for (let k = 0; k < 3; k++) {
      b[6 * id + k] = Infinity;
      b[6 * id + 3 + k] = -Infinity;
    }
    for (let i = first; i < first + count; i++) {
      const f = this.order[i] as number;
      for (let j = 0; j < 3; j++)
        for (let k = 0; k < 3; k++) {
          const x = p[3 * t[3 * f + j]! + k] as number;
          if (x < b[6 * id + k]!) b[6 * id + k] = x;
          if (x > b[6 * id + 3 + k]!) b[6 * id + 3 + k] = x;
        }
    }
    this.node[4 * id + 2] = first;
    this.node[4 * id + 3] = count;
    if (count <= 4) {
      this.node[4 * id] = -1;
      return id;
    }
    let axis = 0;
    for (let k = 1; k < 3; k++) if (b[6 * id + 3 + k]! - b[6 * id + k]! > b[6 * id + 3 + axis]! - b[6 * id + axis]!) axis = k;
    const slice = Array.from(this.order.subarray(first, first + count)).sort((x, y) => cent[3 * x + axis]! - cent[3 * y + axis]!);
    this.order.set(slice, first);
    const half = count >> 1;
    this.node[4 * id] = this.build(first, half, cent);
    this.node[4 * id + 1] = this.build(first + half, count - half, cent);
    return id;
  }

  /** Distance along the unit direction d from o to the nearest triangle hit with t > tMin, skipping `skip`; Infinity when none. */
  cast(o: number[], d: number[], tMin: number, skip: number): number {
    let best = Infinity;
    this.visit(
      o,
      d,
      tMin,
      () => best,
      (f, tt) => {
        if (f !== skip && tt < best) best = tt;
      },
    );
    return best;
  }

  /** Triangles for which `use` holds that the ray from o along d crosses (t > 0). */
  count(o: number[], d: number[], use: (f: number) => boolean): number {
    let n = 0;
    this.visit(
      o,
      d,
      0,
      () => Infinity,
      (f) => {
        if (use(f)) n++;
      },
    );
    return n;
  }

  /** Calls `hit` for each triangle the ray o + t d meets with tMin < t < far(). */
  private visit(o: number[], d: number[], tMin: number, far: () => number, hit: (f: number, t: number) => void): void {
    const inv = [1 / d[0]!, 1 / d[1]!, 1 / d[2]!];
    const stack = [0];
    const p = this.mesh.points;
    const t = this.mesh.triangles;
    const b = this.box;
    while (stack.length) {
      const id = stack.pop()!;
      // slab test
      let t0 = tMin,
        t1 = far();
      for (let k = 0; k < 3; k++) {
        let ta = (b[6 * id + k]! - o[k]!) * inv[k]!,
          tb = (b[6 * id + 3 + k]! - o[k]!) * inv[k]!;
        if (ta > tb) [ta, tb] = [tb, ta];
        if (ta > t0) t0 = ta;
        if (tb < t1) t1 = tb;
        if (t0 > t1) break;
      }
      if (t0 > t1) continue;
      const left = this.node[4 * id] as number;
      if (left >= 0) {
        stack.push(left, this.node[4 * id + 1] as number);
        continue;
      }
      const first = this.node[4 * id + 2] as number;
      for (let i = first; i < first + (this.node[4 * id + 3] as number); i++) {
        const f = this.order[i] as number;
        // Möller–Trumbore
        const a = 3 * t[3 * f]!,
          bb = 3 * t[3 * f + 1]!,
          c = 3 * t[3 * f + 2]!;
        const e1 = [p[bb]! - p[a]!, p[bb + 1]! - p[a + 1]!, p[bb + 2]! - p[a + 2]!];
        const e2 = [p[c]! - p[a]!, p[c + 1]! - p[a + 1]!, p[c + 2]! - p[a + 2]!];
        const h = [d[1]! * e2[2]! - d[2]! * e2[1]!, d[2]! * e2[0]! - d[0]! * e2[2]!, d[0]! * e2[1]! - d[1]! * e2[0]!];
        const det = e1[0]! * h[0]! + e1[1]! * h[1]! + e1[2]! * h[2]!;
        if (Math.abs(det) < 1e-12) continue;
        const s = [o[0]! - p[a]!, o[1]! - p[a + 1]!, o[2]! - p[a + 2]!];
        const uu = (s[0]! * h[0]! + s[1]! * h[1]! + s[2]! * h[2]!) / det;
        if (uu < 0 || uu > 1) continue;
        const q = [s[1]! * e1[2]! - s[2]! * e1[1]!, s[2]! * e1[0]! - s[0]! * e1[2]!, s[0]! * e1[1]! - s[1]! * e1[0]!];
        const vv = (d[0]! * q[0]! + d[1]! * q[1]! + d[2]! * q[2]!) / det;
        if (vv < 0 || uu + vv > 1) continue;
        const tt = (e2[0]! * q[0]! + e2[1]! * q[1]! + e2[2]! * q[2]!) / det;
        if (tt > tMin && tt < far()) hit(f, tt);
      }
    }
  }
}

/**
 * Minimum wall thickness estimate: from the centroid of each sampled
 * triangle (every k-th, k = ⌈triangles / samples⌉), a ray along the inward
 * face normal (the winding's normal reversed) to the first other triangle
 * it meets (a BVH of the triangles, Möller–Trumbore ray–triangle test); the
 * distance is the local wall thickness in mm. Exact for parallel walls; at a
 * wall's edge it overestimates (the ray runs along the wall). Expects an
 * outward-oriented closed mesh (after `repairMesh`).
 * @param o thresholdMm: walls thinner than this are counted; samples: at most this many rays
 */
export function wallThickness(mesh: TriangleMesh, o: { thresholdMm: number; samples: number }): WallThickness {
  const bvh = new TriangleBvh(mesh);
  const p = mesh.points;
  const t = mesh.triangles;
  const nT = t.length / 3;
  const step = Math.max(1, Math.ceil(nT / Math.max(1, o.samples)));
  const out: number[] = [];
  let missed = 0;
  let min = Infinity;
  let at: [number, number, number] = [0, 0, 0];
  const n = new Float64Array(3);
  for (let f = 0; f < nT; f += step) {
    const a = 3 * t[3 * f]!,
      b = 3 * t[3 * f + 1]!,
      c = 3 * t[3 * f + 2]!;
    triangleCross(p, a, b, c, n);
    const l = Math.hypot(n[0]!, n[1]!, n[2]!);
    if (l === 0) continue;
    const d = [-n[0]! / l, -n[1]! / l, -n[2]! / l];
    const o3 = [0, 1, 2].map((k) => (p[a + k]! + p[b + k]! + p[c + k]!) / 3);
    const dist = bvh.cast(o3, d, 1e-6, f);
    if (!Number.isFinite(dist)) {
      missed++;
      continue;
    }
    out.push(dist);
    if (dist < min) {
      min = dist;
      at = [o3[0]!, o3[1]!, o3[2]!];
    }
  }
  out.sort((x, y) => x - y);
  const q = (r: number): number | null => (out.length ? out[Math.min(out.length - 1, Math.floor(r * out.length))]! : null);
  return {
    samples: out.length + missed,
    missed,
    minMm: out.length ? min : null,
    p1Mm: q(0.01),
    medianMm: q(0.5),
    thresholdMm: o.thresholdMm,
    belowThreshold: out.filter((x) => x < o.thresholdMm).length,
    thinnestAtMm: at,
  };
}
