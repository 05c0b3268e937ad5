/**
 * Desktop: the device host runs in an Electron utilityProcess (a Node child
 * that Electron manages; a driver crash ends only that process). Adapts it to
 * the supervisor's HostChild seam, and gives each window its live streams on
 * a MessagePort (the window is offline-locked: no socket reaches it).
 */
import type { IpcMain, IpcMainEvent, MessagePortMain, UtilityProcess } from 'electron';
import { IPC_STREAM_PORT } from '../contract/index.js';
import { senderIsApp } from './ipcRouter.js';
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

/**
 * Answers a window's request for its stream port: a MessageChannelMain whose
 * one end goes to the device host and the other to the asking frame (only
 * frames of app://orthotwin are answered).
 */
export function registerStreamPorts(
  ipcMain: Pick<IpcMain, 'on'>,
  MessageChannel: new () => { port1: MessagePortMain; port2: MessagePortMain },
  devices: { attachStreamPort(port: unknown): Promise<void> },
): void {
  ipcMain.on(IPC_STREAM_PORT, (e: IpcMainEvent) => {
    if (!senderIsApp(e)) return;
    const { port1, port2 } = new MessageChannel();
    devices.attachStreamPort(port1).then(
      () => e.sender.postMessage(IPC_STREAM_PORT, null, [port2]),
      () => {
        port1.close();
        port2.close();
      },
    );
  });
}
