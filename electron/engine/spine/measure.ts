/**
 * Per-vertebra and per-disc measurements and the curvature of the column,
 * made on the CT itself (trilinear samples along lines in LPS mm, edges at
 * half maximum between bone and disc) inside the vertebra masks' frames:
 * endplate planes (least-squares fit of edge points), body heights
 * (anterior, middle, posterior; Genant height ratios), trabecular HU in an
 * ellipsoid at the body centroid clear of the cortex (Pickhardt et al., Ann
 * Intern Med 2013), disc heights (Fyllos 3-point, perpendicular to the
 * bisector of the endplates), Cobb angles from endplate normals in the
 * coronal and sagittal planes and in 3D (algorithms.md §5.1–5.3).
 */
import { indexToLps, type Vec3, type Volume } from '../volume.js';
import { cross, dot, normalize, orthogonalTo, type Centreline } from './centreline.js';
import { sampleLps } from './grid.js';
import type { CobbAngle, Curvature, DiscMeasurement, Plane, VertebraMeasurement } from '../../contract/spine.js';

export type { Plane, VertebraMeasurement, DiscMeasurement, CobbAngle, Curvature, Landmark } from '../../contract/spine.js';

export interface LevelInput {
  name: string;
  label: number;
  partial: boolean;
  /** Mid-planes of the discs below and above (normals pointing superior); null at the ends of the column. */
  below: { point: Vec3; normal: Vec3 } | null;
  above: { point: Vec3; normal: Vec3 } | null;
}

interface Frame {
  c: Vec3;
  z: Vec3;
  a: Vec3;
  l: Vec3;
  halfW: number;
  halfD: number;
}

const HEIGHT_AP_FRACTION = 0.6;

/** Edge along a line: from the outer point towards the centre, the first crossing of half way between the outer (disc) level and the inner peak. */
function edgeAlong(ct: Volume, origin: Vec3, dir: Vec3, fromMm: number, toMm: number, stepMm: number): number | null {
  const n = Math.max(2, Math.round(Math.abs(toMm - fromMm) / stepMm));
  const vals: number[] = [];
  const ts: number[] = [];
  for (let i = 0; i <= n; i++) {
    const t = toMm + ((fromMm - toMm) * i) / n; // outer → inner
    const v = sampleLps(ct, [origin[0] + dir[0] * t, origin[1] + dir[1] * t, origin[2] + dir[2] * t]);
    if (Number.isNaN(v)) return null;
    vals.push(v);
    ts.push(t);
  }
  // outer level: minimum over the outer 2 mm; inner peak: maximum inside of it
  let iMin = 0;
  const outerN = Math.max(1, Math.ceil(2 / (Math.abs(toMm - fromMm) / n)));
  for (let i = 0; i < Math.min(n, outerN); i++) if (vals[i]! < vals[iMin]!) iMin = i;
  let peak = -Infinity;
  for (let i = iMin; i <= n; i++) peak = Math.max(peak, vals[i]!);
  const outer = vals[iMin]!;
  if (peak - outer < 40) return null;
  const half = (peak + outer) / 2;
  for (let i = iMin; i < n; i++)
    if (vals[i]! < half && vals[i + 1]! >= half) {
      const f = (half - vals[i]!) / (vals[i + 1]! - vals[i]!);
      return ts[i]! + (ts[i + 1]! - ts[i]!) * f;
    }
  return null;
}

function fitPlane(points: Vec3[], up: Vec3): Plane | null {
  if (points.length < 6) return null;
  const c: Vec3 = [0, 0, 0];
  for (const p of points) for (const k of [0, 1, 2] as const) c[k] += p[k] / points.length;
  const C = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const p of points) {
    const d = [p[0] - c[0], p[1] - c[1], p[2] - c[2]];
    for (let r = 0; r < 3; r++) for (let s = 0; s < 3; s++) C[r * 3 + s]! += d[r]! * d[s]!;
  }
  // smallest eigenvector by inverse power iteration on C + εI
  let v: Vec3 = [...up];
  const eps = 1e-6 * (C[0]! + C[4]! + C[8]!) + 1e-9;
  const M = C.map((x, i) => x + (i % 4 === 0 ? eps : 0));
  for (let it = 0; it < 50; it++) v = normalize(solve3(M, v));
  if (dot(v, up) < 0) v = [-v[0], -v[1], -v[2]];
  let ss = 0;
  for (const p of points) ss += dot([p[0] - c[0], p[1] - c[1], p[2] - c[2]], v) ** 2;
  return { point: c, normal: v, rmsMm: Math.sqrt(ss / points.length) };
}

function solve3(M: number[], b: Vec3): Vec3 {
  const [a, b1, c, d, e, f, g, h, i] = M as [number, number, number, number, number, number, number, number, number];
  const det = a * (e * i - f * h) - b1 * (d * i - f * g) + c * (d * h - e * g);
  const inv = [e * i - f * h, c * h - b1 * i, b1 * f - c * e, f * g - d * i, a * i - c * g, c * d - a * f, d * h - e * g, b1 * g - a * h, a * e - b1 * d].map(
    (x) => x / det,
  );
  return [inv[0]! * b[0] + inv[1]! * b[1] + inv[2]! * b[2], inv[3]! * b[0] + inv[4]! * b[1] + inv[5]! * b[2], inv[6]! * b[0] + inv[7]! * b[1] + inv[8]! * b[2]];
}

const add = (p: Vec3, a: Vec3, s: number, b?: Vec3, t?: number): Vec3 => [
  p[0] + a[0] * s + (b ? b[0] * t! : 0),
  p[1] + a[1] * s + (b ? b[1] * t! : 0),
  p[2] + a[2] * s + (b ? b[2] * t! : 0),
];

/**
 * Measures every labelled vertebra and the discs between neighbours.
 * @param ct the CT (any grid; HU), sampled trilinearly in LPS mm
 * @param labels vertebra label map on `grid`
 * @param grid geometry of the label map
 * @param levels labels to measure, superior → inferior
 * @param centreline body centreline (for the anterior direction)
 * @param bodyPosteriorMm voxels up to this far behind the centreline belong to the body
 */
export function measureVertebrae(
  ct: Volume,
  labels: Uint8Array,
  grid: Volume | { dims: Vec3; spacingMm: Vec3; originLps: Vec3; direction: Volume['direction'] },
  levels: LevelInput[],
  centreline: Centreline,
  bodyPosteriorMm = 12,
  centroidOverride: Map<string, Vec3> = new Map(),
): { vertebrae: VertebraMeasurement[]; discs: DiscMeasurement[]; frames: Map<string, Frame> } {
  const [nx, ny, nz] = grid.dims;
  const vox = grid.spacingMm[0] * grid.spacingMm[1] * grid.spacingMm[2];
  const acc = new Map<number, { n: number; s: Vec3; pts: Vec3[] }>();
  for (const L of levels) acc.set(L.label, { n: 0, s: [0, 0, 0], pts: [] });
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const lab = labels[x + nx * (y + ny * z)]!;
        if (!lab) continue;
        const a = acc.get(lab);
        if (!a) continue;
        const p = indexToLps(grid, [x, y, z]);
        a.n++;
        for (const k of [0, 1, 2] as const) a.s[k] += p[k];
        a.pts.push(p);
      }
  const nearestFrame = (p: Vec3) => {
    let best = 0,
      bd = Infinity;
    centreline.points.forEach((q, i) => {
      const d = (q[0] - p[0]) ** 2 + (q[1] - p[1]) ** 2 + (q[2] - p[2]) ** 2;
      if (d < bd) {
        bd = d;
        best = i;
      }
    });
    return best;
  };
  const frames = new Map<string, Frame>();
  const vertebrae: VertebraMeasurement[] = [];
  for (const L of levels) {
    const a = acc.get(L.label)!;
    const notMeasured: string[] = [];
    if (a.n === 0) continue;
    const centroid: Vec3 = [a.s[0] / a.n, a.s[1] / a.n, a.s[2] / a.n];
    // body voxels: in front of the centreline's posterior body limit
    const fi = nearestFrame(centroid);
    const t0 = centreline.tangents[fi]!,
      a0 = centreline.anterior[fi]!,
      c0 = centreline.points[fi]!;
    const body = a.pts.filter(
      (p) =>
        dot([p[0] - c0[0], p[1] - c0[1], p[2] - c0[2]], a0) >= -bodyPosteriorMm &&
        Math.abs(dot([p[0] - c0[0], p[1] - c0[1], p[2] - c0[2]], cross(t0, a0))) <= 30,
    );
    let bc: Vec3 = [0, 0, 0];
    for (const p of body) for (const k of [0, 1, 2] as const) bc[k] += p[k] / Math.max(1, body.length);
    const override = centroidOverride.get(L.name);
    if (override) bc = override;
    else if (!body.length) {
      // only the posterior arch is in view (the body is above or below the field of view)
      notMeasured.push('vertebral body (not in the field of view, only the posterior arch): endplates, heights, trabecular HU and process tips need it');
      vertebrae.push({
        name: L.name,
        label: L.label,
        partial: true,
        centroidLps: centroid,
        bodyCentroidLps: null,
        bodyVolumeMl: 0,
        superiorEndplate: null,
        inferiorEndplate: null,
        heightsMm: { anterior: null, middle: null, posterior: null },
        genant: genantGrade({ anterior: null, middle: null, posterior: null }),
        sphereHu: null,
        sphereAxes: null,
        screening: null,
        landmarks: { spinousTip: null, leftTransverseTip: null, rightTransverseTip: null },
        notMeasured,
      });
      continue;
    }
    const fb = nearestFrame(bc);
    // probe the body along axis z; the axis is then refined to the bisector of the fitted endplate normals
    const probe = (z: Vec3) => {
      const an = normalize(orthogonalTo(centreline.anterior[fb]!, z));
      const l = cross(z, an);
      // half-width and half-depth: 90th percentile of |offset| of body voxels in the body's mid slab
      const us: number[] = [],
        ws: number[] = [];
      for (const p of body) {
        const d: Vec3 = [p[0] - bc[0], p[1] - bc[1], p[2] - bc[2]];
        if (Math.abs(dot(d, z)) > 6) continue;
        us.push(dot(d, l));
        ws.push(dot(d, an));
      }
      const pct = (v: number[], q: number) => (v.length ? v.slice().sort((x, y) => x - y)[Math.floor(q * (v.length - 1))]! : 0);
      const halfW = Math.max(5, (pct(us, 0.97) - pct(us, 0.03) + grid.spacingMm[0]) / 2);
      const uc = (pct(us, 0.97) + pct(us, 0.03)) / 2; // body's lateral centre offset
      const halfD = Math.max(5, (pct(ws, 0.97) - pct(ws, 0.03) + grid.spacingMm[1]) / 2);
      const ac = (pct(ws, 0.97) + pct(ws, 0.03)) / 2; // body's AP centre offset
      const centre = override ? bc : add(bc, an, ac, l, uc); // a centroid placed by the surgeon is used as is
      // endplate edge points on a grid of lines parallel to the axis
      const step = Math.min(0.25, Math.min(...ct.spacingMm) / 4);
      // search each line from the body centre to the disc mid-plane (or past the end of the column)
      const ends = centreline.points;
      const top = { point: ends[ends.length - 1]!, normal: centreline.tangents[ends.length - 1]! };
      const bottom = { point: ends[0]!, normal: centreline.tangents[0]! };
      const reachTo = (o: Vec3, plane: { point: Vec3; normal: Vec3 }, extra: number) => {
        const den = dot(z, plane.normal);
        return den > 0.3 ? dot([plane.point[0] - o[0], plane.point[1] - o[1], plane.point[2] - o[2]], plane.normal) / den + extra : NaN;
      };
      const sup: Vec3[] = [],
        inf: Vec3[] = [];
      const heightAt = new Map<string, number[]>();
      for (let iu = -2; iu <= 2; iu++)
        for (let iw = -3; iw <= 3; iw++) {
          const u = (iu / 2) * 0.5 * halfW,
            w = (iw / 3) * HEIGHT_AP_FRACTION * halfD;
          const o = add(centre, l, u, an, w);
          const ru = L.above ? reachTo(o, L.above, 0) : reachTo(o, top, 8);
          const rd = L.below ? reachTo(o, L.below, 0) : reachTo(o, bottom, -8);
          const eu = ru > 2 ? edgeAlong(ct, o, z, 0, ru, step) : null;
          const ed = rd < -2 ? edgeAlong(ct, o, z, 0, rd, step) : null;
          if (eu !== null) sup.push(add(o, z, eu));
          if (ed !== null) inf.push(add(o, z, ed));
          if (eu !== null && ed !== null && Math.abs(iu) <= 1 && (iw === 3 || iw === 0 || iw === -3)) {
            const key = iw === 3 ? 'anterior' : iw === 0 ? 'middle' : 'posterior';
            heightAt.set(key, [...(heightAt.get(key) ?? []), eu - ed]);
          }
        }
      return { an, l, halfW, halfD, centre, supPlane: fitPlane(sup, z), infPlane: fitPlane(inf, z), heightAt };
    };
    let z: Vec3 = centreline.tangents[fb]!;
    let r = probe(z);
    for (let it = 0; it < 3 && r.supPlane && r.infPlane; it++) {
      const zn = normalize([
        r.supPlane.normal[0] + r.infPlane.normal[0],
        r.supPlane.normal[1] + r.infPlane.normal[1],
        r.supPlane.normal[2] + r.infPlane.normal[2],
      ]);
      if (dot(zn, z) > 0.99999) break;
      z = zn;
      r = probe(z);
    }
    const { an, l, halfW, halfD, centre, supPlane, infPlane, heightAt } = r;
    frames.set(L.name, { c: centre, z, a: an, l, halfW, halfD });
    if (!supPlane) notMeasured.push('superior endplate (not in the field of view or no disc above)');
    if (!infPlane) notMeasured.push('inferior endplate (not in the field of view or no disc below)');
    const mean = (v: number[] | undefined) => (v && v.length ? v.reduce((s, x) => s + x, 0) / v.length : null);
    const heights = { anterior: mean(heightAt.get('anterior')), middle: mean(heightAt.get('middle')), posterior: mean(heightAt.get('posterior')) };
    if (heights.middle === null) notMeasured.push('body heights (both endplates are needed)');
    // the sacrum's first segment is no vertebral body to grade
    const genant = L.name === 'S1' ? genantGrade({ anterior: null, middle: null, posterior: null }) : genantGrade(heights);
    if (L.name === 'S1') notMeasured.push('Genant grade (not applicable to S1)');
    // trabecular ellipsoid
    const halfH = heights.middle !== null ? heights.middle / 2 : Math.min(halfW, halfD) * 0.6;
    const radii: Vec3 = [0.5 * halfW, 0.5 * halfD, 0.5 * halfH];
    const sphere = ellipsoidHu(ct, centre, [l, an, z], radii);
    if (!sphere) notMeasured.push('trabecular HU (ellipsoid outside the field of view)');
    vertebrae.push({
      name: L.name,
      label: L.label,
      partial: L.partial,
      centroidLps: centroid,
      bodyCentroidLps: bc,
      bodyVolumeMl: (body.length * vox) / 1000,
      superiorEndplate: supPlane,
      inferiorEndplate: infPlane,
      heightsMm: heights,
      genant,
      sphereHu: sphere,
      sphereAxes: sphere ? [l, an, z] : null,
      screening: sphere && L.name === 'L1' ? { le110: sphere.mean <= 110, le160: sphere.mean <= 160 } : null,
      landmarks: processTips(a.pts, { c: centre, z, a: an, l, halfW, halfD }, notMeasured),
      notMeasured,
    });
  }
  // posterior heights of neighbours for crush deformity are left to the Genant ratios above
  const discs: DiscMeasurement[] = [];
  for (let i = 0; i + 1 < vertebrae.length; i++) {
    const up = vertebrae[i]!,
      lo = vertebrae[i + 1]!;
    const fu = frames.get(up.name),
      fl = frames.get(lo.name);
    if (!fu || !fl) continue; // no disc to measure next to a vertebra whose body is out of view
    const nUp = up.inferiorEndplate?.normal ?? fu.z,
      nLo = lo.superiorEndplate?.normal ?? fl.z;
    const n = normalize([nUp[0] + nLo[0], nUp[1] + nLo[1], nUp[2] + nLo[2]]);
    const an = normalize(orthogonalTo(fl.a, n));
    const pu = up.inferiorEndplate?.point ?? add(fu.c, fu.z, -10),
      pl = lo.superiorEndplate?.point ?? add(fl.c, fl.z, 10);
    const mid: Vec3 = [(pu[0] + pl[0]) / 2, (pu[1] + pl[1]) / 2, (pu[2] + pl[2]) / 2];
    const halfD = (fu.halfD + fl.halfD) / 2;
    const h: Record<'anterior' | 'middle' | 'posterior', number | null> = { anterior: null, middle: null, posterior: null };
    if (up.inferiorEndplate && lo.superiorEndplate)
      for (const [key, f] of [
        ['anterior', HEIGHT_AP_FRACTION],
        ['middle', 0],
        ['posterior', -HEIGHT_AP_FRACTION],
      ] as const) {
        const o = add(mid, an, f * halfD);
        // from the disc centre outwards to each body: edge of the upper body above, of the lower below
        const reach = Math.max(8, (up.heightsMm.middle ?? 20) / 2);
        // from the disc (outer end, at o) towards each body: the half-maximum edge of the upper and of the lower body
        const e2u = edgeAlong(ct, o, n, reach, 0, 0.25);
        const e2d = edgeAlong(ct, o, n, -reach, 0, 0.25);
        h[key] = e2u !== null && e2d !== null ? e2u - e2d : null;
      }
    discs.push({
      upper: up.name,
      lower: lo.name,
      heightsMm: h,
      meanApMm: h.anterior !== null && h.posterior !== null ? (h.anterior + h.posterior) / 2 : null,
      centreLps: mid,
      spaceVolumeMl: null,
    });
  }
  return { vertebrae, discs, frames };
}

/**
 * Tips of the spinous process (most posterior vertebra voxel within 8 mm of
 * the mid-sagittal plane of the body) and of the left and right transverse
 * processes (most lateral voxels behind the body's mid-coronal plane), each
 * the mean of the voxels within 2 mm of the extreme, in LPS mm. A tip is null
 * (and named in `notMeasured`) when the mask does not reach 10 mm beyond the
 * body there (process out of view or not separated).
 * @param pts voxel centres of the vertebra's mask (LPS mm)
 * @param f body frame: centre, superior z, anterior a, left l, half width/depth (mm)
 */
export function processTips(pts: Vec3[], f: Frame, notMeasured: string[]): VertebraMeasurement['landmarks'] {
  const extreme = (score: (d: Vec3) => number | null, beyond: number, what: string) => {
    let best = -Infinity;
    const sc: number[] = new Array<number>(pts.length);
    pts.forEach((p, i) => {
      const s = score([p[0] - f.c[0], p[1] - f.c[1], p[2] - f.c[2]]);
      sc[i] = s ?? -Infinity;
      if (s !== null && s > best) best = s;
    });
    if (best < beyond) {
      notMeasured.push(`${what} tip (not in the mask)`);
      return null;
    }
    const m: Vec3 = [0, 0, 0];
    let n = 0;
    pts.forEach((p, i) => {
      if (sc[i]! < best - 2) return;
      for (const k of [0, 1, 2] as const) m[k] += p[k];
      n++;
    });
    return { pointLps: [m[0] / n, m[1] / n, m[2] / n] as Vec3, skinPointLps: null, skinDistanceMm: null };
  };
  const behind = (d: Vec3) => dot(d, f.a) < -0.5 * f.halfD;
  return {
    spinousTip: extreme((d) => (Math.abs(dot(d, f.l)) <= 8 ? -dot(d, f.a) : null), f.halfD + 10, 'spinous process'),
    leftTransverseTip: extreme((d) => (behind(d) ? dot(d, f.l) : null), f.halfW + 10, 'left transverse process'),
    rightTransverseTip: extreme((d) => (behind(d) ? -dot(d, f.l) : null), f.halfW + 10, 'right transverse process'),
  };
}

/**
 * Genant semiquantitative grade from the three body heights: reduction =
 * 1 − min/max; grade 0 < 20 %, 1 20–25 %, 2 25–40 %, 3 > 40 %
 * (Genant et al., J Bone Miner Res 1993).
 */
export function genantGrade(h: { anterior: number | null; middle: number | null; posterior: number | null }): VertebraMeasurement['genant'] {
  if (h.anterior === null || h.middle === null || h.posterior === null) return { wedgeRatio: null, biconcaveRatio: null, reduction: null, grade: null };
  const max = Math.max(h.anterior, h.middle, h.posterior);
  const reduction = 1 - Math.min(h.anterior, h.middle, h.posterior) / max;
  const grade = reduction < 0.2 ? 0 : reduction < 0.25 ? 1 : reduction <= 0.4 ? 2 : 3;
  return { wedgeRatio: h.anterior / h.posterior, biconcaveRatio: h.middle / h.posterior, reduction, grade };
}

/** HU statistics of CT voxels whose centres lie in an ellipsoid (axes: unit vectors, radii mm). */
export function ellipsoidHu(ct: Volume, centre: Vec3, axes: [Vec3, Vec3, Vec3], radii: Vec3): VertebraMeasurement['sphereHu'] {
  const r = Math.max(...radii);
  const [nx, ny, nz] = ct.dims;
  const lo: number[] = [Infinity, Infinity, Infinity],
    hi: number[] = [-Infinity, -Infinity, -Infinity];
  for (const sx of [-1, 1])
    for (const sy of [-1, 1])
      for (const sz of [-1, 1]) {
        const q = [centre[0] + sx * r, centre[1] + sy * r, centre[2] + sz * r];
        const d = ct.direction,
          o = ct.originLps;
        for (let c = 0; c < 3; c++) {
          const idx = (d[c]! * (q[0]! - o[0]) + d[3 + c]! * (q[1]! - o[1]) + d[6 + c]! * (q[2]! - o[2])) / ct.spacingMm[c]!;
          lo[c] = Math.min(lo[c]!, idx);
          hi[c] = Math.max(hi[c]!, idx);
        }
      }
  const vals: number[] = [];
  for (let k = Math.max(0, Math.floor(lo[2]!)); k <= Math.min(nz - 1, Math.ceil(hi[2]!)); k++)
    for (let j = Math.max(0, Math.floor(lo[1]!)); j <= Math.min(ny - 1, Math.ceil(hi[1]!)); j++)
      for (let i = Math.max(0, Math.floor(lo[0]!)); i <= Math.min(nx - 1, Math.ceil(hi[0]!)); i++) {
        const p = indexToLps(ct, [i, j, k]);
        const d: Vec3 = [p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]];
        let s = 0;
        for (let c = 0; c < 3; c++) s += (dot(d, axes[c]!) / radii[c]!) ** 2;
        if (s <= 1) vals.push(ct.data[i + nx * (j + ny * k)] as number);
      }
  if (vals.length < 1) return null;
  vals.sort((a, b) => a - b);
  const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
  const sd = Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, vals.length - 1));
  return { mean, median: vals[Math.floor((vals.length - 1) / 2)]!, sd, voxels: vals.length, radiiMm: radii };
}

const deg = (r: number) => (r * 180) / Math.PI;

/**
 * Cobb angles from endplate normals, vertebrae ordered superior → inferior:
 * the largest |θ(upper superior endplate) − θ(lower inferior endplate)| over
 * pairs of distinct vertebrae, θ the normal's angle in the plane (coronal:
 * atan2(n_L, n_S); sagittal: atan2(−n_P, n_S) i.e. towards anterior); in 3D the
 * angle between the normals. The apex is the vertebra between the ends whose
 * body centroid lies farthest from the line joining the ends' centroids.
 */
export function curvature(vs: VertebraMeasurement[], centreline: Centreline): Curvature {
  const notMeasured: string[] = [];
  const theta = (n: Vec3, plane: 'coronal' | 'sagittal') => (plane === 'coronal' ? Math.atan2(n[0], n[2]) : Math.atan2(-n[1], n[2]));
  const cobb = (plane: 'coronal' | 'sagittal' | '3d'): CobbAngle | null => {
    let best: CobbAngle | null = null;
    let bi = -1,
      bj = -1;
    for (let i = 0; i < vs.length; i++)
      for (let j = i + 1; j < vs.length; j++) {
        const s = vs[i]!.superiorEndplate,
          f = vs[j]!.inferiorEndplate;
        if (!s || !f) continue;
        const ang =
          plane === '3d' ? deg(Math.acos(Math.max(-1, Math.min(1, dot(s.normal, f.normal))))) : Math.abs(deg(theta(s.normal, plane) - theta(f.normal, plane)));
        if (!best || ang > best.angleDeg) {
          best = { plane, angleDeg: ang, upperEnd: vs[i]!.name, lowerEnd: vs[j]!.name, apex: null };
          bi = i;
          bj = j;
        }
      }
    if (best) {
      // the ends have endplates, so they have bodies
      const A = vs[bi]!.bodyCentroidLps!,
        B = vs[bj]!.bodyCentroidLps!;
      const u = normalize([B[0] - A[0], B[1] - A[1], B[2] - A[2]]);
      let far = -1;
      for (let k = bi + 1; k < bj; k++) {
        const C = vs[k]!.bodyCentroidLps;
        if (!C) continue;
        const d = orthogonalTo([C[0] - A[0], C[1] - A[1], C[2] - A[2]], u);
        const m = Math.hypot(...d);
        if (m > far) {
          far = m;
          best.apex = vs[k]!.name;
        }
      }
    }
    return best;
  };
  const coronal = cobb('coronal');
  const sagittal = cobb('sagittal');
  const maxPlane = cobb('3d');
  if (!coronal) notMeasured.push('Cobb angles (two vertebrae with endplates are needed)');
  const by = (n: string) => vs.find((v) => v.name === n);
  const L1 = by('L1')?.superiorEndplate,
    S1 = by('S1')?.superiorEndplate;
  const lumbarLordosisDeg = L1 && S1 ? deg(theta(S1.normal, 'sagittal') - theta(L1.normal, 'sagittal')) : null;
  if (lumbarLordosisDeg === null) notMeasured.push('lumbar lordosis L1–S1 (L1 and S1 superior endplates are needed)');
  const thor = vs.filter((v) => v.name.startsWith('T') && v.superiorEndplate);
  const T12 = by('T12')?.inferiorEndplate;
  let thoracicKyphosisDeg: number | null = null,
    thoracicKyphosisLevels: string | null = null;
  if (thor.length && T12 && thor[0]!.name !== 'T12') {
    thoracicKyphosisDeg = -deg(theta(thor[0]!.superiorEndplate!.normal, 'sagittal') - theta(T12.normal, 'sagittal'));
    thoracicKyphosisLevels = `${thor[0]!.name}–T12`;
  } else notMeasured.push('thoracic kyphosis (two thoracic vertebrae with endplates are needed)');
  return { coronal, sagittal, maxPlane, lumbarLordosisDeg, thoracicKyphosisDeg, thoracicKyphosisLevels, centrelineLps: centreline.points, notMeasured };
}
