/**
 * `npm run twin -- depth-movement <recording.igs.mha | folder> [--rate HZ] [--reference N] [--person N] [--unit m|mm] [--json]`
 *
 * Trunk movement from a depth recording of the patient's back (issue 21 §5,
 * depthTrial.ts): a PLUS depth sequence as the device host records it
 * (`<device>_Depth.igs.mha`, times from the file) or a folder of .pcd/.ply
 * frames (in name order, `--rate` Hz, default 30). The patient is the person
 * nearest the image centre in the first frame with people (`--person N`:
 * the N-th from the left instead), followed frame to frame; the neutral
 * reference is the first frame with the patient (`--reference N`: frame N).
 * `--rate` on a PLUS sequence replaces its timestamps; `--unit` gives a
 * folder's unit (default: by the clouds' extent).
 *
 * Prints per used frame t (s), flexion, lateral bending and axial rotation
 * (degrees; flexion +forward, lateral bending +right, axial rotation +left,
 * thorax relative to pelvis), then the range of motion, the peak angular
 * velocities and the left/right asymmetry. `--json` prints
 * `{"file", "frames": [{"t", "flexionDeg", "lateralBendingDeg", "axialRotationDeg"}], "summary", "framesUsed", "framesSkipped",
 * "skipped", "person", "referenceFrame"}`.
 * Exit code 0 on success, 1 on an error (naming the file), 2 on bad usage.
 */
import path from 'node:path';
import { depthMovement, readDepthSequence, type ReadDepthOptions } from './depthTrial.js';

const USAGE = 'usage: twin depth-movement <recording.igs.mha | folder> [--rate HZ] [--reference N] [--person N] [--unit m|mm] [--json]';

export async function runDepthMovement(argv: string[]): Promise<number> {
  let file = '',
    json = false,
    rateHz: number | undefined,
    referenceIndex: number | undefined,
    personIndex: number | undefined,
    unit: ReadDepthOptions['unit'];
  const int = (v: string | undefined): number | undefined => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--rate') {
      rateHz = Number(argv[++i]);
      if (!(rateHz > 0 && Number.isFinite(rateHz))) return (console.error(`--rate must be a positive number of Hz\n${USAGE}`), 2);
    } else if (a === '--reference') {
      referenceIndex = int(argv[++i]);
      if (referenceIndex === undefined) return (console.error(`--reference must be a frame index (0, 1, …)\n${USAGE}`), 2);
    } else if (a === '--person') {
      personIndex = int(argv[++i]);
      if (personIndex === undefined) return (console.error(`--person must be an index (0 = leftmost)\n${USAGE}`), 2);
    } else if (a === '--unit') {
      const u = argv[++i];
      if (u !== 'm' && u !== 'mm') return (console.error(`--unit must be m or mm\n${USAGE}`), 2);
      unit = u;
    } else if (a === '--data-dir') i++;
    else if (a.startsWith('--')) return (console.error(`unknown option ${a}\n${USAGE}`), 2);
    else if (!file) file = a;
    else return (console.error(`unexpected argument ${a}\n${USAGE}`), 2);
  }
  if (!file) return (console.error(USAGE), 2);
  try {
    const seq = readDepthSequence(file, { ...(rateHz !== undefined ? { rateHz } : {}), ...(unit ? { unit } : {}) });
    const r = depthMovement(seq.frames, {
      source: path.basename(file),
      ...(referenceIndex !== undefined ? { referenceIndex } : {}),
      ...(personIndex !== undefined ? { personIndex } : {}),
    });
    const frames = r.timesS.map((t, i) => ({
      t,
      flexionDeg: r.angles[i]!.flexion,
      lateralBendingDeg: r.angles[i]!.lateralBending,
      axialRotationDeg: r.angles[i]!.axialRotation,
    }));
    if (json) {
      const out = {
        file: path.resolve(file),
        frames,
        summary: r.summary,
        framesUsed: r.framesUsed,
        framesSkipped: r.framesSkipped,
        skipped: r.skipped,
        person: r.person,
        referenceFrame: r.referenceFrame,
      };
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return 0;
    }
    const p = r.person;
    console.log(
      `${seq.frames.length} frames from ${path.resolve(file)}: ${r.framesUsed} used, ${r.framesSkipped} skipped; reference frame ${r.referenceFrame}`,
    );
    console.log(
      `patient: person ${p.index} of ${p.people} (left to right) in frame ${p.frame}, ${p.points} points, centroid (${p.centroidMm.map((v) => v.toFixed(0)).join(', ')}) mm`,
    );
    for (const s of r.skipped) console.log(`skipped frame ${s.frame} (t ${s.timeS.toFixed(3)} s): ${s.reason}`);
    console.log('t (s)         flexion  lat. bending  axial rotation (deg)');
    for (const f of frames)
      console.log(
        `${f.t.toFixed(3).padEnd(12)} ${f.flexionDeg.toFixed(2).padStart(8)} ${f.lateralBendingDeg.toFixed(2).padStart(13)} ${f.axialRotationDeg.toFixed(2).padStart(15)}`,
      );
    const rom = r.summary.rangeOfMotion,
      v = r.summary.peakVelocityDegS,
      asym = r.summary.asymmetry;
    const range = (x: { min: number; max: number; range: number }): string => `${x.range.toFixed(1)}° (${x.min.toFixed(1)} to ${x.max.toFixed(1)})`;
    console.log(`range of motion: flexion ${range(rom.flexion)}, lateral bending ${range(rom.lateralBending)}, axial rotation ${range(rom.axialRotation)}`);
    console.log(
      `peak angular velocity: flexion ${v.flexion.toFixed(1)} °/s, lateral bending ${v.lateralBending.toFixed(1)} °/s, axial rotation ${v.axialRotation.toFixed(1)} °/s`,
    );
    const side = (s: { rightDeg: number; leftDeg: number; indexPct: number | null }): string =>
      `right ${s.rightDeg.toFixed(1)}°, left ${s.leftDeg.toFixed(1)}°, symmetry index ${s.indexPct === null ? '—' : `${s.indexPct.toFixed(1)} %`}`;
    console.log(`asymmetry: lateral bending ${side(asym.lateralBending)}; axial rotation ${side(asym.axialRotation)}`);
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}
