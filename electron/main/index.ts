/**
 * Electron main process: app lifecycle, the app:// protocol, the IPC router,
 * the window factory, the offline lock (every request that is not app:// is
 * cancelled; permissions are denied but video capture for app://), and the
 * device streams' MessagePorts. Thin glue over services/.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, MessageChannelMain, protocol, safeStorage, session, utilityProcess } from 'electron';
import { IPC_EVENT } from '../contract/index.js';
import { createServices } from '../services/index.js';
import { resolveDataDir } from '../services/dataDir.js';
import { loadSitePolicy } from '../services/policy.js';
import { safeStorageKeyStore } from './storeKey.js';
import { registerStreamPorts, utilityProcessHost } from './deviceHost.js';
import { registerIpcRouter } from './ipcRouter.js';
import { makeAppProtocolHandler } from './protocol.js';
import { createAppWindow, isAppUrl } from './window.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.resolve(here, '..', '..', '..', 'dist-renderer');
const preloadPath = path.resolve(here, '..', 'preload', 'index.cjs');

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }]);
app.enableSandbox();
// WebGL (the vtk.js views) on a workstation without a usable GPU (a VM, remote desktop, a blocklisted driver): Chromium
// 139+ falls back to SwiftShader only when asked. Compositing and rasterisation stay Chromium's own choice (software
// there). The "unsafe" in the name is about untrusted web content reaching a CPU GL implementation; this app shows only
// its own app:// pages (every other request is cancelled below).
app.commandLine.appendSwitch('enable-unsafe-swiftshader');

void app.whenReady().then(() => {
  const policy = loadSitePolicy();
  const argvDataDir = process.argv.some((a) => a.startsWith('--data-dir'));
  const dataDir =
    argvDataDir || process.env['ORTHOTWIN_DATA_DIR'] || policy.dataDir ? resolveDataDir(process.argv, process.env, policy.dataDir) : app.getPath('userData');
  const keyStore = safeStorageKeyStore(safeStorage, dataDir, policy.requireEncryption);
  const services = createServices({ dataDir, transport: 'ipc', policy, keyStore, spawnDeviceHost: utilityProcessHost(utilityProcess) });
  protocol.handle('app', makeAppProtocolHandler(services, rendererDir));
  registerIpcRouter(ipcMain, services);
  registerStreamPorts(ipcMain, MessageChannelMain, services.devices, services.access);
  services.events.on('event', (service: string, event: string, payload: unknown) => {
    for (const w of BrowserWindow.getAllWindows()) w.webContents.send(IPC_EVENT, service, event, payload);
  });
  // offline by design: nothing but app:// and devtools leaves the renderer
  session.defaultSession.webRequest.onBeforeRequest((details, cb) => cb({ cancel: !(isAppUrl(details.url) || details.url.startsWith('devtools:')) }));
  // every permission is denied except video capture for app:// (the UVC frame grabber)
  const videoOnly = (perm: string, url: string | undefined, media: readonly string[] | undefined): boolean =>
    perm === 'media' && typeof url === 'string' && isAppUrl(url) && !!media?.length && media.every((t) => t === 'video');
  session.defaultSession.setPermissionRequestHandler((_wc, perm, cb, details) =>
    cb(videoOnly(perm, details?.requestingUrl, (details as { mediaTypes?: string[] } | undefined)?.mediaTypes)),
  );
  session.defaultSession.setPermissionCheckHandler((_wc, perm, origin, details) =>
    videoOnly(perm, origin, (details as { mediaType?: string } | undefined)?.mediaType ? [(details as { mediaType: string }).mediaType] : undefined),
  );
  createAppWindow(BrowserWindow, preloadPath);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createAppWindow(BrowserWindow, preloadPath);
  });
  app.on('will-quit', () => services.close());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
