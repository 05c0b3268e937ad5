/**
 * The bulk-data routes' reads, shared by both transports (the browser-mode
 * host's `/data/...`, the desktop's `app://orthotwin/data/...`): each request
 * carries a data ticket (electron/contract/bulk.ts) and is checked, audited
 * and answered as a call of that ticket's connection would be.
 */
import { AppError, type ErrorCode } from '../contract/errors.js';
import { getArtefactPath } from '../../capabilities/twins/repo.js';
import type { AccessControl } from './access.js';
import type { TwinStore } from '../db/store.js';
import { readVolumeVoxels, withoutPaths } from './index.js';

/** A bulk read's answer: the bytes and the response headers to send with them. */
export interface BulkReply {
  bytes: Uint8Array;
  headers: Record<string, string>;
}

/**
 * Reads one bulk-data resource for the connection a ticket stands for.
 * @param kind `volume` (raw little-endian voxels; header `x-voxel-type`) or `artefact` (the artefact's file: VTP XML or binary)
 * @param id the volume's or artefact's id
 * @throws AppError UNAUTHORIZED / LOCKED / FORBIDDEN (the ticket's session may not), NOT_FOUND (unknown route or id);
 *   a researcher's error texts carry no paths
 */
export async function readBulk(host: { store: TwinStore; access: AccessControl }, ticket: string | null, kind: string, id: string): Promise<BulkReply> {
  if (kind !== 'volume' && kind !== 'artefact') throw new AppError('NOT_FOUND', `no data route /data/${kind}`);
  const { caller } = host.access.authorizeTicket(ticket, kind, [id]);
  let reply: BulkReply;
  try {
    if (kind === 'volume') {
      const { bytes, voxelType } = await readVolumeVoxels(host.store, id);
      reply = { bytes, headers: { 'content-type': 'application/octet-stream', 'x-voxel-type': voxelType } };
    } else {
      const a = getArtefactPath(host.store, id);
      reply = { bytes: await host.store.readFile(a.abs), headers: { 'content-type': a.format === 'vtp' ? 'application/xml' : 'application/octet-stream' } };
    }
  } catch (e) {
    if (caller.role === 'researcher' && e instanceof Error) e.message = withoutPaths(e.message);
    throw e;
  }
  host.access.auditRead(caller, 'data', kind, [id]);
  return reply;
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  IMPORT_TOO_LARGE: 413,
  LOCKED: 423,
};

/** The HTTP status for an error code of a bulk-data request (500 for a failure of the host). */
export const httpStatusOf = (code: string): number => STATUS[code as ErrorCode] ?? 500;
