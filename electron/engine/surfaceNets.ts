/**
 * Naive Surface Nets (S. F. F. Gibson, "Constrained elastic surface nets",
 * MICCAI 1998): one vertex per boundary cell of the zero-padded mask at the
 * mean of its edge crossings, one quad per voxel face between inside and
 * outside. The result is watertight: every edge is shared by an even number
 * of faces (two, except at checkerboard faces). Step 1 of the pipeline in
 * surface.ts.
 */
import { boundingBox } from './morphology.js';
import { GrowF32, GrowU32, type TriangleMesh } from './triangleMesh.js';
import { indexToLps, type VolumeGeometry } from './volume.js';

// The 12 edges of a cell as pairs of corner numbers (corner = dx + 2 dy + 4 dz).
const CELL_EDGES: ReadonlyArray<readonly [number, number]> = [
  [0, 1],
  [2, 3],
  [4, 5],
  [6, 7],
  [0, 2],
  [1, 3],
  [4, 6],
  [5, 7],
  [0, 4],
  [1, 5],
  [2, 6],
  [3, 7],
];

/** For each of the 256 corner codes: the mean of the midpoints of the edges that change sign (cell-local). */
const VERTEX_OFFSET: Float32Array = (() => {
  const t = new Float32Array(256 * 3);
  for (let code = 1; code < 255; code++) {
    let x = 0,
      y = 0,
      z = 0,
      m = 0;
    for (const [e0, e1] of CELL_EDGES) {
      if (((code >> e0) & 1) === ((code >> e1) & 1)) continue;
      x += ((e0 & 1) + (e1 & 1)) * 0.5;
      y += (((e0 >> 1) & 1) + ((e1 >> 1) & 1)) * 0.5;
      z += (((e0 >> 2) & 1) + ((e1 >> 2) & 1)) * 0.5;
      m++;
    }
    t[3 * code] = x / m;
    t[3 * code + 1] = y / m;
    t[3 * code + 2] = z / m;
  }
  return t;
})();

/**
 * Corner code (corner = dx + 2 dy + 4 dz) of a cell from two column values:
 * bits 0–3 of a column are the voxels (dy, dz) = (0,0), (1,0), (0,1), (1,1);
 * the low column is dx = 0, the high one dx = 1.
 */
const COLUMN_PAIR_TO_CODE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    let code = 0;
    for (let bit = 0; bit < 4; bit++) {
      const corner = 2 * bit; // (dy, dz) → 2 dy + 4 dz
      if ((x >> bit) & 1) code |= 1 << corner;
      if ((x >> (bit + 4)) & 1) code |= 1 << (corner + 1);
    }
    t[x] = code;
  }
  return t;
})();

/**
 * Surface Nets of a binary mask on the geometry `g` (mask treated as zero
 * outside the grid, so the surface is closed). Works on the mask's bounding
 * box, copied with a one-voxel zero border so the inner loops need no bounds
 * checks.
 *
 * @param mask Uint8Array on the grid of `g` (non-zero = inside)
 * @param g grid geometry (LPS)
 * @returns triangle mesh in LPS mm, outward-facing
 */
export function surfaceNets(mask: Uint8Array, g: VolumeGeometry): TriangleMesh {
  const [nx, ny] = g.dims;
  const bb = boundingBox(mask, g.dims);
  if (!bb) return { points: new Float32Array(0), triangles: new Uint32Array(0) };
  const [i0, j0, k0, i1, j1, k1] = bb;
  const px = i1 - i0 + 3,
    py = j1 - j0 + 3,
    pz = k1 - k0 + 3;
  const pxy = px * py;
  const P = new Uint8Array(pxy * pz);
  for (let k = k0; k <= k1; k++)
    for (let j = j0; j <= j1; j++) {
      const src = i0 + nx * (j + ny * k);
      const dst = 1 + px * (j - j0 + 1 + py * (k - k0 + 1));
      for (let i = 0; i <= i1 - i0; i++) P[dst + i] = mask[src + i] ? 1 : 0;
    }
  const cw = px - 1; // cells per row
  let prev = new Int32Array(cw * (py - 1)).fill(-1);
  let cur = new Int32Array(cw * (py - 1)).fill(-1);
  const pts = new GrowF32();
  const tris = new GrowU32();
  let nVerts = 0;
  const quad = (v0: number, v1: number, v2: number, v3: number, flip: boolean): void => {
    if (flip) (tris.push3(v0, v3, v2), tris.push3(v0, v2, v1));
    else (tris.push3(v0, v1, v2), tris.push3(v0, v2, v3));
  };
  for (let c = 0; c < pz - 1; c++) {
    cur.fill(-1);
    // 1. one vertex per boundary cell of layer c. A column value packs the 4 voxels
    // (b..b+1, c..c+1) at one i; a cell's code is two neighbouring columns.
    for (let b = 0; b < py - 1; b++) {
      const r00 = px * (b + py * c);
      const r10 = r00 + px;
      const r01 = r00 + pxy;
      const r11 = r01 + px;
      let colA = (P[r00] as number) | ((P[r10] as number) << 1) | ((P[r01] as number) << 2) | ((P[r11] as number) << 3);
      for (let a = 0; a < px - 1; a++) {
        const colB = (P[r00 + a + 1] as number) | ((P[r10 + a + 1] as number) << 1) | ((P[r01 + a + 1] as number) << 2) | ((P[r11 + a + 1] as number) << 3);
        if (colA === colB && (colA === 0 || colA === 15)) {
          colA = colB;
          continue;
        }
        const code = COLUMN_PAIR_TO_CODE[colA | (colB << 4)] as number;
        colA = colB;
        pts.push3(
          a + (VERTEX_OFFSET[3 * code] as number) - 1 + i0,
          b + (VERTEX_OFFSET[3 * code + 1] as number) - 1 + j0,
          c + (VERTEX_OFFSET[3 * code + 2] as number) - 1 + k0,
        );
        cur[a + cw * b] = nVerts++;
      }
    }
    // 2. quads: x- and y-edges of voxel plane c use cell layers c−1 (prev) and c (cur)
    if (c >= 1) {
      for (let b = 1; b < py - 1; b++) {
        const rowP = px * (b + py * c);
        for (let a = 0; a < px - 1; a++) {
          const s0 = P[rowP + a] as number;
          if (s0 === P[rowP + a + 1]) continue;
          quad(prev[a + cw * (b - 1)] as number, prev[a + cw * b] as number, cur[a + cw * b] as number, cur[a + cw * (b - 1)] as number, s0 === 0);
        }
      }
      for (let b = 0; b < py - 1; b++) {
        const rowP = px * (b + py * c);
        for (let a = 1; a < px - 1; a++) {
          const s0 = P[rowP + a] as number;
          if (s0 === P[rowP + a + px]) continue;
          quad(prev[a - 1 + cw * b] as number, cur[a - 1 + cw * b] as number, cur[a + cw * b] as number, prev[a + cw * b] as number, s0 === 0);
        }
      }
    }
    // z-edges between voxel planes c and c+1 use cell layer c only
    for (let b = 1; b < py - 1; b++) {
      const rowP = px * (b + py * c);
      for (let a = 1; a < px - 1; a++) {
        const s0 = P[rowP + a] as number;
        if (s0 === P[rowP + a + pxy]) continue;
        quad(cur[a - 1 + cw * (b - 1)] as number, cur[a + cw * (b - 1)] as number, cur[a + cw * b] as number, cur[a - 1 + cw * b] as number, s0 === 0);
      }
    }
    const t = prev;
    prev = cur;
    cur = t;
  }
  const points = pts.result();
  toLps(points, g);
  const triangles = tris.result();
  if (det3(g.direction) < 0) flipOrientation(triangles);
  return { points, triangles };
}

function det3(m: readonly number[]): number {
  const [a, b, c, d, e, f, g, h, i] = m as [number, number, number, number, number, number, number, number, number];
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}

/** Maps continuous voxel indices (in place) to LPS mm. */
function toLps(points: Float32Array, g: VolumeGeometry): void {
  for (let p = 0; p < points.length; p += 3) {
    const w = indexToLps(g, [points[p] as number, points[p + 1] as number, points[p + 2] as number]);
    points[p] = w[0];
    points[p + 1] = w[1];
    points[p + 2] = w[2];
  }
}

function flipOrientation(tris: Uint32Array): void {
  for (let t = 0; t < tris.length; t += 3) {
    const x = tris[t + 1] as number;
    tris[t + 1] = tris[t + 2] as number;
    tris[t + 2] = x;
  }
}
