import type { Client } from '../../ipc/client.js';
import { StreamClient } from './streamClient.js';

/**
 * The page's stream client for the transport in use — browser mode: the
 * loopback host's relay WebSocket; desktop: a MessagePort from the main
 * process — opened; null where the window has no streams.
 */
export function openStreams(client: Client): StreamClient | null {
  const url = client.transport.streamUrl();
  const sc = url ? new StreamClient(url) : client.transport.kind === 'ipc' ? new StreamClient(() => client.transport.streamPort()!) : null;
  sc?.open();
  return sc;
}
