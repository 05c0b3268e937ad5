/**
 * Status kind `uvc`: a UVC frame grabber captured in a window (Chromium
 * media capture). Not a DeviceSpec kind — no one connects it through the
 * host: its frames arrive upstream on the stream socket, and the first frame
 * of a device makes its runtime. This keeps its status (rate, frames lost by
 * sequence gaps, capture → host latency).
 */
import type { DeviceStatus, StreamHeader } from '../../contract/devices.js';
import { DeviceRuntime } from './runtime.js';

/** The status of one window capture (kind 'uvc'), fed by its upstream frames. */
export class UpstreamCaptureRuntime extends DeviceRuntime {
  private lastSeq = -1;

  /**
   * @param id the stream's device id (`uvc:<input label>`)
   * @param simulated what the capturing window declared in the frame's header (`simulated`: Chromium's fake capture device)
   */
  constructor(id: string, simulated: boolean) {
    super({ id, emit: () => undefined, simulated }, 'uvc', id.replace(/^uvc:/, 'UVC grabber: '));
    this.status.state = 'streaming';
    this.status.driverState = 'capturing';
    this.provide('image');
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.status.state = 'stopped';
  }

  /** A frame arrived from the capture window (header times on the host clock, µs). */
  onFrame(h: StreamHeader, nowUs: number): void {
    this.counted(nowUs);
    if (this.lastSeq >= 0 && h.seq > this.lastSeq + 1) this.status.dropped += h.seq - this.lastSeq - 1;
    this.lastSeq = h.seq;
    this.status.latencyMs = Math.max(0, (nowUs - h.deviceTimeUs) / 1000);
    this.status.streams = [{ name: `Video ${h.width ?? 0}×${h.height ?? 0}`, state: 'ok' }];
    this.status.state = 'streaming';
  }

  /** The status; stopped once no frame came for a second. */
  override snapshot(): DeviceStatus {
    const s = super.snapshot();
    return s.rateHz === 0 ? { ...s, state: 'stopped' } : s;
  }
}
