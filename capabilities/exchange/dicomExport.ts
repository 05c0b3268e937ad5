/**
 * DICOM objects of the twin's results (`exchange.exportDicom`, `twin export
 * --format seg|sr`; issue 24 §3), referencing the source series:
 *
 * - SEG: a binary Segmentation with one segment per vertebra of the newest
 *   spine analysis (its `vertebra-labels` label map; type codes of DICOM CID
 *   7603 Vertebra, S1 as the Sacrum), then the bone mask (CID 7166 "Bone")
 *   and the body mask inside the skin (CID 4031 "Entire body": the twin's
 *   skin-mask is the filled body, not the skin layer). The masks are the
 *   stored NRRD artefacts on the source grid — nothing is re-segmented or
 *   voxelised. Only frames with content are written.
 * - SR: a Comprehensive 3D SR after TID 1500 with, per measurement group,
 *   the Cobb angles (SCT 285285000 "Cobb angle" with the plane as a
 *   topographical modifier), lumbar lordosis and thoracic kyphosis, each
 *   vertebra's body heights and trabecular HU (DCM 112031 "Attenuation
 *   Coefficient", mean), each disc's heights; concepts without a standard
 *   code (lordosis, kyphosis, body and disc heights) are in OrthoTwin's
 *   private scheme `99ORTHOTWIN`. The observer is the software. Then, when
 *   the newest spine analysis has a screw plan, its newest version: a group
 *   per screw (`screwPlanGroups`: "L3 left pedicle screw", SCT "Bone Screw"
 *   at the vertebra with its laterality, the trajectory as a SCOORD3D
 *   POLYLINE, angles, diameter, length, isthmus width, deepest breach, the
 *   Gertzbein–Robbins grade, the plan version).
 * - Surface Segmentation: the twin's bone and skin meshes (VTP, LPS mm =
 *   patient coordinates) as surfaces, flagged closed/manifold by the
 *   printability check.
 *
 * The source reference (the header attributes the objects copy, the grid,
 * each instance's SOP Class/Instance UID and ImagePositionPatient) is read
 * from the series' folder when it is still there (`readSourceSeries`), else
 * from what the import recorded in the store (migration 0018,
 * `getDicomSource`): a PACS-retrieved series, whose incoming folder is
 * removed after the import, or a moved folder. Both give the same object. A
 * series imported before 0018 whose folder is gone is refused (NOT_FOUND).
 * Audited as an export of the twin.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SpineReport } from '../../electron/contract/spine.js';
import { AppError } from '../../electron/contract/errors.js';
import type { TwinStore } from '../../electron/db/store.js';
import type { Vec3, Volume } from '../../electron/engine/volume.js';
import {
  type Code,
  decodeSegmentation,
  encodeSegmentation,
  IMPLEMENTATION_CLASS_UID,
  readSourceSeries,
  SEG_SOP_CLASS_UID,
  type SegmentInput,
  type SourceSeries,
} from '../../electron/io/dicomSeg.js';
import {
  COMPREHENSIVE_3D_SR_SOP_CLASS_UID,
  decodeMeasurementReport,
  encodeMeasurementReport,
  type SrGroup,
  type SrGroupRead,
  type SrNumeric,
} from '../../electron/io/dicomSr.js';
import { decodeSurfaceSegmentation, encodeSurfaceSegmentation, SURFACE_SEG_SOP_CLASS_UID, type SurfaceInput } from '../../electron/io/dicomSurfaceSeg.js';
import { decodeVtp } from '../../electron/io/mesh.js';
import { decodeNrrd } from '../../electron/io/nrrd.js';
import { analysePrintability } from '../../electron/engine/printability.js';
import { listSpineAnalyses } from '../spine/repo.js';
import type { ScrewPlan } from '../planning/contract.js';
import { listPlans } from '../planning/repo.js';
import { getDicomSource, getSeriesSource } from '../studies/repo.js';
import { softwareName } from '../studies/exports.js';
import { exportPath, writeNewExport } from './exportFiles.js';
import { getArtefactPath, getTwin } from '../twins/repo.js';
import { ExportDicomRequest, type ExportDicomResult, type ReadDicomResult } from './contract.js';

const sct = (CodeValue: string, CodeMeaning: string): Code => ({ CodeValue, CodingSchemeDesignator: 'SCT', CodeMeaning });
const dcm = (CodeValue: string, CodeMeaning: string): Code => ({ CodeValue, CodingSchemeDesignator: 'DCM', CodeMeaning });

/** OrthoTwin's private coding scheme (PS3.16 8.2: a "99" designator) for concepts DICOM and SNOMED CT do not code. */
export const PRIVATE_SCHEME = { designator: '99ORTHOTWIN', name: 'OrthoTwin local codes', version: '1', organization: 'OrthoTwin' };
const local = (CodeValue: string, CodeMeaning: string): Code => ({ CodeValue, CodingSchemeDesignator: PRIVATE_SCHEME.designator, CodeMeaning });

/** DICOM CID 7603 Vertebra (SNOMED CT). */
export const VERTEBRA_CODES: Record<string, string> = {
  C1: '14806007',
  C2: '39976000',
  C3: '113205007',
  C4: '5329002',
  C5: '36978003',
  C6: '36054005',
  C7: '87391001',
  T1: '64864005',
  T2: '53733008',
  T3: '1626008',
  T4: '73071006',
  T5: '56401006',
  T6: '45296009',
  T7: '62487009',
  T8: '11068009',
  T9: '82687006',
  T10: '7610001',
  T11: '12989004',
  T12: '23215003',
  L1: '66794005',
  L2: '14293000',
  L3: '36470004',
  L4: '11994002',
  L5: '49668003',
};
/** DICOM CID 7604 Intervertebral Disc (SNOMED CT), keyed "upper/lower". */
export const DISC_CODES: Record<string, string> = {
  'T9/T10': '113209001',
  'T10/T11': '34959001',
  'T11/T12': '1537001',
  'T12/L1': '76206002',
  'L1/L2': '80064006',
  'L2/L3': '67459009',
  'L3/L4': '62551000',
  'L4/L5': '84020006',
  'L5/S1': '715056000',
};

const ANATOMICAL_STRUCTURE = sct('91723000', 'Anatomical Structure');
const TISSUE = sct('85756007', 'Tissue');
const SPINE = sct('421060004', 'Spine');
const LUMBAR_SPINE = sct('122496007', 'Lumbar spine');
const THORACIC_SPINE = sct('122495006', 'Thoracic spine');
const TOPOGRAPHICAL = sct('106233006', 'Topographical modifier');
const POSITION = {
  anterior: sct('255549009', 'Anterior'),
  middle: { CodeValue: 'C25569', CodingSchemeDesignator: 'NCIt', CodeMeaning: 'Middle' },
  posterior: sct('255551008', 'Posterior'),
};
const PLANE = { coronal: sct('81654009', 'Coronal'), sagittal: sct('30730003', 'Sagittal'), '3d': local('PLANE-MAX', 'Plane of maximum curvature') };
const UNIT = {
  mm: { CodeValue: 'mm', CodingSchemeDesignator: 'UCUM', CodeMeaning: 'millimeter' },
  deg: { CodeValue: 'deg', CodingSchemeDesignator: 'UCUM', CodeMeaning: 'degree' },
  hu: { CodeValue: "[hnsf'U]", CodingSchemeDesignator: 'UCUM', CodeMeaning: 'Hounsfield unit' },
};
/** The concepts of the report (standard where one exists). */
export const CONCEPTS = {
  cobb: sct('285285000', 'Cobb angle'),
  lordosis: local('LUMBAR-LORDOSIS', 'Lumbar lordosis angle (L1 to S1 superior endplates)'),
  kyphosis: local('THOR-KYPHOSIS', 'Thoracic kyphosis angle'),
  bodyHeight: local('VB-HEIGHT', 'Vertebral body height'),
  discHeight: local('DISC-HEIGHT', 'Intervertebral disc height'),
  discMeanAp: local('DISC-H-APMEAN', 'Disc height, mean of anterior and posterior (Dabbs)'),
  attenuation: dcm('112031', 'Attenuation Coefficient'),
};
const DERIVATION = dcm('121401', 'Derivation');
const MEAN = sct('373098007', 'Mean');
/** SCT 56851009 "Maximum" (DICOM CID 3488 Min/Max/Mean, CID 12301). */
const MAXIMUM = sct('56851009', 'Maximum');
const FINDING_SITE = sct('363698007', 'Finding Site');

/** Laterality values (SNOMED CT, DICOM CID 244 Laterality). */
export const LATERALITY = { left: sct('7771000', 'Left'), right: sct('24028007', 'Right') };
/** The finding of a screw group: SCT 68183006 "Bone Screw" (DICOM CID 7157 Device Segmentation Type; CID 7309 "Screw"). */
export const BONE_SCREW = sct('68183006', 'Bone Screw');
/**
 * The screw plan's concepts: Diameter, Length and Width are SNOMED CT (DICOM CID 7470 Linear Measurement); the
 * screw angles, the breach depth, the Gertzbein–Robbins grade and the plan version have no standard code (SNOMED
 * CT's 1483009 is the qualifier "Angular", not an observable angle; CID 7550 Angle Measurement holds only the Cobb
 * and acetabular angles) and are in the private scheme, each with the definition of `planning/contract.ts`.
 */
export const SCREW_CONCEPTS = {
  transverseAngle: local('SCREW-TRANS-ANG', 'Screw transverse angle (medial convergence)'),
  sagittalAngle: local('SCREW-SAG-ANG', 'Screw sagittal angle (cranial tilt to the endplate)'),
  diameter: sct('81827009', 'Diameter'),
  length: sct('410668003', 'Length'),
  isthmusWidth: sct('103355008', 'Width'),
  breachDepth: local('SCREW-BREACH', 'Depth of the screw surface outside the vertebra'),
  grade: local('GR-GRADE', 'Gertzbein-Robbins breach grade'),
  planVersion: local('PLAN-VERSION', 'Screw plan version'),
  comment: dcm('121106', 'Comment'),
};
/** The finding site of the isthmus width (a concept modifier of the Width). */
const PEDICLE_ISTHMUS = local('PEDICLE-ISTHMUS', 'Pedicle isthmus (narrowest cross-section)');
/** Gertzbein & Robbins, Spine 1990;15:11-14: the grade as a coded value. */
export const GR_GRADES: Record<'A' | 'B' | 'C' | 'D' | 'E', Code> = {
  A: local('GR-A', 'Grade A: no breach'),
  B: local('GR-B', 'Grade B: breach < 2 mm'),
  C: local('GR-C', 'Grade C: breach 2 to < 4 mm'),
  D: local('GR-D', 'Grade D: breach 4 to < 6 mm'),
  E: local('GR-E', 'Grade E: breach >= 6 mm'),
};
/** Namespace of the screws' tracking UIDs (UUID v5 names `<analysis id>/<level>/<side>`). */
const SCREW_TRACKING_NAMESPACE = 'e0be9f5a-d8d8-4ab7-8670-8139dbf30129';

/** The vertebra's segmented property type: CID 7603, S1 as the Sacrum, else a private "Vertebra". */
export function vertebraCode(name: string): Code {
  const v = VERTEBRA_CODES[name];
  if (v) return sct(v, `${name} vertebra`);
  if (name === 'S1') return sct('54735007', 'Sacrum');
  return local('VERTEBRA', `Vertebra (${name})`);
}

function discCode(upper: string, lower: string): Code {
  const v = DISC_CODES[`${upper}/${lower}`];
  return v ? sct(v, `${upper}/${lower} disc`) : local('DISC', `Intervertebral disc ${upper}/${lower}`);
}

/** sRGB of a vertebra segment: hues around the circle by label. */
function vertebraRgb(label: number): [number, number, number] {
  const h = ((label * 47) % 360) / 60;
  const x = 1 - Math.abs((h % 2) - 1);
  const [r, g, b] = h < 1 ? [1, x, 0] : h < 2 ? [x, 1, 0] : h < 3 ? [0, 1, x] : h < 4 ? [0, x, 1] : h < 5 ? [x, 0, 1] : [1, 0, x];
  return [r, g, b].map((c) => Math.round(80 + 175 * c)) as [number, number, number];
}

/** The source instance whose plane lies nearest `p` (along the slice normal). */
function nearestInstance(src: SourceSeries, p: Vec3): { sopClassUid: string; sopInstanceUid: string } {
  const [a, b, c, d, e, f] = src.iop as [number, number, number, number, number, number];
  const n = [b * f - c * e, c * d - a * f, a * e - b * d];
  let best = src.instances[0]!,
    bestD = Infinity;
  for (const i of src.instances) {
    const dist = Math.abs(n[0]! * (p[0] - i.ipp[0]) + n[1]! * (p[1] - i.ipp[1]) + n[2]! * (p[2] - i.ipp[2]));
    if (dist < bestD) ((bestD = dist), (best = i));
  }
  return { sopClassUid: best.sopClassUid, sopInstanceUid: best.sopInstanceUid };
}

/** The SR's measurement groups from a spine report (numbers rounded: mm and degrees to 0.01, HU to 0.1); what was not measured goes to `omitted`. */
export function spineReportGroups(report: SpineReport, src: SourceSeries, omitted: string[]): SrGroup[] {
  const groups: SrGroup[] = [];
  const centre = (name: string): Vec3 | null => {
    const v = report.vertebrae.find((x) => x.name === name);
    return v ? (v.bodyCentroidLps ?? v.centroidLps) : null;
  };
  const mid = (a: string, b: string): Vec3 => {
    const p = centre(a),
      q = centre(b);
    const pts = [p, q].filter((x): x is Vec3 => x !== null);
    if (!pts.length) return report.vertebrae[0]?.centroidLps ?? src.instances[src.instances.length >> 1]!.ipp;
    return [0, 1, 2].map((k) => pts.reduce((s, x) => s + x[k]!, 0) / pts.length) as Vec3;
  };
  const c = report.curvature;
  for (const cobb of [c.coronal, c.sagittal]) {
    if (!cobb) continue;
    groups.push({
      trackingId: `${cobb.plane === 'coronal' ? 'Coronal' : 'Sagittal'} Cobb angle ${cobb.upperEnd}-${cobb.lowerEnd}`,
      findingSite: SPINE,
      reference: nearestInstance(src, mid(cobb.upperEnd, cobb.lowerEnd)),
      measurements: [
        { concept: CONCEPTS.cobb, value: cobb.angleDeg, unit: UNIT.deg, decimals: 2, modifiers: [{ name: TOPOGRAPHICAL, value: PLANE[cobb.plane] }] },
      ],
    });
  }
  if (!c.coronal) omitted.push('coronal Cobb angle: not measured');
  if (!c.sagittal) omitted.push('sagittal Cobb angle: not measured');
  if (c.lumbarLordosisDeg !== null)
    groups.push({
      trackingId: 'Lumbar lordosis L1-S1',
      findingSite: LUMBAR_SPINE,
      reference: nearestInstance(src, mid('L1', 'S1')),
      measurements: [{ concept: CONCEPTS.lordosis, value: c.lumbarLordosisDeg, unit: UNIT.deg, decimals: 2 }],
    });
  else omitted.push('lumbar lordosis: not measured');
  if (c.thoracicKyphosisDeg !== null) {
    const [a, b] = (c.thoracicKyphosisLevels ?? 'T4-T12').split(/[-–]/);
    groups.push({
      trackingId: `Thoracic kyphosis ${c.thoracicKyphosisLevels ?? ''}`.trim(),
      findingSite: THORACIC_SPINE,
      reference: nearestInstance(src, mid(a ?? 'T4', b ?? 'T12')),
      measurements: [{ concept: CONCEPTS.kyphosis, value: c.thoracicKyphosisDeg, unit: UNIT.deg, decimals: 2 }],
    });
  } else omitted.push('thoracic kyphosis: not measured');
  for (const v of report.vertebrae) {
    const ms: SrNumeric[] = [];
    for (const pos of ['anterior', 'middle', 'posterior'] as const) {
      const h = v.heightsMm[pos];
      if (h !== null)
        ms.push({ concept: CONCEPTS.bodyHeight, value: h, unit: UNIT.mm, decimals: 2, modifiers: [{ name: TOPOGRAPHICAL, value: POSITION[pos] }] });
      else omitted.push(`${v.name} ${pos} body height: not measured`);
    }
    if (v.sphereHu)
      ms.push({ concept: CONCEPTS.attenuation, value: v.sphereHu.mean, unit: UNIT.hu, decimals: 1, modifiers: [{ name: DERIVATION, value: MEAN }] });
    else omitted.push(`${v.name} trabecular HU: not measured`);
    if (ms.length)
      groups.push({
        trackingId: `${v.name} vertebral body`,
        findingSite: vertebraCode(v.name),
        reference: nearestInstance(src, v.bodyCentroidLps ?? v.centroidLps),
        measurements: ms,
      });
  }
  for (const d of report.discs) {
    const ms: SrNumeric[] = [];
    for (const pos of ['anterior', 'middle', 'posterior'] as const) {
      const h = d.heightsMm[pos];
      if (h !== null)
        ms.push({ concept: CONCEPTS.discHeight, value: h, unit: UNIT.mm, decimals: 2, modifiers: [{ name: TOPOGRAPHICAL, value: POSITION[pos] }] });
    }
    if (d.meanApMm !== null) ms.push({ concept: CONCEPTS.discMeanAp, value: d.meanApMm, unit: UNIT.mm, decimals: 2 });
    if (ms.length)
      groups.push({
        trackingId: `${d.upper}/${d.lower} disc`,
        findingSite: discCode(d.upper, d.lower),
        reference: nearestInstance(src, d.centreLps),
        measurements: ms,
      });
    else omitted.push(`${d.upper}/${d.lower} disc heights: not measured`);
  }
  return groups;
}

/**
 * The source reference of a DICOM series: from its folder while it holds the series, else from the store (migration
 * 0018: recorded at the import).
 * @throws AppError NOT_FOUND when the folder is gone (or no longer holds the series) and the store has no reference
 *   (a series imported before 0018), BAD_REQUEST from `readSourceSeries`
 */
export function sourceOfSeries(
  store: TwinStore,
  seriesId: string,
  sourcePath: string,
  seriesInstanceUid: string,
): { src: SourceSeries; from: 'folder' | 'store' } {
  try {
    return { src: readSourceSeries(sourcePath, seriesInstanceUid), from: 'folder' };
  } catch (e) {
    if (!(e instanceof AppError) || e.code !== 'NOT_FOUND') throw e;
    const stored = getDicomSource(store, seriesId);
    if (!stored) throw e;
    return { src: stored, from: 'store' };
  }
}

/**
 * A screw's Tracking Unique Identifier: `2.25.<UUID>` (PS3.5 B.2), the UUID a version 5 (SHA-1) of the analysis id,
 * level and side, so the same screw keeps its UID across plan versions and reports of one spine analysis.
 */
export function screwTrackingUid(analysisId: string, level: string, side: 'left' | 'right'): string {
  const ns = Buffer.from(SCREW_TRACKING_NAMESPACE.replace(/-/g, ''), 'hex');
  const h = crypto.createHash('sha1').update(ns).update(`${analysisId}/${level}/${side}`).digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  return `2.25.${BigInt('0x' + h.toString('hex')).toString()}`;
}

/**
 * The SR's measurement groups of a screw plan (TID 1501 per screw, after the spine report's): tracking identifier
 * "L3 left pedicle screw" and a stable tracking UID, finding SCT "Bone Screw", finding site the vertebra (CID 7603)
 * with its laterality (CID 244), and the numbers of `planning/contract.ts` ScrewTrajectory — transverse and sagittal
 * angles (deg, to 0.01), diameter, length, the isthmus width and the deepest breach (mm, to 0.01); the trajectory
 * (entry → target, LPS mm = patient coordinates of `src`'s Frame of Reference) as a SCOORD3D POLYLINE the Length is
 * inferred from; the Gertzbein–Robbins grade as a code; the plan version and note as text. What a screw lacks (a
 * hand-drawn trajectory has no isthmus) goes to `omitted`.
 */
export function screwPlanGroups(plan: ScrewPlan, src: SourceSeries, omitted: string[]): SrGroup[] {
  const groups: SrGroup[] = [];
  for (const s of plan.screws) {
    const trackingId = `${s.level} ${s.side} pedicle screw`;
    const trajectory = {
      graphicType: 'POLYLINE' as const,
      points: [[...s.entryLps], [...s.targetLps]] as [number, number, number][],
      frameOfReferenceUid: src.frameOfReferenceUid,
    };
    const ms: SrNumeric[] = [
      { concept: SCREW_CONCEPTS.transverseAngle, value: s.transverseAngleDeg, unit: UNIT.deg, decimals: 2 },
      { concept: SCREW_CONCEPTS.sagittalAngle, value: s.sagittalAngleDeg, unit: UNIT.deg, decimals: 2 },
      { concept: SCREW_CONCEPTS.diameter, value: s.diameterMm, unit: UNIT.mm, decimals: 2 },
      { concept: SCREW_CONCEPTS.length, value: s.lengthMm, unit: UNIT.mm, decimals: 2, scoord3d: trajectory },
    ];
    if (s.isthmus)
      ms.push({
        concept: SCREW_CONCEPTS.isthmusWidth,
        value: s.isthmus.widthMm,
        unit: UNIT.mm,
        decimals: 2,
        modifiers: [{ name: FINDING_SITE, value: PEDICLE_ISTHMUS }],
      });
    else omitted.push(`${trackingId} pedicle isthmus width: the trajectory was placed by hand, no isthmus measured`);
    ms.push({
      concept: SCREW_CONCEPTS.breachDepth,
      value: s.breach.worstBreachMm,
      unit: UNIT.mm,
      decimals: 2,
      modifiers: [{ name: DERIVATION, value: MAXIMUM }],
    });
    const note = [plan.note.trim(), s.edited ? 'trajectory edited by the surgeon' : 'trajectory as proposed', `algorithm ${plan.algorithmVersion}`]
      .filter(Boolean)
      .join('; ');
    groups.push({
      trackingId,
      trackingUid: screwTrackingUid(plan.analysisId, s.level, s.side),
      finding: BONE_SCREW,
      findingSite: vertebraCode(s.level),
      laterality: LATERALITY[s.side],
      reference: nearestInstance(src, [0, 1, 2].map((k) => (s.entryLps[k]! + s.targetLps[k]!) / 2) as Vec3),
      measurements: ms,
      codes: [{ concept: SCREW_CONCEPTS.grade, value: GR_GRADES[s.breach.grade] }],
      texts: [
        { concept: SCREW_CONCEPTS.planVersion, value: String(plan.version) },
        { concept: SCREW_CONCEPTS.comment, value: note },
      ],
    });
  }
  return groups;
}

/**
 * Writes the twin's SEG or SR (see the file comment).
 * @throws AppError NOT_FOUND (twin; its source folder gone and no source reference in the store), BAD_REQUEST (the series is not DICOM, no spine analysis
 *   for an SR, a label volume off the source grid, the file exists)
 */
export async function exportTwinDicom(store: TwinStore, actor: string, twinId: string, request: ExportDicomRequest): Promise<ExportDicomResult> {
  const req = ExportDicomRequest.parse(request);
  const t0 = performance.now();
  const twin = getTwin(store, twinId);
  const series = getSeriesSource(store, twin.seriesId);
  if (series.format !== 'dicom')
    throw new AppError(
      'BAD_REQUEST',
      `twin ${twinId} was built from a ${series.format} file, not DICOM: a ${req.kind.toUpperCase()} must reference DICOM source images`,
    );
  const { src, from: sourceReference } = sourceOfSeries(store, twin.seriesId, series.sourcePath, series.seriesInstanceUid);
  const tSource = performance.now();
  const analysis = listSpineAnalyses(store, twinId)[0] ?? null;
  const omitted: string[] = [];
  const software = softwareName();
  const common = { manufacturer: 'OrthoTwin', modelName: 'OrthoTwin', softwareVersions: software };
  let bytes: Buffer;
  let sopInstanceUid: string, seriesInstanceUid: string;
  let segments: ExportDicomResult['segments'] = [];
  let surfaces: ExportDicomResult['surfaces'] = [];
  let groups = 0,
    measurements = 0;
  let plan: ScrewPlan | null = null;
  if (req.kind === 'seg') {
    const inputs: SegmentInput[] = [];
    const algorithmName = `${software} spine analysis`;
    if (analysis) {
      const a = analysis.artefacts.find((x) => x.kind === 'vertebra-labels');
      if (!a) omitted.push('vertebra labels: the spine analysis has no label map');
      else {
        const labels = decodeNrrd(await store.readFile(getArtefactPath(store, a.id).abs), 'vertebra-labels');
        for (const v of analysis.report.vertebrae)
          inputs.push({
            label: v.name,
            description: `${v.name} vertebra (label ${v.label} of the label map)${v.partial ? ', partly in view' : ''}`,
            category: ANATOMICAL_STRUCTURE,
            type: vertebraCode(v.name),
            algorithmType: analysis.version > 1 ? 'SEMIAUTOMATIC' : 'AUTOMATIC',
            algorithmName,
            rgb: vertebraRgb(v.label),
            volume: labels,
            value: v.label,
          });
      }
    } else omitted.push('vertebra labels: the twin has no spine analysis (run twin spine or Spine → Analyse)');
    const mask = async (kind: 'bone-mask' | 'skin-mask'): Promise<Volume | null> => {
      const a = twin.artefacts.find((x) => x.kind === kind && x.format === 'nrrd');
      if (!a) {
        omitted.push(`${kind}: the twin has none`);
        return null;
      }
      return decodeNrrd(await store.readFile(getArtefactPath(store, a.id).abs), kind);
    };
    const bone = await mask('bone-mask');
    if (bone)
      inputs.push({
        label: 'Bone',
        description: 'Bone (twin build, cortical and trabecular thresholds)',
        category: TISSUE,
        type: sct('3138006', 'Bone'),
        algorithmType: 'AUTOMATIC',
        algorithmName: `${software} twin build`,
        rgb: [227, 218, 201],
        volume: bone,
        value: 1,
      });
    const skin = await mask('skin-mask');
    if (skin)
      inputs.push({
        label: 'Body',
        description: 'Body inside the skin surface (twin build skin mask, filled)',
        category: ANATOMICAL_STRUCTURE,
        type: sct('38266002', 'Entire body'),
        algorithmType: 'AUTOMATIC',
        algorithmName: `${software} twin build`,
        rgb: [224, 172, 138],
        volume: skin,
        value: 1,
      });
    const r = encodeSegmentation(src, inputs, {
      ...common,
      seriesNumber: 901,
      seriesDescription: `OrthoTwin segmentation (twin v${twin.version}${analysis ? `, spine analysis v${analysis.version}` : ''})`,
      contentLabel: 'ORTHOTWIN_SEG',
      contentDescription: 'Vertebra labels, bone and body of the OrthoTwin twin',
      privateScheme: PRIVATE_SCHEME,
    });
    bytes = r.bytes;
    sopInstanceUid = r.sopInstanceUid;
    seriesInstanceUid = r.seriesInstanceUid;
    segments = r.perSegment.map((p, i) => ({ ...p, type: inputs[i]!.type }));
    for (const p of r.perSegment) if (p.frames === 0) omitted.push(`${p.label}: no voxel on the source slices`);
  } else if (req.kind === 'surface') {
    const inputs: SurfaceInput[] = [];
    for (const [kind, label, type, category, rgb, opacity] of [
      ['bone-mesh', 'Bone', sct('3138006', 'Bone'), TISSUE, [227, 218, 201], 1],
      ['skin-mesh', 'Body', sct('38266002', 'Entire body'), ANATOMICAL_STRUCTURE, [224, 172, 138], 0.5],
    ] as const) {
      const a = twin.artefacts.find((x) => x.kind === kind && x.format === 'vtp');
      if (!a) {
        omitted.push(`${kind}: the twin has none`);
        continue;
      }
      const mesh = decodeVtp(await store.readFile(getArtefactPath(store, a.id).abs));
      const check = analysePrintability(mesh, { wallSamples: 0 });
      inputs.push({
        label,
        description: `${label === 'Bone' ? 'Bone' : 'Skin'} surface of the twin (${kind}, LPS mm)`,
        category,
        type,
        rgb: [...rgb],
        opacity,
        mesh,
        finiteVolume: check.closed ? 'YES' : 'NO',
        manifold: check.manifold ? 'YES' : 'NO',
        algorithm: {
          family: local('SURFACE-NETS', 'Surface Nets isosurface, Taubin smoothing'),
          name: `${software} twin build`,
          version: twin.algorithmVersion,
        },
      });
    }
    const r = encodeSurfaceSegmentation(src, inputs, {
      ...common,
      seriesNumber: 903,
      seriesDescription: `OrthoTwin surfaces (twin v${twin.version})`,
      contentLabel: 'ORTHOTWIN_SURF',
      contentDescription: 'Bone and skin surfaces of the OrthoTwin twin',
      privateScheme: PRIVATE_SCHEME,
    });
    bytes = r.bytes;
    sopInstanceUid = r.sopInstanceUid;
    seriesInstanceUid = r.seriesInstanceUid;
    surfaces = inputs.map((x) => ({
      label: x.label,
      points: x.mesh.points.length / 3,
      triangles: x.mesh.triangles.length / 3,
      finiteVolume: x.finiteVolume,
      manifold: x.manifold,
    }));
  } else {
    if (!analysis) throw new AppError('BAD_REQUEST', `twin ${twinId} has no spine analysis: nothing to report (run twin spine or Spine → Analyse)`);
    const g = spineReportGroups(analysis.report, src, omitted);
    // the newest screw plan of the newest spine analysis (plans of older analyses are not reported)
    const plans = listPlans(store, twinId);
    plan = plans.find((p) => p.analysisId === analysis.id) ?? null;
    if (plan) g.push(...screwPlanGroups(plan, src, omitted));
    else
      omitted.push(
        plans.length
          ? `screw plan: spine analysis v${analysis.version} has none (the twin's plans are of older analyses)`
          : 'screw plan: the twin has none (twin screws, or planning.proposeScrews on its spine analysis)',
      );
    const r = encodeMeasurementReport(src, g, {
      ...common,
      seriesNumber: 902,
      seriesDescription: plan
        ? `OrthoTwin spine and screws (twin v${twin.version}, analysis v${analysis.version}, plan v${plan.version})`
        : `OrthoTwin spine measurements (twin v${twin.version}, spine analysis v${analysis.version})`,
      deviceObserverUid: `${IMPLEMENTATION_CLASS_UID}.1`,
      deviceObserverName: software,
      privateScheme: PRIVATE_SCHEME,
    });
    bytes = r.bytes;
    sopInstanceUid = r.sopInstanceUid;
    seriesInstanceUid = r.seriesInstanceUid;
    groups = r.groups;
    measurements = r.measurements;
  }
  const tEncode = performance.now();
  const file = exportPath(store.dataDir, twin.id, req.kind, 'dcm', req.out);
  const sha256 = await writeNewExport(file, bytes);
  store.audit(actor, 'export', 'twin', twinId, {
    format: req.kind,
    sopInstanceUid,
    bytes: bytes.length,
    sha256,
    analysisId: analysis?.id ?? null,
    screwPlanId: plan?.id ?? null,
  });
  return {
    path: file,
    kind: req.kind,
    bytes: bytes.length,
    sha256,
    sopClassUid: req.kind === 'seg' ? SEG_SOP_CLASS_UID : req.kind === 'surface' ? SURFACE_SEG_SOP_CLASS_UID : COMPREHENSIVE_3D_SR_SOP_CLASS_UID,
    sopInstanceUid,
    seriesInstanceUid,
    studyInstanceUid: src.studyInstanceUid,
    referencedSeriesInstanceUid: src.seriesInstanceUid,
    frameOfReferenceUid: src.frameOfReferenceUid,
    sourceInstances: src.instances.length,
    sourceReference,
    analysisId: analysis?.id ?? null,
    segments,
    surfaces,
    groups,
    measurements,
    screwPlan: plan ? { id: plan.id, version: plan.version, screws: plan.screws.length } : null,
    omitted,
    timingsMs: {
      readSource: Math.round(tSource - t0),
      encode: Math.round(tEncode - tSource),
      write: Math.round(performance.now() - tEncode),
      total: Math.round(performance.now() - t0),
    },
  };
}

/** Reads a SEG, Surface Segmentation or SR back with dcmjs: the SEG's segments (frames, voxels), the surfaces, the SR's measurements as a table and its screw groups (trajectory LPS mm, numbers, grade, plan version). */
export function readDicomObject(file: string): ReadDicomResult {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new AppError('NOT_FOUND', `${abs}: no such file`);
  const buf = fs.readFileSync(abs);
  let sopClass: string;
  try {
    // the SOP class decides which reader applies
    sopClass = decodeHeadClass(buf);
  } catch (e) {
    throw new AppError('BAD_REQUEST', `${abs}: not a DICOM file (${e instanceof Error ? e.message : String(e)})`);
  }
  if (sopClass === SEG_SOP_CLASS_UID) {
    const s = decodeSegmentation(buf);
    return {
      path: abs,
      kind: 'seg',
      sopClassUid: sopClass,
      sopInstanceUid: s.sopInstanceUid,
      studyInstanceUid: s.studyInstanceUid,
      referencedSeriesInstanceUid: s.referencedSeriesUid,
      segments: s.segments.map((x) => {
        const fr = s.frames.filter((f) => f.segment === x.number);
        return {
          number: x.number,
          label: x.label,
          category: x.category,
          type: x.type,
          algorithmType: x.algorithmType,
          frames: fr.length,
          voxels: fr.reduce((a, f) => a + f.pixels.reduce((b, p) => b + p, 0), 0),
        };
      }),
      surfaces: [],
      observer: null,
      template: '',
      screws: [],
      measurements: [],
    };
  }
  if (sopClass === SURFACE_SEG_SOP_CLASS_UID) {
    const s = decodeSurfaceSegmentation(buf);
    return {
      path: abs,
      kind: 'surface',
      sopClassUid: sopClass,
      sopInstanceUid: s.sopInstanceUid,
      studyInstanceUid: s.studyInstanceUid,
      referencedSeriesInstanceUid: s.referencedSeriesUid,
      segments: [],
      surfaces: s.surfaces.map((x) => ({
        label: x.label,
        points: x.mesh.points.length / 3,
        triangles: x.mesh.triangles.length / 3,
        finiteVolume: x.finiteVolume,
        manifold: x.manifold,
      })),
      observer: null,
      template: '',
      screws: [],
      measurements: [],
    };
  }
  if (sopClass.startsWith('1.2.840.10008.5.1.4.1.1.88.')) {
    const r = decodeMeasurementReport(buf);
    return {
      path: abs,
      kind: 'sr',
      sopClassUid: sopClass,
      sopInstanceUid: r.sopInstanceUid,
      studyInstanceUid: r.studyInstanceUid,
      referencedSeriesInstanceUid: r.evidenceSeries[0] ?? '',
      segments: [],
      surfaces: [],
      observer: r.observer,
      template: r.template,
      screws: r.groups.filter(isScrewGroup).map(screwOfGroup),
      measurements: r.rows.map((x) => ({
        group: x.trackingId,
        findingSite: x.findingSite,
        concept: x.concept,
        modifiers: x.modifiers,
        value: x.value,
        unit: x.unit,
      })),
    };
  }
  throw new AppError('BAD_REQUEST', `${abs}: SOP class ${sopClass || '(none)'} is neither a Segmentation nor a structured report`);
}

const sameCode = (a: Code | null, b: Code): boolean => a?.CodeValue === b.CodeValue && a.CodingSchemeDesignator === b.CodingSchemeDesignator;
const isScrewGroup = (g: SrGroupRead): boolean => sameCode(g.finding, BONE_SCREW);

/** A screw group read back (see `screwPlanGroups`): its numbers by concept, the SCOORD3D trajectory, the grade and texts. */
function screwOfGroup(g: SrGroupRead): ReadDicomResult['screws'][number] {
  const num = (c: Code): number | null => g.numbers.find((n) => sameCode(n.concept, c))?.value ?? null;
  const text = (c: Code): string => g.texts.find((t) => sameCode(t.concept, c))?.value ?? '';
  const line = g.scoords.find((x) => x.graphicType === 'POLYLINE' && x.points.length === 2) ?? null;
  const grade = g.codes.find((c) => sameCode(c.concept, SCREW_CONCEPTS.grade))?.value ?? null;
  return {
    group: g.trackingId,
    trackingUid: g.trackingUid,
    findingSite: g.findingSite,
    laterality: g.laterality?.CodeMeaning ?? '',
    entryLps: line ? line.points[0]! : null,
    targetLps: line ? line.points[1]! : null,
    frameOfReferenceUid: line?.frameOfReferenceUid ?? '',
    transverseAngleDeg: num(SCREW_CONCEPTS.transverseAngle),
    sagittalAngleDeg: num(SCREW_CONCEPTS.sagittalAngle),
    diameterMm: num(SCREW_CONCEPTS.diameter),
    lengthMm: num(SCREW_CONCEPTS.length),
    isthmusWidthMm: num(SCREW_CONCEPTS.isthmusWidth),
    breachDepthMm: num(SCREW_CONCEPTS.breachDepth),
    grade: grade ? (Object.entries(GR_GRADES).find(([, c]) => sameCode(grade, c))?.[0] ?? grade.CodeMeaning) : '',
    planVersion: text(SCREW_CONCEPTS.planVersion),
    comment: text(SCREW_CONCEPTS.comment),
  };
}

function decodeHeadClass(buf: Buffer): string {
  // the file meta group's Media Storage SOP Class UID (0002,0002), read without parsing the data set
  if (buf.length < 132 || buf.toString('latin1', 128, 132) !== 'DICM') throw new Error('no DICM preamble');
  let off = 132;
  while (off + 8 <= buf.length) {
    const group = buf.readUInt16LE(off),
      element = buf.readUInt16LE(off + 2);
    if (group !== 2) break;
    const vr = buf.toString('latin1', off + 4, off + 6);
    const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr);
    const len = long ? buf.readUInt32LE(off + 8) : buf.readUInt16LE(off + 6);
    const start = off + (long ? 12 : 8);
    if (element === 2)
      return buf
        .toString('latin1', start, start + len)
        .replace(/\0/g, '')
        .trim();
    off = start + len;
  }
  throw new Error('no Media Storage SOP Class UID');
}
