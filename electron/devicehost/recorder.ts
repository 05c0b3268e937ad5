/**
 * Session recording in the device host: every stream message of the
 * connected devices goes to PLUS sequence files (issue 4 §7) that 3D Slicer
 * and PLUS open and that OrthoTwin replays as live devices.
 *
 * Files (in the session folder, `<device>` = the device id):
 * - `<device>_Image.igs.mha`: ultrasound / video frames (uint8), each with
 *   the poses of every tracked tool at the frame's time — interpolated
 *   between the bracketing tracker samples (slerp + linear, as PLUS does)
 *   and `INVALID` across gaps over 100 ms or when the tool was not seen;
 * - `<device>_Depth.igs.mha`: depth frames (uint16, little endian) with the
 *   intrinsics as per-frame fields (`Fx Fy Cx Cy DepthScaleMm`);
 * - `<device>_Tracking.igs.mha`: every tracker sample (0 × 0 frames) with
 *   all tools' transforms and statuses;
 * - `<device>_Motion.c3d`: the sEMG of a PicoX system (analog channels at
 *   2000 Hz, V, ANALOG:DESCRIPTIONS naming muscle, level and side) and its
 *   IMU channels (g, °/s, µT) linearly interpolated onto the same 2000 Hz
 *   timeline (C3D has one analog rate); 20 analog samples per 100 Hz frame,
 *   no points; samples of a block that never came are 0 and counted in the
 *   ORTHOTWIN:MISSING_SAMPLES parameter. The file starts at the first block
 *   recorded (ORTHOTWIN:FIRST_SAMPLE: its index in the capture, which a
 *   recording started during the capture does not begin at 0).
 * Timestamps are the acquisition times on the shared host clock (each
 * device's clock mapped, with its temporal calibration), in seconds, so the
 * files of one session line up; the receipt time is kept as
 * `ReceiveTimestamp`.
 * Pixels stream to disk while recording (PlusSequenceWriter); point clouds
 * are not recorded (no PLUS sequence form): a device that sends only point
 * clouds (a depth file, an OpenIGTLink POLYDATA source) is listed as left out
 * with that reason, never silently missing (issue 20 §6).
 *
 * Every device connected during the recording has a state (`devices()`):
 * recording, waiting (nothing received yet), left out (why), interrupted
 * (disconnected, failed, stopped sending — from when). The low-disk check
 * (`diskCheck()`) says when the recording must stop: free disk, less the
 * pixel bytes that finishing still copies into the final files, below the
 * threshold (default 2 GiB).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DeviceStatus, RecordingDeviceState, StreamHeader } from '../contract/devices.js';
import { poseAt, type PoseTrack } from '../../math/poseInterp.js';
import { PlusSequenceWriter, type TrackedFrame } from '../../native-bridges/recording/plusSequence.js';
import { writeC3dFile, type C3dGroup, type C3dParam, type C3dWritable } from '../io/c3d.js';

const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

export interface RecordedFile {
  path: string;
  device: string;
  stream: 'image' | 'depth' | 'pose' | 'emg';
  frames: number;
}

/** The signal blocks of one device and kind ('emg' or 'imu'), as they came. */
export interface SignalTrack {
  channels: { label: string; unit: string; description?: string | undefined }[];
  rateHz: number;
  blocks: { firstIndex: number; count: number; data: Float32Array }[];
  samples: number;
}

/** PLUS transform names are identifiers: `Port 1` → `Port1`. */
const transformName = (s: string): string => s.replace(/[^A-Za-z0-9]/g, '') || 'Tool';
const fileSafe = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_');

/** The default low-disk threshold: a recording stops before free disk falls below 2 GiB. */
export const DEFAULT_MIN_FREE_BYTES = 2 * 1024 ** 3;

/** Free bytes for an unprivileged writer on the disk holding `dir` (statfs), or null when it cannot be read. */
export function freeDiskBytes(dir: string): number | null {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** Bytes as a person reads them: "1.9 GiB", "138.2 MiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

export interface RecorderOptions {
  /** Free bytes on the disk of a folder (default: statfs); tests inject a probe. */
  freeDisk?: (dir: string) => number | null;
  /** The low-disk threshold in bytes (default 2 GiB). */
  minFreeBytes?: number;
}

/** A device as the recording knows it: what it sent, and when it went away. */
interface DeviceEntry {
  device: string;
  name: string;
  kind: string;
  /** A simulator or a replay, not a patient (DeviceStatus.simulated). */
  simulated: boolean;
  /** Point-cloud messages received (not recordable). */
  points: number;
  /** An interruption in progress: the device's state (or 'disconnected') and since when (ISO). */
  interrupted: { why: string; since: string; sinceMs: number } | null;
  /** Disconnected: no longer followed. */
  gone: boolean;
  /** The last interruption it came back from. */
  resumed: string | null;
}

export class SessionRecorder {
  private readonly writers = new Map<string, { w: PlusSequenceWriter; device: string; stream: RecordedFile['stream']; timesUs: number[]; bytes: number }>();
  /** Pose tracks by device, then transform name (two devices may both report a `ProbeToTracker`). */
  private readonly tracks = new Map<string, Map<string, PoseTrack>>();
  /** sEMG and IMU blocks per device (written as one C3D per device at finish). */
  private readonly signals = new Map<string, { emg?: SignalTrack; imu?: SignalTrack }>();
  readonly startedUs: number;
  private bytes = 0;
  private readonly devs = new Map<string, DeviceEntry>();
  private readonly freeDisk: (dir: string) => number | null;
  readonly minFreeBytes: number;
  /** Free disk at the last check (bytes), null when unknown. */
  lastFreeBytes: number | null = null;

  /**
   * @param dir the session folder (created)
   * @param nowUs the host clock now (µs)
   */
  constructor(
    readonly dir: string,
    nowUs: number,
    o: RecorderOptions = {},
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.startedUs = nowUs;
    this.freeDisk = o.freeDisk ?? freeDiskBytes;
    this.minFreeBytes = o.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES;
  }

  /** Declares a connected device (at the start, or connected during the recording), so that it is accounted for even if it sends nothing. */
  expect(d: Pick<DeviceStatus, 'id' | 'name' | 'kind'> & { simulated?: boolean }): void {
    const e = this.devs.get(d.id);
    const simulated = d.simulated ?? false;
    if (e) Object.assign(e, { name: d.name, kind: d.kind, simulated, gone: false });
    else this.devs.set(d.id, { device: d.id, name: d.name, kind: d.kind, simulated, points: 0, interrupted: null, gone: false, resumed: null });
  }

  private entry(device: string): DeviceEntry {
    let e = this.devs.get(device);
    if (!e) this.devs.set(device, (e = { device, name: device, kind: 'unknown', simulated: false, points: 0, interrupted: null, gone: false, resumed: null }));
    return e;
  }

  /** A device was disconnected during the recording (at `at`): interrupted from then, with `why`. */
  gone(device: string, why = 'disconnected', at = new Date()): void {
    const e = this.devs.get(device);
    if (!e || e.gone) return;
    e.gone = true;
    // already interrupted (failed, then removed): it has given nothing since then
    if (e.interrupted) e.interrupted.why = `${e.interrupted.why}, then ${why}`;
    else e.interrupted = { why, since: at.toISOString(), sinceMs: at.getTime() };
  }

  /**
   * Follows the devices' status: a device not streaming (failed, reconnecting, stopped) is interrupted from the
   * first time it is seen so, and recording again when it streams again; one no longer listed is disconnected.
   */
  observe(devices: DeviceStatus[], at = new Date()): void {
    const byId = new Map(devices.map((d) => [d.id, d]));
    for (const d of devices) if (!this.devs.has(d.id)) this.expect(d);
    for (const e of this.devs.values()) {
      if (e.gone) continue;
      const d = byId.get(e.device);
      if (!d) {
        this.gone(e.device, 'disconnected', at);
        continue;
      }
      if (d.state !== 'streaming') {
        const why = `${d.state}${d.lastError ? `: ${d.lastError}` : ''}`;
        if (!e.interrupted) e.interrupted = { why, since: at.toISOString(), sinceMs: at.getTime() };
        else e.interrupted.why = why;
      } else if (e.interrupted) {
        e.resumed = `recording again after ${e.interrupted.why} for ${((at.getTime() - e.interrupted.sinceMs) / 1000).toFixed(1)} s`;
        e.interrupted = null;
      }
    }
  }

  /**
   * Every device of the recording and how it fares; `final` (the recording ended) turns a device still waiting
   * into one left out (it sent nothing).
   * @param onDisk once the files are finished: bytes on disk per device (its files' sizes). With it, a device that was
   *   recording to the end is `recorded` and every device's `bytes` is its files' size, not the pixels streamed.
   */
  devices(final = false, onDisk?: ReadonlyMap<string, number>): RecordingDeviceState[] {
    // per device: its streams' frame counts (one file each) and bytes; its acquisitions are the largest count, not the sum
    const per = new Map<string, { streams: { stream: RecordedFile['stream']; frames: number }[]; bytes: number }>();
    const of = (device: string) => {
      let p = per.get(device);
      if (!p) per.set(device, (p = { streams: [], bytes: 0 }));
      return p;
    };
    const order: RecordedFile['stream'][] = ['image', 'depth', 'pose', 'emg'];
    for (const w of this.writers.values()) {
      const p = of(w.device);
      p.streams.push({ stream: w.stream, frames: w.w.frameCount });
      p.bytes += w.bytes;
    }
    for (const [device, s] of this.signals) {
      const p = of(device);
      // a signal device's frames are its sEMG blocks; its bytes the samples held (4 bytes each)
      if (s.emg) p.streams.push({ stream: 'emg', frames: s.emg.blocks.length });
      p.bytes += 4 * ((s.emg?.samples ?? 0) * (s.emg?.channels.length ?? 0) + (s.imu?.samples ?? 0) * (s.imu?.channels.length ?? 0));
    }
    return [...this.devs.values()].map((e) => {
      const streamed = per.get(e.device) ?? { streams: [], bytes: 0 };
      const streams = streamed.streams.sort((a, b) => order.indexOf(a.stream) - order.indexOf(b.stream));
      const frames = Math.max(0, ...streams.map((s) => s.frames));
      const bytes = onDisk ? (onDisk.get(e.device) ?? 0) : streamed.bytes;
      const base = { device: e.device, name: e.name, kind: e.kind, frames, streams, bytes };
      const pointsNote = 'sends point clouds only, which have no PLUS sequence form: not recorded';
      if (frames === 0 && e.points > 0) return { ...base, state: 'left-out' as const, reason: pointsNote, since: null };
      if (e.interrupted) {
        if (frames === 0) return { ...base, state: 'left-out' as const, reason: `nothing recorded: ${e.interrupted.why}`, since: e.interrupted.since };
        return { ...base, state: 'interrupted' as const, reason: e.interrupted.why, since: e.interrupted.since };
      }
      if (frames === 0)
        return final
          ? { ...base, state: 'left-out' as const, reason: 'sent nothing during the recording', since: null }
          : { ...base, state: 'waiting' as const, reason: 'no data received yet', since: null };
      const notes = [e.resumed, e.points > 0 ? 'its point clouds are not recorded (no PLUS sequence form)' : null].filter(Boolean);
      return { ...base, state: onDisk ? ('recorded' as const) : ('recording' as const), reason: notes.length ? notes.join('; ') : null, since: null };
    });
  }

  /**
   * The low-disk check: reads the free disk of the session folder; the recording must stop when free disk less the
   * pixel bytes that finishing still copies into the final files falls below the threshold.
   * @returns why it must stop ("stopped: free disk below 2.0 GiB …"), or null
   */
  diskCheck(): string | null {
    const free = this.freeDisk(this.dir);
    this.lastFreeBytes = free;
    if (free === null || free - this.bytes >= this.minFreeBytes) return null;
    return `stopped: free disk below ${formatBytes(this.minFreeBytes)} (${formatBytes(free)} free, ${formatBytes(this.bytes)} needed to finalise the files)`;
  }

  private writer(device: string, stream: RecordedFile['stream']): { w: PlusSequenceWriter; timesUs: number[]; bytes: number } {
    const key = `${device}/${stream}`;
    let e = this.writers.get(key);
    if (!e) {
      const suffix = stream === 'image' ? 'Image' : stream === 'depth' ? 'Depth' : 'Tracking';
      const w = new PlusSequenceWriter(path.join(this.dir, `${fileSafe(device)}_${suffix}.igs.mha`), { elementType: stream === 'depth' ? 'uint16' : 'uint8' });
      this.writers.set(key, (e = { w, device, stream, timesUs: [], bytes: 0 }));
    }
    return e;
  }

  /** Records one stream message (as the device host publishes it). */
  add(h: Omit<StreamHeader, 'dropped'>, payload?: Uint8Array): void {
    const timestampS = h.deviceTimeUs / 1e6;
    const fields = { ReceiveTimestamp: String(h.hostTimeUs / 1e6), FrameNumber: String(h.seq) };
    if (h.stream === 'points') this.entry(h.device).points++;
    else this.entry(h.device);
    if ((h.stream === 'emg' || h.stream === 'imu') && payload && h.channels && h.count && h.rateHz) {
      let s = this.signals.get(h.device);
      if (!s) this.signals.set(h.device, (s = {}));
      const t = (s[h.stream] ??= { channels: h.channels, rateHz: h.rateHz, blocks: [], samples: 0 });
      const data = new Float32Array(payload.slice().buffer);
      t.blocks.push({ firstIndex: h.firstIndex ?? t.samples, count: h.count, data });
      t.samples += h.count;
      this.bytes += payload.length;
      return;
    }
    if (h.stream === 'pose' && h.poses) {
      const transforms: TrackedFrame['transforms'] = {};
      let tracks = this.tracks.get(h.device);
      if (!tracks) this.tracks.set(h.device, (tracks = new Map()));
      for (const p of h.poses) {
        const name = transformName(p.name);
        transforms[name] = { matrix: p.matrix ?? IDENTITY, status: p.matrix && p.state === 'ok' ? 'OK' : 'INVALID' };
        let t = tracks.get(name);
        if (!t) tracks.set(name, (t = { timesUs: [], matrices: [] }));
        // a sample older than the last one (a looped replay starting over) is left out: the track stays ordered
        if (t.timesUs.length && h.deviceTimeUs < t.timesUs.at(-1)!) continue;
        t.timesUs.push(h.deviceTimeUs);
        t.matrices.push(p.matrix && p.state === 'ok' ? p.matrix : null);
      }
      this.writer(h.device, 'pose').w.add({ timestampS, transforms, fields });
    } else if ((h.stream === 'image' || h.stream === 'depth') && payload && h.width && h.height) {
      const extra: Record<string, string> = {};
      if (h.stream === 'depth' && h.intrinsics) {
        const K = h.intrinsics;
        Object.assign(extra, { Fx: String(K.fx), Fy: String(K.fy), Cx: String(K.cx), Cy: String(K.cy), DepthScaleMm: String(K.depthScaleMm) });
      }
      const c = h.components ?? 1;
      let pixels = payload;
      if (c > 1 && h.stream === 'image') {
        // keep the first component (grey video from a UVC grabber arrives as one component already)
        pixels = new Uint8Array(h.width * h.height);
        for (let i = 0; i < pixels.length; i++) pixels[i] = payload[i * c]!;
      }
      const e = this.writer(h.device, h.stream);
      e.w.add({ timestampS, transforms: {}, fields: { ...fields, ...extra } }, { width: h.width, height: h.height, pixels });
      e.timesUs.push(h.deviceTimeUs);
      e.bytes += pixels.length;
      this.bytes += pixels.length;
    }
  }

  /** Frames recorded so far per file, and the pixel bytes written. */
  status(): { files: number; frames: number; bytes: number } {
    let frames = 0;
    for (const e of this.writers.values()) frames += e.w.frameCount;
    for (const s of this.signals.values()) frames += s.emg?.blocks.length ?? 0;
    return { files: this.writers.size + [...this.signals.values()].filter((s) => s.emg).length, frames, bytes: this.bytes };
  }

  /**
   * The pose tracks an image or depth stream of `device` is stamped with: each
   * transform name from the device's own tracking (a tracked-ultrasound
   * source), else from the first other device that reports it (a separate tracker).
   */
  private tracksFor(device: string): Map<string, PoseTrack> {
    const out = new Map(this.tracks.get(device) ?? []);
    for (const [d, tracks] of this.tracks) if (d !== device) for (const [name, t] of tracks) if (!out.has(name)) out.set(name, t);
    return out;
  }

  /** Writes every file (image and depth frames get the tools' interpolated poses) and returns them. */
  finish(): RecordedFile[] {
    const out: RecordedFile[] = [];
    for (const e of this.writers.values()) {
      const tracks = this.tracksFor(e.device);
      if (e.w.frameCount === 0) {
        e.w.abort();
        continue;
      }
      e.w.finish(
        e.stream === 'pose'
          ? undefined
          : (frames) =>
              frames.forEach((f, i) => {
                for (const [name, track] of tracks) {
                  const m = poseAt(track, e.timesUs[i]!);
                  f.transforms[name] = { matrix: m ?? IDENTITY, status: m ? 'OK' : 'INVALID' };
                }
              }),
      );
      out.push({ path: e.w.file, device: e.device, stream: e.stream, frames: e.w.frameCount });
    }
    for (const [device, s] of this.signals) {
      if (!s.emg || s.emg.samples === 0) continue;
      const file = path.join(this.dir, `${fileSafe(device)}_Motion.c3d`);
      writeC3dFile(file, motionC3d(s.emg, s.imu, { simulated: this.devs.get(device)?.simulated ?? false }));
      out.push({ path: file, device, stream: 'emg', frames: s.emg.blocks.length });
    }
    return out;
  }

  /** Stops without writing (partial pixel files removed). */
  abort(): void {
    for (const e of this.writers.values()) e.w.abort();
  }
}

const charParam = (name: string, values: string[], description = ''): C3dParam => ({
  name,
  type: 'char',
  dims: [Math.max(1, ...values.map((v) => v.length)), values.length],
  values,
  description,
  locked: false,
});
const numParam = (name: string, type: 'int16' | 'float', values: number[], description = ''): C3dParam => ({
  name,
  type,
  dims: values.length === 1 ? [] : [values.length],
  values,
  description,
  locked: false,
});

/**
 * A signal track as [channel][sample] Float64Array on its own index grid from its first block's index (`first`: a
 * recording started during the capture begins there, not at the capture's sample 0), missing samples 0.
 */
function trackArray(t: SignalTrack): { data: Float64Array; n: number; missing: number; first: number } {
  const first = t.blocks.length ? Math.min(...t.blocks.map((b) => b.firstIndex)) : 0;
  const n = Math.max(0, ...t.blocks.map((b) => b.firstIndex - first + b.count));
  const nc = t.channels.length;
  const data = new Float64Array(nc * n);
  const seen = new Uint8Array(n);
  let missing = 0;
  for (const b of t.blocks)
    for (let c = 0; c < nc; c++)
      for (let i = 0; i < b.count; i++) {
        const v = b.data[c * b.count + i]!;
        if (Number.isNaN(v)) continue;
        data[c * n + b.firstIndex - first + i] = v;
        if (c === 0) seen[b.firstIndex - first + i] = 1;
      }
  for (let i = 0; i < n; i++) if (!seen[i]) missing++;
  return { data, n, missing, first };
}

/**
 * The C3D of a PicoX recording: sEMG channels at their rate, IMU channels linearly interpolated onto the sEMG sample
 * times (held at the ends), 20 analog samples per frame (frames at rate/20 Hz), no points.
 */
export function motionC3d(emg: SignalTrack, imu?: SignalTrack, o: { simulated?: boolean } = {}): C3dWritable {
  const SPF = 20;
  const e = trackArray(emg);
  const frames = Math.ceil(e.n / SPF);
  const ns = frames * SPF;
  const chans = [...emg.channels];
  const cols: Float64Array[] = emg.channels.map((_, c) => {
    const a = new Float64Array(ns);
    a.set(e.data.subarray(c * e.n, (c + 1) * e.n));
    return a;
  });
  if (imu && imu.samples > 0) {
    const m = trackArray(imu);
    const ratio = imu.rateHz / emg.rateHz;
    imu.channels.forEach((ch, c) => {
      const a = new Float64Array(ns);
      for (let i = 0; i < ns; i++) {
        // the IMU sample at the time of sEMG sample i (both from the capture's start), held at the ends
        const x = Math.min(m.n - 1, Math.max(0, (e.first + i) * ratio - m.first));
        const i0 = Math.floor(x);
        const f = x - i0;
        const v0 = m.data[c * m.n + i0]!;
        const v1 = m.data[c * m.n + Math.min(m.n - 1, i0 + 1)]!;
        a[i] = v0 + f * (v1 - v0);
      }
      chans.push(ch);
      cols.push(a);
    });
  }
  const analogs = new Float64Array(chans.length * ns);
  cols.forEach((a, c) => analogs.set(a, c * ns));
  const groups: Record<string, C3dGroup> = {
    POINT: { id: 1, name: 'POINT', description: 'no markers', locked: false, params: { LABELS: charParam('LABELS', []), UNITS: charParam('UNITS', ['mm']) } },
    ANALOG: {
      id: 2,
      name: 'ANALOG',
      description: 'sEMG (V) and IMU (g, deg/s, uT; interpolated onto the sEMG samples)',
      locked: false,
      params: {
        LABELS: charParam(
          'LABELS',
          chans.map((c) => c.label),
        ),
        DESCRIPTIONS: charParam(
          'DESCRIPTIONS',
          chans.map((c) => c.description ?? ''),
        ),
        UNITS: charParam(
          'UNITS',
          chans.map((c) => c.unit),
        ),
        SCALE: numParam(
          'SCALE',
          'float',
          chans.map(() => 1),
        ),
        OFFSET: numParam(
          'OFFSET',
          'int16',
          chans.map(() => 0),
        ),
        GEN_SCALE: numParam('GEN_SCALE', 'float', [1]),
        FORMAT: charParam('FORMAT', ['SIGNED']),
      },
    },
    ORTHOTWIN: {
      id: 3,
      name: 'ORTHOTWIN',
      description: 'how OrthoTwin recorded this file',
      locked: false,
      params: {
        MISSING_SAMPLES: numParam('MISSING_SAMPLES', 'float', [e.missing], 'sEMG samples of blocks that never came (stored as 0)'),
        IMU_RATE: numParam('IMU_RATE', 'float', [imu?.rateHz ?? 0], 'rate of the IMU before interpolation (Hz)'),
        SIMULATED: numParam('SIMULATED', 'int16', [o.simulated ? 1 : 0], '1: a simulator or a replay recorded, not a patient'),
        FIRST_SAMPLE: numParam('FIRST_SAMPLE', 'float', [e.first], "the capture's index of the first sEMG sample (0 at the capture's start)"),
      },
    },
  };
  return {
    header: {
      firstFrame: 1,
      maxInterpolationGap: 0,
      scaleFactor: -1,
      analogSamplesPerFrame: SPF,
      frameRateHz: emg.rateHz / SPF,
      events: [],
      fourCharEventLabels: false,
    },
    groups,
    frameCount: frames,
    pointCount: 0,
    analogCount: chans.length,
    points: new Float32Array(0),
    analogs,
  };
}
