/**
 * OpenIGTLink messages (protocol versions 1–3; header versions 1 and 2):
 * the 58-byte header, the version-3 extended header and metadata, and the
 * bodies of TRANSFORM, POSITION, IMAGE, POLYDATA, STATUS, STRING, COMMAND,
 * TDATA, STT_TDATA, RTS_* and the empty GET_/STP_ queries. Pure: bytes in, typed
 * messages out, and back. All multi-byte fields are big-endian except IMAGE
 * pixels (their own endian flag).
 *
 * This module holds the dispatch from message type to body codec and
 * re-exports the codec's public API. The pieces live in codec/: types.ts
 * (the typed messages and IgtlDecodeError), header.ts (header, timestamps,
 * v3 extended header and metadata), pose.ts (TRANSFORM, POSITION, TDATA,
 * STT_TDATA), image.ts (IMAGE), text.ts (STATUS, STRING, COMMAND),
 * polydata.ts (POLYDATA) and wire.ts (shared field helpers).
 *
 * Sources: openigtlink/OpenIGTLink `Documents/Protocol/*.md`, `igtl_header.h`,
 * `igtl_image.h`, `igtl_polydata.h`/`igtl_polydata.c`, `igtl_status.h`,
 * `igtl_tdata.h`, `igtlMessageBase.cxx`
 * (v3 packing); golden frames in ../shared/docs/reference/device-protocols.md
 * Appendix A (made with the reference C++ library).
 */
import { frameMessage, splitExtendedBody, wrapExtendedBody } from './codec/header.js';
import { decodeImage, encodeImage } from './codec/image.js';
import { decodePolyData, encodePolyData } from './codec/polydata.js';
import { decodePosition, decodeSttTData, decodeTData, decodeTransform, encodePosition, encodeSttTData, encodeTData, encodeTransform } from './codec/pose.js';
import { decodeCommand, decodeStatus, decodeString, encodeCommand, encodeStatus, encodeString } from './codec/text.js';
import { IgtlDecodeError, type IgtlContent, type IgtlContentOf, type IgtlHeader, type IgtlMessage } from './codec/types.js';
import { need } from './codec/wire.js';

export { IGTL_EXT_HEADER_SIZE, IGTL_HEADER_SIZE, decodeHeader, igtlTimestamp, timestampSeconds } from './codec/header.js';
export { IGTL_IMAGE_HEADER_SIZE, IGTL_SCALAR, type IgtlScalarName } from './codec/image.js';
export { IGTL_POLY_ATTR, IGTL_POLYDATA_ATTRIBUTE_HEADER_SIZE, IGTL_POLYDATA_HEADER_SIZE, IGTL_POLYDATA_MAX_NAME } from './codec/polydata.js';
export { IGTL_TDATA_ELEMENT_SIZE } from './codec/pose.js';
export { IGTL_COMMAND_HEADER_SIZE, IGTL_STATUS, IGTL_STATUS_HEADER_SIZE } from './codec/text.js';
export {
  IgtlDecodeError,
  type IgtlCellArray,
  type IgtlContent,
  type IgtlContentOf,
  type IgtlHeader,
  type IgtlMessage,
  type IgtlPolyAttribute,
  type Matrix4,
} from './codec/types.js';

/** The message types with a typed body, each with its decoder and encoder. */
type IgtlBodyType = 'TRANSFORM' | 'POSITION' | 'IMAGE' | 'POLYDATA' | 'STATUS' | 'STRING' | 'COMMAND' | 'TDATA' | 'STT_TDATA';

interface BodyCodec<C extends IgtlContent> {
  /** @param device the header's device name (for error messages) */
  decode(b: Uint8Array, device: string): C;
  encode(c: C): Uint8Array;
}

/**
 * The dispatch table: message type → body codec. Types not listed are kept
 * as raw bytes on decode (`{ type, raw }`); RTS_* and empty bodies are
 * handled before the table.
 */
const BODY_CODECS: { readonly [T in IgtlBodyType]: BodyCodec<IgtlContentOf<T>> } = {
  TRANSFORM: { decode: decodeTransform, encode: encodeTransform },
  POSITION: { decode: decodePosition, encode: encodePosition },
  IMAGE: { decode: decodeImage, encode: encodeImage },
  POLYDATA: { decode: decodePolyData, encode: encodePolyData },
  STATUS: { decode: decodeStatus, encode: encodeStatus },
  STRING: { decode: decodeString, encode: encodeString },
  COMMAND: { decode: decodeCommand, encode: encodeCommand },
  TDATA: { decode: decodeTData, encode: encodeTData },
  STT_TDATA: { decode: decodeSttTData, encode: encodeSttTData },
};

/** The body codec of a message type, or undefined when the type has none. */
function codecOf(type: string): BodyCodec<IgtlContent> | undefined {
  return Object.hasOwn(BODY_CODECS, type) ? (BODY_CODECS[type as IgtlBodyType] as BodyCodec<IgtlContent>) : undefined;
}

/**
 * Decodes a message body (without the header) of a given type. Header
 * version 2 bodies are split into extended header, content and metadata.
 * @throws IgtlDecodeError when the body is shorter than its type requires or its v3 sizes do not add up
 */
export function decodeBody(header: IgtlHeader, body: Uint8Array): IgtlMessage {
  const { content, metadata, messageId } =
    header.headerVersion >= 2 ? splitExtendedBody(header, body) : { content: body, metadata: {} as Record<string, string>, messageId: 0 };
  return { header, content: decodeContent(header.type, header.deviceName, content), metadata, messageId };
}

function decodeContent(type: string, device: string, b: Uint8Array): IgtlContent {
  if (type.startsWith('RTS_')) {
    need(type, b, 1);
    return { type: type as `RTS_${string}`, status: b[0]! };
  }
  if (b.length === 0) return { type, empty: true };
  const codec = codecOf(type);
  return codec ? codec.decode(b, device) : { type, raw: b };
}

/** Encodes a message's content (the version-1 body). */
export function encodeContent(c: IgtlContent): Uint8Array {
  if ('empty' in c) return new Uint8Array(0);
  if ('raw' in c) return c.raw;
  if ('status' in c) return Uint8Array.of(c.status & 0xff);
  const codec = codecOf(c.type);
  if (codec) return codec.encode(c);
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
  const hv = o.headerVersion ?? 1;
  const body = hv === 2 ? wrapExtendedBody(c, o.metadata, o.messageId) : c;
  return frameMessage(hv, type, o.deviceName, o.timestampS, body);
}
