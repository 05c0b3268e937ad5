/**
 * Device kind `replay`: a PLUS sequence (.igs.mha / .igs.nrrd) replayed as a
 * live tracked-ultrasound device — poses, ultrasound frames, or depth frames
 * of a session recording (recorder.ts) with their intrinsics.
 */
import { basename } from 'node:path';
import { hostClockUs } from '../../../native-bridges/core/clock.js';
import { PlusSequenceError, readPlusSequence, type PlusSequence } from '../../../native-bridges/recording/plusSequence.js';
import { SequenceReplay } from '../../../native-bridges/recording/replay.js';
import { DeviceRuntime, type RuntimeContext, type RuntimeFactory, type SpecOf } from './runtime.js';

/** A PLUS sequence replayed as a live tracked-ultrasound device (simulated). */
export class ReplayRuntime extends DeviceRuntime {
  private replay: SequenceReplay | null = null;

  constructor(
    private readonly spec: SpecOf<'replay'>,
    ctx: RuntimeContext,
  ) {
    super(ctx, spec.kind, `Replay ${basename(spec.path)}`);
  }

  /**
   * Reads the sequence and starts replaying it on the host clock.
   * @throws Error when the file cannot be read or is not a replayable PLUS sequence: a sentence naming the file and
   *   the reason, the reader's own words on the line after it (`replayFailure`); the status says failed with it
   */
  async start(): Promise<void> {
    let seq: PlusSequence;
    let r: SequenceReplay;
    try {
      seq = readPlusSequence(this.spec.path);
      r = new SequenceReplay(seq, { loop: this.spec.loop, speed: this.spec.speed, clockUs: hostClockUs });
    } catch (e) {
      const message = replayFailure(this.spec.path, e);
      this.status.state = 'failed';
      this.status.lastError = message;
      throw new Error(message, { cause: e });
    }
    this.replay = r;
    const names = Object.keys(seq.frames[0]?.transforms ?? {});
    const kind = seq.elementType === 'uint16' ? 'Depth' : 'Image';
    // the recorded frame rate times the speed
    const spanS = (seq.frames.at(-1)?.timestampS ?? 0) - (seq.frames[0]?.timestampS ?? 0);
    this.status.nominalRateHz = seq.frames.length > 1 && spanS > 0 ? ((seq.frames.length - 1) / spanS) * this.spec.speed : null;
    // what the file holds: tracking always (its frames' transforms, maybe none), frames when it has pixels
    if (names.length) this.provide('pose');
    if (seq.width) this.provide(seq.elementType === 'uint16' ? 'depth' : 'image');
    this.status.streams = [
      ...(seq.width ? [{ name: `${kind} ${seq.width}×${seq.height}`, state: 'ok' }] : []),
      ...names.map((n) => ({ name: n, state: 'ok' })),
    ];
    r.on('sample', (s) => {
      this.counted(s.hostTimeUs);
      this.clock.add(s.deviceTimeUs, s.hostTimeUs);
      // the recording's clock mapped to the host clock
      const acquiredUs = this.clock.toHost(s.deviceTimeUs);
      const poses = Object.entries(s.transforms).map(([name, t]) => ({ name, matrix: t.matrix, state: t.status === 'OK' ? 'ok' : 'missing' }));
      this.emit({ device: this.id, stream: 'pose', seq: s.seq, deviceTimeUs: acquiredUs, hostTimeUs: s.hostTimeUs, poses });
      if (!s.image) return;
      const base = {
        device: this.id,
        seq: s.seq,
        deviceTimeUs: acquiredUs,
        hostTimeUs: s.hostTimeUs,
        width: s.image.width,
        height: s.image.height,
        components: 1,
      };
      if (seq.elementType === 'uint16') {
        // a depth recording (SessionRecorder): intrinsics in the per-frame fields
        const f = (k: string, d: number): number => (s.fields[k] !== undefined ? Number(s.fields[k]) : d);
        const intrinsics = {
          fx: f('Fx', 0),
          fy: f('Fy', 0),
          cx: f('Cx', (s.image.width - 1) / 2),
          cy: f('Cy', (s.image.height - 1) / 2),
          depthScaleMm: f('DepthScaleMm', 1),
        };
        this.emit({ ...base, stream: 'depth', scalar: 'uint16', intrinsics }, s.image.pixels);
      } else this.emit({ ...base, stream: 'image', scalar: 'uint8' }, s.image.pixels);
    });
    r.on('end', () => {
      this.status.state = 'stopped';
    });
    r.start();
    this.status.state = 'streaming';
    this.status.driverState = 'replaying';
  }

  async stop(): Promise<void> {
    this.replay?.stop();
    this.status.state = 'stopped';
  }
}

/** What an errno of reading a file means, in words. */
export const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'the file does not exist',
  EACCES: 'OrthoTwin may not read it (permission denied)',
  EPERM: 'OrthoTwin may not read it (permission denied)',
  EISDIR: 'it is a folder, not a file',
  EMFILE: 'too many files are open',
  EIO: 'the disk could not be read',
};

/**
 * Why a replay could not start, as the error banner takes it: a sentence naming the file and the reason
 * ("Replay of scan.igs.mha could not start: the file does not exist."), then the technical detail on the line after
 * it (the reader's own error: errno message, or the PLUS sequence reader's reason).
 * @param file the sequence's path
 * @param e what reading or starting it threw
 */
export function replayFailure(file: string, e: unknown): string {
  const name = basename(file);
  const err = e as NodeJS.ErrnoException;
  const why =
    (err?.code && FILE_PROBLEMS[err.code]) ??
    (e instanceof PlusSequenceError
      ? 'it is not a readable PLUS sequence (.igs.mha / .igs.nrrd with 8-bit or 16-bit frames)'
      : /no frames/.test(err?.message ?? '')
        ? 'the sequence has no frames'
        : 'it could not be read as a PLUS sequence');
  return `Replay of ${name} could not start: ${why}.\n${err?.message ?? String(e)}`;
}

/** Registry entry of `replay`: a recording, simulated (never the patient's live data). */
export const replay: RuntimeFactory<'replay'> = {
  simulated: true,
  create: (spec, ctx) => new ReplayRuntime(spec, ctx),
};
