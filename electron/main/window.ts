/**
 * The one BrowserWindow factory: every window is sandboxed, context-isolated,
 * without Node integration, loads only app:// and cannot open other windows
 * or navigate away.
 */
import type { BrowserWindow, BrowserWindowConstructorOptions, WebContents } from 'electron';

export const APP_ORIGIN = 'app://orthotwin';

/** webPreferences every OrthoTwin window gets; nothing may weaken them. */
export function secureWebPreferences(preloadPath: string): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload: preloadPath,
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
    safeDialogs: true,
  };
}

/** True when `url` belongs to the app's own scheme and host. */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'app:' && u.host === 'orthotwin';
  } catch {
    return false;
  }
}

/** Locks a window's web contents: no window.open, no navigation outside app://, no webviews. */
export function lockWebContents(wc: WebContents): void {
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
  wc.on('will-navigate', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault();
  });
  wc.on('will-redirect', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault();
  });
  wc.on('will-attach-webview', (e) => e.preventDefault());
}

export function createAppWindow(BW: typeof BrowserWindow, preloadPath: string, page = 'index.html'): BrowserWindow {
  const win = new BW({
    width: 1600,
    height: 1000,
    minWidth: 1100,
    minHeight: 700,
    show: false,
    backgroundColor: '#111418',
    title: 'OrthoTwin',
    webPreferences: secureWebPreferences(preloadPath),
  });
  lockWebContents(win.webContents);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(`${APP_ORIGIN}/${page}`);
  return win;
}
