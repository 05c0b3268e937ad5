/**
 * Replays a PLUS sequence as a live tracked-ultrasound device: each frame is
 * emitted at its recorded time (relative to the first, divided by `speed`),
 * with the recording's timestamp as the device time, a monotonic host time
 * and a sequence number. Scheduling is relative to the start (not chained
 * timeouts), so delays do not accumulate.
 */
import { EventEmitter } from 'node:events';
import { hostClockUs } from '../core/clock.js';
import { framePixels, type PlusSequence, type TrackedFrame } from './plusSequence.js';

export interface TrackedUltrasoundSample {
  seq: number;
  /** Recording timestamp of the frame (µs, the recording's clock; continued forward by the sweep's period on each pass of a loop). */
  deviceTimeUs: number;
  /** Monotonic host time when the frame was emitted (µs). */
  hostTimeUs: number;
  frameIndex: number;
  transforms: TrackedFrame['transforms'];
  fields: TrackedFrame['fields'];
  /** The frame's pixels (uint8, width × height, row-major), null for tracking-only recordings. */
  image: { width: number; height: number; pixels: Uint8Array; orientation: string } | null;
}

export interface ReplayOptions {
  /** Playback speed (1 = the recorded rate). */
  speed?: number;
  loop?: boolean;
  /** Host clock in µs (default core/clock hostClockUs). */
  clockUs?: () => number;
}

export class SequenceReplay extends EventEmitter<{ sample: [TrackedUltrasoundSample]; end: [] }> {
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  private readonly speed: number;
  private readonly clockUs: () => number;

  /** @throws Error when the sequence has no frames or the speed is not positive */
  constructor(
    readonly sequence: PlusSequence,
    private readonly o: ReplayOptions = {},
  ) {
    super();
    if (!sequence.frames.length) throw new Error('replay: the sequence has no frames');
    this.speed = o.speed ?? 1;
    if (!(this.speed > 0)) throw new Error(`replay: speed ${this.speed} must be positive`);
    this.clockUs = o.clockUs ?? hostClockUs;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  start(): void {
    if (this.timer) return;
    const frames = this.sequence.frames;
    const t0 = frames[0]!.timestampS;
    const start = this.clockUs();
    let i = 0;
    let pass = 0;
    const span = frames[frames.length - 1]!.timestampS - t0;
    const period = frames.length > 1 ? span + span / (frames.length - 1) : 0.1;
    const tick = () => {
      const now = this.clockUs();
      // emit every frame that is due
      while (i < frames.length && start + ((pass * period + frames[i]!.timestampS - t0) * 1e6) / this.speed <= now + 500) {
        this.emitFrame(i, pass * period);
        i++;
        if (this.timer === null) return; // stopped by a listener
      }
      if (i >= frames.length) {
        if (!this.o.loop) {
          this.timer = null;
          this.emit('end');
          return;
        }
        pass++;
        i = 0;
      }
      const due = start + ((pass * period + frames[i]!.timestampS - t0) * 1e6) / this.speed;
      this.timer = setTimeout(tick, Math.max(0, (due - this.clockUs()) / 1000));
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** @param passOffsetS time added on each pass of a loop (s): the device clock keeps running forward, as a live device's would */
  private emitFrame(i: number, passOffsetS: number): void {
    const s = this.sequence;
    const f = s.frames[i]!;
    this.emit('sample', {
      seq: this.seq++,
      deviceTimeUs: Math.round((f.timestampS + passOffsetS) * 1e6),
      hostTimeUs: this.clockUs(),
      frameIndex: i,
      transforms: f.transforms,
      fields: f.fields,
      image: s.width * s.height ? { width: s.width, height: s.height, pixels: framePixels(s, i), orientation: s.imageOrientation } : null,
    });
  }
}
