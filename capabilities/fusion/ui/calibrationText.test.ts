import { describe, expect, it } from 'vitest';
import { formatDateTime } from '../../../renderer/app/format.js';
import { madeText, methodName, residualName, residualText, toolOf } from './calibrationText.js';

describe('calibration table words', () => {
  it('names the stored residuals as a person reads them, with units', () => {
    expect(residualText('rmsResidualMm', 0.4567)).toBe('RMS residual: 0.457 mm');
    expect(residualText('validationMeanMm', 1.234)).toBe('Wire reprojection error on the validation frames (not used for the fit), mean: 1.23 mm');
    expect(residualText('rotationRangeDeg', 62.5)).toBe('Rotation range of the pivoting: 62.50°');
    expect(residualText('posesUsed', 412)).toBe('Poses used: 412');
    expect(residualText('peakNcc', 0.9312)).toBe('Correlation at the offset (NCC; 1 = identical motion): 0.93');
    // one not in the table is spelled out from its field name
    expect(residualName('meanTipErrorMm')).toEqual({ label: 'Mean tip error', unit: 'mm' });
    expect(residualName('lagSamplesMs')).toEqual({ label: 'Lag samples', unit: 'ms' });
  });

  it('names methods and the probe or tool', () => {
    expect(methodName('plus-config')).toBe('PLUS configuration');
    expect(methodName('n-wire')).toBe('N-wire phantom');
    expect(toolOf({ device: 'Probe · 820×616 px', fromFrame: 'Image', toFrame: 'Probe' })).toBe('Probe · 820×616 px');
    expect(toolOf({ device: '', fromFrame: 'Image', toFrame: 'Probe' })).toBe('Probe');
    expect(toolOf({ device: '', fromFrame: 'StylusTip', toFrame: 'Stylus' })).toBe('Stylus');
    expect(toolOf({ device: '', fromFrame: 'Video', toFrame: 'Tracker' })).toBe('Video ↔ tracker');
  });

  it("says a PLUS configuration's own dates in the one date format", () => {
    expect(madeText('022312_110631')).toBe(formatDateTime('2012-02-23T11:06:31'));
    expect(madeText('2011.12.06 17:57:00')).toBe(formatDateTime('2011-12-06T17:57:00'));
    expect(madeText('2026-12-03T14:05:00.000Z')).toBe(formatDateTime('2026-12-03T14:05:00.000Z'));
    expect(madeText('')).toBe('—');
    expect(madeText('last spring')).toBe('last spring');
  });
});
