/**
 * Which series the Series panel's "Enhance…" applies to, and the sentence
 * for an ultrasound volume it cannot take. Pure (tested in node).
 */
import type { SeriesRecord } from '../../studies/contract.js';

/** Why a series cannot be enhanced (a sentence), null when it can, undefined when the action does not apply (not an ultrasound volume). */
export function notEnhanceable(series: Pick<SeriesRecord, 'modality' | 'volume'>): string | null | undefined {
  if (series.modality !== 'US' || !series.volume) return undefined;
  if (series.volume.voxelType !== 'uint8') return `This volume holds ${series.volume.voxelType} voxels; the enhancement models take 8-bit ultrasound only.`;
  return null;
}
