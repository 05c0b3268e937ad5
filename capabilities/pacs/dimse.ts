/**
 * DIMSE with dcmjs-dimse: C-ECHO, C-FIND (study, series and image level),
 * C-MOVE and C-GET, C-STORE SCU, and a C-STORE SCP (OrthoTwin's C-MOVE
 * destination, started on demand). Each call opens one association and turns
 * the library's events into one promise, with faults named: connection
 * refused, association rejected (with the reason: e.g. the called AE title not
 * recognised), a PDU timeout mid-transfer, an abort, a failure status.
 */
import fs from 'node:fs';
import path from 'node:path';
import dimse from 'dcmjs-dimse';
import { AppError } from '../../electron/contract/errors.js';
import type { PacsNode } from './contract.js';

const { Client, Server, Scp, Dataset } = dimse;
const { CEchoRequest, CFindRequest, CMoveRequest, CGetRequest, CStoreRequest } = dimse.requests;
const { CStoreResponse } = dimse.responses;
const { Status, PresentationContextResult, RejectReason, RejectResult, RejectSource, SopClass, StorageClass, TransferSyntax } = dimse.constants;
dimse.log.setLevel('silent');

/** This workstation's side of an association. */
export interface LocalAe {
  aet: string;
  /** Seconds without a PDU (or to connect) before a transfer is called timed out. */
  timeoutS: number;
}

export const nodeLabel = (n: Pick<PacsNode, 'aet' | 'host' | 'port'>): string => `PACS ${n.aet} at ${n.host}:${n.port}`;

const REJECT_REASONS: Record<string, string> = {
  [`${RejectSource.ServiceUser}:${RejectReason.CalledAeNotRecognized}`]: `the called AE title is not recognised`,
  [`${RejectSource.ServiceUser}:${RejectReason.CallingAeNotRecognized}`]: `the calling AE title is not recognised`,
  [`${RejectSource.ServiceUser}:${RejectReason.NoReasonGiven}`]: 'no reason given',
  [`${RejectSource.ServiceUser}:${RejectReason.ApplicationContextNotSupported}`]: 'application context not supported',
  [`${RejectSource.ServiceProviderPresentation}:${RejectReason.TemporaryCongestion}`]: 'temporary congestion',
  [`${RejectSource.ServiceProviderPresentation}:${RejectReason.LocalLimitExceeded}`]: 'local limit exceeded',
};

/** The library's network error as a sentence naming the node. */
export function networkError(node: PacsNode, e: unknown, timeoutS?: number): AppError {
  const err = e as NodeJS.ErrnoException;
  const where = nodeLabel(node);
  if (err?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(err?.message ?? ''))
    return new AppError('PACS_UNAVAILABLE', `${where}: connection refused (is the PACS running, and is this its DICOM port?)`, { node: node.name });
  if (err?.code === 'ENOTFOUND' || err?.code === 'EAI_AGAIN') return new AppError('PACS_UNAVAILABLE', `${where}: host not found`, { node: node.name });
  if (err?.code === 'ECONNRESET' || err?.code === 'EPIPE' || /ECONNRESET|EPIPE/.test(err?.message ?? ''))
    return new AppError('PACS_UNAVAILABLE', `${where}: the connection was closed by the PACS mid-transfer`, { node: node.name });
  const msg = err?.message ?? String(e);
  // the PDU/association timer or the socket's idle timer, whichever fires first: the PACS went silent
  if (/timeout/i.test(msg)) {
    const kind = /Exceeded (\w+) timeout/.exec(msg)?.[1];
    return new AppError(
      'PACS_TIMEOUT',
      `${where}: no answer within ${timeoutS ?? '?'} s${kind ? ` (${kind} timeout)` : ''}, mid-transfer or while connecting`,
      {
        node: node.name,
      },
    );
  }
  return new AppError('PACS_UNAVAILABLE', `${where}: ${msg}`, { node: node.name });
}

interface Rejection {
  result: number;
  source: number;
  reason: number;
}

/** Runs the requests on one association; resolves when it is released, rejects with a named fault. */
function run(
  node: PacsNode,
  local: LocalAe,
  requests: InstanceType<typeof dimse.requests.Request>[],
  setup?: (c: InstanceType<typeof Client>) => void,
  signal?: { failure?: AppError },
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const client = new Client();
    for (const r of requests) client.addRequest(r);
    setup?.(client);
    let settled = false;
    let accepted = false;
    const fail = (e: AppError): void => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    client.on('associationAccepted', () => (accepted = true));
    client.on('associationRejected', (r: Rejection) => {
      const why = REJECT_REASONS[`${r.source}:${r.reason}`] ?? `source ${r.source}, reason ${r.reason}`;
      fail(
        new AppError(
          'PACS_REJECTED',
          `${nodeLabel(node)} rejected the association (${r.result === RejectResult.Transient ? 'transient' : 'permanent'}: ${why}; OrthoTwin called "${node.aet}" as "${local.aet}")`,
          { node: node.name, ...r },
        ),
      );
    });
    client.on('networkError', (e: unknown) => fail(networkError(node, e, local.timeoutS)));
    client.on('abort', () => fail(new AppError('PACS_UNAVAILABLE', `${nodeLabel(node)} aborted the association mid-transfer`, { node: node.name })));
    client.on('closed', () => {
      if (settled) return;
      if (signal?.failure) return fail(signal.failure);
      if (!accepted)
        return fail(new AppError('PACS_UNAVAILABLE', `${nodeLabel(node)} closed the connection before accepting the association`, { node: node.name }));
      settled = true;
      resolve();
    });
    const ms = local.timeoutS * 1000;
    client.send(node.host, node.port, local.aet, node.aet, {
      connectTimeout: ms,
      associationTimeout: ms,
      pduTimeout: ms,
      ...(node.tls ? { securityOptions: { rejectUnauthorized: true } } : {}),
    });
  });
}

const statusText = (s: number): string => `status 0x${s.toString(16).padStart(4, '0')}`;

export async function echo(node: PacsNode, local: LocalAe): Promise<number> {
  const t0 = performance.now();
  const req = new CEchoRequest();
  const sig: { failure?: AppError } = {};
  req.on('response', (r: InstanceType<typeof dimse.responses.CEchoResponse>) => {
    if (r.getStatus() !== Status.Success) sig.failure = new AppError('PACS_UNAVAILABLE', `${nodeLabel(node)}: C-ECHO answered ${statusText(r.getStatus())}`);
  });
  await run(node, local, [req], undefined, sig);
  return performance.now() - t0;
}

/** The elements of each matching dataset (pending responses). */
export async function find(
  node: PacsNode,
  local: LocalAe,
  level: 'STUDY' | 'SERIES' | 'IMAGE',
  keys: Record<string, unknown>,
): Promise<Record<string, unknown>[]> {
  const req =
    level === 'STUDY'
      ? CFindRequest.createStudyFindRequest(keys)
      : level === 'SERIES'
        ? CFindRequest.createSeriesFindRequest(keys)
        : CFindRequest.createImageFindRequest(keys);
  const out: Record<string, unknown>[] = [];
  const sig: { failure?: AppError } = {};
  req.on('response', (r: InstanceType<typeof dimse.responses.CFindResponse>) => {
    const s = r.getStatus();
    if ((s === Status.Pending || s === 0xff01) && r.hasDataset()) out.push(r.getDataset()!.getElements());
    else if (s !== Status.Success && s !== Status.Pending && s !== 0xff01)
      sig.failure = new AppError('PACS_UNAVAILABLE', `${nodeLabel(node)}: C-FIND answered ${statusText(s)} ${r.getErrorComment() ?? ''}`.trim());
  });
  await run(node, local, [req], undefined, sig);
  if (sig.failure) throw sig.failure;
  return out;
}

/** The instances the PACS holds in a series (image-level C-FIND): SOP Instance and SOP Class UIDs. */
export async function listInstances(node: PacsNode, local: LocalAe, studyUid: string, seriesUid: string): Promise<{ sop: string; sopClass: string }[]> {
  const rows = await find(node, local, 'IMAGE', { StudyInstanceUID: studyUid, SeriesInstanceUID: seriesUid, SOPInstanceUID: '', SOPClassUID: '' });
  return rows.map((r) => ({ sop: String(r['SOPInstanceUID'] ?? ''), sopClass: String(r['SOPClassUID'] ?? '') })).filter((r) => r.sop);
}

/** What OrthoTwin accepts as a C-GET's C-STORE sub-operations: uncompressed, and the compressed syntaxes the import reads (kept as sent, never transcoded by the PACS). */
const GET_TRANSFER_SYNTAXES = [
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.Jpeg2000Lossless,
  TransferSyntax.Jpeg2000Lossy,
  TransferSyntax.JpegLossless,
  TransferSyntax.JpegBaseline,
  TransferSyntax.JpegLsLossless,
  TransferSyntax.RleLossless,
].filter(Boolean);

/** What a retrieval asks for: a series, or some of its instances (resume). */
export interface RetrieveItems {
  studyUid: string;
  seriesUid: string;
  /** Only these instances; absent: the whole series. */
  sopUids?: string[];
}

type SubOpResponse = InstanceType<typeof dimse.responses.CMoveResponse>;

function subOpRequests<R extends InstanceType<typeof CMoveRequest> | InstanceType<typeof CGetRequest>>(
  node: PacsNode,
  items: RetrieveItems,
  make: (sop?: string) => R,
  what: string,
  sig: { failure?: AppError },
): R[] {
  const reqs = items.sopUids ? items.sopUids.map((s) => make(s)) : [make()];
  for (const req of reqs)
    req.on('response', (r: SubOpResponse) => {
      const s = r.getStatus();
      if (s === Status.Pending || s === Status.Success) {
        if (r.getFailures() > 0 && s === Status.Success && !sig.failure)
          sig.failure = new AppError('PACS_UNAVAILABLE', `${nodeLabel(node)}: ${what} ended with ${r.getFailures()} failed sub-operations`);
      } else if (s !== 0xb000 && !sig.failure)
        sig.failure = new AppError(
          'PACS_UNAVAILABLE',
          `${nodeLabel(node)}: ${what} answered ${statusText(s)}${r.getErrorComment() ? ` (${r.getErrorComment()})` : ''} after ${r.getCompleted() ?? 0} instances`,
        );
    });
  return reqs;
}

/** C-MOVE to `destAet` (OrthoTwin's SCP, registered at the PACS); the instances arrive at the SCP. */
export async function move(node: PacsNode, local: LocalAe, destAet: string, items: RetrieveItems): Promise<void> {
  const sig: { failure?: AppError } = {};
  const reqs = subOpRequests(
    node,
    items,
    (sop) =>
      sop
        ? CMoveRequest.createImageMoveRequest(destAet, items.studyUid, items.seriesUid, sop)
        : CMoveRequest.createSeriesMoveRequest(destAet, items.studyUid, items.seriesUid),
    `C-MOVE to ${destAet}`,
    sig,
  );
  await run(node, local, reqs, undefined, sig);
  if (sig.failure) throw sig.failure;
}

/** C-GET: the instances come back on the same association as C-STORE sub-operations, each handed to `onInstance`. */
export async function get(
  node: PacsNode,
  local: LocalAe,
  items: RetrieveItems,
  sopClasses: string[],
  onInstance: (ds: InstanceType<typeof Dataset>) => void,
): Promise<void> {
  const sig: { failure?: AppError } = {};
  const reqs = subOpRequests(
    node,
    items,
    (sop) => {
      const r = sop
        ? CGetRequest.createImageGetRequest(items.studyUid, items.seriesUid, sop)
        : CGetRequest.createSeriesGetRequest(items.studyUid, items.seriesUid);
      return r;
    },
    'C-GET',
    sig,
  );
  await run(
    node,
    local,
    reqs,
    (client) => {
      // one presentation context per SOP class of the series, SCP role, with the compressed syntaxes: a PACS holding JPEG 2000
      // (Orthanc cannot transcode it) sends it as it is
      for (const sopClass of sopClasses.length ? sopClasses : [StorageClass.CtImageStorage, StorageClass.MrImageStorage]) {
        // one context per transfer syntax: the PACS accepts one syntax per context and sends each file in the one it holds it in
        for (const ts of GET_TRANSFER_SYNTAXES) {
          const pc = new dimse.association.PresentationContext(0, sopClass, ts);
          pc.setProviderRole(true);
          pc.setUserRole(true);
          client.addAdditionalPresentationContext(pc, true);
        }
      }
      client.on('cStoreRequest', (request: InstanceType<typeof CStoreRequest>, callback: (r: InstanceType<typeof CStoreResponse>) => void) => {
        const response = CStoreResponse.fromRequest(request);
        try {
          onInstance(request.getDataset()!);
          response.setStatus(Status.Success);
        } catch (e) {
          response.setStatus(0xa700); // out of resources
          sig.failure ??= e instanceof AppError ? e : new AppError('INTERNAL', `cannot keep a received instance: ${(e as Error).message}`);
        }
        callback(response);
      });
    },
    sig,
  );
  if (sig.failure) throw sig.failure;
}

/** C-STORE of DICOM files (each offered in its own transfer syntax); returns the SOP Instance UIDs stored. */
export async function store(node: PacsNode, local: LocalAe, files: string[]): Promise<string[]> {
  const sig: { failure?: AppError } = {};
  const stored: string[] = [];
  const reqs = files.map((f) => {
    const ds = Dataset.fromFile(f);
    if (!ds) throw new AppError('BAD_REQUEST', `${f}: not a DICOM file`);
    const req = new CStoreRequest(ds);
    const sop = String(ds.getElement('SOPInstanceUID') ?? '');
    req.on('response', (r: InstanceType<typeof CStoreResponse>) => {
      const s = r.getStatus();
      if (s === Status.Success || (s & 0xf000) === 0xb000) stored.push(sop);
      else sig.failure ??= new AppError('PACS_UNAVAILABLE', `${nodeLabel(node)}: C-STORE of ${path.basename(f)} answered ${statusText(s)}`);
    });
    return req;
  });
  await run(node, local, reqs, undefined, sig);
  if (sig.failure) throw sig.failure;
  if (stored.length !== files.length) throw new AppError('PACS_UNAVAILABLE', `${nodeLabel(node)}: ${stored.length} of ${files.length} instances stored`);
  return stored;
}

/** Writes a received dataset as `<dir>/<SOP Instance UID>.dcm` atomically (temporary name, fsync, rename): a partial file never counts. */
export function keepInstance(dir: string, ds: InstanceType<typeof Dataset>): string {
  const sop = String(ds.getElement('SOPInstanceUID') ?? '');
  if (!/^[0-9.]+$/.test(sop)) throw new AppError('BAD_REQUEST', `a received instance has no usable SOP Instance UID ("${sop}")`);
  return writeWhole(dir, sop, (tmp) => ds.toFile(tmp)); // without a callback dcmjs-dimse writes synchronously
}

/**
 * Keeps a received Part 10 file (WADO-RS) as `<dir>/<sop>.dcm` the same way: temporary name, fsync, rename.
 * @param sop its SOP Instance UID (the caller read it from the file's meta or data set)
 */
export function keepP10(dir: string, sop: string, p10: Buffer): string {
  return writeWhole(dir, sop, (tmp) => fs.writeFileSync(tmp, p10));
}

/** Writes `<dir>/<sop>.dcm.part` with `write`, fsyncs it and renames it to `<sop>.dcm`: an interruption leaves whole instances only. */
function writeWhole(dir: string, sop: string, write: (tmp: string) => void): string {
  fs.mkdirSync(dir, { recursive: true });
  const final = path.join(dir, `${sop}.dcm`);
  const tmp = `${final}.part`;
  write(tmp);
  const fd = fs.openSync(tmp, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, final);
  return sop;
}

/** OrthoTwin's C-STORE SCP (the C-MOVE destination): accepts Verification and every storage SOP class in the proposed transfer syntax. */
export interface StoreScp {
  port: number;
  close(): Promise<void>;
}

interface ScpOptions {
  aet: string;
  onInstance(ds: InstanceType<typeof Dataset>): void;
}

const STORAGE_UIDS = new Set<string>([...Object.values(StorageClass as Record<string, string>)]);
const isStorage = (uid: string): boolean => STORAGE_UIDS.has(uid) || uid.startsWith('1.2.840.10008.5.1.4.1.1.');

class OrthoTwinStoreScp extends Scp {
  private readonly opts: ScpOptions;
  constructor(socket: ConstructorParameters<typeof Scp>[0], opts: ConstructorParameters<typeof Scp>[1]) {
    super(socket, opts);
    this.opts = opts!.customOptions as unknown as ScpOptions;
  }
  override associationRequested(association: InstanceType<typeof dimse.association.Association>): void {
    if (association.getCalledAeTitle() !== this.opts.aet) {
      this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized);
      return;
    }
    for (const c of association.getPresentationContexts()) {
      const ctx = association.getPresentationContext(c.id);
      const uid = ctx.getAbstractSyntaxUid();
      if (uid !== SopClass.Verification && !isStorage(uid)) {
        ctx.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
        continue;
      }
      const ts = ctx.getTransferSyntaxUids();
      // keep what the PACS has (e.g. JPEG 2000) rather than asking it to transcode; uncompressed when offered first
      const pick = ts.find((t) => t === TransferSyntax.ExplicitVRLittleEndian) ?? ts[0];
      if (pick) ctx.setResult(PresentationContextResult.Accept, pick);
      else ctx.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
    }
    this.sendAssociationAccept();
  }
  override cEchoRequest(request: InstanceType<typeof CEchoRequest>, callback: (r: InstanceType<typeof dimse.responses.CEchoResponse>) => void): void {
    const r = dimse.responses.CEchoResponse.fromRequest(request);
    r.setStatus(Status.Success);
    callback(r);
  }
  override cStoreRequest(request: InstanceType<typeof CStoreRequest>, callback: (r: InstanceType<typeof CStoreResponse>) => void): void {
    const r = CStoreResponse.fromRequest(request);
    try {
      this.opts.onInstance(request.getDataset()!);
      r.setStatus(Status.Success);
    } catch {
      r.setStatus(0xa700);
    }
    callback(r);
  }
  override associationReleaseRequested(): void {
    this.sendAssociationReleaseResponse();
  }
}

/** Starts the C-STORE SCP on `port` (all interfaces: the PACS connects to it); fails naming the port when it is taken. */
export function startStoreScp(port: number, opts: ScpOptions & { timeoutS: number }): Promise<StoreScp> {
  return new Promise((resolve, reject) => {
    const server = new Server(OrthoTwinStoreScp);
    let listening = false;
    server.on('networkError', (e: NodeJS.ErrnoException) => {
      if (!listening)
        reject(
          new AppError(
            'PACS_UNAVAILABLE',
            `OrthoTwin's C-STORE SCP (${opts.aet}) cannot listen on port ${port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`,
          ),
        );
    });
    server.on('listening', () => {
      listening = true;
      resolve({
        port,
        close: async () => {
          server.close();
          await new Promise((r) => setTimeout(r, 10));
        },
      });
    });
    const ms = opts.timeoutS * 1000;
    server.listen(port, {
      connectTimeout: ms,
      associationTimeout: ms,
      pduTimeout: ms,
      customOptions: { aet: opts.aet, onInstance: opts.onInstance } as unknown as Record<string, unknown>,
    });
  });
}
