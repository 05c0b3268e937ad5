/** The device layer's pure helpers as the Devices and Fusion workspaces use them: which devices are ultrasound or tracker sources. */
import { describe, expect, it } from 'vitest';
import { trackerSources, ultrasoundSources, type DeviceStatus } from './devices.js';

/** A device status as the host reports it (only what the helpers read differs between the cases). */
function device(id: string, kind: string, provides: DeviceStatus['provides'], state: DeviceStatus['state'] = 'streaming'): DeviceStatus {
  return {
    id,
    name: id,
    kind,
    simulated: true,
    state,
    driverState: 'x',
    rateHz: 30,
    samples: 100,
    dropped: 0,
    latencyMs: null,
    lastError: null,
    counters: {},
    provides,
    streams: [],
    timeOffsetMs: 0,
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
