/**
 * The inference capability (issue 23): visits and forms, the patient's feature
 * graph (graph.ts, versioned in migration 0016), risk models as data
 * (models.ts, models/risk/*.json) evaluated with their contributions and
 * intervals (electron/engine/inference/riskModel.ts), the site's refits
 * (siteLearning.ts; used only once approved), trends against published change
 * thresholds, advice, the visit report (report.ts) and `twin risk`.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../../electron/contract/errors.js';
import { sha256 } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import { ruleAdvice } from '../../electron/engine/inference/advice.js';
import { PROM_DEFINITIONS, scoreProm } from '../../electron/engine/inference/proms.js';
import { evaluateRisk, nextExamination } from '../../electron/engine/inference/riskModel.js';
import { fitSiteModel } from '../../electron/engine/inference/siteLearning.js';
import { buildTrends } from '../../electron/engine/inference/trends.js';
import { appPackage } from '../../electron/platform/appInfo.js';
import { defineCapability } from '../../electron/platform/capability.js';
import { getPatient } from '../patients/repo.js';
import { assertUsable } from '../records/repo.js';
import { InferenceService } from './contract.js';
import type {
  Advice,
  CohortSummary,
  FeatureGraph,
  FeatureNode,
  Overview,
  RiskModelEntry,
  RiskModelFile,
  RiskResult,
  SiteFitReport,
  Trend,
} from './contract.js';
import { associations, buildPatientGraph, featureLabel, filterGraph, GRAPH_ALGORITHM_VERSION, trendLevel, type GraphInputs } from './graph.js';
import * as m0016 from './migrations/0016-inference.js';
import { eligibilityOf, inputsFromNodes, modelEntries } from './models.js';
import {
  approveSiteModel,
  cohortGraphs,
  insertGraph,
  insertProm,
  insertSiteModel,
  latestGraph,
  listClinical,
  listEnteredVisits,
  listOutcomes,
  listProms,
  listSiteModels,
  motionSources,
  patientBirthDate,
  spineSources,
  twinSources,
  upsertClinical,
  upsertOutcome,
  upsertVisit,
} from './repo.js';
import { visitReportPdf } from './report.js';

/** The sentence every shipped model's result carries besides its own validation line. */
export const NOT_VALIDATED_HERE = "Not validated on this site's population: no outcomes of this site were used.";

/** Refuses a day before the patient's birth (a typing error that would flow into trends and risks). */
function assertAfterBirth(store: TwinStore, patientId: string, day: string | null, what: string): void {
  const birth = patientBirthDate(store, patientId);
  if (day !== null && birth !== null && day < birth) throw new AppError('BAD_REQUEST', `the ${what} ${day} is before the patient's birth date ${birth}`);
}

function gatherInputs(store: TwinStore, patientId: string): GraphInputs {
  return {
    patientId,
    birthDate: patientBirthDate(store, patientId),
    entered: listEnteredVisits(store, patientId),
    twins: twinSources(store, patientId),
    spine: spineSources(store, patientId),
    motion: motionSources(store, patientId).sessions,
    proms: listProms(store, patientId),
    clinical: listClinical(store, patientId),
  };
}

/**
 * The patient's current feature graph: the stored latest version when the patient's records (and the cohort's size
 * for associations) are unchanged, else a new version.
 */
export function currentGraph(store: TwinStore, patientId: string): FeatureGraph {
  assertUsable(store, 'patient', patientId);
  const inputs = gatherInputs(store, patientId);
  const built = buildPatientGraph(inputs);
  const cohort = cohortGraphs(store)
    .filter((g) => g.patientId !== patientId)
    .map((g) => g.nodes);
  const assoc = associations(built.nodes, cohort);
  const graph = {
    patientId,
    algorithmVersion: GRAPH_ALGORITHM_VERSION,
    visits: built.visits,
    nodes: built.nodes,
    edges: [...built.edges, ...assoc.edges],
    associationNote: assoc.note,
  };
  const hash = createHash('sha256').update(JSON.stringify(graph)).digest('hex');
  const last = latestGraph(store, patientId);
  if (last && last.inputsSha256 === hash) {
    const { inputsSha256: _, ...g } = last;
    return g;
  }
  return insertGraph(store, graph, hash);
}

/** The models a patient's risk is computed with: every shipped model, and the approved site fit of each (beside its base). */
function modelsInUse(store: TwinStore): RiskModelEntry[] {
  return modelEntries(store).filter((e) => e.origin === 'shipped' || e.state === 'approved');
}

function statementOf(e: RiskModelEntry): string {
  return e.origin === 'site-fit'
    ? `Refitted on this site's cohort and approved by ${e.approvedBy ?? '?'} on ${(e.approvedAt ?? '').slice(0, 10)}; internal validation only (bootstrap). ${e.model.validation}`
    : `${e.model.validation} ${NOT_VALIDATED_HERE}`;
}

/** A model's risk from graph nodes at a day, withheld (with the reason) for a patient outside the model's population. */
export function riskAt(e: RiskModelEntry, nodes: FeatureNode[], day: string | null): RiskResult {
  const r = evaluateRisk(e.model, inputsFromNodes(e.model, nodes, day), { key: e.key, approved: e.state === 'approved', statement: statementOf(e) });
  const elig = eligibilityOf(e.model, nodes, day);
  return {
    ...r,
    withheld: elig.outside ?? r.withheld,
    statement: elig.unchecked.length ? `${r.statement} Not checked: ${elig.unchecked.join('; ')}.` : r.statement,
  };
}

export function risksOf(store: TwinStore, nodes: FeatureNode[], day: string | null): RiskResult[] {
  return modelsInUse(store).map((e) => riskAt(e, nodes, day));
}

/** The model the overview follows over time and asks the next examination for: an approved site fit, else the first expert prior, else the first. */
function primaryModel(store: TwinStore): RiskModelEntry | null {
  const inUse = modelsInUse(store);
  return inUse.find((e) => e.state === 'approved') ?? inUse.find((e) => e.model.status === 'expert-prior') ?? inUse[0] ?? null;
}

function trendsOf(nodes: FeatureNode[]): Trend[] {
  return buildTrends(
    nodes
      .filter((n) => n.value !== null && Number.isFinite(n.value))
      .map((n) => ({
        feature: n.name,
        // one trend per channel site: sEMG of the left and right erector spinae at L4 are two trends
        level:
          n.modality === 'sEMG' || n.modality === 'IMU' || n.modality === 'depth' ? [trendLevel(n), n.site, n.side].filter(Boolean).join(' ') : trendLevel(n),
        label: trendLevel(n) === n.level ? n.label : featureLabel(n.name),
        unit: n.unit,
        modality: n.modality,
        visitId: n.visitId,
        visitDate: n.visitDate,
        value: n.value!,
      })),
  );
}

function nextExam(e: RiskModelEntry, nodes: FeatureNode[]): Advice[] {
  const ranked = nextExamination(e.model, inputsFromNodes(e.model, nodes, null));
  const best = ranked[0];
  if (!best || best.expectedReduction <= 0) return [];
  return [
    {
      id: `next-exam:${e.key}:${best.input}`,
      kind: 'next-exam',
      severity: 'info',
      text: `${best.exam} (${best.label})`,
      rationale: `Of the inputs missing for ${e.model.title}${e.model.status === 'expert-prior' ? ' (an expert prior: its interval reflects judgement, not data)' : ''}, measuring ${best.label} would narrow that model's interval the most: by ${(100 * best.expectedReduction).toFixed(1)} percentage points on average over its plausible values.${
        ranked.length > 1
          ? ` Next: ${ranked
              .slice(1, 3)
              .map((r) => `${r.label} (${(100 * r.expectedReduction).toFixed(1)} points)`)
              .join(', ')}.`
          : ''
      }`,
      citation: `expected reduction of the interval width over the plausible range of each missing input (${e.key})`,
      nodes: [],
      expectedReduction: best.expectedReduction,
    },
  ];
}

export function overviewOf(store: TwinStore, patientId: string): Overview {
  const graph = currentGraph(store, patientId);
  const risks = risksOf(store, graph.nodes, null);
  const primary = primaryModel(store);
  // the primary model's risk at each visit where it may be shown
  const riskOverTime = primary
    ? graph.visits.flatMap((v) => {
        const r = riskAt(primary, graph.nodes, v.visitDate);
        return r.withheld ? [] : [{ visitDate: v.visitDate, probability: r.probability, interval: r.interval }];
      })
    : [];
  const trends = trendsOf(graph.nodes);
  const advice = [...ruleAdvice(graph.nodes, trends), ...(primary ? nextExam(primary, graph.nodes) : [])];
  return { patientId, graph, risks, riskOverTime, trends, advice, proms: listProms(store, patientId) };
}

/** The day `months` calendar months after an ISO day. */
function addMonths(day: string, months: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
}

/**
 * The site's cohort rows for a model, at a landmark: each patient with an outcome, at the first visit where every
 * input of the model is known (the baseline), the inputs as of that day; the outcome is surgery within the model's
 * horizon after the baseline (no horizon: any surgery after it). Left out, counted with the reason: no feature graph,
 * inputs never all known, surgery before the baseline, and (with a horizon) follow-up — up to the day the outcome was
 * recorded — shorter than the horizon without surgery.
 */
function cohortRows(store: TwinStore, model: RiskModelFile): { rows: { inputs: Record<string, number>; surgery: boolean }[]; excluded: Map<string, number> } {
  const outcomes = listOutcomes(store);
  const rows: { inputs: Record<string, number>; surgery: boolean }[] = [];
  const excluded = new Map<string, number>();
  const leaveOut = (why: string): void => void excluded.set(why, (excluded.get(why) ?? 0) + 1);
  const graphs = new Map(cohortGraphs(store).map((g) => [g.patientId, g]));
  const H = model.horizonMonths;
  for (const o of outcomes) {
    const g = graphs.get(o.patientId);
    if (!g) {
      leaveOut('no feature graph');
      continue;
    }
    let baseline: string | null = null;
    let found: ReturnType<typeof inputsFromNodes> = {};
    for (const v of g.visits) {
      found = inputsFromNodes(model, g.nodes, v.visitDate);
      if (model.inputs.every((i) => found[i.name] !== undefined)) {
        baseline = v.visitDate;
        break;
      }
    }
    if (baseline === null) {
      const missing = model.inputs.filter((i) => found[i.name] === undefined).map((i) => i.name);
      leaveOut(`never all inputs at one visit (missing at the last: ${missing.join(', ')})`);
      continue;
    }
    if (o.surgery && o.surgeryDate !== null && o.surgeryDate < baseline) {
      leaveOut('surgery before the baseline visit');
      continue;
    }
    let event = o.surgery;
    if (H !== null) {
      const end = addMonths(baseline, H);
      if (o.surgery && o.surgeryDate !== null && o.surgeryDate > end) event = false;
      if (!event && o.recordedAt.slice(0, 10) < end) {
        leaveOut(`followed up less than ${H} months after the baseline without surgery`);
        continue;
      }
    }
    rows.push({ inputs: Object.fromEntries(model.inputs.map((i) => [i.name, found[i.name]!.value])), surgery: event });
  }
  return { rows, excluded };
}

export default defineCapability(
  {
    name: 'inference',
    title: 'Inference engine',
    version: '0.1.0',
    services: [InferenceService],
    migrations: [{ version: 16, name: m0016.name, sql: m0016.sql }],
    cli: [
      {
        name: 'risk',
        usage: 'twin risk --data-dir D --patient ID [--json]',
        run: async (argv) => (await import('./cliRisk.js')).runRisk(argv),
      },
    ],
  },
  ({ store, actor }) => ({
    inference: {
      visits: (patientId) => currentGraph(store, patientId).visits,
      addVisit: ({ patientId, visitDate, label }) => {
        assertUsable(store, 'patient', patientId);
        assertAfterBirth(store, patientId, visitDate, 'visit day');
        upsertVisit(store, patientId, visitDate, label, actor());
        return currentGraph(store, patientId).visits.find((v) => v.visitDate === visitDate)!;
      },
      promDefinitions: () => PROM_DEFINITIONS,
      submitProm: (req) => {
        assertUsable(store, 'patient', req.patientId);
        assertAfterBirth(store, req.patientId, req.visitDate, 'visit day');
        let score;
        try {
          score = scoreProm(req.instrument, req.answers);
        } catch (e) {
          throw new AppError('BAD_REQUEST', (e as Error).message);
        }
        const r = store.db.transaction(() => {
          upsertVisit(store, req.patientId, req.visitDate, req.visitLabel, actor());
          return insertProm(store, { patientId: req.patientId, visitDate: req.visitDate, instrument: req.instrument, answers: req.answers, score }, actor());
        })();
        return r;
      },
      proms: (patientId) => {
        assertUsable(store, 'patient', patientId);
        return listProms(store, patientId);
      },
      submitClinical: (req) => {
        assertUsable(store, 'patient', req.patientId);
        assertAfterBirth(store, req.patientId, req.visitDate, 'visit day');
        if (req.name === 'risser' && (!Number.isInteger(req.value) || req.value < 0 || req.value > 5))
          throw new AppError('BAD_REQUEST', `Risser grade ${req.value}: the grade is a whole number from 0 to 5`);
        if (req.name === 'age_years' && (req.value < 0 || req.value > 130)) throw new AppError('BAD_REQUEST', `age ${req.value} years is not a plausible age`);
        if (req.name === 'cobb_manual' && (req.value < 0 || req.value > 180))
          throw new AppError('BAD_REQUEST', `Cobb angle ${req.value}°: an angle from 0 to 180°`);
        store.db.transaction(() => {
          upsertVisit(store, req.patientId, req.visitDate, '', actor());
          upsertClinical(store, req.patientId, req.visitDate, req.name, req.value, actor());
        })();
        return { patientId: req.patientId, visitDate: req.visitDate, name: req.name, value: req.value };
      },
      graph: (patientId, filter) => {
        const g = filter.version !== undefined ? latestGraph(store, patientId, filter.version)! : currentGraph(store, patientId);
        return filterGraph(g, filter);
      },
      models: () => modelEntries(store),
      risk: (patientId) => risksOf(store, currentGraph(store, patientId).nodes, null),
      overview: (patientId) => overviewOf(store, patientId),
      recordOutcome: ({ patientId, surgery, surgeryDate }) => {
        assertUsable(store, 'patient', patientId);
        if (surgery && !surgeryDate) throw new AppError('BAD_REQUEST', 'a surgery outcome needs the day of the surgery');
        if (!surgery && surgeryDate) throw new AppError('BAD_REQUEST', 'an outcome without surgery has no surgery day');
        assertAfterBirth(store, patientId, surgeryDate, 'surgery day');
        return upsertOutcome(store, patientId, surgery, surgeryDate, actor());
      },
      fitSiteModel: (baseKey) => {
        const base = modelEntries(store).find((e) => e.key === baseKey && e.origin === 'shipped');
        if (!base) throw new AppError('NOT_FOUND', `no shipped risk model ${baseKey}`);
        if (base.model.outcomeKind !== 'surgery')
          throw new AppError(
            'BAD_REQUEST',
            `${base.model.title} predicts ${base.model.outcome}; the site records surgeries: a refit on them would change what the model predicts, so it is not refitted`,
          );
        const { rows, excluded } = cohortRows(store, base.model);
        const key = `${base.model.id}-site-${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
        let fit: { report: SiteFitReport; model: RiskModelFile };
        try {
          fit = fitSiteModel(base.model, rows, { seed: 20231, key, baseKey, createdBy: actor(), createdAt: new Date().toISOString() });
        } catch (e) {
          const why = [...excluded].map(([r, n]) => `${n} left out (${r})`).join('; ');
          throw new AppError('BAD_REQUEST', `${(e as Error).message}${why ? ` [${why}]` : ''}`);
        }
        const report: SiteFitReport = { ...fit.report, excluded: [...excluded].map(([reason, count]) => ({ reason, count })) };
        // what the site records is surgery (yes/no, and its day), whatever the base model predicted
        fit.model = {
          ...fit.model,
          outcome: `surgery, as recorded in this site's outcomes (refit of ${base.model.title})`,
          horizonMonths: base.model.horizonMonths,
          horizonNote:
            base.model.horizonMonths !== null
              ? `surgery within ${base.model.horizonMonths} months of the first visit with every input (the landmark)`
              : 'any surgery after the first visit with every input (the landmark)',
          population: `this site's patients with a recorded outcome (${report.n}, ${report.events} with surgery)`,
        };
        const json = JSON.stringify(fit.model);
        insertSiteModel(store, { key, baseKey, model: fit.model, report, sha256: sha256(Buffer.from(json)) }, actor());
        return report;
      },
      approveModel: (key) => {
        const m = approveSiteModel(store, key, actor());
        return modelEntries(store).find((e) => e.key === m.key)!;
      },
      cohort: (): CohortSummary => {
        const outcomes = listOutcomes(store);
        return {
          patients: cohortGraphs(store).length,
          withOutcome: outcomes.length,
          events: outcomes.filter((o) => o.surgery).length,
          minimumForFit: 'at least 10 events per estimated coefficient (Peduzzi et al. 1996) and at least 100 patients',
          fits: listSiteModels(store).map((m) => m.report),
        };
      },
      reportPdf: async (patientId) => {
        const o = overviewOf(store, patientId);
        const p = getPatient(store, patientId);
        const pkg = appPackage();
        const { pdf, pages } = await visitReportPdf(o, {
          name: p.displayName,
          mrn: p.mrn,
          birthDate: p.birthDate,
          author: actor(),
          software: `OrthoTwin ${pkg.version}`,
          generatedAt: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
        });
        const day = o.graph.visits.at(-1)?.visitDate ?? new Date().toISOString().slice(0, 10);
        return { fileName: `orthotwin-visit-report-${day}.pdf`, mime: 'application/pdf' as const, base64: pdf.toString('base64'), pages };
      },
    },
  }),
);
