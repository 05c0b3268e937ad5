/**
 * Display copies of live image frames: f × f pixel binning (area average) of
 * an ultrasound or video frame for a view that shows fewer pixels than the
 * source has, with the pixel → frame geometry carried exactly, so that a
 * fusion view places the binned frame where the full frame would be. The
 * recorder keeps the full frames; only the copies sent to views are binned.
 */
import { mul4 } from './transform.js';

/** The fields of an image frame's header that binning reads and rewrites (a structural subset of the stream header). */
export interface BinnableImageHeader {
  device: string;
  width?: number | undefined;
  height?: number | undefined;
  components?: number | undefined;
  scalar?: 'uint8' | 'uint16' | 'float32' | undefined;
  binning?: number | undefined;
  ijkToFrame?: number[] | undefined;
}

/**
 * The binning matrix B (row-major 4×4): a binned pixel index (i′, j′, k) to
 * the source pixel index (f·i′ + (f−1)/2, f·j′ + (f−1)/2, k) — the centre of
 * the f × f source pixels it averages (pixel indices name pixel centres, as in
 * OpenIGTLink IMAGE and PLUS). Compose a source calibration with it:
 * ImageToProbe · B places the binned pixels.
 * @param f pixels of the source per binned pixel along each in-plane axis (integer ≥ 1)
 */
export function binningMatrix(f: number): number[] {
  const c = (f - 1) / 2;
  return [f, 0, 0, c, 0, f, 0, c, 0, 0, 1, 0, 0, 0, 0, 1];
}

/**
 * The binning factor that gives a view at least `maxWidth` pixels across:
 * floor(width / maxWidth), at least 1 (a frame narrower than the view is not
 * binned).
 */
export function binningFor(width: number, maxWidth: number): number {
  return Math.max(1, Math.floor(width / Math.max(1, maxWidth)));
}

/** A display width from a stream client (URL parameter or port message): an integer 16–16384 px, else null (full frames). */
export function parseImageMaxWidth(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 16 && n <= 16384 ? n : null;
}

/**
 * Bins an image stream message by `f` (area average of f × f source pixels,
 * per component; the last columns and rows that do not fill a block are
 * left out).
 * @param header an `image` message's header: width, height, components (default 1), scalar uint8 | uint16 | float32
 * @param payload pixels row-major, components interleaved, little-endian for uint16/float32 (as in the stream format)
 * @param f binning factor (integer ≥ 1); 1 returns the message unchanged
 * @returns the binned header (width, height ⌊/f⌋; `binning` multiplied by f; `ijkToFrame` composed with binningMatrix(f)) and payload
 * @throws Error when the header lacks width/height/scalar, or the payload is shorter than width × height × components
 */
export function binImageMessage<H extends BinnableImageHeader>(header: H, payload: Uint8Array, f: number): { header: H; payload: Uint8Array } {
  if (!Number.isInteger(f) || f < 1) throw new Error(`binning factor must be a positive integer, got ${f}`);
  if (f === 1) return { header, payload };
  const { width: w, height: h, scalar } = header;
  const c = header.components ?? 1;
  if (!w || !h || !scalar) throw new Error(`image message of ${header.device} without width, height or scalar type`);
  const bytes = scalar === 'uint8' ? 1 : scalar === 'uint16' ? 2 : 4;
  if (payload.byteLength < w * h * c * bytes) throw new Error(`image message of ${header.device}: ${payload.byteLength} bytes for ${w}×${h}×${c} ${scalar}`);
  const bw = Math.floor(w / f),
    bh = Math.floor(h / f);
  if (bw < 1 || bh < 1) throw new Error(`image of ${header.device} (${w}×${h}) is smaller than one ${f}×${f} bin`);
  if (scalar === 'uint8' && c === 1 && f === 2) {
    // the common case (8-bit grey ultrasound to a half-width view): integer sums, rounded half up, no inner loops
    const out = new Uint8Array(bw * bh);
    for (let by = 0; by < bh; by++) {
      const r0 = 2 * by * w;
      const r1 = r0 + w;
      const o = by * bw;
      for (let bx = 0; bx < bw; bx++) {
        const x = 2 * bx;
        out[o + bx] = (payload[r0 + x]! + payload[r0 + x + 1]! + payload[r1 + x]! + payload[r1 + x + 1]! + 2) >> 2;
      }
    }
    return { header: withGeometry(header, bw, bh, f), payload: out };
  }
  // aligned typed views of the source (a subarray of a larger message need not be aligned for 16/32-bit views)
  const aligned = payload.byteOffset % bytes === 0 ? payload : payload.slice();
  const src =
    scalar === 'uint8'
      ? aligned
      : scalar === 'uint16'
        ? new Uint16Array(aligned.buffer, aligned.byteOffset, w * h * c)
        : new Float32Array(aligned.buffer, aligned.byteOffset, w * h * c);
  const out = new Uint8Array(bw * bh * c * bytes);
  const dst = scalar === 'uint8' ? out : scalar === 'uint16' ? new Uint16Array(out.buffer) : new Float32Array(out.buffer);
  const sums = new Float64Array(bw * c);
  const inv = 1 / (f * f);
  const integer = scalar !== 'float32';
  for (let by = 0; by < bh; by++) {
    sums.fill(0);
    for (let dy = 0; dy < f; dy++) {
      const row = (by * f + dy) * w * c;
      for (let bx = 0; bx < bw; bx++)
        for (let dx = 0; dx < f; dx++) {
          const s = row + (bx * f + dx) * c;
          for (let k = 0; k < c; k++) sums[bx * c + k]! += src[s + k]!;
        }
    }
    const o = by * bw * c;
    for (let k = 0; k < bw * c; k++) dst[o + k] = integer ? Math.round(sums[k]! * inv) : sums[k]! * inv;
  }
  return { header: withGeometry(header, bw, bh, f), payload: out };
}

/** The binned header: its size, the accumulated binning, and the pixel → frame matrix through binningMatrix(f). */
function withGeometry<H extends BinnableImageHeader>(header: H, bw: number, bh: number, f: number): H {
  const binned: H = { ...header, width: bw, height: bh, binning: (header.binning ?? 1) * f };
  if (header.ijkToFrame) binned.ijkToFrame = mul4(header.ijkToFrame, binningMatrix(f));
  return binned;
}
