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
