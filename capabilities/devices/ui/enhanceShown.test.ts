import { describe, expect, it } from 'vitest';
import { enhancementForLabel } from './enhanceShown.js';

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
