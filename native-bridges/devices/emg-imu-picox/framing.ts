/**
 * Stream framing of the PicoX bridge protocol (protocol.ts): bytes in any
 * chunking → messages. A frame is accepted only with the magic 'PX', the
 * protocol version, a payload length ≤ MAX_PAYLOAD and a good CRC-16; any
 * other byte is skipped one at a time until the next magic (resynchronise),
 * counted, and reported once per damaged stretch. Sequence numbers are
 * checked: a jump says how many frames were lost (the bridge never resends).
 */
import { crc16Ndi } from '../../core/crc16.js';
import { appendBytes } from '../../core/bytes.js';
import { decodePayload, HEADER_BYTES, MAX_PAYLOAD, PicoxProtocolError, PROTOCOL_VERSION, TRAILER_BYTES, type Message } from './protocol.js';

export type PicoxFrameEvent =
  | { kind: 'message'; seq: number; message: Message }
  | { kind: 'error'; reason: 'crc' | 'garbage' | 'payload' | 'version'; detail: string }
  | { kind: 'gap'; expectedSeq: number; seq: number; lostFrames: number };

export interface PicoxFramerCounters {
  frames: number;
  crcErrors: number;
  garbageBytes: number;
  lostFrames: number;
  bytes: number;
}

/** Reassembles frames from a byte stream (one direction). */
export class PicoxFramer {
  readonly counters: PicoxFramerCounters = { frames: 0, crcErrors: 0, garbageBytes: 0, lostFrames: 0, bytes: 0 };
  private buf = new Uint8Array(0);
  private nextSeq: number | null = null;
  private inGarbage = false;

  /** Feeds received bytes; returns the messages, errors and sequence gaps they complete, in order. */
  push(chunk: Uint8Array): PicoxFrameEvent[] {
    this.counters.bytes += chunk.length;
    this.buf = appendBytes(this.buf, chunk);
    const out: PicoxFrameEvent[] = [];
    let p = 0;
    const skip = (reason: 'crc' | 'garbage' | 'version', detail: string): void => {
      if (!this.inGarbage) out.push({ kind: 'error', reason, detail });
      this.inGarbage = true;
      this.counters.garbageBytes++;
      p++;
    };
    while (this.buf.length - p >= 2) {
      if (this.buf[p] !== 0x50 || this.buf[p + 1] !== 0x58) {
        skip('garbage', 'bytes that are not a PicoX bridge frame (no "PX" start): skipped up to the next frame');
        continue;
      }
      if (this.buf.length - p < HEADER_BYTES) break;
      const v = new DataView(this.buf.buffer, this.buf.byteOffset + p, HEADER_BYTES);
      const version = this.buf[p + 2]!;
      const type = this.buf[p + 3]!;
      const seq = v.getUint32(4, true);
      const len = v.getUint32(8, true);
      if (version !== PROTOCOL_VERSION) {
        skip('version', `a frame of protocol version ${version} (this host speaks version ${PROTOCOL_VERSION}): update the PicoX bridge or OrthoTwin`);
        continue;
      }
      if (len > MAX_PAYLOAD) {
        skip('garbage', `a frame header announcing ${len} payload bytes (over ${MAX_PAYLOAD}): a damaged header, skipped`);
        continue;
      }
      const total = HEADER_BYTES + len + TRAILER_BYTES;
      if (this.buf.length - p < total) break;
      const frame = this.buf.subarray(p, p + total);
      const crc = new DataView(frame.buffer, frame.byteOffset + HEADER_BYTES + len, 2).getUint16(0, true);
      if (crc16Ndi(frame.subarray(0, HEADER_BYTES + len)) !== crc) {
        this.counters.crcErrors++;
        skip('crc', `a frame (type 0x${type.toString(16)}, sequence ${seq}) failed its CRC: dropped`);
        continue;
      }
      this.inGarbage = false;
      p += total;
      this.counters.frames++;
      if (this.nextSeq !== null && seq !== this.nextSeq) {
        const lost = (seq - this.nextSeq) >>> 0;
        this.counters.lostFrames += lost;
        out.push({ kind: 'gap', expectedSeq: this.nextSeq, seq, lostFrames: lost });
      }
      this.nextSeq = (seq + 1) >>> 0;
      try {
        out.push({ kind: 'message', seq, message: decodePayload(type, frame.slice(HEADER_BYTES, HEADER_BYTES + len)) });
      } catch (e) {
        if (!(e instanceof PicoxProtocolError)) throw e;
        out.push({ kind: 'error', reason: 'payload', detail: e.message });
      }
    }
    this.buf = this.buf.slice(p);
    return out;
  }

  /** Bytes waiting for the rest of their frame. */
  get pendingBytes(): number {
    return this.buf.length;
  }
}
