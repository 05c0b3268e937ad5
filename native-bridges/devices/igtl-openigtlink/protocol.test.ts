/**
 * OpenIGTLink codec and framing against the golden frames made with the
 * reference C++ library (device-protocols.md Appendix A), and property tests:
 * random chunk splits give the same messages; random bytes never throw;
 * malformed headers end the stream with a clear reason; bad CRCs are counted
 * and the stream goes on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc64 } from '../../core/crc64.js';
import { IgtlFramer, type IgtlFrameEvent } from './framing.js';
import { decodeBody, decodeHeader, encodeMessage, IGTL_HEADER_SIZE, IGTL_POLY_ATTR, timestampSeconds, type IgtlContent, type IgtlMessage } from './protocol.js';

const hex = (s: string): Uint8Array =>
  Uint8Array.from(
    s
      .trim()
      .split(/\s+/)
      .map((x) => parseInt(x, 16)),
  );
const TS = 1700000000.5;

const A1_TRANSFORM = hex(`
00 01 54 52 41 4e 53 46 4f 52 4d 00 00 00 50 72 6f 62 65 54 6f 54 72 61 63 6b 65 72 00 00 00 00
00 00 65 53 f1 00 80 00 00 00 00 00 00 00 00 00 00 30 dc d2 8e 1f 46 e9 e6 f7 3f 80 00 00 00 00
00 00 00 00 00 00 00 00 00 00 3f 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00 3f 80 00 00 41 20
00 00 41 a0 00 00 41 f0 00 00`);
const A2_TRANSFORM_V2 = hex(`
00 02 54 52 41 4e 53 46 4f 52 4d 00 00 00 50 72 6f 62 65 54 6f 54 72 61 63 6b 65 72 00 00 00 00
00 00 65 53 f1 00 80 00 00 00 00 00 00 00 00 00 00 6e 3d ec 76 cc 87 fa 54 52 00 0c 00 12 00 00
00 20 00 00 00 07 3f 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00 3f 80 00 00 00 00 00 00 00 00
00 00 00 00 00 00 3f 80 00 00 41 20 00 00 41 a0 00 00 41 f0 00 00 00 02 00 0f 00 03 00 00 00 02
00 0e 00 03 00 00 00 01 54 72 61 6e 73 66 6f 72 6d 53 74 61 74 75 73 4f 4b 54 72 61 6e 73 66 6f
72 6d 56 61 6c 69 64 31`);
const A3_POSITION = hex(`
00 01 50 4f 53 49 54 49 4f 4e 00 00 00 00 53 74 79 6c 75 73 00 00 00 00 00 00 00 00 00 00 00 00
00 00 65 53 f1 00 80 00 00 00 00 00 00 00 00 00 00 1c fd a8 42 b7 e9 d8 66 e8 3f 80 00 00 40 00
00 00 40 40 00 00 00 00 00 00 00 00 00 00 00 00 00 00 3f 80 00 00`);
const A4_STATUS = hex(`
00 01 53 54 41 54 55 53 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
00 00 65 53 f1 00 80 00 00 00 00 00 00 00 00 00 00 1f 1b 21 93 58 60 61 30 12 00 01 00 00 00 00
00 00 00 00 4f 4b 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`);
const A5_STRING = hex(`
00 01 53 54 52 49 4e 47 00 00 00 00 00 00 43 4d 44 5f 31 00 00 00 00 00 00 00 00 00 00 00 00 00
00 00 65 53 f1 00 80 00 00 00 00 00 00 00 00 00 00 28 79 f2 80 46 b2 a2 f3 b5 00 03 00 24 3c 43
6f 6d 6d 61 6e 64 20 4e 61 6d 65 3d 22 52 65 71 75 65 73 74 43 68 61 6e 6e 65 6c 49 64 73 22 20
2f 3e`);
const A6_IMAGE = hex(`
00 01 49 4d 41 47 45 00 00 00 00 00 00 00 49 6d 61 67 65 5f 52 65 66 65 72 65 6e 63 65 00 00 00
00 00 65 53 f1 00 80 00 00 00 00 00 00 00 00 00 00 54 ad 93 b4 6a b6 6d 0e 68 00 01 01 03 02 01
00 04 00 03 00 01 3e 4c cc cd 00 00 00 00 00 00 00 00 00 00 00 00 3e 4c cc cd 00 00 00 00 00 00
00 00 00 00 00 00 3f 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 04 00 03
00 01 00 14 28 3c 50 64 78 8c a0 b4 c8 dc`);
const A7_TDATA = hex(`
00 01 54 44 41 54 41 00 00 00 00 00 00 00 54 72 61 63 6b 65 72 00 00 00 00 00 00 00 00 00 00 00
00 00 65 53 f1 00 80 00 00 00 00 00 00 00 00 00 00 46 e7 fc 85 69 ed 74 fc f5 53 74 79 6c 75 73
00 00 00 00 00 00 00 00 00 00 00 00 00 00 02 00 3f 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00
3f 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00 3f 80 00 00 3f 80 00 00 40 00 00 00 40 40 00 00`);
const A8_STT_TDATA = hex(`
00 01 53 54 54 5f 54 44 41 54 41 00 00 00 54 72 61 63 6b 65 72 00 00 00 00 00 00 00 00 00 00 00
00 00 65 53 f1 00 80 00 00 00 00 00 00 00 00 00 00 24 fe fb af e8 91 ce 20 db 00 00 00 32 50 61
74 69 65 6e 74 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`);
const A9_GET_STATUS = hex(`
00 01 47 45 54 5f 53 54 41 54 55 53 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
00 00 65 53 f1 00 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`);
const A10_COMMAND_V2 = (() => {
  const head = hex(`00 02 43 4f 4d 4d 41 4e 44 00 00 00 00 00 50 6c 75 73 53 65 72 76 65 72 00 00 00 00 00 00 00 00
00 00 65 53 f1 00 80 00 00 00 00 00 00 00 00 00 00 bc db 34 83 40 50 44 9c 90 00 0c 00 02 00 00
00 00 00 00 00 00 00 00 00 01 52 65 71 75 65 73 74 43 68 61 6e 6e 65 6c 49 64 73`);
  const tail = hex(`00 03 00 00 00 24 3c 43 6f 6d 6d 61 6e 64 20 4e 61 6d 65 3d 22 52 65 71 75 65 73 74 43 68 61 6e
6e 65 6c 49 64 73 22 20 2f 3e 00 00`);
  // the name field is char[128]: "RequestChannelIds" (17) + 111 NULs
  const out = new Uint8Array(246);
  out.set(head, 0);
  out.set(tail, 246 - tail.length);
  return out;
})();

const ID: number[] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const withT = (t: [number, number, number]) => ID.map((x, i) => (i === 3 ? t[0] : i === 7 ? t[1] : i === 11 ? t[2] : x));

function decodeFrame(b: Uint8Array): IgtlMessage {
  const h = decodeHeader(b);
  return decodeBody(h, b.subarray(IGTL_HEADER_SIZE, IGTL_HEADER_SIZE + Number(h.bodySize)));
}

const GOLDEN: [string, Uint8Array, IgtlContent, { deviceName: string; headerVersion?: 1 | 2; messageId?: number; metadata?: Record<string, string> }][] = [
  ['A.1 TRANSFORM v1', A1_TRANSFORM, { type: 'TRANSFORM', matrix: withT([10, 20, 30]) }, { deviceName: 'ProbeToTracker' }],
  [
    'A.2 TRANSFORM v2 + metadata',
    A2_TRANSFORM_V2,
    { type: 'TRANSFORM', matrix: withT([10, 20, 30]) },
    { deviceName: 'ProbeToTracker', headerVersion: 2, messageId: 7, metadata: { TransformStatus: 'OK', TransformValid: '1' } },
  ],
  ['A.3 POSITION', A3_POSITION, { type: 'POSITION', positionMm: [1, 2, 3], quaternion: [0, 0, 0, 1] }, { deviceName: 'Stylus' }],
  ['A.4 STATUS OK', A4_STATUS, { type: 'STATUS', code: 1, subCode: 0n, errorName: 'OK', message: '' }, { deviceName: '' }],
  ['A.5 STRING', A5_STRING, { type: 'STRING', encoding: 3, value: '<Command Name="RequestChannelIds" />' }, { deviceName: 'CMD_1' }],
  [
    'A.6 IMAGE 4×3 uint8',
    A6_IMAGE,
    {
      type: 'IMAGE',
      numComponents: 1,
      scalarType: 3,
      endian: 2,
      coordinate: 1,
      size: [4, 3, 1],
      matrix: [0.2, 0, 0, 0, 0.2, 0, 0, 0, 1, 0, 0, 0].map((x) => Math.fround(x)),
      subvolumeOffset: [0, 0, 0],
      subvolumeSize: [4, 3, 1],
      pixels: Uint8Array.from({ length: 12 }, (_, i) => 20 * i),
    },
    { deviceName: 'Image_Reference' },
  ],
  ['A.7 TDATA', A7_TDATA, { type: 'TDATA', elements: [{ name: 'Stylus', trackingType: 2, matrix: withT([1, 2, 3]) }] }, { deviceName: 'Tracker' }],
  ['A.8 STT_TDATA', A8_STT_TDATA, { type: 'STT_TDATA', resolutionMs: 50, coordinateName: 'Patient' }, { deviceName: 'Tracker' }],
  ['A.9 GET_STATUS', A9_GET_STATUS, { type: 'GET_STATUS', empty: true }, { deviceName: '' }],
  [
    'A.10 COMMAND v2',
    A10_COMMAND_V2,
    { type: 'COMMAND', commandId: 1, name: 'RequestChannelIds', encoding: 3, content: '<Command Name="RequestChannelIds" />' },
    { deviceName: 'PlusServer', headerVersion: 2 },
  ],
];

describe('OpenIGTLink codec against the reference library', () => {
  it('CRC-64/ECMA-182 check value and empty body', () => {
    expect(crc64(new TextEncoder().encode('123456789'))).toBe(0x6c40df5f0b497347n);
    expect(crc64(new Uint8Array(0))).toBe(0n);
    // split computation continues the same CRC
    const b = A6_IMAGE.subarray(IGTL_HEADER_SIZE);
    expect(crc64(b.subarray(40), crc64(b.subarray(0, 40)))).toBe(crc64(b));
  });

  for (const [name, frame, content, o] of GOLDEN) {
    it(`${name}: encodes byte for byte and decodes back`, () => {
      expect(Buffer.from(encodeMessage(content, { ...o, timestampS: TS })).toString('hex')).toBe(Buffer.from(frame).toString('hex'));
      const m = decodeFrame(frame);
      expect(m.header.type).toBe(content.type);
      expect(m.header.deviceName).toBe(o.deviceName);
      expect(timestampSeconds(m.header.timestamp)).toBe(TS);
      expect(m.content).toEqual(content);
      expect(m.metadata).toEqual(o.metadata ?? {});
      expect(m.messageId).toBe(o.messageId ?? 0);
    });
  }

  it('decodes short POSITION forms and RTS acknowledgements', () => {
    const pos = encodeMessage({ type: 'POSITION', positionMm: [4, 5, 6], quaternion: null }, { deviceName: 'Tip' });
    expect(decodeFrame(pos).content).toEqual({ type: 'POSITION', positionMm: [4, 5, 6], quaternion: null });
    const rts = encodeMessage({ type: 'RTS_TDATA', status: 0 }, { deviceName: 'Tracker' });
    expect(decodeFrame(rts).content).toEqual({ type: 'RTS_TDATA', status: 0 });
    const unknown = encodeMessage({ type: 'TRACKEDFRAME', raw: Uint8Array.of(1, 2, 3) }, { deviceName: 'Plus' });
    expect(decodeFrame(unknown).content).toEqual({ type: 'TRACKEDFRAME', raw: Uint8Array.of(1, 2, 3) });
    expect(() => encodeMessage({ type: 'GET_STATUS', empty: true }, { deviceName: 'x'.repeat(21) })).toThrow(/longer than 20/);
    expect(() => decodeFrame(encodeMessage({ type: 'TRANSFORM', raw: new Uint8Array(20) }, { deviceName: 'P' }))).toThrow(
      /TRANSFORM: body of 20 bytes, at least 48/,
    );
  });
});

describe('OpenIGTLink POLYDATA (igtl_polydata.c layout)', () => {
  const cellArray = (cells: number[][]) => ({ count: cells.length, data: Uint32Array.from(cells.flatMap((c) => [c.length, ...c])) });
  const arb = fc.integer({ min: 1, max: 30 }).chain((np) =>
    fc.record({
      points: fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 3 * np, maxLength: 3 * np }),
      polys: fc.array(fc.array(fc.nat({ max: np - 1 }), { minLength: 1, maxLength: 6 }), { maxLength: 10 }),
      lines: fc.array(fc.array(fc.nat({ max: np - 1 }), { minLength: 2, maxLength: 4 }), { maxLength: 3 }),
      names: fc.array(fc.stringMatching(/^[A-Za-z]{0,9}$/), { maxLength: 3 }),
      comps: fc.integer({ min: 1, max: 4 }),
      np: fc.constant(np),
    }),
  );

  it('round-trips random meshes with attributes, names of any parity', () => {
    fc.assert(
      fc.property(arb, ({ points, polys, lines, names, comps, np }) => {
        const content = {
          type: 'POLYDATA' as const,
          points: Float32Array.from(points),
          vertices: cellArray([]),
          lines: cellArray(lines),
          polygons: cellArray(polys),
          triangleStrips: cellArray([]),
          attributes: names.map((name, i) => {
            const type = [IGTL_POLY_ATTR.pointScalar, IGTL_POLY_ATTR.pointNormal, IGTL_POLY_ATTR.cellScalar][i % 3]!;
            const numComponents = type === IGTL_POLY_ATTR.pointNormal ? 3 : comps;
            const n = type === IGTL_POLY_ATTR.cellScalar ? polys.length : np;
            return { type, numComponents, name, data: Float32Array.from({ length: n * numComponents }, (_, k) => k / 4) };
          }),
        };
        const m = decodeFrame(encodeMessage(content, { deviceName: 'Skin', timestampS: TS }));
        expect(m.content).toEqual(content);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects indices past the points, sections that do not add up and truncated attributes', () => {
    const tri = {
      type: 'POLYDATA' as const,
      points: new Float32Array(9),
      vertices: cellArray([]),
      lines: cellArray([]),
      polygons: cellArray([[0, 1, 2]]),
      triangleStrips: cellArray([]),
      attributes: [{ type: IGTL_POLY_ATTR.pointScalar, numComponents: 1, name: 'd', data: Float32Array.of(1, 2, 3) }],
    };
    const body = (c: typeof tri) => encodeMessage(c, { deviceName: 'Skin' });
    expect(() => decodeFrame(body({ ...tri, polygons: cellArray([[0, 1, 3]]) }))).toThrow(/POLYDATA Skin: polygon cell 0 names point 3 of 3/);
    expect(() => decodeFrame(body({ ...tri, polygons: { count: 2, data: Uint32Array.of(3, 0, 1, 2) } }))).toThrow(/polygon cell 1 runs past its section/);
    expect(() => decodeFrame(body({ ...tri, polygons: { count: 0, data: Uint32Array.of(3, 0, 1, 2) } }))).toThrow(
      /polygon section holds more than its 0 cells/,
    );
    const cut = body(tri);
    const short = encodeMessage({ type: 'POLYDATA', raw: cut.subarray(IGTL_HEADER_SIZE, cut.length - 4) }, { deviceName: 'Skin' });
    expect(() => decodeFrame(short)).toThrow(/POLYDATA Skin: body of \d+ bytes, at least \d+ expected/);
    const badType = cut.slice();
    badType[IGTL_HEADER_SIZE + 40 + 36 + 16] = 0x07; // the attribute header's type byte
    expect(() => decodeFrame(encodeMessage({ type: 'POLYDATA', raw: badType.subarray(IGTL_HEADER_SIZE) }, { deviceName: 'Skin' }))).toThrow(
      /attribute d has unknown type 0x7/,
    );
  });
});

const STREAM = [A1_TRANSFORM, A2_TRANSFORM_V2, A3_POSITION, A4_STATUS, A5_STRING, A6_IMAGE, A7_TDATA, A8_STT_TDATA, A9_GET_STATUS, A10_COMMAND_V2];
const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
};
const feed = (f: IgtlFramer, bytes: Uint8Array, cuts: number[]): IgtlFrameEvent[] => {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const ev: IgtlFrameEvent[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    ev.push(...f.push(bytes.slice(prev, c)));
    prev = c;
  }
  return ev;
};

describe('OpenIGTLink framing', () => {
  it('random chunk splits give the same ten messages in order', () => {
    const all = concat(STREAM);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        const f = new IgtlFramer();
        const ev = feed(f, all, cuts);
        expect(ev.map((e) => (e.kind === 'message' ? e.message.header.type : e.kind))).toEqual(STREAM.map((s) => decodeHeader(s).type));
        expect(f.pendingBytes).toBe(0);
        expect(f.end()).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes never throw: frames, counted errors or one fatal event', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const f = new IgtlFramer({ maxBodyBytes: 1 << 20 });
        const ev = feed(f, bytes, cuts);
        f.end();
        expect(ev.filter((e) => e.kind === 'fatal').length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
    // and valid frames with corrupted bytes anywhere
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (pos, x) => {
        const all = concat(STREAM);
        all[pos % all.length]! ^= x;
        const f = new IgtlFramer();
        f.push(all);
        f.end();
      }),
      { numRuns: 500 },
    );
  });

  it('a bad CRC is counted and the stream goes on with the next message', () => {
    const bad = A1_TRANSFORM.slice();
    bad[IGTL_HEADER_SIZE + 5]! ^= 0xff;
    const f = new IgtlFramer();
    const ev = f.push(concat([bad, A3_POSITION, bad, A4_STATUS]));
    expect(ev.map((e) => e.kind)).toEqual(['crc-error', 'message', 'crc-error', 'message']);
    expect(f.counters).toMatchObject({ messages: 2, crcErrors: 2 });
    // without CRC checking the corrupted body decodes
    expect(new IgtlFramer({ checkCrc: false }).push(bad)[0]!.kind).toBe('message');
  });

  it('malformed headers end the stream with a clear reason; unknown types are skipped by size', () => {
    const huge = A9_GET_STATUS.slice();
    new DataView(huge.buffer).setBigUint64(42, 4n * 1024n ** 3n);
    const f1 = new IgtlFramer();
    const e1 = f1.push(concat([A3_POSITION, huge, A4_STATUS]));
    expect(e1.map((e) => e.kind)).toEqual(['message', 'fatal']);
    expect((e1[1] as { reason: string }).reason).toMatch(/GET_STATUS message from \(no device\) claims a body of 4294967296 bytes/);
    expect(f1.push(A4_STATUS)).toEqual([]);

    const v9 = A1_TRANSFORM.slice();
    v9[1] = 9;
    expect(new IgtlFramer().push(v9)[0]).toEqual({ kind: 'fatal', reason: 'OpenIGTLink stream out of step: unknown header version 9' });

    const unknown = encodeMessage({ type: 'CLIENTINFO', raw: new Uint8Array(33) }, { deviceName: 'Plus' });
    const f2 = new IgtlFramer();
    expect(f2.push(concat([unknown, A1_TRANSFORM])).map((e) => (e.kind === 'message' ? e.message.header.type : e.kind))).toEqual(['CLIENTINFO', 'TRANSFORM']);
    expect(f2.counters.unknownTypes).toBe(1);

    const f3 = new IgtlFramer();
    f3.push(A6_IMAGE.subarray(0, 100));
    expect(f3.end()).toEqual({ kind: 'fatal', reason: 'OpenIGTLink stream ended inside a frame (IMAGE message from Image_Reference: 42 of 84 body bytes)' });

    // a body that does not decode (TRANSFORM of 20 bytes, valid CRC) is counted, the stream continues
    const short = encodeMessage({ type: 'TRANSFORM', raw: new Uint8Array(20) }, { deviceName: 'P' });
    const f4 = new IgtlFramer();
    expect(f4.push(concat([short, A1_TRANSFORM])).map((e) => e.kind)).toEqual(['decode-error', 'message']);
    expect(f4.counters.decodeErrors).toBe(1);
  });
});
