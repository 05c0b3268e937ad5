/**
 * NDI Combined API framing, both directions.
 *
 * Device → host (NdiReplyFramer): the dual rule of ndicapi's ndiSerialRead —
 * a reply that starts with the bytes C4 A5 is binary and length-framed
 * (6-byte header with its own CRC-16, L body bytes, body CRC-16); anything
 * else is ASCII up to CR, its last four characters being the CRC-16 of the
 * text. Any chunking is accepted. Errors are reported, counted and skipped so
 * that the stream resynchronises at the next reply: a bad header CRC skips
 * one byte and searches for the next start sequence; a bad body CRC drops the
 * frame; a byte that cannot be in an ASCII reply (control or non-ASCII, other
 * than LF) drops what was gathered so far (it is the remains of a damaged
 * binary frame). CR is never searched for inside a binary frame.
 *
 * Host → device (NdiCommandFramer, used by the simulator): commands up to CR.
 */
import { crc16Ndi } from '../../core/crc16.js';
import { appendBytes } from '../../core/bytes.js';
import { asciiText } from './protocol.js';

export type NdiReplyEvent =
  | { kind: 'ascii'; text: string }
  | { kind: 'binary'; body: Uint8Array }
  | { kind: 'error'; reason: 'crc' | 'header-crc' | 'garbage' | 'too-long'; detail: string };

export interface NdiFramerCounters {
  replies: number;
  crcErrors: number;
  garbageBytes: number;
  bytes: number;
}

/** Longest ASCII reply accepted before the buffer is dropped (VER / GET replies are a few hundred bytes). */
const MAX_ASCII = 8192;

export class NdiReplyFramer {
  readonly counters: NdiFramerCounters = { replies: 0, crcErrors: 0, garbageBytes: 0, bytes: 0 };
  private buf = new Uint8Array(0);

  /** Drops everything buffered (before a new command: ndicapi flushes input on every command). */
  reset(): void {
    this.counters.garbageBytes += this.buf.length;
    this.buf = new Uint8Array(0);
  }

  get pendingBytes(): number {
    return this.buf.length;
  }

  /** Feeds received bytes; returns the replies and errors completed by them, in order. */
  push(chunk: Uint8Array): NdiReplyEvent[] {
    this.counters.bytes += chunk.length;
    this.buf = appendBytes(this.buf, chunk);
    const out: NdiReplyEvent[] = [];
    let p = 0;
    const b = this.buf;
    scan: while (p < b.length) {
      if (b[p] === 0xc4) {
        if (p + 1 >= b.length) break;
        if (b[p + 1] === 0xa5) {
          if (p + 6 > b.length) break;
          const hdrCrc = b[p + 4]! | (b[p + 5]! << 8);
          if (crc16Ndi(b.subarray(p, p + 4)) !== hdrCrc) {
            this.counters.crcErrors++;
            this.counters.garbageBytes++;
            out.push({ kind: 'error', reason: 'header-crc', detail: 'binary reply header CRC mismatch' });
            p++;
            continue;
          }
          const len = b[p + 2]! | (b[p + 3]! << 8);
          if (p + 8 + len > b.length) break;
          const body = b.subarray(p + 6, p + 6 + len);
          const crc = b[p + 6 + len]! | (b[p + 7 + len]! << 8);
          if (crc16Ndi(body) !== crc) {
            this.counters.crcErrors++;
            out.push({ kind: 'error', reason: 'crc', detail: `binary reply body CRC mismatch (${len} bytes)` });
          } else {
            this.counters.replies++;
            out.push({ kind: 'binary', body: body.slice() });
          }
          p += 8 + len;
          continue;
        }
      }
      // ASCII reply: printable characters and LF up to CR
      for (let q = p; q < b.length; q++) {
        const c = b[q]!;
        if (c === 0x0d) {
          const line = asciiText(b.subarray(p, q));
          p = q + 1;
          if (line.length < 4 || !/^[0-9A-F]{4}$/.test(line.slice(-4))) {
            this.counters.crcErrors++;
            out.push({ kind: 'error', reason: 'crc', detail: `reply without a CRC: "${line.slice(0, 40)}"` });
          } else if (parseInt(line.slice(-4), 16) !== crc16Ndi(b.subarray(p - 1 - line.length, p - 5))) {
            this.counters.crcErrors++;
            out.push({ kind: 'error', reason: 'crc', detail: `reply CRC mismatch: "${line.slice(0, 40)}"` });
          } else {
            this.counters.replies++;
            out.push({ kind: 'ascii', text: line.slice(0, -4) });
          }
          continue scan;
        }
        if ((c < 0x20 && c !== 0x0a) || c > 0x7e) {
          // remains of a damaged binary frame (or line noise): drop up to here and resynchronise
          const start = c === 0xc4 && q > p ? q : q + 1;
          this.counters.garbageBytes += start - p;
          out.push({ kind: 'error', reason: 'garbage', detail: `${start - p} bytes that are not an NDI reply` });
          p = start;
          continue scan;
        }
        if (q - p > MAX_ASCII) {
          this.counters.garbageBytes += q - p;
          out.push({ kind: 'error', reason: 'too-long', detail: `ASCII reply longer than ${MAX_ASCII} bytes` });
          p = q;
          continue scan;
        }
      }
      break;
    }
    this.buf = p >= b.length ? new Uint8Array(0) : b.slice(p);
    return out;
  }
}

/** Host → device: command lines up to CR (the device's side of the link). */
export class NdiCommandFramer {
  private pending = '';

  push(chunk: Uint8Array): string[] {
    this.pending += asciiText(chunk);
    const out: string[] = [];
    let cr = this.pending.indexOf('\r');
    while (cr >= 0) {
      out.push(this.pending.slice(0, cr));
      this.pending = this.pending.slice(cr + 1);
      cr = this.pending.indexOf('\r');
    }
    if (this.pending.length > 4096) this.pending = '';
    return out;
  }
}
