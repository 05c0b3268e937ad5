import { describe, expect, it } from 'vitest';
import { decimateToBudget, enclosedVolumeMm3, meshFromMask, meshTopology, surfaceAreaMm2, surfaceNets, taubinSmooth } from './surface.js';
import { voxelizeMesh } from './voxelize.js';
import type { VolumeGeometry } from './volume.js';

function ballMask(g: VolumeGeometry, centreLps: number[], rMm: number): Uint8Array {
  const [nx, ny, nz] = g.dims;
  const m = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const p = [g.originLps[0] + i * g.spacingMm[0], g.originLps[1] + j * g.spacingMm[1], g.originLps[2] + k * g.spacingMm[2]];
        if ((p[0]! - centreLps[0]!) ** 2 + (p[1]! - centreLps[1]!) ** 2 + (p[2]! - centreLps[2]!) ** 2 <= rMm * rMm) m[i + nx * (j + ny * k)] = 1;
      }
  return m;
}

const GRID: VolumeGeometry = { dims: [40, 40, 30], spacingMm: [1, 1, 1.5], originLps: [-20, -20, -20], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };

describe('surface nets of a ball (r = 12 mm)', () => {
  const mask = ballMask(GRID, [0.3, -0.2, 1], 12);
  it('is closed, one component, genus 0, outward oriented, with area and volume near the sphere', () => {
    const mesh = surfaceNets(mask, GRID);
    const topo = meshTopology(mesh);
    expect(topo).toMatchObject({ components: 1, boundaryEdges: 0, nonManifoldEdges: 0, euler: 2 });
    taubinSmooth(mesh, 20);
    const vol = enclosedVolumeMm3(mesh);
    expect(vol).toBeGreaterThan(0);
    expect(Math.abs(vol - (4 / 3) * Math.PI * 12 ** 3) / ((4 / 3) * Math.PI * 12 ** 3)).toBeLessThan(0.05);
    expect(Math.abs(surfaceAreaMm2(mesh) - 4 * Math.PI * 144) / (4 * Math.PI * 144)).toBeLessThan(0.08);
  });

  it('decimation meets the budget and keeps the surface closed', () => {
    const mesh = surfaceNets(mask, GRID);
    const before = mesh.triangles.length / 3;
    const { mesh: small, cellMm } = decimateToBudget(mesh, Math.floor(before / 5));
    expect(cellMm).toBeGreaterThan(0);
    expect(small.triangles.length / 3).toBeLessThanOrEqual(Math.floor(before / 5));
    const topo = meshTopology(small);
    expect(topo.boundaryEdges).toBe(0);
    expect(topo.components).toBe(1);
  });

  it('a flipped axis (negative determinant) still gives outward triangles', () => {
    const flipped: VolumeGeometry = { ...GRID, direction: [1, 0, 0, 0, -1, 0, 0, 0, 1], originLps: [-20, 20, -20] };
    const m = ballMask({ ...GRID }, [0, 0, 0], 10);
    const r = meshFromMask(m, flipped, { smoothingIterations: 5, maxTriangles: 1e6 });
    expect(enclosedVolumeMm3(r.mesh)).toBeGreaterThan(0);
  });

  it('voxelizing the mesh gives back the mask within one voxel layer', () => {
    const mesh = surfaceNets(mask, GRID);
    const back = voxelizeMesh(mesh, GRID);
    let diff = 0,
      n = 0;
    for (let v = 0; v < mask.length; v++) {
      if (mask[v]) n++;
      if (mask[v] !== back[v]) diff++;
    }
    expect(diff / n).toBeLessThan(0.12);
  });
});
