/**
 * The live fusion's geometry and pixel arithmetic against worked values: the
 * PLUS chain Image → Probe → Tracker → Reference, the plane of a frame, the
 * CPU reslice of an analytic volume, resampling, edges and the overlay.
 */
import { describe, expect, it } from 'vitest';
import { applyPoint, invertRigid, mul4 } from '../../../math/transform.js';
import { boxResample, imagePlane, imageToVolume, landmarkPair, overlayLayer, resliceOnPlane, sobelEdges, treSummary, type VoxelGrid } from './fusionMath.js';
import { CineBuffer, PoseHistory } from './liveBuffers.js';

// ImageToProbe of PlusDeviceSet_SpinePhantomFreehandReconstructionOnly.xml and frame 0's poses of SpinePhantomFreehand.igs.mha
const IMAGE_TO_PROBE = [
  -0.00157821, 0.0785919, -0.00803285, 15.3978, -0.0839128, 0.00372697, 0.0153803, 49.5705, 0.0159024, 0.00714276, 0.0803604, -8.63446, 0, 0, 0, 1,
];
const PROBE_TO_TRACKER = [
  0.231245, 0.951424, -0.203269, 172.641, -0.127436, -0.17751, -0.975833, -98.0022, -0.964513, 0.25156, 0.0801977, -22.0262, 0, 0, 0, 1,
];
const REF_TO_TRACKER = [0.949536, -0.208383, 0.234431, 264.096, -0.195717, -0.977686, -0.076326, 93.8733, 0.245105, 0.0265923, -0.969132, 3.0506, 0, 0, 0, 1];
const rot = (deg: number, t: [number, number, number]): number[] => {
  const c = Math.cos((deg * Math.PI) / 180);
  const s = Math.sin((deg * Math.PI) / 180);
  return [c, -s, 0, t[0], s, c, 0, t[1], 0, 0, 1, t[2], 0, 0, 0, 1];
};

describe('imageToVolume: the tracker chain', () => {
  it('reference frame: Reference ← Tracker ← Probe ← Image, as PLUS composes ImageToReference', () => {
    const m = imageToVolume(IMAGE_TO_PROBE, PROBE_TO_TRACKER, REF_TO_TRACKER, { kind: 'reference', referenceToVolume: rot(0, [0, 0, 0]) })!;
    // pixel (410, 308) through each step by hand
    const probe = applyPoint(IMAGE_TO_PROBE, 410, 308, 0);
    const tracker = applyPoint(PROBE_TO_TRACKER, ...probe);
    const ref = applyPoint(invertRigid(REF_TO_TRACKER), ...tracker);
    applyPoint(m, 410, 308, 0).forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 9));
    // a registration of the reference frame to the volume is applied last
    const reg = rot(30, [5, -7, 12]);
    const m2 = imageToVolume(IMAGE_TO_PROBE, PROBE_TO_TRACKER, REF_TO_TRACKER, { kind: 'reference', referenceToVolume: reg })!;
    applyPoint(m2, 410, 308, 0).forEach((v, i) => expect(v).toBeCloseTo(applyPoint(reg, ...ref)[i]!, 9));
  });

  it('camera frame: Volume ← Camera ← Tracker; tracker frame: identity; a missing pose gives null', () => {
    const camToTracker = rot(-20, [100, 50, 900]);
    const camToVol = rot(45, [-30, 10, 0]);
    const m = imageToVolume(IMAGE_TO_PROBE, PROBE_TO_TRACKER, null, { kind: 'camera', cameraToTracker: camToTracker, cameraToVolume: camToVol })!;
    const expected = mul4(camToVol, mul4(invertRigid(camToTracker), mul4(PROBE_TO_TRACKER, IMAGE_TO_PROBE)));
    m.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 9));
    expect(imageToVolume(IMAGE_TO_PROBE, PROBE_TO_TRACKER, null, { kind: 'tracker' })).toEqual(mul4(PROBE_TO_TRACKER, IMAGE_TO_PROBE));
    expect(imageToVolume(IMAGE_TO_PROBE, null, REF_TO_TRACKER, { kind: 'tracker' })).toBeNull();
    expect(imageToVolume(IMAGE_TO_PROBE, PROBE_TO_TRACKER, null, { kind: 'reference', referenceToVolume: rot(0, [0, 0, 0]) })).toBeNull();
  });
});

describe('imagePlane', () => {
  it('carries the calibration’s pixel spacing, orthonormal axes and the rectangle with pixel edges', () => {
    const p = imagePlane(mul4(PROBE_TO_TRACKER, IMAGE_TO_PROBE), 820, 616);
    // (the recorded rotation is orthonormal to 6 digits)
    expect(p.spacingMm[0]).toBeCloseTo(Math.hypot(-0.00157821, -0.0839128, 0.0159024), 6);
    expect(p.spacingMm[1]).toBeCloseTo(Math.hypot(0.0785919, 0.00372697, 0.00714276), 6);
    expect(p.sizeMm[0]).toBeCloseTo(820 * p.spacingMm[0], 9);
    const dot = (a: number[], b: number[]): number => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
    expect(Math.abs(dot(p.u, p.normal))).toBeLessThan(1e-12);
    expect(Math.abs(dot(p.v, p.normal))).toBeLessThan(1e-9);
    // the corners are half a pixel outside the corner pixels' centres
    const c0 = applyPoint(mul4(PROBE_TO_TRACKER, IMAGE_TO_PROBE), -0.5, -0.5, 0);
    p.corners[0].forEach((v, i) => expect(v).toBeCloseTo(c0[i]!, 9));
    expect(() => imagePlane([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 4, 4)).toThrow(/zero pixel spacing/);
  });
});

describe('resliceOnPlane (CPU)', () => {
  // a linear ramp v = 2x + 3y + 5z (mm) on a 1.5 mm oblique grid: trilinear interpolation reproduces it exactly
  const dims: [number, number, number] = [40, 30, 20];
  const spacing: [number, number, number] = [1.5, 1.5, 1.5];
  const origin: [number, number, number] = [-20, -15, -10];
  const c = Math.cos(0.3);
  const s = Math.sin(0.3);
  const direction: [number, number, number, number, number, number, number, number, number] = [c, -s, 0, s, c, 0, 0, 0, 1];
  const data = new Float32Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++) {
        const p = [0, 1, 2].map(
          (r) => origin[r]! + direction[3 * r]! * spacing[0] * i + direction[3 * r + 1]! * spacing[1] * j + direction[3 * r + 2]! * spacing[2] * k,
        );
        data[i + dims[0] * (j + dims[1] * k)] = 2 * p[0]! + 3 * p[1]! + 5 * p[2]! + 200;
      }
  const vol: VoxelGrid = { data, dims, spacingMm: spacing, originLps: origin, direction };

  it('samples the ramp exactly at every output pixel inside the volume, window/level mapped to grey', () => {
    // a 100 × 60 image of 0.2 mm pixels, tilted, centred in the volume
    const m = mul4(rot(15, [-8, -4, 1]), [0.2, 0, 0, 0, 0, 0, 0.2, 0, 0, 0.2, 0, 0, 0, 0, 0, 1]);
    const out = resliceOnPlane(vol, m, 100, 60, 50, 30, [400, 200]);
    let inside = 0;
    for (let y = 0; y < 30; y++)
      for (let x = 0; x < 50; x++) {
        const o = y * 50 + x;
        if (!out.inside[o]) continue;
        inside++;
        const p = applyPoint(m, (x + 0.5) * 2 - 0.5, (y + 0.5) * 2 - 0.5, 0);
        const v = 2 * p[0] + 3 * p[1] + 5 * p[2] + 200;
        expect(Math.abs(out.grey[o]! - Math.max(0, Math.min(255, (v - 0) * (255 / 400))))).toBeLessThanOrEqual(0.51);
      }
    expect(inside).toBe(50 * 30);
    // outside the grid: not inside, grey 0
    const far = resliceOnPlane(vol, rot(0, [500, 0, 0]), 10, 10, 10, 10, [400, 200]);
    expect(far.inside.every((v) => v === 0)).toBe(true);
  });
});

describe('pixels', () => {
  it('boxResample averages the source pixels of each cell', () => {
    const src = Uint8Array.from([0, 10, 20, 30, 40, 50, 60, 70]); // 4 × 2
    expect([...boxResample(src, 4, 2, 2, 1)]).toEqual([(0 + 10 + 40 + 50) / 4, (20 + 30 + 60 + 70) / 4]);
    // with interleaved components, the first is used
    expect([...boxResample(Uint8Array.from([8, 99, 4, 99]), 2, 1, 1, 1, 2)]).toEqual([6]);
  });

  it('sobelEdges finds a step edge and nothing in flat regions; overlayLayer colours data and hides the rest', () => {
    const w = 20;
    const h = 10;
    const g = new Uint8Array(w * h).map((_, k) => (k % w < 10 ? 50 : 200));
    const mask = new Uint8Array(w * h).fill(1);
    const e = sobelEdges(g, w, h, mask);
    for (let y = 1; y < h - 1; y++) {
      expect(e[y * w + 9]! + e[y * w + 10]!).toBeGreaterThan(0);
      expect(e[y * w + 3]).toBe(0);
      expect(e[y * w + 16]).toBe(0);
    }
    mask[0] = 0;
    const layer = overlayLayer(g, mask, w, h, 'hot', false);
    expect(layer[3]).toBe(0); // no data: transparent
    expect([layer[4 * 15], layer[4 * 15 + 3]]).toEqual([255, 255]); // 200 on the hot map: full red, opaque
    const edges = overlayLayer(g, mask, w, h, 'grey', true);
    expect(edges[4 * (w + 3) + 3]).toBe(0);
    expect(edges[4 * (w + 9) + 3]! + edges[4 * (w + 10) + 3]!).toBeGreaterThan(0);
  });
});

describe('TRE tool', () => {
  it('maps both marks through the frame’s ImageToVolume: distance = pixel offset × spacing', () => {
    const m = mul4(rot(25, [10, 20, 30]), [0.08, 0, 0, 0, 0, 0.1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    const a = landmarkPair(m, [100, 200], [130, 240]); // 30 px × 0.08 mm, 40 px × 0.1 mm
    expect(a.distanceMm).toBeCloseTo(Math.hypot(2.4, 4), 9);
    applyPoint(m, 100, 200, 0).forEach((v, i) => expect(a.usMm[i]).toBeCloseTo(v, 9));
    const b = landmarkPair(m, [0, 0], [0, 0]);
    expect(treSummary([a, b])).toEqual({ n: 2, meanMm: a.distanceMm / 2, rmsMm: Math.sqrt(a.distanceMm ** 2 / 2), maxMm: a.distanceMm });
    expect(treSummary([]).n).toBe(0);
  });
});

describe('live buffers', () => {
  const pose = (x: number): number[] => [1, 0, 0, x, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  it('PoseHistory interpolates at a frame time, holds the newest sample briefly, refuses gaps and unseen tools', () => {
    const h = new PoseHistory();
    h.add({ deviceTimeUs: 1_000_000, hostTimeUs: 1_002_000, poses: [{ name: 'ProbeToTracker', matrix: pose(0), state: 'ok' }] });
    h.add({ deviceTimeUs: 1_025_000, hostTimeUs: 1_027_000, poses: [{ name: 'ProbeToTracker', matrix: pose(10), state: 'ok' }] });
    const mid = h.at('ProbeToTracker', 1_010_000)!;
    expect(mid.matrix[3]).toBeCloseTo(4, 9);
    expect(mid.sampleHostUs).toBe(1_027_000); // the later bracketing sample's receipt
    expect(h.at('ProbeToTracker', 1_060_000)!.matrix[3]).toBe(10); // 35 ms after the newest: held
    expect(h.at('ProbeToTracker', 1_090_000)).toBeNull(); // 65 ms: not held
    expect(h.at('StylusToTracker', 1_010_000)).toBeNull();
    h.add({ deviceTimeUs: 1_200_000, hostTimeUs: 1_202_000, poses: [{ name: 'ProbeToTracker', matrix: pose(20), state: 'ok' }] });
    expect(h.at('ProbeToTracker', 1_100_000)).toBeNull(); // 175 ms gap (samples 25 ms apart: 100 ms at most)
    h.add({ deviceTimeUs: 1_210_000, hostTimeUs: 1_212_000, poses: [{ name: 'ProbeToTracker', matrix: null, state: 'missing' }] });
    expect(h.at('ProbeToTracker', 1_205_000)).toBeNull(); // next to a sample where the tool was not seen
    // a device restarting its clock: the old history no longer precedes
    h.add({ deviceTimeUs: 10_000, hostTimeUs: 1_300_000, poses: [{ name: 'ProbeToTracker', matrix: pose(5), state: 'ok' }] });
    expect(h.newestUs('ProbeToTracker')).toBe(10_000);
    expect(h.at('ProbeToTracker', 10_000)!.matrix[3]).toBe(5);
  });

  it('PoseHistory bridges one lost sample of a slow tracker (11.5 Hz: 87 ms apart), not two', () => {
    const h = new PoseHistory();
    for (let i = 0; i < 10; i++)
      if (i !== 5 && i !== 8 && i !== 9) h.add({ deviceTimeUs: i * 87_000, hostTimeUs: i * 87_000, poses: [{ name: 'P', matrix: pose(i), state: 'ok' }] });
    h.add({ deviceTimeUs: 10 * 87_000, hostTimeUs: 10 * 87_000, poses: [{ name: 'P', matrix: pose(10), state: 'ok' }] });
    expect(h.at('P', 5 * 87_000)!.matrix[3]).toBeCloseTo(5, 9); // 174 ms gap, bridged
    expect(h.at('P', 8.5 * 87_000)).toBeNull(); // 261 ms gap
  });

  it('CineBuffer keeps the last seconds within its memory cap', () => {
    const c = new CineBuffer(1, 10 * 100);
    for (let i = 0; i < 50; i++) c.push({ seq: i, timeUs: i * 100_000, width: 10, height: 10, pixels: new Uint8Array(100), binning: 1, imageToVolume: null });
    expect(c.length).toBe(10); // the 1000-byte cap holds 10 frames (1 s at 10 Hz would be 11)
    expect(c.get(0)!.seq).toBe(40);
    const d = new CineBuffer(1);
    for (let i = 0; i < 50; i++) d.push({ seq: i, timeUs: i * 100_000, width: 1, height: 1, pixels: new Uint8Array(1), binning: 1, imageToVolume: null });
    expect(d.get(0)!.seq).toBe(39);
    expect(d.spanS()).toBeCloseTo(1, 9);
  });
});
