/**
 * The planning capability (issue 24 §1): pedicle screw trajectories on a CT
 * twin's spine analysis (electron/engine/planning/pedicleScrews.ts), plans
 * versioned per analysis (repo.ts, migration 0017), and `twin screws`.
 *
 * `proposeScrews` runs in-process, not as a job: on the example CT (3 mm,
 * 122 × 101 × 112 voxels) the proposal of L1–L5 both sides takes about
 * 1–2 s on a 2-core machine, the label map's decoding included.
 */
import { AppError } from '../../electron/contract/errors.js';
import type { SpineReport } from '../../electron/contract/spine.js';
import { readStoreFileSync } from '../../electron/db/sealed.js';
import type { TwinStore } from '../../electron/db/store.js';
import { gradeTrajectory, proposeScrews, SCREW_ALGORITHM_VERSION, type LabelGrid } from '../../electron/engine/planning/pedicleScrews.js';
import { decodeNrrd } from '../../electron/io/nrrd.js';
import { defineCapability } from '../../electron/platform/capability.js';
import { spineAnalysisRecord } from '../spine/repo.js';
import { getArtefactPath } from '../twins/repo.js';
import { DEFAULT_SCREW_CATALOGUE, PlanningService, type ScrewTrajectory, type TrajectoryEdit } from './contract.js';
import * as m0017 from './migrations/0017-screw-plans.js';
import { getPlan, insertPlan, listPlans } from './repo.js';

/** The analysis's vertebra label map and report (the last two analyses' label maps are kept decoded). */
const cache = new Map<string, LabelGrid>();
export function analysisInputs(store: TwinStore, analysisId: string): { twinId: string; labels: LabelGrid; report: SpineReport } {
  const a = spineAnalysisRecord(store, analysisId);
  let labels = cache.get(analysisId);
  if (!labels) {
    const art = a.artefacts.find((x) => x.kind === 'vertebra-labels' && x.format === 'nrrd');
    if (!art) throw new AppError('NOT_FOUND', `spine analysis ${analysisId} has no vertebra label map`);
    const file = getArtefactPath(store, art.id).abs;
    labels = decodeNrrd(readStoreFileSync(file, store.fileKey ?? null), 'vertebra-labels.nrrd');
    cache.set(analysisId, labels);
    while (cache.size > 2) cache.delete(cache.keys().next().value!);
  }
  return { twinId: a.twinId, labels, report: a.report };
}

/** Proposes the automatic plan of a spine analysis and stores it as the analysis's next plan version. */
export function proposePlan(store: TwinStore, actor: string, analysisId: string): string {
  const { twinId, labels, report } = analysisInputs(store, analysisId);
  const p = proposeScrews(labels, null, report, DEFAULT_SCREW_CATALOGUE);
  return insertPlan(
    store,
    {
      twinId,
      analysisId,
      algorithmVersion: SCREW_ALGORITHM_VERSION,
      note: 'automatic proposal',
      catalogue: DEFAULT_SCREW_CATALOGUE,
      screws: p.screws,
      skipped: p.skipped,
      resolution: p.resolution,
    },
    actor,
  ).id;
}

/** Saves the surgeon's trajectories over a plan (re-graded; other screws kept) as the analysis's next plan version. */
export function savePlan(store: TwinStore, actor: string, planId: string, edits: TrajectoryEdit[], note: string) {
  const base = getPlan(store, planId);
  const { labels, report } = analysisInputs(store, base.analysisId);
  const screws: ScrewTrajectory[] = base.screws.map((s) => ({ ...s }));
  for (const e of edits) {
    const g = gradeTrajectory(labels, report, e);
    const i = screws.findIndex((s) => s.level === e.level && s.side === e.side);
    const prev = i >= 0 ? screws[i]! : null;
    const s: ScrewTrajectory = { ...g, isthmus: prev?.isthmus ?? null, bodyDepthAlongAxisMm: prev?.bodyDepthAlongAxisMm ?? null, edited: true };
    if (i >= 0) screws[i] = s;
    else screws.push(s);
  }
  return insertPlan(
    store,
    {
      twinId: base.twinId,
      analysisId: base.analysisId,
      algorithmVersion: base.algorithmVersion,
      note,
      catalogue: base.catalogue,
      screws,
      skipped: base.skipped.filter((k) => !edits.some((e) => e.level === k.level && (k.side === null || k.side === e.side))),
      resolution: base.resolution,
    },
    actor,
  );
}

export default defineCapability(
  {
    name: 'planning',
    title: 'Surgical planning: pedicle screws',
    version: '0.1.0',
    services: [PlanningService],
    migrations: [{ version: 17, name: m0017.name, sql: m0017.sql }],
    cli: [
      {
        name: 'screws',
        usage: 'twin screws <study path> [--data-dir D] [--store-key-file K] [--json]',
        run: async (argv) => (await import('./cliScrews.js')).runScrews(argv),
      },
    ],
  },
  ({ store, actor }) => ({
    planning: {
      proposeScrews: (analysisId) => proposePlan(store, actor(), analysisId),
      plans: (twinId) => listPlans(store, twinId),
      plan: (id) => getPlan(store, id),
      savePlan: (planId, edits, opts) => savePlan(store, actor(), planId, edits, opts.note),
      gradeTrajectory: (analysisId, edit) => {
        const { labels, report } = analysisInputs(store, analysisId);
        return gradeTrajectory(labels, report, edit);
      },
    },
  }),
);
