/**
 * Device runtimes inside the device host: each wraps a native-bridges driver
 * (or a simulator + the real driver, or a recording replay), turns its
 * samples into stream messages and keeps the status the Devices workspace
 * shows (rate, dropped, latency, last error).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { DeviceSpecParsed, DeviceStatus, StreamHeader } from '../contract/devices.js';
import { hostClockUs, DeviceClockMap } from '../../native-bridges/core/clock.js';
import { NdiDriver, poseMatrix, type NdiSample } from '../../native-bridges/devices/em-tracker-ndi-aurora/driver.js';
import { NdiSimulator } from '../../native-bridges/devices/em-tracker-ndi-aurora/simulator.js';
import { IgtlConnection } from '../../native-bridges/devices/igtl-openigtlink/driver.js';
import { timestampSeconds, type IgtlMessage } from '../../native-bridges/devices/igtl-openigtlink/protocol.js';
import { readPlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { SequenceReplay } from '../../native-bridges/recording/replay.js';
import { PtyPair } from '../../native-bridges/transports/ptyPair.js';
import { openSerial } from '../../native-bridges/transports/serial.js';
import type { ByteTransport } from '../../native-bridges/core/transport.js';

export type Emit = (header: Omit<StreamHeader, 'dropped'>, payload?: Uint8Array) => void;

/** Sliding one-second rate meter. */
class RateMeter {
  private times: number[] = [];
  tick(nowUs: number): void {
    this.times.push(nowUs);
    while (this.times.length && this.times[0]! < nowUs - 1e6) this.times.shift();
  }
  rate(nowUs: number): number {
    while (this.times.length && this.times[0]! < nowUs - 1e6) this.times.shift();
    return this.times.length;
  }
}

export abstract class DeviceRuntime {
  protected status: DeviceStatus;
  protected readonly meter = new RateMeter();
  protected readonly clock = new DeviceClockMap(400);

  constructor(
    readonly id: string,
    name: string,
    kind: string,
    simulated: boolean,
    protected readonly emit: Emit,
  ) {
    this.status = {
      id,
      name,
      kind,
      simulated,
      state: 'connecting',
      driverState: 'closed',
      rateHz: 0,
      samples: 0,
      dropped: 0,
      latencyMs: null,
      lastError: null,
      counters: {},
      streams: [],
      timeOffsetMs: 0,
    };
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;

  snapshot(): DeviceStatus {
    return { ...this.status, rateHz: this.meter.rate(hostClockUs()), timeOffsetMs: this.clock.current.calibrationUs / 1000 };
  }

  setTimeOffset(ms: number): void {
    this.clock.setCalibration(ms * 1000);
  }

  protected counted(hostUs: number): void {
    this.status.samples++;
    this.meter.tick(hostUs);
  }
}

/** NDI Aurora / Polaris over serial, or a simulated one on a socat pty pair driven by the same driver. */
export class NdiRuntime extends DeviceRuntime {
  private driver: NdiDriver | null = null;
  private pty: PtyPair | null = null;
  private sim: NdiSimulator | null = null;
  private simPort: ByteTransport | null = null;
  private dir: string | null = null;

  constructor(
    id: string,
    private readonly spec: Extract<DeviceSpecParsed, { kind: 'ndi' | 'ndi-simulator' }>,
    emit: Emit,
  ) {
    const model = spec.model === 'aurora' ? 'NDI Aurora' : 'NDI Polaris';
    super(id, spec.kind === 'ndi' ? `${model} (${spec.path})` : `${model} simulator`, spec.kind, spec.kind === 'ndi-simulator', emit);
  }

  /** The simulator behind a simulated tracker (fault injection from the Devices workspace and tests). */
  get simulator(): NdiSimulator | null {
    return this.sim;
  }

  async start(): Promise<void> {
    let path: string;
    if (this.spec.kind === 'ndi-simulator') {
      this.dir = mkdtempSync(join(tmpdir(), 'orthotwin-ndi-'));
      this.pty = new PtyPair(join(this.dir, 'host'), join(this.dir, 'scu'));
      await this.pty.open();
      const tools = Array.from({ length: this.spec.tools }, (_, i) => ({ port: i + 1, serial: `SIM0${i + 1}B7${i + 1}` }));
      this.sim = new NdiSimulator({ model: this.spec.model, tools });
      this.simPort = await openSerial(this.pty.devicePath, 9600);
      this.sim.attach(this.simPort);
      path = this.pty.hostPath;
    } else path = this.spec.path;
    const hz = this.spec.model === 'aurora' ? 40 : 60;
    const d = new NdiDriver({ path, measurementHz: hz, ...(this.spec.kind === 'ndi' ? { baudRate: this.spec.baudRate } : {}) });
    this.driver = d;
    d.on('state', (s) => {
      this.status.driverState = s;
      this.status.state =
        s === 'tracking' ? 'streaming' : s === 'reconnecting' ? 'reconnecting' : s === 'failed' ? 'failed' : s === 'closed' ? 'stopped' : 'connecting';
    });
    d.on('warning', (w) => {
      this.status.lastError = w;
    });
    d.on('sample', (s) => this.onSample(s));
    try {
      await d.start();
    } catch (e) {
      this.status.lastError = (e as Error).message;
      this.status.state = 'failed';
      throw e;
    }
  }

  private onSample(s: NdiSample): void {
    this.counted(s.hostTimeUs);
    this.clock.add(s.deviceTimeUs, s.hostTimeUs);
    const st = this.driver!.stats;
    this.status.dropped = st.framesLost;
    this.status.counters = {
      polls: st.polls,
      crcErrors: st.crcErrors,
      timeouts: st.timeouts,
      deviceErrors: st.deviceErrors,
      reconnects: st.reconnects,
      framesLostLatePoll: st.framesLostLatePoll,
    };
    this.status.latencyMs = st.roundTripMs;
    this.status.streams = s.tools.map((t) => ({ name: `Port ${t.port}${t.serial ? ` (${t.serial.trim()})` : ''}`, state: t.state }));
    this.emit({
      device: this.id,
      stream: 'pose',
      seq: s.seq,
      deviceTimeUs: this.clock.toHost(s.deviceTimeUs),
      hostTimeUs: s.hostTimeUs,
      poses: s.tools.map((t) => ({ name: `Port${t.port}ToTracker`, matrix: t.q && t.t ? poseMatrix(t.q, t.t) : null, state: t.state })),
    });
  }

  async stop(): Promise<void> {
    await this.driver?.stop();
    await this.simPort?.close();
    await this.pty?.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.status.state = 'stopped';
  }
}

/** Streams of one OpenIGTLink connection: TRANSFORM / TDATA as poses, IMAGE as frames. */
function igtlToStream(id: string, m: IgtlMessage, seq: number, hostUs: number, emit: Emit): { deviceUs: number } {
  const deviceUs = timestampSeconds(m.header.timestamp) * 1e6;
  const c = m.content;
  const base = { device: id, seq, deviceTimeUs: deviceUs || hostUs, hostTimeUs: hostUs };
  if (c.type === 'TRANSFORM' && 'matrix' in c)
    emit({
      ...base,
      stream: 'pose',
      poses: [{ name: m.header.deviceName, matrix: c.matrix, state: m.metadata['TransformStatus'] === 'INVALID' ? 'missing' : 'ok' }],
    });
  else if (c.type === 'TDATA' && 'elements' in c)
    emit({ ...base, stream: 'pose', poses: c.elements.map((e) => ({ name: e.name, matrix: e.matrix, state: 'ok' })) });
  else if (c.type === 'IMAGE' && 'pixels' in c) {
    const depth = c.scalarType === 5 ? 'uint16' : c.scalarType === 10 ? 'float32' : 'uint8';
    emit(
      { ...base, stream: depth === 'uint16' ? 'depth' : 'image', width: c.size[0], height: c.size[1], components: c.numComponents, scalar: depth },
      c.pixels,
    );
  }
  return { deviceUs };
}

export class IgtlRuntime extends DeviceRuntime {
  private conns = new Set<IgtlConnection>();
  private server: net.Server | null = null;
  private seq = 0;
  private names = new Set<string>();

  constructor(
    id: string,
    private readonly spec: Extract<DeviceSpecParsed, { kind: 'igtl-client' | 'igtl-server' }>,
    emit: Emit,
  ) {
    super(id, spec.kind === 'igtl-client' ? `OpenIGTLink ${spec.host}:${spec.port}` : `OpenIGTLink server :${spec.port}`, spec.kind, false, emit);
  }

  private adopt(c: IgtlConnection): void {
    this.conns.add(c);
    this.status.state = 'streaming';
    this.status.driverState = 'connected';
    c.on('message', (m) => {
      const hostUs = hostClockUs();
      this.counted(hostUs);
      const { deviceUs } = igtlToStream(this.id, m, this.seq++, hostUs, this.emit);
      if (deviceUs > 0) this.status.latencyMs = Math.max(0, (hostUs - deviceUs) / 1000);
      const name = `${m.header.type}:${m.header.deviceName}`;
      if (!this.names.has(name)) {
        this.names.add(name);
        this.status.streams = [...this.names].map((k) => ({ name: k, state: 'ok' }));
      }
      this.status.counters = { ...c.counters };
    });
    c.on('warning', (w) => {
      this.status.lastError = w;
    });
    c.on('close', ({ reason }) => {
      this.conns.delete(c);
      if (reason) this.status.lastError = reason;
      if (this.conns.size === 0) this.status.state = this.spec.kind === 'igtl-server' ? 'connecting' : 'failed';
    });
  }

  async start(): Promise<void> {
    if (this.spec.kind === 'igtl-client') {
      try {
        this.adopt(await IgtlConnection.connect(this.spec.host, this.spec.port));
      } catch (e) {
        this.status.state = 'failed';
        this.status.lastError = `OpenIGTLink ${this.spec.host}:${this.spec.port}: ${(e as Error).message}`;
        throw new Error(this.status.lastError, { cause: e });
      }
      return;
    }
    const srv = net.createServer((s) => this.adopt(new IgtlConnection(s)));
    this.server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', (e) => reject(new Error(`OpenIGTLink server port ${(this.spec as { port: number }).port}: ${e.message}`)));
      srv.listen((this.spec as { port: number }).port, '127.0.0.1', () => resolve());
    });
    this.status.driverState = 'listening';
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.close();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
    this.status.state = 'stopped';
  }
}

/** A PLUS sequence replayed as a live tracked-ultrasound device (simulated). */
export class ReplayRuntime extends DeviceRuntime {
  private replay: SequenceReplay | null = null;

  constructor(
    id: string,
    private readonly spec: Extract<DeviceSpecParsed, { kind: 'replay' }>,
    emit: Emit,
  ) {
    super(id, `Replay ${basename(spec.path)}`, 'replay', true, emit);
  }

  async start(): Promise<void> {
    const seq = readPlusSequence(this.spec.path);
    const r = new SequenceReplay(seq, { loop: this.spec.loop, clockUs: hostClockUs });
    this.replay = r;
    const names = Object.keys(seq.frames[0]?.transforms ?? {});
    this.status.streams = [...(seq.width ? [{ name: `Image ${seq.width}×${seq.height}`, state: 'ok' }] : []), ...names.map((n) => ({ name: n, state: 'ok' }))];
    r.on('sample', (s) => {
      this.counted(s.hostTimeUs);
      this.clock.add(s.deviceTimeUs, s.hostTimeUs);
      const poses = Object.entries(s.transforms).map(([name, t]) => ({ name, matrix: t.matrix, state: t.status === 'OK' ? 'ok' : 'missing' }));
      this.emit({ device: this.id, stream: 'pose', seq: s.seq, deviceTimeUs: s.deviceTimeUs, hostTimeUs: s.hostTimeUs, poses });
      if (s.image)
        this.emit(
          {
            device: this.id,
            stream: 'image',
            seq: s.seq,
            deviceTimeUs: s.deviceTimeUs,
            hostTimeUs: s.hostTimeUs,
            width: s.image.width,
            height: s.image.height,
            components: 1,
            scalar: 'uint8',
          },
          s.image.pixels,
        );
    });
    r.on('end', () => {
      this.status.state = 'stopped';
    });
    r.start();
    this.status.state = 'streaming';
    this.status.driverState = 'replaying';
  }

  async stop(): Promise<void> {
    this.replay?.stop();
    this.status.state = 'stopped';
  }
}

/**
 * A UVC frame grabber captured in the renderer (Chromium media capture):
 * frames arrive upstream on the stream socket; this keeps its status (rate,
 * frames lost by sequence gaps, capture → host latency).
 */
export class UpstreamCaptureRuntime extends DeviceRuntime {
  private lastSeq = -1;

  constructor(id: string, emit: Emit) {
    super(id, id.replace(/^uvc:/, 'UVC grabber: '), 'uvc', /fake|simulat/i.test(id), emit);
    this.status.state = 'streaming';
    this.status.driverState = 'capturing';
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.status.state = 'stopped';
  }

  /** A frame arrived from the capture window (header times on the host clock). */
  onFrame(h: StreamHeader, nowUs: number): void {
    this.counted(nowUs);
    if (this.lastSeq >= 0 && h.seq > this.lastSeq + 1) this.status.dropped += h.seq - this.lastSeq - 1;
    this.lastSeq = h.seq;
    this.status.latencyMs = Math.max(0, (nowUs - h.deviceTimeUs) / 1000);
    this.status.streams = [{ name: `Video ${h.width ?? 0}×${h.height ?? 0}`, state: 'ok' }];
    this.status.state = 'streaming';
  }

  override snapshot(): DeviceStatus {
    const s = super.snapshot();
    return s.rateHz === 0 ? { ...s, state: 'stopped' } : s;
  }
}

export function createRuntime(id: string, spec: DeviceSpecParsed, emit: Emit): DeviceRuntime {
  switch (spec.kind) {
    case 'ndi':
    case 'ndi-simulator':
      return new NdiRuntime(id, spec, emit);
    case 'igtl-client':
    case 'igtl-server':
      return new IgtlRuntime(id, spec, emit);
    case 'replay':
      return new ReplayRuntime(id, spec, emit);
  }
}
