/**
 * Parameters of the vertebra segmentation (segment.ts; algorithms.md §5.5):
 * thresholds in HU on the smoothed working CT, distances in mm in the
 * centreline frame (lateral, anterior/posterior, along the column),
 * volumes in mL.
 */

export interface SpineSegParams {
  /** Bone threshold on the smoothed working CT (HU). */
  boneHu: number;
  /** Opening radius that keeps vertebral bodies and drops processes and ribs (mm). */
  bodyOpeningMm: number;
  /** Half-width of the region kept around the column, left-right (mm). */
  lateralMm: number;
  /** Region kept in front of and behind the centreline (mm). */
  anteriorMm: number;
  posteriorMm: number;
  /** Half-width kept around the sacrum (its alae, not the ilium) (mm). */
  sacralLateralMm: number;
  /** Seeds cut at the disc planes: bone within this distance behind and beside the centreline (mm). */
  bodySeedPosteriorMm: number;
  bodySeedLateralMm: number;
  /** Bone of the sacral segment farther than this below the lumbosacral disc plane is seeded as S1 (mm). */
  sacralSeedDepthMm: number;
  /**
   * S1's lower boundary (the S1–S2 junction): a plane parallel to the lumbosacral disc plane, this fraction of the
   * median disc-to-disc spacing below it (S1's body is about a lumbar body high; the sacrum curves away from the
   * centreline's tangent there, so the cut follows the S1 endplate, not the centreline).
   */
  sacralHeightFraction: number;
  /** Behind the canal (farther back than `archPosteriorMm`), S1's arch ends this fraction of the spacing below the lumbosacral disc plane; lower is S2's arch and the median sacral crest. */
  sacralArchHeightFraction: number;
  /** Inside S1's body, bone-mask voxels down to this HU are vertebra (the sacral body's marrow is fattier than a lumbar body's). */
  sacralTrabecularHu: number;
  /** Inside the bodies, farther than `discHalfMm` from a disc mid-plane, bone-mask voxels down to this HU are vertebra (osteopenic trabecular bone). */
  trabecularHu: number;
  discHalfMm: number;
  /** The sacral body reaches farther behind the centreline than a lumbar body (the promontory tilts it) (mm). */
  sacralBodyPosteriorMm: number;
  /** Bone farther than this behind the centreline is posterior arch (laminae, spinous process), behind the canal (mm). */
  archPosteriorMm: number;
  /** Smallest arch piece taken as the arch of a vertebra (mL). */
  archMinMl: number;
}

export const DEFAULT_SPINE_SEG: SpineSegParams = {
  boneHu: 100,
  bodyOpeningMm: 6,
  lateralMm: 55,
  anteriorMm: 40,
  posteriorMm: 85,
  sacralLateralMm: 30,
  bodySeedPosteriorMm: 12,
  bodySeedLateralMm: 25,
  sacralSeedDepthMm: 6,
  sacralHeightFraction: 0.8,
  sacralArchHeightFraction: 0.5,
  sacralTrabecularHu: 20,
  trabecularHu: 50,
  discHalfMm: 5,
  sacralBodyPosteriorMm: 30,
  archPosteriorMm: 27,
  archMinMl: 0.5,
};
