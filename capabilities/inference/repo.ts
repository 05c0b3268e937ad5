/**
 * The inference capability's SQL (migration 0016): visits, forms, clinicians'
 * values, feature graph versions, outcomes and site risk models; and the reads
 * of the other capabilities' records a patient's graph is built from (twins and
 * their features, spine analyses, motion sessions).
 */
import { AppError } from '../../electron/contract/errors.js';
import { newId, nowIso, type Row } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import { spineHistory } from '../spine/repo.js';
import { featuresWhere } from '../twins/repo.js';
import { getSession, listSessions } from '../motion/repo.js';
import type { MotionSessionDetail } from '../motion/contract.js';
import type { Feature } from '../twins/contract.js';
import type { FeatureGraph, OutcomeRecord, PromInstrument, PromResponse, PromScore, RiskModelFile, SiteFitReport } from './contract.js';

/** A DICOM date (YYYYMMDD) or an ISO date/time as an ISO day, or null when it is neither. */
export function isoDay(s: string | null | undefined): string | null {
  if (!s) return null;
  const t = s.trim();
  const dicom = /^(\d{4})(\d{2})(\d{2})$/.exec(t);
  if (dicom) return `${dicom[1]}-${dicom[2]}-${dicom[3]}`;
  const iso = /^(\d{4}-\d{2}-\d{2})/.exec(t);
  return iso ? iso[1]! : null;
}

export interface EnteredVisit {
  visitDate: string;
  label: string;
}

export function listEnteredVisits(store: TwinStore, patientId: string): EnteredVisit[] {
  return (store.db.prepare('SELECT visit_date, label FROM visits WHERE patient_id = ? ORDER BY visit_date').all(patientId) as Row[]).map((r) => ({
    visitDate: r['visit_date'] as string,
    label: r['label'] as string,
  }));
}

/** Enters (or relabels, when the label is not empty) the patient's visit of that day. */
export function upsertVisit(store: TwinStore, patientId: string, visitDate: string, label: string, actor: string): void {
  store.db
    .prepare(
      `INSERT INTO visits (id, patient_id, visit_date, label, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (patient_id, visit_date) DO UPDATE SET label = CASE WHEN excluded.label <> '' THEN excluded.label ELSE visits.label END`,
    )
    .run(newId(), patientId, visitDate, label, nowIso(), actor);
}

export function insertProm(
  store: TwinStore,
  r: { patientId: string; visitDate: string; instrument: PromInstrument; answers: (number | null)[]; score: PromScore },
  actor: string,
): PromResponse {
  const id = newId();
  const createdAt = nowIso();
  store.db
    .prepare('INSERT INTO prom_responses (id, patient_id, visit_date, instrument, answers, score, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(id, r.patientId, r.visitDate, r.instrument, JSON.stringify(r.answers), JSON.stringify(r.score), createdAt, actor);
  return { id, ...r, createdAt, createdBy: actor };
}

/** The patient's forms, oldest visit first. */
export function listProms(store: TwinStore, patientId: string): PromResponse[] {
  return (store.db.prepare('SELECT * FROM prom_responses WHERE patient_id = ? ORDER BY visit_date, created_at').all(patientId) as Row[]).map((r) => ({
    id: r['id'] as string,
    patientId: r['patient_id'] as string,
    visitDate: r['visit_date'] as string,
    instrument: r['instrument'] as PromInstrument,
    answers: JSON.parse(r['answers'] as string) as (number | null)[],
    score: JSON.parse(r['score'] as string) as PromScore,
    createdAt: r['created_at'] as string,
    createdBy: r['created_by'] as string,
  }));
}

export function upsertClinical(store: TwinStore, patientId: string, visitDate: string, name: string, value: number, actor: string): void {
  store.db
    .prepare(
      `INSERT INTO clinical_values (patient_id, visit_date, name, value, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (patient_id, visit_date, name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at, created_by = excluded.created_by`,
    )
    .run(patientId, visitDate, name, value, nowIso(), actor);
}

export function listClinical(store: TwinStore, patientId: string): { visitDate: string; name: string; value: number; createdBy: string }[] {
  return (store.db.prepare('SELECT * FROM clinical_values WHERE patient_id = ? ORDER BY visit_date, name').all(patientId) as Row[]).map((r) => ({
    visitDate: r['visit_date'] as string,
    name: r['name'] as string,
    value: r['value'] as number,
    createdBy: r['created_by'] as string,
  }));
}

/** A twin in view of the patient with its study's day, modality and whole-twin features. */
export interface TwinSource {
  twinId: string;
  version: number;
  studyId: string;
  seriesId: string;
  modality: string;
  studyDescription: string;
  /** The study's date, else the day the twin was built. */
  visitDate: string;
  createdAt: string;
  features: Feature[];
}

export function twinSources(store: TwinStore, patientId: string): TwinSource[] {
  const rows = store.db
    .prepare(
      `SELECT t.id, t.version, t.created_at, se.id AS series_id, se.modality, st.id AS study_id, st.study_date, st.description
       FROM twins t JOIN volumes v ON v.id = t.volume_id JOIN series se ON se.id = v.series_id JOIN studies st ON st.id = se.study_id
       WHERE t.patient_id = ? AND t.trashed_at IS NULL AND se.trashed_at IS NULL AND st.trashed_at IS NULL ORDER BY t.version`,
    )
    .all(patientId) as Row[];
  return rows.map((r) => {
    const createdAt = r['created_at'] as string;
    const features = featuresWhere(store, 'analysis_id IS NULL AND twin_id = ?', r['id'] as string);
    return {
      twinId: r['id'] as string,
      version: r['version'] as number,
      studyId: r['study_id'] as string,
      seriesId: r['series_id'] as string,
      modality: r['modality'] as string,
      studyDescription: r['description'] as string,
      visitDate: isoDay(r['study_date'] as string) ?? isoDay(createdAt)!,
      createdAt,
      features,
    };
  });
}

/** The newest spine analysis of each twin in view, with its per-level features. */
export function spineSources(store: TwinStore, patientId: string): ReturnType<typeof spineHistory> {
  return spineHistory(store, patientId);
}

/** The patient's motion sessions with their features (real recordings only: a simulator's or replay's are left out). */
export function motionSources(store: TwinStore, patientId: string): { sessions: MotionSessionDetail[]; simulatedLeftOut: number } {
  const all = listSessions(store, patientId);
  const real = all.filter((s) => !s.simulated);
  return { sessions: real.map((s) => getSession(store, s.id)), simulatedLeftOut: all.length - real.length };
}

export function patientBirthDate(store: TwinStore, patientId: string): string | null {
  return isoDay(store.db.prepare('SELECT birth_date FROM patients WHERE id = ?').pluck().get(patientId) as string | undefined);
}

// ---------------------------------------------------------------- graph versions

export function latestGraph(store: TwinStore, patientId: string, version?: number): (FeatureGraph & { inputsSha256: string }) | null {
  const r = (
    version === undefined
      ? store.db.prepare('SELECT * FROM feature_graphs WHERE patient_id = ? ORDER BY version DESC LIMIT 1').get(patientId)
      : store.db.prepare('SELECT * FROM feature_graphs WHERE patient_id = ? AND version = ?').get(patientId, version)
  ) as Row | undefined;
  if (!r) {
    if (version !== undefined) throw new AppError('NOT_FOUND', `the patient has no feature graph version ${version}`);
    return null;
  }
  const g = JSON.parse(r['graph'] as string) as Omit<FeatureGraph, 'id' | 'version' | 'createdAt'>;
  return {
    ...g,
    id: r['id'] as string,
    version: r['version'] as number,
    createdAt: r['created_at'] as string,
    inputsSha256: r['inputs_sha256'] as string,
  };
}

export function insertGraph(store: TwinStore, g: Omit<FeatureGraph, 'id' | 'version' | 'createdAt'>, inputsSha256: string): FeatureGraph {
  const id = newId();
  const createdAt = nowIso();
  const version = ((store.db.prepare('SELECT MAX(version) FROM feature_graphs WHERE patient_id = ?').pluck().get(g.patientId) as number | null) ?? 0) + 1;
  store.db
    .prepare('INSERT INTO feature_graphs (id, patient_id, version, inputs_sha256, graph, algorithm_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(id, g.patientId, version, inputsSha256, JSON.stringify(g), g.algorithmVersion, createdAt);
  return { ...g, id, version, createdAt };
}

/** The latest graph of every patient not in the trash (the cohort for association edges and site learning). */
export function cohortGraphs(store: TwinStore): FeatureGraph[] {
  const rows = store.db
    .prepare(
      `SELECT g.* FROM feature_graphs g JOIN patients p ON p.id = g.patient_id
       WHERE p.trashed_at IS NULL AND g.version = (SELECT MAX(version) FROM feature_graphs WHERE patient_id = g.patient_id)`,
    )
    .all() as Row[];
  return rows.map((r) => ({
    ...(JSON.parse(r['graph'] as string) as FeatureGraph),
    id: r['id'] as string,
    version: r['version'] as number,
    createdAt: r['created_at'] as string,
  }));
}

// ---------------------------------------------------------------- outcomes and site models

export function upsertOutcome(store: TwinStore, patientId: string, surgery: boolean, surgeryDate: string | null, actor: string): OutcomeRecord {
  const recordedAt = nowIso();
  store.db
    .prepare(
      `INSERT INTO outcomes (patient_id, surgery, surgery_date, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (patient_id) DO UPDATE SET surgery = excluded.surgery, surgery_date = excluded.surgery_date,
         recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by`,
    )
    .run(patientId, surgery ? 1 : 0, surgeryDate, recordedAt, actor);
  return { patientId, surgery, surgeryDate, recordedAt, recordedBy: actor };
}

export function listOutcomes(store: TwinStore): OutcomeRecord[] {
  return (
    store.db.prepare('SELECT o.* FROM outcomes o JOIN patients p ON p.id = o.patient_id WHERE p.trashed_at IS NULL ORDER BY o.recorded_at').all() as Row[]
  ).map((r) => ({
    patientId: r['patient_id'] as string,
    surgery: (r['surgery'] as number) === 1,
    surgeryDate: (r['surgery_date'] as string | null) ?? null,
    recordedAt: r['recorded_at'] as string,
    recordedBy: r['recorded_by'] as string,
  }));
}

export interface SiteModelRow {
  key: string;
  baseKey: string;
  model: RiskModelFile;
  report: SiteFitReport;
  sha256: string;
  state: 'candidate' | 'approved' | 'retired';
  approvedBy: string | null;
  approvedAt: string | null;
}

export function insertSiteModel(store: TwinStore, m: Omit<SiteModelRow, 'state' | 'approvedBy' | 'approvedAt'>, actor: string): void {
  store.db
    .prepare('INSERT INTO risk_models (key, base_key, model, report, sha256, state, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(m.key, m.baseKey, JSON.stringify(m.model), JSON.stringify(m.report), m.sha256, 'candidate', nowIso(), actor);
}

export function listSiteModels(store: TwinStore): SiteModelRow[] {
  return (store.db.prepare('SELECT * FROM risk_models ORDER BY created_at').all() as Row[]).map((r) => ({
    key: r['key'] as string,
    baseKey: r['base_key'] as string,
    model: JSON.parse(r['model'] as string) as RiskModelFile,
    report: JSON.parse(r['report'] as string) as SiteFitReport,
    sha256: r['sha256'] as string,
    state: r['state'] as SiteModelRow['state'],
    approvedBy: (r['approved_by'] as string | null) ?? null,
    approvedAt: (r['approved_at'] as string | null) ?? null,
  }));
}

/** Approves a candidate: the base model's earlier approved fit is retired (one approved fit per base model). @throws AppError NOT_FOUND, CONFLICT */
export function approveSiteModel(store: TwinStore, key: string, actor: string): SiteModelRow {
  const m = listSiteModels(store).find((x) => x.key === key);
  if (!m) throw new AppError('NOT_FOUND', `no site model ${key}`);
  if (m.state !== 'candidate') throw new AppError('CONFLICT', `the site model ${key} is ${m.state}, not a candidate`);
  store.db.transaction(() => {
    store.db.prepare("UPDATE risk_models SET state = 'retired' WHERE base_key = ? AND state = 'approved'").run(m.baseKey);
    store.db.prepare("UPDATE risk_models SET state = 'approved', approved_by = ?, approved_at = ? WHERE key = ?").run(actor, nowIso(), key);
  })();
  return listSiteModels(store).find((x) => x.key === key)!;
}
