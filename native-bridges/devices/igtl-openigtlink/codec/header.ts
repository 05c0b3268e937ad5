/**
 * The OpenIGTLink framing around a body: the 58-byte header (igtl_header.h),
 * header timestamps, and for header version 2 (protocol v3) the 12-byte
 * extended header and the metadata block after the content
 * (igtlMessageBase.cxx packing). All fields big-endian. Pure.
 */
import { crc64 } from '../../../core/crc64.js';
import { IgtlDecodeError, type IgtlHeader } from './types.js';
import { ascii, bytesOf, readName, writeName } from './wire.js';

export const IGTL_HEADER_SIZE = 58;
export const IGTL_EXT_HEADER_SIZE = 12;

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

/**
 * Splits a header-version-2 body into the extended header's message id, the
 * content and the metadata (key → value).
 * @throws IgtlDecodeError when the body has no extended header or its sizes do not add up
 */
export function splitExtendedBody(header: IgtlHeader, body: Uint8Array): { content: Uint8Array; metadata: Record<string, string>; messageId: number } {
  const metadata: Record<string, string> = {};
  if (body.length < IGTL_EXT_HEADER_SIZE) throw new IgtlDecodeError(`${header.type}: v3 body of ${body.length} bytes has no extended header`);
  const ev = new DataView(body.buffer, body.byteOffset, body.length);
  const extSize = ev.getUint16(0);
  const metaHeaderSize = ev.getUint16(2);
  const metaSize = ev.getUint32(4);
  const messageId = ev.getUint32(8);
  const contentSize = body.length - extSize - metaHeaderSize - metaSize;
  if (extSize < IGTL_EXT_HEADER_SIZE || contentSize < 0)
    throw new IgtlDecodeError(`${header.type}: extended header sizes (${extSize}, ${metaHeaderSize}, ${metaSize}) exceed the body of ${body.length} bytes`);
  const content = body.subarray(extSize, extSize + contentSize);
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
  return { content, metadata, messageId };
}

/**
 * The header-version-2 body of content `c`: extended header, content, then
 * the metadata (entries ordered by key, US-ASCII, as the reference library
 * does; an empty metadata block is the two bytes 00 00).
 */
export function wrapExtendedBody(c: Uint8Array, metadata: Record<string, string> | undefined, messageId: number | undefined): Uint8Array {
  const keys = Object.keys(metadata ?? {}).sort();
  const kv = keys.map((k) => [bytesOf(k), bytesOf(metadata![k]!)] as const);
  const metaHeaderSize = 2 + 8 * keys.length;
  const metaSize = kv.reduce((s, [k, v]) => s + k.length + v.length, 0);
  const body = new Uint8Array(IGTL_EXT_HEADER_SIZE + c.length + metaHeaderSize + metaSize);
  const v = new DataView(body.buffer);
  v.setUint16(0, IGTL_EXT_HEADER_SIZE);
  v.setUint16(2, metaHeaderSize);
  v.setUint32(4, metaSize);
  v.setUint32(8, messageId ?? 0);
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
  return body;
}

/**
 * A whole message: the 58-byte header (with the CRC-64 of `body`) followed by `body`.
 * @param timestampS seconds since 1970 (0 or undefined = unused)
 */
export function frameMessage(headerVersion: number, type: string, deviceName: string, timestampS: number | undefined, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(IGTL_HEADER_SIZE + body.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, headerVersion);
  writeName(out, 2, 12, type);
  writeName(out, 14, 20, deviceName);
  const ts = timestampS ? igtlTimestamp(timestampS) : { seconds: 0, fraction: 0 };
  v.setUint32(34, ts.seconds);
  v.setUint32(38, ts.fraction);
  v.setBigUint64(42, BigInt(body.length));
  v.setBigUint64(50, crc64(body));
  out.set(body, IGTL_HEADER_SIZE);
  return out;
}
