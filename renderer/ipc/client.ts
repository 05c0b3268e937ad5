/**
 * The typed client over either transport, chosen once at start-up: the
 * Electron preload bridge (`window.orthotwin`) on the desktop, or the
 * loopback WebSocket with the per-launch token in browser mode. Nothing else
 * in the renderer talks to the main process.
 */
import type { EventName, EventPayload, MethodArgs, MethodName, MethodResult, ServiceName, WireMessage } from '../../electron/contract/index.js';
import { DATA_TICKET_HEADER } from '../../electron/contract/bulk.js';

/** An error returned by a service, with its code (e.g. FORBIDDEN). */
export interface ClientError extends Error {
  code: string;
}

/** What the Electron preload exposes (see electron/preload). */
export interface PreloadBridge {
  invoke(service: string, method: string, args: unknown[]): Promise<{ ok: true; value: unknown } | { ok: false; error: { code: string; message: string } }>;
  subscribe(service: string, event: string, cb: (payload: unknown) => void): () => void;
  dataOrigin: string;
  /** Asks the main process for the live streams' MessagePort (delivered as a window message). */
  requestStreamPort?(): void;
}

/** The window message that carries the desktop's stream port (from the preload). */
export const STREAM_PORT_MESSAGE = 'orthotwin:stream-port';

declare global {
  interface Window {
    orthotwin?: PreloadBridge;
  }
}

/** One way to reach the main process: the preload bridge (desktop) or the loopback WebSocket (browser mode). */
export interface Transport {
  kind: 'ipc' | 'websocket';
  invoke(service: string, method: string, args: unknown[]): Promise<unknown>;
  subscribe(service: string, event: string, cb: (payload: unknown) => void): () => void;
  /**
   * Fetches a bulk-data path (/data/...) with this connection's data ticket
   * (and the launch token in browser mode): the request has the signed-in
   * session's rights, and fails (401/423/403) without one.
   */
  fetchData(path: string, init?: RequestInit): Promise<Response>;
  /**
   * WebSocket URL (asked at each opening) of the live device streams with this connection's
   * data ticket (browser mode: relayed by the loopback host), or null where
   * streams arrive on a MessagePort (desktop).
   */
  streamUrl(): (() => Promise<string>) | null;
  /** Desktop: opens a MessagePort to the live device streams; null in browser mode. */
  streamPort(): Promise<MessagePort> | null;
}

function clientError(e: { code: string; message: string }): ClientError {
  return Object.assign(new Error(e.message), { code: e.code });
}

/** This connection's data ticket (auth.dataTicket), asked once per connection. */
function ticketCache(invoke: Transport['invoke']): { get(): Promise<string>; reset(): void } {
  let ticket: Promise<string> | null = null;
  return {
    get: () =>
      (ticket ??= (invoke('auth', 'dataTicket', []) as Promise<{ ticket: string }>).then(
        (r) => r.ticket,
        (e: unknown) => {
          ticket = null;
          throw e;
        },
      )),
    reset: () => void (ticket = null),
  };
}

function ipcTransport(b: PreloadBridge): Transport {
  const invoke: Transport['invoke'] = async (s, m, a) => {
    const r = await b.invoke(s, m, a);
    if (!r.ok) throw clientError(r.error);
    return r.value;
  };
  const tickets = ticketCache(invoke);
  return {
    kind: 'ipc',
    invoke,
    subscribe: (s, e, cb) => b.subscribe(s, e, cb),
    fetchData: async (p, init) => {
      const headers = new Headers(init?.headers);
      headers.set(DATA_TICKET_HEADER, await tickets.get());
      return await fetch(`${b.dataOrigin}${p}`, { ...init, headers });
    },
    streamUrl: () => null,
    streamPort: () => {
      if (!b.requestStreamPort) return null;
      return new Promise<MessagePort>((resolve) => {
        const on = (ev: MessageEvent): void => {
          if (ev.source !== window || ev.data !== STREAM_PORT_MESSAGE || !ev.ports[0]) return;
          window.removeEventListener('message', on);
          resolve(ev.ports[0]);
        };
        window.addEventListener('message', on);
        b.requestStreamPort!();
      });
    },
  };
}

function wsTransport(token: string): Transport {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const subs = new Map<string, Set<(p: unknown) => void>>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let ready: Promise<WebSocket> | null = null;
  let retry = 250;
  // a ticket stands for one connection: a new connection asks again
  let tickets: ReturnType<typeof ticketCache> | null = null;

  const connect = (): Promise<WebSocket> => {
    if (ready) return ready;
    ready = new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${location.host}/ws?token=${encodeURIComponent(token)}`);
      ws.onopen = () => {
        socket = ws;
        retry = 250;
        resolve(ws);
      };
      ws.onerror = () => reject(new Error('cannot reach the OrthoTwin host (is `npm run serve` running?)'));
      ws.onclose = () => {
        socket = null;
        tickets?.reset();
        ready = null;
        for (const p of pending.values()) p.reject(new Error('connection to the OrthoTwin host lost'));
        pending.clear();
        setTimeout(() => void connect().catch(() => undefined), (retry = Math.min(retry * 2, 5000)));
      };
      ws.onmessage = (ev) => {
        const msg = JSON.parse(String(ev.data)) as WireMessage;
        if (msg.t === 'result') {
          const p = pending.get(msg.id);
          if (!p) return;
          pending.delete(msg.id);
          if (msg.ok) p.resolve(msg.value);
          else p.reject(clientError(msg.error));
        } else if (msg.t === 'event') {
          for (const cb of subs.get(`${msg.service}.${msg.event}`) ?? []) cb(msg.payload);
        }
      };
    });
    return ready;
  };

  const invoke: Transport['invoke'] = async (service, method, args) => {
    const ws = socket ?? (await connect());
    const id = nextId++;
    return await new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ t: 'invoke', id, service, method, args }));
    });
  };
  tickets = ticketCache(invoke);
  return {
    kind: 'websocket',
    invoke,
    subscribe: (service, event, cb) => {
      const key = `${service}.${event}`;
      if (!subs.has(key)) subs.set(key, new Set());
      subs.get(key)!.add(cb);
      void connect().catch(() => undefined);
      return () => subs.get(key)?.delete(cb);
    },
    fetchData: async (p, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${token}`);
      headers.set(DATA_TICKET_HEADER, await tickets!.get());
      return await fetch(`${location.origin}${p}`, { ...init, headers });
    },
    streamUrl: () => async () => `ws://${location.host}/streams?token=${encodeURIComponent(token)}&ticket=${encodeURIComponent(await tickets!.get())}&ack=1`,
    streamPort: () => null,
  };
}

/** Picks the transport: preload bridge if present, else the WebSocket with the URL's token. */
export function detectTransport(): Transport {
  if (window.orthotwin) return ipcTransport(window.orthotwin);
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) sessionStorage.setItem('orthotwin.token', fromUrl);
  const token = fromUrl ?? sessionStorage.getItem('orthotwin.token');
  if (!token) throw new Error('No access token: open the URL printed by `npm run serve` (it ends with ?token=…).');
  return wsTransport(token);
}

/** The typed client: calls and event subscriptions checked against the contract, and bulk data. */
export interface Client {
  transport: Transport;
  call<S extends ServiceName, M extends MethodName<S>>(
    service: S,
    method: M,
    ...args: MethodArgs<S, M> extends unknown[] ? MethodArgs<S, M> : never
  ): Promise<MethodResult<S, M>>;
  /** Subscribes to a service's event; the payload is typed from the service's event schema. */
  on<S extends ServiceName, E extends EventName<S>>(service: S, event: E, cb: (payload: EventPayload<S, E>) => void): () => void;
  fetchBinary(path: string): Promise<{ buffer: ArrayBuffer; headers: Headers }>;
}

/** The typed client over a transport. */
export function createClient(transport: Transport): Client {
  return {
    transport,
    call: async (service, method, ...args) => (await transport.invoke(service, method, args as unknown[])) as never,
    on: (service, event, cb) => transport.subscribe(service, event, cb as (payload: unknown) => void),
    fetchBinary: async (path) => {
      const r = await transport.fetchData(path);
      if (!r.ok) {
        let msg = `${r.status} ${r.statusText}`;
        try {
          msg = ((await r.json()) as { message: string }).message;
        } catch {
          /* not JSON */
        }
        throw new Error(`loading ${path} failed: ${msg}`);
      }
      return { buffer: await r.arrayBuffer(), headers: r.headers };
    },
  };
}
