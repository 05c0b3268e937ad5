/**
 * What the Motion workspace exposes on `window.__orthotwinMotion` for
 * end-to-end tests and service engineers.
 */
export interface MotionProbe {
  /** Frames of the display's frame clock per second over the last ~2 s (the plots redraw on it when a block came). */
  fps(): number;
  /** Plot redraws since the plots opened (one per sEMG block drawn). */
  draws(): number;
  /** 95th percentile of a redraw's time (ms) over the last 200: below 33 ms the plots keep up with 30 fps. */
  drawMsP95(): number;
  /** sEMG samples per channel received on this screen, and those not delivered to it (gaps in the sample indices). */
  received(): number;
  lost(): number;
  /** The sEMG channels plotted. */
  channels(): string[];
  /** Per channel: MDF windows computed live, and the least-squares MDF slope of the last contraction (Hz/s; null before 4 active windows). */
  mdfTrend(): { label: string; windows: number; slopeHzPerS: number | null; contractionWindows: number }[];
}

declare global {
  interface Window {
    __orthotwinMotion?: MotionProbe;
  }
}
