/** Generated temporal-calibration recordings (a probe moved over a plate; issue 5, item 4). */
import { rng } from '../../native-bridges/devices/depth/simulator.js';

/**
 * Generated temporal-calibration recording: the probe moved irregularly up
 * and down (three incommensurate sines, ±10 mm) over a plate; the tracker
 * samples its position at 50 Hz (0.1 mm noise) along a tilted axis with a
 * slow lateral drift; the video (30 Hz, 0.2 mm/pixel) shows the plate's line
 * at depth 100 − z/0.2 rows with speckle, stamped `lateMs` late with ±2 ms jitter.
 */
export function plateSweep(seed: number, lateMs: number, seconds = 20) {
  const r = rng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const z = (t: number) => 5 * Math.sin(2 * Math.PI * 0.41 * t) + 3 * Math.sin(2 * Math.PI * 0.93 * t + 1) + 2 * Math.sin(2 * Math.PI * 1.7 * t + 2);
  const axis = [0.2, -0.3, 0.93];
  const na = Math.hypot(...axis);
  const u = axis.map((v) => v / na);
  const base = [120, -40, -900];
  const trackerT: number[] = [],
    positions: number[][] = [];
  for (let t = 0; t < seconds; t += 0.02) {
    trackerT.push(t);
    positions.push(base.map((b, k) => b + u[k]! * z(t) + (k === 0 ? 2 * Math.sin(0.1 * t) : 0) + 0.1 * gauss()));
  }
  const cols = 96,
    rows = 200;
  const videoT: number[] = [],
    frames: Float32Array[] = [];
  for (let t = 0.01; t < seconds; t += 1 / 30) {
    const depth = 100 - z(t) / 0.2;
    const f = new Float32Array(cols * rows);
    for (let y = 0; y < rows; y++) {
      const line = 180 * Math.exp(-((y - depth) ** 2) / (2 * 1.5 ** 2));
      for (let x = 0; x < cols; x++) f[y * cols + x] = Math.min(255, line + 40 * r() + (y > depth ? 10 : 30));
    }
    frames.push(f);
    videoT.push(t + lateMs / 1000 + 0.002 * (2 * r() - 1));
  }
  return { trackerT, positions, videoT, frames, cols, rows, z, u };
}
