/**
 * Per-kind tables of the Devices workspace (no branching over device kinds
 * in the views): how a discovered device whose driver is a DeviceSpec kind
 * is connected.
 */
import type { DeviceSpec, DiscoveredDevice } from '../../../electron/contract/devices.js';

type Kind = DeviceSpec['kind'];

/**
 * How a discovered device is connected, keyed by the DeviceSpec kind that drives it (DiscoveredDevice.driver):
 * the spec from what discovery found, or null when it cannot be connected (no serial path). Kinds without an
 * entry (UVC grabbers: captured in the window) get no Connect button.
 */
export const DISCOVERED_CONNECT: { readonly [K in Kind]?: (d: DiscoveredDevice) => Extract<DeviceSpec, { kind: K }> | null } = {
  ndi: (d) => (d.path ? { kind: 'ndi', path: d.path, model: /Aurora/.test(d.known ?? '') ? 'aurora' : 'polaris', baudRate: 115200 } : null),
};

/** The spec that connects a discovered device, or null when it has none (unknown driver, no path). */
export function discoveredSpec(d: DiscoveredDevice): DeviceSpec | null {
  if (!d.driver || !Object.prototype.hasOwnProperty.call(DISCOVERED_CONNECT, d.driver)) return null;
  const make = DISCOVERED_CONNECT[d.driver as Kind] as ((d: DiscoveredDevice) => DeviceSpec | null) | undefined;
  return make?.(d) ?? null;
}

/**
 * The device kind that replays a recording, by its file name (the Devices workspace's "Replay recording"): a depth
 * file (.pcd / .ply / .png) as a point-cloud source, a motion C3D (.c3d) as a live sEMG (+ IMU) device, anything else
 * as a PLUS sequence; looping.
 */
export function replaySpec(file: string): DeviceSpec {
  if (/\.(pcd|ply|png)$/i.test(file)) return { kind: 'depth-file', path: file, fps: 5 };
  if (/\.c3d$/i.test(file)) return { kind: 'c3d-replay', path: file, loop: true };
  return { kind: 'replay', path: file, loop: true };
}
