/**
 * Messages between the app (DevicesSupervisor, services/devices.ts) and the
 * device host process, described with the contract machinery
 * (contract/define.ts) like the services: each request is a method (zod
 * schemas of its arguments and result), and what the host says unasked is
 * an event (payload schema). JSON over the process channel: child_process
 * IPC in browser mode, utilityProcess parentPort on the desktop.
 *
 * Envelopes on the channel:
 * - parent → host: `{ t: 'req', id, method, args }` (args: the method's argument tuple)
 * - host → parent: `{ t: 'res', id, ok: true, value }` | `{ t: 'res', id, ok: false, error }`
 *   (value: the method's result) and `{ t: 'event', event, payload }`
 * - desktop only, parent → host: `{ t: 'stream-port' }` with a MessagePort (a window's streams)
 */
import { z } from 'zod';
import { defineService, type SpecArgs, type SpecEventPayload } from '../contract/define.js';
import { DeviceList, DeviceSpec, DeviceStatus, RecordedFile, RecordingStatus, RecordingSubject } from '../contract/devices.js';

/** Internal process messages: no user session is involved (the supervisor checked the caller's role). */
const internal = 'public' as const;
const DeviceId = z.string().min(1);

/** A fault a simulated tracker can be told to produce. */
export const DeviceFault = z.enum(['crc', 'drop', 'dropout', 'stall']);
export type DeviceFault = z.infer<typeof DeviceFault>;

/** How a recording is started: its low-disk threshold (bytes; default 2 GiB) and whom it is of (shown with its status). */
export const RecordingOptions = z.object({
  minFreeBytes: z.number().int().positive().optional(),
  subject: RecordingSubject.nullable().default(null),
});
export type RecordingOptions = z.input<typeof RecordingOptions>;

export const DeviceHostProtocol = defineService(
  'deviceHost',
  {
    /** Connects a device; the result is its status (state 'failed' with lastError when it could not start: then the host does not keep it). */
    connect: { args: z.tuple([DeviceSpec]), result: DeviceStatus, roles: internal },
    /** Disconnects a device (or forgets a window's capture); false when no such device. */
    disconnect: { args: z.tuple([DeviceId]), result: z.boolean(), roles: internal },
    /** Sets a device's temporal calibration offset (ms). Errors when there is no such device. */
    setTimeOffset: { args: z.tuple([DeviceId, z.number()]), result: DeviceStatus, roles: internal },
    /** Makes a simulated tracker produce `count` faults (replies, frames, or ms for 'stall'). Errors for a device that is not simulated. */
    simulateFault: { args: z.tuple([DeviceId, DeviceFault, z.number().int()]), result: DeviceStatus, roles: internal },
    /**
     * Starts recording every device's streams into a folder (PLUS sequences, recorder.ts); it stops by itself when
     * free disk falls below the threshold. Errors when one already runs, or free disk is already below the threshold.
     */
    startRecording: { args: z.tuple([z.string().min(1), RecordingOptions]), result: RecordingStatus, roles: internal },
    /** Stops the recording; the result is the files written. Errors when none runs. */
    stopRecording: { args: z.tuple([]), result: z.array(RecordedFile), roles: internal },
    /** Kills the host right after answering (the supervisor's restart test). */
    crash: { args: z.tuple([]), result: z.null(), roles: internal },
  },
  {
    /** The host is up: where its binary streams are served (loopback WebSocket URL with its token) and its pid. */
    ready: z.object({ streamUrl: z.string(), pid: z.number().int() }),
    /** Twice a second and at start: the devices' status, discovered hardware, why USB is unavailable (or null), the recording. */
    status: z.object({
      devices: DeviceList.shape.devices,
      discovered: DeviceList.shape.discovered,
      usbUnavailable: z.string().nullable(),
      recording: RecordingStatus,
    }),
  },
);
export type DeviceHostProtocol = typeof DeviceHostProtocol;

export type HostMethod = keyof DeviceHostProtocol['methods'] & string;
export type HostEvent = keyof DeviceHostProtocol['events'] & string;

/** A request from the parent: one method of DeviceHostProtocol with its argument tuple. */
export type HostRequest = { [M in HostMethod]: { t: 'req'; id: number; method: M; args: SpecArgs<DeviceHostProtocol, M> } }[HostMethod];

/** A message from the host: a request's answer, or an event with its payload. */
export type HostMessage =
  | { t: 'res'; id: number; ok: true; value: unknown }
  | { t: 'res'; id: number; ok: false; error: string }
  | { [E in HostEvent]: { t: 'event'; event: E; payload: SpecEventPayload<DeviceHostProtocol, E> } }[HostEvent];
