/**
 * Text bodies of OpenIGTLink: STATUS (igtl_status.h: code, 64-bit sub-code,
 * 20-byte error name, NUL-terminated message), STRING (encoding as an IANA
 * MIBenum, length, bytes) and COMMAND (id, 128-byte name, encoding, length,
 * content). Big-endian; text read and written as Latin-1 bytes. Pure.
 */
import type { IgtlContentOf } from './types.js';
import { ascii, bytesOf, need, readName, viewOf, writeName } from './wire.js';

export const IGTL_STATUS_HEADER_SIZE = 30;
export const IGTL_COMMAND_HEADER_SIZE = 138;

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

/** @throws IgtlDecodeError when the body is shorter than the 30-byte status header */
export function decodeStatus(b: Uint8Array): IgtlContentOf<'STATUS'> {
  const v = viewOf(b);
  const type = 'STATUS';
  need(type, b, IGTL_STATUS_HEADER_SIZE);
  return { type, code: v.getUint16(0), subCode: v.getBigInt64(2), errorName: readName(b, 10, 20), message: readName(b, 30, b.length - 30) };
}

/** STATUS body with the message NUL-terminated. */
export function encodeStatus(c: IgtlContentOf<'STATUS'>): Uint8Array {
  const b = new Uint8Array(IGTL_STATUS_HEADER_SIZE + c.message.length + 1);
  const v = new DataView(b.buffer);
  v.setUint16(0, c.code);
  v.setBigInt64(2, c.subCode);
  writeName(b, 10, 20, c.errorName);
  b.set(bytesOf(c.message), 30);
  return b;
}

/** @throws IgtlDecodeError when the body is shorter than its 4-byte header and string */
export function decodeString(b: Uint8Array): IgtlContentOf<'STRING'> {
  const v = viewOf(b);
  const type = 'STRING';
  need(type, b, 4);
  const len = v.getUint16(2);
  need(type, b, 4 + len);
  return { type, encoding: v.getUint16(0), value: ascii.decode(b.subarray(4, 4 + len)) };
}

export function encodeString(c: IgtlContentOf<'STRING'>): Uint8Array {
  const s = bytesOf(c.value);
  const b = new Uint8Array(4 + s.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, c.encoding);
  v.setUint16(2, s.length);
  b.set(s, 4);
  return b;
}

/** @throws IgtlDecodeError when the body is shorter than its 138-byte header and content */
export function decodeCommand(b: Uint8Array): IgtlContentOf<'COMMAND'> {
  const v = viewOf(b);
  const type = 'COMMAND';
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

export function encodeCommand(c: IgtlContentOf<'COMMAND'>): Uint8Array {
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
