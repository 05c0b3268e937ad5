/**
 * What the screw planning view says and how it colours it (pure, no DOM):
 * the Gertzbein–Robbins grade colours, the sources of every number, the
 * vertebra's superior axis for the probe's-eye planes, and the surgeon's
 * pending edits over a stored plan.
 */
import type { VertebraMeasurement } from '../../../electron/contract/index.js';
import type { Vec3 } from '../../../math/geometry.js';
import {
  BREACH_DEPTH_CAP_MM,
  type BreachGrade,
  type GradedTrajectory,
  type ScrewPlan,
  type ScrewTrajectory,
  type Side,
  type TrajectoryEdit,
} from '../contract.js';

/** Colour of a Gertzbein–Robbins grade (CSS hex): A green, B yellow-green, C amber, D orange-red, E red. */
export const GRADE_COLOURS: Record<BreachGrade, string> = { A: '#3bb273', B: '#b5cc3a', C: '#f0a030', D: '#e8632b', E: '#d63b3b' };

/** The same colours as RGB 0–1 (vtk.js actors). */
export function gradeRgb(g: BreachGrade): [number, number, number] {
  const h = GRADE_COLOURS[g];
  return [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16) / 255) as [number, number, number];
}

/** What each grade means (Gertzbein & Robbins, Spine 1990;15:11–14): depth of the screw surface outside the bone. */
export const GRADE_MEANING: Record<BreachGrade, string> = {
  A: 'no breach',
  B: 'breach < 2 mm',
  C: 'breach 2 to < 4 mm',
  D: 'breach 4 to < 6 mm',
  E: 'breach ≥ 6 mm',
};

/** Worse grades sort later: A < B < … < E. */
export function gradeRank(g: BreachGrade): number {
  return 'ABCDE'.indexOf(g);
}

/** The key of a screw in a plan: its level and side ("L3 left"). */
export function screwKey(s: { level: string; side: Side }): string {
  return `${s.level} ${s.side}`;
}

/**
 * The vertebra's superior axis (unit LPS): the normal of its superior endplate, else of its inferior endplate, else
 * the scanner's S axis, pointing cranially — as the planning engine's vertebra frame (capabilities/planning/contract.ts).
 */
export function superiorAxis(v: Pick<VertebraMeasurement, 'superiorEndplate' | 'inferiorEndplate'> | undefined): Vec3 {
  const n = v?.superiorEndplate?.normal ?? v?.inferiorEndplate?.normal ?? [0, 0, 1];
  const len = Math.hypot(n[0], n[1], n[2]) || 1;
  const s = n[2] < 0 ? -1 : 1;
  return [(s * n[0]) / len, (s * n[1]) / len, (s * n[2]) / len];
}

/**
 * A screw as shown: the stored one, or the surgeon's unsaved edit of it. `pending`: an unsaved edit; `stale`: its
 * grade (and angles, length) are those of an earlier position of the edit, the latest not graded yet.
 */
export type ShownScrew = (ScrewTrajectory | (GradedTrajectory & { isthmus: ScrewTrajectory['isthmus'] })) & { pending: boolean; stale: boolean };

const samePoint = (a: readonly number[], b: readonly number[]): boolean => a.every((x, i) => Math.abs(x - b[i]!) < 0.006);

/** Whether a graded trajectory is the grade of this edit (points to 0.01 mm, the same diameter). */
export function gradedFor(edit: TrajectoryEdit, graded: GradedTrajectory): boolean {
  return samePoint(edit.entryLps, graded.entryLps) && samePoint(edit.targetLps, graded.targetLps) && edit.diameterMm === graded.diameterMm;
}

/**
 * The plan's screws with the unsaved edits over them: an edit's points and diameter, with the latest grade that came
 * back for it (`planning.gradeTrajectory`), else the stored screw's.
 */
export function shownScrews(plan: ScrewPlan, edits: ReadonlyMap<string, { edit: TrajectoryEdit; graded: GradedTrajectory | null }>): ShownScrew[] {
  return plan.screws.map((s) => {
    const e = edits.get(screwKey(s));
    if (!e) return { ...s, pending: false, stale: false };
    const base = e.graded ? { ...e.graded, isthmus: s.isthmus } : s;
    const stale = !e.graded || !gradedFor(e.edit, e.graded);
    return { ...base, entryLps: e.edit.entryLps, targetLps: e.edit.targetLps, diameterMm: e.edit.diameterMm, pending: true, stale };
  });
}

/** A breach depth (mm) at 0.1 mm; at the check's cap (BREACH_DEPTH_CAP_MM, where its search stops) as "≥ 8.0". */
export function fmtBreachMm(mm: number): string {
  return mm >= BREACH_DEPTH_CAP_MM - 1e-9 ? `≥ ${BREACH_DEPTH_CAP_MM.toFixed(1)}` : mm.toFixed(1);
}

/** LPS point as "x, y, z" at 0.1 mm. */
export function fmtLps(p: readonly number[]): string {
  return p.map((x) => x.toFixed(1)).join(', ');
}

/** The voxel size "0.78 × 0.78 × 3 mm". */
export function fmtSpacing(s: readonly number[]): string {
  return `${s.map((x) => +x.toFixed(2)).join(' × ')} mm`;
}

/**
 * Where each column's numbers come from (the table's header titles and the note under it).
 * @param spacingMm the CT's voxel size (the label map the grade is measured on has the CT's grid)
 * @param algorithmVersion the planning engine's version that made the plan
 */
export function columnSources(
  spacingMm: readonly number[],
  algorithmVersion: string,
): Record<'points' | 'angles' | 'size' | 'width' | 'grade' | 'depth', string> {
  const vox = fmtSpacing(spacingMm);
  const half = (Math.max(...spacingMm) / 2).toFixed(1);
  return {
    points:
      `Entry (on the posterior cortex) and target (the screw's tip), LPS mm: the automatic proposal of OrthoTwin's planning engine ` +
      `${algorithmVersion} (measured pedicle centre, anatomical axis refined for the widest bone corridor in the vertebra's label), or the surgeon's edit.`,
    angles:
      "Transverse: the axis against the vertebra's sagittal plane, + = medial convergence (Zindrick 1987); sagittal: against its endplate plane, " +
      '+ = tip cranial. Computed from entry and target in the frame of the analysis (superior endplate normal, body centroid).',
    size: 'Screw diameter × length from the vendor-neutral catalogue (4.5–7.5 mm × 30–55 mm); proposed: the largest diameter ≤ 80 % of the isthmus that grades A.',
    width: `Pedicle isthmus width: the narrowest run of the vertebra's label across the axis in its axial plane, label voxels ${vox} as boxes — uncertain by about one voxel.`,
    grade:
      `Gertzbein–Robbins grade (Spine 1990): A none, B < 2, C 2–4, D 4–6, E ≥ 6 mm — OrthoTwin's own check of the screw's surface against the ` +
      `vertebra label at the CT's voxel size (${vox}); a breach shallower than about ${half} mm cannot be seen at this grid. Not validated against post-operative CT.`,
    depth: `Largest depth (mm) of the screw's sampled surface outside the vertebra label (0 = none), on the ${vox} grid; the first mm at the entry are left out.`,
  };
}
