/**
 * Preload (sandboxed, CommonJS): exposes only invoke / subscribe, the bulk
 * data origin, the path of a dropped or picked file, and a request for the
 * live device streams' MessagePort (which cannot cross the context bridge:
 * it is handed to the page with window.postMessage, as Electron documents
 * for context-isolated pages). Channel names are those of electron/contract
 * (a sandboxed preload cannot load project files).
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';

const IPC_INVOKE = 'orthotwin:invoke';
const IPC_EVENT = 'orthotwin:event';
const IPC_STREAM_PORT = 'orthotwin:stream-port';

/** The page's window as the preload sees it (the node tsconfigs have no DOM types). */
const page = globalThis as unknown as { location: { origin: string }; postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void };

ipcRenderer.on(IPC_STREAM_PORT, (e) => {
  page.postMessage(IPC_STREAM_PORT, page.location.origin, [...e.ports]);
});

const api = {
  invoke: (service: string, method: string, args: unknown[]): Promise<unknown> => ipcRenderer.invoke(IPC_INVOKE, service, method, args),
  subscribe: (service: string, event: string, cb: (payload: unknown) => void): (() => void) => {
    const listener = (_e: unknown, s: string, ev: string, payload: unknown): void => {
      if (s === service && ev === event) cb(payload);
    };
    ipcRenderer.on(IPC_EVENT, listener);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, listener);
    };
  },
  dataOrigin: 'app://orthotwin',
  pathForFile: (file: File): string => webUtils.getPathForFile(file),
  /** Asks for the device streams' port; it arrives as a window message `orthotwin:stream-port` carrying the port. */
  requestStreamPort: (): void => ipcRenderer.send(IPC_STREAM_PORT),
};

contextBridge.exposeInMainWorld('orthotwin', api);

export type PreloadApi = typeof api;
