/**
 * `twin opensim` (issue 21 §6): the real trial gives a .trc of its 51 markers
 * and a .sto of its 38 sEMG channels' envelopes; a C3D with POINT:ANGLES
 * also gives a .mot of them (and keeps them out of the .trc); bad usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runOpensim, storageLabels } from './cliOpensim.js';
import { readC3dFile, writeC3dFile, type C3dGroup } from '../../electron/io/c3d.js';
import { readStorage, readTrc } from '../../electron/io/opensim.js';
import { emgFeatures } from '../../electron/engine/signals/emg.js';
import { dataPath, describeData } from '../../tests/helpers/data.js';
import { tmpDir } from '../../tests/helpers/tmp.js';

const tmp = tmpDir('orthotwin-opensim-cli-');
afterAll(() => tmp.cleanup());
afterEach(() => vi.restoreAllMocks());

/** Runs the CLI with stdout/stderr captured. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '',
    err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += a.join(' ') + '\n'));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (err += a.join(' ') + '\n'));
  const code = await runOpensim(argv);
  vi.restoreAllMocks();
  return { code, out, err };
}

describeData('twin opensim on the real trial', () => {
  it('writes <name>_markers.trc and <name>_emg_envelope.sto (no angles in this file) and lists them as JSON', async () => {
    const dir = path.join(tmp.dir, 'real');
    const r = await run([dataPath('emg/markers_analogs.c3d'), '--out', dir, '--json']);
    expect(r.code, r.err).toBe(0);
    const list = JSON.parse(r.out) as { file: string; kind: string; rows: number; columns: number }[];
    expect(list).toEqual([
      { file: path.join(dir, 'markers_analogs_markers.trc'), kind: 'markers', rows: 580, columns: 2 + 3 * 51 },
      { file: path.join(dir, 'markers_analogs_emg_envelope.sto'), kind: 'emg-envelope', rows: 11600, columns: 39 },
    ]);
    expect(fs.readdirSync(dir).sort()).toEqual(['markers_analogs_emg_envelope.sto', 'markers_analogs_markers.trc']);
    const c3d = readC3dFile(dataPath('emg/markers_analogs.c3d'));
    const trc = readTrc(fs.readFileSync(list[0]!.file, 'utf8'), list[0]!.file);
    expect(trc.markers).toEqual(c3d.labels.points);
    expect(trc.timeS.length).toBe(580);
    const sto = readStorage(fs.readFileSync(list[1]!.file, 'utf8'), list[1]!.file);
    expect(sto.inDegrees).toBe(false);
    expect(sto.columns.map((c) => c.label)).toEqual(storageLabels(c3d.labels.analogs));
    expect(sto.columns[9]!.label).toBe('Sensor_12.EMG12');
    const k = 6; // Delt_ant.EMG1
    const n = c3d.analogSamples;
    expect(sto.columns[k]!.values).toEqual(emgFeatures(c3d.analogs.slice(k * n, (k + 1) * n), 2000).signals.envelope);
    expect(sto.timeS[11599]).toBeCloseTo(11599 / 2000, 12);
  });

  it('--rotate z-up-to-y-up writes (x, z, −y) and says so', async () => {
    const dir = path.join(tmp.dir, 'rot');
    const r = await run([dataPath('emg/markers_analogs.c3d'), '--out', dir, '--rotate', 'z-up-to-y-up']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/rotated from the Z-up lab frame to Y-up/);
    const c3d = readC3dFile(dataPath('emg/markers_analogs.c3d'));
    const trc = readTrc(fs.readFileSync(path.join(dir, 'markers_analogs_markers.trc'), 'utf8'));
    expect(Array.from(trc.coordinates.slice(0, 3), Math.fround)).toEqual([c3d.points[0], c3d.points[2], -c3d.points[1]!]);
  });
});

describe('twin opensim on a C3D with angles', () => {
  const str = (name: string, values: string[]): C3dGroup['params'][string] => ({
    name,
    type: 'char',
    dims: [Math.max(1, ...values.map((v) => v.length)), values.length],
    values,
    description: '',
    locked: false,
  });
  const file = path.join(tmp.dir, 'gait.c3d');
  const frames = 4;
  const points = new Float32Array(frames * 3 * 4);
  for (let f = 0; f < frames; f++)
    for (let p = 0; p < 3; p++) points.set([f + 10 * p, f + 10 * p + 1, f + 10 * p + 2, p === 2 && f === 1 ? -1 : 0], (f * 3 + p) * 4);
  writeC3dFile(file, {
    header: { firstFrame: 1, maxInterpolationGap: 0, scaleFactor: -1, analogSamplesPerFrame: 0, frameRateHz: 100, events: [], fourCharEventLabels: true },
    groups: {
      POINT: {
        id: 1,
        name: 'POINT',
        description: '',
        locked: false,
        params: {
          LABELS: str('LABELS', ['LASI', 'RASI', 'LHipAngles']),
          UNITS: { ...str('UNITS', ['mm']), dims: [2] },
          ANGLES: str('ANGLES', ['LHipAngles']),
          ANGLE_UNITS: { ...str('ANGLE_UNITS', ['deg']), dims: [3] },
        },
      },
      ANALOG: { id: 2, name: 'ANALOG', description: '', locked: false, params: {} },
    },
    frameCount: frames,
    pointCount: 3,
    analogCount: 0,
    points,
    analogs: new Float64Array(0),
  });

  it('the angles go to <name>_angles.mot (inDegrees=yes, <label>_x/_y/_z, invalid frame NaN), not into the .trc; no .sto', async () => {
    const dir = path.join(tmp.dir, 'gait');
    const r = await run([file, '--out', dir]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/gait_markers\.trc {2}\(markers: 4 rows × 8 columns\)/);
    expect(r.out).toMatch(/not rotated/);
    expect(fs.readdirSync(dir).sort()).toEqual(['gait_angles.mot', 'gait_markers.trc']);
    expect(readTrc(fs.readFileSync(path.join(dir, 'gait_markers.trc'), 'utf8')).markers).toEqual(['LASI', 'RASI']);
    const mot = readStorage(fs.readFileSync(path.join(dir, 'gait_angles.mot'), 'utf8'));
    expect(mot.inDegrees).toBe(true);
    expect(mot.columns.map((c) => c.label)).toEqual(['LHipAngles_x', 'LHipAngles_y', 'LHipAngles_z']);
    expect(Array.from(mot.columns[0]!.values)).toEqual([20, NaN, 22, 23]);
    expect(Array.from(mot.timeS)).toEqual([0, 0.01, 0.02, 0.03]);
  });
});

describe('twin opensim usage and errors', () => {
  it('bad usage exits 2; an unreadable file exits 1 naming it', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['a.c3d'])).code).toBe(2);
    expect((await run(['a.c3d', '--out', tmp.dir, '--rotate', 'x'])).code).toBe(2);
    expect((await run(['a.c3d', '--out', tmp.dir, '--bogus'])).code).toBe(2);
    const r = await run([path.join(tmp.dir, 'nope.c3d'), '--out', tmp.dir]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nope\.c3d: cannot read/);
  });
  it('storage labels: white space to _, duplicates numbered', () => {
    expect(storageLabels(['Sensor 1.IM EMG1', 'a', 'a', ' '])).toEqual(['Sensor_1.IM_EMG1', 'a', 'a_2', 'channel']);
  });
});
