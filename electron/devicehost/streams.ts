/**
 * The device host's binary stream server (browser mode): a WebSocket on
 * 127.0.0.1 with its own per-launch token. Every sample goes to every client
 * with latest-wins back-pressure: per client and per (device, stream) at most
 * one message is in flight in the socket; a newer message replaces one that
 * is still waiting, and the replaced one is counted in that stream's
 * `dropped` (sent in each header). Poses at 40 Hz and ultrasound frames at
 * 30 fps thus never queue up behind a slow renderer. Signal blocks (sEMG,
 * IMU) keep up to 2 s waiting (`backlogFor`): a burst is delivered whole.
 *
 * Clients may also send frames up (a UVC frame grabber captured in the
 * renderer): binary messages in the same format, handed to `onUpstream`.
 *
 * A client that shows images smaller than the source (a fusion view 400
 * pixels wide, a 820-pixel ultrasound frame) names its display width
 * (`imageMaxWidth` in the WebSocket URL, or `{ imageMaxWidth }` on a port):
 * its image messages are binned copies at least that wide (`imageBinning.ts`,
 * header `binning`), a quarter of the bytes to move and decode at 2 × 2.
 * Recordings always keep the full frames.
 *
 * On the desktop the same messages travel on a MessagePort that the main
 * process hands over (Electron MessageChannelMain; the window is offline
 * locked, no sockets): `attachPort`. A port has no send completion, so the
 * receiver acknowledges each message (`{ ack: id }`) and latest-wins counts
 * a message in flight until its acknowledgement; frames sent up arrive as
 * `{ up: ArrayBuffer }`.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { encodeStreamMessage, type StreamHeader } from '../contract/devices.js';
import { binImageMessage, binningFor, parseImageMaxWidth } from '../../math/imageBinning.js';
import { backlogFor, LatestWins } from './latestWins.js';

interface Client {
  /** False once the peer has gone. */
  open(): boolean;
  out: LatestWins;
  close(): void;
  /** Display width of the client's image views (px); images wider by 2× or more are sent binned. */
  imageMaxWidth: number | null;
}

/**
 * A MessagePort as the device host gets it: Electron's MessagePortMain
 * (events carry `{ data }`) or Node's worker_threads MessagePort (events
 * are the data), both with postMessage / start / close.
 */
export interface StreamPort {
  postMessage(message: unknown, transfer?: unknown[]): void;
  on(event: 'message', cb: (ev: unknown) => void): unknown;
  on(event: 'close', cb: () => void): unknown;
  start?(): void;
  close(): void;
}

/** The message a port delivers: `{ data }` from Electron's MessagePortMain, the value itself from Node's. */
function portData(ev: unknown): unknown {
  if (ev && typeof ev === 'object' && !('ack' in ev) && !('up' in ev) && 'data' in ev) return (ev as { data: unknown }).data;
  return ev;
}

export interface StreamServer {
  url: string;
  /** Sends a message to every client (latest-wins per client and stream). */
  publish(header: Omit<StreamHeader, 'dropped'>, payload?: Uint8Array): void;
  /** Adds a MessagePort client (desktop). */
  attachPort(port: StreamPort): void;
  /** Messages replaced before they could be sent, all clients and streams. */
  readonly dropped: number;
  readonly clients: number;
  close(): Promise<void>;
}

export async function startStreamServer(onUpstream: (bytes: Uint8Array) => void, token = crypto.randomBytes(24).toString('hex')): Promise<StreamServer> {
  const server = http.createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const clients = new Set<Client>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const given = Buffer.from(url.searchParams.get('token') ?? '');
    const want = Buffer.from(token);
    if (url.pathname !== '/streams' || given.length !== want.length || !crypto.timingSafeEqual(given, want)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Client = {
        open: () => ws.readyState === ws.OPEN,
        out: new LatestWins((msg, done) => ws.send(msg, { binary: true }, () => done())),
        close: () => ws.terminate(),
        imageMaxWidth: parseImageMaxWidth(url.searchParams.get('imageMaxWidth')),
      };
      clients.add(c);
      ws.on('close', () => clients.delete(c));
      ws.on('message', (data, isBinary) => {
        if (isBinary) {
          const b = data as Buffer;
          onUpstream(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  let dropped = 0;
  return {
    url: `ws://127.0.0.1:${port}/streams?token=${token}`,
    publish(header, payload) {
      const key = `${header.device}\u0000${header.stream}`;
      // binned copies of an image, one per factor asked for, made once for all the clients that share it
      type Msg = { header: Omit<StreamHeader, 'dropped'>; payload: Uint8Array | undefined };
      let binned: Map<number, Msg> | null = null; // made for the first client that needs a copy (poses never do)
      const forClient = (c: Client): Msg => {
        const f = header.stream === 'image' && payload && header.width && c.imageMaxWidth ? binningFor(header.width, c.imageMaxWidth) : 1;
        if (f === 1 || !payload) return { header, payload };
        binned ??= new Map();
        let m = binned.get(f);
        if (!m) {
          try {
            m = binImageMessage(header, payload, f);
          } catch {
            m = { header, payload }; // a frame the binning cannot read goes as it came; the view reports it
          }
          binned.set(f, m);
        }
        return m;
      };
      for (const c of clients) {
        if (!c.open()) continue;
        const before = c.out.dropped;
        c.out.offer(
          key,
          (d) => {
            const m = forClient(c);
            return encodeStreamMessage({ ...m.header, dropped: d }, m.payload);
          },
          backlogFor(header.stream),
        );
        dropped += c.out.dropped - before;
      }
    },
    attachPort(port) {
      let live = true;
      let nextId = 1;
      const acks = new Map<number, () => void>();
      const c: Client = {
        open: () => live,
        out: new LatestWins((msg, done) => {
          const id = nextId++;
          acks.set(id, done);
          // a copy the port can transfer (the encoded message is not shared with other clients)
          const buf = msg.buffer.byteLength === msg.byteLength ? (msg.buffer as ArrayBuffer) : msg.slice().buffer;
          port.postMessage({ id, bytes: buf }, [buf]);
        }),
        close: () => port.close(),
        imageMaxWidth: null,
      };
      port.on('message', (ev) => {
        const d = portData(ev) as { ack?: number; up?: ArrayBuffer; imageMaxWidth?: unknown } | null;
        if (d && 'imageMaxWidth' in d) c.imageMaxWidth = parseImageMaxWidth(d.imageMaxWidth);
        else if (typeof d?.ack === 'number') {
          const done = acks.get(d.ack);
          acks.delete(d.ack);
          done?.();
        } else if (d?.up instanceof ArrayBuffer) onUpstream(new Uint8Array(d.up));
      });
      port.on('close', () => {
        live = false;
        clients.delete(c);
      });
      port.start?.();
      clients.add(c);
    },
    get dropped() {
      return dropped;
    },
    get clients() {
      return clients.size;
    },
    close: async () => {
      for (const c of clients) c.close();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
