/**
 * Twins: the anatomical twin built from a CT or MR volume (body and bone
 * masks, skin and bone meshes in LPS mm, first features), versioned per
 * patient.
 */
import { z } from 'zod';
import { defineService, ALL_ROLES, CLINICAL_ROLES, SURGEON_ROLES } from '../../electron/contract/define.js';
import { Id } from '../../electron/contract/primitives.js';

export const ArtefactKind = z.enum([
  'skin-mask',
  'bone-mask',
  'skin-mesh',
  'bone-mesh',
  /** Spine analysis: vertebra label map (values as in VERTEBRA label order, names in the NRRD). */
  'vertebra-labels',
  /** Spine analysis: bone mesh with point data HU_mean and HU_max sampled along the inward normals. */
  'bone-grey-mesh',
  /** Spine analysis: intervertebral spaces with point data disc (index into report.discs). */
  'disc-spaces',
  /** Spine analysis: the report (JSON, CSV). */
  'spine-report',
]);
export type ArtefactKind = z.infer<typeof ArtefactKind>;

export const Artefact = z.object({
  id: Id,
  twinId: Id,
  kind: ArtefactKind,
  format: z.enum(['nrrd', 'vtp', 'stl', 'json', 'csv']),
  /** Path relative to the data directory. */
  relPath: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
  /** Triangles (meshes) or foreground voxels (masks). */
  count: z.number().int(),
});
export type Artefact = z.infer<typeof Artefact>;

export const Feature = z.object({
  name: z.string(),
  /** Vertebral level (e.g. L1) or disc (L1-L2) of a spine feature; null for whole-twin features. */
  level: z.string().nullable(),
  value: z.number(),
  unit: z.string(),
  sourceSeriesId: Id,
  algorithm: z.string(),
  algorithmVersion: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type Feature = z.infer<typeof Feature>;

export const TwinParams = z.object({
  skinThresholdHu: z.number().min(-1000).max(500).default(-300),
  tableCutRadiusMm: z.number().min(0).max(20).default(4),
  mrOtsuScale: z.number().min(0.1).max(3).default(1),
  mrClosingRadiusMm: z.number().min(0).max(20).default(3),
  boneCorticalHu: z.number().min(0).max(3000).default(150),
  boneTrabecularHu: z.number().min(-200).max(1000).default(35),
  boneClosingRadiusMm: z.number().min(0).max(30).default(10),
  boneMinIslandMl: z.number().min(0).max(1000).default(0.5),
  /** Block size (mm) on which the body shape and the bone closing are decided on fine grids. */
  workingResolutionMm: z.number().min(0.1).max(10).default(1.5),
  smoothingIterations: z.number().int().min(0).max(200).default(10),
  skinMaxTriangles: z.number().int().min(1000).max(5_000_000).default(200_000),
  boneMaxTriangles: z.number().int().min(1000).max(5_000_000).default(300_000),
});
export type TwinParams = z.infer<typeof TwinParams>;
export type TwinParamsInput = z.input<typeof TwinParams>;

export const Twin = z.object({
  id: Id,
  patientId: Id,
  volumeId: Id,
  seriesId: Id,
  /** 1, 2, … per patient: earlier builds are kept for comparison. */
  version: z.number().int(),
  params: TwinParams,
  algorithmVersion: z.string(),
  createdAt: z.string(),
  timingsMs: z.record(z.string(), z.number()),
  artefacts: z.array(Artefact),
  features: z.array(Feature),
  /** The user's label or note ('' when none). */
  label: z.string(),
  /** The patient's default twin: the one the user marked, else the newest built from a CT or MR series (never US or unknown). */
  isDefault: z.boolean(),
  /** The user marked it as the default (twins.markDefault). */
  markedDefault: z.boolean(),
});
export type Twin = z.infer<typeof Twin>;

export const TwinsService = defineService(
  'twins',
  {
    build: { roles: CLINICAL_ROLES, args: z.tuple([Id, TwinParams.partial().default({})]), result: Id },
    get: { roles: ALL_ROLES, audit: { action: 'read', recordType: 'twin' }, args: z.tuple([Id]), result: Twin },
    /** All builds of a patient's twin not in the trash, newest first (the default one says so: `isDefault`). */
    list: { roles: ALL_ROLES, audit: { action: 'read', recordType: 'patient' }, args: z.tuple([Id]), result: z.array(Twin) },
    /** Marks a twin (of a CT or MR series) as its patient's default; audited with the default before and after. */
    markDefault: { roles: SURGEON_ROLES, verb: 'mark the default twin', args: z.tuple([Id]), result: Twin },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    twins: typeof TwinsService;
  }
}
