/**
 * The PicoX bridge protocol (OrthoTwin's own; issue 21 §2): how the Windows
 * bridge process that hosts Cometa's .NET SDK (Waveplus.DaqSys / WaveX — no
 * public wire protocol, shared/docs/reference/device-protocols.md §5.1)
 * talks to OrthoTwin's device host over TCP. The bridge owns the USB
 * receiver; this protocol carries what the SDK's DataAvailable events give:
 * per-sensor blocks of sEMG samples at 2000 Hz and IMU samples, with
 * sequence numbers, device timestamps, battery and link quality, start/stop
 * and the sensor-to-muscle assignment. README.md in this folder is the
 * normative description; this file is its codec.
 *
 * Frame (all integers little endian):
 *
 *   offset  size  field
 *   0       2     magic 'P' 'X' (0x50 0x58)
 *   2       1     protocol version (1)
 *   3       1     message type (MessageType)
 *   4       4     sequence number (u32, per direction, +1 per frame, wraps)
 *   8       4     payload length L (u32, ≤ MAX_PAYLOAD)
 *   12      L     payload
 *   12+L    2     CRC-16/ARC of bytes 0 … 12+L−1 (as native-bridges/core/crc16.ts)
 *
 * Payloads: HELLO, CONFIGURE, ACK and ERROR carry UTF-8 JSON; START and
 * STOP are empty; EMG, IMU, STATUS and EVENT are binary (see the encoders).
 */
import { crc16Ndi } from '../../core/crc16.js';

export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 12;
export const TRAILER_BYTES = 2;
/** Largest payload accepted (a 100 ms EMG block of one sensor is 12 + 800 bytes; 1 MiB leaves room for any SDK period). */
export const MAX_PAYLOAD = 1 << 20;
/** The sEMG sampling rate of PicoX sensors (Cometa's only EMG rate, constants.py `Emg_2kHz`). */
export const EMG_RATE_HZ = 2000;

export enum MessageType {
  /** bridge → host, on connect: who the bridge is (JSON Hello). */
  Hello = 0x01,
  /** host → bridge: the sensors to use and what they sit on (JSON Configure). */
  Configure = 0x02,
  /** host → bridge: start capturing (empty). */
  Start = 0x03,
  /** host → bridge: stop capturing (empty). */
  Stop = 0x04,
  /** bridge → host: the answer to a host frame (JSON Ack). */
  Ack = 0x05,
  /** bridge → host: a block of one sensor's sEMG samples (binary EmgBlock). */
  Emg = 0x10,
  /** bridge → host: a block of one sensor's IMU samples (binary ImuBlock). */
  Imu = 0x11,
  /** bridge → host, about once a second: battery and link quality of each sensor (binary Status). */
  Status = 0x20,
  /** bridge → host: a trigger or foot-switch edge (binary Event). */
  Event = 0x21,
  /** bridge → host: a fault the bridge cannot recover from alone (JSON BridgeError). */
  Error = 0x7f,
}

/** The bridge, the SDK it hosts and the receiver it owns. */
export interface Hello {
  bridge: string;
  bridgeVersion: string;
  sdk: string;
  receiverSerial: string;
  /** Sensors the receiver is paired with (ids 1…16). */
  sensors: number[];
  emgRateHz: number;
  /** IMU modes the SDK offers, e.g. 'raw-284', 'fused9x-142'. */
  imuModes: string[];
}

/** Where one sensor sits: the sensor-to-muscle assignment stored with every recording. */
export interface SensorAssignment {
  /** Sensor id as paired with the receiver (1…16). */
  sensor: number;
  /** Muscle, e.g. 'erector spinae'. */
  muscle: string;
  side: 'left' | 'right' | 'midline';
  /** Vertebral level of the electrode, e.g. 'L4' (lumbar protocol: EMG1/EMG2 at L4, EMG3/EMG4 at L2). */
  level: string;
  /** Channel label in recordings and plots, e.g. 'EMG1'. */
  label: string;
}

export interface Configure {
  sensors: SensorAssignment[];
  /** IMU mode to capture (one of Hello.imuModes) or 'off'. */
  imuMode: string;
  /** The SDK's DataAvailable period: one EMG and one IMU block per sensor per period (ms; 10, 25, 50 or 100). */
  blockMs: 10 | 25 | 50 | 100;
}

export interface Ack {
  /** Sequence number of the host frame answered. */
  ofSeq: number;
  ok: boolean;
  /** Why it was refused (ok = false): a sentence. */
  error?: string;
}

export interface BridgeError {
  /** Machine-readable code, e.g. 'RECEIVER_UNPLUGGED', 'SDK_ERROR'. */
  code: string;
  message: string;
}

/**
 * A block of one sensor's sEMG: `samples` in volts at the electrodes (the
 * SDK's µV divided by 1e6), consecutive, the first one being sample number
 * `firstIndex` of the capture for that sensor (0 at Start; a gap in the
 * indices is lost samples), taken at device time `deviceTimeUs` (the
 * receiver's clock, µs since Start).
 */
export interface EmgBlock {
  sensor: number;
  firstIndex: number;
  deviceTimeUs: number;
  samples: Float32Array;
}

/**
 * A block of one sensor's IMU samples: `data` is n × 9 float32 per sample —
 * accelerometer x, y, z (g), gyroscope x, y, z (°/s), magnetometer x, y, z
 * (µT; NaN when the mode has none) — in the sensor's own axes, at `rateHz`,
 * the first being sample `firstIndex` of the capture at device time
 * `deviceTimeUs`.
 */
export interface ImuBlock {
  sensor: number;
  firstIndex: number;
  deviceTimeUs: number;
  rateHz: number;
  data: Float32Array;
}

export interface SensorStatus {
  sensor: number;
  /** Battery charge, % (0–100). */
  batteryPercent: number;
  /** Radio link quality, % of packets received over the last second (0–100). */
  linkPercent: number;
  /** The sensor is paired but not heard (switched off, out of range). */
  lost: boolean;
}

export interface Status {
  /** Receiver state as the SDK reports it. */
  state: 'idle' | 'capturing' | 'error';
  deviceTimeUs: number;
  sensors: SensorStatus[];
}

export interface BridgeEvent {
  deviceTimeUs: number;
  /** e.g. 'trigger-in', 'footswitch-1-heel'. */
  label: string;
}

export type Message =
  | { type: MessageType.Hello; body: Hello }
  | { type: MessageType.Configure; body: Configure }
  | { type: MessageType.Start; body: null }
  | { type: MessageType.Stop; body: null }
  | { type: MessageType.Ack; body: Ack }
  | { type: MessageType.Error; body: BridgeError }
  | { type: MessageType.Emg; body: EmgBlock }
  | { type: MessageType.Imu; body: ImuBlock }
  | { type: MessageType.Status; body: Status }
  | { type: MessageType.Event; body: BridgeEvent };

/** A frame that cannot be decoded: the reason as a sentence. */
export class PicoxProtocolError extends Error {}

const STATE_CODES = ['idle', 'capturing', 'error'] as const;
const JSON_TYPES = new Set([MessageType.Hello, MessageType.Configure, MessageType.Ack, MessageType.Error]);

/** Encodes a message's payload (without the frame). */
export function encodePayload(m: Message): Uint8Array {
  if (JSON_TYPES.has(m.type)) return new TextEncoder().encode(JSON.stringify(m.body));
  switch (m.type) {
    case MessageType.Start:
    case MessageType.Stop:
      return new Uint8Array(0);
    case MessageType.Emg: {
      // u8 sensor, u8 0, u16 n, u32 reserved, f64 firstIndex, f64 deviceTimeUs, n × f32
      const b = m.body;
      const out = new Uint8Array(24 + 4 * b.samples.length);
      const v = new DataView(out.buffer);
      v.setUint8(0, b.sensor);
      v.setUint16(2, b.samples.length, true);
      v.setFloat64(8, b.firstIndex, true);
      v.setFloat64(16, b.deviceTimeUs, true);
      for (let i = 0; i < b.samples.length; i++) v.setFloat32(24 + 4 * i, b.samples[i]!, true);
      return out;
    }
    case MessageType.Imu: {
      // u8 sensor, u8 0, u16 n, f32 rateHz, f64 firstIndex, f64 deviceTimeUs, n × 9 f32
      const b = m.body;
      if (b.data.length % 9 !== 0) throw new PicoxProtocolError(`an IMU block holds 9 values per sample, not ${b.data.length} values`);
      const n = b.data.length / 9;
      const out = new Uint8Array(24 + 4 * b.data.length);
      const v = new DataView(out.buffer);
      v.setUint8(0, b.sensor);
      v.setUint16(2, n, true);
      v.setFloat32(4, b.rateHz, true);
      v.setFloat64(8, b.firstIndex, true);
      v.setFloat64(16, b.deviceTimeUs, true);
      for (let i = 0; i < b.data.length; i++) v.setFloat32(24 + 4 * i, b.data[i]!, true);
      return out;
    }
    case MessageType.Status: {
      // u8 state, u8 n, u16 0, u32 0, f64 deviceTimeUs, n × (u8 sensor, u8 battery, u8 link, u8 flags: 1 = lost)
      const b = m.body;
      const out = new Uint8Array(16 + 4 * b.sensors.length);
      const v = new DataView(out.buffer);
      v.setUint8(0, STATE_CODES.indexOf(b.state));
      v.setUint8(1, b.sensors.length);
      v.setFloat64(8, b.deviceTimeUs, true);
      b.sensors.forEach((s, i) => {
        v.setUint8(16 + 4 * i, s.sensor);
        v.setUint8(17 + 4 * i, Math.round(Math.min(100, Math.max(0, s.batteryPercent))));
        v.setUint8(18 + 4 * i, Math.round(Math.min(100, Math.max(0, s.linkPercent))));
        v.setUint8(19 + 4 * i, s.lost ? 1 : 0);
      });
      return out;
    }
    case MessageType.Event: {
      // f64 deviceTimeUs, UTF-8 label
      const label = new TextEncoder().encode(m.body.label);
      const out = new Uint8Array(8 + label.length);
      new DataView(out.buffer).setFloat64(0, m.body.deviceTimeUs, true);
      out.set(label, 8);
      return out;
    }
  }
  throw new PicoxProtocolError(`message type 0x${(m as { type: number }).type.toString(16)} has no encoder`);
}

/**
 * Decodes a payload of a given type.
 * @throws PicoxProtocolError naming the type and the reason (wrong length, bad JSON, unknown type)
 */
export function decodePayload(type: number, p: Uint8Array): Message {
  const name = MessageType[type] ?? `0x${type.toString(16)}`;
  const need = (n: number): void => {
    if (p.length < n) throw new PicoxProtocolError(`${name} payload of ${p.length} bytes is shorter than its ${n}-byte header`);
  };
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  if (JSON_TYPES.has(type)) {
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(p));
    } catch (e) {
      throw new PicoxProtocolError(`${name} payload is not UTF-8 JSON (${(e as Error).message})`);
    }
    if (typeof body !== 'object' || body === null) throw new PicoxProtocolError(`${name} payload is not a JSON object`);
    return { type, body } as Message;
  }
  switch (type) {
    case MessageType.Start:
    case MessageType.Stop:
      if (p.length) throw new PicoxProtocolError(`${name} carries no payload, got ${p.length} bytes`);
      return { type, body: null };
    case MessageType.Emg: {
      need(24);
      const n = v.getUint16(2, true);
      if (p.length !== 24 + 4 * n) throw new PicoxProtocolError(`Emg block says ${n} samples but holds ${p.length - 24} bytes of samples`);
      const samples = new Float32Array(n);
      for (let i = 0; i < n; i++) samples[i] = v.getFloat32(24 + 4 * i, true);
      return { type, body: { sensor: v.getUint8(0), firstIndex: v.getFloat64(8, true), deviceTimeUs: v.getFloat64(16, true), samples } };
    }
    case MessageType.Imu: {
      need(24);
      const n = v.getUint16(2, true);
      if (p.length !== 24 + 36 * n) throw new PicoxProtocolError(`Imu block says ${n} samples but holds ${p.length - 24} bytes of samples`);
      const data = new Float32Array(9 * n);
      for (let i = 0; i < 9 * n; i++) data[i] = v.getFloat32(24 + 4 * i, true);
      return {
        type,
        body: { sensor: v.getUint8(0), rateHz: v.getFloat32(4, true), firstIndex: v.getFloat64(8, true), deviceTimeUs: v.getFloat64(16, true), data },
      };
    }
    case MessageType.Status: {
      need(16);
      const n = v.getUint8(1);
      if (p.length !== 16 + 4 * n) throw new PicoxProtocolError(`Status says ${n} sensors but holds ${p.length - 16} bytes of them`);
      const state = STATE_CODES[v.getUint8(0)];
      if (!state) throw new PicoxProtocolError(`Status has an unknown receiver state ${v.getUint8(0)}`);
      const sensors: SensorStatus[] = [];
      for (let i = 0; i < n; i++)
        sensors.push({
          sensor: v.getUint8(16 + 4 * i),
          batteryPercent: v.getUint8(17 + 4 * i),
          linkPercent: v.getUint8(18 + 4 * i),
          lost: (v.getUint8(19 + 4 * i) & 1) === 1,
        });
      return { type, body: { state, deviceTimeUs: v.getFloat64(8, true), sensors } };
    }
    case MessageType.Event:
      need(8);
      return { type, body: { deviceTimeUs: v.getFloat64(0, true), label: new TextDecoder().decode(p.subarray(8)) } };
  }
  throw new PicoxProtocolError(`unknown message type ${name}`);
}

/** Encodes a whole frame: header, payload, CRC. */
export function encodeFrame(m: Message, seq: number): Uint8Array {
  const payload = encodePayload(m);
  if (payload.length > MAX_PAYLOAD) throw new PicoxProtocolError(`a ${MessageType[m.type]} payload of ${payload.length} bytes is over ${MAX_PAYLOAD}`);
  const out = new Uint8Array(HEADER_BYTES + payload.length + TRAILER_BYTES);
  const v = new DataView(out.buffer);
  out[0] = 0x50;
  out[1] = 0x58;
  out[2] = PROTOCOL_VERSION;
  out[3] = m.type;
  v.setUint32(4, seq >>> 0, true);
  v.setUint32(8, payload.length, true);
  out.set(payload, HEADER_BYTES);
  v.setUint16(HEADER_BYTES + payload.length, crc16Ndi(out.subarray(0, HEADER_BYTES + payload.length)), true);
  return out;
}
