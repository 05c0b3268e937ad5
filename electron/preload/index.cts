/**
 * Preload (sandboxed, CommonJS): exposes only invoke / subscribe, the bulk
 * data origin and the path of a dropped or picked file. Channel names are
 * those of electron/contract (a sandboxed preload cannot load project files).
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';

const IPC_INVOKE = 'orthotwin:invoke';
const IPC_EVENT = 'orthotwin:event';

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
};

contextBridge.exposeInMainWorld('orthotwin', api);

export type PreloadApi = typeof api;
