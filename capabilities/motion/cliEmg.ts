/**
 * `npm run twin -- emg <file.c3d|file.csv> [--notch 50|60] [--json]`
 *
 * sEMG features of every analog channel of a capture's analog CSV export
 * (see analogCsv.ts): band-pass 20–450 Hz zero-phase, IEMG (V·s), RMS (V),
 * Welch MNF/MDF over 20–450 Hz, MDF slope over 1 s windows with 0.5 s step
 * (Hz/s), flat (all-zero) and saturated flags — the defaults of
 * electron/engine/signals/emg.ts, printed with `--json` as
 * `{"channels": [{"label","unit","rateHz","flat","saturated","iemgVs","rmsV","mnfHz","mdfHz","mdfSlopeHzPerS"}], "params": {…}}`
 * (spectral values null for a flat channel). A `.c3d` file gives its analog
 * channels (electron/io/c3d.ts: scaled to physical units, ANALOG:LABELS and
 * UNITS, the analog rate).
 * Exit code 0 on success, 1 on an error (naming the file), 2 on bad usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAnalogCsv, type AnalogChannel } from './analogCsv.js';
import { readC3dFile } from '../../electron/io/c3d.js';
import { c3dAnalogChannels } from './trial.js';
import { EMG_DEFAULTS, EMG_METHOD, emgFeatures, type EmgParams } from '../../electron/engine/signals/emg.js';

const USAGE = 'usage: twin emg <file.c3d|file.csv> [--notch 50|60] [--json]';

export async function runEmg(argv: string[]): Promise<number> {
  let file = '',
    json = false,
    notchHz: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--notch') {
      notchHz = Number(argv[++i]);
      if (notchHz !== 50 && notchHz !== 60) return (console.error(`--notch must be 50 or 60 (Hz)\n${USAGE}`), 2);
    } else if (a === '--data-dir') i++;
    else if (a.startsWith('--')) return (console.error(`unknown option ${a}\n${USAGE}`), 2);
    else if (!file) file = a;
    else return (console.error(`unexpected argument ${a}\n${USAGE}`), 2);
  }
  if (!file) return (console.error(USAGE), 2);
  try {
    let analogs: AnalogChannel[];
    if (/\.c3d$/i.test(file)) analogs = c3dAnalogChannels(readC3dFile(file));
    else {
      let text: string;
      try {
        text = await fs.promises.readFile(file, 'utf8');
      } catch (e) {
        throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
      }
      try {
        analogs = parseAnalogCsv(text);
      } catch (e) {
        throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
      }
    }
    const params: Partial<EmgParams> = { notchHz };
    const channels = analogs.map((c) => {
      const f = emgFeatures(c.samples, c.rateHz, params);
      return {
        label: c.label,
        unit: c.unit,
        rateHz: c.rateHz,
        flat: f.flat,
        saturated: f.saturated,
        iemgVs: f.iemgVs,
        rmsV: f.rmsV,
        mnfHz: f.mnfHz,
        mdfHz: f.mdfHz,
        mdfSlopeHzPerS: f.mdfSlopeHzPerS,
      };
    });
    const out = { file: path.resolve(file), channels, params: { ...EMG_DEFAULTS, ...params }, method: EMG_METHOD };
    if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    else {
      const fx = (v: number | null, d: number): string => (v === null ? '—' : v.toFixed(d));
      console.log(`${channels.length} channels at ${channels[0]?.rateHz ?? '?'} Hz from ${out.file}`);
      console.log('label            flat  sat  IEMG (V·s)   RMS (V)      MNF (Hz)  MDF (Hz)  MDF slope (Hz/s)');
      for (const c of channels)
        console.log(
          `${c.label.padEnd(16)} ${(c.flat ? 'yes' : 'no').padEnd(5)} ${(c.saturated ? 'yes' : 'no').padEnd(4)} ${c.iemgVs.toExponential(4).padEnd(12)} ${c.rmsV.toExponential(4).padEnd(12)} ${fx(c.mnfHz, 2).padEnd(9)} ${fx(c.mdfHz, 2).padEnd(9)} ${fx(c.mdfSlopeHzPerS, 3)}`,
        );
    }
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}
