/**
 * `npm run twin -- register --fixed <skin mesh: stl|vtp> --moving <cloud: pcd|ply|png+json> [--view back|front] [--points <pairs.json>] [--json]`
 *
 * Markerless rigid registration of a depth camera's cloud (camera frame, mm)
 * to a skin mesh (image LPS mm), headless: the cloud's skin is captured
 * (table, background and outliers removed), then registered from the set-up
 * prior (camera looking at the patient's back, or front), or from a 3-point
 * coarse alignment (`--points`: the same ≥ 3 skin points in the camera and
 * the image). Prints the 4×4
 * transform (moving → fixed, mm), the fit residual, the overlap, the
 * predicted TRE at the centre of the matched skin and the time taken.
 * Exit code 0 when the registration is accepted, 1 on an error or when it is
 * refused (the reasons are printed), 2 on bad usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { registerCaptureFiles } from './skinRegistration.js';

const USAGE = 'usage: twin register --fixed <skin mesh: stl|vtp> --moving <cloud: pcd|ply|png> [--view back|front] [--points <pairs.json>] [--json]';

/** Reads a 3-point alignment file: {"camera": [[x, y, z], …], "image": [[x, y, z], …]} (mm). */
function readPoints(file: string): { camera: number[][]; image: number[][] } {
  let j: unknown;
  try {
    j = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
  }
  const ok = (a: unknown): a is number[][] =>
    Array.isArray(a) && a.length >= 3 && a.every((p) => Array.isArray(p) && p.length === 3 && p.every(Number.isFinite));
  const o = j as { camera?: unknown; image?: unknown };
  if (!ok(o.camera) || !ok(o.image)) throw new Error(`${file}: expected {"camera": [[x, y, z] × ≥ 3], "image": [[x, y, z] × ≥ 3]} (mm)`);
  return { camera: o.camera, image: o.image };
}

export async function runRegister(argv: string[]): Promise<number> {
  let fixedPath = '',
    movingPath = '',
    view: 'back' | 'front' = 'back',
    json = false,
    pointsPath = '';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--fixed') fixedPath = argv[++i] ?? '';
    else if (a === '--moving') movingPath = argv[++i] ?? '';
    else if (a === '--view') {
      const v = argv[++i];
      if (v !== 'back' && v !== 'front') return (console.error(`--view must be back or front\n${USAGE}`), 2);
      view = v;
    } else if (a === '--points') pointsPath = argv[++i] ?? '';
    else if (a === '--json') json = true;
    else if (a !== '--data-dir' && !a.startsWith('--data-dir=')) return (console.error(`unknown argument ${a}\n${USAGE}`), 2);
  }
  if (!fixedPath || !movingPath) return (console.error(USAGE), 2);
  try {
    const points = pointsPath ? readPoints(pointsPath) : undefined;
    const { reg, capture: cap, totalMs } = registerCaptureFiles({ skinMeshPath: fixedPath, cloudPath: movingPath, view, ...(points ? { points } : {}) });
    const out = {
      fixed: path.resolve(fixedPath),
      moving: path.resolve(movingPath),
      transformMovingToFixed: [0, 1, 2, 3].map((r) => reg.transform.slice(4 * r, 4 * r + 4)),
      residualRmsMm: reg.residualRmsMm,
      overlap: reg.overlap,
      predictedTreMm: reg.predictedTreMm,
      predictedAtLps: reg.centreLps,
      converged: reg.converged,
      cameraPoints: { input: cap.inputPoints, skin: cap.points.length / 3, removed: cap.removed, supportPlanes: cap.planes.length },
      refused: reg.refused,
      registrationMs: Math.round(reg.timeMs),
      totalMs: Math.round(totalMs),
    };
    if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    else {
      console.log('transform (moving → fixed, mm):');
      for (const row of out.transformMovingToFixed) console.log('  ' + row.map((v) => v.toFixed(5).padStart(12)).join(' '));
      console.log(`fit residual ${reg.residualRmsMm.toFixed(2)} mm (RMS point-to-plane, trimmed) — a fit measure, not an accuracy`);
      console.log(`overlap ${(100 * reg.overlap).toFixed(0)} % of the camera skin points; converged ${reg.converged ? 'yes' : 'no'}`);
      console.log(
        `predicted TRE ${reg.predictedTreMm.toFixed(2)} mm at the centre of the matched skin (${reg.centreLps.map((v) => v.toFixed(0)).join(', ')} LPS mm)`,
      );
      console.log(`camera points: ${cap.inputPoints} in, ${cap.points.length / 3} skin points used; ${cap.planes.length} support plane(s) removed`);
      console.log(`time: registration ${out.registrationMs} ms, total ${out.totalMs} ms`);
      if (reg.refused) for (const r of reg.refused) console.log(`REFUSED: ${r}`);
    }
    return reg.refused ? 1 : 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}
