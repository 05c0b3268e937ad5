/**
 * `npm run twin -- reconstruct <sequence.igs.mha> --config <PLUS xml> [--spacing 0.5] --out <volume.mha> [--interpolation nearest|linear] [--no-fill] [--json]`
 *
 * Freehand 3D ultrasound reconstruction of a tracked sweep (PLUS sequence)
 * with the ImageToProbe and reconstruction settings of a PLUS configuration,
 * in the tracker's Reference frame (PLUS's output frame). Writes the volume
 * (MetaImage, NRRD or NIfTI by the extension) and prints its grid, the
 * coverage (voxels pasted, holes filled, empty) and the time taken.
 * Options given here override the configuration's settings; without them
 * PNN with mean compounding and stick hole filling (9 voxels) is used.
 * Exit code 0 on success, 1 on an error (naming the file), 2 on bad usage.
 */
import path from 'node:path';
import { loadTrackedSweep, reconstructionOptions } from '../fusion/sweep.js';
import { writeVolumeFile } from '../../electron/io/writeVolume.js';
import { reconstructVolume } from '../../electron/engine/fusion/reconstruct.js';

const USAGE =
  'usage: twin reconstruct <sequence.igs.mha> --config <PLUS xml> [--spacing MM] --out <volume.mha|.nrrd|.nii.gz> [--interpolation nearest|linear] [--no-fill] [--json]';

export async function runReconstruct(argv: string[]): Promise<number> {
  let seqPath = '',
    configPath = '',
    outPath = '',
    spacing: number | null = null,
    interpolation: 'nearest' | 'linear' | null = null,
    fill: boolean | null = null,
    json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config') configPath = argv[++i] ?? '';
    else if (a === '--out') outPath = argv[++i] ?? '';
    else if (a === '--spacing') {
      spacing = Number(argv[++i]);
      if (!(spacing > 0)) return (console.error(`--spacing must be a positive number of mm\n${USAGE}`), 2);
    } else if (a === '--interpolation') {
      const v = argv[++i];
      if (v !== 'nearest' && v !== 'linear') return (console.error(`--interpolation must be nearest or linear\n${USAGE}`), 2);
      interpolation = v;
    } else if (a === '--no-fill') fill = false;
    else if (a === '--json') json = true;
    else if (a.startsWith('--') && a !== '--data-dir') return (console.error(`unknown option ${a}\n${USAGE}`), 2);
    else if (a === '--data-dir') i++;
    else if (!seqPath) seqPath = a;
    else return (console.error(`unexpected argument ${a}\n${USAGE}`), 2);
  }
  if (!seqPath || !configPath || !outPath) return (console.error(USAGE), 2);
  try {
    const t0 = performance.now();
    const sweep = loadTrackedSweep(seqPath, configPath);
    const opts = reconstructionOptions(sweep.settings, { spacingMm: spacing, interpolation, fillHoles: fill });
    const tl = performance.now();
    const r = reconstructVolume(sweep.frames, opts);
    const reconstructMs = performance.now() - tl;
    await writeVolumeFile(outPath, r.volume);
    const v = r.volume;
    const out = {
      sequence: path.resolve(seqPath),
      config: path.resolve(configPath),
      out: path.resolve(outPath),
      frame: 'Reference (tracker reference tool)',
      framesSkipped: sweep.skipped,
      dims: v.dims,
      spacingMm: v.spacingMm,
      originMm: v.originLps,
      extentMm: v.dims.map((d, a) => (d - 1) * v.spacingMm[a]!),
      interpolation: opts.interpolation,
      ...r.stats,
      reconstructMs: Math.round(reconstructMs),
      totalMs: Math.round(performance.now() - t0),
    };
    if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    else {
      const n = v.dims[0] * v.dims[1] * v.dims[2];
      const pct = (x: number): string => `${((100 * x) / n).toFixed(1)} %`;
      console.log(`${out.frames} frames (${out.framesSkipped} skipped), ${sweep.width}×${sweep.height} pixels, ${out.interpolation} interpolation`);
      console.log(`volume ${v.dims.join(' × ')} at ${v.spacingMm[0]} mm, origin ${v.originLps.map((x) => x.toFixed(3)).join(' ')} mm (${out.frame})`);
      console.log(`voxels: ${pct(r.stats.voxelsPasted)} pasted, ${pct(r.stats.holesFilled)} holes filled, ${pct(r.stats.voxelsEmpty)} empty`);
      console.log(`time: reconstruction ${out.reconstructMs} ms, total ${out.totalMs} ms`);
      console.log(`written ${out.out}`);
    }
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}
