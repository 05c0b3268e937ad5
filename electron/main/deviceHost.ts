/**
 * Desktop: the device host runs in an Electron utilityProcess (a Node child
 * that Electron manages; a driver crash ends only that process). Adapts it to
 * the supervisor's HostChild seam, and gives each window its live streams on
 * a MessagePort (the window is offline-locked: no socket reaches it).
 */
import type { IpcMain, IpcMainEvent, MessagePortMain, UtilityProcess } from 'electron';
import { IPC_STREAM_PORT } from '../contract/index.js';
import { connectionOf, senderIsApp } from './ipcRouter.js';
import type { AccessControl } from '../services/access.js';
import type { HostChild, SpawnHost } from '../services/devices.js';
import type { HostMessage, HostRequest } from '../devicehost/protocol.js';

export function utilityProcessHost(utility: { fork(modulePath: string, args?: string[], options?: Electron.ForkOptions): UtilityProcess }): SpawnHost {
  return (entry: string): HostChild => {
    const child = utility.fork(entry, [], { serviceName: 'OrthoTwin device host', stdio: 'inherit' });
    return {
      get pid() {
        return child.pid ?? null;
      },
      send: (m: HostRequest) => child.postMessage(m),
      onMessage: (cb) => child.on('message', (m: unknown) => cb(m as HostMessage)),
      onExit: (cb) => child.on('exit', (code: number) => cb(code, null)),
      kill: () => {
        child.kill();
      },
      sendStreamPort: (port) => child.postMessage({ t: 'stream-port' }, [port as MessagePortMain]),
    };
  };
}

/** How often a window's stream port is checked against its session (ms): a sign-out or lock closes it within this time. */
export const STREAM_PORT_SESSION_CHECK_MS = 1000;

/**
 * Answers a window's request for its stream port: a MessageChannelMain whose
 * one end goes to the device host and the other to the asking frame. Only
 * frames of app://orthotwin whose session may watch live streams (signed in,
 * unlocked, a clinical role: `data.streams` in electron/contract/bulk.ts) are
 * answered, the opening is audited, and the port is closed once that session
 * signs out, locks or loses the right.
 */
export function registerStreamPorts(
  ipcMain: Pick<IpcMain, 'on'>,
  MessageChannel: new () => { port1: MessagePortMain; port2: MessagePortMain },
  devices: { attachStreamPort(port: unknown): Promise<void> },
  access: Pick<AccessControl, 'authorize' | 'auditRead' | 'refusal'>,
): void {
  ipcMain.on(IPC_STREAM_PORT, (e: IpcMainEvent) => {
    if (!senderIsApp(e)) return;
    const ctx = connectionOf(e);
    let caller;
    try {
      caller = access.authorize(ctx, 'data', 'streams', []);
    } catch (err) {
      console.warn(`stream port refused: ${(err as Error).message}`);
      return;
    }
    access.auditRead(caller, 'data', 'streams', []);
    const { port1, port2 } = new MessageChannel();
    devices.attachStreamPort(port1).then(
      () => {
        e.sender.postMessage(IPC_STREAM_PORT, null, [port2]);
        const check = setInterval(() => {
          if (!access.refusal(ctx, 'data', 'streams')) return;
          clearInterval(check);
          port1.close();
        }, STREAM_PORT_SESSION_CHECK_MS);
        check.unref?.();
        port1.on?.('close', () => clearInterval(check));
      },
      () => {
        port1.close();
        port2.close();
      },
    );
  });
}
