/**
 * Device kinds `picox` and `picox-simulator`: Cometa PicoX sEMG + IMU
 * sensors through the PicoX bridge protocol (native-bridges/devices/
 * emg-imu-picox; the simulator kind runs a simulated bridge on loopback and
 * the real client). The bridge sends one block per sensor per period; the
 * runtime joins the sensors' blocks of the same sample index into one 'emg'
 * message (float32 [sensor][sample], V) and one 'imu' message (float32
 * [sensor × 9 channels][sample]: accelerometer g, gyroscope °/s,
 * magnetometer µT), in the order of the sensor assignment; a sensor whose
 * block did not come is NaN there. Device times (receiver clock, µs since
 * Start) are mapped to the host clock.
 */
import { hostClockUs } from '../../../native-bridges/core/clock.js';
import { PicoxBridgeClient, PicoxBridgeError } from '../../../native-bridges/devices/emg-imu-picox/client.js';
import type { EmgBlock, ImuBlock } from '../../../native-bridges/devices/emg-imu-picox/protocol.js';
import { readXioSensorCsv } from '../../../native-bridges/devices/emg-imu-picox/signalModel.js';
import { PicoxSimulator } from '../../../native-bridges/devices/emg-imu-picox/simulator.js';
import { IMU_AXES, IMU_UNITS, lumbarAssignment, type SensorAssignment } from '../../contract/devices.js';
import { DeviceRuntime, SignalRate, type FaultInjector, type RuntimeContext, type RuntimeFactory, type SpecOf } from './runtime.js';

/** Block period the runtime configures (ms): 100 sEMG samples per 'emg' message at 2000 Hz. */
export const PICOX_BLOCK_MS = 50;

/** Blocks of one kind waiting for the other sensors' blocks of the same first index. */
class BlockJoiner<B extends { sensor: number; firstIndex: number; deviceTimeUs: number }> {
  private readonly pending = new Map<number, Map<number, B>>();
  constructor(
    private readonly sensors: number[],
    private readonly flush: (firstIndex: number, blocks: Map<number, B>) => void,
  ) {}
  add(b: B): void {
    let m = this.pending.get(b.firstIndex);
    if (!m) this.pending.set(b.firstIndex, (m = new Map()));
    m.set(b.sensor, b);
    if (m.size === this.sensors.length) {
      // everything older is complete as it will ever be (a sensor's block that never came)
      for (const k of [...this.pending.keys()].sort((a, c) => a - c)) {
        if (k > b.firstIndex) break;
        this.flush(k, this.pending.get(k)!);
        this.pending.delete(k);
      }
    } else if (this.pending.size > 8) {
      const oldest = Math.min(...this.pending.keys());
      this.flush(oldest, this.pending.get(oldest)!);
      this.pending.delete(oldest);
    }
  }
}

/** A PicoX system (real bridge or simulator) as a device. */
export class PicoxRuntime extends DeviceRuntime {
  private client: PicoxBridgeClient | null = null;
  private sim: PicoxSimulator | null = null;
  private seq = 0;
  private readonly assignment: SensorAssignment[];
  private readonly battery = new Map<number, { battery: number; link: number; lost: boolean }>();
  /** The sEMG rate over 2 s, which blocks arriving in bursts do not sway. */
  private readonly signalRate = new SignalRate();

  constructor(
    private readonly spec: SpecOf<'picox'> | SpecOf<'picox-simulator'>,
    ctx: RuntimeContext,
  ) {
    super(ctx, spec.kind, spec.kind === 'picox' ? `Cometa PicoX (bridge ${spec.host}:${spec.port})` : `Cometa PicoX simulator (${spec.sensors} sensors)`);
    this.assignment = spec.kind === 'picox' ? (spec.sensors ?? lumbarAssignment(4)) : lumbarAssignment(spec.sensors);
    this.status.nominalRateHz = 2000;
    this.provide('emg');
    this.refreshStreams();
  }

  /** The simulated bridge's faults (frames dropped, corrupted, stalls), null for a real bridge. */
  override faults(): FaultInjector | null {
    const s = this.sim;
    if (!s) return null;
    return {
      corruptReplies: (n) => s.corruptFrames(n),
      dropFrames: (n) => s.dropFrames(n),
      dropout: (port, frames) => s.loseSensor(port, frames * 50),
      stall: (ms) => s.stall(ms),
    };
  }

  private refreshStreams(): void {
    this.status.streams = this.assignment.map((a) => {
      const b = this.battery.get(a.sensor);
      const site = [a.muscle, a.level, a.side].filter(Boolean).join(' ');
      return {
        name: `${a.label} (${site})${b ? ` · battery ${b.battery} % · link ${b.link} %` : ''}`,
        state: b?.lost ? 'lost' : b ? 'ok' : 'waiting',
      };
    });
  }

  async start(): Promise<void> {
    try {
      let host: string, port: number;
      let imuMode = 'off';
      if (this.spec.kind === 'picox-simulator') {
        const imu = this.spec.imuPath ? readXioSensorCsv(this.spec.imuPath) : null;
        this.sim = new PicoxSimulator({ sensors: this.assignment.map((a) => a.sensor), imu });
        port = await this.sim.listen();
        host = '127.0.0.1';
        if (imu) imuMode = `raw-${Math.round(imu.rateHz)}`;
      } else {
        host = this.spec.host;
        port = this.spec.port;
      }
      const sensors = this.assignment.map((a) => a.sensor);
      const emg = new BlockJoiner<EmgBlock>(sensors, (first, blocks) => this.emitEmg(first, blocks));
      const imu = new BlockJoiner<ImuBlock>(sensors, (first, blocks) => this.emitImu(first, blocks));
      this.client = await PicoxBridgeClient.connect(host, port, {
        emg: (b) => emg.add(b),
        imu: (b) => imu.add(b),
        status: (s) => {
          for (const x of s.sensors) this.battery.set(x.sensor, { battery: x.batteryPercent, link: x.linkPercent, lost: x.lost });
          this.refreshStreams();
        },
        fault: (m, fatal) => {
          this.status.counters = { ...this.status.counters, faults: (this.status.counters['faults'] ?? 0) + 1 };
          if (fatal && this.status.state === 'streaming') {
            this.status.state = 'failed';
            this.status.lastError = m;
          }
        },
      });
      if (this.spec.kind === 'picox' && this.spec.imu && this.client.hello?.imuModes[0]) imuMode = this.client.hello.imuModes[0];
      if (imuMode !== 'off') this.provide('imu');
      await this.client.configure({ sensors: this.assignment, imuMode, blockMs: PICOX_BLOCK_MS });
      await this.client.start();
      this.status.state = 'streaming';
      this.status.driverState = 'capturing';
    } catch (e) {
      this.status.state = 'failed';
      this.status.lastError = e instanceof PicoxBridgeError ? `${e.message}${e.detail ? `\n${e.detail}` : ''}` : `PicoX: ${(e as Error).message}`;
      await this.release();
      throw e;
    }
  }

  private emitEmg(firstIndex: number, blocks: Map<number, EmgBlock>): void {
    const n = Math.max(...[...blocks.values()].map((b) => b.samples.length));
    const payload = new Float32Array(this.assignment.length * n).fill(NaN);
    this.assignment.forEach((a, k) => {
      const b = blocks.get(a.sensor);
      if (b) payload.set(b.samples.subarray(0, n), k * n);
    });
    const deviceUs = [...blocks.values()][0]!.deviceTimeUs;
    const now = hostClockUs();
    this.clock.add(deviceUs, now);
    this.status.samples += n;
    this.signalRate.add(now, n);
    const c = this.client!.counters;
    // frames lost on the way (sequence gaps, a CRC-damaged frame included); the samples they held are counted per sensor
    this.status.dropped = c.lostFrames;
    this.status.counters = { ...this.status.counters, lostEmgSamples: [...c.lostEmgSamples.values()].reduce((s, v) => s + v, 0), lostFrames: c.lostFrames };
    this.status.latencyMs = null;
    this.emit(
      {
        device: this.id,
        stream: 'emg',
        seq: this.seq++,
        deviceTimeUs: this.clock.toHost(deviceUs),
        hostTimeUs: now,
        count: n,
        rateHz: 2000,
        firstIndex,
        channels: this.assignment.map((a) => ({ label: a.label, unit: 'V', description: [a.muscle, a.level, a.side].filter(Boolean).join(' ') })),
      },
      new Uint8Array(payload.buffer),
    );
  }

  private emitImu(firstIndex: number, blocks: Map<number, ImuBlock>): void {
    const any = [...blocks.values()][0]!;
    const n = any.data.length / 9;
    const payload = new Float32Array(this.assignment.length * 9 * n).fill(NaN);
    this.assignment.forEach((a, k) => {
      const b = blocks.get(a.sensor);
      if (!b) return;
      for (let j = 0; j < 9; j++) for (let i = 0; i < n; i++) payload[(k * 9 + j) * n + i] = b.data[9 * i + j]!;
    });
    this.emit(
      {
        device: this.id,
        stream: 'imu',
        seq: this.seq++,
        deviceTimeUs: this.clock.toHost(any.deviceTimeUs),
        hostTimeUs: hostClockUs(),
        count: n,
        rateHz: any.rateHz,
        firstIndex,
        channels: this.assignment.flatMap((a) => IMU_AXES.map((ax, j) => ({ label: `${a.label}_${ax}`, unit: IMU_UNITS[j]! }))),
      },
      new Uint8Array(payload.buffer),
    );
  }

  /** The status with the sEMG rate (samples per channel per second) over the last 2 s of blocks. */
  override snapshot(): ReturnType<DeviceRuntime['snapshot']> {
    return { ...super.snapshot(), rateHz: this.signalRate.rate(hostClockUs()) };
  }

  private async release(): Promise<void> {
    this.client?.close();
    this.client = null;
    await this.sim?.close();
    this.sim = null;
  }

  async stop(): Promise<void> {
    try {
      await this.client?.stop();
    } catch {
      // a bridge that went away cannot be stopped; it is released below
    }
    await this.release();
    this.status.state = 'stopped';
    this.status.driverState = 'closed';
  }
}

/** Registry entry of `picox`: real sensors. */
export const picox: RuntimeFactory<'picox'> = { simulated: false, create: (spec, ctx) => new PicoxRuntime(spec, ctx) };
/** Registry entry of `picox-simulator`: simulated. */
export const picoxSimulator: RuntimeFactory<'picox-simulator'> = { simulated: true, create: (spec, ctx) => new PicoxRuntime(spec, ctx) };
