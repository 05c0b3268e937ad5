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
