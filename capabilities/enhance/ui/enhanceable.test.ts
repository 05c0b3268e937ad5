/** The Series panel's "Enhance…": offered for 8-bit ultrasound volumes, a sentence for other ultrasound volumes, nothing elsewhere; clinical roles only. */
import { describe, expect, it } from 'vitest';
import { CLINICAL_ROLES } from '../../../electron/contract/define.js';
import { EnhanceService } from '../contract.js';
import type { SeriesRecord } from '../../studies/contract.js';
import { notEnhanceable } from './enhanceable.js';

const series = (modality: SeriesRecord['modality'], voxelType: string | null): Pick<SeriesRecord, 'modality' | 'volume'> => ({
  modality,
  volume: voxelType ? ({ id: 'v', voxelType } as unknown as SeriesRecord['volume']) : null,
});

describe('Enhance… on a series', () => {
  it('applies to 8-bit ultrasound volumes; other ultrasound volumes get the reason; other series nothing', () => {
    expect(notEnhanceable(series('US', 'uint8'))).toBeNull();
    expect(notEnhanceable(series('US', 'int16'))).toBe('This volume holds int16 voxels; the enhancement models take 8-bit ultrasound only.');
    expect(notEnhanceable(series('CT', 'uint8'))).toBeUndefined();
    expect(notEnhanceable(series('US', null))).toBeUndefined();
  });

  it('the contract allows the enhancement to the clinical roles (the action is contributed for those)', () => {
    expect(EnhanceService.methods.enhanceVolume.roles).toEqual(CLINICAL_ROLES);
  });
});
