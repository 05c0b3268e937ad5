/**
 * Patients: the people whose twins OrthoTwin keeps (identity, MRN), and what a
 * researcher sees of them (a pseudonym, no name, MRN, birth date or sex).
 */
import { z } from 'zod';
import { defineService, ALL_ROLES, CLINICAL_ROLES, SURGEON_ROLES } from '../../electron/contract/define.js';
import { Id } from '../../electron/contract/primitives.js';

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

/** The longest name and patient ID (MRN) a record takes (characters, after trimming). */
export const NAME_MAX = 200;
export const MRN_MAX = 64;

/** A patient's fields as entered (create and edit validate them alike); a too long one is refused with a sentence saying so. */
export const PatientName = z
  .string()
  .trim()
  .min(1, 'a name is required')
  .max(NAME_MAX, { error: (iss) => `The name is too long: ${String((iss.input as string).length)} characters, at most ${NAME_MAX}.` });
export const PatientMrn = z
  .string()
  .trim()
  .max(MRN_MAX, { error: (iss) => `The patient ID is too long: ${String((iss.input as string).length)} characters, at most ${MRN_MAX}.` });
/** ISO 8601 date (YYYY-MM-DD) between 1880-01-01 and today, or '' when unknown. */
export const BirthDate = z
  .string()
  .trim()
  .max(10)
  .refine(
    (d) => d === '' || (/^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(d)) && d >= '1880-01-01' && d <= new Date().toISOString().slice(0, 10)),
    {
      message: 'the birth date must be a date (YYYY-MM-DD) between 1880 and today',
    },
  );
export const PatientSex = z.enum(['', 'F', 'M', 'O']);

export const NewPatient = z.object({
  displayName: PatientName,
  mrn: PatientMrn.default(''),
  birthDate: BirthDate.default(''),
  sex: PatientSex.default(''),
  /**
   * The user has seen that a patient of the same name and birth date exists and creates a second record all the
   * same (audited `duplicate-override`); without it such a create is refused (CONFLICT). A patient ID already in use
   * is refused whatever this says.
   */
  confirmDuplicate: z.boolean().optional(),
});
export type NewPatient = z.input<typeof NewPatient>;

/** What may already be the patient about to be created: the one holding the ID, those of the same name and birth date. */
export const PatientDuplicates = z.object({
  /** The patient (not in the trash) whose ID (MRN) is the one given: a create with it is refused. */
  sameId: Patient.nullable(),
  /**
   * Patients (not in the trash) of the same name (the same words in any order, ignoring case, accents, spacing and
   * punctuation) whose birth date is the same or missing on either side.
   */
  sameNameAndBirthDate: z.array(Patient),
});
export type PatientDuplicates = z.infer<typeof PatientDuplicates>;

/**
 * A text as searches and duplicate checks compare it: Unicode NFD with the combining marks removed, lower case,
 * spacing collapsed ("  José  MÜLLER" → "jose muller").
 */
export function foldForSearch(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * Whether a search query finds a record: every word of the query (split at spaces, commas and DICOM's `^`; folded
 * as foldForSearch) occurs in one of the fields, in any order — "jane doe" finds "Doe, Jane" and "DOE^JANE". An
 * empty query finds everything.
 */
export function matchesSearch(query: string, ...fields: string[]): boolean {
  const words = foldForSearch(query)
    .split(/[\s,^]+/)
    .filter(Boolean);
  const folded = fields.map(foldForSearch);
  return words.every((w) => folded.some((f) => f.includes(w)));
}

/** A patient ID as compared for uniqueness: trimmed, case ignored ("mrn-1" is "MRN-1"). */
export const mrnKey = (mrn: string): string => mrn.trim().toUpperCase();

/** What a researcher sees of a patient: a pseudonym from the record id, no name, MRN, birth date or sex. */
export const redactPatient = (p: Patient): Patient => ({ ...p, displayName: `Subject ${p.id.slice(0, 8)}`, mrn: '', birthDate: '', sex: '' });
const redactPatients = (list: Patient[]): Patient[] => list.map(redactPatient);

export const PatientsService = defineService(
  'patients',
  {
    list: {
      roles: ALL_ROLES,
      audit: { action: 'read', recordType: 'patient-list' },
      redact: redactPatients,
      args: z.tuple([z.string().max(200).default('')]),
      result: z.array(Patient),
    },
    /**
     * Creates a patient. Refused (CONFLICT) when the ID belongs to a patient not in the trash (the message names
     * them), or when a patient of the same name and birth date exists and `confirmDuplicate` is not given.
     */
    create: { roles: CLINICAL_ROLES, args: z.tuple([NewPatient]), result: Patient },
    /** The patients a new one may duplicate (same ID; same name and birth date), asked before a create. */
    duplicates: {
      roles: CLINICAL_ROLES,
      audit: { action: 'read', recordType: 'patient-list' },
      args: z.tuple([z.object({ displayName: z.string().max(1000), mrn: z.string().max(1000).default(''), birthDate: z.string().max(10).default('') })]),
      result: PatientDuplicates,
    },
    get: { roles: ALL_ROLES, audit: { action: 'read', recordType: 'patient' }, redact: redactPatient, args: z.tuple([Id]), result: Patient },
    /**
     * Moves a patient, with their studies and twins, to the trash (records.trash: recoverable with records.restore;
     * deleted for good only by an administrator's records.purge). Surgeons and administrators only; audited `trash`.
     */
    delete: { roles: SURGEON_ROLES, verb: 'delete a patient', args: z.tuple([Id]), result: z.boolean() },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    patients: typeof PatientsService;
  }
}
