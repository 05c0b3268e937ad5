/**
 * Twins, their artefacts and features (tables from migration 0001; analysis
 * columns from 0002). Features and artefacts of spine analyses are excluded
 * from a twin's own lists.
 */
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { newId, nowIso as now, type Row } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import type { Artefact, Feature, Twin, TwinParams } from './contract.js';
import { assertUsable } from '../records/repo.js';

export function nextTwinVersion(store: TwinStore, patientId: string): number {
  return ((store.db.prepare('SELECT MAX(version) AS v FROM twins WHERE patient_id = ?').get(patientId) as { v: number | null }).v ?? 0) + 1;
}

export function insertTwin(
  store: TwinStore,
  t: { id: string; patientId: string; volumeId: string; params: TwinParams; algorithmVersion: string; timingsMs: Record<string, number> },
): number {
  const version = nextTwinVersion(store, t.patientId);
  store.db
    .prepare('INSERT INTO twins (id, patient_id, volume_id, version, params, algorithm_version, timings_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(t.id, t.patientId, t.volumeId, version, JSON.stringify(t.params), t.algorithmVersion, JSON.stringify(t.timingsMs), now());
  return version;
}

/** Records an artefact file of a twin (or of one of its spine analyses). */
export function insertArtefact(store: TwinStore, a: Omit<Artefact, 'id'>, analysisId: string | null = null): string {
  const id = newId();
  store.db
    .prepare('INSERT INTO artefacts (id, twin_id, kind, format, rel_path, bytes, sha256, count, created_at, analysis_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(id, a.twinId, a.kind, a.format, a.relPath, a.bytes, a.sha256, a.count, now(), analysisId);
  return id;
}

/** Records a feature of a twin (or of one of its spine analyses, with its level). */
export function insertFeature(store: TwinStore, twinId: string, f: Omit<Feature, 'createdAt'>, analysisId: string | null = null): void {
  store.db
    .prepare(
      'INSERT INTO features (twin_id, name, level, value, unit, source_series_id, algorithm, algorithm_version, parameters, created_at, analysis_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    .run(twinId, f.name, f.level, f.value, f.unit, f.sourceSeriesId, f.algorithm, f.algorithmVersion, JSON.stringify(f.parameters), now(), analysisId);
}

export function featuresWhere(store: TwinStore, where: string, arg: string): Feature[] {
  return (store.db.prepare(`SELECT * FROM features WHERE ${where} ORDER BY id`).all(arg) as Row[]).map((f): Feature => ({
    name: f['name'] as string,
    level: (f['level'] as string | null) ?? null,
    value: f['value'] as number,
    unit: f['unit'] as string,
    sourceSeriesId: f['source_series_id'] as string,
    algorithm: f['algorithm'] as string,
    algorithmVersion: f['algorithm_version'] as string,
    parameters: JSON.parse(f['parameters'] as string) as Record<string, unknown>,
    createdAt: f['created_at'] as string,
  }));
}

/** A twin not in the trash (nor its series, study or patient). @throws AppError NOT_FOUND (unknown, or in the trash: saying so) */
export function getTwin(store: TwinStore, id: string): Twin {
  const r = store.db.prepare('SELECT t.*, v.series_id FROM twins t JOIN volumes v ON v.id = t.volume_id WHERE t.id = ?').get(id) as Row | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no twin ${id}`);
  assertUsable(store, 'twin', id);
  const patientId = r['patient_id'] as string;
  const marked = markedTwinId(store, patientId);
  const artefacts = (store.db.prepare('SELECT * FROM artefacts WHERE twin_id = ? AND analysis_id IS NULL ORDER BY kind, format').all(id) as Row[]).map(
    (a): Artefact => ({
      id: a['id'] as string,
      twinId: id,
      kind: a['kind'] as Artefact['kind'],
      format: a['format'] as Artefact['format'],
      relPath: a['rel_path'] as string,
      bytes: a['bytes'] as number,
      sha256: a['sha256'] as string,
      count: a['count'] as number,
    }),
  );
  const features = featuresWhere(store, 'twin_id = ? AND analysis_id IS NULL', id);
  return {
    id,
    patientId: r['patient_id'] as string,
    volumeId: r['volume_id'] as string,
    seriesId: r['series_id'] as string,
    version: r['version'] as number,
    params: JSON.parse(r['params'] as string) as TwinParams,
    algorithmVersion: r['algorithm_version'] as string,
    createdAt: r['created_at'] as string,
    timingsMs: JSON.parse(r['timings_ms'] as string) as Record<string, number>,
    artefacts,
    features,
    label: (r['label'] as string | null) ?? '',
    isDefault: defaultTwinId(store, patientId) === id,
    markedDefault: marked === id,
  };
}

/** Twins in view: neither they nor their series, study or patient in the trash (migration 0010). */
const VISIBLE_TWINS = `FROM twins t JOIN volumes v ON v.id = t.volume_id JOIN series se ON se.id = v.series_id JOIN studies st ON st.id = se.study_id
  JOIN patients p ON p.id = t.patient_id
  WHERE t.patient_id = ? AND t.trashed_at IS NULL AND se.trashed_at IS NULL AND st.trashed_at IS NULL AND p.trashed_at IS NULL`;

/** The twin the user marked as the patient's default, if any (even one now in the trash or of a series now stated US). */
function markedTwinId(store: TwinStore, patientId: string): string | null {
  return (store.db.prepare('SELECT default_twin_id FROM patients WHERE id = ?').pluck().get(patientId) as string | null | undefined) ?? null;
}

/**
 * The patient's default twin: the one the user marked while it is in view and of a CT or MR series, else the newest
 * in view of a CT or MR series whose study's identity matched the patient's at import (one imported after an identity
 * override becomes the default only when marked); null when there is none (a twin of an US or unknown series is never
 * the default).
 */
export function defaultTwinId(store: TwinStore, patientId: string): string | null {
  const eligible = store.db
    .prepare(`SELECT t.id, se.identity_override AS o ${VISIBLE_TWINS} AND se.modality IN ('CT', 'MR') ORDER BY t.version DESC`)
    .all(patientId) as { id: string; o: string }[];
  const marked = markedTwinId(store, patientId);
  if (marked && eligible.some((e) => e.id === marked)) return marked;
  return eligible.find((e) => e.o === '')?.id ?? null;
}

/**
 * Marks a twin in view, of a CT or MR series, as its patient's default (audited `mark-default` with the default twin
 * before and after).
 * @throws AppError NOT_FOUND (unknown or in the trash), BAD_REQUEST (a twin of an US or unknown series)
 */
export function markDefaultTwin(store: TwinStore, id: string, actor: string): Twin {
  const twin = getTwin(store, id);
  const modality = store.db.prepare('SELECT se.modality FROM series se WHERE se.id = ?').pluck().get(twin.seriesId) as string;
  if (modality !== 'CT' && modality !== 'MR')
    throw new AppError(
      'BAD_REQUEST',
      `a twin of ${modality === 'OT' ? 'a series of unknown modality' : `an ${modality} series`} cannot be the default: only one of a CT or MR series`,
    );
  store.db.transaction(() => {
    const before = defaultTwinId(store, twin.patientId);
    store.db.prepare('UPDATE patients SET default_twin_id = ? WHERE id = ?').run(id, twin.patientId);
    store.audit(actor, 'mark-default', 'twin', id, { patient: twin.patientId, before, after: id });
  })();
  return getTwin(store, id);
}

/** The patient's twins in view (none in the trash, nor their series, study or patient), newest first. */
export function listTwins(store: TwinStore, patientId: string): Twin[] {
  return (store.db.prepare(`SELECT t.id ${VISIBLE_TWINS} ORDER BY t.version DESC`).pluck().all(patientId) as string[]).map((id) => getTwin(store, id));
}

export function getArtefactPath(store: TwinStore, id: string): { abs: string; format: string } {
  const r = store.db.prepare('SELECT rel_path, format FROM artefacts WHERE id = ?').get(id) as { rel_path: string; format: string } | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no artefact ${id}`);
  return { abs: path.join(store.dataDir, r.rel_path), format: r.format };
}
