/**
 * Reader of the analog CSV export of motion-capture software (Vicon Nexus
 * layout, as `../shared/data/emg/analogs.csv`): a section title line
 * ("Devices"), the analog rate (Hz), a device-name row, a label row starting
 * `Frame,Sub Frame`, a unit row, then one row per analog sample (frame,
 * sub-frame, one value per channel) up to an empty line or the end. Pure:
 * takes the file's text, returns the channels (`Float64Array` per channel,
 * in the unit row's unit).
 * Errors: a missing rate, label or unit row, or a non-numeric cell, named
 * with its line (1-based) and column label.
 */
import { VOLTS_PER_UNIT } from '../../electron/contract/devices.js';

export interface AnalogChannel {
  label: string;
  unit: string;
  /** device name of the column (the export's device row, carried over blank cells) */
  device: string;
  rateHz: number;
  samples: Float64Array;
}

export function parseAnalogCsv(text: string): AnalogChannel[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /^Frame,\s*Sub Frame/i.test(l));
  if (start < 2) throw new Error('not an analog CSV export: no "Frame,Sub Frame" label row after a rate line');
  const rateHz = Number(lines[start - 2]!.split(',')[0]);
  if (!(rateHz > 0)) throw new Error(`not an analog CSV export: line ${start - 1} should hold the analog rate in Hz`);
  const devRow = lines[start - 1]!.split(',');
  const labels = lines[start]!.split(',').map((s) => s.trim());
  const units = (lines[start + 1] ?? '').split(',').map((s) => s.trim());
  const nc = labels.length - 2;
  if (nc < 1) throw new Error('the analog CSV export has no channel columns');
  const cols: number[][] = Array.from({ length: nc }, () => []);
  for (let li = start + 2; li < lines.length; li++) {
    const line = lines[li]!;
    if (line.trim() === '') break;
    const cells = line.split(',');
    for (let c = 0; c < nc; c++) {
      const s = (cells[c + 2] ?? '').trim();
      const v = s === '' ? NaN : Number(s);
      if (!Number.isFinite(v)) throw new Error(`line ${li + 1}, column ${labels[c + 2]}: "${s}" is not a number`);
      cols[c]!.push(v);
    }
  }
  let dev = '';
  return labels.slice(2).map((label, c) => {
    const d = (devRow[c + 2] ?? '').trim();
    if (d) dev = d;
    return { label, unit: units[c + 2] || 'V', device: dev, rateHz, samples: Float64Array.from(cols[c]!) };
  });
}

/**
 * Reader of a plain time-series export (a header row of column labels, then one row per sample, the first column
 * the time): the layout spreadsheet-style exports of EMG acquisition software share (e.g. a "Time [s];EMG 1 [mV];…"
 * export; the Cometa EMG and Motion Tools CSV layout itself is not publicly documented, so this reader makes no
 * vendor-specific assumption). Delimiter `,`, `;` or tab (from the header row); with `;` or tab a decimal comma is
 * accepted. A column's unit comes from `label [unit]` or `label (unit)`; V, mV and µV/uV columns are converted to V,
 * other units are kept. The time column (`time`, `t`, `x`, `sample time`…, in s or ms, s when no unit) sets the rate:
 * 1 / the median step, which must hold within 1 % for every step (uniform sampling). Lines starting with `#` and
 * blank lines before the header are skipped.
 * @throws Error naming the line (1-based) and the reason: no header with a time column and a channel, a non-numeric
 *   cell, a row of another width, fewer than 2 rows, non-uniform or non-increasing times
 */
export function parseTimeSeriesCsv(text: string): AnalogChannel[] {
  const lines = text.split(/\r?\n/);
  let h = 0;
  while (h < lines.length && (lines[h]!.trim() === '' || lines[h]!.trim().startsWith('#'))) h++;
  const header = lines[h] ?? '';
  const delim = header.includes('\t') ? '\t' : header.includes(';') ? ';' : ',';
  const heads = header.split(delim).map((s) => s.trim().replace(/^"|"$/g, ''));
  const parsed = heads.map((s) => {
    const m = /^(.*?)\s*[[(]\s*([^\])]*)\s*[\])]\s*$/.exec(s);
    return m ? { label: m[1]!.trim(), unit: m[2]!.trim() } : { label: s, unit: '' };
  });
  if (heads.length < 2 || !/^(time|t|x|sample time|timestamp|seconds?)$/i.test(parsed[0]!.label))
    throw new Error(
      `not a time-series export: line ${h + 1} should be a header row whose first column is the time (e.g. "Time [s]") followed by channel columns`,
    );
  const tScale = /^ms$/i.test(parsed[0]!.unit) ? 1e-3 : 1;
  const num = (s: string): number => {
    const t = s.trim().replace(/^"|"$/g, '');
    return t === '' ? NaN : Number(delim === ',' ? t : t.replace(',', '.'));
  };
  const t: number[] = [];
  const cols: number[][] = heads.slice(1).map(() => []);
  for (let li = h + 1; li < lines.length; li++) {
    const line = lines[li]!;
    if (line.trim() === '') break;
    const cells = line.split(delim);
    if (cells.length < heads.length) throw new Error(`line ${li + 1}: ${cells.length} columns, the header has ${heads.length}`);
    const tv = num(cells[0]!) * tScale;
    if (!Number.isFinite(tv)) throw new Error(`line ${li + 1}, column ${heads[0]}: "${cells[0]}" is not a number`);
    t.push(tv);
    for (let c = 1; c < heads.length; c++) {
      const v = num(cells[c]!);
      if (!Number.isFinite(v)) throw new Error(`line ${li + 1}, column ${heads[c]}: "${cells[c]}" is not a number`);
      cols[c - 1]!.push(v);
    }
  }
  if (t.length < 2) throw new Error(`the time-series export has ${t.length} data rows: at least 2 are needed`);
  const steps = t.slice(1).map((v, i) => v - t[i]!);
  const step = [...steps].sort((a, b) => a - b)[steps.length >> 1]!;
  if (!(step > 0)) throw new Error('the time column does not increase');
  const bad = steps.findIndex((s) => Math.abs(s - step) > 0.01 * step);
  if (bad >= 0) throw new Error(`line ${h + 3 + bad}: the time step ${steps[bad]} s differs from the median ${step} s: the samples are not uniform`);
  const rateHz = Math.round((1 / step) * 1e6) / 1e6;
  return parsed.slice(1).map(({ label, unit }, c) => {
    const k = VOLTS_PER_UNIT[unit];
    const samples = Float64Array.from(cols[c]!);
    if (k !== undefined && k !== 1) for (let i = 0; i < samples.length; i++) samples[i]! *= k;
    return { label, unit: k !== undefined ? 'V' : unit, device: '', rateHz, samples };
  });
}
