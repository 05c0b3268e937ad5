/**
 * The other end of an NDI Aurora / Polaris link: answers the Combined API
 * (INIT, COMM, VER, APIREV, PHSR, PHRQ, PHINF, PVWR, PINIT, PENA, PDIS, PHF,
 * TSTART, TSTOP, BX, TX, BEEP) with the same framing and CRCs as the device,
 * over any ByteTransport (a socat pty pair in tests and in the simulated
 * devices of the Devices workspace). The measurement runs on its own clock at
 * `rateHz`; every BX/TX reply carries the latest frame (polling twice gives
 * the same frame, as on the device). Tools follow scripted motion plus
 * Gaussian noise that is a function of the frame (so a frame re-read is the
 * same measurement).
 *
 * Scriptable faults: dropped measurement frames, corrupted replies (one byte
 * flipped), stalls (no reply), tool dropouts (MISSING), out-of-volume, a tool
 * plugged in while tracking (system status "port occupied"), replies split
 * into small chunks. The unplug itself is done by the transport owner
 * (PtyPair.unplug), followed by `powerOn()` to return to 9600-baud power-up.
 */
import type { ByteTransport } from '../../core/transport.js';
import { NdiCommandFramer } from './framing.js';
import {
  encodeAsciiReply,
  encodeBx,
  encodePhinf,
  encodePhsr,
  encodeTx,
  hex,
  parseCommand,
  PORT_STATUS,
  SYSTEM_STATUS,
  type NdiHandleReport,
  type NdiTrackingReply,
} from './protocol.js';

export interface SimulatedPose {
  /** Unit quaternion (w, x, y, z). */
  q: [number, number, number, number];
  /** Translation (mm), tracker frame. */
  t: [number, number, number];
}

export interface SimulatedTool {
  /** Physical port (1-based). */
  port: number;
  serial: string;
  /** Pose at time t (s since tracking started); default: a slow circle per port. */
  motion?: (tSec: number) => SimulatedPose;
}

export interface NdiSimulatorOptions {
  model?: 'aurora' | 'polaris';
  tools?: SimulatedTool[];
  /** Measurement rate (Hz); Aurora 40, Polaris 60. */
  rateHz?: number;
  /** Standard deviation of the translation noise (mm); default 0.05. */
  noiseMm?: number;
  /** Monotonic clock in ms (default performance.now). */
  now?: () => number;
}

export interface NdiSimulatorCounters {
  commands: number;
  badCrc: number;
  trackingReplies: number;
  corrupted: number;
  framesDropped: number;
}

interface HandleState {
  handle: number;
  tool: SimulatedTool;
  initialized: boolean;
  enabled: boolean;
  missingUntil: number;
  outOfVolumeUntil: number;
}

/** Default scripted motion: port p circles 20 mm around (40p, -30, -150) mm every 5 s, turning ±0.3 rad about z. */
export function defaultMotion(port: number): (t: number) => SimulatedPose {
  return (t) => {
    const a = 2 * Math.PI * 0.2 * t;
    const th = 0.3 * Math.sin(0.5 * a);
    return { q: [Math.cos(th / 2), 0, 0, Math.sin(th / 2)], t: [40 * port + 20 * Math.cos(a), -30 + 20 * Math.sin(a), -150 + 5 * Math.sin(2.5 * a)] };
  };
}

/** Deterministic standard normal from integers (hash → two uniforms → Box–Muller). */
function gauss(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  const next = (): number => {
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    h = Math.imul(h, 0x297a2d39);
    h ^= h >>> 15;
    return ((h >>> 0) + 0.5) / 4294967296;
  };
  return Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
}

export class NdiSimulator {
  readonly counters: NdiSimulatorCounters = { commands: 0, badCrc: 0, trackingReplies: 0, corrupted: 0, framesDropped: 0 };
  /** Frame numbers the simulator was told to drop (never measured). */
  readonly droppedFrames: number[] = [];
  readonly model: 'aurora' | 'polaris';
  readonly rateHz: number;
  private readonly noise: number;
  private readonly now: () => number;
  private readonly tools: SimulatedTool[];
  private handles: HandleState[] = [];
  private transport: ByteTransport | null = null;
  private framer = new NdiCommandFramer();
  private initialized = false;
  private tracking = false;
  private trackStartMs = 0;
  private frameOffset = 0;
  /** Frame drops take effect at the next measurement tick: [tick after which they apply, frames]. */
  private drops: [number, number][] = [];
  private corruptLeft = 0;
  private stallUntil = 0;
  private split = false;
  private systemStatus = 0;
  private writeChain: Promise<void> = Promise.resolve();

  constructor(o: NdiSimulatorOptions = {}) {
    this.model = o.model ?? 'aurora';
    this.rateHz = o.rateHz ?? (this.model === 'aurora' ? 40 : 60);
    this.noise = o.noiseMm ?? 0.05;
    this.now = o.now ?? (() => performance.now());
    this.tools = o.tools ?? [1, 2, 3, 4].map((port) => ({ port, serial: `3A00${port}B7${port}` }));
    this.powerOn();
  }

  /** Power-up state: 9600 baud, not initialised, no port handles enabled. */
  powerOn(): void {
    this.initialized = false;
    this.tracking = false;
    this.systemStatus = 0;
    this.handles = this.tools.map((tool, i) => ({ handle: 0x0a + i, tool, initialized: false, enabled: false, missingUntil: -1, outOfVolumeUntil: -1 }));
    this.framer = new NdiCommandFramer();
  }

  /** Serves the protocol on a transport (replaces any previous one). */
  attach(t: ByteTransport): void {
    this.transport = t;
    t.onData((bytes) => {
      for (const line of this.framer.push(bytes)) this.onCommand(line);
    });
  }

  detach(): void {
    this.transport = null;
  }

  /** The frame the measurement is at now. */
  currentFrame(): number {
    const tick = this.tick();
    let skipped = 0;
    for (const [after, n] of this.drops) if (tick > after) skipped += n;
    return this.frameOffset + Math.max(tick, 0) + skipped;
  }

  private tick(): number {
    return this.tracking ? Math.floor(((this.now() - this.trackStartMs) * this.rateHz) / 1000) : -1;
  }

  // --- faults -------------------------------------------------------------

  /** The next `n` measurement cycles are lost: frame numbers jump from the current frame f to f + n + 1 at the next tick. */
  dropFrames(n: number): void {
    const f = this.currentFrame();
    for (let i = 1; i <= n; i++) this.droppedFrames.push(f + i);
    this.drops.push([this.tick(), n]);
    this.counters.framesDropped += n;
  }

  /** The next `n` tracking replies each get one byte flipped. */
  corruptReplies(n: number): void {
    this.corruptLeft += n;
  }

  /** No replies for `ms` (commands received meanwhile are lost). */
  stall(ms: number): void {
    this.stallUntil = this.now() + ms;
  }

  /** Tool on `port` reported MISSING for the next `frames` frames. */
  dropout(port: number, frames: number): void {
    const h = this.handles.find((x) => x.tool.port === port);
    if (h) h.missingUntil = this.currentFrame() + frames;
  }

  /** Tool on `port` out of the measurement volume for the next `frames` frames. */
  outOfVolume(port: number, frames: number): void {
    const h = this.handles.find((x) => x.tool.port === port);
    if (h) h.outOfVolumeUntil = this.currentFrame() + frames;
  }

  /** Replies are written in random pieces of 1–24 bytes, one per event-loop turn (tests reassembly). */
  splitReplies(on: boolean): void {
    this.split = on;
  }

  /** A tool is plugged into `port`: a new handle that needs PINIT/PENA, and system status "port occupied". */
  plugTool(tool: SimulatedTool): void {
    this.handles.push({ handle: 0x0a + this.handles.length, tool, initialized: false, enabled: false, missingUntil: -1, outOfVolumeUntil: -1 });
    this.systemStatus |= SYSTEM_STATUS.portOccupied;
  }

  // --- protocol -------------------------------------------------------------

  private send(bytes: Uint8Array): void {
    const t = this.transport;
    if (!t) return;
    if (!this.split) {
      this.writeChain = this.writeChain.then(() => t.write(bytes)).catch(() => undefined);
      return;
    }
    let p = 0;
    while (p < bytes.length) {
      const n = 1 + Math.floor(Math.random() * 24);
      const piece = bytes.slice(p, p + n);
      p += n;
      this.writeChain = this.writeChain
        .then(() => t.write(piece))
        .then(() => new Promise<void>((r) => setImmediate(r)))
        .catch(() => undefined);
    }
  }

  private reply(text: string): void {
    this.send(encodeAsciiReply(text));
  }

  private onCommand(line: string): void {
    if (this.now() < this.stallUntil) return;
    this.counters.commands++;
    const cmd = parseCommand(line);
    if (!cmd.crcOk) {
      this.counters.badCrc++;
      return this.reply('ERROR04');
    }
    const p = cmd.params;
    const handleOf = (s: string): HandleState | undefined => this.handles.find((h) => h.handle === parseInt(s.slice(0, 2), 16));
    switch (cmd.name) {
      case 'INIT':
        this.initialized = true;
        this.tracking = false;
        return this.reply('OKAY');
      case 'COMM':
        return this.reply(/^[0-7A][0-1][0-2][0-1][0-1]$/.test(p) ? 'OKAY' : 'ERROR06');
      case 'BEEP':
        return this.reply('1');
      case 'APIREV':
        return this.reply('G.001.005');
      case 'VER':
        return this.reply(
          `${this.model === 'aurora' ? 'Aurora' : 'Polaris'} Control Firmware (OrthoTwin simulator)\nNDI S/N: SIM00001\nCharacterization Date: 2026-01-01\nFreeze Tag: OrthoTwin 0.1\n`,
        );
    }
    if (!this.initialized) return this.reply('ERROR10');
    switch (cmd.name) {
      case 'PHSR': {
        const mode = parseInt(p || '0', 16);
        const sel = this.handles.filter((h) =>
          mode === 0 ? true : mode === 1 ? false : mode === 2 ? !h.initialized : mode === 3 ? h.initialized && !h.enabled : mode === 4 ? h.enabled : false,
        );
        return this.reply(encodePhsr(sel.map((h) => ({ handle: h.handle, status: this.portStatus(h) & 0xfff }))));
      }
      case 'PHRQ': {
        const h: HandleState = {
          handle: 0x0a + this.handles.length,
          tool: { port: 0, serial: 'WIRELESS' },
          initialized: false,
          enabled: false,
          missingUntil: -1,
          outOfVolumeUntil: -1,
        };
        this.handles.push(h);
        return this.reply(hex(h.handle, 2));
      }
      case 'PVWR':
        return this.reply(handleOf(p) && p.length === 2 + 4 + 128 ? 'OKAY' : 'ERROR07');
      case 'PHINF': {
        const h = handleOf(p);
        if (!h) return this.reply('ERROR08');
        return this.reply(
          encodePhinf({
            toolType: '0A000000',
            manufacturer: 'NDI',
            revision: '001',
            serial: h.tool.serial,
            portStatus: this.portStatus(h),
            port: h.tool.port,
            channel: 0,
          }),
        );
      }
      case 'PINIT': {
        const h = handleOf(p);
        if (!h) return this.reply('ERROR08');
        h.initialized = true;
        return this.reply('OKAY');
      }
      case 'PENA': {
        const h = handleOf(p);
        if (!h) return this.reply('ERROR08');
        if (!h.initialized) return this.reply('ERROR0E');
        h.enabled = true;
        if (this.handles.every((x) => x.enabled)) this.systemStatus &= ~SYSTEM_STATUS.portOccupied;
        return this.reply('OKAY');
      }
      case 'PDIS':
      case 'PHF': {
        const h = handleOf(p);
        if (!h) return this.reply('ERROR08');
        h.enabled = false;
        if (cmd.name === 'PHF') this.handles = this.handles.filter((x) => x !== h);
        return this.reply('OKAY');
      }
      case 'TSTART':
        if (!this.tracking) {
          this.tracking = true;
          this.trackStartMs = this.now();
        }
        return this.reply('OKAY');
      case 'TSTOP':
        if (this.tracking) {
          this.frameOffset = this.currentFrame() + 1;
          this.drops = [];
          this.tracking = false;
        }
        return this.reply('OKAY');
      case 'BX':
      case 'TX': {
        if (!this.tracking) return this.reply('ERROR0C');
        const rep = this.measure();
        this.counters.trackingReplies++;
        const bytes = cmd.name === 'BX' ? encodeBx(rep) : encodeAsciiReply(encodeTx(rep));
        if (this.corruptLeft > 0) {
          this.corruptLeft--;
          this.counters.corrupted++;
          const i = Math.floor(Math.random() * (bytes.length - 1));
          bytes[i] = bytes[i]! ^ (1 + Math.floor(Math.random() * 255));
        }
        return this.send(bytes);
      }
      default:
        return this.reply('ERROR01');
    }
  }

  private portStatus(h: HandleState): number {
    let s = PORT_STATUS.toolInPort;
    if (h.initialized) s |= PORT_STATUS.initialized;
    if (h.enabled) s |= PORT_STATUS.enabled;
    return s;
  }

  private measure(): NdiTrackingReply {
    const frame = this.currentFrame();
    const tSec = Math.max(this.tick(), 0) / this.rateHz;
    const handles: NdiHandleReport[] = [];
    for (const h of this.handles) {
      if (!h.enabled) {
        handles.push({ handle: h.handle, status: 'disabled' });
        continue;
      }
      let status = this.portStatus(h);
      if (frame < h.missingUntil) {
        handles.push({ handle: h.handle, status: 'missing', portStatus: status, frame });
        continue;
      }
      if (frame < h.outOfVolumeUntil) status |= PORT_STATUS.outOfVolume;
      const pose = (h.tool.motion ?? defaultMotion(h.tool.port))(tSec);
      const n = (k: number): number => this.noise * gauss(frame, h.handle * 8 + k);
      handles.push({
        handle: h.handle,
        status: 'valid',
        q: pose.q,
        t: [pose.t[0] + n(0), pose.t[1] + n(1), pose.t[2] + n(2)],
        rms: Math.abs(0.08 + 0.02 * gauss(frame, h.handle * 8 + 3)),
        portStatus: status,
        frame,
      });
    }
    return { handles, systemStatus: this.systemStatus };
  }
}
