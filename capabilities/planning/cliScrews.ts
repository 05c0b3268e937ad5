/**
 * `npm run twin -- screws <study path> [--data-dir D] [--store-key-file K] [--json]`:
 * imports the study, builds its CT twin, runs the spine characterisation
 * (as `twin spine` does) and proposes the pedicle screws (plan version 1);
 * prints per level and side the entry and target (LPS mm), the transverse
 * and sagittal angles (degrees), diameter, length, isthmus width and the
 * breach grade; `--json` prints `{ twinId, analysisId, plan }`. Exit 0 done,
 * 1 failed (the message says why), 2 bad usage.
 */
import { cliFailure } from '../../electron/platform/capability.js';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { resolveDataDir } from '../../electron/services/dataDir.js';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { fileKeyStore } from '../../electron/services/storeKey.js';
import { createPatient, deletePatient } from '../patients/repo.js';
import { listStudies } from '../studies/repo.js';
import { listTwins } from '../twins/repo.js';
import { getPlan } from './repo.js';

const USAGE = 'usage: twin screws <study path> [--data-dir D] [--store-key-file K] [--json]';

/** @returns 0 done, 1 failed, 2 bad usage */
export async function runScrews(argv: string[]): Promise<number> {
  let target: string | null = null;
  let json = false;
  let keyFile: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--data-dir') i++;
    else if (a.startsWith('--data-dir=')) continue;
    else if (a === '--store-key-file') keyFile = argv[++i] ?? null;
    else if (a.startsWith('--')) {
      console.error(`unknown option ${a}\n${USAGE}`);
      return 2;
    } else if (target === null) target = a;
    else {
      console.error(`unexpected argument ${a}\n${USAGE}`);
      return 2;
    }
  }
  if (!target) {
    console.error(USAGE);
    return 2;
  }
  let host: ServiceHost;
  try {
    host = createServices({
      dataDir: resolveDataDir(argv),
      transport: 'cli',
      actor: 'cli',
      ...(keyFile ? { keyStore: fileKeyStore(path.resolve(keyFile)) } : {}),
    });
  } catch (e) {
    return cliFailure(e, json);
  }
  let madeFor: string | null = null;
  try {
    const abs = path.resolve(target);
    const name = path.basename(abs).replace(/\.(nii\.gz|nii|nrrd|mha|mhd|dcm)$/i, '');
    const patient = createPatient(host.store, { displayName: name, mrn: '', birthDate: '', sex: '' }, 'cli');
    madeFor = patient.id;
    const wait = async (jobId: string): Promise<string | null> => {
      const o = await host.jobs.wait(jobId);
      if (o.job.status !== 'done')
        throw new AppError((o.job.error?.code ?? 'INTERNAL') as AppError['code'], o.job.error?.message ?? `${o.job.kind} job ${o.job.status}`);
      return o.job.resultId ?? null;
    };
    await wait(await host.impl.studies.import({ patientId: patient.id, path: abs, strict: true, buildTwin: true, confirmIdentity: true }));
    const twin = listTwins(host.store, patient.id)[0];
    if (!twin) throw new AppError('INTERNAL', 'the build finished without a twin');
    const analysisId = await wait(await host.impl.spine.analyse(twin.id, { names: {}, centroids: {} }, { greyDepthMm: 3 }));
    if (!analysisId) throw new AppError('INTERNAL', 'the spine job finished without an analysis');
    const plan = getPlan(host.store, host.impl.planning.proposeScrews(analysisId) as string);
    if (json) process.stdout.write(JSON.stringify({ dataDir: host.store.dataDir, twinId: twin.id, analysisId, plan }, null, 2) + '\n');
    else {
      const f = (x: number, d = 1) => x.toFixed(d);
      console.log(`screw plan v${plan.version} (${plan.catalogue.name}); ${plan.resolution}`);
      console.log('level side   entry LPS (mm)          target LPS (mm)         trans° sag°   ⌀ mm  L mm  width mm grade breach mm');
      for (const s of plan.screws)
        console.log(
          `${s.level.padEnd(5)} ${s.side.padEnd(6)} ${s.entryLps.map((x) => f(x).padStart(7)).join('')}  ${s.targetLps.map((x) => f(x).padStart(7)).join('')}  ` +
            `${f(s.transverseAngleDeg).padStart(6)} ${f(s.sagittalAngleDeg).padStart(5)} ${f(s.diameterMm).padStart(5)} ${String(s.lengthMm).padStart(5)} ` +
            `${(s.isthmus ? f(s.isthmus.widthMm) : '—').padStart(8)} ${s.breach.grade.padStart(5)} ${f(s.breach.worstBreachMm, 2).padStart(9)}`,
        );
      for (const k of plan.skipped) console.log(`  not planned: ${k.level}${k.side ? ` ${k.side}` : ''}: ${k.reason}`);
    }
    return 0;
  } catch (e) {
    if (madeFor && listStudies(host.store, madeFor).length === 0) deletePatient(host.store, madeFor, 'cli');
    return cliFailure(e, json);
  } finally {
    host.close();
  }
}
