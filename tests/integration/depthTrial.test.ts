/**
 * Issue 21 §5, depth-video movement from a recording: `readDepthSequence`,
 * `depthMovement` and `twin depth-movement` on a simulated recording with
 * generated ground truth.
 *
 * The scene (tests/helpers/trunkMotionScene.ts): the example CT's skin
 * articulated about L5/S1 by a KNOWN flexion 0→30→0° (15·(1 − cos πt),
 * t = 0…2 s, nine frames 0.25 s apart), seen by the simulated D435 1.2 m
 * behind, level, at mid-trunk height; a floor 1.5 m below the top of the
 * skin (in view from about 3.3 m on: the ground plane of the people
 * detection); a bystander — a static copy of the same skin 750 mm to the
 * patient's left and 700 mm further away — so the person selection matters.
 * The frames are written as the device host's recorder writes a depth
 * session (PlusSequenceWriter, uint16, per-frame Fx Fy Cx Cy DepthScaleMm,
 * timestamps on a session clock at 1000 s), with a tenth, blank frame (the
 * lens covered) that must be skipped and counted. Five of the frames also as
 * a folder of ASCII PCD files in metres (skinScene's writer, as PCL writes
 * them), named so that name order ≠ plain string order.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { AppError } from '../../electron/contract/errors.js';
import { movementSummary } from '../../electron/engine/motion/depthMovement.js';
import type { TrunkAnglesDeg } from '../../electron/engine/motion/trunkAngles.js';
import { deproject } from '../../native-bridges/devices/depth/formats.js';
import { D435_INTRINSICS } from '../../native-bridges/devices/depth/simulator.js';
import { PlusSequenceWriter, writePlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { depthMovement, readDepthSequence, type DepthMovementResult } from '../../capabilities/motion/depthTrial.js';
import { runDepthMovement } from '../../capabilities/motion/cliDepthMovement.js';
import { articulate, exampleBackScene, floorInView, mergeMeshes, renderDepthU16, translated } from '../helpers/trunkMotionScene.js';
import { writeAsciiPcd } from '../helpers/skinScene.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

const KEYS = ['flexion', 'lateralBending', 'axialRotation'] as const;
const truthAt = (t: number): TrunkAnglesDeg => ({ flexion: 15 * (1 - Math.cos(Math.PI * t)), lateralBending: 0, axialRotation: 0 });
const T0 = 1000; // the session clock of the recording (s)
const FRAMES = 9;

const tmp = tmpDir('orthotwin-depth-trial-');
afterAll(() => tmp.cleanup());

/** RMS error per angle against the truth at (time − t0). */
function rmsError(timesS: readonly number[], angles: readonly TrunkAnglesDeg[], t0: number): TrunkAnglesDeg {
  const sq = { flexion: 0, lateralBending: 0, axialRotation: 0 };
  timesS.forEach((t, i) => {
    for (const k of KEYS) sq[k] += (angles[i]![k] - truthAt(t - t0)[k]) ** 2;
  });
  return {
    flexion: Math.sqrt(sq.flexion / timesS.length),
    lateralBending: Math.sqrt(sq.lateralBending / timesS.length),
    axialRotation: Math.sqrt(sq.axialRotation / timesS.length),
  };
}

function report(label: string, r: Pick<DepthMovementResult, 'timesS' | 'angles' | 'summary'>, t0: number): TrunkAnglesDeg {
  const rms = rmsError(r.timesS, r.angles, t0);
  const lines = r.timesS.map(
    (t, i) =>
      `  t ${(t - t0).toFixed(2)} s  truth ${truthAt(t - t0)
        .flexion.toFixed(1)
        .padStart(5)}  depth ${KEYS.map((k) => r.angles[i]![k].toFixed(2).padStart(7)).join('')}`,
  );
  console.log(
    `${label}: RMS error flexion ${rms.flexion.toFixed(2)}°, lateral bending ${rms.lateralBending.toFixed(2)}°, axial rotation ${rms.axialRotation.toFixed(2)}°; flexion ROM ${r.summary.rangeOfMotion.flexion.range.toFixed(2)}° (truth 30), peak flexion velocity ${r.summary.peakVelocityDegS.flexion.toFixed(1)} °/s\n${lines.join('\n')}`,
  );
  return rms;
}

/** Runs the command with console output captured. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  try {
    const code = await runDepthMovement(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

/** The AppError `fn` throws. */
function appError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('no error thrown');
}

describeData('depth-video movement trial on a simulated recording (generated ground truth)', () => {
  const recording = path.join(tmp.dir, 'depth-1_Depth.igs.mha');
  const folder = path.join(tmp.dir, 'pcd');
  let depth0: Uint16Array;
  let floorOnly: Float32Array;
  let result: DepthMovementResult;

  beforeAll(async () => {
    const t0 = performance.now();
    // pivot: midway between the L5 and S1 centroids; the camera 1.2 m behind
    const { skin, pivot, lo, hi, camera } = await exampleBackScene(
      dataPath('ct/totalseg_example_ct.nii.gz'),
      dataPath('ct/totalseg_example_ct_vertebra_labels.nii.gz'),
    );
    const floor = floorInView(camera, hi - 1500);
    const bystander = translated(skin, [750, -700, 0]); // to the patient's left (image left), further away
    const writer = new PlusSequenceWriter(recording, { elementType: 'uint16' });
    const K = D435_INTRINSICS;
    const fields = { Fx: String(K.fx), Fy: String(K.fy), Cx: String(K.cx), Cy: String(K.cy), DepthScaleMm: String(K.depthScaleMm) };
    fs.mkdirSync(folder);
    for (let k = 0; k <= FRAMES; k++) {
      const t = 0.25 * k;
      // frame 9: the lens covered (no depth at all)
      const u16 =
        k < FRAMES ? renderDepthU16(mergeMeshes([articulate(skin, pivot, truthAt(t)), bystander, floor]), camera, 10 + k) : new Uint16Array(K.width * K.height);
      if (k === 0) depth0 = u16;
      writer.add(
        { timestampS: T0 + t, transforms: {}, fields: { ReceiveTimestamp: String(T0 + t + 0.01), FrameNumber: String(k), ...fields } },
        { width: K.width, height: K.height, pixels: new Uint8Array(u16.buffer) },
      );
      if (k % 2 === 0 && k < FRAMES)
        writeAsciiPcd(path.join(folder, `frame_${5 * k}.pcd`), deproject({ depth: u16, intrinsics: K, deviceTimeUs: 0, hostTimeUs: 0, seq: k }).points);
    }
    writer.finish();
    floorOnly = deproject({ depth: renderDepthU16(floor, camera, 99), intrinsics: K, deviceTimeUs: 0, hostTimeUs: 0, seq: 0 }).points;
    console.log(
      `scene: skin S ${lo.toFixed(0)}…${hi.toFixed(0)} mm, ${FRAMES} frames + 1 blank rendered and written in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }, 60_000);

  it('reads the recorder-style PLUS depth sequence: frames, session times, intrinsics, clouds as deprojected', () => {
    const seq = readDepthSequence(recording);
    expect(seq.kind).toBe('plus');
    expect(seq.frames).toHaveLength(FRAMES + 1);
    seq.frames.forEach((f, k) => expect(f.timeS).toBeCloseTo(T0 + 0.25 * k, 9));
    expect(seq.intrinsics).toEqual(D435_INTRINSICS);
    const want = deproject({ depth: depth0, intrinsics: D435_INTRINSICS, deviceTimeUs: 0, hostTimeUs: 0, seq: 0 }).points;
    expect(Array.from(seq.frames[0]!.points)).toEqual(Array.from(want));
    // --rate replaces the timestamps from the first one on
    expect(readDepthSequence(recording, { rateHz: 10 }).frames[3]!.timeS).toBeCloseTo(T0 + 0.3, 9);
  });

  it('depthMovement picks the patient (not the bystander), skips the blank frame, and recovers flexion within 2° RMS and its ROM within 2°', () => {
    const t0 = performance.now();
    result = depthMovement(readDepthSequence(recording).frames, { source: 'depth-1_Depth.igs.mha' });
    const s = (performance.now() - t0) / 1000;
    const p = result.person;
    console.log(
      `patient: person ${p.index} of ${p.people} in frame ${p.frame}, ${p.points} points, centroid (${p.centroidMm.map((v) => v.toFixed(0)).join(', ')}) mm; up ${result.upCam.map((v) => v.toFixed(4)).join(' ')}; ${result.framesUsed} used, ${result.framesSkipped} skipped (${result.skipped.map((x) => `frame ${x.frame}: ${x.reason}`).join('; ')}) in ${s.toFixed(1)} s`,
    );
    expect(p).toMatchObject({ index: 1, frame: 0, people: 2 }); // the bystander is on the left: index 0
    expect(Math.abs(p.centroidMm[0])).toBeLessThan(150);
    expect(result.framesUsed).toBe(FRAMES);
    expect(result.framesSkipped).toBe(1);
    expect(result.skipped[0]).toMatchObject({ frame: FRAMES });
    expect(result.referenceFrame).toBe(0);
    expect(result.timesS).toEqual(Array.from({ length: FRAMES }, (_, k) => T0 + 0.25 * k));
    const rms = report('PLUS depth sequence', result, T0);
    for (const k of KEYS) expect(rms[k]).toBeLessThan(2);
    expect(Math.abs(result.summary.rangeOfMotion.flexion.range - 30)).toBeLessThan(2);
    expect(Math.abs(result.summary.rangeOfMotion.lateralBending.range)).toBeLessThan(3);
    // the sampled truth's peak velocity by the same central differences: (f(0.75) − f(0.25)) / 0.5 = 15·√2 / 0.5 = 42.4 °/s
    expect(Math.abs(result.summary.peakVelocityDegS.flexion - 42.4)).toBeLessThan(8);
    // --person 0 follows the bystander instead (first frames only: the selection is what matters)
    const other = depthMovement(readDepthSequence(recording).frames.slice(0, 3), { personIndex: 0 });
    expect(other.person.index).toBe(0);
    expect(other.person.centroidMm[0]).toBeLessThan(-500);
    expect(other.summary.rangeOfMotion.flexion.range).toBeLessThan(10);
  });

  it('twin depth-movement --json prints the same frames, summary, counts and person as the API', async () => {
    const r = await cli([recording, '--json']);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as {
      frames: { t: number; flexionDeg: number; lateralBendingDeg: number; axialRotationDeg: number }[];
      summary: DepthMovementResult['summary'];
      framesUsed: number;
      framesSkipped: number;
      person: DepthMovementResult['person'];
    };
    expect(out.framesUsed).toBe(FRAMES);
    expect(out.framesSkipped).toBe(1);
    expect(out.person.index).toBe(1);
    const angles = out.frames.map((f) => ({ flexion: f.flexionDeg, lateralBending: f.lateralBendingDeg, axialRotation: f.axialRotationDeg }));
    const rms = rmsError(
      out.frames.map((f) => f.t),
      angles,
      T0,
    );
    for (const k of KEYS) expect(rms[k]).toBeLessThan(2);
    expect(Math.abs(out.summary.rangeOfMotion.flexion.range - 30)).toBeLessThan(2);
    // deterministic: the same numbers as the API
    out.frames.forEach((f, i) => expect(f.flexionDeg).toBeCloseTo(result.angles[i]!.flexion, 9));
  });

  it("a folder of PCD frames in metres (name order, --rate), through the CLI's table: the same movement within 2° RMS", async () => {
    expect(fs.readdirSync(folder).sort()).toEqual(['frame_0.pcd', 'frame_10.pcd', 'frame_20.pcd', 'frame_30.pcd', 'frame_40.pcd']);
    const seq = readDepthSequence(folder, { rateHz: 2 });
    expect(seq).toMatchObject({ kind: 'folder', unitMm: 1000 });
    expect(seq.frames.map((f) => f.timeS)).toEqual([0, 0.5, 1, 1.5, 2]);
    // the CLI's table (angles to 0.01°)
    const r = await cli([folder, '--rate', '2', '--reference', '0']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/5 frames from .*: 5 used, 0 skipped; reference frame 0/);
    expect(r.out).toMatch(/patient: person 1 of 2 \(left to right\) in frame 0/);
    expect(r.out).toMatch(/asymmetry: lateral bending right [\d.]+°, left [\d.]+°/);
    const rows = [...r.out.matchAll(/^(\d+\.\d{3})\s+(-?\d+\.\d\d)\s+(-?\d+\.\d\d)\s+(-?\d+\.\d\d)$/gm)].map((m) => m.slice(1).map(Number));
    expect(rows.map((x) => x[0])).toEqual([0, 0.5, 1, 1.5, 2]);
    const timesS = rows.map((x) => x[0]!),
      angles = rows.map((x) => ({ flexion: x[1]!, lateralBending: x[2]!, axialRotation: x[3]! }));
    const rms = report('PCD folder', { timesS, angles, summary: movementSummary(timesS, angles) }, 0);
    const rom = /range of motion: flexion ([\d.]+)°/.exec(r.out);
    for (const k of KEYS) expect(rms[k]).toBeLessThan(2);
    expect(Math.abs(Number(rom?.[1]) - 30)).toBeLessThan(2);
    // the default rate is 30 Hz
    expect(readDepthSequence(folder).frames[1]!.timeS).toBeCloseTo(1 / 30, 12);
  });

  it('bad input: AppErrors naming the file and the reason', async () => {
    const e = (fn: () => unknown): { code: string; message: string } => {
      const x = appError(fn);
      return { code: x.code, message: x.message };
    };
    // not there
    expect(e(() => readDepthSequence(path.join(tmp.dir, 'gone.igs.mha')))).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/^gone\.igs\.mha: cannot read/),
    });
    // an ultrasound (8-bit) sequence
    const us = path.join(tmp.dir, 'us_Image.igs.mha');
    writePlusSequence(us, {
      width: 4,
      height: 3,
      elementType: 'uint8',
      imageOrientation: 'MF',
      imageType: 'BRIGHTNESS',
      frames: [{ timestampS: 1, transforms: {}, fields: {} }],
      pixels: new Uint8Array(12),
    });
    expect(e(() => readDepthSequence(us))).toMatchObject({
      code: 'IMPORT_UNSUPPORTED',
      message: expect.stringMatching(/^us_Image\.igs\.mha: not a depth sequence \(8-bit/),
    });
    // 16-bit frames without intrinsics
    const noK = path.join(tmp.dir, 'noK.igs.nrrd');
    writePlusSequence(noK, {
      width: 4,
      height: 3,
      elementType: 'uint16',
      imageOrientation: 'MF',
      imageType: 'BRIGHTNESS',
      frames: [{ timestampS: 1, transforms: {}, fields: {} }],
      pixels: new Uint8Array(24),
    });
    expect(e(() => readDepthSequence(noK))).toMatchObject({
      code: 'IMPORT_UNSUPPORTED',
      message: expect.stringMatching(/^noK\.igs\.nrrd: .*no Fx intrinsics field/),
    });
    // no frames
    const empty = path.join(tmp.dir, 'empty_Depth.igs.mha');
    new PlusSequenceWriter(empty, { elementType: 'uint16' }).finish(); // a recording that never got a frame
    expect(e(() => readDepthSequence(empty))).toMatchObject({ code: 'IMPORT_EMPTY_FILE', message: 'empty_Depth.igs.mha: the sequence has no frames' });
    // not a sequence at all
    const text = path.join(tmp.dir, 'notes.igs.mha');
    fs.writeFileSync(text, 'hello\n');
    expect(e(() => readDepthSequence(text))).toMatchObject({
      code: 'IMPORT_BAD_HEADER',
      message: expect.stringMatching(/^notes\.igs\.mha: not a readable PLUS depth sequence/),
    });
    // an empty folder; PCD in metres declared as millimetres
    const none = path.join(tmp.dir, 'none');
    fs.mkdirSync(none);
    expect(e(() => readDepthSequence(none))).toMatchObject({ code: 'IMPORT_EMPTY_FILE', message: 'none: the folder holds no .pcd or .ply frames' });
    expect(e(() => readDepthSequence(folder, { unit: 'mm' }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^pcd\/frame_0\.pcd: the cloud spans .* in metres where millimetres are expected/),
    });
    // clouds in metres given to depthMovement
    const metres = Float32Array.from(floorOnly, (v) => v / 1000);
    expect(e(() => depthMovement([{ timeS: 0, points: metres }], { source: 'm.pcd' }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^m\.pcd: frame 0: the cloud spans .* metres where millimetres are expected/),
    });
    // nobody in view (only the floor), or the lens covered
    expect(
      e(() =>
        depthMovement(
          [
            { timeS: 0, points: floorOnly },
            { timeS: 1, points: new Float32Array(30).fill(NaN) },
          ],
          { source: 'floor' },
        ),
      ),
    ).toMatchObject({
      code: 'COMPUTE_FAILED',
      message: expect.stringMatching(/^floor: no person found in any of the 2 frames/),
    });
    // a person or reference that does not exist
    const frames = readDepthSequence(recording).frames.slice(0, 2);
    expect(e(() => depthMovement(frames, { source: 'rec', personIndex: 5 }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^rec: person 5 does not exist: frame 0 shows 2/),
    });
    expect(e(() => depthMovement(frames, { source: 'rec', referenceIndex: 7 }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'rec: reference frame 7 does not exist (frames 0–1)',
    });
    // the CLI: errors exit 1 with the message, bad usage 2
    const bad = await cli([us]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/us_Image\.igs\.mha: not a depth sequence/);
    expect((await cli([])).code).toBe(2);
    expect((await cli([recording, '--rate', '0'])).code).toBe(2);
    expect((await cli([recording, '--person', 'x'])).code).toBe(2);
    expect((await cli([recording, '--unit', 'cm'])).code).toBe(2);
  });
});
