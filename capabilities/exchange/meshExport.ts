/**
 * The twin's meshes written for 3D printing (`exchange.exportMesh`, `twin
 * export`): the parts asked for are read from the twin store (skin-mesh and
 * bone-mesh VTP of the twin; disc-spaces VTP of its newest spine analysis,
 * one object per disc by its `disc` point array; the newest screw plan's
 * screws as closed cylinders from entry to tip of their diameter), each repaired
 * (`repairMesh`: closed and manifold, outward) and checked
 * (`analysePrintability`, with the wall thickness estimate), then written as
 * one 3MF (electron/io/threeMf.ts: an object per part with its base material
 * and colour) or one STL (binary or ASCII; one part). Per-vertebra parts are
 * not offered: the spine analysis stores a label map, not per-vertebra meshes.
 * Coordinates stay the twin's LPS millimetres. Audited as an export of the twin.
 */
import { AppError } from '../../electron/contract/errors.js';
import type { TwinStore } from '../../electron/db/store.js';
import { analysePrintability, repairMesh } from '../../electron/engine/printability.js';
import type { TriangleMesh } from '../../electron/engine/surface.js';
import { decodeVtp, encodeStl, encodeStlAscii, vtpPointArray } from '../../electron/io/mesh.js';
import { encode3mf, type ThreeMfMaterial } from '../../electron/io/threeMf.js';
import { listPlans } from '../planning/repo.js';
import { listSpineAnalyses } from '../spine/repo.js';
import { getArtefactPath, getTwin } from '../twins/repo.js';
import { softwareName } from '../studies/exports.js';
import { exportPath, writeNewExport } from './exportFiles.js';
import { ExportMeshRequest, type ExportedObject, type ExportMeshResult, type MeshPart } from './contract.js';

/** The base materials of the printed parts (sRGB): bone ivory, skin a translucent skin tone, discs blue, screws titanium grey. */
export const PRINT_MATERIALS: Record<MeshPart, ThreeMfMaterial> = {
  bone: { name: 'Bone', displayColor: '#E3DAC9FF' },
  skin: { name: 'Skin', displayColor: '#E0AC8A80' },
  discs: { name: 'Intervertebral disc', displayColor: '#4A90D9FF' },
  screws: { name: 'Pedicle screw', displayColor: '#8A9199FF' },
};

const PART_ORDER: MeshPart[] = ['skin', 'bone', 'discs', 'screws'];

/**
 * A closed cylinder from `a` to `b` (LPS mm) of radius `r` (mm): `segments` side quads and two capped ends (a
 * centre vertex each), so the mesh is closed and manifold; its winding is set by the repair that every exported part
 * goes through (outward, positive volume).
 */
export function cylinderMesh(a: readonly number[], b: readonly number[], r: number, segments = 24): TriangleMesh {
  const d = [b[0]! - a[0]!, b[1]! - a[1]!, b[2]! - a[2]!];
  const len = Math.hypot(d[0]!, d[1]!, d[2]!);
  if (!(len > 0) || !(r > 0)) throw new Error(`a screw needs a length and a radius (length ${len} mm, radius ${r} mm)`);
  const z = d.map((x) => x / len);
  const helper = Math.abs(z[0]!) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const cross = (u: number[], v: number[]): number[] => [u[1]! * v[2]! - u[2]! * v[1]!, u[2]! * v[0]! - u[0]! * v[2]!, u[0]! * v[1]! - u[1]! * v[0]!];
  const xr = cross(helper, z);
  const xn = Math.hypot(xr[0]!, xr[1]!, xr[2]!);
  const x = xr.map((v) => v / xn);
  const y = cross(z, x);
  const pts: number[] = [];
  for (const c of [a, b])
    for (let i = 0; i < segments; i++) {
      const t = (2 * Math.PI * i) / segments;
      for (let k = 0; k < 3; k++) pts.push(c[k]! + r * (Math.cos(t) * x[k]! + Math.sin(t) * y[k]!));
    }
  pts.push(...a, ...b);
  const ca = 2 * segments,
    cb = 2 * segments + 1;
  const tris: number[] = [];
  for (let i = 0; i < segments; i++) {
    const j = (i + 1) % segments;
    tris.push(i, j, segments + j, i, segments + j, segments + i);
    tris.push(ca, j, i, cb, segments + i, segments + j);
  }
  return { points: Float32Array.from(pts), triangles: Uint32Array.from(tris) };
}

interface PartMesh {
  name: string;
  part: MeshPart;
  source: string;
  mesh: TriangleMesh;
}

/** The triangles of `mesh` whose first vertex has `label` in `perVertex`, with their vertices only. */
function subMesh(mesh: TriangleMesh, perVertex: Float32Array, label: number): TriangleMesh {
  const map = new Map<number, number>();
  const pts: number[] = [];
  const tris: number[] = [];
  const t = mesh.triangles;
  for (let f = 0; f < t.length; f += 3) {
    if (perVertex[t[f] as number] !== label) continue;
    for (let k = 0; k < 3; k++) {
      const v = t[f + k] as number;
      let w = map.get(v);
      if (w === undefined) {
        w = pts.length / 3;
        map.set(v, w);
        pts.push(mesh.points[3 * v] as number, mesh.points[3 * v + 1] as number, mesh.points[3 * v + 2] as number);
      }
      tris.push(w);
    }
  }
  return { points: Float32Array.from(pts), triangles: Uint32Array.from(tris) };
}

/** The meshes of the parts asked for; the parts the twin lacks go to `omitted` with the reason. */
async function partMeshes(store: TwinStore, twinId: string, parts: MeshPart[], omitted: ExportMeshResult['omitted']): Promise<PartMesh[]> {
  const twin = getTwin(store, twinId);
  const out: PartMesh[] = [];
  for (const part of PART_ORDER.filter((p) => parts.includes(p))) {
    if (part === 'discs') {
      const analysis = listSpineAnalyses(store, twinId)[0];
      const a = analysis?.artefacts.find((x) => x.kind === 'disc-spaces' && x.format === 'vtp');
      if (!analysis || !a) {
        omitted.push({
          part,
          reason: analysis ? 'the spine analysis has no intervertebral spaces' : 'the twin has no spine analysis (run twin spine or Spine → Analyse)',
        });
        continue;
      }
      const buf = await store.readFile(getArtefactPath(store, a.id).abs);
      const mesh = decodeVtp(buf);
      const disc = vtpPointArray(buf, 'disc');
      const labels = disc ? [...new Set(disc)].filter((x) => Number.isFinite(x)).sort((x, y) => x - y) : [];
      if (!disc || labels.length === 0) out.push({ name: 'Intervertebral discs', part, source: 'disc-spaces', mesh });
      else
        for (const l of labels) {
          const d = analysis.report.discs[l];
          out.push({ name: d ? `Disc ${d.upper}-${d.lower}` : `Disc ${l + 1}`, part, source: 'disc-spaces', mesh: subMesh(mesh, disc, l) });
        }
      continue;
    }
    if (part === 'screws') {
      const plan = listPlans(store, twinId)[0];
      if (!plan || plan.screws.length === 0) {
        omitted.push({ part, reason: 'the twin has no screw plan (twin screws, or planning.proposeScrews on its spine analysis)' });
        continue;
      }
      for (const sc of plan.screws)
        out.push({
          name: `Screw ${sc.level} ${sc.side} ${sc.diameterMm}x${sc.lengthMm} mm`,
          part,
          source: `screw plan v${plan.version}`,
          mesh: cylinderMesh(sc.entryLps, sc.targetLps, sc.diameterMm / 2),
        });
      continue;
    }
    const kind = part === 'skin' ? 'skin-mesh' : 'bone-mesh';
    const a = twin.artefacts.find((x) => x.kind === kind && x.format === 'vtp');
    if (!a) {
      omitted.push({ part, reason: `the twin has no ${kind} (${part === 'bone' ? 'bone is meshed from CT only' : 'no body surface'})` });
      continue;
    }
    out.push({ name: part === 'skin' ? 'Skin' : 'Bone', part, source: kind, mesh: decodeVtp(await store.readFile(getArtefactPath(store, a.id).abs)) });
  }
  return out;
}

/**
 * Exports the twin's meshes for printing (see the file comment).
 * @param req parsed or not (defaults filled here); `out`: the file to write, created with its folder, never overwritten
 * @returns the file, its hash, and per object the printability before and after repair and what the repair did
 * @throws AppError NOT_FOUND for an unknown twin (or one in the trash); BAD_REQUEST when none of the parts exists, an STL
 *   is asked for several parts, a part is still not closed and manifold after repair (named, with its counts: holes are
 *   not filled), or the file exists
 */
export async function exportTwinMesh(store: TwinStore, actor: string, twinId: string, request: ExportMeshRequest): Promise<ExportMeshResult> {
  const req = ExportMeshRequest.parse(request);
  const t0 = performance.now();
  const twin = getTwin(store, twinId);
  const parts = req.parts ?? (req.format === 'stl' ? ['bone'] : PART_ORDER);
  const omitted: ExportMeshResult['omitted'] = [];
  const meshes = await partMeshes(store, twinId, parts, omitted);
  if (meshes.length === 0)
    throw new AppError(
      'BAD_REQUEST',
      `twin ${twinId}: none of the parts ${parts.join(', ')} exists (${omitted.map((o) => `${o.part}: ${o.reason}`).join('; ')})`,
    );
  if (req.format === 'stl' && (parts.length > 1 || meshes.length > 1))
    throw new AppError('BAD_REQUEST', `an STL holds one part (asked: ${parts.join(', ')}, ${meshes.length} objects): choose one part or export 3MF`);
  const tRead = performance.now();
  const objects: ExportedObject[] = [];
  const repaired: TriangleMesh[] = [];
  for (const m of meshes) {
    const before = analysePrintability(m.mesh, { wallSamples: 0 });
    const r = repairMesh(m.mesh);
    const after = analysePrintability(r.mesh, { wallThresholdMm: req.wallThresholdMm });
    if (!after.manifold)
      throw new AppError(
        'BAD_REQUEST',
        `${m.name} (${m.source} of twin ${twinId}) is still not closed and manifold after repair: ${after.boundaryEdges} boundary edges, ${after.nonManifoldEdges} non-manifold edges, ${after.nonManifoldVertices} non-manifold vertices; holes are not filled, so it is not exported`,
      );
    const mat = PRINT_MATERIALS[m.part];
    objects.push({ name: m.name, part: m.part, source: m.source, material: mat.name, displayColor: mat.displayColor, before, repair: r.actions, after });
    repaired.push(r.mesh);
  }
  const tRepair = performance.now();
  const bytes =
    req.format === '3mf'
      ? encode3mf({
          objects: meshes.map((m, i) => ({ name: m.name, mesh: repaired[i]!, material: m.part })),
          materials: PRINT_MATERIALS,
          metadata: {
            Title: `OrthoTwin twin ${twin.id} v${twin.version}: ${objects.map((o) => o.name).join(', ')}`,
            Application: softwareName(),
            CreationDate: new Date().toISOString().slice(0, 10),
            Description: 'LPS millimetres of the twin (x patient left, y posterior, z superior)',
          },
        })
      : req.stlEncoding === 'ascii'
        ? encodeStlAscii(repaired[0]!, `OrthoTwin_${meshes[0]!.name}_LPS_mm`)
        : encodeStl(repaired[0]!, `OrthoTwin ${meshes[0]!.name} LPS mm`);
  const file = exportPath(store.dataDir, twin.id, parts.join('-'), req.format, req.out);
  const sha256 = await writeNewExport(file, bytes);
  store.audit(actor, 'export', 'twin', twinId, {
    format: req.format,
    objects: objects.map((o) => o.name),
    bytes: bytes.length,
    sha256,
  });
  return {
    path: file,
    format: req.format,
    bytes: bytes.length,
    sha256,
    unit: 'millimeter',
    frame: 'LPS',
    objects,
    omitted,
    timingsMs: {
      read: Math.round(tRead - t0),
      repairAndCheck: Math.round(tRepair - tRead),
      write: Math.round(performance.now() - tRepair),
      total: Math.round(performance.now() - t0),
    },
  };
}
