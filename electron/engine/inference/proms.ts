/**
 * Patient-reported outcome measures (issue 23): the forms' items as the UI
 * shows them and their scores by the published rules.
 *
 * - Oswestry Disability Index v2.1a (Fairbank & Pynsent, Spine 2000;25:2940–2953)
 * - Roland–Morris Disability Questionnaire (Roland & Morris, Spine 1983;8:141–144)
 * - Numeric rating scales of back and leg pain, 0–10
 * - SRS-22r (Asher et al., Spine 2003;28:63–69 and Spine 2006;31:593–597)
 *
 * The item labels and anchors below are the product's own short wording of
 * each item's topic (section names are the published ones): the licensed
 * questionnaire text is not reproduced. Pure: no I/O.
 */
import type { PromDefinition, PromInstrument, PromScore } from '../../../capabilities/inference/contract.js';

export const PROM_ALGORITHM_VERSION = '1.0.0';

const ODI_SOURCE = 'Fairbank JCT, Pynsent PB. The Oswestry Disability Index. Spine 2000;25(22):2940–2953 (ODI v2.1a).';
const RMDQ_SOURCE = 'Roland M, Morris R. A study of the natural history of back pain, part I. Spine 1983;8(2):141–144.';
const NRS_SOURCE = '11-point numeric rating scale of pain intensity, 0 = no pain, 10 = worst imaginable (Ostelo et al., Spine 2008;33(1):90–94).';
const SRS_SOURCE =
  'Asher M et al. The reliability and concurrent validity of the SRS-22 patient questionnaire. Spine 2003;28(1):63–69; Asher M et al. Refinement of the SRS-22 health-related quality of life questionnaire function domain (SRS-22r). Spine 2006;31(5):593–597.';

const ODI_SECTIONS = ['Pain intensity', 'Personal care', 'Lifting', 'Walking', 'Sitting', 'Standing', 'Sleeping', 'Sex life', 'Social life', 'Travelling'];

/** SRS-22r item topics in the product's own words (domain in brackets). */
const SRS_TOPICS = [
  'Pain level over the last six months (pain)',
  'Pain level over the last month (pain)',
  'Feeling nervous over the last six months (mental health)',
  'Living with the present back shape for the rest of life (self-image)',
  'Present level of activity (function)',
  'Appearance in clothes (self-image)',
  'Feeling low over the last six months (mental health)',
  'Back pain at rest (pain)',
  'Present level of work or school activity (function)',
  'Appearance of the trunk (self-image)',
  'Medication taken for the back (pain)',
  'Back limiting activities around the house (function)',
  'Feeling calm over the last six months (mental health)',
  'Back condition affecting personal relationships (self-image)',
  'Financial difficulty because of the back (function)',
  'Feeling downhearted over the last six months (mental health)',
  'Days off work or school because of back pain (pain)',
  'Back condition limiting going out with friends or family (function)',
  'Feeling attractive with the present back condition (self-image)',
  'Feeling happy over the last six months (mental health)',
  'Satisfaction with the management of the back (satisfaction)',
  'Would choose the same management again (satisfaction)',
];

/** SRS-22r domains: the 1-based item numbers of each (Asher 2006). */
export const SRS22R_DOMAINS: Record<string, number[]> = {
  function: [5, 9, 12, 15, 18],
  pain: [1, 2, 8, 11, 17],
  'self-image': [4, 6, 10, 14, 19],
  'mental-health': [3, 7, 13, 16, 20],
  satisfaction: [21, 22],
};

/**
 * The forms the product scores: each item's label, allowed integer answers (min..max) and short anchors, the
 * scoring rule in a sentence and the published source.
 */
export const PROM_DEFINITIONS: PromDefinition[] = [
  {
    instrument: 'odi',
    title: 'Oswestry Disability Index (ODI v2.1a)',
    items: ODI_SECTIONS.map((label) => ({ label, min: 0, max: 5, anchors: ['0: no limitation in this section', '5: most severe limitation in this section'] })),
    scoring:
      'Each of the 10 sections scores 0–5; total % = sum ÷ (5 × answered sections) × 100. Bands: 0–20 % minimal disability, 21–40 % moderate, 41–60 % severe, 61–80 % crippled, 81–100 % bed-bound or exaggerating. The product refuses a form with fewer than 8 sections answered (its own floor).',
    source: ODI_SOURCE,
  },
  {
    instrument: 'rmdq',
    title: 'Roland–Morris Disability Questionnaire (RMDQ, 24 items)',
    items: Array.from({ length: 24 }, (_, i) => ({
      label: `Statement ${i + 1} of the licensed RMDQ form (applies to me today)`,
      min: 0,
      max: 1,
      anchors: ['0: does not apply today', '1: applies today'],
    })),
    scoring: 'Total = number of statements marked as applying today (0–24). Every statement must be answered (the product refuses a form with any missing).',
    source: RMDQ_SOURCE,
  },
  {
    instrument: 'nrs-back',
    title: 'Back pain, numeric rating scale (0–10)',
    items: [{ label: 'Average back pain over the last week', min: 0, max: 10, anchors: ['0: no pain', '10: worst pain imaginable'] }],
    scoring: 'The single answer is the score (0–10).',
    source: NRS_SOURCE,
  },
  {
    instrument: 'nrs-leg',
    title: 'Leg pain, numeric rating scale (0–10)',
    items: [{ label: 'Average leg pain over the last week', min: 0, max: 10, anchors: ['0: no pain', '10: worst pain imaginable'] }],
    scoring: 'The single answer is the score (0–10).',
    source: NRS_SOURCE,
  },
  {
    instrument: 'srs22r',
    title: 'Scoliosis Research Society outcomes questionnaire (SRS-22r)',
    items: SRS_TOPICS.map((label) => ({ label, min: 1, max: 5, anchors: ['1: worst', '5: best'] })),
    scoring:
      'Items score 1–5 (5 best). Domains: function (items 5, 9, 12, 15, 18), pain (1, 2, 8, 11, 17), self-image (4, 6, 10, 14, 19), mental health (3, 7, 13, 16, 20), satisfaction (21, 22); each domain = mean of its answered items; total = mean of the answered items 1–20. Product rules: a 5-item domain with more than one item missing, or the satisfaction domain with both missing, has no score; a form with more than 4 of items 1–20 missing is refused.',
    source: SRS_SOURCE,
  },
];

const DEF = new Map(PROM_DEFINITIONS.map((d) => [d.instrument, d]));

/** ODI band of a total (%), Fairbank & Pynsent 2000; a total between two integer bands (e.g. 20.5) goes to the higher band. */
export function odiBand(total: number): string {
  if (total <= 20) return '0–20 %: minimal disability';
  if (total <= 40) return '21–40 %: moderate disability';
  if (total <= 60) return '41–60 %: severe disability';
  if (total <= 80) return '61–80 %: crippled';
  return '81–100 %: bed-bound or exaggerating symptoms';
}

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

/**
 * Scores one filled form by its published rule.
 * @param instrument 'odi' | 'rmdq' | 'nrs-back' | 'nrs-leg' | 'srs22r'
 * @param answers one answer per item (ODI 10, RMDQ 24, NRS 1, SRS-22r 22), each an integer within the item's range
 *   (ODI 0–5, RMDQ 0/1, NRS 0–10, SRS-22r 1–5) or null where the patient did not answer
 * @returns the PromScore: ODI total in % (0–100) with its band; RMDQ count 0–24; NRS 0–10; SRS-22r total = mean of
 *   the answered items 1–20 (1–5) and the five domain means (null where too few items were answered)
 * @throws Error naming the instrument for a wrong number of answers; naming the item (1-based) and the allowed range
 *   for a non-integer or out-of-range answer; and for too many unanswered items: ODI fewer than 8 of 10 sections
 *   answered (the product's floor; the publication leaves missing sections to the scorer), RMDQ any statement
 *   missing, NRS the item missing, SRS-22r more than 4 of items 1–20 missing (product rules)
 */
export function scoreProm(instrument: PromInstrument, answers: readonly (number | null)[]): PromScore {
  const def = DEF.get(instrument);
  if (!def) throw new Error(`unknown questionnaire "${String(instrument)}"`);
  const name = def.title;
  if (answers.length !== def.items.length) throw new Error(`${name}: expected ${def.items.length} answers (one per item), got ${answers.length}`);
  answers.forEach((a, i) => {
    if (a === null) return;
    const it = def.items[i]!;
    if (typeof a !== 'number' || !Number.isInteger(a) || a < it.min || a > it.max)
      throw new Error(`${name}: item ${i + 1} (${it.label}) must be an integer from ${it.min} to ${it.max}, got ${String(a)}`);
  });
  const given = answers.filter((a): a is number => a !== null);
  const base = { instrument, items: def.items.length, answered: given.length, source: def.source, algorithmVersion: PROM_ALGORITHM_VERSION };
  switch (instrument) {
    case 'odi': {
      if (given.length < 8)
        throw new Error(
          `${name}: only ${given.length} of 10 sections answered; at least 8 are needed for a score (the product's rule: too few sections make the percentage unreliable)`,
        );
      const total = (given.reduce((a, b) => a + b, 0) / (5 * given.length)) * 100;
      return { ...base, total, unit: '%', domains: {}, band: odiBand(total) };
    }
    case 'rmdq': {
      const missing = answers.map((a, i) => (a === null ? i + 1 : 0)).filter((i) => i > 0);
      if (missing.length)
        throw new Error(
          `${name}: statement${missing.length > 1 ? 's' : ''} ${missing.join(', ')} unanswered; every statement must be answered (yes = 1, no = 0)`,
        );
      return { ...base, total: given.reduce((a, b) => a + b, 0), unit: 'points (0–24)', domains: {}, band: null };
    }
    case 'nrs-back':
    case 'nrs-leg': {
      if (given.length !== 1) throw new Error(`${name}: item 1 unanswered; a score needs the one answer (0–10)`);
      return { ...base, total: given[0]!, unit: 'points (0–10)', domains: {}, band: null };
    }
    case 'srs22r': {
      const core = answers.slice(0, 20).filter((a): a is number => a !== null);
      if (core.length < 16) throw new Error(`${name}: only ${core.length} of items 1–20 answered; at least 16 are needed for a total (the product's rule)`);
      const domains: Record<string, number | null> = {};
      for (const [d, items] of Object.entries(SRS22R_DOMAINS)) {
        const v = items.map((i) => answers[i - 1]).filter((a): a is number => a !== null && a !== undefined);
        const allowedMissing = items.length === 5 ? 1 : items.length - 1;
        domains[d] = items.length - v.length > allowedMissing || v.length === 0 ? null : mean(v);
      }
      return { ...base, total: mean(core), unit: 'points (1–5, mean)', domains, band: null };
    }
  }
}
