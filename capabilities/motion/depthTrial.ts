/**
 * Depth-video movement trials (issue 21 §5): a depth recording of the
 * patient's back read as point clouds with times, the patient picked out
 * of each frame, and the trunk angles, range of motion, velocities and
 * left/right asymmetry of the movement.
 *
 * Inputs (`readDepthSequence`)
 * - a PLUS sequence (`.igs.mha` / `.igs.nrrd`) of uint16 depth frames as
 *   the device host's recorder writes them (`<device>_Depth.igs.mha`): the
 *   intrinsics as per-frame fields `Fx Fy Cx Cy DepthScaleMm` (Cx, Cy
 *   default to the image centre and DepthScaleMm to 1, as the replay does),
 *   times from `Seq_FrameNNNN_Timestamp` (s, the session's shared host
 *   clock, so the depth angles line up with the session's IMU and sEMG);
 *   each frame is deprojected (pinhole, `formats.ts` deproject) when it is
 *   used, so a long recording is not held as clouds;
 * - a folder of `.pcd` / `.ply` frames, in the order of their names
 *   (numeric runs compared as numbers: frame_2 before frame_10), at
 *   `rateHz` (default 30 Hz) from t = 0. Their unit is taken from the first
 *   frame's extent unless given: PCL and RealSense tools write metres (a
 *   scene spans a few units), a cloud in millimetres spans hundreds.
 * `rateHz` given for a PLUS sequence replaces its timestamps by
 * first timestamp + k / rateHz.
 *
 * The patient (`depthMovement`): people are detected in the first frame
 * that has any (`depthPeople.ts`, which needs the floor in view); when there
 * are several, the one nearest the optical axis (the image centre) is the
 * patient, or the `personIndex`-th from the left. In each later frame the
 * patient is the person nearest the previous frame's patient centroid
 * (within `maxJumpMm`); a frame without one is skipped and counted with the
 * reason. The detection's defaults are PCL's except two that suit a camera
 * framing the back at about 1–1.5 m rather than whole people in a room: a
 * silhouette of at least 0.05 m² (PCL's 0.4 m² is a whole standing person)
 * and heads at least 450 mm apart (the shoulders or the cut top of a
 * framed trunk are not two people). The neutral reference is frame
 * `referenceIndex` (default the first used frame); the up direction is the
 * ground normal of the frame the patient was picked in. The trunk angles
 * are then `depthMovement.ts`'s DepthTrunkTracker on the patient's points.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { detectPeople, type PeopleParams } from '../../electron/engine/motion/depthPeople.js';
import {
  backSurface,
  DEFAULT_DEPTH_MOVEMENT,
  DepthTrunkTracker,
  movementSummary,
  type DepthMovementFrame,
  type DepthMovementParams,
  type MovementSummary,
} from '../../electron/engine/motion/depthMovement.js';
import type { TrunkAnglesDeg } from '../../electron/engine/motion/trunkAngles.js';
import { deproject, DepthFormatError, readPcd, readPly, type PinholeIntrinsics } from '../../native-bridges/devices/depth/formats.js';
import { framePixels, PlusSequenceError, readPlusSequence, type PlusSequence } from '../../native-bridges/recording/plusSequence.js';

/** One frame of a depth recording: time (s) and cloud (xyz interleaved, camera frame, mm; NaN where nothing was measured). */
export interface DepthSequenceFrame extends DepthMovementFrame {
  readonly points: Float32Array;
}

export interface DepthSequence {
  file: string;
  kind: 'plus' | 'folder';
  /** In time order; `points` is computed (PLUS) or read (folder) on each access. */
  frames: DepthSequenceFrame[];
  /** Millimetres per file unit of a folder's clouds (1000 = metres); 1 for a PLUS sequence (depth scale per frame). */
  unitMm: number;
  /** The first frame's intrinsics (PLUS sequences). */
  intrinsics?: PinholeIntrinsics;
}

export interface ReadDepthOptions {
  /** Frame rate (Hz): a folder's frames are k / rateHz apart (default 30); a PLUS sequence's timestamps are replaced. */
  rateHz?: number;
  /** Unit of a folder's .pcd/.ply clouds: 'auto' (by extent, default), 'm' or 'mm'. */
  unit?: 'auto' | 'm' | 'mm';
}

export const DEFAULT_FOLDER_RATE_HZ = 30;

/** A cloud whose finite points span less than this (bounding-box diagonal, in its units) is in metres. */
const METRE_EXTENT = 50;

/** Bounding-box diagonal of the finite points (every `step`-th point), NaN when there is none. */
export function cloudExtent(points: ArrayLike<number>, step = 7): number {
  const lo = [Infinity, Infinity, Infinity],
    hi = [-Infinity, -Infinity, -Infinity];
  let n = 0;
  for (let i = 0; i + 2 < points.length; i += 3 * step) {
    const x = points[i]!,
      y = points[i + 1]!,
      z = points[i + 2]!;
    if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) continue;
    n++;
    ((lo[0] = Math.min(lo[0]!, x)), (lo[1] = Math.min(lo[1]!, y)), (lo[2] = Math.min(lo[2]!, z)));
    ((hi[0] = Math.max(hi[0]!, x)), (hi[1] = Math.max(hi[1]!, y)), (hi[2] = Math.max(hi[2]!, z)));
  }
  return n ? Math.hypot(hi[0]! - lo[0]!, hi[1]! - lo[1]!, hi[2]! - lo[2]!) : NaN;
}

const metresMessage = (extent: number): string =>
  `the cloud spans ${extent.toPrecision(3)} units: it is in metres where millimetres are expected (a person in millimetres spans hundreds)`;

/**
 * Reads a depth recording as point clouds (mm, camera frame) with times (s).
 * @param file a PLUS depth sequence (.igs.mha / .igs.nrrd, uint16 frames with Fx Fy per frame) or a folder of .pcd/.ply frames
 * @throws AppError naming the file and the reason: missing (NOT_FOUND), not a depth sequence or unknown files (IMPORT_UNSUPPORTED),
 *   no frames (IMPORT_EMPTY_FILE), unreadable header or frame (IMPORT_BAD_HEADER / IMPORT_TRUNCATED), times not increasing,
 *   clouds in metres when `unit: 'mm'` (BAD_REQUEST)
 */
export function readDepthSequence(file: string, o: ReadDepthOptions = {}): DepthSequence {
  const name = path.basename(file);
  if (o.rateHz !== undefined && !(o.rateHz > 0 && Number.isFinite(o.rateHz)))
    throw new AppError('BAD_REQUEST', `${name}: the frame rate must be a positive number of Hz (got ${o.rateHz})`);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new AppError('NOT_FOUND', `${name}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const seq = st.isDirectory() ? readFolder(file, name, o) : readPlus(file, name, o);
  for (let k = 1; k < seq.frames.length; k++)
    if (!(seq.frames[k]!.timeS > seq.frames[k - 1]!.timeS))
      throw new AppError(
        'IMPORT_BAD_HEADER',
        `${name}: frame times must increase (frame ${k} at ${seq.frames[k]!.timeS} s after ${seq.frames[k - 1]!.timeS} s); give a frame rate to use k / rate instead`,
      );
  return seq;
}

function readPlus(file: string, name: string, o: ReadDepthOptions): DepthSequence {
  let s: PlusSequence;
  try {
    s = readPlusSequence(file);
  } catch (e) {
    if (e instanceof PlusSequenceError)
      throw new AppError(
        /holds \d+ bytes/.test(e.message) ? 'IMPORT_TRUNCATED' : 'IMPORT_BAD_HEADER',
        `${name}: not a readable PLUS depth sequence (${e.message.replace(`${file}: `, '')})`,
      );
    throw new AppError('IMPORT_BAD_HEADER', `${name}: not a readable PLUS depth sequence (${(e as Error).message})`);
  }
  if (s.frames.length === 0) throw new AppError('IMPORT_EMPTY_FILE', `${name}: the sequence has no frames`);
  if (s.width * s.height === 0) throw new AppError('IMPORT_UNSUPPORTED', `${name}: not a depth sequence (a tracking-only recording: frames without pixels)`);
  if (s.elementType !== 'uint16')
    throw new AppError('IMPORT_UNSUPPORTED', `${name}: not a depth sequence (8-bit frames: an ultrasound or video recording; depth frames are 16-bit)`);
  const intrinsicsOf = (k: number): PinholeIntrinsics => {
    const f = s.frames[k]!.fields;
    const num = (key: string, d?: number): number => {
      const v = f[key] !== undefined ? Number(f[key]) : d;
      if (v === undefined || !Number.isFinite(v) || (key !== 'Cx' && key !== 'Cy' && v <= 0))
        throw new AppError(
          'IMPORT_UNSUPPORTED',
          f[key] === undefined
            ? `${name}: not a depth sequence of OrthoTwin's recorder (frame ${k} has no ${key} intrinsics field)`
            : `${name}: frame ${k} has an invalid ${key} (${f[key]})`,
        );
      return v;
    };
    return {
      width: s.width,
      height: s.height,
      fx: num('Fx'),
      fy: num('Fy'),
      cx: num('Cx', (s.width - 1) / 2),
      cy: num('Cy', (s.height - 1) / 2),
      depthScaleMm: num('DepthScaleMm', 1),
    };
  };
  const K0 = intrinsicsOf(0);
  const t0 = s.frames[0]!.timestampS;
  const frames = s.frames.map((fr, k): DepthSequenceFrame => {
    const K = k === 0 ? K0 : intrinsicsOf(k);
    const timeS = o.rateHz ? t0 + k / o.rateHz : fr.timestampS;
    return {
      timeS,
      get points(): Float32Array {
        const px = framePixels(s, k);
        const depth = new Uint16Array(s.width * s.height);
        for (let i = 0; i < depth.length; i++) depth[i] = px[2 * i]! | (px[2 * i + 1]! << 8);
        return deproject({ depth, intrinsics: K, deviceTimeUs: timeS * 1e6, hostTimeUs: timeS * 1e6, seq: k }).points;
      },
    };
  });
  return { file, kind: 'plus', frames, unitMm: 1, intrinsics: K0 };
}

function readFolder(dir: string, name: string, o: ReadDepthOptions): DepthSequence {
  const files = fs
    .readdirSync(dir)
    .filter((f) => /\.(pcd|ply)$/i.test(f))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (files.length === 0) throw new AppError('IMPORT_EMPTY_FILE', `${name}: the folder holds no .pcd or .ply frames`);
  const load = (f: string, unitMm: number): Float32Array => {
    const p = path.join(dir, f);
    try {
      const bytes = new Uint8Array(fs.readFileSync(p));
      return (/\.pcd$/i.test(f) ? readPcd(bytes, f, unitMm) : readPly(bytes, f, unitMm)).points;
    } catch (e) {
      if (e instanceof DepthFormatError) throw new AppError('IMPORT_BAD_HEADER', `${name}/${e.message}`);
      throw new AppError('NOT_FOUND', `${name}/${f}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const extent = cloudExtent(load(files[0]!, 1));
  if (!Number.isFinite(extent)) throw new AppError('IMPORT_EMPTY_FILE', `${name}/${files[0]}: the first frame has no valid point`);
  const unit = o.unit ?? 'auto';
  if (unit === 'mm' && extent < METRE_EXTENT) throw new AppError('BAD_REQUEST', `${name}/${files[0]}: ${metresMessage(extent)}`);
  const unitMm = unit === 'm' || (unit === 'auto' && extent < METRE_EXTENT) ? 1000 : 1;
  const rate = o.rateHz ?? DEFAULT_FOLDER_RATE_HZ;
  const frames = files.map((f, k): DepthSequenceFrame => ({
    timeS: k / rate,
    get points(): Float32Array {
      return load(f, unitMm);
    },
  }));
  return { file: dir, kind: 'folder', frames, unitMm };
}

export interface DepthMovementOptions {
  /** Names the recording in messages. */
  source?: string;
  /** The neutral, upright frame (index into the frames; default the first frame with the patient). */
  referenceIndex?: number;
  /** The patient among the people of the first frame with people, from the left (default: the one nearest the image centre). */
  personIndex?: number;
  /** The patient moves at most this far between used frames (mm, centroid). */
  maxJumpMm?: number;
  /** People detection (`depthPeople.ts`) over DEPTH_TRIAL_PEOPLE. */
  people?: Partial<PeopleParams>;
  /** The trunk tracker (`depthMovement.ts`); `up` defaults to the detected ground normal. */
  movement?: Partial<DepthMovementParams>;
  /** Called after each frame of the people pass (fraction 0–0.5) and of the tracking pass (0.5–1). */
  onProgress?(fraction: number, stage: string): void;
}

/** The people detection's settings for a camera framing the back (see the file comment). */
export const DEPTH_TRIAL_PEOPLE: Partial<PeopleParams> = { minSilhouetteMm2: 50_000, headMinDistanceMm: 450 };

export interface DepthMovementResult {
  /** Times (s) and trunk angles (deg) of the used frames. */
  timesS: number[];
  angles: TrunkAnglesDeg[];
  summary: MovementSummary;
  framesUsed: number;
  framesSkipped: number;
  /** The skipped frames (index, time) and why. */
  skipped: { frame: number; timeS: number; reason: string }[];
  /** The used frames' indices in the recording, and the reference frame's. */
  frameIndices: number[];
  referenceFrame: number;
  /** The patient where picked: index among that frame's people (left to right), its points and centroid (camera frame, mm). */
  person: { index: number; frame: number; people: number; points: number; centroidMm: [number, number, number] };
  /** The ground normal the angles' up direction came from (camera frame). */
  upCam: [number, number, number];
}

/**
 * Trunk movement of a depth recording of the patient's back.
 * @throws AppError naming the source and the reason: no frames, clouds in metres, no person in any frame, the chosen person
 *   or reference frame out of range or without the patient, a reference back too small to track
 */
export function depthMovement(frames: readonly DepthMovementFrame[], o: DepthMovementOptions = {}): DepthMovementResult {
  const src = o.source ?? 'depth recording';
  if (frames.length === 0) throw new AppError('IMPORT_EMPTY_FILE', `${src}: no frames`);
  if (o.referenceIndex !== undefined && !(Number.isInteger(o.referenceIndex) && o.referenceIndex >= 0 && o.referenceIndex < frames.length))
    throw new AppError('BAD_REQUEST', `${src}: reference frame ${o.referenceIndex} does not exist (frames 0–${frames.length - 1})`);
  const peopleParams = { ...DEPTH_TRIAL_PEOPLE, ...o.people };
  const maxJump = o.maxJumpMm ?? 500;
  const skipped: DepthMovementResult['skipped'] = [];
  const used: { frame: number; timeS: number; points: Float32Array }[] = [];
  let person: DepthMovementResult['person'] | null = null;
  let up: [number, number, number] = [0, -1, 0];
  let last: [number, number, number] | null = null;
  const detectErrors = new Map<string, number>();
  frames.forEach((f, k) => {
    const pts = f.points;
    const extent = cloudExtent(pts);
    if (Number.isFinite(extent) && extent < METRE_EXTENT) throw new AppError('BAD_REQUEST', `${src}: frame ${k}: ${metresMessage(extent)}`);
    let detection;
    try {
      detection = detectPeople(pts, peopleParams);
    } catch (e) {
      const reason = (e as Error).message;
      detectErrors.set(reason, (detectErrors.get(reason) ?? 0) + 1);
      skipped.push({ frame: k, timeS: f.timeS, reason });
      return;
    }
    const people = detection.people;
    let pick = -1;
    if (!last) {
      if (people.length === 0) return void skipped.push({ frame: k, timeS: f.timeS, reason: 'no person in the frame' });
      if (o.personIndex !== undefined) {
        if (!(Number.isInteger(o.personIndex) && o.personIndex >= 0 && o.personIndex < people.length))
          throw new AppError(
            'BAD_REQUEST',
            `${src}: person ${o.personIndex} does not exist: frame ${k} shows ${people.length} (0–${people.length - 1}, left to right)`,
          );
        pick = o.personIndex;
      } else {
        const off = (c: readonly number[]): number => Math.hypot(c[0]!, c[1]!) / c[2]!;
        people.forEach((p, i) => (pick < 0 || off(p.centroidMm) < off(people[pick]!.centroidMm) ? (pick = i) : 0));
      }
    } else {
      let best = Infinity;
      people.forEach((p, i) => {
        const d = Math.hypot(p.centroidMm[0] - last![0], p.centroidMm[1] - last![1], p.centroidMm[2] - last![2]);
        if (d < best) ((best = d), (pick = i));
      });
      if (pick < 0 || best > maxJump)
        return void skipped.push({
          frame: k,
          timeS: f.timeS,
          reason: people.length ? `no person within ${maxJump} mm of the patient's last centroid (nearest ${best.toFixed(0)} mm)` : 'no person in the frame',
        });
    }
    const p = people[pick]!;
    if (!last) {
      person = { index: pick, frame: k, people: people.length, points: p.indices.length, centroidMm: p.centroidMm };
      // the ground normal of this frame as the patient's up direction (detectPeople's normal points up)
      up = detection.ground.normal;
    }
    last = p.centroidMm;
    const sub = new Float32Array(3 * p.indices.length);
    p.indices.forEach((i, j) => ((sub[3 * j] = pts[3 * i]!), (sub[3 * j + 1] = pts[3 * i + 1]!), (sub[3 * j + 2] = pts[3 * i + 2]!)));
    used.push({ frame: k, timeS: f.timeS, points: sub });
    o.onProgress?.((0.5 * (k + 1)) / frames.length, `finding the patient: frame ${k + 1} of ${frames.length}`);
  });
  if (!person || used.length === 0) {
    const why = detectErrors.size ? ` (${[...detectErrors].map(([r, n]) => `${n} × ${r}`).join('; ')})` : '';
    throw new AppError('COMPUTE_FAILED', `${src}: no person found in any of the ${frames.length} frames${why}`);
  }
  const refFrame = o.referenceIndex ?? used[0]!.frame;
  const ref = used.find((u) => u.frame === refFrame);
  if (!ref)
    throw new AppError('BAD_REQUEST', `${src}: reference frame ${refFrame} has no patient (${skipped.find((s) => s.frame === refFrame)?.reason ?? 'skipped'})`);
  const params: Partial<DepthMovementParams> = { up: o.movement?.up ?? up, ...o.movement };
  const capture = { ...DEFAULT_DEPTH_MOVEMENT.capture, ...params.capture };
  let tracker: DepthTrunkTracker;
  try {
    tracker = new DepthTrunkTracker(backSurface(ref.points, capture), params);
  } catch (e) {
    throw new AppError('COMPUTE_FAILED', `${src}: the patient's back in reference frame ${refFrame} cannot be tracked (${(e as Error).message})`);
  }
  const timesS: number[] = [],
    angles: TrunkAnglesDeg[] = [],
    frameIndices: number[] = [];
  for (const [j, u] of used.entries()) {
    o.onProgress?.(0.5 + (0.5 * j) / used.length, `tracking the back: frame ${j + 1} of ${used.length}`);
    try {
      angles.push(tracker.update(backSurface(u.points, capture), u.timeS).angles);
      timesS.push(u.timeS);
      frameIndices.push(u.frame);
    } catch (e) {
      if (u.frame === refFrame) throw new AppError('COMPUTE_FAILED', `${src}: reference frame ${refFrame}: ${(e as Error).message}`);
      skipped.push({ frame: u.frame, timeS: u.timeS, reason: `back surface: ${(e as Error).message}` });
    }
  }
  skipped.sort((a, b) => a.frame - b.frame);
  return {
    timesS,
    angles,
    summary: movementSummary(timesS, angles),
    framesUsed: timesS.length,
    framesSkipped: skipped.length,
    skipped,
    frameIndices,
    referenceFrame: refFrame,
    person,
    upCam: params.up as [number, number, number],
  };
}
