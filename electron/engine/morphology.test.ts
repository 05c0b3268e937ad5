import { describe, expect, it } from 'vitest';
import { closeBall, countComponents, dilateBall, distanceSq, fillHoles2D, fillHoles3D, keepLargestComponent, removeSmallComponents } from './morphology.js';
import type { Vec3 } from './volume.js';

const idx = (d: Vec3, i: number, j: number, k: number): number => i + d[0] * (j + d[1] * k);

describe('distanceSq (Felzenszwalb–Huttenlocher EDT)', () => {
  it('matches brute force on a random anisotropic grid', () => {
    const dims: Vec3 = [13, 9, 7];
    const sp: Vec3 = [0.7, 1.3, 2.1];
    const n = dims[0] * dims[1] * dims[2];
    const mask = new Uint8Array(n);
    let seed = 7;
    const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let v = 0; v < n; v++) mask[v] = rnd() < 0.03 ? 1 : 0;
    const d = distanceSq(mask, dims, sp);
    const fg: Vec3[] = [];
    for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) if (mask[idx(dims, i, j, k)]) fg.push([i, j, k]);
    expect(fg.length).toBeGreaterThan(3);
    for (let k = 0; k < dims[2]; k++)
      for (let j = 0; j < dims[1]; j++)
        for (let i = 0; i < dims[0]; i++) {
          let best = Infinity;
          for (const [a, b, c] of fg) best = Math.min(best, ((a - i) * sp[0]) ** 2 + ((b - j) * sp[1]) ** 2 + ((c - k) * sp[2]) ** 2);
          expect(d[idx(dims, i, j, k)]).toBeCloseTo(best, 3);
        }
  });
});

describe('ball morphology', () => {
  it('dilating one voxel by r mm gives the voxels within r mm', () => {
    const dims: Vec3 = [21, 21, 21];
    const m = new Uint8Array(21 ** 3);
    m[idx(dims, 10, 10, 10)] = 1;
    const out = dilateBall(m, dims, [1, 1, 1], 5);
    let n = 0;
    for (let k = 0; k < 21; k++)
      for (let j = 0; j < 21; j++)
        for (let i = 0; i < 21; i++) {
          const inside = (i - 10) ** 2 + (j - 10) ** 2 + (k - 10) ** 2 <= 25;
          expect(out[idx(dims, i, j, k)]).toBe(inside ? 1 : 0);
          if (inside) n++;
        }
    expect(n).toBe(515); // lattice points in a ball of radius 5
  });

  it('closing bridges a 2 mm gap between two slabs but not a 10 mm one', () => {
    const dims: Vec3 = [30, 10, 10];
    const make = (gap: number): Uint8Array => {
      const m = new Uint8Array(3000);
      for (let k = 0; k < 10; k++) for (let j = 0; j < 10; j++) for (let i = 0; i < 30; i++) if (i < 10 || i >= 10 + gap) m[idx(dims, i, j, k)] = 1;
      return m;
    };
    expect(closeBall(make(2), dims, [1, 1, 1], 3)[idx(dims, 10, 5, 5)]).toBe(1);
    expect(closeBall(make(10), dims, [1, 1, 1], 3)[idx(dims, 14, 5, 5)]).toBe(0);
  });
});

describe('components and holes', () => {
  it('keeps the largest 6-connected component and removes small ones', () => {
    const dims: Vec3 = [10, 10, 10];
    const m = new Uint8Array(1000);
    for (let i = 0; i < 5; i++) m[idx(dims, i, 0, 0)] = 1; // 5 voxels
    m[idx(dims, 8, 8, 8)] = 1; // 1 voxel
    m[idx(dims, 9, 9, 9)] = 1; // touches the previous one only at a corner
    expect(countComponents(m, dims, 6).sizes).toEqual([5, 1, 1]);
    expect(countComponents(m, dims, 26).sizes).toEqual([5, 2]);
    const small = m.slice();
    expect(removeSmallComponents(small, dims, 3, 26)).toBe(1);
    expect(small.reduce((a, b) => a + b, 0)).toBe(5);
    const stats = keepLargestComponent(m, dims, 6);
    expect(stats.count).toBe(3);
    expect(m.reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('fills an enclosed cavity in 3D and an open-ended tube slice by slice', () => {
    const dims: Vec3 = [9, 9, 9];
    const shell = new Uint8Array(729);
    for (let k = 1; k < 8; k++)
      for (let j = 1; j < 8; j++) for (let i = 1; i < 8; i++) if (i === 1 || i === 7 || j === 1 || j === 7 || k === 1 || k === 7) shell[idx(dims, i, j, k)] = 1;
    fillHoles3D(shell, dims);
    expect(shell[idx(dims, 4, 4, 4)]).toBe(1);
    expect(shell[idx(dims, 0, 0, 0)]).toBe(0);
    const tube = new Uint8Array(729);
    for (let k = 0; k < 9; k++)
      for (let j = 1; j < 8; j++) for (let i = 1; i < 8; i++) if (i === 1 || i === 7 || j === 1 || j === 7) tube[idx(dims, i, j, k)] = 1;
    const t3 = tube.slice();
    fillHoles3D(t3, dims);
    expect(t3[idx(dims, 4, 4, 4)]).toBe(0); // open at both ends: not a 3D hole
    fillHoles2D(tube, dims, 2);
    expect(tube[idx(dims, 4, 4, 4)]).toBe(1);
  });
});
