/**
 * The other side of the PicoX bridge protocol: a simulated bridge on a real
 * TCP socket (loopback), for tests, demos and the device host's
 * `picox-simulator` kind. It says Hello, accepts Configure/Start/Stop with
 * an Ack, and while capturing sends one Emg block and one Imu block per
 * sensor per `blockMs`, a Status each second. Samples are paced by the host
 * clock, not by the timer: a late timer sends more blocks, so no sample is
 * lost to timer jitter (as the SDK buffers in the receiver).
 *
 * Scriptable faults: `dropFrames(n)` (sequence numbers advance: the host
 * sees a gap), `corruptFrames(n)` (a flipped byte: CRC error), `stall(ms)`
 * (nothing sent, then the backlog), `loseSensor(id, ms)` (link 0 %, samples
 * held at the last value as Cometa's SDK fills lost packets), and
 * `unplugReceiver()` (an Error frame, then the socket closes).
 */
import net from 'node:net';
import { hostClockUs } from '../../core/clock.js';
import { EMG_RATE_HZ, encodeFrame, MessageType, type Configure, type Message } from './protocol.js';
import { PicoxFramer } from './framing.js';
import { EmgSignalModel, type ActivationSegment, type ImuRecording } from './signalModel.js';

export interface PicoxSimulatorOptions {
  /** Paired sensor ids (default 1–4). */
  sensors?: number[];
  /** IMU samples to replay (looped; each sensor starts at another offset); null = no IMU. */
  imu?: ImuRecording | null;
  /** Activation plan of every sensor's muscle (see EmgSignalModel). */
  plan?: ActivationSegment[];
  seed?: number;
}

interface Capture {
  config: Configure;
  t0Us: number;
  emg: Map<number, { model: EmgSignalModel; sent: number; last: number }>;
  imuSent: Map<number, number>;
  timer: NodeJS.Timeout;
  lastStatusUs: number;
}

/** A simulated PicoX bridge listening on loopback. */
export class PicoxSimulator {
  private server: net.Server | null = null;
  private socket: net.Socket | null = null;
  private seq = 0;
  private capture: Capture | null = null;
  private drop = 0;
  private corrupt = 0;
  private stalledUntilUs = 0;
  private readonly lost = new Map<number, number>();
  private battery = 100;
  readonly sensors: number[];
  /** Frames sent, data samples sent per kind (for tests). */
  readonly sent = { frames: 0, emgSamples: 0, imuSamples: 0 };

  constructor(private readonly o: PicoxSimulatorOptions = {}) {
    this.sensors = o.sensors ?? [1, 2, 3, 4];
  }

  /** Starts listening; resolves with the port. */
  async listen(port = 0): Promise<number> {
    const server = net.createServer((s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    this.stopCapture();
    this.socket?.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = null;
  }

  dropFrames(n: number): void {
    this.drop += n;
  }
  corruptFrames(n: number): void {
    this.corrupt += n;
  }
  stall(ms: number): void {
    this.stalledUntilUs = hostClockUs() + ms * 1000;
  }
  loseSensor(sensor: number, ms: number): void {
    this.lost.set(sensor, hostClockUs() + ms * 1000);
  }
  /** The receiver is pulled out: an Error frame, then the connection closes. */
  unplugReceiver(): void {
    this.send({ type: MessageType.Error, body: { code: 'RECEIVER_UNPLUGGED', message: 'the PicoX receiver was unplugged from the bridge computer' } });
    this.stopCapture();
    this.socket?.end();
  }

  private accept(s: net.Socket): void {
    if (this.socket) {
      // the SDK allows one connection to the receiver at a time
      s.end(encodeFrame({ type: MessageType.Error, body: { code: 'BUSY', message: 'the PicoX receiver is already in use by another connection' } }, 0));
      return;
    }
    this.socket = s;
    this.seq = 0;
    s.setNoDelay(true);
    const framer = new PicoxFramer();
    s.on('data', (b) => {
      for (const e of framer.push(b)) if (e.kind === 'message') this.onHostMessage(e.seq, e.message);
    });
    s.on('close', () => {
      this.stopCapture();
      if (this.socket === s) this.socket = null;
    });
    s.on('error', () => undefined);
    this.send({
      type: MessageType.Hello,
      body: {
        bridge: 'OrthoTwin PicoX simulator',
        bridgeVersion: '1.0.0',
        sdk: 'simulated (no Cometa SDK)',
        receiverSerial: 'SIM-0001',
        sensors: this.sensors,
        emgRateHz: EMG_RATE_HZ,
        imuModes: this.o.imu ? [`raw-${Math.round(this.o.imu.rateHz)}`] : [],
      },
    });
  }

  private onHostMessage(seq: number, m: Message): void {
    const ack = (ok: boolean, error?: string): void => this.send({ type: MessageType.Ack, body: { ofSeq: seq, ok, ...(error ? { error } : {}) } });
    if (m.type === MessageType.Configure) {
      const unknown = m.body.sensors.filter((s) => !this.sensors.includes(s.sensor));
      if (unknown.length) return ack(false, `sensor ${unknown.map((s) => s.sensor).join(', ')} is not paired with this receiver`);
      if (![10, 25, 50, 100].includes(m.body.blockMs)) return ack(false, `a block period of ${m.body.blockMs} ms is not one the SDK offers (10, 25, 50, 100)`);
      this.pending = m.body;
      return ack(true);
    }
    if (m.type === MessageType.Start) {
      if (!this.pending) return ack(false, 'configure the sensors before starting');
      if (this.capture) return ack(false, 'already capturing');
      ack(true);
      return this.startCapture(this.pending);
    }
    if (m.type === MessageType.Stop) {
      this.stopCapture();
      return ack(true);
    }
    ack(false, `a ${MessageType[m.type] ?? m.type} frame is not something the host sends`);
  }
  private pending: Configure | null = null;

  private startCapture(config: Configure): void {
    const emg = new Map(
      config.sensors.map((s, i) => [
        s.sensor,
        { model: new EmgSignalModel((this.o.seed ?? 7) * 31 + i, { ...(this.o.plan ? { plan: this.o.plan } : {}) }), sent: 0, last: 0 },
      ]),
    );
    const t0Us = hostClockUs();
    const timer = setInterval(() => this.tick(), config.blockMs);
    this.capture = { config, t0Us, emg, imuSent: new Map(config.sensors.map((s) => [s.sensor, 0])), timer, lastStatusUs: t0Us };
  }

  private stopCapture(): void {
    if (this.capture) clearInterval(this.capture.timer);
    this.capture = null;
  }

  private tick(): void {
    const c = this.capture;
    if (!c) return;
    const now = hostClockUs();
    if (now < this.stalledUntilUs) return;
    const elapsedS = (now - c.t0Us) / 1e6;
    const block = Math.round((EMG_RATE_HZ * c.config.blockMs) / 1000);
    for (const s of c.config.sensors) {
      const e = c.emg.get(s.sensor)!;
      const lost = (this.lost.get(s.sensor) ?? 0) > now;
      // whole blocks up to now
      while (e.sent + block <= Math.floor(elapsedS * EMG_RATE_HZ)) {
        let samples = e.model.next(block);
        if (lost) samples = new Float32Array(block).fill(e.last);
        e.last = samples[block - 1]!;
        this.send({
          type: MessageType.Emg,
          body: { sensor: s.sensor, firstIndex: e.sent, deviceTimeUs: (e.sent / EMG_RATE_HZ) * 1e6, samples },
        });
        e.sent += block;
        this.sent.emgSamples += block;
      }
      const imu = this.o.imu;
      if (imu && c.config.imuMode !== 'off') {
        const n = imu.data.length / 9;
        const imuBlock = Math.max(1, Math.round((imu.rateHz * c.config.blockMs) / 1000));
        let k = c.imuSent.get(s.sensor)!;
        while (k + imuBlock <= Math.floor(elapsedS * imu.rateHz)) {
          const data = new Float32Array(9 * imuBlock);
          // each sensor replays the recording from its own offset (a tenth of it per sensor)
          const offset = Math.floor((n / 10) * (s.sensor - 1));
          for (let j = 0; j < imuBlock; j++) data.set(imu.data.subarray(9 * ((offset + k + j) % n), 9 * ((offset + k + j) % n) + 9), 9 * j);
          this.send({ type: MessageType.Imu, body: { sensor: s.sensor, firstIndex: k, deviceTimeUs: (k / imu.rateHz) * 1e6, rateHz: imu.rateHz, data } });
          k += imuBlock;
          this.sent.imuSamples += imuBlock;
        }
        c.imuSent.set(s.sensor, k);
      }
    }
    if (now - c.lastStatusUs >= 1e6) {
      c.lastStatusUs = now;
      this.battery = Math.max(0, this.battery - 0.01);
      this.send({
        type: MessageType.Status,
        body: {
          state: 'capturing',
          deviceTimeUs: elapsedS * 1e6,
          sensors: c.config.sensors.map((s) => {
            const lost = (this.lost.get(s.sensor) ?? 0) > now;
            return { sensor: s.sensor, batteryPercent: this.battery, linkPercent: lost ? 0 : 100, lost };
          }),
        },
      });
    }
  }

  private send(m: Message): void {
    const seq = this.seq;
    this.seq = (this.seq + 1) >>> 0;
    if (!this.socket || this.socket.destroyed) return;
    if (this.drop > 0 && (m.type === MessageType.Emg || m.type === MessageType.Imu)) {
      this.drop--;
      return;
    }
    const frame = encodeFrame(m, seq);
    if (this.corrupt > 0 && (m.type === MessageType.Emg || m.type === MessageType.Imu)) {
      this.corrupt--;
      frame[frame.length >> 1] = frame[frame.length >> 1]! ^ 0x5a;
    }
    this.sent.frames++;
    this.socket.write(frame);
  }
}
