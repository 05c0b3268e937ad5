/**
 * The two ends of the segmented column (segment.ts): whether the bone below
 * the lowest disc is the sacrum (which anchors the labels), and the posterior
 * arch of the vertebra above the top segment when only that arch is in view.
 * Positions in LPS mm, frames from the centreline (tangent superior,
 * `anterior`, lateral = tangent × anterior).
 */
import { labelRuns } from '../runs.js';
import { indexToLps, lpsToIndex, type Vec3, type Volume } from '../volume.js';
import { cross, dot, type Centreline } from './centreline.js';
import { keepMainPiecePerLabel } from './labelCleanup.js';
import type { SpineSegParams } from './segParams.js';
import type { DiscPlane } from './segment.js';

/** The sacrum: below the lowest disc the bone spreads into the alae (a cross-section wider than 80 mm in the opened column). */
export function isSacrum(work: Volume, cand: Uint8Array, c: Centreline, lowest: DiscPlane, track: { centres: ([number, number] | null)[] }): boolean {
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
export function archOfVertebraAbove(
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
