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
import { readPlusSequence, framePixels } from '../../native-bridges/recording/plusSequence.js';
import { readPlusConfig, plusTransform } from '../../native-bridges/recording/plusConfig.js';
import { calibrateProbe, type NWire, type NWireSegmentationOptions } from '../engine/fusion/nwire.js';

const USAGE = 'usage: twin calibrate-probe <N-wire sequence.igs.mha> --phantom <PLUS xml> [--validation-every N] [--json]';

const pair = (s: string | undefined): [number, number] | undefined => {
  const v = (s ?? '').trim().split(/\s+/).map(Number);
  return v.length === 2 && v.every(Number.isFinite) ? [v[0]!, v[1]!] : undefined;
};

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
    const cfg = readPlusConfig(phantomPath);
    if (cfg.nWirePatterns.length === 0) throw new Error(`${phantomPath}: no N-wire patterns in <PhantomDefinition>`);
    const phantomToReference = plusTransform(cfg, 'Phantom', 'Reference');
    if (!phantomToReference) throw new Error(`${phantomPath}: no Phantom→Reference transform (register the phantom first)`);
    const mmPerPixel = Number(cfg.segmentation['ApproximateSpacingMmPerPixel']);
    if (!(mmPerPixel > 0)) throw new Error(`${phantomPath}: <Segmentation ApproximateSpacingMmPerPixel> is missing or not positive`);
    const clipOrigin = pair(cfg.segmentation['ClipRectangleOrigin']);
    const clipSize = pair(cfg.segmentation['ClipRectangleSize']);
    const opts: NWireSegmentationOptions & { validationEvery: number } = {
      mmPerPixel,
      ...(clipOrigin ? { clipOrigin } : {}),
      ...(clipSize ? { clipSize } : {}),
      validationEvery: every,
    };
    const seq = readPlusSequence(seqPath);
    if (seq.width * seq.height === 0 || seq.elementType !== 'uint8') throw new Error(`${seqPath}: the sequence has no 8-bit ultrasound frames`);
    const frames = seq.frames.flatMap((f, i) => {
      const p = f.transforms['ProbeToTracker'];
      const r = f.transforms['ReferenceToTracker'];
      if (!p || !r || p.status !== 'OK' || r.status !== 'OK') return [];
      return [{ pixels: framePixels(seq, i), width: seq.width, height: seq.height, probeToTracker: p.matrix, referenceToTracker: r.matrix }];
    });
    const res = calibrateProbe(frames, cfg.nWirePatterns as unknown as [NWire, NWire, NWire][], phantomToReference, opts);
    const out = {
      sequence: path.resolve(seqPath),
      phantom: path.resolve(phantomPath),
      imageToProbe: [0, 1, 2, 3].map((r) => res.imageToProbe.slice(4 * r, 4 * r + 4)),
      pixelSpacingMm: res.spacingMm,
      reprojection3dMm: res.reprojection3dMm,
      reprojection2dPx: res.reprojection2dPx,
      frames: { ...res.frames, trackedInvalid: seq.frames.length - frames.length },
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
