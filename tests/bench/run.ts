/**
 * `npm run bench -- twin`: the anatomical twin on a 0.75 mm version of the
 * example CT (trilinear resampling of the 3 mm volume, about 485×401×445
 * voxels, int16 HU). Each measured run is a fresh child process, so peak
 * memory (max RSS) is that of the work alone. Prints stage timings and peak
 * memory and writes them, with the machine, to docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readVolume } from '../../electron/io/readVolume.js';
import { encodeNrrd } from '../../electron/io/nrrd.js';
import { resampleTrilinear } from '../../electron/engine/resample.js';
import { buildAnatomicalTwin } from '../../electron/engine/twinBuild.js';
import { TwinParams } from '../../electron/contract/index.js';
import type { Volume } from '../../electron/engine/volume.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const dataRoot = [process.env['ORTHOTWIN_DATA'], path.resolve(root, '..', 'shared', 'data')].find((d) => d && fs.existsSync(path.join(d, 'ct')));

async function prepare(out: string): Promise<void> {
  const ct = (await readVolume(path.join(dataRoot!, 'ct', 'totalseg_example_ct.nii.gz'))).volume;
  const v = resampleTrilinear({ ...ct, data: Int16Array.from(ct.data as Int32Array) } as Volume, [0.75, 0.75, 0.75]);
  fs.writeFileSync(out, encodeNrrd(v, { gzip: false }));
}

/** One measured run (child process): import → skin → bone → meshes. */
async function measure(file: string): Promise<void> {
  const t0 = performance.now();
  const { volume } = await readVolume(file);
  const importMs = performance.now() - t0;
  const twin = buildAnatomicalTwin(volume, 'CT', TwinParams.parse({}));
  const totalMs = performance.now() - t0;
  const result = {
    dims: volume.dims,
    voxels: volume.data.length,
    timingsMs: { import: Math.round(importMs), ...twin.timingsMs, total: Math.round(totalMs) },
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    triangles: { skin: twin.skinMesh.triangles.length / 3, bone: twin.boneMesh!.triangles.length / 3 },
    trianglesBeforeDecimation: twin.trianglesBeforeDecimation,
    skinTopology: twin.skinTopology,
  };
  process.stdout.write(JSON.stringify(result));
}

async function main(): Promise<void> {
  const [mode, arg] = process.argv.slice(2);
  if (mode === '--measure') return measure(arg!);
  if (mode !== 'twin') {
    console.error('usage: npm run bench -- twin');
    process.exit(2);
  }
  if (!dataRoot) {
    console.error('bench: the shared data folder is absent (set ORTHOTWIN_DATA)');
    process.exit(1);
  }
  const file = path.join(os.tmpdir(), 'orthotwin-bench-ct-0.75mm.nrrd');
  if (!fs.existsSync(file)) {
    console.log('making the 0.75 mm CT…');
    await prepare(file);
  }
  const runs = Number(process.env['BENCH_RUNS'] ?? 3);
  const results: ReturnType<typeof JSON.parse>[] = [];
  for (let r = 0; r < runs; r++) {
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--measure', file], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    const res = JSON.parse(out);
    results.push(res);
    console.log(`run ${r + 1}: ${JSON.stringify(res.timingsMs)} peak RSS ${res.peakRssMb} MB`);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const stages = Object.keys(results[0].timingsMs as Record<string, number>);
  const med = Object.fromEntries(stages.map((s) => [s, median(results.map((r) => r.timingsMs[s] as number))]));
  const peak = Math.max(...results.map((r) => r.peakRssMb as number));
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 1024 ** 3)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
  const r0 = results[0];
  const section = [
    `## twin — anatomical twin of the 0.75 mm example CT`,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on: ${machine}.`,
    `Input: ${r0.dims.join('×')} voxels (${(r0.voxels / 1e6).toFixed(1)} M, int16), NRRD raw, read with itk-wasm. ${runs} runs, each in a fresh process; median stage times, peak = max RSS over the runs.`,
    '',
    '| stage | median (ms) |',
    '|---|---|',
    ...stages.map((s) => `| ${s} | ${med[s]} |`),
    '',
    `Peak memory (max RSS): **${peak} MB**. Target: whole twin ≤ 15 000 ms, peak < 2048 MB (a VTK + scipy pipeline: about 60 s and 2.8 GB).`,
    `Meshes: skin ${r0.triangles.skin} triangles (${r0.trianglesBeforeDecimation.skin} before decimation), bone ${r0.triangles.bone} (${r0.trianglesBeforeDecimation.bone}); skin topology ${JSON.stringify(r0.skinTopology)}.`,
    '',
  ].join('\n');
  const doc = path.join(root, 'docs', 'benchmarks.md');
  const head = '# Benchmarks\n\nWritten by `npm run bench -- <name>`; each section is replaced when its benchmark runs again.\n\n';
  let text = fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : head;
  const re = /## twin — [\s\S]*?(?=\n## |$)/;
  text = re.test(text) ? text.replace(re, section) : text.trimEnd() + '\n\n' + section;
  fs.mkdirSync(path.dirname(doc), { recursive: true });
  fs.writeFileSync(doc, text);
  console.log(section);
}

void main();
