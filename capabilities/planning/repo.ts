/**
 * Screw plans (migration 0017), versioned per spine analysis: 1 = automatic,
 * each saved edit the next version.
 */
import { AppError } from '../../electron/contract/errors.js';
import { newId, nowIso, type Row } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import type { ScrewPlan } from './contract.js';

type PlanBody = Pick<ScrewPlan, 'catalogue' | 'screws' | 'skipped' | 'resolution'>;

/** Adds a plan of a spine analysis as its next version; returns it. */
export function insertPlan(
  store: TwinStore,
  p: { twinId: string; analysisId: string; algorithmVersion: string; note: string } & PlanBody,
  actor: string,
): ScrewPlan {
  const id = newId();
  const createdAt = nowIso();
  const body: PlanBody = { catalogue: p.catalogue, screws: p.screws, skipped: p.skipped, resolution: p.resolution };
  const version = store.db.transaction(() => {
    const v = ((store.db.prepare('SELECT MAX(version) AS v FROM screw_plans WHERE analysis_id = ?').get(p.analysisId) as { v: number | null }).v ?? 0) + 1;
    store.db
      .prepare(
        'INSERT INTO screw_plans (id, analysis_id, twin_id, version, plan, algorithm_version, note, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, p.analysisId, p.twinId, v, JSON.stringify(body), p.algorithmVersion, p.note, createdAt, actor);
    return v;
  })();
  return { id, twinId: p.twinId, analysisId: p.analysisId, version, ...body, algorithmVersion: p.algorithmVersion, createdAt, note: p.note };
}

function fromRow(r: Row): ScrewPlan {
  const body = JSON.parse(r['plan'] as string) as PlanBody;
  return {
    id: r['id'] as string,
    twinId: r['twin_id'] as string,
    analysisId: r['analysis_id'] as string,
    version: r['version'] as number,
    ...body,
    algorithmVersion: r['algorithm_version'] as string,
    createdAt: r['created_at'] as string,
    note: r['note'] as string,
  };
}

/** @throws AppError NOT_FOUND for an unknown plan */
export function getPlan(store: TwinStore, id: string): ScrewPlan {
  const r = store.db.prepare('SELECT * FROM screw_plans WHERE id = ?').get(id) as Row | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no screw plan ${id}`);
  return fromRow(r);
}

/** Every plan of a twin, newest first (by analysis, then version). */
export function listPlans(store: TwinStore, twinId: string): ScrewPlan[] {
  return (
    store.db
      .prepare(`SELECT p.* FROM screw_plans p JOIN spine_analyses a ON a.id = p.analysis_id WHERE p.twin_id = ? ORDER BY a.version DESC, p.version DESC`)
      .all(twinId) as Row[]
  ).map(fromRow);
}
