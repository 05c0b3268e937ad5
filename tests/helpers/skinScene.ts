/**
 * Generated ground truth for the markerless skin registration (issue 5,
 * must-show 1): a depth camera looks at the patient's back, with the truth
 * known. The scene is built from the twin's skin (LPS mm):
 * - the body is continued 150 mm beyond the CT's field of view at both ends
 *   (the skin mirrored across the end planes), so the camera sees body that
 *   the CT does not have, as it would on a real patient;
 * - a table under the patient and a floor 800 mm below it;
 * - a smooth non-rigid displacement of the skin along anterior–posterior
 *   (breathing, posture): three Gaussian bumps (σ 80–160 mm) scaled so that
 *   the largest displacement on the skin is `deformMm`;
 * - the camera: a nominal pose 650 mm behind the back looking anteriorly,
 *   head at the top of the image, perturbed by an orbit rotation about the
 *   back's centre (random axis, angle up to `maxRotDeg`) and a translation
 *   (random direction, up to `maxTransMm`);
 * - the depth frame: D435-like stereo noise growing as z² (renderDepth), then
 *   `holeFraction` of the valid pixels removed in random blobs.
 */
import fs from 'node:fs';
import { renderDepth, rng, D435_INTRINSICS, DEFAULT_DEPTH_NOISE, type SurfaceMesh } from '../../native-bridges/devices/depth/simulator.js';
import { deproject } from '../../native-bridges/devices/depth/formats.js';
import { mul4, rigidFromRotationVector, type Mat4 } from '../../math/rigid.js';

export interface SceneBounds {
  lo: [number, number, number];
  hi: [number, number, number];
}

export function bounds(points: Float32Array | Float64Array): SceneBounds {
  const lo: [number, number, number] = [Infinity, Infinity, Infinity],
    hi: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < points.length; i++) {
    const k = (i % 3) as 0 | 1 | 2;
    lo[k] = Math.min(lo[k], points[i]!);
    hi[k] = Math.max(hi[k], points[i]!);
  }
  return { lo, hi };
}

/** The scene the camera sees: the (deformed) skin continued past the field of view, a table and a floor. */
export function buildScene(skin: SurfaceMesh, deform: (x: number, y: number, z: number) => number): SurfaceMesh {
  const b = bounds(skin.points);
  const parts: SurfaceMesh[] = [skin];
  // mirrored continuations beyond the superior and inferior ends (150 mm each)
  for (const [plane, dir] of [
    [b.hi[2], 1],
    [b.lo[2], -1],
  ] as const) {
    const pts = new Float32Array(skin.points.length);
    for (let i = 0; i < pts.length; i += 3) {
      pts[i] = skin.points[i]!;
      pts[i + 1] = skin.points[i + 1]!;
      pts[i + 2] = 2 * plane - skin.points[i + 2]!;
    }
    const tris: number[] = [];
    for (let t = 0; t < skin.triangles.length; t += 3) {
      const ok = [0, 1, 2].every((k) => dir * (pts[3 * skin.triangles[t + k]! + 2]! - plane) <= 150);
      if (ok) tris.push(skin.triangles[t]!, skin.triangles[t + 1]!, skin.triangles[t + 2]!);
    }
    parts.push({ points: pts, triangles: Uint32Array.from(tris) });
  }
  // non-rigid displacement along AP on every body part
  for (const part of parts)
    for (let i = 0; i < part.points.length; i += 3)
      part.points[i + 1] = part.points[i + 1]! + deform(part.points[i]!, part.points[i + 1]!, part.points[i + 2]!);
  // table just in front of the most anterior skin (the patient lies prone on it), floor 800 mm farther
  const quad = (y: number, half: number, cz: number): SurfaceMesh => ({
    points: Float32Array.from([-half, y, cz - 2 * half, half, y, cz - 2 * half, half, y, cz + 2 * half, -half, y, cz + 2 * half]),
    triangles: Uint32Array.from([0, 1, 2, 0, 2, 3]),
  });
  const cz = (b.lo[2] + b.hi[2]) / 2;
  parts.push(quad(b.lo[1] - 2, 350, cz), quad(b.lo[1] - 800, 2500, cz));
  // one mesh: a fine grid for the planes so that the rasteriser interpolates depth correctly is not needed (planar quads are exact)
  let nv = 0,
    nt = 0;
  for (const p of parts) ((nv += p.points.length), (nt += p.triangles.length));
  const points = new Float32Array(nv),
    triangles = new Uint32Array(nt);
  let ov = 0,
    ot = 0;
  for (const p of parts) {
    points.set(p.points, ov);
    for (let t = 0; t < p.triangles.length; t++) triangles[ot + t] = p.triangles[t]! + ov / 3;
    ov += p.points.length;
    ot += p.triangles.length;
  }
  return { points, triangles };
}

/** A smooth AP displacement field whose maximum magnitude over `skinPoints` is `amplitudeMm`. */
export function smoothDeformation(skinPoints: Float32Array, amplitudeMm: number, r: () => number): (x: number, y: number, z: number) => number {
  const b = bounds(skinPoints);
  const bumps = Array.from({ length: 3 }, () => ({
    c: [0, 1, 2].map((k) => b.lo[k]! + r() * (b.hi[k]! - b.lo[k]!)),
    s: 80 + 80 * r(),
    w: r() < 0.5 ? -1 : 1,
  }));
  const raw = (x: number, y: number, z: number) =>
    bumps.reduce((acc, k) => acc + k.w * Math.exp(-((x - k.c[0]!) ** 2 + (y - k.c[1]!) ** 2 + (z - k.c[2]!) ** 2) / (2 * k.s * k.s)), 0);
  let mx = 1e-9;
  for (let i = 0; i < skinPoints.length; i += 3) mx = Math.max(mx, Math.abs(raw(skinPoints[i]!, skinPoints[i + 1]!, skinPoints[i + 2]!)));
  return (x, y, z) => (amplitudeMm * raw(x, y, z)) / mx;
}

/** A random unit vector. */
const unit = (r: () => number): [number, number, number] => {
  const z = 2 * r() - 1,
    a = 2 * Math.PI * r(),
    s = Math.sqrt(1 - z * z);
  return [s * Math.cos(a), s * Math.sin(a), z];
};

export interface ViewTrial {
  /** True camera → image transform. */
  truth: Mat4;
  /** Camera-frame points (mm), NaN where no depth. */
  cloud: Float32Array;
  rotationDeg: number;
  translationMm: number;
  deformMm: number;
  holes: number;
}

/**
 * One simulated camera view of `skin` (the caps already removed).
 * @param nominal nominal camera → image pose (the registration's prior)
 */
export function simulateView(
  skin: SurfaceMesh,
  nominal: Mat4,
  seed: number,
  o: { maxRotDeg?: number; maxTransMm?: number; maxDeformMm?: number; holeFraction?: number } = {},
): ViewTrial {
  const r = rng(seed * 7919 + 13);
  const maxRot = o.maxRotDeg ?? 30,
    maxTrans = o.maxTransMm ?? 150;
  const rotationDeg = maxRot * r();
  const translationMm = maxTrans * r();
  const deformMm = (o.maxDeformMm ?? 5) * (0.5 + 0.5 * r());
  const b = bounds(skin.points);
  const centre = [(b.lo[0] + b.hi[0]) / 2, b.hi[1], (b.lo[2] + b.hi[2]) / 2];
  const axis = unit(r),
    tdir = unit(r);
  const R = rigidFromRotationVector(axis.map((a) => (a * rotationDeg * Math.PI) / 180));
  // orbit about the back's centre, then translate: truth = Tr(t)·Tr(c)·R·Tr(−c)·nominal
  const toC = [1, 0, 0, centre[0]!, 0, 1, 0, centre[1]!, 0, 0, 1, centre[2]!, 0, 0, 0, 1];
  const fromC = [1, 0, 0, -centre[0]!, 0, 1, 0, -centre[1]!, 0, 0, 1, -centre[2]!, 0, 0, 0, 1];
  const tr = [1, 0, 0, tdir[0] * translationMm, 0, 1, 0, tdir[1] * translationMm, 0, 0, 1, tdir[2] * translationMm, 0, 0, 0, 1];
  const truth = mul4(tr, mul4(toC, mul4(R, mul4(fromC, nominal))));
  const deformedSkin = { points: skin.points.slice(), triangles: skin.triangles };
  const scene = buildScene(deformedSkin, smoothDeformation(skin.points, deformMm, r));
  const K = D435_INTRINSICS;
  const depth = renderDepth(scene, truth, K, { ...DEFAULT_DEPTH_NOISE, blobs: 0 }, seed + 1);
  // holes: random blobs until the fraction of valid pixels is removed
  let valid = 0;
  for (const d of depth) if (d) valid++;
  const target = Math.round((o.holeFraction ?? 0.2) * valid);
  let holes = 0;
  while (holes < target) {
    const bx = r() * K.width,
      by = r() * K.height,
      rad = 3 + 12 * r();
    for (let y = Math.max(0, Math.floor(by - rad)); y <= Math.min(K.height - 1, Math.ceil(by + rad)) && holes < target; y++)
      for (let x = Math.max(0, Math.floor(bx - rad)); x <= Math.min(K.width - 1, Math.ceil(bx + rad)) && holes < target; x++)
        if ((x - bx) ** 2 + (y - by) ** 2 <= rad * rad && depth[y * K.width + x]) {
          depth[y * K.width + x] = 0;
          holes++;
        }
  }
  const u16 = new Uint16Array(depth.length);
  for (let i = 0; i < depth.length; i++) u16[i] = Math.round(depth[i]!);
  const cloud = deproject({ depth: u16, intrinsics: K, deviceTimeUs: 0, hostTimeUs: 0, seq: seed }).points;
  return { truth, cloud, rotationDeg, translationMm, deformMm, holes };
}

/** Writes a camera cloud (mm, NaN where no depth) as an ASCII PCD in metres, as PCL and RealSense tools write it. */
export function writeAsciiPcd(file: string, cloud: Float32Array): void {
  const pts: string[] = [];
  for (let i = 0; i < cloud.length; i += 3) if (Number.isFinite(cloud[i + 2]!)) pts.push(`${cloud[i]! / 1000} ${cloud[i + 1]! / 1000} ${cloud[i + 2]! / 1000}`);
  const header = `# .PCD v0.7\nVERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH ${pts.length}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS ${pts.length}\nDATA ascii\n`;
  fs.writeFileSync(file, header + pts.join('\n') + '\n');
}
