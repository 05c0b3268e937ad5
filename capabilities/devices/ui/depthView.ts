/**
 * Draws the latest depth sample of a device on a canvas: a depth frame
 * (uint16 × depthScaleMm) colour-mapped near → far (turbo-like ramp, black =
 * no return), or a point cloud projected along the camera's z axis (organised
 * clouds keep their pixel grid; unorganised ones are fitted to the canvas),
 * coloured by depth.
 */
import type { LatestMessage } from './streamClient.js';

/** A blue → cyan → yellow → red ramp for t in [0, 1]. */
function ramp(t: number): [number, number, number] {
  const c = Math.max(0, Math.min(1, t));
  const r = Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * c - 3))));
  const g = Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * c - 2))));
  const b = Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * c - 1))));
  return [r, g, b];
}

/** 2nd and 98th percentiles of the valid depths (mm), from a subsample. */
function range(values: ArrayLike<number>, scale: number): [number, number] {
  const s: number[] = [];
  const step = Math.max(1, Math.floor(values.length / 4000));
  for (let i = 0; i < values.length; i += step) {
    const v = values[i]!;
    if (v > 0 && Number.isFinite(v)) s.push(v * scale);
  }
  if (!s.length) return [0, 1];
  s.sort((a, b) => a - b);
  const lo = s[Math.floor(0.02 * (s.length - 1))]!;
  const hi = s[Math.floor(0.98 * (s.length - 1))]!;
  return [lo, Math.max(hi, lo + 1)];
}

/** Draws `m` (stream 'depth' or 'points'); returns the near/far range shown (mm) or null when nothing was drawn. */
export function drawDepth(canvas: HTMLCanvasElement, m: LatestMessage): [number, number] | null {
  const h = m.header;
  const g = canvas.getContext('2d');
  if (!g) return null;
  if (h.stream === 'depth' && h.width && h.height && h.scalar === 'uint16') {
    const d = new Uint16Array(m.payload.slice().buffer);
    const scale = h.intrinsics?.depthScaleMm ?? 1;
    const [lo, hi] = range(d, scale);
    if (canvas.width !== h.width) canvas.width = h.width;
    if (canvas.height !== h.height) canvas.height = h.height;
    const img = g.createImageData(h.width, h.height);
    for (let i = 0; i < d.length; i++) {
      const [r, gg, b] = d[i]! > 0 ? ramp((d[i]! * scale - lo) / (hi - lo)) : [0, 0, 0];
      img.data.set([r, gg, b, 255], 4 * i);
    }
    g.putImageData(img, 0, 0);
    return [lo, hi];
  }
  if (h.stream === 'points' && h.count) {
    const p = new Float32Array(m.payload.slice().buffer);
    const n = h.count;
    const z = Float32Array.from({ length: n }, (_, i) => p[3 * i + 2]!);
    const [lo, hi] = range(z, 1);
    const organised = (h.height ?? 1) > 1 && (h.width ?? 0) * (h.height ?? 0) === n;
    const W = organised ? h.width! : canvas.width;
    const H = organised ? h.height! : canvas.height;
    if (canvas.width !== W) canvas.width = W;
    if (canvas.height !== H) canvas.height = H;
    const img = g.createImageData(W, H);
    for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
    let minX = Infinity;
    let maxX = -Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    if (!organised)
      for (let i = 0; i < n; i++) {
        const x = p[3 * i]!;
        const y = p[3 * i + 1]!;
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
      }
    const s = organised ? 1 : Math.min((W - 1) / Math.max(1e-6, maxX - minX), (H - 1) / Math.max(1e-6, maxY - minY));
    for (let i = 0; i < n; i++) {
      const zz = z[i]!;
      if (!Number.isFinite(zz)) continue;
      const px = organised ? i % W : Math.round((p[3 * i]! - minX) * s);
      const py = organised ? Math.floor(i / W) : Math.round((p[3 * i + 1]! - minY) * s);
      if (px < 0 || py < 0 || px >= W || py >= H) continue;
      img.data.set(ramp((zz - lo) / (hi - lo)), 4 * (py * W + px));
    }
    g.putImageData(img, 0, 0);
    return [lo, hi];
  }
  return null;
}
