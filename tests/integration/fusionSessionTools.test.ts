/**
 * The sessions service refuses a fusion set-up whose chain goes through the patient reference when the reference is
 * the probe tool (`toolPairRefusal`), before anything is recorded, with a sentence saying why; the tracker chain with
 * two tools, the chain without a reference and the depth-camera chain (the reference tool is not used there) start.
 * A real store with a small MR imported as the prior volume; the device host's recording is a stand-in (the recorder
 * is tested in recording.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { FusionSessions } from '../../capabilities/fusion/sessions.js';
import type { SessionStart } from '../../capabilities/fusion/contract.js';
import { createPatient } from '../../capabilities/patients/repo.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

describeData('fusion sessions: the probe / patient reference pair', () => {
  const tmp = tmpDir('session-tools-');
  let host: ServiceHost;
  let start: Omit<SessionStart, 'probeTool' | 'referenceTool' | 'registrationId'>;
  const recorded: string[] = [];
  const devices = {
    startRecording: async (d: string) => {
      recorded.push(d);
      fs.mkdirSync(d, { recursive: true });
      return {
        state: 'recording' as const,
        dir: d,
        startedUs: 0,
        frames: 0,
        files: 0,
        bytes: 0,
        lastFiles: [],
        elapsedMs: 0,
        bytesWritten: 0,
        freeDiskBytes: null,
        minFreeBytes: 0,
        stopReason: null,
        devices: [],
        subject: null,
      };
    },
    stopRecording: async () => [],
  };
  let sessions: FusionSessions;

  beforeAll(async () => {
    host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli' });
    const patientId = createPatient(host.store, { displayName: 'Session Tools', mrn: 'ST1', birthDate: '', sex: '' }, 'test').id;
    const { job } = await host.jobs.wait(
      await host.impl.studies.import({ patientId, path: dataPath('mr/niivue_small.mha'), strict: true, buildTwin: false, modality: 'MR' }),
    );
    expect(job.error).toBeNull();
    const volume = host.store.db.prepare('SELECT id FROM volumes').get() as { id: string };
    start = { patientId, priorVolumeId: volume.id, setup: 'Bay T', ultrasoundDevice: 'replay-1' };
    sessions = new FusionSessions(host.store, devices, path.join(tmp.dir, 'sessions'), () => 'test');
  }, 120_000);
  afterAll(() => (host.close(), tmp.cleanup()));

  it('refuses the same tool as the probe and the patient reference before anything is recorded, saying why', async () => {
    await expect(sessions.start({ ...start, registrationId: null, probeTool: 'ProbeToTracker', referenceTool: 'ProbeToTracker' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message:
        'The probe tool and the patient reference cannot be the same tool (ProbeToTracker): the probe would be placed relative to itself. Choose the reference fixed to the patient, or none.',
    });
    expect(recorded).toEqual([]);
    expect(fs.existsSync(path.join(tmp.dir, 'sessions'))).toBe(false);
  });

  it('starts the tracker chain with two tools, and the chain without a reference', async () => {
    for (const referenceTool of ['ReferenceToTracker', '']) {
      const s = await sessions.start({ ...start, registrationId: null, probeTool: 'ProbeToTracker', referenceTool });
      expect([s.probeTool, s.referenceTool]).toEqual(['ProbeToTracker', referenceTool]);
      await sessions.stop();
    }
    expect(recorded).toHaveLength(2);
  });

  it('through the depth camera (a registration in use) the reference tool is not used: its choice is not refused', async () => {
    // the registration is looked up after the tool rule: an unknown one says so (NOT_FOUND), not the tool refusal
    await expect(
      sessions.start({ ...start, registrationId: 'no-such-registration', probeTool: 'ProbeToTracker', referenceTool: 'ProbeToTracker' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(recorded).toHaveLength(2);
  });
});
