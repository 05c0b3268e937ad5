/**
 * Ultrasound probe spatial calibration (ImageToProbe) with a multi-N-wire
 * phantom, as PLUS fCal does (Carbajal et al., "Improving N-wire phantom-based
 * freehand ultrasound calibration", IJCARS 2013; Chen et al., "A real-time
 * freehand ultrasound calibration system with automatic accuracy feedback
 * and control", UMB 2009; PLUS vtkPlusProbeCalibrationAlgo and
 * PlusFidSegmentation / PlusFidLineFinder / PlusFidLabeling):
 *
 * 1. Segmentation: each wire crossing the image plane is a bright dot. The
 *    frame (clip rectangle) is box-smoothed, thresholded, and connected
 *    components of dot size are kept; the dot is the intensity-weighted
 *    centroid (pixels).
 * 2. Labelling: the three wires of one N lie in one layer of the phantom, so
 *    their dots are collinear; three disjoint, nearly parallel lines of three
 *    dots are chosen (best total intensity, spacing consistent with the
 *    layers), ordered from the transducer (top) down and assigned to the
 *    phantom's patterns in order; along each line the dots are the wires in
 *    order (the direction is settled by the calibration fit, see below).
 * 3. Middle-wire points: along a line, the middle dot divides the segment
 *    between the outer dots in a ratio that is invariant under the
 *    (affine) image mapping, which locates the crossing on the diagonal wire
 *    in phantom coordinates; through PhantomToReference,
 *    ReferenceToTracker and ProbeToTracker it becomes a point in the probe
 *    frame with a known pixel position.
 * 4. ImageToProbe: linear least squares of the pixel → probe affine map,
 *    then refined to a rotation with two pixel spacings and a translation
 *    (Gauss–Newton on the 3D distances, outlier points beyond 3 σ removed);
 *    the third axis is the normal with the mean of the two spacings, as PLUS
 *    writes it. Both wire orders along the lines are fitted and the one
 *    with the smaller residual is kept.
 *
 * Errors: 3D reprojection (distance between each middle-wire point and its
 * pixel mapped by ImageToProbe, mm) on the calibration frames and on held-out
 * validation frames, and 2D reprojection per wire (pixel distance between a
 * segmented dot and where the calibrated image plane crosses its wire).
 * Pure computation; PhantomToReference comes from the phantom registration.
 *
 * Steps 1–2 live in nwireDots.ts, steps 3–4 in nwireFit.ts; this module
 * re-exports them and runs the whole calibration with its validation
 * (`calibrateProbe`).
 */
import { applyPoint, invert4, mul4, type Mat4 } from '../../../math/rigid.js';
import { segmentNWireFrame, type Dot, type NWireSegmentationOptions } from './nwireDots.js';
import { fitImageToProbe, middleWirePhantomPoint, ProbeCalibrationError, type Fit, type MiddleWirePoint, type NWire } from './nwireFit.js';

export { segmentNWireFrame, type Dot, type FrameSegmentation, type NWireSegmentationOptions } from './nwireDots.js';
export { fitImageToProbe, middleWirePhantomPoint, ProbeCalibrationError, type MiddleWirePoint, type NWire } from './nwireFit.js';

export interface ProbeCalibrationFrame {
  pixels: Uint8Array;
  width: number;
  height: number;
  /** Row-major 4×4 poses (mm) at the frame's time. */
  probeToTracker: readonly number[];
  referenceToTracker: readonly number[];
}

export interface ProbeCalibrationResult {
  /** Row-major 4×4, image pixels → probe mm (rotation · pixel spacing, translation), as PLUS writes ImageToProbe. */
  imageToProbe: Mat4;
  /** Pixel spacing along image x and y (mm/pixel). */
  spacingMm: [number, number];
  /** 3D reprojection error of the middle-wire points (mm): calibration frames and held-out validation frames. */
  reprojection3dMm: { calibrationMean: number; calibrationStd: number; validationMean: number; validationStd: number };
  /** Per wire: mean and standard deviation of the 2D reprojection error (pixels, x and y) on the validation frames. */
  reprojection2dPx: { wire: string; mean: [number, number]; std: [number, number] }[];
  frames: { total: number; segmented: number; calibration: number; validation: number };
  pointsUsed: number;
  outliersRemoved: number;
  /** Which order along the lines was kept: wires in phantom order from the line's right end ('right-to-left') or left end. */
  wireOrder: 'right-to-left' | 'left-to-right';
  /** Frames that could not be segmented, with the reason (first 20). */
  failures: { frame: number; reason: string }[];
}

/**
 * Spatial calibration of an ultrasound probe from a tracked sweep over a multi-N-wire phantom.
 * @param frames tracked frames (8-bit pixels with ProbeToTracker and ReferenceToTracker)
 * @param patterns the phantom's N-wire patterns (three wires each, phantom mm), top layer first as seen in the image
 * @param phantomToReference row-major 4×4 (mm), from the phantom registration
 * @param o segmentation options; `validationEvery` holds out every n-th segmented frame for validation (default 3)
 * @throws ProbeCalibrationError when fewer than 10 frames can be segmented or the fit is degenerate
 */
export function calibrateProbe(
  frames: readonly ProbeCalibrationFrame[],
  patterns: readonly (readonly [NWire, NWire, NWire])[],
  phantomToReference: readonly number[],
  o: NWireSegmentationOptions & { validationEvery?: number },
): ProbeCalibrationResult {
  const failures: { frame: number; reason: string }[] = [];
  const seg: { frame: number; dots: [Dot, Dot, Dot][]; phantomToProbe: Mat4 }[] = [];
  frames.forEach((f, i) => {
    const s = segmentNWireFrame(f.pixels, f.width, f.height, patterns.length, o);
    if (!s.patterns) {
      if (failures.length < 20) failures.push({ frame: i, reason: s.reason ?? 'not segmented' });
      return;
    }
    const phantomToProbe = mul4(invert4(f.probeToTracker), mul4(f.referenceToTracker, phantomToReference));
    seg.push({ frame: i, dots: s.patterns, phantomToProbe });
  });
  if (seg.length < 10)
    throw new ProbeCalibrationError(`only ${seg.length} of ${frames.length} frames show the ${patterns.length} N-wire lines (at least 10 are needed)`);
  const every = o.validationEvery ?? 3;
  const isValidation = (k: number): boolean => every > 0 && k % every === every - 1;
  let best: { order: 'right-to-left' | 'left-to-right'; fit: Fit; points: MiddleWirePoint[] } | null = null;
  for (const order of ['right-to-left', 'left-to-right'] as const) {
    const points: MiddleWirePoint[] = [];
    seg.forEach((s, k) => {
      if (isValidation(k)) return;
      s.dots.forEach((line, p) => {
        const d = orderDots(line, order);
        const q = middleWirePhantomPoint(patterns[p]!, d);
        const m = s.phantomToProbe;
        points.push({ frame: s.frame, pattern: p, pixel: [d[1].x, d[1].y], probeMm: applyPoint(m, ...q) });
      });
    });
    const fit = fitImageToProbe(points);
    if (!best || fit.rms < best.fit.rms) best = { order, fit, points };
  }
  const { order, fit } = best!;
  // validation: 3D error on the held-out frames, 2D per wire
  const errsV: number[] = [];
  const probeToImage = invert4(fit.m);
  const wires = patterns.flat();
  const err2d = wires.map(() => ({ x: [] as number[], y: [] as number[] }));
  seg.forEach((s, k) => {
    if (!isValidation(k)) return;
    const phantomToImage = mul4(probeToImage, s.phantomToProbe);
    s.dots.forEach((line, p) => {
      const d = orderDots(line, order);
      const q = middleWirePhantomPoint(patterns[p]!, d);
      const pr = applyPoint(s.phantomToProbe, ...q);
      const e = applyPoint(fit.m, d[1].x, d[1].y, 0);
      errsV.push(Math.hypot(e[0] - pr[0], e[1] - pr[1], e[2] - pr[2]));
      patterns[p]!.forEach((wire, wi) => {
        // where the calibrated image plane (z = 0 in image coordinates) crosses the wire
        const a = applyPoint(phantomToImage, ...wire.front);
        const b = applyPoint(phantomToImage, ...wire.back);
        if (Math.abs(b[2] - a[2]) < 1e-9) return;
        const t = -a[2] / (b[2] - a[2]);
        const ex = a[0] + t * (b[0] - a[0]);
        const ey = a[1] + t * (b[1] - a[1]);
        const slot = err2d[3 * p + wi]!;
        slot.x.push(d[wi]!.x - ex);
        slot.y.push(d[wi]!.y - ey);
      });
    });
  });
  const meanStd = (v: number[]): [number, number] => {
    const m = v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);
    return [m, Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, v.length))];
  };
  const [cm, cs] = meanStd(fit.errors);
  const [vm, vs] = meanStd(errsV);
  const validation = seg.filter((_, k) => isValidation(k)).length;
  return {
    imageToProbe: fit.m,
    spacingMm: fit.spacing,
    reprojection3dMm: { calibrationMean: cm, calibrationStd: cs, validationMean: vm, validationStd: vs },
    reprojection2dPx: wires.map((w, i) => {
      const [mx, sx] = meanStd(err2d[i]!.x);
      const [my, sy] = meanStd(err2d[i]!.y);
      return { wire: w.name, mean: [mx, my], std: [sx, sy] };
    }),
    frames: { total: frames.length, segmented: seg.length, calibration: seg.length - validation, validation },
    pointsUsed: fit.errors.length,
    outliersRemoved: fit.outliers,
    wireOrder: order,
    failures,
  };
}

function orderDots(line: [Dot, Dot, Dot], order: 'right-to-left' | 'left-to-right'): [Dot, Dot, Dot] {
  const s = [...line].sort((a, b) => a.x - b.x) as [Dot, Dot, Dot];
  return order === 'left-to-right' ? s : [s[2], s[1], s[0]];
}
