/**
 * Spine characterisation records (issue 3): the per-level report made by
 * `engine/spine`, the surgeon's corrections, a stored analysis, and the
 * report as CSV. Runtime-neutral: the renderer, the services and the CLI use
 * the same schemas. Everything is LPS millimetres, HU, degrees.
 */
import { z } from 'zod';
import { Vec3 } from './primitives.js';

const Id = z.string().min(1).max(80);
const mm = z.number().nullable();

export const Plane = z.object({
  point: Vec3,
  /** Unit normal pointing superior. */
  normal: Vec3,
  /** RMS distance of the edge points from the fitted plane (mm). */
  rmsMm: z.number(),
});
export type Plane = z.infer<typeof Plane>;

export const Landmark = z.object({
  pointLps: Vec3,
  /** Nearest point of the skin surface (LPS mm), null without a skin surface. */
  skinPointLps: Vec3.nullable(),
  /** Euclidean distance to the nearest skin point (mm). */
  skinDistanceMm: z.number().nullable(),
});
export type Landmark = z.infer<typeof Landmark>;

export const VertebraMeasurement = z.object({
  name: z.string(),
  label: z.number().int(),
  partial: z.boolean(),
  /** Centroid of the whole vertebra mask (LPS mm). */
  centroidLps: Vec3,
  /** Centroid of the vertebral body (LPS mm); the surgeon's point when moved; null when only the posterior arch is in view. */
  bodyCentroidLps: Vec3.nullable(),
  bodyVolumeMl: z.number(),
  superiorEndplate: Plane.nullable(),
  inferiorEndplate: Plane.nullable(),
  /** Body heights (mm): anterior, middle, posterior. */
  heightsMm: z.object({ anterior: mm, middle: mm, posterior: mm }),
  /** Genant semiquantitative grade from the height ratios. */
  genant: z.object({ wedgeRatio: mm, biconcaveRatio: mm, reduction: mm, grade: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).nullable() }),
  /** Trabecular HU in an ellipsoid at the body centroid, clear of the cortex. */
  sphereHu: z.object({ mean: z.number(), median: z.number(), sd: z.number(), voxels: z.number().int(), radiiMm: Vec3 }).nullable(),
  /** Axes of the HU ellipsoid (unit vectors: left, anterior, superior of the body). */
  sphereAxes: z.tuple([Vec3, Vec3, Vec3]).nullable(),
  /** L1 opportunistic screening (Pickhardt 2013): screening information, not a diagnosis. */
  screening: z.object({ le110: z.boolean(), le160: z.boolean() }).nullable(),
  /** Tips of the spinous and transverse processes with their distances to the skin. */
  landmarks: z.object({ spinousTip: Landmark.nullable(), leftTransverseTip: Landmark.nullable(), rightTransverseTip: Landmark.nullable() }),
  notMeasured: z.array(z.string()),
});
export type VertebraMeasurement = z.infer<typeof VertebraMeasurement>;

export const DiscMeasurement = z.object({
  upper: z.string(),
  lower: z.string(),
  heightsMm: z.object({ anterior: mm, middle: mm, posterior: mm }),
  /** Dabbs: mean of the anterior and posterior heights. */
  meanApMm: mm,
  centreLps: Vec3,
  /** Volume of the intervertebral space mesh (mL), null when not meshed. */
  spaceVolumeMl: mm,
});
export type DiscMeasurement = z.infer<typeof DiscMeasurement>;

export const CobbAngle = z.object({
  plane: z.enum(['coronal', 'sagittal', '3d']),
  angleDeg: z.number(),
  upperEnd: z.string(),
  lowerEnd: z.string(),
  apex: z.string().nullable(),
});
export type CobbAngle = z.infer<typeof CobbAngle>;

export const Curvature = z.object({
  coronal: CobbAngle.nullable(),
  sagittal: CobbAngle.nullable(),
  maxPlane: CobbAngle.nullable(),
  /** L1 superior to S1 superior endplate, sagittal (deg; positive = lordosis). */
  lumbarLordosisDeg: z.number().nullable(),
  thoracicKyphosisDeg: z.number().nullable(),
  thoracicKyphosisLevels: z.string().nullable(),
  /** Body centreline (LPS mm, inferior → superior, 1 mm steps). */
  centrelineLps: z.array(Vec3),
  notMeasured: z.array(z.string()),
});
export type Curvature = z.infer<typeof Curvature>;

/**
 * A femoral head (hip centre): least-squares sphere through the bone surface points of the head and
 * its acetabulum (concentric; at 3 mm the joint line is not resolved, so the radius may be the acetabulum's), LPS mm.
 */
export const FemoralHead = z.object({
  side: z.enum(['right', 'left']),
  centreLps: Vec3,
  radiusMm: z.number(),
  /** RMS distance of the inlier edge points from the sphere (mm). */
  rmsMm: z.number(),
  /** Fraction of 64 evenly spread directions from the centre with surface points on the sphere (angular coverage). */
  inlierFraction: z.number(),
});
export type FemoralHead = z.infer<typeof FemoralHead>;

/** A parameter that could not be measured, and why (never a number). */
export const NotMeasurable = z.object({ measurable: z.literal(false), reason: z.string() });

/** The superior endplate of S1 in the mid-sagittal plane (LPS mm): centre, superior-pointing normal, corners. */
export const S1Endplate = z.object({
  centreLps: Vec3,
  normal: Vec3,
  anteriorCornerLps: Vec3.nullable(),
  posteriorCornerLps: Vec3.nullable(),
});
export type S1Endplate = z.infer<typeof S1Endplate>;

/** Pelvic incidence, pelvic tilt, sacral slope (degrees; Duval-Beaupère 1992, Legaye 1998): PI = PT + SS. */
export const PelvicParameters = z.discriminatedUnion('measurable', [
  z.object({
    measurable: z.literal(true),
    pelvicIncidenceDeg: z.number(),
    /** Positive when the hip axis lies anterior of the S1 endplate centre. */
    pelvicTiltDeg: z.number(),
    /** Positive when the endplate's anterior corner is lower than its posterior one. */
    sacralSlopeDeg: z.number(),
    femoralHeads: z.object({ right: FemoralHead, left: FemoralHead }),
    /** Bicoxofemoral axis: midpoint of the two head centres. */
    hipAxisLps: Vec3,
  }),
  NotMeasurable,
]);
export type PelvicParameters = z.infer<typeof PelvicParameters>;

/** Sagittal vertical axis (mm): A-P offset of the C7 plumb line from the posterosuperior corner of S1, positive anterior. */
export const SagittalVerticalAxis = z.discriminatedUnion('measurable', [
  z.object({ measurable: z.literal(true), svaMm: z.number(), c7CentroidLps: Vec3, s1PosteriorSuperiorLps: Vec3 }),
  NotMeasurable,
]);
export type SagittalVerticalAxis = z.infer<typeof SagittalVerticalAxis>;

/** The surgeon's sagittal spinopelvic parameters with where they come from. */
export const Spinopelvic = z.object({
  pelvic: PelvicParameters,
  sva: SagittalVerticalAxis,
  s1Endplate: S1Endplate.nullable(),
  /** The sagittal frame the angles are measured in: unit LPS vectors (anterior, superior). */
  frame: z.object({ anterior: Vec3, superior: Vec3 }),
  /** What "vertical" means here (the scanner's axes; supine CT: positional). */
  reference: z.string(),
  method: z.string(),
  validation: z.string(),
  /**
   * |pipeline − hand| (degrees) of each angle on the one CT the method was checked on (tests/integration/
   * spinopelvic.test.ts), shown next to the values; absent in analyses made before it was recorded.
   */
  handAgreementDeg: z.object({ pelvicIncidence: z.number(), pelvicTilt: z.number(), sacralSlope: z.number() }).optional(),
});
export type Spinopelvic = z.infer<typeof Spinopelvic>;

export const SpineReport = z.object({
  algorithm: z.string(),
  version: z.string(),
  vertebrae: z.array(VertebraMeasurement),
  discs: z.array(DiscMeasurement),
  curvature: Curvature,
  sacrumFound: z.boolean(),
  /** Automatic names before corrections (same order as vertebrae). */
  automaticNames: z.array(z.string()),
  warnings: z.array(z.string()),
  /** Depth (mm) over which the bone surface's grey levels were sampled along the inward normals; null when not sampled. */
  surfaceGreyDepthMm: z.number().nullable(),
  timingsMs: z.record(z.string(), z.number()),
  /** Sagittal spinopelvic parameters (from version 0.3.0; absent in earlier analyses). */
  spinopelvic: Spinopelvic.optional(),
});
export type SpineReport = z.infer<typeof SpineReport>;

const LEVEL_NAME = /^(C[1-7]|T([1-9]|1[0-3])|L[1-6]|S1|V\d{1,2})$/;

export const SpineCorrections = z.object({
  /** Automatic name → corrected name. */
  names: z.record(z.string(), z.string().regex(LEVEL_NAME, 'a level name such as T12, L1 or S1')).default({}),
  /** Corrected name → vertebral body centroid placed by the surgeon (LPS mm). */
  centroids: z.record(z.string(), Vec3).default({}),
});
export type SpineCorrections = z.infer<typeof SpineCorrections>;
export type SpineCorrectionsInput = z.input<typeof SpineCorrections>;

export const SpineAnalysisOptions = z.object({
  /** Depth (mm) of the grey-level sampling along the bone mesh's inward normals. */
  greyDepthMm: z.number().min(0.5).max(20).default(3),
});
export type SpineAnalysisOptions = z.infer<typeof SpineAnalysisOptions>;

export const SpineAnalysis = z.object({
  id: Id,
  twinId: Id,
  /** 1 = automatic; each correction adds a version and keeps the earlier ones. */
  version: z.number().int(),
  corrections: SpineCorrections,
  report: SpineReport,
  sourceSeriesId: Id,
  createdAt: z.string(),
  /** Artefact ids: vertebra label map (NRRD), bone mesh with grey levels (VTP), intervertebral spaces (VTP). */
  artefacts: z.array(z.object({ id: Id, kind: z.string(), format: z.string(), count: z.number().int() })),
});
export type SpineAnalysis = z.infer<typeof SpineAnalysis>;

const f1 = (v: number | null | undefined, d = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '' : v.toFixed(d));
const csvCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * The spine report as CSV (RFC 4180), one row per level: label, body centroid
 * (LPS mm), body heights (mm), Genant grade, trabecular HU, L1 screening, the
 * disc below (heights mm), landmark distances to the skin (mm), what was not
 * measured; then the curvature rows and the spinopelvic parameters.
 */
export function spineReportCsv(r: SpineReport): string {
  const head = [
    'level',
    'automatic_level',
    'partial',
    'centroid_L_mm',
    'centroid_P_mm',
    'centroid_S_mm',
    'body_volume_ml',
    'height_anterior_mm',
    'height_middle_mm',
    'height_posterior_mm',
    'genant_grade',
    'genant_reduction',
    'trabecular_hu_mean',
    'trabecular_hu_median',
    'screening_le110hu',
    'screening_le160hu',
    'disc_below',
    'disc_anterior_mm',
    'disc_middle_mm',
    'disc_posterior_mm',
    'disc_mean_ap_mm',
    'spinous_tip_skin_mm',
    'left_transverse_tip_skin_mm',
    'right_transverse_tip_skin_mm',
    'not_measured',
  ];
  const rows = [head.join(',')];
  r.vertebrae.forEach((v, i) => {
    const d = r.discs.find((x) => x.upper === v.name);
    rows.push(
      [
        v.name,
        r.automaticNames[i] ?? v.name,
        v.partial ? 'yes' : 'no',
        f1(v.bodyCentroidLps?.[0]),
        f1(v.bodyCentroidLps?.[1]),
        f1(v.bodyCentroidLps?.[2]),
        f1(v.bodyVolumeMl),
        f1(v.heightsMm.anterior),
        f1(v.heightsMm.middle),
        f1(v.heightsMm.posterior),
        v.genant.grade === null ? '' : String(v.genant.grade),
        f1(v.genant.reduction, 3),
        f1(v.sphereHu?.mean),
        f1(v.sphereHu?.median),
        v.screening ? (v.screening.le110 ? 'yes' : 'no') : '',
        v.screening ? (v.screening.le160 ? 'yes' : 'no') : '',
        d ? `${d.upper}-${d.lower}` : '',
        f1(d?.heightsMm.anterior),
        f1(d?.heightsMm.middle),
        f1(d?.heightsMm.posterior),
        f1(d?.meanApMm),
        f1(v.landmarks.spinousTip?.skinDistanceMm),
        f1(v.landmarks.leftTransverseTip?.skinDistanceMm),
        f1(v.landmarks.rightTransverseTip?.skinDistanceMm),
        v.notMeasured.join('; '),
      ]
        .map(csvCell)
        .join(','),
    );
  });
  const c = r.curvature;
  rows.push('');
  rows.push('measure,value_deg,upper_end,lower_end,apex');
  for (const a of [c.coronal, c.sagittal, c.maxPlane])
    if (a) rows.push([`cobb_${a.plane}`, f1(a.angleDeg), a.upperEnd, a.lowerEnd, a.apex ?? ''].map(csvCell).join(','));
  if (c.lumbarLordosisDeg !== null) rows.push(`lumbar_lordosis_L1_S1,${f1(c.lumbarLordosisDeg)},L1,S1,`);
  if (c.thoracicKyphosisDeg !== null) rows.push(`thoracic_kyphosis,${f1(c.thoracicKyphosisDeg)},${csvCell(c.thoracicKyphosisLevels ?? '')},,`);
  const sp = r.spinopelvic;
  if (sp) {
    rows.push('');
    rows.push('spinopelvic,value,unit,note');
    const p = sp.pelvic;
    if (p.measurable) {
      rows.push(`pelvic_incidence,${f1(p.pelvicIncidenceDeg)},deg,`);
      rows.push(`pelvic_tilt,${f1(p.pelvicTiltDeg)},deg,${csvCell('positional (supine CT)')}`);
      rows.push(`sacral_slope,${f1(p.sacralSlopeDeg)},deg,${csvCell('positional (supine CT)')}`);
    } else rows.push(`pelvic_parameters,,,${csvCell(`not measurable: ${p.reason}`)}`);
    rows.push(
      sp.sva.measurable
        ? `sagittal_vertical_axis,${f1(sp.sva.svaMm)},mm,${csvCell('positional (supine CT)')}`
        : `sagittal_vertical_axis,,mm,${csvCell(sp.sva.reason)}`,
    );
  }
  return rows.join('\r\n') + '\r\n';
}
