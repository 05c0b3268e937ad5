/**
 * The inference engine (issue 23; MS-DT's second level of integration): the
 * patient's visits, patient-reported outcome forms scored by their published
 * rules, the feature graph of every acquisition's features (typed edges,
 * versioned), risk models kept as data files (published or expert prior, each
 * coefficient with its source), the risk with its interval and its per-feature
 * log-odds contributions, the site's own refit (penalised logistic regression,
 * discrimination and calibration, used only once an administrator approves it),
 * trends over visits against minimal detectable changes, and advice.
 *
 * No outcome data exist where this was built: every number carries where it
 * comes from and how far it was validated (`RiskResult.statement`).
 */
import { z } from 'zod';
import { defineService, ADMIN_ROLES, ALL_ROLES, CLINICAL_ROLES, SURGEON_ROLES } from '../../electron/contract/define.js';
import { Id } from '../../electron/contract/primitives.js';
import { IsoDay, isoDayOf } from '../devices/contract.js';

// ---------------------------------------------------------------- visits and forms

/** Where a visit's acquisitions come from. */
export const AcquisitionRef = z.object({
  kind: z.enum(['study', 'twin', 'spine', 'motion', 'recording', 'prom', 'clinical']),
  id: z.string(),
  description: z.string(),
});
export type AcquisitionRef = z.infer<typeof AcquisitionRef>;

/**
 * A visit of a patient: one day (ISO 8601) and a label. A visit is entered (`visits` row) or found from the
 * acquisitions of that day (a study's date, a motion session's or recording's visit day); every acquisition and
 * feature belongs to the visit of its day.
 */
export const Visit = z.object({
  /** `visit:<patientId>:<day>`: one visit per patient and day. */
  id: z.string(),
  patientId: Id,
  visitDate: IsoDay,
  label: z.string(),
  /** True when no one entered it: found from the acquisitions of that day. */
  derived: z.boolean(),
  acquisitions: z.array(AcquisitionRef),
});
export type Visit = z.infer<typeof Visit>;

export const PromInstrument = z.enum(['odi', 'rmdq', 'nrs-back', 'nrs-leg', 'srs22r']);
export type PromInstrument = z.infer<typeof PromInstrument>;

/** A form's items as the UI shows them: each item's label, allowed answers (integers min..max) and anchors (the labels of the lowest and the highest answer). */
export const PromDefinition = z.object({
  instrument: PromInstrument,
  title: z.string(),
  items: z.array(z.object({ label: z.string(), min: z.number().int(), max: z.number().int(), anchors: z.array(z.string()) })),
  /** How the form is scored, in a sentence, with its published source. */
  scoring: z.string(),
  source: z.string(),
});
export type PromDefinition = z.infer<typeof PromDefinition>;

/** A form's score by its published rule. */
export const PromScore = z.object({
  instrument: PromInstrument,
  /** ODI: 0–100 %; RMDQ: 0–24; NRS: 0–10; SRS-22r: the mean of items 1–20 (1–5). */
  total: z.number(),
  unit: z.string(),
  /** SRS-22r: function, pain, self-image, mental health, satisfaction (means 1–5; null when too few answered). */
  domains: z.record(z.string(), z.number().nullable()),
  answered: z.number().int(),
  items: z.number().int(),
  /** The published band of the total (e.g. ODI 21–40 % "moderate disability"), or null. */
  band: z.string().nullable(),
  source: z.string(),
  algorithmVersion: z.string(),
});
export type PromScore = z.infer<typeof PromScore>;

export const PromResponse = z.object({
  id: Id,
  patientId: Id,
  visitDate: IsoDay,
  instrument: PromInstrument,
  /** One answer per item, null where the patient did not answer. */
  answers: z.array(z.number().int().nullable()),
  score: PromScore,
  createdAt: z.string(),
  createdBy: z.string(),
});
export type PromResponse = z.infer<typeof PromResponse>;

export const SubmitPromRequest = z.object({
  patientId: Id,
  visitDate: IsoDay,
  visitLabel: z.string().trim().max(120).default(''),
  instrument: PromInstrument,
  answers: z.array(z.number().int().nullable()),
});
export type SubmitPromRequest = z.input<typeof SubmitPromRequest>;

/** Values a clinician enters at a visit (e.g. the Risser grade read on a radiograph); each is a feature of the visit. */
/** Risser grade (0–5, pelvis radiograph); age (years; else from the birth date); a manual Cobb angle (°, standing radiograph). */
export const ClinicalValueName = z.enum(['risser', 'age_years', 'cobb_manual']);
export const SubmitClinicalRequest = z.object({
  patientId: Id,
  visitDate: IsoDay,
  name: ClinicalValueName,
  value: z.number().finite(),
});
export type SubmitClinicalRequest = z.input<typeof SubmitClinicalRequest>;

// ---------------------------------------------------------------- the feature graph

export const FeatureModality = z.enum(['CT', 'MR', 'US', 'sEMG', 'IMU', 'depth', 'PROM', 'clinical']);
export type FeatureModality = z.infer<typeof FeatureModality>;
/** The seed's scales: macro (posture, motion, whole body, reported outcome), meso (segment, muscle), micro (tissue). */
export const FeatureScale = z.enum(['macro', 'meso', 'micro']);
export type FeatureScale = z.infer<typeof FeatureScale>;

export const FeatureNode = z.object({
  /** Stable within a graph version: `<source kind>:<source id>:<name>:<level or channel>`. */
  id: z.string(),
  name: z.string(),
  /** What the UI shows, e.g. "Disc height (mean AP) L4-L5". */
  label: z.string(),
  value: z.number().nullable(),
  unit: z.string(),
  modality: FeatureModality,
  scale: FeatureScale,
  /** Anatomical site: 'spine', 'trunk', 'body', a muscle ('multifidus'), or the level itself. */
  site: z.string(),
  /** Vertebral level or disc ('L4', 'L4-L5', 'T10-L2'), '' when none. */
  level: z.string(),
  side: z.string(),
  visitId: z.string(),
  visitDate: IsoDay,
  algorithm: z.string(),
  algorithmVersion: z.string(),
  /** The acquisition's quality flags ('flat', 'saturated', …): a flagged value is shown but never fills a risk model's input. */
  flags: z.array(z.string()),
  source: z.object({ kind: AcquisitionRef.shape.kind, id: z.string() }),
});
export type FeatureNode = z.infer<typeof FeatureNode>;

export const FeatureEdgeType = z.enum(['same-level', 'same-site', 'derived-from', 'same-modality', 'longitudinal', 'association']);
export type FeatureEdgeType = z.infer<typeof FeatureEdgeType>;

export const FeatureEdge = z.object({
  source: z.string(),
  target: z.string(),
  type: FeatureEdgeType,
  /** association: Spearman's ρ over the site's cohort; longitudinal: the change (target − source, in the unit); else null. */
  weight: z.number().nullable(),
  detail: z.string(),
});
export type FeatureEdge = z.infer<typeof FeatureEdge>;

export const FeatureGraph = z.object({
  id: Id,
  patientId: Id,
  /** 1, 2, …: a new version each time the patient's features changed (earlier versions kept). */
  version: z.number().int(),
  createdAt: z.string(),
  algorithmVersion: z.string(),
  visits: z.array(Visit),
  nodes: z.array(FeatureNode),
  edges: z.array(FeatureEdge),
  /** Why there are (or are no) association edges: the cohort's size and the rule. */
  associationNote: z.string(),
});
export type FeatureGraph = z.infer<typeof FeatureGraph>;

export const GraphFilter = z
  .object({
    version: z.number().int().optional(),
    modality: FeatureModality.optional(),
    level: z.string().optional(),
    visitId: z.string().optional(),
  })
  .default({});

// ---------------------------------------------------------------- risk models as data

export const CoefficientSource = z.object({
  kind: z.enum(['published', 'derived-from-published', 'expert-prior', 'site-fit']),
  /** The paper and table (or the reasoning of an expert prior, or the site fit's id). */
  citation: z.string(),
});
export type CoefficientSource = z.infer<typeof CoefficientSource>;

/**
 * How a term is made from the model's inputs: `linear` (x − center) / scale; `indicator` 1 when lo ≤ x < hi
 * (either bound may be absent), else 0; `product` of the other terms' values (by id, computed first).
 */
export const TermTransform = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('linear'), input: z.string(), center: z.number().default(0), scale: z.number().positive().default(1) }),
  z.object({ kind: z.literal('indicator'), input: z.string(), lo: z.number().nullable().default(null), hi: z.number().nullable().default(null) }),
  z.object({ kind: z.literal('product'), terms: z.array(z.string()).min(2) }),
]);
export type TermTransform = z.infer<typeof TermTransform>;

export const ModelInput = z.object({
  name: z.string(),
  label: z.string(),
  unit: z.string(),
  /** Which graph feature fills it: its name, and how several (levels, sides) reduce to one value. */
  from: z.object({
    feature: z.string(),
    /** Other features that fill the input too (e.g. a manual Cobb angle beside the CT's). */
    also: z.array(z.string()).default([]),
    reduce: z.enum(['max', 'min', 'max-abs', 'mean', 'first']).default('first'),
    level: z.string().optional(),
    /** Only nodes of these anatomical sites (e.g. the paraspinal muscles for a back-muscle sEMG input); all when absent. */
    sites: z.array(z.string()).optional(),
  }),
  /** Values the model was developed on; outside it the result says so. */
  validRange: z.tuple([z.number(), z.number()]),
  /** The range a missing value may plausibly take here (for the interval and the next-examination advice). */
  plausible: z.tuple([z.number(), z.number()]),
  /** The value used for a missing input (stated as imputed). */
  reference: z.number(),
  /** The examination that provides it ("standing radiograph: Risser grade"). */
  exam: z.string(),
});
export type ModelInput = z.infer<typeof ModelInput>;

export const RiskModelFile = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  version: z.string(),
  title: z.string(),
  /** What is predicted, e.g. "curve progression ≥ 5° before skeletal maturity". */
  outcome: z.string(),
  /**
   * What the outcome is: surgery (a site may refit the model on its recorded surgeries) or something the site does
   * not record (curve progression: never refitted on surgeries).
   */
  outcomeKind: z.enum(['surgery', 'curve-progression']),
  /** Who the model applies to, by graph features (e.g. age under 18): a patient outside gets no probability, with the reason. */
  eligibility: z.array(z.object({ feature: z.string(), min: z.number().nullable(), max: z.number().nullable(), reason: z.string() })).default([]),
  /** The model's own horizon in months (null when it is "until skeletal maturity" or similar: `horizonNote`). */
  horizonMonths: z.number().positive().nullable(),
  horizonNote: z.string(),
  population: z.string(),
  citation: z.string(),
  status: z.enum(['published', 'expert-prior', 'site-fit']),
  inputs: z.array(ModelInput),
  terms: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      transform: TermTransform,
      coefficient: z.number(),
      /** Standard error of the coefficient (log-odds); null when not published. */
      se: z.number().nonnegative().nullable(),
      source: CoefficientSource,
    }),
  ),
  intercept: z.object({ value: z.number(), se: z.number().nonnegative().nullable(), source: CoefficientSource }),
  performance: z.object({
    auc: z.number().nullable(),
    aucInterval: z.tuple([z.number(), z.number()]).nullable(),
    calibration: z.string(),
    development: z.string(),
  }),
  /** The plain statement of validation shown with every result of the model. */
  validation: z.string(),
  /** Published figures the model must reproduce (the tests check them): inputs → probability. */
  workedFigures: z.array(z.object({ inputs: z.record(z.string(), z.number()), probability: z.number(), citation: z.string() })),
});
export type RiskModelFile = z.infer<typeof RiskModelFile>;

/** A model as the site holds it: the file, where it came from, and whether it is the one used. */
export const RiskModelEntry = z.object({
  /** `<file id>@<version>`, or a site fit's id. */
  key: z.string(),
  model: RiskModelFile,
  origin: z.enum(['shipped', 'site-fit']),
  /** The model this one refits (site fits). */
  baseKey: z.string().nullable(),
  state: z.enum(['available', 'candidate', 'approved', 'retired']),
  approvedBy: z.string().nullable(),
  approvedAt: z.string().nullable(),
  /** The shipped file's SHA-256 (site fits: of their JSON). */
  sha256: z.string(),
});
export type RiskModelEntry = z.infer<typeof RiskModelEntry>;

export const Contribution = z.object({
  /** The term's id ('intercept' for the model's intercept). */
  feature: z.string(),
  label: z.string(),
  /** The input's value the term was computed from (null: the intercept, or a product term). */
  value: z.number().nullable(),
  unit: z.string(),
  /** coefficient × term value; all of them sum to the logit. */
  logOdds: z.number(),
  source: z.string(),
  sourceKind: CoefficientSource.shape.kind,
  /** The input was missing and its reference value was used. */
  imputed: z.boolean(),
  /** The graph node the value came from, its modality and the day it was measured (null: intercept, missing). */
  nodeId: z.string().nullable(),
  modality: FeatureModality.nullable(),
  visitDate: IsoDay.nullable(),
});
export type Contribution = z.infer<typeof Contribution>;

export const RiskResult = z.object({
  model: z.object({
    key: z.string(),
    id: z.string(),
    version: z.string(),
    title: z.string(),
    outcome: z.string(),
    status: RiskModelFile.shape.status,
    citation: z.string(),
    population: z.string(),
    horizonMonths: z.number().nullable(),
    horizonNote: z.string(),
    auc: z.number().nullable(),
    validation: z.string(),
    approved: z.boolean(),
  }),
  probability: z.number(),
  logit: z.number(),
  /** 95 % interval of the probability: coefficients' uncertainty (where published) and the missing inputs' plausible range. */
  interval: z.tuple([z.number(), z.number()]),
  intervalMethod: z.string(),
  contributions: z.array(Contribution),
  missing: z.array(z.object({ input: z.string(), label: z.string(), exam: z.string(), reference: z.number() })),
  outOfRange: z.array(z.object({ input: z.string(), label: z.string(), value: z.number(), validRange: z.tuple([z.number(), z.number()]) })),
  /** The probability at other horizons, converted under a constant hazard (stated); empty when the model has no horizon in months. */
  horizons: z.array(z.object({ months: z.number(), probability: z.number(), assumption: z.string() })),
  /** "Not validated on this site's population …" (or the site fit's validation). */
  statement: z.string(),
  /**
   * Why no probability is to be shown (an input outside the range the model was developed on, a patient outside its
   * population); null when it may be shown. The numbers stay in the result for the record, never as the headline.
   */
  withheld: z.string().nullable(),
});
export type RiskResult = z.infer<typeof RiskResult>;

// ---------------------------------------------------------------- site learning

export const OutcomeRecord = z.object({
  patientId: Id,
  surgery: z.boolean(),
  surgeryDate: isoDayOf('surgery day').nullable(),
  recordedAt: z.string(),
  recordedBy: z.string(),
});
export type OutcomeRecord = z.infer<typeof OutcomeRecord>;

export const SiteFitReport = z.object({
  key: z.string(),
  baseKey: z.string(),
  n: z.number().int(),
  events: z.number().int(),
  /** Patients left out (no outcome horizon reached, missing inputs) and why. */
  excluded: z.array(z.object({ reason: z.string(), count: z.number().int() })),
  penalty: z.object({ kind: z.literal('ridge'), lambda: z.number(), folds: z.number().int(), grid: z.array(z.number()) }),
  coefficients: z.array(z.object({ term: z.string(), estimate: z.number(), se: z.number(), interval: z.tuple([z.number(), z.number()]), base: z.number() })),
  auc: z.number(),
  aucInterval: z.tuple([z.number(), z.number()]),
  bootstrap: z.number().int(),
  calibration: z.object({
    slope: z.number(),
    intercept: z.number(),
    /** Optimism-corrected slope (bootstrap, Harrell). */
    slopeCorrected: z.number(),
    bins: z.array(z.object({ predicted: z.number(), observed: z.number(), n: z.number().int() })),
  }),
  brier: z.number(),
  /** The base model on the same cohort, side by side. */
  baseAuc: z.number(),
  baseCalibration: z.object({ slope: z.number(), intercept: z.number() }),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type SiteFitReport = z.infer<typeof SiteFitReport>;

/** The cohort as a researcher sees it: counts and statistics, no identifiers. */
export const CohortSummary = z.object({
  patients: z.number().int(),
  withOutcome: z.number().int(),
  events: z.number().int(),
  minimumForFit: z.string(),
  fits: z.array(SiteFitReport),
});
export type CohortSummary = z.infer<typeof CohortSummary>;

// ---------------------------------------------------------------- trends and advice

export const ChangeThreshold = z.object({
  value: z.number(),
  unit: z.string(),
  kind: z.enum(['MDC', 'MCID']),
  source: z.string(),
});
export type ChangeThreshold = z.infer<typeof ChangeThreshold>;

export const Trend = z.object({
  feature: z.string(),
  level: z.string(),
  label: z.string(),
  unit: z.string(),
  modality: FeatureModality,
  points: z.array(z.object({ visitId: z.string(), visitDate: IsoDay, value: z.number() })),
  /** The published smallest real change, or null (then no change is flagged, and the UI says so). */
  threshold: ChangeThreshold.nullable(),
  changes: z.array(z.object({ from: IsoDay, to: IsoDay, delta: z.number(), exceeds: z.boolean().nullable() })),
  flagged: z.boolean(),
});
export type Trend = z.infer<typeof Trend>;

export const Advice = z.object({
  id: z.string(),
  kind: z.enum(['rule', 'next-exam']),
  severity: z.enum(['info', 'consider', 'recommend']),
  text: z.string(),
  rationale: z.string(),
  citation: z.string(),
  /** The features (node ids) that triggered it. */
  nodes: z.array(z.string()),
  /** next-exam: expected narrowing of the risk interval's width (probability units) if the examination is done. */
  expectedReduction: z.number().nullable(),
});
export type Advice = z.infer<typeof Advice>;

/** Everything the Twin overview shows of one patient. */
export const Overview = z.object({
  patientId: Id,
  graph: FeatureGraph,
  risks: z.array(RiskResult),
  /** The risk over visits (the active model at each visit's features). */
  riskOverTime: z.array(z.object({ visitDate: IsoDay, probability: z.number(), interval: z.tuple([z.number(), z.number()]) })),
  trends: z.array(Trend),
  advice: z.array(Advice),
  proms: z.array(PromResponse),
});
export type Overview = z.infer<typeof Overview>;

export const ReportFile = z.object({ fileName: z.string(), mime: z.literal('application/pdf'), base64: z.string(), pages: z.number().int() });
export type ReportFile = z.infer<typeof ReportFile>;

/** Researchers see features and risks without identifying context (visit days). */
const redactGraph = (g: FeatureGraph): FeatureGraph => ({
  ...g,
  visits: g.visits.map((v) => ({ ...v, visitDate: '1900-01-01', label: '', acquisitions: [] })),
  nodes: g.nodes.map((n) => ({ ...n, visitDate: '1900-01-01' })),
});

export const InferenceService = defineService(
  'inference',
  {
    /** The patient's visits, oldest first: entered ones and those found from the acquisitions' days. */
    visits: { roles: CLINICAL_ROLES, audit: { action: 'read', recordType: 'patient' }, args: z.tuple([Id]), result: z.array(Visit) },
    /** Enters a visit (a day and a label); audited. */
    addVisit: {
      roles: CLINICAL_ROLES,
      verb: 'enter visits',
      audit: { action: 'create', recordType: 'visit' },
      args: z.tuple([z.object({ patientId: Id, visitDate: IsoDay, label: z.string().trim().max(120).default('') })]),
      result: Visit,
    },
    /** The forms the product scores, with their items, scoring rule and source. */
    promDefinitions: { roles: ALL_ROLES, args: z.tuple([]), result: z.array(PromDefinition) },
    /** Stores a filled form at a visit, scored by its published rule; a wrong number of answers or an answer out of range is refused naming the item. */
    submitProm: {
      roles: CLINICAL_ROLES,
      verb: 'enter questionnaires',
      audit: { action: 'create', recordType: 'prom' },
      args: z.tuple([SubmitPromRequest]),
      result: PromResponse,
    },
    proms: { roles: CLINICAL_ROLES, audit: { action: 'read', recordType: 'patient' }, args: z.tuple([Id]), result: z.array(PromResponse) },
    /** Stores a clinician's value at a visit (Risser grade, age); audited. */
    submitClinical: {
      roles: CLINICAL_ROLES,
      verb: 'enter clinical values',
      audit: { action: 'create', recordType: 'clinical-value' },
      args: z.tuple([SubmitClinicalRequest]),
      result: z.object({ patientId: Id, visitDate: IsoDay, name: ClinicalValueName, value: z.number() }),
    },
    /**
     * The patient's feature graph, built from every acquisition's features; a new version is stored when the
     * features changed since the last one. Filters select nodes (and the edges among them).
     */
    graph: {
      roles: ALL_ROLES,
      audit: { action: 'read', recordType: 'patient' },
      redact: redactGraph,
      args: z.tuple([Id, GraphFilter]),
      result: FeatureGraph,
    },
    /** The risk models the site holds (shipped files, site fits) with their state. */
    models: { roles: ALL_ROLES, args: z.tuple([]), result: z.array(RiskModelEntry) },
    /** The patient's risk under every shipped model (and the approved site fit), at the latest visit. */
    risk: { roles: CLINICAL_ROLES, audit: { action: 'read', recordType: 'patient' }, args: z.tuple([Id]), result: z.array(RiskResult) },
    /** Everything the Twin overview shows. */
    overview: { roles: CLINICAL_ROLES, audit: { action: 'read', recordType: 'patient' }, args: z.tuple([Id]), result: Overview },
    /** Records whether (and when) the patient had surgery: the site's outcome for learning; audited. */
    recordOutcome: {
      roles: SURGEON_ROLES,
      verb: 'record outcomes',
      audit: { action: 'edit', recordType: 'outcome' },
      args: z.tuple([z.object({ patientId: Id, surgery: z.boolean(), surgeryDate: isoDayOf('surgery day').nullable().default(null) })]),
      result: OutcomeRecord,
    },
    /**
     * Refits a shipped model on the site's cohort (penalised logistic regression, cross-validated); refused with the
     * reason when the cohort is too small. The fit is a candidate until an administrator approves it.
     */
    fitSiteModel: {
      roles: ADMIN_ROLES,
      verb: 'fit site models',
      audit: { action: 'create', recordType: 'risk-model' },
      args: z.tuple([z.string()]),
      result: SiteFitReport,
    },
    /** Approves a site fit: from then on it is used beside its base model; audited. */
    approveModel: {
      roles: ADMIN_ROLES,
      verb: 'approve risk models',
      audit: { action: 'approve', recordType: 'risk-model' },
      args: z.tuple([z.string()]),
      result: RiskModelEntry,
    },
    /** The site's cohort statistics, de-identified (researchers too). */
    cohort: { roles: ALL_ROLES, args: z.tuple([]), result: CohortSummary },
    /** The visit's report as a PDF (risk card, contributions, trends, advice); audited as an export. */
    reportPdf: {
      roles: CLINICAL_ROLES,
      audit: { action: 'export', recordType: 'patient' },
      args: z.tuple([Id]),
      result: ReportFile,
    },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    inference: typeof InferenceService;
  }
}
