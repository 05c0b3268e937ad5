/**
 * OpenSim .trc / .mot / .sto (issue 21 §6): round trips, files laid out as
 * opensim-core's own test data, malformed input, the real trial's markers
 * against the C3D reader and its sEMG envelopes, each export also parsed by
 * an independent numpy reader (tests/helpers/opensimPeer.py) that skips the
 * header as OpenSim's adapters do.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { IDENTITY, Z_UP_TO_Y_UP, c3dToTrc, motionToMot, readStorage, readTrc, writeStorage, writeTrc } from './opensim.js';
import { readC3dFile } from './c3d.js';
import { emgFeatures } from '../engine/signals/emg.js';
import { dataPath, describeData, projectRoot } from '../../tests/helpers/data.js';
import { tmpDir } from '../../tests/helpers/tmp.js';

const tmp = tmpDir('orthotwin-opensim-');
afterAll(() => tmp.cleanup());

const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import numpy'], { encoding: 'utf8' });
const peerReason = probe.error ? `${PY} is absent` : probe.status !== 0 ? `numpy is not importable by ${PY}` : null;
if (peerReason) console.warn(`[skipped] OpenSim files vs numpy: ${peerReason}`);

/** The numpy peer's reading of a file (null when python3/numpy are absent). */
function peer<T>(kind: 'trc' | 'sto', file: string): T | null {
  if (peerReason) return null;
  const r = spawnSync(PY, [path.join(projectRoot, 'tests', 'helpers', 'opensimPeer.py'), kind, file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`opensimPeer.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

describe('TRC', () => {
  const markers = ['RASI', 'LASI', 'C7'];
  const coords = Float64Array.from([1, 2, 3, 4, 5, 6, NaN, NaN, NaN, 1.5, -2.25, 3e-7, 4, 5, 6, 7, 8, 9]);

  it('writes the OpenSim layout and reads it back exactly; a missing marker is three empty fields, the row ends in a tab', () => {
    const text = writeTrc({ fileName: 'walk.trc', markers, rateHz: 100, units: 'mm', coordinates: coords, firstFrame: 11 });
    const lines = text.split('\n');
    expect(lines[0]).toBe('PathFileType\t4\t(X/Y/Z)\twalk.trc');
    expect(lines[1]).toBe('DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames');
    expect(lines[2]).toBe('100\t100\t2\t3\tmm\t100\t11\t2');
    expect(lines[3]).toBe('Frame#\tTime\tRASI\t\t\tLASI\t\t\tC7\t\t\t');
    expect(lines[4]).toBe('\t\tX1\tY1\tZ1\tX2\tY2\tZ2\tX3\tY3\tZ3\t');
    expect(lines[5]).toBe('');
    expect(lines[6]).toBe('11\t0\t1\t2\t3\t4\t5\t6\t\t\t\t');
    expect(lines[7]).toBe('12\t0.01\t1.5\t-2.25\t3e-7\t4\t5\t6\t7\t8\t9\t');
    const back = readTrc(text, 'walk.trc');
    expect(back).toMatchObject({ fileName: 'walk.trc', markers, rateHz: 100, cameraRateHz: 100, units: 'mm', origDataStartFrame: 11, origNumFrames: 2 });
    expect(Array.from(back.frameNumbers)).toEqual([11, 12]);
    expect(Array.from(back.timeS)).toEqual([0, 0.01]);
    expect(Array.from(back.coordinates)).toEqual(Array.from(coords));
  });

  it('rotates only when asked: Z_UP_TO_Y_UP maps (x, y, z) to (x, z, −y)', () => {
    const one = Float64Array.from([10, 20, 30]);
    const plain = readTrc(writeTrc({ fileName: 'a', markers: ['M'], rateHz: 50, units: 'm', coordinates: one }));
    expect(Array.from(plain.coordinates)).toEqual([10, 20, 30]);
    expect(
      Array.from(readTrc(writeTrc({ fileName: 'a', markers: ['M'], rateHz: 50, units: 'm', coordinates: one }, { rotation: IDENTITY })).coordinates),
    ).toEqual([10, 20, 30]);
    const rotated = readTrc(writeTrc({ fileName: 'a', markers: ['M'], rateHz: 50, units: 'm', coordinates: one }, { rotation: Z_UP_TO_Y_UP }));
    expect(Array.from(rotated.coordinates)).toEqual([10, 30, -20]);
  });

  it('float32 coordinates are written with the shortest decimal that reads back as the same float32', () => {
    const f = Float32Array.from([0.1, 675.6968383789062, -276.8619384765625, 1e-8, 123456.7, -1.25]);
    const text = writeTrc({ fileName: 'f', markers: ['A', 'B'], rateHz: 1, units: 'mm', coordinates: f });
    expect(text.split('\n')[6]).toBe('1\t0\t0.1\t675.69684\t-276.86194\t1e-8\t123456.7\t-1.25\t');
    const back = readTrc(text).coordinates;
    for (let i = 0; i < f.length; i++) expect(Math.fround(back[i]!)).toBe(f[i]);
  });

  it("reads a file laid out as opensim-core's test data (constraintTest.trc: spaces in the first line, padded values, no trailing tab)", () => {
    const text = [
      'PathFileType  4\t(X/Y/Z) C:\\Inversekin\\trial',
      'DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames',
      '  200.0\t  200.0\t   3\t     2\tmm\t  200.0\t      1\t   3',
      'Frame#\tTime\tR.Shoulder\t\t\tR.Clavicle\t\t\t',
      '\t\tX1\tY1\tZ1\tX2\tY2\tZ2\t',
      '',
      '1\t0.00000\t90.174\t1884.322\t-1717.028\t183.195\t1841.400\t-1857.356',
      '2\t0.00500\t\t\t\t183.195\t1841.400\t-1857.356', // a missing first marker (a missing last one needs the trailing tab)
      '3\t0.01000\t91.335\t1871.687\t-1714.792\t183.083\t1829.531\t-1857.122',
      '',
    ].join('\r\n');
    const t = readTrc(text, 'constraintTest.trc');
    expect(t).toMatchObject({ markers: ['R.Shoulder', 'R.Clavicle'], rateHz: 200, units: 'mm', origNumFrames: 3 });
    expect(Array.from(t.timeS)).toEqual([0, 0.005, 0.01]);
    expect(Array.from(t.coordinates.slice(6, 12))).toEqual([NaN, NaN, NaN, 183.195, 1841.4, -1857.356]);
    expect(t.coordinates[17]).toBe(-1857.122);
  });

  it('malformed files: the error names the file, the line and the reason', () => {
    const good = writeTrc({ fileName: 'g', markers: ['A'], rateHz: 10, units: 'mm', coordinates: Float64Array.from([1, 2, 3, 4, 5, 6]) });
    const lines = good.split('\n');
    const variant = (i: number, s: string): string => lines.map((l, k) => (k === i ? s : l)).join('\n');
    expect(() => readTrc('hello\n', 'x.trc')).toThrow(/x\.trc: line 1: not a TRC file/);
    expect(() => readTrc(variant(1, 'DataRate\tNumFrames'), 'x.trc')).toThrow(/x\.trc: line 2: expected the keys/);
    expect(() => readTrc(variant(3, 'Frame#\tTime\tA\tB'), 'x.trc')).toThrow(/line 4: 2 marker labels, NumMarkers says 1/);
    expect(() => readTrc(variant(4, '\t\tX1\tY1\tZ2'), 'x.trc')).toThrow(/line 5: expected Z1, found Z2/);
    expect(() => readTrc(variant(7, '2\t0.1\t4\t5'), 'x.trc')).toThrow(/line 8: 4 fields, expected 5/);
    expect(() => readTrc(variant(7, '2\t0.1\t4\tfive\t6\t'), 'x.trc')).toThrow(/line 8: A Y "five" is not a number/);
    expect(() => readTrc(lines.slice(0, 7).join('\n'), 'x.trc')).toThrow(/x\.trc: NumFrames says 2 but there are 1 data rows/);
    expect(() => writeTrc({ fileName: 'w.trc', markers: ['A', 'A'], rateHz: 10, units: 'mm', coordinates: new Float64Array(6) })).toThrow(
      /w\.trc: marker label "A" appears twice/,
    );
    expect(() => writeTrc({ fileName: 'w.trc', markers: ['A'], rateHz: 10, units: 'mm', coordinates: new Float64Array(4) })).toThrow(
      /w\.trc: 4 coordinates are not frames × 1 markers × 3/,
    );
    expect(() => writeTrc({ fileName: 'w.trc', markers: ['A\tB'], rateHz: 10, units: 'mm', coordinates: new Float64Array(3) })).toThrow(/tab or a line break/);
  });
});

describe('storage (.mot / .sto)', () => {
  it('writes the version-1 header and reads it back exactly (NaN kept)', () => {
    const timeS = Float64Array.from([0, 0.01, 0.02]);
    const text = motionToMot({
      name: 'Coordinates',
      timeS,
      inDegrees: true,
      columns: [
        { label: 'hip_flexion_r', values: [10, 11.5, NaN] },
        { label: 'knee_angle_r', values: Float64Array.from([-5, -4.25, 1e-12]) },
      ],
    });
    expect(text).toBe(
      'Coordinates\nversion=1\nnRows=3\nnColumns=3\ninDegrees=yes\nendheader\ntime\thip_flexion_r\tknee_angle_r\n0\t10\t-5\n0.01\t11.5\t-4.25\n0.02\tNaN\t1e-12\n',
    );
    expect(motionToMot).toBe(writeStorage);
    const back = readStorage(text, 'ik.mot');
    expect(back.name).toBe('Coordinates');
    expect(back.inDegrees).toBe(true);
    expect(back.header).toMatchObject({ version: '1', nRows: '3', nColumns: '3' });
    expect(Array.from(back.timeS)).toEqual([0, 0.01, 0.02]);
    expect(back.columns.map((c) => c.label)).toEqual(['hip_flexion_r', 'knee_angle_r']);
    expect(Array.from(back.columns[0]!.values)).toEqual([10, 11.5, NaN]);
    expect(Array.from(back.columns[1]!.values)).toEqual([-5, -4.25, 1e-12]);
  });

  it("reads a SIMM-style .mot laid out as opensim-core's std_subject01_walk1_ik.mot (name line, blank line, keyless lines)", () => {
    const text = [
      'first trial',
      'nRows=2',
      'nColumns=3',
      '',
      '# SIMM Motion File Header:',
      'name first trial',
      'datacolumns 3',
      'datarows 2',
      'range 0.400000 0.417000',
      'endheader',
      'time\tpelvis_tilt\tknee_angle_r',
      '0.4\t5.21211788\t-55.15907196',
      '0.417\t5.19040076\t-50.29830241',
    ].join('\n');
    const s = readStorage(text, 'walk_ik.mot');
    expect(s.name).toBe('first trial');
    expect(s.inDegrees).toBeNull();
    expect(Array.from(s.timeS)).toEqual([0.4, 0.417]);
    expect(Array.from(s.columns[1]!.values)).toEqual([-55.15907196, -50.29830241]);
  });

  it('malformed input: readers and writers name the file and the reason', () => {
    expect(() => readStorage('a\nb\n', 'x.sto')).toThrow(/x\.sto: no 'endheader' line/);
    expect(() => readStorage('n\nendheader\nt\ta\n0\t1\n', 'x.sto')).toThrow(/x\.sto: line 3: the first column label must be time/);
    expect(() => readStorage('n\nendheader\ntime\ta\n0\t1\t2\n', 'x.sto')).toThrow(/line 4: 3 values for 2 columns/);
    expect(() => readStorage('n\nendheader\ntime\ta\n0\tx\n', 'x.sto')).toThrow(/line 4: a "x" is not a number/);
    expect(() => readStorage('n\nnRows=3\nendheader\ntime\ta\n0\t1\n', 'x.sto')).toThrow(/x\.sto: nRows=3 but there are 1 data rows/);
    expect(() => readStorage('n\nnColumns=4\nendheader\ntime\ta\n0\t1\n', 'x.sto')).toThrow(/nColumns=4 but the labels name 2 columns/);
    const base = { name: 'env', timeS: [0, 1], inDegrees: false };
    expect(() => writeStorage({ ...base, columns: [{ label: 'Sensor 12', values: [1, 2] }] })).toThrow(/env: column label "Sensor 12" contains white space/);
    expect(() => writeStorage({ ...base, columns: [{ label: 'a', values: [1] }] })).toThrow(/env: column a has 1 values for 2 times/);
    expect(() => writeStorage({ ...base, timeS: [0, 0], columns: [] })).toThrow(/times must increase strictly/);
    expect(() => writeStorage({ ...base, name: 'a=b', columns: [] })).toThrow(/without '='/);
    expect(() => writeStorage({ ...base, columns: [{ label: 'time', values: [1, 2] }] })).toThrow(/may not be labelled time/);
  });
});

describeData('the real trial (pyomeca markers_analogs.c3d)', () => {
  const c3d = readC3dFile(dataPath('emg/markers_analogs.c3d'));

  it('markers → .trc: the C3D labels, rate, frame count and coordinates; invalid points empty (NaN); numpy reads the same', () => {
    const file = path.join(tmp.dir, 'markers_analogs_markers.trc');
    fs.writeFileSync(file, writeTrc(c3dToTrc(c3d, path.basename(file))));
    const t = readTrc(fs.readFileSync(file, 'utf8'), file);
    expect(t.markers).toEqual(c3d.labels.points);
    expect(t).toMatchObject({ rateHz: 100, units: 'mm', origDataStartFrame: c3d.header.firstFrame });
    expect(t.timeS.length).toBe(c3d.frameCount);
    expect(t.timeS[579]).toBeCloseTo(5.79, 12);
    let invalid = 0;
    for (let f = 0; f < c3d.frameCount; f++)
      for (let k = 0; k < c3d.pointCount; k++) {
        const s = (f * c3d.pointCount + k) * 4;
        const o = (f * c3d.pointCount + k) * 3;
        if (c3d.points[s + 3]! < 0) {
          invalid++;
          expect([t.coordinates[o], t.coordinates[o + 1], t.coordinates[o + 2]]).toEqual([NaN, NaN, NaN]);
        } else for (let a = 0; a < 3; a++) expect(Math.fround(t.coordinates[o + a]!)).toBe(c3d.points[s + a]);
      }
    expect(invalid).toBe(305);
    const py = peer<{ meta: Record<string, string>; labels: string[]; frame: number[]; time: number[]; xyz: (number | null)[][] }>('trc', file);
    if (!py) return;
    expect(py.meta).toMatchObject({ DataRate: '100', NumFrames: '580', NumMarkers: '51', Units: 'mm' });
    expect(py.labels).toEqual(c3d.labels.points);
    expect(py.frame[0]).toBe(c3d.header.firstFrame);
    expect(py.time).toEqual(Array.from(t.timeS));
    expect(py.xyz.flat()).toEqual(Array.from(t.coordinates, (v) => (Number.isNaN(v) ? null : v)));
  });

  it('sEMG linear envelopes → .sto (inDegrees=no, one column per channel label, V): exact round trip, numpy reads the same', () => {
    const channels = [6, 14, 18]; // Delt_ant.EMG1, Delt_med.EMG2, Trap_sup.EMG6
    const n = c3d.analogSamples;
    const columns = channels.map((k) => ({
      label: c3d.labels.analogs[k]!,
      values: emgFeatures(c3d.analogs.slice(k * n, (k + 1) * n), c3d.rates.analogHz).signals.envelope,
    }));
    const timeS = Float64Array.from({ length: n }, (_, i) => i / c3d.rates.analogHz);
    const file = path.join(tmp.dir, 'env.sto');
    fs.writeFileSync(file, writeStorage({ name: 'markers_analogs emg envelope', timeS, columns, inDegrees: false }));
    const s = readStorage(fs.readFileSync(file, 'utf8'), file);
    expect(s.inDegrees).toBe(false);
    expect(s.columns.map((c) => c.label)).toEqual(['Delt_ant.EMG1', 'Delt_med.EMG2', 'Trap_sup.EMG6']);
    expect(s.timeS.length).toBe(11600);
    for (let j = 0; j < columns.length; j++) expect(s.columns[j]!.values).toEqual(columns[j]!.values);
    expect(Math.max(...columns[0]!.values)).toBeGreaterThan(1e-5); // a real envelope, volts
    const py = peer<{ header: Record<string, string>; labels: string[]; data: number[][] }>('sto', file);
    if (!py) return;
    expect(py.header).toMatchObject({ version: '1', nRows: '11600', nColumns: '4', inDegrees: 'no' });
    expect(py.labels).toEqual(['time', 'Delt_ant.EMG1', 'Delt_med.EMG2', 'Trap_sup.EMG6']);
    expect(py.data.length).toBe(11600);
    for (let i = 0; i < n; i += 7) {
      expect(py.data[i]![0]).toBe(timeS[i]);
      for (let j = 0; j < columns.length; j++) expect(py.data[i]![j + 1]).toBe(columns[j]!.values[i]);
    }
  });
});
