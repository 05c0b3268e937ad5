/**
 * Advice from the patient's features (issue 23): rules with their published
 * sources, and the next examination that would narrow a risk's interval most.
 * Advice is for the clinician to weigh; every item carries its rationale and
 * citation. Pure: no I/O.
 */
import type { Advice, FeatureNode, RiskModelFile, Trend } from '../../../capabilities/inference/contract.js';
import { nextExamination, type RiskInputs } from './riskModel.js';

export const PICKHARDT =
  'Pickhardt PJ, Pooler BD, Lauder T, del Rio AM, Bruce RJ, Binkley N. Opportunistic screening for osteoporosis using abdominal computed tomography scans obtained for other indications. Ann Intern Med 2013;158(8):588–595.';
export const FAIRBANK = 'Fairbank JCT, Pynsent PB. The Oswestry Disability Index. Spine 2000;25(22):2940–2953.';
export const FARAJ =
  'Faraj SSA et al. De novo degenerative lumbar scoliosis: a systematic review of prognostic factors for curve progression. Eur Spine J 2016;25(8):2347–2358.';

/** L1 trabecular attenuation thresholds (HU) of Pickhardt et al. 2013. */
export const L1_HU_SPECIFIC = 110;
export const L1_HU_SENSITIVE = 160;

/** The latest node (by visit day) of each name + level with a value. */
function latest(nodes: readonly FeatureNode[], name: string, level?: string): FeatureNode | null {
  let best: FeatureNode | null = null;
  for (const n of nodes)
    if (n.name === name && (level === undefined || n.level === level) && n.value !== null && Number.isFinite(n.value))
      if (!best || n.visitDate > best.visitDate) best = n;
  return best;
}

const fmt = (v: number, d = 1): string => (Math.round(v * 10 ** d) / 10 ** d).toString();

/**
 * Rule-based advice from the latest values and the trends:
 * - L1 trabecular attenuation (feature 'spine.trabecular_hu_mean', level 'L1') ≤ 110 HU → recommend DXA (specificity
 *   above 90 % for osteoporosis); ≤ 160 HU → consider DXA (sensitivity 90 %) — Pickhardt et al. 2013;
 * - a Cobb angle (cobb_coronal, cobb_sagittal, cobb_max_plane) whose magnitude increased between two successive
 *   visits by at least the trend's threshold (5°, Morrissy et al. 1990) → recommend follow-up imaging;
 * - ODI above 40 % (Fairbank & Pynsent 2000: 41–60 % severe disability and worse) → consider review for a surgical
 *   consultation;
 * - coronal Cobb angle above 30° in an adult (latest 'age_years' ≥ 18; no advice when the age is not entered) →
 *   consider follow-up of the degenerative curve (a curve over 30° as a progression factor, after the review of
 *   Faraj et al. 2016; the threshold is not confirmed here from a primary source).
 * @param nodes the patient's feature nodes (all visits); trends from buildTrends
 * @returns Advice items (kind 'rule'), each with the node ids that triggered it
 */
export function ruleAdvice(nodes: readonly FeatureNode[], trends: readonly Trend[]): Advice[] {
  const out: Advice[] = [];
  const hu = latest(nodes, 'spine.trabecular_hu_mean', 'L1');
  if (hu && hu.value! <= L1_HU_SENSITIVE) {
    const specific = hu.value! <= L1_HU_SPECIFIC;
    out.push({
      id: `dxa:${hu.id}`,
      kind: 'rule',
      severity: specific ? 'recommend' : 'consider',
      text: `L1 trabecular attenuation ${fmt(hu.value!)} HU (≤ ${specific ? L1_HU_SPECIFIC : L1_HU_SENSITIVE} HU): ${specific ? 'recommend' : 'consider'} DXA to assess for osteoporosis.`,
      rationale: specific
        ? `At L1, ${L1_HU_SPECIFIC} HU or less was over 90 % specific for osteoporosis (DXA T-score ≤ −2.5) in Pickhardt et al. 2013.`
        : `At L1, ${L1_HU_SENSITIVE} HU or less was 90 % sensitive for osteoporosis in Pickhardt et al. 2013 (less specific than ${L1_HU_SPECIFIC} HU).`,
      citation: PICKHARDT,
      nodes: [hu.id],
      expectedReduction: null,
    });
  }

  for (const t of trends) {
    if (!t.feature.startsWith('spine.cobb_') || !t.threshold) continue;
    let best: { from: (typeof t.points)[number]; to: (typeof t.points)[number]; inc: number } | null = null;
    for (let i = 1; i < t.points.length; i++) {
      const a = t.points[i - 1]!,
        b = t.points[i]!;
      const inc = Math.abs(b.value) - Math.abs(a.value);
      if (inc >= t.threshold.value - 1e-9 && (!best || inc > best.inc)) best = { from: a, to: b, inc };
    }
    if (!best) continue;
    const ids = nodes
      .filter((n) => n.name === t.feature && n.level === t.level && (n.visitId === best.from.visitId || n.visitId === best.to.visitId))
      .map((n) => n.id);
    out.push({
      id: `cobb-progression:${t.feature}:${t.level}`,
      kind: 'rule',
      severity: 'recommend',
      text: `${t.label} increased by ${fmt(best.inc)}° between ${best.from.visitDate} and ${best.to.visitDate}: recommend follow-up imaging.`,
      rationale: `An increase of ${t.threshold.value}° or more exceeds the measurement variability of the Cobb angle (${t.threshold.kind}).`,
      citation: t.threshold.source,
      nodes: ids,
      expectedReduction: null,
    });
  }

  const odi = latest(nodes, 'odi');
  if (odi && odi.value! > 40)
    out.push({
      id: `odi-severe:${odi.id}`,
      kind: 'rule',
      severity: 'consider',
      text: `ODI ${fmt(odi.value!)} %: severe disability or worse; consider a detailed investigation of the disability.`,
      rationale:
        'Fairbank & Pynsent 2000 bands: 41–60 % severe disability (the authors advise detailed investigation), 61–80 % crippled, 81–100 % bed-bound or exaggerating. A band is not an indication for surgery.',
      citation: FAIRBANK,
      nodes: [odi.id],
      expectedReduction: null,
    });

  const cobb = latest(nodes, 'spine.cobb_coronal');
  const age = latest(nodes, 'age_years');
  if (cobb && age && age.value! >= 18 && Math.abs(cobb.value!) > 30)
    out.push({
      id: `adult-curve:${cobb.id}`,
      kind: 'rule',
      severity: 'consider',
      text: `Coronal Cobb angle ${fmt(Math.abs(cobb.value!))}° in an adult: consider follow-up of the degenerative curve.`,
      rationale:
        'A coronal curve over 30° is reported among the factors of progression of adult degenerative scoliosis (systematic review of Faraj et al. 2016); the 30° threshold is not confirmed from a primary source here.',
      citation: FARAJ,
      nodes: [cobb.id, age.id],
      expectedReduction: null,
    });
  return out;
}

/**
 * The examinations that would narrow a risk's 95 % interval, as advice (kind 'next-exam', severity 'info'): one per
 * missing input whose expected narrowing (nextExamination: interval width now − mean width with the input fixed at
 * 9 values over its plausible range) exceeds 1e-6, largest first.
 * @param model the risk model; inputs as for evaluateRisk
 * @returns Advice with expectedReduction in probability units (0–1)
 * @throws Error as evaluateRisk
 */
export function nextExamAdvice(model: RiskModelFile, inputs: RiskInputs): Advice[] {
  return nextExamination(model, inputs)
    .filter((e) => e.expectedReduction > 1e-6)
    .map((e) => ({
      id: `next-exam:${model.id}:${e.input}`,
      kind: 'next-exam' as const,
      severity: 'info' as const,
      text: `${e.exam}: measuring ${e.label} would narrow the interval of “${model.title}” by about ${fmt(e.expectedReduction * 100)} percentage points on average.`,
      rationale:
        'The risk interval now, minus its mean width with this input fixed at 9 values evenly over its plausible range (the other missing inputs still varied): a uniform prior over the plausible range.',
      citation: model.citation,
      nodes: [],
      expectedReduction: e.expectedReduction,
    }));
}
