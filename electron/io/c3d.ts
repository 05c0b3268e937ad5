/**
 * C3D (the biomechanics exchange format) reader and writer, after C3D.org's
 * "The C3D File Format User Guide" (Motion Lab Systems, 2008):
 *
 * - a 512-byte header (block 1): parameter-section pointer (byte 1) and key
 *   0x50 (byte 2); 16-bit words for the point count, analog samples per frame
 *   (all channels), first and last frame (1-based), maximum interpolation gap,
 *   the scale factor (float; negative: the data are floats), the first data
 *   block, analog samples per frame per channel and the frame rate; 18 header
 *   events (times in s, display flags, 4-character labels) in words 150–234;
 * - the parameter section (from the header's block): 4 bytes (reserved, 0x50,
 *   number of blocks, processor type 84 Intel / 85 DEC / 86 MIPS), then group
 *   and parameter records: name length (negative: locked), group id (negative:
 *   a group record; positive: a parameter of that group), name, a 16-bit
 *   pointer to the next record (0: the last), then for a group its
 *   description, for a parameter its type (−1 char, 1 byte, 2 int16, 4 float),
 *   dimensions (0–7, each 0–255, first varying fastest) and data, and its
 *   description;
 * - the data section (from POINT:DATA_START / header word 9): per frame, each
 *   point's x, y, z and a residual word (high byte: camera mask, low byte:
 *   residual in units of |scale factor|, negative: the point is invalid), then
 *   the analog samples (for each sub-sample, every channel), as int16 scaled
 *   by the point scale factor, or as float32 (scale factor < 0).
 *
 * Processor types: Intel (little endian, IEEE floats), DEC (little-endian
 * integers, VAX F floats: word-swapped, exponent bias 128, so IEEE × 4), MIPS
 * (big endian, IEEE floats). Analog values are converted to physical units as
 * (raw − ANALOG:OFFSET[c]) × ANALOG:SCALE[c] × ANALOG:GEN_SCALE (offsets read
 * unsigned when ANALOG:FORMAT is UNSIGNED, as the integer samples then are).
 * Labels, descriptions, units, scales and offsets continue in LABELS2,
 * LABELS3… beyond 255 entries. More than 65535 frames: TRIAL:ACTUAL_START_FIELD
 * and ACTUAL_END_FIELD (two 16-bit words each, low word first) hold the
 * frame numbers.
 *
 * Pure TypeScript over Uint8Array; node:fs only in `readC3dFile`/`writeC3dFile`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../contract/errors.js';

export type C3dProcessor = 'intel' | 'dec' | 'mips';
export type C3dParamType = 'char' | 'byte' | 'int16' | 'float';

/**
 * One parameter. `values`: for `char`, the strings (dims[0] characters each, trailing spaces and NULs removed; one
 * string per combination of the other dimensions, or one string for 0 or 1 dimensions); for the numeric types the
 * numbers in file order (first dimension fastest), int16 and byte signed as stored.
 */
export interface C3dParam {
  name: string;
  type: C3dParamType;
  dims: number[];
  values: string[] | number[];
  description: string;
  locked: boolean;
}

/** A parameter group: `id` (positive; stored negated in the file), its parameters by name in file order. */
export interface C3dGroup {
  id: number;
  name: string;
  description: string;
  locked: boolean;
  params: Record<string, C3dParam>;
}

/** A header event (the 18 slots of header words 150–234): time in seconds, display flag byte as stored, label. */
export interface C3dHeaderEvent {
  label: string;
  timeS: number;
  displayFlag: number;
}

/** The header as stored (frame numbers 1-based, `frameRateHz` of the points, scale factor with its sign). */
export interface C3dHeader {
  processor: C3dProcessor;
  /** 1-based block of the parameter section, and its number of blocks. */
  parameterBlock: number;
  parameterBlocks: number;
  pointCount: number;
  /** Analog channels (header word 3 / word 10). */
  analogChannels: number;
  analogSamplesPerFrame: number;
  /** First and last frame: the header's words, or TRIAL:ACTUAL_START_FIELD/END_FIELD when present. */
  firstFrame: number;
  lastFrame: number;
  maxInterpolationGap: number;
  /** Point scale factor: negative when the data are float32 (its magnitude scales residuals). */
  scaleFactor: number;
  dataStartBlock: number;
  frameRateHz: number;
  /** Header word 150 holds 0x3039: event labels of 4 characters. */
  fourCharEventLabels: boolean;
  events: C3dHeaderEvent[];
}

/** An event of the trial, from the header or the EVENT group; `frame` = round(timeS × point rate) + 1. */
export interface C3dEvent {
  source: 'header' | 'EVENT';
  label: string;
  context: string;
  description: string;
  timeS: number;
  frame: number;
}

/** A decoded C3D file. */
export interface C3dFile {
  header: C3dHeader;
  /** Groups by name (as stored, in file order of first appearance). */
  groups: Record<string, C3dGroup>;
  frameCount: number;
  pointCount: number;
  analogCount: number;
  /** Analog samples per channel: frameCount × analogSamplesPerFrame. */
  analogSamples: number;
  /**
   * [frame][point][x, y, z, residual] row-major, length frameCount × pointCount × 4; coordinates in POINT:UNITS
   * (usually mm) as stored (invalid points keep their stored coordinates), residual in the same unit, −1 when the
   * point is invalid (negative residual word).
   */
  points: Float32Array;
  /** [frame][point]: the camera mask (high byte of the residual word; 0 for invalid points). */
  cameraMasks: Uint8Array;
  /** [channel][sample] row-major, length analogCount × analogSamples, in physical units (ANALOG:UNITS, e.g. V). */
  analogs: Float64Array;
  labels: { points: string[]; analogs: string[] };
  descriptions: { points: string[]; analogs: string[] };
  units: { points: string; analogs: string[] };
  /** Point (frame) rate and analog rate in Hz. */
  rates: { pointHz: number; analogHz: number };
  events: C3dEvent[];
}

const PROC_CODE: Record<C3dProcessor, number> = { intel: 84, dec: 85, mips: 86 };
const TYPE_CODE: Record<C3dParamType, number> = { char: -1, byte: 1, int16: 2, float: 4 };
const TYPE_OF: Record<number, C3dParamType> = { [-1]: 'char', 1: 'byte', 2: 'int16', 4: 'float' };
const BLOCK = 512;

const bad = (name: string, code: 'IMPORT_BAD_HEADER' | 'IMPORT_TRUNCATED' | 'IMPORT_UNSUPPORTED' | 'IMPORT_TOO_LARGE', why: string): AppError =>
  new AppError(code, `${name}: ${why}`, { file: name });

/** VAX F float (two little-endian 16-bit words: sign, 8-bit exponent biased 128, 0.1f mantissa) to a number. */
export function decToNumber(b0: number, b1: number, b2: number, b3: number): number {
  const w0 = b0 | (b1 << 8);
  const exp = (w0 >> 7) & 0xff;
  if (exp === 0) return 0;
  const frac = ((w0 & 0x7f) << 16) | b2 | (b3 << 8);
  const v = (0.5 + frac / 0x1000000) * Math.pow(2, exp - 128);
  return Math.fround(w0 & 0x8000 ? -v : v);
}

/**
 * A number (rounded to float32) as VAX F bytes; 0 for values below the VAX range (|v| < 2^−128).
 * @throws AppError BAD_REQUEST for NaN, infinities and |v| ≥ 2^127 (not representable)
 */
export function numberToDec(value: number): [number, number, number, number] {
  const v = Math.fround(value);
  if (!Number.isFinite(v)) throw new AppError('BAD_REQUEST', `C3D (DEC): ${v} cannot be stored as a VAX F float`);
  if (v === 0) return [0, 0, 0, 0];
  const a = Math.abs(v);
  let e = Math.floor(Math.log2(a)) + 1;
  let m = a / Math.pow(2, e);
  while (m >= 1) ((m /= 2), e++);
  while (m < 0.5) ((m *= 2), e--);
  let exp = e + 128;
  let frac = Math.round(m * 0x1000000) - 0x800000;
  if (frac >= 0x800000) ((frac = 0), exp++);
  if (exp > 255) throw new AppError('BAD_REQUEST', `C3D (DEC): ${v} is beyond the VAX F float range`);
  if (exp < 1) return [0, 0, 0, 0];
  const w0 = (v < 0 ? 0x8000 : 0) | (exp << 7) | (frac >> 16);
  return [w0 & 0xff, w0 >> 8, frac & 0xff, (frac >> 8) & 0xff];
}

/** Reads numbers of a processor type from bytes. */
class Reader {
  readonly dv: DataView;
  readonly le: boolean;
  constructor(
    readonly b: Uint8Array,
    readonly proc: C3dProcessor,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.le = proc !== 'mips';
  }
  i8 = (o: number): number => this.dv.getInt8(o);
  u8 = (o: number): number => this.b[o]!;
  i16 = (o: number): number => this.dv.getInt16(o, this.le);
  u16 = (o: number): number => this.dv.getUint16(o, this.le);
  f32 = (o: number): number => (this.proc === 'dec' ? decToNumber(this.b[o]!, this.b[o + 1]!, this.b[o + 2]!, this.b[o + 3]!) : this.dv.getFloat32(o, this.le));
  str = (o: number, n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.b[o + i]!);
    return s;
  };
}

const trimC3d = (s: string): string => s.replace(/[\s\0]+$/, '');
const product = (dims: number[]): number => dims.reduce((a, d) => a * d, 1);

/** Case-insensitive parameter lookup. */
export function c3dParam(groups: Record<string, C3dGroup>, group: string, name: string): C3dParam | undefined {
  const G = group.toUpperCase();
  const N = name.toUpperCase();
  for (const g of Object.values(groups)) if (g.name.toUpperCase() === G) for (const p of Object.values(g.params)) if (p.name.toUpperCase() === N) return p;
  return undefined;
}

/** Values of a parameter and its continuations (NAME, NAME2, NAME3…), concatenated. */
function continued(groups: Record<string, C3dGroup>, group: string, name: string): (string | number)[] {
  const out: (string | number)[] = [];
  const first = c3dParam(groups, group, name);
  if (!first) return out;
  out.push(...first.values);
  for (let k = 2; ; k++) {
    const p = c3dParam(groups, group, `${name}${k}`);
    if (!p) break;
    out.push(...p.values);
  }
  return out;
}

const strings = (groups: Record<string, C3dGroup>, group: string, name: string, n: number): string[] => {
  const v = continued(groups, group, name).map((x) => String(x));
  return Array.from({ length: n }, (_, i) => v[i] ?? '');
};

const num = (p: C3dParam | undefined, i = 0): number | undefined => (p && p.type !== 'char' ? (p.values[i] as number | undefined) : undefined);

/** Per-channel analog scaling: physical = (raw − offset[c]) × scale[c] × gen. */
export interface AnalogScaling {
  offset: number[];
  scale: number[];
  gen: number;
  unsigned: boolean;
}

/** ANALOG:OFFSET/SCALE/GEN_SCALE (and OFFSET2…, SCALE2…) for `n` channels; missing entries: offset 0, scale 1. */
export function analogScaling(groups: Record<string, C3dGroup>, n: number): AnalogScaling {
  const format = c3dParam(groups, 'ANALOG', 'FORMAT');
  const unsigned = !!format && format.type === 'char' && String(format.values[0] ?? '').toUpperCase() === 'UNSIGNED';
  const offs = continued(groups, 'ANALOG', 'OFFSET') as number[];
  const scales = continued(groups, 'ANALOG', 'SCALE') as number[];
  const gen = num(c3dParam(groups, 'ANALOG', 'GEN_SCALE')) ?? 1;
  const offset = Array.from({ length: n }, (_, i) => {
    const o = Number(offs[i] ?? 0);
    return unsigned && o < 0 ? o + 65536 : o;
  });
  const scale = Array.from({ length: n }, (_, i) => Number(scales[i] ?? 1));
  return { offset, scale, gen, unsigned };
}

/**
 * Decodes C3D bytes.
 * @param name the file's name for error messages
 * @returns the header, parameter groups, points [frames × points × 4] and analogs [channels × samples] in
 *   physical units, labels, units, rates (Hz) and events (seconds)
 * @throws AppError IMPORT_TRUNCATED (shorter than its header, parameter section or data), IMPORT_BAD_HEADER (no
 *   0x50 key, parameter-block or record pointer out of range, unknown parameter type, absurd frame count),
 *   IMPORT_UNSUPPORTED (unknown processor type); each message names the file and the reason
 */
export function readC3d(bytes: Uint8Array, name = 'C3D data'): C3dFile {
  const len = bytes.length;
  if (len < BLOCK) throw bad(name, 'IMPORT_TRUNCATED', `only ${len} bytes: shorter than the 512-byte C3D header; the file is truncated or not a C3D file`);
  if (bytes[1] !== 0x50) throw bad(name, 'IMPORT_BAD_HEADER', `not a C3D file (byte 2 of the header is 0x${bytes[1]!.toString(16)}, not the key 0x50)`);
  const parameterBlock = bytes[0]!;
  const blocks = Math.ceil(len / BLOCK);
  if (parameterBlock < 2 || (parameterBlock - 1) * BLOCK + 4 > len)
    throw bad(
      name,
      'IMPORT_BAD_HEADER',
      `parameter-block pointer ${parameterBlock} is out of range (the file has ${blocks} blocks of 512 bytes; the parameters start at block 2 or later)`,
    );
  const p0 = (parameterBlock - 1) * BLOCK;
  const procByte = bytes[p0 + 3]!;
  const proc = (['intel', 'dec', 'mips'] as const)[procByte - 84];
  if (!proc) throw bad(name, 'IMPORT_UNSUPPORTED', `unknown processor type ${procByte} in the parameter section (84 Intel, 85 DEC or 86 MIPS expected)`);
  const r = new Reader(bytes, proc);

  // Parameter section
  const recs: { gid: number; group?: C3dGroup; param?: C3dParam }[] = [];
  let o = p0 + 4;
  const need = (end: number, what: string): void => {
    if (end > len) throw bad(name, 'IMPORT_TRUNCATED', `the parameter section ends early (${what} runs past the end of the file at byte ${len})`);
  };
  for (;;) {
    need(o + 2, 'a record');
    const nameLen = r.i8(o);
    const gid = r.i8(o + 1);
    if (nameLen === 0 || gid === 0) break;
    const n = Math.abs(nameLen);
    need(o + 4 + n, 'a record name');
    const pname = r.str(o + 2, n);
    const offPos = o + 2 + n;
    const next = r.i16(offPos);
    let q = offPos + 2;
    if (gid < 0) {
      need(q + 1, `group ${pname}`);
      const dl = r.u8(q);
      need(q + 1 + dl, `group ${pname}`);
      recs.push({ gid: -gid, group: { id: -gid, name: pname, description: r.str(q + 1, dl), locked: nameLen < 0, params: {} } });
    } else {
      need(q + 2, `parameter ${pname}`);
      const type = TYPE_OF[r.i8(q)];
      if (!type) throw bad(name, 'IMPORT_BAD_HEADER', `parameter ${pname} has an unknown data type ${r.i8(q)} (−1, 1, 2 or 4 expected)`);
      const nd = r.u8(q + 1);
      need(q + 2 + nd, `parameter ${pname}`);
      const dims = Array.from({ length: nd }, (_, i) => r.u8(q + 2 + i));
      q += 2 + nd;
      const size = Math.abs(TYPE_CODE[type]);
      const count = product(dims);
      need(q + count * size + 1, `parameter ${pname}'s data`);
      let values: string[] | number[];
      if (type === 'char') {
        const w = nd === 0 ? 1 : dims[0]!;
        const m = nd <= 1 ? 1 : product(dims.slice(1));
        values = Array.from({ length: m }, (_, i) => trimC3d(r.str(q + i * w, w)));
      } else if (type === 'byte') values = Array.from({ length: count }, (_, i) => r.i8(q + i));
      else if (type === 'int16') values = Array.from({ length: count }, (_, i) => r.i16(q + 2 * i));
      else values = Array.from({ length: count }, (_, i) => r.f32(q + 4 * i));
      q += count * size;
      const dl = r.u8(q);
      need(q + 1 + dl, `parameter ${pname}'s description`);
      recs.push({ gid, param: { name: pname, type, dims, values, description: r.str(q + 1, dl), locked: nameLen < 0 } });
    }
    if (next === 0) break;
    const nextO = offPos + next;
    if (next < 0) throw bad(name, 'IMPORT_BAD_HEADER', `the pointer after parameter record ${pname} (${next}) points backwards`);
    if (nextO >= len)
      throw bad(
        name,
        'IMPORT_TRUNCATED',
        `the parameter section ends early (the record after ${pname} would start at byte ${nextO}, past the end of the file at ${len})`,
      );
    o = nextO;
  }
  const byId = new Map<number, C3dGroup>();
  for (const rec of recs) if (rec.group && !byId.has(rec.gid)) byId.set(rec.gid, rec.group);
  const groups: Record<string, C3dGroup> = {};
  const groupOf = (gid: number): C3dGroup => {
    let g = byId.get(gid);
    if (!g) byId.set(gid, (g = { id: gid, name: `GROUP${gid}`, description: '', locked: false, params: {} }));
    if (!(g.name in groups)) groups[g.name] = g;
    return g;
  };
  for (const rec of recs) {
    const g = groupOf(rec.gid);
    if (rec.param) g.params[rec.param.name] = rec.param;
  }

  // Header (in the processor's byte order)
  const pointCount = r.u16(2);
  const analogTotal = r.u16(4);
  let firstFrame = r.u16(6);
  let lastFrame = r.u16(8);
  const maxInterpolationGap = r.u16(10);
  const scaleFactor = r.f32(12);
  const dataStartBlock = r.u16(16);
  const analogSamplesPerFrame = r.u16(18);
  let frameRateHz = r.f32(20);
  const analogChannels = analogSamplesPerFrame > 0 ? Math.floor(analogTotal / analogSamplesPerFrame) : 0;
  const fourCharEventLabels = r.u16(298) === 0x3039;
  const nEvents = Math.min(18, r.u16(300));
  const headerEvents: C3dHeaderEvent[] = Array.from({ length: nEvents }, (_, i) => ({
    timeS: r.f32(304 + 4 * i),
    displayFlag: r.u8(376 + i),
    label: trimC3d(r.str(396 + 4 * i, 4)),
  }));

  // Frames: TRIAL:ACTUAL_*_FIELD (32-bit, low word first) beyond 65535
  const ts = c3dParam(groups, 'TRIAL', 'ACTUAL_START_FIELD');
  const te = c3dParam(groups, 'TRIAL', 'ACTUAL_END_FIELD');
  const u32 = (p: C3dParam): number => ((num(p, 0) ?? 0) & 0xffff) + ((num(p, 1) ?? 0) & 0xffff) * 65536;
  if (ts && te && ts.type === 'int16' && te.type === 'int16' && ts.values.length >= 2 && te.values.length >= 2) {
    firstFrame = u32(ts);
    lastFrame = u32(te);
  }
  let frameCount = pointCount === 0 && analogTotal === 0 && lastFrame === 0 ? 0 : lastFrame - firstFrame + 1;
  if (!(ts && te) && lastFrame === 65535) {
    const pf = c3dParam(groups, 'POINT', 'FRAMES');
    const f = pf?.type === 'int16' ? (num(pf) ?? 0) & 0xffff : (num(pf) ?? 0);
    if (f > frameCount) frameCount = f;
  }
  if (frameCount < 0) throw bad(name, 'IMPORT_BAD_HEADER', `the last frame (${lastFrame}) comes before the first (${firstFrame})`);
  if (!(frameRateHz > 0)) frameRateHz = num(c3dParam(groups, 'POINT', 'RATE')) ?? 0;

  // Data section
  const isFloat = scaleFactor < 0;
  const vb = isFloat ? 4 : 2;
  const frameBytes = (pointCount * 4 + analogTotal) * vb;
  if (dataStartBlock <= parameterBlock || (dataStartBlock - 1) * BLOCK > len)
    throw bad(name, 'IMPORT_BAD_HEADER', `the data-section pointer (block ${dataStartBlock}) is out of range (the file has ${blocks} blocks)`);
  const d0 = (dataStartBlock - 1) * BLOCK;
  const available = len - d0;
  const needBytes = frameCount * frameBytes;
  if (needBytes > available) {
    if (needBytes > 16 * available + 1048576 || needBytes > 2 ** 32)
      throw bad(
        name,
        'IMPORT_BAD_HEADER',
        `absurd frame count ${frameCount} (frames ${firstFrame}–${lastFrame}): it needs ${needBytes} bytes of data, the file holds ${available} after its data start`,
      );
    throw bad(
      name,
      'IMPORT_TRUNCATED',
      `the data section ends early: ${frameCount} frames need ${needBytes} bytes, the file holds ${available} (${Math.floor(available / frameBytes)} whole frames); the file is truncated`,
    );
  }
  const absScale = Math.abs(scaleFactor);
  const points = new Float32Array(frameCount * pointCount * 4);
  const cameraMasks = new Uint8Array(frameCount * pointCount);
  const analogSamples = frameCount * analogSamplesPerFrame;
  const analogs = new Float64Array(analogChannels * analogSamples);
  const sc = analogScaling(groups, analogChannels);
  const rawInt = sc.unsigned ? r.u16 : r.i16;
  for (let f = 0; f < frameCount; f++) {
    let q = d0 + f * frameBytes;
    for (let p = 0; p < pointCount; p++) {
      const k = (f * pointCount + p) * 4;
      let word: number;
      if (isFloat) {
        points[k] = r.f32(q);
        points[k + 1] = r.f32(q + 4);
        points[k + 2] = r.f32(q + 8);
        const w = r.f32(q + 12);
        word = w < 0 ? -1 : Math.min(65535, Math.round(w));
        q += 16;
      } else {
        points[k] = r.i16(q) * scaleFactor;
        points[k + 1] = r.i16(q + 2) * scaleFactor;
        points[k + 2] = r.i16(q + 4) * scaleFactor;
        word = r.i16(q + 6);
        q += 8;
      }
      if (word < 0) points[k + 3] = -1;
      else {
        points[k + 3] = (word & 0xff) * absScale;
        cameraMasks[f * pointCount + p] = (word >> 8) & 0xff;
      }
    }
    for (let s = 0; s < analogSamplesPerFrame; s++) {
      const sample = f * analogSamplesPerFrame + s;
      for (let c = 0; c < analogChannels; c++) {
        const raw = isFloat ? r.f32(q) : rawInt(q);
        q += vb;
        analogs[c * analogSamples + sample] = (raw - sc.offset[c]!) * sc.scale[c]! * sc.gen;
      }
    }
  }

  const analogHz = analogSamplesPerFrame * frameRateHz || (num(c3dParam(groups, 'ANALOG', 'RATE')) ?? 0);
  const pu = c3dParam(groups, 'POINT', 'UNITS');
  const events: C3dEvent[] = headerEvents.map((e) => ({
    source: 'header',
    label: e.label,
    context: '',
    description: '',
    timeS: e.timeS,
    frame: Math.round(e.timeS * frameRateHz) + 1,
  }));
  const used = num(c3dParam(groups, 'EVENT', 'USED')) ?? 0;
  const times = (c3dParam(groups, 'EVENT', 'TIMES')?.values ?? []) as number[];
  const eLabels = strings(groups, 'EVENT', 'LABELS', used);
  const eContexts = strings(groups, 'EVENT', 'CONTEXTS', used);
  const eDescs = strings(groups, 'EVENT', 'DESCRIPTIONS', used);
  for (let i = 0; i < used; i++) {
    const timeS = (times[2 * i] ?? 0) * 60 + (times[2 * i + 1] ?? 0);
    events.push({ source: 'EVENT', label: eLabels[i]!, context: eContexts[i]!, description: eDescs[i]!, timeS, frame: Math.round(timeS * frameRateHz) + 1 });
  }
  const header: C3dHeader = {
    processor: proc,
    parameterBlock,
    parameterBlocks: bytes[p0 + 2]!,
    pointCount,
    analogChannels,
    analogSamplesPerFrame,
    firstFrame,
    lastFrame,
    maxInterpolationGap,
    scaleFactor,
    dataStartBlock,
    frameRateHz,
    fourCharEventLabels,
    events: headerEvents,
  };
  return {
    header,
    groups,
    frameCount,
    pointCount,
    analogCount: analogChannels,
    analogSamples,
    points,
    cameraMasks,
    analogs,
    labels: { points: strings(groups, 'POINT', 'LABELS', pointCount), analogs: strings(groups, 'ANALOG', 'LABELS', analogChannels) },
    descriptions: { points: strings(groups, 'POINT', 'DESCRIPTIONS', pointCount), analogs: strings(groups, 'ANALOG', 'DESCRIPTIONS', analogChannels) },
    units: { points: pu && pu.type === 'char' ? String(pu.values[0] ?? '') : '', analogs: strings(groups, 'ANALOG', 'UNITS', analogChannels) },
    rates: { pointHz: frameRateHz, analogHz },
    events,
  };
}

/**
 * Reads a C3D file (see `readC3d`).
 * @throws AppError NOT_FOUND / IMPORT_BAD_HEADER when the file cannot be read, and readC3d's errors naming the file
 */
export function readC3dFile(file: string): C3dFile {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'IMPORT_BAD_HEADER';
    throw new AppError(code, `${path.basename(file)}: cannot read (${(e as Error).message})`, { file });
  }
  return readC3d(bytes, path.basename(file));
}

/** Writes numbers of a processor type into a growing byte buffer. */
class Writer {
  private buf: Uint8Array;
  private dv: DataView;
  length = 0;
  private readonly le: boolean;
  constructor(
    readonly proc: C3dProcessor,
    size = 4096,
  ) {
    this.buf = new Uint8Array(size);
    this.dv = new DataView(this.buf.buffer);
    this.le = proc !== 'mips';
  }
  private room(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      const b = new Uint8Array(Math.max(this.buf.length * 2, at + n));
      b.set(this.buf);
      this.buf = b;
      this.dv = new DataView(b.buffer);
    }
    this.length += n;
    return at;
  }
  u8(v: number): void {
    this.buf[this.room(1)] = v & 0xff;
  }
  i16(v: number): void {
    this.dv.setUint16(this.room(2), v & 0xffff, this.le);
  }
  i16At(at: number, v: number): void {
    this.dv.setUint16(at, v & 0xffff, this.le);
  }
  f32(v: number): void {
    const at = this.room(4);
    if (this.proc === 'dec') this.buf.set(numberToDec(v), at);
    else this.dv.setFloat32(at, v, this.le);
  }
  f32At(at: number, v: number): void {
    if (this.proc === 'dec') this.buf.set(numberToDec(v), at);
    else this.dv.setFloat32(at, v, this.le);
  }
  str(s: string, width: number): void {
    const at = this.room(width);
    for (let i = 0; i < width; i++) this.buf[at + i] = i < s.length ? s.charCodeAt(i) & 0xff : 0x20;
  }
  pad(block: number): void {
    const n = (block - (this.length % block)) % block;
    this.room(n);
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** What `writeC3d` needs: a `C3dFile` (as read, or built) satisfies it. */
export interface C3dWritable {
  header: Pick<C3dHeader, 'firstFrame' | 'maxInterpolationGap' | 'scaleFactor' | 'analogSamplesPerFrame' | 'frameRateHz' | 'events' | 'fourCharEventLabels'>;
  groups: Record<string, C3dGroup>;
  frameCount: number;
  pointCount: number;
  analogCount: number;
  /** [frame][point][x, y, z, residual] (residual −1: invalid). */
  points: Float32Array;
  /** [frame][point] camera masks; zeros when absent. */
  cameraMasks?: Uint8Array;
  /** [channel][sample] in physical units. */
  analogs: Float64Array;
}

const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);
/** The float32 `steps` representable values away from `x` (a float32). */
function f32Step(x: number, steps: number): number {
  F32[0] = x;
  if (x === 0) {
    I32[0] = Math.abs(steps);
    return steps < 0 ? -F32[0] : F32[0];
  }
  I32[0] = I32[0]! + (x > 0 ? steps : -steps);
  return F32[0];
}

/**
 * The float32 raw value that reads back as `phys` through (raw − offset) × scale × gen (exactly when one exists: the
 * value, its integer rounding and their float32 neighbours are tried; otherwise the nearest).
 */
function rawFor(phys: number, off: number, scale: number, gen: number): number {
  const back = (r: number): number => (r - off) * scale * gen;
  if (scale * gen === 0) return 0;
  const x = phys / scale / gen + off;
  const r0 = Math.fround(x);
  if (back(r0) === phys) return r0;
  const cands = [Math.fround(Math.round(x)), ...[-2, -1, 1, 2].map((k) => f32Step(r0, k))];
  let best = r0;
  for (const c of cands) {
    if (back(c) === phys) return c;
    if (Math.abs(back(c) - phys) < Math.abs(back(best) - phys)) best = c;
  }
  return best;
}

const cloneGroups = (groups: Record<string, C3dGroup>): Record<string, C3dGroup> =>
  Object.fromEntries(
    Object.entries(groups).map(([k, g]) => [
      k,
      {
        ...g,
        params: Object.fromEntries(Object.entries(g.params).map(([n, p]) => [n, { ...p, dims: [...p.dims], values: [...p.values] as string[] | number[] }])),
      },
    ]),
  );

/** Sets (or adds) a numeric parameter, keeping its description, lock and, when it holds the values, its type. */
function setParam(groups: Record<string, C3dGroup>, group: string, name: string, type: 'int16' | 'float', values: number[]): void {
  let g = Object.values(groups).find((x) => x.name.toUpperCase() === group);
  if (!g) {
    const id = Math.max(0, ...Object.values(groups).map((x) => x.id)) + 1;
    g = groups[group] = { id, name: group, description: '', locked: false, params: {} };
  }
  const old = Object.values(g.params).find((p) => p.name.toUpperCase() === name);
  const t =
    old && old.type === 'float' ? 'float' : type === 'int16' && values.every((v) => Number.isInteger(v) && v >= -32768 && v <= 65535) ? 'int16' : 'float';
  const vals = t === 'int16' ? values.map((v) => (v > 32767 ? v - 65536 : v)) : values.map((v) => Math.fround(v));
  const dims =
    old && old.dims.length === 0 && vals.length === 1 ? [] : old && product(old.dims) === vals.length ? old.dims : vals.length === 1 ? [] : [vals.length];
  g.params[old?.name ?? name] = { name: old?.name ?? name, type: t, dims, values: vals, description: old?.description ?? '', locked: old?.locked ?? false };
}

/** Dimensions that hold a char parameter's strings (first dimension widened to the longest string). */
function charDims(p: C3dParam): number[] {
  const vals = p.values as string[];
  const longest = Math.max(0, ...vals.map((s) => s.length));
  if (p.dims.length === 0) return longest <= 1 && vals.length <= 1 ? [] : [longest];
  const w = Math.max(p.dims[0]!, longest);
  if (p.dims.length === 1) return [w];
  if (product(p.dims.slice(1)) === vals.length) return [w, ...p.dims.slice(1)];
  return [w, vals.length];
}

/**
 * Encodes a C3D file: float data (scale factor −|header.scaleFactor|, or −1 when it is 0), the given processor type
 * (default Intel), parameter section from block 2, data after it, padded to 512-byte blocks. The groups are written as
 * given except POINT:USED/FRAMES/SCALE/RATE/DATA_START, ANALOG:USED/RATE and (beyond 65535 frames, or when present)
 * TRIAL:ACTUAL_START_FIELD/END_FIELD, which are set from the data. Analogs are stored as the float32 raw values that
 * read back as the given physical values through ANALOG:OFFSET/SCALE/GEN_SCALE. Reading the result gives the same
 * groups (but for those set here), points, camera masks, analogs and events.
 * @throws AppError BAD_REQUEST for arrays of the wrong length, names over 127 or descriptions over 255 characters,
 *   dimensions over 255 (split LABELS into LABELS2…), values a DEC float cannot hold
 */
export function writeC3d(c3d: C3dWritable, opts: { processor?: C3dProcessor } = {}): Uint8Array {
  const proc = opts.processor ?? 'intel';
  const { frameCount: nf, pointCount: np, analogCount: na } = c3d;
  const spf = na > 0 ? c3d.header.analogSamplesPerFrame : 0;
  const ns = nf * spf;
  const fail = (why: string): AppError => new AppError('BAD_REQUEST', `C3D write: ${why}`);
  if (c3d.points.length !== nf * np * 4) throw fail(`points hold ${c3d.points.length} values, ${nf} frames × ${np} points × 4 expected`);
  if (c3d.analogs.length !== na * ns) throw fail(`analogs hold ${c3d.analogs.length} values, ${na} channels × ${ns} samples expected`);
  if (c3d.cameraMasks && c3d.cameraMasks.length !== nf * np) throw fail(`cameraMasks hold ${c3d.cameraMasks.length} values, ${nf * np} expected`);
  if (na > 0 && spf < 1) throw fail('analog channels need analogSamplesPerFrame ≥ 1');
  const absScale = Math.abs(c3d.header.scaleFactor) || 1;
  const rate = c3d.header.frameRateHz;
  const first = Math.max(1, c3d.header.firstFrame);
  const last = first + nf - 1;

  const groups = cloneGroups(c3d.groups);
  setParam(groups, 'POINT', 'USED', 'int16', [np]);
  setParam(groups, 'POINT', 'FRAMES', nf > 65535 ? 'float' : 'int16', [nf]);
  setParam(groups, 'POINT', 'SCALE', 'float', [-absScale]);
  setParam(groups, 'POINT', 'RATE', 'float', [rate]);
  setParam(groups, 'POINT', 'DATA_START', 'int16', [0]);
  setParam(groups, 'ANALOG', 'USED', 'int16', [na]);
  setParam(groups, 'ANALOG', 'RATE', 'float', [rate * spf]);
  if (last > 65535 || c3dParam(groups, 'TRIAL', 'ACTUAL_START_FIELD') || c3dParam(groups, 'TRIAL', 'ACTUAL_END_FIELD')) {
    setParam(groups, 'TRIAL', 'ACTUAL_START_FIELD', 'int16', [first & 0xffff, Math.floor(first / 65536)]);
    setParam(groups, 'TRIAL', 'ACTUAL_END_FIELD', 'int16', [last & 0xffff, Math.floor(last / 65536)]);
  }

  // Parameter section (block 2 on)
  const w = new Writer(proc, BLOCK * 8 + nf * (np * 4 + na * spf) * 4);
  w.length = BLOCK;
  const pstart = w.length;
  w.u8(1);
  w.u8(0x50);
  w.u8(0); // number of blocks, set below
  w.u8(PROC_CODE[proc]);
  const ids = new Set<number>();
  let lastNext = -1;
  let dataStartAt = -1;
  const nameOk = (n: string): string => {
    if (n.length < 1 || n.length > 127) throw fail(`name "${n}" must have 1 to 127 characters`);
    return n;
  };
  const desc = (d: string): void => {
    if (d.length > 255) throw fail(`description "${d.slice(0, 20)}…" is over 255 characters`);
    w.u8(d.length);
    w.str(d, d.length);
  };
  for (const g of Object.values(groups)) {
    let id = g.id;
    if (!(id >= 1 && id <= 127) || ids.has(id)) for (id = 1; ids.has(id);) id++;
    ids.add(id);
    const gn = nameOk(g.name);
    w.u8(g.locked ? -gn.length : gn.length);
    w.u8(-id);
    w.str(gn, gn.length);
    lastNext = w.length;
    w.i16(0);
    desc(g.description);
    w.i16At(lastNext, w.length - lastNext);
    for (const p of Object.values(g.params)) {
      const pn = nameOk(p.name);
      w.u8(p.locked ? -pn.length : pn.length);
      w.u8(id);
      w.str(pn, pn.length);
      lastNext = w.length;
      w.i16(0);
      w.u8(TYPE_CODE[p.type]);
      const dims = p.type === 'char' ? charDims(p) : p.dims;
      if (dims.length > 7 || dims.some((d) => d > 255)) throw fail(`${g.name}:${p.name} has dimensions [${dims.join(', ')}] (at most 7, each ≤ 255)`);
      w.u8(dims.length);
      for (const d of dims) w.u8(d);
      if (p.type === 'char') {
        const width = dims.length === 0 ? 1 : dims[0]!;
        const m = dims.length <= 1 ? 1 : product(dims.slice(1));
        for (let i = 0; i < m; i++) w.str(String(p.values[i] ?? ''), width);
      } else {
        const vals = p.values as number[];
        if (vals.length !== product(dims)) throw fail(`${g.name}:${p.name} has ${vals.length} values for dimensions [${dims.join(', ')}]`);
        if (g.name.toUpperCase() === 'POINT' && p.name.toUpperCase() === 'DATA_START') dataStartAt = w.length;
        for (const v of vals) {
          if (p.type === 'byte') w.u8(v);
          else if (p.type === 'int16') w.i16(v);
          else w.f32(v);
        }
      }
      desc(p.description);
      w.i16At(lastNext, w.length - lastNext);
    }
  }
  if (lastNext >= 0) w.i16At(lastNext, 0);
  w.pad(BLOCK);
  const paramBlocks = (w.length - pstart) / BLOCK;
  if (paramBlocks > 255) throw fail(`the parameter section needs ${paramBlocks} blocks (at most 255)`);
  const dataStart = 2 + paramBlocks;
  // DATA_START now that the parameter section's size is known
  if (dataStartAt >= 0) {
    if (groups['POINT']?.params['DATA_START']?.type === 'float') w.f32At(dataStartAt, dataStart);
    else w.i16At(dataStartAt, dataStart);
  }

  // Data
  const sc = analogScaling(groups, na);
  const pts = c3d.points;
  for (let f = 0; f < nf; f++) {
    for (let p = 0; p < np; p++) {
      const k = (f * np + p) * 4;
      w.f32(pts[k]!);
      w.f32(pts[k + 1]!);
      w.f32(pts[k + 2]!);
      const res = pts[k + 3]!;
      const word = res < 0 ? -1 : ((c3d.cameraMasks?.[f * np + p] ?? 0) << 8) | Math.min(255, Math.round(res / absScale));
      w.f32(word);
    }
    for (let s = 0; s < spf; s++) {
      const sample = f * spf + s;
      for (let c = 0; c < na; c++) w.f32(rawFor(c3d.analogs[c * ns + sample]!, sc.offset[c]!, sc.scale[c]!, sc.gen));
    }
  }
  w.pad(BLOCK);

  // Header (block 1)
  const out = w.bytes();
  out[0] = 2;
  out[1] = 0x50;
  out[pstart + 2] = paramBlocks;
  const h = new Writer(proc, BLOCK);
  h.u8(2);
  h.u8(0x50);
  h.i16(np);
  h.i16(na * spf);
  h.i16(Math.min(first, 65535));
  h.i16(Math.min(last, 65535));
  h.i16(c3d.header.maxInterpolationGap);
  h.f32(-absScale);
  h.i16(dataStart);
  h.i16(spf);
  h.f32(rate);
  h.length = 294;
  h.i16(0); // word 148: no label/range section
  h.i16(0);
  const events = c3d.header.events.slice(0, 18);
  h.i16(c3d.header.fourCharEventLabels || events.length > 0 ? 0x3039 : 0);
  h.i16(events.length);
  h.i16(0);
  for (let i = 0; i < 18; i++) h.f32(events[i]?.timeS ?? 0);
  for (let i = 0; i < 18; i++) h.u8(events[i]?.displayFlag ?? 0);
  h.i16(0);
  for (let i = 0; i < 18; i++) h.str(events[i]?.label ?? '', 4);
  h.length = BLOCK;
  out.set(h.bytes(), 0);
  return out;
}

/**
 * Writes a C3D file (see `writeC3d`).
 * @throws AppError STORE_FAILED naming the file when it cannot be written, and writeC3d's errors
 */
export function writeC3dFile(file: string, c3d: C3dWritable, opts: { processor?: C3dProcessor } = {}): void {
  const bytes = writeC3d(c3d, opts);
  try {
    fs.writeFileSync(file, bytes);
  } catch (e) {
    throw new AppError('STORE_FAILED', `${path.basename(file)}: cannot write (${(e as Error).message})`, { file });
  }
}
