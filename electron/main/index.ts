/**
 * Electron main process: app lifecycle, the app:// protocol, the IPC router,
 * the window factory, and the offline lock (every request that is not app://
 * is cancelled; permissions are denied). Thin glue over services/.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, protocol, session, utilityProcess } from 'electron';
import { IPC_EVENT } from '../contract/index.js';
import { createServices } from '../services/index.js';
import { resolveDataDir } from '../services/dataDir.js';
import { utilityProcessHost } from './deviceHost.js';
import { registerIpcRouter } from './ipcRouter.js';
import { makeAppProtocolHandler } from './protocol.js';
import { createAppWindow, isAppUrl } from './window.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.resolve(here, '..', '..', '..', 'dist-renderer');
const preloadPath = path.resolve(here, '..', 'preload', 'index.cjs');

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }]);
app.enableSandbox();

void app.whenReady().then(() => {
  const argvDataDir = process.argv.some((a) => a.startsWith('--data-dir'));
  const dataDir = argvDataDir || process.env['ORTHOTWIN_DATA_DIR'] ? resolveDataDir(process.argv) : app.getPath('userData');
  const services = createServices({ dataDir, transport: 'ipc', spawnDeviceHost: utilityProcessHost(utilityProcess) });
  protocol.handle('app', makeAppProtocolHandler(services, rendererDir));
  registerIpcRouter(ipcMain, services.impl);
  services.events.on('event', (service: string, event: string, payload: unknown) => {
    for (const w of BrowserWindow.getAllWindows()) w.webContents.send(IPC_EVENT, service, event, payload);
  });
  // offline by design: nothing but app:// and devtools leaves the renderer
  session.defaultSession.webRequest.onBeforeRequest((details, cb) => cb({ cancel: !(isAppUrl(details.url) || details.url.startsWith('devtools:')) }));
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  createAppWindow(BrowserWindow, preloadPath);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createAppWindow(BrowserWindow, preloadPath);
  });
  app.on('will-quit', () => services.close());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
