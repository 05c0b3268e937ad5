import { describe, expect, it } from 'vitest';
import { enhancedCaption, enhancementForLabel } from './enhanceShown.js';

const applied = { applied: true as const, model: 'sr2', version: '1.0.0', validation: 'not clinically validated', ms: 2000 };

describe('enhancementForLabel', () => {
  it('describes the last model frame of the device on view', () => {
    expect(enhancementForLabel('replay:1', { device: 'replay:1', enhancement: applied })).toEqual(applied);
  });
  it("waits after a switch to another device: never the previous device's model frame", () => {
    expect(enhancementForLabel('uvc:grabber', { device: 'replay:1', enhancement: applied })).toBeNull();
  });
  it('waits with no device on view (disconnected) or no frame yet', () => {
    expect(enhancementForLabel(null, { device: 'replay:1', enhancement: applied })).toBeNull();
    expect(enhancementForLabel('replay:1', null)).toBeNull();
    expect(enhancementForLabel('replay:1', { device: 'replay:1', enhancement: null })).toBeNull();
  });
});

describe('enhancedCaption', () => {
  const refused = { applied: false as const, model: 'denoise', reason: 'The model file was changed; it is not loaded.' };
  it('says the frames went through the model (before a frame, and for model output)', () => {
    expect(enhancedCaption(true, null, 'ultrasound frames')).toBe('After: ultrasound frames through the model');
    expect(enhancedCaption(false, applied, 'ultrasound frames')).toBe('Ultrasound frames through the model');
  });
  it('says the frames are raw when the model did not run on them (e.g. a refused model)', () => {
    expect(enhancedCaption(true, refused, 'ultrasound frames')).toBe('After: raw frames (the model did not run — see below)');
    expect(enhancedCaption(false, refused, 'ultrasound')).toBe('Raw frames (the model did not run — see below)');
  });
});
