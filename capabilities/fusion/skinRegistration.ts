/**
 * Markerless registration of a depth capture (file) to a twin's skin mesh
 * (file), shared by `twin register` and the registration job: the skin mesh
 * (STL or VTP, image LPS mm) without its field-of-view caps when the image
 * geometry is known, the capture's skin (`captureSkin`), an optional 3-point
 * coarse alignment (`fitPairedPoints`), then `registerSkin`.
 */
import path from 'node:path';
import { decodeStl, decodeVtp } from '../../electron/io/mesh.js';
import { readStoreFileSync } from '../../electron/db/sealed.js';
import { AppError } from '../../electron/contract/errors.js';
import { loadDepthFile } from '../../native-bridges/devices/depth/files.js';
import { DepthFormatError } from '../../native-bridges/devices/depth/formats.js';
import { captureSkin, type CapturedSkin } from '../../electron/engine/registration/cloud.js';
import { registerSkin, type SkinRegistration } from '../../electron/engine/registration/icp.js';
import { fitPairedPoints, type PairedPointFit } from '../../electron/engine/registration/paired.js';
import { cameraPrior, orientedSkin, skinWithoutCaps } from '../../electron/engine/registration/skin.js';
import type { VolumeGeometry } from '../../math/geometry.js';

export interface CaptureRegistration {
  reg: SkinRegistration;
  capture: CapturedSkin;
  /** The 3-point coarse alignment, when points were given. */
  coarse: PairedPointFit | null;
  skinPoints: number;
  totalMs: number;
}

/**
 * @param o skinMeshPath: .stl or .vtp (image LPS mm); geometry: the image grid, to drop the caps; cloudPath: PCD, PLY or depth PNG (camera mm);
 *   view: the camera looks at the patient's back or front; points: the same ≥ 3 skin points in the camera and the image (mm)
 * @throws Error naming the file when a file cannot be read or decoded, or the capture holds no skin (captureSkin's reasons)
 */
export function registerCaptureFiles(o: {
  skinMeshPath: string;
  geometry?: VolumeGeometry;
  cloudPath: string;
  view: 'back' | 'front';
  points?: { camera: number[][]; image: number[][] };
  /** The twin store's file key when the mesh is a sealed store file. */
  fileKey?: Buffer | null;
}): CaptureRegistration {
  const t0 = performance.now();
  const ext = path.extname(o.skinMeshPath).toLowerCase();
  if (ext !== '.stl' && ext !== '.vtp') throw new Error(`${o.skinMeshPath}: the skin mesh must be .stl or .vtp`);
  const buf = readStoreFileSync(o.skinMeshPath, o.fileKey ?? null);
  let mesh = ext === '.stl' ? decodeStl(buf, o.skinMeshPath) : decodeVtp(buf);
  if (o.geometry) mesh = skinWithoutCaps(mesh, o.geometry);
  const fixed = orientedSkin(mesh);
  let cloud: ReturnType<typeof loadDepthFile>;
  try {
    cloud = loadDepthFile(o.cloudPath);
  } catch (e) {
    // a malformed cloud or one in millimetres where metres are expected: an import error naming the file
    if (e instanceof DepthFormatError)
      throw new AppError('IMPORT_BAD_HEADER', `${o.cloudPath}: ${e.message.slice(e.source.length + 2)}`, { file: o.cloudPath });
    throw e;
  }
  let capture: CapturedSkin;
  try {
    capture = captureSkin(cloud.points);
  } catch (e) {
    throw new Error(`${o.cloudPath}: ${(e as Error).message}`, { cause: e });
  }
  let coarse: PairedPointFit | null = null;
  if (o.points) {
    try {
      coarse = fitPairedPoints(o.points.camera, o.points.image, { removeOutliers: false });
    } catch (e) {
      throw new Error(`3-point alignment: ${(e as Error).message}`, { cause: e });
    }
  }
  const reg = registerSkin(
    { points: capture.points, normals: capture.normals },
    fixed,
    coarse ? { prior: coarse.transform, initial: coarse.transform } : { prior: cameraPrior(fixed.points, o.view) },
  );
  return { reg, capture, coarse, skinPoints: fixed.points.length / 3, totalMs: performance.now() - t0 };
}
