import { describe, expect, it } from 'vitest';
import { calibrateProbe, middleWirePhantomPoint, segmentNWireFrame, ProbeCalibrationError, type NWire } from './nwire.js';
import { applyPoint, invert4, mul4, rigidFromRotationVector } from '../../../math/rigid.js';
import { rng } from '../../../math/random.js';

/** The fCal 2.0 phantom's three N-wires (PLUS PhantomDefinition, mm). */
const PATTERNS: [NWire, NWire, NWire][] = [
  [
    { name: '7', front: [30, 0, 20], back: [30, 40, 20] },
    { name: '8', front: [55, 0, 20], back: [35, 40, 20] },
    { name: '9', front: [60, 0, 20], back: [60, 40, 20] },
  ],
  [
    { name: '4', front: [30, 0, 10], back: [30, 40, 10] },
    { name: '5', front: [35, 0, 10], back: [55, 40, 10] },
    { name: '6', front: [60, 0, 10], back: [60, 40, 10] },
  ],
  [
    { name: '1', front: [35, 0, 0], back: [35, 40, 0] },
    { name: '2', front: [55, 0, 0], back: [40, 40, 0] },
    { name: '3', front: [60, 0, 0], back: [60, 40, 0] },
  ],
];

const W = 820;
const H = 616;
const SX = 0.0805;
const SY = 0.0745;

/** Where an image plane (ImageToPhantom, pixels → mm) crosses a wire, in pixels. */
function crossing(imageToPhantom: readonly number[], w: NWire): [number, number] {
  const inv = invert4(imageToPhantom);
  const a = applyPoint(inv, ...w.front);
  const b = applyPoint(inv, ...w.back);
  const t = -a[2] / (b[2] - a[2]);
  return [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
}

/**
 * A generated fCal sweep: the image plane cuts the phantom across its wires
 * (image x → phantom −x, image y → phantom −z) at y = 8…32 mm with tilts up
 * to ±12°; each wire is drawn as an elongated Gaussian dot on speckle.
 */
function generatedSweep(seed: number, n: number) {
  const r = rng(seed);
  const imageToProbe = mul4(rigidFromRotationVector([0.3, -0.2, 1.4], [12, 47, -1]), [SX, 0, 0, 0, 0, SY, 0, 0, 0, 0, (SX + SY) / 2, 0, 0, 0, 0, 1]);
  const phantomToReference = rigidFromRotationVector([0.1, 1.5, -0.2], [15, -25, -40]);
  const referenceToTracker = rigidFromRotationVector([-1.2, 0.3, 0.4], [300, -60, -20]);
  const frames = [];
  const truthDots: [number, number][][] = [];
  for (let f = 0; f < n; f++) {
    const y0 = 8 + 24 * r();
    const tilt = rigidFromRotationVector([(r() - 0.5) * 0.4, (r() - 0.5) * 0.3, (r() - 0.5) * 0.4]);
    // base plane: pixel (410, 60) at phantom (45, y0, 26); columns e_u = −x, e_v = −z, normal −y
    const base = [-SX, 0, 0, 45 + 410 * SX, 0, 0, -(SX + SY) / 2, y0, 0, -SY, 0, 26 + 60 * SY, 0, 0, 0, 1];
    const centre = [45, y0, 10];
    const about = mul4(
      mul4(rigidFromRotationVector([0, 0, 0], centre), tilt),
      rigidFromRotationVector(
        [0, 0, 0],
        centre.map((v) => -v),
      ),
    );
    const imageToPhantom = mul4(about, base);
    const probeToTracker = mul4(mul4(mul4(referenceToTracker, phantomToReference), imageToPhantom), invert4(imageToProbe));
    const dots = PATTERNS.flat().map((w) => crossing(imageToPhantom, w));
    const pixels = new Uint8Array(W * H);
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(18 * r());
    for (const [u, v] of dots)
      for (let y = Math.floor(v - 12); y <= v + 12; y++)
        for (let x = Math.floor(u - 20); x <= u + 20; x++) {
          if (x < 0 || y < 0 || x >= W || y >= H) continue;
          const g = 200 * Math.exp(-(((x - u) / 5) ** 2) / 2 - ((y - v) / 2.5) ** 2 / 2);
          pixels[y * W + x] = Math.min(255, pixels[y * W + x]! + Math.round(g));
        }
    frames.push({ pixels, width: W, height: H, probeToTracker, referenceToTracker });
    truthDots.push(dots);
  }
  return { frames, imageToProbe, phantomToReference, truthDots };
}

describe('N-wire probe calibration', () => {
  it('the middle-wire crossing follows from the ratio of the dots along the line', () => {
    const plane = [-SX, 0, 0, 70, 0, 0, -0.078, 17.3, 0, -SY, 0, 30, 0, 0, 0, 1];
    for (const wires of PATTERNS) {
      const d = wires.map((w) => crossing(plane, w));
      const q = middleWirePhantomPoint(wires, d.map(([x, y]) => ({ x, y, weight: 1, areaPx: 1 })) as never);
      const truth = applyPoint(plane, d[1]![0], d[1]![1], 0);
      expect(Math.hypot(q[0] - truth[0], q[1] - truth[1], q[2] - truth[2])).toBeLessThan(1e-9);
    }
  });

  it('segments the nine dots of a generated frame within 0.3 px and labels them top to bottom', () => {
    const { frames, truthDots } = generatedSweep(3, 4);
    for (let f = 0; f < frames.length; f++) {
      const s = segmentNWireFrame(frames[f]!.pixels, W, H, 3, { mmPerPixel: 0.078, clipOrigin: [27, 27], clipSize: [766, 562] });
      expect(s.reason).toBeNull();
      // pattern p's line holds wires 3p..3p+2 (right to left in this set-up)
      s.patterns!.forEach((line, p) => {
        const byX = [...line].sort((a, b) => b.x - a.x);
        byX.forEach((d, k) => {
          const [tx, ty] = truthDots[f]![3 * p + k]!;
          expect(Math.hypot(d.x - tx, d.y - ty)).toBeLessThan(0.3);
        });
      });
    }
  });

  it('recovers a known ImageToProbe from a generated sweep (0.05 mm at the image centre, 0.1 mm at a corner)', () => {
    const { frames, imageToProbe, phantomToReference } = generatedSweep(7, 40);
    const res = calibrateProbe(frames, PATTERNS, phantomToReference, { mmPerPixel: 0.078, clipOrigin: [27, 27], clipSize: [766, 562] });
    const a = applyPoint(res.imageToProbe, 410, 308, 0);
    const b = applyPoint(imageToProbe, 410, 308, 0);
    expect(Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2])).toBeLessThan(0.05);
    const corner = applyPoint(res.imageToProbe, 0, 615, 0);
    const cornerTruth = applyPoint(imageToProbe, 0, 615, 0);
    expect(Math.hypot(corner[0] - cornerTruth[0], corner[1] - cornerTruth[1], corner[2] - cornerTruth[2])).toBeLessThan(0.1);
    expect(res.spacingMm[0]).toBeCloseTo(SX, 3);
    expect(res.spacingMm[1]).toBeCloseTo(SY, 3);
    expect(res.wireOrder).toBe('right-to-left');
    expect(res.reprojection3dMm.validationMean).toBeLessThan(0.05);
    expect(res.frames).toEqual({ total: 40, segmented: 40, calibration: 27, validation: 13 });
    for (const w of res.reprojection2dPx) expect(Math.hypot(...w.mean)).toBeLessThan(0.5);
  });

  it('refuses a sweep where the wires are not seen', () => {
    const { frames, phantomToReference } = generatedSweep(2, 12);
    const blank = frames.map((f) => ({ ...f, pixels: new Uint8Array(W * H) }));
    expect(() => calibrateProbe(blank, PATTERNS, phantomToReference, { mmPerPixel: 0.078 })).toThrow(ProbeCalibrationError);
    expect(() => calibrateProbe(blank, PATTERNS, phantomToReference, { mmPerPixel: 0.078 })).toThrow(/only 0 of 12 frames show the 3 N-wire lines/);
  });
});
