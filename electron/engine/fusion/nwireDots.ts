/**
 * N-wire dot segmentation and labelling for probe calibration (steps 1–2 of
 * nwire.ts), as PLUS's PlusFidSegmentation / PlusFidLineFinder /
 * PlusFidLabeling do:
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
 *    order (the direction is settled by the calibration fit).
 *
 * Pure computation on 8-bit row-major pixels; coordinates in pixels (pixel
 * centres at integers).
 */

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
