/** USB discovery's failure as the Devices workspace shows it: a sentence in words, the `usb` package's words (errno) only as the detail. */
import { describe, expect, it } from 'vitest';
import { usbUnavailableText } from './discovery.js';

describe('usbUnavailableText', () => {
  it('no USB bus (a container): the sentence says so in words, the errno only on the detail line', () => {
    // what usb 3.x throws where /sys/bus/usb is absent
    const e = Object.assign(new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)'), { code: 'GenericFailure' });
    expect(usbUnavailableText(e)).toBe(
      'USB devices cannot be listed: this computer exposes no USB bus to OrthoTwin (e.g. a container or a virtual machine without USB access). Serial ports are still listed.\n' +
        'getDevices error: /sys/bus/usb/devices/ not found (errno 2)',
    );
  });

  it('permission denied and a missing usb package are told apart; anything else is a sentence too', () => {
    const first = (e: unknown): string => usbUnavailableText(e).split('\n')[0]!;
    expect(first(Object.assign(new Error('LIBUSB_ERROR_ACCESS'), { code: 'LIBUSB_ERROR_ACCESS' }))).toBe(
      'USB devices cannot be listed: OrthoTwin may not read the USB bus (permission denied). Serial ports are still listed.',
    );
    expect(first(Object.assign(new Error("Cannot find package 'usb'"), { code: 'ERR_MODULE_NOT_FOUND' }))).toBe(
      'USB devices cannot be listed: USB support is not installed with this copy of OrthoTwin. Serial ports are still listed.',
    );
    const other = usbUnavailableText(new Error('LIBUSB_ERROR_OTHER'));
    expect(other).toBe('USB devices cannot be listed: the USB bus could not be read. Serial ports are still listed.\nLIBUSB_ERROR_OTHER');
  });
});
