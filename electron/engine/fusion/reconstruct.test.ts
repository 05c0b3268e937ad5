import { describe, expect, it } from 'vitest';
import {
  fillHolesWithSticks,
  maskedNcc,
  ReconstructionCancelled,
  ReconstructionError,
  reconstructionGrid,
  reconstructVolume,
  sweepFrames,
  type ReconstructionFrame,
} from './reconstruct.js';
import { mul4, rigidFromRotationVector } from '../../../math/rigid.js';

/** An analytic "anatomy": grey value as a smooth function of the output position (mm). */
const field = (x: number, y: number, z: number): number => 128 + 60 * Math.sin(x / 7) * Math.cos(y / 9) + 0.8 * z;

/** Frames of a linear sweep along z: image pixels of `px` mm, `count` planes `step` mm apart, tilted by `tiltDeg` about x. */
function linearSweep(count: number, step: number, px: number, tiltDeg = 0): ReconstructionFrame[] {
  const w = 60;
  const h = 40;
  const frames: ReconstructionFrame[] = [];
  for (let f = 0; f < count; f++) {
    const rot = rigidFromRotationVector([(tiltDeg * Math.PI) / 180, 0, 0], [3, -2, f * step]);
    const m = mul4(rot, [px, 0, 0, 0, 0, px, 0, 0, 0, 0, px, 0, 0, 0, 0, 1]);
    const pixels = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const p = [m[0]! * x + m[1]! * y + m[3]!, m[4]! * x + m[5]! * y + m[7]!, m[8]! * x + m[9]! * y + m[11]!];
        pixels[y * w + x] = Math.round(field(p[0]!, p[1]!, p[2]!));
      }
    frames.push({ pixels, width: w, height: h, imageToOutput: m });
  }
  return frames;
}

describe('freehand reconstruction (PNN, compounding, stick hole filling)', () => {
  it('grid: box of the clip corners, origin at the minimum, floor(size/spacing)+1 voxels', () => {
    const frames = linearSweep(5, 2, 0.5);
    const g = reconstructionGrid(frames, { spacingMm: 0.5 });
    // x spans 0..59 px · 0.5 = 29.5 mm (+3), y 0..19.5 (−2), z 0..8
    expect(g.originMm[0]).toBeCloseTo(3, 9);
    expect(g.originMm[1]).toBeCloseTo(-2, 9);
    expect(g.originMm[2]).toBeCloseTo(0, 9);
    expect(g.dims).toEqual([60, 40, 17]);
    const clipped = reconstructionGrid(frames, { spacingMm: 0.5, clipOrigin: [10, 5], clipSize: [20, 10] });
    expect(clipped.originMm[0]).toBeCloseTo(8, 9);
    expect(clipped.dims).toEqual([20, 10, 17]);
  });

  it('pasted voxels hold the frames’ values; holes between planes are filled by linear interpolation along sticks', () => {
    // planes every 2 mm at 0.5 mm spacing: 3 empty slices between pasted ones
    const frames = linearSweep(6, 2, 0.5);
    const r = reconstructVolume(frames, { spacingMm: 0.5, fillHoles: false });
    const [nx, ny, nz] = r.volume.dims;
    expect(nz).toBe(21);
    expect(r.stats.voxelsPasted).toBe(nx * ny * 6);
    expect(r.stats.holesFilled).toBe(0);
    const at = (i: number, j: number, k: number): number => r.volume.data[i + nx * (j + ny * k)]!;
    const o = r.volume.originLps;
    for (const [i, j, k] of [
      [5, 7, 0],
      [30, 20, 4],
      [59, 39, 20],
    ] as const)
      expect(Math.abs(at(i, j, k) - field(o[0] + 0.5 * i, o[1] + 0.5 * j, o[2] + 0.5 * k))).toBeLessThanOrEqual(0.5);
    expect(r.coverage[5 + nx * (7 + ny * 1)]).toBe(0);
    const filled = reconstructVolume(frames, { spacingMm: 0.5, fillHoles: true, stickLengthLimit: 9 });
    expect(filled.stats.holesFilled).toBe(nx * ny * 15);
    expect(filled.stats.voxelsEmpty).toBe(0);
    // the field is linear in z, so the stick interpolation between planes 2 mm apart is exact (to rounding)
    const f = (i: number, j: number, k: number): number => filled.volume.data[i + nx * (j + ny * k)]!;
    for (const [i, j, k] of [
      [5, 7, 1],
      [30, 20, 6],
      [44, 3, 19],
    ] as const) {
      expect(filled.coverage[i + nx * (j + ny * k)]).toBe(2);
      expect(Math.abs(f(i, j, k) - field(o[0] + 0.5 * i, o[1] + 0.5 * j, o[2] + 0.5 * k))).toBeLessThanOrEqual(1);
    }
    // a stick limit shorter than the gap leaves the holes empty
    const short = reconstructVolume(frames, { spacingMm: 0.5, fillHoles: true, stickLengthLimit: 3 });
    expect(short.stats.holesFilled).toBe(0);
  });

  it('dense tilted sweep: PNN and trilinear splatting reproduce the field (NCC > 0.99); mean compounding of repeated frames is the same volume', () => {
    const frames = linearSweep(40, 0.25, 0.25, 20);
    for (const interpolation of ['nearest', 'linear'] as const) {
      const r = reconstructVolume(frames, { spacingMm: 0.5, interpolation, fillHoles: false });
      const [nx, ny] = r.volume.dims;
      const o = r.volume.originLps;
      const truth = new Float64Array(r.volume.data.length);
      for (let q = 0; q < truth.length; q++) {
        const i = q % nx;
        const j = Math.floor(q / nx) % ny;
        const k = Math.floor(q / (nx * ny));
        truth[q] = field(o[0] + 0.5 * i, o[1] + 0.5 * j, o[2] + 0.5 * k);
      }
      const { ncc, voxels } = maskedNcc(r.volume.data, truth, (q) => r.coverage[q] === 1);
      expect(voxels).toBeGreaterThan(8000);
      expect(ncc).toBeGreaterThan(0.99);
      const twice = reconstructVolume([...frames, ...frames], { spacingMm: 0.5, interpolation, fillHoles: false });
      expect(Buffer.compare(Buffer.from(twice.volume.data), Buffer.from(r.volume.data))).toBe(0);
    }
  });

  it('maximum compounding keeps the brightest pixel', () => {
    const a = linearSweep(1, 1, 0.5);
    const bright = { ...a[0]!, pixels: a[0]!.pixels.map(() => 250) };
    const r = reconstructVolume([a[0]!, bright], { spacingMm: 0.5, compounding: 'maximum', fillHoles: false });
    expect(Math.min(...r.volume.data.filter((_, i) => r.coverage[i] === 1))).toBe(250);
  });

  it('stick filling uses only pasted voxels as ends and the shortest stick', () => {
    const dims: [number, number, number] = [7, 1, 1];
    const data = new Uint8Array([10, 0, 0, 0, 0, 0, 70]);
    const coverage = new Uint8Array([1, 0, 0, 0, 0, 0, 1]);
    expect(fillHolesWithSticks(data, coverage, dims, 9, 1)).toBe(5);
    expect(Array.from(data)).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(Array.from(coverage)).toEqual([1, 2, 2, 2, 2, 2, 1]);
  });

  it('sweepFrames chains (ReferenceToTracker)⁻¹ · ProbeToTracker · ImageToProbe and skips frames with invalid transforms', () => {
    const p2t = rigidFromRotationVector([0.1, 0.2, -0.3], [10, 20, 30]);
    const r2t = rigidFromRotationVector([-0.2, 0.05, 0.1], [-5, 4, 100]);
    const i2p = [0.1, 0, 0, 1, 0, 0.1, 0, 2, 0, 0, 0.1, 3, 0, 0, 0, 1];
    const seq = {
      width: 2,
      height: 2,
      elementType: 'uint8' as const,
      pixels: new Uint8Array(12),
      frames: [
        { transforms: { ProbeToTracker: { matrix: p2t, status: 'OK' }, ReferenceToTracker: { matrix: r2t, status: 'OK' } } },
        { transforms: { ProbeToTracker: { matrix: p2t, status: 'INVALID' }, ReferenceToTracker: { matrix: r2t, status: 'OK' } } },
        { transforms: { ProbeToTracker: { matrix: p2t, status: 'OK' } } },
      ],
    };
    const { frames, skipped } = sweepFrames(seq, i2p);
    expect(frames.length).toBe(1);
    expect(skipped).toBe(2);
    // the chain maps the pixel's tracker position back through the reference
    const m = frames[0]!.imageToOutput;
    const inTracker = mul4(p2t, i2p);
    const back = mul4(r2t, m);
    for (let k = 0; k < 16; k++) expect(back[k]).toBeCloseTo(inTracker[k]!, 9);
    expect(sweepFrames(seq, i2p, { reference: null }).frames.length).toBe(2);
    expect(() => sweepFrames({ ...seq, width: 0, height: 0 }, i2p)).toThrow(/no image frames/);
    expect(() => sweepFrames({ ...seq, frames: [seq.frames[1]!] }, i2p)).toThrow(ReconstructionError);
  });

  it('refuses an empty sweep, a bad spacing and an absurd grid; cancels', () => {
    expect(() => reconstructVolume([], { spacingMm: 0.5 })).toThrow(/no tracked frames/);
    const frames = linearSweep(2, 1, 0.5);
    expect(() => reconstructVolume(frames, { spacingMm: 0 })).toThrow(/spacing must be positive/);
    const far = [frames[0]!, { ...frames[1]!, imageToOutput: [0.5, 0, 0, 1e5, 0, 0.5, 0, 1e5, 0, 0, 0.5, 1e5, 0, 0, 0, 1] }];
    expect(() => reconstructVolume(far, { spacingMm: 0.5 })).toThrow(/more than/);
    expect(() => reconstructVolume(frames, { spacingMm: 0.5, isCancelled: () => true })).toThrow(ReconstructionCancelled);
  });
});
