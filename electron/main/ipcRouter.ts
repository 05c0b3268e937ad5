/**
 * The ipcMain router: one channel for every service call. It checks the
 * sender (a frame of app://orthotwin), validates the arguments against the
 * contract, calls the service and encodes errors explicitly as
 * { ok: false, error: { code, message } } (Electron would pass only the
 * message of a thrown error).
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { IPC_INVOKE, toErrorShape, type ErrorShape } from '../contract/index.js';
import { parseCall } from '../platform/registry.js';
import { callService, type ServiceHost } from '../services/index.js';
import type { CallContext } from '../services/access.js';
import { isAppUrl } from './window.js';

export type IpcReply = { ok: true; value: unknown } | { ok: false; error: ErrorShape };

export function senderIsApp(e: Pick<IpcMainInvokeEvent, 'senderFrame'>): boolean {
  const url = e.senderFrame?.url;
  return typeof url === 'string' && isAppUrl(url);
}

/** A session per renderer (webContents id); one for a sender without an id. */
const contexts = new Map<number, CallContext>();
/** The connection (session) of the renderer that sent an IPC message. */
export const connectionOf = (e: Partial<Pick<IpcMainInvokeEvent, 'sender'>>): CallContext => {
  const id = e.sender?.id ?? -1;
  let c = contexts.get(id);
  if (!c) contexts.set(id, (c = { token: null }));
  return c;
};

export async function routeInvoke(
  host: Pick<ServiceHost, 'impl' | 'access'>,
  e: Pick<IpcMainInvokeEvent, 'senderFrame'> & Partial<Pick<IpcMainInvokeEvent, 'sender'>>,
  service: unknown,
  method: unknown,
  args: unknown,
): Promise<IpcReply> {
  if (!senderIsApp(e)) return { ok: false, error: { code: 'UNAUTHORIZED', message: 'IPC from a frame outside app://orthotwin refused' } };
  try {
    const call = parseCall(String(service), String(method), Array.isArray(args) ? args : []);
    return { ok: true, value: await callService(host, connectionOf(e), call.service, call.method, call.args) };
  } catch (err) {
    return { ok: false, error: toErrorShape(err) };
  }
}

export function registerIpcRouter(ipcMain: IpcMain, host: Pick<ServiceHost, 'impl' | 'access'>): () => void {
  ipcMain.handle(IPC_INVOKE, (e, service: unknown, method: unknown, args: unknown) => routeInvoke(host, e, service, method, args));
  return () => ipcMain.removeHandler(IPC_INVOKE);
}
