/**
 * DICOM Surface Segmentation (PS3.3 A.57: Surface Segmentation and Surface
 * Mesh modules) of triangle meshes in the patient frame (LPS mm = DICOM
 * patient coordinates, the source's Frame of Reference), written as a
 * naturalised data set through dcmjs's writer (dcmjs has no derivation for
 * it): per surface the points as Point Coordinates Data (OF, float32) and
 * the triangles as Long Triangle Point Index List (OL, 1-based indices; dcmjs
 * 0.51's dictionary says UL, whose 16-bit length cannot hold a mesh, so the
 * VR is set per item). Each segment has one surface and references the
 * source instances it was made from.
 */
import { AppError } from '../contract/errors.js';
import type { TriangleMesh } from '../engine/surface.js';
import { type Code, copyFromSource, dcmjs, PATIENT_STUDY_ATTRIBUTES, readPart10, type SourceSeries, writePart10 } from './dicomSeg.js';

type Naturalized = Record<string, unknown>;
export const SURFACE_SEG_SOP_CLASS_UID = '1.2.840.10008.5.1.4.1.1.66.5';

export interface SurfaceInput {
  label: string;
  description?: string;
  category: Code;
  type: Code;
  /** sRGB 0–255 and opacity 0–1. */
  rgb: [number, number, number];
  opacity: number;
  mesh: TriangleMesh;
  /** Closed (finite volume) and manifold, as checked by the caller. */
  finiteVolume: 'YES' | 'NO' | 'UNKNOWN';
  manifold: 'YES' | 'NO' | 'UNKNOWN';
  algorithm: { family: Code; name: string; version: string };
}

export interface SurfaceWriteOptions {
  seriesNumber: number;
  seriesDescription: string;
  contentLabel: string;
  contentDescription: string;
  manufacturer: string;
  modelName: string;
  softwareVersions: string;
  privateScheme?: { designator: string; name: string; version: string; organization: string };
}

const str = (v: unknown): string => (Array.isArray(v) ? String(v[0] ?? '') : v === undefined || v === null ? '' : String(v)).trim();

/** Writes the Surface Segmentation of `surfaces` over the source series. */
export function encodeSurfaceSegmentation(
  src: SourceSeries,
  surfaces: SurfaceInput[],
  o: SurfaceWriteOptions,
): { bytes: Buffer; sopInstanceUid: string; seriesInstanceUid: string } {
  if (!surfaces.length) throw new AppError('BAD_REQUEST', 'no surface to write');
  const d = dcmjs().data;
  const colors = (d as unknown as { Colors: { rgb2DICOMLAB(rgb: number[]): number[] } }).Colors;
  const h = src.header;
  const date = d.DicomMetaDictionary.date(),
    time = d.DicomMetaDictionary.time();
  const sopInstanceUid = d.DicomMetaDictionary.uid(),
    seriesInstanceUid = d.DicomMetaDictionary.uid();
  const sourceRefs = src.instances.map((i) => ({ ReferencedSOPClassUID: i.sopClassUid, ReferencedSOPInstanceUID: i.sopInstanceUid }));
  const ds: Naturalized = {
    _vrMap: {},
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: SURFACE_SEG_SOP_CLASS_UID,
    SOPInstanceUID: sopInstanceUid,
    ...copyFromSource(h, [...PATIENT_STUDY_ATTRIBUTES, 'StudyDescription']),
    StudyInstanceUID: src.studyInstanceUid,
    Modality: 'SEG',
    SeriesInstanceUID: seriesInstanceUid,
    SeriesNumber: o.seriesNumber,
    SeriesDescription: o.seriesDescription,
    SeriesDate: date,
    SeriesTime: time,
    FrameOfReferenceUID: src.frameOfReferenceUid,
    PositionReferenceIndicator: str(h['PositionReferenceIndicator']),
    Manufacturer: o.manufacturer,
    ManufacturerModelName: o.modelName,
    DeviceSerialNumber: '1',
    SoftwareVersions: o.softwareVersions,
    InstanceNumber: 1,
    ContentLabel: o.contentLabel,
    ContentDescription: o.contentDescription,
    ContentCreatorName: '',
    ContentDate: date,
    ContentTime: time,
    SegmentSequence: surfaces.map((s, i) => ({
      SegmentNumber: i + 1,
      SegmentLabel: s.label,
      ...(s.description ? { SegmentDescription: s.description } : {}),
      SegmentedPropertyCategoryCodeSequence: s.category,
      SegmentedPropertyTypeCodeSequence: s.type,
      SegmentAlgorithmType: 'AUTOMATIC',
      SurfaceCount: 1,
      ReferencedSurfaceSequence: [
        {
          ReferencedSurfaceNumber: i + 1,
          SegmentSurfaceGenerationAlgorithmIdentificationSequence: {
            AlgorithmFamilyCodeSequence: s.algorithm.family,
            AlgorithmName: s.algorithm.name,
            AlgorithmVersion: s.algorithm.version,
          },
          SegmentSurfaceSourceInstanceSequence: sourceRefs,
        },
      ],
    })),
    NumberOfSurfaces: surfaces.length,
    SurfaceSequence: surfaces.map((s, i) => {
      const idx = new Uint32Array(s.mesh.triangles.length);
      for (let k = 0; k < idx.length; k++) idx[k] = (s.mesh.triangles[k] as number) + 1;
      const pts = Float32Array.from(s.mesh.points);
      return {
        SurfaceNumber: i + 1,
        SurfaceComments: s.description ?? s.label,
        SurfaceProcessing: '',
        RecommendedDisplayGrayscaleValue: 65535,
        RecommendedDisplayCIELabValue: colors.rgb2DICOMLAB(s.rgb.map((x) => x / 255)).map((x) => Math.round(x)),
        RecommendedPresentationOpacity: s.opacity,
        RecommendedPresentationType: 'SURFACE',
        FiniteVolume: s.finiteVolume,
        Manifold: s.manifold,
        SurfacePointsSequence: { NumberOfSurfacePoints: pts.length / 3, PointCoordinatesData: [pts.buffer] },
        SurfacePointsNormalsSequence: [],
        // triangles only; the other primitives are type 2, present and empty
        SurfaceMeshPrimitivesSequence: {
          _vrMap: { LongTrianglePointIndexList: 'OL', LongVertexPointIndexList: 'OL', LongEdgePointIndexList: 'OL' },
          LongVertexPointIndexList: [],
          LongEdgePointIndexList: [],
          LongTrianglePointIndexList: [idx.buffer],
          TriangleStripSequence: [],
          TriangleFanSequence: [],
          LineSequence: [],
          FacetSequence: [],
        },
      };
    }),
    ReferencedSeriesSequence: [{ SeriesInstanceUID: src.seriesInstanceUid, ReferencedInstanceSequence: sourceRefs }],
  };
  const ps = o.privateScheme;
  if (ps && surfaces.some((s) => [s.type, s.category, s.algorithm.family].some((c) => c.CodingSchemeDesignator === ps.designator)))
    ds['CodingSchemeIdentificationSequence'] = {
      CodingSchemeDesignator: ps.designator,
      CodingSchemeName: ps.name,
      CodingSchemeVersion: ps.version,
      CodingSchemeResponsibleOrganization: ps.organization,
    };
  return { bytes: patchOlVr(writePart10(ds)), sopInstanceUid, seriesInstanceUid };
}

/**
 * dcmjs 0.51 has no OL value representation and writes these elements as UN; explicit VR UN and OL share their
 * layout (2 reserved bytes, 4-byte length), so the VR bytes of the Long Vertex/Triangle/Edge Point Index Lists
 * (0066,0041–0043) are set to OL in place.
 */
function patchOlVr(buf: Buffer): Buffer {
  for (const el of [0x41, 0x42, 0x43]) {
    const needle = Buffer.from([0x66, 0x00, el, 0x00, 0x55, 0x4e, 0x00, 0x00]);
    for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + 8)) buf.write('OL', i + 4, 'latin1');
  }
  return buf;
}

const asList = (v: unknown): Naturalized[] => (Array.isArray(v) ? (v as Naturalized[]) : v && typeof v === 'object' ? [v as Naturalized] : []);
/** An OF/OL value as dcmjs gives it: a list holding one ArrayBuffer, or (read through the dictionary's VR) a list of numbers. */
const binaryOf = (v: unknown): ArrayBuffer | number[] => {
  const first: unknown = Array.isArray(v) ? v[0] : v;
  return first instanceof ArrayBuffer ? first : Array.isArray(v) ? (v as number[]) : [];
};

export interface DecodedSurface {
  number: number;
  label: string;
  type: Code;
  category: Code;
  finiteVolume: string;
  manifold: string;
  mesh: TriangleMesh;
}

/** Reads a Surface Segmentation: per segment its surface's points (LPS mm) and 0-based triangles. */
export function decodeSurfaceSegmentation(buf: Buffer): {
  sopInstanceUid: string;
  studyInstanceUid: string;
  frameOfReferenceUid: string;
  referencedSeriesUid: string;
  surfaces: DecodedSurface[];
} {
  const { dataset: ds } = readPart10(buf);
  if (str(ds['SOPClassUID']) !== SURFACE_SEG_SOP_CLASS_UID)
    throw new AppError('BAD_REQUEST', `not a Surface Segmentation (SOP Class ${str(ds['SOPClassUID'])})`);
  const surfaces = new Map(asList(ds['SurfaceSequence']).map((s) => [Number(str(s['SurfaceNumber'])), s]));
  const code = (v: unknown): Code => {
    const c = asList(v)[0] ?? {};
    return { CodeValue: str(c['CodeValue']), CodingSchemeDesignator: str(c['CodingSchemeDesignator']), CodeMeaning: str(c['CodeMeaning']) };
  };
  return {
    sopInstanceUid: str(ds['SOPInstanceUID']),
    studyInstanceUid: str(ds['StudyInstanceUID']),
    frameOfReferenceUid: str(ds['FrameOfReferenceUID']),
    referencedSeriesUid: str(asList(ds['ReferencedSeriesSequence'])[0]?.['SeriesInstanceUID']),
    surfaces: asList(ds['SegmentSequence']).map((seg) => {
      const n = Number(str(asList(seg['ReferencedSurfaceSequence'])[0]?.['ReferencedSurfaceNumber']));
      const s = surfaces.get(n) ?? {};
      const p = binaryOf(asList(s['SurfacePointsSequence'])[0]?.['PointCoordinatesData']);
      const pts = p instanceof ArrayBuffer ? new Float32Array(p) : Float32Array.from(p);
      const t = binaryOf(asList(s['SurfaceMeshPrimitivesSequence'])[0]?.['LongTrianglePointIndexList']);
      const idx = t instanceof ArrayBuffer ? new Uint32Array(t) : Uint32Array.from(t);
      const tris = new Uint32Array(idx.length);
      for (let k = 0; k < idx.length; k++) tris[k] = (idx[k] as number) - 1;
      return {
        number: Number(str(seg['SegmentNumber'])),
        label: str(seg['SegmentLabel']),
        type: code(seg['SegmentedPropertyTypeCodeSequence']),
        category: code(seg['SegmentedPropertyCategoryCodeSequence']),
        finiteVolume: str(s['FiniteVolume']),
        manifold: str(s['Manifold']),
        mesh: { points: pts, triangles: tris },
      };
    }),
  };
}
