/**
 * The typed OpenIGTLink messages this codec reads and writes (protocol.ts):
 * the header, the content of each message type, and the decode error. Units
 * and frames as on the wire: mm in the sender's frame, seconds since 1970.
 */

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

/** A 4×4 homogeneous transform, row-major, rotation unitless, translation in mm. */
export type Matrix4 = number[];

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

/** The content variant of one message type, e.g. `IgtlContentOf<'TRANSFORM'>`. */
export type IgtlContentOf<T extends string> = Extract<IgtlContent, { type: T }>;
