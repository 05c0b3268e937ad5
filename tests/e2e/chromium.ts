/** Debian's Chromium as the e2e browser, and the flags every suite launches it with (software GL, no network chatter). */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Chromium as it runs on a machine without a usable GPU when left to itself (and as the desktop app runs there:
 * `enable-unsafe-swiftshader` is the one switch electron/main adds): software compositing and rasterisation,
 * WebGL through SwiftShader. The suites above force compositing onto SwiftShader GL as well (`--ignore-gpu-blocklist`);
 * the latency benchmark measures both.
 */
export const CHROMIUM_ARGS_NO_GPU = [
  '--no-sandbox',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
