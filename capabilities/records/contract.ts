/**
 * Records (issue 20 §1): editing a patient, study, series or twin, and a
 * recoverable trash for them. Editing, trashing and restoring are for
 * surgeons and administrators, purging (deleting for good, files included)
 * for administrators only; each is audited. A trashed record is hidden from
 * every list (a trashed patient's studies and twins, a trashed study's or
 * series' twins with it) and refused as a source until it is restored.
 */
import { z } from 'zod';
import { defineService, ADMIN_ROLES, SURGEON_ROLES } from '../../electron/contract/define.js';
import { Id } from '../../electron/contract/primitives.js';
import { BirthDate, PatientMrn, PatientName, PatientSex } from '../patients/contract.js';

export const RecordKind = z.enum(['patient', 'study', 'series', 'twin']);
export type RecordKind = z.infer<typeof RecordKind>;

/** A study date as entered: YYYY-MM-DD between 1880 and today, or '' (stored as DICOM DA, YYYYMMDD). */
export const StudyDate = z
  .string()
  .trim()
  .refine(
    (d) => d === '' || (/^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(d)) && d >= '1880-01-01' && d <= new Date().toISOString().slice(0, 10)),
    { message: 'the study date must be a date (YYYY-MM-DD) between 1880 and today' },
  );

const Text = z.string().trim().max(200);

/** What an edit changes: the record (kind and id) and the fields given (others stay as they are). */
export const RecordEdit = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('patient'),
    id: Id,
    displayName: PatientName.optional(),
    mrn: PatientMrn.optional(),
    birthDate: BirthDate.optional(),
    sex: PatientSex.optional(),
  }),
  z.object({ kind: z.literal('study'), id: Id, description: Text.optional(), studyDate: StudyDate.optional() }),
  /** A series' modality is stated with studies.setModality (a DICOM series' is its headers'). */
  z.object({ kind: z.literal('series'), id: Id, description: Text.optional() }),
  z.object({ kind: z.literal('twin'), id: Id, label: Text.optional() }),
]);
export type RecordEdit = z.input<typeof RecordEdit>;

export const EditResult = z.object({
  kind: RecordKind,
  id: Id,
  /** The fields whose value changed (none: nothing was recorded). */
  changed: z.array(z.string()),
});
export type EditResult = z.infer<typeof EditResult>;

/** A record in the trash (moved there itself, not only hidden with its patient, study or series). */
export const TrashItem = z.object({
  kind: RecordKind,
  id: Id,
  patientId: Id,
  patientName: z.string(),
  /** What the record is, in words (a patient's name and ID, a study's description and date, a series' modality and description, a twin's version). */
  label: z.string(),
  trashedAt: z.string(),
  trashedBy: z.string(),
  /** The patient, study or series it belongs to is in the trash too: restore that first. */
  hiddenBy: RecordKind.nullable(),
});
export type TrashItem = z.infer<typeof TrashItem>;

export const RecordsService = defineService(
  'records',
  {
    /** Edits a patient, study, series or twin; audited (the fields changed; the values before and after are kept in the store's edit history, not in the audit log). */
    edit: { roles: SURGEON_ROLES, verb: 'edit patient records', args: z.tuple([RecordEdit]), result: EditResult },
    /** Moves a record to the trash (hidden, not usable as a source, restorable); audited. */
    trash: { roles: SURGEON_ROLES, verb: 'move records to the trash', args: z.tuple([RecordKind, Id]), result: TrashItem },
    /** Brings a record back from the trash; audited. Refused while its patient, study or series is in the trash. */
    restore: { roles: SURGEON_ROLES, verb: 'restore records from the trash', args: z.tuple([RecordKind, Id]), result: z.boolean() },
    /** Deletes a record in the trash for good, with everything of it and its files; administrators only, audited. */
    purge: { roles: ADMIN_ROLES, verb: 'delete records for good', args: z.tuple([RecordKind, Id]), result: z.object({ files: z.number().int() }) },
    /** What is in the trash, newest first. */
    trashed: { roles: SURGEON_ROLES, verb: 'see the trash', audit: { action: 'read', recordType: 'trash' }, args: z.tuple([]), result: z.array(TrashItem) },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    records: typeof RecordsService;
  }
}
