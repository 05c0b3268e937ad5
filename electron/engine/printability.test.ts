/**
 * Printability checks and repair on constructed meshes whose answers are
 * known without the code under test: cubes (volume = edge³), two cubes
 * sharing an edge (the non-manifold case of the decimated bone mesh), a
 * flipped and a duplicated triangle, an inside-out cube, a hole, and a
 * hollow box whose wall thickness is 2 mm by construction.
 */
import { describe, expect, it } from 'vitest';
import { analysePrintability, repairMesh, wallThickness } from './printability.js';
import type { TriangleMesh } from './triangleMesh.js';

/** An axis-aligned box [x0, x1] × [y0, y1] × [z0, z1], 12 triangles, outward (or inward when `inward`). */
function box(lo: [number, number, number], hi: [number, number, number], inward = false): { points: number[]; triangles: number[] } {
  const points: number[] = [];
  for (let i = 0; i < 8; i++) points.push(i & 1 ? hi[0] : lo[0], i & 2 ? hi[1] : lo[1], i & 4 ? hi[2] : lo[2]);
  // faces as quads (counter-clockwise seen from outside), each split into two triangles
  const quads = [
    [0, 2, 3, 1], // z = lo
    [4, 5, 7, 6], // z = hi
    [0, 1, 5, 4], // y = lo
    [2, 6, 7, 3], // y = hi
    [0, 4, 6, 2], // x = lo
    [1, 3, 7, 5], // x = hi
  ];
  const triangles: number[] = [];
  for (const [a, b, c, d] of quads) triangles.push(a!, b!, c!, a!, c!, d!);
  if (inward) for (let f = 0; f < triangles.length; f += 3) [triangles[f + 1], triangles[f + 2]] = [triangles[f + 2]!, triangles[f + 1]!];
  return { points, triangles };
}

function merge(...parts: { points: number[]; triangles: number[] }[]): TriangleMesh {
  const points: number[] = [];
  const triangles: number[] = [];
  for (const p of parts) {
    const off = points.length / 3;
    points.push(...p.points);
    triangles.push(...p.triangles.map((v) => v + off));
  }
  return { points: Float32Array.from(points), triangles: Uint32Array.from(triangles) };
}

const unitCube = (): TriangleMesh => merge(box([0, 0, 0], [1, 1, 1]));

describe('printability', () => {
  it('a cube is closed, manifold, outward (volume 1 mm³, area 6 mm²), one shell', () => {
    const r = analysePrintability(unitCube(), { wallSamples: 0 });
    expect(r).toMatchObject({
      vertices: 8,
      triangles: 12,
      boundaryEdges: 0,
      nonManifoldEdges: 0,
      nonManifoldVertices: 0,
      shells: 1,
      closed: true,
      manifold: true,
    });
    expect(r.signedVolumeMm3).toBeCloseTo(1, 12);
    expect(r.areaMm2).toBeCloseTo(6, 12);
    expect(r.boundsMm).toEqual({ min: [0, 0, 0], max: [1, 1, 1] });
  });

  it('two cubes sharing an edge: one non-manifold edge, split into two closed manifold shells of 1 mm³ each', () => {
    // [0,1]³ and [1,2]×[1,2]×[0,1] touch along x = 1, y = 1; welding joins them at (1,1,0)–(1,1,1)
    const m = merge(box([0, 0, 0], [1, 1, 1]), box([1, 1, 0], [2, 2, 1]));
    const welded = repairMesh(m, { separateMm: 0 });
    expect(welded.actions.weldedVertices).toBe(2);
    expect(welded.actions.nonManifoldEdgesSplit).toBe(1);
    expect(welded.actions.verticesSplit).toBe(2);
    const before = analysePrintability({ points: Float32Array.from(m.points), triangles: weld(m) }, { wallSamples: 0 });
    expect(before).toMatchObject({ nonManifoldEdges: 1, boundaryEdges: 0, closed: true, manifold: false });
    const after = analysePrintability(welded.mesh, { wallSamples: 0 });
    expect(after).toMatchObject({ vertices: 16, nonManifoldEdges: 0, nonManifoldVertices: 0, boundaryEdges: 0, shells: 2, closed: true, manifold: true });
    expect(after.signedVolumeMm3).toBeCloseTo(2, 12);
    // with the default separation the copies are 1 µm apart, each towards its own cube
    const apart = repairMesh(m).mesh;
    const corner: number[][] = [];
    for (let v = 0; v < apart.points.length / 3; v++) {
      const q = Array.from(apart.points.subarray(3 * v, 3 * v + 3));
      if (Math.hypot(q[0]! - 1, q[1]! - 1, q[2]!) < 0.01) corner.push(q);
    }
    expect(corner).toHaveLength(2);
    expect(Math.hypot(corner[0]![0]! - corner[1]![0]!, corner[0]![1]! - corner[1]![1]!, corner[0]![2]! - corner[1]![2]!)).toBeCloseTo(0.001, 6);
    expect(analysePrintability(apart, { wallSamples: 0 }).manifold).toBe(true);
  });

  it('a flipped triangle: three inconsistent edges, flipped back', () => {
    const m = unitCube();
    [m.triangles[4], m.triangles[5]] = [m.triangles[5]!, m.triangles[4]!];
    const before = analysePrintability(m, { wallSamples: 0 });
    expect(before).toMatchObject({ inconsistentEdges: 3, consistentlyOriented: false, closed: true });
    const r = repairMesh(m);
    expect(r.actions.trianglesFlipped).toBe(1);
    const after = analysePrintability(r.mesh, { wallSamples: 0 });
    expect(after).toMatchObject({ inconsistentEdges: 0, consistentlyOriented: true, manifold: true });
    expect(after.signedVolumeMm3).toBeCloseTo(1, 12);
  });

  it('a duplicate face is removed; an opposite-winding copy cancels with its face (no hole filled)', () => {
    const m = unitCube();
    const dup: TriangleMesh = { points: m.points, triangles: Uint32Array.from([...m.triangles, ...m.triangles.slice(0, 3)]) };
    const before = analysePrintability(dup, { wallSamples: 0 });
    expect(before).toMatchObject({ duplicateTriangles: 1, nonManifoldEdges: 3, boundaryEdges: 3, manifold: false });
    const r = repairMesh(dup);
    expect(r.actions.duplicatesRemoved).toBe(1);
    expect(analysePrintability(r.mesh, { wallSamples: 0 })).toMatchObject({ triangles: 12, manifold: true });
    const t = m.triangles;
    const opp: TriangleMesh = { points: m.points, triangles: Uint32Array.from([...t, t[0]!, t[2]!, t[1]!]) };
    const r2 = repairMesh(opp);
    expect(r2.actions.oppositePairsRemoved).toBe(2);
    // the face's own triangle went with its copy: a hole of 3 edges, reported, not filled
    expect(analysePrintability(r2.mesh, { wallSamples: 0 })).toMatchObject({ triangles: 11, boundaryEdges: 3, closed: false, manifold: false });
  });

  it('an index-degenerate triangle is removed; a hole stays open', () => {
    const m = unitCube();
    const deg: TriangleMesh = { points: m.points, triangles: Uint32Array.from([...m.triangles, 0, 0, 1]) };
    expect(analysePrintability(deg, { wallSamples: 0 }).degenerateTriangles).toBe(1);
    expect(repairMesh(deg).actions.degenerateRemoved).toBe(1);
    const holed: TriangleMesh = { points: m.points, triangles: m.triangles.slice(3) };
    const r = repairMesh(holed);
    expect(analysePrintability(r.mesh, { wallSamples: 0 })).toMatchObject({ triangles: 11, boundaryEdges: 3, closed: false });
  });

  it('an inside-out cube is turned outside in; the cavity of a hollow box is not', () => {
    const inv = merge(box([0, 0, 0], [1, 1, 1], true));
    expect(analysePrintability(inv, { wallSamples: 0 }).signedVolumeMm3).toBeCloseTo(-1, 12);
    const r = repairMesh(inv);
    expect(r.actions).toMatchObject({ shellsInverted: 1, verticesSplit: 0 });
    expect(analysePrintability(r.mesh, { wallSamples: 0 }).signedVolumeMm3).toBeCloseTo(1, 12);
    // 10 mm box with a 6 mm cavity: 1000 − 216 = 784 mm³
    const hollow = merge(box([0, 0, 0], [10, 10, 10]), box([2, 2, 2], [8, 8, 8], true));
    const h = repairMesh(hollow);
    expect(h.actions.shellsInverted).toBe(0);
    const rep = analysePrintability(h.mesh, { wallSamples: 100 });
    expect(rep).toMatchObject({ shells: 2, manifold: true });
    expect(rep.signedVolumeMm3).toBeCloseTo(784, 9);
  });

  it('wall thickness of a hollow box with 2 mm walls is 2 mm; a 0.5 mm plate is flagged below 0.8 mm', () => {
    const hollow = merge(box([0, 0, 0], [10, 10, 10]), box([2, 2, 2], [8, 8, 8], true));
    const w = wallThickness(hollow, { thresholdMm: 0.8, samples: 1000 });
    expect(w).toMatchObject({ samples: 24, missed: 0, belowThreshold: 0, thresholdMm: 0.8 });
    expect(w.minMm).toBeCloseTo(2, 6);
    expect(w.p1Mm).toBeCloseTo(2, 6);
    expect(w.medianMm).toBeCloseTo(2, 6);
    const plate = merge(box([0, 0, 0], [20, 20, 0.5]));
    const p = wallThickness(plate, { thresholdMm: 0.8, samples: 1000 });
    expect(p.minMm).toBeCloseTo(0.5, 6);
    // the four faces of the plate (4 of its 12 triangles) are 0.5 mm apart; its edges' rays run 20 mm
    expect(p.belowThreshold).toBe(4);
    // an open mesh: the rays from the remaining faces of a cube without its top still meet the bottom
    const open = unitCube();
    const w2 = wallThickness({ points: open.points, triangles: open.triangles.slice(0, 3) }, { thresholdMm: 0.8, samples: 10 });
    expect(w2).toMatchObject({ samples: 1, missed: 1, minMm: null });
  });
});

/** The mesh's triangles with identical positions merged (what an STL reader does). */
function weld(m: TriangleMesh): Uint32Array {
  const key = (v: number): string => `${m.points[3 * v]},${m.points[3 * v + 1]},${m.points[3 * v + 2]}`;
  const first = new Map<string, number>();
  for (let v = 0; v < m.points.length / 3; v++) if (!first.has(key(v))) first.set(key(v), v);
  return m.triangles.map((v) => first.get(key(v))!);
}
