/**
 * Messages between the app (DevicesService) and the device host process.
 * JSON over the process channel: child_process IPC in browser mode,
 * utilityProcess parentPort on the desktop.
 */
import type { DeviceList, DeviceSpec, DeviceStatus, RecordedFile, RecordingStatus } from '../contract/devices.js';

export type HostRequest =
  | { t: 'req'; id: number; op: 'connect'; spec: DeviceSpec }
  | { t: 'req'; id: number; op: 'disconnect'; deviceId: string }
  | { t: 'req'; id: number; op: 'set-time-offset'; deviceId: string; ms: number }
  | { t: 'req'; id: number; op: 'simulate-fault'; deviceId: string; fault: 'crc' | 'drop' | 'dropout' | 'stall'; count: number }
  | { t: 'req'; id: number; op: 'record-start'; dir: string }
  | { t: 'req'; id: number; op: 'record-stop' }
  | { t: 'req'; id: number; op: 'crash' };

export type HostMessage =
  | { t: 'ready'; streamUrl: string; pid: number }
  | { t: 'res'; id: number; ok: true; value: DeviceStatus | RecordingStatus | RecordedFile[] | boolean | null }
  | { t: 'res'; id: number; ok: false; error: string }
  | { t: 'status'; devices: DeviceList['devices']; discovered: DeviceList['discovered']; usbUnavailable: string | null; recording: RecordingStatus };
