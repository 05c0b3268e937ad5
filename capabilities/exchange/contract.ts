/**
 * Exchange: the twin's meshes out of OrthoTwin for 3D printing (issue 24 §2):
 * 3MF (3MF Core Specification 1.3: named objects with base materials and
 * colours, millimetres) or STL (binary or ASCII), each part repaired to be
 * closed and manifold first, with its printability report. Parts are in the
 * twin's LPS frame (mm).
 */
import { z } from 'zod';
import { CLINICAL_ROLES, defineService } from '../../electron/contract/define.js';
import { Id } from '../../electron/contract/primitives.js';

/** What can be printed: the skin shell, the bone, the intervertebral disc spaces of the newest spine analysis (one object per disc). */
export const MeshPart = z.enum(['skin', 'bone', 'discs', 'screws']);
export type MeshPart = z.infer<typeof MeshPart>;

export const ExportMeshRequest = z.object({
  format: z.enum(['3mf', 'stl']),
  /** Default: 3MF every part the twin has; STL the bone (an STL holds one part). */
  parts: z.array(MeshPart).min(1).optional(),
  /** STL only. */
  stlEncoding: z.enum(['binary', 'ascii']).default('binary'),
  /** The file to write (absent, else refused); default `<data dir>/exports/twin-<id>-<parts>-<time>.<ext>`. */
  out: z.string().min(1).optional(),
  /** Walls thinner than this (mm) are counted in the report. */
  wallThresholdMm: z.number().positive().max(20).default(0.8),
});
export type ExportMeshRequest = z.input<typeof ExportMeshRequest>;

const Vec3 = z.tuple([z.number(), z.number(), z.number()]);

/** The printability of one object (electron/engine/printability.ts: counts, mm, mm², mm³). */
export const Printability = z.object({
  vertices: z.number().int(),
  triangles: z.number().int(),
  boundaryEdges: z.number().int(),
  nonManifoldEdges: z.number().int(),
  inconsistentEdges: z.number().int(),
  nonManifoldVertices: z.number().int(),
  degenerateTriangles: z.number().int(),
  zeroAreaTriangles: z.number().int(),
  duplicateTriangles: z.number().int(),
  shells: z.number().int(),
  closed: z.boolean(),
  manifold: z.boolean(),
  consistentlyOriented: z.boolean(),
  signedVolumeMm3: z.number(),
  areaMm2: z.number(),
  boundsMm: z.object({ min: Vec3, max: Vec3 }),
  wall: z
    .object({
      samples: z.number().int(),
      missed: z.number().int(),
      minMm: z.number().nullable(),
      p1Mm: z.number().nullable(),
      medianMm: z.number().nullable(),
      thresholdMm: z.number(),
      belowThreshold: z.number().int(),
      thinnestAtMm: Vec3,
    })
    .nullable(),
});
export type Printability = z.infer<typeof Printability>;

export const RepairActions = z.object({
  weldedVertices: z.number().int(),
  degenerateRemoved: z.number().int(),
  duplicatesRemoved: z.number().int(),
  oppositePairsRemoved: z.number().int(),
  nonManifoldEdgesSplit: z.number().int(),
  verticesSplit: z.number().int(),
  trianglesFlipped: z.number().int(),
  shellsInverted: z.number().int(),
});

export const ExportedObject = z.object({
  /** The object's name in the file (e.g. "Bone", "Disc L4-L5"). */
  name: z.string(),
  part: MeshPart,
  /** The twin artefact it was made from (e.g. bone-mesh, disc-spaces). */
  source: z.string(),
  material: z.string(),
  /** sRGB #RRGGBBAA. */
  displayColor: z.string(),
  /** Before repair (no wall estimate). */
  before: Printability,
  repair: RepairActions,
  /** As written. */
  after: Printability,
});
export type ExportedObject = z.infer<typeof ExportedObject>;

export const ExportMeshResult = z.object({
  path: z.string(),
  format: z.enum(['3mf', 'stl']),
  bytes: z.number().int(),
  sha256: z.string(),
  unit: z.literal('millimeter'),
  /** The frame of the coordinates written: the twin's LPS (patient left, posterior, superior). */
  frame: z.literal('LPS'),
  objects: z.array(ExportedObject),
  /** Parts asked for (or defaulted) that the twin does not have, with why. */
  omitted: z.array(z.object({ part: MeshPart, reason: z.string() })),
  timingsMs: z.record(z.string(), z.number()),
});
export type ExportMeshResult = z.infer<typeof ExportMeshResult>;

/** DICOM objects of the results (issue 24 §3): a binary Segmentation, a Surface Segmentation of the meshes, or a TID 1500 Comprehensive 3D SR. */
export const DicomKind = z.enum(['seg', 'sr', 'surface']);
export type DicomKind = z.infer<typeof DicomKind>;

export const ExportDicomRequest = z.object({
  kind: DicomKind,
  /** The file to write (absent, else refused); default `<data dir>/exports/twin-<id>-<kind>-<time>.dcm`. */
  out: z.string().min(1).optional(),
});
export type ExportDicomRequest = z.input<typeof ExportDicomRequest>;

const CodeRecord = z.object({ CodeValue: z.string(), CodingSchemeDesignator: z.string(), CodeMeaning: z.string() });

export const ExportDicomResult = z.object({
  path: z.string(),
  kind: DicomKind,
  bytes: z.number().int(),
  sha256: z.string(),
  sopClassUid: z.string(),
  sopInstanceUid: z.string(),
  seriesInstanceUid: z.string(),
  /** The source study and series the object references (its study is the source's). */
  studyInstanceUid: z.string(),
  referencedSeriesInstanceUid: z.string(),
  frameOfReferenceUid: z.string(),
  /** Source instances referenced (SOP Instance UIDs and positions). */
  sourceInstances: z.number().int(),
  /** Where the source reference came from: the series' folder, or the store (recorded at the import, migration 0018: the folder is gone or moved). */
  sourceReference: z.enum(['folder', 'store']),
  /** The spine analysis the object was made from (null: none; a SEG then holds the bone and skin masks only). */
  analysisId: z.string().nullable(),
  /** SEG: per segment, frames written (source slices with content) and voxels. */
  segments: z.array(z.object({ label: z.string(), type: CodeRecord, frames: z.number().int(), voxels: z.number().int() })),
  /** Surface Segmentation: per surface its points, triangles and whether it is closed and manifold. */
  surfaces: z.array(z.object({ label: z.string(), points: z.number().int(), triangles: z.number().int(), finiteVolume: z.string(), manifold: z.string() })),
  /** SR: measurement groups and numeric measurements written. */
  groups: z.number().int(),
  measurements: z.number().int(),
  /** SR: the screw plan reported (the newest of the newest spine analysis; one group per screw), null when none. */
  screwPlan: z.object({ id: z.string(), version: z.number().int(), screws: z.number().int() }).nullable(),
  /** What was left out and why (a mask the twin lacks, a measurement not made). */
  omitted: z.array(z.string()),
  timingsMs: z.record(z.string(), z.number()),
});
export type ExportDicomResult = z.infer<typeof ExportDicomResult>;

/** A SEG or SR file read back (with dcmjs): the segments, or the measurements as a table. */
export const ReadDicomResult = z.object({
  path: z.string(),
  kind: DicomKind,
  sopClassUid: z.string(),
  sopInstanceUid: z.string(),
  studyInstanceUid: z.string(),
  referencedSeriesInstanceUid: z.string(),
  segments: z.array(
    z.object({
      number: z.number().int(),
      label: z.string(),
      category: CodeRecord,
      type: CodeRecord,
      algorithmType: z.string(),
      frames: z.number().int(),
      voxels: z.number().int(),
    }),
  ),
  surfaces: z.array(z.object({ label: z.string(), points: z.number().int(), triangles: z.number().int(), finiteVolume: z.string(), manifold: z.string() })),
  /** SR: observer (type, name) and template. */
  observer: z.object({ type: z.string(), name: z.string(), uid: z.string() }).nullable(),
  template: z.string(),
  /**
   * SR: the screw groups (finding "Bone Screw"): tracking identifier and UID, the vertebra and side, the trajectory
   * from its SCOORD3D (entry and target, LPS mm in the frame of reference named), angles (deg), sizes (mm), the
   * Gertzbein–Robbins grade, the plan version and comment. A number the group lacks is null.
   */
  screws: z.array(
    z.object({
      group: z.string(),
      trackingUid: z.string(),
      findingSite: CodeRecord.nullable(),
      laterality: z.string(),
      entryLps: Vec3.nullable(),
      targetLps: Vec3.nullable(),
      frameOfReferenceUid: z.string(),
      transverseAngleDeg: z.number().nullable(),
      sagittalAngleDeg: z.number().nullable(),
      diameterMm: z.number().nullable(),
      lengthMm: z.number().nullable(),
      isthmusWidthMm: z.number().nullable(),
      breachDepthMm: z.number().nullable(),
      grade: z.string(),
      planVersion: z.string(),
      comment: z.string(),
    }),
  ),
  measurements: z.array(
    z.object({
      group: z.string(),
      findingSite: z.string(),
      concept: CodeRecord,
      modifiers: z.array(z.string()),
      value: z.number(),
      unit: CodeRecord,
    }),
  ),
});
export type ReadDicomResult = z.infer<typeof ReadDicomResult>;

/** An exported file's bytes for the renderer's download (a browser gives no paths). */
export const ExportFile = z.object({
  fileName: z.string(),
  mime: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
  base64: z.string(),
});
export type ExportFile = z.infer<typeof ExportFile>;

export const ExchangeService = defineService(
  'exchange',
  {
    /** Writes the twin's meshes as 3MF or STL for printing (repaired, checked); audited as an export of the twin. */
    exportMesh: { roles: CLINICAL_ROLES, verb: 'export meshes for printing', args: z.tuple([Id, ExportMeshRequest]), result: ExportMeshResult },
    /** Writes the twin's vertebra labels, bone and skin as a DICOM SEG, or its spine measurements as a TID 1500 SR, referencing the source series; audited as an export of the twin. */
    exportDicom: { roles: CLINICAL_ROLES, verb: 'export DICOM objects', args: z.tuple([Id, ExportDicomRequest]), result: ExportDicomResult },
    /** The bytes of a file written by exportMesh / exportDicom into `<data dir>/exports/` (for the download; at most 256 MiB; no other folder). */
    exportFile: { roles: CLINICAL_ROLES, args: z.tuple([z.string().min(1)]), result: ExportFile },
    /** Reads a SEG or SR file back (segments; measurements as a table). */
    readDicom: { roles: CLINICAL_ROLES, verb: 'read DICOM objects', args: z.tuple([z.string().min(1)]), result: ReadDicomResult },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    exchange: typeof ExchangeService;
  }
}
