/**
 * A depth camera simulator: renders a surface mesh (e.g. the patient's skin
 * from the twin, LPS mm) from a virtual camera pose into a uint16 depth
 * frame (mm) with a stereo-camera noise model and the holes real sensors
 * have, at a fixed frame rate. Stands in for a RealSense until the native
 * bridge exists (same DepthFrame as any other depth source).
 *
 * Noise (active stereo, e.g. RealSense D4xx; Ahn et al. 2019, Intel white
 * paper "Depth camera D415/D435 tuning"): σz = z²·σd / (f·b) with subpixel
 * disparity noise σd (default 0.08 px), focal length f (px) and baseline b
 * (default 50 mm). Holes: no return where the surface is seen at a grazing
 * angle (cos θ below `grazingCos`), at depth discontinuities (no flying
 * pixels: a pixel whose neighbour is more than `edgeMm` away is dropped),
 * and in random blobs (specular patches), seeded so a frame is reproducible.
 */
import type { DepthFrame, PinholeIntrinsics } from './formats.js';
import { rng } from '../../../math/random.js';

export { rng };

export interface SurfaceMesh {
  /** x, y, z per vertex (mm, world frame). */
  points: Float32Array;
  /** Three vertex indices per triangle. */
  triangles: Uint32Array;
}

export interface DepthNoiseModel {
  /** Disparity noise (px); 0 renders exact depth. */
  subpixelPx: number;
  baselineMm: number;
  /** Pixels with |cos(angle between normal and view ray)| below this give no return. */
  grazingCos: number;
  /** Depth jump (mm) between neighbours above which both are dropped. */
  edgeMm: number;
  /** Expected number of random hole blobs per frame, and their radius (px). */
  blobs: number;
  blobRadiusPx: number;
}

export const DEFAULT_DEPTH_NOISE: DepthNoiseModel = { subpixelPx: 0.08, baselineMm: 50, grazingCos: 0.17, edgeMm: 30, blobs: 3, blobRadiusPx: 6 };

/** A 640×480 D435-like camera (fx = fy = 615 px). */
export const D435_INTRINSICS: PinholeIntrinsics = { width: 640, height: 480, fx: 615, fy: 615, cx: 319.5, cy: 239.5, depthScaleMm: 1 };

/**
 * Renders `mesh` seen by a camera at pose T_world_from_camera (row-major
 * 4×4, mm; camera frame x right, y down, z forward) into a depth frame (mm).
 * @param seed makes the noise and holes reproducible (e.g. the frame number)
 */
export function renderDepth(
  mesh: SurfaceMesh,
  T_world_from_camera: readonly number[],
  K: PinholeIntrinsics,
  noise: DepthNoiseModel = DEFAULT_DEPTH_NOISE,
  seed = 1,
): Float32Array {
  const { width: W, height: H, fx, fy, cx, cy } = K;
  const T = T_world_from_camera;
  // camera-frame vertices: p_c = Rᵀ (p_w − t)
  const nv = mesh.points.length / 3;
  const pc = new Float32Array(3 * nv);
  for (let i = 0; i < nv; i++) {
    const dx = mesh.points[3 * i]! - T[3]!;
    const dy = mesh.points[3 * i + 1]! - T[7]!;
    const dz = mesh.points[3 * i + 2]! - T[11]!;
    pc[3 * i] = T[0]! * dx + T[4]! * dy + T[8]! * dz;
    pc[3 * i + 1] = T[1]! * dx + T[5]! * dy + T[9]! * dz;
    pc[3 * i + 2] = T[2]! * dx + T[6]! * dy + T[10]! * dz;
  }
  const zbuf = new Float32Array(W * H).fill(Infinity);
  const cosb = new Float32Array(W * H);
  const tri = mesh.triangles;
  for (let t = 0; t < tri.length; t += 3) {
    const a = tri[t]!;
    const b = tri[t + 1]!;
    const c = tri[t + 2]!;
    const az = pc[3 * a + 2]!;
    const bz = pc[3 * b + 2]!;
    const cz = pc[3 * c + 2]!;
    if (az <= 1 || bz <= 1 || cz <= 1) continue;
    const ax = (fx * pc[3 * a]!) / az + cx;
    const ay = (fy * pc[3 * a + 1]!) / az + cy;
    const bx = (fx * pc[3 * b]!) / bz + cx;
    const by = (fy * pc[3 * b + 1]!) / bz + cy;
    const qx = (fx * pc[3 * c]!) / cz + cx;
    const qy = (fy * pc[3 * c + 1]!) / cz + cy;
    const area = (bx - ax) * (qy - ay) - (qx - ax) * (by - ay);
    if (Math.abs(area) < 1e-9) continue;
    // triangle normal (camera frame) and its angle to the view ray at the centroid
    const e1 = [pc[3 * b]! - pc[3 * a]!, pc[3 * b + 1]! - pc[3 * a + 1]!, bz - az];
    const e2 = [pc[3 * c]! - pc[3 * a]!, pc[3 * c + 1]! - pc[3 * a + 1]!, cz - az];
    const n = [e1[1]! * e2[2]! - e1[2]! * e2[1]!, e1[2]! * e2[0]! - e1[0]! * e2[2]!, e1[0]! * e2[1]! - e1[1]! * e2[0]!];
    const m = [(pc[3 * a]! + pc[3 * b]! + pc[3 * c]!) / 3, (pc[3 * a + 1]! + pc[3 * b + 1]! + pc[3 * c + 1]!) / 3, (az + bz + cz) / 3];
    const cosT = Math.abs(n[0]! * m[0]! + n[1]! * m[1]! + n[2]! * m[2]!) / (Math.hypot(n[0]!, n[1]!, n[2]!) * Math.hypot(m[0]!, m[1]!, m[2]!) || 1);
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx, qx)));
    const x1 = Math.min(W - 1, Math.ceil(Math.max(ax, bx, qx)));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by, qy)));
    const y1 = Math.min(H - 1, Math.ceil(Math.max(ay, by, qy)));
    for (let y = y0; y <= y1; y++)
      for (let x = x0; x <= x1; x++) {
        const w0 = ((bx - x) * (qy - y) - (qx - x) * (by - y)) / area;
        const w1 = ((qx - x) * (ay - y) - (ax - x) * (qy - y)) / area;
        const w2 = 1 - w0 - w1;
        if (w0 < 0 || w1 < 0 || w2 < 0) continue;
        // perspective-correct depth: interpolate 1/z
        const z = 1 / (w0 / az + w1 / bz + w2 / cz);
        const i = y * W + x;
        if (z < zbuf[i]!) {
          zbuf[i] = z;
          cosb[i] = cosT;
        }
      }
  }
  const r = rng(seed * 2654435761);
  const gauss = (): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const out = new Float32Array(W * H);
  for (let i = 0; i < W * H; i++) {
    const z = zbuf[i]!;
    if (!Number.isFinite(z) || cosb[i]! < noise.grazingCos) continue;
    const sigma = noise.subpixelPx > 0 ? (z * z * noise.subpixelPx) / (fx * noise.baselineMm) : 0;
    out[i] = z + sigma * gauss();
  }
  // no flying pixels: a pixel with a neighbour more than edgeMm away in depth is dropped (silhouettes against nothing stay)
  const keep = out.slice();
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const d = out[i]!;
      if (!d) continue;
      if ((x > 0 && out[i - 1]! && Math.abs(out[i - 1]! - d) > noise.edgeMm) || (x < W - 1 && out[i + 1]! && Math.abs(out[i + 1]! - d) > noise.edgeMm))
        keep[i] = 0;
      else if ((y > 0 && out[i - W]! && Math.abs(out[i - W]! - d) > noise.edgeMm) || (y < H - 1 && out[i + W]! && Math.abs(out[i + W]! - d) > noise.edgeMm))
        keep[i] = 0;
    }
  // random hole blobs
  const blobs = Math.round(noise.blobs * 2 * r());
  for (let k = 0; k < blobs; k++) {
    const bx = r() * W;
    const by = r() * H;
    const rad = noise.blobRadiusPx * (0.5 + r());
    for (let y = Math.max(0, Math.floor(by - rad)); y <= Math.min(H - 1, Math.ceil(by + rad)); y++)
      for (let x = Math.max(0, Math.floor(bx - rad)); x <= Math.min(W - 1, Math.ceil(bx + rad)); x++)
        if ((x - bx) ** 2 + (y - by) ** 2 <= rad * rad) keep[y * W + x] = 0;
  }
  return keep;
}

/**
 * A simulated depth camera: renders the mesh from `pose(tSec)` at `fps` and
 * emits DepthFrames (uint16 mm) with device time = frame index / fps and the
 * host time at emission.
 */
export class DepthSimulator {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private seq = 0;

  constructor(
    private readonly mesh: SurfaceMesh,
    private readonly pose: (tSec: number) => readonly number[],
    private readonly o: { intrinsics?: PinholeIntrinsics; noise?: DepthNoiseModel; fps?: number; hostClockUs?: () => number } = {},
  ) {}

  /** Renders frame `k` (deterministic). */
  frame(k: number): DepthFrame {
    const K = this.o.intrinsics ?? D435_INTRINSICS;
    const fps = this.o.fps ?? 30;
    const z = renderDepth(this.mesh, this.pose(k / fps), K, this.o.noise ?? DEFAULT_DEPTH_NOISE, k + 1);
    const depth = new Uint16Array(z.length);
    for (let i = 0; i < z.length; i++) depth[i] = Math.max(0, Math.min(65535, Math.round(z[i]! / K.depthScaleMm)));
    const now = (this.o.hostClockUs ?? (() => (performance.timeOrigin + performance.now()) * 1000))();
    return { depth, intrinsics: K, deviceTimeUs: (k * 1e6) / fps, hostTimeUs: now, seq: k };
  }

  start(onFrame: (f: DepthFrame) => void): void {
    if (this.timer) return;
    const fps = this.o.fps ?? 30;
    const t0 = performance.now();
    const next = (): void => {
      onFrame(this.frame(this.seq++));
      const due = t0 + (this.seq * 1000) / fps;
      this.timer = setTimeout(next, Math.max(0, due - performance.now()));
    };
    next();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
