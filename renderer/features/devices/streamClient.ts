/**
 * The renderer's end of the live device streams: one binary WebSocket (browser
 * mode; relayed by the loopback host) carrying `u32 header length | header
 * JSON | payload` messages. Keeps the latest message per (device, stream) —
 * views draw the latest on their own frame clock — plus receive counters, and
 * sends frames up (a UVC grabber captured here) in the same format.
 */
import { decodeStreamMessage, encodeStreamMessage, type StreamHeader } from '../../../electron/contract/devices.js';

export interface LatestMessage {
  header: StreamHeader;
  payload: Uint8Array;
  receivedMs: number;
}

export class StreamClient {
  private ws: WebSocket | null = null;
  private latestByKey = new Map<string, LatestMessage>();
  private listeners = new Set<(m: LatestMessage) => void>();
  received = 0;
  closed = false;

  constructor(private readonly url: string) {}

  /** Opens the socket; reconnects after a drop (the device host may restart) until close(). */
  open(): void {
    if (this.closed) return;
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onmessage = (ev) => {
      let m;
      try {
        m = decodeStreamMessage(new Uint8Array(ev.data as ArrayBuffer));
      } catch {
        return;
      }
      this.received++;
      const msg = { header: m.header, payload: m.payload, receivedMs: performance.now() };
      this.latestByKey.set(`${m.header.device}/${m.header.stream}`, msg);
      for (const l of this.listeners) l(msg);
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
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > 4 * 1024 * 1024) return false;
    ws.send(encodeStreamMessage({ ...header, dropped: 0 }, payload) as Uint8Array<ArrayBuffer>);
    return true;
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }
}
