/**
 * Depth files from disk as a depth source: .pcd, .ply, or a 16-bit depth
 * .png with its intrinsics in a JSON next to it (same name, .json:
 * {width, height, fx, fy, cx, cy, depthScaleMm}).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { deproject, DepthFormatError, readPcd, readPly, type PinholeIntrinsics, type PointCloud } from './formats.js';

/**
 * Loads a depth file as a point cloud (mm, camera frame).
 * @throws DepthFormatError naming the file and the reason (unknown extension, malformed data, missing intrinsics)
 */
export function loadDepthFile(file: string): PointCloud {
  const ext = path.extname(file).toLowerCase();
  const name = path.basename(file);
  if (!fs.existsSync(file)) throw new DepthFormatError(name, 'file not found');
  if (!fs.statSync(file).isFile()) throw new DepthFormatError(name, 'is a folder, not a depth file');
  const bytes = new Uint8Array(fs.readFileSync(file));
  if (ext === '.pcd') return readPcd(bytes, name);
  if (ext === '.ply') return readPly(bytes, name);
  if (ext === '.png') {
    const sidecar = file.replace(/\.png$/i, '.json');
    if (!fs.existsSync(sidecar)) throw new DepthFormatError(name, `a depth PNG needs its intrinsics in ${path.basename(sidecar)}`);
    const K = JSON.parse(fs.readFileSync(sidecar, 'utf8')) as PinholeIntrinsics;
    for (const k of ['width', 'height', 'fx', 'fy', 'cx', 'cy'] as const)
      if (typeof K[k] !== 'number') throw new DepthFormatError(path.basename(sidecar), `intrinsics without a number "${k}"`);
    K.depthScaleMm ??= 1;
    let png: PNG;
    try {
      png = PNG.sync.read(Buffer.from(bytes), { skipRescale: true });
    } catch (e) {
      throw new DepthFormatError(name, `not a readable PNG (${(e as Error).message})`);
    }
    if (png.width !== K.width || png.height !== K.height)
      throw new DepthFormatError(name, `PNG is ${png.width}×${png.height}, intrinsics say ${K.width}×${K.height}`);
    const bits = (png as unknown as { depth?: number }).depth;
    if (bits !== 16) throw new DepthFormatError(name, `depth PNG must be 16-bit (is ${bits}-bit)`);
    const data = png.data as unknown as Uint16Array;
    const depth = new Uint16Array(png.width * png.height);
    for (let i = 0; i < depth.length; i++) depth[i] = data[4 * i]!;
    return deproject({ depth, intrinsics: K, deviceTimeUs: 0, hostTimeUs: 0, seq: 0 });
  }
  throw new DepthFormatError(name, `unknown depth file type "${ext}" (expected .pcd, .ply or .png with intrinsics .json)`);
}
