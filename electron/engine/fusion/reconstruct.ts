/**
 * Freehand 3D ultrasound volume reconstruction from a tracked sweep, as in
 * PLUS (vtkPlusVolumeReconstructor / vtkPlusPasteSliceIntoVolume /
 * vtkPlusFillHolesInVolume; Gobbi & Peters, "Interactive intra-operative 3D
 * ultrasound reconstruction and visualization", MICCAI 2002; hole filling:
 * Rohling et al., "A comparison of freehand three-dimensional ultrasound
 * reconstruction techniques", Med Image Anal 1999):
 *
 * 1. Grid: the axis-aligned box (in the output frame) of the clip
 *    rectangle's corners of every frame, origin at its minimum corner,
 *    `floor(size / spacing) + 1` voxels per axis (PLUS's rule).
 * 2. Paste: every pixel of the clip rectangle is mapped by its frame's
 *    ImageToOutput transform (image pixel units → output mm) into the grid,
 *    either to the nearest voxel (pixel nearest neighbour, PNN) or splatted
 *    onto the 8 surrounding voxels with trilinear weights ("LINEAR");
 *    voxels hit by several pixels are compounded (mean or maximum).
 * 3. Hole filling ("STICK"): an empty voxel lying on a straight line segment
 *    (one of the 13 directions through a voxel's 26-neighbourhood) between
 *    two voxels with data, at most `stickLengthLimit` voxels apart, takes
 *    the linear interpolation along the shortest such stick(s).
 *
 * Pure computation (no I/O); run it in a worker for real sweeps.
 */
import type { Vec3, Volume } from '../volume.js';
import { applyPoint, invert4, mul4 } from '../../../math/rigid.js';
export { maskedNcc } from '../../../math/imageStats.js';

export interface ReconstructionFrame {
  /** Width·height 8-bit pixels, row after row (row 0 at image y = 0). */
  pixels: Uint8Array;
  width: number;
  height: number;
  /** Row-major 4×4 from image pixel coordinates (x, y, 0; pixel centres at integers) to the output frame (mm). */
  imageToOutput: readonly number[];
}

export interface ReconstructionOptions {
  /** Isotropic output spacing (mm). */
  spacingMm: number;
  /** Pixels used from each frame: [x0, y0] and [width, height] (default the whole frame). */
  clipOrigin?: [number, number];
  clipSize?: [number, number];
  /** 'nearest' = PNN (default), 'linear' = trilinear splatting. */
  interpolation?: 'nearest' | 'linear';
  /** How voxels hit by several pixels are combined (default mean). */
  compounding?: 'mean' | 'maximum';
  /** Fill holes with sticks (default true) of at most this many voxels (default 9) using this many shortest sticks (default 1). */
  fillHoles?: boolean;
  stickLengthLimit?: number;
  numberOfSticks?: number;
  onProgress?: (fraction: number, stage: string) => void;
  isCancelled?: () => boolean;
}

export interface ReconstructionResult {
  /** uint8 volume, axis-aligned in the output frame (identity direction; origin and spacing in output-frame mm). */
  volume: Volume<Uint8Array>;
  /** Per voxel: 0 no data, 1 pasted from pixels, 2 filled from a hole. */
  coverage: Uint8Array;
  stats: { frames: number; pixelsPasted: number; pixelsOutside: number; voxelsPasted: number; holesFilled: number; voxelsEmpty: number };
}

export class ReconstructionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReconstructionError';
  }
}

export class ReconstructionCancelled extends Error {
  constructor() {
    super('reconstruction cancelled');
    this.name = 'ReconstructionCancelled';
  }
}

/** The parts of a tracked sweep (a PLUS sequence) that reconstruction needs. */
export interface TrackedSweep {
  width: number;
  height: number;
  elementType: 'uint8' | 'uint16';
  frames: { transforms: Record<string, { matrix: number[]; status: string }> }[];
  pixels: Uint8Array;
}

/**
 * The frames of a tracked sweep with their ImageToOutput transforms:
 * ImageToOutput = OutputFromReference · (ReferenceToTracker)⁻¹ · ProbeToTracker · ImageToProbe
 * (PLUS's chain; without a reference tool the output is the tracker frame).
 * Frames whose probe or reference transform is missing or not OK are skipped.
 * @param imageToProbe row-major 4×4, image pixels → probe mm (includes the pixel spacing)
 * @param o.probe / o.reference transform names in the sequence (default ProbeToTracker / ReferenceToTracker; reference null = tracker frame)
 * @param o.outputFromReference optional 4×4 from the reference frame to the output frame (e.g. ReferenceToImage of a registered MR/CT)
 * @throws ReconstructionError when the sweep has no 8-bit image or no frame has valid transforms
 */
export function sweepFrames(
  seq: TrackedSweep,
  imageToProbe: readonly number[],
  o: { probe?: string; reference?: string | null; outputFromReference?: readonly number[] } = {},
): { frames: ReconstructionFrame[]; skipped: number } {
  if (seq.width * seq.height === 0) throw new ReconstructionError('the sequence has no image frames (tracking only)');
  if (seq.elementType !== 'uint8') throw new ReconstructionError('reconstruction needs 8-bit ultrasound frames');
  const probe = o.probe ?? 'ProbeToTracker';
  const reference = o.reference === undefined ? 'ReferenceToTracker' : o.reference;
  const n = seq.width * seq.height;
  const frames: ReconstructionFrame[] = [];
  let skipped = 0;
  seq.frames.forEach((f, i) => {
    const p = f.transforms[probe];
    const r = reference === null ? null : f.transforms[reference];
    if (!p || p.status !== 'OK' || (reference !== null && (!r || r.status !== 'OK'))) {
      skipped++;
      return;
    }
    let m = mul4(p.matrix, imageToProbe);
    if (r) m = mul4(invert4(r.matrix), m);
    if (o.outputFromReference) m = mul4(o.outputFromReference, m);
    frames.push({ pixels: seq.pixels.subarray(i * n, (i + 1) * n), width: seq.width, height: seq.height, imageToOutput: m });
  });
  if (frames.length === 0) throw new ReconstructionError(`no frame has valid ${probe}${reference ? ` and ${reference}` : ''} transforms`);
  return { frames, skipped };
}

const MAX_VOXELS = 512 * 1024 * 1024;

function clipOf(f: ReconstructionFrame, o: ReconstructionOptions): { x0: number; y0: number; x1: number; y1: number } {
  const [x0, y0] = o.clipOrigin ?? [0, 0];
  const [w, h] = o.clipSize ?? [f.width - x0, f.height - y0];
  return { x0: Math.max(0, x0), y0: Math.max(0, y0), x1: Math.min(f.width, x0 + w) - 1, y1: Math.min(f.height, y0 + h) - 1 };
}

/**
 * The output grid of a sweep: PLUS's extent rule (box of the clip rectangle's
 * corner pixel centres of all frames, origin at its minimum, floor(size/spacing)+1 voxels).
 * @returns origin (mm, output frame) and dims (voxels)
 * @throws ReconstructionError when there are no frames or the grid would exceed 512 M voxels
 */
export function reconstructionGrid(frames: readonly ReconstructionFrame[], o: ReconstructionOptions): { originMm: Vec3; dims: Vec3 } {
  if (frames.length === 0) throw new ReconstructionError('no tracked frames to reconstruct');
  if (!(o.spacingMm > 0)) throw new ReconstructionError(`output spacing must be positive, got ${o.spacingMm}`);
  const mn: Vec3 = [Infinity, Infinity, Infinity];
  const mx: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const f of frames) {
    const c = clipOf(f, o);
    for (const [x, y] of [
      [c.x0, c.y0],
      [c.x1, c.y0],
      [c.x0, c.y1],
      [c.x1, c.y1],
    ] as const) {
      const p = applyPoint(f.imageToOutput, x, y, 0);
      for (let a = 0; a < 3; a++) {
        mn[a] = Math.min(mn[a]!, p[a]!);
        mx[a] = Math.max(mx[a]!, p[a]!);
      }
    }
  }
  const dims = mx.map((v, a) => Math.floor((v - mn[a]!) / o.spacingMm + 1e-9) + 1) as Vec3;
  if (dims.some((d) => !Number.isFinite(d)) || dims[0] * dims[1] * dims[2] > MAX_VOXELS)
    throw new ReconstructionError(`the sweep spans ${dims.join('×')} voxels at ${o.spacingMm} mm, more than ${MAX_VOXELS} (check the transforms and spacing)`);
  return { originMm: mn, dims };
}

/** The 13 directions through a voxel's 26-neighbourhood (one of each ± pair). */
const STICK_DIRECTIONS: readonly Vec3[] = (() => {
  const out: Vec3[] = [];
  for (let dz = -1; dz <= 1; dz++)
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        if (dx === 0 && dy === 0 && dz === 0) continue;
        const first = dz !== 0 ? dz : dy !== 0 ? dy : dx;
        if (first > 0) out.push([dx, dy, dz]);
      }
  return out;
})();

/**
 * Reconstructs a volume from tracked 8-bit frames (see the module comment).
 * @param frames the sweep; each frame's `imageToOutput` maps pixel (x, y, 0) to output-frame mm
 * @returns the uint8 volume in the output frame, the coverage mask and counts
 * @throws ReconstructionError on no frames, bad spacing or an oversized grid; ReconstructionCancelled when `isCancelled` returns true
 */
export function reconstructVolume(frames: readonly ReconstructionFrame[], o: ReconstructionOptions): ReconstructionResult {
  const { originMm, dims } = reconstructionGrid(frames, o);
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const s = o.spacingMm;
  const sum = new Float32Array(n);
  const weight = new Float32Array(n);
  const maximum = o.compounding === 'maximum';
  const linear = o.interpolation === 'linear';
  const progress = o.onProgress ?? (() => undefined);
  let pixelsPasted = 0;
  let pixelsOutside = 0;
  frames.forEach((f, fi) => {
    if (o.isCancelled?.()) throw new ReconstructionCancelled();
    if (f.pixels.length < f.width * f.height) throw new ReconstructionError(`frame ${fi}: ${f.pixels.length} bytes for ${f.width}×${f.height} pixels`);
    const m = f.imageToOutput;
    const c = clipOf(f, o);
    // voxel index (continuous) = (M·[x y 0 1] − origin) / spacing, linear in x and y
    const base = applyPoint(m, 0, 0, 0).map((v, a) => (v - originMm[a]!) / s);
    const dx = [m[0]! / s, m[4]! / s, m[8]! / s];
    const dy = [m[1]! / s, m[5]! / s, m[9]! / s];
    for (let y = c.y0; y <= c.y1; y++) {
      let fx = base[0]! + dy[0]! * y + dx[0]! * c.x0;
      let fy = base[1]! + dy[1]! * y + dx[1]! * c.x0;
      let fz = base[2]! + dy[2]! * y + dx[2]! * c.x0;
      const row = y * f.width;
      for (let x = c.x0; x <= c.x1; x++, fx += dx[0]!, fy += dx[1]!, fz += dx[2]!) {
        const v = f.pixels[row + x]!;
        if (!linear) {
          const i = Math.round(fx);
          const j = Math.round(fy);
          const k = Math.round(fz);
          if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) {
            pixelsOutside++;
            continue;
          }
          const at = i + nx * (j + ny * k);
          if (maximum) sum[at] = Math.max(sum[at]!, v);
          else sum[at]! += v;
          weight[at]! += 1;
        } else {
          const i0 = Math.floor(fx);
          const j0 = Math.floor(fy);
          const k0 = Math.floor(fz);
          if (i0 < -1 || j0 < -1 || k0 < -1 || i0 >= nx || j0 >= ny || k0 >= nz) {
            pixelsOutside++;
            continue;
          }
          const tx = fx - i0;
          const ty = fy - j0;
          const tz = fz - k0;
          for (let c3 = 0; c3 < 8; c3++) {
            const i = i0 + (c3 & 1);
            const j = j0 + ((c3 >> 1) & 1);
            const k = k0 + (c3 >> 2);
            if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) continue;
            const w = (c3 & 1 ? tx : 1 - tx) * ((c3 >> 1) & 1 ? ty : 1 - ty) * (c3 >> 2 ? tz : 1 - tz);
            if (w <= 0) continue;
            const at = i + nx * (j + ny * k);
            if (maximum) sum[at] = Math.max(sum[at]!, v);
            else sum[at]! += w * v;
            weight[at]! += w;
          }
        }
        pixelsPasted++;
      }
    }
    progress((0.7 * (fi + 1)) / frames.length, 'paste');
  });
  const data = new Uint8Array(n);
  const coverage = new Uint8Array(n);
  let voxelsPasted = 0;
  for (let i = 0; i < n; i++) {
    const w = weight[i]!;
    if (w <= 0) continue;
    data[i] = Math.min(255, Math.round(maximum ? sum[i]! : sum[i]! / w));
    coverage[i] = 1;
    voxelsPasted++;
  }
  let holesFilled = 0;
  if (o.fillHoles ?? true) holesFilled = fillHolesWithSticks(data, coverage, dims, o.stickLengthLimit ?? 9, o.numberOfSticks ?? 1, o.isCancelled);
  progress(1, 'done');
  return {
    volume: { dims, spacingMm: [s, s, s], originLps: originMm, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], data },
    coverage,
    stats: { frames: frames.length, pixelsPasted, pixelsOutside, voxelsPasted, holesFilled, voxelsEmpty: n - voxelsPasted - holesFilled },
  };
}

/**
 * Stick hole filling (PLUS vtkPlusFillHolesInVolume, STICK): each empty voxel
 * (coverage 0) is set from the shortest stick(s) through it — in each of the
 * 13 directions, the nearest pasted voxels on both sides, at most `limit`
 * voxels apart in total — by linear interpolation between the stick's ends.
 * Only pasted voxels (coverage 1) are used as ends. Modifies `data` and
 * `coverage` (2 for a filled voxel).
 * @returns the number of voxels filled
 */
export function fillHolesWithSticks(data: Uint8Array, coverage: Uint8Array, dims: Vec3, limit: number, sticks: number, isCancelled?: () => boolean): number {
  const [nx, ny, nz] = dims;
  /** Steps (1…maxSteps) from (i, j, k) along (dx, dy, dz) to the first pasted voxel, −1 if none inside the grid. */
  const firstPasted = (i: number, j: number, k: number, dx: number, dy: number, dz: number, maxSteps: number): number => {
    for (let t = 1; t <= maxSteps; t++) {
      const x = i + dx * t;
      const y = j + dy * t;
      const z = k + dz * t;
      if (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz) return -1;
      if (coverage[x + nx * (y + ny * z)] === 1) return t;
    }
    return -1;
  };
  const filled: number[] = [];
  const values: number[] = [];
  const cand: { len: number; v: number }[] = [];
  for (let k = 0; k < nz; k++) {
    if (isCancelled?.()) throw new ReconstructionCancelled();
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const at = i + nx * (j + ny * k);
        if (coverage[at] !== 0) continue;
        cand.length = 0;
        for (const [dx, dy, dz] of STICK_DIRECTIONS) {
          // nearest pasted voxel ahead (within limit − 1 steps), then behind (the whole stick within limit)
          const a = firstPasted(i, j, k, dx, dy, dz, limit - 1);
          if (a < 0) continue;
          const b = firstPasted(i, j, k, -dx, -dy, -dz, limit - a);
          if (b < 0) continue;
          const va = data[i + dx * a + nx * (j + dy * a + ny * (k + dz * a))]!;
          const vb = data[i - dx * b + nx * (j - dy * b + ny * (k - dz * b))]!;
          const len = (a + b) * Math.hypot(dx, dy, dz);
          cand.push({ len, v: (va * b + vb * a) / (a + b) });
        }
        if (cand.length === 0) continue;
        cand.sort((p, q) => p.len - q.len);
        let acc = 0;
        const use = Math.min(sticks, cand.length);
        for (let c = 0; c < use; c++) acc += cand[c]!.v;
        filled.push(at);
        values.push(Math.round(acc / use));
      }
  }
  // write after the scan so that filled voxels never serve as stick ends
  for (let q = 0; q < filled.length; q++) {
    data[filled[q]!] = values[q]!;
    coverage[filled[q]!] = 2;
  }
  return filled.length;
}
