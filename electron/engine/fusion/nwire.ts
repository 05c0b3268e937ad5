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
 */
import { applyPoint, invert4, mul4, rigidFromRotationVector, solveSpd, type Mat4 } from '../../../math/rigid.js';
import { quaternionOfMatrix } from '../../../math/poseInterp.js';

export interface NWire {
  name: string;
  /** End points in the phantom frame (mm). */
  front: readonly [number, number, number];
  back: readonly [number, number, number];
}

export interface NWireSegmentationOptions {
  /** Approximate pixel spacing (mm/pixel), used for the dot size and line tolerances. */
  mmPerPixel: number;
  /** Region searched for dots: [x0, y0] and [width, height] (pixels; default the whole frame). */
  clipOrigin?: [number, number];
  clipSize?: [number, number];
  /** A dot's centre may lie this far from its line (mm, default 1.0; PLUS's CollinearPointsMaxDistanceFromLineMm is 0.6 on its morphologically opened image). */
  collinearToleranceMm?: number;
  /** Lines of one frame are parallel within this angle (degrees, default 10). */
  maxAngleDifferenceDeg?: number;
  /** Line angles from the image's x axis are within ± this (degrees, default 70). */
  maxThetaDeg?: number;
}

export interface Dot {
  x: number;
  y: number;
  /** Summed intensity above the threshold (score). */
  weight: number;
  areaPx: number;
}

export interface FrameSegmentation {
  /** All candidate dots found (pixels). */
  candidates: Dot[];
  /** The N-wire dots by pattern (top to bottom) and wire (along the line), or null when the frame could not be labelled. */
  patterns: [Dot, Dot, Dot][] | null;
  reason: string | null;
}

const DEG = Math.PI / 180;

/**
 * Finds the wire dots of one frame and labels them as `patternCount` N-wire lines.
 * @param pixels width·height 8-bit pixels, row-major
 * @returns the candidates, the labelled patterns (pixel coordinates, pixel centres at integers) or the reason labelling failed
 */
export function segmentNWireFrame(pixels: Uint8Array, width: number, height: number, patternCount: number, o: NWireSegmentationOptions): FrameSegmentation {
  const candidates = findDots(pixels, width, height, o);
  const patterns = labelLines(candidates, patternCount, o);
  return { candidates, patterns: typeof patterns === 'string' ? null : patterns, reason: typeof patterns === 'string' ? patterns : null };
}

function findDots(px: Uint8Array, w: number, h: number, o: NWireSegmentationOptions): Dot[] {
  const [cx0, cy0] = o.clipOrigin ?? [0, 0];
  const [cw, ch] = o.clipSize ?? [w - cx0, h - cy0];
  const x0 = Math.max(0, cx0);
  const y0 = Math.max(0, cy0);
  const x1 = Math.min(w, cx0 + cw);
  const y1 = Math.min(h, cy0 + ch);
  const rw = x1 - x0;
  const rh = y1 - y0;
  if (rw <= 4 || rh <= 4) return [];
  // 5×5 box smoothing through an integral image
  const ii = new Float64Array((rw + 1) * (rh + 1));
  for (let y = 0; y < rh; y++) {
    let row = 0;
    for (let x = 0; x < rw; x++) {
      row += px[(y + y0) * w + x + x0]!;
      ii[(y + 1) * (rw + 1) + x + 1] = ii[y * (rw + 1) + x + 1]! + row;
    }
  }
  const r = 2;
  const smooth = new Float32Array(rw * rh);
  let max = 0;
  for (let y = 0; y < rh; y++)
    for (let x = 0; x < rw; x++) {
      const xa = Math.max(0, x - r);
      const xb = Math.min(rw, x + r + 1);
      const ya = Math.max(0, y - r);
      const yb = Math.min(rh, y + r + 1);
      const s = ii[yb * (rw + 1) + xb]! - ii[ya * (rw + 1) + xb]! - ii[yb * (rw + 1) + xa]! + ii[ya * (rw + 1) + xa]!;
      const v = s / ((xb - xa) * (yb - ya));
      smooth[y * rw + x] = v;
      if (v > max) max = v;
    }
  const thr = Math.max(20, 0.2 * max);
  const label = new Int32Array(rw * rh);
  const dots: Dot[] = [];
  const maxW = 5 / o.mmPerPixel;
  const maxH = 3.5 / o.mmPerPixel;
  const minArea = 0.15 / (o.mmPerPixel * o.mmPerPixel);
  const stack: number[] = [];
  let n = 0;
  for (let s0 = 0; s0 < rw * rh; s0++) {
    if (smooth[s0]! < thr || label[s0]) continue;
    n++;
    label[s0] = n;
    stack.push(s0);
    let area = 0;
    let sw = 0;
    let sx = 0;
    let sy = 0;
    let bx0 = Infinity;
    let bx1 = -Infinity;
    let by0 = Infinity;
    let by1 = -Infinity;
    let edge = false;
    while (stack.length > 0) {
      const q = stack.pop()!;
      const qx = q % rw;
      const qy = (q - qx) / rw;
      area++;
      const v = px[(qy + y0) * w + qx + x0]! - thr;
      if (v > 0) {
        sw += v;
        sx += v * qx;
        sy += v * qy;
      }
      bx0 = Math.min(bx0, qx);
      bx1 = Math.max(bx1, qx);
      by0 = Math.min(by0, qy);
      by1 = Math.max(by1, qy);
      if (qx === 0 || qy === 0 || qx === rw - 1 || qy === rh - 1) edge = true;
      for (const nq of [qx > 0 ? q - 1 : -1, qx < rw - 1 ? q + 1 : -1, qy > 0 ? q - rw : -1, qy < rh - 1 ? q + rw : -1])
        if (nq >= 0 && !label[nq] && smooth[nq]! >= thr) {
          label[nq] = n;
          stack.push(nq);
        }
    }
    if (edge || sw <= 0 || area < minArea || bx1 - bx0 + 1 > maxW || by1 - by0 + 1 > maxH) continue;
    dots.push({ x: sx / sw + x0, y: sy / sw + y0, weight: sw, areaPx: area });
  }
  dots.sort((a, b) => b.weight - a.weight);
  return dots.slice(0, 20);
}

interface Line {
  dots: [Dot, Dot, Dot];
  angle: number;
  /** Signed distance of the line from the image origin along its normal (pixels). */
  offset: number;
  score: number;
}

function labelLines(dots: Dot[], count: number, o: NWireSegmentationOptions): [Dot, Dot, Dot][] | string {
  if (dots.length < 3 * count) return `${dots.length} wire dots found, ${3 * count} needed`;
  const tol = (o.collinearToleranceMm ?? 1.0) / o.mmPerPixel;
  const maxTheta = (o.maxThetaDeg ?? 70) * DEG;
  const lines: Line[] = [];
  const byX = [...dots].sort((a, b) => a.x - b.x);
  for (let i = 0; i < byX.length; i++)
    for (let k = i + 2; k < byX.length; k++)
      for (let j = i + 1; j < k; j++) {
        const a = byX[i]!;
        const b = byX[j]!;
        const c = byX[k]!;
        const dx = c.x - a.x;
        const dy = c.y - a.y;
        const len = Math.hypot(dx, dy);
        if (len < 5 / o.mmPerPixel) continue;
        const angle = Math.atan2(dy, dx);
        if (Math.abs(angle) > maxTheta) continue;
        const dist = Math.abs((b.x - a.x) * dy - (b.y - a.y) * dx) / len;
        if (dist > tol) continue;
        const t = ((b.x - a.x) * dx + (b.y - a.y) * dy) / (len * len);
        if (t <= 0.03 || t >= 0.97) continue;
        lines.push({ dots: [a, b, c], angle, offset: -a.x * Math.sin(angle) + a.y * Math.cos(angle), score: a.weight + b.weight + c.weight });
      }
  if (lines.length < count) return `${lines.length} lines of three collinear dots, ${count} needed`;
  lines.sort((p, q) => q.score - p.score);
  const top = lines.slice(0, 40);
  const maxDiff = (o.maxAngleDifferenceDeg ?? 10) * DEG;
  let best: Line[] | null = null;
  let bestScore = -Infinity;
  const pick: Line[] = [];
  const used = new Set<Dot>();
  const rec = (from: number): void => {
    if (pick.length === count) {
      const s = pick.reduce((acc, l) => acc + l.score, 0);
      if (s > bestScore) {
        bestScore = s;
        best = [...pick];
      }
      return;
    }
    for (let i = from; i < top.length; i++) {
      const l = top[i]!;
      if (l.dots.some((d) => used.has(d))) continue;
      if (pick.some((p) => Math.abs(p.angle - l.angle) > maxDiff)) continue;
      pick.push(l);
      l.dots.forEach((d) => used.add(d));
      rec(i + 1);
      pick.pop();
      l.dots.forEach((d) => used.delete(d));
    }
  };
  rec(0);
  if (!best) return `no ${count} disjoint parallel lines of dots`;
  const chosen = (best as Line[]).sort((p, q) => p.offset - q.offset);
  // layers are equally spaced in the phantoms PLUS defines; reject a set whose spacing is off by more than 25 %
  for (let i = 2; i < chosen.length; i++) {
    const d1 = chosen[i - 1]!.offset - chosen[i - 2]!.offset;
    const d2 = chosen[i]!.offset - chosen[i - 1]!.offset;
    if (Math.abs(d1 - d2) > 0.25 * Math.max(d1, d2)) return 'the line spacing does not match equally spaced layers';
  }
  return chosen.map((l) => l.dots);
}

/** One middle-wire observation: the pixel of the diagonal wire's dot and that crossing in the probe frame (mm). */
export interface MiddleWirePoint {
  frame: number;
  pattern: number;
  pixel: [number, number];
  probeMm: [number, number, number];
}

/**
 * The crossing of the image plane with an N's diagonal wire, in the phantom
 * frame (mm), from its three dots (ordered as the pattern's wires).
 */
export function middleWirePhantomPoint(wires: readonly [NWire, NWire, NWire], dots: readonly [Dot, Dot, Dot]): [number, number, number] {
  const [w1, w2, w3] = wires;
  const [d1, d2, d3] = dots;
  // ratio of the middle dot along the outer dots (affine invariant)
  const ex = d3.x - d1.x;
  const ey = d3.y - d1.y;
  const s = ((d2.x - d1.x) * ex + (d2.y - d1.y) * ey) / (ex * ex + ey * ey);
  // u: unit vector ⟂ to the parallel wires, in the layer, from wire 1 to wire 3
  const dir = sub(w1.back, w1.front);
  const across = sub(w3.front, w1.front);
  const dd = dot(dir, dir);
  const u0 = across.map((v, k) => v - (dot(across, dir) / dd) * dir[k]!);
  const un = Math.hypot(...u0);
  const u = u0.map((v) => v / un);
  const c1 = dot(u, w1.front);
  const c3 = dot(u, w3.front);
  const target = c1 + s * (c3 - c1);
  const f2 = w2.front;
  const g2 = sub(w2.back, w2.front);
  const t = (target - dot(u, f2)) / dot(u, g2);
  return [f2[0] + t * g2[0]!, f2[1] + t * g2[1]!, f2[2] + t * g2[2]!];
}

const sub = (a: readonly number[], b: readonly number[]): number[] => [a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!];
const dot = (a: readonly number[], b: readonly number[]): number => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;

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

export class ProbeCalibrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeCalibrationError';
  }
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

interface Fit {
  m: Mat4;
  spacing: [number, number];
  rms: number;
  errors: number[];
  outliers: number;
}

/** ImageToProbe from the parameters: rotation vector w, spacings sx, sy, translation t. */
function imageToProbeOf(x: readonly number[]): Mat4 {
  const r = rigidFromRotationVector([x[0]!, x[1]!, x[2]!]);
  const sx = x[3]!;
  const sy = x[4]!;
  const sz = (sx + sy) / 2;
  return [r[0]! * sx, r[1]! * sy, r[2]! * sz, x[5]!, r[4]! * sx, r[5]! * sy, r[6]! * sz, x[6]!, r[8]! * sx, r[9]! * sy, r[10]! * sz, x[7]!, 0, 0, 0, 1];
}

/**
 * Fits ImageToProbe to middle-wire points: linear least squares of the
 * affine pixel → probe map, then Gauss–Newton on rotation, two spacings and
 * translation with points beyond 3 σ removed (at most three rounds).
 * @throws ProbeCalibrationError when the points do not determine the map
 */
export function fitImageToProbe(points: readonly MiddleWirePoint[]): Fit {
  if (points.length < 6) throw new ProbeCalibrationError(`${points.length} middle-wire points (at least 6 are needed)`);
  // linear: probe_r = a·u + b·v + c for each row r
  const h = new Array<number>(9).fill(0);
  const g = [0, 1, 2].map(() => new Array<number>(3).fill(0));
  for (const p of points) {
    const row = [p.pixel[0], p.pixel[1], 1];
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) h[3 * a + b]! += row[a]! * row[b]!;
      for (let r = 0; r < 3; r++) g[r]![a]! += row[a]! * p.probeMm[r]!;
    }
  }
  const rows = g.map((gr) => solveSpd(h, gr, 3));
  if (rows.some((r) => !r)) throw new ProbeCalibrationError('the middle-wire pixels are collinear: the calibration is undetermined');
  const ax = [rows[0]![0]!, rows[1]![0]!, rows[2]![0]!];
  const ay = [rows[0]![1]!, rows[1]![1]!, rows[2]![1]!];
  const t0 = [rows[0]![2]!, rows[1]![2]!, rows[2]![2]!];
  // initial rotation: Gram–Schmidt of the affine columns
  const sx = Math.hypot(...ax);
  const ex = ax.map((v) => v / sx);
  const ayo = ay.map((v, k) => v - dot(ay, ex) * ex[k]!);
  const sy = Math.hypot(...ayo);
  const ey = ayo.map((v) => v / sy);
  const ez = [ex[1]! * ey[2]! - ex[2]! * ey[1]!, ex[2]! * ey[0]! - ex[0]! * ey[2]!, ex[0]! * ey[1]! - ex[1]! * ey[0]!];
  const w0 = rotationVectorOf([ex[0]!, ey[0]!, ez[0]!, ex[1]!, ey[1]!, ez[1]!, ex[2]!, ey[2]!, ez[2]!]);
  let x = [...w0, sx, Math.hypot(...ay), t0[0]!, t0[1]!, t0[2]!];
  let use = points.map(() => true);
  let outliers = 0;
  const residualsOf = (params: readonly number[]): number[][] => {
    const m = imageToProbeOf(params);
    return points.map((p) => {
      const q = applyPoint(m, p.pixel[0], p.pixel[1], 0);
      return [q[0] - p.probeMm[0], q[1] - p.probeMm[1], q[2] - p.probeMm[2]];
    });
  };
  for (let round = 0; round < 3; round++) {
    for (let it = 0; it < 30; it++) {
      const r0 = residualsOf(x);
      const H = new Array<number>(64).fill(0);
      const G = new Array<number>(8).fill(0);
      const J: number[][][] = [];
      for (let k = 0; k < 8; k++) {
        const step = k < 3 ? 1e-6 : k < 5 ? 1e-7 : 1e-4;
        const xp = [...x];
        xp[k]! += step;
        J.push(residualsOf(xp).map((r, i) => r.map((v, c) => (v - r0[i]![c]!) / step)));
      }
      points.forEach((_, i) => {
        if (!use[i]) return;
        for (let c = 0; c < 3; c++)
          for (let a = 0; a < 8; a++) {
            G[a]! -= J[a]![i]![c]! * r0[i]![c]!;
            for (let b = 0; b < 8; b++) H[8 * a + b]! += J[a]![i]![c]! * J[b]![i]![c]!;
          }
      });
      const dx = solveSpd(H, G, 8);
      if (!dx) throw new ProbeCalibrationError('the calibration fit is degenerate');
      x = x.map((v, k) => v + dx[k]!);
      if (Math.hypot(...dx.slice(0, 3)) < 1e-10 && Math.hypot(...dx.slice(5)) < 1e-7) break;
    }
    const err = residualsOf(x).map((r) => Math.hypot(r[0]!, r[1]!, r[2]!));
    const kept = err.filter((_, i) => use[i]);
    const mean = kept.reduce((s, e) => s + e, 0) / kept.length;
    const std = Math.sqrt(kept.reduce((s, e) => s + (e - mean) ** 2, 0) / kept.length);
    const next = err.map((e) => e <= mean + 3 * std);
    const removed = next.filter((k, i) => use[i] && !k).length;
    use = use.map((u, i) => u && next[i]!);
    outliers += removed;
    if (removed === 0) break;
  }
  const m = imageToProbeOf(x);
  const errors = residualsOf(x)
    .map((r) => Math.hypot(r[0]!, r[1]!, r[2]!))
    .filter((_, i) => use[i]);
  return { m, spacing: [x[3]!, x[4]!], rms: Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length), errors, outliers };
}

/** Rotation vector (axis·angle, radians) of a row-major 3×3 rotation, through its unit quaternion (Shepperd's method). */
function rotationVectorOf(r: readonly number[]): [number, number, number] {
  const [w, x, y, z] = quaternionOfMatrix([r[0]!, r[1]!, r[2]!, 0, r[3]!, r[4]!, r[5]!, 0, r[6]!, r[7]!, r[8]!, 0, 0, 0, 0, 1]);
  const sinHalf = Math.hypot(x, y, z);
  if (sinHalf < 1e-12) return [0, 0, 0];
  const angle = 2 * Math.atan2(sinHalf, w);
  return [(x / sinHalf) * angle, (y / sinHalf) * angle, (z / sinHalf) * angle];
}
