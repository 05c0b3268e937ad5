/**
 * PLUS sequence files (`.igs.mha` MetaImage, `.igs.nrrd` NRRD): a stack of
 * ultrasound frames (width × height × frames) with per-frame tracked-frame
 * fields in the header — `Seq_Frame0000_Timestamp`, `…_ProbeToTrackerTransform`
 * (16 numbers, row-major 4×4, mm), `…_ProbeToTrackerTransformStatus`
 * (OK/INVALID), `…_ImageStatus` — as written by PLUS (vtkPlusSequenceIO,
 * igsioMetaImageSequenceIO / igsioNrrdSequenceIO) and read by 3D Slicer's
 * Sequences module. Tracking-only files have 0 × 0 frames (no pixels).
 */
import fs from 'node:fs';
import zlib from 'node:zlib';

export type Matrix4 = number[];

export interface TrackedFrame {
  /** Seconds (the tracker/acquisition clock of the recording). */
  timestampS: number;
  /** Transform name (e.g. ProbeToTracker) → row-major 4×4 (mm) and status (OK, INVALID, …). */
  transforms: Record<string, { matrix: Matrix4; status: string }>;
  /** Other per-frame fields as written (ImageStatus, Status, custom fields). */
  fields: Record<string, string>;
}

export interface PlusSequence {
  /** Frame width and height in pixels (0 × 0 for tracking-only recordings). */
  width: number;
  height: number;
  /** Pixel type: ultrasound is uint8 (MET_UCHAR); depth frames uint16 (MET_USHORT, little endian). */
  elementType: 'uint8' | 'uint16';
  /** e.g. MFA, MF, UN (PLUS US_IMAGE_ORIENTATION), XX when there is no image. */
  imageOrientation: string;
  imageType: string;
  /**
   * Pixel size (mm) along x and y and the frame spacing, as the header's
   * ElementSpacing (MetaImage) or space directions (NRRD) say; absent when
   * they say 1 1 1 (PLUS writes that: its pixel size is in the ImageToProbe
   * calibration of the device-set configuration, not in the sequence file).
   */
  spacing?: [number, number, number];
  frames: TrackedFrame[];
  /** width·height·frames pixels as bytes (2 per uint16 pixel, little endian), frame after frame (empty without image). */
  pixels: Uint8Array;
}

export class PlusSequenceError extends Error {
  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'PlusSequenceError';
  }
}

const FRAME_KEY = /^Seq_Frame(\d+)_(.+)$/;

function framesFromFields(file: string, entries: [string, string][], count: number): TrackedFrame[] {
  const frames: TrackedFrame[] = Array.from({ length: count }, () => ({ timestampS: NaN, transforms: {}, fields: {} }));
  for (const [key, value] of entries) {
    const m = FRAME_KEY.exec(key);
    if (!m) continue;
    const i = Number(m[1]);
    const name = m[2]!;
    const f = frames[i];
    if (!f) throw new PlusSequenceError(file, `field ${key} names frame ${i} but the file has ${count} frames`);
    if (name === 'Timestamp') f.timestampS = Number(value);
    else if (name.endsWith('TransformStatus')) {
      const t = name.slice(0, -'TransformStatus'.length);
      (f.transforms[t] ??= { matrix: [], status: '' }).status = value.trim();
    } else if (name.endsWith('Transform')) {
      const t = name.slice(0, -'Transform'.length);
      const nums = value.trim().split(/\s+/).map(Number);
      if (nums.length !== 16 || nums.some((x) => !Number.isFinite(x))) throw new PlusSequenceError(file, `${key} is not 16 numbers`);
      (f.transforms[t] ??= { matrix: [], status: '' }).matrix = nums;
    } else f.fields[name] = value.trim();
  }
  frames.forEach((f, i) => {
    if (!Number.isFinite(f.timestampS)) throw new PlusSequenceError(file, `frame ${i} has no Seq_Frame${String(i).padStart(4, '0')}_Timestamp`);
    for (const [t, v] of Object.entries(f.transforms))
      if (v.matrix.length !== 16) throw new PlusSequenceError(file, `frame ${i}: ${t}TransformStatus without its transform`);
  });
  return frames;
}

function splitHeader(file: string, buf: Buffer, end: Buffer): { header: string; data: Buffer } {
  const at = buf.indexOf(end);
  if (at < 0) throw new PlusSequenceError(file, 'no end of header found (not a PLUS sequence file, or truncated)');
  return { header: buf.subarray(0, at + end.length).toString('latin1'), data: buf.subarray(at + end.length) };
}

/**
 * Reads a PLUS sequence file.
 * @param file path of a `.mha`/`.igs.mha` (MetaImage, LOCAL data, raw or zlib-compressed) or `.nrrd`/`.igs.nrrd` (raw or gzip) file
 * @throws PlusSequenceError naming the file and the reason (not 3D uint8, missing timestamps, truncated pixel data)
 */
export function readPlusSequence(file: string): PlusSequence {
  const buf = fs.readFileSync(file);
  if (buf.subarray(0, 4).toString('latin1') === 'NRRD') return readNrrdSequence(file, buf);
  const { header, data } = splitHeader(file, buf, Buffer.from('ElementDataFile = LOCAL\n'));
  const entries: [string, string][] = header
    .split(/\r?\n/)
    .filter((l) => l.includes('='))
    .map((l) => {
      const i = l.indexOf('=');
      return [l.slice(0, i).trim(), l.slice(i + 1).trim()];
    });
  const h = Object.fromEntries(entries.filter(([k]) => !FRAME_KEY.test(k)));
  const dims = (h['DimSize'] ?? '').split(/\s+/).map(Number);
  if (h['NDims'] !== '3' || dims.length !== 3) throw new PlusSequenceError(file, `a sequence is 3-dimensional (width height frames); NDims = ${h['NDims']}`);
  const [width, height, count] = dims as [number, number, number];
  const elementType = h['ElementType'] === 'MET_USHORT' ? 'uint16' : 'uint8';
  if (width * height > 0 && h['ElementType'] !== 'MET_UCHAR' && h['ElementType'] !== 'MET_USHORT')
    throw new PlusSequenceError(file, `only 8-bit (ultrasound) and 16-bit (depth) frames are supported, ElementType = ${h['ElementType']}`);
  if (elementType === 'uint16' && /true/i.test(h['BinaryDataByteOrderMSB'] ?? 'False'))
    throw new PlusSequenceError(file, 'big-endian 16-bit frames are not supported');
  if ((h['ElementNumberOfChannels'] ?? '1') !== '1') throw new PlusSequenceError(file, `only single-channel frames are supported`);
  const n = width * height * count;
  const raw = n > 0 ? (/true/i.test(h['CompressedData'] ?? 'False') ? inflate(file, data) : data) : null;
  const seq = sequenceOf(file, [width, height, count], elementType, raw, h['UltrasoundImageOrientation'], h['UltrasoundImageType'], entries);
  return withSpacing(seq, (h['ElementSpacing'] ?? '').split(/\s+/).map(Number));
}

/** Adds `spacing` when the header gives three positive numbers other than 1 1 1. */
function withSpacing(s: PlusSequence, sp: number[]): PlusSequence {
  if (sp.length !== 3 || sp.some((x) => !(x > 0) || !Number.isFinite(x)) || sp.every((x) => x === 1)) return s;
  return { ...s, spacing: sp as [number, number, number] };
}

/** Checks the pixel data's length and assembles the sequence (frames from the Seq_Frame fields). */
function sequenceOf(
  file: string,
  [width, height, count]: [number, number, number],
  elementType: PlusSequence['elementType'],
  raw: Uint8Array | null,
  orientation: string | undefined,
  imageType: string | undefined,
  entries: [string, string][],
): PlusSequence {
  const n = width * height * count * (elementType === 'uint16' ? 2 : 1);
  if (raw && raw.length < n)
    throw new PlusSequenceError(file, `pixel data holds ${raw.length} bytes, ${n} expected (${width}×${height}×${count} ${elementType})`);
  return {
    width,
    height,
    elementType,
    imageOrientation: orientation ?? 'UN',
    imageType: imageType ?? 'BRIGHTNESS',
    frames: framesFromFields(file, entries, count),
    pixels: raw ? new Uint8Array(raw.buffer, raw.byteOffset, n) : new Uint8Array(0),
  };
}

function inflate(file: string, data: Buffer): Buffer {
  try {
    return zlib.inflateSync(data);
  } catch (e) {
    throw new PlusSequenceError(file, `compressed pixel data cannot be inflated (${(e as Error).message})`);
  }
}

function readNrrdSequence(file: string, buf: Buffer): PlusSequence {
  const { header, data } = splitHeader(file, buf, Buffer.from('\n\n'));
  const lines = header.split(/\r?\n/).filter((l) => l && !l.startsWith('#') && !l.startsWith('NRRD'));
  const fields: [string, string][] = [];
  const h: Record<string, string> = {};
  for (const l of lines) {
    const kv = l.indexOf(':=');
    if (kv >= 0) fields.push([l.slice(0, kv), l.slice(kv + 2)]);
    else {
      const c = l.indexOf(':');
      if (c >= 0) h[l.slice(0, c).trim()] = l.slice(c + 1).trim();
    }
  }
  const sizes = (h['sizes'] ?? '').split(/\s+/).map(Number);
  if (h['dimension'] !== '3' || sizes.length !== 3) throw new PlusSequenceError(file, `a sequence is 3-dimensional; dimension = ${h['dimension']}`);
  const [width, height, count] = sizes as [number, number, number];
  const elementType = h['type'] === 'uint16' || h['type'] === 'unsigned short' ? 'uint16' : 'uint8';
  if (width * height > 0 && elementType === 'uint8' && h['type'] !== 'uint8' && h['type'] !== 'unsigned char')
    throw new PlusSequenceError(file, `only 8-bit (ultrasound) and 16-bit (depth) frames are supported, type = ${h['type']}`);
  if (elementType === 'uint16' && h['endian'] === 'big') throw new PlusSequenceError(file, 'big-endian 16-bit frames are not supported');
  let raw: Buffer | null = null;
  if (width * height * count > 0)
    try {
      raw = h['encoding'] === 'gz' || h['encoding'] === 'gzip' ? zlib.gunzipSync(data) : data;
    } catch (e) {
      throw new PlusSequenceError(file, `gzip pixel data cannot be read (${(e as Error).message})`);
    }
  const meta = Object.fromEntries(fields.filter(([k]) => !FRAME_KEY.test(k)));
  const seq = sequenceOf(file, [width, height, count], elementType, raw, meta['ultrasound image orientation'], meta['ultrasound image type'], fields);
  // space directions: (sx,0) (0,sy) none — the vectors' lengths
  const dirs = [...(h['space directions'] ?? '').matchAll(/\(([^)]*)\)/g)].map((m) => Math.hypot(...m[1]!.split(',').map(Number)));
  return dirs.length === 2 ? withSpacing(seq, [dirs[0]!, dirs[1]!, 1]) : seq;
}

/** One frame's pixels (a view: width·height bytes, or 2·width·height for uint16). */
export function framePixels(s: PlusSequence, i: number): Uint8Array {
  const n = s.width * s.height * (s.elementType === 'uint16' ? 2 : 1);
  return s.pixels.subarray(i * n, (i + 1) * n);
}

const num = (x: number): string => String(Number(x.toPrecision(12)));

type SequenceMeta = Pick<PlusSequence, 'width' | 'height' | 'elementType' | 'imageOrientation' | 'imageType' | 'frames' | 'spacing'>;

/**
 * The header of a PLUS sequence file (MetaImage or NRRD by `format`) for
 * pixel data that follows it: zlib/gzip-compressed when `compressedBytes`
 * is given (MetaImage needs the compressed size), raw otherwise.
 */
function sequenceHeader(format: 'mha' | 'nrrd', s: SequenceMeta, hasPixels: boolean, compressedBytes: number | null): string {
  const frameLines = (sep: string): string[] =>
    s.frames.flatMap((f, i) => {
      const p = `Seq_Frame${String(i).padStart(4, '0')}_`;
      return [
        ...Object.entries(f.transforms).flatMap(([t, v]) => [
          `${p}${t}Transform${sep}${v.matrix.map(num).join(' ')}`,
          `${p}${t}TransformStatus${sep}${v.status}`,
        ]),
        `${p}Timestamp${sep}${num(f.timestampS)}`,
        ...Object.entries(f.fields).map(([k, v]) => `${p}${k}${sep}${v}`),
      ];
    });
  const count = s.frames.length;
  const compressed = compressedBytes !== null;
  const [sx, sy, sz] = s.spacing ?? [1, 1, 1];
  if (format === 'nrrd')
    return [
      'NRRD0004',
      '# Complete NRRD file format specification at',
      '# http://teem.sourceforge.net/nrrd/format.html',
      `type: ${s.elementType}`,
      'dimension: 3',
      'space dimension: 2',
      `sizes: ${s.width} ${s.height} ${count}`,
      `space directions: (${num(sx)},0) (0,${num(sy)}) none`,
      'kinds: domain domain list',
      'endian: little',
      `encoding: ${compressed ? 'gz' : 'raw'}`,
      'space origin: (0,0)',
      `ultrasound image orientation:=${s.imageOrientation}`,
      `ultrasound image type:=${s.imageType}`,
      ...frameLines(':='),
      '',
      '',
    ].join('\n');
  return [
    'ObjectType = Image',
    'NDims = 3',
    'AnatomicalOrientation = RAI',
    'BinaryData = True',
    'BinaryDataByteOrderMSB = False',
    'CenterOfRotation = 0 0 0',
    `CompressedData = ${compressed ? 'True' : 'False'}`,
    ...(compressed ? [`CompressedDataSize = ${compressedBytes}`] : []),
    `DimSize = ${s.width} ${s.height} ${count}`,
    'Kinds = domain domain list',
    'ElementNumberOfChannels = 1',
    `ElementSpacing = ${num(sx)} ${num(sy)} ${num(sz)}`,
    `ElementType = ${!hasPixels ? 'MET_OTHER' : s.elementType === 'uint16' ? 'MET_USHORT' : 'MET_UCHAR'}`,
    'Offset = 0 0 0',
    'TransformMatrix = 1 0 0 0 1 0 0 0 1',
    `UltrasoundImageOrientation = ${s.imageOrientation}`,
    `UltrasoundImageType = ${s.imageType}`,
    ...frameLines(' = '),
    'ElementDataFile = LOCAL',
    '',
  ].join('\n');
}

/** Writes `parts` to `file` through `file.partial`, fsynced, then renamed (a crash never leaves a half file under the real name). */
function writeAtomically(file: string, parts: (Buffer | ((fd: number) => void))[]): void {
  const tmp = `${file}.partial`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const p of parts) typeof p === 'function' ? p(fd) : fs.writeSync(fd, p);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * Writes a PLUS sequence as MetaImage (`.mha`, zlib-compressed pixels) or NRRD
 * (`.nrrd`, gzip) by the file's extension, with the per-frame fields PLUS
 * and 3D Slicer read. Written to a temporary name, fsynced, then renamed.
 */
export function writePlusSequence(file: string, s: PlusSequence): void {
  const format = /\.nrrd$/i.test(file) ? 'nrrd' : 'mha';
  const has = s.pixels.length > 0;
  const body = has ? (format === 'nrrd' ? zlib.gzipSync(s.pixels) : zlib.deflateSync(s.pixels)) : Buffer.alloc(0);
  writeAtomically(file, [Buffer.from(sequenceHeader(format, s, has, has ? body.length : null), 'latin1'), body]);
}

/**
 * Writes a PLUS sequence frame by frame while it is acquired, without holding
 * the pixels in memory: pixels go to `<file>.pixels.partial` as they come,
 * the per-frame fields are kept (small), and `finish()` writes the header
 * and the raw pixels into the final file (uncompressed; PLUS and 3D Slicer
 * read it). Every frame has the same size and pixel type.
 */
export class PlusSequenceWriter {
  private readonly frames: TrackedFrame[] = [];
  private readonly pixelFile: string;
  private fd: number | null = null;
  private width = 0;
  private height = 0;

  constructor(
    readonly file: string,
    private readonly o: { elementType?: PlusSequence['elementType']; imageOrientation?: string; imageType?: string } = {},
  ) {
    this.pixelFile = `${file}.pixels.partial`;
  }

  get frameCount(): number {
    return this.frames.length;
  }

  /**
   * Appends a frame (pixels may be omitted for tracking-only sequences).
   * @throws PlusSequenceError when its size differs from the first frame's
   */
  add(frame: TrackedFrame, image?: { width: number; height: number; pixels: Uint8Array }): void {
    if (image) {
      if (this.frames.length === 0) {
        this.width = image.width;
        this.height = image.height;
        this.fd = fs.openSync(this.pixelFile, 'w');
      }
      const bytes = image.width * image.height * (this.o.elementType === 'uint16' ? 2 : 1);
      if (image.width !== this.width || image.height !== this.height || image.pixels.length !== bytes || this.fd === null)
        throw new PlusSequenceError(this.file, `frame ${this.frames.length} is ${image.width}×${image.height}, the sequence ${this.width}×${this.height}`);
      fs.writeSync(this.fd, image.pixels);
    } else if (this.fd !== null) throw new PlusSequenceError(this.file, `frame ${this.frames.length} has no pixels`);
    this.frames.push(frame);
  }

  /** Writes the file (transforms may still be filled into the frames before this). */
  finish(fill?: (frames: TrackedFrame[]) => void): void {
    fill?.(this.frames);
    const has = this.fd !== null;
    const meta: SequenceMeta = {
      width: this.width,
      height: this.height,
      elementType: this.o.elementType ?? 'uint8',
      imageOrientation: this.o.imageOrientation ?? (has ? 'MF' : 'XX'),
      imageType: this.o.imageType ?? (has ? 'BRIGHTNESS' : 'XX'),
      frames: this.frames,
    };
    const copyPixels = (fd: number): void => {
      if (this.fd === null) return;
      fs.closeSync(this.fd);
      this.fd = null;
      const src = fs.openSync(this.pixelFile, 'r');
      const buf = Buffer.alloc(4 << 20);
      try {
        for (let n; (n = fs.readSync(src, buf, 0, buf.length, null)) > 0;) fs.writeSync(fd, buf, 0, n);
      } finally {
        fs.closeSync(src);
      }
    };
    writeAtomically(this.file, [Buffer.from(sequenceHeader(/\.nrrd$/i.test(this.file) ? 'nrrd' : 'mha', meta, has, null), 'latin1'), copyPixels]);
    fs.rmSync(this.pixelFile, { force: true });
  }

  /** Gives up: the partial pixel file is removed. */
  abort(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    fs.rmSync(this.pixelFile, { force: true });
  }
}
