/**
 * The ipcMain router: one channel for every service call. It checks the
 * sender (a frame of app://orthotwin), validates the arguments against the
 * contract, calls the service and encodes errors explicitly as
 * { ok: false, error: { code, message } } (Electron would pass only the
 * message of a thrown error).
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { IPC_INVOKE, parseCall, toErrorShape, type AllServiceImpls, type ErrorShape } from '../contract/index.js';
import { callService } from '../services/index.js';
import { isAppUrl } from './window.js';

export type IpcReply = { ok: true; value: unknown } | { ok: false; error: ErrorShape };

export function senderIsApp(e: Pick<IpcMainInvokeEvent, 'senderFrame'>): boolean {
  const url = e.senderFrame?.url;
  return typeof url === 'string' && isAppUrl(url);
}

export async function routeInvoke(
  impl: AllServiceImpls,
  e: Pick<IpcMainInvokeEvent, 'senderFrame'>,
  service: unknown,
  method: unknown,
  args: unknown,
): Promise<IpcReply> {
  if (!senderIsApp(e)) return { ok: false, error: { code: 'UNAUTHORIZED', message: 'IPC from a frame outside app://orthotwin refused' } };
  try {
    const call = parseCall(String(service), String(method), Array.isArray(args) ? args : []);
    return { ok: true, value: await callService(impl, call.service, call.method, call.args) };
  } catch (err) {
    return { ok: false, error: toErrorShape(err) };
  }
}

export function registerIpcRouter(ipcMain: IpcMain, impl: AllServiceImpls): () => void {
  ipcMain.handle(IPC_INVOKE, (e, service: unknown, method: unknown, args: unknown) => routeInvoke(impl, e, service, method, args));
  return () => ipcMain.removeHandler(IPC_INVOKE);
}
