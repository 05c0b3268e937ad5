/**
 * Reads a study from disk into a Volume in LPS mm. Runs inside a worker
 * (itk-wasm pipelines are synchronous WebAssembly and would block the event
 * loop). Pixel decoding is done by itk-wasm (`@itk-wasm/image-io` for NIfTI,
 * NRRD, MetaImage; `@itk-wasm/dicom` for DICOM series, with JPEG 2000, JPEG
 * lossless and RLE through GDCM); header checks and DICOM geometry are ours
 * (see headers.ts and dicom.ts).
 *
 * ITK reports images in LPS: NIfTI sform/qform (RAS) is converted by ITK's
 * NiftiImageIO, NRRD "space" and MetaImage AnatomicalOrientation are honoured.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readImageNode } from '@itk-wasm/image-io';
import { readImageDicomFileSeriesNode } from '@itk-wasm/dicom';
import type { Image } from 'itk-wasm';
import { AppError } from '../contract/errors.js';
import type { Mat3, Vec3, Volume, VoxelArray } from '../engine/volume.js';
import { DEFAULT_MAX_VOLUME_BYTES, contentOfVolumeFile, formatOfPath, probeVolumeFile, type VolumeFormat } from './headers.js';
import { contentOfDicomSeries, notAVolume, type Modality } from './identity.js';
import { MISSING_SLICES, scanDicom, seriesBytes, type DicomSeriesInfo } from './dicom.js';

export type { Modality };

export interface VolumeSourceMeta {
  format: VolumeFormat;
  sourcePath: string;
  modality: Modality;
  /**
   * True when the file does not state its modality: then it is 'CT' when its
   * intensities are HU-calibrated (guessModality), else 'OT' (unknown, to be
   * stated by the user; never a default MR).
   */
  modalityGuessed: boolean;
  patientName: string;
  patientId: string;
  /** DICOM PatientBirthDate (YYYYMMDD), '' when absent. */
  patientBirthDate: string;
  /** DICOM PatientSex (M, F, O), '' when absent. */
  patientSex: string;
  studyInstanceUid: string;
  studyDate: string;
  studyDescription: string;
  seriesInstanceUid: string;
  seriesDescription: string;
  seriesNumber: number;
  /** The headers hold no patient position: world coordinates are nominal. */
  nominalGeometry: boolean;
}

export interface ImportedVolume {
  volume: Volume;
  meta: VolumeSourceMeta;
  /** For a DICOM series: the series read (its files sorted along the slice normal, the volume's k order). */
  dicomSeries?: DicomSeriesInfo;
}

export interface ReadOptions {
  maxBytes?: number;
  /** For a DICOM folder with several series: which to read. */
  seriesInstanceUid?: string;
  /** Refuse a DICOM folder that holds files that are not DICOM (default true). */
  strict?: boolean;
  onProgress?: (fraction: number, stage: string) => void;
  /** The modality as the user states it, for a file that does not state its own (refused when it contradicts the file's). */
  modality?: Modality;
}

/** Turns an itk-wasm Image into a Volume; 2D images become one-slice volumes. */
export function volumeFromItkImage(img: Image, label: string): Volume {
  if (img.imageType.components !== 1)
    throw new AppError(
      'IMPORT_UNSUPPORTED',
      `${label}: ${img.imageType.components}-component (${img.imageType.pixelType}) images are not supported as volumes`,
    );
  if (!img.data) throw new AppError('IMPORT_BAD_HEADER', `${label}: no voxel data`);
  const d = img.imageType.dimension;
  const dims: Vec3 = [img.size[0] ?? 1, img.size[1] ?? 1, d >= 3 ? (img.size[2] ?? 1) : 1];
  const spacingMm: Vec3 = [img.spacing[0] ?? 1, img.spacing[1] ?? 1, d >= 3 ? (img.spacing[2] ?? 1) : 1];
  const originLps: Vec3 = [img.origin[0] ?? 0, img.origin[1] ?? 0, d >= 3 ? (img.origin[2] ?? 0) : 0];
  let direction: Mat3;
  const m = Array.from(img.direction as ArrayLike<number>);
  if (d >= 3) direction = m.slice(0, 9) as Mat3;
  else direction = [m[0] ?? 1, m[1] ?? 0, 0, m[2] ?? 0, m[3] ?? 1, 0, 0, 0, 1];
  return { dims, spacingMm, originLps, direction, data: img.data as VoxelArray };
}

/**
 * Modality of a file that does not state one, from its intensities: a CT is
 * HU-calibrated (air near −1000 HU, bone above 300 HU). Anything else is 'OT'
 * — unknown, for the user to state — never a default MR: an MR, a 3D
 * ultrasound and a label map all look alike by their values. A guess, stored
 * with `modalityGuessed`.
 */
export function guessModality(v: Volume): Modality {
  let min = Infinity;
  let max = -Infinity;
  const step = Math.max(1, Math.floor(v.data.length / 200000));
  for (let i = 0; i < v.data.length; i += step) {
    const x = v.data[i] as number;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return min <= -700 && max >= 300 ? 'CT' : 'OT';
}

function emptyMeta(file: string, format: VolumeFormat): VolumeSourceMeta {
  const base = path.basename(file).replace(/\.(nii\.gz|nii|nrrd|nhdr|mha|mhd|dcm)$/i, '');
  return {
    format,
    sourcePath: file,
    modality: 'OT',
    modalityGuessed: true,
    patientName: '',
    patientId: '',
    patientBirthDate: '',
    patientSex: '',
    studyInstanceUid: '',
    studyDate: '',
    studyDescription: base,
    seriesInstanceUid: '',
    seriesDescription: base,
    seriesNumber: 0,
    nominalGeometry: false,
  };
}

function pipelineError(file: string, e: unknown): AppError {
  if (e instanceof AppError) return e;
  const why = typeof e === 'number' ? `the reader stopped with status ${e}` : e instanceof Error ? e.message : String(e);
  return new AppError('IMPORT_BAD_HEADER', `${path.basename(file)}: cannot be read (${why})`, { file });
}

/**
 * Bytes of file paths itk-wasm's DICOM series pipeline is given at most as they are: it passes each path as a
 * command-line argument, and Emscripten copies the arguments onto the WebAssembly stack (64 KiB), so a series of many
 * files in a deep folder — a PACS retrieval's `pacs/incoming/<study UID>/<series UID>/<SOP UID>.dcm`, 500 slices ≈
 * 100 KB — overflows it ("memory access out of bounds").
 */
export const ITK_ARGV_BUDGET_BYTES = 16 * 1024;

/**
 * Runs `read` on `files`, or, when their paths exceed `ITK_ARGV_BUDGET_BYTES` together, on hard links to them (copies
 * across file systems) in a fresh temporary folder under short names (base-36 index), in the same order; the folder
 * is removed afterwards.
 */
export async function withShortPaths<T>(files: string[], read: (files: string[]) => Promise<T>): Promise<T> {
  if (files.reduce((n, f) => n + Buffer.byteLength(f) + 1, 0) <= ITK_ARGV_BUDGET_BYTES) return read(files);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ot-'));
  try {
    const short = files.map((f, i) => {
      const to = path.join(dir, i.toString(36));
      try {
        fs.linkSync(f, to);
      } catch {
        fs.copyFileSync(f, to);
      }
      return to;
    });
    return await read(short);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Picks the series to read from a scan, or explains why it cannot. */
export function chooseSeries(root: string, series: DicomSeriesInfo[], uid?: string): DicomSeriesInfo {
  if (series.length === 0) throw new AppError('IMPORT_NOT_DICOM', `${path.basename(root)}: no DICOM image series found`, { path: root });
  if (uid) {
    const s = series.find((x) => x.seriesInstanceUid === uid);
    if (!s) throw new AppError('NOT_FOUND', `${path.basename(root)}: no series with SeriesInstanceUID ${uid}`, { path: root });
    return s;
  }
  if (series.length > 1)
    throw new AppError('BAD_REQUEST', `${path.basename(root)} holds ${series.length} series; choose one (SeriesInstanceUID) in the patient picker`, {
      path: root,
      series: series.map((s) => s.seriesInstanceUid),
    });
  return series[0] as DicomSeriesInfo;
}

async function readDicom(root: string, o: ReadOptions): Promise<ImportedVolume> {
  const progress = o.onProgress ?? (() => undefined);
  const scan = scanDicom(root, (d, t) => progress(0.3 * (d / Math.max(1, t)), 'scan'));
  const strict = o.strict ?? true;
  if (strict && scan.skipped.length > 0) {
    const s = scan.skipped[0] as { file: string; reason: string; code?: 'IMPORT_BAD_HEADER' | 'IMPORT_EMPTY_FILE' | 'IMPORT_TOO_LARGE' };
    throw new AppError(s.code ?? 'IMPORT_NOT_DICOM', `${s.reason} (in ${path.basename(root)}; ${scan.skipped.length} such file(s))`, {
      file: s.file,
      skipped: scan.skipped,
    });
  }
  const s = chooseSeries(root, scan.series, o.seriesInstanceUid);
  const what = contentOfDicomSeries({ modality: s.modality, frames: s.frames, multiFrame: s.multiFrame, hasGeometry: s.geometry !== null });
  const why = notAVolume(what.kind, what.frames);
  if (why) throw new AppError('IMPORT_UNSUPPORTED', `${path.basename(root)}: series ${s.seriesNumber || s.seriesInstanceUid} is ${why}`, { path: root });
  if (s.problems.length)
    throw new AppError(s.problems.some((p) => p.includes(MISSING_SLICES)) ? 'DICOM_MISSING_SLICE' : 'DICOM_INCONSISTENT', s.problems.join('; '), {
      path: root,
      series: s.seriesInstanceUid,
    });
  const max = o.maxBytes ?? DEFAULT_MAX_VOLUME_BYTES;
  const bytes = seriesBytes(s);
  if (bytes > max)
    throw new AppError(
      'IMPORT_TOO_LARGE',
      `${path.basename(root)}: series of ${s.columns}×${s.rows}×${s.frames} needs ${(bytes / 1024 ** 3).toFixed(2)} GiB, over the limit`,
      { path: root },
    );
  progress(0.35, 'decode');
  let img: Image;
  try {
    if (s.multiFrame) img = await readImageNode(s.files[0] as string);
    else img = (await withShortPaths(s.files, (inputImages) => readImageDicomFileSeriesNode({ inputImages, singleSortedSeries: true }))).outputImage;
  } catch (e) {
    throw pipelineError(s.files[0] as string, e);
  }
  progress(0.9, 'geometry');
  const v = volumeFromItkImage(img, path.basename(root));
  if (v.dims[0] !== s.columns || v.dims[1] !== s.rows || v.dims[2] !== s.frames)
    throw new AppError('DICOM_INCONSISTENT', `${path.basename(root)}: decoded ${v.dims.join('×')} voxels, headers say ${s.columns}×${s.rows}×${s.frames}`);
  if (s.geometry) {
    // Our header geometry is authoritative (ITK's GDCM reader ignores enhanced functional groups).
    v.spacingMm = s.geometry.spacingMm;
    v.originLps = s.geometry.originLps;
    v.direction = s.geometry.direction;
    if (s.multiFrame && s.frameOrder.some((f, i) => f !== i)) {
      const plane = v.dims[0] * v.dims[1];
      const src = v.data;
      const dst = src.slice();
      s.frameOrder.forEach((f, i) => dst.set(src.subarray(f * plane, (f + 1) * plane), i * plane));
      v.data = dst;
    }
  }
  const content = contentOfDicomSeries({ modality: s.modality, frames: s.frames, multiFrame: s.multiFrame, hasGeometry: s.geometry !== null });
  const modality = content.statedModality ?? 'OT';
  return {
    volume: v,
    dicomSeries: s,
    meta: {
      format: 'dicom',
      sourcePath: root,
      modality,
      modalityGuessed: false,
      patientName: s.patientName,
      patientId: s.patientId,
      patientBirthDate: s.patientBirthDate,
      patientSex: s.patientSex,
      studyInstanceUid: s.studyInstanceUid,
      studyDate: s.studyDate,
      studyDescription: s.studyDescription,
      seriesInstanceUid: s.seriesInstanceUid,
      seriesDescription: s.seriesDescription,
      seriesNumber: s.seriesNumber,
      nominalGeometry: s.nominalGeometry,
    },
  };
}

/**
 * Reads a NIfTI/NRRD/MetaImage file, a DICOM file or a DICOM folder.
 *
 * @param file path of the file or folder
 * @returns the volume in LPS mm (HU for CT: DICOM rescale slope/intercept applied)
 *   and source metadata
 * @throws AppError IMPORT_* / DICOM_* codes; each message names the file and the reason
 */
export async function readVolume(file: string, o: ReadOptions = {}): Promise<ImportedVolume> {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new AppError('NOT_FOUND', `${file}: no such file or folder`, { file });
  }
  const fmt = formatOfPath(file);
  if (st.isDirectory() || fmt === 'dicom' || (fmt === null && isDicomFile(file))) return usable(await readDicom(file, o), file);
  const progress = o.onProgress ?? (() => undefined);
  progress(0.05, 'header');
  // what the file is, from its header, before any voxel is read: a tracked sequence or a 2D image never becomes a volume
  const content = contentOfVolumeFile(file);
  const why = notAVolume(content.kind, content.frames);
  if (why) throw new AppError('IMPORT_UNSUPPORTED', `${path.basename(file)} is ${why}`, { file });
  if (o.modality && content.statedModality && o.modality !== content.statedModality)
    throw new AppError('BAD_REQUEST', `${path.basename(file)}: the file states ${content.statedModality}, not ${o.modality}`, { file });
  await probeVolumeFile(file, o.maxBytes ?? DEFAULT_MAX_VOLUME_BYTES);
  progress(0.3, 'decode');
  let img: Image;
  try {
    img = await readImageNode(file);
  } catch (e) {
    throw pipelineError(file, e);
  }
  progress(0.95, 'geometry');
  const volume = volumeFromItkImage(img, path.basename(file));
  const meta = emptyMeta(file, fmt as VolumeFormat);
  const stated = content.statedModality ?? o.modality ?? null;
  meta.modality = stated ?? guessModality(volume);
  meta.modalityGuessed = stated === null;
  return usable({ volume, meta }, file);
}

/**
 * Refuses what would import as an empty twin or fail half-way into the store: a spacing that is not a positive
 * finite number, a single voxel, no finite voxel value at all, or one value everywhere (ITK's NIfTI reader reads
 * NaN as 0, so an all-NaN file ends here).
 * @throws AppError IMPORT_BAD_HEADER naming the file and the reason
 */
function usable(v: ImportedVolume, file: string): ImportedVolume {
  const name = path.basename(file);
  const { spacingMm, dims, data } = v.volume;
  if (spacingMm.some((s) => !(Number.isFinite(s) && s > 0)))
    throw new AppError('IMPORT_BAD_HEADER', `${name}: voxel spacing ${spacingMm.join(' × ')} mm is not positive: the grid has no size`, { file });
  if (dims[0] * dims[1] * dims[2] < 2) throw new AppError('IMPORT_BAD_HEADER', `${name}: a single voxel is not an image`, { file });
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length && !(hi > lo); i++) {
    const x = data[i] as number;
    if (Number.isFinite(x)) ((lo = Math.min(lo, x)), (hi = Math.max(hi, x)));
  }
  if (!(hi >= lo)) throw new AppError('IMPORT_BAD_HEADER', `${name}: no voxel holds a number (all NaN or infinite)`, { file });
  if (hi === lo)
    throw new AppError('IMPORT_BAD_HEADER', `${name}: every voxel holds the same value (${lo}): there is no image (a file of NaN reads as 0)`, { file });
  return v;
}

function isDicomFile(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    const b = Buffer.alloc(132);
    fs.readSync(fd, b, 0, 132, 0);
    fs.closeSync(fd);
    return b.toString('latin1', 128, 132) === 'DICM';
  } catch {
    return false;
  }
}
