/**
 * Spine analyses, versioned per twin (migration 0002), with their features
 * (twins' feature table, `analysis_id` set).
 */
import { AppError } from '../../electron/contract/errors.js';
import { nowIso as now, type Row } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import type { SpineAnalysis, SpineCorrections, SpineReport } from '../../electron/contract/spine.js';
import type { Feature } from '../twins/contract.js';
import { featuresWhere } from '../twins/repo.js';

/** Adds a spine analysis of a twin as its next version; returns the version. */
export function insertSpineAnalysis(
  store: TwinStore,
  a: { id: string; twinId: string; corrections: SpineCorrections; report: SpineReport; algorithmVersion: string },
): number {
  const version = ((store.db.prepare('SELECT MAX(version) AS v FROM spine_analyses WHERE twin_id = ?').get(a.twinId) as { v: number | null }).v ?? 0) + 1;
  store.db
    .prepare('INSERT INTO spine_analyses (id, twin_id, version, corrections, report, algorithm_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(a.id, a.twinId, version, JSON.stringify(a.corrections), JSON.stringify(a.report), a.algorithmVersion, now());
  return version;
}

/** An analysis with its per-level features. @throws AppError NOT_FOUND for an unknown analysis */
export function getSpineAnalysis(store: TwinStore, id: string): SpineAnalysis & { features: Feature[] } {
  return { ...spineAnalysisRecord(store, id), features: featuresWhere(store, 'analysis_id = ?', id) };
}

/** @throws AppError NOT_FOUND for an unknown analysis */
export function spineAnalysisRecord(store: TwinStore, id: string): SpineAnalysis {
  const r = store.db
    .prepare('SELECT a.*, v.series_id FROM spine_analyses a JOIN twins t ON t.id = a.twin_id JOIN volumes v ON v.id = t.volume_id WHERE a.id = ?')
    .get(id) as Row | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no spine analysis ${id}`);
  const artefacts = (store.db.prepare('SELECT id, kind, format, count FROM artefacts WHERE analysis_id = ? ORDER BY kind').all(id) as Row[]).map((a) => ({
    id: a['id'] as string,
    kind: a['kind'] as string,
    format: a['format'] as string,
    count: a['count'] as number,
  }));
  return {
    id,
    twinId: r['twin_id'] as string,
    version: r['version'] as number,
    corrections: JSON.parse(r['corrections'] as string) as SpineCorrections,
    report: JSON.parse(r['report'] as string) as SpineReport,
    sourceSeriesId: r['series_id'] as string,
    createdAt: r['created_at'] as string,
    artefacts,
  };
}

export function listSpineAnalyses(store: TwinStore, twinId: string): SpineAnalysis[] {
  return (store.db.prepare('SELECT id FROM spine_analyses WHERE twin_id = ? ORDER BY version DESC').all(twinId) as { id: string }[]).map((r) =>
    spineAnalysisRecord(store, r.id),
  );
}

/** The newest spine analysis of every twin of a patient, with its per-level features (oldest twin first). */
export function spineHistory(
  store: TwinStore,
  patientId: string,
): { twinId: string; twinVersion: number; analysisId: string; analysisVersion: number; features: Feature[] }[] {
  const rows = store.db
    .prepare(
      `SELECT t.id AS twin_id, t.version AS twin_version, a.id AS analysis_id, a.version AS analysis_version
       FROM twins t JOIN spine_analyses a ON a.twin_id = t.id
       WHERE t.patient_id = ? AND a.version = (SELECT MAX(version) FROM spine_analyses WHERE twin_id = t.id)
       ORDER BY t.version`,
    )
    .all(patientId) as Row[];
  return rows.map((r) => ({
    twinId: r['twin_id'] as string,
    twinVersion: r['twin_version'] as number,
    analysisId: r['analysis_id'] as string,
    analysisVersion: r['analysis_version'] as number,
    features: featuresWhere(store, 'analysis_id = ?', r['analysis_id'] as string),
  }));
}
