/**
 * The services behind the contract, as plain Node objects (never importing
 * electron). `createServices` wires them to one twin store; both transports
 * (Electron IPC in main/, WebSocket in host/) and the CLI call these.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { AppError } from '../contract/errors.js';
import { TwinParams, type AllServiceImpls, type SystemInfo } from '../contract/index.js';
import { TwinStore } from '../db/store.js';
import { DEFAULT_MAX_VOLUME_BYTES } from '../io/headers.js';
import { decodeNrrd } from '../io/nrrd.js';
import { voxelTypeOf } from '../engine/volume.js';
import { JobService } from './jobs.js';
import { FusionSessions } from './sessions.js';
import { currentActor, runAs } from './actor.js';
import { AccessControl, redactForRole, type CallContext } from './access.js';
import { loadSitePolicy, type SitePolicy } from './policy.js';
import { fileKeyStore, newStoreKey, type KeyStore } from './storeKey.js';
import { exportDeidentifiedSeries, exportIdentifiedSeries } from './exports.js';
import { toFhirAuditEvent } from '../db/audit.js';
import { cameraToTrackerCalibration, currentCalibrations, importPlusCalibrations, pivotFromRecording, temporalFromRecording } from './calibrations.js';
import { DevicesSupervisor, type SpawnHost } from './devices.js';

export interface ServiceOptions {
  dataDir: string;
  /** The workstation's local user in single-user mode (no account yet), for the audit log. */
  actor?: string;
  /** The site policy (default: the machine-wide policy file, see policy.ts). */
  policy?: SitePolicy;
  /** Keeper of the twin store's encryption key (desktop: the OS keystore; browser mode and CLI: a key file); null: not encrypted. Default: ORTHOTWIN_STORE_KEY_FILE when set. */
  keyStore?: KeyStore | null;
  transport: SystemInfo['transport'];
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
  close(): void;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** The shared example data, offered in the import dialog when present (ORTHOTWIN_DATA or ../shared/data). */
function sharedDataRoot(): string | undefined {
  const roots = [
    process.env['ORTHOTWIN_DATA'],
    path.resolve(here, '..', '..', '..', 'shared', 'data'),
    path.resolve(here, '..', '..', '..', '..', 'shared', 'data'),
  ];
  return roots.find((r) => r && fs.existsSync(path.join(r, 'ct')));
}

/** The shared tracked-ultrasound recordings and a depth point cloud, offered for replay in the Devices workspace when present. */
export function sampleRecordings(): SystemInfo['sampleRecordings'] {
  const root = sharedDataRoot();
  if (!root) return [];
  const items: [string, string][] = [
    ['Spine phantom, freehand tracked US (PLUS)', 'us/SpinePhantomFreehand.igs.mha'],
    ['Bone ultrasound L1–L4, tracked (PLUS)', 'us/BoneUltrasound_L14.igs.mha'],
    ['Depth point cloud, five people (PCL, PCD)', 'depth/five_people.pcd'],
  ];
  return items.filter(([, p]) => fs.existsSync(path.join(root, p))).map(([label, p]) => ({ label, path: path.join(root, p) }));
}

export function sampleStudies(): SystemInfo['sampleStudies'] {
  const root = sharedDataRoot();
  if (!root) return [];
  const items: [string, string][] = [
    ['Abdominal CT, 3 mm (NIfTI)', 'ct/totalseg_example_ct.nii.gz'],
    ['CT series, JPEG 2000 (DICOM folder)', 'dicom/totalseg_ct_series_j2k'],
    ['Abdominal MR (NIfTI)', 'mr/totalseg_example_mr_sm.nii.gz'],
    ['Cervical MR (NIfTI)', 'mr/sct_t2s_neck_uncropped.nii.gz'],
    ['Head FLAIR, oblique (NRRD)', 'mr/niivue_FLAIR_oblique.nrrd'],
  ];
  return items.filter(([, p]) => fs.existsSync(path.join(root, p))).map(([label, p]) => ({ label, path: path.join(root, p) }));
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
  const store = new TwinStore(o.dataDir, { key: keyStore?.load() ?? null });
  const defaultActor = o.actor ?? 'local-user';
  const access = new AccessControl(store, policy, defaultActor);
  // direct calls of the implementation (CLI, tests) act as one local connection
  const localCtx: CallContext = { token: null };
  const actorNow = (): string => currentActor(defaultActor);
  const jobs = new JobService(store, actorNow, o.maxVolumeBytes ?? DEFAULT_MAX_VOLUME_BYTES);
  const events = new EventEmitter();
  jobs.on('onDidChangeJob', (job) => events.emit('event', 'jobs', 'onDidChangeJob', job));
  // the device host starts on first use (listing or connecting devices), not with the app
  const devices = new DevicesSupervisor(o.spawnDeviceHost);
  const sessions = new FusionSessions(store, devices, path.join(o.dataDir, 'recordings'), actorNow);
  devices.on('changed', (list) => events.emit('event', 'devices', 'onDidChangeDevices', list));
  const pkg = JSON.parse(
    fs.readFileSync(path.resolve(here, '..', '..', ...(here.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []), 'package.json'), 'utf8'),
  ) as {
    version: string;
  };

  const impl: AllServiceImpls = {
    patients: {
      list: (q) => store.listPatients(q),
      create: (p) => store.createPatient(p, actorNow()),
      delete: (id) => (store.deletePatient(id, actorNow()), true),
      get: (id) => store.getPatient(id),
    },
    studies: {
      scan: (p) => jobs.scan(p),
      import: (req) => {
        const params = TwinParams.parse({});
        return jobs.startImport({ ...req, params }).id;
      },
      reconstruct: (req) => jobs.startReconstruct(req).id,
      list: (patientId) => {
        store.getPatient(patientId);
        return store.listStudies(patientId);
      },
      exportIdentified: (seriesId, outDir) => exportIdentifiedSeries(store, actorNow(), seriesId, outDir),
      exportDeidentified: (seriesId, outDir, opts) => exportDeidentifiedSeries(store, actorNow(), seriesId, outDir, opts),
    },
    twins: {
      build: (volumeId, partial) => jobs.startTwinBuild(volumeId, TwinParams.parse(partial)).id,
      get: (id) => store.getTwin(id),
      list: (patientId) => store.listTwins(patientId),
    },
    spine: {
      analyse: (twinId, corrections, options) => jobs.startSpine(twinId, corrections, options.greyDepthMm).id,
      get: (id) => store.spineAnalysisRecord(id),
      list: (twinId) => {
        store.getTwin(twinId);
        return store.listSpineAnalyses(twinId);
      },
      history: (patientId) => {
        store.getPatient(patientId);
        return store.spineHistory(patientId);
      },
    },
    calibrations: {
      list: (setup) => store.listCalibrations(setup),
      current: (setup) => currentCalibrations(store.listCalibrations(setup)),
      importPlus: (setup, configPath) => importPlusCalibrations(store, actorNow(), setup, configPath),
      pivot: (setup, sequencePath, tool) => pivotFromRecording(store, actorNow(), setup, sequencePath, tool),
      probe: (setup, sequencePath, configPath) => jobs.startProbeCalibration(setup, sequencePath, configPath).id,
      cameraToTracker: (setup, input) => cameraToTrackerCalibration(store, actorNow(), setup, input),
      temporal: (setup, sequencePath, opts) => temporalFromRecording(store, actorNow(), setup, sequencePath, opts),
    },
    audit: {
      verify: () => store.auditLog.verify(),
      export: (format) => {
        const records = store.auditLog.records();
        store.audit(actorNow(), 'export', 'audit', 'audit-log', { format, records: records.length });
        return format === 'fhir' ? records.map(toFhirAuditEvent) : (records as unknown as Record<string, unknown>[]);
      },
    },
    auth: {
      status: () => access.status(localCtx),
      login: (username, password) => access.login(localCtx, username, password),
      logout: () => (access.logout(localCtx), true),
      unlock: (password) => (access.unlock(localCtx, password), access.status(localCtx)),
      lock: () => (access.lockNow(localCtx), access.status(localCtx)),
    },
    users: {
      list: () => access.listUsers(),
      create: (u) => access.createUser(actorNow(), u),
      update: (id, change) => access.updateUser(actorNow(), id, change),
    },
    sessions: {
      start: (o) => sessions.start(o),
      stop: () => sessions.stop(),
      open: (p) => sessions.open(p),
    },
    registrations: {
      run: (req) => jobs.startRegistration(req).id,
      list: (patientId) => {
        store.getPatient(patientId);
        return store.listRegistrations(patientId);
      },
      get: (id) => store.getRegistration(id),
      addLandmarks: (id, pairs) => store.addRegistrationLandmarks(id, actorNow(), pairs),
    },
    jobs: {
      get: (id) => store.getJob(id),
      cancel: (id) => {
        if (!jobs.isRunning(id)) {
          store.getJob(id);
          return false;
        }
        return jobs.cancel(id);
      },
      list: () => store.listJobs(),
    },
    devices: {
      list: () => devices.list(),
      connect: (spec) => devices.connect(spec),
      disconnect: (id) => devices.disconnect(id),
      setTimeOffset: (id, ms) => devices.setTimeOffset(id, ms),
      startRecording: () => devices.startRecording(path.join(o.dataDir, 'recordings', new Date().toISOString().replace(/[:.]/g, '-'))),
      stopRecording: () => devices.stopRecording(),
      simulateFault: (id, fault, count) => devices.simulateFault(id, fault, count),
      streams: async () => ({ url: await devices.streamEndpoint() }),
    },
    system: {
      info: () => {
        const samples = sampleStudies();
        return {
          version: pkg.version,
          dataDir: store.dataDir,
          transport: o.transport,
          dataAvailable: samples.length > 0,
          sampleStudies: samples,
          sampleRecordings: sampleRecordings(),
          storeEncrypted: keyStore !== null,
        };
      },
      rotateStoreKey: () => {
        if (!keyStore)
          throw new AppError('BAD_REQUEST', 'the twin store is not encrypted: start OrthoTwin with a key store (the OS keystore, or --store-key-file) first');
        const key = newStoreKey();
        store.rekey(key, actorNow());
        keyStore.save(key);
        return { encrypted: true, keyStore: keyStore.description };
      },
    },
  };
  return {
    impl,
    events,
    store,
    jobs,
    devices,
    access,
    close: () => {
      void devices.stop();
      store.close();
    },
  };
}

/**
 * Calls a validated method for a connection (shared by the IPC router and the
 * WebSocket host): the caller's session and role are checked first
 * (access.ts: UNAUTHORIZED, LOCKED, FORBIDDEN), the call runs as that user
 * (audit, createdBy), reads of patient data are audited, and what a
 * researcher receives is de-identified. `auth` calls act on the connection's
 * own session.
 */
export async function callService(
  host: Pick<ServiceHost, 'impl' | 'access'>,
  ctx: CallContext,
  service: string,
  method: string,
  args: unknown[],
): Promise<unknown> {
  const { access } = host;
  if (service === 'auth') {
    if (method === 'status') return access.status(ctx);
    if (method === 'login') return access.login(ctx, String(args[0]), String(args[1]));
    if (method === 'logout') return (access.logout(ctx), true);
    if (method === 'unlock') return (access.unlock(ctx, String(args[0])), access.status(ctx));
    if (method === 'lock') return (access.lockNow(ctx), access.status(ctx));
  }
  const caller = access.authorize(ctx, service, method, args);
  const svc = (host.impl as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>)[service];
  const fn = svc?.[method];
  if (!fn) throw new AppError('BAD_REQUEST', `unknown method ${service}.${method}`);
  const value = await runAs(caller, async () => await fn(...args));
  access.auditRead(caller, service, method, args);
  return redactForRole(caller.role, service, method, value);
}

/**
 * Raw little-endian voxels of a stored volume and their type, for the bulk-data
 * routes of both transports (`/data/volume/:id`, `app://orthotwin/data/volume/:id`).
 * @throws AppError NOT_FOUND for an unknown volume
 */
export async function readVolumeVoxels(store: TwinStore, volumeId: string): Promise<{ bytes: Uint8Array; voxelType: string }> {
  const vol = store.getVolume(volumeId);
  const v = decodeNrrd(await store.readFile(vol.relPath), `volume ${volumeId}`);
  return { bytes: new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength), voxelType: voxelTypeOf(v.data) };
}
