/**
 * Device kind `c3d-replay`: a motion C3D replayed as a live sEMG (+ IMU)
 * device, in the stream messages a PicoX system sends (picox.ts), so the
 * Motion workspace, the session recording and any stream client take it as
 * they take the sensors:
 * - 'emg': blocks of 50 ms (100 samples at 2000 Hz), float32
 *   [channel][sample], the channels' labels, units and descriptions
 *   (ANALOG:LABELS / UNITS / DESCRIPTIONS), `firstIndex`, `rateHz` (the
 *   file's analog rate). sEMG in mV or µV is converted to V.
 * - 'imu': only for a PicoX session recording (`<device>_Motion.c3d`,
 *   recorder.ts `motionC3d`) that holds IMU channels (labels `<sensor>_ACC_X`
 *   … `_MAG_Z`, nine per sensor, and ORTHOTWIN:IMU_RATE): the recorder
 *   interpolated them onto the sEMG samples, so they are sampled back at the
 *   IMU's recorded rate (linear interpolation: within the interpolation's
 *   own error of the IMU samples that were recorded), in 50 ms blocks.
 * A third-party C3D's analog channels are all taken as sEMG (a Delsys
 * Trigno trial, say), in the file's order; its points are not replayed.
 *
 * Paced by the host clock from the start, as the PicoX simulator is: every
 * block whose last sample is due by now is sent (a late timer sends a
 * backlog, never loses samples). With `loop`, sample indices and device
 * times continue across passes (no jump back), and a block may span the
 * file's end and its start; without it the last block is the file's
 * remainder and the device then stops. Device times are the file's time of
 * each block's first sample mapped to the host clock (the block is due when
 * its last sample is), with the device's temporal calibration.
 *
 * The file's events (header events, EVENT group) are not forwarded: the
 * stream format has no event message (nor does the PicoX runtime forward the
 * bridge's Event frames); their count is in the status's counters.
 */
import fs from 'node:fs';
import { basename } from 'node:path';
import { hostClockUs } from '../../../native-bridges/core/clock.js';
import { IMU_AXES, VOLTS_PER_UNIT, type StreamHeader } from '../../contract/devices.js';
import { AppError } from '../../contract/errors.js';
import { c3dParam, readC3d, type C3dFile } from '../../io/c3d.js';
import { PICOX_BLOCK_MS } from './picox.js';
import { FILE_PROBLEMS } from './replay.js';
import { DeviceRuntime, SignalRate, type RuntimeContext, type RuntimeFactory, type SpecOf } from './runtime.js';

type Channel = NonNullable<StreamHeader['channels']>[number];

/** The channels of one stream as the file holds them: float32 [channel][sample] over one pass of the file. */
export interface ReplaySignal {
  channels: Channel[];
  /** The stream's rate (Hz): the analog rate for sEMG, the recorded IMU rate for the IMU. */
  rateHz: number;
  /** [channel][sample], `fileSamples` per channel, at the analog rate (the IMU: as the file holds it, interpolated). */
  data: Float32Array;
  /** Samples per channel in the file (at the analog rate). */
  fileSamples: number;
  /** Samples per channel of this stream in one pass (the IMU: those at or before the file's last analog sample). */
  samples: number;
}

/** What of a C3D is replayed: its sEMG, its IMU when it is a PicoX recording with one, and how many events it holds. */
export interface MotionReplaySource {
  emg: ReplaySignal;
  imu: ReplaySignal | null;
  events: number;
}

/** A C3D that reads but has nothing to replay: `reason` completes "could not start: …", `detail` is the technical line. */
export class C3dReplayError extends Error {
  constructor(
    readonly reason: string,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

const IMU_LABEL = new RegExp(`_(${IMU_AXES.join('|')})$`);

/**
 * The streams a C3D replays as: its IMU channels (a PicoX recording's: ORTHOTWIN:IMU_RATE > 0 and labels ending
 * `_ACC_X` … `_MAG_Z`, a whole number of sensors) as 'imu', every other analog channel as sEMG.
 * @param name the file's name for messages
 * @throws C3dReplayError when the file has no analog channels, no analog samples or no analog rate
 */
export function motionReplaySource(c3d: C3dFile, name: string): MotionReplaySource {
  const n = c3d.analogSamples;
  const rate = c3d.rates.analogHz;
  if (c3d.analogCount === 0)
    throw new C3dReplayError(
      'it has no analog channels (sEMG) to replay',
      `${name}: ${c3d.pointCount} points at ${c3d.rates.pointHz} Hz over ${c3d.frameCount} frames, and no analog channels`,
    );
  if (n === 0) throw new C3dReplayError('it holds no analog samples', `${name}: ${c3d.analogCount} analog channels, 0 frames`);
  if (!(rate > 0)) throw new C3dReplayError('it states no analog rate', `${name}: analog rate ${rate} Hz`);
  const labels = c3d.labels.analogs;
  const imuRate = Number(c3dParam(c3d.groups, 'ORTHOTWIN', 'IMU_RATE')?.values[0] ?? 0);
  const imuIdx = imuRate > 0 ? labels.flatMap((l, i) => (IMU_LABEL.test(l) ? [i] : [])) : [];
  const hasImu = imuIdx.length > 0 && imuIdx.length % IMU_AXES.length === 0;
  const emgIdx = labels.flatMap((_, i) => (hasImu && imuIdx.includes(i) ? [] : [i]));
  if (emgIdx.length === 0) throw new C3dReplayError('it has no sEMG channels to replay', `${name}: ${imuIdx.length} IMU channels and no other analog channel`);
  const channel = (i: number, unit: string): Channel => {
    const description = c3d.descriptions.analogs[i] ?? '';
    return { label: labels[i] ?? `A${i + 1}`, unit, ...(description ? { description } : {}) };
  };
  const columns = (idx: number[], scale: (i: number) => number): Float32Array => {
    const data = new Float32Array(idx.length * n);
    idx.forEach((src, c) => {
      const k = scale(src);
      const from = c3d.analogs.subarray(src * n, (src + 1) * n);
      if (k === 1) data.set(from, c * n);
      else for (let i = 0; i < n; i++) data[c * n + i] = from[i]! * k;
    });
    return data;
  };
  const units = c3d.units.analogs;
  const emg: ReplaySignal = {
    channels: emgIdx.map((i) => (VOLTS_PER_UNIT[units[i] ?? ''] !== undefined ? channel(i, 'V') : channel(i, units[i] || 'V'))),
    rateHz: rate,
    data: columns(emgIdx, (i) => VOLTS_PER_UNIT[units[i] ?? ''] ?? 1),
    fileSamples: n,
    samples: n,
  };
  const imu: ReplaySignal | null = hasImu
    ? {
        channels: imuIdx.map((i) => channel(i, units[i] ?? '')),
        rateHz: imuRate,
        data: columns(imuIdx, () => 1),
        fileSamples: n,
        samples: Math.floor(((n - 1) * imuRate) / rate) + 1,
      }
    : null;
  return { emg, imu, events: c3d.events.length };
}

/**
 * One block of an sEMG stream: samples `first` … `first + count − 1` of the replay (indices continue across passes;
 * sample i is the file's sample i mod its length), float32 [channel][sample].
 */
export function emgBlock(s: ReplaySignal, first: number, count: number): Float32Array {
  const N = s.fileSamples;
  const out = new Float32Array(s.channels.length * count);
  for (let c = 0; c < s.channels.length; c++) {
    let pos = first % N;
    for (let done = 0; done < count;) {
      const m = Math.min(count - done, N - pos);
      out.set(s.data.subarray(c * N + pos, c * N + pos + m), c * count + done);
      done += m;
      pos = 0;
    }
  }
  return out;
}

/**
 * One block of an IMU stream at its own rate: IMU sample k is at the replay's time k / rateHz, i.e. at the file's
 * analog sample position (k · analogRate / rateHz) mod the file's length, linearly interpolated (held at the file's end).
 */
export function imuBlock(s: ReplaySignal, analogRateHz: number, first: number, count: number): Float32Array {
  const N = s.fileSamples;
  const out = new Float32Array(s.channels.length * count);
  for (let j = 0; j < count; j++) {
    const x = (((first + j) * analogRateHz) / s.rateHz) % N;
    const i0 = Math.floor(x);
    const f = x - i0;
    const i1 = Math.min(N - 1, i0 + 1);
    for (let c = 0; c < s.channels.length; c++) {
      const v0 = s.data[c * N + i0]!;
      out[c * count + j] = v0 + f * (s.data[c * N + i1]! - v0);
    }
  }
  return out;
}

/** A motion C3D replayed as a live sEMG (+ IMU) device (simulated). */
export class C3dReplayRuntime extends DeviceRuntime {
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  private readonly signalRate = new SignalRate();

  constructor(
    private readonly spec: SpecOf<'c3d-replay'>,
    ctx: RuntimeContext,
  ) {
    super(ctx, spec.kind, `Replay of ${basename(spec.path)}`);
  }

  /**
   * Reads the C3D and starts replaying it on the host clock.
   * @throws Error when the file cannot be read, is not a C3D file, is truncated or has no analog channels: a sentence
   *   naming the file and the reason, the reader's own words on the line after it (`c3dReplayFailure`); the status
   *   says failed with it
   */
  async start(): Promise<void> {
    const name = basename(this.spec.path);
    let src: MotionReplaySource;
    try {
      src = motionReplaySource(readC3d(fs.readFileSync(this.spec.path), name), name);
    } catch (e) {
      const message = c3dReplayFailure(this.spec.path, e);
      this.status.state = 'failed';
      this.status.lastError = message;
      throw new Error(message, { cause: e });
    }
    const { emg, imu } = src;
    const rate = emg.rateHz;
    this.status.name = `Replay of ${name} (C3D: ${emg.channels.length} sEMG channel${emg.channels.length === 1 ? '' : 's'} at ${rate} Hz${imu ? ' + IMU' : ''})`;
    this.status.nominalRateHz = rate;
    this.status.counters = { fileEvents: src.events, passes: 0 };
    this.provide('emg');
    if (imu) this.provide('imu');
    this.status.streams = [
      ...emg.channels.map((c) => ({ name: c.description ? `${c.label} (${c.description})` : c.label, state: 'ok' })),
      ...(imu ? [{ name: `IMU: ${imu.channels.length} channels at ${imu.rateHz.toFixed(1)} Hz`, state: 'ok' }] : []),
    ];

    const loop = this.spec.loop;
    const emgBlockN = Math.max(1, Math.round((rate * PICOX_BLOCK_MS) / 1000));
    const imuBlockN = imu ? Math.max(1, Math.round((imu.rateHz * PICOX_BLOCK_MS) / 1000)) : 0;
    const emgEnd = loop ? Infinity : emg.samples;
    const imuEnd = imu && !loop ? imu.samples : Infinity;
    let emgNext = 0;
    let imuNext = 0;
    const t0 = hostClockUs();
    const tick = (): void => {
      const now = hostClockUs();
      const elapsedS = (now - t0) / 1e6;
      // every block whose last sample is due by now (a late timer sends the backlog)
      for (;;) {
        const n = Math.min(emgBlockN, emgEnd - emgNext);
        if (n <= 0 || (emgNext + n) / rate > elapsedS) break;
        this.send('emg', emg, emgBlock(emg, emgNext, n), emgNext, n, now);
        emgNext += n;
        this.status.counters = { ...this.status.counters, passes: Math.floor(emgNext / emg.samples) };
      }
      for (; imu;) {
        const n = Math.min(imuBlockN, imuEnd - imuNext);
        if (n <= 0 || (imuNext + n) / imu.rateHz > elapsedS) break;
        this.send('imu', imu, imuBlock(imu, rate, imuNext, n), imuNext, n, now);
        imuNext += n;
      }
      if (!loop && emgNext >= emgEnd && (!imu || imuNext >= imuEnd)) {
        this.halt();
        this.status.state = 'stopped';
      }
    };
    this.timer = setInterval(tick, 10);
    this.status.state = 'streaming';
    this.status.driverState = 'replaying';
  }

  private send(stream: 'emg' | 'imu', s: ReplaySignal, payload: Float32Array, first: number, n: number, now: number): void {
    const deviceUs = (first / s.rateHz) * 1e6;
    if (stream === 'emg') {
      // the block is due when its last sample is: that time maps to now
      this.clock.add(((first + n) / s.rateHz) * 1e6, now);
      this.status.samples += n;
      this.signalRate.add(now, n);
    }
    this.emit(
      {
        device: this.id,
        stream,
        seq: this.seq++,
        deviceTimeUs: this.clock.toHost(deviceUs),
        hostTimeUs: now,
        count: n,
        rateHz: s.rateHz,
        firstIndex: first,
        channels: s.channels,
      },
      new Uint8Array(payload.buffer),
    );
  }

  /** The status with the sEMG rate (samples per channel per second) over the last 2 s of blocks. */
  override snapshot(): ReturnType<DeviceRuntime['snapshot']> {
    return { ...super.snapshot(), rateHz: this.signalRate.rate(hostClockUs()) };
  }

  private halt(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async stop(): Promise<void> {
    this.halt();
    this.status.state = 'stopped';
    this.status.driverState = 'closed';
  }
}

/** What a C3D reader's error code means, in words. */
const C3D_PROBLEMS: Record<string, string> = {
  IMPORT_TRUNCATED: 'the file is truncated or not a C3D file (it ends before the header, parameters or data it declares)',
  IMPORT_BAD_HEADER: 'it is not a readable C3D file',
  IMPORT_UNSUPPORTED: 'it is a C3D file of a kind OrthoTwin does not read',
  IMPORT_TOO_LARGE: 'it is too large to replay',
};

/**
 * Why a C3D replay could not start, as the error banner takes it: a sentence naming the file and the reason
 * ("Replay of trial.c3d could not start: it has no analog channels (sEMG) to replay."), then the technical detail on
 * the line after it (the errno message, the C3D reader's reason naming the file, or what the file holds instead).
 * @param file the C3D's path
 * @param e what reading or starting it threw
 */
export function c3dReplayFailure(file: string, e: unknown): string {
  const name = basename(file);
  const err = e as NodeJS.ErrnoException;
  const fileProblem =
    err?.code && !(e instanceof AppError) && Object.prototype.hasOwnProperty.call(FILE_PROBLEMS, err.code) ? FILE_PROBLEMS[err.code] : undefined;
  const why =
    fileProblem ??
    (e instanceof C3dReplayError
      ? e.reason
      : e instanceof AppError
        ? (C3D_PROBLEMS[e.code] ?? 'it could not be read as a C3D file')
        : 'it could not be read as a C3D file');
  const detail = e instanceof C3dReplayError ? e.detail : (err?.message ?? String(e));
  return `Replay of ${name} could not start: ${why}.\n${detail}`;
}

/** Registry entry of `c3d-replay`: a recording, simulated (never the patient's live data). */
export const c3dReplay: RuntimeFactory<'c3d-replay'> = {
  simulated: true,
  create: (spec, ctx) => new C3dReplayRuntime(spec, ctx),
};
