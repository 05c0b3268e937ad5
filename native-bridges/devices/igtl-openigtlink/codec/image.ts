/**
 * IMAGE body of OpenIGTLink (igtl_image.h): the 72-byte image header
 * (version, components, scalar type, pixel endian, coordinate system, size,
 * the 12-float matrix, sub-volume offset and size) then the raw pixels of
 * the sub-volume. Header fields big-endian; pixels in their own byte order.
 * Pure.
 */
import { IgtlDecodeError, type IgtlContentOf } from './types.js';
import { f32s, need, viewOf } from './wire.js';

export const IGTL_IMAGE_HEADER_SIZE = 72;

/** IMAGE scalar types (igtl_image.h). */
export const IGTL_SCALAR = { int8: 2, uint8: 3, int16: 4, uint16: 5, int32: 6, uint32: 7, float32: 10, float64: 11 } as const;
export type IgtlScalarName = keyof typeof IGTL_SCALAR;
const SCALAR_BYTES: Record<number, number> = { 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 4, 10: 4, 11: 8 };

/**
 * Decodes an IMAGE body; `pixels` is a view into `b`.
 * @throws IgtlDecodeError when the scalar type is unknown or the body is shorter than its header and sub-volume
 */
export function decodeImage(b: Uint8Array, device: string): IgtlContentOf<'IMAGE'> {
  const v = viewOf(b);
  const type = 'IMAGE';
  need(type, b, IGTL_IMAGE_HEADER_SIZE);
  const size: [number, number, number] = [v.getUint16(6), v.getUint16(8), v.getUint16(10)];
  const subvolumeSize: [number, number, number] = [v.getUint16(66), v.getUint16(68), v.getUint16(70)];
  const scalarType = b[3]!;
  const bytesPer = SCALAR_BYTES[scalarType];
  if (!bytesPer) throw new IgtlDecodeError(`IMAGE ${device}: unknown scalar type ${scalarType}`);
  const expected = subvolumeSize[0] * subvolumeSize[1] * subvolumeSize[2] * b[2]! * bytesPer;
  need(`IMAGE ${device}`, b, IGTL_IMAGE_HEADER_SIZE + expected);
  return {
    type,
    numComponents: b[2]!,
    scalarType,
    endian: b[4] === 1 ? 1 : 2,
    coordinate: b[5] === 2 ? 2 : 1,
    size,
    matrix: f32s(v, 12, 12),
    subvolumeOffset: [v.getUint16(60), v.getUint16(62), v.getUint16(64)],
    subvolumeSize,
    pixels: b.subarray(IGTL_IMAGE_HEADER_SIZE, IGTL_IMAGE_HEADER_SIZE + expected),
  };
}

/** Encodes an IMAGE body (image header version 1). */
export function encodeImage(c: IgtlContentOf<'IMAGE'>): Uint8Array {
  const b = new Uint8Array(IGTL_IMAGE_HEADER_SIZE + c.pixels.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, 1);
  b[2] = c.numComponents;
  b[3] = c.scalarType;
  b[4] = c.endian;
  b[5] = c.coordinate;
  c.size.forEach((x, i) => v.setUint16(6 + 2 * i, x));
  c.matrix.forEach((x, i) => v.setFloat32(12 + 4 * i, x));
  c.subvolumeOffset.forEach((x, i) => v.setUint16(60 + 2 * i, x));
  c.subvolumeSize.forEach((x, i) => v.setUint16(66 + 2 * i, x));
  b.set(c.pixels, IGTL_IMAGE_HEADER_SIZE);
  return b;
}
