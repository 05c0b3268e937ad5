/** A stored volume (raw voxels + VolumeRecord) as a vtkImageData in LPS mm. */
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import type { VolumeRecord } from '../../../capabilities/studies/contract.js';

const CTORS = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/** A volume's raw voxels as a typed array of its voxel type. */
export function voxelsFromBuffer(type: VolumeRecord['voxelType'], buf: ArrayBuffer): ArrayLike<number> & ArrayBufferView {
  return new CTORS[type](buf);
}

/**
 * vtk.js keeps the direction column-major (the first three numbers are the i
 * axis); the twin store keeps it row-major with columns as axes, so transpose.
 */
export function toVtkDirection(d: readonly number[]): number[] {
  return [d[0]!, d[3]!, d[6]!, d[1]!, d[4]!, d[7]!, d[2]!, d[5]!, d[8]!];
}

/** A stored volume as a vtkImageData in LPS mm (origin, spacing and direction from its record). */
export function makeImageData(v: VolumeRecord, buf: ArrayBuffer): vtkImageData {
  const values = voxelsFromBuffer(v.voxelType, buf);
  const expected = v.dims[0] * v.dims[1] * v.dims[2];
  if (values.length !== expected) throw new Error(`volume ${v.id}: ${values.length} voxels received, ${expected} expected`);
  const image = vtkImageData.newInstance();
  image.setDimensions([...v.dims]);
  image.setSpacing([...v.spacingMm]);
  image.setOrigin([...v.originLps]);
  image.setDirection(Float32Array.from(toVtkDirection(v.direction)) as never);
  image.getPointData().setScalars(vtkDataArray.newInstance({ name: 'scalars', numberOfComponents: 1, values: values as unknown as Float32Array }));
  return image;
}
