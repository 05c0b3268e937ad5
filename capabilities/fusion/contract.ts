/**
 * Live fusion: acquisition-setup calibrations (PLUS import, pivot, N-wire
 * probe, camera ↔ tracker, temporal), markerless camera → image
 * registrations with TRE landmarks, and fusion sessions recorded as one unit.
 */
import { z } from 'zod';
import { defineService, CLINICAL_ROLES } from '../../electron/contract/define.js';
import { Id, Vec3 } from '../../electron/contract/primitives.js';
import { RecordedFile } from '../../electron/contract/devices.js';

/** Input of a depth camera ↔ tracker calibration. */
export const CameraTrackerInput = z.discriminatedUnion('method', [
  /** Fiducials of a calibration object: in the camera frame (mm) and touched with the calibrated stylus (tracker frame, mm), ≥ 3 pairs. */
  z.object({ method: z.literal('paired-points'), camera: z.array(Vec3).min(3), tracker: z.array(Vec3).min(3), sourcePath: z.string().default('') }),
  /** Stations of an object carrying an EM sensor: its pose seen by the camera and the sensor's pose in the tracker (row-major 4×4, mm), ≥ 3. */
  z.object({
    method: z.literal('hand-eye'),
    cameraFromObject: z.array(z.array(z.number()).length(16)).min(3),
    trackerFromSensor: z.array(z.array(z.number()).length(16)).min(3),
    sourcePath: z.string().default(''),
  }),
]);
export type CameraTrackerInput = z.input<typeof CameraTrackerInput>;

export const TemporalOptions = z.object({
  /** The tracked tool on the probe (its <tool>ToTracker or <tool>ToReference transforms). */
  tool: z.string().min(1).default('Probe'),
  /** Largest lag searched (ms). */
  maxLagMs: z.number().min(50).max(5000).default(1000),
  /** The tracker's recording, when the video and the tracker were recorded to separate sequences (default: the video's own transforms). */
  trackerPath: z.string().min(1).optional(),
});

/** A stored calibration of an acquisition setup (one tracker + probe + camera arrangement). */
export const CalibrationRecord = z.object({
  id: Id,
  setup: z.string(),
  /** e.g. ImageToProbe, StylusTipToStylus, PhantomToReference, CameraToTracker, TemporalOffset. */
  kind: z.string(),
  fromFrame: z.string(),
  toFrame: z.string(),
  /** Row-major 4×4 (mm; image frames in pixels), null for a temporal offset. */
  matrix: z.array(z.number()).length(16).nullable(),
  /** Temporal offset (ms) added to the device's timestamps, null for a spatial calibration. */
  valueMs: z.number().nullable(),
  /** The calibration's headline error (mm): reprojection, pivot RMS or PLUS's Error attribute. */
  errorMm: z.number().nullable(),
  /** Further residuals by name (mm, px, counts). */
  residuals: z.record(z.string(), z.number()),
  /** How it was made: n-wire, pivot, plus-config import, … */
  method: z.string(),
  sourcePath: z.string(),
  /** When the calibration was made (ISO 8601, or the date as written in an imported file). */
  calibratedAt: z.string(),
  /**
   * accepted: in use (the newest accepted of a kind is current); proposed: made while the setup had a current one
   * of that kind, waiting for a user to compare and accept it; rejected: kept for the record, never used.
   */
  status: z.enum(['accepted', 'proposed', 'rejected']),
  /** The probe or tool it was made for (e.g. "Probe · 820×616 px"), '' when its source does not say. */
  device: z.string(),
  reviewedBy: z.string().nullable(),
  reviewedAt: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type CalibrationRecord = z.infer<typeof CalibrationRecord>;

const SetupName = z.string().min(1).max(120);

export const CalibrationsService = defineService(
  'calibrations',
  {
    /** A setup's calibrations, newest first (the history is kept). */
    list: { roles: CLINICAL_ROLES, args: z.tuple([SetupName]), result: z.array(CalibrationRecord) },
    /** The current calibration (the newest accepted) of each kind and frame pair of a setup. */
    current: { roles: CLINICAL_ROLES, args: z.tuple([SetupName]), result: z.array(CalibrationRecord) },
    /** Accepts a proposed calibration: it becomes current for its kind (audited). BAD_REQUEST unless it is proposed. */
    accept: { roles: CLINICAL_ROLES, verb: 'accept calibrations', args: z.tuple([Id]), result: CalibrationRecord },
    /** Rejects a proposed calibration: kept for the record, never used (audited). BAD_REQUEST unless it is proposed. */
    reject: { roles: CLINICAL_ROLES, verb: 'reject calibrations', args: z.tuple([Id]), result: CalibrationRecord },
    /** Imports the coordinate definitions of a PLUS device-set configuration (ImageToProbe, StylusTipToStylus, PhantomToReference, …) with their errors and dates. */
    importPlus: { roles: CLINICAL_ROLES, args: z.tuple([SetupName, z.string().min(1)]), result: z.array(CalibrationRecord) },
    /** Pivot calibration from a tracked recording of the stylus pivoting in a divot (PLUS sequence); stores StylusTipToStylus. */
    pivot: { roles: CLINICAL_ROLES, args: z.tuple([SetupName, z.string().min(1), z.string().min(1).default('Stylus')]), result: CalibrationRecord },
    /** Starts an N-wire probe calibration job (sequence, PLUS configuration with the phantom); its result is the stored ImageToProbe record. */
    probe: { roles: CLINICAL_ROLES, args: z.tuple([SetupName, z.string().min(1), z.string().min(1)]), result: Id },
    /** Depth camera ↔ tracker calibration (stores CameraToTracker): paired fiducials (seen by the camera, touched with the stylus) or hand-eye stations. */
    cameraToTracker: { roles: CLINICAL_ROLES, args: z.tuple([SetupName, CameraTrackerInput]), result: CalibrationRecord },
    /** Temporal calibration of the ultrasound video against the tracker from a recorded plate sweep (PLUS sequence); stores TemporalOffset of the video (ms). */
    temporal: {
      roles: CLINICAL_ROLES,
      args: z.tuple([SetupName, z.string().min(1), TemporalOptions.default({ tool: 'Probe', maxLagMs: 1000 })]),
      result: CalibrationRecord,
    },
  },
  {},
);

/** A TRE landmark: the same anatomical point marked in the ultrasound and in the prior volume, both mapped to the volume's frame (LPS mm). */
export const TreLandmark = z.object({
  ultrasoundLps: Vec3,
  volumeLps: Vec3,
  /** Their distance (mm). */
  distanceMm: z.number(),
  /** The prior volume the landmark was marked in. */
  volumeId: Id,
  createdAt: z.string(),
});
export type TreLandmark = z.infer<typeof TreLandmark>;

/** A registration of the depth camera's view of the patient to the skin of a twin. */
export const Registration = z.object({
  id: Id,
  patientId: Id,
  /** The twin whose skin mesh is the fixed surface; its series defines the image frame (LPS mm). */
  twinId: Id,
  seriesId: Id,
  /** skin-icp (automatic initialisation) or skin-icp-3point (the user's 3-point coarse alignment first). */
  method: z.enum(['skin-icp', 'skin-icp-3point']),
  fromFrame: z.literal('Camera'),
  toFrame: z.literal('Image'),
  /** Camera → image LPS, row-major 4×4 (mm). */
  matrix: z.array(z.number()).length(16),
  /** RMS point-to-plane residual of the trimmed pairs (mm): a fit measure, not an accuracy. */
  residualRmsMm: z.number(),
  /** Fraction of the camera skin points lying on the image skin (0–1). */
  overlap: z.number(),
  /** Predicted RMS TRE at the centre of the matched skin (mm). */
  predictedTreMm: z.number(),
  /** Pose covariance, 6×6 row-major: rotation vector (rad) about centreLps, then translation (mm). */
  covariance: z.array(z.number()).length(36),
  centreLps: Vec3,
  /** Why the result must not be used; null when accepted. */
  refused: z.array(z.string()).nullable(),
  /** Camera points in / used, support planes removed, starts tried, times (ms). */
  details: z.record(z.string(), z.number()),
  /** The depth capture registered. */
  sourcePath: z.string(),
  /** TRE landmarks measured with this registration, oldest first, and their summary. */
  landmarks: z.array(TreLandmark),
  tre: z.object({ count: z.number().int(), meanMm: z.number(), rmsMm: z.number(), maxMm: z.number() }).nullable(),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type Registration = z.infer<typeof Registration>;

export const RegisterRequest = z.object({
  twinId: Id,
  /** A depth capture: PCD, PLY, or a depth PNG with its intrinsics JSON (camera frame, mm). */
  cloudPath: z.string().min(1),
  /** Which side of the patient the camera looks at. */
  view: z.enum(['back', 'front']).default('back'),
  /** Optional 3-point coarse alignment: the same ≥ 3 skin points in the camera (mm) and in the image (LPS mm). */
  points: z.object({ camera: z.array(Vec3).min(3), image: z.array(Vec3).min(3) }).optional(),
});
export type RegisterRequest = z.input<typeof RegisterRequest>;

export const RegistrationsService = defineService(
  'registrations',
  {
    /** Starts a markerless registration of a depth capture to a twin's skin (a job; its result is the stored registration, accepted or refused with reasons). */
    run: { roles: CLINICAL_ROLES, args: z.tuple([RegisterRequest]), result: Id },
    /** A patient's registrations, newest first. */
    list: { roles: CLINICAL_ROLES, args: z.tuple([Id]), result: z.array(Registration) },
    get: { roles: CLINICAL_ROLES, audit: { action: 'read', recordType: 'registration' }, args: z.tuple([Id]), result: Registration },
    /** Saves TRE landmark pairs (ultrasound and volume points, volume frame LPS mm) with a registration; returns it with its TRE summary. */
    addLandmarks: {
      roles: CLINICAL_ROLES,
      args: z.tuple([Id, z.array(z.object({ ultrasoundLps: Vec3, volumeLps: Vec3, volumeId: Id })).min(1)]),
      result: Registration,
    },
  },
  {},
);

/** A recorded fusion session: the device recording plus everything needed to fuse it again identically (session.json in its folder). */
export const FusionSession = z.object({
  version: z.literal(1),
  /** The session folder (the device recording's files and session.json). */
  dir: z.string(),
  patientId: Id,
  /** The prior volume fused with. */
  priorVolumeId: Id,
  setup: z.string(),
  /** The setup's calibrations in use during the session (a copy: later calibrations do not change the replay). */
  calibrations: z.array(CalibrationRecord),
  /** The patient registration in use (a copy), null when the volume was in the tracker's or the reference's frame. */
  registration: Registration.nullable(),
  /** The ultrasound source (device id) and the tools of the chain. */
  ultrasoundDevice: z.string(),
  probeTool: z.string(),
  referenceTool: z.string(),
  startedAt: z.string(),
  stoppedAt: z.string().nullable(),
  /** The recorded files (PLUS sequences), empty while recording. */
  files: z.array(RecordedFile),
});
export type FusionSession = z.infer<typeof FusionSession>;

/** What a fusion session starts with: the patient, the prior volume, the setup, the registration in use, the ultrasound source and the tools. */
export const SessionStart = z.object({
  patientId: Id,
  priorVolumeId: Id,
  setup: SetupName,
  registrationId: Id.nullable(),
  ultrasoundDevice: z.string(),
  probeTool: z.string(),
  referenceTool: z.string(),
});
export type SessionStart = z.infer<typeof SessionStart>;

/** A tracker (device) the tool poses come from: its id, and the name it is shown with. */
export interface TrackerRef {
  id: string;
  name: string;
}

/** The tools of a fusion chain, as set, and the trackers their poses come from (when seen on the streams). */
export interface ToolPair {
  probeTool: string;
  /** '' for none (the volume in the tracker's frame). */
  referenceTool: string;
  /**
   * Whether the chain places the probe relative to the reference tool: false through the depth camera (a patient
   * registration is in use: the patient is taken as still since the capture and the reference tool is not used) and
   * without a reference tool (the volume in the tracker's frame).
   */
  throughReference: boolean;
  /** The trackers of the probe tool and of the reference tool, null or absent while not seen. */
  probeTracker?: TrackerRef | null;
  referenceTracker?: TrackerRef | null;
}

/** Whether a chain places the probe relative to the reference tool: no patient registration (camera chain) and a reference chosen. */
export const usesReferenceTool = (registrationId: string | null, referenceTool: string): boolean => !registrationId && referenceTool !== '';

/**
 * Why the probe tool / patient reference pair of a chain cannot be fused, or null when it can. Where the chain goes
 * through the reference tool (ImageToVolume = VolumeFromReference · TrackerToReference · ProbeToTracker · ImageToProbe),
 * the reference must be another tool than the probe (else the probe is placed relative to itself: it looks still in the
 * volume whatever it images) and be tracked by the same tracker (two trackers' coordinate frames are unrelated). Through
 * the depth camera, or without a reference, the reference tool is not used and nothing is refused here.
 */
export function toolPairRefusal(p: ToolPair): string | null {
  if (!p.throughReference || !p.referenceTool) return null;
  if (p.referenceTool === p.probeTool)
    return `The probe tool and the patient reference cannot be the same tool (${p.probeTool}): the probe would be placed relative to itself. Choose the reference fixed to the patient, or none.`;
  const probe = p.probeTracker;
  const ref = p.referenceTracker;
  if (!probe || !ref || probe.id === ref.id) return null;
  // two trackers of one name are told apart by their ids
  const [probeName, refName] = probe.name === ref.name ? [`${probe.name} (${probe.id})`, `${ref.name} (${ref.id})`] : [probe.name, ref.name];
  return `The patient reference ${p.referenceTool} is tracked by ${refName} and the probe ${p.probeTool} by ${probeName}: two trackers' coordinates are unrelated. Choose a reference tracked by ${probeName}, or none.`;
}

export const SessionsService = defineService(
  'sessions',
  {
    /** Starts recording every connected device with the fusion's context (calibrations, registration, volume, tools) into a new session folder. */
    start: { roles: CLINICAL_ROLES, args: z.tuple([SessionStart]), result: FusionSession },
    /** Stops the session's recording; returns the session with its files. */
    stop: { roles: CLINICAL_ROLES, args: z.tuple([]), result: FusionSession },
    /** Reads a recorded session (its folder or its session.json) for replay. */
    open: { roles: CLINICAL_ROLES, args: z.tuple([z.string().min(1)]), result: FusionSession },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    calibrations: typeof CalibrationsService;
    registrations: typeof RegistrationsService;
    sessions: typeof SessionsService;
  }
}
