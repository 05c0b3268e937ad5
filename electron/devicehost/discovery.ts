/**
 * Hardware discovery in the device host: USB devices through the `usb`
 * package (3.x, WebUSB-style API; it throws where the OS exposes no USB bus,
 * e.g. containers — then discovery says so and goes on with serial ports)
 * and serial ports through node-serialport, matched against the devices
 * OrthoTwin knows (vendor / product IDs from the Linux kernel's ftdi_sio and
 * usb.ids; device-protocols.md §1.2, §6).
 */
import type { DiscoveredDevice } from '../contract/devices.js';

/** Known USB IDs → what they are and which driver kind runs them. */
export const KNOWN_USB: readonly { vendorId: number; productId: number | null; name: string; driver: string | null }[] = [
  { vendorId: 0x0403, productId: 0xda70, name: 'NDI Host USB Converter', driver: 'ndi' },
  { vendorId: 0x0403, productId: 0xda71, name: 'NDI Polaris Spectra SCU', driver: 'ndi' },
  { vendorId: 0x0403, productId: 0xda72, name: 'NDI (future FTDI PID 0xDA72)', driver: 'ndi' },
  { vendorId: 0x0403, productId: 0xda73, name: 'NDI (future FTDI PID 0xDA73)', driver: 'ndi' },
  { vendorId: 0x0403, productId: 0xda74, name: 'NDI Aurora SCU', driver: 'ndi' },
  { vendorId: 0x23f2, productId: 0x0003, name: 'NDI EMGuide Gemini', driver: 'ndi' },
  { vendorId: 0x8086, productId: null, name: 'Intel RealSense depth camera', driver: null },
  { vendorId: 0x2b77, productId: null, name: 'Epiphan frame grabber (UVC)', driver: 'uvc' },
  { vendorId: 0x2935, productId: null, name: 'Magewell USB Capture (UVC)', driver: 'uvc' },
];

const REALSENSE_PIDS = new Set([0x0ad1, 0x0ad2, 0x0ad3, 0x0ad4, 0x0ad5, 0x0af6, 0x0afe, 0x0aff, 0x0b00, 0x0b01, 0x0b07, 0x0b3a, 0x0b5c, 0x0b64]);

export function identify(vendorId: number | null, productId: number | null): { known: string | null; driver: string | null } {
  if (vendorId === null) return { known: null, driver: null };
  for (const k of KNOWN_USB) {
    if (k.vendorId !== vendorId) continue;
    if (k.productId === productId) return { known: k.name, driver: k.driver };
    if (k.productId === null && (vendorId !== 0x8086 || (productId !== null && REALSENSE_PIDS.has(productId)))) return { known: k.name, driver: k.driver };
  }
  return { known: null, driver: null };
}

export interface DiscoveryResult {
  devices: DiscoveredDevice[];
  /** Why USB enumeration is unavailable (`usbUnavailableText`: a sentence, the technical detail on the next line), or null. */
  usbUnavailable: string | null;
}

/**
 * Why USB devices cannot be listed, as the Devices workspace shows it: a sentence for the user first (what cannot be
 * done and why, in words: no USB bus exposed, permission denied, USB support missing), then the technical detail on the
 * next line (the `usb` package's own message, errno included), shown behind Technical details.
 * @param e what enumerating (or loading the `usb` package) threw
 */
export function usbUnavailableText(e: unknown): string {
  const err = e as { message?: unknown; code?: unknown };
  const detail = typeof err?.message === 'string' ? err.message : String(e);
  const code = typeof err?.code === 'string' ? err.code : '';
  const why =
    /ERR_MODULE_NOT_FOUND|MODULE_NOT_FOUND|ERR_DLOPEN_FAILED/.test(code) || /Cannot find (module|package)|dlopen/i.test(detail)
      ? 'USB support is not installed with this copy of OrthoTwin'
      : /EACCES|EPERM|LIBUSB_ERROR_ACCESS|permission denied/i.test(`${code} ${detail}`)
        ? 'OrthoTwin may not read the USB bus (permission denied)'
        : /not found|ENOENT|errno 2\b|LIBUSB_ERROR_NOT_FOUND|LIBUSB_ERROR_NO_DEVICE/i.test(`${code} ${detail}`)
          ? 'this computer exposes no USB bus to OrthoTwin (e.g. a container or a virtual machine without USB access)'
          : 'the USB bus could not be read';
  return `USB devices cannot be listed: ${why}. Serial ports are still listed.\n${detail}`;
}

interface WebUsbDevice {
  vendorId: number;
  productId: number;
  productName?: string;
  manufacturerName?: string;
  serialNumber?: string;
}

/** Lists USB devices and serial ports now. Never throws: an unavailable bus is reported in `usbUnavailable`. */
export async function discover(): Promise<DiscoveryResult> {
  const devices: DiscoveredDevice[] = [];
  let usbUnavailable: string | null = null;
  try {
    const usb = (await import('usb')) as unknown as { WebUSB: new (o: { allowAllDevices: boolean }) => { getDevices(): Promise<WebUsbDevice[]> } };
    const list = await new usb.WebUSB({ allowAllDevices: true }).getDevices();
    for (const d of list) {
      const id = identify(d.vendorId, d.productId);
      devices.push({
        id: `usb:${hex4(d.vendorId)}:${hex4(d.productId)}:${d.serialNumber ?? ''}`,
        bus: 'usb',
        name: [d.manufacturerName, d.productName].filter(Boolean).join(' ') || id.known || `USB ${hex4(d.vendorId)}:${hex4(d.productId)}`,
        vendorId: d.vendorId,
        productId: d.productId,
        path: null,
        known: id.known,
        driver: id.driver,
      });
    }
  } catch (e) {
    usbUnavailable = usbUnavailableText(e);
  }
  try {
    const { SerialPort } = await import('serialport');
    for (const p of await SerialPort.list()) {
      const vid = p.vendorId ? parseInt(p.vendorId, 16) : null;
      const pid = p.productId ? parseInt(p.productId, 16) : null;
      const id = identify(vid, pid);
      devices.push({
        id: `serial:${p.path}`,
        bus: 'serial',
        name: p.manufacturer ? `${p.manufacturer} (${p.path})` : p.path,
        vendorId: vid,
        productId: pid,
        path: p.path,
        known: id.known,
        driver: id.driver,
      });
    }
  } catch {
    // no serial enumeration on this system: nothing to list
  }
  return { devices, usbUnavailable };
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}
