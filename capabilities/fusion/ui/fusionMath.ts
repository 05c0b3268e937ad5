/**
 * The live fusion's geometry and pixel arithmetic (pure, runtime-neutral):
 * the ultrasound image plane in the prior volume's frame, the tracker chain
 * that places it there, resampling of a frame onto the view's pixel grid,
 * normalised cross-correlation, colour maps and edges for the overlay.
 *
 * Frames and transforms follow PLUS (AToB maps coordinates in frame A to
 * frame B; row-major 4×4; the Image frame is in pixels with pixel (i, j) at
 * coordinates (i, j, 0), i along a row, j down the rows, as PLUS's
 * ImageToProbe expects). The volume frame is the prior volume's world frame
 * (LPS mm for a patient image; the tracker's Reference frame for a
 * reconstruction kept there).
 */
import { applyDir, applyPoint, invert4, invertRigid, mul4 } from '../../../math/transform.js';
import type { Vec3, VolumeGeometry } from '../../../math/geometry.js';

/** How tracker coordinates reach the prior volume's frame. */
export type PatientFrame =
  /** The volume lies in the frame of a reference tool fixed to the patient or phantom (a PLUS reconstruction, or a volume registered to the reference): Volume ← Reference ← Tracker. */
  | { kind: 'reference'; referenceToVolume: readonly number[] }
  /** The volume lies in the tracker's own frame. */
  | { kind: 'tracker' }
  /** Through the depth camera: Volume ← Camera (markerless skin registration) ← Tracker (camera-to-tracker calibration). */
  | { kind: 'camera'; cameraToTracker: readonly number[]; cameraToVolume: readonly number[] };

/**
 * ImageToVolume = VolumeFromPatientFrame · TrackerToFrame · ProbeToTracker · ImageToProbe.
 * @param imageToProbe row-major 4×4, pixels → probe mm (the probe calibration)
 * @param probeToTracker row-major 4×4 rigid (mm), the probe's pose at the frame's acquisition time
 * @param referenceToTracker the reference tool's pose at that time (needed for `frame.kind === 'reference'`)
 * @returns row-major 4×4 from image pixels to volume mm, or null when a needed pose is missing
 */
export function imageToVolume(
  imageToProbe: readonly number[],
  probeToTracker: readonly number[] | null,
  referenceToTracker: readonly number[] | null,
  frame: PatientFrame,
): number[] | null {
  if (!probeToTracker) return null;
  const imageToTracker = mul4(probeToTracker, imageToProbe);
  if (frame.kind === 'tracker') return imageToTracker;
  if (frame.kind === 'camera') return mul4(frame.cameraToVolume, mul4(invertRigid(frame.cameraToTracker), imageToTracker));
  if (!referenceToTracker) return null;
  return mul4(frame.referenceToVolume, mul4(invertRigid(referenceToTracker), imageToTracker));
}

/** An ultrasound frame's plane in the volume frame. */
export interface ImagePlane {
  /** Centre of pixel (0, 0) (mm). */
  origin: Vec3;
  /** Unit vector along a row (increasing i). */
  u: Vec3;
  /** Unit vector down the rows (increasing j). */
  v: Vec3;
  /** u × v. */
  normal: Vec3;
  /** Pixel spacing along u and v (mm). */
  spacingMm: [number, number];
  /** Centre of the image rectangle (mm). */
  centre: Vec3;
  /** Width and height of the image rectangle, pixel edges included (mm). */
  sizeMm: [number, number];
  /** Corners of the rectangle (pixel edges): top-left, top-right, bottom-right, bottom-left (mm). */
  corners: [Vec3, Vec3, Vec3, Vec3];
  /** The image's size (pixels) and the transform the plane came from. */
  imageSize: [number, number];
  imageToVolume: number[];
}

const norm = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);
const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/**
 * The plane of a `width` × `height` frame placed by `imageToVolume`.
 * @throws Error when the transform collapses the image (zero pixel spacing)
 */
export function imagePlane(imageToVolume: readonly number[], width: number, height: number): ImagePlane {
  const du = applyDir(imageToVolume, 1, 0, 0);
  const dv = applyDir(imageToVolume, 0, 1, 0);
  const sx = norm(du);
  const sy = norm(dv);
  if (!(sx > 0) || !(sy > 0)) throw new Error('image to volume transform has a zero pixel spacing');
  const u = scale(du, 1 / sx);
  const v = scale(dv, 1 / sy);
  const n = cross(u, v);
  const normal = scale(n, 1 / norm(n));
  const at = (i: number, j: number): Vec3 => applyPoint(imageToVolume, i, j, 0);
  return {
    origin: at(0, 0),
    u,
    v,
    normal,
    spacingMm: [sx, sy],
    centre: at((width - 1) / 2, (height - 1) / 2),
    sizeMm: [width * sx, height * sy],
    corners: [at(-0.5, -0.5), at(width - 0.5, -0.5), at(width - 0.5, height - 0.5), at(-0.5, height - 0.5)],
    imageSize: [width, height],
    imageToVolume: [...imageToVolume],
  };
}

/**
 * Box (area) resampling of a one-channel image to a coarser grid covering the
 * same rectangle: output pixel (x, y) is the mean of the source pixels whose
 * centres fall in its cell.
 * @param src row-major `w` × `h`, `components` interleaved values per pixel (the first is used)
 */
export function boxResample(src: ArrayLike<number>, w: number, h: number, outW: number, outH: number, components = 1): Float32Array {
  const sum = new Float64Array(outW * outH);
  const count = new Uint32Array(outW * outH);
  const fx = outW / w;
  const fy = outH / h;
  for (let j = 0; j < h; j++) {
    const y = Math.min(outH - 1, Math.floor((j + 0.5) * fy));
    for (let i = 0; i < w; i++) {
      const k = y * outW + Math.min(outW - 1, Math.floor((i + 0.5) * fx));
      sum[k]! += src[(j * w + i) * components]!;
      count[k]!++;
    }
  }
  const out = new Float32Array(outW * outH);
  for (let k = 0; k < out.length; k++) out[k] = count[k] ? sum[k]! / count[k]! : 0;
  return out;
}

export type ColourMap = 'grey' | 'hot' | 'cool' | 'green';

/** 256-entry RGB lookup table (r, g, b interleaved, 0–255) of a colour map. */
export function colourLut(map: ColourMap): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    const c = (x: number): number => Math.round(255 * Math.min(1, Math.max(0, x)));
    const rgb: [number, number, number] =
      map === 'grey'
        ? [t, t, t]
        : map === 'hot'
          ? [3 * t, 3 * t - 1, 3 * t - 2] // black → red → yellow → white
          : map === 'cool'
            ? [t, 1 - t, 1] // cyan → magenta
            : [0, t, 0];
    lut.set([c(rgb[0]), c(rgb[1]), c(rgb[2])], 3 * i);
  }
  return lut;
}

/**
 * Edge map of a grey image by the Sobel gradient magnitude: 1 where the
 * magnitude exceeds the mean + 2 SD of the magnitudes over the masked pixels
 * (an adaptive threshold, so MR and CT need no setting), else 0.
 */
export function sobelEdges(g: ArrayLike<number>, w: number, h: number, mask: ArrayLike<number>): Uint8Array {
  const mag = new Float32Array(w * h);
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++)
    for (let x = 1; x < w - 1; x++) {
      const k = y * w + x;
      if (!mask[k]) continue;
      const p = (dx: number, dy: number): number => g[k + dy * w + dx]!;
      const gx = p(1, -1) + 2 * p(1, 0) + p(1, 1) - p(-1, -1) - 2 * p(-1, 0) - p(-1, 1);
      const gy = p(-1, 1) + 2 * p(0, 1) + p(1, 1) - p(-1, -1) - 2 * p(0, -1) - p(1, -1);
      const m = Math.hypot(gx, gy);
      mag[k] = m;
      s += m;
      s2 += m * m;
      n++;
    }
  const out = new Uint8Array(w * h);
  if (n < 2) return out;
  const mean = s / n;
  const thr = mean + 2 * Math.sqrt(Math.max(0, s2 / n - mean * mean));
  for (let k = 0; k < out.length; k++) out[k] = mag[k]! > thr && mask[k] ? 1 : 0;
  return out;
}

/**
 * The coloured layer of the overlay (RGBA, row-major): the resliced grey
 * levels through the colour map where the volume has data (alpha 255), or,
 * with `edgesOnly`, only its edges (alpha 255 on edges, 0 elsewhere).
 * @param grey resliced grey levels 0–255; `mask` non-zero where the volume has data
 */
export function overlayLayer(
  grey: ArrayLike<number>,
  mask: ArrayLike<number>,
  w: number,
  h: number,
  map: ColourMap,
  edgesOnly: boolean,
): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(w * h * 4);
  const lut = colourLut(edgesOnly && map === 'grey' ? 'green' : map);
  const edges = edgesOnly ? sobelEdges(grey, w, h, mask) : null;
  for (let k = 0; k < w * h; k++) {
    if (!mask[k] || (edges && !edges[k])) continue;
    const v = edges ? 255 : Math.max(0, Math.min(255, Math.round(grey[k]!)));
    out[4 * k] = lut[3 * v]!;
    out[4 * k + 1] = lut[3 * v + 1]!;
    out[4 * k + 2] = lut[3 * v + 2]!;
    out[4 * k + 3] = 255;
  }
  return out;
}

/** p-th percentile (0–100) of the values, by sorting a copy; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round((p / 100) * (s.length - 1))))]!;
}

/** A volume's voxels and grid (LPS mm or the volume's own frame). */
export interface VoxelGrid extends VolumeGeometry {
  data: ArrayLike<number>;
}

/**
 * Reslices a volume on an ultrasound image's plane, on the CPU: output pixel
 * (x, y) of an `outW` × `outH` grid covering the image rectangle lies over
 * image pixel ((x + ½)·W/outW − ½, (y + ½)·H/outH − ½), placed in the volume
 * by `imageToVolume` and sampled trilinearly; grey = 255·(v − (level −
 * window/2))/window, clamped. The same sampling as the GPU path
 * (vtkImageResliceMapper), for software-GL machines where a round trip to
 * the emulated GPU costs more than the whole reslice.
 * @returns grey levels (0–255) and `inside` (1 where the point lies inside the volume's grid), row 0 at the top
 */
export function resliceOnPlane(
  vol: VoxelGrid,
  imageToVolume: readonly number[],
  width: number,
  height: number,
  outW: number,
  outH: number,
  windowLevel: [number, number],
): { grey: Uint8Array; inside: Uint8Array } {
  // index ← world ← image pixel, as one affine map
  const d = vol.direction;
  const s = vol.spacingMm;
  const indexToWorld = [
    d[0] * s[0], d[1] * s[1], d[2] * s[2], vol.originLps[0],
    d[3] * s[0], d[4] * s[1], d[5] * s[2], vol.originLps[1],
    d[6] * s[0], d[7] * s[1], d[8] * s[2], vol.originLps[2],
    0, 0, 0, 1,
  ]; // prettier-ignore
  const m = mul4(invert4(indexToWorld), imageToVolume);
  const [nx, ny, nz] = vol.dims;
  const data = vol.data;
  const lo = windowLevel[1] - windowLevel[0] / 2;
  const k = 255 / windowLevel[0];
  const grey = new Uint8Array(outW * outH);
  const inside = new Uint8Array(outW * outH);
  const fx = width / outW;
  const fy = height / outH;
  for (let y = 0; y < outH; y++) {
    const j = (y + 0.5) * fy - 0.5;
    for (let x = 0; x < outW; x++) {
      const i = (x + 0.5) * fx - 0.5;
      const u = m[0]! * i + m[1]! * j + m[3]!;
      const v = m[4]! * i + m[5]! * j + m[7]!;
      const w = m[8]! * i + m[9]! * j + m[11]!;
      if (u < 0 || v < 0 || w < 0 || u > nx - 1 || v > ny - 1 || w > nz - 1) continue;
      const u0 = Math.min(nx - 2, Math.floor(u));
      const v0 = Math.min(ny - 2, Math.floor(v));
      const w0 = Math.min(nz - 2, Math.floor(w));
      const a = u - u0;
      const b = v - v0;
      const c = w - w0;
      const q = u0 + nx * (v0 + ny * w0);
      const sl = nx * ny;
      const val =
        (1 - c) * ((1 - b) * ((1 - a) * data[q]! + a * data[q + 1]!) + b * ((1 - a) * data[q + nx]! + a * data[q + nx + 1]!)) +
        c * ((1 - b) * ((1 - a) * data[q + sl]! + a * data[q + sl + 1]!) + b * ((1 - a) * data[q + sl + nx]! + a * data[q + sl + nx + 1]!));
      const o = y * outW + x;
      grey[o] = Math.max(0, Math.min(255, Math.round((val - lo) * k)));
      inside[o] = 1;
    }
  }
  return { grey, inside };
}

/** A landmark pair of the TRE tool: the same anatomical point marked in the ultrasound frame and in the resliced volume. */
export interface LandmarkPair {
  /** Image pixel (i, j) marked in the ultrasound frame. */
  usPx: [number, number];
  /** Image pixel (i, j) marked in the reslice (the same plane, the same pixel grid). */
  volumePx: [number, number];
  /** Both in the volume frame (mm), and their distance (the target registration error at that landmark, in the plane). */
  usMm: Vec3;
  volumeMm: Vec3;
  distanceMm: number;
}

/**
 * The TRE at a landmark marked in the frozen frame and in the reslice shown
 * beside it: both positions mapped to the volume frame by the frame's
 * ImageToVolume; their distance (mm) is the in-plane target registration
 * error of the whole chain (calibration, tracking, registration) there.
 */
export function landmarkPair(imageToVolume: readonly number[], usPx: [number, number], volumePx: [number, number]): LandmarkPair {
  const usMm = applyPoint(imageToVolume, usPx[0], usPx[1], 0);
  const volumeMm = applyPoint(imageToVolume, volumePx[0], volumePx[1], 0);
  return { usPx, volumePx, usMm, volumeMm, distanceMm: Math.hypot(usMm[0] - volumeMm[0], usMm[1] - volumeMm[1], usMm[2] - volumeMm[2]) };
}

/** Mean, RMS and maximum of the pairs' distances (mm); NaN for none. */
export function treSummary(pairs: readonly LandmarkPair[]): { n: number; meanMm: number; rmsMm: number; maxMm: number } {
  const d = pairs.map((p) => p.distanceMm);
  const n = d.length;
  return {
    n,
    meanMm: n ? d.reduce((a, b) => a + b, 0) / n : NaN,
    rmsMm: n ? Math.sqrt(d.reduce((a, b) => a + b * b, 0) / n) : NaN,
    maxMm: n ? Math.max(...d) : NaN,
  };
}
