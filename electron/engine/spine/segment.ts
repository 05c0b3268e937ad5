/**
 * Vertebra segmentation and labelling from CT without a trained model
 * (algorithms.md §5.5): bone candidate mask → column of vertebral bodies
 * tracked slice by slice → smooth centreline → HU profile along it → discs as
 * the most regular sequence of sharp minima → the bone around the column cut
 * at the disc planes into vertebrae → labels counted upwards from the sacrum
 * (S1, L5, L4, …), or left generic (V1, V2, … from the top) with a warning
 * when no sacrum is in view.
 *
 * Stages: parameters in segParams.ts, names and label values in
 * vertebraNames.ts, the column's ends (sacrum, arch of the vertebra above)
 * in columnEnds.ts, flood / hole filling / partial-volume trim in
 * labelCleanup.ts; this module runs them (`segmentVertebrae`) and
 * re-exports the public API.
 */
import { indexToLps, type Vec3, type Volume } from '../volume.js';
import { centrelineFromTrack, columnProfile, cross, detectDiscs, dot, trackColumn, type Centreline } from './centreline.js';
import { archOfVertebraAbove, isSacrum } from './columnEnds.js';
import { fillHolesPerLabel, floodByIntensity, keepMainPiecePerLabel } from './labelCleanup.js';
import { DEFAULT_SPINE_SEG, type SpineSegParams } from './segParams.js';
import { labelOfName, namesFromSacrum } from './vertebraNames.js';

export { DEFAULT_SPINE_SEG, type SpineSegParams } from './segParams.js';
export { GENERIC_LABEL_BASE, labelOfName, VERTEBRA_NAMES } from './vertebraNames.js';
export { trimPartialVolume } from './labelCleanup.js';

export interface DiscPlane {
  /** Centreline point at the disc (LPS mm). */
  point: Vec3;
  /** Unit normal pointing superior. */
  normal: Vec3;
  /** Centreline index. */
  index: number;
  /** Profile sharpness at the disc (HU). */
  score: number;
}

export interface SegmentedLevel {
  name: string;
  /** Label value in the vertebra label map. */
  label: number;
  /** Disc plane below (null at the inferior end of the column). */
  below: DiscPlane | null;
  above: DiscPlane | null;
  /** The vertebra is cut by the edge of the field of view (or has no disc on one side). */
  partial: boolean;
  voxels: number;
}

export interface SpineSegmentation {
  /** Vertebra label map on the working grid (L-P-S ordered). */
  labels: Uint8Array;
  levels: SegmentedLevel[];
  centreline: Centreline;
  profile: Float64Array;
  discs: DiscPlane[];
  sacrumFound: boolean;
  warnings: string[];
}

/**
 * Segments and labels the vertebrae.
 * @param work smoothed working CT, L-P-S ordered (see workingCt), HU
 * @param bone optional bone mask on the same grid (restricts the candidate mask)
 * @throws Error when no vertebral column is found
 */
export function segmentVertebrae(work: Volume<Float32Array>, bone: Uint8Array | null, p: SpineSegParams = DEFAULT_SPINE_SEG): SpineSegmentation {
  const [nx, ny, nz] = work.dims;
  const n = nx * ny * nz;
  const warnings: string[] = [];
  const cand = new Uint8Array(n);
  let bodyX = 0,
    bodyN = 0;
  for (let v = 0; v < n; v++) {
    const hu = work.data[v]!;
    if (hu >= p.boneHu && (!bone || bone[v])) cand[v] = 1;
    if (hu > -300) {
      bodyX += v % nx;
      bodyN++;
    }
  }
  const midlineX = bodyN ? bodyX / bodyN : nx / 2;
  const track = trackColumn(cand, work, midlineX, p.bodyOpeningMm);
  const centreline = centrelineFromTrack(track, work);
  const profile = columnProfile(work, centreline, 8, 0);
  const cands = detectDiscs(profile, centreline.stepMm);
  const discs: DiscPlane[] = cands.map((c) => ({ point: centreline.points[c.index]!, normal: centreline.tangents[c.index]!, index: c.index, score: c.score }));

  // Per axial slice: the centreline frame at that height.
  const pts = centreline.points;
  const frameOfSlice: number[] = [];
  for (let z = 0; z < nz; z++) {
    const zl = indexToLps(work, [0, 0, z])[2];
    let best = -1,
      bd = Infinity;
    for (let i = 0; i < pts.length; i++) {
      const d = Math.abs(pts[i]![2] - zl);
      if (d < bd) {
        bd = d;
        best = i;
      }
    }
    frameOfSlice.push(bd <= work.spacingMm[2] ? best : -1);
  }

  // Segments between discs, bottom-up; the bottom one ends a vertebral spacing below the lowest disc.
  const spacings = discs.slice(1).map((d, i) => (d.index - discs[i]!.index) * centreline.stepMm);
  const typical = spacings.length ? spacings.slice().sort((a, b) => a - b)[Math.floor(spacings.length / 2)]! : 35;
  const nSeg = discs.length + 1;
  const sacrumFound = discs.length > 0 && isSacrum(work, cand, centreline, discs[0]!, track);
  let names: string[];
  if (sacrumFound) {
    names = namesFromSacrum(nSeg);
    if (nSeg > 25) warnings.push('more vertebrae than C1–S1 found above the sacrum; labels above C1 dropped');
  } else {
    names = Array.from({ length: nSeg }, (_, i) => `V${nSeg - i}`);
    warnings.push(
      discs.length
        ? 'no sacrum in view: vertebrae are numbered V1, V2, … from the top; correct the labels by hand'
        : 'no intervertebral disc in view: the column is treated as one partial vertebra',
    );
  }
  warnings.push('labels are counted from the sacrum assuming five lumbar vertebrae; a transitional vertebra (L6, sacralised L5) is not detected automatically');

  // Cut below the bottom segment (S1–S2): parallel to the lumbosacral disc plane, a fraction of the typical spacing under it.
  const bottomCut: { point: Vec3; normal: Vec3 } | null = sacrumFound
    ? (() => {
        const d0 = discs[0]!;
        const depth = p.sacralHeightFraction * typical;
        return {
          point: [d0.point[0] - depth * d0.normal[0], d0.point[1] - depth * d0.normal[1], d0.point[2] - depth * d0.normal[2]] as Vec3,
          normal: d0.normal,
        };
      })()
    : null;

  const labels = new Uint8Array(n);
  const segLabel = names.map((nm) => labelOfName(nm));
  const roi = new Uint8Array(n);
  // voxels too far lateral for the sacrum's own label (the ilium and the sacroiliac joints beside the lumbosacral junction)
  const notSacral = new Uint8Array(n);
  const v3: number[] = [0, 0, 0];
  const sacralLabel = sacrumFound ? segLabel[0]! : -1;
  for (let z = 0; z < nz; z++) {
    const fi = frameOfSlice[z]!;
    if (fi < 0) continue;
    const c = pts[fi]!,
      t = centreline.tangents[fi]!,
      a = centreline.anterior[fi]!;
    const l = cross(t, a);
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const v = x + nx * (y + ny * z);
        // low-density trabecular bone of the body (osteopenia) is taken below the bone threshold, away from the discs
        // (only with the twin's bone mask, which keeps the soft tissue out)
        const low = bone !== null && !cand[v] && work.data[v]! >= Math.min(p.trabecularHu, p.sacralTrabecularHu) && bone[v] === 1;
        if (!cand[v] && !low) continue;
        const q = indexToLps(work, [x, y, z]);
        v3[0] = q[0] - c[0];
        v3[1] = q[1] - c[1];
        v3[2] = q[2] - c[2];
        const u = dot(v3, l),
          w = dot(v3, a);
        if (Math.abs(u) > p.lateralMm || w > p.anteriorMm || w < -p.posteriorMm) continue;
        if (bottomCut && dot([q[0] - bottomCut.point[0], q[1] - bottomCut.point[1], q[2] - bottomCut.point[2]], bottomCut.normal) < 0) continue;
        let s = 0;
        let nearDisc = Infinity;
        for (const d of discs) {
          const h = dot([q[0] - d.point[0], q[1] - d.point[1], q[2] - d.point[2]], d.normal);
          if (h > 0) s++;
          nearDisc = Math.min(nearDisc, Math.abs(h));
        }
        const sacral = segLabel[s] === sacralLabel;
        // height above the lumbosacral disc plane (sacral segment only)
        const hLs = sacral ? dot([q[0] - discs[0]!.point[0], q[1] - discs[0]!.point[1], q[2] - discs[0]!.point[2]], discs[0]!.normal) : 0;
        if (low && !sacral && work.data[v]! < p.trabecularHu) continue;
        if (low && (nearDisc < p.discHalfMm || w < -(sacral ? p.sacralBodyPosteriorMm : p.bodySeedPosteriorMm) || Math.abs(u) > p.bodySeedLateralMm)) continue;
        // S2's arch and the median sacral crest behind the canal, below S1's arch
        if (sacral && w < -p.archPosteriorMm && hLs < -p.sacralArchHeightFraction * typical) continue;
        if (Math.abs(u) > p.sacralLateralMm) {
          if (sacral) continue;
          notSacral[v] = 1;
        }
        roi[v] = 1;
        // vertebral bodies: cut at the disc planes; the rest is flooded from them
        if (w >= -p.bodySeedPosteriorMm && Math.abs(u) <= p.bodySeedLateralMm) labels[v] = segLabel[s]!;
        // the sacrum well below the lumbosacral disc (its posterior elements and crest included) is seeded as S1, so L5 cannot flood into it
        else if (sacral && hLs < -p.sacralSeedDepthMm) labels[v] = sacralLabel;
      }
  }
  floodByIntensity(labels, roi, work);
  if (sacrumFound) for (let v = 0; v < n; v++) if (notSacral[v] && labels[v] === sacralLabel) labels[v] = 0;
  fillHolesPerLabel(labels, work);
  keepMainPiecePerLabel(labels, work.dims);
  // only the posterior arch of the vertebra above the top one may be in view (its body is above the field of view)
  if (nSeg < 25 || !sacrumFound) {
    const names2 = sacrumFound ? namesFromSacrum(nSeg + 1) : Array.from({ length: nSeg + 1 }, (_, i) => `V${nSeg + 1 - i}`);
    const above = labelOfName(names2[nSeg]!);
    const moved = archOfVertebraAbove(labels, work, centreline, frameOfSlice, segLabel[nSeg - 1]!, above, p);
    if (moved > 0) {
      const remap = new Map(segLabel.map((lab, s) => [lab, labelOfName(names2[s]!)]));
      for (let v = 0; v < n; v++) if (labels[v] && labels[v] !== above) labels[v] = remap.get(labels[v]!) ?? labels[v]!;
      names.splice(0, names.length, ...names2);
      segLabel.splice(0, segLabel.length, ...names2.map((nm) => labelOfName(nm)));
      warnings.push(`${names2[nSeg]}: only its posterior arch is in view (its body is above the field of view)`);
    }
  }
  const levels: SegmentedLevel[] = names.map((name, s) => ({
    name,
    label: segLabel[s]!,
    below: s > 0 ? (discs[s - 1] ?? null) : null,
    above: s < discs.length ? discs[s]! : null,
    partial: s === 0 || s >= nSeg - 1,
    voxels: 0,
  }));
  for (let v = 0; v < n; v++)
    if (labels[v]) {
      const lv = levels.find((L) => L.label === labels[v]);
      if (lv) lv.voxels++;
    }
  return { labels, levels: levels.filter((L) => L.voxels > 0).reverse(), centreline, profile, discs, sacrumFound, warnings };
}
