/**
 * `npm run twin -- export <twin id> --data-dir D --format 3mf|stl|seg|sr|surface --out F
 * [--parts skin,bone,discs] [--ascii] [--wall-threshold MM] [--store-key-file K] [--json]`:
 * writes the twin's meshes for 3D printing (meshExport.ts: each part
 * repaired to be closed and manifold, LPS mm) and prints per object its
 * triangles, what the repair did and the printability (closed, manifold,
 * shells, volume, minimum wall and 1st percentile); `--json` prints the
 * whole `ExportMeshResult`. `--format seg|sr` writes the DICOM Segmentation
 * (vertebra labels, bone, body) or the TID 1500 measurement SR of the twin
 * (dicomExport.ts), reads it back and prints its segments or measurements
 * (`--json`: `{ export, readBack }`). Exit 0 done, 1 failed (the message names the
 * twin, part or file and the reason), 2 bad usage.
 */
import { cliFailure } from '../../electron/platform/capability.js';
import path from 'node:path';
import { resolveDataDir } from '../../electron/services/dataDir.js';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { fileKeyStore } from '../../electron/services/storeKey.js';
import { MeshPart } from './contract.js';
import { exportTwinDicom, readDicomObject } from './dicomExport.js';
import { exportTwinMesh } from './meshExport.js';

const USAGE =
  'usage: twin export <twin id> --data-dir D --format 3mf|stl|seg|sr|surface --out F [--parts skin,bone,discs] [--ascii] [--wall-threshold MM] [--store-key-file K] [--json]';

/** @returns 0 done, 1 failed (the message says why), 2 bad usage */
export async function runExport(argv: string[]): Promise<number> {
  let twinId: string | null = null;
  let format: '3mf' | 'stl' | 'seg' | 'sr' | 'surface' | null = null;
  let out: string | null = null;
  let parts: MeshPart[] | undefined;
  let ascii = false;
  let json = false;
  let keyFile: string | null = null;
  let wall: number | undefined;
  const bad = (why: string): number => {
    console.error(`${why}\n${USAGE}`);
    return 2;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--ascii') ascii = true;
    else if (a === '--format') {
      const f = (argv[++i] ?? '').toLowerCase();
      if (f !== '3mf' && f !== 'stl' && f !== 'seg' && f !== 'sr' && f !== 'surface')
        return bad(`--format takes 3mf, stl, seg, sr or surface, not "${argv[i] ?? ''}"`);
      format = f;
    } else if (a === '--out') out = argv[++i] ?? null;
    else if (a === '--parts') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = list.filter((p) => !MeshPart.safeParse(p).success);
      if (!list.length || unknown.length) return bad(`--parts takes skin, bone and discs, comma-separated (not "${unknown.join(',') || argv[i] || ''}")`);
      parts = list as MeshPart[];
    } else if (a === '--wall-threshold') {
      wall = Number(argv[++i]);
      if (!(wall > 0)) return bad(`--wall-threshold takes a thickness in mm, not "${argv[i] ?? ''}"`);
    } else if (a === '--store-key-file') keyFile = argv[++i] ?? null;
    else if (a === '--data-dir') i++;
    else if (a.startsWith('--data-dir=')) continue;
    else if (a.startsWith('--')) return bad(`unknown option ${a}`);
    else if (twinId === null) twinId = a;
    else return bad(`unexpected argument ${a}`);
  }
  if (!twinId || !format || !out) return bad(`missing ${!twinId ? 'the twin id' : !format ? '--format' : '--out'}`);
  if (ascii && format !== 'stl') return bad('--ascii is for STL');
  if ((format === 'seg' || format === 'sr' || format === 'surface') && (parts || wall !== undefined))
    return bad('--parts and --wall-threshold are for 3MF and STL');
  let host: ServiceHost | null = null;
  try {
    host = createServices({
      dataDir: resolveDataDir(argv),
      transport: 'cli',
      actor: 'cli',
      ...(keyFile ? { keyStore: fileKeyStore(path.resolve(keyFile)) } : {}),
    });
    if (format === 'seg' || format === 'sr' || format === 'surface') {
      const e = await exportTwinDicom(host.store, 'cli', twinId, { kind: format, out: path.resolve(out) });
      const back = readDicomObject(e.path);
      if (json) process.stdout.write(JSON.stringify({ export: e, readBack: back }, null, 2) + '\n');
      else {
        console.log(`${e.path}: ${format.toUpperCase()}, ${e.bytes} bytes, SOP instance ${e.sopInstanceUid} (sha256 ${e.sha256})`);
        console.log(
          `  references study ${e.studyInstanceUid}, series ${e.referencedSeriesInstanceUid} (${e.sourceInstances} instances, from the ${e.sourceReference === 'store' ? 'reference stored at the import' : 'source folder'}), frame of reference ${e.frameOfReferenceUid}`,
        );
        for (const s of back.segments)
          console.log(
            `  segment ${s.number} ${s.label} (${s.type.CodingSchemeDesignator} ${s.type.CodeValue} "${s.type.CodeMeaning}"): ${s.frames} frames, ${s.voxels} voxels`,
          );
        for (const s of back.surfaces)
          console.log(`  surface ${s.label}: ${s.points} points, ${s.triangles} triangles, finite volume ${s.finiteVolume}, manifold ${s.manifold}`);
        for (const m of back.measurements)
          console.log(`  ${m.group}: ${m.concept.CodeMeaning}${m.modifiers.length ? ` (${m.modifiers.join(', ')})` : ''} = ${m.value} ${m.unit.CodeValue}`);
        const v = (p: number[] | null): string => (p ? `(${p.map((x) => x.toFixed(2)).join(', ')})` : '-');
        for (const s of back.screws)
          console.log(`  ${s.group}: entry ${v(s.entryLps)} → target ${v(s.targetLps)} LPS mm, Gertzbein–Robbins ${s.grade}, screw plan v${s.planVersion}`);
        for (const o of e.omitted) console.log(`  left out: ${o}`);
      }
      return 0;
    }
    const r = await exportTwinMesh(host.store, 'cli', twinId, {
      format,
      out: path.resolve(out),
      ...(parts ? { parts } : {}),
      stlEncoding: ascii ? 'ascii' : 'binary',
      ...(wall !== undefined ? { wallThresholdMm: wall } : {}),
    });
    if (json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    else {
      console.log(`${r.path}: ${r.format.toUpperCase()}, ${r.bytes} bytes, ${r.unit}, ${r.frame} (sha256 ${r.sha256})`);
      const mm = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : `${x.toFixed(2)} mm`);
      for (const o of r.objects)
        console.log(
          `  ${o.name} (${o.displayColor}): ${o.after.triangles} triangles, ${o.after.shells} shells, ${(o.after.signedVolumeMm3 / 1000).toFixed(1)} mL; ` +
            `before repair ${o.before.nonManifoldEdges} non-manifold edges, ${o.before.boundaryEdges} boundary edges; ` +
            `${o.repair.verticesSplit} vertices split, ${o.repair.trianglesFlipped} flipped; closed ${o.after.closed}, manifold ${o.after.manifold}; ` +
            `wall min ${mm(o.after.wall?.minMm)}, 1st percentile ${mm(o.after.wall?.p1Mm)}, ${o.after.wall?.belowThreshold ?? 0} samples under ${mm(o.after.wall?.thresholdMm)}`,
        );
      for (const o of r.omitted) console.log(`  ${o.part}: left out (${o.reason})`);
    }
    return 0;
  } catch (e) {
    return cliFailure(e, json);
  } finally {
    host?.close();
  }
}
