/**
 * The bulk-data routes of both transports (`/data/...` of the browser-mode
 * host, `app://orthotwin/data/...` on the desktop) and the live streams,
 * described like service methods so that access control treats them as it
 * treats calls: who may use them (`roles`), what is audited. They are not
 * callable over the RPC channel (`parseCall` knows only the capabilities'
 * services); access control finds them by the service name `data`.
 *
 * A route is answered only with a data ticket (`auth.dataTicket`), which
 * stands for the page connection that asked for it: the request then has
 * that connection's session — signed in, not locked, its role's rights —
 * and is audited in that user's name. The launch token alone is not enough.
 */
import { z } from 'zod';
import { ALL_ROLES, CLINICAL_ROLES, defineService } from './define.js';
import { Id } from './primitives.js';

/** Request header (or `ticket` query parameter, for WebSocket URLs) that carries a data ticket. */
export const DATA_TICKET_HEADER = 'x-orthotwin-ticket';

export const DataRoutes = defineService(
  'data',
  {
    /** GET /data/volume/:id — raw little-endian voxels of a stored volume. */
    volume: {
      roles: ALL_ROLES,
      audit: { action: 'read', recordType: 'volume' },
      verb: 'read volume data',
      args: z.tuple([Id]),
      result: z.unknown(),
    },
    /** GET /data/artefact/:id — a twin artefact's file (surface mesh, label map). */
    artefact: {
      roles: ALL_ROLES,
      audit: { action: 'read', recordType: 'artefact' },
      verb: 'read twin artefacts',
      args: z.tuple([Id]),
      result: z.unknown(),
    },
    /** POST /data/upload — a file picked or dropped in the browser-mode page, staged for an import. */
    upload: {
      roles: CLINICAL_ROLES,
      verb: 'upload files for import',
      args: z.tuple([z.string(), z.string()]),
      result: z.unknown(),
    },
    /** WebSocket /streams (browser mode) or the stream MessagePort (desktop) — live device streams. */
    streams: {
      roles: CLINICAL_ROLES,
      audit: { action: 'stream-open', recordType: 'device' },
      verb: 'watch live device streams',
      args: z.tuple([]),
      result: z.unknown(),
    },
  },
  {},
);
