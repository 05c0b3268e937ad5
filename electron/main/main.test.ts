/**
 * The Electron glue with a mocked `electron` module (no Electron binary can be
 * installed here): window hardening, IPC sender checks and argument
 * validation, the app:// protocol handler, the offline lock, and the preload
 * surface.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServices, type ServiceHost } from '../services/index.js';
import { tmpDir } from '../../tests/helpers/tmp.js';
import { createAppWindow, isAppUrl, lockWebContents, secureWebPreferences } from './window.js';
import { registerIpcRouter, routeInvoke } from './ipcRouter.js';
import { makeAppProtocolHandler } from './protocol.js';

const appFrame = { senderFrame: { url: 'app://orthotwin/index.html' } } as never;

describe('window factory', () => {
  it('every window is sandboxed, isolated, without Node, and loads app://', () => {
    const created: { opts: Record<string, unknown>; url: string }[] = [];
    const handlers: Record<string, (...a: unknown[]) => void> = {};
    class FakeWindow {
      webContents = {
        setWindowOpenHandler: vi.fn(),
        on: (ev: string, h: (...a: unknown[]) => void) => (handlers[ev] = h),
      };
      constructor(public opts: Record<string, unknown>) {}
      once(): void {}
      loadURL(url: string): Promise<void> {
        created.push({ opts: this.opts, url });
        return Promise.resolve();
      }
    }
    createAppWindow(FakeWindow as never, '/app/preload.cjs');
    expect(created[0]!.url).toBe('app://orthotwin/index.html');
    expect(created[0]!.opts['webPreferences']).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      preload: '/app/preload.cjs',
    });
    const prevented = vi.fn();
    handlers['will-navigate']!({ preventDefault: prevented }, 'https://example.com/');
    expect(prevented).toHaveBeenCalledTimes(1);
    handlers['will-navigate']!({ preventDefault: prevented }, 'app://orthotwin/index.html');
    expect(prevented).toHaveBeenCalledTimes(1);
  });

  it('window.open is denied and app URLs are recognised strictly', () => {
    const wc = { setWindowOpenHandler: vi.fn(), on: vi.fn() };
    lockWebContents(wc as never);
    const handler = wc.setWindowOpenHandler.mock.calls[0]![0] as () => unknown;
    expect(handler()).toEqual({ action: 'deny' });
    expect(isAppUrl('app://orthotwin/x')).toBe(true);
    expect(isAppUrl('app://evil/x')).toBe(false);
    expect(isAppUrl('file:///etc/passwd')).toBe(false);
    expect(secureWebPreferences('p').nodeIntegrationInWorker).toBe(false);
  });
});

describe('IPC router and app:// protocol over real services', () => {
  const tmp = tmpDir();
  let host: ServiceHost;
  beforeAll(() => {
    host = createServices({ dataDir: tmp.dir, transport: 'ipc' });
  });
  afterAll(() => {
    host.close();
    tmp.cleanup();
  });

  it('refuses senders outside app://', async () => {
    const r = await routeInvoke(host, { senderFrame: { url: 'https://evil.example/' } } as never, 'patients', 'list', ['']);
    expect(r).toEqual({ ok: false, error: { code: 'UNAUTHORIZED', message: expect.stringContaining('refused') } });
  });

  it('validates arguments against the contract and encodes errors with their code', async () => {
    const bad = await routeInvoke(host, appFrame, 'patients', 'create', [{ displayName: '' }]);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.code).toBe('BAD_REQUEST');
    const unknown = await routeInvoke(host, appFrame, 'patients', 'drop', []);
    expect(!unknown.ok && unknown.error.code).toBe('BAD_REQUEST');
    const missing = await routeInvoke(host, appFrame, 'patients', 'get', ['nope']);
    expect(!missing.ok && missing.error.code).toBe('NOT_FOUND');
    const ok = await routeInvoke(host, appFrame, 'patients', 'create', [{ displayName: 'IPC Patient' }]);
    expect(ok.ok && (ok.value as { displayName: string }).displayName).toBe('IPC Patient');
  });

  it('registers one handler on ipcMain', async () => {
    const handle = vi.fn();
    const removeHandler = vi.fn();
    const off = registerIpcRouter({ handle, removeHandler } as never, host);
    expect(handle).toHaveBeenCalledWith('orthotwin:invoke', expect.any(Function));
    const fn = handle.mock.calls[0]![1] as (...a: unknown[]) => Promise<{ ok: boolean; value: unknown }>;
    const r = await fn(appFrame, 'patients', 'list', ['IPC']);
    expect(r.ok).toBe(true);
    expect((r.value as unknown[]).length).toBe(1);
    off();
    expect(removeHandler).toHaveBeenCalledWith('orthotwin:invoke');
  });

  it('serves renderer files with the CSP and refuses paths outside the renderer folder', async () => {
    const renderer = path.join(tmp.dir, 'renderer');
    fs.mkdirSync(path.join(renderer, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(renderer, 'index.html'), '<html>ok</html>');
    fs.writeFileSync(path.join(renderer, 'assets', 'a.js'), 'console.log(1)');
    const handler = makeAppProtocolHandler(host, renderer);
    const index = await handler(new Request('app://orthotwin/'));
    expect(await index.text()).toBe('<html>ok</html>');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await handler(new Request('app://orthotwin/assets/a.js'))).headers.get('content-type')).toBe('text/javascript');
    expect((await handler(new Request('app://other/index.html'))).status).toBe(404);
  });

  it('answers app://orthotwin/data/ only with a renderer connection data ticket, with that session and rights', async () => {
    const handler = makeAppProtocolHandler(host, path.join(tmp.dir, 'renderer'));
    const noTicket = await handler(new Request('app://orthotwin/data/volume/none'));
    expect(noTicket.status).toBe(401);
    expect(((await noTicket.json()) as { message: string }).message).toMatch(/data ticket/);
    expect((await handler(new Request('app://orthotwin/data/volume/none', { headers: { 'x-orthotwin-ticket': 'f'.repeat(64) } }))).status).toBe(401);
    const r = await routeInvoke(host, { ...(appFrame as object), sender: { id: 41 } } as never, 'auth', 'dataTicket', []);
    expect(r.ok).toBe(true);
    const ticket = (r as { value: { ticket: string } }).value.ticket;
    expect(ticket).toMatch(/^[0-9a-f]{64}$/);
    const again = await routeInvoke(host, { ...(appFrame as object), sender: { id: 41 } } as never, 'auth', 'dataTicket', []);
    expect((again as { value: { ticket: string } }).value.ticket).toBe(ticket); // one per connection
    const other = await routeInvoke(host, { ...(appFrame as object), sender: { id: 42 } } as never, 'auth', 'dataTicket', []);
    expect((other as { value: { ticket: string } }).value.ticket).not.toBe(ticket);
    // single-user mode: the ticket's session is the local administrator; past the check, no such volume
    const missing = await handler(new Request('app://orthotwin/data/volume/none', { headers: { 'x-orthotwin-ticket': ticket } }));
    expect(missing.status).toBe(404);
    expect((await handler(new Request('app://orthotwin/data/nothing/x', { headers: { 'x-orthotwin-ticket': ticket } }))).status).toBe(404);
  });
});

describe('main process wiring with a mocked electron', () => {
  it('locks the session offline, denies permissions, registers app:// and opens one hardened window', async () => {
    const tmp = tmpDir();
    const calls: Record<string, unknown[]> = {};
    let ready: () => void = () => undefined;
    const onBeforeRequest = vi.fn();
    const windows: unknown[] = [];
    vi.doMock('electron', () => ({
      app: {
        enableSandbox: () => (calls['sandbox'] = [true]),
        commandLine: { appendSwitch: (...a: string[]) => (calls['switches'] = [...(calls['switches'] ?? []), a]) },
        whenReady: () => new Promise<void>((r) => (ready = r)),
        getPath: () => tmp.dir,
        on: vi.fn(),
      },
      protocol: {
        registerSchemesAsPrivileged: (s: unknown[]) => (calls['schemes'] = s),
        handle: (scheme: string) => (calls['handle'] = [scheme]),
      },
      ipcMain: { handle: vi.fn(), removeHandler: vi.fn(), on: vi.fn() },
      MessageChannelMain: class {},
      utilityProcess: { fork: vi.fn() },
      // a stand-in OS keystore: reversible, and never the key's hex in clear
      safeStorage: {
        isEncryptionAvailable: () => true,
        encryptString: (t: string) => Buffer.from(t, 'utf8').map((b) => b ^ 0x5a),
        decryptString: (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a)).toString('utf8'),
      },
      session: {
        defaultSession: {
          webRequest: { onBeforeRequest },
          setPermissionRequestHandler: (h: unknown) => (calls['perm'] = [h]),
          setPermissionCheckHandler: (h: unknown) => (calls['permCheck'] = [h]),
        },
      },
      BrowserWindow: class {
        static getAllWindows = () => windows;
        webContents = { setWindowOpenHandler: vi.fn(), on: vi.fn(), send: vi.fn() };
        constructor(public opts: { webPreferences: Record<string, unknown> }) {
          windows.push(this);
        }
        once(): void {}
        loadURL(): Promise<void> {
          return Promise.resolve();
        }
      },
    }));
    process.env['ORTHOTWIN_DATA_DIR'] = tmp.dir;
    await import('./index.js');
    ready();
    await new Promise((r) => setTimeout(r, 50));
    delete process.env['ORTHOTWIN_DATA_DIR'];
    expect(calls['sandbox']).toEqual([true]);
    // software WebGL where there is no GPU, and nothing else forced (compositing stays Chromium's choice)
    expect(calls['switches']).toEqual([['enable-unsafe-swiftshader']]);
    expect(calls['schemes']).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }]);
    expect(calls['handle']).toEqual(['app']);
    const filter = onBeforeRequest.mock.calls[0]![0] as (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void;
    const decide = (url: string): boolean => {
      let cancel = false;
      filter({ url }, (r) => (cancel = r.cancel));
      return cancel;
    };
    expect(decide('https://example.com/')).toBe(true);
    expect(decide('http://127.0.0.1:8080/')).toBe(true);
    expect(decide('app://orthotwin/index.html')).toBe(false);
    let granted = true;
    const ask = calls['perm']![0] as (w: unknown, p: string, cb: (g: boolean) => void, d?: unknown) => void;
    ask(null, 'media', (g) => (granted = g));
    expect(granted).toBe(false);
    // video capture (the UVC frame grabber) for the app itself only; never audio, never another origin
    ask(null, 'media', (g) => (granted = g), { requestingUrl: 'app://orthotwin/index.html', mediaTypes: ['video'] });
    expect(granted).toBe(true);
    ask(null, 'media', (g) => (granted = g), { requestingUrl: 'app://orthotwin/index.html', mediaTypes: ['video', 'audio'] });
    expect(granted).toBe(false);
    ask(null, 'media', (g) => (granted = g), { requestingUrl: 'https://evil.example/', mediaTypes: ['video'] });
    expect(granted).toBe(false);
    ask(null, 'geolocation', (g) => (granted = g), { requestingUrl: 'app://orthotwin/index.html' });
    expect(granted).toBe(false);
    // the twin store is encrypted under a key kept by the OS keystore
    const keyFile = fs.readFileSync(path.join(tmp.dir, 'store.key'));
    expect(keyFile.toString('latin1')).not.toMatch(/^[0-9a-f]{64}$/);
    expect(fs.readFileSync(path.join(tmp.dir, 'orthotwin.sqlite')).subarray(0, 15).toString('latin1')).not.toBe('SQLite format 3');
    expect(windows).toHaveLength(1);
    expect((windows[0] as { opts: { webPreferences: Record<string, unknown> } }).opts.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
    });
    vi.doUnmock('electron');
    tmp.cleanup();
  });
});

describe('the desktop key store (safeStorage)', () => {
  const stub = (available: boolean, backend = 'gnome_libsecret') => ({
    isEncryptionAvailable: () => available,
    getSelectedStorageBackend: () => backend,
    encryptString: (t: string) => Buffer.from(t, 'utf8').reverse(),
    decryptString: (b: Buffer) => Buffer.from(b).reverse().toString('utf8'),
  });
  it('keeps a new random key encrypted by the OS keystore, the same on the next start; refuses without a keystore when required', async () => {
    const { safeStorageKeyStore } = await import('./storeKey.js');
    const tmp = tmpDir();
    const ks = safeStorageKeyStore(stub(true), tmp.dir, true)!;
    const key = ks.load()!;
    expect(key.length).toBe(32);
    expect(fs.readFileSync(path.join(tmp.dir, 'store.key'), 'utf8')).not.toContain(key.toString('hex'));
    expect(safeStorageKeyStore(stub(true), tmp.dir, true)!.load()!.equals(key)).toBe(true);
    expect(() => safeStorageKeyStore(stub(false), tmp.dir, false)).toThrow(/no keystore/); // a key exists: never fall back to plaintext
    const fresh = tmpDir();
    expect(safeStorageKeyStore(stub(false), fresh.dir, false)).toBeNull();
    expect(() => safeStorageKeyStore(stub(false), fresh.dir, true)).toThrow(/safeStorage unavailable/);
    if (process.platform === 'linux') expect(() => safeStorageKeyStore(stub(true, 'basic_text'), fresh.dir, true)).toThrow(/only basic_text/);
    tmp.cleanup();
    fresh.cleanup();
  });
});

describe('preload', () => {
  it('exposes only invoke, subscribe, the data origin, pathForFile and the stream-port request', async () => {
    const exposed: Record<string, unknown> = {};
    const invoke = vi.fn().mockResolvedValue({ ok: true, value: 1 });
    const on = vi.fn();
    const send = vi.fn();
    const removeListener = vi.fn();
    const posted: unknown[][] = [];
    vi.stubGlobal('location', { origin: 'app://orthotwin' });
    vi.stubGlobal('postMessage', (...a: unknown[]) => posted.push(a));
    vi.doMock('electron', () => ({
      contextBridge: { exposeInMainWorld: (k: string, v: unknown) => (exposed[k] = v) },
      ipcRenderer: { invoke, on, removeListener, send },
      webUtils: { getPathForFile: () => '/tmp/x.nii.gz' },
    }));
    const preloadModule = '../preload/index.cts'; // the sandboxed preload is CommonJS TypeScript
    await import(/* @vite-ignore */ preloadModule);
    const api = exposed['orthotwin'] as Record<string, (...a: unknown[]) => unknown>;
    expect(Object.keys(api).sort()).toEqual(['dataOrigin', 'invoke', 'pathForFile', 'requestStreamPort', 'subscribe']);
    // the stream port: asked over IPC, handed to the page (its own origin only) with window.postMessage
    api['requestStreamPort']!();
    expect(send).toHaveBeenCalledWith('orthotwin:stream-port');
    const portListener = on.mock.calls.find((c) => c[0] === 'orthotwin:stream-port')![1] as (e: { ports: unknown[] }) => void;
    const port = { fake: 'port' };
    portListener({ ports: [port] });
    expect(posted).toEqual([['orthotwin:stream-port', 'app://orthotwin', [port]]]);
    on.mockClear();
    await api['invoke']!('patients', 'list', ['']);
    expect(invoke).toHaveBeenCalledWith('orthotwin:invoke', 'patients', 'list', ['']);
    const cb = vi.fn();
    const off = api['subscribe']!('jobs', 'onDidChangeJob', cb) as () => void;
    const listener = on.mock.calls.find((c) => c[0] === 'orthotwin:event')![1] as (e: unknown, s: string, ev: string, p: unknown) => void;
    listener(null, 'jobs', 'onDidChangeJob', { id: 'j' });
    listener(null, 'jobs', 'other', {});
    expect(cb).toHaveBeenCalledTimes(1);
    off();
    expect(removeListener).toHaveBeenCalled();
    vi.doUnmock('electron');
    vi.unstubAllGlobals();
  });
});

describe('device host on the desktop', () => {
  it('forks the device host as a utilityProcess and adapts its channel', async () => {
    const { utilityProcessHost } = await import('./deviceHost.js');
    const listeners: Record<string, (...a: unknown[]) => void> = {};
    const posted: unknown[] = [];
    const child = {
      pid: 4242,
      postMessage: (m: unknown) => posted.push(m),
      on: (e: string, cb: (...a: unknown[]) => void) => (listeners[e] = cb),
      kill: vi.fn(() => true),
    };
    const fork = vi.fn(() => child);
    const spawn = utilityProcessHost({ fork } as never);
    const h = spawn('/app/dist/electron/devicehost/main.js');
    expect(fork).toHaveBeenCalledWith('/app/dist/electron/devicehost/main.js', [], expect.objectContaining({ serviceName: 'OrthoTwin device host' }));
    expect(h.pid).toBe(4242);
    h.send({ t: 'req', id: 1, method: 'disconnect', args: ['x'] });
    expect(posted).toEqual([{ t: 'req', id: 1, method: 'disconnect', args: ['x'] }]);
    const got: unknown[] = [];
    h.onMessage((m) => got.push(m));
    listeners['message']!({ t: 'event', event: 'ready', payload: { streamUrl: 'ws://127.0.0.1:1/streams', pid: 4242 } });
    expect(got).toHaveLength(1);
    let exit: unknown[] = [];
    h.onExit((code, sig) => (exit = [code, sig]));
    listeners['exit']!(1);
    expect(exit).toEqual([1, null]);
    h.kill();
    expect(child.kill).toHaveBeenCalled();
    const port = { close: vi.fn() };
    h.sendStreamPort!(port);
    expect(posted.at(-1)).toEqual({ t: 'stream-port' });
  });

  it('gives an app:// window whose session may watch streams a stream port whose other end goes to the device host; other frames and refused sessions get nothing', async () => {
    const { registerStreamPorts } = await import('./deviceHost.js');
    const handlers: Record<string, (e: unknown) => void> = {};
    const ipc = { on: (ch: string, h: (e: unknown) => void) => (handlers[ch] = h) };
    const made: { port1: { close: () => void }; port2: { close: () => void } }[] = [];
    class Channel {
      port1 = { close: vi.fn(), id: 1 };
      port2 = { close: vi.fn(), id: 2 };
      constructor() {
        made.push(this);
      }
    }
    const attached: unknown[] = [];
    const audited: string[] = [];
    let signedIn = false;
    const access = {
      authorize: () => {
        if (!signedIn) throw Object.assign(new Error('sign in first'), { code: 'UNAUTHORIZED' });
        return { actor: 'dr.a', role: 'surgeon' as const };
      },
      auditRead: (_c: unknown, s: string, m: string) => void audited.push(`${s}.${m}`),
      refusal: () => (signedIn ? null : 'signed out'),
    };
    vi.useFakeTimers();
    try {
      registerStreamPorts(ipc as never, Channel as never, { attachStreamPort: async (p) => void attached.push(p) }, access);
      const sent: unknown[][] = [];
      const sender = { id: 7, postMessage: (...a: unknown[]) => sent.push(a) };
      handlers['orthotwin:stream-port']!({ senderFrame: { url: 'https://evil.example/' }, sender });
      expect(made).toHaveLength(0);
      handlers['orthotwin:stream-port']!({ senderFrame: { url: 'app://orthotwin/index.html' }, sender });
      expect(made).toHaveLength(0); // not signed in: refused
      signedIn = true;
      handlers['orthotwin:stream-port']!({ senderFrame: { url: 'app://orthotwin/index.html' }, sender });
      await vi.advanceTimersByTimeAsync(0);
      expect(attached).toEqual([made[0]!.port1]);
      expect(sent).toEqual([['orthotwin:stream-port', null, [made[0]!.port2]]]);
      expect(audited).toEqual(['data.streams']);
      expect(made[0]!.port1.close).not.toHaveBeenCalled();
      signedIn = false; // signed out: the port is closed at the next check
      await vi.advanceTimersByTimeAsync(1100);
      expect(made[0]!.port1.close).toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });
});
