/**
 * Voxelization of a closed triangle mesh (LPS mm) onto a grid: a voxel centre
 * is inside when a ray along +i crosses the surface an odd number of times
 * (Jordan parity). Used to compare a mesh with label maps voxel by voxel.
 */
import type { TriangleMesh } from './surface.js';
import { lpsToIndex, type VolumeGeometry } from './volume.js';

/**
 * @param mesh closed triangle mesh in LPS mm
 * @param g target grid
 * @returns Uint8Array mask on the grid (1 = inside the mesh)
 */
export function voxelizeMesh(mesh: TriangleMesh, g: VolumeGeometry): Uint8Array {
  const [nx, ny, nz] = g.dims;
  const nP = mesh.points.length / 3;
  const q = new Float64Array(mesh.points.length);
  for (let v = 0; v < nP; v++) {
    const idx = lpsToIndex(g, [mesh.points[3 * v] as number, mesh.points[3 * v + 1] as number, mesh.points[3 * v + 2] as number]);
    q[3 * v] = idx[0];
    q[3 * v + 1] = idx[1];
    q[3 * v + 2] = idx[2];
  }
  // crossings per row (j, k): list of i positions
  const rows = new Map<number, number[]>();
  const t = mesh.triangles;
  const ej = 1e-7,
    ek = 1.3e-7; // ray offset against exact vertex/edge hits
  for (let f = 0; f < t.length; f += 3) {
    const a = 3 * (t[f] as number),
      b = 3 * (t[f + 1] as number),
      c = 3 * (t[f + 2] as number);
    const ja = q[a + 1] as number,
      jb = q[b + 1] as number,
      jc = q[c + 1] as number;
    const ka = q[a + 2] as number,
      kb = q[b + 2] as number,
      kc = q[c + 2] as number;
    const j0 = Math.max(0, Math.ceil(Math.min(ja, jb, jc))),
      j1 = Math.min(ny - 1, Math.floor(Math.max(ja, jb, jc)));
    const k0 = Math.max(0, Math.ceil(Math.min(ka, kb, kc))),
      k1 = Math.min(nz - 1, Math.floor(Math.max(ka, kb, kc)));
    if (j0 > j1 || k0 > k1) continue;
    const det = (jb - ja) * (kc - ka) - (jc - ja) * (kb - ka);
    if (det === 0) continue;
    for (let k = k0; k <= k1; k++)
      for (let j = j0; j <= j1; j++) {
        const pj = j + ej,
          pk = k + ek;
        const u = ((pj - ja) * (kc - ka) - (jc - ja) * (pk - ka)) / det;
        const w = ((jb - ja) * (pk - ka) - (pj - ja) * (kb - ka)) / det;
        if (u < 0 || w < 0 || u + w > 1) continue;
        const i = (q[a] as number) + u * ((q[b] as number) - (q[a] as number)) + w * ((q[c] as number) - (q[a] as number));
        const key = j + ny * k;
        const list = rows.get(key);
        if (list) list.push(i);
        else rows.set(key, [i]);
      }
  }
  const out = new Uint8Array(nx * ny * nz);
  for (const [key, xs] of rows) {
    xs.sort((x, y) => x - y);
    const base = key * nx;
    for (let p = 0; p + 1 < xs.length; p += 2) {
      const i0 = Math.max(0, Math.ceil(xs[p] as number));
      const i1 = Math.min(nx - 1, Math.floor(xs[p + 1] as number));
      for (let i = i0; i <= i1; i++) out[base + i] = 1;
    }
  }
  return out;
}
