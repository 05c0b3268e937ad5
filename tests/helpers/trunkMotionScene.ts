/**
 * Generated ground truth for the depth-video trunk movement (issue 21 §5):
 * the example CT's skin (LPS mm) articulated about a pivot at the
 * lumbosacral junction by known trunk angles and seen from behind by the
 * simulated D435 depth camera (stereo noise growing as z², grazing-angle
 * and edge holes, random hole blobs; renderDepth).
 *
 * The CT (T11–S1 plus the pelvis below) is standing in for a standing
 * patient: its superior axis is "up" and the camera looks at the back along
 * the anterior axis, level, head at the top of the image. The skin above the
 * pivot turns by the known angles (thorax relative to pelvis, the
 * Z-X'-Y'' convention of `trunkAngles.ts` in the patient frame X anterior,
 * Y superior, Z right); below it nothing moves; in between the angle is
 * blended smoothly (smoothstep over ±blendMm) so that the skin does not
 * tear. A floor and other meshes (a bystander) can be joined into the scene
 * for the person detection of a depth trial.
 */
import { deproject } from '../../native-bridges/devices/depth/formats.js';
import { readVolume } from '../../electron/io/readVolume.js';
import { buildAnatomicalTwin } from '../../electron/engine/twinBuild.js';
import { TwinParams } from '../../capabilities/twins/contract.js';
import { indexToLps } from '../../electron/engine/volume.js';
import { skinWithoutCaps } from '../../electron/engine/registration/skin.js';
import { renderDepth, D435_INTRINSICS, DEFAULT_DEPTH_NOISE, type SurfaceMesh } from '../../native-bridges/devices/depth/simulator.js';
import { quaternionToMatrix } from '../../electron/engine/motion/ahrs.js';
import { relativeFromTrunkAngles, type TrunkAnglesDeg } from '../../electron/engine/motion/trunkAngles.js';

/** Patient axes (X anterior, Y superior, Z right) in LPS, as the columns of a row-major 3×3. */
const P_LPS = [0, 0, -1, -1, 0, 0, 0, 1, 0];

const mul3 = (a: readonly number[], b: readonly number[]): number[] => {
  const o = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) o[3 * r + c]! += a[3 * r + k]! * b[3 * k + c]!;
  return o;
};
const tr3 = (a: readonly number[]): number[] => [a[0]!, a[3]!, a[6]!, a[1]!, a[4]!, a[7]!, a[2]!, a[5]!, a[8]!];

/** The rotation (row-major 3×3, LPS) of the trunk angles, thorax relative to pelvis. */
export function lpsRotationOf(a: TrunkAnglesDeg): number[] {
  return mul3(P_LPS, mul3(quaternionToMatrix(relativeFromTrunkAngles(a)), tr3(P_LPS)));
}

/**
 * The skin with the part above `pivot` (LPS mm) turned by `angles`, blended over ±blendMm along S.
 * The rotation at height h above the pivot is that of the angles × smoothstep(h).
 */
export function articulate(skin: SurfaceMesh, pivot: readonly number[], angles: TrunkAnglesDeg, blendMm = 30): SurfaceMesh {
  const points = new Float32Array(skin.points.length);
  const cache = new Map<number, number[]>();
  for (let i = 0; i < points.length; i += 3) {
    const d = [skin.points[i]! - pivot[0]!, skin.points[i + 1]! - pivot[1]!, skin.points[i + 2]! - pivot[2]!];
    const s = Math.min(1, Math.max(0, (d[2]! + blendMm) / (2 * blendMm)));
    const w = Math.round(s * s * (3 - 2 * s) * 1000) / 1000;
    let R = cache.get(w);
    if (!R) {
      R = lpsRotationOf({ flexion: w * angles.flexion, lateralBending: w * angles.lateralBending, axialRotation: w * angles.axialRotation });
      cache.set(w, R);
    }
    for (let a = 0; a < 3; a++) points[i + a] = pivot[a]! + R[3 * a]! * d[0]! + R[3 * a + 1]! * d[1]! + R[3 * a + 2]! * d[2]!;
  }
  return { points, triangles: skin.triangles };
}

/**
 * A level camera behind the patient, `distanceMm` from the most posterior skin, at the height `heightS` (LPS S, mm)
 * and centred left–right on `centreL`: camera x → patient right (−L), y (down) → −S, z → anterior (−P).
 * @returns row-major 4×4 T_lps_from_camera
 */
export function cameraBehind(skin: SurfaceMesh, centreL: number, heightS: number, distanceMm = 1200): number[] {
  let post = -Infinity;
  for (let i = 1; i < skin.points.length; i += 3) post = Math.max(post, skin.points[i]!);
  return [-1, 0, 0, centreL, 0, 0, -1, post + distanceMm, 0, -1, 0, heightS, 0, 0, 0, 1];
}

/** One depth frame of the articulated skin as an organised cloud (camera frame, mm, NaN where no depth). */
export function renderTrunk(skin: SurfaceMesh, pivot: readonly number[], angles: TrunkAnglesDeg, camera: readonly number[], seed: number): Float32Array {
  const depth = renderDepth(articulate(skin, pivot, angles), camera, D435_INTRINSICS, DEFAULT_DEPTH_NOISE, seed);
  const u16 = new Uint16Array(depth.length);
  for (let i = 0; i < depth.length; i++) u16[i] = Math.round(depth[i]!);
  return deproject({ depth: u16, intrinsics: D435_INTRINSICS, deviceTimeUs: 0, hostTimeUs: 0, seq: seed }).points;
}

/** Meshes joined into one (vertex indices offset). */
export function mergeMeshes(parts: readonly SurfaceMesh[]): SurfaceMesh {
  const nv = parts.reduce((s, m) => s + m.points.length, 0),
    nt = parts.reduce((s, m) => s + m.triangles.length, 0);
  const points = new Float32Array(nv),
    triangles = new Uint32Array(nt);
  let pv = 0,
    pt = 0;
  for (const m of parts) {
    points.set(m.points, pv);
    for (let i = 0; i < m.triangles.length; i++) triangles[pt + i] = m.triangles[i]! + pv / 3;
    pv += m.points.length;
    pt += m.triangles.length;
  }
  return { points, triangles };
}

/** The mesh moved by `offset` (LPS mm). */
export function translated(mesh: SurfaceMesh, offset: readonly number[]): SurfaceMesh {
  return { points: mesh.points.map((v, i) => v + offset[i % 3]!), triangles: mesh.triangles };
}

/**
 * A level floor (LPS S = `floorS`) in front of the camera of `cameraBehind` (T_lps_from_camera), from 0.5 m to 7 m
 * along the view and 3 m to either side, as a 30 × 30 grid of quads. A level camera sees it only from the distance
 * where it enters the image's lower edge onwards (camera height / tan(half vertical field of view)).
 */
export function floorInView(camera: readonly number[], floorS: number): SurfaceMesh {
  const n = 30,
    pts: number[] = [],
    tris: number[] = [];
  const [camL, camP] = [camera[3]!, camera[7]!];
  for (let j = 0; j <= n; j++) for (let i = 0; i <= n; i++) pts.push(camL - 3000 + (6000 * i) / n, camP - 500 - (6500 * j) / n, floorS);
  for (let j = 0; j < n; j++)
    for (let i = 0; i < n; i++) {
      const a = j * (n + 1) + i;
      tris.push(a, a + 1, a + n + 2, a, a + n + 2, a + n + 1);
    }
  return { points: Float32Array.from(pts), triangles: Uint32Array.from(tris) };
}

/** One depth frame of a scene (LPS mesh) as uint16 depth (mm, 0 = no return), D435 intrinsics and noise. */
export function renderDepthU16(scene: SurfaceMesh, camera: readonly number[], seed: number): Uint16Array {
  const depth = renderDepth(scene, camera, D435_INTRINSICS, DEFAULT_DEPTH_NOISE, seed);
  const u16 = new Uint16Array(depth.length);
  for (let i = 0; i < depth.length; i++) u16[i] = Math.round(depth[i]!);
  return u16;
}

/** The example CT's back for the depth tests: its skin, the pivot, its inferior–superior extent and a camera behind it. */
export interface ExampleBackScene {
  skin: SurfaceMesh;
  /** Midway between the L5 (label 27) and S1 (label 26) centroids, LPS mm. */
  pivot: number[];
  /** The skin's lowest and highest S coordinate (mm). */
  lo: number;
  hi: number;
  /** `cameraBehind` at the pivot's L and the skin's mid-height, 1.2 m back. */
  camera: number[];
}

/** Builds the scene from the example CT and its vertebra labels (paths of the shared data). */
export async function exampleBackScene(ctPath: string, labelsPath: string): Promise<ExampleBackScene> {
  const ct = (await readVolume(ctPath)).volume;
  const labels = (await readVolume(labelsPath)).volume;
  const skin: SurfaceMesh = skinWithoutCaps(buildAnatomicalTwin(ct, 'CT', TwinParams.parse({})).skinMesh, ct);
  const acc = [0, 0, 0, 0];
  const [nx, ny] = ct.dims;
  for (let v = 0; v < labels.data.length; v++) {
    const l = labels.data[v] as number;
    if (l !== 26 && l !== 27) continue;
    const p = indexToLps(ct, [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))]);
    for (const k of [0, 1, 2] as const) acc[k]! += p[k];
    acc[3]!++;
  }
  const pivot = [acc[0]! / acc[3]!, acc[1]! / acc[3]!, acc[2]! / acc[3]!];
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 2; i < skin.points.length; i += 3) ((lo = Math.min(lo, skin.points[i]!)), (hi = Math.max(hi, skin.points[i]!)));
  return { skin, pivot, lo, hi, camera: cameraBehind(skin, pivot[0]!, (lo + hi) / 2, 1200) };
}
