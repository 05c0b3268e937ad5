/**
 * The renderer's end of the live device streams: one binary WebSocket (browser
 * mode; relayed by the loopback host) or a MessagePort from the main process
 * (desktop), carrying `u32 header length | header JSON | payload` messages
 * (on a port wrapped as `{ id, bytes }` and acknowledged with `{ ack: id }`,
 * which is what lets the device host's latest-wins see a slow window; on the
 * WebSocket with `ack=1` in its URL, acknowledged by a text message). Keeps
 * the latest message per (device, stream) — views draw the latest on their
 * own frame clock — plus receive counters, and sends frames up (a UVC
 * grabber captured here) in the same format. With `imageMaxWidth` (the
 * views' width in device pixels) the device host sends binned copies of
 * wider image frames (header `binning`). With a model (`enhance`, issue 22)
 * the image frames come from the device host's model worker (header
 * `enhancement`), and with `raw` the raw frames as well: both are kept, the
 * enhanced ones under their own key (`latest(device, 'image', true)`).
 */
import { decodeStreamMessage, encodeStreamMessage, type EnhanceModel, type StreamHeader } from '../../../electron/contract/devices.js';

/** What a client's views ask the device host for on their image streams: a model's output, and the raw frames too (split view). */
export interface StreamEnhance {
  enhance: EnhanceModel | null;
  raw: boolean;
}

/** The client's latest-message key: device/stream, plus /enhanced for the enhancement channel. */
const latestKey = (device: string, stream: string, enhanced: boolean): string => `${device}/${stream}${enhanced ? '/enhanced' : ''}`;

export interface LatestMessage {
  header: StreamHeader;
  payload: Uint8Array;
  receivedMs: number;
}

/** What the client needs of a MessagePort (the DOM's, or Node's in tests). */
export interface StreamPortLike {
  addEventListener(type: 'message' | 'close', cb: (ev: { data: unknown }) => void): void;
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  start(): void;
  close(): void;
}

/** Where the streams come from: a WebSocket URL (asked at each opening: it carries the connection's data ticket), or a MessagePort opener. */
export type StreamSource = { url: () => Promise<string> } | { port: () => Promise<StreamPortLike> };

export class StreamClient {
  private ws: WebSocket | null = null;
  private port: StreamPortLike | null = null;
  private latestByKey = new Map<string, LatestMessage>();
  private listeners = new Set<(m: LatestMessage) => void>();
  received = 0;
  /** Messages on which a listener threw (logged; the stream goes on). */
  listenerErrors = 0;
  closed = false;

  /**
   * @param source the relay's WebSocket URL or a port opener
   * @param imageMaxWidth display width of the image views (px), or null for full frames
   * @param view the enhancement model the image views show (null: raw only) and whether raw frames come too
   */
  constructor(
    private readonly source: StreamSource,
    private readonly imageMaxWidth: number | null = null,
    private view: StreamEnhance = { enhance: null, raw: false },
  ) {}

  /** The model the image views show now. */
  get enhance(): StreamEnhance {
    return { ...this.view };
  }

  /**
   * Switches the model (null: none) and whether the raw frames come as well: on a port by a message, on the
   * WebSocket by opening it again with the new URL. The enhanced frames kept so far are forgotten.
   */
  setEnhance(view: StreamEnhance): void {
    if (view.enhance === this.view.enhance && view.raw === this.view.raw) return;
    this.view = { enhance: view.enhance, raw: view.enhance ? view.raw : false };
    for (const k of [...this.latestByKey.keys()]) if (k.endsWith('/enhanced')) this.latestByKey.delete(k);
    if (this.port) this.port.postMessage({ enhance: this.view.enhance, raw: this.view.raw }, []);
    else if (this.ws) {
      const old = this.ws;
      this.ws = null;
      old.onclose = null;
      old.onmessage = null;
      old.close();
      this.open();
    }
  }

  private deliver(bytes: Uint8Array): void {
    let m;
    try {
      m = decodeStreamMessage(bytes);
    } catch {
      return;
    }
    this.received++;
    const msg = { header: m.header, payload: m.payload, receivedMs: performance.now() };
    this.latestByKey.set(latestKey(m.header.device, m.header.stream, !!m.header.enhancement), msg);
    // a view that fails on one message must not stop the stream (its acknowledgement still goes) nor the other views
    for (const l of this.listeners)
      try {
        l(msg);
      } catch (e) {
        this.listenerErrors++;
        console.error(`stream ${m.header.device}/${m.header.stream}: a view failed on message ${m.header.seq}:`, e);
      }
  }

  /** Opens the socket or port; reconnects after a drop (the device host may restart) until close(). */
  open(): void {
    if (this.closed) return;
    const src = this.source;
    if ('port' in src) {
      void src.port().then((port) => {
        if (this.closed) return port.close();
        this.port = port;
        port.addEventListener('message', (ev) => {
          const d = ev.data as { id: number; bytes: ArrayBuffer };
          this.deliver(new Uint8Array(d.bytes));
          port.postMessage({ ack: d.id }, []);
        });
        // Electron signals the other end's close on the port (the device host restarted)
        port.addEventListener('close', () => {
          this.port = null;
          if (!this.closed) setTimeout(() => this.open(), 1000);
        });
        port.start();
        if (this.imageMaxWidth || this.view.enhance)
          port.postMessage({ imageMaxWidth: this.imageMaxWidth, ...(this.view.enhance ? { enhance: this.view.enhance, raw: this.view.raw } : {}) }, []);
      });
      return;
    }
    void src.url().then(
      (url) => this.openSocket(url),
      () => !this.closed && setTimeout(() => this.open(), 1000),
    );
  }

  private openSocket(src: string): void {
    if (this.closed) return;
    const params = [
      ...(this.imageMaxWidth ? [`imageMaxWidth=${this.imageMaxWidth}`] : []),
      ...(this.view.enhance ? [`enhance=${this.view.enhance}`] : []),
      ...(this.view.enhance && this.view.raw ? ['raw=1'] : []),
    ];
    const ws = new WebSocket(params.length ? `${src}${src.includes('?') ? '&' : '?'}${params.join('&')}` : src);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    const ack = /[?&]ack=1\b/.test(src);
    ws.onmessage = (ev) => {
      this.deliver(new Uint8Array(ev.data as ArrayBuffer));
      // handled (listeners ran): the relay may send this stream's next message
      if (ack) ws.send('a');
    };
    ws.onclose = () => {
      this.ws = null;
      if (!this.closed) setTimeout(() => this.open(), 1000);
    };
  }

  /** The latest message of a device's stream; `enhanced`: of its enhancement channel (a model's output, or raw with why). */
  latest(device: string, stream: StreamHeader['stream'], enhanced = false): LatestMessage | undefined {
    return this.latestByKey.get(latestKey(device, stream, enhanced));
  }

  onMessage(cb: (m: LatestMessage) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Sends a frame up to the device host; returns false (frame dropped) while the socket is still busy. */
  sendUp(header: Omit<StreamHeader, 'dropped'>, payload?: Uint8Array): boolean {
    if (this.port) {
      const buf = encodeStreamMessage({ ...header, dropped: 0 }, payload).buffer as ArrayBuffer;
      this.port.postMessage({ up: buf }, [buf]);
      return true;
    }
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > 4 * 1024 * 1024) return false;
    ws.send(encodeStreamMessage({ ...header, dropped: 0 }, payload) as Uint8Array<ArrayBuffer>);
    return true;
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
    this.port?.close();
  }
}
