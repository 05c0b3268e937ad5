/**
 * OpenIGTLink stream framing: bytes from a TCP stream (any chunking) →
 * complete messages. A frame is the 58-byte header then BODY_SIZE bytes.
 * The stream has no sync word, so a header that cannot be trusted (unknown
 * header version, body size over the limit, a type name that is not ASCII)
 * ends the stream with a clear error: the connection must be closed. A body
 * whose CRC-64 does not match, or that does not decode, is counted and
 * skipped; the stream goes on with the next header (its size was valid).
 * Chunks are kept in a list and copied once per frame (no concat per chunk).
 */
import { crc64 } from '../../core/crc64.js';
import { decodeBody, decodeHeader, IGTL_HEADER_SIZE, IgtlDecodeError, type IgtlHeader, type IgtlMessage } from './protocol.js';

export interface IgtlFramerCounters {
  messages: number;
  crcErrors: number;
  decodeErrors: number;
  /** Messages of types this codec does not decode (skipped by size). */
  unknownTypes: number;
  bytes: number;
}

export interface IgtlFramerOptions {
  /** Largest body accepted (bytes); a header claiming more ends the stream. Default 256 MiB. */
  maxBodyBytes?: number;
  /** Check the CRC-64 of each body (default true; PLUS makes it configurable too). */
  checkCrc?: boolean;
}

export type IgtlFrameEvent =
  | { kind: 'message'; message: IgtlMessage }
  | { kind: 'crc-error'; header: IgtlHeader; computed: bigint }
  | { kind: 'decode-error'; header: IgtlHeader; reason: string }
  | { kind: 'fatal'; reason: string };

const TYPE_CHARS = /^[\x20-\x7e]*$/;

export class IgtlFramer {
  readonly counters: IgtlFramerCounters = { messages: 0, crcErrors: 0, decodeErrors: 0, unknownTypes: 0, bytes: 0 };
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private header: IgtlHeader | null = null;
  /** CRC-64 of the current body's bytes hashed so far (computed as chunks arrive, so a large IMAGE is checked by the time its last byte lands). */
  private bodyCrc = 0n;
  private bodyHashed = 0;
  private failed: string | null = null;
  private readonly maxBody: number;
  private readonly checkCrc: boolean;

  constructor(o: IgtlFramerOptions = {}) {
    this.maxBody = o.maxBodyBytes ?? 256 * 1024 * 1024;
    this.checkCrc = o.checkCrc ?? true;
  }

  /** The reason the stream was ended, or null while it is usable. */
  get fatal(): string | null {
    return this.failed;
  }

  /** Bytes received but not yet part of a complete frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /**
   * Feeds a chunk; returns the events of the frames it completed, in order.
   * After a `fatal` event every further chunk is ignored.
   */
  push(chunk: Uint8Array): IgtlFrameEvent[] {
    if (this.failed) return [];
    this.counters.bytes += chunk.length;
    if (chunk.length) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: IgtlFrameEvent[] = [];
    for (;;) {
      if (!this.header) {
        if (this.buffered < IGTL_HEADER_SIZE) break;
        const h = decodeHeader(this.take(IGTL_HEADER_SIZE));
        const bad =
          h.headerVersion < 1 || h.headerVersion > 2
            ? `unknown header version ${h.headerVersion}`
            : h.bodySize > BigInt(this.maxBody)
              ? `${h.type || '(no type)'} message from ${h.deviceName || '(no device)'} claims a body of ${h.bodySize} bytes (limit ${this.maxBody})`
              : !TYPE_CHARS.test(h.type) || !h.type
                ? 'a header with no readable message type'
                : null;
        if (bad) {
          this.failed = `OpenIGTLink stream out of step: ${bad}`;
          this.chunks = [];
          this.buffered = 0;
          out.push({ kind: 'fatal', reason: this.failed });
          break;
        }
        this.header = h;
        this.bodyCrc = 0n;
        this.bodyHashed = 0;
      }
      const size = Number(this.header.bodySize);
      if (this.checkCrc) this.hashBody(Math.min(size, this.buffered));
      if (this.buffered < size) break;
      const h = this.header;
      this.header = null;
      const body = this.take(size);
      if (this.checkCrc) {
        const c = this.bodyCrc;
        if (c !== h.crc) {
          this.counters.crcErrors++;
          out.push({ kind: 'crc-error', header: h, computed: c });
          continue;
        }
      }
      try {
        const message = decodeBody(h, body);
        this.counters.messages++;
        if ('raw' in message.content) this.counters.unknownTypes++;
        out.push({ kind: 'message', message });
      } catch (e) {
        this.counters.decodeErrors++;
        out.push({ kind: 'decode-error', header: h, reason: e instanceof IgtlDecodeError ? e.message : String(e) });
      }
    }
    return out;
  }

  /**
   * The stream has ended: a frame cut short is reported.
   * @returns a fatal event when bytes of an unfinished frame remain
   */
  end(): Extract<IgtlFrameEvent, { kind: 'fatal' }> | null {
    if (this.failed) return null;
    if (this.header || this.buffered) {
      const what = this.header
        ? `${this.header.type} message from ${this.header.deviceName || '(no device)'}: ${this.buffered} of ${this.header.bodySize} body bytes`
        : `${this.buffered} bytes of a header`;
      this.failed = `OpenIGTLink stream ended inside a frame (${what})`;
      return { kind: 'fatal', reason: this.failed };
    }
    return null;
  }

  /** Extends the body CRC over buffered bytes [bodyHashed, upTo) (the body starts at the first buffered byte). */
  private hashBody(upTo: number): void {
    let skip = this.bodyHashed;
    for (const c of this.chunks) {
      if (this.bodyHashed >= upTo) break;
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      const part = c.subarray(skip, Math.min(c.length, skip + upTo - this.bodyHashed));
      this.bodyCrc = crc64(part, this.bodyCrc);
      this.bodyHashed += part.length;
      skip = 0;
    }
  }

  /** Removes and returns the next n buffered bytes (one copy, or a view when one chunk holds them). */
  private take(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}
