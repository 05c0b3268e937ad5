/**
 * Surgical planning on a CT twin's spine analysis (issue 24 §1): pedicle
 * screw trajectories per level and side, graded for breach, from a
 * vendor-neutral screw catalogue; plans versioned per spine analysis
 * (1 = automatic, each edit a new version, earlier ones kept).
 *
 * Frames (all LPS millimetres): each vertebra has a frame of unit vectors —
 * `superior` = the normal of its measured superior endplate (else the
 * bisector of the endplate normals, else the scanner's S axis), `anterior` =
 * from the whole-vertebra centroid towards the body centroid, made
 * perpendicular to `superior`, `left` = superior × anterior. Its sagittal
 * plane is spanned by anterior and superior (normal `left`), its axial plane
 * is the endplate plane (normal `superior`).
 *
 * Angles (degrees): `transverseAngleDeg` = the screw axis (entry → target)
 * projected on the vertebra's axial plane, against the sagittal plane;
 * positive = medial convergence (the tip nearer the midline than the entry),
 * as Zindrick 1987 measure it on axial CT. `sagittalAngleDeg` = the axis
 * projected on the sagittal plane, against the endplate (axial) plane;
 * positive = the tip cranial of the entry.
 *
 * Breach grades after Gertzbein & Robbins, Spine 1990;15:11–14: A no breach,
 * B < 2 mm, C 2 to < 4 mm, D 4 to < 6 mm, E ≥ 6 mm — the depth by which the
 * screw's surface leaves the bone (the vertebra's label).
 */
import { z } from 'zod';
import { defineService, ALL_ROLES, CLINICAL_ROLES } from '../../electron/contract/define.js';
import { Id, Vec3 } from '../../electron/contract/primitives.js';

/**
 * The deepest breach (mm) the check measures: the distance searches stop there, so a `worstBreachMm` equal to it
 * means "this deep or deeper" (grade E either way) and is shown as "≥ 8.0".
 */
export const BREACH_DEPTH_CAP_MM = 8;

export const Side = z.enum(['left', 'right']);
export type Side = z.infer<typeof Side>;

export const BreachGrade = z.enum(['A', 'B', 'C', 'D', 'E']);
export type BreachGrade = z.infer<typeof BreachGrade>;

/** A vendor-neutral screw catalogue (mm). */
export const ScrewCatalogue = z.object({
  name: z.string(),
  diametersMm: z.array(z.number().positive()).min(1),
  lengthsMm: z.array(z.number().positive()).min(1),
});
export type ScrewCatalogue = z.infer<typeof ScrewCatalogue>;

/** The shipped catalogue: polyaxial pedicle screws as most vendors list them, 4.5–7.5 mm by 0.5, 30–55 mm by 5. */
export const DEFAULT_SCREW_CATALOGUE: ScrewCatalogue = {
  name: 'generic pedicle screws (vendor-neutral)',
  diametersMm: [4.5, 5, 5.5, 6, 6.5, 7, 7.5],
  lengthsMm: [30, 35, 40, 45, 50, 55],
};

export const BreachDirection = z.enum(['medial', 'lateral', 'superior', 'inferior']);
export type BreachDirection = z.infer<typeof BreachDirection>;

/** The breach check of one screw: its surface sampled, each point's distance outside the vertebra's label. */
export const BreachCheck = z.object({
  grade: BreachGrade,
  /** Largest depth (mm) by which a sampled point of the screw's surface lies outside the vertebra's label (0 = none). */
  worstBreachMm: z.number(),
  /** Direction of the worst breach in the vertebra's frame (null when none). */
  direction: BreachDirection.nullable(),
  /** Where the worst breach is (LPS mm); null when none. */
  worstPointLps: Vec3.nullable(),
  /** Smallest distance (mm) from the screw's surface inside the bone to the label's boundary (the margin left). */
  minClearanceMm: z.number(),
  /** Surface points sampled, and how many of them lie outside the label. */
  samples: z.number().int(),
  outside: z.number().int(),
  /** The first millimetres of the screw (entering the posterior cortex obliquely) left out of the check. */
  entryAllowanceMm: z.number(),
});
export type BreachCheck = z.infer<typeof BreachCheck>;

export const Isthmus = z.object({
  centreLps: Vec3,
  /** Extent of the narrowest cross-section along the vertebra's left axis (transverse pedicle width, mm). */
  widthMm: z.number(),
  /** Its extent along the vertebra's superior axis (pedicle height, mm). */
  heightMm: z.number(),
  areaMm2: z.number(),
});
export type Isthmus = z.infer<typeof Isthmus>;

/** One screw: a level and side, its trajectory, size and grade. */
export const ScrewTrajectory = z.object({
  level: z.string(),
  side: Side,
  /** On the posterior cortex (LPS mm). */
  entryLps: Vec3,
  /** The screw's tip in the vertebral body (LPS mm). */
  targetLps: Vec3,
  diameterMm: z.number().positive(),
  lengthMm: z.number().positive(),
  transverseAngleDeg: z.number(),
  sagittalAngleDeg: z.number(),
  /** The pedicle's narrowest cross-section (null for a trajectory drawn by hand without one). */
  isthmus: Isthmus.nullable(),
  /** Depth of the vertebral body along the screw axis (posterior wall → anterior cortex, mm), null when not found. */
  bodyDepthAlongAxisMm: z.number().nullable(),
  breach: BreachCheck,
  /** Whether the surgeon moved it (a saved edit) or it is the automatic proposal. */
  edited: z.boolean(),
  notes: z.array(z.string()),
});
export type ScrewTrajectory = z.infer<typeof ScrewTrajectory>;

export const ScrewPlan = z.object({
  id: Id,
  twinId: Id,
  analysisId: Id,
  /** 1 = automatic; each edit adds a version and keeps the earlier ones. */
  version: z.number().int(),
  catalogue: ScrewCatalogue,
  screws: z.array(ScrewTrajectory),
  /** Levels not planned, and why. */
  skipped: z.array(z.object({ level: z.string(), side: Side.nullable(), reason: z.string() })),
  /** What the plan's measurements can and cannot resolve (grid spacing). */
  resolution: z.string(),
  algorithmVersion: z.string(),
  createdAt: z.string(),
  note: z.string(),
});
export type ScrewPlan = z.infer<typeof ScrewPlan>;

/** A trajectory as the surgeon places it. */
export const TrajectoryEdit = z.object({
  level: z.string(),
  side: Side,
  entryLps: Vec3,
  targetLps: Vec3,
  diameterMm: z.number().min(2).max(12),
});
export type TrajectoryEdit = z.infer<typeof TrajectoryEdit>;

/** A trajectory graded without being saved (what the UI drag asks). */
export const GradedTrajectory = ScrewTrajectory.omit({ edited: true, isthmus: true, bodyDepthAlongAxisMm: true });
export type GradedTrajectory = z.infer<typeof GradedTrajectory>;

export const PlanningService = defineService(
  'planning',
  {
    /**
     * Proposes the automatic screw plan of a spine analysis and stores it as the analysis's next plan version;
     * returns the plan's id. In-process, not a job: 1–2 s on the 3 mm example CT.
     */
    proposeScrews: { roles: CLINICAL_ROLES, audit: { action: 'screw-plan-propose', recordType: 'spine-analysis' }, args: z.tuple([Id]), result: Id },
    /** Every screw plan of a twin, newest first. */
    plans: { roles: ALL_ROLES, args: z.tuple([Id]), result: z.array(ScrewPlan) },
    plan: { roles: ALL_ROLES, audit: { action: 'read', recordType: 'screw-plan' }, args: z.tuple([Id]), result: ScrewPlan },
    /**
     * Saves the surgeon's trajectories over a plan (by level and side; others kept) as the analysis's next plan
     * version, each re-graded; returns the new plan.
     */
    savePlan: {
      roles: CLINICAL_ROLES,
      audit: { action: 'screw-plan-save', recordType: 'screw-plan' },
      args: z.tuple([Id, z.array(TrajectoryEdit).min(1), z.object({ note: z.string().max(500).default('') }).default({ note: '' })]),
      result: ScrewPlan,
    },
    /** Grades a trajectory on a spine analysis without saving it. */
    gradeTrajectory: { roles: CLINICAL_ROLES, args: z.tuple([Id, TrajectoryEdit]), result: GradedTrajectory },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    planning: typeof PlanningService;
  }
}
