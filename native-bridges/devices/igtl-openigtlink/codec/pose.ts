/**
 * Pose bodies of OpenIGTLink: TRANSFORM (12 float32: the rotation columns
 * then the translation, mm), POSITION (position in mm, then a 4- or
 * 3-element quaternion or none), TDATA (70-byte elements: name, tracking
 * type, reserved byte, 12-float transform; igtl_tdata.h) and the STT_TDATA
 * query (resolution in ms, coordinate name). Big-endian. Pure.
 */
import { IgtlDecodeError, type IgtlContentOf, type Matrix4 } from './types.js';
import { f32s, need, readName, viewOf, writeName } from './wire.js';

export const IGTL_TDATA_ELEMENT_SIZE = 70;

/** The 12 wire floats (R11 R21 R31 R12 R22 R32 R13 R23 R33 TX TY TZ) as a row-major 4×4. */
function matrixFromWire(w: number[]): Matrix4 {
  return [w[0]!, w[3]!, w[6]!, w[9]!, w[1]!, w[4]!, w[7]!, w[10]!, w[2]!, w[5]!, w[8]!, w[11]!, 0, 0, 0, 1];
}

/** A row-major 4×4 as the 12 wire floats (inverse of matrixFromWire). */
function matrixToWire(m: Matrix4): number[] {
  return [m[0]!, m[4]!, m[8]!, m[1]!, m[5]!, m[9]!, m[2]!, m[6]!, m[10]!, m[3]!, m[7]!, m[11]!];
}

/** @throws IgtlDecodeError when the body is shorter than 48 bytes */
export function decodeTransform(b: Uint8Array): IgtlContentOf<'TRANSFORM'> {
  const v = viewOf(b);
  need('TRANSFORM', b, 48);
  return { type: 'TRANSFORM', matrix: matrixFromWire(f32s(v, 0, 12)) };
}

export function encodeTransform(c: IgtlContentOf<'TRANSFORM'>): Uint8Array {
  const b = new Uint8Array(48);
  const v = new DataView(b.buffer);
  matrixToWire(c.matrix).forEach((x, i) => v.setFloat32(4 * i, x));
  return b;
}

/** @throws IgtlDecodeError when the body is shorter than 12 bytes */
export function decodePosition(b: Uint8Array): IgtlContentOf<'POSITION'> {
  const v = viewOf(b);
  need('POSITION', b, 12);
  const p = f32s(v, 0, 3) as [number, number, number];
  if (b.length >= 28) return { type: 'POSITION', positionMm: p, quaternion: f32s(v, 12, 4) as [number, number, number, number] };
  if (b.length >= 24) {
    // 3-element quaternion: w recovered from the unit norm
    const [x, y, z] = f32s(v, 12, 3) as [number, number, number];
    return { type: 'POSITION', positionMm: p, quaternion: [x, y, z, Math.sqrt(Math.max(0, 1 - x * x - y * y - z * z))] };
  }
  return { type: 'POSITION', positionMm: p, quaternion: null };
}

/** Position and, when given, the 4-element quaternion (28 bytes; 12 without). */
export function encodePosition(c: IgtlContentOf<'POSITION'>): Uint8Array {
  const b = new Uint8Array(c.quaternion ? 28 : 12);
  const v = new DataView(b.buffer);
  [...c.positionMm, ...(c.quaternion ?? [])].forEach((x, i) => v.setFloat32(4 * i, x));
  return b;
}

/** @throws IgtlDecodeError when the body is not a whole number of 70-byte elements */
export function decodeTData(b: Uint8Array): IgtlContentOf<'TDATA'> {
  const v = viewOf(b);
  if (b.length % IGTL_TDATA_ELEMENT_SIZE) throw new IgtlDecodeError(`TDATA: body of ${b.length} bytes is not a multiple of ${IGTL_TDATA_ELEMENT_SIZE}`);
  const elements = [];
  for (let off = 0; off < b.length; off += IGTL_TDATA_ELEMENT_SIZE)
    elements.push({ name: readName(b, off, 20), trackingType: b[off + 20]!, matrix: matrixFromWire(f32s(v, off + 22, 12)) });
  return { type: 'TDATA', elements };
}

export function encodeTData(c: IgtlContentOf<'TDATA'>): Uint8Array {
  const b = new Uint8Array(IGTL_TDATA_ELEMENT_SIZE * c.elements.length);
  const v = new DataView(b.buffer);
  c.elements.forEach((e, k) => {
    const off = k * IGTL_TDATA_ELEMENT_SIZE;
    writeName(b, off, 20, e.name);
    b[off + 20] = e.trackingType;
    matrixToWire(e.matrix).forEach((x, i) => v.setFloat32(off + 22 + 4 * i, x));
  });
  return b;
}

/** @throws IgtlDecodeError when the body is shorter than 36 bytes */
export function decodeSttTData(b: Uint8Array): IgtlContentOf<'STT_TDATA'> {
  const v = viewOf(b);
  need('STT_TDATA', b, 36);
  return { type: 'STT_TDATA', resolutionMs: v.getUint32(0), coordinateName: readName(b, 4, 32) };
}

export function encodeSttTData(c: IgtlContentOf<'STT_TDATA'>): Uint8Array {
  const b = new Uint8Array(36);
  new DataView(b.buffer).setUint32(0, c.resolutionMs);
  writeName(b, 4, 32, c.coordinateName);
  return b;
}
