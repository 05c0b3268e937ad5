import type { Client } from '../../../renderer/ipc/client.js';
import { StreamClient, type StreamEnhance } from './streamClient.js';

/**
 * The page's stream client for the transport in use — browser mode: the
 * loopback host's relay WebSocket; desktop: a MessagePort from the main
 * process — opened; null where the window has no streams.
 * @param opts.imageMaxWidth the image views' width in device pixels (binned copies of wider frames)
 * @param opts.view an enhancement model for the image views and whether the raw frames come too (issue 22)
 */
export function openStreams(client: Client, opts: { imageMaxWidth?: number; view?: StreamEnhance } = {}): StreamClient | null {
  const url = client.transport.streamUrl();
  const w = opts.imageMaxWidth ?? null;
  const v = opts.view ?? { enhance: null, raw: false };
  const sc = url
    ? new StreamClient({ url }, w, v)
    : client.transport.kind === 'ipc'
      ? new StreamClient({ port: () => client.transport.streamPort()! }, w, v)
      : null;
  sc?.open();
  return sc;
}
