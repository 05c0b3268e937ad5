/**
 * Measurements and annotations drawn on a twin's 2D views (issue 20 §3):
 * ruler, angle, manual Cobb angle (two lines), elliptical and sphere ROIs
 * with their statistics, text. Kept with the twin as one set with a revision number, so
 * a save made from a stale copy (another workstation saved in between) is
 * refused instead of overwriting it. Positions are LPS mm; each item names
 * the view and the slice (index along the view's volume axis) it was made on.
 */
import { z } from 'zod';
import { defineService, ALL_ROLES, CLINICAL_ROLES } from '../../electron/contract/define.js';
import { Id, Vec3 } from '../../electron/contract/primitives.js';

export const ViewName = z.enum(['axial', 'coronal', 'sagittal']);
/**
 * Where an item was made (its view and slice) and its number: stable for its life (shown as "ruler 3", "ROI 5"…;
 * a new one takes the set's largest + 1, see numbering.ts). Absent only in sets saved before numbers were stored.
 */
const placed = { view: ViewName, sliceIndex: z.number().int().min(0), n: z.number().int().min(1).optional() };

/** Mean, SD (n − 1), min and max of the voxels inside an ROI (image units: HU for CT), its area (mm²) and voxel count. */
export const RoiStats = z.object({
  n: z.number().int().min(0),
  mean: z.number(),
  sd: z.number(),
  min: z.number(),
  max: z.number(),
  areaMm2: z.number().min(0),
});
export type RoiStats = z.infer<typeof RoiStats>;

/** Mean, SD (n − 1), min and max of the voxels inside a sphere ROI (image units), its volume (mm³) and voxel count. */
export const SphereStats = z.object({
  n: z.number().int().min(0),
  mean: z.number(),
  sd: z.number(),
  min: z.number(),
  max: z.number(),
  volumeMm3: z.number().min(0),
});

export const Annotation = z.discriminatedUnion('kind', [
  /** A distance between two points (mm). */
  z.object({ kind: z.literal('ruler'), ...placed, a: Vec3, b: Vec3, mm: z.number().min(0) }),
  /** The angle at `vertex` between the rays to `a` and `b` (degrees, 0–180). */
  z.object({ kind: z.literal('angle'), ...placed, a: Vec3, vertex: Vec3, b: Vec3, degrees: z.number().min(0).max(180) }),
  /** A manual Cobb angle: the angle between two lines drawn along the endplates (degrees, 0–90). */
  z.object({ kind: z.literal('cobb'), ...placed, line1: z.tuple([Vec3, Vec3]), line2: z.tuple([Vec3, Vec3]), degrees: z.number().min(0).max(90) }),
  /** An elliptical ROI: centre, radii along the view's right and up axes (mm), statistics of the voxels inside on its slice. */
  z.object({ kind: z.literal('ellipse'), ...placed, centre: Vec3, radiiMm: z.tuple([z.number().min(0), z.number().min(0)]), stats: RoiStats }),
  /** A sphere ROI: centre (LPS mm), radius (mm), statistics of the voxels inside in 3D. */
  z.object({ kind: z.literal('sphere'), ...placed, centre: Vec3, radiusMm: z.number().positive(), stats: SphereStats }),
  /** A text note at a point. */
  z.object({ kind: z.literal('text'), ...placed, at: Vec3, text: z.string().trim().min(1).max(200) }),
]);
export type Annotation = z.infer<typeof Annotation>;

/** A set's items: at most 500, no two with the same number. */
const AnnotationList = z
  .array(Annotation)
  .max(500)
  .refine((l) => new Set(l.flatMap((a) => (a.n === undefined ? [] : [a.n]))).size === l.filter((a) => a.n !== undefined).length, {
    message: 'two measurements have the same number',
  });

export const AnnotationSet = z.object({
  twinId: Id,
  /** 0 = nothing saved yet; each save adds 1. */
  revision: z.number().int().min(0),
  /** Every item numbered (`n`) when read through the service. */
  annotations: z.array(Annotation).max(500),
  savedAt: z.string().nullable(),
  savedBy: z.string().nullable(),
});
export type AnnotationSet = z.infer<typeof AnnotationSet>;

export const AnnotationsService = defineService(
  'annotations',
  {
    /** The twin's measurements and annotations, each with its number `n` (revision 0 and none when nothing was saved). @throws NOT_FOUND for an unknown twin */
    get: { roles: ALL_ROLES, args: z.tuple([Id]), result: AnnotationSet },
    /**
     * Replaces the twin's set with `annotations`, made from revision `baseRevision`; returns the new set (revision + 1),
     * items without a number numbered (numbering.ts).
     * @throws CONFLICT when the stored revision is not `baseRevision` (saved elsewhere meanwhile: reload, nothing is overwritten)
     * @throws NOT_FOUND for an unknown twin
     * @throws BAD_REQUEST (contract) when two items carry the same number
     */
    save: {
      roles: CLINICAL_ROLES,
      verb: 'save measurements',
      audit: { action: 'annotations-save', recordType: 'twin' },
      args: z.tuple([Id, z.number().int().min(0), AnnotationList]),
      result: AnnotationSet,
    },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    annotations: typeof AnnotationsService;
  }
}
