/** The device layer's pure helpers as the Devices and Fusion workspaces use them: which devices are ultrasound or tracker sources. */
import { describe, expect, it } from 'vitest';
import { deviceHealth, modelOutputName, trackerSources, ultrasoundSources, type DeviceStatus } from './devices.js';

/** A device status as the host reports it (only what the helpers read differs between the cases). */
function device(
  id: string,
  kind: string,
  provides: DeviceStatus['provides'],
  state: DeviceStatus['state'] = 'streaming',
  more: Partial<DeviceStatus> = {},
): DeviceStatus {
  return {
    id,
    name: id,
    kind,
    simulated: true,
    state,
    driverState: 'x',
    rateHz: 30,
    nominalRateHz: null,
    samples: 100,
    dropped: 0,
    droppedRecent: 0,
    latencyMs: null,
    lastError: null,
    counters: {},
    provides,
    streams: [],
    timeOffsetMs: 0,
    ...more,
  };
}

describe('ultrasound and tracker sources', () => {
  const devices = [
    device('ndi-simulator-1', 'ndi-simulator', ['pose']),
    device('depth-simulator-2', 'depth-simulator', ['depth']),
    device('depth-file-3', 'depth-file', ['points']),
    device('replay-4', 'replay', ['image', 'pose']),
    device('replay-5', 'replay', ['image', 'pose'], 'failed'),
    device('replay-6', 'replay', ['pose']),
    device('igtl-client-7', 'igtl-client', ['image']),
    device('igtl-client-8', 'igtl-client', []),
    device('uvc:Grabber', 'uvc', ['image']),
  ];

  it('offers as the ultrasound source only devices sending images that have not failed (never a tracker, depth camera, point cloud or window capture)', () => {
    expect(ultrasoundSources(devices).map((d) => d.id)).toEqual(['replay-4', 'igtl-client-7']);
  });

  it('offers as tracker sources the devices sending poses that have not failed', () => {
    expect(trackerSources(devices).map((d) => d.id)).toEqual(['ndi-simulator-1', 'replay-4', 'replay-6']);
  });
});

describe('device health', () => {
  const aurora = (more: Partial<DeviceStatus>): DeviceStatus =>
    device('ndi-simulator-1', 'ndi-simulator', ['pose'], 'streaming', { name: 'NDI Aurora simulator', nominalRateHz: 40, rateHz: 40, samples: 400, ...more });

  it('a tracker streaming at its nominal rate without recent drops is ok (earlier drops do not count)', () => {
    expect(deviceHealth(aurora({ rateHz: 39, dropped: 12, droppedRecent: 0 }))).toEqual({ level: 'ok', label: 'ok', text: null });
  });

  it('a tracker well below its nominal rate is degraded, with the measured and nominal rates in the sentence', () => {
    expect(deviceHealth(aurora({ rateHz: 12 }))).toEqual({
      level: 'warn',
      label: 'degraded',
      text: 'NDI Aurora simulator is degraded: 12 of 40 samples per second arrive; tool positions may lag or jump.',
    });
    // 80 % of nominal is the line: 32 of 40 is still ok, 31 is not
    expect(deviceHealth(aurora({ rateHz: 32 })).level).toBe('ok');
    expect(deviceHealth(aurora({ rateHz: 31 })).level).toBe('warn');
  });

  it('a tracker dropping frames is degraded even at its nominal rate: the sentence says only the drops and their share', () => {
    expect(deviceHealth(aurora({ rateHz: 38, dropped: 45, droppedRecent: 20 })).text).toBe(
      'NDI Aurora simulator is degraded: 20 of the 200 samples expected in the last 5 s were dropped (10 %); tool positions may lag or jump.',
    );
  });

  it('a drop or two at the full rate is no degradation: more than 1 % of the expected samples, and at least 3', () => {
    // "degraded … 40 of 40 samples per second arrive, 1 dropped" was a contradiction
    expect(deviceHealth(aurora({ rateHz: 40, dropped: 1, droppedRecent: 1 }))).toEqual({ level: 'ok', label: 'ok', text: null });
    expect(deviceHealth(aurora({ rateHz: 40, droppedRecent: 2 })).level).toBe('ok');
    // 40 Hz × 5 s = 200 expected: 2 is 1 %, 3 is more
    expect(deviceHealth(aurora({ rateHz: 40, droppedRecent: 3 })).text).toBe(
      'NDI Aurora simulator is degraded: 3 of the 200 samples expected in the last 5 s were dropped (1.5 %); tool positions may lag or jump.',
    );
    // a 1 kHz stream: 40 drops in 5000 expected (0.8 %) are fine, 60 (1.2 %) are not
    const fast = (droppedRecent: number) => aurora({ nominalRateHz: 1000, rateHz: 1000, samples: 10_000, droppedRecent });
    expect(deviceHealth(fast(40)).level).toBe('ok');
    expect(deviceHealth(fast(60)).text).toBe(
      'NDI Aurora simulator is degraded: 60 of the 5000 samples expected in the last 5 s were dropped (1.2 %); tool positions may lag or jump.',
    );
  });

  it('slow and dropping: the sentence gives both reasons', () => {
    expect(deviceHealth(aurora({ rateHz: 20, droppedRecent: 50 })).text).toBe(
      'NDI Aurora simulator is degraded: 20 of 40 samples per second arrive, and 50 of the 200 samples expected in the last 5 s were dropped (25 %); tool positions may lag or jump.',
    );
  });

  it('the rate is not judged before a second of samples (just connected), nor without a nominal rate', () => {
    expect(deviceHealth(aurora({ rateHz: 5, samples: 5 })).level).toBe('ok');
    expect(deviceHealth(device('igtl-client-1', 'igtl-client', ['image'], 'streaming', { rateHz: 3, nominalRateHz: null })).level).toBe('ok');
  });

  it('an ultrasound source says what its degradation means for the picture; other states are named', () => {
    const us = device('replay-2', 'replay', ['image'], 'streaming', { name: 'Replay sweep.igs.mha', nominalRateHz: 30, rateHz: 10 });
    expect(deviceHealth(us).text).toBe('Replay sweep.igs.mha is degraded: 10 of 30 samples per second arrive; the ultrasound picture may stutter.');
    expect(deviceHealth(aurora({ state: 'reconnecting' }))).toEqual({
      level: 'warn',
      label: 'reconnecting',
      text: 'NDI Aurora simulator is reconnecting: no data from it now.',
    });
    expect(deviceHealth(aurora({ state: 'failed', lastError: 'No reply from the tracker on /dev/ttyUSB0.\ntimeout' }))).toEqual({
      level: 'bad',
      label: 'failed',
      text: 'No reply from the tracker on /dev/ttyUSB0.',
    });
    expect(deviceHealth(aurora({ state: 'stopped' })).level).toBe('off');
  });
});

describe('modelOutputName', () => {
  it("names the model whose output a view computed on; null for raw frames (none, or sent in the model's place)", () => {
    expect(modelOutputName({ model: 'denoise', applied: true, version: '1.0.0', validation: 'v' })).toBe('model output: denoise 1.0.0');
    expect(modelOutputName({ model: 'sr2', applied: true })).toBe('model output: sr2');
    expect(modelOutputName({ model: 'denoise', applied: false, reason: 'SHA-256 mismatch' })).toBeNull();
    expect(modelOutputName(null)).toBeNull();
    expect(modelOutputName(undefined)).toBeNull();
  });
});
