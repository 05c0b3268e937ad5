/**
 * The fusion capability: calibrations of an acquisition setup (PLUS import,
 * pivot, N-wire probe, camera ↔ tracker, temporal; migration 0003),
 * markerless camera → image registrations with their TRE landmarks
 * (migration 0004), fusion sessions recorded and replayed as one unit, and the
 * `twin register` and `twin calibrate-probe` CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { defineCapability } from '../../electron/platform/capability.js';
import { getPatient } from '../patients/repo.js';
import { getVolume } from '../studies/repo.js';
import { getTwin } from '../twins/repo.js';
import { CalibrationsService, RegistrationsService, SessionsService } from './contract.js';
import { addRegistrationLandmarks, getRegistration, listCalibrations, listRegistrations, reviewCalibration } from './repo.js';
import { cameraToTrackerCalibration, currentCalibrations, importPlusCalibrations, pivotFromRecording, temporalFromRecording } from './calibrations.js';
import { FusionSessions } from './sessions.js';
import { probeCalibrationJob, registrationJob } from './jobs.js';
import * as m0003 from './migrations/0003-calibrations.js';
import * as m0004 from './migrations/0004-registrations.js';
import * as m0009 from './migrations/0009-calibration-review.js';

export default defineCapability(
  {
    name: 'fusion',
    title: 'Live fusion',
    version: '1.0.0',
    services: [CalibrationsService, RegistrationsService, SessionsService],
    jobs: [probeCalibrationJob, registrationJob],
    migrations: [
      { version: 3, name: m0003.name, sql: m0003.sql },
      { version: 9, name: m0009.name, sql: m0009.sql },
      { version: 4, name: m0004.name, sql: m0004.sql },
    ],
    cli: [
      {
        name: 'register',
        usage: 'twin register --fixed <skin mesh: stl|vtp> --moving <cloud: pcd|ply|png> [--view back|front] [--points <pairs.json>] [--json]',
        run: async (argv) => (await import('./cliRegister.js')).runRegister(argv),
      },
      {
        name: 'calibrate-probe',
        usage: 'twin calibrate-probe <N-wire sequence.igs.mha> --phantom <PLUS xml> [--validation-every N] [--json]',
        run: async (argv) => (await import('./cliCalibrateProbe.js')).runCalibrateProbe(argv),
      },
    ],
  },
  ({ store, jobs, devices, actor, dataDir }) => {
    const sessions = new FusionSessions(store, devices, path.join(dataDir, 'recordings'), actor);
    return {
      calibrations: {
        list: (setup) => listCalibrations(store, setup),
        current: (setup) => currentCalibrations(listCalibrations(store, setup)),
        accept: (id) => reviewCalibration(store, actor(), id, 'accepted'),
        reject: (id) => reviewCalibration(store, actor(), id, 'rejected'),
        importPlus: (setup, configPath) => importPlusCalibrations(store, actor(), setup, configPath),
        pivot: (setup, sequencePath, tool) => pivotFromRecording(store, actor(), setup, sequencePath, tool),
        probe: (setup, sequencePath, configPath) =>
          jobs.start(probeCalibrationJob, {
            payload: { setup, sequencePath, configPath },
            context: { setup },
            request: () => ({ sequencePath: path.resolve(sequencePath), configPath: path.resolve(configPath), validationEvery: 3 }),
          }).id,
        cameraToTracker: (setup, input) => cameraToTrackerCalibration(store, actor(), setup, input),
        temporal: (setup, sequencePath, opts) => temporalFromRecording(store, actor(), setup, sequencePath, opts),
      },
      registrations: {
        run: (req) => {
          const twin = getTwin(store, req.twinId);
          const skin = twin.artefacts.find((a) => a.kind === 'skin-mesh' && a.format === 'vtp');
          if (!skin) throw new AppError('BAD_REQUEST', `twin ${twin.version} has no skin mesh to register to`);
          if (!fs.existsSync(req.cloudPath)) throw new AppError('BAD_REQUEST', `${req.cloudPath}: no such depth capture`, { file: req.cloudPath });
          const vol = getVolume(store, twin.volumeId);
          const cloudPath = path.resolve(req.cloudPath);
          return jobs.start(registrationJob, {
            payload: { twinId: req.twinId, cloudPath: req.cloudPath, view: req.view, threePoint: !!req.points },
            context: { patientId: twin.patientId, twinId: twin.id, seriesId: twin.seriesId, threePoint: !!req.points, cloudPath },
            request: () => ({
              skinMeshPath: path.join(store.dataDir, skin.relPath),
              fileKey: store.fileKey?.toString('hex') ?? null,
              geometry: { dims: vol.dims, spacingMm: vol.spacingMm, originLps: vol.originLps, direction: vol.direction },
              cloudPath,
              view: req.view,
              points: req.points ?? null,
            }),
          }).id;
        },
        list: (patientId) => {
          getPatient(store, patientId);
          return listRegistrations(store, patientId);
        },
        get: (id) => getRegistration(store, id),
        addLandmarks: (id, pairs) => addRegistrationLandmarks(store, id, actor(), pairs),
      },
      sessions: {
        start: (o) => sessions.start(o),
        stop: () => sessions.stop(),
        open: (p) => sessions.open(p),
      },
    };
  },
);
