/** Voxel-centre snapping of the viewer's crosshair, on the example CT's grid (NIfTI sform, 3 mm, LPS x = 177.956 − 3i, y = −11.319 − 3j, z = 94.302 + 3k). */
import { describe, expect, it } from 'vitest';
import { indexToLps, snapToVoxelCentre, stepVoxelCentre, type VolumeGeometry } from './geometry.js';

const ct: VolumeGeometry = {
  dims: [122, 101, 112],
  spacingMm: [3, 3, 3],
  originLps: [177.95632934570312, -11.319000244140625, 94.3017578125],
  direction: [-1, 0, 0, 0, -1, 0, 0, 0, 1],
};

describe('snapToVoxelCentre', () => {
  it('the volume centre (voxel 60.5, 50, 55.5: between two slices) snaps to voxel (61, 50, 56), rounding half up', () => {
    const c = indexToLps(ct, [60.5, 50, 55.5]);
    const s = snapToVoxelCentre(ct, c);
    expect(s[0]).toBeCloseTo(177.95632934570312 - 3 * 61, 6);
    expect(s[1]).toBeCloseTo(-11.319000244140625 - 3 * 50, 6);
    expect(s[2]).toBeCloseTo(94.3017578125 + 3 * 56, 6);
  });
  it('a point 1.4 mm from a voxel centre snaps to it; 1.6 mm to the next one; outside the grid to the border voxel', () => {
    expect(snapToVoxelCentre(ct, [177.95632934570312 - 30 - 1.4, -11.319000244140625, 100])[0]).toBeCloseTo(177.95632934570312 - 30, 6);
    expect(snapToVoxelCentre(ct, [177.95632934570312 - 30 - 1.6, -11.319000244140625, 100])[0]).toBeCloseTo(177.95632934570312 - 33, 6);
    expect(snapToVoxelCentre(ct, [500, -1000, -50])).toEqual(indexToLps(ct, [0, 100, 0]));
  });
});

describe('stepVoxelCentre', () => {
  it('steps one voxel of the slice axis even when another axis is finer (0.7 × 0.7 × 3 mm)', () => {
    const g: VolumeGeometry = { ...ct, spacingMm: [0.7, 0.7, 3] };
    const p = indexToLps(g, [10, 20, 30]);
    expect(stepVoxelCentre(g, p, 2, 1)).toEqual(indexToLps(g, [10, 20, 31]));
    expect(stepVoxelCentre(g, p, 2, -10)).toEqual(indexToLps(g, [10, 20, 20]));
    expect(stepVoxelCentre(g, p, 2, 500)).toEqual(indexToLps(g, [10, 20, 111])); // clamped to the last slice
  });
});
