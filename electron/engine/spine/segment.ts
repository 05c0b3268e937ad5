/**
 * Vertebra segmentation and labelling from CT without a trained model
 * (algorithms.md §5.5): bone candidate mask → column of vertebral bodies
 * tracked slice by slice → smooth centreline → HU profile along it → discs as
 * the most regular sequence of sharp minima → the bone around the column cut
 * at the disc planes into vertebrae → labels counted upwards from the sacrum
 * (S1, L5, L4, …), or left generic (V1, V2, … from the top) with a warning
 * when no sacrum is in view.
 */
import { fillHoles2D, fillHoles3D } from '../morphology.js';
import { labelRuns } from '../runs.js';
import { indexToLps, lpsToIndex, type Vec3, type Volume, type VolumeGeometry } from '../volume.js';
import { centrelineFromTrack, columnProfile, cross, detectDiscs, dot, trackColumn, type Centreline } from './centreline.js';

export interface SpineSegParams {
  /** Bone threshold on the smoothed working CT (HU). */
  boneHu: number;
  /** Opening radius that keeps vertebral bodies and drops processes and ribs (mm). */
  bodyOpeningMm: number;
  /** Half-width of the region kept around the column, left-right (mm). */
  lateralMm: number;
  /** Region kept in front of and behind the centreline (mm). */
  anteriorMm: number;
  posteriorMm: number;
  /** Half-width kept around the sacrum (its alae, not the ilium) (mm). */
  sacralLateralMm: number;
  /** Seeds cut at the disc planes: bone within this distance behind and beside the centreline (mm). */
  bodySeedPosteriorMm: number;
  bodySeedLateralMm: number;
  /** Bone of the sacral segment farther than this below the lumbosacral disc plane is seeded as S1 (mm). */
  sacralSeedDepthMm: number;
  /**
   * S1's lower boundary (the S1–S2 junction): a plane parallel to the lumbosacral disc plane, this fraction of the
   * median disc-to-disc spacing below it (S1's body is about a lumbar body high; the sacrum curves away from the
   * centreline's tangent there, so the cut follows the S1 endplate, not the centreline).
   */
  sacralHeightFraction: number;
  /** Behind the canal (farther back than `archPosteriorMm`), S1's arch ends this fraction of the spacing below the lumbosacral disc plane; lower is S2's arch and the median sacral crest. */
  sacralArchHeightFraction: number;
  /** Inside S1's body, bone-mask voxels down to this HU are vertebra (the sacral body's marrow is fattier than a lumbar body's). */
  sacralTrabecularHu: number;
  /** Inside the bodies, farther than `discHalfMm` from a disc mid-plane, bone-mask voxels down to this HU are vertebra (osteopenic trabecular bone). */
  trabecularHu: number;
  discHalfMm: number;
  /** The sacral body reaches farther behind the centreline than a lumbar body (the promontory tilts it) (mm). */
  sacralBodyPosteriorMm: number;
  /** Bone farther than this behind the centreline is posterior arch (laminae, spinous process), behind the canal (mm). */
  archPosteriorMm: number;
  /** Smallest arch piece taken as the arch of a vertebra (mL). */
  archMinMl: number;
}

export const DEFAULT_SPINE_SEG: SpineSegParams = {
  boneHu: 100,
  bodyOpeningMm: 6,
  lateralMm: 55,
  anteriorMm: 40,
  posteriorMm: 85,
  sacralLateralMm: 30,
  bodySeedPosteriorMm: 12,
  bodySeedLateralMm: 25,
  sacralSeedDepthMm: 6,
  sacralHeightFraction: 0.8,
  sacralArchHeightFraction: 0.5,
  sacralTrabecularHu: 20,
  trabecularHu: 50,
  discHalfMm: 5,
  sacralBodyPosteriorMm: 30,
  archPosteriorMm: 27,
  archMinMl: 0.5,
};

/** Standard vertebra names in label-map order; the label value is index + 1. */
export const VERTEBRA_NAMES = [
  'C1',
  'C2',
  'C3',
  'C4',
  'C5',
  'C6',
  'C7',
  'T1',
  'T2',
  'T3',
  'T4',
  'T5',
  'T6',
  'T7',
  'T8',
  'T9',
  'T10',
  'T11',
  'T12',
  'L1',
  'L2',
  'L3',
  'L4',
  'L5',
  'L6',
  'S1',
] as const;
/** Generic names (no anatomical anchor) get label values from 100 up. */
export const GENERIC_LABEL_BASE = 100;

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

export function labelOfName(name: string): number {
  const i = (VERTEBRA_NAMES as readonly string[]).indexOf(name);
  if (i >= 0) return i + 1;
  const m = /^V(\d+)$/.exec(name);
  if (m) return GENERIC_LABEL_BASE + Number(m[1]);
  throw new Error(`unknown vertebra name ${name}`);
}

/** Names from the sacrum upwards: S1, L5, …, L1, T12, …, C1 (bottom-up order). */
function namesFromSacrum(count: number): string[] {
  const order = [
    'S1',
    'L5',
    'L4',
    'L3',
    'L2',
    'L1',
    'T12',
    'T11',
    'T10',
    'T9',
    'T8',
    'T7',
    'T6',
    'T5',
    'T4',
    'T3',
    'T2',
    'T1',
    'C7',
    'C6',
    'C5',
    'C4',
    'C3',
    'C2',
    'C1',
  ];
  return order.slice(0, count);
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

/**
 * Partial-volume trim of a label map on the source grid: a labelled voxel on
 * its label's surface (a 6-neighbour with another value) whose raw CT value
 * is below `hu` is mostly soft tissue and is cleared. One pass.
 * @param labels label map on `ct`'s grid (modified in place)
 * @param ct the CT in HU
 */
export function trimPartialVolume(labels: Uint8Array, ct: Volume, hu = 100): number {
  const [nx, ny, nz] = ct.dims;
  const nxy = nx * ny;
  const clear: number[] = [];
  for (let v = 0; v < labels.length; v++) {
    const l = labels[v]!;
    if (!l || (ct.data[v] as number) >= hu) continue;
    const x = v % nx,
      y = ((v / nx) | 0) % ny,
      z = (v / nxy) | 0;
    if (
      (x > 0 && labels[v - 1] !== l) ||
      (x < nx - 1 && labels[v + 1] !== l) ||
      (y > 0 && labels[v - nx] !== l) ||
      (y < ny - 1 && labels[v + nx] !== l) ||
      (z > 0 && labels[v - nxy] !== l) ||
      (z < nz - 1 && labels[v + nxy] !== l)
    )
      clear.push(v);
  }
  for (const v of clear) labels[v] = 0;
  return clear.length;
}

/** The sacrum: below the lowest disc the bone spreads into the alae (a cross-section wider than 80 mm in the opened column). */
function isSacrum(work: Volume, cand: Uint8Array, c: Centreline, lowest: DiscPlane, track: { centres: ([number, number] | null)[] }): boolean {
  const [nx, ny, nz] = work.dims;
  const below = Math.max(0, lowest.index - Math.round(15 / c.stepMm));
  const p = c.points[below]!;
  const z = Math.round((p[2] - work.originLps[2]) / (work.direction[8] * work.spacingMm[2]));
  if (z < 0 || z >= nz || !track.centres[z]) return false;
  // widest run of bone through the centre row of that slice, left-right
  const [cx, cy] = track.centres[z]!;
  const y0 = Math.round(cy);
  let widest = 0;
  for (let y = Math.max(0, y0 - 5); y <= Math.min(ny - 1, y0 + 5); y++) {
    const row = nx * (y + ny * z);
    let lo = Math.round(cx),
      hi = Math.round(cx);
    if (!cand[row + lo]) continue;
    while (lo > 0 && cand[row + lo - 1]) lo--;
    while (hi < nx - 1 && cand[row + hi + 1]) hi++;
    widest = Math.max(widest, (hi - lo + 1) * work.spacingMm[0]);
  }
  return widest > 80;
}

/**
 * Seeded region growing in order of decreasing intensity (a marker-based
 * watershed on −HU): unlabelled voxels of `roi` take the label of the
 * brightest labelled 6-neighbour front, so fronts from adjacent vertebrae
 * meet in the dark joint and ligament gaps between their processes.
 */
function floodByIntensity(labels: Uint8Array, roi: Uint8Array, work: Volume<Float32Array>): void {
  const [nx, ny] = work.dims;
  const nxy = nx * ny;
  const n = labels.length;
  const bucketOf = (hu: number) => Math.max(0, Math.min(255, Math.round((hu + 200) / 10)));
  const buckets: number[][] = Array.from({ length: 256 }, () => []);
  const queued = new Uint8Array(n);
  const push = (v: number) => {
    if (queued[v] || !roi[v] || labels[v]) return;
    queued[v] = 1;
    buckets[bucketOf(work.data[v]!)]!.push(v);
  };
  const neighbours = (v: number, f: (q: number) => void) => {
    const x = v % nx,
      y = Math.floor(v / nx) % ny;
    if (x > 0) f(v - 1);
    if (x < nx - 1) f(v + 1);
    if (y > 0) f(v - nx);
    if (y < ny - 1) f(v + nx);
    if (v >= nxy) f(v - nxy);
    if (v + nxy < n) f(v + nxy);
  };
  for (let v = 0; v < n; v++) if (labels[v]) neighbours(v, push);
  for (let b = 255; b >= 0;) {
    const q = buckets[b]!;
    if (!q.length) {
      b--;
      continue;
    }
    const v = q.pop()!;
    let lab = 0;
    neighbours(v, (u) => {
      if (!lab && labels[u]) lab = labels[u]!;
    });
    if (!lab) continue;
    labels[v] = lab;
    neighbours(v, (u) => {
      if (!queued[u] && roi[u] && !labels[u]) {
        queued[u] = 1;
        const bu = bucketOf(work.data[u]!);
        buckets[bu]!.push(u);
        if (bu > b) b = bu;
      }
    });
  }
}

/**
 * Fills each label's enclosed holes: cavities closed in 3D, and holes closed
 * in an axial slice that are small (trabecular gaps of osteopenic bone) —
 * not the vertebral foramen, which the posterior arch closes in every slice
 * but which is no bone (a hole of more than `maxHoleMm2` in its slice).
 */
function fillHolesPerLabel(labels: Uint8Array, g: VolumeGeometry, maxHoleMm2 = 180): void {
  const dims = g.dims;
  const values = new Set<number>();
  for (const v of labels) if (v) values.add(v);
  const m = new Uint8Array(labels.length);
  const h = new Uint8Array(labels.length);
  const maxVoxels = maxHoleMm2 / (g.spacingMm[0] * g.spacingMm[1]);
  for (const val of values) {
    for (let v = 0; v < labels.length; v++) m[v] = labels[v] === val ? 1 : 0;
    h.set(m);
    fillHoles2D(h, dims, 2);
    for (let v = 0; v < labels.length; v++) h[v] = h[v] && !m[v] ? 1 : 0;
    // axial holes, component by component within their slice: only the small ones are filled
    const H = labelRuns(h, dims, true, 6, true);
    for (let r = 0; r < H.root.length; r++) if (H.size[H.root[r]!]! <= maxVoxels) m.fill(1, H.start[r]!, H.end[r]!);
    fillHoles3D(m, dims);
    for (let v = 0; v < labels.length; v++) if (m[v] && !labels[v]) labels[v] = val;
  }
}

/** Keeps, for each label, its largest 6-connected piece (stray fragments of neighbours' processes are cleared). */
function keepMainPiecePerLabel(labels: Uint8Array, dims: Vec3): void {
  const values = new Set<number>();
  for (const v of labels) if (v) values.add(v);
  const m = new Uint8Array(labels.length);
  for (const val of values) {
    for (let v = 0; v < labels.length; v++) m[v] = labels[v] === val ? 1 : 0;
    const L = labelRuns(m, dims, true, 6);
    let big = -1,
      bs = -1;
    for (let r = 0; r < L.root.length; r++) {
      const root = L.root[r]!;
      if (L.size[root]! > bs) {
        bs = L.size[root]!;
        big = root;
      }
    }
    for (let r = 0; r < L.root.length; r++) if (L.root[r] !== big) labels.fill(0, L.start[r]!, L.end[r]!);
  }
}

/**
 * The posterior arch of the vertebra above the top segment, when its body is
 * above the field of view: thoracic spinous processes slope caudally, so the
 * laminae and spinous process of the vertebra above lie beside the top
 * vertebra's body and are flooded into it. Behind the canal
 * (`archPosteriorMm` behind the centreline) the top segment's bone then falls
 * into pieces stacked along the column; a piece reaching the top of the field
 * of view above another piece (the segment's own arch) is the arch of the
 * vertebra above. It is relabelled `above`, with the segment's bone of those
 * slices outside its body that lies behind the posterior third of the canal
 * (measured along the arch's midline, from the body's posterior wall to the
 * arch): the thoracic facet joints are nearly coronal at about that depth.
 * At a 3 mm working grid the joints' dark gaps are blurred away, so the
 * intensity flood alone lets the bright pedicles take the whole lamina.
 * @returns the number of voxels given to `above` (0 when no such arch is found)
 */
function archOfVertebraAbove(
  labels: Uint8Array,
  work: Volume<Float32Array>,
  cl: Centreline,
  frameOfSlice: number[],
  top: number,
  above: number,
  p: SpineSegParams,
): number {
  const [nx, ny, nz] = work.dims;
  const nxy = nx * ny;
  const n = labels.length;
  let atTop = false;
  for (let v = (nz - 1) * nxy; v < n && !atTop; v++) atTop = labels[v] === top;
  if (!atTop) return 0;
  const post = new Uint8Array(n);
  const body = new Uint8Array(n);
  const d: number[] = [0, 0, 0];
  for (let z = 0; z < nz; z++) {
    const fi = frameOfSlice[z]!;
    if (fi < 0) continue;
    const c = cl.points[fi]!,
      a = cl.anterior[fi]!;
    const l = cross(cl.tangents[fi]!, a);
    for (let v = z * nxy; v < (z + 1) * nxy; v++) {
      if (labels[v] !== top) continue;
      const q = indexToLps(work, [v % nx, Math.floor(v / nx) % ny, z]);
      d[0] = q[0] - c[0];
      d[1] = q[1] - c[1];
      d[2] = q[2] - c[2];
      const w = dot(d, a);
      if (w < -p.archPosteriorMm) post[v] = 1;
      else if (w >= -p.bodySeedPosteriorMm && Math.abs(dot(d, l)) <= p.bodySeedLateralMm) body[v] = 1;
    }
  }
  const L = labelRuns(post, work.dims, true, 26);
  const zr = new Map<number, { lo: number; hi: number; size: number }>();
  for (let r = 0; r < L.root.length; r++) {
    const root = L.root[r]!;
    const z = Math.floor(L.row[r]! / ny);
    const e = zr.get(root) ?? { lo: z, hi: z, size: L.size[root]! };
    e.lo = Math.min(e.lo, z);
    e.hi = Math.max(e.hi, z);
    zr.set(root, e);
  }
  const minVoxels = (p.archMinMl * 1000) / (work.spacingMm[0] * work.spacingMm[1] * work.spacingMm[2]);
  let upper = -1;
  for (const [root, e] of zr) if (e.hi >= nz - 2 && e.size >= minVoxels && (upper < 0 || e.size > zr.get(upper)!.size)) upper = root;
  if (upper < 0) return 0;
  const zLo = zr.get(upper)!.lo;
  // the segment's own arch: a piece wholly below the upper one
  if (![...zr].some(([root, e]) => root !== upper && e.size >= minVoxels && e.hi < zLo)) return 0;
  // the canal along the arch's midline: from the body's posterior wall to the arch
  let uSum = 0,
    uN = 0;
  const frame = (z: number) => {
    const fi = frameOfSlice[z]!;
    const a = cl.anterior[fi]!;
    return { c: cl.points[fi]!, a, l: cross(cl.tangents[fi]!, a) };
  };
  for (let r = 0; r < L.root.length; r++) {
    if (L.root[r] !== upper) continue;
    const z = Math.floor(L.row[r]! / ny);
    const { c, l } = frame(z);
    for (let v = L.start[r]!; v < L.end[r]!; v++) {
      const q = indexToLps(work, [v % nx, Math.floor(v / nx) % ny, z]);
      uSum += (q[0] - c[0]) * l[0] + (q[1] - c[1]) * l[1] + (q[2] - c[2]) * l[2];
      uN++;
    }
  }
  const uMid = uSum / uN;
  const canal: number[] = [];
  for (let z = zLo; z < nz; z++) {
    const { c, a, l } = frame(z);
    let wall: number | null = null;
    for (let t = 0; t > -(p.archPosteriorMm + 20); t -= 1) {
      const q = lpsToIndex(work, [c[0] + uMid * l[0] + t * a[0], c[1] + uMid * l[1] + t * a[1], c[2] + uMid * l[2] + t * a[2]]).map(Math.round) as Vec3;
      if (q.some((x, k) => x < 0 || x >= work.dims[k as 0 | 1 | 2])) break;
      const lab = labels[q[0] + nx * (q[1] + ny * q[2])];
      const isBone = lab === top || lab === above;
      if (wall === null) {
        if (!isBone && t < 0) wall = t + 1;
      } else if (isBone) {
        canal.push(wall + (2 / 3) * (t - wall));
        break;
      }
    }
  }
  if (!canal.length) return 0;
  canal.sort((x, y) => x - y);
  const wSplit = canal[Math.floor(canal.length / 2)]!;
  // the segment's bone of those slices outside its body: behind the posterior third of the canal it is the arch above (the facet joints
  // of the thoracic spine are nearly coronal, at the depth of the laminae: the inferior processes of the vertebra above lie behind the
  // superior processes of the one below)
  for (let z = zLo; z < nz; z++) {
    const { c, a } = frame(z);
    for (let v = z * nxy; v < (z + 1) * nxy; v++) {
      if (labels[v] !== top || body[v]) continue;
      const q = indexToLps(work, [v % nx, Math.floor(v / nx) % ny, z]);
      if ((q[0] - c[0]) * a[0] + (q[1] - c[1]) * a[1] + (q[2] - c[2]) * a[2] < wSplit) labels[v] = above;
    }
  }
  for (let r = 0; r < L.root.length; r++) if (L.root[r] === upper) labels.fill(above, L.start[r]!, L.end[r]!);
  keepMainPiecePerLabel(labels, work.dims);
  let moved = 0;
  for (let v = 0; v < n; v++) if (labels[v] === above) moved++;
  return moved;
}
