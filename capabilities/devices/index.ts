/**
 * The devices capability: trackers, OpenIGTLink peers, depth cameras and
 * replays connected in the device host process (electron/devicehost), their
 * status events, session recording into PLUS sequences, the live streams'
 * endpoint, and the `twin devices` and `twin igtl` CLI.
 */
import path from 'node:path';
import { defineCapability } from '../../electron/platform/capability.js';
import { DevicesService } from './contract.js';

export default defineCapability(
  {
    name: 'devices',
    title: 'Devices',
    version: '1.0.0',
    services: [DevicesService],
    cli: [
      { name: 'devices', usage: 'twin devices list [--json]', run: async (argv) => (await import('./cliDevices.js')).runDevices(argv) },
      { name: 'igtl', usage: 'twin igtl receive|send … (see twin igtl)', run: async (argv) => (await import('./cliIgtl.js')).runIgtl(argv) },
    ],
  },
  ({ devices, emit, dataDir }) => {
    devices.on('changed', (list) => emit('devices', 'onDidChangeDevices', list));
    return {
      devices: {
        list: () => devices.list(),
        connect: (spec) => devices.connect(spec),
        disconnect: (id) => devices.disconnect(id),
        setTimeOffset: (id, ms) => devices.setTimeOffset(id, ms),
        startRecording: () => devices.startRecording(path.join(dataDir, 'recordings', new Date().toISOString().replace(/[:.]/g, '-'))),
        stopRecording: () => devices.stopRecording(),
        simulateFault: (id, fault, count) => devices.simulateFault(id, fault, count),
        streams: async () => ({ url: await devices.streamEndpoint() }),
      },
    };
  },
);
