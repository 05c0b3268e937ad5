/**
 * Studies: scanning and importing CT/MR/US series (DICOM, NIfTI, NRRD,
 * MetaImage), their volumes in LPS mm, freehand 3D ultrasound
 * reconstruction, and identified or de-identified export.
 */
import { z } from 'zod';
import { defineService, ALL_ROLES, CLINICAL_ROLES } from '../../electron/contract/define.js';
import { Id, Vec3, Mat3 } from '../../electron/contract/primitives.js';

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
  /**
   * The identity fields that differed from the patient's when the user confirmed that this study belongs to the
   * patient (e.g. "name, birth date"; migration 0014); '' when they matched. Its twins are never the default unmarked.
   */
  identityOverride: z.string(),
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

export const ScanSeries = z.object({
  seriesInstanceUid: z.string(),
  seriesNumber: z.number(),
  seriesDescription: z.string(),
  modality: z.string(),
  rows: z.number(),
  columns: z.number(),
  frames: z.number(),
  problems: z.array(z.string()),
  /** What the series or file holds (only a volume can become a twin). */
  content: z.enum(['volume', 'tracked-sequence', 'image-2d', 'cine']),
  /**
   * The series is already in the patient the scan was made for (same SeriesInstanceUID for DICOM, same file content
   * for a volume file; not counting the trash): the series there and when it was imported. Importing again stays
   * possible, after the user says so.
   */
  alreadyImported: z.object({ seriesId: Id, modality: z.string(), description: z.string(), importedAt: z.string() }).optional(),
});
export const ScanStudy = z.object({ studyInstanceUid: z.string(), studyDate: z.string(), studyDescription: z.string(), series: z.array(ScanSeries) });
export const ScanPatient = z.object({
  patientName: z.string(),
  patientId: z.string(),
  birthDate: z.string(),
  /** DICOM PatientSex (M, F, O), '' when absent. */
  sex: z.string(),
  studies: z.array(ScanStudy),
  /** Where this identity differs from the patient the scan was made for (one sentence per field); absent without a patient. */
  differences: z.array(z.string()).optional(),
});
export const ScanResult = z.object({
  path: z.string(),
  kind: z.enum(['dicom', 'file']),
  patients: z.array(ScanPatient),
  skipped: z.array(z.object({ file: z.string(), reason: z.string() })),
  filesScanned: z.number(),
  /** SHA-256 of the scanned file, for a single volume file (kind 'file'). */
  sha256: z.string().optional(),
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
  /** The modality as the user states it, for a file that does not state its own (an answer, never a default; refused when it contradicts the file). */
  modality: z.enum(['CT', 'MR', 'US']).optional(),
  /**
   * The user confirmed that the study belongs to this patient although its patient identity (name, ID, birth date)
   * differs from the record's; without it such an import fails with IDENTITY_MISMATCH and stores nothing. Audited.
   */
  confirmIdentity: z.boolean().optional(),
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

/** What a researcher sees of a patient's studies: series without their source paths (which often hold the patient's name). */
/**
 * What a researcher sees of the studies: no source paths (they name patients) and no study dates (a date of the
 * individual's care, removed as DICOM PS3.15's basic de-identification profile removes StudyDate).
 */
const redactStudies = (studies: StudyRecord[]): StudyRecord[] =>
  studies.map((st) => ({ ...st, studyDate: '', series: st.series.map((se) => ({ ...se, sourcePath: '' })) }));

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
    /**
     * Scans a file or DICOM folder (recursively) and returns the patient/study/series tree, what each series
     * holds (volume, tracked sequence, 2D image, cine) and, given the patient to import into, where each scanned
     * patient identity differs from that record.
     */
    scan: { roles: CLINICAL_ROLES, args: z.tuple([z.string().min(1), Id.optional()]), result: ScanResult },
    /** Starts an import job (and, by default, the twin build after it); returns the job id. */
    import: { roles: CLINICAL_ROLES, verb: 'import studies', args: z.tuple([ImportRequest]), result: Id },
    /** Starts a freehand 3D ultrasound reconstruction job; its result is the new ultrasound series of the patient. */
    reconstruct: { roles: CLINICAL_ROLES, args: z.tuple([ReconstructRequest]), result: Id },
    list: { roles: ALL_ROLES, audit: { action: 'read', recordType: 'patient' }, redact: redactStudies, args: z.tuple([Id]), result: z.array(StudyRecord) },
    /**
     * States the modality of a series read from a volume file (its guess, 'OT' = unknown, or an earlier statement);
     * refused (BAD_REQUEST) for a DICOM series, whose headers state it. Audited.
     */
    setModality: {
      roles: CLINICAL_ROLES,
      verb: 'state a series modality',
      audit: { action: 'set-modality', recordType: 'series' },
      args: z.tuple([Id, z.enum(['CT', 'MR', 'US'])]),
      result: SeriesRecord.omit({ volume: true }),
    },
    /** Copies a series' original files (identified) into an empty folder; roles per the site policy (surgeon, administrator by default). */
    exportIdentified: {
      roles: (policy) => policy.export.identifiedRoles,
      verb: 'export identified data',
      args: z.tuple([Id, z.string().min(1)]),
      result: z.object({ outDir: z.string(), files: z.number().int() }),
    },
    /** Exports a DICOM series de-identified (PS3.15 Annex E Basic Profile; dates kept with the Retain Longitudinal Full Dates Option) into an empty folder. */
    exportDeidentified: {
      roles: ALL_ROLES,
      policyCheck: (args: [string, string, { retainDates: boolean }], policy) =>
        args[2].retainDates && !policy.export.allowRetainDates ? 'the site policy does not allow keeping dates in de-identified exports' : null,
      args: z.tuple([Id, z.string().min(1), z.object({ retainDates: z.boolean().default(false) }).default({ retainDates: false })]),
      result: DeidExportResult,
    },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    studies: typeof StudiesService;
  }
}
