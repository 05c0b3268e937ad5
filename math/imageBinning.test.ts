import { describe, expect, it } from 'vitest';
import { binImageMessage, binningFor, binningMatrix, parseImageMaxWidth } from './imageBinning.js';
import { applyPoint, mul4 } from './transform.js';

const base = { device: 'us-1', stream: 'image' as const, seq: 3, deviceTimeUs: 10, hostTimeUs: 11 };

describe('display binning of image frames', () => {
  it('averages f × f blocks of uint8 pixels and leaves out the columns and rows that do not fill a block', () => {
    // 5 × 4 image, value = 10·row + column
    const px = Uint8Array.from({ length: 20 }, (_, k) => 10 * Math.floor(k / 5) + (k % 5));
    const { header, payload } = binImageMessage({ ...base, width: 5, height: 4, components: 1, scalar: 'uint8' }, px, 2);
    expect(header).toMatchObject({ width: 2, height: 2, binning: 2, seq: 3 });
    // block (0,0): 0 1 10 11 → 5.5 → 6; block (1,0): 2 3 12 13 → 7.5 → 8; rows 2–3: + 20
    expect(Array.from(payload)).toEqual([6, 8, 26, 28]);
  });

  it('bins each component of an RGB frame, uint16 and float32 frames, and multiplies an earlier binning', () => {
    const rgb = Uint8Array.from([10, 100, 200, 20, 110, 210, 30, 120, 220, 40, 130, 230]); // 2 × 2 RGB
    const r = binImageMessage({ ...base, width: 2, height: 2, components: 3, scalar: 'uint8', binning: 2 }, rgb, 2);
    expect(Array.from(r.payload)).toEqual([25, 115, 215]);
    expect(r.header.binning).toBe(4);

    const u16 = new Uint16Array([1000, 3000, 5000, 7000, 60000, 60002, 60004, 60006, 0]); // 3 × 3
    const h = binImageMessage({ ...base, width: 3, height: 3, components: 1, scalar: 'uint16' }, new Uint8Array(u16.buffer), 2);
    expect(Array.from(new Uint16Array(h.payload.buffer))).toEqual([Math.round((1000 + 3000 + 7000 + 60000) / 4)]);

    const f32 = new Float32Array([0.5, 1.5, -2, 4]); // 2 × 2, from an unaligned offset inside a larger message
    const msg = new Uint8Array(1 + 16);
    msg.set(new Uint8Array(f32.buffer), 1);
    const f = binImageMessage({ ...base, width: 2, height: 2, components: 1, scalar: 'float32' }, msg.subarray(1), 2);
    expect(new Float32Array(f.payload.buffer)[0]).toBeCloseTo(1, 6);
  });

  it('keeps the geometry: a binned pixel lands on the centre of the source pixels it averages', () => {
    // a PLUS-like ImageToProbe: 0.08 mm pixels, rotated, translated
    const imageToProbe = [0, -0.0839, 0.0159, 12.5, -0.0016, 0.0159, 0.0839, -3.2, -0.0853, 0, 0, 40.1, 0, 0, 0, 1];
    const px = new Uint8Array(820 * 616);
    const { header } = binImageMessage({ ...base, width: 820, height: 616, components: 1, scalar: 'uint8', ijkToFrame: imageToProbe, frame: 'Probe' }, px, 2);
    expect(header.width).toBe(410);
    expect(header.height).toBe(308);
    for (const [i, j] of [
      [0, 0],
      [409, 307],
      [100, 250],
    ] as const) {
      const binned = applyPoint(header.ijkToFrame!, i, j, 0);
      const corners = [
        [2 * i, 2 * j],
        [2 * i + 1, 2 * j],
        [2 * i, 2 * j + 1],
        [2 * i + 1, 2 * j + 1],
      ].map(([a, b]) => applyPoint(imageToProbe, a!, b!, 0));
      for (let k = 0; k < 3; k++) expect(binned[k]).toBeCloseTo(corners.reduce((s, c) => s + c[k]!, 0) / 4, 9);
    }
    // a calibration of the full frame applies to the copy through the same matrix
    expect(mul4(imageToProbe, binningMatrix(2))).toEqual(header.ijkToFrame);
  });

  it('chooses the factor from the display width and refuses what it cannot bin', () => {
    expect(binningFor(820, 400)).toBe(2);
    expect(binningFor(820, 200)).toBe(4);
    expect(binningFor(640, 400)).toBe(1);
    expect(binningFor(160, 400)).toBe(1);
    expect(parseImageMaxWidth('400')).toBe(400);
    expect(parseImageMaxWidth(400)).toBe(400);
    for (const bad of [null, '', 'abc', '4.5', '8', '99999', -400]) expect(parseImageMaxWidth(bad)).toBeNull();
    expect(() => binImageMessage({ ...base, width: 4, height: 4, components: 1, scalar: 'uint8' }, new Uint8Array(10), 2)).toThrow(
      /us-1: 10 bytes for 4×4×1 uint8/,
    );
    expect(() => binImageMessage({ ...base, width: 4, height: 4, components: 1, scalar: 'uint8' }, new Uint8Array(16), 1.5)).toThrow(/positive integer/);
    expect(() => binImageMessage({ ...base, width: 1, height: 4, components: 1, scalar: 'uint8' }, new Uint8Array(4), 2)).toThrow(/smaller than one 2×2 bin/);
    const same = new Uint8Array(16);
    expect(binImageMessage({ ...base, width: 4, height: 4, scalar: 'uint8' }, same, 1).payload).toBe(same);
  });
});
