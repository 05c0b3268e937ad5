/**
 * Ring buffers for the live signal plots of the Motion workspace: the last
 * `seconds` of each channel of a device's 'emg' or 'imu' stream messages
 * (float32 [channel][sample] blocks with the capture's sample index of their
 * first sample), with gaps in the indices counted as lost samples and left
 * as NaN (drawn as gaps, never joined), and the moving RMS (V) over a window.
 */
import type { StreamHeader } from '../../../electron/contract/devices.js';

export class SignalBuffer {
  readonly capacity: number;
  readonly channels: { label: string; unit: string; description?: string | undefined }[];
  readonly rateHz: number;
  /** [channel] ring of samples; `next` is the capture index one past the newest sample held. */
  private readonly data: Float32Array[];
  next = -1;
  /** Samples missing from the indices (blocks the stream did not deliver: latest-wins on a slow window). */
  lost = 0;
  received = 0;

  constructor(header: StreamHeader, seconds: number) {
    this.channels = header.channels ?? [];
    this.rateHz = header.rateHz ?? 1;
    this.capacity = Math.max(1, Math.round(this.rateHz * seconds));
    this.data = this.channels.map(() => new Float32Array(this.capacity).fill(NaN));
  }

  /** Whether a message belongs to this buffer's layout (same channels and rate). */
  fits(h: StreamHeader): boolean {
    return (
      h.rateHz === this.rateHz && (h.channels?.length ?? 0) === this.channels.length && (h.channels ?? []).every((c, i) => c.label === this.channels[i]!.label)
    );
  }

  /** Adds a block (payload float32 [channel][count]). */
  add(h: StreamHeader, payload: Uint8Array): void {
    const n = h.count ?? 0;
    const first = h.firstIndex ?? Math.max(0, this.next);
    const f = new Float32Array(payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.byteLength));
    if (this.next >= 0 && first > this.next) {
      const gap = first - this.next;
      this.lost += gap;
      for (let i = this.next; i < first && i < this.next + this.capacity; i++) for (const d of this.data) d[i % this.capacity] = NaN;
    }
    for (let c = 0; c < this.channels.length; c++) {
      const d = this.data[c]!;
      for (let i = 0; i < n; i++) d[(first + i) % this.capacity] = f[c * n + i]!;
    }
    this.next = Math.max(this.next, first + n);
    this.received += n;
  }

  /**
   * The last `count` samples of every channel, oldest first, with their times (s, relative to the newest sample),
   * decimated to at most `maxPoints` per channel by min/max pairs (so spikes stay visible).
   */
  window(count: number, maxPoints: number): { t: number[]; ys: number[][] } {
    const n = Math.min(count, this.capacity, Math.max(0, this.next));
    const start = this.next - n;
    const step = Math.max(1, Math.ceil(n / Math.max(2, maxPoints / 2)));
    const t: number[] = [];
    const ys: number[][] = this.channels.map(() => []);
    for (let s = start; s < this.next; s += step) {
      const e = Math.min(this.next, s + step);
      const tt = (s - this.next) / this.rateHz;
      if (step === 1) {
        t.push(tt);
        this.data.forEach((d, c) => ys[c]!.push(d[s % this.capacity]!));
        continue;
      }
      t.push(tt, tt + (e - s) / 2 / this.rateHz);
      this.data.forEach((d, c) => {
        let lo = Infinity,
          hi = -Infinity;
        for (let i = s; i < e; i++) {
          const v = d[i % this.capacity]!;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        ys[c]!.push(Number.isFinite(lo) ? lo : NaN, Number.isFinite(hi) ? hi : NaN);
      });
    }
    return { t, ys };
  }

  /** The `count` samples of every channel ending at capture index `end` (exclusive), oldest first; NaN where missing; null when not all held. */
  samples(end: number, count: number): Float64Array[] | null {
    if (end > this.next || end - count < Math.max(0, this.next - this.capacity)) return null;
    return this.data.map((d) => Float64Array.from({ length: count }, (_, i) => d[(end - count + i) % this.capacity]!));
  }

  /** Moving RMS of each channel over the last `windowS` seconds (V); NaN samples are skipped; null when none. */
  rms(windowS: number): (number | null)[] {
    const n = Math.min(Math.round(windowS * this.rateHz), this.capacity, Math.max(0, this.next));
    return this.data.map((d) => {
      let s = 0,
        k = 0;
      for (let i = this.next - n; i < this.next; i++) {
        const v = d[i % this.capacity]!;
        if (Number.isNaN(v)) continue;
        s += v * v;
        k++;
      }
      return k ? Math.sqrt(s / k) : null;
    });
  }
}
