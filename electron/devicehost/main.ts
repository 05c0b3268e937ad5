/**
 * Device host process entry: drivers run here, outside the UI and the main
 * event loop, so a driver crash cannot take the app down (the parent
 * restarts this process with backoff). Started by DevicesService with
 * child_process.fork (browser mode) or Electron's utilityProcess.fork (the
 * desktop), both of which give this file a message channel to the parent.
 *
 * It serves the binary streams itself (streams.ts), runs discovery every 2 s
 * (hot-plug), and sends the devices' status to the parent twice a second.
 */
import fs from 'node:fs';
import {
  decodeStreamMessage,
  type DeviceStatus,
  type DiscoveredDevice,
  type RecordedFile,
  type RecordingDeviceState,
  type RecordingStatus,
  type RecordingSubject,
  type StreamHeader,
} from '../contract/devices.js';
import { parseSpecCall, type SpecEventPayload, type SpecImpl } from '../contract/define.js';
import { hostClockUs } from '../../native-bridges/core/clock.js';
import { discover } from './discovery.js';
import { DeviceHostProtocol, type DeviceFault, type HostEvent, type HostMessage, type HostRequest } from './protocol.js';
import { DEFAULT_MIN_FREE_BYTES, formatBytes, freeDiskBytes, SessionRecorder } from './recorder.js';
import { createRuntime, type DeviceRuntime, type FaultInjector } from './runtimes/registry.js';
import { UpstreamCaptureRuntime } from './runtimes/uvcCapture.js';
import { startStreamServer, type StreamPort } from './streams.js';

interface ParentPort {
  send(m: HostMessage): void;
  onMessage(cb: (m: HostRequest) => void): void;
  /** Desktop: MessagePorts the main process hands over for a window's streams. */
  onStreamPort(cb: (port: StreamPort) => void): void;
}

function parentPort(): ParentPort {
  type Ev = { data: unknown; ports?: StreamPort[] };
  const pp = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', cb: (ev: Ev) => void): void } }).parentPort;
  if (pp)
    return {
      send: (m) => pp.postMessage(m),
      onMessage: (cb) => pp.on('message', (ev) => (ev.data as { t?: string })?.t === 'req' && cb(ev.data as HostRequest)),
      onStreamPort: (cb) => pp.on('message', (ev) => (ev.data as { t?: string })?.t === 'stream-port' && ev.ports?.[0] && cb(ev.ports[0])),
    };
  if (!process.send) throw new Error('device host: started without a parent channel (use DevicesService)');
  return { send: (m) => process.send!(m), onMessage: (cb) => process.on('message', (m) => cb(m as HostRequest)), onStreamPort: () => undefined };
}

const parent = parentPort();
const runtimes = new Map<string, DeviceRuntime>();
let discovered: DiscoveredDevice[] = [];
let usbUnavailable: string | null = null;
let nextId = 1;

/** Frame grabbers captured in the renderer (UVC via Chromium) report their frames upstream. */
const upstream = new Map<string, UpstreamCaptureRuntime>();
let recorder: SessionRecorder | null = null;
/** Whom the running recording is of (as its starter said). */
let subject: RecordingSubject | null = null;
interface FinishedRecording {
  dir: string | null;
  files: RecordedFile[];
  stopReason: string | null;
  elapsedMs: number;
  bytesWritten: number;
  devices: RecordingDeviceState[];
  subject: RecordingSubject | null;
  minFreeBytes: number;
}
let lastRecording: FinishedRecording = {
  dir: null,
  files: [],
  stopReason: null,
  elapsedMs: 0,
  bytesWritten: 0,
  devices: [],
  subject: null,
  minFreeBytes: DEFAULT_MIN_FREE_BYTES,
};
/** When the free disk was last read while recording (ms, Date.now()). */
let lastDiskCheckMs = 0;

/**
 * Ends the running recording with `reason`: the files are finished (header, pixels, poses; valid PLUS sequences),
 * or, when even that fails, the partial files are removed. The status is sent at once.
 */
function endRecording(reason: string): RecordedFile[] {
  const r = recorder;
  if (!r) return [];
  recorder = null;
  const elapsedMs = (hostClockUs() - r.startedUs) / 1000;
  let files: RecordedFile[] = [];
  let stopReason = reason;
  let finished = false;
  try {
    files = r.finish();
    finished = true;
  } catch (e) {
    r.abort();
    stopReason = `${reason}; the files could not be finished: ${(e as Error).message}`;
  }
  // the final size is what is on disk: per device (its files), and in all
  const onDisk = new Map<string, number>();
  for (const f of files) onDisk.set(f.device, (onDisk.get(f.device) ?? 0) + (fs.statSync(f.path, { throwIfNoEntry: false })?.size ?? 0));
  const bytesWritten = [...onDisk.values()].reduce((n, b) => n + b, 0);
  const devices = r.devices(true, finished ? onDisk : undefined);
  lastRecording = { dir: r.dir, files, stopReason, elapsedMs, bytesWritten, devices, subject, minFreeBytes: r.minFreeBytes };
  subject = null;
  if (reason !== 'stopped by the user') console.error(`device host: recording ${reason}`);
  try {
    send('status', status());
  } catch {
    // the parent has gone (shutdown): nobody to tell
  }
  return files;
}

/** Stops the recording when free disk is low (read at most every 100 ms unless `now`). */
function checkDisk(now = false): void {
  if (!recorder || (!now && Date.now() - lastDiskCheckMs < 100)) return;
  lastDiskCheckMs = Date.now();
  const why = recorder.diskCheck();
  if (why) endRecording(why);
}

/** Adds a message to the session recording, if one runs. A recording that cannot go on (disk full, frame size changed) stops with what it has. */
function record(h: Omit<StreamHeader, 'dropped'>, p?: Uint8Array): void {
  if (!recorder) return;
  try {
    recorder.add(h, p);
  } catch (e) {
    endRecording(`stopped: ${(e as Error).message}`);
    return;
  }
  checkDisk();
}

function onUpstream(bytes: Uint8Array): void {
  let msg;
  try {
    msg = decodeStreamMessage(bytes);
  } catch {
    return;
  }
  const h = msg.header;
  let u = upstream.get(h.device);
  // simulated as the capturing window declares it (Chromium's fake capture device)
  if (!u) upstream.set(h.device, (u = new UpstreamCaptureRuntime(h.device, h.simulated ?? false)));
  u.onFrame(h, hostClockUs());
  recorder?.expect(u.snapshot());
  // frames from the capture window are recorded like any device's
  record(h, msg.payload);
}

const streams = await startStreamServer(onUpstream);
parent.onStreamPort((port) => streams.attachPort(port));

/** Every device's messages: to the stream clients, and to the session recording when one runs. */
function publish(h: Omit<StreamHeader, 'dropped'>, p?: Uint8Array): void {
  streams.publish(h, p);
  record(h, p);
}

function recordingStatus(): RecordingStatus {
  if (recorder) {
    const st = recorder.status();
    return {
      state: 'recording',
      dir: recorder.dir,
      startedUs: recorder.startedUs,
      frames: st.frames,
      files: st.files,
      bytes: st.bytes,
      lastFiles: lastRecording.files,
      elapsedMs: (hostClockUs() - recorder.startedUs) / 1000,
      bytesWritten: st.bytes,
      freeDiskBytes: recorder.lastFreeBytes,
      minFreeBytes: recorder.minFreeBytes,
      stopReason: null,
      devices: recorder.devices(),
      subject,
    };
  }
  const l = lastRecording;
  return {
    state: 'idle',
    dir: l.dir,
    startedUs: null,
    frames: l.files.reduce((n, f) => n + f.frames, 0),
    files: l.files.length,
    bytes: 0,
    lastFiles: l.files,
    elapsedMs: l.elapsedMs,
    bytesWritten: l.bytesWritten,
    freeDiskBytes: l.dir ? freeDiskBytes(l.dir) : null,
    minFreeBytes: l.minFreeBytes,
    stopReason: l.stopReason,
    devices: l.devices,
    subject: l.subject,
  };
}

function snapshot(): DeviceStatus[] {
  return [...runtimes.values(), ...upstream.values()].map((r) => r.snapshot());
}

/** How each fault is made on a simulated tracker's simulator ('dropout': tool port 1 for `count` frames). */
const FAULTS: Record<DeviceFault, (sim: FaultInjector, count: number) => void> = {
  crc: (sim, count) => sim.corruptReplies(count),
  drop: (sim, count) => sim.dropFrames(count),
  dropout: (sim, count) => sim.dropout(1, count),
  stall: (sim, count) => sim.stall(count),
};

function runtime(deviceId: string): DeviceRuntime {
  const rt = runtimes.get(deviceId);
  if (!rt) throw new Error(`no device ${deviceId}`);
  return rt;
}

/** The host's side of DeviceHostProtocol: one handler per request, taking parsed arguments. */
const handlers: SpecImpl<DeviceHostProtocol> = {
  async connect(spec) {
    const id = `${spec.kind}-${nextId++}`;
    const rt = createRuntime(id, spec, publish);
    runtimes.set(id, rt);
    try {
      await rt.start();
    } catch (e) {
      // a device that did not start is not kept: nothing may list it or take it as a source (a replay of a missing
      // file is not a live probe). Its status, failed with the reason, is the answer; what it opened is released.
      runtimes.delete(id);
      const failed = { ...rt.snapshot(), lastError: (e as Error).message, state: 'failed' as const, rateHz: 0 };
      await rt.stop().catch(() => undefined);
      // the list without it reaches the parent before the answer does
      send('status', status());
      return failed;
    }
    // connected while recording: it is recorded too (or listed as left out, with why)
    recorder?.expect(rt.snapshot());
    return rt.snapshot();
  },
  async disconnect(deviceId) {
    const rt = runtimes.get(deviceId);
    recorder?.gone(deviceId, 'disconnected');
    if (!rt) return upstream.delete(deviceId);
    runtimes.delete(deviceId);
    await rt.stop();
    return true;
  },
  setTimeOffset(deviceId, ms) {
    const rt = runtime(deviceId);
    rt.setTimeOffset(ms);
    return rt.snapshot();
  },
  simulateFault(deviceId, fault, count) {
    const rt = runtimes.get(deviceId);
    const sim = rt?.faults();
    if (!rt || !sim) throw new Error(`${deviceId} is not a simulated tracker`);
    FAULTS[fault](sim, count);
    return rt.snapshot();
  },
  startRecording(dir, o) {
    if (recorder) throw new Error(`a recording is already running (${recorder.dir})`);
    const minFreeBytes = o.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES;
    fs.mkdirSync(dir, { recursive: true });
    const free = freeDiskBytes(dir);
    if (free !== null && free < minFreeBytes) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`cannot record: free disk ${formatBytes(free)} is below the ${formatBytes(minFreeBytes)} threshold`);
    }
    recorder = new SessionRecorder(dir, hostClockUs(), { minFreeBytes });
    recorder.lastFreeBytes = free;
    subject = o.subject;
    for (const d of snapshot()) recorder.expect(d);
    recorder.observe(snapshot());
    return recordingStatus();
  },
  stopRecording() {
    if (!recorder) throw new Error('no recording is running');
    return endRecording('stopped by the user');
  },
  crash() {
    // for the supervisor's restart test: a driver bug that kills the process
    setImmediate(() => {
      throw new Error('device host: crash requested');
    });
    return null;
  },
};

/** Validates a request against DeviceHostProtocol and runs its handler. @throws Error (BAD_REQUEST) for an unknown method or invalid arguments */
async function dispatch(req: HostRequest): Promise<unknown> {
  // only the table's own methods (never a name from Object.prototype)
  const spec = Object.hasOwn(handlers, req.method) ? DeviceHostProtocol : undefined;
  const args = parseSpecCall(spec, DeviceHostProtocol.name, req.method, req.args);
  return await (handlers[req.method] as (...a: unknown[]) => unknown)(...args);
}

parent.onMessage((req) => {
  if (req?.t !== 'req') return;
  dispatch(req).then(
    (value) => parent.send({ t: 'res', id: req.id, ok: true, value }),
    (e: unknown) => parent.send({ t: 'res', id: req.id, ok: false, error: (e as Error).message }),
  );
});

/** Sends an event of DeviceHostProtocol to the parent. */
function send<E extends HostEvent>(event: E, payload: SpecEventPayload<DeviceHostProtocol, E>): void {
  parent.send({ t: 'event', event, payload } as HostMessage);
}

function status(): SpecEventPayload<DeviceHostProtocol, 'status'> {
  return { devices: snapshot(), discovered, usbUnavailable, recording: recordingStatus() };
}

async function rediscover(): Promise<void> {
  const r = await discover();
  discovered = r.devices;
  usbUnavailable = r.usbUnavailable;
}

await rediscover();
const discoverTimer = setInterval(() => void rediscover(), 2000);
const statusTimer = setInterval(() => {
  if (recorder) {
    recorder.observe(snapshot());
    checkDisk(true);
  }
  send('status', status());
}, 500);
send('ready', { streamUrl: streams.url, pid: process.pid });
send('status', status());

async function shutdown(): Promise<void> {
  clearInterval(discoverTimer);
  clearInterval(statusTimer);
  if (recorder) endRecording('stopped: the device host was shut down');
  for (const rt of runtimes.values()) await rt.stop().catch(() => undefined);
  await streams.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('disconnect', () => void shutdown());
