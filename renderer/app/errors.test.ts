import { describe, expect, it } from 'vitest';
import { deviceFailureText } from '../../electron/contract/devices.js';
import { splitErrorText } from './errors.js';

describe('error text for the banner', () => {
  it('folds a device name repeated by nested layers, also with host:port in it', () => {
    expect(splitErrorText('OpenIGTLink 127.0.0.1:18944: OpenIGTLink 127.0.0.1:18944: connect ECONNREFUSED 127.0.0.1:18944')).toEqual({
      sentence: 'OpenIGTLink 127.0.0.1:18944: connect ECONNREFUSED 127.0.0.1:18944',
      code: null,
      detail: null,
    });
  });

  it('takes the first line as the sentence and the further lines as the technical detail', () => {
    const text =
      '[DEVICE_ERROR] No connection to OpenIGTLink server at 127.0.0.1:18944 (connection refused): check that PLUS Server is running.\nconnect ECONNREFUSED 127.0.0.1:18944';
    expect(splitErrorText(text)).toEqual({
      sentence: 'No connection to OpenIGTLink server at 127.0.0.1:18944 (connection refused): check that PLUS Server is running.',
      code: 'DEVICE_ERROR',
      detail: 'connect ECONNREFUSED 127.0.0.1:18944',
    });
  });

  it('keeps a file name at the start as it is spelled, and capitalises a plain sentence', () => {
    expect(splitErrorText('[IMPORT_TRUNCATED] trunc.c3d: the file is truncated').sentence).toBe('trunc.c3d: the file is truncated');
    expect(splitErrorText('random.csv: not a time-series export').sentence).toBe('random.csv: not a time-series export');
    expect(splitErrorText('picox-simulator-1: peer closed').sentence).toBe('picox-simulator-1: peer closed');
    expect(splitErrorText('the visit date must be between 1900 and today').sentence).toBe('The visit date must be between 1900 and today');
  });

  it('names a failed device once', () => {
    const name = 'OpenIGTLink 127.0.0.1:18944';
    expect(deviceFailureText({ name, lastError: 'peer closed' })).toBe('OpenIGTLink 127.0.0.1:18944: peer closed');
    expect(deviceFailureText({ name, lastError: `${name}: socket hang up` })).toBe('OpenIGTLink 127.0.0.1:18944: socket hang up');
    expect(deviceFailureText({ name, lastError: null })).toBe('OpenIGTLink 127.0.0.1:18944: could not connect');
    expect(
      deviceFailureText({
        name,
        lastError:
          'No connection to OpenIGTLink server at 127.0.0.1:18944 (connection refused): check that PLUS Server is running.\nconnect ECONNREFUSED 127.0.0.1:18944',
      }),
    ).toMatch(/^No connection/);
  });
});
