/**
 * Header probing for volume files before any pixel data is read: the format,
 * the grid size and the number of bytes the header promises, checked against
 * the file (truncation) and a size limit. This runs before itk-wasm, which
 * silently zero-fills truncated gzip data and reports header errors as bare
 * numbers.
 *
 * Formats: NIfTI-1/NIfTI-2 (.nii, .nii.gz; NIfTI-1 standard, nifti.nimh.nih.gov),
 * NRRD (teem.sourceforge.net/nrrd/format.html), MetaImage (.mha/.mhd,
 * itk.org MetaIO).
 */
import { contentOfHeader, contentOfNifti, type ContentInfo } from './identity.js';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import { AppError } from '../contract/errors.js';

export type VolumeFormat = 'nifti' | 'nrrd' | 'metaimage' | 'dicom';

export interface HeaderProbe {
  format: VolumeFormat;
  dims: number[];
  bytesPerVoxel: number;
  /** Bytes of voxel data the header promises. */
  dataBytes: number;
}

/** Default refusal limit for one volume in memory: 2 GiB. */
export const DEFAULT_MAX_VOLUME_BYTES = 2 * 1024 ** 3;

export function formatOfPath(file: string): VolumeFormat | null {
  const f = file.toLowerCase();
  if (f.endsWith('.nii') || f.endsWith('.nii.gz')) return 'nifti';
  if (f.endsWith('.nrrd') || f.endsWith('.nhdr')) return 'nrrd';
  if (f.endsWith('.mha') || f.endsWith('.mhd')) return 'metaimage';
  if (f.endsWith('.dcm')) return 'dicom';
  return null;
}

const NIFTI_BYTES: Record<number, number> = { 2: 1, 4: 2, 8: 4, 16: 4, 64: 8, 256: 1, 512: 2, 768: 4, 1024: 8, 1280: 8, 128: 3, 2304: 4 };

/**
 * Counts the bytes of a file's stream from `offset`, inflated (gzip or zlib) or as stored, up to `enough` (the
 * header's declared size: decompression is bounded by it).
 * @param broken the words for a stream that does not inflate ("the compressed data is broken or ends early")
 * @throws AppError IMPORT_BAD_HEADER when the file cannot be read, IMPORT_TRUNCATED naming the file when the stream is broken
 */
async function countBytes(file: string, o: { offset?: number; inflate: 'gzip' | 'zlib' | null; enough?: number; broken: string }): Promise<number> {
  const enough = o.enough ?? Infinity;
  return await new Promise<number>((resolve, reject) => {
    let n = 0;
    const src = fs.createReadStream(file, { start: o.offset ?? 0 });
    const s: Readable = o.inflate ? src.pipe(o.inflate === 'gzip' ? zlib.createGunzip() : zlib.createInflate()) : src;
    src.on('error', (e) => reject(new AppError('IMPORT_BAD_HEADER', `${file}: cannot read (${e.message})`)));
    s.on('data', (c: Buffer) => {
      n += c.length;
      if (n >= enough) {
        src.destroy();
        s.destroy();
        resolve(n);
      }
    });
    s.on('error', (e: Error) => reject(new AppError('IMPORT_TRUNCATED', `${path.basename(file)}: ${o.broken} (${e.message})`, { file })));
    s.on('end', () => resolve(n));
  });
}

/** Bytes of a (gzip) NIfTI stream, up to `enough`; throws IMPORT_TRUNCATED on a broken gzip stream. */
const streamLength = (file: string, gz: boolean, enough = Infinity): Promise<number> =>
  countBytes(file, { inflate: gz ? 'gzip' : null, enough, broken: 'the compressed data is broken or ends early; the file is truncated or corrupt' });

/**
 * The first `bytes` of a file, or of its gzip stream: only 4 KiB of compressed data are inflated (a NIfTI header of
 * 540 bytes compresses into far less), so a decompression bomb costs at most a few MiB here, not its promise.
 */
function readHead(file: string, gz: boolean, bytes: number): Buffer {
  const fd = fs.openSync(file, 'r');
  const raw = Buffer.alloc(gz ? 4 * 1024 : bytes);
  let got: number;
  try {
    got = fs.readSync(fd, raw, 0, raw.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (!gz) return raw.subarray(0, Math.min(got, bytes));
  try {
    return zlib.gunzipSync(raw.subarray(0, got), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, bytes);
  } catch (e) {
    throw new AppError('IMPORT_TRUNCATED', `${path.basename(file)}: not a readable gzip stream (${(e as Error).message})`, { file });
  }
}

function tooLarge(file: string, dims: number[], bytes: number, max: number): AppError {
  return new AppError(
    'IMPORT_TOO_LARGE',
    `${path.basename(file)}: the header declares a ${dims.join('×')} image of ${(bytes / 1024 ** 3).toFixed(2)} GiB, over the ${(max / 1024 ** 3).toFixed(2)} GiB limit of one volume`,
    { file, dims, bytes, max },
  );
}

/**
 * Refuses a header whose voxel spacing along a spatial axis is zero or not a
 * number (readers differ: ITK silently replaces a zero by 1 mm, which would
 * give the patient's anatomy a made-up size).
 * @param spacing the header's spacing per axis (mm), spatial axes only
 * @throws AppError IMPORT_BAD_HEADER naming the file and the spacing
 */
function refuseNullSpacing(file: string, spacing: readonly number[]): void {
  if (spacing.some((v) => !Number.isFinite(v) || v === 0))
    throw new AppError('IMPORT_BAD_HEADER', `${path.basename(file)}: voxel spacing ${spacing.join(' × ')} mm is not positive: the grid has no size`, { file });
}

function probeNifti(file: string, gz: boolean, max: number): { probe: HeaderProbe; expectedStreamBytes: number } {
  const h = readHead(file, gz, 540);
  if (h.length < 348) throw new AppError('IMPORT_TRUNCATED', `${path.basename(file)}: only ${h.length} bytes, shorter than a NIfTI header (348)`, { file });
  let le = true;
  let sizeof = h.readInt32LE(0);
  if (sizeof !== 348 && sizeof !== 540) {
    sizeof = h.readInt32BE(0);
    le = false;
  }
  const i16 = (o: number): number => (le ? h.readInt16LE(o) : h.readInt16BE(o));
  const f32 = (o: number): number => (le ? h.readFloatLE(o) : h.readFloatBE(o));
  const i64 = (o: number): number => Number(le ? h.readBigInt64LE(o) : h.readBigInt64BE(o));
  const f64 = (o: number): number => (le ? h.readDoubleLE(o) : h.readDoubleBE(o));
  let dims: number[];
  let datatype: number;
  let voxOffset: number;
  if (sizeof === 348) {
    const nd = i16(40);
    if (nd < 1 || nd > 7) throw new AppError('IMPORT_BAD_HEADER', `${path.basename(file)}: NIfTI dim[0] = ${nd} is not in 1..7`, { file });
    dims = Array.from({ length: nd }, (_, i) => i16(42 + 2 * i));
    datatype = i16(70);
    voxOffset = f32(108);
    refuseNullSpacing(
      file,
      Array.from({ length: Math.min(3, nd) }, (_, i) => f32(80 + 4 * i)),
    ); // pixdim[1..3]
  } else if (sizeof === 540) {
    if (h.length < 540) throw new AppError('IMPORT_TRUNCATED', `${path.basename(file)}: NIfTI-2 header cut short`, { file });
    const nd = i64(16);
    dims = Array.from({ length: Math.max(0, Math.min(7, nd)) }, (_, i) => i64(24 + 8 * i));
    datatype = i16(12);
    voxOffset = i64(168);
    refuseNullSpacing(
      file,
      Array.from({ length: Math.max(0, Math.min(3, nd)) }, (_, i) => f64(112 + 8 * i)),
    ); // pixdim[1..3]
  } else {
    throw new AppError('IMPORT_BAD_HEADER', `${path.basename(file)}: not a NIfTI file (sizeof_hdr is ${h.readInt32LE(0)}, expected 348 or 540)`, { file });
  }
  if (dims.some((d) => !(d >= 1)))
    throw new AppError('IMPORT_BAD_HEADER', `${path.basename(file)}: NIfTI dimensions ${dims.join('×')} are not all positive`, { file });
  const bpv = NIFTI_BYTES[datatype];
  if (!bpv) throw new AppError('IMPORT_UNSUPPORTED', `${path.basename(file)}: NIfTI datatype ${datatype} is not supported`, { file });
  const dataBytes = dims.reduce((a, b) => a * b, 1) * bpv;
  if (dataBytes > max) throw tooLarge(file, dims, dataBytes, max);
  return { probe: { format: 'nifti', dims, bytesPerVoxel: bpv, dataBytes }, expectedStreamBytes: voxOffset + dataBytes };
}

const NRRD_BYTES: Record<string, number> = {
  'signed char': 1,
  int8: 1,
  int8_t: 1,
  uchar: 1,
  'unsigned char': 1,
  uint8: 1,
  uint8_t: 1,
  short: 2,
  'short int': 2,
  'signed short': 2,
  'signed short int': 2,
  int16: 2,
  int16_t: 2,
  ushort: 2,
  'unsigned short': 2,
  'unsigned short int': 2,
  uint16: 2,
  uint16_t: 2,
  int: 4,
  'signed int': 4,
  int32: 4,
  int32_t: 4,
  uint: 4,
  'unsigned int': 4,
  uint32: 4,
  uint32_t: 4,
  longlong: 8,
  int64: 8,
  int64_t: 8,
  ulonglong: 8,
  uint64: 8,
  uint64_t: 8,
  float: 4,
  double: 8,
};

function textHeader(file: string, maxBytes = 65536): { text: string; headerBytes: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(maxBytes);
    const n = fs.readSync(fd, b, 0, maxBytes, 0);
    return { text: b.subarray(0, n).toString('latin1'), headerBytes: n };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The data file a detached header names, checked before it is touched: it must lie in the header's folder (or
 * below it) and exist.
 * @throws AppError IMPORT_BAD_HEADER naming the header and the data file
 */
function detachedDataFile(header: string, named: string): string {
  const dir = path.dirname(path.resolve(header));
  const abs = path.resolve(dir, named);
  const rel = path.relative(dir, abs);
  if (rel.startsWith('..') || path.isAbsolute(rel))
    throw new AppError('IMPORT_BAD_HEADER', `${path.basename(header)}: its data file "${named}" lies outside the header's folder; refused`, { file: header });
  if (!fs.existsSync(abs))
    throw new AppError('IMPORT_BAD_HEADER', `${path.basename(header)}: its data file "${named}" is missing (expected next to the header)`, { file: header });
  return abs;
}

/** An NRRD header's fields and key/value pairs (keys lower-case), and where its blank line ends it (-1: not within the first 64 KiB). */
function nrrdFields(file: string): { fields: Map<string, string>; text: string; end: number } {
  const { text } = textHeader(file);
  if (!text.startsWith('NRRD')) throw new AppError('IMPORT_BAD_HEADER', `${path.basename(file)}: missing the NRRD magic line`, { file });
  const end = text.search(/\r?\n\r?\n/);
  const head = end >= 0 ? text.slice(0, end) : text;
  const fields = new Map<string, string>();
  for (const line of head.split(/\r?\n/).slice(1)) {
    if (line.startsWith('#')) continue;
    const m = /^([^:]+):=?\s*(.*)$/.exec(line);
    if (m) fields.set((m[1] as string).trim().toLowerCase(), (m[2] as string).trim());
  }
  return { fields, text, end };
}

/** A MetaImage header's fields (keys lower-case) up to ElementDataFile, and the header's length in bytes. */
function metaFields(file: string): { fields: Map<string, string>; headerLen: number } {
  const { text } = textHeader(file);
  const fields = new Map<string, string>();
  let headerLen = 0;
  for (const line of text.split('\n')) {
    headerLen += Buffer.byteLength(line, 'latin1') + 1;
    const m = /^\s*(\w+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) break;
    fields.set((m[1] as string).toLowerCase(), m[2] as string);
    if ((m[1] as string).toLowerCase() === 'elementdatafile') break;
  }
  return { fields, headerLen };
}

/**
 * What a NIfTI, NRRD or MetaImage file holds — a 3D volume, a tracked 2D
 * sequence (PLUS), a 2D image or a cine loop — and the modality it states,
 * from its header alone (the first 64 KiB; no voxel is read).
 * @throws AppError IMPORT_EMPTY_FILE, IMPORT_BAD_HEADER / IMPORT_TRUNCATED / IMPORT_UNSUPPORTED naming the file when the header cannot be read
 */
export function contentOfVolumeFile(file: string): ContentInfo {
  if (fs.statSync(file).size === 0) throw new AppError('IMPORT_EMPTY_FILE', `${path.basename(file)}: the file is empty (0 bytes)`, { file });
  const format = formatOfPath(file);
  if (format === 'nifti') return contentOfNifti(probeNifti(file, file.toLowerCase().endsWith('.gz'), Infinity).probe.dims);
  if (format === 'nrrd') {
    const { fields } = nrrdFields(file);
    return contentOfHeader(fields, (fields.get('sizes') ?? '').split(/\s+/).filter(Boolean).map(Number));
  }
  if (format === 'metaimage') {
    const { fields } = metaFields(file);
    return contentOfHeader(fields, (fields.get('dimsize') ?? '').split(/\s+/).filter(Boolean).map(Number));
  }
  throw new AppError('IMPORT_UNSUPPORTED', `${path.basename(file)}: not a supported volume file`, { file });
}

function probeNrrd(file: string, max: number): { probe: HeaderProbe; dataFile: string; offset: number; gz: boolean; expected: number } {
  const { fields, text, end } = nrrdFields(file);
  const sizes = (fields.get('sizes') ?? '').split(/\s+/).filter(Boolean).map(Number);
  const type = (fields.get('type') ?? '').toLowerCase();
  const bpv = NRRD_BYTES[type];
  if (!sizes.length || sizes.some((s) => !(s >= 1)))
    throw new AppError('IMPORT_BAD_HEADER', `${path.basename(file)}: NRRD sizes "${fields.get('sizes') ?? ''}" are not valid`, { file });
  if (!bpv) throw new AppError('IMPORT_UNSUPPORTED', `${path.basename(file)}: NRRD type "${type}" is not supported`, { file });
  const spacings = fields.get('spacings');
  const directions = fields.get('space directions');
  if (spacings)
    refuseNullSpacing(
      file,
      spacings
        .split(/\s+/)
        .filter((v) => v && v.toLowerCase() !== 'nan' && v.toLowerCase() !== 'none')
        .map(Number),
    );
  else if (directions)
    refuseNullSpacing(
      file,
      [...directions.matchAll(/\(([^)]*)\)/g)].map((m) => Math.hypot(...(m[1] as string).split(',').map(Number))),
    );
  const dataBytes = sizes.reduce((a, b) => a * b, 1) * bpv;
  if (dataBytes > max) throw tooLarge(file, sizes, dataBytes, max);
  const enc = (fields.get('encoding') ?? 'raw').toLowerCase();
  const gz = enc === 'gzip' || enc === 'gz';
  const df = fields.get('data file') ?? fields.get('datafile');
  const headerLen = end >= 0 ? Buffer.byteLength(text.slice(0, end), 'latin1') + (text.slice(end, end + 4).startsWith('\r\n\r\n') ? 4 : 2) : 0;
  return {
    probe: { format: 'nrrd', dims: sizes, bytesPerVoxel: bpv, dataBytes },
    dataFile: df ? detachedDataFile(file, df) : file,
    offset: df ? 0 : headerLen,
    gz,
    expected: dataBytes,
  };
}

const MET_BYTES: Record<string, number> = {
  MET_CHAR: 1,
  MET_UCHAR: 1,
  MET_SHORT: 2,
  MET_USHORT: 2,
  MET_INT: 4,
  MET_UINT: 4,
  MET_LONG: 4,
  MET_ULONG: 4,
  MET_LONG_LONG: 8,
  MET_ULONG_LONG: 8,
  MET_FLOAT: 4,
  MET_DOUBLE: 8,
};

function probeMeta(file: string, max: number): { probe: HeaderProbe; dataFile: string; offset: number; compressed: boolean; expected: number } {
  const { fields, headerLen } = metaFields(file);
  if (!fields.has('dimsize') && !fields.has('ndims') && !fields.has('elementtype'))
    throw new AppError('IMPORT_BAD_HEADER', `${path.basename(file)}: not a MetaImage file (no NDims, DimSize or ElementType field in its header)`, {
      file,
    });
  const dims = (fields.get('dimsize') ?? '').split(/\s+/).filter(Boolean).map(Number);
  const et = (fields.get('elementtype') ?? '').toUpperCase();
  const channels = Number(fields.get('elementnumberofchannels') ?? '1');
  const bpv = (MET_BYTES[et] ?? 0) * channels;
  if (!dims.length || dims.some((d) => !(d >= 1)))
    throw new AppError('IMPORT_BAD_HEADER', `${path.basename(file)}: MetaImage DimSize "${fields.get('dimsize') ?? ''}" is not valid`, { file });
  if (!bpv) throw new AppError('IMPORT_UNSUPPORTED', `${path.basename(file)}: MetaImage ElementType "${et}" is not supported`, { file });
  const spacing = fields.get('elementspacing') ?? fields.get('elementsize');
  if (spacing) refuseNullSpacing(file, spacing.split(/\s+/).filter(Boolean).map(Number));
  const dataBytes = dims.reduce((a, b) => a * b, 1) * bpv;
  if (dataBytes > max) throw tooLarge(file, dims, dataBytes, max);
  const df = fields.get('elementdatafile') ?? 'LOCAL';
  const compressed = /^true$/i.test(fields.get('compresseddata') ?? 'false');
  const compressedSize = Number(fields.get('compresseddatasize') ?? NaN);
  return {
    probe: { format: 'metaimage', dims, bytesPerVoxel: bpv, dataBytes },
    dataFile: df.toUpperCase() === 'LOCAL' ? file : detachedDataFile(file, df),
    offset: df.toUpperCase() === 'LOCAL' ? headerLen : 0,
    compressed,
    expected: compressed && Number.isFinite(compressedSize) ? compressedSize : dataBytes,
  };
}

/** Bytes a compressed stream inflates to, counted up to `enough` (decompression bounded by the declared size). */
const inflatedLength = (file: string, offset: number, kind: 'gzip' | 'zlib', enough = Infinity): Promise<number> =>
  countBytes(file, { offset, inflate: kind, enough, broken: 'the compressed voxel data is broken or ends early' });

/** Compressed voxels may not promise more than this many times their file's bytes when they promise over 256 MiB. */
export const MAX_COMPRESSION_RATIO = 1000;

/**
 * Refuses, before anything is decompressed, a compressed file whose header promises a huge image from very few
 * bytes (a decompression bomb: e.g. 1 MB of gzip declaring 1024³ voxels). Real CT and MR compress a few times.
 * @throws AppError IMPORT_BAD_HEADER naming the file, the declared bytes and the file's bytes
 */
function refuseBomb(file: string, declaredBytes: number, fileBytes: number): void {
  if (declaredBytes > 256 * 1024 ** 2 && declaredBytes > MAX_COMPRESSION_RATIO * fileBytes)
    throw new AppError(
      'IMPORT_BAD_HEADER',
      `${path.basename(file)}: the header promises ${(declaredBytes / 1024 ** 2).toFixed(0)} MiB of voxels from ${(fileBytes / 1024 ** 2).toFixed(2)} MiB of compressed data (over ${MAX_COMPRESSION_RATIO}:1); refused before decompressing`,
      { file },
    );
}

/**
 * Probes a NIfTI, NRRD or MetaImage file: header sanity, size limit, and that
 * all promised voxel bytes are present (decompressing gzip/zlib streams
 * without keeping them).
 *
 * @throws AppError IMPORT_EMPTY_FILE, IMPORT_BAD_HEADER, IMPORT_UNSUPPORTED,
 *   IMPORT_TOO_LARGE, IMPORT_TRUNCATED — each message names the file
 */
export async function probeVolumeFile(file: string, maxBytes = DEFAULT_MAX_VOLUME_BYTES): Promise<HeaderProbe> {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new AppError('NOT_FOUND', `${file}: no such file`, { file });
  }
  if (st.size === 0) throw new AppError('IMPORT_EMPTY_FILE', `${path.basename(file)}: the file is empty (0 bytes)`, { file });
  const format = formatOfPath(file);
  const short = path.basename(file);
  if (format === 'nifti') {
    const gz = file.toLowerCase().endsWith('.gz');
    const { probe, expectedStreamBytes } = probeNifti(file, gz, maxBytes);
    if (gz) refuseBomb(file, expectedStreamBytes, st.size);
    const have = gz ? await streamLength(file, true, expectedStreamBytes) : st.size;
    if (have < expectedStreamBytes)
      throw new AppError('IMPORT_TRUNCATED', `${short}: the header promises ${expectedStreamBytes} bytes but the file holds ${have}; it is truncated`, {
        file,
      });
    return probe;
  }
  if (format === 'nrrd') {
    const r = probeNrrd(file, maxBytes);
    if (r.gz) refuseBomb(file, r.probe.dataBytes, fs.statSync(r.dataFile).size - r.offset);
    const have = r.gz ? await inflatedLength(r.dataFile, r.offset, 'gzip', r.expected) : fs.statSync(r.dataFile).size - r.offset;
    if (have < r.expected)
      throw new AppError('IMPORT_TRUNCATED', `${short}: ${r.expected} voxel bytes expected, ${have} present; the file is truncated`, { file });
    return r.probe;
  }
  if (format === 'metaimage') {
    const r = probeMeta(file, maxBytes);
    if (r.compressed) {
      refuseBomb(file, r.probe.dataBytes, fs.statSync(r.dataFile).size - r.offset);
      const have = await inflatedLength(r.dataFile, r.offset, 'zlib', r.probe.dataBytes);
      if (have < r.probe.dataBytes)
        throw new AppError(
          'IMPORT_TRUNCATED',
          `${short}: ${r.probe.dataBytes} voxel bytes expected, ${have} present after decompression; the file is truncated`,
          { file },
        );
    } else {
      const have = fs.statSync(r.dataFile).size - r.offset;
      if (have < r.expected)
        throw new AppError('IMPORT_TRUNCATED', `${short}: ${r.expected} voxel bytes expected, ${have} present; the file is truncated`, { file });
    }
    return r.probe;
  }
  throw new AppError('IMPORT_UNSUPPORTED', `${short}: not a supported volume file (NIfTI .nii/.nii.gz, NRRD .nrrd, MetaImage .mha/.mhd, or a DICOM folder)`, {
    file,
  });
}
