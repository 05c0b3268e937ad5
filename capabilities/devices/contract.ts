/**
 * Devices: trackers, OpenIGTLink peers, depth cameras and replays connected in
 * the device host, their status, session recording and the stream endpoint.
 */
import { z } from 'zod';
import { defineService, CLINICAL_ROLES } from '../../electron/contract/define.js';
import { DeviceList, DeviceSpec, DeviceStatus, RecordedFile, RecordingStatus, StreamEndpoint } from '../../electron/contract/devices.js';

export const DevicesService = defineService(
  'devices',
  {
    /** Connected devices with live status, discovered hardware (USB, serial) and the device host's state. */
    list: { roles: CLINICAL_ROLES, args: z.tuple([]), result: DeviceList },
    /** Connects a device (or a simulator / replay) in the device host; a failure is returned as a failed device, listed with its reason. */
    connect: {
      roles: CLINICAL_ROLES,
      audit: { action: 'device-connect', recordType: 'device', detail: 'spec-kind' },
      args: z.tuple([DeviceSpec]),
      result: DeviceStatus,
    },
    disconnect: {
      roles: CLINICAL_ROLES,
      audit: { action: 'device-disconnect', recordType: 'device', detail: 'spec-kind' },
      args: z.tuple([z.string().min(1)]),
      result: z.boolean(),
    },
    /** Per-device temporal calibration offset (ms) added to its timestamps. */
    setTimeOffset: { roles: CLINICAL_ROLES, args: z.tuple([z.string().min(1), z.number().min(-5000).max(5000)]), result: DeviceStatus },
    /** Fault injection on a simulated tracker (service and training): CRC errors, dropped frames, tool dropout, stall (ms). */
    simulateFault: {
      roles: CLINICAL_ROLES,
      args: z.tuple([z.string().min(1), z.enum(['crc', 'drop', 'dropout', 'stall']), z.number().int().min(1).max(10000)]),
      result: DeviceStatus,
    },
    /** Starts recording every connected device's streams into PLUS sequences in a new session folder under the data directory. */
    startRecording: {
      roles: CLINICAL_ROLES,
      audit: { action: 'recording-start', recordType: 'device', detail: 'spec-kind' },
      args: z.tuple([]),
      result: RecordingStatus,
    },
    /** Stops the recording and writes its files (.igs.mha, openable in 3D Slicer and PLUS; replayable here). */
    stopRecording: {
      roles: CLINICAL_ROLES,
      audit: { action: 'recording-stop', recordType: 'device', detail: 'spec-kind' },
      args: z.tuple([]),
      result: z.array(RecordedFile),
    },
    /** Where the renderer opens the binary streams. */
    streams: { roles: CLINICAL_ROLES, args: z.tuple([]), result: StreamEndpoint },
  },
  { onDidChangeDevices: DeviceList },
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    devices: typeof DevicesService;
  }
}
