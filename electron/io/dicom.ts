/**
 * DICOM folder scanning and series geometry (DICOM PS3.3 C.7.6.2 Image Plane
 * Module; C.7.6.16 Multi-frame Functional Groups for enhanced images).
 *
 * Headers are parsed with dicom-parser (stopping before Pixel Data), so a
 * folder of thousands of files is scanned without decoding pixels. Geometry
 * is derived here from ImagePositionPatient (IPP), ImageOrientationPatient
 * (IOP) and PixelSpacing: slices are sorted by IPP · n where n = row × column
 * cosines, the slice spacing is the median step, and a step over 1.5× the
 * median is a missing slice. World coordinates are LPS mm (DICOM's patient
 * coordinate system).
 */
import fs from 'node:fs';
import path from 'node:path';
import dicomParser from 'dicom-parser';
import { AppError } from '../contract/errors.js';
import type { Mat3, Vec3, VolumeGeometry } from '../engine/volume.js';

export interface DicomSkipped {
  file: string;
  reason: string;
  /** Why, as an error code (IMPORT_NOT_DICOM when absent: not a DICOM image). */
  code?: 'IMPORT_BAD_HEADER' | 'IMPORT_EMPTY_FILE' | 'IMPORT_TOO_LARGE' | 'IMPORT_NOT_DICOM';
}

export interface DicomSeriesInfo {
  seriesInstanceUid: string;
  studyInstanceUid: string;
  patientName: string;
  patientId: string;
  patientBirthDate: string;
  patientSex: string;
  studyDate: string;
  studyDescription: string;
  seriesDescription: string;
  seriesNumber: number;
  modality: string;
  rows: number;
  columns: number;
  /** Files of the series, sorted along the slice normal. */
  files: string[];
  /** Number of frames (slices) in the series. */
  frames: number;
  /** True for one enhanced multi-frame file. */
  multiFrame: boolean;
  /** Geometry in LPS mm from IPP/IOP/PixelSpacing, or null when the headers lack it. */
  geometry: VolumeGeometry | null;
  /** For multi-frame files: stored frame index of each sorted slice. */
  frameOrder: number[];
  /** True when the headers hold no patient position, so the grid is nominal (origin 0, identity). */
  nominalGeometry: boolean;
  /** Problems that make the series unusable as a volume (missing slices...). Empty when fine. */
  problems: string[];
  bitsAllocated: number;
  transferSyntaxUid: string;
}

export interface DicomScanResult {
  series: DicomSeriesInfo[];
  skipped: DicomSkipped[];
  filesScanned: number;
}

interface SliceHeader {
  file: string;
  ipp: Vec3 | null;
  iop: number[] | null;
  spacing: [number, number] | null;
  instanceNumber: number;
}

const str = (ds: dicomParser.DataSet, tag: string): string => (ds.string(tag) ?? '').trim();

function floats(ds: dicomParser.DataSet | undefined, tag: string, n: number): number[] | null {
  if (!ds || !ds.elements[tag]) return null;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = ds.floatString(tag, i);
    if (v === undefined || !Number.isFinite(v)) return null;
    out.push(v);
  }
  return out;
}

function firstItem(ds: dicomParser.DataSet | undefined, tag: string): dicomParser.DataSet | undefined {
  return ds?.elements[tag]?.items?.[0]?.dataSet;
}

/** Lists files under `root` recursively (or `root` itself if it is a file). */
/** True when a symbolic link leads to a regular file; a dangling link or a link cycle (ELOOP) leads nowhere. */
function linkedFile(p: string): boolean {
  try {
    return fs.statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

export function listFiles(root: string): string[] {
  const st = fs.statSync(root);
  if (st.isFile()) return [root];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
      // a link to a file counts as the file (a folder of links made by a PACS export or a script); links to folders are not followed (no cycles)
      else if (e.isSymbolicLink() && linkedFile(p)) out.push(p);
    }
  };
  walk(root);
  return out;
}

/** Transfer syntaxes whose Pixel Data holds every pixel as is (implicit/explicit VR little endian, explicit big endian). */
const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);
/** A compressed image may not declare more than this many times its file's bytes when it declares over 256 MiB of pixels. */
const MAX_PLAUSIBLE_RATIO = 1000;

/**
 * Refuses, before any decoding, an image whose declared pixels (rows × columns × samples × bits × frames) its file
 * cannot hold: fewer bytes than that in an uncompressed file, or a huge image from a tiny compressed one (a
 * decompression bomb).
 * @throws AppError IMPORT_BAD_HEADER naming the file, the declared size and the file's size
 */
function checkPixelBytes(file: string, ds: dicomParser.DataSet, fileBytes: number): void {
  const rows = ds.uint16('x00280010') ?? 0;
  const cols = ds.uint16('x00280011') ?? 0;
  const spp = ds.uint16('x00280002') ?? 1;
  const bits = ds.uint16('x00280100') ?? 16;
  const frames = Math.max(1, Number(ds.string('x00280008') ?? '1') || 1);
  const declared = (rows * cols * spp * bits * frames) / 8;
  const ts = (ds.string('x00020010') ?? '').replace(/\0/g, '').trim();
  const mb = (n: number): string => `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (UNCOMPRESSED.has(ts) && declared > fileBytes)
    throw new AppError(
      'IMPORT_BAD_HEADER',
      `${path.basename(file)}: declares ${cols}×${rows}×${frames} pixels (${mb(declared)}) but the file holds ${mb(fileBytes)}; it is truncated or its header is wrong`,
      { file },
    );
  if (!UNCOMPRESSED.has(ts) && declared > 256 * 1024 ** 2 && declared > MAX_PLAUSIBLE_RATIO * fileBytes)
    throw new AppError(
      'IMPORT_BAD_HEADER',
      `${path.basename(file)}: declares ${cols}×${rows}×${frames} pixels (${mb(declared)}) compressed into ${mb(fileBytes)}, over ${MAX_PLAUSIBLE_RATIO}:1; refused before decoding`,
      { file },
    );
}

function parseHeader(file: string): dicomParser.DataSet {
  const size = fs.statSync(file).size;
  // Node reads at most 2 GiB into one buffer; say so with the file's name rather than fail inside the read
  if (size >= 2 ** 31)
    throw new AppError('IMPORT_TOO_LARGE', `${path.basename(file)}: ${(size / 1024 ** 3).toFixed(2)} GiB, over the 2 GiB one DICOM file may have here`, {
      file,
    });
  const buf = fs.readFileSync(file);
  if (buf.length === 0) throw new AppError('IMPORT_EMPTY_FILE', `${path.basename(file)}: the file is empty (0 bytes)`, { file });
  if (buf.length < 132 || buf.toString('latin1', 128, 132) !== 'DICM')
    throw new AppError('IMPORT_NOT_DICOM', `${path.basename(file)}: not a DICOM file (no "DICM" prefix at byte 128)`, { file });
  try {
    const ds = dicomParser.parseDicom(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), { untilTag: 'x7fe00010' });
    checkPixelBytes(file, ds, buf.length);
    return ds;
  } catch (e) {
    if (e instanceof AppError) throw e;
    const msg = e instanceof Error ? e.message : typeof e === 'string' ? e : 'unreadable header';
    throw new AppError('IMPORT_NOT_DICOM', `${path.basename(file)}: the DICOM header cannot be parsed (${msg})`, { file });
  }
}

function cross(a: number[], b: number[]): Vec3 {
  return [
    (a[1] as number) * (b[2] as number) - (a[2] as number) * (b[1] as number),
    (a[2] as number) * (b[0] as number) - (a[0] as number) * (b[2] as number),
    (a[0] as number) * (b[1] as number) - (a[1] as number) * (b[0] as number),
  ];
}

const dot = (a: readonly number[], b: readonly number[]): number =>
  (a[0] as number) * (b[0] as number) + (a[1] as number) * (b[1] as number) + (a[2] as number) * (b[2] as number);

/** The words of a missing-slice problem (its error code is DICOM_MISSING_SLICE; other stack problems are DICOM_INCONSISTENT). */
export const MISSING_SLICES = 'slice(s) missing';

/**
 * Geometry of a stack of slices. Returns the sort order (indices into
 * `slices`) and problems found, each naming the files: missing slices, two
 * slices at one position, uneven steps (more than 10 % off the median step),
 * inconsistent orientation.
 */
export function stackGeometry(
  slices: { ipp: Vec3 | null; iop: number[] | null; spacing: [number, number] | null; file?: string }[],
  rows: number,
  columns: number,
  label: string,
): { geometry: VolumeGeometry | null; order: number[]; problems: string[] } {
  const problems: string[] = [];
  const first = slices[0];
  const identity = slices.map((_, i) => i);
  if (!first || !first.iop || !first.ipp || !first.spacing || slices.some((s) => !s.ipp)) {
    return { geometry: null, order: identity, problems: slices.length > 1 ? [`${label}: slices lack ImagePositionPatient/ImageOrientationPatient`] : [] };
  }
  const iop = first.iop;
  for (const s of slices)
    if (s.iop && s.iop.some((v, i) => Math.abs(v - (iop[i] as number)) > 1e-4)) {
      problems.push(`${label}: slices have different orientations (not one volume)`);
      break;
    }
  const row = iop.slice(0, 3);
  const col = iop.slice(3, 6);
  const n = cross(row, col);
  const pos = slices.map((s) => dot(s.ipp as Vec3, n));
  const order = identity.slice().sort((a, b) => (pos[a] as number) - (pos[b] as number));
  const steps: number[] = [];
  for (let q = 1; q < order.length; q++) steps.push((pos[order[q] as number] as number) - (pos[order[q - 1] as number] as number));
  const sorted = steps.slice().sort((a, b) => a - b);
  const median = sorted.length ? (sorted[Math.floor(sorted.length / 2)] as number) : 1;
  if (sorted.length && median <= 1e-6) problems.push(`${label}: several slices share one position (${median.toFixed(3)} mm step)`);
  const fileAt = (q: number): string => {
    const f = slices[order[q] as number]?.file;
    return f ? path.basename(f) : `slice ${(order[q] as number) + 1}`;
  };
  steps.forEach((s, q) => {
    // a slice twice (the same or another SOP instance at one position): a copied file, or two acquisitions mixed
    if (median > 1e-6 && s <= 1e-3)
      problems.push(
        `${label}: two slices at one position (${(pos[order[q] as number] as number).toFixed(2)} mm along the slice normal): ${fileAt(q)} and ${fileAt(q + 1)}`,
      );
    // uneven steps that are no whole missing slice: a volume from them would be distorted
    else if (median > 1e-6 && s <= 1.5 * median && Math.abs(s - median) > 0.1 * median)
      problems.push(
        `${label}: inconsistent slice spacing between ${fileAt(q)} and ${fileAt(q + 1)}: step ${s.toFixed(2)} mm, the others ${median.toFixed(2)} mm`,
      );
  });
  steps.forEach((s, q) => {
    if (median > 1e-6 && s > 1.5 * median) {
      const missing = Math.round(s / median) - 1;
      // (the phrase MISSING_SLICES is what readVolume tells apart from other problems)
      const a = slices[order[q] as number]?.file;
      const b = slices[order[q + 1] as number]?.file;
      const between = a && b ? ` (between files ${path.basename(a)} and ${path.basename(b)})` : '';
      problems.push(
        `${label}: ${missing} ${MISSING_SLICES} between positions ${(pos[order[q] as number] as number).toFixed(2)} mm and ${(pos[order[q + 1] as number] as number).toFixed(2)} mm along the slice normal${between}; step ${s.toFixed(2)} mm, expected ${median.toFixed(2)} mm`,
      );
    }
  });
  const [rowSpacing, colSpacing] = first.spacing;
  const o = slices[order[0] as number]?.ipp as Vec3;
  const direction: Mat3 = [row[0] as number, col[0] as number, n[0], row[1] as number, col[1] as number, n[1], row[2] as number, col[2] as number, n[2]];
  return {
    geometry: {
      dims: [columns, rows, slices.length],
      // PixelSpacing = [between rows (along j), between columns (along i)]
      spacingMm: [colSpacing, rowSpacing, slices.length > 1 ? median : 1],
      originLps: [...o],
      direction,
    },
    order,
    problems,
  };
}

function seriesFromMultiFrame(
  file: string,
  ds: dicomParser.DataSet,
): Pick<DicomSeriesInfo, 'geometry' | 'frameOrder' | 'problems' | 'frames' | 'nominalGeometry'> {
  const frames = Number(str(ds, 'x00280008') || '1');
  const rows = ds.uint16('x00280010') ?? 0;
  const columns = ds.uint16('x00280011') ?? 0;
  const shared = firstItem(ds, 'x52009229');
  const perFrame = ds.elements['x52009230']?.items ?? [];
  const sharedIop = floats(firstItem(shared, 'x00209116'), 'x00200037', 6);
  const sharedSp = floats(firstItem(shared, 'x00289110'), 'x00280030', 2);
  const slices = Array.from({ length: frames }, (_, f) => {
    const fg = perFrame[f]?.dataSet;
    const ipp = floats(firstItem(fg, 'x00209113'), 'x00200032', 3) as Vec3 | null;
    const iop = floats(firstItem(fg, 'x00209116'), 'x00200037', 6) ?? sharedIop;
    const sp = (floats(firstItem(fg, 'x00289110'), 'x00280030', 2) ?? sharedSp) as [number, number] | null;
    return { ipp, iop, spacing: sp };
  });
  if (slices.every((s) => !s.ipp)) {
    // No Plane Position in the functional groups (nor a top-level IPP): the
    // patient position is undefined (PS3.3 C.7.6.2). Use a nominal grid:
    // origin 0, identity, PixelSpacing or 1 mm, SpacingBetweenSlices or
    // SliceThickness or 1 mm, and flag it.
    const sp = sharedSp ?? floats(ds, 'x00280030', 2) ?? [1, 1];
    const dz = floats(ds, 'x00180088', 1)?.[0] ?? floats(ds, 'x00180050', 1)?.[0] ?? 1;
    return {
      geometry: {
        dims: [columns, rows, frames],
        spacingMm: [sp[1] as number, sp[0] as number, dz],
        originLps: [0, 0, 0],
        direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      },
      frameOrder: slices.map((_, i) => i),
      problems: [],
      frames,
      nominalGeometry: true,
    };
  }
  const g = stackGeometry(slices, rows, columns, path.basename(file));
  return { geometry: g.geometry, frameOrder: g.order, problems: g.problems, frames, nominalGeometry: false };
}

/** The manifest OrthoTwin writes beside an export's files (capabilities/studies/exports.ts): not a DICOM file, not a problem of the folder. */
export const EXPORT_MANIFEST = 'orthotwin-export.json';

/**
 * Scans a folder (recursively) or a single file for DICOM series.
 * Non-DICOM and unreadable files are listed in `skipped` with the reason
 * (an export's manifest, EXPORT_MANIFEST, is passed over: an exported folder imports as it is).
 * @param onProgress called with (filesDone, filesTotal)
 */
export function scanDicom(root: string, onProgress?: (done: number, total: number) => void, isCancelled?: () => boolean): DicomScanResult {
  const files = listFiles(root).filter((f) => path.basename(f) !== EXPORT_MANIFEST);
  const skipped: DicomSkipped[] = [];
  const groups = new Map<string, { ds: dicomParser.DataSet; slices: SliceHeader[]; multi: boolean; patients: Set<string> }>();
  files.forEach((file, idx) => {
    if (isCancelled?.()) throw new AppError('JOB_CANCELLED', 'scan cancelled');
    onProgress?.(idx, files.length);
    let ds: dicomParser.DataSet;
    try {
      ds = parseHeader(file);
    } catch (e) {
      const code =
        e instanceof AppError && (e.code === 'IMPORT_BAD_HEADER' || e.code === 'IMPORT_EMPTY_FILE' || e.code === 'IMPORT_TOO_LARGE') ? e.code : undefined;
      skipped.push({ file, reason: e instanceof AppError ? e.message : String(e), ...(code ? { code } : {}) });
      return;
    }
    if (!ds.elements['x00280010']) {
      skipped.push({ file, reason: `${path.basename(file)}: a DICOM object without an image (no Rows), e.g. a report or DICOMDIR` });
      return;
    }
    const uid = str(ds, 'x0020000e') || `no-series-uid:${path.dirname(file)}`;
    const frames = Number(str(ds, 'x00280008') || '1');
    const key = frames > 1 ? `${uid}#${file}` : uid;
    const slice: SliceHeader = {
      file,
      ipp: floats(ds, 'x00200032', 3) as Vec3 | null,
      iop: floats(ds, 'x00200037', 6),
      spacing: (floats(ds, 'x00280030', 2) ?? floats(ds, 'x00181164', 2)) as [number, number] | null,
      instanceNumber: Number(str(ds, 'x00200013') || '0'),
    };
    // whose images these are: one series must hold one patient (a folder that mixes people must never become one volume)
    const who = `${str(ds, 'x00100010').replace(/\^/g, ' ').trim() || '(no name)'} / ${str(ds, 'x00100020') || '(no ID)'}`;
    const g = groups.get(key);
    if (g) (g.slices.push(slice), g.patients.add(who));
    else groups.set(key, { ds, slices: [slice], multi: frames > 1, patients: new Set([who]) });
  });
  onProgress?.(files.length, files.length);
  const series: DicomSeriesInfo[] = [];
  for (const { ds, slices, multi, patients } of groups.values()) {
    const rows = ds.uint16('x00280010') ?? 0;
    const columns = ds.uint16('x00280011') ?? 0;
    const base = {
      seriesInstanceUid: str(ds, 'x0020000e'),
      studyInstanceUid: str(ds, 'x0020000d'),
      patientName: str(ds, 'x00100010').replace(/\^/g, ' ').trim(),
      patientId: str(ds, 'x00100020'),
      patientBirthDate: str(ds, 'x00100030'),
      patientSex: str(ds, 'x00100040'),
      studyDate: str(ds, 'x00080020'),
      studyDescription: str(ds, 'x00081030'),
      seriesDescription: str(ds, 'x0008103e'),
      seriesNumber: Number(str(ds, 'x00200011') || '0'),
      modality: str(ds, 'x00080060'),
      rows,
      columns,
      bitsAllocated: ds.uint16('x00280100') ?? 16,
      transferSyntaxUid: str(ds, 'x00020010'),
    };
    if (multi) {
      const file = (slices[0] as SliceHeader).file;
      series.push({ ...base, files: [file], multiFrame: true, ...seriesFromMultiFrame(file, ds) });
      continue;
    }
    const label = `${path.basename(root)}: series ${base.seriesNumber || base.seriesInstanceUid || '(no number or UID)'}`;
    const g = stackGeometry(slices, rows, columns, label);
    series.push({
      ...base,
      files: g.order.map((i) => (slices[i] as SliceHeader).file),
      frames: slices.length,
      multiFrame: false,
      nominalGeometry: false,
      geometry: g.geometry,
      frameOrder: g.order,
      problems:
        patients.size > 1 ? [`${label} mixes the images of ${patients.size} patients (${[...patients].join('; ')}): refused`, ...g.problems] : g.problems,
    });
  }
  series.sort((a, b) => a.patientId.localeCompare(b.patientId) || a.studyInstanceUid.localeCompare(b.studyInstanceUid) || a.seriesNumber - b.seriesNumber);
  return { series, skipped, filesScanned: files.length };
}

/** Bytes of decoded voxels a series will need (rows × columns × frames × bytes). */
export function seriesBytes(s: DicomSeriesInfo): number {
  return s.rows * s.columns * s.frames * Math.max(1, s.bitsAllocated / 8);
}
