/**
 * Device runtimes inside the device host: each wraps a native-bridges driver
 * (or a simulator + the real driver, or a recording replay), turns its
 * samples into stream messages and keeps the status the Devices workspace
 * shows (rate, dropped, latency, last error).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { DeviceSpecParsed, DeviceStatus, StreamHeader } from '../contract/devices.js';
import { hostClockUs, DeviceClockMap } from '../../native-bridges/core/clock.js';
import { poseMatrix } from '../../math/poseInterp.js';
import { NdiDriver, type NdiSample } from '../../native-bridges/devices/em-tracker-ndi-aurora/driver.js';
import { NdiSimulator } from '../../native-bridges/devices/em-tracker-ndi-aurora/simulator.js';
import { IgtlConnection } from '../../native-bridges/devices/igtl-openigtlink/driver.js';
import { timestampSeconds, type IgtlMessage } from '../../native-bridges/devices/igtl-openigtlink/protocol.js';
import {
  backPhantomMesh,
  DepthFileSource,
  depthFrameFromIgtl,
  overheadPose,
  pointCloudFromIgtl,
  SimulatedDepthSource,
  type DepthSample,
  type DepthSource,
} from '../../native-bridges/devices/depth/source.js';
import { readPlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { decodeVtp } from '../io/mesh.js';
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

/** The IMAGE matrix (i, j, k axis vectors × spacing, then the centre; mm) as a row-major 4×4 from pixel index to mm. */
function igtlIjkToFrame(c: Extract<IgtlMessage['content'], { type: 'IMAGE' }>): number[] {
  const m = c.matrix;
  // the matrix places the image centre: origin = centre − (size − 1)/2 along each axis
  const o = [0, 1, 2].map((r) => m[9 + r]! - [0, 1, 2].reduce((s, a) => s + (m[3 * a + r]! * (c.size[a]! - 1)) / 2, 0));
  return [m[0]!, m[3]!, m[6]!, o[0]!, m[1]!, m[4]!, m[7]!, o[1]!, m[2]!, m[5]!, m[8]!, o[2]!, 0, 0, 0, 1];
}

/** Emits a depth sample (depth frame: uint16 payload; point cloud: float32 xyz payload) as a stream message. */
export function emitDepthSample(id: string, s: DepthSample, emit: Emit): void {
  if (s.kind === 'depth') {
    const f = s.frame;
    const K = f.intrinsics;
    emit(
      {
        device: id,
        stream: 'depth',
        seq: f.seq,
        deviceTimeUs: f.deviceTimeUs,
        hostTimeUs: f.hostTimeUs,
        width: K.width,
        height: K.height,
        components: 1,
        scalar: 'uint16',
        intrinsics: { fx: K.fx, fy: K.fy, cx: K.cx, cy: K.cy, depthScaleMm: K.depthScaleMm },
      },
      new Uint8Array(f.depth.buffer, f.depth.byteOffset, f.depth.byteLength),
    );
  } else {
    const c = s.cloud;
    emit(
      {
        device: id,
        stream: 'points',
        seq: c.seq,
        deviceTimeUs: c.deviceTimeUs,
        hostTimeUs: c.hostTimeUs,
        width: c.width,
        height: c.height,
        count: c.points.length / 3,
      },
      new Uint8Array(c.points.buffer, c.points.byteOffset, c.points.byteLength),
    );
  }
}

/**
 * PLUS Server's transform validity: `TransformStatus` (igsio tool status,
 * `OK` when valid) or `TransformValid` (`1`/`0`) in version-3 metadata;
 * version-1/2 peers send only valid transforms.
 */
export function igtlTransformState(metadata: Record<string, string>): 'ok' | 'missing' {
  if (metadata['TransformStatus'] !== undefined) return metadata['TransformStatus'] === 'OK' ? 'ok' : 'missing';
  if (metadata['TransformValid'] !== undefined) return metadata['TransformValid'] === '0' ? 'missing' : 'ok';
  return 'ok';
}

/**
 * Streams of one OpenIGTLink message: TRANSFORM / TDATA / POSITION as poses
 * (full name from `IGTL_DEVICE_NAME` metadata when PLUS truncated it), IMAGE
 * uint8 as ultrasound frames with their ImageToReference matrix, IMAGE
 * uint16 as depth frames, POLYDATA as point clouds. STATUS, STRING and the
 * query/acknowledge messages carry no stream (PLUS keep-alives are STATUS).
 * @param acquiredUs the sender's timestamp mapped to the host clock (the receipt time when it sent none)
 * @returns whether the message was a data sample
 */
function igtlToStream(id: string, m: IgtlMessage, seq: number, hostUs: number, acquiredUs: number, emit: Emit): boolean {
  const c = m.content;
  const name = m.metadata['IGTL_DEVICE_NAME'] ?? m.header.deviceName;
  const base = { device: id, seq, deviceTimeUs: acquiredUs, hostTimeUs: hostUs };
  if (c.type === 'TRANSFORM' && 'matrix' in c) emit({ ...base, stream: 'pose', poses: [{ name, matrix: c.matrix, state: igtlTransformState(m.metadata) }] });
  else if (c.type === 'POSITION' && 'positionMm' in c) {
    const q = c.quaternion;
    const matrix = q
      ? poseMatrix([q[3], q[0], q[1], q[2]], c.positionMm)
      : [1, 0, 0, c.positionMm[0], 0, 1, 0, c.positionMm[1], 0, 0, 1, c.positionMm[2], 0, 0, 0, 1];
    emit({ ...base, stream: 'pose', poses: [{ name, matrix, state: igtlTransformState(m.metadata) }] });
  } else if (c.type === 'TDATA' && 'elements' in c)
    emit({
      ...base,
      stream: 'pose',
      poses: c.elements.map((e) => ({ name: e.name, matrix: e.matrix, state: igtlTransformState({ TransformStatus: m.metadata[`${e.name}Status`] ?? 'OK' }) })),
    });
  else if (c.type === 'IMAGE' && 'pixels' in c) {
    const depth = depthFrameFromIgtl(c, m.metadata, base);
    if (depth) emitDepthSample(id, { kind: 'depth', frame: depth }, emit);
    else if (c.scalarType === 3 || c.scalarType === 2)
      emit(
        {
          ...base,
          stream: 'image',
          width: c.size[0],
          height: c.size[1],
          components: c.numComponents,
          scalar: 'uint8',
          ijkToFrame: igtlIjkToFrame(c),
          frame: name.includes('_') ? name.slice(name.lastIndexOf('_') + 1) : name,
        },
        c.pixels,
      );
    else return false;
  } else if (c.type === 'POLYDATA' && 'points' in c) emitDepthSample(id, pointCloudFromIgtl(c, base)!, emit);
  else return false;
  return true;
}

/**
 * OpenIGTLink as a device: a client of PLUS Server / a scanner / 3D Slicer
 * (reconnecting with backoff 0.5 → 5 s when the peer goes away, as PLUS
 * Server restarts), or a server peers push to. Follows PLUS Server's
 * conventions: keep-alive STATUS messages are counted, not shown as data;
 * `GET_STATUS` is answered with STATUS OK, `STT_x`/`STP_x` with `RTS_x`
 * (0 = success), other `GET_x` with an empty `x` (no data here).
 */
export class IgtlRuntime extends DeviceRuntime {
  private conns = new Set<IgtlConnection>();
  private server: net.Server | null = null;
  private seq = 0;
  private names = new Set<string>();
  private stopped = false;
  private retryMs = 500;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private keepAlives = 0;
  private queries = 0;
  private reconnects = 0;

  constructor(
    id: string,
    private readonly spec: Extract<DeviceSpecParsed, { kind: 'igtl-client' | 'igtl-server' }>,
    emit: Emit,
  ) {
    super(id, spec.kind === 'igtl-client' ? `OpenIGTLink ${spec.host}:${spec.port}` : `OpenIGTLink server :${spec.port}`, spec.kind, false, emit);
  }

  /** Answers the query and start/stop messages (PLUS Server / query.md conventions); true when `m` was one. */
  private answer(c: IgtlConnection, m: IgtlMessage): boolean {
    const t = m.header.type;
    const deviceName = m.header.deviceName;
    if (t === 'GET_STATUS') c.send({ type: 'STATUS', code: 1, subCode: 0n, errorName: 'OK', message: '' }, { deviceName });
    else if (t.startsWith('STT_') || t.startsWith('STP_')) c.send({ type: `RTS_${t.slice(4)}` as `RTS_${string}`, status: 0 }, { deviceName });
    else if (t.startsWith('GET_')) c.send({ type: t.slice(4), empty: true }, { deviceName });
    else return false;
    this.queries++;
    return true;
  }

  private adopt(c: IgtlConnection): void {
    this.conns.add(c);
    this.retryMs = 500;
    this.status.state = 'streaming';
    this.status.driverState = 'connected';
    c.on('message', (m) => {
      const hostUs = hostClockUs();
      if (this.answer(c, m)) return;
      const deviceUs = timestampSeconds(m.header.timestamp) * 1e6;
      // the sender's clock mapped to the host clock (offset, drift, temporal calibration); receipt time when it sent none
      if (deviceUs > 0 && m.header.type !== 'STATUS') this.clock.add(deviceUs, hostUs);
      const acquiredUs = deviceUs > 0 ? this.clock.toHost(deviceUs) : hostUs;
      if (m.header.type === 'STATUS') this.keepAlives++;
      else if (igtlToStream(this.id, m, this.seq, hostUs, acquiredUs, this.emit)) {
        this.seq++;
        this.counted(hostUs);
        if (deviceUs > 0) this.status.latencyMs = Math.max(0, (hostUs - deviceUs) / 1000);
        const name = `${m.header.type}:${m.metadata['IGTL_DEVICE_NAME'] ?? m.header.deviceName}`;
        if (!this.names.has(name)) {
          this.names.add(name);
          this.status.streams = [...this.names].map((k) => ({ name: k, state: 'ok' }));
        }
      }
      this.status.counters = { ...c.counters, keepAlives: this.keepAlives, queriesAnswered: this.queries, reconnects: this.reconnects };
    });
    c.on('warning', (w) => {
      this.status.lastError = w;
    });
    c.on('close', ({ reason }) => {
      this.conns.delete(c);
      if (reason) this.status.lastError = reason;
      if (this.conns.size > 0 || this.stopped) return;
      if (this.spec.kind === 'igtl-server') this.status.state = 'connecting';
      else this.scheduleReconnect();
    });
  }

  private async connectClient(): Promise<void> {
    const { host, port } = this.spec as { host: string; port: number };
    try {
      this.adopt(await IgtlConnection.connect(host, port));
    } catch (e) {
      throw new Error(`OpenIGTLink ${host}:${port}: ${(e as Error).message}`, { cause: e });
    }
  }

  private scheduleReconnect(): void {
    this.status.state = 'reconnecting';
    this.status.driverState = 'reconnecting';
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.stopped) return;
      this.connectClient().then(
        () => {
          this.reconnects++;
          this.status.counters = { ...this.status.counters, reconnects: this.reconnects };
        },
        (e: Error) => {
          this.status.lastError = e.message;
          this.retryMs = Math.min(5000, this.retryMs * 2);
          this.scheduleReconnect();
        },
      );
    }, this.retryMs);
  }

  async start(): Promise<void> {
    if (this.spec.kind === 'igtl-client') {
      try {
        await this.connectClient();
      } catch (e) {
        this.status.state = 'failed';
        this.status.lastError = (e as Error).message;
        throw e;
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
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
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
    const r = new SequenceReplay(seq, { loop: this.spec.loop, speed: this.spec.speed, clockUs: hostClockUs });
    this.replay = r;
    const names = Object.keys(seq.frames[0]?.transforms ?? {});
    const kind = seq.elementType === 'uint16' ? 'Depth' : 'Image';
    this.status.streams = [
      ...(seq.width ? [{ name: `${kind} ${seq.width}×${seq.height}`, state: 'ok' }] : []),
      ...names.map((n) => ({ name: n, state: 'ok' })),
    ];
    r.on('sample', (s) => {
      this.counted(s.hostTimeUs);
      this.clock.add(s.deviceTimeUs, s.hostTimeUs);
      // the recording's clock mapped to the host clock
      const acquiredUs = this.clock.toHost(s.deviceTimeUs);
      const poses = Object.entries(s.transforms).map(([name, t]) => ({ name, matrix: t.matrix, state: t.status === 'OK' ? 'ok' : 'missing' }));
      this.emit({ device: this.id, stream: 'pose', seq: s.seq, deviceTimeUs: acquiredUs, hostTimeUs: s.hostTimeUs, poses });
      if (!s.image) return;
      const base = {
        device: this.id,
        seq: s.seq,
        deviceTimeUs: acquiredUs,
        hostTimeUs: s.hostTimeUs,
        width: s.image.width,
        height: s.image.height,
        components: 1,
      };
      if (seq.elementType === 'uint16') {
        // a depth recording (SessionRecorder): intrinsics in the per-frame fields
        const f = (k: string, d: number): number => (s.fields[k] !== undefined ? Number(s.fields[k]) : d);
        const intrinsics = {
          fx: f('Fx', 0),
          fy: f('Fy', 0),
          cx: f('Cx', (s.image.width - 1) / 2),
          cy: f('Cy', (s.image.height - 1) / 2),
          depthScaleMm: f('DepthScaleMm', 1),
        };
        this.emit({ ...base, stream: 'depth', scalar: 'uint16', intrinsics }, s.image.pixels);
      } else this.emit({ ...base, stream: 'image', scalar: 'uint8' }, s.image.pixels);
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

/** A depth source (file or simulator) as a device. */
export class DepthRuntime extends DeviceRuntime {
  private source: DepthSource | null = null;

  constructor(
    id: string,
    private readonly spec: Extract<DeviceSpecParsed, { kind: 'depth-file' | 'depth-simulator' }>,
    emit: Emit,
  ) {
    super(
      id,
      spec.kind === 'depth-file' ? `Depth file ${basename(spec.path)}` : `Depth camera simulator${spec.meshPath ? ` (${basename(spec.meshPath)})` : ''}`,
      spec.kind,
      true,
      emit,
    );
  }

  async start(): Promise<void> {
    try {
      if (this.spec.kind === 'depth-file') {
        const src = new DepthFileSource(this.spec.path, this.spec.fps);
        this.status.streams = [{ name: `Points ${src.cloud.width}×${src.cloud.height}`, state: 'ok' }];
        this.source = src;
      } else {
        const mesh = this.spec.meshPath ? decodeVtp(readFileSync(this.spec.meshPath)) : backPhantomMesh();
        this.source = new SimulatedDepthSource(mesh, overheadPose(mesh), { fps: this.spec.fps });
        this.status.streams = [{ name: 'Depth 640×480 (D435-like)', state: 'ok' }];
      }
    } catch (e) {
      this.status.state = 'failed';
      this.status.lastError = (e as Error).message;
      throw e;
    }
    this.source.start((s) => {
      const t = s.kind === 'depth' ? s.frame : s.cloud;
      this.counted(t.hostTimeUs);
      this.clock.add(t.deviceTimeUs, t.hostTimeUs);
      this.status.latencyMs = Math.max(0, (hostClockUs() - t.hostTimeUs) / 1000);
      // the source's clock (frame index / fps) mapped to the host clock
      const deviceTimeUs = this.clock.toHost(t.deviceTimeUs);
      emitDepthSample(
        this.id,
        s.kind === 'depth' ? { kind: 'depth', frame: { ...s.frame, deviceTimeUs } } : { kind: 'points', cloud: { ...s.cloud, deviceTimeUs } },
        this.emit,
      );
    });
    this.status.state = 'streaming';
    this.status.driverState = this.spec.kind === 'depth-file' ? 'replaying' : 'rendering';
  }

  async stop(): Promise<void> {
    this.source?.stop();
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
    case 'depth-file':
    case 'depth-simulator':
      return new DepthRuntime(id, spec, emit);
  }
}
