/**
 * NDI Combined API (Aurora, Polaris; Vega over TCP) message layouts: command
 * encoding with CRC-16, ASCII reply texts, the binary BX tracking reply, the
 * ASCII TX reply, PHSR / PHINF port listings, port and system status bits and
 * the documented error codes. Pure: bytes and strings in, values out.
 *
 * Sources: PlusToolkit/ndicapi (ndicapi.h macros, ndicapi.cxx helpers
 * ndiBXHelper / ndiTXHelper / ndiPHSRHelper / ndiPHINFHelper), PlusLib
 * vtkPlusNDITracker.cxx; facts and golden vectors collected in
 * shared/docs/reference/device-protocols.md §1.
 *
 * Units: translations in millimetres in the tracker's frame (the field
 * generator / position sensor frame), rotations as unit quaternions (w, x, y,
 * z), RMS error in millimetres.
 */
import { crc16Ndi, crc16NdiText } from '../../core/crc16.js';

/** COMM baud-rate codes (one character each; ndicapi `ndiCOMMHelper`, PLUS formats them with %X). */
export const NDI_BAUD_CODES: Readonly<Record<number, string>> = {
  9600: '0',
  14400: '1',
  19200: '2',
  38400: '3',
  57600: '4',
  115200: '5',
  921600: '6',
  1228739: '7',
  230400: 'A',
};

/** Device error codes ERRORxx (ndicapi.h). */
export const NDI_ERROR_TEXT: Readonly<Record<number, string>> = {
  0x01: 'invalid command',
  0x02: 'command too long',
  0x03: 'command too short',
  0x04: 'invalid CRC calculated for command',
  0x05: 'time-out on command execution',
  0x06: 'unable to set up new communication parameters',
  0x07: 'incorrect number of command parameters',
  0x08: 'invalid port handle selected',
  0x09: 'invalid tracking priority selected',
  0x0a: 'invalid LED selected',
  0x0b: 'invalid LED state selected',
  0x0c: 'command is invalid while in the current operating mode',
  0x0d: 'no tool plugged in the selected port',
  0x0e: 'selected port not initialized',
  0x0f: 'selected port not enabled',
  0x10: 'system not initialized',
  0x11: 'failure to stop tracking',
  0x12: 'failure to start tracking',
  0x13: 'failure to initialize tool in port',
  0x14: 'invalid position sensor characterization parameters',
  0x15: 'failure to initialize the system',
  0x16: 'failure to start diagnostic mode',
  0x17: 'failure to stop diagnostic mode',
  0x19: 'failure to read firmware version',
  0x1a: 'internal system error',
  0x1c: 'failure to activate IRED',
  0x1e: 'failure to read SROM',
  0x1f: 'failure to write SROM',
  0x21: 'port current test failed',
  0x22: 'selected wavelength not supported by the volume',
  0x23: 'command parameter out of range',
  0x24: 'no volume parameters',
  0x25: 'failure to determine supported features',
  0x28: 'too many tools',
  0x2a: 'no memory available for dynamic allocation (heap full)',
  0x2b: 'requested port handle not allocated',
  0x2c: 'requested port handle has become unoccupied',
  0x2d: 'all handles have been allocated',
  0x2f: 'invalid port description',
  0x30: 'requested port already assigned a port handle',
  0x32: 'invalid operation for device associated with port handle',
  0x33: 'feature not available',
  0x34: 'user parameter does not exist',
  0x35: 'invalid value type',
  0x36: 'user parameter value out of range',
  0x37: 'user parameter array index out of range',
  0x38: 'user parameter size incorrect',
  0x39: 'permission denied',
  0x3b: 'file not found',
  0x3c: 'error writing to file',
  0x3d: 'error reading from file',
  0x42: 'device not present',
  0xf1: 'too much environmental infrared',
  0xf4: 'unable to erase flash SROM',
  0xf5: 'unable to write flash SROM',
  0xf6: 'unable to read flash SROM',
};

/** Port status bits (TX / BX / PHINF; ndicapi.h NDI_TOOL_IN_PORT ...). */
export const PORT_STATUS = {
  toolInPort: 0x01,
  switch1: 0x02,
  switch2: 0x04,
  switch3: 0x08,
  initialized: 0x10,
  enabled: 0x20,
  outOfVolume: 0x40,
  partiallyInVolume: 0x80,
} as const;

/** System status bits (TX 4 hex / BX u16). */
export const SYSTEM_STATUS = {
  commSyncError: 0x0001,
  tooMuchInfrared: 0x0002,
  commCrcError: 0x0004,
  recoverableCommError: 0x0008,
  hardwareFailure: 0x0010,
  hardwareChange: 0x0020,
  portOccupied: 0x0040,
  portUnoccupied: 0x0080,
} as const;

/** BX handle status byte. */
export const BX_HANDLE = { valid: 0x01, missing: 0x02, disabled: 0x04 } as const;

/** Start sequence of a binary reply (bytes C4 A5 on the wire). */
export const BX_START = 0xa5c4;

/** BX / TX reply options (`BX:%04X`). PLUS polls with 0x0801. */
export const REPLY_OPTION = { transforms: 0x0001, toolInfo: 0x0002, strayActive: 0x0004, markers: 0x0008, outOfVolume: 0x0800, strayPassive: 0x1000 } as const;

/** A device error reply (ERRORxx). */
export class NdiDeviceError extends Error {
  readonly code: number;
  constructor(
    code: number,
    readonly command: string,
  ) {
    super(`NDI ${command}: ERROR${hex(code, 2)} ${NDI_ERROR_TEXT[code] ?? 'unknown error code'}`);
    this.name = 'NdiDeviceError';
    this.code = code;
  }
}

/** Malformed reply content (wrong length, bad number). */
export class NdiReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NdiReplyError';
  }
}

export function hex(v: number, width: number): string {
  return v.toString(16).toUpperCase().padStart(width, '0');
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('latin1');

/**
 * Encodes a host → device command.
 * Colon form (`withCrc` true): `NAME:params` + 4 upper-case hex CRC-16 + CR,
 * the CRC covering the name, the colon and the parameters. Space form
 * (`withCrc` false): `NAME params` + CR with no CRC (e.g. `APIREV `).
 */
export function encodeCommand(name: string, params = '', withCrc = true): Uint8Array {
  const body = withCrc ? `${name}:${params}` : `${name} ${params}`;
  return encoder.encode(withCrc ? `${body}${hex(crc16NdiText(body), 4)}\r` : `${body}\r`);
}

/** A command as the device (simulator) reads it. */
export interface ParsedCommand {
  name: string;
  params: string;
  /** false when a colon-form command's CRC did not match (the device answers ERROR04). */
  crcOk: boolean;
}

/**
 * Parses one host → device command line (without the CR). Colon form carries
 * a CRC in its last 4 characters; space form carries none.
 */
export function parseCommand(line: string): ParsedCommand {
  const colon = line.indexOf(':');
  const space = line.indexOf(' ');
  if (colon >= 0 && (space < 0 || colon < space)) {
    const name = line.slice(0, colon);
    if (line.length < colon + 5) return { name, params: line.slice(colon + 1), crcOk: false };
    const crcText = line.slice(-4);
    const covered = line.slice(0, -4);
    return { name, params: covered.slice(colon + 1), crcOk: /^[0-9A-F]{4}$/.test(crcText) && parseInt(crcText, 16) === crc16NdiText(covered) };
  }
  if (space >= 0) return { name: line.slice(0, space), params: line.slice(space + 1), crcOk: true };
  return { name: line, params: '', crcOk: true };
}

/** Encodes a device → host ASCII reply: text + CRC-16 (4 hex) + CR. */
export function encodeAsciiReply(text: string): Uint8Array {
  return encoder.encode(`${text}${hex(crc16NdiText(text), 4)}\r`);
}

/** Throws NdiDeviceError when an ASCII reply text is ERRORxx. */
export function checkReply(text: string, command: string): string {
  if (text.startsWith('ERROR')) {
    const code = parseInt(text.slice(5, 7), 16);
    throw new NdiDeviceError(Number.isFinite(code) ? code : -1, command);
  }
  return text;
}

export function asciiText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** One port handle in a tracking reply. */
export interface NdiHandleReport {
  handle: number;
  /** valid: a transform follows; missing: tool not seen this frame; disabled: nothing follows. */
  status: 'valid' | 'missing' | 'disabled';
  /** Unit quaternion (w, x, y, z); present when valid. */
  q?: [number, number, number, number];
  /** Translation (mm), tracker frame; present when valid. */
  t?: [number, number, number];
  /** RMS fit error (mm); present when valid. */
  rms?: number;
  /** Port status bits (PORT_STATUS); present when valid or missing. */
  portStatus?: number;
  /** Tracker frame number; present when valid or missing. */
  frame?: number;
}

export interface NdiTrackingReply {
  handles: NdiHandleReport[];
  systemStatus: number;
}

/**
 * Decodes the body of a BX reply (bytes after the 6-byte header, before the
 * trailing CRC) for reply option 0x0001 (with or without 0x0800), little-
 * endian, as ndiBXHelper reads it.
 * @throws NdiReplyError when the body is shorter than its content requires.
 */
export function decodeBx(body: Uint8Array): NdiTrackingReply {
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const need = (off: number, n: number): void => {
    if (off + n > body.byteLength) throw new NdiReplyError(`BX reply truncated: needs ${off + n} bytes, has ${body.byteLength}`);
  };
  need(0, 1);
  const n = v.getUint8(0);
  let off = 1;
  const handles: NdiHandleReport[] = [];
  for (let i = 0; i < n; i++) {
    need(off, 2);
    const handle = v.getUint8(off);
    const hs = v.getUint8(off + 1);
    off += 2;
    if (hs & BX_HANDLE.disabled) {
      handles.push({ handle, status: 'disabled' });
      continue;
    }
    const rep: NdiHandleReport = { handle, status: hs & BX_HANDLE.missing ? 'missing' : 'valid' };
    if (rep.status === 'valid') {
      need(off, 32);
      const f = (k: number): number => v.getFloat32(off + 4 * k, true);
      rep.q = [f(0), f(1), f(2), f(3)];
      rep.t = [f(4), f(5), f(6)];
      rep.rms = f(7);
      off += 32;
    }
    need(off, 8);
    rep.portStatus = v.getUint32(off, true);
    rep.frame = v.getUint32(off + 4, true);
    off += 8;
    handles.push(rep);
  }
  need(off, 2);
  return { handles, systemStatus: v.getUint16(off, true) };
}

/**
 * Encodes a complete BX frame (header, header CRC, body, body CRC) for reply
 * option 0x0001: what a tracker sends. Inverse of the framer + decodeBx.
 */
export function encodeBx(reply: NdiTrackingReply): Uint8Array {
  let size = 1 + 2;
  for (const h of reply.handles) size += h.status === 'disabled' ? 2 : h.status === 'valid' ? 42 : 10;
  const out = new Uint8Array(8 + size);
  const v = new DataView(out.buffer);
  v.setUint16(0, BX_START, true);
  v.setUint16(2, size, true);
  v.setUint16(4, crc16Ndi(out.subarray(0, 4)), true);
  let off = 6;
  v.setUint8(off++, reply.handles.length);
  for (const h of reply.handles) {
    v.setUint8(off++, h.handle);
    v.setUint8(off++, h.status === 'valid' ? BX_HANDLE.valid : h.status === 'missing' ? BX_HANDLE.missing : BX_HANDLE.disabled);
    if (h.status === 'disabled') continue;
    if (h.status === 'valid') {
      const vals = [...(h.q ?? [1, 0, 0, 0]), ...(h.t ?? [0, 0, 0]), h.rms ?? 0];
      for (const x of vals) {
        v.setFloat32(off, x, true);
        off += 4;
      }
    }
    v.setUint32(off, h.portStatus ?? 0, true);
    v.setUint32(off + 4, h.frame ?? 0, true);
    off += 8;
  }
  v.setUint16(off, reply.systemStatus, true);
  off += 2;
  v.setUint16(off, crc16Ndi(out.subarray(6, off)), true);
  return out;
}

function signedField(s: string, scale: number, what: string): number {
  if (!/^[+-]\d+$/.test(s)) throw new NdiReplyError(`TX reply: bad ${what} field "${s}"`);
  return Number(s) / scale;
}

/**
 * Decodes an ASCII TX reply text (option 0x0001, CRC already stripped):
 * handle count, per handle the pose (quaternion ×10000, translation ×100,
 * error ×10000), port status and frame, then the system status (§1.5).
 * @throws NdiReplyError on a malformed reply.
 */
export function decodeTx(text: string): NdiTrackingReply {
  let p = 0;
  const take = (n: number, what: string): string => {
    if (p + n > text.length) throw new NdiReplyError(`TX reply truncated at ${what}`);
    const s = text.slice(p, p + n);
    p += n;
    return s;
  };
  const hexField = (n: number, what: string): number => {
    const s = take(n, what);
    if (!/^[0-9A-Fa-f]+$/.test(s)) throw new NdiReplyError(`TX reply: bad ${what} "${s}"`);
    return parseInt(s, 16);
  };
  const n = hexField(2, 'handle count');
  const handles: NdiHandleReport[] = [];
  for (let i = 0; i < n; i++) {
    const handle = hexField(2, 'handle');
    if (text.startsWith('UNOCCUPIED', p)) {
      p += 10;
      continue;
    }
    let rep: NdiHandleReport;
    if (text.startsWith('MISSING', p) || text.startsWith('DISABLED', p)) {
      const missing = text.startsWith('MISSING', p);
      p += missing ? 7 : 8;
      rep = { handle, status: missing ? 'missing' : 'disabled' };
    } else {
      const q = [0, 1, 2, 3].map((k) => signedField(take(6, 'quaternion'), 10000, `q${k}`)) as [number, number, number, number];
      const t = [0, 1, 2].map(() => signedField(take(7, 'translation'), 100, 'translation')) as [number, number, number];
      rep = { handle, status: 'valid', q, t, rms: signedField(take(6, 'error'), 10000, 'error') };
    }
    rep.portStatus = hexField(8, 'port status');
    rep.frame = hexField(8, 'frame number');
    const nl = text.indexOf('\n', p);
    p = nl < 0 ? p : nl + 1;
    handles.push(rep);
  }
  return { handles, systemStatus: hexField(4, 'system status') };
}

function fixed(x: number, scale: number, digits: number): string {
  const v = Math.round(x * scale);
  const lim = 10 ** digits - 1;
  const c = Math.max(-lim, Math.min(lim, v));
  return (c < 0 ? '-' : '+') + String(Math.abs(c)).padStart(digits, '0');
}

/** Encodes an ASCII TX reply text (without CRC) for option 0x0001. */
export function encodeTx(reply: NdiTrackingReply): string {
  let s = hex(reply.handles.length, 2);
  for (const h of reply.handles) {
    s += hex(h.handle, 2);
    if (h.status === 'valid') {
      s += (h.q ?? [1, 0, 0, 0]).map((x) => fixed(x, 10000, 5)).join('');
      s += (h.t ?? [0, 0, 0]).map((x) => fixed(x, 100, 6)).join('');
      s += fixed(h.rms ?? 0, 10000, 5);
    } else s += h.status === 'missing' ? 'MISSING' : 'DISABLED';
    s += hex(h.portStatus ?? 0, 8) + hex(h.frame ?? 0, 8) + '\n';
  }
  return s + hex(reply.systemStatus, 4);
}

/** PHSR entry: a port handle and its status bits (3 hex). */
export interface PortHandleStatus {
  handle: number;
  status: number;
}

/** Decodes a PHSR reply text: 2-hex count then 5 characters per handle. */
export function decodePhsr(text: string): PortHandleStatus[] {
  const n = parseInt(text.slice(0, 2), 16);
  if (!Number.isFinite(n) || text.length < 2 + 5 * n) throw new NdiReplyError(`PHSR reply malformed: "${text}"`);
  const out: PortHandleStatus[] = [];
  for (let i = 0; i < n; i++) {
    const e = text.slice(2 + 5 * i, 7 + 5 * i);
    out.push({ handle: parseInt(e.slice(0, 2), 16), status: parseInt(e.slice(2), 16) });
  }
  return out;
}

export function encodePhsr(entries: readonly PortHandleStatus[]): string {
  return hex(entries.length, 2) + entries.map((e) => hex(e.handle, 2) + hex(e.status, 3)).join('');
}

/** PHINF basic (0x0001) + port location (0x0020) fields. */
export interface PortHandleInfo {
  toolType: string;
  manufacturer: string;
  revision: string;
  serial: string;
  portStatus: number;
  /** Physical port number (1-based), from the port location field. */
  port: number;
  channel: number;
}

/** Decodes a PHINF reply to options 0x0021 (basic 33 chars, then port location 14 chars). */
export function decodePhinf(text: string): PortHandleInfo | null {
  if (text.startsWith('UNOCCUPIED')) return null;
  if (text.length < 47) throw new NdiReplyError(`PHINF reply too short (${text.length} characters)`);
  const loc = text.slice(33, 47);
  return {
    toolType: text.slice(0, 8),
    manufacturer: text.slice(8, 20).trim(),
    revision: text.slice(20, 23),
    serial: text.slice(23, 31),
    portStatus: parseInt(text.slice(31, 33), 16),
    port: parseInt(loc.slice(10, 12), 10),
    channel: parseInt(loc.slice(12, 14), 10),
  };
}

export function encodePhinf(info: PortHandleInfo): string {
  const pad = (s: string, n: number): string => s.slice(0, n).padEnd(n, ' ');
  const loc = `${'0'.repeat(10)}${String(info.port).padStart(2, '0')}${String(info.channel).padStart(2, '0')}`;
  return pad(info.toolType, 8) + pad(info.manufacturer, 12) + pad(info.revision, 3) + pad(info.serial, 8) + hex(info.portStatus & 0xff, 2) + loc;
}

/**
 * PVWR parameter strings that load a tool definition (.rom, virtual SROM)
 * into a port handle: 64-byte chunks at addresses 0x0000…0x03C0, the file
 * zero-padded to 1024 bytes (ndiPVWRFromFile, PLUS SendSromToTracker).
 * @throws RangeError when the file is larger than 1024 bytes.
 */
export function pvwrParams(handle: number, rom: Uint8Array): string[] {
  if (rom.length > 1024) throw new RangeError(`tool definition is ${rom.length} bytes; an SROM holds at most 1024`);
  const full = new Uint8Array(1024);
  full.set(rom);
  const out: string[] = [];
  for (let a = 0; a < 1024; a += 64) {
    let data = '';
    for (let i = 0; i < 64; i++) data += hex(full[a + i]!, 2);
    out.push(hex(handle, 2) + hex(a, 4) + data);
  }
  return out;
}

/** A tool's state as the UI and the fusion layer read it. */
export type ToolState = 'ok' | 'missing' | 'out-of-volume' | 'partially-in-volume' | 'disabled';

/**
 * Tool state from a tracking report: disabled, missing (no transform, or
 * PLUS's rule `(status & 0x31) != 0x31`), out of volume (0x40), partially in
 * volume (0x80), else ok.
 */
export function toolState(h: NdiHandleReport): ToolState {
  if (h.status === 'disabled') return 'disabled';
  const s = h.portStatus ?? 0;
  if (h.status === 'missing' || (s & 0x31) !== 0x31) return 'missing';
  if (s & PORT_STATUS.outOfVolume) return 'out-of-volume';
  if (s & PORT_STATUS.partiallyInVolume) return 'partially-in-volume';
  return 'ok';
}
