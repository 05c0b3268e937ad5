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
 *   all tools' transforms and statuses.
 * Timestamps are the acquisition times on the shared host clock (each
 * device's clock mapped, with its temporal calibration), in seconds, so the
 * files of one session line up; the receipt time is kept as
 * `ReceiveTimestamp`.
 * Pixels stream to disk while recording (PlusSequenceWriter); point clouds
 * are not recorded (no PLUS sequence form).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { StreamHeader } from '../contract/devices.js';
import { poseAt, type PoseTrack } from '../../math/poseInterp.js';
import { PlusSequenceWriter, type TrackedFrame } from '../../native-bridges/recording/plusSequence.js';

const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

export interface RecordedFile {
  path: string;
  device: string;
  stream: 'image' | 'depth' | 'pose';
  frames: number;
}

/** PLUS transform names are identifiers: `Port 1` → `Port1`. */
const transformName = (s: string): string => s.replace(/[^A-Za-z0-9]/g, '') || 'Tool';
const fileSafe = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_');

export class SessionRecorder {
  private readonly writers = new Map<string, { w: PlusSequenceWriter; device: string; stream: RecordedFile['stream']; timesUs: number[] }>();
  /** Pose tracks by device, then transform name (two devices may both report a `ProbeToTracker`). */
  private readonly tracks = new Map<string, Map<string, PoseTrack>>();
  readonly startedUs: number;
  private bytes = 0;

  /**
   * @param dir the session folder (created)
   * @param nowUs the host clock now (µs)
   */
  constructor(
    readonly dir: string,
    nowUs: number,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.startedUs = nowUs;
  }

  private writer(device: string, stream: RecordedFile['stream']): { w: PlusSequenceWriter; timesUs: number[] } {
    const key = `${device}/${stream}`;
    let e = this.writers.get(key);
    if (!e) {
      const suffix = stream === 'image' ? 'Image' : stream === 'depth' ? 'Depth' : 'Tracking';
      const w = new PlusSequenceWriter(path.join(this.dir, `${fileSafe(device)}_${suffix}.igs.mha`), { elementType: stream === 'depth' ? 'uint16' : 'uint8' });
      this.writers.set(key, (e = { w, device, stream, timesUs: [] }));
    }
    return e;
  }

  /** Records one stream message (as the device host publishes it). */
  add(h: Omit<StreamHeader, 'dropped'>, payload?: Uint8Array): void {
    const timestampS = h.deviceTimeUs / 1e6;
    const fields = { ReceiveTimestamp: String(h.hostTimeUs / 1e6), FrameNumber: String(h.seq) };
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
      this.bytes += pixels.length;
    }
  }

  /** Frames recorded so far per file, and the pixel bytes written. */
  status(): { files: number; frames: number; bytes: number } {
    let frames = 0;
    for (const e of this.writers.values()) frames += e.w.frameCount;
    return { files: this.writers.size, frames, bytes: this.bytes };
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
    return out;
  }

  /** Stops without writing (partial pixel files removed). */
  abort(): void {
    for (const e of this.writers.values()) e.w.abort();
  }
}
