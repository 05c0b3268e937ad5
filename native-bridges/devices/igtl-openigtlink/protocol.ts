/**
 * OpenIGTLink messages (protocol versions 1–3; header versions 1 and 2):
 * the 58-byte header, the version-3 extended header and metadata, and the
 * bodies of TRANSFORM, POSITION, IMAGE, POLYDATA, STATUS, STRING, COMMAND,
 * TDATA, STT_TDATA, RTS_* and the empty GET_/STP_ queries. Pure: bytes in, typed
 * messages out, and back. All multi-byte fields are big-endian except IMAGE
 * pixels (their own endian flag).
 *
 * Sources: openigtlink/OpenIGTLink `Documents/Protocol/*.md`, `igtl_header.h`,
 * `igtl_image.h`, `igtl_polydata.h`/`igtl_polydata.c`, `igtl_status.h`,
 * `igtl_tdata.h`, `igtlMessageBase.cxx`
 * (v3 packing); golden frames in ../shared/docs/reference/device-protocols.md
 * Appendix A (made with the reference C++ library).
 */
import { crc64 } from '../../core/crc64.js';

export const IGTL_HEADER_SIZE = 58;
export const IGTL_EXT_HEADER_SIZE = 12;
export const IGTL_IMAGE_HEADER_SIZE = 72;
export const IGTL_STATUS_HEADER_SIZE = 30;
export const IGTL_COMMAND_HEADER_SIZE = 138;
export const IGTL_TDATA_ELEMENT_SIZE = 70;
export const IGTL_POLYDATA_HEADER_SIZE = 40;
export const IGTL_POLYDATA_ATTRIBUTE_HEADER_SIZE = 6;
/** Longest POLYDATA attribute name (IGTL_POLY_MAX_ATTR_NAME_LEN). */
export const IGTL_POLYDATA_MAX_NAME = 255;

export interface IgtlHeader {
  /** 1: protocol v1/v2; 2: protocol v3 (extended header and metadata in the body). */
  headerVersion: number;
  /** Message type, ≤ 12 ASCII characters (e.g. TRANSFORM, GET_STATUS, STT_TDATA). */
  type: string;
  /** Device name, ≤ 20 ASCII characters (e.g. ProbeToTracker, Image_Reference). */
  deviceName: string;
  /** Seconds since 1970-01-01 UTC (upper 32 bits) and binary fraction (lower 32 bits); 0 = unused. */
  timestamp: { seconds: number; fraction: number };
  bodySize: bigint;
  crc: bigint;
}

/** IMAGE scalar types (igtl_image.h). */
export const IGTL_SCALAR = { int8: 2, uint8: 3, int16: 4, uint16: 5, int32: 6, uint32: 7, float32: 10, float64: 11 } as const;
export type IgtlScalarName = keyof typeof IGTL_SCALAR;
const SCALAR_BYTES: Record<number, number> = { 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 4, 10: 4, 11: 8 };

/** STATUS codes (igtl_status.h). */
export const IGTL_STATUS = {
  OK: 1,
  UNKNOWN_ERROR: 2,
  PANIC: 3,
  NOT_FOUND: 4,
  ACCESS_DENIED: 5,
  BUSY: 6,
  TIME_OUT: 7,
  OVERFLOW: 8,
  CHECKSUM_ERROR: 9,
  CONFIG_ERROR: 10,
  RESOURCE_ERROR: 11,
  ILLEGAL_INSTRUCTION: 12,
  NOT_READY: 13,
  MANUAL_MODE: 14,
  DISABLED: 15,
  NOT_PRESENT: 16,
  UNKNOWN_VERSION: 17,
  HARDWARE_FAILURE: 18,
  SHUTTING_DOWN: 19,
} as const;

/** A 4×4 homogeneous transform, row-major, rotation unitless, translation in mm. */
export type Matrix4 = number[];

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

/** A POLYDATA cell array as on the wire: `count` cells, each `n, i1 … in` (point indices). */
export interface IgtlCellArray {
  count: number;
  data: Uint32Array;
}

/** A POLYDATA point or cell attribute: `n` tuples of `numComponents` float32 values. */
export interface IgtlPolyAttribute {
  type: number;
  /** Components per tuple: the scalar count (1–127), 3 vector/normal, 9 tensor, 4 RGBA. */
  numComponents: number;
  name: string;
  /** n × numComponents values, tuple-interleaved. */
  data: Float32Array;
}

export type IgtlContent =
  | { type: 'TRANSFORM'; matrix: Matrix4 }
  | { type: 'POSITION'; positionMm: [number, number, number]; quaternion: [number, number, number, number] | null }
  | {
      type: 'IMAGE';
      numComponents: number;
      scalarType: number;
      /** Pixel byte order: 1 big, 2 little. */
      endian: 1 | 2;
      /** 1 RAS, 2 LPS. */
      coordinate: 1 | 2;
      size: [number, number, number];
      /** i, j, k axis vectors scaled by the spacing (mm), then the image centre (mm): 12 numbers. */
      matrix: number[];
      subvolumeOffset: [number, number, number];
      subvolumeSize: [number, number, number];
      /** Raw pixel bytes (components interleaved, in `endian` order). */
      pixels: Uint8Array;
    }
  | {
      type: 'POLYDATA';
      /** x y z per point (mm, in the sender's frame). */
      points: Float32Array;
      vertices: IgtlCellArray;
      lines: IgtlCellArray;
      polygons: IgtlCellArray;
      triangleStrips: IgtlCellArray;
      attributes: IgtlPolyAttribute[];
    }
  | { type: 'STATUS'; code: number; subCode: bigint; errorName: string; message: string }
  | { type: 'STRING'; encoding: number; value: string }
  | { type: 'COMMAND'; commandId: number; name: string; encoding: number; content: string }
  | { type: 'TDATA'; elements: { name: string; trackingType: number; matrix: Matrix4 }[] }
  | { type: 'STT_TDATA'; resolutionMs: number; coordinateName: string }
  /** RTS_<type>: acknowledgement of a start/stop (0 success, 1 error). */
  | { type: `RTS_${string}`; status: number }
  /** GET_<type>, STP_<type>, STT_<type> without a body, or any message with an empty body. */
  | { type: string; empty: true }
  /** A type this codec does not decode (kept as bytes, skipped by size). */
  | { type: string; raw: Uint8Array };

export interface IgtlMessage {
  header: IgtlHeader;
  content: IgtlContent;
  /** Version-3 metadata (key → value), empty for header version 1. */
  metadata: Record<string, string>;
  /** Version-3 message id (0 for header version 1). */
  messageId: number;
}

export class IgtlDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IgtlDecodeError';
  }
}

const ascii = new TextDecoder('latin1');

function readName(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return ascii.decode(b.subarray(off, end));
}

function writeName(b: Uint8Array, off: number, len: number, s: string): void {
  for (let i = 0; i < len; i++) b[off + i] = i < s.length ? s.charCodeAt(i) & 0xff : 0;
}

function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Timestamp of a time in seconds since 1970 (fraction = round(frac · 2³²), igtl_nanosec_to_frac). */
export function igtlTimestamp(seconds: number): { seconds: number; fraction: number } {
  const s = Math.floor(seconds);
  return { seconds: s >>> 0, fraction: Math.min(0xffffffff, Math.round((seconds - s) * 2 ** 32)) >>> 0 };
}

/** Seconds since 1970 of a header timestamp. */
export function timestampSeconds(t: { seconds: number; fraction: number }): number {
  return t.seconds + t.fraction / 2 ** 32;
}

/**
 * Decodes the 58-byte header at `off`.
 * @throws IgtlDecodeError when fewer than 58 bytes are given
 */
export function decodeHeader(b: Uint8Array, off = 0): IgtlHeader {
  if (b.length - off < IGTL_HEADER_SIZE) throw new IgtlDecodeError(`header needs ${IGTL_HEADER_SIZE} bytes, ${b.length - off} given`);
  const v = new DataView(b.buffer, b.byteOffset + off, IGTL_HEADER_SIZE);
  return {
    headerVersion: v.getUint16(0),
    type: readName(b, off + 2, 12),
    deviceName: readName(b, off + 14, 20),
    timestamp: { seconds: v.getUint32(34), fraction: v.getUint32(38) },
    bodySize: v.getBigUint64(42),
    crc: v.getBigUint64(50),
  };
}

const f32s = (v: DataView, off: number, n: number): number[] => Array.from({ length: n }, (_, i) => v.getFloat32(off + 4 * i));

/** The 12 wire floats (R11 R21 R31 R12 R22 R32 R13 R23 R33 TX TY TZ) as a row-major 4×4. */
function matrixFromWire(w: number[]): Matrix4 {
  return [w[0]!, w[3]!, w[6]!, w[9]!, w[1]!, w[4]!, w[7]!, w[10]!, w[2]!, w[5]!, w[8]!, w[11]!, 0, 0, 0, 1];
}

function matrixToWire(m: Matrix4): number[] {
  return [m[0]!, m[4]!, m[8]!, m[1]!, m[5]!, m[9]!, m[2]!, m[6]!, m[10]!, m[3]!, m[7]!, m[11]!];
}

/**
 * Decodes a message body (without the header) of a given type. Header
 * version 2 bodies are split into extended header, content and metadata.
 * @throws IgtlDecodeError when the body is shorter than its type requires or its v3 sizes do not add up
 */
export function decodeBody(header: IgtlHeader, body: Uint8Array): IgtlMessage {
  let content = body;
  const metadata: Record<string, string> = {};
  let messageId = 0;
  if (header.headerVersion >= 2) {
    if (body.length < IGTL_EXT_HEADER_SIZE) throw new IgtlDecodeError(`${header.type}: v3 body of ${body.length} bytes has no extended header`);
    const ev = new DataView(body.buffer, body.byteOffset, body.length);
    const extSize = ev.getUint16(0);
    const metaHeaderSize = ev.getUint16(2);
    const metaSize = ev.getUint32(4);
    messageId = ev.getUint32(8);
    const contentSize = body.length - extSize - metaHeaderSize - metaSize;
    if (extSize < IGTL_EXT_HEADER_SIZE || contentSize < 0)
      throw new IgtlDecodeError(`${header.type}: extended header sizes (${extSize}, ${metaHeaderSize}, ${metaSize}) exceed the body of ${body.length} bytes`);
    content = body.subarray(extSize, extSize + contentSize);
    const mh = extSize + contentSize;
    if (metaHeaderSize >= 2) {
      const count = ev.getUint16(mh);
      if (2 + 8 * count > metaHeaderSize) throw new IgtlDecodeError(`${header.type}: metadata header of ${metaHeaderSize} bytes cannot list ${count} entries`);
      let p = mh + metaHeaderSize;
      for (let i = 0; i < count; i++) {
        const keySize = ev.getUint16(mh + 2 + 8 * i);
        const valueSize = ev.getUint32(mh + 2 + 8 * i + 4);
        if (p + keySize + valueSize > body.length) throw new IgtlDecodeError(`${header.type}: metadata entry ${i} runs past the body`);
        const key = ascii.decode(body.subarray(p, p + keySize));
        p += keySize;
        metadata[key] = ascii.decode(body.subarray(p, p + valueSize));
        p += valueSize;
      }
    }
  }
  return { header, content: decodeContent(header.type, header.deviceName, content), metadata, messageId };
}

function need(type: string, b: Uint8Array, n: number): void {
  if (b.length < n) throw new IgtlDecodeError(`${type}: body of ${b.length} bytes, at least ${n} expected`);
}

function decodeContent(type: string, device: string, b: Uint8Array): IgtlContent {
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  if (type.startsWith('RTS_')) {
    need(type, b, 1);
    return { type: type as `RTS_${string}`, status: b[0]! };
  }
  if (b.length === 0) return { type, empty: true };
  switch (type) {
    case 'TRANSFORM':
      need(type, b, 48);
      return { type, matrix: matrixFromWire(f32s(v, 0, 12)) };
    case 'POSITION': {
      need(type, b, 12);
      const p = f32s(v, 0, 3) as [number, number, number];
      if (b.length >= 28) return { type, positionMm: p, quaternion: f32s(v, 12, 4) as [number, number, number, number] };
      if (b.length >= 24) {
        // 3-element quaternion: w recovered from the unit norm
        const [x, y, z] = f32s(v, 12, 3) as [number, number, number];
        return { type, positionMm: p, quaternion: [x, y, z, Math.sqrt(Math.max(0, 1 - x * x - y * y - z * z))] };
      }
      return { type, positionMm: p, quaternion: null };
    }
    case 'IMAGE': {
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
    case 'POLYDATA':
      return decodePolyData(device, b);
    case 'STATUS': {
      need(type, b, IGTL_STATUS_HEADER_SIZE);
      return { type, code: v.getUint16(0), subCode: v.getBigInt64(2), errorName: readName(b, 10, 20), message: readName(b, 30, b.length - 30) };
    }
    case 'STRING': {
      need(type, b, 4);
      const len = v.getUint16(2);
      need(type, b, 4 + len);
      return { type, encoding: v.getUint16(0), value: ascii.decode(b.subarray(4, 4 + len)) };
    }
    case 'COMMAND': {
      need(type, b, IGTL_COMMAND_HEADER_SIZE);
      const len = v.getUint32(134);
      need(type, b, IGTL_COMMAND_HEADER_SIZE + len);
      return {
        type,
        commandId: v.getUint32(0),
        name: readName(b, 4, 128),
        encoding: v.getUint16(132),
        content: ascii.decode(b.subarray(IGTL_COMMAND_HEADER_SIZE, IGTL_COMMAND_HEADER_SIZE + len)),
      };
    }
    case 'TDATA': {
      if (b.length % IGTL_TDATA_ELEMENT_SIZE) throw new IgtlDecodeError(`TDATA: body of ${b.length} bytes is not a multiple of ${IGTL_TDATA_ELEMENT_SIZE}`);
      const elements = [];
      for (let off = 0; off < b.length; off += IGTL_TDATA_ELEMENT_SIZE)
        elements.push({ name: readName(b, off, 20), trackingType: b[off + 20]!, matrix: matrixFromWire(f32s(v, off + 22, 12)) });
      return { type, elements };
    }
    case 'STT_TDATA':
      need(type, b, 36);
      return { type, resolutionMs: v.getUint32(0), coordinateName: readName(b, 4, 32) };
    default:
      return { type, raw: b };
  }
}

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
function decodePolyData(device: string, b: Uint8Array): IgtlContent {
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

function encodePolyData(c: Extract<IgtlContent, { type: 'POLYDATA' }>): Uint8Array {
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

/** Encodes a message's content (the version-1 body). */
export function encodeContent(c: IgtlContent): Uint8Array {
  if ('empty' in c) return new Uint8Array(0);
  if ('raw' in c) return c.raw;
  if ('status' in c) return Uint8Array.of(c.status & 0xff);
  switch (c.type) {
    case 'TRANSFORM': {
      const b = new Uint8Array(48);
      const v = new DataView(b.buffer);
      matrixToWire(c.matrix).forEach((x, i) => v.setFloat32(4 * i, x));
      return b;
    }
    case 'POSITION': {
      const b = new Uint8Array(c.quaternion ? 28 : 12);
      const v = new DataView(b.buffer);
      [...c.positionMm, ...(c.quaternion ?? [])].forEach((x, i) => v.setFloat32(4 * i, x));
      return b;
    }
    case 'IMAGE': {
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
    case 'POLYDATA':
      return encodePolyData(c);
    case 'STATUS': {
      const b = new Uint8Array(IGTL_STATUS_HEADER_SIZE + c.message.length + 1);
      const v = new DataView(b.buffer);
      v.setUint16(0, c.code);
      v.setBigInt64(2, c.subCode);
      writeName(b, 10, 20, c.errorName);
      b.set(bytesOf(c.message), 30);
      return b;
    }
    case 'STRING': {
      const s = bytesOf(c.value);
      const b = new Uint8Array(4 + s.length);
      const v = new DataView(b.buffer);
      v.setUint16(0, c.encoding);
      v.setUint16(2, s.length);
      b.set(s, 4);
      return b;
    }
    case 'COMMAND': {
      const s = bytesOf(c.content);
      const b = new Uint8Array(IGTL_COMMAND_HEADER_SIZE + s.length);
      const v = new DataView(b.buffer);
      v.setUint32(0, c.commandId);
      writeName(b, 4, 128, c.name);
      v.setUint16(132, c.encoding);
      v.setUint32(134, s.length);
      b.set(s, IGTL_COMMAND_HEADER_SIZE);
      return b;
    }
    case 'TDATA': {
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
    case 'STT_TDATA': {
      const b = new Uint8Array(36);
      new DataView(b.buffer).setUint32(0, c.resolutionMs);
      writeName(b, 4, 32, c.coordinateName);
      return b;
    }
  }
  throw new IgtlDecodeError(`cannot encode a ${(c as { type: string }).type} message`);
}

/**
 * Encodes a whole message: header (58 bytes) + body, with the CRC-64 of the
 * body. Header version 2 wraps the content in the extended header and
 * appends the metadata (entries ordered by key, US-ASCII, as the reference
 * library does; an empty metadata block is the two bytes 00 00).
 * @param o.type message type (defaults to content.type); o.timestampS seconds since 1970 (0 = unused)
 * @throws IgtlDecodeError when the type or the device name is too long
 */
export function encodeMessage(
  content: IgtlContent,
  o: { deviceName: string; timestampS?: number; headerVersion?: 1 | 2; messageId?: number; metadata?: Record<string, string>; type?: string },
): Uint8Array {
  const type = o.type ?? content.type;
  if (type.length > 12) throw new IgtlDecodeError(`message type ${type} is longer than 12 characters`);
  if (o.deviceName.length > 20) throw new IgtlDecodeError(`device name ${o.deviceName} is longer than 20 characters`);
  const c = encodeContent(content);
  let body = c;
  const hv = o.headerVersion ?? 1;
  if (hv === 2) {
    const keys = Object.keys(o.metadata ?? {}).sort();
    const kv = keys.map((k) => [bytesOf(k), bytesOf(o.metadata![k]!)] as const);
    const metaHeaderSize = 2 + 8 * keys.length;
    const metaSize = kv.reduce((s, [k, v]) => s + k.length + v.length, 0);
    body = new Uint8Array(IGTL_EXT_HEADER_SIZE + c.length + metaHeaderSize + metaSize);
    const v = new DataView(body.buffer);
    v.setUint16(0, IGTL_EXT_HEADER_SIZE);
    v.setUint16(2, metaHeaderSize);
    v.setUint32(4, metaSize);
    v.setUint32(8, o.messageId ?? 0);
    body.set(c, IGTL_EXT_HEADER_SIZE);
    let p = IGTL_EXT_HEADER_SIZE + c.length;
    v.setUint16(p, keys.length);
    kv.forEach(([k, val], i) => {
      v.setUint16(p + 2 + 8 * i, k.length);
      v.setUint16(p + 2 + 8 * i + 2, 3);
      v.setUint32(p + 2 + 8 * i + 4, val.length);
    });
    p += metaHeaderSize;
    for (const [k, val] of kv) {
      body.set(k, p);
      p += k.length;
      body.set(val, p);
      p += val.length;
    }
  }
  const out = new Uint8Array(IGTL_HEADER_SIZE + body.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, hv);
  writeName(out, 2, 12, type);
  writeName(out, 14, 20, o.deviceName);
  const ts = o.timestampS ? igtlTimestamp(o.timestampS) : { seconds: 0, fraction: 0 };
  v.setUint32(34, ts.seconds);
  v.setUint32(38, ts.fraction);
  v.setBigUint64(42, BigInt(body.length));
  v.setBigUint64(50, crc64(body));
  out.set(body, IGTL_HEADER_SIZE);
  return out;
}
