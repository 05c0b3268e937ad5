/**
 * Depth sources behind one interface (issue 4 §5): every source emits
 * `DepthSample`s — a depth frame with its pinhole intrinsics, or a point
 * cloud — each with a device timestamp, a host timestamp (µs, the shared
 * host clock) and a sequence number. Sources: files (PCD / PLY / depth PNG
 * re-emitted at a fixed rate), the depth-camera simulator, and OpenIGTLink
 * (IMAGE uint16 depth, POLYDATA points) converted by the functions below.
 * A native RealSense bridge plugs in as one more `DepthSource`.
 */
import { hostClockUs } from '../../core/clock.js';
import type { IgtlContent } from '../igtl-openigtlink/protocol.js';
import { loadDepthFile } from './files.js';
import type { DepthFrame, PointCloud } from './formats.js';
import { DepthSimulator, type SurfaceMesh } from './simulator.js';

export type DepthSample =
  { kind: 'depth'; frame: DepthFrame } | { kind: 'points'; cloud: PointCloud & { deviceTimeUs: number; hostTimeUs: number; seq: number } };

export interface DepthSource {
  /** Starts emitting; a second call does nothing. */
  start(onSample: (s: DepthSample) => void): void;
  stop(): void;
}

/**
 * A depth file (.pcd, .ply, .png + .json) emitted again and again at `fps`
 * (device time = frame index / fps), the way a recorded scene is replayed.
 * @throws DepthFormatError (from the constructor) naming the file and the reason
 */
export class DepthFileSource implements DepthSource {
  readonly cloud: PointCloud;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly file: string,
    private readonly fps = 5,
  ) {
    this.cloud = loadDepthFile(file);
  }

  start(onSample: (s: DepthSample) => void): void {
    if (this.timer) return;
    const t0 = performance.now();
    let seq = 0;
    const next = (): void => {
      const { points, colors, width, height } = this.cloud;
      onSample({
        kind: 'points',
        cloud: { points, ...(colors ? { colors } : {}), width, height, seq, deviceTimeUs: (seq * 1e6) / this.fps, hostTimeUs: hostClockUs() },
      });
      seq++;
      this.timer = setTimeout(next, Math.max(0, t0 + (seq * 1000) / this.fps - performance.now()));
    };
    next();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The depth-camera simulator as a DepthSource (frames of `DepthSimulator`). */
export class SimulatedDepthSource implements DepthSource {
  readonly sim: DepthSimulator;

  constructor(...args: ConstructorParameters<typeof DepthSimulator>) {
    this.sim = new DepthSimulator(args[0], args[1], { hostClockUs, ...args[2] });
  }

  start(onSample: (s: DepthSample) => void): void {
    this.sim.start((frame) => onSample({ kind: 'depth', frame }));
  }

  stop(): void {
    this.sim.stop();
  }
}

/**
 * An OpenIGTLink IMAGE of one uint16 component as a depth frame. The IMAGE
 * carries no pinhole model, so the intrinsics are those of an orthographic
 * grid unless the sender put `fx fy cx cy` (pixels) and `depthScaleMm` in
 * version-3 metadata; pixel spacing (mm) comes from the IMAGE matrix.
 * @returns null when the image is not single-component uint16 or not 2D
 */
export function depthFrameFromIgtl(
  c: IgtlContent,
  metadata: Record<string, string>,
  t: { deviceTimeUs: number; hostTimeUs: number; seq: number },
): DepthFrame | null {
  if (c.type !== 'IMAGE' || !('pixels' in c) || c.scalarType !== 5 || c.numComponents !== 1 || c.size[2] !== 1) return null;
  const [w, h] = c.size;
  const n = w * h;
  const depth = new Uint16Array(n);
  const v = new DataView(c.pixels.buffer, c.pixels.byteOffset, 2 * n);
  const little = c.endian === 2;
  for (let i = 0; i < n; i++) depth[i] = v.getUint16(2 * i, little);
  const num = (k: string, d: number): number => (metadata[k] !== undefined && Number.isFinite(Number(metadata[k])) ? Number(metadata[k]) : d);
  return {
    depth,
    intrinsics: {
      width: w,
      height: h,
      fx: num('fx', 0),
      fy: num('fy', 0),
      cx: num('cx', (w - 1) / 2),
      cy: num('cy', (h - 1) / 2),
      depthScaleMm: num('depthScaleMm', 1),
    },
    ...t,
  };
}

/** An OpenIGTLink POLYDATA's points (mm, the sender's frame) as an unorganised point cloud; null for other messages. */
export function pointCloudFromIgtl(c: IgtlContent, t: { deviceTimeUs: number; hostTimeUs: number; seq: number }): DepthSample | null {
  if (c.type !== 'POLYDATA' || !('points' in c)) return null;
  return { kind: 'points', cloud: { points: c.points, width: c.points.length / 3, height: 1, ...t } };
}

/**
 * A generic prone back (LPS mm): the posterior half of an elliptic cylinder
 * (360 mm wide, 220 mm deep, 500 mm long, axis along S) with a 6 mm deep
 * midline groove over the spinous processes — the simulator's scene when no
 * patient skin mesh is given. Posterior is +y (LPS), so a camera above a
 * prone patient looks along −y.
 */
export function backPhantomMesh(nu = 72, nv = 50): SurfaceMesh {
  const a = 180;
  const b = 110;
  const points = new Float32Array((nu + 1) * (nv + 1) * 3);
  for (let j = 0; j <= nv; j++)
    for (let i = 0; i <= nu; i++) {
      const th = Math.PI * (i / nu); // 0 … π: right flank → back → left flank
      const x = -a * Math.cos(th);
      const groove = 6 * Math.exp(-((x / 15) ** 2));
      const o = 3 * (j * (nu + 1) + i);
      points[o] = x;
      points[o + 1] = b * Math.sin(th) - groove;
      points[o + 2] = -250 + (500 * j) / nv;
    }
  const triangles = new Uint32Array(nu * nv * 6);
  let t = 0;
  for (let j = 0; j < nv; j++)
    for (let i = 0; i < nu; i++) {
      const p = j * (nu + 1) + i;
      const q = p + nu + 1;
      triangles.set([p, p + 1, q + 1, p, q + 1, q], t);
      t += 6;
    }
  return { points, triangles };
}

/**
 * Pose of a camera 600 mm above the centre of `mesh`'s bounding box looking
 * along −y (LPS posterior → anterior), head at the top of the image, swaying ±20 mm along
 * S with a 4 s period (a hand-held or breathing-disturbed view).
 * Row-major 4×4 T_world_from_camera (camera x right, y down, z forward).
 */
export function overheadPose(mesh: SurfaceMesh): (tSec: number) => number[] {
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < mesh.points.length; i++) {
    lo[i % 3] = Math.min(lo[i % 3]!, mesh.points[i]!);
    hi[i % 3] = Math.max(hi[i % 3]!, mesh.points[i]!);
  }
  const c = [0, 1, 2].map((k) => (lo[k]! + hi[k]!) / 2) as [number, number, number];
  // camera axes in world (columns): x → −L (patient right), y (image down) → −S (feet at the bottom), z (forward) → −P; right-handed
  return (tSec) => [-1, 0, 0, c[0], 0, 0, -1, hi[1]! + 600, 0, -1, 0, c[2] + 20 * Math.sin((2 * Math.PI * tSec) / 4), 0, 0, 0, 1];
}
