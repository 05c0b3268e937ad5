/**
 * OpenIGTLink over TCP: one connection (client or accepted by a server)
 * that frames the incoming stream (`IgtlFramer`) and sends encoded
 * messages with one write each. Header version: 1 until the peer has sent
 * a version-2 header, then 2 (what PLUS Server does). A stream that goes
 * out of step (bad header, oversized body, cut frame) closes the
 * connection with that reason; CRC and decode errors are counted.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { IgtlFramer, type IgtlFramerCounters, type IgtlFramerOptions } from './framing.js';
import { encodeMessage, type IgtlContent, type IgtlMessage } from './protocol.js';

export interface IgtlConnectionEvents {
  message: [IgtlMessage];
  /** A counted, recoverable problem (bad CRC, body that does not decode). */
  warning: [string];
  close: [{ reason: string | null }];
}

/** Why a TCP connection could not be made, in words, with what to check, by the socket error's code. */
const CONNECT_PROBLEMS: Record<string, [string, string]> = {
  ECONNREFUSED: ['connection refused', 'check that PLUS Server is running'],
  ETIMEDOUT: ['no answer', 'check that PLUS Server is running and the network cable'],
  EHOSTUNREACH: ['host unreachable', "check the network cable and the server's address"],
  ENETUNREACH: ['network unreachable', "check the network cable and the server's address"],
  ENOTFOUND: ['unknown host name', "check the server's address"],
  EAI_AGAIN: ['unknown host name', "check the server's address"],
  ECONNRESET: ['connection reset', 'check that PLUS Server is running'],
};

/**
 * A client connection that could not be made: `message` is one sentence for the
 * clinician ("No connection to OpenIGTLink server at 127.0.0.1:18944 (connection
 * refused): check that PLUS Server is running."), `detail` the socket's own
 * words ("connect ECONNREFUSED 127.0.0.1:18944") and `code` its errno code.
 */
export class IgtlConnectError extends Error {
  readonly code: string;
  readonly detail: string;
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    const code = cause.code ?? 'UNKNOWN';
    const [why, check] = CONNECT_PROBLEMS[code] ?? [cause.message, 'check that PLUS Server is running'];
    super(`No connection to OpenIGTLink server at ${host}:${port} (${why}): ${check}.`, { cause });
    this.name = 'IgtlConnectError';
    this.code = code;
    this.detail = cause.message;
  }
}

export class IgtlConnection extends EventEmitter<IgtlConnectionEvents> {
  private readonly framer: IgtlFramer;
  private peerHeaderVersion = 1;
  private closedReason: string | null | undefined;

  constructor(
    readonly socket: net.Socket,
    o: IgtlFramerOptions = {},
  ) {
    super();
    this.framer = new IgtlFramer(o);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.finish(this.framer.end()?.reason ?? null));
    socket.on('error', (err) => this.finish(`connection error: ${err.message}`));
    socket.on('close', () => this.finish(null));
  }

  /** Frames received bytes (a chunk this connection may keep: views of it end up in messages). */
  onData(chunk: Uint8Array): void {
    for (const e of this.framer.push(chunk)) {
      if (e.kind === 'message') {
        this.peerHeaderVersion = Math.max(this.peerHeaderVersion, e.message.header.headerVersion);
        this.emit('message', e.message);
      } else if (e.kind === 'crc-error') this.emit('warning', `CRC-64 mismatch in ${e.header.type} from ${e.header.deviceName || '(no device)'}`);
      else if (e.kind === 'decode-error') this.emit('warning', e.reason);
      else this.finish(e.reason);
    }
  }

  /** Opens a client connection. @throws IgtlConnectError (a sentence; the socket's error as `detail` and `cause`) when the peer cannot be reached */
  static connect(host: string, port: number, o: IgtlFramerOptions = {}): Promise<IgtlConnection> {
    return new Promise((resolve, reject) => {
      // reads land in one 4 MiB buffer (a whole 820×616 IMAGE in one read instead of eight 64 KiB
      // event-loop turns), copied out because the buffer is reused
      let conn: IgtlConnection | null = null;
      const readBuffer = Buffer.allocUnsafe(4 << 20);
      const s = net.connect({
        host,
        port,
        onread: {
          buffer: readBuffer,
          callback: (n: number, buf: Uint8Array) => {
            conn?.onData(Uint8Array.prototype.slice.call(buf, 0, n));
            return true;
          },
        },
      });
      const failed = (e: NodeJS.ErrnoException): void => reject(new IgtlConnectError(host, port, e));
      s.once('connect', () => {
        s.off('error', failed);
        resolve((conn = new IgtlConnection(s, o)));
      });
      s.once('error', failed);
    });
  }

  get counters(): IgtlFramerCounters {
    return this.framer.counters;
  }

  /** Bytes received that are not yet part of a complete message (a message arriving, or a peer that stopped mid-message). */
  get pendingBytes(): number {
    return this.framer.pendingBytes;
  }

  /** Ends the connection with a reason (closes the socket; `close` carries the reason). */
  drop(reason: string): void {
    this.finish(reason);
  }

  /** Sends one message (header version 2 once the peer has used it, or when metadata is given). */
  send(content: IgtlContent, o: { deviceName: string; timestampS?: number; metadata?: Record<string, string>; messageId?: number }): void {
    const headerVersion = this.peerHeaderVersion >= 2 || o.metadata ? 2 : 1;
    this.socket.write(encodeMessage(content, { ...o, headerVersion, timestampS: o.timestampS ?? Date.now() / 1000 }));
  }

  close(): void {
    this.socket.end();
  }

  private finish(reason: string | null): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    if (reason) this.socket.destroy();
    this.emit('close', { reason });
  }
}
