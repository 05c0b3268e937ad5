/** `twin c3d <file> --json` (issue 21 §8): header, groups, labels and rates of the real trial; errors name the file. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runC3d } from './cliC3d.js';
import { dataPath, describeData } from '../../tests/helpers/data.js';

afterEach(() => vi.restoreAllMocks());

/** Runs the CLI with stdout/stderr captured. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '',
    err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += a.join(' ') + '\n'));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (err += a.join(' ') + '\n'));
  const code = await runC3d(argv);
  vi.restoreAllMocks();
  return { code, out, err };
}

describeData('twin c3d on the real trial', () => {
  it('prints the header, groups, labels and rates as JSON', async () => {
    const r = await run([dataPath('emg/markers_analogs.c3d'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.header).toMatchObject({ processor: 'intel', format: 'float', frames: 580, points: 51, analogChannels: 38, analogSamplesPerFrame: 20 });
    expect(j.rates).toEqual({ pointHz: 100, analogHz: 2000 });
    expect(j.labels.analogs[6]).toBe('Delt_ant.EMG1');
    expect(j.labels.points).toHaveLength(51);
    expect(j.groups.POINT.params.USED).toMatchObject({ type: 'int16', dims: [], values: [51] });
    expect(j.groups.ANALOG.params.LABELS.dims).toEqual([32, 38]);
    expect(Object.keys(j.groups)).toEqual(['TRIAL', 'SUBJECTS', 'POINT', 'ANALOG', 'FORCE_PLATFORM', 'EVENT_CONTEXT', 'EVENT', 'MANUFACTURER', 'ANALYSIS']);
  });
  it('prints a summary without --json', async () => {
    const r = await run([dataPath('emg/markers_analogs.c3d')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('38 analog channels at 2000 Hz');
  });
});

describe('twin c3d errors', () => {
  it('a truncated file: exit 1, the message names the file and the reason', async () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'c3d-')), 'short.c3d');
    fs.writeFileSync(f, Buffer.alloc(100));
    const r = await run([f, '--json']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/short\.c3d: only 100 bytes/);
  });
  it('bad usage: exit 2', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['a.c3d', '--bogus'])).code).toBe(2);
  });
});
