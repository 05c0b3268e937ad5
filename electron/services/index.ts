/**
 * The services behind the contract, as plain Node objects (never importing
 * electron). `createServices` opens the twin store with every capability's
 * schema, starts the job and device runtimes, and asks each capability of
 * the registry for its services' implementation; both transports (Electron
 * IPC in main/, WebSocket in host/) and the CLI call these.
 */
import { EventEmitter } from 'node:events';
import { AppError } from '../contract/errors.js';
import type { SystemInfo } from '../../capabilities/system/contract.js';
import { TwinStore } from '../db/store.js';
import { decodeNrrd } from '../io/nrrd.js';
import { voxelTypeOf } from '../engine/volume.js';
import { JobService } from './jobs.js';
import { currentActor, runAs } from './actor.js';
import { AccessControl, type CallContext } from './access.js';
import { loadSitePolicy, type SitePolicy } from './policy.js';
import { fileKeyStore, type KeyStore } from './storeKey.js';
import { DevicesSupervisor, type SpawnHost } from './devices.js';
import type { CapabilityContext } from '../platform/capability.js';
import { CAPABILITIES, STORE_SCHEMA, methodSpec, type AllServiceImpls } from '../platform/registry.js';
import { getVolume } from '../../capabilities/studies/repo.js';

export { sampleRecordings, sampleStudies } from './samples.js';

export interface ServiceOptions {
  dataDir: string;
  /** The workstation's local user in single-user mode (no account yet), for the audit log. */
  actor?: string;
  /** The site policy (default: the machine-wide policy file, see policy.ts). */
  policy?: SitePolicy;
  /** Keeper of the twin store's encryption key (desktop: the OS keystore; browser mode and CLI: a key file); null: not encrypted. Default: ORTHOTWIN_STORE_KEY_FILE when set. */
  keyStore?: KeyStore | null;
  transport: SystemInfo['transport'];
  /** Largest volume an import may hold (bytes). */
  maxVolumeBytes?: number;
  /** How the device host process is started (default child_process.fork; the desktop passes utilityProcess). */
  spawnDeviceHost?: SpawnHost;
}

export interface ServiceHost {
  impl: AllServiceImpls;
  /** Emits (service, event, payload) for subscribers of both transports. */
  events: EventEmitter;
  store: TwinStore;
  jobs: JobService;
  devices: DevicesSupervisor;
  /** Users, roles and sessions: checked by callService on every call of a transport. */
  access: AccessControl;
  /** Options the capabilities read (e.g. maxVolumeBytes), as given. */
  options: ServiceOptions;
  close(): void;
}

/** Opens the twin store of a data directory with every capability's schema (migrations, referenced files). */
export function openTwinStore(dataDir: string, o: { key?: Buffer | null } = {}): TwinStore {
  return new TwinStore(dataDir, { key: o.key ?? null, schema: STORE_SCHEMA });
}

export function createServices(o: ServiceOptions): ServiceHost {
  const keyFile = process.env['ORTHOTWIN_STORE_KEY_FILE'];
  const keyStore = o.keyStore !== undefined ? o.keyStore : keyFile ? fileKeyStore(keyFile) : null;
  const policy: SitePolicy & { source?: string | null } = o.policy ?? loadSitePolicy();
  if (policy.requireEncryption && !keyStore)
    throw new AppError(
      'BAD_REQUEST',
      `the site policy${policy.source ? ` (${policy.source})` : ''} requires an encrypted twin store: give a key store (the OS keystore, or --store-key-file)`,
    );
  const store = openTwinStore(o.dataDir, { key: keyStore?.load() ?? null });
  const defaultActor = o.actor ?? 'local-user';
  const access = new AccessControl(store, policy, defaultActor, methodSpec);
  const actor = (): string => currentActor(defaultActor);
  const jobs = new JobService(store, actor);
  const events = new EventEmitter();
  // the device host starts on first use (listing or connecting devices), not with the app
  const devices = new DevicesSupervisor(o.spawnDeviceHost);
  const lifecycle = new EventEmitter();
  const ctx: CapabilityContext = {
    store,
    jobs,
    devices,
    access,
    policy,
    keyStore,
    dataDir: store.dataDir,
    transport: o.transport,
    maxVolumeBytes: o.maxVolumeBytes,
    actor,
    // direct calls of the implementation (CLI, tests) act as one local connection
    localCtx: { token: null },
    emit: (service, event, payload) => events.emit('event', service, event, payload),
    capabilities: CAPABILITIES,
    lifecycle,
  };
  const impl: Record<string, Record<string, unknown>> = {};
  for (const c of CAPABILITIES) {
    const made = (c.implement?.(ctx) ?? {}) as Record<string, Record<string, unknown>>;
    for (const [service, methods] of Object.entries(made)) Object.assign((impl[service] ??= {}), methods);
  }
  return {
    impl: impl as unknown as AllServiceImpls,
    events,
    store,
    jobs,
    devices,
    access,
    options: o,
    close: () => {
      lifecycle.emit('close');
      void devices.stop();
      store.close();
    },
  };
}

/**
 * Calls a validated method for a connection (shared by the IPC router and the
 * WebSocket host): the caller's session and role are checked first against
 * the method's declared roles (access.ts: UNAUTHORIZED, LOCKED, FORBIDDEN),
 * the call runs as that user (audit, createdBy), calls the method's spec marks
 * as audited are recorded, and what a researcher receives is de-identified
 * where the spec says how. The call runs with its connection as the current
 * one, so `auth.*` act on the connection's own session.
 */
export async function callService(
  host: Pick<ServiceHost, 'impl' | 'access'>,
  ctx: CallContext,
  service: string,
  method: string,
  args: unknown[],
): Promise<unknown> {
  const { access } = host;
  const caller = access.authorize(ctx, service, method, args);
  const svc = (host.impl as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>)[service];
  const fn = svc?.[method];
  if (!fn) throw new AppError('BAD_REQUEST', `unknown method ${service}.${method}`);
  let value: unknown;
  try {
    value = await runAs(caller, async () => await fn(...args), ctx);
  } catch (e) {
    // a researcher's error texts lose their paths: source paths often hold the patient's name
    if (caller.role === 'researcher' && e instanceof Error) e.message = withoutPaths(e.message);
    throw e;
  }
  access.auditRead(caller, service, method, args);
  return access.redactForRole(caller.role, service, method, value);
}

/** A message with every absolute path (POSIX or Windows) replaced by its last part. */
export function withoutPaths(message: string): string {
  return message.replace(/(?:[A-Za-z]:\\|\/)(?:[^\s'"`:;,()]+[\\/])+([^\s'"`:;,()]*)/g, (_m, last: string) => `…/${last}`);
}

/**
 * Raw little-endian voxels of a stored volume and their type, for the bulk-data
 * routes of both transports (`/data/volume/:id`, `app://orthotwin/data/volume/:id`).
 * @throws AppError NOT_FOUND for an unknown volume
 */
export async function readVolumeVoxels(store: TwinStore, volumeId: string): Promise<{ bytes: Uint8Array; voxelType: string }> {
  const vol = getVolume(store, volumeId);
  const v = decodeNrrd(await store.readFile(vol.relPath), `volume ${volumeId}`);
  return { bytes: new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength), voxelType: voxelTypeOf(v.data) };
}
