/**
 * `npm run twin -- opensim <file.c3d> --out <dir> [--rotate z-up-to-y-up] [--notch 50|60] [--json]`
 *
 * A C3D trial as OpenSim files (electron/io/opensim.ts), in `<dir>`:
 * - `<name>_markers.trc` when the file has markers: every point not listed
 *   in POINT:ANGLES/FORCES/MOMENTS/POWERS/SCALARS/REACTIONS, in the lab frame
 *   and POINT:UNITS as recorded (no rotation unless `--rotate z-up-to-y-up`:
 *   (x, y, z) → (x, z, −y) for OpenSim's Y-up), invalid points as empty
 *   fields, Frame# from the C3D's first frame, time 0 at the first frame;
 * - `<name>_angles.mot` when POINT:ANGLES lists points: columns
 *   `<label>_x/_y/_z`, inDegrees from POINT:ANGLE_UNITS (deg unless it says
 *   rad), invalid frames NaN;
 * - `<name>_emg_envelope.sto` when the file has analog channels in V: each
 *   channel's linear envelope (V) as `emgFeatures` computes it with its
 *   defaults (band-pass 20–450 Hz zero phase, optional notch, |y − mean y|,
 *   6 Hz 2nd-order low-pass both ways) at the analog rate, inDegrees=no,
 *   one column per channel label (white space → '_', as OpenSim's legacy
 *   reader splits labels on it).
 * Prints the files written; `--json`: `[{"file","kind","rows","columns"}]`
 * (kind markers | angles | emg-envelope; rows = data rows, columns = fields
 * per row including Frame#/time).
 * Exit code 0 on success, 1 on an error (naming the file), 2 on bad usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readC3dFile, type C3dFile } from '../../electron/io/c3d.js';
import { Z_UP_TO_Y_UP, c3dModelledPointLabels, c3dToTrc, writeStorage, writeTrc, type StorageColumn } from '../../electron/io/opensim.js';
import { emgFeatures } from '../../electron/engine/signals/emg.js';

const USAGE = 'usage: twin opensim <file.c3d> --out <dir> [--rotate z-up-to-y-up] [--notch 50|60] [--json]';

export interface OpensimFile {
  file: string;
  kind: 'markers' | 'angles' | 'emg-envelope';
  rows: number;
  columns: number;
}

/** Labels usable as storage columns: white space → '_', duplicates suffixed _2, _3… */
export function storageLabels(labels: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const base = l.trim().replace(/\s+/g, '_') || 'channel';
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  });
}

/** The C3D's POINT:ANGLES points as storage columns `<label>_x/_y/_z` (invalid frames NaN) and whether they are degrees. */
export function c3dAngleColumns(c: C3dFile): { columns: StorageColumn[]; inDegrees: boolean } {
  const angles = new Set(c3dModelledPointLabels(c, ['ANGLES']));
  const idx = c.labels.points.map((l, k) => (angles.has(l) ? k : -1)).filter((k) => k >= 0);
  const names = storageLabels(idx.flatMap((k) => ['x', 'y', 'z'].map((a) => `${c.labels.points[k]}_${a}`)));
  const columns: StorageColumn[] = names.map((label) => ({ label, values: new Float64Array(c.frameCount) }));
  idx.forEach((k, j) => {
    for (let f = 0; f < c.frameCount; f++) {
      const s = (f * c.pointCount + k) * 4;
      const invalid = c.points[s + 3]! < 0;
      for (let a = 0; a < 3; a++) (columns[3 * j + a]!.values as Float64Array)[f] = invalid ? NaN : c.points[s + a]!;
    }
  });
  const units = Object.values(c.groups).find((g) => g.name.toUpperCase() === 'POINT')?.params['ANGLE_UNITS']?.values[0];
  return { columns, inDegrees: !/^\s*rad/i.test(String(units ?? 'deg')) };
}

export async function runOpensim(argv: string[]): Promise<number> {
  let file = '',
    out = '',
    json = false,
    rotate = false,
    notchHz: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--out') out = argv[++i] ?? '';
    else if (a === '--rotate') {
      const r = argv[++i];
      if (r !== 'z-up-to-y-up') return (console.error(`--rotate takes z-up-to-y-up (the only rotation offered)\n${USAGE}`), 2);
      rotate = true;
    } else if (a === '--notch') {
      notchHz = Number(argv[++i]);
      if (notchHz !== 50 && notchHz !== 60) return (console.error(`--notch must be 50 or 60 (Hz)\n${USAGE}`), 2);
    } else if (a === '--data-dir') i++;
    else if (a.startsWith('--')) return (console.error(`unknown option ${a}\n${USAGE}`), 2);
    else if (!file) file = a;
    else return (console.error(`unexpected argument ${a}\n${USAGE}`), 2);
  }
  if (!file || !out) return (console.error(USAGE), 2);
  try {
    const c = readC3dFile(file);
    const name = path.basename(file).replace(/\.c3d$/i, '');
    try {
      fs.mkdirSync(out, { recursive: true });
    } catch (e) {
      throw new Error(`${out}: cannot create the output folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
    }
    const written: OpensimFile[] = [];
    const save = (base: string, text: string, entry: Omit<OpensimFile, 'file'>): void => {
      const p = path.resolve(out, base);
      try {
        fs.writeFileSync(p, text);
      } catch (e) {
        throw new Error(`${p}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
      }
      written.push({ file: p, ...entry });
    };
    const tag = (e: unknown): Error => new Error(`${path.basename(file)}: ${(e as Error).message}`, { cause: e });

    const trc = c3dToTrc(c, `${name}_markers.trc`);
    if (trc.markers.length > 0 && c.frameCount > 0)
      save(trc.fileName, writeTrc(trc, rotate ? { rotation: Z_UP_TO_Y_UP } : {}), { kind: 'markers', rows: c.frameCount, columns: 2 + 3 * trc.markers.length });

    const angles = c3dAngleColumns(c);
    if (angles.columns.length > 0 && c.frameCount > 0) {
      const timeS = Float64Array.from({ length: c.frameCount }, (_, i) => i / c.rates.pointHz);
      save(`${name}_angles.mot`, writeStorage({ name: `${name} angles`, timeS, columns: angles.columns, inDegrees: angles.inDegrees }), {
        kind: 'angles',
        rows: c.frameCount,
        columns: 1 + angles.columns.length,
      });
    }

    const emg = c.labels.analogs.map((l, k) => k).filter((k) => /^v$/i.test((c.units.analogs[k] ?? '').trim()));
    if (emg.length > 0 && c.analogSamples > 0) {
      const n = c.analogSamples;
      const labels = storageLabels(emg.map((k) => c.labels.analogs[k]!));
      const columns = emg.map((k, j) => {
        try {
          return { label: labels[j]!, values: emgFeatures(c.analogs.slice(k * n, (k + 1) * n), c.rates.analogHz, { notchHz }).signals.envelope };
        } catch (e) {
          throw tag(new Error(`analog channel ${c.labels.analogs[k]}: ${(e as Error).message}`));
        }
      });
      const timeS = Float64Array.from({ length: n }, (_, i) => i / c.rates.analogHz);
      save(`${name}_emg_envelope.sto`, writeStorage({ name: `${name} emg linear envelope (V)`, timeS, columns, inDegrees: false }), {
        kind: 'emg-envelope',
        rows: n,
        columns: 1 + columns.length,
      });
    }

    if (json) process.stdout.write(JSON.stringify(written, null, 2) + '\n');
    else {
      if (written.length === 0) console.log(`${path.resolve(file)}: no markers, angles or analog channels in V; nothing written`);
      for (const w of written) console.log(`${w.file}  (${w.kind}: ${w.rows} rows × ${w.columns} columns)`);
      if (written.some((w) => w.kind === 'markers'))
        console.log(
          rotate
            ? 'markers rotated from the Z-up lab frame to Y-up: (x, y, z) → (x, z, −y)'
            : `markers in the lab frame as recorded (${trc.units}), not rotated`,
        );
    }
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}
