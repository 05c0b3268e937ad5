/**
 * Spine characterisation of the MS-DT anatomical district (the whole column
 * in a CT): vertebra segmentation and labels, per-level measurements, discs
 * and curvature, with the surgeon's corrections (renamed levels, moved body
 * centroids) applied on top of the automatic result. Pure: typed arrays in,
 * a report and a label map out.
 */
import { type Vec3, type Volume, type VolumeGeometry } from '../volume.js';
import { onVolumeFace } from '../registration/skin.js';
import { blockLabelsToSource, canonicalBlockMajority, workingCt } from './grid.js';
import type { SpineReport } from '../../contract/spine.js';
import { relabelRefusal } from '../../contract/spineLabels.js';
import type { TriangleMesh } from '../surface.js';
import { curvature, measureVertebrae } from './measure.js';
import { intervertebralSpaces, nearestSkin } from './surfaces.js';
import { METHOD_TEXT, REFERENCE_TEXT, spinopelvicParameters, VALIDATION_TEXT } from './pelvis.js';
import { DEFAULT_SPINE_SEG, labelOfName, segmentVertebrae, trimPartialVolume, VERTEBRA_NAMES, GENERIC_LABEL_BASE, type SpineSegParams } from './segment.js';

export const SPINE_ALGORITHM = 'orthotwin.spine';
export const SPINE_ALGORITHM_VERSION = '0.3.0';

export interface SpineCorrections {
  /** Automatic name → corrected name. */
  names?: Record<string, string>;
  /** Corrected name → body centroid (LPS mm) placed by the surgeon. */
  centroids?: Record<string, Vec3>;
}

export interface SpineOptions {
  workingResolutionMm: number;
  smoothingMm: number;
  segmentation: SpineSegParams;
  corrections: SpineCorrections;
  /** Skin mesh vertices (LPS mm, xyz interleaved) for the landmark-to-skin distances. */
  skinPoints: Float32Array | null;
  /** Mesh the intervertebral spaces (default true). */
  discSpaces: boolean;
}

export const DEFAULT_SPINE_OPTIONS: SpineOptions = {
  workingResolutionMm: 3,
  smoothingMm: 2,
  segmentation: DEFAULT_SPINE_SEG,
  corrections: {},
  skinPoints: null,
  discSpaces: true,
};

export type { SpineReport } from '../../contract/spine.js';

export interface SpineResult {
  report: SpineReport;
  /** Vertebra label map on the source CT grid (values: labelOfName). */
  labelMap: Uint8Array;
  /** Label value → vertebra name (for the NRRD key/value pairs). */
  labelNames: Record<number, string>;
  /** Intervertebral spaces (LPS mm) with the disc index (order of report.discs) per vertex. */
  discSpaces: { mesh: TriangleMesh; discIndex: Float32Array } | null;
}

export function nameOfLabel(label: number): string {
  return label >= GENERIC_LABEL_BASE ? `V${label - GENERIC_LABEL_BASE}` : (VERTEBRA_NAMES[label - 1] ?? `label ${label}`);
}

/**
 * The skin vertices that are real skin: a body cut by the edge of the field of
 * view is closed there by the mesh, and those cap vertices (within a voxel of
 * the volume's faces) are no skin to measure a depth to.
 */
function skinWithoutCaps(points: Float32Array, g: VolumeGeometry): Float32Array {
  const out = new Float32Array(points.length);
  let n = 0;
  for (let v = 0; v < points.length; v += 3) {
    if (onVolumeFace(g, points[v]!, points[v + 1]!, points[v + 2]!)) continue;
    out.set(points.subarray(v, v + 3), n);
    n += 3;
  }
  return out.subarray(0, n);
}

/**
 * Runs the spine characterisation.
 * @param ct CT volume in HU (any axis-aligned orientation; LPS mm geometry)
 * @param bone optional bone mask on the CT grid (from the anatomical twin)
 * @throws Error when no vertebral column is found in the volume
 */
export function characteriseSpine(ct: Volume, bone: Uint8Array | null, o: Partial<SpineOptions> = {}): SpineResult {
  const opt = { ...DEFAULT_SPINE_OPTIONS, ...o };
  const t: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (k: string) => {
    const now = performance.now();
    t[k] = Math.round(now - t0);
    t0 = now;
  };
  const w = workingCt(ct, opt.workingResolutionMm, opt.smoothingMm);
  const boneW = bone ? canonicalBlockMajority(bone, ct, w.map, w.factors) : null;
  lap('working grid');
  const seg = segmentVertebrae(w.work, boneW, opt.segmentation);
  lap('segmentation');
  const rename = opt.corrections.names ?? {};
  const levels = seg.levels.map((L) => {
    const name = rename[L.name] ?? L.name;
    return { name, label: labelOfName(name), partial: L.partial, below: L.below, above: L.above, auto: L.name, autoLabel: L.label };
  });
  // a relabel never gives two vertebrae the same name (the service refuses it first; this guards the first analysis)
  const refusal = relabelRefusal(
    levels.map((L) => L.auto),
    rename,
  );
  if (refusal) throw new Error(refusal);
  // apply renames to the label map
  const relabel = new Map(levels.map((L) => [L.autoLabel, L.label]));
  for (let v = 0; v < seg.labels.length; v++) if (seg.labels[v]) seg.labels[v] = relabel.get(seg.labels[v]!) ?? seg.labels[v]!;
  const centroidOverride = new Map(Object.entries(opt.corrections.centroids ?? {}));
  const { vertebrae, discs, frames } = measureVertebrae(ct, seg.labels, w.work, levels, seg.centreline, opt.segmentation.bodySeedPosteriorMm, centroidOverride);
  const skin = opt.skinPoints ? skinWithoutCaps(opt.skinPoints, ct) : null;
  if (skin && skin.length)
    for (const v of vertebrae)
      for (const lm of [v.landmarks.spinousTip, v.landmarks.leftTransverseTip, v.landmarks.rightTransverseTip]) {
        const near = lm ? nearestSkin(lm.pointLps, skin) : null;
        if (lm && near) Object.assign(lm, near);
      }
  lap('measurements');
  let discSpaces: SpineResult['discSpaces'] = null;
  if (opt.discSpaces) {
    const sp = intervertebralSpaces(seg.labels, w.work, vertebrae, discs, frames);
    sp.volumesMl.forEach((ml, i) => (discs[i]!.spaceVolumeMl = ml));
    if (sp.mesh) discSpaces = { mesh: sp.mesh, discIndex: sp.discIndex };
    lap('intervertebral spaces');
  }
  const curv = curvature(vertebrae, seg.centreline);
  lap('curvature');
  const labelMap = blockLabelsToSource(seg.labels, ct, w.map, w.factors);
  trimPartialVolume(labelMap, ct, opt.segmentation.boneHu);
  lap('label map');
  // a failure here leaves the rest of the characterisation standing: the parameters say why they are missing
  let spinopelvic: SpineReport['spinopelvic'];
  try {
    spinopelvic = spinopelvicParameters(ct, w.work, labelMap, vertebrae, labelOfName);
  } catch (e) {
    const reason = `not measurable: ${e instanceof Error ? e.message : String(e)}`;
    spinopelvic = {
      pelvic: { measurable: false, reason },
      sva: { measurable: false, reason },
      s1Endplate: null,
      frame: { anterior: [0, -1, 0], superior: [0, 0, 1] },
      reference: REFERENCE_TEXT,
      method: METHOD_TEXT,
      validation: VALIDATION_TEXT,
    };
  }
  lap('spinopelvic');
  const labelNames: Record<number, string> = {};
  for (const L of levels) labelNames[L.label] = L.name;
  return {
    report: {
      algorithm: SPINE_ALGORITHM,
      version: SPINE_ALGORITHM_VERSION,
      vertebrae,
      discs,
      curvature: curv,
      sacrumFound: seg.sacrumFound,
      automaticNames: levels.map((L) => L.auto),
      warnings: seg.warnings,
      surfaceGreyDepthMm: null,
      timingsMs: t,
      spinopelvic,
    },
    labelMap,
    labelNames,
    discSpaces,
  };
}

/** A spine feature for the twin store: name, vertebral level or disc (null for the whole column), value, unit. */
export interface SpineFeatureValue {
  name: string;
  level: string | null;
  value: number;
  unit: string;
}

/**
 * The report's measurements as twin features, level by level, so that
 * follow-up visits can be compared (names `spine.*`; units mm, mL, HU, deg, 1;
 * the spinopelvic parameters only where measurable).
 * Values that could not be measured are left out.
 */
export function spineFeatureValues(r: SpineReport): SpineFeatureValue[] {
  const out: SpineFeatureValue[] = [];
  const add = (name: string, level: string | null, value: number | null | undefined, unit: string) => {
    if (value !== null && value !== undefined && Number.isFinite(value)) out.push({ name: `spine.${name}`, level, value, unit });
  };
  for (const v of r.vertebrae) {
    add('vertebral_body_volume', v.name, v.bodyVolumeMl, 'mL');
    add('vertebral_body_height_anterior', v.name, v.heightsMm.anterior, 'mm');
    add('vertebral_body_height_middle', v.name, v.heightsMm.middle, 'mm');
    add('vertebral_body_height_posterior', v.name, v.heightsMm.posterior, 'mm');
    add('genant_height_reduction', v.name, v.genant.reduction, '1');
    add('genant_grade', v.name, v.genant.grade, '1');
    add('trabecular_hu_mean', v.name, v.sphereHu?.mean, 'HU');
    add('trabecular_hu_median', v.name, v.sphereHu?.median, 'HU');
    add('spinous_tip_skin_distance', v.name, v.landmarks.spinousTip?.skinDistanceMm, 'mm');
    add('left_transverse_tip_skin_distance', v.name, v.landmarks.leftTransverseTip?.skinDistanceMm, 'mm');
    add('right_transverse_tip_skin_distance', v.name, v.landmarks.rightTransverseTip?.skinDistanceMm, 'mm');
  }
  for (const d of r.discs) {
    const level = `${d.upper}-${d.lower}`;
    add('disc_height_anterior', level, d.heightsMm.anterior, 'mm');
    add('disc_height_middle', level, d.heightsMm.middle, 'mm');
    add('disc_height_posterior', level, d.heightsMm.posterior, 'mm');
    add('disc_height_mean_ap', level, d.meanApMm, 'mm');
    add('intervertebral_space_volume', level, d.spaceVolumeMl, 'mL');
  }
  const c = r.curvature;
  add('cobb_coronal', c.coronal ? `${c.coronal.upperEnd}-${c.coronal.lowerEnd}` : null, c.coronal?.angleDeg, 'deg');
  add('cobb_sagittal', c.sagittal ? `${c.sagittal.upperEnd}-${c.sagittal.lowerEnd}` : null, c.sagittal?.angleDeg, 'deg');
  add('cobb_max_plane', c.maxPlane ? `${c.maxPlane.upperEnd}-${c.maxPlane.lowerEnd}` : null, c.maxPlane?.angleDeg, 'deg');
  add('lumbar_lordosis', 'L1-S1', c.lumbarLordosisDeg, 'deg');
  add('thoracic_kyphosis', c.thoracicKyphosisLevels, c.thoracicKyphosisDeg, 'deg');
  const sp = r.spinopelvic;
  if (sp?.pelvic.measurable) {
    add('pelvic_incidence', null, sp.pelvic.pelvicIncidenceDeg, 'deg');
    add('pelvic_tilt', null, sp.pelvic.pelvicTiltDeg, 'deg');
    add('sacral_slope', 'S1', sp.pelvic.sacralSlopeDeg, 'deg');
  }
  if (sp?.sva.measurable) add('sagittal_vertical_axis', 'C7-S1', sp.sva.svaMm, 'mm');
  return out;
}
