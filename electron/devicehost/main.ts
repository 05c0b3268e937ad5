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
import {
  decodeStreamMessage,
  type DeviceStatus,
  type DiscoveredDevice,
  type RecordedFile,
  type RecordingStatus,
  type StreamHeader,
} from '../contract/devices.js';
import { parseSpecCall, type SpecEventPayload, type SpecImpl } from '../contract/define.js';
import { hostClockUs } from '../../native-bridges/core/clock.js';
import { discover } from './discovery.js';
import { DeviceHostProtocol, type DeviceFault, type HostEvent, type HostMessage, type HostRequest } from './protocol.js';
import { SessionRecorder } from './recorder.js';
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
let lastRecording: { dir: string | null; files: RecordedFile[] } = { dir: null, files: [] };

/** Adds a message to the session recording, if one runs. A recording that cannot go on (disk full, frame size changed) stops with what it has. */
function record(h: Omit<StreamHeader, 'dropped'>, p?: Uint8Array): void {
  if (!recorder) return;
  try {
    recorder.add(h, p);
  } catch (e) {
    const r = recorder;
    recorder = null;
    console.error(`device host: recording stopped: ${(e as Error).message}`);
    try {
      lastRecording = { dir: r.dir, files: r.finish() };
    } catch {
      r.abort();
    }
  }
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
  const st = recorder?.status();
  return {
    state: recorder ? 'recording' : 'idle',
    dir: recorder?.dir ?? lastRecording.dir,
    startedUs: recorder?.startedUs ?? null,
    frames: st?.frames ?? 0,
    files: st?.files ?? 0,
    bytes: st?.bytes ?? 0,
    lastFiles: lastRecording.files,
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
      // keep it listed as failed so the user sees why; disconnect removes it
      return Object.assign(rt.snapshot(), { lastError: (e as Error).message, state: 'failed' as const });
    }
    return rt.snapshot();
  },
  async disconnect(deviceId) {
    const rt = runtimes.get(deviceId);
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
  startRecording(dir) {
    if (recorder) throw new Error(`a recording is already running (${recorder.dir})`);
    recorder = new SessionRecorder(dir, hostClockUs());
    return recordingStatus();
  },
  stopRecording() {
    if (!recorder) throw new Error('no recording is running');
    const r = recorder;
    recorder = null;
    lastRecording = { dir: r.dir, files: r.finish() };
    return lastRecording.files;
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
const statusTimer = setInterval(() => send('status', status()), 500);
send('ready', { streamUrl: streams.url, pid: process.pid });
send('status', status());

async function shutdown(): Promise<void> {
  clearInterval(discoverTimer);
  clearInterval(statusTimer);
  if (recorder) lastRecording = { dir: recorder.dir, files: recorder.finish() };
  for (const rt of runtimes.values()) await rt.stop().catch(() => undefined);
  await streams.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('disconnect', () => void shutdown());
