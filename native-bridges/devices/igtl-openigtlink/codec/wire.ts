/**
 * Field helpers shared by the OpenIGTLink body codecs: fixed-length
 * NUL-padded names (US-ASCII, read as Latin-1), big-endian float runs and the
 * size check that raises IgtlDecodeError. Pure.
 */
import { IgtlDecodeError } from './types.js';

export const ascii = new TextDecoder('latin1');

/** The NUL-terminated name in the `len` bytes at `off` (the whole field when it has no NUL). */
export function readName(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return ascii.decode(b.subarray(off, end));
}

/** Writes `s` into the `len` bytes at `off`, truncated or NUL-padded (low byte of each UTF-16 unit). */
export function writeName(b: Uint8Array, off: number, len: number, s: string): void {
  for (let i = 0; i < len; i++) b[off + i] = i < s.length ? s.charCodeAt(i) & 0xff : 0;
}

/** The low byte of each UTF-16 unit of `s` (US-ASCII / Latin-1 text). */
export function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** `n` big-endian float32 values at `off`. */
export const f32s = (v: DataView, off: number, n: number): number[] => Array.from({ length: n }, (_, i) => v.getFloat32(off + 4 * i));

/** @throws IgtlDecodeError when the body `b` of a `type` message is shorter than `n` bytes */
export function need(type: string, b: Uint8Array, n: number): void {
  if (b.length < n) throw new IgtlDecodeError(`${type}: body of ${b.length} bytes, at least ${n} expected`);
}

/** A big-endian DataView over the bytes of `b`. */
export const viewOf = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.length);
