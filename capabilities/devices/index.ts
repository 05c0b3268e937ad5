/**
 * The devices capability: trackers, OpenIGTLink peers, depth cameras and
 * replays connected in the device host process (electron/devicehost), their
 * status events, session recording into PLUS sequences — of a patient at a
 * visit, stored (migration 0011) and audited, with its elapsed time, size,
 * free disk and each device's state, stopped cleanly at low disk — the live
 * streams' endpoint, and the `twin devices` and `twin igtl` CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import type { DeviceList, RecordedFile, RecordingStatus } from '../../electron/contract/devices.js';
import { newId } from '../../electron/db/files.js';
import { defineCapability } from '../../electron/platform/capability.js';
import { getPatient } from '../patients/repo.js';
import { DevicesService } from './contract.js';
import { completeRecording, insertRecording, listRecordings, openRecordings, type RecordingOutcome } from './repo.js';
import * as m0011 from './migrations/0011-recordings.js';

/** Free bytes on the disk holding `dir` (statfs), null when unknown. */
function freeDisk(dir: string): number | null {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** The PLUS sequences found in a recording's folder (a recording the app did not see end). */
function filesIn(dir: string): RecordedFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.igs.mha'));
  } catch {
    return [];
  }
  return names.map((n) => {
    const m = /^(.*)_(Image|Depth|Tracking)\.igs\.mha$/.exec(n);
    const stream = m?.[2] === 'Image' ? 'image' : m?.[2] === 'Depth' ? 'depth' : 'pose';
    return { path: path.join(dir, n), device: m?.[1] ?? n, stream, frames: 0 };
  });
}

export default defineCapability(
  {
    name: 'devices',
    title: 'Devices',
    version: '1.1.0',
    services: [DevicesService],
    migrations: [{ version: 11, name: m0011.name, sql: m0011.sql }],
    cli: [
      { name: 'devices', usage: 'twin devices list [--json]', run: async (argv) => (await import('./cliDevices.js')).runDevices(argv) },
      { name: 'igtl', usage: 'twin igtl receive|send … (see twin igtl)', run: async (argv) => (await import('./cliIgtl.js')).runIgtl(argv) },
    ],
  },
  ({ devices, emit, dataDir, store, actor, policy, transport }) => {
    const minFreeBytes = policy.recordingMinFreeMiB * 1024 * 1024;
    /** The recording this process runs (its row says 'recording'), who started it, and who is stopping it. */
    let active: { id: string; dir: string; startedBy: string; stoppedBy: string | null } | null = null;

    // the app stopped while a recording ran (crash, power): its row says so, with the files that were finished
    if (transport !== 'cli')
      for (const r of openRecordings(store))
        completeRecording(
          store,
          r.id,
          {
            state: 'interrupted',
            stopReason: 'interrupted: the application stopped during the recording',
            elapsedMs: 0,
            bytesWritten: 0,
            files: filesIn(r.dir),
            devices: r.devices,
          },
          'system',
        );

    /** The recording's status with the free disk of the data directory when the host has none (no recording yet) and the site's threshold. */
    const withDisk = (rec: RecordingStatus): RecordingStatus =>
      rec.state === 'idle' && !rec.subject && rec.freeDiskBytes === null ? { ...rec, freeDiskBytes: freeDisk(dataDir), minFreeBytes } : rec;
    const enrich = (list: DeviceList): DeviceList => ({ ...list, recording: withDisk(list.recording) });

    /**
     * Completes the active recording's row once the host says it has ended: stopped by the user, stopped at low disk
     * or on a write error (the host's stop reason), or lost with the device host (interrupted).
     */
    const settle = (rec: RecordingStatus): void => {
      const a = active;
      if (!a) return;
      const ours = rec.subject?.recordingId === a.id;
      if (ours && rec.state === 'recording') return;
      active = null;
      const outcome: RecordingOutcome = ours
        ? {
            state: 'stopped',
            stopReason: rec.stopReason ?? 'stopped',
            elapsedMs: rec.elapsedMs,
            bytesWritten: rec.bytesWritten,
            files: rec.lastFiles,
            devices: rec.devices,
          }
        : {
            state: 'interrupted',
            stopReason: 'interrupted: the device host stopped during the recording',
            elapsedMs: 0,
            bytesWritten: 0,
            files: filesIn(a.dir),
            devices: [],
          };
      completeRecording(store, a.id, outcome, a.stoppedBy ?? a.startedBy);
    };

    devices.on('changed', (list) => {
      try {
        settle(list.recording);
      } catch (e) {
        // the store closed under a recording that ended with the services (shutdown): the next start marks it interrupted
        console.error(`devices: the recording's end could not be stored: ${(e as Error).message}`);
      }
      emit('devices', 'onDidChangeDevices', enrich(list));
    });

    return {
      devices: {
        list: async () => enrich(await devices.list()),
        connect: (spec) => devices.connect(spec),
        disconnect: (id) => devices.disconnect(id),
        setTimeOffset: (id, ms) => devices.setTimeOffset(id, ms),
        startRecording: async (req) => {
          const patient = getPatient(store, req.patientId);
          if (active) throw new AppError('BAD_REQUEST', 'a recording is already running: stop it first');
          const id = newId();
          const dir = path.join(dataDir, 'recordings', `${new Date().toISOString().replace(/[:.]/g, '-')}-${id.slice(0, 8)}`);
          const subject = { recordingId: id, patientId: patient.id, patientName: patient.displayName, visitDate: req.visitDate, visitLabel: req.visitLabel };
          const st = await devices.startRecording(dir, { minFreeBytes, subject });
          const who = actor();
          active = { id, dir, startedBy: who, stoppedBy: null };
          insertRecording(store, { id, patientId: patient.id, visitDate: req.visitDate, visitLabel: req.visitLabel, dir, devices: st.devices }, who);
          return st;
        },
        stopRecording: async () => {
          if (active) active.stoppedBy = actor();
          const files = await devices.stopRecording();
          // the host's status (idle, with the stop reason) normally arrived first and settled the row
          if (active) settle((await devices.list()).recording);
          return files;
        },
        listRecordings: (patientId) => {
          getPatient(store, patientId);
          return listRecordings(store, patientId);
        },
        simulateFault: (id, fault, count) => devices.simulateFault(id, fault, count),
        streams: async () => ({ url: await devices.streamEndpoint() }),
      },
    };
  },
);
