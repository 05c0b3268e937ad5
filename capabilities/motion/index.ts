/**
 * The motion lab capability (issue 21): sEMG (electron/engine/signals),
 * C3D, IMU orientation and the PicoX bridge (native-bridges/devices/
 * emg-imu-picox); motion sessions of a patient's visits with their features
 * stored as the patient's twin features (contract.ts, repo.ts, migration
 * 0015); depth-video trunk movement trials (depthTrial.ts), imported as
 * sessions by a job and compared with the IMU's angles (depthSession.ts);
 * the CLI commands.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { defineCapability } from '../../electron/platform/capability.js';
import { assertUsable } from '../records/repo.js';
import { channelView, trunkAnglesView } from './channelView.js';
import { MotionService } from './contract.js';
import { sessionOpenSim } from './openSimExport.js';
import { getSession, importTrial, listSessions, loadTrial } from './repo.js';
import { trunkFromImu } from './imuTrial.js';
import { assertComparable, compareSeries, depthAngles, depthAnglesView, depthImportJob, isPlusSequenceFile, seriesOf, sessionName } from './depthSession.js';
import type { MotionSession } from './contract.js';
import * as m0015 from './migrations/0015-motion-sessions.js';

export default defineCapability(
  {
    name: 'motion',
    title: 'Motion lab',
    version: '0.2.0',
    services: [MotionService],
    migrations: [{ version: 15, name: m0015.name, sql: m0015.sql }],
    // the trial files under store/motion/ are kept by their sessions (else the store's recovery removes them as orphans),
    // and a depth session's angle series beside its recording
    storeFiles: ['SELECT rel_path FROM motion_sessions', "SELECT rel_path || '.angles.json' AS rel_path FROM motion_sessions WHERE format = 'depth'"],
    jobs: [depthImportJob],
    cli: [
      {
        name: 'c3d',
        usage: 'twin c3d <file.c3d> [--json]',
        run: async (argv) => (await import('./cliC3d.js')).runC3d(argv),
      },
      {
        name: 'emg',
        usage: 'twin emg <file.c3d|analogs.csv> [--notch 50|60] [--json]',
        run: async (argv) => (await import('./cliEmg.js')).runEmg(argv),
      },
      {
        name: 'imu',
        usage: 'twin imu <x-io CSV> [--rate HZ] [--no-magnetometer] [--settings settings.json] [--fixed-period] --out q.csv [--json]',
        run: async (argv) => (await import('./cliImu.js')).runImu(argv),
      },
      {
        name: 'opensim',
        usage: 'twin opensim <file.c3d> --out <dir> [--rotate z-up-to-y-up] [--notch 50|60] [--json]',
        run: async (argv) => (await import('./cliOpensim.js')).runOpensim(argv),
      },
      {
        name: 'depth-movement',
        usage: 'twin depth-movement <recording.igs.mha | folder> [--rate HZ] [--reference N] [--person N] [--unit m|mm] [--json]',
        run: async (argv) => (await import('./cliDepthMovement.js')).runDepthMovement(argv),
      },
    ],
  },
  ({ store, actor, jobs }) => ({
    motion: {
      importTrial: (req) => {
        assertUsable(store, 'patient', req.patientId);
        const abs = path.resolve(req.path);
        const uploads = path.join(store.dataDir, 'uploads') + path.sep;
        const upload = abs.startsWith(uploads) ? path.join(uploads, path.relative(uploads, abs).split(path.sep)[0] ?? '') : null;
        if (fs.existsSync(abs) && fs.statSync(abs).isFile() && isPlusSequenceFile(abs)) {
          // a depth recording: deprojection, people detection and ICP per frame take seconds per second of recording
          const fileName = path.basename(abs);
          const job = jobs.start(depthImportJob, {
            payload: { patientId: req.patientId },
            context: { patientId: req.patientId, visitDate: req.visitDate, visitLabel: req.visitLabel, fileName, upload },
            request: (stagingDir) => ({ sourcePath: abs, fileName, stagingDir }),
          });
          return { jobId: job.id, fileName };
        }
        let bytes: Buffer;
        try {
          bytes = fs.readFileSync(abs);
        } catch (e) {
          throw new AppError('NOT_FOUND', `${path.basename(abs)}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
        try {
          return importTrial(
            store,
            {
              patientId: req.patientId,
              bytes,
              fileName: path.basename(abs),
              visitDate: req.visitDate,
              visitLabel: req.visitLabel,
              params: { notchHz: req.notchHz },
            },
            actor(),
          );
        } finally {
          // a browser-mode upload is removed once its import has ended (stored or refused)
          if (upload) fs.rmSync(upload, { recursive: true, force: true });
        }
      },
      sessions: (patientId) => {
        assertUsable(store, 'patient', patientId);
        return listSessions(store, patientId);
      },
      session: (id) => {
        const s = getSession(store, id);
        assertUsable(store, 'patient', s.patientId);
        return s;
      },
      channel: async (id, label, maxPoints) => {
        const { session, trial } = await loadTrial(store, id);
        assertUsable(store, 'patient', session.patientId);
        return channelView(trial, label, maxPoints, storedParams(getSession(store, id)));
      },
      trunkAngles: async (id, maxPoints) => {
        const s = getSession(store, id);
        assertUsable(store, 'patient', s.patientId);
        if (s.format === 'depth') return depthAnglesView(await depthAngles(store, s), maxPoints);
        const { trial } = await loadTrial(store, id);
        return trunkAnglesView(trial, maxPoints);
      },
      compareAngles: async (referenceId, otherId) => {
        const { a, b } = assertComparable(store, referenceId, otherId);
        assertUsable(store, 'patient', a.patientId);
        const series = async (s: MotionSession) => {
          if (s.format === 'depth') return seriesOf(await depthAngles(store, s));
          const r = trunkFromImu((await loadTrial(store, s.id)).trial);
          if ('reason' in r) throw new AppError('BAD_REQUEST', `${sessionName(s)} has no trunk angles from its IMU: ${r.reason}`);
          return { timesS: r.t, angles: r.angles };
        };
        const ra = await series(a),
          rb = await series(b);
        for (const [s, r] of [
          [a, ra],
          [b, rb],
        ] as const)
          if (r.timesS.length < 3) throw new AppError('BAD_REQUEST', `${sessionName(s)} has too few trunk angle samples to compare`);
        return compareSeries(ra, rb, { reference: sessionName(a), other: sessionName(b) });
      },
      exportOpenSim: async (id, format) => {
        const { session, trial } = await loadTrial(store, id);
        assertUsable(store, 'patient', session.patientId);
        return sessionOpenSim(session, trial, format, storedParams(getSession(store, id)));
      },
    },
  }),
);

/** The sEMG parameters a session's features were computed with (its first sEMG feature's), so plots and exports match them. */
function storedParams(s: { features: { algorithm: string; parameters: Record<string, unknown> }[] }): Record<string, unknown> {
  return s.features.find((f) => f.algorithm === 'orthotwin.emg')?.parameters ?? {};
}
