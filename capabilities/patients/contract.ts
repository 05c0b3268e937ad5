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

/** A patient's fields as entered (create and edit validate them alike). */
export const PatientName = z.string().trim().min(1, 'a name is required').max(200);
export const PatientMrn = z.string().trim().max(64);
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
});
export type NewPatient = z.input<typeof NewPatient>;

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
    create: { roles: CLINICAL_ROLES, args: z.tuple([NewPatient]), result: Patient },
    get: { roles: ALL_ROLES, audit: { action: 'read', recordType: 'patient' }, redact: redactPatient, args: z.tuple([Id]), result: Patient },
    /** Deletes a patient with all their studies, twins, analyses and registrations (files included). Surgeons and administrators only. */
    delete: { roles: SURGEON_ROLES, verb: 'delete a patient', args: z.tuple([Id]), result: z.boolean() },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    patients: typeof PatientsService;
  }
}
