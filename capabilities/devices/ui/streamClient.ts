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
 * wider image frames (header `binning`).
 */
import { decodeStreamMessage, encodeStreamMessage, type StreamHeader } from '../../../electron/contract/devices.js';

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
   */
  constructor(
    private readonly source: StreamSource,
    private readonly imageMaxWidth: number | null = null,
  ) {}

  private deliver(bytes: Uint8Array): void {
    let m;
    try {
      m = decodeStreamMessage(bytes);
    } catch {
      return;
    }
    this.received++;
    const msg = { header: m.header, payload: m.payload, receivedMs: performance.now() };
    this.latestByKey.set(`${m.header.device}/${m.header.stream}`, msg);
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
        if (this.imageMaxWidth) port.postMessage({ imageMaxWidth: this.imageMaxWidth }, []);
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
    const ws = new WebSocket(this.imageMaxWidth ? `${src}${src.includes('?') ? '&' : '?'}imageMaxWidth=${this.imageMaxWidth}` : src);
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

  latest(device: string, stream: StreamHeader['stream']): LatestMessage | undefined {
    return this.latestByKey.get(`${device}/${stream}`);
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
