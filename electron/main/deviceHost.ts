/**
 * Desktop: the device host runs in an Electron utilityProcess (a Node child
 * that Electron manages; a driver crash ends only that process). Adapts it to
 * the supervisor's HostChild seam.
 */
import type { UtilityProcess } from 'electron';
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
    };
  };
}
