/**
 * `twin devices list [--json]`: the hardware this machine exposes, as the
 * device host sees it — USB devices (vendor:product, what OrthoTwin knows
 * them to be) and serial ports (NDI SCUs appear here) — and why USB
 * enumeration is unavailable when it is (no USB bus in containers).
 * Runs discovery in this process (no device host needed to look).
 */
import { discover } from '../../electron/devicehost/discovery.js';

export async function runDevices(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'list') {
    console.error('usage: twin devices list [--json]');
    return 2;
  }
  const r = await discover();
  if (rest.includes('--json')) {
    console.log(JSON.stringify(r, null, 2));
    return 0;
  }
  if (r.usbUnavailable) for (const line of r.usbUnavailable.split('\n')) console.log(`# ${line}`);
  if (r.devices.length === 0) console.log('no USB or serial devices found');
  for (const d of r.devices) {
    const ids = d.vendorId !== null ? `${d.vendorId.toString(16).padStart(4, '0')}:${(d.productId ?? 0).toString(16).padStart(4, '0')}` : '---------';
    console.log(
      `${d.bus.padEnd(6)} ${ids}  ${d.name}${d.path && d.bus === 'usb' ? ` ${d.path}` : ''}${d.known ? `  [${d.known}${d.driver ? `, driver ${d.driver}` : ''}]` : ''}`,
    );
  }
  return 0;
}
