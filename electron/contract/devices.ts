/**
 * The device layer as the renderer sees it (issue 4): what can be connected,
 * each device's live status, discovered hardware, the device host process,
 * and the binary stream format. Runtime-neutral.
 *
 * Stream messages (WebSocket in browser mode; the same bytes on a
 * MessagePort on the desktop): `u32 LE header length | header JSON (UTF-8) |
 * payload`. Header: StreamHeader. Payloads: none for poses (in the header),
 * image pixels (row-major, `components` per pixel, `scalar` type, little
 * endian) for ultrasound and depth frames, float32 LE x y z (mm, the
 * source's camera frame; NaN = no return) for point clouds.
 */
import { z } from 'zod';

const Id = z.string().min(1).max(120);
const Port = z.number().int().min(1).max(65535);

/** Where a PicoX sensor sits (the sensor-to-muscle assignment stored with every recording). */
export const SensorAssignment = z.object({
  sensor: z.number().int().min(1).max(16),
  muscle: z.string().min(1).max(80),
  side: z.enum(['left', 'right', 'midline']),
  level: z.string().max(16),
  label: z.string().min(1).max(32),
});
export type SensorAssignment = z.infer<typeof SensorAssignment>;

/**
 * The lumbar protocol of the MS-DT seed: electrodes on the erector spinae bilaterally at L4 (EMG1 left, EMG2 right)
 * and L2 (EMG3 left, EMG4 right); further sensors are named EMG5… without a site.
 */
export function lumbarAssignment(n: number): SensorAssignment[] {
  return Array.from({ length: n }, (_, i) =>
    i < 4
      ? { sensor: i + 1, muscle: 'erector spinae', side: i % 2 ? 'right' : 'left', level: i < 2 ? 'L4' : 'L2', label: `EMG${i + 1}` }
      : { sensor: i + 1, muscle: 'unassigned', side: 'midline', level: '', label: `EMG${i + 1}` },
  );
}

export const DeviceSpec = z.discriminatedUnion('kind', [
  /** NDI Aurora / Polaris over a serial port. */
  z.object({
    kind: z.literal('ndi'),
    path: z.string().min(1),
    model: z.enum(['aurora', 'polaris']).default('aurora'),
    baudRate: z.number().int().default(115200),
  }),
  /** A simulated NDI tracker on the other end of a pty pair, driven by the real driver. */
  z.object({ kind: z.literal('ndi-simulator'), model: z.enum(['aurora', 'polaris']).default('aurora'), tools: z.number().int().min(1).max(8).default(4) }),
  /** OpenIGTLink client (PLUS Server, a scanner, 3D Slicer). */
  z.object({ kind: z.literal('igtl-client'), host: z.string().default('127.0.0.1'), port: Port.default(18944) }),
  /** OpenIGTLink server that peers connect to. */
  z.object({ kind: z.literal('igtl-server'), port: Port.default(18944) }),
  /** A PLUS sequence file (.igs.mha / .igs.nrrd) replayed as a live tracked-ultrasound device. */
  z.object({
    kind: z.literal('replay'),
    path: z.string().min(1),
    loop: z.boolean().default(true),
    /** Playback speed (1 = as recorded; e.g. 2.6 replays an 11.5 Hz sweep at 30 frames/s). */
    speed: z.number().min(0.1).max(10).default(1),
  }),
  /**
   * A motion C3D replayed as a live sEMG (+ IMU) device, in the stream messages a PicoX system sends: a PicoX session
   * recording (`<device>_Motion.c3d`: its sEMG, and its IMU channels at their recorded rate), or a third-party trial
   * whose analog channels are all taken as sEMG.
   */
  z.object({ kind: z.literal('c3d-replay'), path: z.string().min(1), loop: z.boolean().default(true) }),
  /** A depth file (.pcd, .ply, .png + intrinsics .json) emitted at `fps` as a point-cloud source. */
  z.object({ kind: z.literal('depth-file'), path: z.string().min(1), fps: z.number().min(0.1).max(60).default(5) }),
  /** The depth-camera simulator: a skin mesh (.vtp from the twin, LPS mm; a generic back when absent) seen from above. */
  z.object({ kind: z.literal('depth-simulator'), meshPath: z.string().min(1).optional(), fps: z.number().min(1).max(60).default(30) }),
  /** Cometa PicoX sEMG + IMU sensors through the PicoX bridge (native-bridges/devices/emg-imu-picox) on `host:port`. */
  z.object({
    kind: z.literal('picox'),
    host: z.string().default('127.0.0.1'),
    port: Port.default(27015),
    sensors: z.array(SensorAssignment).min(1).max(16).optional(),
    imu: z.boolean().default(true),
  }),
  /** The PicoX simulator (a simulated bridge on loopback, IMU replayed from a recording), through the real client. */
  z.object({
    kind: z.literal('picox-simulator'),
    sensors: z.number().int().min(1).max(16).default(4),
    /** An x-io sensor CSV to replay as every sensor's IMU (each from its own offset); none = no IMU. */
    imuPath: z.string().min(1).optional(),
  }),
]);
export type DeviceSpec = z.input<typeof DeviceSpec>;
export type DeviceSpecParsed = z.infer<typeof DeviceSpec>;

/**
 * Where the devices of each kind run, keyed by DeviceStatus.kind: `host` (a
 * driver in the device host, connected with a DeviceSpec of that kind) or
 * `window` (frames a window captures and sends up the stream socket: UVC
 * frame grabbers through Chromium's media capture).
 */
export const DEVICE_SOURCES: Readonly<Record<DeviceSpecParsed['kind'] | 'uvc', 'host' | 'window'>> = {
  ndi: 'host',
  'ndi-simulator': 'host',
  'igtl-client': 'host',
  'igtl-server': 'host',
  replay: 'host',
  'c3d-replay': 'host',
  'depth-file': 'host',
  'depth-simulator': 'host',
  picox: 'host',
  'picox-simulator': 'host',
  uvc: 'window',
};

/** Whether a device's frames are captured in a window (UVC) rather than by a driver in the device host; an unknown kind counts as the host's. */
export function capturedInWindow(d: { kind: string }): boolean {
  return Object.prototype.hasOwnProperty.call(DEVICE_SOURCES, d.kind) && DEVICE_SOURCES[d.kind as keyof typeof DEVICE_SOURCES] === 'window';
}

export const DeviceState = z.enum(['connecting', 'streaming', 'reconnecting', 'stopped', 'failed']);

/**
 * What a stream message carries: 'pose' (tracking), 'image' (ultrasound / video), 'depth' (depth frame), 'points'
 * (point cloud), 'emg' (a block of sEMG samples of every sensor, V), 'imu' (a block of IMU samples of every sensor).
 */
export const StreamKind = z.enum(['pose', 'image', 'depth', 'points', 'emg', 'imu']);
export type StreamKind = z.infer<typeof StreamKind>;

export const DeviceStatus = z.object({
  id: Id,
  name: z.string(),
  kind: z.string(),
  /** True for simulators and replays: never mistaken for the patient's live data. */
  simulated: z.boolean(),
  state: DeviceState,
  /** Driver state machine detail (e.g. NDI 'tracking'). */
  driverState: z.string(),
  /** Samples per second over the last second. */
  rateHz: z.number(),
  /** The rate it is set to deliver (Hz: a tracker's measurement rate, a camera's or replay's frame rate); null when the device sets it (OpenIGTLink peers, UVC). */
  nominalRateHz: z.number().nullable(),
  samples: z.number().int(),
  /** Frames lost at the device or dropped by latest-wins delivery (since it was connected). */
  dropped: z.number().int(),
  /** Of `dropped`, those lost in the last 5 seconds. */
  droppedRecent: z.number().int(),
  /** Host receive latency (ms): reply round trip (NDI) or sender timestamp to receipt (OpenIGTLink). */
  latencyMs: z.number().nullable(),
  /**
   * Why it failed: a sentence written for the user with the technical detail on
   * the lines after it ("No connection to OpenIGTLink server at … \nconnect
   * ECONNREFUSED …"), or a bare reason of one line (see `deviceFailureText`).
   */
  lastError: z.string().nullable(),
  counters: z.record(z.string(), z.number()),
  /**
   * The kinds of stream messages this device provides: what its kind declares (a tracker 'pose', a replay what its
   * file holds) and every kind it has sent (an OpenIGTLink peer: what it pushed). Sorted; empty until known.
   */
  provides: z.array(StreamKind),
  /** Tools / streams this device provides (e.g. "Port 1 (3A001B71)", "Image_Reference"). */
  streams: z.array(z.object({ name: z.string(), state: z.string() })),
  /** Per-device temporal calibration offset (ms) applied to its timestamps. */
  timeOffsetMs: z.number(),
});
export type DeviceStatus = z.infer<typeof DeviceStatus>;

/**
 * A device's failure as the error banner takes it (first line the sentence,
 * further lines the technical detail): a `lastError` of several lines already is
 * a sentence naming what failed and is passed on; a bare one-line reason is
 * named by the device ("OpenIGTLink 127.0.0.1:18944: …"), once — never again
 * when the reason already starts with the name.
 */
export function deviceFailureText(st: Pick<DeviceStatus, 'name' | 'lastError'>): string {
  const reason = st.lastError ?? 'could not connect';
  if (reason.includes('\n') || reason.startsWith(`${st.name}: `)) return reason;
  return `${st.name}: ${reason}`;
}

/** The window (s) over which DeviceStatus.droppedRecent counts. */
export const RECENT_DROPS_S = 5;
/** A streaming device is degraded below this fraction of its nominal rate. */
export const DEGRADED_RATE_FRACTION = 0.8;
/** Drops make a device degraded above this share of the samples expected in the last RECENT_DROPS_S seconds … */
export const DEGRADED_DROP_FRACTION = 0.01;
/** … and only from this many drops (one or two lost samples are no degradation). */
export const DEGRADED_MIN_DROPS = 3;

/** How a device is doing, as the Devices and Fusion workspaces show it: the badge's level and a sentence for the clinician. */
export interface DeviceHealth {
  /** 'ok' streaming as set; 'warn' degraded, connecting or reconnecting; 'bad' failed; 'off' stopped. */
  level: 'ok' | 'warn' | 'bad' | 'off';
  /** The badge's word: 'ok', 'degraded', the state otherwise. */
  label: string;
  /** A sentence naming the device and what is wrong, with the measured rate and drops; null when it is ok. */
  text: string | null;
}

/**
 * How a device is doing. Streaming, it is degraded when its measured rate is below 80 % of its nominal rate (judged
 * once it has delivered a second's worth of samples) or when it dropped more than 1 % of the samples expected in the
 * last 5 s (at its nominal rate, else its measured one), and at least 3; the sentence gives the reason only — the
 * measured and nominal rates when slow, the drops and their share when dropping — and what that means for its data
 * (a tracker's positions lag or jump).
 */
export function deviceHealth(
  d: Pick<DeviceStatus, 'name' | 'state' | 'lastError' | 'rateHz' | 'nominalRateHz' | 'samples' | 'droppedRecent' | 'provides'>,
): DeviceHealth {
  if (d.state === 'failed') return { level: 'bad', label: 'failed', text: deviceFailureText(d).split('\n')[0]! };
  if (d.state === 'stopped') return { level: 'off', label: 'stopped', text: null };
  if (d.state !== 'streaming') return { level: 'warn', label: d.state, text: `${d.name} is ${d.state}: no data from it now.` };
  const nominal = d.nominalRateHz;
  const slow = nominal !== null && nominal > 0 && d.samples >= nominal && d.rateHz < DEGRADED_RATE_FRACTION * nominal;
  // the samples expected in the window: at the nominal rate, else the measured one (plus those dropped)
  const expected = Math.round(Math.max(nominal ?? 0, d.rateHz) * RECENT_DROPS_S) || d.droppedRecent;
  const dropping = d.droppedRecent >= DEGRADED_MIN_DROPS && d.droppedRecent > DEGRADED_DROP_FRACTION * expected;
  if (!slow && !dropping) return { level: 'ok', label: 'ok', text: null };
  const pct = (100 * d.droppedRecent) / Math.max(expected, d.droppedRecent);
  const share = `${d.droppedRecent} of the ${Math.max(expected, d.droppedRecent)} samples expected in the last ${RECENT_DROPS_S} s were dropped (${pct < 10 ? pct.toFixed(1) : Math.round(pct)} %)`;
  const rate = nominal ? `${Math.round(d.rateHz)} of ${Math.round(nominal)} samples per second arrive` : `${Math.round(d.rateHz)} samples per second arrive`;
  const reason = slow && dropping ? `${rate}, and ${share}` : slow ? rate : share;
  const effect = d.provides.includes('pose')
    ? 'tool positions may lag or jump'
    : d.provides.includes('image')
      ? 'the ultrasound picture may stutter'
      : 'its data may lag';
  return { level: 'warn', label: 'degraded', text: `${d.name} is degraded: ${reason}; ${effect}.` };
}

/**
 * The devices that can be the ultrasound (image) source of the fusion: those of the device host (a window's UVC
 * capture is recorded, not streamed back) that provide ultrasound / video frames and have not failed. Trackers, depth
 * cameras and point-cloud files are not image sources.
 */
export function ultrasoundSources<D extends Pick<DeviceStatus, 'kind' | 'state' | 'provides'>>(devices: readonly D[]): D[] {
  return devices.filter((d) => !capturedInWindow(d) && d.state !== 'failed' && d.provides.includes('image'));
}

/** The devices that provide tracking (poses) and have not failed: the tracker sources (their tools are the probe and reference). */
export function trackerSources<D extends Pick<DeviceStatus, 'state' | 'provides'>>(devices: readonly D[]): D[] {
  return devices.filter((d) => d.state !== 'failed' && d.provides.includes('pose'));
}

export const DiscoveredDevice = z.object({
  id: Id,
  bus: z.enum(['usb', 'serial']),
  name: z.string(),
  vendorId: z.number().int().nullable(),
  productId: z.number().int().nullable(),
  /** Serial port path for USB-serial adapters. */
  path: z.string().nullable(),
  /** What OrthoTwin knows this device to be (e.g. 'NDI Aurora SCU'), or null. */
  known: z.string().nullable(),
  /** The DeviceSpec kind that drives it, when known. */
  driver: z.string().nullable(),
});
export type DiscoveredDevice = z.infer<typeof DiscoveredDevice>;

export const DeviceHostStatus = z.object({
  state: z.enum(['starting', 'running', 'restarting', 'stopped']),
  pid: z.number().int().nullable(),
  restarts: z.number().int(),
  lastExit: z.string().nullable(),
  /** Why USB discovery is unavailable (no USB bus exposed): a sentence, the technical detail on the lines after it; or null. */
  usbUnavailable: z.string().nullable(),
});
export type DeviceHostStatus = z.infer<typeof DeviceHostStatus>;

/** A file a session recording wrote (a PLUS sequence). */
export const RecordedFile = z.object({
  path: z.string(),
  device: z.string(),
  /** 'image' (ultrasound / video with the tools' poses), 'depth' (uint16 depth frames), 'pose' (every tracker sample): PLUS sequences; 'emg': a PicoX recording's C3D (sEMG + IMU). */
  stream: z.enum(['image', 'depth', 'pose', 'emg']),
  frames: z.number().int(),
});
export type RecordedFile = z.infer<typeof RecordedFile>;

/**
 * How one device fares in the session recording: `recording` (its frames go to files), `waiting` (connected, nothing
 * received yet), `left-out` (nothing of it can be recorded: `reason` says why, e.g. point clouds only) or
 * `interrupted` (it stopped sending, was disconnected or failed while recording: `reason` says how, `since` from when);
 * once the recording has ended and its files are finished, a device that was recording is `recorded`.
 */
export const RecordingDeviceState = z.object({
  device: z.string(),
  name: z.string(),
  kind: z.string(),
  state: z.enum(['recording', 'recorded', 'waiting', 'left-out', 'interrupted']),
  reason: z.string().nullable(),
  /** ISO 8601 time: when the interruption began (null otherwise). */
  since: z.string().nullable(),
  /**
   * Acquisitions of this device written: the largest of its files' frame counts (a replay's 68 images and their 68
   * poses are 68 acquisitions, not 136).
   */
  frames: z.number().int(),
  /** Frames per stream (file) of this device, e.g. 68 images and 68 poses; absent in recordings made before. */
  streams: z.array(z.object({ stream: z.enum(['image', 'depth', 'pose', 'emg']), frames: z.number().int() })).optional(),
  /** Bytes of this device: the pixels streamed so far while recording; its finished files' size on disk once the recording has ended. */
  bytes: z.number(),
});
export type RecordingDeviceState = z.infer<typeof RecordingDeviceState>;

const STREAM_WORDS: Record<string, [string, string]> = {
  image: ['image', 'images'],
  depth: ['depth frame', 'depth frames'],
  pose: ['pose', 'poses'],
  emg: ['sEMG block', 'sEMG blocks'],
};

/** A recording device's frames as the UI says them: "68 images, 68 poses" per stream, else the count. */
export function recordedFramesText(d: Pick<RecordingDeviceState, 'frames' | 'streams'>): string {
  if (!d.streams?.length) return String(d.frames);
  return d.streams.map((s) => `${s.frames} ${STREAM_WORDS[s.stream]![s.frames === 1 ? 0 : 1]}`).join(', ');
}

/** Whether a device's data are all in the recording: it was recording to the end (or still is). */
export function recordedInFull(d: Pick<RecordingDeviceState, 'state'>): boolean {
  return d.state === 'recording' || d.state === 'recorded';
}

/** Who and what a recording is of, as its starter declared it (the devices capability: the patient and the visit). */
export const RecordingSubject = z.object({
  /** The recordings row (devices capability) this session is. */
  recordingId: z.string(),
  patientId: z.string(),
  patientName: z.string(),
  /** ISO 8601 day of the visit. */
  visitDate: z.string(),
  visitLabel: z.string(),
});
export type RecordingSubject = z.infer<typeof RecordingSubject>;

export const RecordingStatus = z.object({
  state: z.enum(['idle', 'recording']),
  /** The session folder being (or last) written. */
  dir: z.string().nullable(),
  /** Host clock (µs) at the start of the recording. */
  startedUs: z.number().nullable(),
  frames: z.number().int(),
  files: z.number().int(),
  /** Pixel bytes written so far (while recording; 0 when idle: see bytesWritten). */
  bytes: z.number(),
  /** Files of the last finished recording. */
  lastFiles: z.array(RecordedFile),
  /** Time recorded (ms): so far while recording, the last recording's length when idle. */
  elapsedMs: z.number(),
  /** Bytes on disk: pixels streamed so far while recording; the finished files' size when idle. */
  bytesWritten: z.number(),
  /** Free bytes on the recording's disk (statfs of its folder, else of the data directory); null when unknown. */
  freeDiskBytes: z.number().nullable(),
  /** The low-disk threshold: the recording stops cleanly before free disk (less what finalising the files needs) falls below it. */
  minFreeBytes: z.number(),
  /** Why the last recording ended ("stopped by the user", "stopped: free disk below 2.0 GiB …"); null while one runs or before any. */
  stopReason: z.string().nullable(),
  /** Every device connected during the recording, and whether it is recorded (else why not). */
  devices: z.array(RecordingDeviceState),
  /** The patient and visit the recording (running or last) belongs to; null when its starter gave none. */
  subject: RecordingSubject.nullable(),
});
export type RecordingStatus = z.infer<typeof RecordingStatus>;

export const DeviceList = z.object({
  host: DeviceHostStatus,
  devices: z.array(DeviceStatus),
  discovered: z.array(DiscoveredDevice),
  recording: RecordingStatus,
});
export type DeviceList = z.infer<typeof DeviceList>;

/** Where the renderer opens the binary stream (browser mode: a loopback WebSocket with its own token). */
export const StreamEndpoint = z.object({ url: z.string() });

/** The nine IMU channels of a PicoX sensor, in the order of the 'imu' stream and of a recording's C3D (`<sensor>_<axis>`), with their units. */
export const IMU_AXES = ['ACC_X', 'ACC_Y', 'ACC_Z', 'GYR_X', 'GYR_Y', 'GYR_Z', 'MAG_X', 'MAG_Y', 'MAG_Z'] as const;
export const IMU_UNITS = ['g', 'g', 'g', 'deg/s', 'deg/s', 'deg/s', 'uT', 'uT', 'uT'] as const;

/** Volts per unit of an sEMG amplitude as files and devices state it (V, mV, µV/uV): signals are carried and computed in V. */
export const VOLTS_PER_UNIT: Readonly<Record<string, number>> = Object.freeze({ V: 1, v: 1, mV: 1e-3, uV: 1e-6, µV: 1e-6, μV: 1e-6 });

export const StreamHeader = z.object({
  device: Id,
  /** 'pose' (tracking), 'image' (ultrasound / video), 'depth' (depth frame), 'points' (point cloud). */
  stream: StreamKind,
  seq: z.number().int(),
  /** Acquisition time on the host clock (µs): the device's own timestamp mapped (offset, drift, temporal calibration); the receipt time when the device sends none. */
  deviceTimeUs: z.number(),
  /** Host clock (µs) when the sample reached the device host. */
  hostTimeUs: z.number(),
  /** Messages of this stream not delivered to this client (latest-wins). */
  dropped: z.number().int(),
  /** Poses: name → row-major 4×4 (mm) or null when the tool is not seen, with its state. */
  poses: z.array(z.object({ name: z.string(), matrix: z.array(z.number()).length(16).nullable(), state: z.string() })).optional(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  components: z.number().int().optional(),
  scalar: z.enum(['uint8', 'uint16', 'float32']).optional(),
  /**
   * Images: source pixels per delivered pixel along each in-plane axis when this is a binned display copy
   * (`imageBinning.ts`; a calibration of the full frame applies as ImageToProbe · binningMatrix(binning));
   * absent for full frames. Fractional below 1 for a model's upsampled output: 0.5 for SR ×2 (each source pixel
   * became 2 × 2), so ImageToProbe · binningMatrix(0.5) places the upsampled pixels; binned after upsampling by f
   * it is 0.5·f.
   */
  binning: z.number().positive().optional(),
  /** Images: row-major 4×4 from pixel index (i, j, k) to mm in `frame` (OpenIGTLink IMAGE matrix; PLUS: ImageToReference). */
  ijkToFrame: z.array(z.number()).length(16).optional(),
  frame: z.string().optional(),
  /** Depth frames: pinhole intrinsics (px; fx = 0 when unknown) and mm per depth unit. */
  intrinsics: z.object({ fx: z.number(), fy: z.number(), cx: z.number(), cy: z.number(), depthScaleMm: z.number() }).optional(),
  /** Point clouds: number of points in the payload. Signals ('emg', 'imu'): samples per channel in the payload. */
  count: z.number().int().optional(),
  /**
   * Signals ('emg', 'imu'): the channels of the payload, in order (float32 [channel][sample], row-major), with their
   * units ('V'; 'g', 'deg/s', 'uT'); NaN samples are a sensor's block that did not arrive.
   */
  channels: z.array(z.object({ label: z.string(), unit: z.string(), description: z.string().optional() })).optional(),
  /** Signals: sampling rate (Hz) and the capture's index of the first sample of the block (0 at the capture's start). */
  rateHz: z.number().optional(),
  firstIndex: z.number().int().optional(),
  /**
   * Frames a window captures and sends up (UVC): whether the capture source is simulated (Chromium's fake capture
   * device), as the window declares it; the host's devices take it from their kind (DeviceStatus.simulated).
   */
  simulated: z.boolean().optional(),
  /**
   * Images on a client's enhancement channel (it asked `enhance=<model>`): present on every image message of that
   * channel, whether the model ran or not. `applied` true: the pixels are the model's output (`model`, `version`,
   * `validation` from the models' manifest; `ms` the inference time of this frame in the device host's worker;
   * `skipped` frames the worker had no time for so far, latest-wins). `applied` false: the raw frame went in its
   * place and `reason` says why in a sentence (the model did not load, the frame is not 8-bit grey, …).
   * Keyed apart from the raw frames of the same device (`streamKey`), so both coexist for a split view.
   */
  enhancement: z
    .object({
      model: z.string(),
      applied: z.boolean(),
      version: z.string().optional(),
      validation: z.string().optional(),
      ms: z.number().optional(),
      skipped: z.number().int().optional(),
      reason: z.string().optional(),
    })
    .optional(),
});
export type StreamHeader = z.infer<typeof StreamHeader>;

/** The enhancement models a stream client may ask for (`enhance=` in the stream URL, `{ enhance }` on a port). */
export const EnhanceModel = z.enum(['denoise', 'sr2']);
export type EnhanceModel = z.infer<typeof EnhanceModel>;

/** What the views call the models: "denoise", "SR ×2". */
export const ENHANCE_MODEL_LABELS: Readonly<Record<EnhanceModel, string>> = Object.freeze({ denoise: 'denoise', sr2: 'SR ×2' });

/** A model name from a stream client (URL parameter or port message): 'denoise' | 'sr2', else null (no enhancement). */
export function parseEnhanceModel(v: unknown): EnhanceModel | null {
  const r = EnhanceModel.safeParse(v);
  return r.success ? r.data : null;
}

/**
 * The latest-wins and latest-message key of a stream message: device and stream kind, plus `enhanced` for a
 * message of the enhancement channel — so a device's raw and enhanced image frames are kept (and dropped) apart.
 * Separator NUL: device ids never contain it.
 */
export function streamKey(h: Pick<StreamHeader, 'device' | 'stream' | 'enhancement'>): string {
  return h.enhancement ? `${h.device}\u0000${h.stream}\u0000enhanced` : `${h.device}\u0000${h.stream}`;
}

/** The label an enhanced image carries in every view: model output, which model, how far it was validated; or why the frame is raw. */
export function enhancementText(e: NonNullable<StreamHeader['enhancement']>): string {
  if (!e.applied) return `Raw frame, not enhanced: ${e.reason ?? 'no reason given.'}`;
  return `Model output (${e.model} ${e.version ?? ''}`.trimEnd() + `) — validation: ${e.validation ?? 'not stated'}`;
}

/**
 * What a view computed on a model's output says of it ("model output: denoise 1.0.0"); null when the frame is not a
 * model's output (no enhancement, or the raw frame sent in its place).
 */
export function modelOutputName(e: StreamHeader['enhancement'] | null | undefined): string | null {
  if (!e?.applied) return null;
  return `model output: ${e.model} ${e.version ?? ''}`.trimEnd();
}

/** Encodes a stream message: u32 LE header length, header JSON, payload. */
export function encodeStreamMessage(header: StreamHeader, payload?: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(4 + h.length + (payload?.length ?? 0));
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 4);
  if (payload) out.set(payload, 4 + h.length);
  return out;
}

/** Decodes a stream message. @throws Error on a truncated message or a bad header. */
export function decodeStreamMessage(bytes: Uint8Array): { header: StreamHeader; payload: Uint8Array } {
  if (bytes.length < 4) throw new Error('stream message shorter than its length prefix');
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + n > bytes.length) throw new Error(`stream message header claims ${n} bytes, has ${bytes.length - 4}`);
  const header = StreamHeader.parse(JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + n))));
  return { header, payload: bytes.subarray(4 + n) };
}
