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
import { DeviceSpec, decodeStreamMessage, type DeviceStatus, type DiscoveredDevice } from '../contract/devices.js';
import { hostClockUs } from '../../native-bridges/core/clock.js';
import { discover } from './discovery.js';
import type { HostMessage, HostRequest } from './protocol.js';
import { createRuntime, NdiRuntime, UpstreamCaptureRuntime, type DeviceRuntime } from './runtimes.js';
import { startStreamServer } from './streams.js';

interface ParentPort {
  send(m: HostMessage): void;
  onMessage(cb: (m: HostRequest) => void): void;
}

function parentPort(): ParentPort {
  const pp = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', cb: (ev: { data: unknown }) => void): void } }).parentPort;
  if (pp) return { send: (m) => pp.postMessage(m), onMessage: (cb) => pp.on('message', (ev) => cb(ev.data as HostRequest)) };
  if (!process.send) throw new Error('device host: started without a parent channel (use DevicesService)');
  return { send: (m) => process.send!(m), onMessage: (cb) => process.on('message', (m) => cb(m as HostRequest)) };
}

const parent = parentPort();
const runtimes = new Map<string, DeviceRuntime>();
let discovered: DiscoveredDevice[] = [];
let usbUnavailable: string | null = null;
let nextId = 1;

/** Frame grabbers captured in the renderer (UVC via Chromium) report their frames upstream. */
const upstream = new Map<string, UpstreamCaptureRuntime>();

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
}

const streams = await startStreamServer(onUpstream);

function snapshot(): DeviceStatus[] {
  return [...runtimes.values(), ...upstream.values()].map((r) => r.snapshot());
}

async function handle(req: HostRequest): Promise<DeviceStatus | boolean | null> {
  switch (req.op) {
    case 'connect': {
      const spec = DeviceSpec.parse(req.spec);
      const id = `${spec.kind}-${nextId++}`;
      const rt = createRuntime(id, spec, (h, p) => streams.publish(h, p));
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
const statusTimer = setInterval(() => parent.send({ t: 'status', devices: snapshot(), discovered, usbUnavailable }), 500);
parent.send({ t: 'ready', streamUrl: streams.url, pid: process.pid });
parent.send({ t: 'status', devices: snapshot(), discovered, usbUnavailable });

async function shutdown(): Promise<void> {
  clearInterval(discoverTimer);
  clearInterval(statusTimer);
  for (const rt of runtimes.values()) await rt.stop().catch(() => undefined);
  await streams.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('disconnect', () => void shutdown());
