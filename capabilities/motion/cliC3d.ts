/**
 * `npm run twin -- c3d <file.c3d> [--json]`
 *
 * Prints a C3D file's header (processor type, frames, points, analog
 * channels, scale factor, data and parameter blocks), rates (Hz), point and
 * analog labels with their units, the events (seconds, 1-based frames) and,
 * with `--json`, every parameter group: `{ id, description, locked, params:
 * { NAME: { type, dims, values, description, locked } } }` (C3D.org's
 * specification; see electron/io/c3d.ts). Without `--json`, a summary.
 * Exit code 0 on success, 1 on an error (naming the file and the reason),
 * 2 on bad usage.
 */
import path from 'node:path';
import { readC3dFile } from '../../electron/io/c3d.js';

const USAGE = 'usage: twin c3d <file.c3d> [--json]';

export async function runC3d(argv: string[]): Promise<number> {
  let file = '',
    json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--data-dir') i++;
    else if (a.startsWith('--')) return (console.error(`unknown option ${a}\n${USAGE}`), 2);
    else if (!file) file = a;
    else return (console.error(`unexpected argument ${a}\n${USAGE}`), 2);
  }
  if (!file) return (console.error(USAGE), 2);
  try {
    const c = readC3dFile(file);
    const h = c.header;
    const out = {
      file: path.resolve(file),
      header: {
        processor: h.processor,
        format: h.scaleFactor < 0 ? 'float' : 'integer',
        scaleFactor: h.scaleFactor,
        firstFrame: h.firstFrame,
        lastFrame: h.lastFrame,
        frames: c.frameCount,
        points: c.pointCount,
        analogChannels: c.analogCount,
        analogSamplesPerFrame: h.analogSamplesPerFrame,
        analogSamples: c.analogSamples,
        maxInterpolationGap: h.maxInterpolationGap,
        parameterBlock: h.parameterBlock,
        parameterBlocks: h.parameterBlocks,
        dataStartBlock: h.dataStartBlock,
        headerEvents: h.events,
      },
      rates: { pointHz: c.rates.pointHz, analogHz: c.rates.analogHz },
      labels: c.labels,
      units: c.units,
      events: c.events,
      groups: Object.fromEntries(
        Object.values(c.groups).map((g) => [
          g.name,
          {
            id: g.id,
            description: g.description,
            locked: g.locked,
            params: Object.fromEntries(
              Object.values(g.params).map((p) => [p.name, { type: p.type, dims: p.dims, values: p.values, description: p.description, locked: p.locked }]),
            ),
          },
        ]),
      ),
    };
    if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    else {
      console.log(`${out.file}: ${h.processor} ${out.header.format} C3D`);
      console.log(`frames ${h.firstFrame}–${h.lastFrame} (${c.frameCount}) at ${c.rates.pointHz} Hz; ${c.pointCount} points (${c.units.points || 'no unit'})`);
      console.log(`${c.analogCount} analog channels at ${c.rates.analogHz} Hz (${h.analogSamplesPerFrame} per frame, ${c.analogSamples} samples each)`);
      if (c.pointCount) console.log(`points: ${c.labels.points.join(', ')}`);
      if (c.analogCount) console.log(`analogs: ${c.labels.analogs.map((l, i) => `${l} [${c.units.analogs[i] || '-'}]`).join(', ')}`);
      console.log(
        `events: ${c.events.length ? c.events.map((e) => `${e.label}${e.context ? ` (${e.context})` : ''} ${e.timeS.toFixed(3)} s`).join(', ') : 'none'}`,
      );
      console.log(
        `groups: ${Object.values(c.groups)
          .map((g) => `${g.name} (${Object.keys(g.params).length})`)
          .join(', ')}`,
      );
    }
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}
