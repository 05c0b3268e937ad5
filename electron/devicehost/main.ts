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
  DeviceSpec,
  decodeStreamMessage,
  type DeviceStatus,
  type DiscoveredDevice,
  type RecordedFile,
  type RecordingStatus,
  type StreamHeader,
} from '../contract/devices.js';
import { hostClockUs } from '../../native-bridges/core/clock.js';
import { discover } from './discovery.js';
import type { HostMessage, HostRequest } from './protocol.js';
import { SessionRecorder } from './recorder.js';
import { createRuntime, NdiRuntime, UpstreamCaptureRuntime, type DeviceRuntime } from './runtimes.js';
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
  if (!u) upstream.set(h.device, (u = new UpstreamCaptureRuntime(h.device, () => undefined)));
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

async function handle(req: HostRequest): Promise<DeviceStatus | RecordingStatus | RecordedFile[] | boolean | null> {
  switch (req.op) {
    case 'connect': {
      const spec = DeviceSpec.parse(req.spec);
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
    }
    case 'disconnect': {
      const rt = runtimes.get(req.deviceId);
      if (!rt) return upstream.delete(req.deviceId);
      runtimes.delete(req.deviceId);
      await rt.stop();
      return true;
    }
    case 'set-time-offset': {
      const rt = runtimes.get(req.deviceId);
      if (!rt) throw new Error(`no device ${req.deviceId}`);
      rt.setTimeOffset(req.ms);
      return rt.snapshot();
    }
    case 'simulate-fault': {
      const rt = runtimes.get(req.deviceId);
      const sim = rt instanceof NdiRuntime ? rt.simulator : null;
      if (!sim) throw new Error(`${req.deviceId} is not a simulated tracker`);
      if (req.fault === 'crc') sim.corruptReplies(req.count);
      else if (req.fault === 'drop') sim.dropFrames(req.count);
      else if (req.fault === 'dropout') sim.dropout(1, req.count);
      else sim.stall(req.count);
      return rt!.snapshot();
    }
    case 'record-start':
      if (recorder) throw new Error(`a recording is already running (${recorder.dir})`);
      recorder = new SessionRecorder(req.dir, hostClockUs());
      return recordingStatus();
    case 'record-stop': {
      if (!recorder) throw new Error('no recording is running');
      const r = recorder;
      recorder = null;
      lastRecording = { dir: r.dir, files: r.finish() };
      return lastRecording.files;
    }
    case 'crash':
      // for the supervisor's restart test: a driver bug that kills the process
      setImmediate(() => {
        throw new Error('device host: crash requested');
      });
      return null;
  }
}

parent.onMessage((req) => {
  if (req?.t !== 'req') return;
  handle(req).then(
    (value) => parent.send({ t: 'res', id: req.id, ok: true, value }),
    (e: unknown) => parent.send({ t: 'res', id: req.id, ok: false, error: (e as Error).message }),
  );
});

async function rediscover(): Promise<void> {
  const r = await discover();
  discovered = r.devices;
  usbUnavailable = r.usbUnavailable;
}

await rediscover();
const discoverTimer = setInterval(() => void rediscover(), 2000);
const statusTimer = setInterval(() => parent.send({ t: 'status', devices: snapshot(), discovered, usbUnavailable, recording: recordingStatus() }), 500);
parent.send({ t: 'ready', streamUrl: streams.url, pid: process.pid });
parent.send({ t: 'status', devices: snapshot(), discovered, usbUnavailable, recording: recordingStatus() });

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
