/**
 * Spine characterisation of the MS-DT anatomical district (the whole column
 * in a CT): vertebra segmentation and labels, per-level measurements, discs
 * and curvature, with the surgeon's corrections (renamed levels, moved body
 * centroids) applied on top of the automatic result. Pure: typed arrays in,
 * a report and a label map out.
 */
import { downsampleAny, upsampleBlocks } from '../multires.js';
import type { Vec3, Volume } from '../volume.js';
import { fromCanonical, toCanonical, workingCt } from './grid.js';
import { curvature, measureVertebrae, type Curvature, type DiscMeasurement, type VertebraMeasurement } from './measure.js';
import { DEFAULT_SPINE_SEG, labelOfName, segmentVertebrae, VERTEBRA_NAMES, GENERIC_LABEL_BASE, type SpineSegParams } from './segment.js';

export const SPINE_ALGORITHM = 'orthotwin.spine';
export const SPINE_ALGORITHM_VERSION = '0.1.0';

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
}

export const DEFAULT_SPINE_OPTIONS: SpineOptions = { workingResolutionMm: 1.5, smoothingMm: 2, segmentation: DEFAULT_SPINE_SEG, corrections: {} };

export interface SpineReport {
  algorithm: string;
  version: string;
  vertebrae: VertebraMeasurement[];
  discs: DiscMeasurement[];
  curvature: Curvature;
  sacrumFound: boolean;
  /** Automatic names before corrections (same order as vertebrae). */
  automaticNames: string[];
  warnings: string[];
  timingsMs: Record<string, number>;
}

export interface SpineResult {
  report: SpineReport;
  /** Vertebra label map on the source CT grid (values: labelOfName). */
  labelMap: Uint8Array;
  /** Label value → vertebra name (for the NRRD key/value pairs). */
  labelNames: Record<number, string>;
}

export function nameOfLabel(label: number): string {
  return label >= GENERIC_LABEL_BASE ? `V${label - GENERIC_LABEL_BASE}` : (VERTEBRA_NAMES[label - 1] ?? `label ${label}`);
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
  let boneW: Uint8Array | null = null;
  if (bone) {
    const bc = toCanonical({ ...ct, data: bone }, w.map).data;
    const b8 = new Uint8Array(bc.length);
    for (let v = 0; v < bc.length; v++) b8[v] = bc[v] ? 1 : 0;
    boneW = w.factors.every((f) => f === 1) ? b8 : downsampleAny(b8, w.canonical, w.factors);
  }
  lap('working grid');
  const seg = segmentVertebrae(w.work, boneW, opt.segmentation);
  lap('segmentation');
  const rename = opt.corrections.names ?? {};
  const levels = seg.levels.map((L) => {
    const name = rename[L.name] ?? L.name;
    return { name, label: labelOfName(name), partial: L.partial, below: L.below, above: L.above, auto: L.name, autoLabel: L.label };
  });
  // apply renames to the label map
  const relabel = new Map(levels.map((L) => [L.autoLabel, L.label]));
  for (let v = 0; v < seg.labels.length; v++) if (seg.labels[v]) seg.labels[v] = relabel.get(seg.labels[v]!) ?? seg.labels[v]!;
  const centroidOverride = new Map(Object.entries(opt.corrections.centroids ?? {}));
  const { vertebrae, discs } = measureVertebrae(
    w.canonical,
    seg.labels,
    w.work,
    levels,
    seg.centreline,
    opt.segmentation.bodySeedPosteriorMm,
    centroidOverride,
  );
  lap('measurements');
  const curv = curvature(vertebrae, seg.centreline);
  lap('curvature');
  const full = w.factors.every((f) => f === 1) ? seg.labels : upsampleBlocks(seg.labels, w.canonical, w.factors);
  const labelMap = fromCanonical(full, ct, w.map);
  lap('label map');
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
      timingsMs: t,
    },
    labelMap,
    labelNames,
  };
}
