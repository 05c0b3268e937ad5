/**
 * `npm run bench -- twin`: the anatomical twin on a 0.75 mm version of the
 * example CT (trilinear resampling of the 3 mm volume, about 485×401×445
 * voxels, int16 HU).
 * `npm run bench -- spine`: the spine characterisation (segmentation, labels,
 * measurements, landmarks to the skin, intervertebral spaces, grey levels on
 * the bone mesh) of the example CT at 3 mm and at 0.75 mm, given its twin.
 * Each measured run is a fresh child process, so peak memory (max RSS) is
 * that of the work alone. Prints stage timings and peak memory and writes
 * them, with the machine, to docs/benchmarks.md.
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
import { characteriseSpine } from '../../electron/engine/spine/index.js';
import { greyLevelsAlongNormals } from '../../electron/engine/spine/surfaces.js';

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

/** One measured spine run (child process): the twin's masks and meshes first (not timed), then the characterisation. */
async function measureSpine(file: string): Promise<void> {
  const { volume } = await readVolume(file);
  const twin = buildAnatomicalTwin(volume, 'CT', TwinParams.parse({}));
  const t0 = performance.now();
  const res = characteriseSpine(volume, twin.bone!.mask, { skinPoints: twin.skinMesh.points });
  const t1 = performance.now();
  greyLevelsAlongNormals(volume, twin.boneMesh!, 3);
  const t2 = performance.now();
  const result = {
    dims: volume.dims,
    voxels: volume.data.length,
    levels: res.report.vertebrae.map((v) => v.name).join(' '),
    boneVertices: twin.boneMesh!.points.length / 3,
    timingsMs: { ...res.report.timingsMs, 'grey levels (3 mm)': Math.round(t2 - t1), total: Math.round(t2 - t0) },
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  process.stdout.write(JSON.stringify(result));
}

async function main(): Promise<void> {
  const [mode, arg] = process.argv.slice(2);
  if (mode === '--measure') return measure(arg!);
  if (mode === '--measure-spine') return measureSpine(arg!);
  if (mode === 'spine') return benchSpine();
  if (mode !== 'twin') {
    console.error('usage: npm run bench -- twin|spine');
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
  const machine = machineLine();
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
  writeSection('twin', section);
}

const machineLine = (): string =>
  `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 1024 ** 3)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;

/** Replaces (or appends) the `## <name> — …` section of docs/benchmarks.md. */
function writeSection(name: string, section: string): void {
  const doc = path.join(root, 'docs', 'benchmarks.md');
  const head = '# Benchmarks\n\nWritten by `npm run bench -- <name>`; each section is replaced when its benchmark runs again.\n\n';
  let text = fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : head;
  const re = new RegExp(`## ${name} — [\\s\\S]*?(?=\\n## |$)`);
  text = re.test(text) ? text.replace(re, section) : text.trimEnd() + '\n\n' + section;
  fs.mkdirSync(path.dirname(doc), { recursive: true });
  fs.writeFileSync(doc, text);
  console.log(section);
}

/** Runs `--measure-spine` in fresh processes on the 3 mm and 0.75 mm CTs; median stage times per input. */
async function benchSpine(): Promise<void> {
  if (!dataRoot) {
    console.error('bench: the shared data folder is absent (set ORTHOTWIN_DATA)');
    process.exit(1);
  }
  const fine = path.join(os.tmpdir(), 'orthotwin-bench-ct-0.75mm.nrrd');
  if (!fs.existsSync(fine)) {
    console.log('making the 0.75 mm CT…');
    await prepare(fine);
  }
  const inputs: [string, string][] = [
    ['3 mm (original)', path.join(dataRoot, 'ct', 'totalseg_example_ct.nii.gz')],
    ['0.75 mm (resampled)', fine],
  ];
  const runs = Number(process.env['BENCH_RUNS'] ?? 3);
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const blocks: string[] = [];
  for (const [label, file] of inputs) {
    const results: ReturnType<typeof JSON.parse>[] = [];
    for (let r = 0; r < runs; r++) {
      const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--measure-spine', file], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      });
      results.push(JSON.parse(out));
      console.log(`${label} run ${r + 1}: ${JSON.stringify(results[r].timingsMs)} peak RSS ${results[r].peakRssMb} MB`);
    }
    const stages = Object.keys(results[0].timingsMs as Record<string, number>);
    const r0 = results[0];
    blocks.push(
      `### ${label}: ${r0.dims.join('×')} voxels (${(r0.voxels / 1e6).toFixed(1)} M); levels ${r0.levels}; bone mesh ${r0.boneVertices} vertices`,
      '',
      '| stage | median (ms) |',
      '|---|---|',
      ...stages.map((st) => `| ${st} | ${median(results.map((x) => x.timingsMs[st] as number))} |`),
      '',
      `Peak memory (max RSS, including the twin build before it): ${Math.max(...results.map((x) => x.peakRssMb as number))} MB.`,
      '',
    );
  }
  const section = [
    '## spine — spine characterisation of the example CT',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on: ${machineLine()}.`,
    `${runs} runs per input, each in a fresh process; the twin (masks, meshes) is built first and not timed. Target: total < 10 000 ms at 0.75 mm.`,
    '',
    ...blocks,
  ].join('\n');
  writeSection('spine', section);
}

void main();
