/**
 * Motion lab sessions (issue 21 §7): a motion trial (C3D or analog CSV:
 * sEMG, IMU, events) imported into a patient's record for a visit, the file
 * kept in the twin store, and its features stored with the patient's twin as
 * rows of value, unit, channel, muscle, side, level, algorithm and version
 * and every parameter (migration 0015). A session's channels are read back
 * for the plots (min/max decimated raw sEMG, linear envelope, Welch PSD, the
 * MDF of 1 s windows with its least-squares line) and exported as OpenSim
 * storage files.
 */
import { z } from 'zod';
import { defineService, ALL_ROLES, CLINICAL_ROLES } from '../../electron/contract/define.js';
import { Id } from '../../electron/contract/primitives.js';
import { IsoDay } from '../devices/contract.js';

export const MotionChannel = z.object({
  label: z.string(),
  unit: z.string(),
  /** sEMG (V, label …EMG<n>), IMU (g, deg/s, uT) or another analog channel. */
  kind: z.enum(['emg', 'imu', 'other']),
  /** The muscle under the electrode ('' when the file does not say). */
  muscle: z.string(),
  side: z.enum(['left', 'right', 'midline', '']),
  /** Vertebral level of the electrode (e.g. 'L4'), '' when the file does not say. */
  level: z.string(),
});
export type MotionChannel = z.infer<typeof MotionChannel>;

export const MotionEvent = z.object({ label: z.string(), context: z.string(), timeS: z.number() });
export type MotionEvent = z.infer<typeof MotionEvent>;

/** One stored feature of a session. */
export const MotionFeature = z.object({
  /** e.g. 'emg.rms', 'emg.mdf_slope', 'emg.symmetry_rms'. */
  name: z.string(),
  /** null where the feature does not exist for the channel (a flat channel's spectrum, a missing side). */
  value: z.number().nullable(),
  unit: z.string(),
  /** The channel's label (for a symmetry index: "left/right"). */
  channel: z.string(),
  muscle: z.string(),
  side: z.string(),
  level: z.string(),
  /** 'flat', 'saturated', … */
  flags: z.array(z.string()),
  algorithm: z.string(),
  algorithmVersion: z.string(),
  /** Every parameter the value was computed with. */
  parameters: z.record(z.string(), z.unknown()),
});
export type MotionFeature = z.infer<typeof MotionFeature>;

export const MotionSession = z.object({
  id: Id,
  patientId: Id,
  /** The visit's day (ISO 8601) and label. */
  visitDate: z.string(),
  visitLabel: z.string(),
  /** 'depth': a depth-camera recording of the patient's back (a PLUS depth sequence; no channels, trunk angles from the frames). */
  format: z.enum(['c3d', 'analog-csv', 'time-series-csv', 'depth']),
  /** The imported file's name (the copy in the store is the source of every later read). */
  fileName: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
  durationS: z.number(),
  analogHz: z.number(),
  pointHz: z.number(),
  /** Markers in the file. */
  points: z.number().int(),
  channels: z.array(MotionChannel),
  events: z.array(MotionEvent),
  /** Made by a simulator or a replay (the recording says so): not the patient's data. */
  simulated: z.boolean(),
  featureCount: z.number().int(),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type MotionSession = z.infer<typeof MotionSession>;

export const MotionSessionDetail = MotionSession.extend({ features: z.array(MotionFeature) });
export type MotionSessionDetail = z.infer<typeof MotionSessionDetail>;

export const ImportTrialRequest = z.object({
  patientId: Id,
  /** The trial file on this machine (a browser-mode upload's path, or a desktop path). */
  path: z.string().min(1),
  visitDate: IsoDay,
  visitLabel: z.string().trim().max(120).default(''),
  /** Power-line notch (Hz) for the sEMG features; none by default. */
  notchHz: z
    .union([z.literal(50), z.literal(60)])
    .nullable()
    .default(null),
});
export type ImportTrialRequest = z.input<typeof ImportTrialRequest>;

/** One channel of a session for the plots (all times in s from the trial's first sample). */
export const ChannelView = z.object({
  label: z.string(),
  unit: z.string(),
  rateHz: z.number(),
  samples: z.number().int(),
  /** Raw signal as min/max per bin (≤ maxPoints bins): bin centre times and the extremes, in `unit`. */
  raw: z.object({ t: z.array(z.number()), min: z.array(z.number()), max: z.array(z.number()) }),
  /** sEMG only: the linear envelope (V) at the bins' times. */
  envelope: z.array(z.number()).nullable(),
  /** sEMG only: the Welch PSD (V²/Hz) from 0 to 500 Hz. */
  psd: z.object({ f: z.array(z.number()), p: z.array(z.number()) }).nullable(),
  /** sEMG only: MDF of each 1 s window (0.5 s step) and the least-squares line MDF = a + b t. */
  mdf: z
    .object({
      t: z.array(z.number()),
      hz: z.array(z.number().nullable()),
      interceptHz: z.number().nullable(),
      slopeHzPerS: z.number().nullable(),
    })
    .nullable(),
});
export type ChannelView = z.infer<typeof ChannelView>;

/** A session's trunk angles from its IMU (degrees; times in s from the trial's first sample), or why there are none. */
export const TrunkAnglesView = z.object({
  /** The cranial and caudal sensors, e.g. "EMG1 (T12 left)". */
  upper: z.string(),
  lower: z.string(),
  t: z.array(z.number()),
  flexion: z.array(z.number()),
  lateralBending: z.array(z.number()),
  axialRotation: z.array(z.number()),
  /** Why the session has no trunk angles (no two IMU sensors at different levels, too short); null when it has. */
  reason: z.string().nullable(),
});
export type TrunkAnglesView = z.infer<typeof TrunkAnglesView>;

/** The import of a depth recording, started as a job (its result id is the new session's id). */
export const DepthImportStarted = z.object({ jobId: Id, fileName: z.string() });
export type DepthImportStarted = z.infer<typeof DepthImportStarted>;

const AngleKey = z.enum(['flexion', 'lateralBending', 'axialRotation']);

/**
 * The trunk angles of two sessions of one patient compared after time alignment (the depth camera's against the IMU's):
 * the lag that aligns them (normalised cross-correlation of the three angles), and per angle the correlation and the
 * RMS difference at that lag; both series on the first session's times for the plot.
 */
export const AngleComparison = z.object({
  /** The first session's (e.g. the depth camera's) and the second's (e.g. the IMU's) descriptions. */
  reference: z.string(),
  other: z.string(),
  /** Add to the second session's times (s from its first sample) to bring them onto the first's: other(t − lag) ≈ reference(t). */
  lagS: z.number(),
  /** Normalised cross-correlation of the three angles (zero-mean each, concatenated) at the lag. */
  correlation: z.number(),
  perAngle: z.array(z.object({ angle: AngleKey, correlation: z.number().nullable(), rmsDeg: z.number().nullable() })),
  /** Reference samples compared (those the other series covers at the lag). */
  samples: z.number().int(),
  /** The first session's times (s) with its angles and the second's at t − lag (null outside it). */
  aligned: z.object({
    t: z.array(z.number()),
    reference: z.object({ flexion: z.array(z.number()), lateralBending: z.array(z.number()), axialRotation: z.array(z.number()) }),
    other: z.object({
      flexion: z.array(z.number().nullable()),
      lateralBending: z.array(z.number().nullable()),
      axialRotation: z.array(z.number().nullable()),
    }),
  }),
  algorithm: z.string(),
  parameters: z.record(z.string(), z.unknown()),
});
export type AngleComparison = z.infer<typeof AngleComparison>;

/** An OpenSim file of a session, as text for a download. */
export const OpenSimFile = z.object({ fileName: z.string(), text: z.string(), rows: z.number().int(), columns: z.number().int() });
export type OpenSimFile = z.infer<typeof OpenSimFile>;

/** The visit date and file name of a session are identifying context: a researcher gets neither. */
const redactSession = <T extends MotionSession>(s: T): T => ({ ...s, visitDate: '', fileName: '' });

export const MotionService = defineService(
  'motion',
  {
    /**
     * Imports a trial file into the patient's record for a visit: the file copied into the store (sealed when the
     * store is encrypted), its sEMG features computed and stored; audited. A file that cannot be read as a trial
     * stores nothing (its error names the file and the reason). A depth recording (a PLUS depth sequence, known by
     * its content) is read as a job (deprojection, people detection and ICP per frame): the result is then the job,
     * whose result id is the session with the trunk angles' features (depthSession.ts).
     */
    importTrial: {
      roles: CLINICAL_ROLES,
      verb: 'import motion trials',
      args: z.tuple([ImportTrialRequest]),
      result: z.union([MotionSessionDetail, DepthImportStarted]),
    },
    /** The patient's motion sessions, newest visit first. */
    sessions: {
      roles: ALL_ROLES,
      audit: { action: 'read', recordType: 'patient' },
      redact: (ss: MotionSession[]) => ss.map(redactSession),
      args: z.tuple([Id]),
      result: z.array(MotionSession),
    },
    /** A session with its stored features. */
    session: {
      roles: ALL_ROLES,
      audit: { action: 'read', recordType: 'motion-session' },
      redact: redactSession,
      args: z.tuple([Id]),
      result: MotionSessionDetail,
    },
    /** One channel of a session for the plots (`maxPoints` bins of the raw signal, 200–8000). */
    channel: {
      roles: ALL_ROLES,
      audit: { action: 'read', recordType: 'motion-session' },
      args: z.tuple([Id, z.string(), z.number().int().min(200).max(8000).default(2000)]),
      result: ChannelView,
    },
    /** The session's trunk angles from its IMU sensors, or a depth session's from its frames (at most `maxPoints` samples, 200–8000). */
    trunkAngles: {
      roles: ALL_ROLES,
      audit: { action: 'read', recordType: 'motion-session' },
      args: z.tuple([Id, z.number().int().min(200).max(8000).default(2000)]),
      result: TrunkAnglesView,
    },
    /**
     * The trunk angles of a depth session compared with those of another session of the same patient (its IMU)
     * after time alignment; refused with the reason when either has no trunk angles or they are of different patients.
     */
    compareAngles: {
      roles: ALL_ROLES,
      audit: { action: 'read', recordType: 'motion-session' },
      args: z.tuple([Id, Id]),
      result: AngleComparison,
    },
    /**
     * The session's sEMG linear envelopes (V, every sEMG channel, at 100 Hz) as an OpenSim storage file
     * (`mot` or `sto`); audited as an export.
     */
    exportOpenSim: {
      roles: ALL_ROLES,
      audit: { action: 'export', recordType: 'motion-session' },
      args: z.tuple([Id, z.enum(['mot', 'sto'])]),
      result: OpenSimFile,
    },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    motion: typeof MotionService;
  }
}
