/**
 * `npm run bench -- pacs`: retrieval of a 500-slice CT series from a real
 * Orthanc (Debian's orthanc + orthanc-dicomweb on loopback,
 * tests/helpers/orthanc.ts) by OrthoTwin over DIMSE (C-MOVE to its own
 * C-STORE SCP, C-GET) and DICOMweb (WADO-RS), beside DCMTK's getscu and
 * movescu (and curl fetching the same WADO-RS response, the HTTP floor) on the
 * same series in the same run (issue 24 must-show 4).
 *
 * The series: the example CT (122×101×112 voxels at 3 mm) resampled
 * trilinearly to 512×423×500 voxels (0.710 mm in plane, 0.667 mm between
 * slices) and written as 500 classic CT files (int16, explicit VR little
 * endian, 428 KB each, 214 MB in all) with fresh UIDs
 * (tests/helpers/ctToDicom.ts), stored into Orthanc with DCMTK's storescu.
 *
 * Each measured retrieval is a fresh process under `/usr/bin/time` (wall time
 * and max RSS of that process alone), writing the instances into an empty
 * folder on the same disk. OrthoTwin's fetch runs the functions the
 * `pacs-retrieve` job runs (capabilities/pacs/dimse.ts, dicomweb.ts: each
 * instance written under a temporary name, fsynced, renamed — DCMTK's tools
 * do not fsync); its own clock gives the fetch time without Node's start.
 * The whole job (`pacs.retrieve` through the services: listing, fetch,
 * counting, import into a fresh twin store, no twin) is measured apart, its
 * import time = job time − fetch time. Orthanc runs on the same cores.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readVolume } from '../../electron/io/readVolume.js';
import { resampleTrilinear } from '../../electron/engine/resample.js';
import type { Volume } from '../../electron/engine/volume.js';
import { writeCtSeries } from '../helpers/ctToDicom.js';
import { freePort, startOrthanc } from '../helpers/orthanc.js';
import type { PacsNode, RetrieveSummary } from '../../capabilities/pacs/contract.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const RUN_TS = path.join(here, 'run.ts');
const SLICES = 500;
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

/** What a measured child process is asked to do (JSON on its command line). */
interface ChildTask {
  via: 'c-move' | 'c-get' | 'wado-rs' | 'noop';
  /** Through the whole `pacs.retrieve` job (fetch + import into a fresh store) rather than the fetch alone. */
  job: boolean;
  node: PacsNode;
  localAet: string;
  scpPort: number;
  studyUid: string;
  seriesUid: string;
  out: string;
}

interface ChildResult {
  fetchMs: number;
  jobMs?: number;
  instances: number;
}

/** The measured child: one retrieval, its own clock; prints ChildResult as JSON. */
export async function pacsMeasure(arg: string): Promise<void> {
  const t = JSON.parse(arg) as ChildTask;
  if (t.via === 'noop') {
    // the same modules loaded, nothing fetched: the process's baseline memory
    await import('../../capabilities/pacs/dimse.js');
    await import('../../capabilities/pacs/dicomweb.js');
    await import('../../electron/services/index.js');
    process.stdout.write(JSON.stringify({ fetchMs: 0, instances: 0 } satisfies ChildResult));
    return;
  }
  if (t.job) {
    const { createServices } = await import('../../electron/services/index.js');
    const { SitePolicy } = await import('../../electron/services/policy.js');
    const { createPatient } = await import('../../capabilities/patients/repo.js');
    const host = createServices({
      dataDir: t.out,
      transport: 'cli',
      actor: 'bench',
      policy: SitePolicy.parse({ pacsNodes: [t.node], pacsLocal: { aet: t.localAet, storePort: t.scpPort, timeoutSeconds: 30 } }),
    });
    try {
      const patientId = createPatient(host.store, { displayName: 'PACS BENCH', mrn: 'BENCH500', birthDate: '', sex: '' }, 'bench').id;
      const t0 = performance.now();
      const jobId = await host.impl.pacs.retrieve(t.node.name, {
        studyUid: t.studyUid,
        seriesUid: t.seriesUid,
        via: t.via,
        patientId,
        confirmIdentity: true,
        buildTwin: false,
      });
      const outcome = await host.jobs.wait(jobId);
      const jobMs = performance.now() - t0;
      if (outcome.job.error) throw new Error(`${outcome.job.error.code}: ${outcome.job.error.message}`);
      const s = outcome.details['retrieve'] as RetrieveSummary;
      const slices = host.store.db
        .prepare("SELECT dims FROM volumes v JOIN series se ON se.id = v.series_id WHERE se.format = 'dicom'")
        .pluck()
        .get() as string;
      if (JSON.parse(slices)[2] !== SLICES) throw new Error(`imported ${slices}, not ${SLICES} slices`);
      process.stdout.write(JSON.stringify({ fetchMs: s.retrieveMs, jobMs: Math.round(jobMs), instances: s.fetched } satisfies ChildResult));
    } finally {
      host.close();
    }
    return;
  }
  const dimse = await import('../../capabilities/pacs/dimse.js');
  const web = await import('../../capabilities/pacs/dicomweb.js');
  const local = { aet: t.localAet, timeoutS: 30 };
  const items = { studyUid: t.studyUid, seriesUid: t.seriesUid };
  const keepBytes = (p10: Buffer): void => {
    // as the job does: temporary name, fsync, rename
    dimse.keepP10(t.out, web.p10SopInstanceUid(p10), p10);
  };
  fs.mkdirSync(t.out, { recursive: true });
  const t0 = performance.now();
  if (t.via === 'c-move') {
    const scp = await dimse.startStoreScp(t.scpPort, { aet: t.localAet, timeoutS: 30, onInstance: (ds) => void dimse.keepInstance(t.out, ds) });
    try {
      await dimse.move(t.node, local, t.localAet, items);
    } finally {
      await scp.close();
    }
  } else if (t.via === 'c-get') await dimse.get(t.node, local, items, [CT_IMAGE_STORAGE], (ds) => void dimse.keepInstance(t.out, ds));
  else await web.wado(t.node, t.studyUid, t.seriesUid, undefined, keepBytes, 30);
  const fetchMs = performance.now() - t0;
  process.stdout.write(JSON.stringify({ fetchMs: Math.round(fetchMs), instances: countDicom(t.out) } satisfies ChildResult));
}

/** Whole instances received into `dir` (OrthoTwin names them `<SOP Instance UID>.dcm`, DCMTK `CT.<SOP Instance UID>`; not `.part` files). */
const countDicom = (dir: string): number =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }).filter((f) => f.isFile() && !f.name.endsWith('.part')).length : 0;

/** Runs `argv` under /usr/bin/time: wall seconds and max RSS (MB) of that process, and its stdout. */
function timed(argv: string[], env: Record<string, string> = {}): { wallMs: number; peakRssMb: number; stdout: string } {
  const tf = path.join(os.tmpdir(), `orthotwin-bench-time-${process.pid}.txt`);
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', tf, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${argv.slice(0, 3).join(' ')} … failed (${r.status}): ${(r.stderr ?? '').slice(-2000)}`);
  const [wall, rss] = fs.readFileSync(tf, 'utf8').trim().split(/\s+/).slice(-2).map(Number) as [number, number];
  fs.rmSync(tf, { force: true });
  return { wallMs: Math.round(wall * 1000), peakRssMb: Math.round(rss / 1024), stdout: r.stdout };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Makes the 500-slice series, starts Orthanc, stores it, measures each way of retrieving it; returns the docs section. */
export async function pacsSection(dataRoot: string, machine: string): Promise<string> {
  const runs = Number(process.env['BENCH_RUNS'] ?? 3);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'orthotwin-bench-pacs-'));
  const seriesDir = path.join(work, 'series');
  const ct = (await readVolume(path.join(dataRoot, 'ct', 'totalseg_example_ct.nii.gz'))).volume;
  const extent = ct.dims.map((n, a) => (n - 1) * ct.spacingMm[a]!);
  const inPlane = extent[0]! / 511;
  const v = resampleTrilinear({ ...ct, data: Int16Array.from(ct.data as Int32Array) } as Volume, [inPlane, inPlane, extent[2]! / (SLICES - 1)]);
  if (v.dims[2] !== SLICES) throw new Error(`resampled to ${v.dims[2]} slices, not ${SLICES}`);
  const written = writeCtSeries(v, seriesDir, { patientName: 'PACS^BENCH', patientId: 'BENCH500', studyDate: '20250101' });
  const seriesBytes = written.files.reduce((s, f) => s + fs.statSync(f).size, 0);
  console.log(`series: ${v.dims.join('×')} voxels, ${written.files.length} files, ${(seriesBytes / 1e6).toFixed(0)} MB`);
  const scpPort = await freePort(),
    movescuPort = await freePort();
  const LOCAL_AET = 'OTWIN_BENCH';
  const orthanc = await startOrthanc({
    modalities: { orthotwin: [LOCAL_AET, '127.0.0.1', scpPort], dcmtk: ['DCMTK_MOVE', '127.0.0.1', movescuPort] },
    scuTimeoutS: 30,
  });
  const rows: { how: string; results: { wallMs: number; peakRssMb: number; fetchMs?: number; jobMs?: number }[] }[] = [];
  try {
    const t0 = performance.now();
    execFileSync('storescu', ['-aet', 'DCMTK', '-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort), ...written.files], { maxBuffer: 1 << 26 });
    console.log(`storescu: ${written.files.length} instances stored in ${Math.round(performance.now() - t0)} ms`);
    const node: PacsNode = { name: 'orthanc', aet: orthanc.aet, host: '127.0.0.1', port: orthanc.dicomPort, tls: false, dicomWebUrl: orthanc.dicomWebUrl };
    const task = (via: ChildTask['via'], job: boolean, out: string): string[] => [
      process.execPath,
      ...process.execArgv,
      RUN_TS,
      '--measure-pacs',
      JSON.stringify({ via, job, node, localAet: LOCAL_AET, scpPort, studyUid: written.studyUid, seriesUid: written.seriesUid, out } satisfies ChildTask),
    ];
    const keys = ['-k', 'QueryRetrieveLevel=SERIES', '-k', `StudyInstanceUID=${written.studyUid}`, '-k', `SeriesInstanceUID=${written.seriesUid}`];
    const getscu = (o: string): string[] => ['getscu', '-aet', 'DCMTK_GET', '-aec', orthanc.aet, ...keys, '-od', o, '127.0.0.1', String(orthanc.dicomPort)];
    const movescu = (o: string): string[] => [
      'movescu',
      '-aet',
      'DCMTK_MOVE',
      '-aec',
      orthanc.aet,
      '-aem',
      'DCMTK_MOVE',
      '--port',
      String(movescuPort),
      '-S',
      ...keys,
      '-od',
      o,
      '127.0.0.1',
      String(orthanc.dicomPort),
    ];
    // DCMTK leaves Nagle's algorithm on unless TCP_NODELAY is set (its documented switch): both ways are shown
    const NODELAY = { TCP_NODELAY: '1' };
    const ways: { how: string; argv: (out: string) => string[]; node?: boolean; env?: Record<string, string> }[] = [
      { how: 'OrthoTwin C-MOVE (dcmjs-dimse, own C-STORE SCP)', argv: (o) => task('c-move', false, o), node: true },
      { how: 'OrthoTwin C-GET (dcmjs-dimse)', argv: (o) => task('c-get', false, o), node: true },
      { how: 'OrthoTwin WADO-RS (fetch, streaming multipart)', argv: (o) => task('wado-rs', false, o), node: true },
      { how: 'DCMTK getscu (C-GET), defaults', argv: getscu },
      { how: 'DCMTK getscu (C-GET), TCP_NODELAY=1', argv: getscu, env: NODELAY },
      { how: 'DCMTK movescu (C-MOVE, own SCP), defaults', argv: movescu },
      { how: 'DCMTK movescu (C-MOVE, own SCP), TCP_NODELAY=1', argv: movescu, env: NODELAY },
      {
        how: 'curl, the same WADO-RS response to one file (HTTP floor)',
        argv: (o) => [
          'curl',
          '-sf',
          '-H',
          'Accept: multipart/related; type="application/dicom"; transfer-syntax=*',
          '-o',
          path.join(o, 'series.multipart'),
          `${orthanc.dicomWebUrl}/studies/${written.studyUid}/series/${written.seriesUid}`,
        ],
      },
      { how: 'OrthoTwin job C-MOVE: fetch + import into a fresh store', argv: (o) => task('c-move', true, o), node: true },
      { how: 'OrthoTwin job C-GET: fetch + import into a fresh store', argv: (o) => task('c-get', true, o), node: true },
      { how: 'OrthoTwin job WADO-RS: fetch + import into a fresh store', argv: (o) => task('wado-rs', true, o), node: true },
    ];
    const baseline = timed(task('noop', false, path.join(work, 'noop')));
    for (const w of ways) {
      const results: (typeof rows)[number]['results'] = [];
      for (let r = 0; r < runs; r++) {
        const out = path.join(work, `out-${rows.length}-${r}`);
        fs.mkdirSync(out, { recursive: true });
        const m = timed(w.argv(out), w.env);
        const child = w.node ? (JSON.parse(m.stdout) as ChildResult) : null;
        const got = w.how.startsWith('curl') ? SLICES : w.how.includes('job') ? child!.instances : countDicom(out);
        if (got !== SLICES) throw new Error(`${w.how}: ${got} instances, not ${SLICES}`);
        results.push({
          wallMs: m.wallMs,
          peakRssMb: m.peakRssMb,
          ...(child ? { fetchMs: child.fetchMs } : {}),
          ...(child?.jobMs ? { jobMs: child.jobMs } : {}),
        });
        console.log(`${w.how} run ${r + 1}: ${JSON.stringify(results.at(-1))}`);
        fs.rmSync(out, { recursive: true, force: true });
      }
      rows.push({ how: w.how, results });
    }
    const mb = seriesBytes / 1e6;
    const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
    const table = rows.map(({ how, results }) => {
      const wall = median(results.map((x) => x.wallMs));
      const fetch = results[0]!.fetchMs !== undefined ? median(results.map((x) => x.fetchMs!)) : null;
      const job = results[0]!.jobMs !== undefined ? median(results.map((x) => x.jobMs!)) : null;
      const transfer = fetch ?? wall;
      const peak = Math.max(...results.map((x) => x.peakRssMb));
      return `| ${how} | ${fetch === null ? '—' : fmt(fetch)} | ${job === null ? '—' : `${fmt(job)} (import ${fmt(job - fetch!)})`} | ${fmt(wall)} | ${(mb / (transfer / 1000)).toFixed(0)} MB/s | ${peak} MB |`;
    });
    return [
      `## pacs — retrieval of a 500-slice CT series from Orthanc: DIMSE and DICOMweb beside DCMTK`,
      '',
      `Measured ${new Date().toISOString().slice(0, 10)} on: ${machine}; Orthanc ${(await orthanc.rest<{ Version: string }>('/system')).Version} on loopback, same machine.`,
      `Series: the example CT resampled to ${v.dims.join('×')} voxels (${v.spacingMm.map((x) => x.toFixed(3)).join(' × ')} mm), ${SLICES} classic CT files (int16, explicit VR little endian), ${mb.toFixed(0)} MB, fresh UIDs, stored with storescu.`,
      `${runs} runs each, every run a fresh process into an empty folder; medians of time, peak = max RSS over the runs. _fetch_: OrthoTwin's own clock around the transfer (instances written, fsynced, renamed); _job_: \`pacs.retrieve\` through the services (list, fetch, count, import into a fresh store, no twin); _process wall_: the whole process under /usr/bin/time (Node's start included for OrthoTwin). Throughput = series bytes / fetch time (process wall for DCMTK and curl).`,
      `Baseline of the measuring Node process (same modules loaded, nothing fetched): ${baseline.peakRssMb} MB max RSS, ${fmt(baseline.wallMs)} wall.`,
      '',
      '| retrieval | fetch | job (import apart) | process wall | throughput | peak RSS |',
      '|---|---|---|---|---|---|',
      ...table,
      '',
      "DCMTK's tools keep Nagle's algorithm on unless the environment sets TCP_NODELAY (then each instance's last segment need not wait for the peer's delayed acknowledgement); Node's sockets, which dcmjs-dimse and fetch use, and Orthanc are as installed. DCMTK's getscu and movescu write each file without fsync; OrthoTwin fsyncs each instance before renaming it (a retrieval interrupted by a crash keeps only whole instances), which its fetch time includes. curl writes the raw multipart response to one file: the HTTP transfer floor of WADO-RS on this Orthanc. Nothing else ran on the machine during the run.",
      '',
    ].join('\n');
  } finally {
    await orthanc.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
