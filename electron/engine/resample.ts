/**
 * Trilinear resampling of a volume onto a finer or coarser grid with the same
 * origin and direction (LPS mm). Used by the benchmark to make a 0.75 mm
 * version of the 3 mm example CT.
 */
import { allocVoxels, voxelTypeOf, type Vec3, type Volume } from './volume.js';

/**
 * @param v source volume
 * @param spacingMm target spacing (mm); the target grid spans the source's extent
 * @returns the resampled volume (same voxel type, values rounded for integers)
 */
export function resampleTrilinear(v: Volume, spacingMm: Vec3): Volume {
  const dims = [0, 1, 2].map((a) => Math.floor(((v.dims[a]! - 1) * v.spacingMm[a]!) / spacingMm[a]! + 1e-6) + 1) as Vec3;
  const [nx, ny, nz] = v.dims;
  const [mx, my, mz] = dims;
  const type = voxelTypeOf(v.data);
  const out = allocVoxels(type, mx * my * mz);
  const round = type.startsWith('float') ? (x: number) => x : Math.round;
  const sx = spacingMm[0] / v.spacingMm[0],
    sy = spacingMm[1] / v.spacingMm[1],
    sz = spacingMm[2] / v.spacingMm[2];
  const d = v.data;
  let o = 0;
  for (let k = 0; k < mz; k++) {
    const z = k * sz,
      k0 = Math.min(nz - 2, Math.floor(z)),
      fz = z - k0;
    for (let j = 0; j < my; j++) {
      const y = j * sy,
        j0 = Math.min(ny - 2, Math.floor(y)),
        fy = y - j0;
      const r00 = nx * (j0 + ny * k0),
        r10 = nx * (j0 + 1 + ny * k0),
        r01 = nx * (j0 + ny * (k0 + 1)),
        r11 = nx * (j0 + 1 + ny * (k0 + 1));
      for (let i = 0; i < mx; i++, o++) {
        const x = i * sx,
          i0 = Math.min(nx - 2, Math.floor(x)),
          fx = x - i0;
        const c00 = (d[r00 + i0] as number) * (1 - fx) + (d[r00 + i0 + 1] as number) * fx;
        const c10 = (d[r10 + i0] as number) * (1 - fx) + (d[r10 + i0 + 1] as number) * fx;
        const c01 = (d[r01 + i0] as number) * (1 - fx) + (d[r01 + i0 + 1] as number) * fx;
        const c11 = (d[r11 + i0] as number) * (1 - fx) + (d[r11 + i0 + 1] as number) * fx;
        out[o] = round((c00 * (1 - fy) + c10 * fy) * (1 - fz) + (c01 * (1 - fy) + c11 * fy) * fz);
      }
    }
  }
  return { dims, spacingMm: [...spacingMm], originLps: [...v.originLps], direction: [...v.direction], data: out };
}
