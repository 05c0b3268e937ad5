/**
 * The platform's contract: the contract machinery (define.ts), the service
 * types collected from the capabilities (registry.ts), the error vocabulary,
 * the job record, the wire messages of both transports and the bulk-data
 * URLs. Runtime-neutral (no node:, no DOM, no electron). Each capability's
 * own schemas and services are in capabilities/<name>/contract.ts.
 */
import { z } from 'zod';

export * from './errors.js';
export * from './spine.js';
export * from './spineLabels.js';
export * from './devices.js';
export * from './define.js';
export * from './primitives.js';
export * from './jobs.js';
export * from './bulk.js';
export type * from './registry.js';

// ---------------------------------------------------------------- wire
export const WireInvoke = z.object({ t: z.literal('invoke'), id: z.number().int(), service: z.string(), method: z.string(), args: z.array(z.unknown()) });
export const WireMessage = z.discriminatedUnion('t', [
  WireInvoke,
  z.object({ t: z.literal('result'), id: z.number().int(), ok: z.literal(true), value: z.unknown() }),
  z.object({
    t: z.literal('result'),
    id: z.number().int(),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string(), detail: z.unknown().optional() }),
  }),
  z.object({ t: z.literal('event'), service: z.string(), event: z.string(), payload: z.unknown() }),
]);
export type WireMessage = z.infer<typeof WireMessage>;

/** Electron IPC channel names (desktop transport). */
export const IPC_INVOKE = 'orthotwin:invoke';
export const IPC_EVENT = 'orthotwin:event';
/** Desktop: the renderer asks for, and receives, the MessagePort of the live device streams. */
export const IPC_STREAM_PORT = 'orthotwin:stream-port';

/** Bulk-data paths, relative to the data origin (app://data or http://127.0.0.1:PORT/data). */
export const bulkUrls = {
  /** Raw little-endian voxels of a volume (metadata from studies.list). */
  volume: (volumeId: string): string => `/data/volume/${encodeURIComponent(volumeId)}`,
  artefact: (artefactId: string): string => `/data/artefact/${encodeURIComponent(artefactId)}`,
};
