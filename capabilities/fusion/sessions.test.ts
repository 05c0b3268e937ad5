import { describe, expect, it } from 'vitest';
import type { TwinStore } from '../../electron/db/store.js';
import { FusionSessions } from './sessions.js';

describe('fusion sessions', () => {
  it('refuses the same tool as the probe and the patient reference before anything is recorded', async () => {
    let recording = 0;
    const devices = {
      startRecording: async () => {
        recording++;
        throw new Error('not reached');
      },
      stopRecording: async () => [],
    };
    const sessions = new FusionSessions({} as TwinStore, devices, '/nowhere', () => 'test');
    const start = { patientId: 'p', priorVolumeId: 'v', setup: 'Bay S', registrationId: null, ultrasoundDevice: 'replay-1' };
    await expect(sessions.start({ ...start, probeTool: 'ProbeToTracker', referenceTool: 'ProbeToTracker' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'The probe tool and the patient reference cannot be the same tool (ProbeToTracker): choose the reference fixed to the patient, or none.',
    });
    expect(recording).toBe(0);
  });
});
