/**
 * A synthetic CT of a vertebral column with known truth, for validating the
 * spine measurements: elliptic-cylinder vertebral bodies (cortical shell,
 * trabecular core, optional anterior wedge) separated by discs, centred on a
 * circular arc in the coronal plane whose end vertebrae are tilted ±cobb/2,
 * in soft tissue, with partial-volume edges (2×2×2 supersampling) and
 * Gaussian noise. LPS mm, 1 mm voxels by default, int16 HU.
 */
import type { Vec3, Volume } from '../volume.js';

export interface PhantomSpec {
  cobbDeg: number;
  vertebrae: number;
  /** Body heights (mm) at 60 % of the half-depth anterior and posterior of the centre; the middle is their mean. */
  anteriorHeightMm: number;
  posteriorHeightMm: number;
  discHeightMm: number;
  halfWidthMm: number;
  halfDepthMm: number;
  corticalMm: number;
  hu: { soft: number; disc: number; cortical: number; trabecular: number };
  noiseSd: number;
  spacingMm: number;
  seed: number;
}

export const DEFAULT_PHANTOM: PhantomSpec = {
  cobbDeg: 25,
  vertebrae: 7,
  anteriorHeightMm: 25,
  posteriorHeightMm: 27,
  discHeightMm: 9,
  halfWidthMm: 22,
  halfDepthMm: 16,
  corticalMm: 1.5,
  hu: { soft: 40, disc: 90, cortical: 550, trabecular: 200 },
  noiseSd: 15,
  spacingMm: 1,
  seed: 7,
};

export interface PhantomTruth {
  /** Superior → inferior, like the report. */
  centresLps: Vec3[];
  /** Coronal tilt of each vertebra's axis (deg, positive towards L). */
  tiltDeg: number[];
  heightsMm: { anterior: number; middle: number; posterior: number };
  discHeightMm: number;
  /** Per disc (superior → inferior): height at the middle along the bisector of the neighbours' axes (the lateral wedge of a curved column makes it differ slightly from discHeightMm). */
  discMiddleMm: number[];
  trabecularHu: number;
  cobbDeg: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Builds the phantom volume and its truth. */
export function spinePhantom(o: Partial<PhantomSpec> = {}): { volume: Volume<Int16Array>; truth: PhantomTruth } {
  const p = { ...DEFAULT_PHANTOM, ...o, hu: { ...DEFAULT_PHANTOM.hu, ...o.hu } };
  const hMid = (p.anteriorHeightMm + p.posteriorHeightMm) / 2;
  const pitch = hMid + p.discHeightMm;
  const n = p.vertebrae;
  const total = pitch * (n - 1);
  const cobb = (p.cobbDeg * Math.PI) / 180;
  // arc: tilt φ(s) from −cobb/2 (bottom) to +cobb/2 (top); s from 0 (bottom centre)
  const kappa = n > 1 ? cobb / total : 0;
  const centres: Vec3[] = [];
  const tilts: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = i * pitch;
    const phi = -cobb / 2 + kappa * s;
    // x(s) = ∫ sin φ, z(s) = ∫ cos φ
    let x: number, z: number;
    if (kappa === 0) {
      x = Math.sin(phi) * s;
      z = Math.cos(phi) * s;
    } else {
      x = (Math.cos(-cobb / 2) - Math.cos(phi)) / kappa;
      z = (Math.sin(phi) - Math.sin(-cobb / 2)) / kappa;
    }
    centres.push([x, 0, z]);
    tilts.push(phi);
  }
  const margin = 40;
  const xs = centres.map((c) => c[0]),
    zs = centres.map((c) => c[2]);
  const lo: Vec3 = [Math.min(...xs) - p.halfWidthMm - margin, -p.halfDepthMm - margin, Math.min(...zs) - pitch / 2 - margin / 2];
  const hi: Vec3 = [Math.max(...xs) + p.halfWidthMm + margin, p.halfDepthMm + margin, Math.max(...zs) + pitch / 2 + margin / 2];
  const sp = p.spacingMm;
  const dims = lo.map((l, a) => Math.ceil((hi[a]! - l) / sp) + 1) as Vec3;
  const data = new Int16Array(dims[0] * dims[1] * dims[2]);
  const axes = tilts.map((phi) => ({ z: [Math.sin(phi), 0, Math.cos(phi)] as Vec3, l: [Math.cos(phi), 0, -Math.sin(phi)] as Vec3 }));
  // anterior is −y (LPS); wedge: height(w) = hMid + (hA − hP)·w/(2·0.6·halfDepth), w towards anterior
  const slope = (p.anteriorHeightMm - p.posteriorHeightMm) / (2 * 0.6 * p.halfDepthMm);
  const value = (x: number, y: number, z: number): number => {
    let best = p.hu.soft;
    for (let i = 0; i < n; i++) {
      const c = centres[i]!,
        ax = axes[i]!;
      const dx = x - c[0],
        dy = y - c[1],
        dz = z - c[2];
      const h = dx * ax.z[0] + dz * ax.z[2];
      if (Math.abs(h) > pitch) continue;
      const u = dx * ax.l[0] + dz * ax.l[2];
      const w = -dy;
      const r = Math.hypot(u / p.halfWidthMm, w / p.halfDepthMm);
      if (r > 1) continue;
      const half = (hMid + slope * w) / 2;
      if (Math.abs(h) <= half) {
        // distance to the surface (approximate): min of endplate and wall distances
        const wall = (1 - r) * Math.min(p.halfWidthMm, p.halfDepthMm);
        const d = Math.min(half - Math.abs(h), wall);
        return d < p.corticalMm ? p.hu.cortical : p.hu.trabecular;
      }
      best = p.hu.disc; // inside the column between bodies
    }
    return best;
  };
  const random = rng(p.seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const sub = [-0.25, 0.25];
  let v = 0;
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++, v++) {
        const x = lo[0] + i * sp,
          y = lo[1] + j * sp,
          z = lo[2] + k * sp;
        let s = 0;
        for (const a of sub) for (const b of sub) for (const c of sub) s += value(x + a * sp, y + b * sp, z + c * sp);
        data[v] = Math.round(s / 8 + p.noiseSd * gauss());
      }
  const volume: Volume<Int16Array> = { dims, spacingMm: [sp, sp, sp], originLps: lo, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], data };
  // chord between neighbouring centres along the bisector, minus the half-heights along each axis
  const discMiddleMm: number[] = [];
  for (let i = n - 1; i > 0; i--) {
    const cu = centres[i]!,
      cl = centres[i - 1]!;
    const zu = axes[i]!.z,
      zl = axes[i - 1]!.z;
    const b = [zu[0] + zl[0], 0, zu[2] + zl[2]];
    const bn = Math.hypot(b[0]!, b[2]!);
    const chord = ((cu[0] - cl[0]) * b[0]! + (cu[2] - cl[2]) * b[2]!) / bn;
    discMiddleMm.push(chord - (hMid / 2) * ((zu[0] * b[0]! + zu[2] * b[2]!) / bn + (zl[0] * b[0]! + zl[2] * b[2]!) / bn));
  }
  const truth: PhantomTruth = {
    discMiddleMm,
    centresLps: centres.slice().reverse(),
    tiltDeg: tilts.map((t) => (t * 180) / Math.PI).reverse(),
    heightsMm: { anterior: p.anteriorHeightMm, middle: hMid, posterior: p.posteriorHeightMm },
    discHeightMm: p.discHeightMm,
    trabecularHu: p.hu.trabecular,
    cobbDeg: p.cobbDeg,
  };
  return { volume, truth };
}
