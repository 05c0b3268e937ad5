/**
 * Buffers of the live fusion: the recent tracker poses of each tool (to place
 * a frame with the poses at its own acquisition time, as PLUS does when it
 * attaches tracking to video) and the cine loop of the last seconds of fused
 * frames.
 */
import { poseAt, type PoseTrack } from '../../../math/poseInterp.js';
import type { StreamHeader } from '../../../electron/contract/devices.js';

/** Recent poses per tool name, on the host clock (µs). */
export class PoseHistory {
  private readonly tracks = new Map<string, PoseTrack & { hostUs: number[] }>();

  /** @param windowUs how much history to keep (µs) */
  constructor(private readonly windowUs = 3_000_000) {}

  /** Adds a pose message (its `poses`, stamped with the acquisition time `deviceTimeUs` and the receipt time `hostTimeUs`). */
  add(h: Pick<StreamHeader, 'deviceTimeUs' | 'hostTimeUs' | 'poses'>): void {
    for (const p of h.poses ?? []) {
      let t = this.tracks.get(p.name);
      if (!t) this.tracks.set(p.name, (t = { timesUs: [], matrices: [], hostUs: [] }));
      const last = t.timesUs[t.timesUs.length - 1];
      if (last !== undefined && h.deviceTimeUs <= last) {
        // a replay looping back to its start, or a device restarted: the old history no longer precedes
        if (h.deviceTimeUs < last) t.timesUs.length = t.matrices.length = t.hostUs.length = 0;
        else continue;
      }
      t.timesUs.push(h.deviceTimeUs);
      t.matrices.push(p.state === 'ok' ? p.matrix : null);
      t.hostUs.push(h.hostTimeUs);
      let drop = 0;
      while (drop < t.timesUs.length - 2 && t.timesUs[drop]! < h.deviceTimeUs - this.windowUs) drop++;
      if (drop) {
        t.timesUs.splice(0, drop);
        t.matrices.splice(0, drop);
        t.hostUs.splice(0, drop);
      }
    }
  }

  /** Acquisition time (µs) of the tool's newest sample, null when never seen. */
  newestUs(tool: string): number | null {
    const t = this.tracks.get(tool);
    return t?.timesUs.length ? t.timesUs[t.timesUs.length - 1]! : null;
  }

  /** Tool names seen. */
  tools(): string[] {
    return [...this.tracks.keys()];
  }

  /**
   * The tool's pose at acquisition time `tUs` (µs, host clock), interpolated
   * between the bracketing samples (slerp + linear), with the receipt time of
   * the later sample used (for latency); null when the tool was not seen
   * then, or the samples around it are more than `maxGapUs` apart (default:
   * 100 ms or 2.5 of the tool's median sample interval, whichever is longer). A frame
   * newer than the newest sample by at most `holdUs` gets that sample (the
   * tracker's next sample has not arrived yet).
   */
  at(tool: string, tUs: number, maxGapUs?: number, holdUs = 50_000): { matrix: number[]; sampleHostUs: number } | null {
    const t = this.tracks.get(tool);
    if (!t || !t.timesUs.length) return null;
    const n = t.timesUs.length - 1;
    // default gap: 100 ms, or 2.5 sample intervals of a slower tracker (one lost sample is bridged, two are not)
    if (maxGapUs === undefined) {
      const iv: number[] = [];
      for (let k = Math.max(1, n - 20); k <= n; k++) iv.push(t.timesUs[k]! - t.timesUs[k - 1]!);
      iv.sort((a, b) => a - b);
      maxGapUs = Math.max(100_000, 2.5 * (iv[(iv.length - 1) >> 1] ?? 0));
    }
    if (tUs > t.timesUs[n]! && tUs - t.timesUs[n]! <= holdUs) {
      const last = t.matrices[n];
      return last ? { matrix: last, sampleHostUs: t.hostUs[n]! } : null;
    }
    const m = poseAt(t, tUs, maxGapUs);
    if (!m) return null;
    let k = 0;
    while (k < t.timesUs.length - 1 && t.timesUs[k]! < tUs) k++;
    return { matrix: m, sampleHostUs: t.hostUs[k]! };
  }
}

/** One fused frame kept for cine review. */
export interface CineFrame {
  seq: number;
  /** Acquisition time (µs, host clock). */
  timeUs: number;
  width: number;
  height: number;
  /** One byte per pixel (copied). */
  pixels: Uint8Array;
  /** Source pixels per pixel along each axis (a binned display copy, see imageBinning.ts); 1 for a full frame. */
  binning: number;
  /** Row-major 4×4 pixels → volume mm, null when the probe was not tracked. */
  imageToVolume: number[] | null;
}

/** The last seconds of frames, bounded in time and in memory. */
export class CineBuffer {
  private readonly frames: CineFrame[] = [];
  private bytes = 0;

  /**
   * @param seconds how far back the loop reaches
   * @param maxBytes memory cap for the pixels (oldest frames go first)
   */
  constructor(
    readonly seconds = 5,
    private readonly maxBytes = 96 * 1024 * 1024,
  ) {}

  push(f: CineFrame): void {
    this.frames.push(f);
    this.bytes += f.pixels.byteLength;
    while (this.frames.length > 1 && (this.bytes > this.maxBytes || this.frames[0]!.timeUs < f.timeUs - this.seconds * 1e6)) {
      this.bytes -= this.frames.shift()!.pixels.byteLength;
    }
  }

  get length(): number {
    return this.frames.length;
  }

  get(i: number): CineFrame | undefined {
    return this.frames[i];
  }

  /** Duration covered (s). */
  spanS(): number {
    return this.frames.length > 1 ? (this.frames[this.frames.length - 1]!.timeUs - this.frames[0]!.timeUs) / 1e6 : 0;
  }

  clear(): void {
    this.frames.length = 0;
    this.bytes = 0;
  }
}
