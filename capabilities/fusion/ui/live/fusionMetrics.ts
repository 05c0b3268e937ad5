/**
 * The live fusion's counters and per-frame measurements (bounded series),
 * kept by the fusion loop and read by the page probe and the status line.
 */

/** Appends `x` to `series`, dropping the oldest beyond `max` entries. */
export function pushBounded<T>(series: T[], x: T, max: number): void {
  series.push(x);
  if (series.length > max) series.shift();
}

export class FusionMetrics {
  /** Ultrasound frames of the source received, shown (drawn live), superseded here before being fused, shown without a pose. */
  received = 0;
  shown = 0;
  superseded = 0;
  untracked = 0;
  /** Frames shown unplaced because the probe / reference pair was refused (the same tool, or two trackers). */
  refused = 0;
  /** The device host's count of frames dropped upstream (latest-wins), from the last frame's header. */
  upstreamDropped = 0;
  /** Sequence number of the last frame shown; −1 before one. */
  lastSeq = -1;
  /** Per shown placed frame: host clock on screen − host receipt of the tracker sample that placed it (ms; last 3000). */
  readonly latenciesMs: number[] = [];
  /** Per shown frame: time to draw it in every view (ms; last 3000). */
  readonly renderMs: number[] = [];
  /** Per drawn placed frame: ultrasound view, reslice with read-back, overlay and NCC (ms; last 3000). */
  readonly stages: { us: number; reslice: number; overlayNcc: number }[] = [];
  /** Per 3D-view update (ms; last 600). */
  readonly view3dMs: number[] = [];
  /** Per shown placed frame: arrival at the page and drawing, after the tracker sample's host receipt (ms; last 3000). */
  readonly transport: { arrivedMs: number; drawnMs: number }[] = [];
  /** Per drawn placed frame: NCC of the frame with the reslice over the pixels where the volume has data (last 600). */
  readonly ncc: { seq: number; ncc: number; pixels: number }[] = [];
  /** Per received frame of a model's output: its inference time in the device host's worker (ms, header `enhancement.ms`; last 3000). */
  readonly enhanceMs: number[] = [];

  /** Clears the series and the counters (not the upstream count or the last sequence number). */
  reset(): void {
    this.latenciesMs.length = 0;
    this.renderMs.length = 0;
    this.stages.length = 0;
    this.view3dMs.length = 0;
    this.transport.length = 0;
    this.ncc.length = 0;
    this.enhanceMs.length = 0;
    this.shown = this.received = this.superseded = this.untracked = this.refused = 0;
  }
}
