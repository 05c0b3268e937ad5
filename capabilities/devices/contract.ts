/**
 * Devices: trackers, OpenIGTLink peers, depth cameras and replays connected in
 * the device host, their status, session recording (of a patient, at a visit)
 * and the stream endpoint.
 */
import { z } from 'zod';
import { defineService, CLINICAL_ROLES } from '../../electron/contract/define.js';
import { Id } from '../../electron/contract/primitives.js';
import { DeviceList, DeviceSpec, DeviceStatus, RecordedFile, RecordingDeviceState, RecordingStatus, StreamEndpoint } from '../../electron/contract/devices.js';

/** An ISO 8601 calendar day (YYYY-MM-DD) that exists, from 1900 up to today (a day of slack for time zones); `what` names it in the refusals. */
export const isoDayOf = (what: string) =>
  z
    .string()
    .trim()
    .refine((d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), {
      message: `the ${what} must be a date (YYYY-MM-DD)`,
    })
    .refine((d) => d >= '1900-01-01' && d <= new Date(Date.now() + 86_400_000).toISOString().slice(0, 10), {
      message: `the ${what} must be between 1900 and today`,
    });

/** A visit's day (`isoDayOf`). */
export const IsoDay = isoDayOf('visit date');

/**
 * What a recording is of: the patient (required) and the visit. The product has no visit entity: a visit is its
 * day (ISO 8601) and an optional label ("pre-op", "6-week follow-up").
 */
export const RecordingStart = z.object({
  patientId: Id,
  visitDate: IsoDay,
  visitLabel: z.string().trim().max(120).default(''),
});
export type RecordingStart = z.input<typeof RecordingStart>;

/** A session recording as stored (migration 0011): whose, which visit, how it ended, its files and each device's outcome. */
export const RecordingRecord = z.object({
  id: Id,
  patientId: Id,
  visitDate: z.string(),
  visitLabel: z.string(),
  /** The session folder (absolute). */
  dir: z.string(),
  startedAt: z.string(),
  stoppedAt: z.string().nullable(),
  /** 'recording' (running now), 'stopped' (by the user, or cleanly at low disk: see stopReason), 'interrupted' (the app or device host went away). */
  state: z.enum(['recording', 'stopped', 'interrupted']),
  stopReason: z.string().nullable(),
  elapsedMs: z.number(),
  bytesWritten: z.number(),
  files: z.array(RecordedFile),
  devices: z.array(RecordingDeviceState),
  createdBy: z.string(),
});
export type RecordingRecord = z.infer<typeof RecordingRecord>;

export const DevicesService = defineService(
  'devices',
  {
    /** Connected devices with live status, discovered hardware (USB, serial) and the device host's state. */
    list: { roles: CLINICAL_ROLES, args: z.tuple([]), result: DeviceList },
    /** Connects a device (or a simulator / replay) in the device host; a failure is returned as a failed device with its reason (`lastError`) and is not kept in the list. */
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
    /**
     * Starts recording every connected device's streams into PLUS sequences in a new session folder under the data
     * directory, for a patient at a visit (stored, audited as `recording-start` on the recording). It stops by itself,
     * files finished, when free disk falls below the site policy's `recordingMinFreeMiB` (default 2 GiB).
     */
    startRecording: {
      roles: CLINICAL_ROLES,
      args: z.tuple([RecordingStart]),
      result: RecordingStatus,
    },
    /** Stops the recording and writes its files (.igs.mha, openable in 3D Slicer and PLUS; replayable here); audited as `recording-stop`. */
    stopRecording: {
      roles: CLINICAL_ROLES,
      args: z.tuple([]),
      result: z.array(RecordedFile),
    },
    /** A patient's recordings, newest first. */
    listRecordings: {
      roles: CLINICAL_ROLES,
      audit: { action: 'read', recordType: 'patient-recordings' },
      args: z.tuple([Id]),
      result: z.array(RecordingRecord),
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
