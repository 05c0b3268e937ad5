/**
 * A depth-camera recording as a motion session of a patient's visit (issue
 * 21 §5/§7): a PLUS depth sequence (`<device>_Depth.igs.mha`, known by its
 * content) read in a job — each frame deprojected, the patient picked out
 * and the back tracked by ICP (depthTrial.ts), which takes seconds per
 * second of recording — then the file and its trunk angle series
 * (`<file>.angles.json`, times from the recording's first frame) kept in
 * `store/motion/<session>/` and the features stored: range of motion,
 * minimum and maximum of each angle (°), peak angular velocities (°/s) and
 * the left/right asymmetry of lateral bending and axial rotation (%),
 * algorithm `orthotwin.trunk_depth` v1 with the options, the patient picked
 * and the frames used and skipped.
 *
 * The comparison with the IMU's trunk angles of the same visit
 * (`compareSeries`): the recordings share no clock (the C3D's times start at
 * its first sample), so the lag is searched over every offset at which the
 * series overlap by at least half the shorter one (normalised
 * cross-correlation of the three angles on a 0.05 s grid), then refined by
 * `alignAngleSeries` (depthMovement.ts, 0.01 s grid and a parabola) around
 * it; per angle the correlation and the RMS difference at that lag.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../electron/contract/errors.js';
import { newId } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import { defineJob, type CommitSide } from '../../electron/platform/job.js';
import { alignAngleSeries, DEFAULT_DEPTH_MOVEMENT, interpAngle, lagCorrelation, type AngleSeries } from '../../electron/engine/motion/depthMovement.js';
import type { AngleComparison, MotionFeature, MotionSession, TrunkAnglesView } from './contract.js';
import { DEPTH_TRIAL_PEOPLE, depthMovement, readDepthSequence, type DepthMovementResult } from './depthTrial.js';
import { getSession, insertSession, sessionFilePath, storedFileName } from './repo.js';

export const DEPTH_ALGORITHM = 'orthotwin.trunk_depth';
export const DEPTH_ALGORITHM_VERSION = '1';
const KEYS = ['flexion', 'lateralBending', 'axialRotation'] as const;
/** A left/right asymmetry whose larger peak is under this (°) is flagged. */
export const ASYMMETRY_MIN_DEG = 2;
const UPPER = 'depth camera: upper back',
  LOWER = 'depth camera: lower back';

/** Whether a file is a PLUS sequence (MetaImage `.igs.mha` or NRRD `.igs.nrrd`) by its first bytes. */
export function isPlusSequenceFile(file: string): boolean {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(32);
    const n = fs.readSync(fd, head, 0, 32, 0);
    const text = head.subarray(0, n).toString('latin1');
    return /^NRRD\d{4}/.test(text) || /^\s*(ObjectType|NDims)\s*=/.test(text);
  } catch {
    return false;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** The angle series kept with a depth session (`<file>.angles.json`). */
export const DepthAnglesFile = z.object({
  /** The recording's first frame time on its clock (s); `t` counts from it. */
  t0S: z.number(),
  t: z.array(z.number()),
  flexion: z.array(z.number()),
  lateralBending: z.array(z.number()),
  axialRotation: z.array(z.number()),
});
export type DepthAnglesFile = z.infer<typeof DepthAnglesFile>;

/** The depth options stored with the features (depthMovement's, with the people detection and the tracker's defaults). */
function depthParameters(r: DepthMovementResult, framesTotal: number, rateHz: number): Record<string, unknown> {
  return {
    people: { ...DEPTH_TRIAL_PEOPLE },
    maxJumpMm: 500,
    movement: { ...DEFAULT_DEPTH_MOVEMENT, up: r.upCam },
    referenceFrame: r.referenceFrame,
    personIndex: r.person.index,
    personFrame: r.person.frame,
    peopleInFrame: r.person.people,
    framesTotal,
    framesUsed: r.framesUsed,
    framesSkipped: r.framesSkipped,
    frameRateHz: rateHz,
  };
}

/** The stored features of a depth recording's trunk movement (see the file comment). */
export function depthFeatures(r: DepthMovementResult, framesTotal: number, rateHz: number): MotionFeature[] {
  const parameters = depthParameters(r, framesTotal, rateHz);
  const flags = r.framesSkipped ? [`${r.framesSkipped} of ${framesTotal} frames skipped`] : [];
  const base = {
    channel: 'depth camera',
    muscle: 'trunk',
    side: '',
    level: '',
    flags,
    algorithm: DEPTH_ALGORITHM,
    algorithmVersion: DEPTH_ALGORITHM_VERSION,
    parameters,
  };
  const out: MotionFeature[] = [];
  const names = { flexion: 'flexion', lateralBending: 'lateral_bending', axialRotation: 'axial_rotation' } as const;
  const fin = (v: number): number | null => (Number.isFinite(v) ? v : null);
  const s = r.summary;
  for (const k of KEYS) {
    const rom = s.rangeOfMotion[k];
    for (const [what, v] of [
      ['rom', rom.range],
      ['min', rom.min],
      ['max', rom.max],
    ] as const)
      out.push({ ...base, name: `depth.trunk_${names[k]}_${what}`, value: fin(v), unit: '°' });
  }
  for (const k of KEYS) out.push({ ...base, name: `depth.trunk_${names[k]}_peak_velocity`, value: fin(s.peakVelocityDegS[k]), unit: '°/s' });
  for (const k of ['lateralBending', 'axialRotation'] as const) {
    const a = s.asymmetry[k];
    out.push({
      ...base,
      name: `depth.trunk_${names[k]}_asymmetry`,
      value: a.indexPct,
      unit: '%',
      side: 'bilateral',
      // an index of two peaks within the noise says nothing about the patient
      flags: Math.max(a.rightDeg, a.leftDeg) < ASYMMETRY_MIN_DEG ? [...flags, `under ${ASYMMETRY_MIN_DEG}° to either side`] : flags,
      parameters: { ...parameters, rightDeg: a.rightDeg, leftDeg: a.leftDeg, formula: 'SI = 100 (R − L) / (0.5 (R + L))' },
    });
  }
  return out;
}

/**
 * Reads a depth recording and computes its trunk movement: the angle series kept with the session and its features.
 * @throws AppError from readDepthSequence / depthMovement, naming the file
 */
export function analyseDepthRecording(
  file: string,
  fileName: string,
  progress: (fraction: number, stage: string) => void = () => undefined,
): { angles: DepthAnglesFile; features: MotionFeature[]; durationS: number; rateHz: number } {
  progress(0.02, 'reading the depth recording');
  const seq = readDepthSequence(file);
  if (seq.kind !== 'plus') throw new AppError('IMPORT_UNSUPPORTED', `${fileName}: not a PLUS depth sequence`);
  const r = depthMovement(seq.frames, { source: fileName, onProgress: (f, stage) => progress(0.05 + 0.9 * f, stage) });
  const n = seq.frames.length;
  const t0 = seq.frames[0]!.timeS,
    span = seq.frames[n - 1]!.timeS - t0;
  const rateHz = n > 1 && span > 0 ? (n - 1) / span : 0;
  return {
    angles: {
      t0S: t0,
      t: r.timesS.map((t) => t - t0),
      flexion: r.angles.map((a) => a.flexion),
      lateralBending: r.angles.map((a) => a.lateralBending),
      axialRotation: r.angles.map((a) => a.axialRotation),
    },
    features: depthFeatures(r, n, rateHz),
    durationS: n > 1 ? (span * n) / (n - 1) : 0,
    rateHz,
  };
}

const StagedFile = z.object({ stagedPath: z.string(), bytes: z.number(), sha256: z.string() });

/** Reads a depth recording into a motion session: the job's result is the session. */
export const depthImportJob = defineJob({
  kind: 'motion-depth-import',
  title: 'Depth recording import',
  request: z.object({ sourcePath: z.string(), fileName: z.string(), stagingDir: z.string() }),
  output: z.object({
    file: StagedFile,
    angles: StagedFile,
    features: z.array(z.custom<MotionFeature>((v) => typeof v === 'object' && v !== null && 'name' in v, 'a motion feature')),
    durationS: z.number(),
    rateHz: z.number(),
  }),
  run: (req, w) => {
    const r = analyseDepthRecording(req.sourcePath, req.fileName, (f, stage) => w.progress(f, stage));
    w.progress(0.97, 'keeping the recording');
    // the sequence is released by now: the file is read once more to be kept
    const name = storedFileName(req.fileName);
    const file = w.stage(req.stagingDir, name, fs.readFileSync(req.sourcePath));
    const json = w.stage(req.stagingDir, `${name}.angles.json`, Buffer.from(JSON.stringify(r.angles)));
    w.result({ file, angles: json, features: r.features, durationS: r.durationS, rateHz: r.rateHz });
  },
  commit: (m, c: CommitSide<{ patientId: string; visitDate: string; visitLabel: string; fileName: string; upload: string | null }>) => {
    const id = newId();
    const dir = path.join('store', 'motion', id);
    const name = storedFileName(c.context.fileName);
    insertSession(
      c.store,
      {
        id,
        patientId: c.context.patientId,
        visitDate: c.context.visitDate,
        visitLabel: c.context.visitLabel,
        format: 'depth',
        fileName: c.context.fileName,
        bytes: m.file.bytes,
        sha256: m.file.sha256,
        durationS: m.durationS,
        analogHz: m.rateHz,
        pointHz: 0,
        points: 0,
        channels: [],
        events: [],
        simulated: false,
      },
      [
        { stagedPath: m.file.stagedPath, relPath: path.join(dir, name) },
        { stagedPath: m.angles.stagedPath, relPath: path.join(dir, `${name}.angles.json`) },
      ],
      m.features,
      c.actor,
    );
    // a browser-mode upload is removed once it is stored (a failed import's goes with the store's recovery)
    if (c.context.upload) fs.rmSync(c.context.upload, { recursive: true, force: true });
    return id;
  },
});

/** The kept angle series of a depth session. @throws AppError BAD_REQUEST (not a depth session), STORE_FAILED */
export async function depthAngles(store: TwinStore, s: MotionSession): Promise<DepthAnglesFile> {
  if (s.format !== 'depth') throw new AppError('BAD_REQUEST', `${s.fileName || 'the session'} is not a depth-camera recording`);
  const rel = `${sessionFilePath(store, s.id)}.angles.json`;
  try {
    return DepthAnglesFile.parse(JSON.parse((await store.readFile(rel)).toString('utf8')));
  } catch (e) {
    throw new AppError('STORE_FAILED', `the trunk angles of ${s.fileName || 'the depth session'} cannot be read from the store: ${(e as Error).message}`);
  }
}

/** A depth session's trunk angles as the plots take them (every k-th sample so that at most `maxPoints` remain). */
export function depthAnglesView(a: DepthAnglesFile, maxPoints: number): TrunkAnglesView {
  const k = Math.max(1, Math.ceil(a.t.length / maxPoints));
  const pick = (x: number[]): number[] => x.filter((_, i) => i % k === 0);
  return {
    upper: UPPER,
    lower: LOWER,
    t: pick(a.t),
    flexion: pick(a.flexion),
    lateralBending: pick(a.lateralBending),
    axialRotation: pick(a.axialRotation),
    reason: a.t.length ? null : 'no frame of the recording gave trunk angles',
  };
}

/** An angle series from a view's arrays. */
export const seriesOf = (v: Pick<TrunkAnglesView, 't' | 'flexion' | 'lateralBending' | 'axialRotation'>): AngleSeries => ({
  timesS: v.t,
  angles: v.t.map((_, i) => ({ flexion: v.flexion[i]!, lateralBending: v.lateralBending[i]!, axialRotation: v.axialRotation[i]! })),
});

/** Pearson correlation of paired values (null when either is flat or fewer than 3). */
function pearson(a: number[], b: number[]): number | null {
  if (a.length < 3) return null;
  const ma = a.reduce((s, v) => s + v, 0) / a.length,
    mb = b.reduce((s, v) => s + v, 0) / b.length;
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) ((ab += (a[i]! - ma) * (b[i]! - mb)), (aa += (a[i]! - ma) ** 2), (bb += (b[i]! - mb) ** 2));
  return aa > 1e-12 && bb > 1e-12 ? ab / Math.sqrt(aa * bb) : null;
}

export const COMPARE_PARAMETERS = { coarseStepS: 0.05, minOverlap: 0.5, fineMaxLagS: 0.15, fineStepS: 0.01 } as const;

/**
 * Time-aligns `other` to `reference` (see the file comment) and compares them.
 * @throws AppError COMPUTE_FAILED when the series never overlap by half the shorter one, or their angles are flat
 */
export function compareSeries(reference: AngleSeries, other: AngleSeries, names: { reference: string; other: string }): AngleComparison {
  const P = COMPARE_PARAMETERS;
  const span = (s: AngleSeries): [number, number] => [s.timesS[0] ?? 0, s.timesS[s.timesS.length - 1] ?? 0];
  const [r0, r1] = span(reference),
    [o0, o1] = span(other);
  const need = P.minOverlap * Math.min(r1 - r0, o1 - o0);
  if (reference.timesS.length < 3 || other.timesS.length < 3 || !(need > 0))
    throw new AppError('COMPUTE_FAILED', `${names.reference} and ${names.other}: too few trunk angle samples to compare`);
  // coarse: every lag at which the other's span [o0 + lag, o1 + lag] overlaps the reference's by `need`
  let best = { lag: NaN, c: -Infinity };
  for (let lag = r0 - o1 + need; lag <= r1 - o0 - need + 1e-9; lag += P.coarseStepS) {
    // pairs per angle: fewer than 3 where the spans barely overlap
    const { c, n } = lagCorrelation(reference, other, lag);
    if (n < 3) continue;
    if (c > best.c) best = { lag, c };
  }
  if (!Number.isFinite(best.lag))
    throw new AppError(
      'COMPUTE_FAILED',
      `${names.reference} and ${names.other}: the trunk angles are flat or the recordings never overlap by half the shorter one`,
    );
  // fine: the other shifted by the coarse lag, aligned on a 0.01 s grid around it
  const shifted: AngleSeries = { timesS: other.timesS.map((t) => t + best.lag), angles: other.angles };
  let fine;
  try {
    fine = alignAngleSeries(reference, shifted, P.fineMaxLagS, P.fineStepS);
  } catch (e) {
    throw new AppError('COMPUTE_FAILED', `${names.reference} and ${names.other}: ${(e as Error).message}`);
  }
  const lagS = best.lag + fine.lagS;
  const t = [...reference.timesS];
  const oth = Object.fromEntries(KEYS.map((k) => [k, t.map((x) => interpAngle(other, k, x - lagS))])) as Record<(typeof KEYS)[number], number[]>;
  const perAngle = KEYS.map((k) => {
    const a: number[] = [],
      b: number[] = [];
    t.forEach((_, i) => Number.isFinite(oth[k][i]!) && (a.push(reference.angles[i]![k]), b.push(oth[k][i]!)));
    const rms = a.length ? Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length) : null;
    return { angle: k, correlation: pearson(a, b), rmsDeg: rms };
  });
  const nul = (x: number[]): (number | null)[] => x.map((v) => (Number.isFinite(v) ? v : null));
  return {
    reference: names.reference,
    other: names.other,
    lagS,
    correlation: fine.correlation,
    perAngle,
    samples: fine.samples,
    aligned: {
      t,
      reference: {
        flexion: reference.angles.map((a) => a.flexion),
        lateralBending: reference.angles.map((a) => a.lateralBending),
        axialRotation: reference.angles.map((a) => a.axialRotation),
      },
      other: { flexion: nul(oth.flexion), lateralBending: nul(oth.lateralBending), axialRotation: nul(oth.axialRotation) },
    },
    algorithm: 'orthotwin.angle_alignment',
    parameters: { ...P, coarseLagS: best.lag, coarseCorrelation: best.c },
  };
}

/** The session's description in a comparison ("<file> (visit …)"). */
export const sessionName = (s: MotionSession): string =>
  `${s.fileName || 'session'}${s.visitDate ? ` (visit ${s.visitDate}${s.visitLabel ? ` ${s.visitLabel}` : ''})` : ''}`;

/** Guards for the comparison: the same patient. @throws AppError BAD_REQUEST */
export function assertComparable(store: TwinStore, a: string, b: string): { a: MotionSession; b: MotionSession } {
  const sa = getSession(store, a),
    sb = getSession(store, b);
  if (a === b) throw new AppError('BAD_REQUEST', 'a session is compared with another session, not with itself');
  if (sa.patientId !== sb.patientId)
    throw new AppError('BAD_REQUEST', 'the two sessions are of different patients: trunk angles are compared within one patient’s sessions');
  return { a: sa, b: sb };
}
