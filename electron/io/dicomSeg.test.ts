import { describe, expect, it } from 'vitest';
import type { VolumeGeometry } from '../engine/volume.js';
import { planeMapping } from './dicomSeg.js';

const grid: VolumeGeometry = { dims: [4, 3, 2], spacingMm: [0.5, 0.5, 3], originLps: [10, 20, 30], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };

describe('planeMapping: source pixels onto the voxels of a label grid', () => {
  it('maps pixel (r, c) of slice k to voxel (c, r, k), and −1 outside', () => {
    const map = planeMapping(grid, [10, 20, 33], [1, 0, 0, 0, 1, 0], [0.5, 0.5]);
    expect(map(0, 0)).toBe(0 + 4 * (0 + 3 * 1));
    expect(map(2, 3)).toBe(3 + 4 * (2 + 3 * 1));
    expect(map(3, 0)).toBe(-1);
    expect(map(0, 4)).toBe(-1);
  });

  it('follows a grid whose first axis is flipped', () => {
    const flipped: VolumeGeometry = { ...grid, originLps: [11.5, 20, 30], direction: [-1, 0, 0, 0, 1, 0, 0, 0, 1] };
    const map = planeMapping(flipped, [10, 20, 30], [1, 0, 0, 0, 1, 0], [0.5, 0.5]);
    expect(map(0, 0)).toBe(3);
    expect(map(0, 3)).toBe(0);
  });

  it('refuses a plane off the voxel centres (not the source grid)', () => {
    expect(() => planeMapping(grid, [10.25, 20, 30], [1, 0, 0, 0, 1, 0], [0.5, 0.5])).toThrow(/not on the source series' grid/);
    expect(() => planeMapping(grid, [10, 20, 31.5], [1, 0, 0, 0, 1, 0], [0.5, 0.5])).toThrow(/not on the source series' grid/);
    expect(() => planeMapping(grid, [10, 20, 30], [1, 0, 0, 0, 1, 0], [0.75, 0.75])).toThrow(/not on the source series' grid/);
  });
});
