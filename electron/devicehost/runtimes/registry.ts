/**
 * The device kinds the host runs, keyed by the DeviceSpec's kind (PLUS's
 * vtkPlusDeviceFactory: a table kind → factory). Adding a kind is its spec
 * in contract/devices.ts, one file in this folder and one line here; the
 * mapped type refuses a kind without a factory. Each entry declares whether
 * its devices are simulated (DeviceStatus.simulated).
 */
import type { DeviceSpecParsed } from '../../contract/devices.js';
import { c3dReplay } from './c3dReplay.js';
import { depthFile } from './depthFile.js';
import { depthSimulator } from './depthSimulator.js';
import { igtlClient } from './igtlClient.js';
import { igtlServer } from './igtlServer.js';
import { ndiSerial } from './ndiSerial.js';
import { ndiSimulator } from './ndiSimulator.js';
import { picox, picoxSimulator } from './picox.js';
import { replay } from './replay.js';
import type { DeviceKind, DeviceRuntime, Emit, RuntimeFactory } from './runtime.js';

export type RuntimeRegistry = { readonly [K in DeviceKind]: RuntimeFactory<K> };

/** Every DeviceSpec kind → its factory. */
export const RUNTIMES: RuntimeRegistry = {
  ndi: ndiSerial,
  'ndi-simulator': ndiSimulator,
  'igtl-client': igtlClient,
  'igtl-server': igtlServer,
  replay,
  'c3d-replay': c3dReplay,
  'depth-file': depthFile,
  'depth-simulator': depthSimulator,
  picox,
  'picox-simulator': picoxSimulator,
};

function create<K extends DeviceKind>(kind: K, spec: Parameters<RuntimeRegistry[K]['create']>[0], id: string, emit: Emit): DeviceRuntime {
  const factory: RuntimeFactory<K> = RUNTIMES[kind];
  return factory.create(spec, { id, emit, simulated: factory.simulated });
}

/**
 * Makes the runtime (not started) of a parsed spec through its kind's registry entry.
 * @param id the device id (`<kind>-<n>`)
 * @param emit where its stream messages go
 */
export function createRuntime(id: string, spec: DeviceSpecParsed, emit: Emit): DeviceRuntime {
  return create(spec.kind, spec, id, emit);
}

export { DeviceRuntime, type Emit, type FaultInjector, type RuntimeContext, type RuntimeFactory } from './runtime.js';
