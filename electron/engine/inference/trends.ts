/**
 * Trends of features over visits (issue 23): each feature at each level over
 * the patient's visits, the changes between successive visits, and whether a
 * change reaches the published smallest real change of that feature (minimal
 * detectable change, MDC, or minimal clinically important change, MCID).
 * Pure: no I/O.
 */
import type { ChangeThreshold, FeatureModality, Trend } from '../../../capabilities/inference/contract.js';

const MORRISSY =
  'Morrissy RT, Goldsmith GS, Hall EC, Kehl D, Cowie GH. Measurement of the Cobb angle on radiographs of patients who have scoliosis: evaluation of intrinsic error. J Bone Joint Surg Am 1990;72(3):320–327 — inter- and intra-observer variability of manual Cobb measurement: a change under about 5° cannot be told from measurement error.';
const OSTELO =
  'Ostelo RWJG et al. Interpreting change scores for pain and functional status in low back pain: towards international consensus regarding minimal important change. Spine 2008;33(1):90–94';

/**
 * The smallest real change of each feature, keyed by the feature's name: Cobb angles (cobb_coronal, cobb_sagittal,
 * cobb_max_plane) about 5° MDC (Morrissy et al. 1990); ODI 10 points MCID, RMDQ 5 points MCID, NRS back and leg
 * pain 2 points MCID (Ostelo et al. 2008). Features without a published threshold here — disc heights, trabecular
 * HU, sEMG median frequency and its slope, IMU ranges of motion, and any feature not listed — have null: their
 * changes are shown but never flagged.
 */
export const CHANGE_THRESHOLDS: Record<string, ChangeThreshold | null> = {
  'spine.cobb_coronal': { value: 5, unit: '°', kind: 'MDC', source: MORRISSY },
  'spine.cobb_sagittal': { value: 5, unit: '°', kind: 'MDC', source: MORRISSY },
  'spine.cobb_max_plane': { value: 5, unit: '°', kind: 'MDC', source: MORRISSY },
  odi: { value: 10, unit: '%', kind: 'MCID', source: `${OSTELO}: ODI 10 points.` },
  rmdq: { value: 5, unit: 'points', kind: 'MCID', source: `${OSTELO}: RMDQ 5 points.` },
  nrs_back: { value: 2, unit: 'points', kind: 'MCID', source: `${OSTELO}: NRS 2 points.` },
  nrs_leg: { value: 2, unit: 'points', kind: 'MCID', source: `${OSTELO}: NRS 2 points.` },
  'spine.disc_height_mean_ap': null,
  'spine.trabecular_hu_mean': null,
  'emg.mdf': null,
  'emg.mdf_slope': null,
};

/** The threshold of a feature, or null when none is published here (never flagged). */
export function thresholdOf(feature: string): ChangeThreshold | null {
  return CHANGE_THRESHOLDS[feature] ?? null;
}

export interface TrendPoint {
  feature: string;
  level: string;
  label: string;
  unit: string;
  modality: FeatureModality;
  visitId: string;
  /** ISO 8601 day. */
  visitDate: string;
  value: number;
}

/**
 * Trends of the features over visits.
 * @param points one value per feature, level and visit (in the feature's unit)
 * @returns one Trend per feature + level (sorted by feature, then level): its points sorted by visit day (then
 *   visit id), the change between each two successive points (delta = later − earlier, in the unit) with
 *   `exceeds` = |delta| ≥ the threshold (null without threshold), and `flagged` when any change exceeds it; label,
 *   unit and modality from the earliest point
 */
export function buildTrends(points: readonly TrendPoint[]): Trend[] {
  const groups = new Map<string, TrendPoint[]>();
  for (const p of points) {
    const k = `${p.feature}\u0000${p.level}`;
    const g = groups.get(k);
    if (g) g.push(p);
    else groups.set(k, [p]);
  }
  const out: Trend[] = [];
  for (const g of groups.values()) {
    const s = [...g].sort((a, b) =>
      a.visitDate < b.visitDate ? -1 : a.visitDate > b.visitDate ? 1 : a.visitId < b.visitId ? -1 : a.visitId > b.visitId ? 1 : 0,
    );
    const first = s[0]!;
    const threshold = thresholdOf(first.feature);
    const changes = s.slice(1).map((b, i) => {
      const a = s[i]!;
      const delta = b.value - a.value;
      // 1e-9: a change of exactly the threshold, after floating-point subtraction, still counts
      return { from: a.visitDate, to: b.visitDate, delta, exceeds: threshold ? Math.abs(delta) >= threshold.value - 1e-9 : null };
    });
    out.push({
      feature: first.feature,
      level: first.level,
      label: first.label,
      unit: first.unit,
      modality: first.modality,
      points: s.map((p) => ({ visitId: p.visitId, visitDate: p.visitDate, value: p.value })),
      threshold,
      changes,
      flagged: changes.some((c) => c.exceeds === true),
    });
  }
  return out.sort((a, b) => (a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : a.level < b.level ? -1 : a.level > b.level ? 1 : 0));
}
