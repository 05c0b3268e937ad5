import type { Client } from '../../../renderer/ipc/client.js';
import { StreamClient } from './streamClient.js';

/**
 * The page's stream client for the transport in use — browser mode: the
 * loopback host's relay WebSocket; desktop: a MessagePort from the main
 * process — opened; null where the window has no streams.
 */
export function openStreams(client: Client, opts: { imageMaxWidth?: number } = {}): StreamClient | null {
  const url = client.transport.streamUrl();
  const w = opts.imageMaxWidth ?? null;
  const sc = url ? new StreamClient({ url }, w) : client.transport.kind === 'ipc' ? new StreamClient({ port: () => client.transport.streamPort()! }, w) : null;
  sc?.open();
  return sc;
}
