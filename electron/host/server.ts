/**
 * Browser-mode host: the built renderer and the same services as the desktop
 * app, over HTTP + WebSocket bound to 127.0.0.1 only.
 *
 * Security: a per-launch random token is required on the WebSocket and every
 * /data request (query `token=` or `Authorization: Bearer`); a /data request
 * and the /streams WebSocket also need a page connection's data ticket
 * (`auth.dataTicket`; header `x-orthotwin-ticket` or query `ticket=`) and are
 * answered with that connection's session — signed in, unlocked, its role's
 * rights — and audited in its user's name (electron/contract/bulk.ts); the Host header
 * must name this loopback origin (no DNS rebinding) and a WebSocket Origin,
 * when sent, must be this origin (no cross-site pages); static files are
 * served from one folder without directory listings.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { DEFAULT_MAX_VOLUME_BYTES } from '../io/headers.js';
import { decodeStreamMessage, encodeStreamMessage, parseEnhanceModel, streamKey, type EnhanceModel } from '../contract/devices.js';
import { backlogFor, LatestWins } from '../devicehost/latestWins.js';
import { parseImageMaxWidth } from '../../math/imageBinning.js';
import { AppError, DATA_TICKET_HEADER, toErrorShape, type WireMessage } from '../contract/index.js';
import { parseCall } from '../platform/registry.js';
import { callService, type ServiceHost } from '../services/index.js';
import type { CallContext } from '../services/access.js';
import type { Caller } from '../services/actor.js';
import { httpStatusOf, readBulk } from '../services/bulk.js';

/** Largest RPC message a page may send (bytes): calls are small JSON; larger ones close the connection (1009). */
export const RPC_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Largest file a page may upload (bytes): the largest volume an import accepts, plus headers. */
export const UPLOAD_MAX_FILE_BYTES = DEFAULT_MAX_VOLUME_BYTES + 64 * 1024 * 1024;
/** Largest stream message a page may send (bytes): a raw camera frame from a UVC grabber (1080p RGBA fits). */
export const STREAM_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** How often an open stream connection's session is checked (ms): a sign-out or lock closes it within this time. */
export const STREAM_SESSION_CHECK_MS = 1000;

export interface HostOptions {
  services: ServiceHost;
  /** Folder of the built renderer (vite build output). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token (tests); random per launch otherwise. */
  token?: string;
}

export interface RunningHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Content-Security-Policy of the renderer (the same as the desktop shell's, plus this host's WebSocket). */
export function rendererCsp(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ws://127.0.0.1:${port}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function tokenOf(req: http.IncomingMessage, url: URL): string {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  return url.searchParams.get('token') ?? '';
}

function ticketOf(req: http.IncomingMessage, url: URL): string | null {
  const h = req.headers[DATA_TICKET_HEADER];
  return (typeof h === 'string' ? h : null) ?? url.searchParams.get('ticket');
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify({ code, message }));
}

/** Starts the host. Resolves when it listens on 127.0.0.1. */
export async function startHost(o: HostOptions): Promise<RunningHost> {
  const token = o.token ?? crypto.randomBytes(24).toString('hex');
  const { services } = o;
  const rendererDir = path.resolve(o.rendererDir);
  let port = 0;
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      // a path that is not valid percent-encoding is the request's fault, not the host's
      if (e instanceof URIError) return sendError(res, 400, 'BAD_REQUEST', `malformed URI: ${e.message}`);
      const err = toErrorShape(e);
      sendError(res, httpStatusOf(err.code), err.code, err.message);
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!allowedHosts().includes(req.headers.host ?? '')) return sendError(res, 403, 'UNAUTHORIZED', 'unexpected Host header');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname.startsWith('/data/')) {
      if (!safeEqual(tokenOf(req, url), token)) return sendError(res, 401, 'UNAUTHORIZED', 'missing or wrong token');
      return await handleData(req, res, url);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'BAD_REQUEST', 'method not allowed');
    // static renderer files, no listings; unknown paths get index.html (client-side routes)
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/' || rel === '') rel = '/index.html';
    const abs = path.resolve(rendererDir, `.${rel}`);
    if (!abs.startsWith(rendererDir + path.sep)) return sendError(res, 403, 'UNAUTHORIZED', 'outside the renderer folder');
    let file = abs;
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) file = path.join(rendererDir, 'index.html');
    if (!fs.existsSync(file)) return sendError(res, 404, 'NOT_FOUND', 'renderer not built: run `npm run build`');
    const ext = path.extname(file);
    res.writeHead(200, {
      'content-type': MIME[ext] ?? 'application/octet-stream',
      'content-security-policy': rendererCsp(port),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cache-control': ext === '.html' ? 'no-store' : 'max-age=3600',
    });
    if (req.method === 'HEAD') return void res.end();
    fs.createReadStream(file).pipe(res);
  }

  async function handleData(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const parts = url.pathname.split('/').filter(Boolean); // ['data', kind, id]
    const kind = parts[1] ?? '';
    const id = decodeURIComponent(parts[2] ?? '');
    const ticket = ticketOf(req, url);
    if (req.method === 'GET' && (kind === 'volume' || kind === 'artefact')) {
      const { bytes, headers } = await readBulk(services, ticket, kind, id);
      res.writeHead(200, { ...headers, 'content-length': bytes.byteLength, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      return void res.end(bytes);
    }
    if (req.method === 'POST' && kind === 'upload') {
      // Browser mode only: files picked or dropped in the page arrive here (a browser
      // gives no paths). ?dir=<upload id>&name=<relative path>
      const dirId = url.searchParams.get('dir') ?? '';
      const name = url.searchParams.get('name') ?? '';
      services.access.authorizeTicket(ticket, 'upload', [dirId, name]);
      if (!/^[a-f0-9-]{8,64}$/.test(dirId) || !name || name.split(/[\\/]/).some((s) => s === '..' || s === ''))
        throw new AppError('BAD_REQUEST', 'bad upload name');
      const root = path.join(services.store.dataDir, 'uploads', dirId);
      const dest = path.join(root, ...name.split(/[\\/]/));
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (declared > UPLOAD_MAX_FILE_BYTES)
        return sendError(res, 413, 'IMPORT_TOO_LARGE', `${name}: over the ${UPLOAD_MAX_FILE_BYTES} bytes an upload may hold`);
      await fs.promises.mkdir(path.dirname(dest), { recursive: true });
      const tooLarge = await new Promise<boolean>((resolve, reject) => {
        const out = fs.createWriteStream(dest);
        let bytes = 0;
        req.on('data', (c: Buffer) => {
          bytes += c.length;
          // a body longer than any file may be (or than it said): stop reading, remove what was written
          if (bytes > UPLOAD_MAX_FILE_BYTES) (req.unpipe(out), out.destroy(), req.resume(), resolve(true));
        });
        req.pipe(out);
        out.on('finish', () => resolve(false));
        out.on('error', reject);
        req.on('error', reject);
      });
      if (tooLarge) {
        await fs.promises.rm(dest, { force: true });
        return sendError(res, 413, 'IMPORT_TOO_LARGE', `${name}: over the ${UPLOAD_MAX_FILE_BYTES} bytes an upload may hold`);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ root, path: dest }));
    }
    sendError(res, 404, 'NOT_FOUND', `no data route ${url.pathname}`);
  }

  // a call is small JSON; the streams carry camera frames sent up from the page (UVC grabbers)
  const wss = new WebSocketServer({ noServer: true, maxPayload: RPC_MAX_MESSAGE_BYTES });
  const streamWss = new WebSocketServer({ noServer: true, maxPayload: STREAM_MAX_MESSAGE_BYTES });
  /** Call connections and their sessions (events go only to signed-in, unlocked ones once accounts exist). */
  const clients = new Map<WebSocket, CallContext>();
  const streamPages = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const origin = req.headers.origin;
    const okOrigin = origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    if (
      (url.pathname !== '/ws' && url.pathname !== '/streams') ||
      !allowedHosts().includes(req.headers.host ?? '') ||
      !okOrigin ||
      !safeEqual(tokenOf(req, url), token)
    ) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    if (url.pathname === '/streams') {
      // live device data: only for a signed-in, unlocked session whose role may watch them
      let session: { caller: Caller; ctx: CallContext };
      try {
        session = services.access.authorizeTicket(url.searchParams.get('ticket'), 'streams', []);
      } catch (e) {
        const err = toErrorShape(e);
        socket.write(`HTTP/1.1 ${httpStatusOf(err.code)} ${err.code}\r\nConnection: close\r\ncontent-type: text/plain\r\n\r\n${err.message}`);
        socket.destroy();
        return;
      }
      services.access.auditRead(session.caller, 'data', 'streams', []);
      streamWss.handleUpgrade(
        req,
        socket,
        head,
        (ws) =>
          void relayStreams(ws, session.ctx, url.searchParams.get('ack') === '1', {
            imageMaxWidth: parseImageMaxWidth(url.searchParams.get('imageMaxWidth')),
            enhance: parseEnhanceModel(url.searchParams.get('enhance')),
            raw: url.searchParams.get('raw') === '1',
          }),
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // each page connection has its own session (signed in with auth.login; ended when the page goes)
      const ctx: CallContext = { token: null };
      clients.set(ws, ctx);
      // a malformed frame (bad opcode, RSV bits, unmasked, invalid UTF-8, bad close code) or an oversized message
      // ends this connection only: ws closes it with 1002/1007/1009 after this event
      ws.on('error', (e) => console.warn(`browser-mode host: connection closed: ${e.message}`));
      ws.on('close', () => {
        clients.delete(ws);
        try {
          services.access.forgetConnection(ctx);
          services.access.logout(ctx);
        } catch {
          // the services were closed first (shutting down): nothing to sign out of
        }
      });
      ws.on('message', (raw) => void onMessage(ws, ctx, raw.toString()));
    });
  });

  /**
   * Browser mode: the renderer's page may only talk to this origin (CSP), so
   * the device host's binary streams are relayed here, with latest-wins on
   * the leg to the page (a slow page drops old frames, never queues them);
   * tracker poses are always sent (small, and needed as a history).
   * With `ack`, the page acknowledges each message (a text message) and a
   * message counts as delivered only then — not when it is written to the
   * socket, whose buffers would otherwise hold a second of video for a page
   * that renders slower than the source. A display width (`imageMaxWidth`)
   * is passed on to the device host, which sends binned image copies; so are
   * an enhancement model (`enhance`) and `raw` (issue 22: the device host's
   * workers run the model; its frames are keyed apart with `streamKey`).
   * The connection is closed (4401) once the session it was opened for is
   * signed out, locked or loses the right to watch.
   */
  async function relayStreams(
    page: WebSocket,
    ctx: CallContext,
    ack: boolean,
    view: { imageMaxWidth: number | null; enhance: EnhanceModel | null; raw: boolean },
  ): Promise<void> {
    streamPages.add(page);
    const sessionCheck = setInterval(() => {
      const refusal = services.access.refusal(ctx, 'data', 'streams');
      if (refusal) {
        clearInterval(sessionCheck);
        page.close(4401, refusal.slice(0, 120));
      }
    }, STREAM_SESSION_CHECK_MS);
    page.on('close', () => clearInterval(sessionCheck));
    let upstreamUrl: string;
    try {
      upstreamUrl = await services.devices.streamEndpoint();
    } catch (e) {
      page.close(1011, `device host unavailable: ${(e as Error).message}`.slice(0, 120));
      return;
    }
    const params = [
      ...(view.imageMaxWidth ? [`imageMaxWidth=${view.imageMaxWidth}`] : []),
      ...(view.enhance ? [`enhance=${view.enhance}`] : []),
      ...(view.enhance && view.raw ? ['raw=1'] : []),
    ];
    const dev = new WebSocket(params.length ? `${upstreamUrl}&${params.join('&')}` : upstreamUrl);
    const unacked: (() => void)[] = [];
    const out = new LatestWins((msg, done) => {
      if (ack) unacked.push(done);
      page.send(msg, { binary: true }, () => ack || done());
    });
    dev.on('message', (data: Buffer) => {
      if (page.readyState !== page.OPEN) return;
      try {
        const m = decodeStreamMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        if (m.header.stream === 'pose') {
          // tracker samples are small and every one counts (a frame is placed by interpolating between them): never dropped
          if (ack) unacked.push(() => {});
          page.send(data, { binary: true });
          return;
        }
        out.offer(
          streamKey(m.header),
          (d) =>
            d === 0
              ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
              : encodeStreamMessage({ ...m.header, dropped: m.header.dropped + d }, m.payload),
          // signal blocks (sEMG, IMU) queue up to 2 s: a burst reaches the page whole
          backlogFor(m.header.stream),
        );
      } catch {
        // not a stream message: ignore
      }
    });
    page.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary && dev.readyState === dev.OPEN) dev.send(data, { binary: true });
      else if (!isBinary) unacked.shift()?.(); // messages arrive in order: the oldest unacknowledged one was handled
    });
    const closeBoth = (): void => {
      streamPages.delete(page);
      dev.terminate();
      if (page.readyState === page.OPEN) page.close();
    };
    page.on('close', closeBoth);
    page.on('error', (e) => (console.warn(`browser-mode host: stream connection closed: ${e.message}`), closeBoth()));
    dev.on('close', closeBoth);
    dev.on('error', closeBoth);
  }

  async function onMessage(ws: WebSocket, ctx: CallContext, raw: string): Promise<void> {
    let id = -1;
    try {
      let msg: { t?: string; id?: number; service?: string; method?: string; args?: unknown };
      try {
        msg = JSON.parse(raw) as typeof msg;
      } catch {
        throw new AppError('BAD_REQUEST', 'a call must be a JSON invoke message');
      }
      if (!msg || msg.t !== 'invoke' || typeof msg.id !== 'number') throw new AppError('BAD_REQUEST', 'expected an invoke message');
      id = msg.id;
      if (msg.args !== undefined && !Array.isArray(msg.args))
        throw new AppError('BAD_REQUEST', `the arguments of ${String(msg.service)}.${String(msg.method)} must be an array`);
      const call = parseCall(String(msg.service), String(msg.method), msg.args ?? []);
      const value = await callService(services, ctx, call.service, call.method, call.args);
      const out: WireMessage = { t: 'result', id, ok: true, value };
      ws.send(JSON.stringify(out));
    } catch (e) {
      const out: WireMessage = { t: 'result', id, ok: false, error: toErrorShape(e) };
      ws.send(JSON.stringify(out));
    }
  }

  const onEvent = (service: string, event: string, payload: unknown): void => {
    const msg = JSON.stringify({ t: 'event', service, event, payload } satisfies WireMessage);
    for (const [c, ctx] of clients) {
      if (c.readyState !== c.OPEN) continue;
      const s = services.access.status(ctx);
      if (!s.accountsEnabled || (s.user && !s.locked)) c.send(msg);
    }
  };
  services.events.on('event', onEvent);

  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      services.events.off('event', onEvent);
      for (const c of [...clients.keys(), ...streamPages]) c.terminate();
      wss.close();
      streamWss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
