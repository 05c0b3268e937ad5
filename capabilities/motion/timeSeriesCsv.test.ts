/**
 * Plain time-series CSV exports of EMG software (analogCsv.ts
 * `parseTimeSeriesCsv`, read as a motion trial by trial.ts): the real trial's
 * channels written by this test the way a European spreadsheet export writes
 * them (`;`, decimal commas, µV and mV columns, a time column in ms) read back
 * to the capture software's own values, give the same sEMG features as that
 * export, take their sites from the column names; malformed files are named
 * with the line and the reason.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAnalogCsv, parseTimeSeriesCsv } from './analogCsv.js';
import { readTrialBytes, trialFeatures } from './trial.js';
import { emgFeatures } from '../../electron/engine/signals/emg.js';
import { dataPath, describeData } from '../../tests/helpers/data.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describeData('a time-series CSV export of the real trial', () => {
  const src = parseAnalogCsv(fs.readFileSync(dataPath('emg/analogs.csv'), 'utf8'));
  const emg1 = src.find((c) => c.label === 'EMG1')!,
    emg2 = src.find((c) => c.label === 'EMG2')!;
  const n = emg1.samples.length;
  const rows = ['# exported by a spreadsheet', 'Time [ms];Erector spinae L4 left [µV];Erector spinae L4 right (mV)'];
  for (let i = 0; i < n; i++)
    rows.push(
      `${((i / 2000) * 1000).toFixed(1).replace('.', ',')};${(emg1.samples[i]! * 1e6).toFixed(4).replace('.', ',')};${(emg2.samples[i]! * 1e3).toFixed(7).replace('.', ',')}`,
    );
  const text = rows.join('\r\n') + '\r\n';

  it('reads back the capture software’s values in V at the rate of the time column', () => {
    const ch = parseTimeSeriesCsv(text);
    expect(ch.map((c) => [c.label, c.unit, c.rateHz, c.samples.length])).toEqual([
      ['Erector spinae L4 left', 'V', 2000, n],
      ['Erector spinae L4 right', 'V', 2000, n],
    ]);
    for (let i = 0; i < n; i += 97) {
      expect(Math.abs(ch[0]!.samples[i]! - emg1.samples[i]!)).toBeLessThan(1e-10);
      expect(Math.abs(ch[1]!.samples[i]! - emg2.samples[i]!)).toBeLessThan(1e-10);
    }
  });

  it('is a trial whose sEMG features, sites and symmetry come from the columns', () => {
    const trial = readTrialBytes(enc(text), 'cometa-export.csv');
    expect(trial.format).toBe('time-series-csv');
    expect(trial.channels.map((c) => [c.kind, c.muscle, c.level, c.side])).toEqual([
      ['emg', 'Erector spinae', 'L4', 'left'],
      ['emg', 'Erector spinae', 'L4', 'right'],
    ]);
    const { features } = trialFeatures(trial);
    const ref = emgFeatures(emg1.samples, 2000);
    const rms = features.find((f) => f.name === 'emg.rms' && f.channel === 'Erector spinae L4 left')!.value!;
    expect(Math.abs(rms - ref.rmsV) / ref.rmsV).toBeLessThan(1e-6);
    expect(features.find((f) => f.name === 'emg.mdf' && f.channel === 'Erector spinae L4 left')!.value).toBeCloseTo(ref.mdfHz!, 3);
    expect(features.filter((f) => f.name === 'emg.symmetry_rms').map((f) => [f.level, f.side])).toEqual([['L4', 'bilateral']]);
  });
});

describe('time-series CSV errors', () => {
  it('names the line and the reason', () => {
    expect(() => parseTimeSeriesCsv('EMG1,EMG2\n1,2\n')).toThrow(/line 1 should be a header row whose first column is the time/);
    expect(() => parseTimeSeriesCsv('time,EMG1\n0,1\n0.001,x\n')).toThrow(/line 3, column EMG1: "x" is not a number/);
    expect(() => parseTimeSeriesCsv('time,EMG1\n0,1\n0.001,2\n0.003,2\n0.004,2\n')).toThrow(/line 4: the time step 0.002 s differs from the median 0.001 s/);
    expect(() => parseTimeSeriesCsv('time,EMG1,EMG2\n0,1,2\n0.001,2\n')).toThrow(/line 3: 2 columns, the header has 3/);
    expect(() => parseTimeSeriesCsv('time,EMG1\n0,1\n')).toThrow(/1 data rows: at least 2/);
    expect(() => readTrialBytes(enc('a,b\n1,2\n'), 'notes.csv')).toThrow(
      /^notes\.csv: not a time-series export: .*\(a motion trial is a C3D file, an analog CSV export/,
    );
  });
});
