/**
 * `twin build` and `twin spine` (the twins capability's CLI):
 * `npm run twin -- build <study path> [--data-dir D] [--json] [--patient NAME]`
 *
 * Imports a CT/MR study (NIfTI, NRRD, MetaImage, DICOM file or folder) into
 * the twin store, builds the anatomical twin headless, and prints a summary:
 * grid (dims, spacing, direction, origin, LPS mm), mask voxel counts, mesh
 * triangle counts and topology, features with units, stage timings (ms), and
 * the absolute paths of the artefacts written; `spine` also runs the spine
 * characterisation and prints its table. Exit code 0 on success, 1 on
 * failure (the message names the file and the reason), 2 on bad usage.
 */
import { cliFailure } from '../../electron/platform/capability.js';
import path from 'node:path';
import type { SpineReport } from '../../electron/contract/spine.js';
import { AppError } from '../../electron/contract/errors.js';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { fileKeyStore } from '../../electron/services/storeKey.js';
import type { JobOutcome } from '../../electron/services/jobs.js';
import { resolveDataDir } from '../../electron/services/dataDir.js';
import { createPatient, deletePatient } from '../patients/repo.js';
import { getVolume, listStudies } from '../studies/repo.js';
import { getSpineAnalysis } from '../spine/repo.js';
import type { TwinSummary } from './jobs.js';
import { getArtefactPath, listTwins } from './repo.js';

const USAGE =
  'usage: twin build|spine <study path> [--data-dir D] [--store-key-file K] [--json] [--patient NAME] [--series UID] [--lenient] [--modality CT|MR|US]';

interface Args {
  target: string;
  json: boolean;
  patient: string | null;
  series: string | null;
  lenient: boolean;
  /** The modality as the user states it, for a file that does not state its own. */
  modality: 'CT' | 'MR' | 'US' | null;
  /** The twin store's key file (an encrypted store); else ORTHOTWIN_STORE_KEY_FILE. */
  storeKeyFile: string | null;
}

function parseArgs(argv: string[]): Args {
  const rest: string[] = [];
  let json = false;
  let patient: string | null = null;
  let series: string | null = null;
  let lenient = false;
  let storeKeyFile: string | null = null;
  let modality: Args['modality'] = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--json') json = true;
    else if (a === '--lenient') lenient = true;
    else if (a === '--data-dir') i++;
    else if (a.startsWith('--data-dir=')) continue;
    else if (a === '--patient') patient = argv[++i] ?? null;
    else if (a === '--series') series = argv[++i] ?? null;
    else if (a === '--store-key-file') storeKeyFile = argv[++i] ?? null;
    else if (a === '--modality') {
      const m = (argv[++i] ?? '').toUpperCase();
      if (m !== 'CT' && m !== 'MR' && m !== 'US') throw new AppError('BAD_REQUEST', `--modality takes CT, MR or US, not "${argv[i] ?? ''}"\n${USAGE}`);
      modality = m;
    } else if (a.startsWith('--')) throw new AppError('BAD_REQUEST', `unknown option ${a}\n${USAGE}`);
    else rest.push(a);
  }
  const [target] = rest;
  if (!target) throw new AppError('BAD_REQUEST', USAGE);
  return { target, json, patient, series, lenient, modality, storeKeyFile };
}

/**
 * `twin build …` (withSpine false) or `twin spine …` (true): argv after the command name.
 * @returns the exit code: 0 done, 1 failed (the message names the file and the reason), 2 bad usage
 */
export async function runBuild(argv: string[], withSpine: boolean): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const dataDir = resolveDataDir(argv);
  let host: ServiceHost;
  try {
    host = createServices({
      dataDir,
      transport: 'cli',
      actor: 'cli',
      ...(args.storeKeyFile ? { keyStore: fileKeyStore(path.resolve(args.storeKeyFile)) } : {}),
    });
  } catch (e) {
    // an encrypted store without its key, a wrong key, a data directory in use: one clear line, no stack
    return cliFailure(e, args.json);
  }
  const t0 = performance.now();
  let madeFor: string | null = null;
  try {
    const target = path.resolve(args.target);
    const name = args.patient ?? path.basename(target).replace(/\.(nii\.gz|nii|nrrd|mha|mhd|dcm)$/i, '');
    const patient = createPatient(host.store, { displayName: name, mrn: '', birthDate: '', sex: '' }, 'cli');
    madeFor = patient.id;
    const jobId = await host.impl.studies.import({
      patientId: patient.id,
      path: target,
      ...(args.series ? { seriesInstanceUid: args.series } : {}),
      strict: !args.lenient,
      buildTwin: true,
      ...(args.modality ? { modality: args.modality } : {}),
      // the patient was created for this study alone: its identity is the study's, nothing to confirm
      confirmIdentity: true,
    });
    const outcome = await finishedJob(host, jobId, args.json);
    const twin = listTwins(host.store, patient.id)[0];
    if (!twin) throw new AppError('INTERNAL', 'the build finished without a twin');
    const vol = getVolume(host.store, twin.volumeId);
    const s = outcome.details['summary'] as TwinSummary | undefined;
    const summary = {
      dataDir: host.store.dataDir,
      patientId: patient.id,
      twinId: twin.id,
      twinVersion: twin.version,
      source: { path: target, modality: vol.modality },
      dims: vol.dims,
      spacingMm: vol.spacingMm,
      originLps: vol.originLps,
      direction: vol.direction,
      masks: { skinVoxels: s?.skinVoxels ?? 0, boneVoxels: s?.boneVoxels ?? 0 },
      meshes: {
        skinTriangles: s?.skinTriangles ?? 0,
        boneTriangles: s?.boneTriangles ?? 0,
        trianglesBeforeDecimation: s?.trianglesBeforeDecimation,
        skinTopology: s?.skinTopology,
        boneTopology: s?.boneTopology,
      },
      features: twin.features.map((f) => ({ name: f.name, value: f.value, unit: f.unit })),
      timingsMs: {
        ...((outcome.details['volumeTimingsMs'] as Record<string, number> | undefined) ?? {}),
        ...twin.timingsMs,
        total: Math.round(performance.now() - t0),
      },
      artefacts: twin.artefacts.map((a) => ({
        kind: a.kind,
        format: a.format,
        path: path.join(host.store.dataDir, a.relPath),
        bytes: a.bytes,
        count: a.count,
      })),
    };
    if (withSpine) {
      const report = await spineOfTwin(host, twin.id, args.json);
      if (args.json)
        process.stdout.write(
          JSON.stringify({ twin: summary, spine: { ...report, curvature: { ...report.curvature, centrelineLps: undefined } } }, null, 2) + '\n',
        );
      else printSpine(report);
      return 0;
    }
    if (args.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else {
      console.log(`twin v${twin.version} of ${name} (${vol.modality}, ${vol.dims.join('×')} voxels at ${vol.spacingMm.map((x) => x.toFixed(3)).join('×')} mm)`);
      for (const f of summary.features) console.log(`  ${f.name.padEnd(20)} ${f.value.toFixed(2)} ${f.unit}`);
      console.log(`  meshes: skin ${summary.meshes.skinTriangles} triangles, bone ${summary.meshes.boneTriangles} triangles`);
      console.log(
        `  timings (ms): ${Object.entries(summary.timingsMs)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
      for (const a of summary.artefacts) console.log(`  ${a.kind} ${a.format}: ${a.path}`);
    }
    return 0;
  } catch (e) {
    // the patient this run made is removed again when nothing was imported for them (no empty patient left behind)
    if (madeFor && listStudies(host.store, madeFor).length === 0) deletePatient(host.store, madeFor, 'cli');
    return cliFailure(e, args.json);
  } finally {
    host.close();
  }
}

/**
 * Waits for a job, printing its progress on stderr unless `json`.
 * @throws AppError with the job's error when it did not end as done
 */
async function finishedJob(host: ReturnType<typeof createServices>, jobId: string, json: boolean): Promise<JobOutcome> {
  const onEvent = (_s: string, _e: string, j: { id: string; progress: number; stage: string }) => {
    if (j.id === jobId) process.stderr.write(`\r${(j.progress * 100).toFixed(0).padStart(3)}% ${j.stage.padEnd(40)}`);
  };
  if (!json) host.events.on('event', onEvent);
  const outcome = await host.jobs.wait(jobId);
  host.events.off('event', onEvent);
  if (!json) process.stderr.write('\n');
  if (outcome.job.status !== 'done')
    throw new AppError(
      (outcome.job.error?.code ?? 'INTERNAL') as AppError['code'],
      outcome.job.error?.message ?? `${outcome.job.kind} job ${outcome.job.status}`,
    );
  return outcome;
}

/**
 * Runs the spine characterisation job on the twin (as the UI does) and
 * returns its report with the paths of the files written next to the twin:
 * vertebra label map (NRRD), bone mesh with grey levels (VTP), intervertebral
 * spaces (VTP), and the report as JSON and CSV (all recorded in the store).
 * @throws AppError when the job fails
 */
async function spineOfTwin(host: ReturnType<typeof createServices>, twinId: string, json: boolean): Promise<SpineReport & { files: string[] }> {
  const jobId = await host.impl.spine.analyse(twinId, { names: {}, centroids: {} }, { greyDepthMm: 3 });
  const outcome = await finishedJob(host, jobId, json);
  if (!outcome.job.resultId) throw new AppError('INTERNAL', 'the spine job finished without an analysis');
  const a = getSpineAnalysis(host.store, outcome.job.resultId);
  return { ...a.report, files: a.artefacts.map((x) => getArtefactPath(host.store, x.id).abs) };
}

function printSpine(r: SpineReport & { files: string[] }): void {
  const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? '—' : x.toFixed(d));
  console.log('level  centroid LPS (mm)            body H a/m/p (mm)   disc below a/m/p (mm)  sphere HU  flags');
  for (const v of r.vertebrae) {
    const disc = r.discs.find((d) => d.upper === v.name);
    const flags = [
      v.partial ? 'partial' : '',
      v.genant.grade ? `Genant ${v.genant.grade}` : '',
      v.screening?.le110 ? 'L1 ≤110 HU (screening)' : v.screening?.le160 ? 'L1 ≤160 HU (screening)' : '',
    ]
      .filter(Boolean)
      .join(', ');
    console.log(
      `${v.name.padEnd(6)} ${(v.bodyCentroidLps ?? [null, null, null]).map((x) => f(x).padStart(7)).join(' ')}   ${[
        v.heightsMm.anterior,
        v.heightsMm.middle,
        v.heightsMm.posterior,
      ]
        .map((x) => f(x))
        .join('/')
        .padEnd(18)}  ${disc ? [disc.heightsMm.anterior, disc.heightsMm.middle, disc.heightsMm.posterior].map((x) => f(x)).join('/') : '—'}`.padEnd(90) +
        ` ${f(v.sphereHu?.mean, 0).padStart(6)}  ${flags}`,
    );
  }
  const c = r.curvature;
  for (const a of [c.coronal, c.sagittal, c.maxPlane])
    if (a) console.log(`Cobb ${a.plane}: ${a.angleDeg.toFixed(1)}° (${a.upperEnd}–${a.lowerEnd}, apex ${a.apex ?? '—'})`);
  console.log(
    `lumbar lordosis L1–S1: ${f(c.lumbarLordosisDeg)}°; thoracic kyphosis: ${c.thoracicKyphosisDeg === null ? '—' : `${f(c.thoracicKyphosisDeg)}° (${c.thoracicKyphosisLevels})`}`,
  );
  for (const w of [...r.warnings, ...c.notMeasured.map((m) => `not measured: ${m}`)]) console.log(`  note: ${w}`);
  for (const p of r.files) console.log(`  written: ${p}`);
}
