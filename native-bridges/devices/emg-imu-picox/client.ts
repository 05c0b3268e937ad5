/**
 * The host side of the PicoX bridge protocol: connects to a bridge (the
 * Windows process that hosts Cometa's SDK, or PicoxSimulator) over TCP,
 * waits for its Hello, configures the sensors, starts and stops the
 * capture, and hands on every sEMG and IMU block with its sensor's
 * assignment. Losses are counted where they show: sequence gaps and CRC
 * errors (frames), and gaps in each sensor's sample indices (samples).
 */
import net from 'node:net';
import {
  encodeFrame,
  MessageType,
  type Ack,
  type BridgeEvent,
  type Configure,
  type EmgBlock,
  type Hello,
  type ImuBlock,
  type Message,
  type Status,
} from './protocol.js';
import { PicoxFramer } from './framing.js';

/** A bridge that cannot be reached or used: the reason as a sentence naming the bridge. */
export class PicoxBridgeError extends Error {
  constructor(
    message: string,
    readonly detail = '',
  ) {
    super(message);
  }
}

export interface PicoxClientHandlers {
  emg?(b: EmgBlock): void;
  imu?(b: ImuBlock): void;
  status?(s: Status): void;
  event?(e: BridgeEvent): void;
  /** A fault: a frame error, a bridge Error frame or the connection's end (`fatal`). */
  fault?(message: string, fatal: boolean): void;
}

export interface PicoxLossCounters {
  lostFrames: number;
  crcErrors: number;
  /** Per sensor: sEMG samples missing from the index sequence. */
  lostEmgSamples: Map<number, number>;
  lostImuSamples: Map<number, number>;
  emgSamples: Map<number, number>;
  imuSamples: Map<number, number>;
}

/** A connection to one PicoX bridge. */
export class PicoxBridgeClient {
  hello: Hello | null = null;
  readonly counters: PicoxLossCounters = {
    lostFrames: 0,
    crcErrors: 0,
    lostEmgSamples: new Map(),
    lostImuSamples: new Map(),
    emgSamples: new Map(),
    imuSamples: new Map(),
  };
  private readonly framer = new PicoxFramer();
  private seq = 0;
  private readonly waiting = new Map<number, (a: Ack) => void>();
  private helloWaiter: ((h: Hello) => void) | null = null;
  private readonly nextEmg = new Map<number, number>();
  private readonly nextImu = new Map<number, number>();
  private closedReason: string | null = null;

  private constructor(
    private readonly socket: net.Socket,
    readonly description: string,
    private readonly on: PicoxClientHandlers,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (b) => this.onBytes(b));
    socket.on('close', () => this.onClose(this.closedReason ?? 'the bridge closed the connection'));
    socket.on('error', (e) => (this.closedReason = `${e.message}`));
  }

  /**
   * Connects and waits for the bridge's Hello.
   * @throws PicoxBridgeError naming host:port when the connection is refused, times out or no Hello comes
   */
  static async connect(host: string, port: number, on: PicoxClientHandlers = {}, timeoutMs = 5000): Promise<PicoxBridgeClient> {
    const description = `PicoX bridge ${host}:${port}`;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host, port });
      const t = setTimeout(() => (s.destroy(), reject(new PicoxBridgeError(`${description}: no answer within ${timeoutMs / 1000} s`))), timeoutMs);
      s.once('connect', () => (clearTimeout(t), resolve(s)));
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(t);
        reject(
          new PicoxBridgeError(
            e.code === 'ECONNREFUSED'
              ? `${description}: nothing listens there — is the PicoX bridge running on that computer?`
              : `${description}: the connection failed`,
            e.message,
          ),
        );
      });
    });
    const c = new PicoxBridgeClient(socket, description, on);
    c.hello = await c.waitHello(timeoutMs);
    return c;
  }

  private waitHello(timeoutMs: number): Promise<Hello> {
    if (this.hello) return Promise.resolve(this.hello);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => (this.socket.destroy(), reject(new PicoxBridgeError(`${this.description}: connected but the bridge did not introduce itself (no Hello)`))),
        timeoutMs,
      );
      this.helloWaiter = (h) => (clearTimeout(t), resolve(h));
    });
  }

  /**
   * Sends the sensor assignment and capture settings.
   * @throws PicoxBridgeError with the bridge's reason when it refuses them
   */
  configure(c: Configure): Promise<void> {
    return this.request({ type: MessageType.Configure, body: c });
  }

  /** Starts the capture (sample indices restart at 0). @throws PicoxBridgeError when refused */
  async start(): Promise<void> {
    this.nextEmg.clear();
    this.nextImu.clear();
    await this.request({ type: MessageType.Start, body: null });
  }

  /** Stops the capture. @throws PicoxBridgeError when refused */
  stop(): Promise<void> {
    return this.request({ type: MessageType.Stop, body: null });
  }

  close(): void {
    this.closedReason = 'closed by OrthoTwin';
    this.socket.destroy();
  }

  private request(m: Message, timeoutMs = 5000): Promise<void> {
    const seq = this.seq;
    this.seq = (this.seq + 1) >>> 0;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new PicoxBridgeError(`${this.description}: no answer to ${MessageType[m.type]} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting.set(seq, (a) => {
        clearTimeout(t);
        if (a.ok) resolve();
        else reject(new PicoxBridgeError(`${this.description} refused ${MessageType[m.type]}: ${a.error ?? 'no reason given'}`));
      });
      this.socket.write(encodeFrame(m, seq));
    });
  }

  private count(map: Map<number, number>, sensor: number, n: number): void {
    map.set(sensor, (map.get(sensor) ?? 0) + n);
  }

  private onBytes(b: Uint8Array): void {
    for (const e of this.framer.push(b)) {
      if (e.kind === 'gap') {
        this.counters.lostFrames += e.lostFrames;
        this.on.fault?.(`${this.description}: ${e.lostFrames} frame(s) lost (sequence ${e.expectedSeq} expected, ${e.seq} received)`, false);
        continue;
      }
      if (e.kind === 'error') {
        if (e.reason === 'crc') this.counters.crcErrors++;
        this.on.fault?.(`${this.description}: ${e.detail}`, false);
        continue;
      }
      const m = e.message;
      switch (m.type) {
        case MessageType.Hello:
          this.hello = m.body;
          this.helloWaiter?.(m.body);
          break;
        case MessageType.Ack:
          this.waiting.get(m.body.ofSeq)?.(m.body);
          this.waiting.delete(m.body.ofSeq);
          break;
        case MessageType.Emg: {
          const b = m.body;
          const expected = this.nextEmg.get(b.sensor) ?? 0;
          if (b.firstIndex > expected) this.count(this.counters.lostEmgSamples, b.sensor, b.firstIndex - expected);
          this.nextEmg.set(b.sensor, b.firstIndex + b.samples.length);
          this.count(this.counters.emgSamples, b.sensor, b.samples.length);
          this.on.emg?.(b);
          break;
        }
        case MessageType.Imu: {
          const b = m.body;
          const n = b.data.length / 9;
          const expected = this.nextImu.get(b.sensor) ?? 0;
          if (b.firstIndex > expected) this.count(this.counters.lostImuSamples, b.sensor, b.firstIndex - expected);
          this.nextImu.set(b.sensor, b.firstIndex + n);
          this.count(this.counters.imuSamples, b.sensor, n);
          this.on.imu?.(b);
          break;
        }
        case MessageType.Status:
          this.on.status?.(m.body);
          break;
        case MessageType.Event:
          this.on.event?.(m.body);
          break;
        case MessageType.Error:
          this.closedReason = `${m.body.message} (${m.body.code})`;
          this.on.fault?.(`${this.description}: ${m.body.message}`, false);
          break;
        default:
          this.on.fault?.(`${this.description}: an unexpected ${MessageType[m.type]} frame from the bridge`, false);
      }
    }
  }

  private onClose(reason: string): void {
    for (const w of this.waiting.values()) w({ ofSeq: -1, ok: false, error: `the connection closed (${reason})` });
    this.waiting.clear();
    this.on.fault?.(`${this.description}: the connection ended — ${reason}`, true);
  }
}
