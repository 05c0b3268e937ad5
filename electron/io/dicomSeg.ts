/**
 * DICOM Segmentation (PS3.3 A.51, binary SEG) written and read with dcmjs
 * 0.51 (`derivations.Segmentation`, as OHIF does), and the source series'
 * instances a derived object must reference.
 *
 * What a derived object needs of its source series (`SourceSeries`: the
 * header attributes it copies, `SOURCE_HEADER_ATTRIBUTES`, the grid, and per
 * instance its SOP Class UID, SOP Instance UID and ImagePositionPatient in
 * slice order) is read from the source files by `readSourceSeries` (headers
 * only, through the same scan as the import: files sorted along the slice
 * normal, or from the file list the import chose, `sourceSeriesFromFiles`).
 * The import records it in the twin store (migration 0018,
 * `series_dicom_sources`), so an object can be derived once the folder is
 * gone (a PACS retrieval's incoming folder is removed after the import).
 *
 * The SEG's frames are the source slices with content, one frame per
 * (segment, slice): each frame's Plane Position is the source instance's
 * ImagePositionPatient and its Derivation Image Sequence names that
 * instance (ReferencedSOPInstanceUID); Study Instance UID and Frame of
 * Reference UID are the source's. A label volume (the vertebra label map, a
 * mask) must lie on the source grid: every source pixel centre falls on a
 * voxel centre (`planeMapping`), else the export is refused.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type dcmjsModule from 'dcmjs';
import { AppError } from '../contract/errors.js';
import type { Vec3, Volume, VolumeGeometry } from '../engine/volume.js';
import { scanDicom } from './dicom.js';

type Naturalized = Record<string, unknown>;
const requireCjs = createRequire(import.meta.url);
let dcmjsLoaded: typeof dcmjsModule | null = null;
/** dcmjs, loaded on first use (its log level set to errors: it warns on every read otherwise). */
export function dcmjs(): typeof dcmjsModule {
  if (!dcmjsLoaded) {
    dcmjsLoaded = requireCjs('dcmjs') as typeof dcmjsModule;
    (dcmjsLoaded as unknown as { log?: { setLevel?: (l: string) => void } }).log?.setLevel?.('error');
  }
  return dcmjsLoaded;
}

/** OrthoTwin's Implementation Class UID (a UUID-derived 2.25 UID, PS3.5 B.2), written in the file meta of what it writes. */
export const IMPLEMENTATION_CLASS_UID = '2.25.171764866536436096883621467772629816671';
export const IMPLEMENTATION_VERSION_NAME = 'ORTHOTWIN';
export const SEG_SOP_CLASS_UID = '1.2.840.10008.5.1.4.1.1.66.4';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** A coded concept (PS3.3 Code Sequence Macro). */
export interface Code {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}

export interface SourceInstance {
  /** The file it was read from (absent when the reference comes from the twin store). */
  file?: string;
  sopClassUid: string;
  sopInstanceUid: string;
  ipp: Vec3;
}

/** The source series as the derived objects reference it (JSON-serialisable but for `instances[].file`). */
export interface SourceSeries {
  /** The first instance's attributes of `SOURCE_HEADER_ATTRIBUTES` (naturalised, dcmjs): patient, study, modality, grid. */
  header: Naturalized;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string;
  rows: number;
  columns: number;
  /** ImageOrientationPatient: row direction (3), column direction (3). */
  iop: number[];
  /** PixelSpacing: between rows, between columns (mm). */
  pixelSpacing: [number, number];
  sliceThickness: number;
  spacingBetweenSlices: number;
  /** Sorted along the slice normal (the order of the imported volume's k index). */
  instances: SourceInstance[];
}

/** The image storage class of a modality, for a source whose SOP Class UID is empty in both the data set and the file meta. */
const STORAGE_CLASS_OF: Record<string, string> = { CT: '1.2.840.10008.5.1.4.1.1.2', MR: '1.2.840.10008.5.1.4.1.1.4' };

const asArrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** Reads a Part 10 file with dcmjs: the naturalised data set and file meta. */
export function readPart10(buf: Buffer, headerOnly = false): { dataset: Naturalized; meta: Naturalized } {
  const d = dcmjs().data;
  const dict = d.DicomMessage.readFile(asArrayBuffer(buf), headerOnly ? { untilTag: '7FE00010', includeUntilTagValue: false, ignoreErrors: true } : {});
  const dataset = d.DicomMetaDictionary.naturalizeDataset(dict.dict);
  if (headerOnly) delete dataset['PixelData'];
  return { dataset, meta: d.DicomMetaDictionary.naturalizeDataset(dict.meta) };
}

/** Writes a naturalised data set as a Part 10 file (explicit VR little endian) with OrthoTwin's file meta. */
export function writePart10(dataset: Naturalized): Buffer {
  const d = dcmjs().data;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset['SOPClassUID'],
    MediaStorageSOPInstanceUID: dataset['SOPInstanceUID'],
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const dict = new d.DicomDict(d.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = d.DicomMetaDictionary.denaturalizeDataset(dataset);
  return Buffer.from(dict.write());
}

const str = (v: unknown): string => (Array.isArray(v) ? String(v[0] ?? '') : v === undefined || v === null ? '' : String(v)).trim();
const nums = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : v === undefined || v === null || v === '' ? [] : [Number(v)]);

/** Attributes of the Patient, General Study and Patient Study modules every derived object copies from its source. */
export const PATIENT_STUDY_ATTRIBUTES = [
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'PatientBirthDate',
  'PatientSex',
  'PatientAge',
  'StudyDate',
  'StudyTime',
  'StudyID',
  'AccessionNumber',
  'ReferringPhysicianName',
] as const;

/**
 * Every attribute of the source's first instance that a SEG, SR or Surface Segmentation copies or derives from
 * (`PATIENT_STUDY_ATTRIBUTES`, the study description and body part, the modality and the frame of reference, the
 * image grid): what `SourceSeries.header` holds, whether read from the files or from the twin store.
 */
export const SOURCE_HEADER_ATTRIBUTES = [
  ...PATIENT_STUDY_ATTRIBUTES,
  'StudyDescription',
  'BodyPartExamined',
  'Modality',
  'StudyInstanceUID',
  'SeriesInstanceUID',
  'FrameOfReferenceUID',
  'PositionReferenceIndicator',
  'Rows',
  'Columns',
  'ImageOrientationPatient',
  'PixelSpacing',
  'SliceThickness',
] as const;

/** The attributes of `keys` the source header has, as a naturalized fragment (absent ones left out). */
export function copyFromSource(header: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => header[k] !== undefined).map((k) => [k, header[k]]));
}

/**
 * The instances of a DICOM series in the folder it was imported from, sorted along the slice normal.
 * @param root the series' source path (folder or file)
 * @param seriesInstanceUid the series (empty: the folder's only series)
 * @throws AppError NOT_FOUND (the folder is gone or the series is not in it), BAD_REQUEST (an instance without SOP
 *   Instance UID or position, a multi-frame series, or no Frame of Reference UID)
 */
export function readSourceSeries(root: string, seriesInstanceUid: string): SourceSeries {
  if (!fs.existsSync(root)) throw new AppError('NOT_FOUND', `${root}: the source series' folder is gone; a derived DICOM object must reference its instances`);
  const scan = scanDicom(root);
  const s = seriesInstanceUid ? scan.series.find((x) => x.seriesInstanceUid === seriesInstanceUid) : scan.series.length === 1 ? scan.series[0] : undefined;
  if (!s) throw new AppError('NOT_FOUND', `${root}: series ${seriesInstanceUid || '(no UID)'} is not there any more (${scan.series.length} series found)`);
  return sourceSeriesFromFiles(root, s);
}

/**
 * The source reference of a series whose files are known (the import's chosen series: `files` sorted along the slice
 * normal, as `scanDicom` lists them): headers only, each file read up to its Pixel Data.
 * @param root the folder, named in errors
 * @throws AppError BAD_REQUEST (a multi-frame series, an instance without SOP Instance UID, SOP Class UID or position, no
 *   Frame of Reference UID)
 */
export function sourceSeriesFromFiles(
  root: string,
  s: { files: string[]; multiFrame: boolean; studyInstanceUid: string; seriesInstanceUid: string },
): SourceSeries {
  if (s.multiFrame) throw new AppError('BAD_REQUEST', `${root}: an enhanced multi-frame source is not supported for SEG/SR export yet`);
  const instances: SourceInstance[] = [];
  let header: Naturalized = {};
  for (const file of s.files) {
    const { dataset, meta } = readPart10(fs.readFileSync(file), true);
    // plain JSON values (dcmjs's naturalised multi-values are proxies that structured clone refuses): what the store keeps
    if (!instances.length) header = JSON.parse(JSON.stringify(copyFromSource(dataset, SOURCE_HEADER_ATTRIBUTES))) as Naturalized;
    const sopInstanceUid = str(dataset['SOPInstanceUID']) || str(meta['MediaStorageSOPInstanceUID']);
    const sopClassUid = str(dataset['SOPClassUID']) || str(meta['MediaStorageSOPClassUID']) || STORAGE_CLASS_OF[str(dataset['Modality'])] || '';
    if (!sopClassUid)
      throw new AppError(
        'BAD_REQUEST',
        `${file}: no SOP Class UID (data set and file meta empty) and no storage class known for modality ${str(dataset['Modality'])}`,
      );
    const ipp = nums(dataset['ImagePositionPatient']);
    if (!sopInstanceUid || ipp.length !== 3) throw new AppError('BAD_REQUEST', `${file}: no SOP Instance UID or ImagePositionPatient`);
    instances.push({ file, sopClassUid, sopInstanceUid, ipp: ipp as Vec3 });
  }
  const frameOfReferenceUid = str(header['FrameOfReferenceUID']);
  if (!frameOfReferenceUid) throw new AppError('BAD_REQUEST', `${root}: the series has no Frame of Reference UID`);
  const ps = nums(header['PixelSpacing']);
  const steps = instances.slice(1).map((x, i) => Math.hypot(...x.ipp.map((v, k) => v - (instances[i]!.ipp[k] as number))));
  steps.sort((a, b) => a - b);
  return {
    header,
    studyInstanceUid: str(header['StudyInstanceUID']) || s.studyInstanceUid,
    seriesInstanceUid: str(header['SeriesInstanceUID']) || s.seriesInstanceUid,
    frameOfReferenceUid,
    rows: Number(header['Rows']),
    columns: Number(header['Columns']),
    iop: nums(header['ImageOrientationPatient']),
    pixelSpacing: [ps[0] ?? 1, ps[1] ?? 1],
    sliceThickness: Number(str(header['SliceThickness']) || '0') || (steps[steps.length >> 1] ?? 1),
    spacingBetweenSlices: steps[steps.length >> 1] ?? Number(str(header['SliceThickness']) || '1'),
    instances,
  };
}

function invert3(m: number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m as [number, number, number, number, number, number, number, number, number];
  const A = e * i - f * h,
    B = -(d * i - f * g),
    C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-12) throw new AppError('BAD_REQUEST', 'a singular voxel grid');
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

/**
 * The voxel of `grid` at each pixel centre of a source frame (row r, column c): `(r, c) => linear index` (−1 outside).
 * @throws AppError BAD_REQUEST when the frame's pixel centres are not voxel centres of the grid (the label volume is not on the source grid)
 */
export function planeMapping(
  grid: VolumeGeometry,
  ipp: readonly number[],
  iop: readonly number[],
  pixelSpacing: readonly [number, number],
): (r: number, c: number) => number {
  const D = grid.direction;
  const s = grid.spacingMm;
  const M = [0, 1, 2].flatMap((row) => [0, 1, 2].map((col) => (D[row * 3 + col] as number) * (s[col] as number)));
  const Mi = invert3(M);
  const apply = (v: readonly number[]): number[] =>
    [0, 1, 2].map((r) => (Mi[r * 3] as number) * v[0]! + (Mi[r * 3 + 1] as number) * v[1]! + (Mi[r * 3 + 2] as number) * v[2]!);
  const i0 = apply([0, 1, 2].map((k) => (ipp[k] as number) - (grid.originLps[k] as number)));
  const dc = apply([0, 1, 2].map((k) => (iop[k] as number) * pixelSpacing[1]));
  const dr = apply([0, 1, 2].map((k) => (iop[3 + k] as number) * pixelSpacing[0]));
  const off = [...i0, ...dc, ...dr].find((x) => Math.abs(x - Math.round(x)) > 0.01);
  if (off !== undefined)
    throw new AppError(
      'BAD_REQUEST',
      `the label volume is not on the source series' grid (a source pixel centre falls ${off.toFixed(3)} voxels from a voxel centre): it cannot be written as frames of the source images`,
    );
  const [I0, I1, I2] = i0.map(Math.round) as [number, number, number];
  const [c0, c1, c2] = dc.map(Math.round) as [number, number, number];
  const [r0, r1, r2] = dr.map(Math.round) as [number, number, number];
  const [nx, ny, nz] = grid.dims;
  return (r, c) => {
    const i = I0 + c * c0 + r * r0,
      j = I1 + c * c1 + r * r1,
      k = I2 + c * c2 + r * r2;
    return i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz ? -1 : i + nx * (j + ny * k);
  };
}

/** One segment: the voxels of `volume` equal to `value`, described by its label and codes. */
export interface SegmentInput {
  label: string;
  description?: string;
  category: Code;
  type: Code;
  algorithmType: 'AUTOMATIC' | 'SEMIAUTOMATIC' | 'MANUAL';
  algorithmName: string;
  /** sRGB 0–255. */
  rgb: [number, number, number];
  volume: Volume;
  value: number;
}

export interface SegWriteOptions {
  seriesNumber: number;
  seriesDescription: string;
  contentLabel: string;
  contentDescription: string;
  manufacturer: string;
  modelName: string;
  softwareVersions: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  /** A private coding scheme some segment codes use: declared in the Coding Scheme Identification Sequence. */
  privateScheme?: { designator: string; name: string; version: string; organization: string };
}

export interface SegWriteResult {
  bytes: Buffer;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  frames: number;
  /** Per segment (in order): frames written and voxels set. */
  perSegment: { label: string; frames: number; voxels: number }[];
}

/** What the SEG copies from the source: the patient and study, the study's description and the body part. */
const FROM_SOURCE = [...PATIENT_STUDY_ATTRIBUTES, 'StudyDescription', 'BodyPartExamined'];

/**
 * Writes a binary SEG of `segments` over the source series: only the frames with content (per segment, the source
 * slices where the segment has voxels), each referencing its source instance.
 */
export function encodeSegmentation(src: SourceSeries, segments: SegmentInput[], o: SegWriteOptions): SegWriteResult {
  const dj = dcmjs();
  const { rows, columns } = src;
  const n = src.instances.length;
  const frameSize = rows * columns;
  // per segment: the frames (1-based source frame numbers) with content and their pixels
  const perSegment = segments.map((seg) => {
    const frames: { number: number; pixels: Uint8Array }[] = [];
    let voxels = 0;
    src.instances.forEach((inst, f) => {
      const map = planeMapping(seg.volume, inst.ipp, src.iop, src.pixelSpacing);
      const px = new Uint8Array(frameSize);
      let any = 0;
      const data = seg.volume.data;
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < columns; c++) {
          const v = map(r, c);
          if (v >= 0 && data[v] === seg.value) {
            px[r * columns + c] = 1;
            any++;
          }
        }
      if (any) {
        frames.push({ number: f + 1, pixels: px });
        voxels += any;
      }
    });
    return { seg, frames, voxels };
  });
  const total = perSegment.reduce((a, s) => a + s.frames.length, 0);
  if (total === 0) throw new AppError('BAD_REQUEST', 'no segment has a voxel on the source slices: nothing to write');
  const header = src.header;
  const ref: Naturalized = {
    _vrMap: { PixelData: 'OB' },
    _meta: {},
    ...copyFromSource(header, FROM_SOURCE),
    StudyInstanceUID: src.studyInstanceUid,
    SeriesInstanceUID: src.seriesInstanceUid,
    SOPClassUID: src.instances[0]!.sopClassUid,
    SOPInstanceUID: src.instances[0]!.sopInstanceUid,
    Modality: str(header['Modality']) || 'CT',
    FrameOfReferenceUID: src.frameOfReferenceUid,
    PositionReferenceIndicator: str(header['PositionReferenceIndicator']),
    NumberOfFrames: n,
    Rows: rows,
    Columns: columns,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    BitsStored: 1,
    HighBit: 0,
    SharedFunctionalGroupsSequence: {
      PlaneOrientationSequence: { ImageOrientationPatient: src.iop },
      PixelMeasuresSequence: { PixelSpacing: src.pixelSpacing, SliceThickness: src.sliceThickness, SpacingBetweenSlices: src.spacingBetweenSlices },
    },
    PerFrameFunctionalGroupsSequence: src.instances.map((i) => ({ PlanePositionSequence: { ImagePositionPatient: i.ipp } })),
    ReferencedSeriesSequence: {
      SeriesInstanceUID: src.seriesInstanceUid,
      ReferencedInstanceSequence: src.instances.map((i) => ({ ReferencedSOPClassUID: i.sopClassUid, ReferencedSOPInstanceUID: i.sopInstanceUid })),
    },
    PixelData: new ArrayBuffer(0),
  };
  const seg = new dj.derivations.Segmentation([ref], {
    includeSliceSpacing: true,
    Manufacturer: o.manufacturer,
    ManufacturerModelName: o.modelName,
    SoftwareVersions: o.softwareVersions,
    DeviceSerialNumber: '1',
    SeriesDescription: o.seriesDescription,
    SeriesNumber: String(o.seriesNumber),
    ContentLabel: o.contentLabel,
    ContentDescription: o.contentDescription,
    ContentCreatorName: '',
    ...(o.seriesInstanceUid ? { SeriesInstanceUID: o.seriesInstanceUid } : {}),
    ...(o.sopInstanceUid ? { SOPInstanceUID: o.sopInstanceUid } : {}),
  });
  const ds = seg.dataset;
  ds['ContentLabel'] = o.contentLabel;
  seg.setNumberOfFrames(total);
  const colors = (dj.data as unknown as { Colors: { rgb2DICOMLAB(rgb: number[]): number[] } }).Colors;
  for (const { seg: s, frames } of perSegment) {
    if (!frames.length) continue;
    const pixels = new Uint8Array(frames.length * frameSize);
    frames.forEach((f, i) => pixels.set(f.pixels, i * frameSize));
    seg.addSegment(
      {
        SegmentLabel: s.label,
        ...(s.description ? { SegmentDescription: s.description } : {}),
        SegmentAlgorithmType: s.algorithmType,
        SegmentAlgorithmName: s.algorithmName,
        SegmentedPropertyCategoryCodeSequence: s.category,
        SegmentedPropertyTypeCodeSequence: s.type,
        RecommendedDisplayCIELabValue: colors.rgb2DICOMLAB(s.rgb.map((x) => x / 255)).map((x) => Math.round(x)),
      },
      pixels,
      frames.map((f) => f.number),
    );
  }
  seg.bitPackPixelData();
  // the Common Instance Reference module: the series item holds the series UID and its instances (no study UID: the same study)
  ds['ReferencedSeriesSequence'] = [
    {
      SeriesInstanceUID: src.seriesInstanceUid,
      ReferencedInstanceSequence: src.instances.map((i) => ({ ReferencedSOPClassUID: i.sopClassUid, ReferencedSOPInstanceUID: i.sopInstanceUid })),
    },
  ];
  ds['SOPClassUID'] = SEG_SOP_CLASS_UID;
  ds['InstanceNumber'] = 1;
  ds['ImageType'] = ['DERIVED', 'PRIMARY'];
  ds['SpecificCharacterSet'] = 'ISO_IR 192';
  delete ds['ImageComments'];
  const ps = o.privateScheme;
  if (ps && segments.some((x) => x.type.CodingSchemeDesignator === ps.designator || x.category.CodingSchemeDesignator === ps.designator))
    ds['CodingSchemeIdentificationSequence'] = {
      CodingSchemeDesignator: ps.designator,
      CodingSchemeName: ps.name,
      CodingSchemeVersion: ps.version,
      CodingSchemeResponsibleOrganization: ps.organization,
    };
  // Segmentation Series / Enhanced General Equipment / Content Identification: the SEG's own attributes
  ds['Modality'] = 'SEG';
  ds['SeriesDate'] = ds['ContentDate'];
  ds['SeriesTime'] = ds['ContentTime'];
  return {
    bytes: writePart10(ds),
    sopInstanceUid: str(ds['SOPInstanceUID']),
    seriesInstanceUid: str(ds['SeriesInstanceUID']),
    frames: total,
    perSegment: perSegment.map((p) => ({ label: p.seg.label, frames: p.frames.length, voxels: p.voxels })),
  };
}

const asList = (v: unknown): Naturalized[] => (Array.isArray(v) ? (v as Naturalized[]) : v && typeof v === 'object' ? [v as Naturalized] : []);
const code = (v: unknown): Code => {
  const c = asList(v)[0] ?? {};
  return { CodeValue: str(c['CodeValue']), CodingSchemeDesignator: str(c['CodingSchemeDesignator']), CodeMeaning: str(c['CodeMeaning']) };
};

export interface DecodedSegment {
  number: number;
  label: string;
  description: string;
  category: Code;
  type: Code;
  algorithmType: string;
  algorithmName: string;
}

export interface DecodedFrame {
  segment: number;
  sopInstanceUid: string;
  ipp: Vec3;
  /** Rows × Columns, 0 or 1. */
  pixels: Uint8Array;
}

export interface DecodedSeg {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  frameOfReferenceUid: string;
  referencedSeriesUid: string;
  rows: number;
  columns: number;
  iop: number[];
  pixelSpacing: [number, number];
  segments: DecodedSegment[];
  frames: DecodedFrame[];
}

/** Reads a binary SEG: its segments and per frame the segment, source instance, position and unpacked pixels. */
export function decodeSegmentation(buf: Buffer): DecodedSeg {
  const { dataset: ds } = readPart10(buf);
  if (str(ds['SOPClassUID']) !== SEG_SOP_CLASS_UID) throw new AppError('BAD_REQUEST', `not a Segmentation (SOP Class ${str(ds['SOPClassUID'])})`);
  if (str(ds['SegmentationType']) !== 'BINARY') throw new AppError('BAD_REQUEST', `a ${str(ds['SegmentationType'])} SEG: only binary is read`);
  const rows = Number(ds['Rows']),
    columns = Number(ds['Columns']);
  const frameSize = rows * columns;
  const raw = ds['PixelData'];
  const pd = new Uint8Array((Array.isArray(raw) ? raw[0] : raw) as ArrayBuffer);
  const shared = asList(ds['SharedFunctionalGroupsSequence'])[0] ?? {};
  const sharedIop = nums(asList(shared['PlaneOrientationSequence'])[0]?.['ImageOrientationPatient']);
  const ps = nums(asList(shared['PixelMeasuresSequence'])[0]?.['PixelSpacing']);
  const frames = asList(ds['PerFrameFunctionalGroupsSequence']).map((fg, f): DecodedFrame => {
    const pixels = new Uint8Array(frameSize);
    const base = f * frameSize;
    for (let p = 0; p < frameSize; p++) {
      const bit = base + p;
      pixels[p] = ((pd[bit >> 3] as number) >> (bit & 7)) & 1;
    }
    const src = asList(asList(fg['DerivationImageSequence'])[0]?.['SourceImageSequence'])[0] ?? {};
    return {
      segment: Number(str(asList(fg['SegmentIdentificationSequence'])[0]?.['ReferencedSegmentNumber'])),
      sopInstanceUid: str(src['ReferencedSOPInstanceUID']),
      ipp: nums(asList(fg['PlanePositionSequence'])[0]?.['ImagePositionPatient']) as Vec3,
      pixels,
    };
  });
  return {
    sopInstanceUid: str(ds['SOPInstanceUID']),
    seriesInstanceUid: str(ds['SeriesInstanceUID']),
    studyInstanceUid: str(ds['StudyInstanceUID']),
    frameOfReferenceUid: str(ds['FrameOfReferenceUID']),
    referencedSeriesUid: str(asList(ds['ReferencedSeriesSequence'])[0]?.['SeriesInstanceUID']),
    rows,
    columns,
    iop: sharedIop,
    pixelSpacing: [ps[0] ?? 1, ps[1] ?? 1],
    segments: asList(ds['SegmentSequence']).map((s) => ({
      number: Number(str(s['SegmentNumber'])),
      label: str(s['SegmentLabel']),
      description: str(s['SegmentDescription']),
      category: code(s['SegmentedPropertyCategoryCodeSequence']),
      type: code(s['SegmentedPropertyTypeCodeSequence']),
      algorithmType: str(s['SegmentAlgorithmType']),
      algorithmName: str(s['SegmentAlgorithmName']),
    })),
    frames,
  };
}
