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
 * Enhancement (issue 22): a client may ask for a model's output on its image
 * streams (`enhance=denoise|sr2` in the URL, `{ enhance }` on a port; with
 * `raw=1` / `{ raw: true }` it gets the raw frames as well, for a split
 * view). The server keeps one worker per model in use (`liveEnhance.ts`,
 * started when the first client asks, closed when none does); its frames
 * carry the header's `enhancement` and are keyed apart (`streamKey`: device,
 * stream, "enhanced") so raw and enhanced frames of one device coexist in
 * latest-wins and in the client's latest map. The model runs on the
 * client's display copy (binned by its factor f before the model; SR ×2 on
 * the copy binned by 2f, so its output is as wide as the display copy), one
 * pipeline per (model, f) in use; a client without a display width (or f = 1)
 * gets the model's full-resolution output, binned for display after it where
 * an upsampled frame is wider than the view. A client that asked for a model
 * and not `raw` gets no raw image frames (its other streams are unchanged).
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
import { encodeStreamMessage, parseEnhanceModel, streamKey, type EnhanceModel, type StreamHeader } from '../contract/devices.js';
import { binImageMessage, binningFor, parseImageMaxWidth } from '../../math/imageBinning.js';
import { backlogFor, LatestWins } from './latestWins.js';
import { defaultModelStarter, LiveEnhancer, type ModelStats, type StartModelWorker } from './liveEnhance.js';

interface Client {
  /** False once the peer has gone. */
  open(): boolean;
  out: LatestWins;
  close(): void;
  /** Display width of the client's image views (px); images wider by 2× or more are sent binned. */
  imageMaxWidth: number | null;
  /** The model whose output this client's image views show, or null (raw frames only). */
  enhance: EnhanceModel | null;
  /** With a model: whether the raw frames are sent as well (split view). */
  raw: boolean;
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
  /** The enhancement models in use, with their counters (inference ms, frames skipped, frames sent raw and why). */
  enhanceStats(): ModelStats[];
  readonly clients: number;
  close(): Promise<void>;
}

export interface StreamServerOptions {
  /** Starts an enhancement model's worker (tests: a models folder of their own); default `defaultModelStarter()`. */
  startModel?: StartModelWorker;
}

/**
 * @param onUpstream frames sent up by clients (UVC capture)
 * @param token the per-launch token clients must name (`token=` in the URL)
 */
export async function startStreamServer(
  onUpstream: (bytes: Uint8Array) => void,
  token = crypto.randomBytes(24).toString('hex'),
  opts: StreamServerOptions = {},
): Promise<StreamServer> {
  const server = http.createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const clients = new Set<Client>();
  let dropped = 0;
  /** A client's display factor for an image (binningFor its display width), 1 for full frames or other streams. */
  const displayFactor = (c: Client, header: Omit<StreamHeader, 'dropped'>): number =>
    header.stream === 'image' && header.width && c.imageMaxWidth ? binningFor(header.width, c.imageMaxWidth) : 1;
  /** Sends a message to one client, binned for its display width (images); `binned` shares the copies among clients. */
  type Msg = { header: Omit<StreamHeader, 'dropped'>; payload: Uint8Array | undefined };
  const offerTo = (c: Client, header: Omit<StreamHeader, 'dropped'>, payload: Uint8Array | undefined, binned: Map<number, Msg>): void => {
    const f = payload ? displayFactor(c, header) : 1;
    const forClient = (): Msg => {
      if (f === 1 || !payload) return { header, payload };
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
    const before = c.out.dropped;
    c.out.offer(
      streamKey(header),
      (d) => {
        const m = forClient();
        return encodeStreamMessage({ ...m.header, dropped: d }, m.payload);
      },
      backlogFor(header.stream),
    );
    dropped += c.out.dropped - before;
  };
  const enhancer = new LiveEnhancer(opts.startModel ?? defaultModelStarter(), (route, header, payload, source) => {
    // a model's frame (enhanced at the display factor's scale, or raw with the reason) to the clients that asked for
    // that model at that factor; binned for display after where it is still wider than their view (an SR output at
    // f = 1, a raw fallback)
    const binned = new Map<number, Msg>();
    for (const c of clients) if (c.open() && c.enhance === route.model && displayFactor(c, source) === route.factor) offerTo(c, header, payload, binned);
  });
  /** Tells the enhancer which models the clients ask for now. */
  const updateDemand = (): void => enhancer.demand(new Set([...clients].flatMap((c) => (c.open() && c.enhance ? [c.enhance] : []))));
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
        enhance: parseEnhanceModel(url.searchParams.get('enhance')),
        raw: url.searchParams.get('raw') === '1',
      };
      clients.add(c);
      updateDemand();
      ws.on('close', () => {
        clients.delete(c);
        updateDemand();
      });
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

  return {
    url: `ws://127.0.0.1:${port}/streams?token=${token}`,
    publish(header, payload) {
      // binned copies of an image, one per factor asked for, made once for all the clients that share it
      const binned = new Map<number, Msg>();
      const isImage = header.stream === 'image' && payload !== undefined;
      /** Per model, the display factors its clients ask for on this frame (the enhancer's pipelines). */
      const factors = new Map<string, Set<number>>();
      for (const c of clients) {
        if (!c.open()) continue;
        if (isImage && c.enhance) {
          const fs = factors.get(c.enhance) ?? new Set<number>();
          factors.set(c.enhance, fs.add(displayFactor(c, header)));
        }
        // a client that asked for a model gets its image frames from the enhancer (and the raw ones only with raw=1)
        if (isImage && c.enhance && !c.raw) continue;
        offerTo(c, header, payload, binned);
      }
      if (isImage) enhancer.offer(header, payload, factors);
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
        enhance: null,
        raw: false,
      };
      port.on('message', (ev) => {
        const d = portData(ev) as { ack?: number; up?: ArrayBuffer; imageMaxWidth?: unknown; enhance?: unknown; raw?: unknown } | null;
        if (d && ('imageMaxWidth' in d || 'enhance' in d)) {
          // the client's view settings: display width, and the model with or without the raw frames
          if ('imageMaxWidth' in d) c.imageMaxWidth = parseImageMaxWidth(d.imageMaxWidth);
          if ('enhance' in d) {
            c.enhance = parseEnhanceModel(d.enhance);
            c.raw = d.raw === true;
            updateDemand();
          }
        } else if (typeof d?.ack === 'number') {
          const done = acks.get(d.ack);
          acks.delete(d.ack);
          done?.();
        } else if (d?.up instanceof ArrayBuffer) onUpstream(new Uint8Array(d.up));
      });
      port.on('close', () => {
        live = false;
        clients.delete(c);
        updateDemand();
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
    enhanceStats: () => enhancer.stats(),
    close: async () => {
      for (const c of clients) c.close();
      await enhancer.close();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
