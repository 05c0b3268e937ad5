/**
 * POLYDATA body of OpenIGTLink (igtl_polydata.h / igtl_polydata.c): the
 * 40-byte header of counts and section sizes, the points (x y z float32,
 * mm), the vertex, line, polygon and triangle-strip cell arrays, the
 * attribute headers, the NUL-terminated attribute names (padded to an even
 * length) and the attribute data (float32). Big-endian; every size is
 * checked against the body. Pure.
 */
import { IgtlDecodeError, type IgtlCellArray, type IgtlContentOf, type IgtlPolyAttribute } from './types.js';
import { ascii, bytesOf, need } from './wire.js';

export const IGTL_POLYDATA_HEADER_SIZE = 40;
export const IGTL_POLYDATA_ATTRIBUTE_HEADER_SIZE = 6;
/** Longest POLYDATA attribute name (IGTL_POLY_MAX_ATTR_NAME_LEN). */
export const IGTL_POLYDATA_MAX_NAME = 255;

/**
 * POLYDATA attribute types (igtl_polydata.h, igtlPolyDataMessage.h): bits
 * 0–3 scalar/vector/normal/tensor/RGBA, bit 4 cell (else point) data.
 */
export const IGTL_POLY_ATTR = {
  pointScalar: 0x00,
  pointVector: 0x01,
  pointNormal: 0x02,
  pointTensor: 0x03,
  pointRgba: 0x04,
  cellScalar: 0x10,
  cellVector: 0x11,
  cellNormal: 0x12,
  cellTensor: 0x13,
  cellRgba: 0x14,
} as const;

/** Components per tuple of a POLYDATA attribute type (the scalar count comes from the wire). */
function polyComponents(type: number, wireComponents: number): number {
  switch (type & 0x0f) {
    case 0:
      return wireComponents;
    case 1:
    case 2:
      return 3;
    case 3:
      return 9;
    case 4:
      return 4;
    default:
      return -1;
  }
}

/** Big-endian 32-bit words at `off` into a native Float32Array/Uint32Array. */
function beWords<T extends Float32Array | Uint32Array>(out: T, b: Uint8Array, off: number): T {
  const v = new DataView(b.buffer, b.byteOffset + off, out.length * 4);
  if (out instanceof Float32Array) for (let i = 0; i < out.length; i++) out[i] = v.getFloat32(4 * i);
  else for (let i = 0; i < out.length; i++) out[i] = v.getUint32(4 * i);
  return out;
}

/** Writes `src` as big-endian 32-bit words at `off`; returns the offset after them. */
function putBeWords(src: Float32Array | Uint32Array, b: Uint8Array, off: number): number {
  const v = new DataView(b.buffer, b.byteOffset + off, src.length * 4);
  if (src instanceof Float32Array) for (let i = 0; i < src.length; i++) v.setFloat32(4 * i, src[i]!);
  else for (let i = 0; i < src.length; i++) v.setUint32(4 * i, src[i]!);
  return off + 4 * src.length;
}

/** Checks that a cell array holds exactly `count` cells whose indices lie below `npoints`. */
function checkCells(device: string, what: string, c: IgtlCellArray, npoints: number): void {
  let p = 0;
  for (let k = 0; k < c.count; k++) {
    const n = c.data[p];
    if (n === undefined || p + 1 + n > c.data.length) throw new IgtlDecodeError(`POLYDATA ${device}: ${what} cell ${k} runs past its section`);
    for (let i = p + 1; i <= p + n; i++)
      if (c.data[i]! >= npoints) throw new IgtlDecodeError(`POLYDATA ${device}: ${what} cell ${k} names point ${c.data[i]} of ${npoints}`);
    p += 1 + n;
  }
  if (p !== c.data.length) throw new IgtlDecodeError(`POLYDATA ${device}: ${what} section holds more than its ${c.count} cells`);
}

/** POLYDATA body (igtl_polydata.c igtl_polydata_unpack, with every size checked against the body). */
export function decodePolyData(b: Uint8Array, device: string): IgtlContentOf<'POLYDATA'> {
  need(`POLYDATA ${device}`, b, IGTL_POLYDATA_HEADER_SIZE);
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const h = Array.from({ length: 10 }, (_, i) => v.getUint32(4 * i));
  const [npoints, nvert, svert, nlines, slines, npoly, spoly, nstrip, sstrip, nattr] = h as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if ((svert | slines | spoly | sstrip) % 4) throw new IgtlDecodeError(`POLYDATA ${device}: a cell section size is not a multiple of 4 bytes`);
  let p = IGTL_POLYDATA_HEADER_SIZE;
  const fixed = p + 12 * npoints + svert + slines + spoly + sstrip + IGTL_POLYDATA_ATTRIBUTE_HEADER_SIZE * nattr;
  need(`POLYDATA ${device}`, b, fixed);
  const points = beWords(new Float32Array(3 * npoints), b, p);
  p += 12 * npoints;
  const cells = (count: number, size: number, what: string): IgtlCellArray => {
    const c = { count, data: beWords(new Uint32Array(size / 4), b, p) };
    p += size;
    checkCells(device, what, c, npoints);
    return c;
  };
  const vertices = cells(nvert, svert, 'vertex');
  const lines = cells(nlines, slines, 'line');
  const polygons = cells(npoly, spoly, 'polygon');
  const triangleStrips = cells(nstrip, sstrip, 'triangle-strip');
  const heads = Array.from({ length: nattr }, (_, i) => {
    const o = p + IGTL_POLYDATA_ATTRIBUTE_HEADER_SIZE * i;
    return { type: b[o]!, wireComponents: b[o + 1]!, n: v.getUint32(o + 2) };
  });
  p += IGTL_POLYDATA_ATTRIBUTE_HEADER_SIZE * nattr;
  const names: string[] = [];
  const namesStart = p;
  for (let i = 0; i < nattr; i++) {
    let end = p;
    while (end < b.length && b[end] !== 0) end++;
    if (end >= b.length) throw new IgtlDecodeError(`POLYDATA ${device}: attribute name ${i} is not terminated`);
    if (end - p > IGTL_POLYDATA_MAX_NAME)
      throw new IgtlDecodeError(`POLYDATA ${device}: attribute name ${i} is longer than ${IGTL_POLYDATA_MAX_NAME} characters`);
    names.push(ascii.decode(b.subarray(p, end)));
    p = end + 1;
  }
  if ((p - namesStart) % 2) p++;
  const attributes = heads.map((a, i): IgtlPolyAttribute => {
    const numComponents = polyComponents(a.type, a.wireComponents);
    if (numComponents <= 0) throw new IgtlDecodeError(`POLYDATA ${device}: attribute ${names[i]} has unknown type 0x${a.type.toString(16)}`);
    const count = a.n * numComponents;
    need(`POLYDATA ${device}`, b, p + 4 * count);
    const data = beWords(new Float32Array(count), b, p);
    p += 4 * count;
    return { type: a.type, numComponents, name: names[i]!, data };
  });
  return { type: 'POLYDATA', points, vertices, lines, polygons, triangleStrips, attributes };
}

/**
 * POLYDATA body (igtl_polydata_pack).
 * @throws IgtlDecodeError when an attribute name is longer than 255 characters or holds a NUL
 */
export function encodePolyData(c: IgtlContentOf<'POLYDATA'>): Uint8Array {
  const names = c.attributes.map((a) => {
    if (a.name.length > IGTL_POLYDATA_MAX_NAME || a.name.includes('\0'))
      throw new IgtlDecodeError(`POLYDATA attribute name ${a.name.slice(0, 20)}… is invalid`);
    return bytesOf(a.name);
  });
  const nameBytes = names.reduce((s, n) => s + n.length + 1, 0);
  const sections = [c.vertices, c.lines, c.polygons, c.triangleStrips];
  const size =
    IGTL_POLYDATA_HEADER_SIZE +
    4 * c.points.length +
    sections.reduce((s, x) => s + 4 * x.data.length, 0) +
    IGTL_POLYDATA_ATTRIBUTE_HEADER_SIZE * c.attributes.length +
    nameBytes +
    (nameBytes % 2) +
    c.attributes.reduce((s, a) => s + 4 * a.data.length, 0);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  [c.points.length / 3, ...sections.flatMap((x) => [x.count, 4 * x.data.length]), c.attributes.length].forEach((x, i) => v.setUint32(4 * i, x));
  let p = putBeWords(c.points, b, IGTL_POLYDATA_HEADER_SIZE);
  for (const x of sections) p = putBeWords(x.data, b, p);
  for (const a of c.attributes) {
    b[p] = a.type;
    b[p + 1] = (a.type & 0x0f) === 0 ? a.numComponents : polyComponents(a.type, a.numComponents);
    v.setUint32(p + 2, a.data.length / a.numComponents);
    p += IGTL_POLYDATA_ATTRIBUTE_HEADER_SIZE;
  }
  for (const n of names) {
    b.set(n, p);
    p += n.length + 1;
  }
  p += nameBytes % 2;
  for (const a of c.attributes) p = putBeWords(a.data, b, p);
  return b;
}
