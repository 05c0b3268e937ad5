/**
 * `npm run twin -- calibrate-probe <N-wire sequence.igs.mha> --phantom <PLUS xml> [--validation-every N] [--json]`
 *
 * Ultrasound probe spatial calibration (ImageToProbe) from a tracked sweep
 * over a multi-N-wire phantom. The PLUS configuration gives the phantom's
 * wires (PhantomDefinition), its registration (Phantom→Reference) and the
 * segmentation settings (ApproximateSpacingMmPerPixel, ClipRectangle…).
 * Prints ImageToProbe (row-major 4×4, image pixels → probe mm), the pixel
 * spacing, the 3D reprojection error on the calibration and the held-out
 * validation frames, the 2D reprojection error per wire and the frames that
 * could not be segmented. Exit 0 on success, 1 on an error (naming the file),
 * 2 on bad usage.
 */
import path from 'node:path';
import { calibrateProbeFromFiles } from './sweep.js';

const USAGE = 'usage: twin calibrate-probe <N-wire sequence.igs.mha> --phantom <PLUS xml> [--validation-every N] [--json]';

export async function runCalibrateProbe(argv: string[]): Promise<number> {
  let seqPath = '',
    phantomPath = '',
    every = 3,
    json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--phantom') phantomPath = argv[++i] ?? '';
    else if (a === '--validation-every') {
      every = Number(argv[++i]);
      if (!Number.isInteger(every) || every < 0) return (console.error(`--validation-every must be a whole number ≥ 0\n${USAGE}`), 2);
    } else if (a === '--json') json = true;
    else if (a === '--data-dir') i++;
    else if (a.startsWith('--')) return (console.error(`unknown option ${a}\n${USAGE}`), 2);
    else if (!seqPath) seqPath = a;
    else return (console.error(`unexpected argument ${a}\n${USAGE}`), 2);
  }
  if (!seqPath || !phantomPath) return (console.error(USAGE), 2);
  try {
    const t0 = performance.now();
    const res = calibrateProbeFromFiles(seqPath, phantomPath, every);
    const out = {
      sequence: path.resolve(seqPath),
      phantom: path.resolve(phantomPath),
      imageToProbe: [0, 1, 2, 3].map((r) => res.imageToProbe.slice(4 * r, 4 * r + 4)),
      pixelSpacingMm: res.spacingMm,
      reprojection3dMm: res.reprojection3dMm,
      reprojection2dPx: res.reprojection2dPx,
      frames: { ...res.frames, trackedInvalid: res.trackedInvalid },
      pointsUsed: res.pointsUsed,
      outliersRemoved: res.outliersRemoved,
      wireOrder: res.wireOrder,
      failures: res.failures,
      date: new Date().toISOString(),
      totalMs: Math.round(performance.now() - t0),
    };
    if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    else {
      console.log('ImageToProbe (image pixels → probe mm):');
      for (const row of out.imageToProbe) console.log('  ' + row.map((v) => v.toPrecision(6).padStart(13)).join(' '));
      console.log(`pixel spacing ${res.spacingMm.map((v) => v.toFixed(5)).join(' × ')} mm`);
      const e = res.reprojection3dMm;
      console.log(
        `3D reprojection error: calibration ${e.calibrationMean.toFixed(3)} ± ${e.calibrationStd.toFixed(3)} mm, validation ${e.validationMean.toFixed(3)} ± ${e.validationStd.toFixed(3)} mm`,
      );
      for (const w of res.reprojection2dPx)
        console.log(`  2D ${w.wire.padEnd(10)} ${w.mean.map((v) => v.toFixed(2)).join(', ')} ± ${w.std.map((v) => v.toFixed(2)).join(', ')} px`);
      console.log(
        `frames: ${res.frames.total} tracked, ${res.frames.segmented} segmented (${res.frames.calibration} calibration, ${res.frames.validation} validation); ${res.pointsUsed} points used, ${res.outliersRemoved} outliers removed`,
      );
      for (const f of res.failures.slice(0, 5)) console.log(`  frame ${f.frame} not segmented: ${f.reason}`);
      console.log(`time ${out.totalMs} ms`);
    }
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}
