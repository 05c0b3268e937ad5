/**
 * The base of every device runtime inside the device host: a runtime wraps a
 * native-bridges driver (or a simulator + the real driver, or a recording
 * replay), turns its samples into stream messages and keeps the status the
 * Devices workspace shows (rate, dropped, latency, last error). One file per
 * device kind beside this one; registry.ts maps each DeviceSpec kind to its
 * factory.
 */
import { RECENT_DROPS_S, type DeviceSpecParsed, type DeviceStatus, type StreamHeader, type StreamKind } from '../../contract/devices.js';
import { hostClockUs, DeviceClockMap } from '../../../native-bridges/core/clock.js';

/** Publishes one stream message (header without `dropped`, which delivery fills in; payload bytes as in contract/devices.ts). */
export type Emit = (header: Omit<StreamHeader, 'dropped'>, payload?: Uint8Array) => void;

/** A DeviceSpec kind ('ndi', 'igtl-client', …). */
export type DeviceKind = DeviceSpecParsed['kind'];
/** The parsed spec (defaults filled) of one kind. */
export type SpecOf<K extends DeviceKind> = Extract<DeviceSpecParsed, { kind: K }>;

/** What the registry hands a runtime factory besides the spec. */
export interface RuntimeContext {
  /** The device id the host gave it (`<kind>-<n>`; `uvc:<label>` for a window's capture). */
  id: string;
  /** Where its stream messages go (the stream clients and the session recording). */
  emit: Emit;
  /** DeviceStatus.simulated, as the kind's registry entry declares it (simulators and replays). */
  simulated: boolean;
}

/**
 * One device kind as the registry knows it (PLUS's vtkPlusDeviceFactory:
 * a table kind → factory): whether its devices are simulated, and how to
 * make its runtime from a spec of that kind.
 */
export interface RuntimeFactory<K extends DeviceKind> {
  /** DeviceStatus.simulated of every device of this kind: true for simulators and replays, never mistaken for the patient's live data. */
  readonly simulated: boolean;
  /** Makes the runtime (not started) for a parsed spec of this kind. */
  create(spec: SpecOf<K>, ctx: RuntimeContext): DeviceRuntime;
}

/** The faults a simulated device can be told to produce (Devices workspace, tests); NdiSimulator implements it. */
export interface FaultInjector {
  /** The next `n` replies each get one byte flipped (CRC errors). */
  corruptReplies(n: number): void;
  /** The next `n` measurement cycles are lost. */
  dropFrames(n: number): void;
  /** The tool on `port` is reported missing for the next `frames` frames. */
  dropout(port: number, frames: number): void;
  /** No replies for `ms` milliseconds. */
  stall(ms: number): void;
}

/** Sliding one-second rate meter (times in µs on the host clock). */
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

/**
 * The rate of a signal device (sEMG, IMU): samples per channel per second over the last 2 s of blocks, which blocks
 * arriving in bursts do not sway (times in µs on the host clock); 0 when no block came in the last second.
 */
export class SignalRate {
  /** (host µs, samples per channel so far) at each block. */
  private readonly progress: { us: number; samples: number }[] = [];
  private total = 0;
  /** A block of `n` samples per channel arrived at `nowUs`. */
  add(nowUs: number, n: number): void {
    this.total += n;
    this.progress.push({ us: nowUs, samples: this.total });
    while (this.progress.length > 2 && this.progress[1]!.us < nowUs - 2e6) this.progress.shift();
  }
  /** Samples per channel per second, rounded. */
  rate(nowUs: number): number {
    const last = this.progress.at(-1);
    const first = this.progress[0];
    const r = last && first && last.us > first.us && nowUs - last.us < 1e6 ? ((last.samples - first.samples) / (last.us - first.us)) * 1e6 : 0;
    return Math.round(r);
  }
}

/** A device as the host runs it: started once, stopped once, its status read twice a second. */
export abstract class DeviceRuntime {
  readonly id: string;
  protected status: DeviceStatus;
  protected readonly meter = new RateMeter();
  protected readonly clock = new DeviceClockMap(400);
  protected readonly emit: Emit;

  /**
   * @param ctx the id, emit and simulated flag from the registry
   * @param kind DeviceStatus.kind (the spec's kind; 'uvc' for a window's capture)
   * @param name what the Devices workspace shows
   */
  constructor(ctx: RuntimeContext, kind: string, name: string) {
    this.id = ctx.id;
    // every kind of message it sends is one it provides (an OpenIGTLink peer says what it is by what it pushes)
    this.emit = (header, payload) => {
      this.provide(header.stream);
      ctx.emit(header, payload);
    };
    this.status = {
      id: ctx.id,
      name,
      kind,
      simulated: ctx.simulated,
      state: 'connecting',
      driverState: 'closed',
      rateHz: 0,
      nominalRateHz: null,
      samples: 0,
      dropped: 0,
      droppedRecent: 0,
      latencyMs: null,
      lastError: null,
      counters: {},
      provides: [],
      streams: [],
      timeOffsetMs: 0,
    };
  }

  /** Declares kinds of stream messages this device provides (DeviceStatus.provides: kept sorted, each once). */
  protected provide(...kinds: StreamKind[]): void {
    const missing = kinds.filter((k) => !this.status.provides.includes(k));
    if (missing.length) this.status.provides = [...this.status.provides, ...missing].sort();
  }

  /** Opens the device and starts streaming. @throws Error when it cannot be opened (the status says failed, with the reason) */
  abstract start(): Promise<void>;
  /** Stops streaming and releases the device; the status says stopped. */
  abstract stop(): Promise<void>;

  /** The simulator behind a simulated device, for fault injection; null for real devices. */
  faults(): FaultInjector | null {
    return null;
  }

  /** The status now (rate over the last second, drops over the last 5 s, time offset in ms). */
  snapshot(): DeviceStatus {
    const now = hostClockUs();
    return {
      ...this.status,
      droppedRecent: this.recentDrops(now),
      provides: [...this.status.provides],
      rateHz: this.meter.rate(now),
      timeOffsetMs: this.clock.current.calibrationUs / 1000,
    };
  }

  /** Sets the temporal calibration offset (ms) applied to this device's timestamps. */
  setTimeOffset(ms: number): void {
    this.clock.setCalibration(ms * 1000);
  }

  /** (host clock µs, dropped total) as the snapshots saw them over the last RECENT_DROPS_S seconds, oldest first. */
  private readonly dropSeen: { us: number; total: number }[] = [{ us: hostClockUs(), total: 0 }];

  /** Frames dropped in the last RECENT_DROPS_S seconds: the total now less the total seen at the window's start (read at every snapshot, twice a second). */
  private recentDrops(nowUs: number): number {
    const seen = this.dropSeen;
    seen.push({ us: nowUs, total: this.status.dropped });
    // keep the newest sample at or before the window's start as the baseline
    while (seen.length > 1 && seen[1]!.us <= nowUs - RECENT_DROPS_S * 1e6) seen.shift();
    return Math.max(0, this.status.dropped - seen[0]!.total);
  }

  /** Counts a sample received at `hostUs` (host clock, µs). */
  protected counted(hostUs: number): void {
    this.status.samples++;
    this.meter.tick(hostUs);
  }
}
