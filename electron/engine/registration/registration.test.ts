import { describe, expect, it } from 'vitest';
import { KdTree3 } from './kdtree.js';
import { applyPoint, fitRigidPaired, invertRigid, mul4, rigidFromRotationVector, rotationAngleDeg, symmetricEigen } from '../../../math/rigid.js';
import { estimateNormals, voxelDownsample, captureSkin } from './cloud.js';
import { icpPointToPlane, predictedTre, registerSkin, DEFAULT_SKIN_REGISTRATION } from './icp.js';
import { fitPairedPoints } from './paired.js';

function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 4294967296;
}

/** A smooth, asymmetric bumpy dome (mm) sampled on a grid, with outward (+z) normals: a stand-in for a back. */
function dome(step = 4): { points: Float64Array; normals: Float64Array } {
  const f = (x: number, y: number) =>
    80 * Math.exp(-(x * x) / (2 * 120 ** 2) - (y * y) / (2 * 90 ** 2)) + 12 * Math.sin(x / 35) * Math.cos(y / 50) + 0.0005 * x * y;
  const pts: number[] = [],
    nrm: number[] = [];
  for (let x = -200; x <= 200; x += step)
    for (let y = -160; y <= 160; y += step) {
      const z = f(x, y);
      const fx = (f(x + 0.01, y) - f(x - 0.01, y)) / 0.02,
        fy = (f(x, y + 0.01) - f(x, y - 0.01)) / 0.02;
      const l = Math.hypot(fx, fy, 1);
      pts.push(x, y, z);
      nrm.push(-fx / l, -fy / l, 1 / l);
    }
  return { points: Float64Array.from(pts), normals: Float64Array.from(nrm) };
}

describe('k-d tree', () => {
  it('finds the same nearest and k nearest points as brute force', () => {
    const r = rng(3);
    const pts = Float64Array.from({ length: 3 * 5000 }, () => 400 * r() - 200);
    const t = new KdTree3(pts);
    const d2 = new Float64Array(1);
    for (let q = 0; q < 200; q++) {
      const x = 500 * r() - 250,
        y = 500 * r() - 250,
        z = 500 * r() - 250;
      const ds = Array.from({ length: 5000 }, (_, i) => (pts[3 * i]! - x) ** 2 + (pts[3 * i + 1]! - y) ** 2 + (pts[3 * i + 2]! - z) ** 2);
      const order = ds.map((_, i) => i).sort((a, b) => ds[a]! - ds[b]!);
      expect(t.nearest(x, y, z, Infinity, d2)).toBe(order[0]);
      expect(d2[0]).toBeCloseTo(ds[order[0]!]!, 6);
      expect(t.knn(x, y, z, 7)).toEqual(order.slice(0, 7));
      // a radius that excludes everything gives −1
      expect(t.nearest(x, y, z, ds[order[0]!]! * 0.99)).toBe(-1);
    }
  });
});

describe('rigid transforms', () => {
  it('Horn fit recovers a known transform from noiseless pairs, and Jacobi eigenvalues are exact', () => {
    const T = rigidFromRotationVector([0.3, -0.5, 0.9], [12, -40, 7]);
    const r = rng(5);
    const a = Float64Array.from({ length: 60 }, () => 200 * r() - 100);
    const b = new Float64Array(60);
    for (let i = 0; i < 20; i++) b.set(applyPoint(T, a[3 * i]!, a[3 * i + 1]!, a[3 * i + 2]!), 3 * i);
    const F = fitRigidPaired(a, b);
    F.forEach((v, i) => expect(v).toBeCloseTo(T[i]!, 9));
    expect(rotationAngleDeg(mul4(F, invertRigid(T)))).toBeLessThan(1e-6);
    expect(() => fitRigidPaired(a.subarray(0, 6), b.subarray(0, 6))).toThrow(/at least 3 pairs/);
    const e = symmetricEigen([4, 1, 0, 1, 3, 0, 0, 0, 2], 3);
    expect(e.values[0]).toBeCloseTo(2, 10);
    expect(e.values[2]).toBeCloseTo((7 + Math.sqrt(5)) / 2, 10);
  });
});

describe('point clouds', () => {
  it('voxel grid keeps one centroid per cell; PCA normals face the viewpoint', () => {
    const pts = Float64Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2, 10, 0, 0]);
    const v = voxelDownsample(pts, 4);
    expect(v.length).toBe(6);
    expect(Array.from(v.subarray(0, 3))).toEqual([1, 1, 1]);
    // a plane z = 500 seen from the origin: normals (0, 0, −1)
    const plane = Float64Array.from({ length: 3 * 400 }, (_, i) => (i % 3 === 2 ? 500 : i % 3 === 0 ? 5 * (Math.floor(i / 3) % 20) : 5 * Math.floor(i / 60)));
    const n = estimateNormals(plane, 8);
    for (let i = 0; i < 400; i++) expect(n[3 * i + 2]).toBeCloseTo(-1, 6);
  });

  it('skin capture removes the table and the floor and says which step emptied a cloud', () => {
    const r = rng(9);
    const pts: number[] = [];
    // body: a dome facing the camera 700 mm away (camera looks along +z: the dome's top is nearest)
    const d = dome(3);
    for (let i = 0; i < d.points.length; i += 3) pts.push(d.points[i]!, d.points[i + 1]!, 700 - d.points[i + 2]!);
    // table around it at 700 mm, floor at 1500 mm (noisy)
    for (let k = 0; k < 20000; k++) {
      const x = 1000 * r() - 500,
        y = 1000 * r() - 500;
      if (Math.abs(x) > 200 || Math.abs(y) > 160) pts.push(x, y, 702 + 2 * (r() - 0.5));
      pts.push(3 * x, 3 * y, 1500 + 6 * (r() - 0.5));
    }
    const cap = captureSkin(Float64Array.from(pts));
    expect(cap.planes.length).toBeGreaterThanOrEqual(2);
    let maxZ = 0;
    for (let i = 2; i < cap.points.length; i += 3) maxZ = Math.max(maxZ, cap.points[i]!);
    expect(maxZ).toBeLessThan(700); // nothing of the table or the floor is left
    expect(cap.points.length / 3).toBeGreaterThan(2000); // the dome above the table (its rim within the plane threshold goes with the table)
    for (let i = 0; i < cap.normals.length; i += 3) expect(cap.normals[i + 2]).toBeLessThan(0); // facing the camera
    expect(() => captureSkin(Float64Array.from([0, 0, 100, 1, 1, 5000]))).toThrow(/after the depth range of interest/);
  });
});

describe('skin registration', () => {
  const fixed = dome(3);
  const prior = [1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 700, 0, 0, 0, 1]; // camera 700 mm above the dome, looking down (−z)

  it('point-to-plane ICP converges to the exact pose from a small offset', () => {
    const truth = rigidFromRotationVector([0.05, -0.03, 0.08], [6, -4, 3]);
    const moving = {
      points: Float64Array.from(fixed.points.filter((_, i) => Math.floor(i / 3) % 5 === 0)),
      normals: Float64Array.from(fixed.normals.filter((_, i) => Math.floor(i / 3) % 5 === 0)),
    };
    // moving is the dome moved by truth⁻¹: ICP must find truth
    const inv = invertRigid(truth);
    const mp = new Float64Array(moving.points.length),
      mn = new Float64Array(moving.normals.length);
    for (let i = 0; i < mp.length; i += 3) {
      mp.set(applyPoint(inv, moving.points[i]!, moving.points[i + 1]!, moving.points[i + 2]!), i);
      const nn = applyPoint(inv, moving.normals[i]!, moving.normals[i + 1]!, moving.normals[i + 2]!).map((v, k) => v - inv[4 * k + 3]!);
      mn.set(nn, i);
    }
    const res = icpPointToPlane({ points: mp, normals: mn }, fixed, new KdTree3(fixed.points), [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], {
      ...DEFAULT_SKIN_REGISTRATION.fine,
      maxDistStartMm: 40,
      trim: 1,
    });
    expect(res.converged).toBe(true);
    res.transform.forEach((v, i) => expect(v).toBeCloseTo(truth[i]!, 3));
  });

  it('registers a partial noisy view from a 25° / 60 mm error, reports the fit, and refuses a cloud that is not the skin', () => {
    const r = rng(11);
    // the true camera pose: prior perturbed
    const truth = mul4(prior, rigidFromRotationVector([0.25, -0.3, 0.2], [40, -30, 30]));
    const cam = invertRigid(truth);
    const pts: number[] = [];
    // the camera sees the middle of the dome (x < 120: partial overlap), with 1 mm noise
    for (let i = 0; i < fixed.points.length; i += 3) {
      if (fixed.points[i]! > 120 || r() < 0.5) continue;
      const q = applyPoint(cam, fixed.points[i]!, fixed.points[i + 1]!, fixed.points[i + 2]!);
      pts.push(q[0] + (r() - 0.5) * 2, q[1] + (r() - 0.5) * 2, q[2] + (r() - 0.5) * 2);
    }
    const P = Float64Array.from(pts);
    const moving = { points: P, normals: estimateNormals(P, 16) };
    const reg = registerSkin(moving, fixed, { prior });
    const E = mul4(reg.transform, invertRigid(truth));
    const at = applyPoint(E, 0, 0, -100); // a target 100 mm under the surface
    expect(Math.hypot(at[0], at[1], at[2] + 100)).toBeLessThan(1);
    expect(rotationAngleDeg(E)).toBeLessThan(0.3);
    expect(reg.refused).toBeNull();
    expect(reg.overlap).toBeGreaterThan(0.9);
    expect(reg.residualRmsMm).toBeLessThan(1);
    expect(predictedTre(reg, [0, 0, -100])).toBeGreaterThan(0);
    // a flat wall is not the skin: low overlap or ambiguity makes it refused
    const wall = Float64Array.from({ length: 3 * 3000 }, (_, i) => (i % 3 === 2 ? 900 : 600 * r() - 300));
    const bad = registerSkin({ points: wall, normals: estimateNormals(wall, 12) }, fixed, { prior });
    expect(bad.refused).not.toBeNull();
    expect(() => registerSkin({ points: wall.subarray(0, 30), normals: wall.subarray(0, 30) }, fixed, { prior })).toThrow(/at least 100/);
  });

  it('3-point coarse alignment: a set-up outside the automatic search (patient turned 150°) registers from three roughly picked points', () => {
    const r = rng(5);
    const truth = mul4(prior, rigidFromRotationVector([0, 0, (150 * Math.PI) / 180], [30, 20, 10]));
    const cam = invertRigid(truth);
    const pts: number[] = [];
    for (let i = 0; i < fixed.points.length; i += 3) {
      if (r() < 0.6) continue;
      const q = applyPoint(cam, fixed.points[i]!, fixed.points[i + 1]!, fixed.points[i + 2]!);
      pts.push(q[0] + (r() - 0.5) * 2, q[1] + (r() - 0.5) * 2, q[2] + (r() - 0.5) * 2);
    }
    const P = Float64Array.from(pts);
    const moving = { points: P, normals: estimateNormals(P, 16) };
    const err = (T: number[]) => {
      const E = mul4(T, invertRigid(truth));
      const at = applyPoint(E, 0, 0, -100);
      return Math.hypot(at[0], at[1], at[2] + 100);
    };
    const auto = registerSkin(moving, fixed, { prior });
    // the automatic search (±30° about the prior) cannot reach it: refused or wrong
    expect(auto.refused !== null || err(auto.transform) > 10).toBe(true);
    // three points clicked on the skin in the image and in the camera view, each off by up to 8 mm
    const image = [
      [-120, -80, 0],
      [110, -60, 0],
      [0, 110, 0],
    ].map(([x, y]) => {
      let best = 0,
        bd = Infinity;
      for (let j = 0; j < fixed.points.length; j += 3) {
        const d = (fixed.points[j]! - x!) ** 2 + (fixed.points[j + 1]! - y!) ** 2;
        if (d < bd) ((bd = d), (best = j));
      }
      return [fixed.points[best]!, fixed.points[best + 1]!, fixed.points[best + 2]!];
    });
    const camera = image.map((p) => applyPoint(cam, p[0]!, p[1]!, p[2]!).map((v) => v + (r() - 0.5) * 9));
    const coarse = fitPairedPoints(camera, image);
    expect(coarse.freRmsMm).toBeGreaterThan(0.5);
    expect(err(coarse.transform)).toBeGreaterThan(1);
    const reg = registerSkin(moving, fixed, { prior, initial: coarse.transform });
    expect(reg.refused).toBeNull();
    expect(err(reg.transform)).toBeLessThan(1);
    expect(reg.startsTried).toBe(7);
  });
});
