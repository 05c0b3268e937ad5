/**
 * NDI Aurora / Polaris driver (Combined API over serial; the same bytes over
 * TCP for a Vega). Owns a ByteTransport, runs the state machine and polls BX
 * while tracking; emits one sample per new tracker frame.
 *
 * Bring-up (device-protocols.md §1.8, PlusLib vtkPlusNDITracker): open at
 * 9600 8N1 → INIT → COMM to the working rate (OKAY at the old rate, then the
 * host UART follows after 100 ms) → VER → free stale handles (PHSR 01 / PHF)
 * → load tool definitions for passive or wireless tools (PHRQ + PVWR) →
 * PINIT every handle that needs it (PHSR 02, repeated: splitters appear after
 * enabling) → PENA dynamic (PHSR 03) → PHINF (port, serial) → TSTART.
 * Tracking: BX:0801 at twice the measurement rate; replies whose frame number
 * has not advanced are the same measurement and are not emitted again; a
 * frame-number gap is counted as frames lost. CRC errors and time-outs are
 * counted and the poll is retried (the input is flushed first); a "port
 * occupied" system status re-runs port handling. An unplug (transport closed)
 * or a long silence goes to reconnecting: the port is reopened every 100 ms
 * and the bring-up repeated.
 *
 * Samples: translations in mm and unit quaternions (w, x, y, z) in the
 * tracker frame; deviceTimeUs = frame number / measurement rate (µs);
 * hostTimeUs = monotonic host clock when the reply arrived.
 */
import { EventEmitter } from 'node:events';
import { hostClockUs } from '../../core/clock.js';
import type { ByteTransport } from '../../core/transport.js';
import { NdiReplyFramer, type NdiReplyEvent } from './framing.js';
import { ndiTransition, type NdiEvent, type NdiState } from './machine.js';
import {
  checkReply,
  decodeBx,
  decodePhinf,
  decodePhsr,
  encodeCommand,
  hex,
  NDI_BAUD_CODES,
  NdiDeviceError,
  pvwrParams,
  SYSTEM_STATUS,
  toolState,
  type NdiHandleReport,
  type ToolState,
} from './protocol.js';
export { poseMatrix } from '../../../math/poseInterp.js';

export interface NdiToolSample {
  handle: number;
  /** Physical port (1-based; 0 for wireless/passive tools). */
  port: number;
  serial: string;
  state: ToolState;
  /** Unit quaternion (w, x, y, z) when the tool was seen. */
  q?: [number, number, number, number];
  /** Translation (mm, tracker frame) when the tool was seen. */
  t?: [number, number, number];
  /** RMS fit error (mm). */
  rms?: number;
  portStatus: number;
}

export interface NdiSample {
  seq: number;
  /** Tracker frame number. */
  frame: number;
  /** Device time: frame / measurement rate (µs). */
  deviceTimeUs: number;
  /** Monotonic host time when the reply arrived (µs). */
  hostTimeUs: number;
  tools: NdiToolSample[];
  systemStatus: number;
}

export interface NdiDriverStats {
  samples: number;
  polls: number;
  /** Frame numbers skipped between consecutive samples (all causes). */
  framesLost: number;
  /**
   * The part of framesLost that went by unseen because the span from the
   * previous reply's poll to this reply's arrival exceeded one measurement
   * period (the host process was not scheduled, or the link stalled), as
   * opposed to frames the tracker skipped while answering every poll on time.
   */
  framesLostLatePoll: number;
  /** Replies rejected for a CRC mismatch or bytes that are not a reply. */
  crcErrors: number;
  timeouts: number;
  deviceErrors: number;
  reconnects: number;
  lastError: string | null;
  /** Poll → reply time of the latest tracking reply (ms). */
  roundTripMs: number | null;
}

export interface NdiDriverOptions {
  /** Serial device path (e.g. /dev/ttyUSB0). */
  path: string;
  /** Opens the transport (default: node-serialport at the given baud). */
  open?: (path: string, baud: number) => Promise<ByteTransport>;
  /** Working baud rate after COMM (default 115200). */
  baudRate?: number;
  /** Measurement rate (Hz): Aurora 40, Polaris 60. Sets the poll rate and device time. */
  measurementHz?: number;
  /** Tool definition files (.rom) for passive/wireless tools, loaded with PHRQ + PVWR. */
  roms?: Uint8Array[];
  /** Reopen after an unplug (default true). */
  reconnect?: boolean;
  /** Host clock (µs; default core/clock hostClockUs, shared by every process of the app). */
  hostClockUs?: () => number;
  /** Reply time-out for configuration commands (ms, default 1000) and for tracking polls (default 100). */
  commandTimeoutMs?: number;
  trackingTimeoutMs?: number;
  /** Consecutive tracking time-outs that count as a lost link (default 20). */
  maxTimeouts?: number;
}

export class NdiTimeoutError extends Error {
  constructor(command: string, ms: number, where: string) {
    super(`NDI ${command}: no reply from ${where} within ${ms} ms`);
    this.name = 'NdiTimeoutError';
  }
}

export class NdiCrcError extends Error {
  constructor(command: string, detail: string) {
    super(`NDI ${command}: ${detail}`);
    this.name = 'NdiCrcError';
  }
}

interface Pending {
  command: string;
  resolve: (e: NdiReplyEvent & { kind: 'ascii' | 'binary' }) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function defaultOpen(path: string, baud: number): Promise<ByteTransport> {
  const { openSerial } = await import('../../transports/serial.js');
  return openSerial(path, baud);
}

export class NdiDriver extends EventEmitter<{ sample: [NdiSample]; state: [NdiState]; warning: [string] }> {
  readonly stats: NdiDriverStats = {
    samples: 0,
    polls: 0,
    framesLost: 0,
    framesLostLatePoll: 0,
    crcErrors: 0,
    timeouts: 0,
    deviceErrors: 0,
    reconnects: 0,
    lastError: null,
    roundTripMs: null,
  };
  firmware = '';
  private st: NdiState = 'closed';
  private transport: ByteTransport | null = null;
  private readonly framer = new NdiReplyFramer();
  private pending: Pending | null = null;
  private arrivalUs = 0;
  private lastFrame = -1;
  /** Host time (µs) the poll of the previous tracking reply was sent, and the current poll was sent. */
  private lastReplyPollUs = 0;
  private pollSentUs = 0;
  private seq = 0;
  private generation = 0;
  private info = new Map<number, { port: number; serial: string }>();
  private readonly o: Required<Omit<NdiDriverOptions, 'roms'>> & { roms: Uint8Array[] };

  constructor(o: NdiDriverOptions) {
    super();
    this.o = {
      open: defaultOpen,
      baudRate: 115200,
      measurementHz: 40,
      roms: [],
      reconnect: true,
      hostClockUs,
      commandTimeoutMs: 1000,
      trackingTimeoutMs: 100,
      maxTimeouts: 20,
      ...o,
    };
    if (!(this.o.baudRate in NDI_BAUD_CODES))
      throw new RangeError(`NDI: ${this.o.baudRate} baud is not a COMM rate (${Object.keys(NDI_BAUD_CODES).join(', ')})`);
  }

  get state(): NdiState {
    return this.st;
  }

  private go(e: NdiEvent): void {
    this.st = ndiTransition(this.st, e);
    this.emit('state', this.st);
  }

  /**
   * Opens the port, brings the tracker up and starts tracking.
   * @throws Error (port cannot be opened, no reply to INIT, device errors) — the driver is then in 'failed'.
   */
  async start(): Promise<void> {
    const gen = ++this.generation;
    this.go('open');
    try {
      await this.openTransport();
      await this.bringUp(gen);
    } catch (e) {
      this.stats.lastError = (e as Error).message;
      if (this.st !== 'reconnecting' && this.st !== 'closed') {
        this.go('fail');
        await this.dropTransport();
        throw e;
      }
    }
  }

  /** Stops tracking (TSTOP), restores 9600 baud (COMM:00000) and closes the port. */
  async stop(): Promise<void> {
    this.generation++;
    if (this.st === 'closed') return;
    const live = this.st === 'tracking' || this.st === 'ports' || this.st === 'configuring';
    this.go('stop');
    if (live && this.transport) {
      try {
        await this.ascii('TSTOP', '');
        await this.ascii('COMM', '00000');
      } catch {
        // the device may already be gone; closing is what matters
      }
    }
    await this.dropTransport();
    if (this.st === 'stopping') this.go('stopped');
  }

  private async openTransport(): Promise<void> {
    const t = await this.o.open(this.o.path, 9600);
    this.transport = t;
    this.framer.reset();
    t.onData((b) => {
      this.arrivalUs = this.o.hostClockUs();
      for (const ev of this.framer.push(b)) this.onReply(ev);
    });
    t.onClose((reason) => this.onLinkLost(reason, t));
  }

  private async dropTransport(): Promise<void> {
    const t = this.transport;
    this.transport = null;
    this.failPending(new Error('NDI: port closed'));
    if (t) await t.close().catch(() => undefined);
  }

  private onReply(ev: NdiReplyEvent): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    if (ev.kind === 'error') p.reject(new NdiCrcError(p.command, ev.detail));
    else p.resolve(ev);
  }

  private failPending(e: Error): void {
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.reject(e);
    }
  }

  private async command(name: string, params: string, timeoutMs: number): Promise<NdiReplyEvent & { kind: 'ascii' | 'binary' }> {
    const t = this.transport;
    if (!t) throw new Error(`NDI ${name}: ${this.o.path} is not open`);
    this.framer.reset();
    const reply = new Promise<NdiReplyEvent & { kind: 'ascii' | 'binary' }>((resolve, reject) => {
      this.pending = {
        command: name,
        resolve,
        reject,
        timer: setTimeout(() => this.failPending(new NdiTimeoutError(name, timeoutMs, this.o.path)), timeoutMs),
      };
    });
    reply.catch(() => undefined); // a reply (or its error) can arrive before the write drains
    await t.write(encodeCommand(name, params));
    return reply;
  }

  /** Sends a command and returns its ASCII reply text. @throws NdiDeviceError on ERRORxx. */
  private async ascii(name: string, params: string, timeoutMs = this.o.commandTimeoutMs): Promise<string> {
    const r = await this.command(name, params, timeoutMs);
    if (r.kind !== 'ascii') throw new NdiCrcError(name, 'binary reply to an ASCII command');
    return checkReply(r.text, name);
  }

  private async bringUp(gen: number): Promise<void> {
    // probing: INIT at 9600; a tracker left at the working rate answers there
    let ok = false;
    for (const baud of [9600, this.o.baudRate, 9600]) {
      if (gen !== this.generation) return;
      await this.transport?.setBaudRate?.(baud);
      try {
        await this.ascii('INIT', '', 500);
        ok = true;
        break;
      } catch (e) {
        if (e instanceof NdiDeviceError) throw e;
      }
    }
    if (!ok) throw new Error(`NDI: no reply to INIT on ${this.o.path} (is an NDI tracker connected and powered?)`);
    await sleep(100);
    this.go('initialized');
    // configuring
    await this.ascii('COMM', `${NDI_BAUD_CODES[this.o.baudRate]}0000`);
    await sleep(100);
    await this.transport?.setBaudRate?.(this.o.baudRate);
    this.firmware = (await this.ascii('VER', '4')).split('\n')[0] ?? '';
    this.go('configured');
    await this.setUpPorts();
    if (gen !== this.generation) return;
    await this.ascii('TSTART', '');
    this.lastFrame = -1;
    this.go('ports-ready');
    void this.trackLoop(gen);
  }

  private async setUpPorts(): Promise<void> {
    for (const h of decodePhsr(await this.ascii('PHSR', '01'))) await this.ascii('PHF', hex(h.handle, 2));
    for (const rom of this.o.roms) {
      const handle = await this.ascii('PHRQ', '*********1****');
      for (const p of pvwrParams(parseInt(handle, 16), rom)) await this.ascii('PVWR', p);
    }
    for (let round = 0; round < 3; round++) {
      const need = decodePhsr(await this.ascii('PHSR', '02'));
      if (need.length === 0) break;
      for (const h of need) await this.ascii('PINIT', hex(h.handle, 2));
    }
    for (const h of decodePhsr(await this.ascii('PHSR', '03'))) await this.ascii('PENA', `${hex(h.handle, 2)}D`);
    this.info.clear();
    for (const h of decodePhsr(await this.ascii('PHSR', '04'))) {
      const inf = decodePhinf(await this.ascii('PHINF', `${hex(h.handle, 2)}0021`));
      if (inf) this.info.set(h.handle, { port: inf.port, serial: inf.serial });
    }
  }

  private async trackLoop(gen: number): Promise<void> {
    const halfPeriod = 500 / this.o.measurementHz;
    let timeouts = 0;
    while (gen === this.generation && this.st === 'tracking') {
      const t0 = performance.now();
      try {
        this.stats.polls++;
        this.pollSentUs = this.o.hostClockUs();
        const r = await this.command('BX', '0801', this.o.trackingTimeoutMs);
        if (r.kind !== 'binary') checkReply(r.text, 'BX');
        else {
          timeouts = 0;
          const rep = decodeBx(r.body);
          this.onTracking(rep.handles, rep.systemStatus, this.arrivalUs);
          if (rep.systemStatus & SYSTEM_STATUS.portOccupied) {
            this.emit('warning', `NDI ${this.o.path}: a tool was plugged in; enabling it`);
            this.go('port-change');
            await this.ascii('TSTOP', '');
            await this.setUpPorts();
            await this.ascii('TSTART', '');
            this.go('ports-ready');
          }
        }
      } catch (e) {
        if (gen !== this.generation || this.st !== 'tracking') return;
        this.stats.lastError = (e as Error).message;
        if (e instanceof NdiCrcError) {
          this.stats.crcErrors++;
          await sleep(3);
          continue;
        }
        if (e instanceof NdiTimeoutError) {
          this.stats.timeouts++;
          if (++timeouts >= this.o.maxTimeouts) {
            this.onLinkLost(`no reply for ${timeouts} polls`, this.transport);
            return;
          }
          continue;
        }
        if (e instanceof NdiDeviceError) {
          this.stats.deviceErrors++;
          this.emit('warning', e.message);
          if (e.code === 0x0c || e.code === 0x10) {
            // the tracker lost its state (reset or power cycle): bring it up again
            this.onLinkLost(e.message, this.transport);
            return;
          }
        } else this.emit('warning', (e as Error).message);
      }
      const wait = halfPeriod - (performance.now() - t0);
      if (wait > 0) await sleep(wait);
    }
  }

  private onTracking(handles: NdiHandleReport[], systemStatus: number, hostTimeUs: number): void {
    const frame = handles.find((h) => h.frame !== undefined)?.frame;
    // the previous reply was measured after its poll was sent, this one before it arrived: a frame can
    // only go by unseen while the tracker answers on time if that span is longer than a period
    const spanUs = hostTimeUs - this.lastReplyPollUs;
    this.lastReplyPollUs = this.pollSentUs;
    if (frame === undefined || frame === this.lastFrame) return;
    if (this.lastFrame >= 0 && frame > this.lastFrame + 1) {
      this.stats.framesLost += frame - this.lastFrame - 1;
      if (spanUs > 1e6 / this.o.measurementHz) this.stats.framesLostLatePoll += frame - this.lastFrame - 1;
    }
    this.lastFrame = frame;
    this.stats.roundTripMs = (hostTimeUs - this.pollSentUs) / 1000;
    const tools: NdiToolSample[] = handles.map((h) => {
      const inf = this.info.get(h.handle);
      const s: NdiToolSample = { handle: h.handle, port: inf?.port ?? 0, serial: inf?.serial ?? '', state: toolState(h), portStatus: h.portStatus ?? 0 };
      if (h.q && h.t) {
        s.q = h.q;
        s.t = h.t;
        if (h.rms !== undefined) s.rms = h.rms;
      }
      return s;
    });
    this.stats.samples++;
    this.emit('sample', { seq: this.seq++, frame, deviceTimeUs: (frame * 1e6) / this.o.measurementHz, hostTimeUs, tools, systemStatus });
  }

  private onLinkLost(reason: string, t: ByteTransport | null): void {
    if (t !== this.transport || this.st === 'closed' || this.st === 'stopping' || this.st === 'failed') return;
    this.stats.lastError = reason;
    this.emit('warning', `NDI ${this.o.path}: link lost (${reason})`);
    if (!this.o.reconnect) {
      this.go('fail');
      void this.dropTransport();
      return;
    }
    this.go('link-lost');
    const gen = ++this.generation;
    void this.dropTransport().then(() => this.reconnectLoop(gen));
  }

  private async reconnectLoop(gen: number): Promise<void> {
    while (gen === this.generation && this.st === 'reconnecting') {
      try {
        await this.openTransport();
      } catch {
        await sleep(100);
        continue;
      }
      if (gen !== this.generation) return void (await this.dropTransport());
      this.stats.reconnects++;
      this.go('reopened');
      try {
        await this.bringUp(gen);
        return;
      } catch (e) {
        this.stats.lastError = (e as Error).message;
        if (gen !== this.generation) return;
        if (this.st !== 'reconnecting') this.go('link-lost');
        await this.dropTransport();
        await sleep(100);
      }
    }
  }
}
