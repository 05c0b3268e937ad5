/**
 * PACS exchange (issue 24 §4–5): query/retrieve and send with a hospital PACS
 * over DIMSE (C-ECHO, C-FIND, C-MOVE, C-GET, C-STORE; dcmjs-dimse) and
 * DICOMweb (QIDO-RS, WADO-RS, STOW-RS; Node's fetch). The PACS nodes are the
 * site policy's (`pacsNodes`, see electron/services/policy.ts) or given
 * ad hoc (CLI `--host/--port/--aet`). A retrieval is a job: the instances are
 * received into `<data dir>/pacs/incoming/<study>/<series>/`, counted against
 * what the PACS listed, and only a complete series is imported through the
 * studies' import (so a failed, cancelled or incomplete retrieval leaves no
 * study; a retry fetches only the missing instances). Every transfer is audited.
 */
import { z } from 'zod';
import { ALL_ROLES, CLINICAL_ROLES, defineService } from '../../electron/contract/define.js';
import { Id } from '../../electron/contract/primitives.js';

/** A DICOM application entity title: 1–16 characters of the default repertoire, no backslash. */
export const AeTitle = z
  .string()
  .min(1)
  .max(16)
  .regex(/^[\x20-\x5b\x5d-\x7e]+$/, 'an AE title is 1–16 printable ASCII characters without a backslash');

/** A PACS node (site policy `pacsNodes`, or ad hoc from the CLI). */
export const PacsNode = z
  .object({
    /** How users and the CLI name it (`--node NAME`). */
    name: z.string().min(1).max(64),
    /** The PACS's (called) AE title. */
    aet: AeTitle,
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65535),
    /** DICOM TLS (PS3.15 Annex B) on the DIMSE port. */
    tls: z.boolean().default(false),
    /** DICOMweb root (QIDO/WADO/STOW), e.g. `https://pacs.example/dicom-web`; absent: DICOMweb not offered. */
    dicomWebUrl: z.string().url().optional(),
  })
  .strict();
export type PacsNode = z.infer<typeof PacsNode>;
export type PacsNodeInput = z.input<typeof PacsNode>;

/** A node by its policy name, or given in full. */
export const PacsNodeRef = z.union([z.string().min(1).max(64), PacsNode]);
export type PacsNodeRef = z.input<typeof PacsNodeRef>;

export const EchoResult = z.object({ node: z.string(), ok: z.literal(true), ms: z.number() });

/** DICOM date range `YYYYMMDD-YYYYMMDD` (either end may be open). */
const DicomDateRange = z.string().regex(/^(\d{8})?(-(\d{8})?)?$/, 'a DICOM date or range: YYYYMMDD, YYYYMMDD-YYYYMMDD, -YYYYMMDD or YYYYMMDD-');

export const FindQuery = z
  .object({
    /** Wildcards `*` and `?` as DICOM matching allows. */
    patientName: z.string().max(64).optional(),
    patientId: z.string().max(64).optional(),
    studyDate: DicomDateRange.optional(),
    modality: z.string().max(16).optional(),
    studyDescription: z.string().max(64).optional(),
    /** Series level: the study to list. */
    studyUid: z.string().max(64).optional(),
  })
  .strict();
export type FindQuery = z.input<typeof FindQuery>;

export const FindLevel = z.enum(['study', 'series']);
export type FindLevel = z.infer<typeof FindLevel>;

/** A study or series the PACS answered. */
export const FindHit = z.object({
  level: FindLevel,
  patientName: z.string(),
  patientId: z.string(),
  patientBirthDate: z.string(),
  patientSex: z.string(),
  studyUid: z.string(),
  studyDate: z.string(),
  studyDescription: z.string(),
  accessionNumber: z.string(),
  /** Study level: ModalitiesInStudy; series level: Modality. */
  modality: z.string(),
  seriesUid: z.string().optional(),
  seriesNumber: z.string().optional(),
  seriesDescription: z.string().optional(),
  /** NumberOfStudyRelatedInstances / NumberOfSeriesRelatedInstances, when the PACS says. */
  instances: z.number().int().nullable(),
});
export type FindHit = z.infer<typeof FindHit>;

export const RetrieveVia = z.enum(['c-move', 'c-get', 'wado-rs']);
export type RetrieveVia = z.infer<typeof RetrieveVia>;

export const RetrieveRequest = z
  .object({
    studyUid: z.string().min(1).max(64),
    seriesUid: z.string().min(1).max(64).optional(),
    via: RetrieveVia.default('c-move'),
    /** The patient the study goes into; absent: the patient of the study's PatientID, created from the PACS's identity if none. */
    patientId: Id.optional(),
    /** What the query said the series holds (the browser passes it on): fewer instances received is an incomplete series. */
    expectedInstances: z.number().int().min(1).optional(),
    buildTwin: z.boolean().default(false),
    /** See studies.import. */
    confirmIdentity: z.boolean().optional(),
  })
  .strict();
export type RetrieveRequest = z.input<typeof RetrieveRequest>;

export const SendVia = z.enum(['c-store', 'stow-rs']);
export const SendRequest = z
  .object({
    via: SendVia.default('c-store'),
    /** A series of the twin store (its DICOM source files are sent). */
    seriesId: Id.optional(),
    /** DICOM files (e.g. derived objects written by OrthoTwin). */
    files: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict()
  .refine((r) => (r.seriesId ? 1 : 0) + (r.files ? 1 : 0) === 1, 'give either seriesId or files');
export type SendRequest = z.input<typeof SendRequest>;

export const SendResult = z.object({
  node: z.string(),
  via: SendVia,
  sent: z.number().int(),
  sopInstanceUids: z.array(z.string()),
  ms: z.number(),
});
export type SendResult = z.infer<typeof SendResult>;

/** What a retrieval job keeps (JobService.wait): counts and timing. */
export const RetrieveSummary = z.object({
  node: z.string(),
  via: RetrieveVia,
  studyUid: z.string(),
  series: z.array(z.object({ seriesUid: z.string(), expected: z.number().int(), held: z.number().int(), fetched: z.number().int() })),
  /** Instances fetched in this run (a resumed retrieval fetches only the missing ones). */
  fetched: z.number().int(),
  retrieveMs: z.number(),
  instancesPerSecond: z.number(),
});
export type RetrieveSummary = z.infer<typeof RetrieveSummary>;

/** A study of the twin store that a PACS study already is (same StudyInstanceUID; patient, study and series not in the trash). */
export const HeldStudy = z.object({
  studyUid: z.string(),
  patientId: Id,
  patientName: z.string(),
  studyId: Id,
  /** SeriesInstanceUIDs of the store's series of that study. */
  seriesUids: z.array(z.string()),
});
export type HeldStudy = z.infer<typeof HeldStudy>;

/** A retrieval this host started: where it goes, and once it has ended its counts (what the job kept). */
export const RetrievalInfo = z.object({
  jobId: Id,
  node: z.string(),
  via: RetrieveVia,
  studyUid: z.string(),
  seriesUid: z.string().nullable(),
  /** The patient the study goes into (the one asked for, or found / created from the PACS's identity). */
  patientId: Id,
  /** Null until the job is done (a failed or cancelled retrieval keeps none). */
  summary: RetrieveSummary.nullable(),
});
export type RetrievalInfo = z.infer<typeof RetrievalInfo>;

export const PacsService = defineService(
  'pacs',
  {
    /** The site policy's PACS nodes and this workstation's AE (C-MOVE destination). */
    nodes: {
      roles: ALL_ROLES,
      args: z.tuple([]),
      result: z.object({ nodes: z.array(PacsNode), localAet: AeTitle, storePort: z.number().int() }),
    },
    echo: { roles: CLINICAL_ROLES, verb: 'verify a PACS connection', args: z.tuple([PacsNodeRef]), result: EchoResult },
    /** C-FIND (study or series level; DICOMweb QIDO-RS with `via: 'qido-rs'`). */
    find: {
      roles: CLINICAL_ROLES,
      verb: 'query the PACS',
      audit: { action: 'pacs-find', recordType: 'pacs-node' },
      args: z.tuple([PacsNodeRef, FindQuery, FindLevel, z.enum(['c-find', 'qido-rs']).default('c-find')]),
      result: z.array(FindHit),
    },
    /** Starts a retrieval job (C-MOVE, C-GET or WADO-RS) whose complete series are imported; its result is the last series imported. */
    retrieve: {
      roles: CLINICAL_ROLES,
      verb: 'retrieve from the PACS',
      audit: { action: 'pacs-retrieve-start', recordType: 'pacs-node' },
      args: z.tuple([PacsNodeRef, RetrieveRequest]),
      result: Id,
    },
    /** A retrieval started on this host since it started (the last 100): its patient and, once done, its counts and timing. */
    retrieval: { roles: CLINICAL_ROLES, args: z.tuple([Id]), result: RetrievalInfo },
    /** Which of these PACS studies the twin store already holds (the query/retrieve browser marks them). */
    held: {
      roles: CLINICAL_ROLES,
      args: z.tuple([z.array(z.string().min(1).max(64)).max(500)]),
      result: z.array(HeldStudy),
    },
    /** Sends DICOM objects (C-STORE or STOW-RS). */
    send: {
      roles: CLINICAL_ROLES,
      verb: 'send to the PACS',
      audit: { action: 'pacs-send-call', recordType: 'pacs-node' },
      args: z.tuple([PacsNodeRef, SendRequest]),
      result: SendResult,
    },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    pacs: typeof PacsService;
  }
}
