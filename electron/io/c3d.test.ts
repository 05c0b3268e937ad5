/**
 * C3D reader/writer (issue 21 §1, must-show 1): the real Vicon Nexus trial against the capture software's CSV export
 * and pyomeca's published expectations, round trips (Intel, DEC, MIPS), a hand-built integer-format file, and bad
 * files.
 */
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../contract/errors.js';
import { decToNumber, numberToDec, readC3d, readC3dFile, writeC3d, type C3dFile } from './c3d.js';
import { dataPath, describeData } from '../../tests/helpers/data.js';

const FILE = 'emg/markers_analogs.c3d';

/** Strips the prefix before the last `delim` (as pyomeca's col_spliter with prefix_delimiter). */
const suffix = (label: string, delim: string): string => label.slice(label.lastIndexOf(delim) + 1);

/** Half a unit of the last printed digit (the CSV's precision), at least 1e-12 relative (summation order). */
const tolOf = (s: string): number => {
  const m = /^-?\d*\.?(\d*)(?:E([+-]?\d+))?$/i.exec(s)!;
  return Math.max(0.5 * 10 ** (Number(m[2] ?? 0) - m[1]!.length), 1e-12 * Math.abs(Number(s)));
};

/** Expects an AppError with this code whose message names the file and contains `why`. */
function expectC3dError(f: () => unknown, code: string, why: RegExp, file = 'markers_analogs.c3d'): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  expect((err as AppError).message).toContain(file);
  expect((err as AppError).message).toMatch(why);
}

describeData('C3D reader on the real trial (pyomeca markers_analogs.c3d)', () => {
  let c: C3dFile;
  beforeAll(() => {
    c = readC3dFile(dataPath(FILE));
  });

  it('reads the header, rates, labels and units', () => {
    expect(c.header.processor).toBe('intel');
    expect(c.header.scaleFactor).toBeLessThan(0); // float data
    expect([c.frameCount, c.pointCount, c.analogCount, c.analogSamples]).toEqual([580, 51, 38, 11600]);
    expect(c.rates).toEqual({ pointHz: 100, analogHz: 2000 });
    expect([c.header.firstFrame, c.header.lastFrame]).toEqual([1, 580]);
    expect(c.labels.points[21]).toBe('Daphnee:CLAV_post');
    expect(c.labels.analogs[6]).toBe('Delt_ant.EMG1');
    expect(c.units.points).toBe('mm');
    expect(new Set(c.units.analogs)).toEqual(new Set(['V']));
    expect(c.groups['MANUFACTURER']?.params['SOFTWARE']?.values).toEqual(['Vicon Nexus']);
    expect(c.groups['EVENT_CONTEXT']?.params['LABELS']?.values).toEqual(['General', 'Left', 'Right']);
  });

  it('every analog sample equals the capture software CSV export within 5e-7 V (channels matched by label)', () => {
    const lines = fs.readFileSync(dataPath('emg/analogs.csv'), 'utf8').split(/\r?\n/);
    expect(lines[0]).toBe('Devices' + ','.repeat(39));
    expect(Number(lines[1]!.split(',')[0])).toBe(2000);
    const names = lines[3]!.split(',').slice(2);
    const rows = lines.slice(5).filter((l) => l.trim() !== '');
    expect(rows.length).toBe(11600);
    expect(names.length).toBe(38);
    // CSV 'EMG1' ↔ C3D 'Delt_ant.EMG1', CSV '1' ↔ 'Voltage.1', 'IM EMG3' ↔ 'Sensor 3.IM EMG3'
    const byLabel = new Map(c.labels.analogs.map((l, i) => [suffix(l, '.'), i]));
    let maxAbs = 0;
    let compared = 0;
    let beyondPrinted = 0; // samples differing by more than half a unit of the CSV's last printed digit
    const cols = names.map((n) => {
      const ch = byLabel.get(n);
      expect(ch, `CSV column ${n} has a C3D channel`).toBeDefined();
      return ch!;
    });
    expect(new Set(cols).size).toBe(38);
    rows.forEach((row, s) => {
      const v = row.split(',');
      expect(Number(v[0])).toBe(Math.floor(s / 20) + 1); // frame
      expect(Number(v[1])).toBe(s % 20); // sub frame
      cols.forEach((ch, j) => {
        const text = v[j + 2]!;
        const d = Math.abs(Number(text) - c.analogs[ch * c.analogSamples + s]!);
        if (d > maxAbs) maxAbs = d;
        // the exporter rounds twice (6 significant digits, then the printed ones: 1.474999e-5 → 1.47500e-5 → 1.48E-05)
        const x = Math.abs(Number(text));
        if (d > (x === 0 ? 0 : tolOf(text) + 0.5 * 10 ** (Math.floor(Math.log10(x)) - 5))) beyondPrinted++;
        compared++;
      });
    });
    console.log(`C3D vs CSV export: ${compared} samples, max |Δ| = ${maxAbs.toExponential(3)} V, ${beyondPrinted} beyond the CSV's printed precision`);
    // the CSV prints 3 significant digits in E notation (1.00E-04 covers ±5e-7): every sample rounds to the CSV's text
    expect(beyondPrinted).toBe(0);
    expect(compared).toBe(38 * 11600);
    expect(maxAbs).toBeLessThanOrEqual(5e-7);
  });

  /*
   * pyomeca's expectations for this file: https://github.com/pyomeca/pyomeca/blob/5899f37058edd6e8096ebfcf713be907625fb9f7/tests/data/is_expected_array_val.csv
   * rows 10–19, used by tests/test_fileio_read_csv_c3d.py (test_read_analogs / test_read_markers with
   * Analogs.from_c3d(prefix_delimiter='.') and Markers.from_c3d(prefix_delimiter=':')) through tests/utils.py
   * is_expected_array: shape, first and last value of the C-order ravel, mean, median (NaN skipped), sum (NaN
   * skipped), NaN count. pyomeca reads with ezc3d: analogs (channels, samples); markers (4, markers, frames) with
   * a row of ones and x, y, z NaN where the residual is negative.
   */
  type Expect = { cols: (string | number)[] | null; shape: number[]; first: number; last: number; mean: string; median: string; sum: string; nans: number };
  const analogCases: Expect[] = [
    { cols: null, shape: [38, 11600], first: -0.022051572799682617, last: 0.0, mean: '-0.00167903', median: '0', sum: '-740.11800894', nans: 0 },
    {
      cols: ['EMG1', 'EMG10', 'EMG11', 'EMG12'],
      shape: [4, 11600],
      first: -2.6089122911798768e-5,
      last: 0.0,
      mean: '7.38E-06',
      median: '1.59E-06',
      sum: '0.34231356',
      nans: 0,
    },
    {
      cols: [1, 3, 5, 7],
      shape: [4, 11600],
      first: -0.01039797067642212,
      last: 1.0517047485336661e-5,
      mean: '-0.00743816',
      median: '-2.68E-05',
      sum: '-345.13052138',
      nans: 0,
    },
    {
      cols: ['EMG1'],
      shape: [1, 11600],
      first: -2.6089122911798768e-5,
      last: -1.912586776597891e-5,
      mean: '-1.94E-05',
      median: '-2.15E-05',
      sum: '-0.22483518',
      nans: 0,
    },
    { cols: [2], shape: [1, 11600], first: -0.01544412225484848, last: 0.0, mean: '-0.08497782', median: '-0.01491006', sum: '-985.74269734', nans: 0 },
  ];
  const markerCases: Expect[] = [
    { cols: null, shape: [4, 51, 580], first: 44.16278839111328, last: 1.0, mean: '362.29798491', median: '337.75192261', sum: '42535594.9182787', nans: 915 },
    {
      cols: ['CLAV_post', 'PSISl', 'STERr', 'CLAV_post'],
      shape: [4, 4, 580],
      first: 744.5535888671875,
      last: 1.0,
      mean: '385.66622389',
      median: '278.73994446',
      sum: '3537330.60548401',
      nans: 108,
    },
    {
      cols: [1, 3, 5, 7],
      shape: [4, 4, 580],
      first: 32.572296142578125,
      last: 1.0,
      mean: '249.52316566',
      median: '87.43008041',
      sum: '2309586.42132697',
      nans: 24,
    },
    {
      cols: ['CLAV_post'],
      shape: [4, 1, 580],
      first: 744.5535888671875,
      last: 1.0,
      mean: '422.10368959',
      median: '312.92277527',
      sum: '976747.93771362',
      nans: 6,
    },
    { cols: [2], shape: [4, 1, 580], first: -93.72181701660156, last: 1.0, mean: '242.87715054', median: '124.81892014', sum: '556188.67473757', nans: 30 },
  ];
  const check = (values: number[], e: Expect): void => {
    const ok = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
    const sum = ok.reduce((a, v) => a + v, 0);
    const mid = ok.length >> 1;
    const median = ok.length % 2 ? ok[mid]! : (ok[mid - 1]! + ok[mid]!) / 2;
    expect(values.length).toBe(e.shape.reduce((a, d) => a * d, 1));
    expect(Math.abs(values[0]! - e.first)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(e.first)));
    expect(Math.abs(values[values.length - 1]! - e.last)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(e.last)));
    expect(Math.abs(sum / ok.length - Number(e.mean))).toBeLessThanOrEqual(tolOf(e.mean));
    expect(Math.abs(median - Number(e.median))).toBeLessThanOrEqual(tolOf(e.median));
    expect(Math.abs(sum - Number(e.sum))).toBeLessThanOrEqual(tolOf(e.sum));
    expect(values.length - ok.length).toBe(e.nans);
  };

  it.each(analogCases.map((e, i) => [10 + i, e] as const))("reproduces pyomeca's expected analog values (row %i)", (_row, e) => {
    const names = c.labels.analogs.map((l) => suffix(l, '.'));
    const idx = e.cols ? e.cols.map((k) => (typeof k === 'number' ? k : names.indexOf(k))) : names.map((_, i) => i);
    expect(idx.every((i) => i >= 0)).toBe(true);
    expect([idx.length, c.analogSamples]).toEqual(e.shape);
    const values: number[] = [];
    for (const ch of idx) for (let s = 0; s < c.analogSamples; s++) values.push(c.analogs[ch * c.analogSamples + s]!);
    check(values, e);
  });

  it.each(markerCases.map((e, i) => [15 + i, e] as const))("reproduces pyomeca's expected marker values (row %i)", (_row, e) => {
    const names = c.labels.points.map((l) => suffix(l, ':'));
    const idx = e.cols ? e.cols.map((k) => (typeof k === 'number' ? k : names.indexOf(k))) : names.map((_, i) => i);
    expect(idx.every((i) => i >= 0)).toBe(true);
    expect([4, idx.length, c.frameCount]).toEqual(e.shape);
    const values: number[] = [];
    for (let axis = 0; axis < 4; axis++)
      for (const p of idx)
        for (let f = 0; f < c.frameCount; f++) {
          const k = (f * c.pointCount + p) * 4;
          values.push(axis === 3 ? 1 : c.points[k + 3]! < 0 ? NaN : c.points[k + axis]!);
        }
    check(values, e);
  });
});

/** Everything a reader returns but the byte layout (parameter and data block numbers) and the bulk arrays. */
function comparable(c: C3dFile, without: string[] = []): unknown {
  const groups = structuredClone(c.groups);
  for (const gp of without) {
    const [g, p] = gp.split(':') as [string, string];
    delete groups[g]?.params[p];
  }
  const { parameterBlock: _pb, parameterBlocks: _pbs, dataStartBlock: _ds, processor: _pr, ...header } = c.header;
  const { points: _p, cameraMasks: _m, analogs: _a, ...rest } = c;
  return { ...rest, header, groups };
}

/** The bulk arrays are bit-identical (compared as bytes: deep equality of 3 MB arrays is slow). */
function expectSameData(a: C3dFile, b: C3dFile): void {
  const bytes = (x: ArrayBufferView): Buffer => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  for (const k of ['points', 'cameraMasks', 'analogs'] as const) {
    expect(a[k].length, k).toBe(b[k].length);
    if (!bytes(a[k]).equals(bytes(b[k]))) {
      const i = a[k].findIndex((v, j) => !Object.is(v, b[k][j]));
      expect(`${k}[${i}] = ${a[k][i]}`).toBe(`${k}[${i}] = ${b[k][i]}`);
    }
  }
}

describeData('C3D writer round trip on the real trial', () => {
  let orig: C3dFile;
  beforeAll(() => {
    orig = readC3dFile(dataPath(FILE));
  });

  it('writes an Intel float file that re-reads identically (all parameters, data, events)', () => {
    const bytes = writeC3d(orig);
    expect(bytes.length % 512).toBe(0);
    const back = readC3d(bytes, 'written.c3d');
    expect(back.header.processor).toBe('intel');
    // POINT:DATA_START follows the new layout; everything else is as read
    expect(back.groups['POINT']?.params['DATA_START']?.values).toEqual([back.header.dataStartBlock]);
    expect(comparable(back, ['POINT:DATA_START'])).toEqual(comparable(orig, ['POINT:DATA_START']));
    expectSameData(back, orig);
    expect(Object.keys(back.groups)).toEqual(Object.keys(orig.groups));
    // a second generation is byte-identical
    expect(Buffer.from(writeC3d(back)).equals(Buffer.from(bytes))).toBe(true);
  });

  it.each(['dec', 'mips'] as const)('writes a %s file that re-reads equal', (processor) => {
    const bytes = writeC3d(orig, { processor });
    expect(bytes[512 + 3]).toBe(processor === 'dec' ? 85 : 86);
    if (processor === 'mips')
      expect([bytes[2], bytes[3]]).toEqual([0, 51]); // big-endian point count
    else expect([bytes[20], bytes[21], bytes[22], bytes[23]]).toEqual([0xc8, 0x43, 0, 0]); // 100 Hz as VAX F
    const back = readC3d(bytes, `written-${processor}.c3d`);
    expect(back.header.processor).toBe(processor);
    expect(comparable(back, ['POINT:DATA_START'])).toEqual(comparable(orig, ['POINT:DATA_START']));
    expectSameData(back, orig);
  });
});

describe('VAX F (DEC) floats', () => {
  it('decodes and encodes known bit patterns', () => {
    // 1.0 = 0.5 × 2^1: exponent 129 → word 0x4080; −2.5 = −0.625 × 2^2: exponent 130, fraction 0x200000 → word 0xC120
    expect(decToNumber(0x80, 0x40, 0, 0)).toBe(1);
    expect(decToNumber(0x20, 0xc1, 0, 0)).toBe(-2.5);
    expect(numberToDec(1)).toEqual([0x80, 0x40, 0, 0]);
    expect(numberToDec(-2.5)).toEqual([0x20, 0xc1, 0, 0]);
    expect(decToNumber(0, 0, 0, 0)).toBe(0);
    for (const v of [Math.fround(Math.PI), -1e-30, 3e37, Math.fround(0.1), -123456.789]) expect(decToNumber(...numberToDec(v))).toBe(Math.fround(v));
    expect(() => numberToDec(NaN)).toThrow(AppError);
  });
});

/** A byte-level Intel C3D built here, independent of the writer: integer data, unsigned analogs, events. */
function handBuilt(): Uint8Array {
  const b = Buffer.alloc(512 * 4);
  // header
  b[0] = 2;
  b[1] = 0x50;
  b.writeUInt16LE(2, 2); // points
  b.writeUInt16LE(4, 4); // 2 channels × 2 samples
  b.writeUInt16LE(10, 6); // first frame
  b.writeUInt16LE(12, 8); // last frame: 3 frames
  b.writeUInt16LE(5, 10);
  b.writeFloatLE(0.5, 12); // integer data, scale 0.5
  b.writeUInt16LE(4, 16); // data in block 4
  b.writeUInt16LE(2, 18);
  b.writeFloatLE(50, 20);
  b.writeUInt16LE(0x3039, 298);
  b.writeUInt16LE(2, 300);
  b.writeFloatLE(0.02, 304);
  b.writeFloatLE(0.04, 308);
  b[376] = 1;
  b.write('HS  ', 396, 'latin1');
  b.write('TO', 400, 'latin1');
  // parameters
  let o = 512;
  b[o++] = 1;
  b[o++] = 0x50;
  b[o++] = 2;
  b[o++] = 84;
  let lastPointer = 0;
  const rec = (name: string, gid: number, body: number[], locked = false): void => {
    lastPointer = o + 2 + name.length;
    b.writeInt8(locked ? -name.length : name.length, o);
    b.writeInt8(gid, o + 1);
    b.write(name, o + 2, 'latin1');
    b.writeInt16LE(body.length + 2, o + 2 + name.length);
    Buffer.from(body).copy(b, o + 4 + name.length);
    o += 4 + name.length + body.length;
  };
  const desc = (s: string): number[] => [s.length, ...Buffer.from(s, 'latin1')];
  const i16 = (...v: number[]): number[] => v.flatMap((x) => [x & 0xff, (x >> 8) & 0xff]);
  const f32 = (...v: number[]): number[] => v.flatMap((x) => [...Buffer.from(new Float32Array([x]).buffer)]);
  const chars = (w: number, ...s: string[]): number[] => s.flatMap((x) => [...Buffer.from(x.padEnd(w, ' '), 'latin1')]);
  rec('POINT', -1, desc('3-D point parameters'));
  rec('USED', 1, [2, 0, ...i16(2), ...desc('')]);
  rec('SCALE', 1, [4, 0, ...f32(0.5), ...desc('')]);
  rec('RATE', 1, [4, 0, ...f32(50), ...desc('')]);
  rec('DATA_START', 1, [2, 0, ...i16(4), ...desc('')], true);
  rec('FRAMES', 1, [2, 0, ...i16(3), ...desc('')]);
  rec('LABELS', 1, [-1 & 0xff, 2, 4, 2, ...chars(4, 'LASI', 'RASI'), ...desc('labels')]);
  rec('UNITS', 1, [-1 & 0xff, 1, 2, ...chars(2, 'mm'), ...desc('')]);
  rec('ANALOG', -2, desc(''));
  rec('USED', 2, [2, 0, ...i16(2), ...desc('')]);
  rec('FORMAT', 2, [-1 & 0xff, 1, 8, ...chars(8, 'UNSIGNED'), ...desc('')]);
  rec('OFFSET', 2, [2, 1, 2, ...i16(40000, 100), ...desc('')]);
  rec('SCALE', 2, [4, 1, 2, ...f32(0.25, -2), ...desc('')]);
  rec('GEN_SCALE', 2, [4, 0, ...f32(0.5), ...desc('')]);
  rec('LABELS', 2, [-1 & 0xff, 2, 3, 2, ...chars(3, 'FX', 'EMG'), ...desc('')]);
  rec('UNITS', 2, [-1 & 0xff, 2, 1, 2, ...chars(1, 'N', 'V'), ...desc('')]);
  rec('EVENT', -3, desc('events'));
  rec('USED', 3, [2, 0, ...i16(1), ...desc('')]);
  rec('TIMES', 3, [4, 2, 2, 1, ...f32(1, 0.5), ...desc('')]);
  rec('LABELS', 3, [-1 & 0xff, 2, 12, 1, ...chars(12, 'Foot Strike'), ...desc('')]);
  rec('CONTEXTS', 3, [-1 & 0xff, 2, 5, 1, ...chars(5, 'Left'), ...desc('')]);
  rec('FLAGS', 3, [1, 1, 3, 1, 0xff, 7, ...desc('bytes')]);
  b.writeInt16LE(0, lastPointer); // the last record points nowhere
  // data: 3 frames × (2 points × 4 int16 + 2 samples × 2 channels uint16), from block 4
  o = 512 * 3;
  const frames = [
    [10, -20, 30, 0x0305, 1, 2, 3, -1, 40000, 100, 40010, 99],
    [11, -21, 31, 0x0000, 4, 5, 6, 0x0102, 65535, 0, 0, 65535],
    [12, -22, 32, 0x7f01, 7, 8, 9, -1, 40001, 101, 39999, 102],
  ];
  for (const fr of frames) {
    for (let i = 0; i < 8; i++) (b.writeInt16LE(fr[i]!, o), (o += 2));
    for (let i = 8; i < 12; i++) (b.writeUInt16LE(fr[i]!, o), (o += 2));
  }
  return new Uint8Array(b);
}

describe('C3D reader on a hand-built integer-format file', () => {
  const c = readC3d(handBuilt(), 'hand.c3d');
  it('applies the point scale, residual word, unsigned analog offsets, scales and GEN_SCALE', () => {
    expect([c.frameCount, c.pointCount, c.analogCount, c.analogSamples]).toEqual([3, 2, 2, 6]);
    expect([c.header.firstFrame, c.header.lastFrame, c.header.maxInterpolationGap]).toEqual([10, 12, 5]);
    expect(c.rates).toEqual({ pointHz: 50, analogHz: 100 });
    // frame 1, point 1: (10, −20, 30) × 0.5; residual word 0x0305 → cameras 3, residual 5 × 0.5
    expect(Array.from(c.points.slice(0, 8))).toEqual([5, -10, 15, 2.5, 0.5, 1, 1.5, -1]);
    expect(Array.from(c.cameraMasks)).toEqual([3, 0, 0, 1, 0x7f, 0]);
    expect(Array.from(c.points.slice(8, 16))).toEqual([5.5, -10.5, 15.5, 0, 2, 2.5, 3, 1]);
    // FX: (raw − 40000) × 0.25 × 0.5 ; EMG: (raw − 100) × −2 × 0.5 (0 × −1 is −0 in IEEE arithmetic)
    expect(Array.from(c.analogs.slice(0, 6))).toEqual([0, 1.25, 25535 * 0.125, -40000 * 0.125, 0.125, -0.125]);
    expect(Array.from(c.analogs.slice(6, 12))).toEqual([-0, 1, 100, -65435, -1, -2]);
    expect(c.labels).toEqual({ points: ['LASI', 'RASI'], analogs: ['FX', 'EMG'] });
    expect(c.units).toEqual({ points: 'mm', analogs: ['N', 'V'] });
    expect(c.groups['POINT']?.params['DATA_START']?.locked).toBe(true);
    expect(c.groups['EVENT']?.params['FLAGS']).toMatchObject({ type: 'byte', dims: [3], values: [1, -1, 7] });
  });
  it('reads header events and the EVENT group', () => {
    expect(c.header.events).toEqual([
      { timeS: Math.fround(0.02), displayFlag: 1, label: 'HS' },
      { timeS: Math.fround(0.04), displayFlag: 0, label: 'TO' },
    ]);
    expect(c.events.map((e) => [e.source, e.label, e.context, e.timeS, e.frame])).toEqual([
      ['header', 'HS', '', Math.fround(0.02), 2],
      ['header', 'TO', '', Math.fround(0.04), 3],
      ['EVENT', 'Foot Strike', 'Left', 60.5, 3026],
    ]);
  });
  it('round-trips through the float writer (Intel, DEC, MIPS)', () => {
    for (const processor of ['intel', 'dec', 'mips'] as const) {
      const back = readC3d(writeC3d(c, { processor }), 'hand-written.c3d');
      expect(back.header.scaleFactor).toBe(-0.5);
      // the writer adds ANALOG:RATE (absent here) and stores floats (negative scale factor)
      expect(back.groups['ANALOG']?.params['RATE']?.values).toEqual([100]);
      const set = ['POINT:DATA_START', 'POINT:SCALE', 'ANALOG:RATE'];
      expect(comparable(back, set)).toEqual({
        ...(comparable(c, set) as object),
        header: { ...(comparable(c) as { header: object }).header, scaleFactor: -0.5 },
      });
      expectSameData(back, c);
    }
  });
  it('writes and reads more than 65535 frames through TRIAL:ACTUAL_START_FIELD/END_FIELD', () => {
    const nf = 70000;
    const big = {
      ...c,
      header: { ...c.header, firstFrame: 1 },
      frameCount: nf,
      pointCount: 0,
      analogCount: 1,
      points: new Float32Array(0),
      cameraMasks: new Uint8Array(0),
      analogs: Float64Array.from({ length: nf * 2 }, (_, i) => (i % 7) * 0.125),
    };
    const back = readC3d(writeC3d(big), 'long.c3d');
    expect(back.frameCount).toBe(nf);
    expect([back.header.firstFrame, back.header.lastFrame]).toEqual([1, nf]);
    expect(back.groups['TRIAL']?.params['ACTUAL_END_FIELD']?.values).toEqual([nf & 0xffff, 1]);
    expectSameData(back, big as C3dFile);
  });
});

describeData('C3D bad files', () => {
  let good: Uint8Array;
  beforeAll(() => {
    good = new Uint8Array(fs.readFileSync(dataPath(FILE)));
  });
  const name = 'markers_analogs.c3d';
  it('truncated: inside the header, the parameter section and the data', () => {
    expectC3dError(() => readC3d(good.slice(0, 300), name), 'IMPORT_TRUNCATED', /512-byte/);
    expectC3dError(() => readC3d(good.slice(0, 2000), name), 'IMPORT_TRUNCATED', /parameter section ends early/);
    expectC3dError(() => readC3d(good.slice(0, good.length >> 1), name), 'IMPORT_TRUNCATED', /580 frames need .* the file holds .*truncated/);
  });
  it('parameter-block pointer out of range; not C3D; unknown processor', () => {
    for (const ptr of [0, 1]) {
      const b = good.slice();
      b[0] = ptr;
      expectC3dError(() => readC3d(b, name), 'IMPORT_BAD_HEADER', new RegExp(`parameter-block pointer ${ptr} is out of range`));
    }
    const small = good.slice(0, 512 * 30);
    small[0] = 31;
    expectC3dError(() => readC3d(small, name), 'IMPORT_BAD_HEADER', /parameter-block pointer 31 is out of range \(the file has 30 blocks/);
    const notC3d = good.slice();
    notC3d[1] = 0x42;
    expectC3dError(() => readC3d(notC3d, name), 'IMPORT_BAD_HEADER', /not a C3D file/);
    const proc = good.slice();
    proc[512 + 3] = 99;
    expectC3dError(() => readC3d(proc, name), 'IMPORT_UNSUPPORTED', /unknown processor type 99/);
  });
  it('a 4 G frame count (TRIAL:ACTUAL_END_FIELD = 0xFFFFFFFF)', () => {
    const b = good.slice();
    const at = Buffer.from(b).indexOf('ACTUAL_END_FIELD', 512, 'latin1');
    expect(at).toBeGreaterThan(512);
    const v = at + 'ACTUAL_END_FIELD'.length + 2 + 3; // pointer, type, 1 dimension, its size
    expect([b[v - 3], b[v - 2], b[v - 1]]).toEqual([2, 1, 2]);
    b.set([0xff, 0xff, 0xff, 0xff], v);
    expectC3dError(() => readC3d(b, name), 'IMPORT_BAD_HEADER', /absurd frame count 4294967295/);
  });
  it('a missing file is NOT_FOUND naming it', () => {
    expectC3dError(() => readC3dFile('/nonexistent/trial.c3d'), 'NOT_FOUND', /cannot read/, 'trial.c3d');
  });
});
