/**
 * Writes a Volume to MetaImage (.mha/.mhd), NRRD or NIfTI with itk-wasm
 * (`@itk-wasm/image-io`), the inverse of `volumeFromItkImage` (origin,
 * spacing and direction in LPS mm, the way ITK writes them).
 */
import { writeImageNode } from '@itk-wasm/image-io';
import { Image, ImageType, IntTypes, FloatTypes, PixelTypes } from 'itk-wasm';
import { AppError } from '../contract/errors.js';
import { voxelTypeOf, type Volume } from '../engine/volume.js';

const COMPONENT = {
  int8: IntTypes.Int8,
  uint8: IntTypes.UInt8,
  int16: IntTypes.Int16,
  uint16: IntTypes.UInt16,
  int32: IntTypes.Int32,
  uint32: IntTypes.UInt32,
  float32: FloatTypes.Float32,
  float64: FloatTypes.Float64,
} as const;

/** The itk-wasm Image of a volume (shares its voxel buffer). */
export function itkImageOfVolume(v: Volume, name = 'volume'): Image {
  const img = new Image(new ImageType(3, COMPONENT[voxelTypeOf(v.data)], PixelTypes.Scalar, 1));
  img.name = name;
  img.size = [...v.dims];
  img.spacing = [...v.spacingMm];
  img.origin = [...v.originLps];
  img.direction = new Float64Array(v.direction);
  img.data = v.data;
  return img;
}

/**
 * Writes `v` to `file`; the format follows the extension (.mha, .mhd, .nrrd, .nii, .nii.gz).
 * @param compress zlib/gzip the voxels where the format allows (default true)
 * @throws AppError STORE_FAILED naming the file and the reason
 */
export async function writeVolumeFile(file: string, v: Volume, compress = true): Promise<void> {
  try {
    await writeImageNode(itkImageOfVolume(v), file, { useCompression: compress });
  } catch (e) {
    throw new AppError('STORE_FAILED', `${file}: cannot write the volume (${(e as Error).message ?? String(e)})`, { file });
  }
}
