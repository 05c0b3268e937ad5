/**
 * The main process's public API: zod schemas and types for every service,
 * event and bulk-data URL. Runtime-neutral (no node:, no DOM, no electron):
 * the renderer imports it, the IPC router and the WebSocket host validate
 * with it. Units and frames are in the names (LPS mm, HU).
 */
import { z } from 'zod';

export * from './errors.js';
export * from './spine.js';
export * from './devices.js';
import { DeviceList, DeviceSpec, DeviceStatus, RecordedFile, RecordingStatus, StreamEndpoint } from './devices.js';
import { SpineAnalysis, SpineCorrections, SpineAnalysisOptions } from './spine.js';

export const Id = z.string().min(1).max(80);
const Vec3 = z.tuple([z.number(), z.number(), z.number()]);
const Mat3 = z.array(z.number()).length(9);

// ---------------------------------------------------------------- records
export const Patient = z.object({
  id: Id,
  displayName: z.string(),
  /** Hospital patient ID (MRN) or the DICOM PatientID. */
  mrn: z.string(),
  birthDate: z.string(),
  sex: z.string(),
  createdAt: z.string(),
  studyCount: z.number().int(),
});
export type Patient = z.infer<typeof Patient>;

export const NewPatient = z.object({
  displayName: z.string().trim().min(1, 'a name is required').max(200),
  mrn: z.string().trim().max(64).default(''),
  birthDate: z.string().trim().max(10).default(''),
  sex: z.enum(['', 'F', 'M', 'O']).default(''),
});
export type NewPatient = z.input<typeof NewPatient>;

export const VolumeRecord = z.object({
  id: Id,
  seriesId: Id,
  dims: Vec3,
  spacingMm: Vec3,
  originLps: Vec3,
  /** Row-major 3×3; column c is index axis c in LPS. */
  direction: Mat3,
  voxelType: z.enum(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64']),
  minValue: z.number(),
  maxValue: z.number(),
  nominalGeometry: z.boolean(),
});
export type VolumeRecord = z.infer<typeof VolumeRecord>;

export const Modality = z.enum(['CT', 'MR', 'US', 'OT']);
export type Modality = z.infer<typeof Modality>;

export const SeriesRecord = z.object({
  id: Id,
  studyId: Id,
  seriesInstanceUid: z.string(),
  modality: Modality,
  modalityGuessed: z.boolean(),
  description: z.string(),
  format: z.string(),
  sourcePath: z.string(),
  volume: VolumeRecord.nullable(),
});
export type SeriesRecord = z.infer<typeof SeriesRecord>;

export const StudyRecord = z.object({
  id: Id,
  patientId: Id,
  studyInstanceUid: z.string(),
  studyDate: z.string(),
  description: z.string(),
  createdAt: z.string(),
  series: z.array(SeriesRecord),
});
export type StudyRecord = z.infer<typeof StudyRecord>;

export const ArtefactKind = z.enum([
  'skin-mask',
  'bone-mask',
  'skin-mesh',
  'bone-mesh',
  /** Spine analysis: vertebra label map (values as in VERTEBRA label order, names in the NRRD). */
  'vertebra-labels',
  /** Spine analysis: bone mesh with point data HU_mean and HU_max sampled along the inward normals. */
  'bone-grey-mesh',
  /** Spine analysis: intervertebral spaces with point data disc (index into report.discs). */
  'disc-spaces',
  /** Spine analysis: the report (JSON, CSV). */
  'spine-report',
]);
export type ArtefactKind = z.infer<typeof ArtefactKind>;

export const Artefact = z.object({
  id: Id,
  twinId: Id,
  kind: ArtefactKind,
  format: z.enum(['nrrd', 'vtp', 'stl', 'json', 'csv']),
  /** Path relative to the data directory. */
  relPath: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
  /** Triangles (meshes) or foreground voxels (masks). */
  count: z.number().int(),
});
export type Artefact = z.infer<typeof Artefact>;

export const Feature = z.object({
  name: z.string(),
  /** Vertebral level (e.g. L1) or disc (L1-L2) of a spine feature; null for whole-twin features. */
  level: z.string().nullable(),
  value: z.number(),
  unit: z.string(),
  sourceSeriesId: Id,
  algorithm: z.string(),
  algorithmVersion: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type Feature = z.infer<typeof Feature>;

export const TwinParams = z.object({
  skinThresholdHu: z.number().min(-1000).max(500).default(-300),
  tableCutRadiusMm: z.number().min(0).max(20).default(4),
  mrOtsuScale: z.number().min(0.1).max(3).default(1),
  mrClosingRadiusMm: z.number().min(0).max(20).default(3),
  boneCorticalHu: z.number().min(0).max(3000).default(150),
  boneTrabecularHu: z.number().min(-200).max(1000).default(35),
  boneClosingRadiusMm: z.number().min(0).max(30).default(10),
  boneMinIslandMl: z.number().min(0).max(1000).default(0.5),
  /** Block size (mm) on which the body shape and the bone closing are decided on fine grids. */
  workingResolutionMm: z.number().min(0.1).max(10).default(1.5),
  smoothingIterations: z.number().int().min(0).max(200).default(10),
  skinMaxTriangles: z.number().int().min(1000).max(5_000_000).default(200_000),
  boneMaxTriangles: z.number().int().min(1000).max(5_000_000).default(300_000),
});
export type TwinParams = z.infer<typeof TwinParams>;
export type TwinParamsInput = z.input<typeof TwinParams>;

export const Twin = z.object({
  id: Id,
  patientId: Id,
  volumeId: Id,
  seriesId: Id,
  /** 1, 2, … per patient: earlier builds are kept for comparison. */
  version: z.number().int(),
  params: TwinParams,
  algorithmVersion: z.string(),
  createdAt: z.string(),
  timingsMs: z.record(z.string(), z.number()),
  artefacts: z.array(Artefact),
  features: z.array(Feature),
});
export type Twin = z.infer<typeof Twin>;

export const JobKind = z.enum(['import', 'twin-build', 'spine', 'reconstruct', 'calibrate-probe', 'register']);
export const JobStatus = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);
export type JobStatus = z.infer<typeof JobStatus>;

export const Job = z.object({
  id: Id,
  kind: JobKind,
  /** What the job does, from its kind's definition (e.g. "Skin registration"): progress and failures are named by it. */
  title: z.string(),
  status: JobStatus,
  /** 0..1 */
  progress: z.number(),
  stage: z.string(),
  /** Id of the record made (series for an import, twin for a build) when done. */
  resultId: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type Job = z.infer<typeof Job>;

export const ScanSeries = z.object({
  seriesInstanceUid: z.string(),
  seriesNumber: z.number(),
  seriesDescription: z.string(),
  modality: z.string(),
  rows: z.number(),
  columns: z.number(),
  frames: z.number(),
  problems: z.array(z.string()),
});
export const ScanStudy = z.object({ studyInstanceUid: z.string(), studyDate: z.string(), studyDescription: z.string(), series: z.array(ScanSeries) });
export const ScanPatient = z.object({ patientName: z.string(), patientId: z.string(), studies: z.array(ScanStudy) });
export const ScanResult = z.object({
  path: z.string(),
  kind: z.enum(['dicom', 'file']),
  patients: z.array(ScanPatient),
  skipped: z.array(z.object({ file: z.string(), reason: z.string() })),
  filesScanned: z.number(),
});
export type ScanResult = z.infer<typeof ScanResult>;

export const ImportRequest = z.object({
  patientId: Id,
  path: z.string().min(1),
  seriesInstanceUid: z.string().optional(),
  /** Refuse DICOM folders that hold non-DICOM files (default true). */
  strict: z.boolean().default(true),
  /** Build the twin right after the import (default true). */
  buildTwin: z.boolean().default(true),
});
export type ImportRequest = z.input<typeof ImportRequest>;

/** A freehand 3D ultrasound reconstruction of a tracked sweep (PLUS sequence + PLUS configuration with ImageToProbe). */
export const ReconstructRequest = z.object({
  patientId: Id,
  /** PLUS sequence file (.igs.mha / .igs.nrrd) with ProbeToTracker (and ReferenceToTracker) per frame. */
  sequencePath: z.string().min(1),
  /** PLUS device-set configuration holding the Image→Probe calibration and reconstruction settings. */
  configPath: z.string().min(1),
  /** Isotropic output spacing (mm); default the configuration's OutputSpacing, else 0.5. */
  spacingMm: z.number().min(0.05).max(5).optional(),
  interpolation: z.enum(['nearest', 'linear']).default('nearest'),
  fillHoles: z.boolean().default(true),
  /** Row-major 4×4 from the tracker's Reference frame to the patient image (LPS mm), from the registration; without it the volume stays in the Reference frame (nominal geometry). */
  referenceToImage: z.array(z.number()).length(16).optional(),
});
export type ReconstructRequest = z.input<typeof ReconstructRequest>;

export const SystemInfo = z.object({
  version: z.string(),
  dataDir: z.string(),
  transport: z.enum(['ipc', 'websocket', 'cli']),
  dataAvailable: z.boolean(),
  sampleStudies: z.array(z.object({ label: z.string(), path: z.string() })),
  /** Example tracked-ultrasound recordings (PLUS sequences) offered for replay in the Devices workspace. */
  sampleRecordings: z.array(z.object({ label: z.string(), path: z.string() })),
  /** Whether the twin store is encrypted at rest. */
  storeEncrypted: z.boolean(),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

// ---------------------------------------------------------------- services
export interface MethodSpec<A extends z.ZodTypeAny = z.ZodTypeAny, R extends z.ZodTypeAny = z.ZodTypeAny> {
  args: A;
  result: R;
}

export interface ServiceSpec {
  name: string;
  methods: Record<string, MethodSpec>;
  events: Record<string, z.ZodTypeAny>;
}

export function defineService<const N extends string, M extends Record<string, MethodSpec>, E extends Record<string, z.ZodTypeAny>>(
  name: N,
  methods: M,
  events: E,
): { name: N; methods: M; events: E } {
  return { name, methods, events };
}

export const PatientsService = defineService(
  'patients',
  {
    list: { args: z.tuple([z.string().max(200).default('')]), result: z.array(Patient) },
    create: { args: z.tuple([NewPatient]), result: Patient },
    get: { args: z.tuple([Id]), result: Patient },
    /** Deletes a patient with all their studies, twins, analyses and registrations (files included). Surgeons and administrators only. */
    delete: { args: z.tuple([Id]), result: z.boolean() },
  },
  {},
);

export const DeidExportResult = z.object({
  outDir: z.string(),
  files: z.number().int(),
  /** The Patient ID written into the export (random per export). */
  patientPseudonym: z.string(),
  /** E.g. burned-in annotation in ultrasound: what the export could not remove. */
  warnings: z.array(z.string()),
  removed: z.number().int(),
  emptied: z.number().int(),
  replaced: z.number().int(),
  uidsReplaced: z.number().int(),
  privateRemoved: z.number().int(),
});
export type DeidExportResult = z.infer<typeof DeidExportResult>;

export const StudiesService = defineService(
  'studies',
  {
    /** Scans a file or DICOM folder (recursively) and returns the patient/study/series tree. */
    scan: { args: z.tuple([z.string().min(1)]), result: ScanResult },
    /** Starts an import job (and, by default, the twin build after it); returns the job id. */
    import: { args: z.tuple([ImportRequest]), result: Id },
    /** Starts a freehand 3D ultrasound reconstruction job; its result is the new ultrasound series of the patient. */
    reconstruct: { args: z.tuple([ReconstructRequest]), result: Id },
    list: { args: z.tuple([Id]), result: z.array(StudyRecord) },
    /** Copies a series' original files (identified) into an empty folder; roles per the site policy (surgeon, administrator by default). */
    exportIdentified: { args: z.tuple([Id, z.string().min(1)]), result: z.object({ outDir: z.string(), files: z.number().int() }) },
    /** Exports a DICOM series de-identified (PS3.15 Annex E Basic Profile; dates kept with the Retain Longitudinal Full Dates Option) into an empty folder. */
    exportDeidentified: {
      args: z.tuple([Id, z.string().min(1), z.object({ retainDates: z.boolean().default(false) }).default({ retainDates: false })]),
      result: DeidExportResult,
    },
  },
  {},
);

export const TwinsService = defineService(
  'twins',
  {
    build: { args: z.tuple([Id, TwinParams.partial().default({})]), result: Id },
    get: { args: z.tuple([Id]), result: Twin },
    /** All builds of a patient's twin, newest first. */
    list: { args: z.tuple([Id]), result: z.array(Twin) },
  },
  {},
);

export const SpineService = defineService(
  'spine',
  {
    /**
     * Starts the spine characterisation of a CT twin with the surgeon's
     * corrections (none = automatic); returns the job id. The job's result is
     * the new analysis id (a new version; earlier ones are kept).
     */
    analyse: { args: z.tuple([Id, SpineCorrections.default({ names: {}, centroids: {} }), SpineAnalysisOptions.default({ greyDepthMm: 3 })]), result: Id },
    get: { args: z.tuple([Id]), result: SpineAnalysis },
    /** A twin's analyses, newest first. */
    list: { args: z.tuple([Id]), result: z.array(SpineAnalysis) },
    /** Per-level spine features of every twin of a patient (the newest analysis of each), for follow-up comparison. */
    history: {
      args: z.tuple([Id]),
      result: z.array(z.object({ twinId: Id, twinVersion: z.number().int(), analysisId: Id, analysisVersion: z.number().int(), features: z.array(Feature) })),
    },
  },
  {},
);

export const JobsService = defineService(
  'jobs',
  {
    get: { args: z.tuple([Id]), result: Job },
    cancel: { args: z.tuple([Id]), result: z.boolean() },
    list: { args: z.tuple([]), result: z.array(Job) },
  },
  { onDidChangeJob: Job },
);

export const DevicesService = defineService(
  'devices',
  {
    /** Connected devices with live status, discovered hardware (USB, serial) and the device host's state. */
    list: { args: z.tuple([]), result: DeviceList },
    /** Connects a device (or a simulator / replay) in the device host; a failure is returned as a failed device, listed with its reason. */
    connect: { args: z.tuple([DeviceSpec]), result: DeviceStatus },
    disconnect: { args: z.tuple([z.string().min(1)]), result: z.boolean() },
    /** Per-device temporal calibration offset (ms) added to its timestamps. */
    setTimeOffset: { args: z.tuple([z.string().min(1), z.number().min(-5000).max(5000)]), result: DeviceStatus },
    /** Fault injection on a simulated tracker (service and training): CRC errors, dropped frames, tool dropout, stall (ms). */
    simulateFault: {
      args: z.tuple([z.string().min(1), z.enum(['crc', 'drop', 'dropout', 'stall']), z.number().int().min(1).max(10000)]),
      result: DeviceStatus,
    },
    /** Starts recording every connected device's streams into PLUS sequences in a new session folder under the data directory. */
    startRecording: { args: z.tuple([]), result: RecordingStatus },
    /** Stops the recording and writes its files (.igs.mha, openable in 3D Slicer and PLUS; replayable here). */
    stopRecording: { args: z.tuple([]), result: z.array(RecordedFile) },
    /** Where the renderer opens the binary streams. */
    streams: { args: z.tuple([]), result: StreamEndpoint },
  },
  { onDidChangeDevices: DeviceList },
);

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
  createdAt: z.string(),
  createdBy: z.string(),
});
export type CalibrationRecord = z.infer<typeof CalibrationRecord>;

const SetupName = z.string().min(1).max(120);

export const CalibrationsService = defineService(
  'calibrations',
  {
    /** A setup's calibrations, newest first (the history is kept). */
    list: { args: z.tuple([SetupName]), result: z.array(CalibrationRecord) },
    /** The current (newest) calibration of each kind and frame pair of a setup. */
    current: { args: z.tuple([SetupName]), result: z.array(CalibrationRecord) },
    /** Imports the coordinate definitions of a PLUS device-set configuration (ImageToProbe, StylusTipToStylus, PhantomToReference, …) with their errors and dates. */
    importPlus: { args: z.tuple([SetupName, z.string().min(1)]), result: z.array(CalibrationRecord) },
    /** Pivot calibration from a tracked recording of the stylus pivoting in a divot (PLUS sequence); stores StylusTipToStylus. */
    pivot: { args: z.tuple([SetupName, z.string().min(1), z.string().min(1).default('Stylus')]), result: CalibrationRecord },
    /** Starts an N-wire probe calibration job (sequence, PLUS configuration with the phantom); its result is the stored ImageToProbe record. */
    probe: { args: z.tuple([SetupName, z.string().min(1), z.string().min(1)]), result: Id },
    /** Depth camera ↔ tracker calibration (stores CameraToTracker): paired fiducials (seen by the camera, touched with the stylus) or hand-eye stations. */
    cameraToTracker: { args: z.tuple([SetupName, CameraTrackerInput]), result: CalibrationRecord },
    /** Temporal calibration of the ultrasound video against the tracker from a recorded plate sweep (PLUS sequence); stores TemporalOffset of the video (ms). */
    temporal: { args: z.tuple([SetupName, z.string().min(1), TemporalOptions.default({ tool: 'Probe', maxLagMs: 1000 })]), result: CalibrationRecord },
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
    run: { args: z.tuple([RegisterRequest]), result: Id },
    /** A patient's registrations, newest first. */
    list: { args: z.tuple([Id]), result: z.array(Registration) },
    get: { args: z.tuple([Id]), result: Registration },
    /** Saves TRE landmark pairs (ultrasound and volume points, volume frame LPS mm) with a registration; returns it with its TRE summary. */
    addLandmarks: {
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

export const SessionsService = defineService(
  'sessions',
  {
    /** Starts recording every connected device with the fusion's context (calibrations, registration, volume, tools) into a new session folder. */
    start: {
      args: z.tuple([
        z.object({
          patientId: Id,
          priorVolumeId: Id,
          setup: SetupName,
          registrationId: Id.nullable(),
          ultrasoundDevice: z.string(),
          probeTool: z.string(),
          referenceTool: z.string(),
        }),
      ]),
      result: FusionSession,
    },
    /** Stops the session's recording; returns the session with its files. */
    stop: { args: z.tuple([]), result: FusionSession },
    /** Reads a recorded session (its folder or its session.json) for replay. */
    open: { args: z.tuple([z.string().min(1)]), result: FusionSession },
  },
  {},
);

export const AuditVerification = z.object({
  ok: z.boolean(),
  records: z.number().int(),
  head: z.object({ id: z.number().int(), hash: z.string() }).nullable(),
  problems: z.array(z.object({ id: z.number().int(), kind: z.enum(['altered', 'chain-broken', 'truncated', 'unsealed']), message: z.string() })),
});
export type AuditVerification = z.infer<typeof AuditVerification>;

export const AuditService = defineService(
  'audit',
  {
    /** Verifies the audit log's hash chain and its anchor: altered, deleted, reordered or truncated records are reported. */
    verify: { args: z.tuple([]), result: AuditVerification },
    /** The audit log, oldest first: as stored (with each record's hash and its predecessor's) or as FHIR R4 AuditEvent resources. */
    export: { args: z.tuple([z.enum(['json', 'fhir']).default('json')]), result: z.array(z.record(z.string(), z.unknown())) },
  },
  {},
);

export const Role = z.enum(['administrator', 'surgeon', 'sonographer', 'researcher']);
export const User = z.object({ id: Id, username: z.string(), displayName: z.string(), role: Role, disabled: z.boolean(), createdAt: z.string() });
export type User = z.infer<typeof User>;
export const AuthStatus = z.object({
  /** False in single-user mode (no account yet: the local user is the administrator). */
  accountsEnabled: z.boolean(),
  user: z.object({ username: z.string(), role: Role }).nullable(),
  locked: z.boolean(),
  /** Inactivity before the session locks (ms; 0: never). */
  lockAfterMs: z.number(),
});
export type AuthStatus = z.infer<typeof AuthStatus>;

export const AuthService = defineService(
  'auth',
  {
    status: { args: z.tuple([]), result: AuthStatus },
    /** Signs this connection in. Wrong name or password: UNAUTHORIZED (audited as a failed login). */
    login: { args: z.tuple([z.string().min(1).max(120), z.string().min(1).max(1024)]), result: User },
    logout: { args: z.tuple([]), result: z.boolean() },
    /** Locks this connection's session now (the workstation's inactivity timer, or the user stepping away). */
    lock: { args: z.tuple([]), result: AuthStatus },
    /** Unlocks a session locked by inactivity with the signed-in user's password. */
    unlock: { args: z.tuple([z.string().min(1).max(1024)]), result: AuthStatus },
  },
  {},
);

export const UsersService = defineService(
  'users',
  {
    list: { args: z.tuple([]), result: z.array(User) },
    /** Creates an account (the first must be an administrator: creating it turns login on). */
    create: {
      args: z.tuple([
        z.object({
          username: z
            .string()
            .min(2)
            .max(64)
            .regex(/^[A-Za-z0-9._-]+$/),
          displayName: z.string().min(1).max(200),
          role: Role,
          password: z.string().max(1024),
        }),
      ]),
      result: User,
    },
    /** Changes a role, disables an account or resets its password (its sessions end). */
    update: {
      args: z.tuple([Id, z.object({ role: Role.optional(), disabled: z.boolean().optional(), password: z.string().max(1024).optional() })]),
      result: User,
    },
  },
  {},
);

export const SystemService = defineService(
  'system',
  {
    info: { args: z.tuple([]), result: SystemInfo },
    /** Re-encrypts the twin store under a new random key and saves it in the key store (administrators). */
    rotateStoreKey: { args: z.tuple([]), result: z.object({ encrypted: z.boolean(), keyStore: z.string() }) },
  },
  {},
);

export const SERVICES = {
  patients: PatientsService,
  studies: StudiesService,
  twins: TwinsService,
  spine: SpineService,
  jobs: JobsService,
  devices: DevicesService,
  calibrations: CalibrationsService,
  registrations: RegistrationsService,
  sessions: SessionsService,
  audit: AuditService,
  auth: AuthService,
  users: UsersService,
  system: SystemService,
} as const;

export type Services = typeof SERVICES;
export type ServiceName = keyof Services;
export type MethodName<S extends ServiceName> = keyof Services[S]['methods'] & string;
export type MethodArgs<S extends ServiceName, M extends MethodName<S>> =
  Services[S]['methods'][M] extends MethodSpec<infer A, z.ZodTypeAny> ? z.input<A> : never;
export type EventName<S extends ServiceName> = keyof Services[S]['events'] & string;
export type EventPayload<S extends ServiceName, E extends EventName<S>> = Services[S]['events'][E] extends z.ZodTypeAny
  ? z.infer<Services[S]['events'][E]>
  : never;
export type MethodResult<S extends ServiceName, M extends MethodName<S>> =
  Services[S]['methods'][M] extends MethodSpec<z.ZodTypeAny, infer R> ? z.infer<R> : never;

/** The implementation a host must provide: one async function per method, taking parsed arguments. */
export type ServiceImpl<S extends ServiceName> = {
  [M in MethodName<S>]: (
    ...args: Services[S]['methods'][M] extends MethodSpec<infer A, z.ZodTypeAny> ? (z.infer<A> extends unknown[] ? z.infer<A> : never) : never
  ) => Promise<MethodResult<S, M>> | MethodResult<S, M>;
};
export type AllServiceImpls = { [S in ServiceName]: ServiceImpl<S> };

// ---------------------------------------------------------------- wire
export const WireInvoke = z.object({ t: z.literal('invoke'), id: z.number().int(), service: z.string(), method: z.string(), args: z.array(z.unknown()) });
export const WireMessage = z.discriminatedUnion('t', [
  WireInvoke,
  z.object({ t: z.literal('result'), id: z.number().int(), ok: z.literal(true), value: z.unknown() }),
  z.object({
    t: z.literal('result'),
    id: z.number().int(),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string(), detail: z.unknown().optional() }),
  }),
  z.object({ t: z.literal('event'), service: z.string(), event: z.string(), payload: z.unknown() }),
]);
export type WireMessage = z.infer<typeof WireMessage>;

/** Electron IPC channel names (desktop transport). */
export const IPC_INVOKE = 'orthotwin:invoke';
export const IPC_EVENT = 'orthotwin:event';
/** Desktop: the renderer asks for, and receives, the MessagePort of the live device streams. */
export const IPC_STREAM_PORT = 'orthotwin:stream-port';

/** Bulk-data paths, relative to the data origin (app://data or http://127.0.0.1:PORT/data). */
export const bulkUrls = {
  /** Raw little-endian voxels of a volume (metadata from studies.list). */
  volume: (volumeId: string): string => `/data/volume/${encodeURIComponent(volumeId)}`,
  artefact: (artefactId: string): string => `/data/artefact/${encodeURIComponent(artefactId)}`,
};

/**
 * Validates a call's arguments against the contract.
 * @throws AppError-shaped BAD_REQUEST on unknown service/method or invalid arguments
 */
export function parseCall(service: string, method: string, args: unknown[]): { service: ServiceName; method: string; args: unknown[] } {
  const spec = (SERVICES as Record<string, ServiceSpec>)[service];
  const m = spec?.methods[method];
  if (!spec || !m) throw Object.assign(new Error(`unknown method ${service}.${method}`), { code: 'BAD_REQUEST' as const });
  const parsed = m.args.safeParse(args);
  if (!parsed.success)
    throw Object.assign(
      new Error(`invalid arguments for ${service}.${method}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`),
      {
        code: 'BAD_REQUEST' as const,
      },
    );
  return { service: service as ServiceName, method, args: parsed.data as unknown[] };
}
