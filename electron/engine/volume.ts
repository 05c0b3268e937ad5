/**
 * Volumes in patient world coordinates.
 *
 * Convention (the same as ITK and DICOM): world coordinates are LPS
 * (x → patient Left, y → Posterior, z → Superior), in millimetres. A voxel
 * index (i, j, k), with i varying fastest in `data`, maps to
 *
 *   p_LPS = origin + D · diag(spacing) · [i, j, k]ᵀ
 *
 * where `direction` D is a row-major 3×3 matrix whose column c is the unit
 * LPS direction of index axis c. Oblique directions are allowed.
 */

import type { VolumeGeometry } from '../../math/geometry.js';

export { indexAxisClosestTo, indexToLps, lpsToIndex } from '../../math/geometry.js';
export type { Mat3, Vec3, VolumeGeometry } from '../../math/geometry.js';

export type VoxelArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

export type VoxelType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

/** A scalar volume; `data[i + nx * (j + ny * k)]`. */
export interface Volume<T extends VoxelArray = VoxelArray> extends VolumeGeometry {
  data: T;
}

export function voxelTypeOf(a: VoxelArray): VoxelType {
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Float32Array) return 'float32';
  return 'float64';
}

export function allocVoxels(type: VoxelType, n: number): VoxelArray {
  switch (type) {
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
      return new Uint8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'uint32':
      return new Uint32Array(n);
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
  }
}

/** Volume of one voxel in mm³. */
export function voxelVolumeMm3(g: Pick<VolumeGeometry, 'spacingMm'>): number {
  return g.spacingMm[0] * g.spacingMm[1] * g.spacingMm[2];
}
