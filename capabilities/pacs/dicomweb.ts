/**
 * DICOMweb with Node's own `fetch` (no XMLHttpRequest polyfill, as
 * `dicomweb-client` would need in Node): QIDO-RS (studies, series, instances
 * as DICOM JSON), WADO-RS (a series or single instances as
 * `multipart/related; type="application/dicom"`, parsed as a stream part by
 * part so a large series is never held whole in memory) and STOW-RS (the
 * files in one multipart/related request; the PACS's answer lists what it
 * stored and what it refused). Faults are named like DIMSE's.
 */
import fs from 'node:fs';
import { AppError } from '../../electron/contract/errors.js';
import type { PacsNode } from './contract.js';

const where = (n: PacsNode): string => `PACS ${n.name} at ${n.dicomWebUrl ?? '(no DICOMweb URL)'}`;

function root(n: PacsNode): string {
  if (!n.dicomWebUrl) throw new AppError('BAD_REQUEST', `PACS ${n.name} has no DICOMweb URL in the site policy (pacsNodes[].dicomWebUrl)`);
  return n.dicomWebUrl.replace(/\/+$/, '');
}

async function request(n: PacsNode, url: string, init: RequestInit, timeoutS: number): Promise<Response> {
  let r: Response;
  try {
    r = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutS * 1000) });
  } catch (e) {
    const cause = (e as { cause?: NodeJS.ErrnoException }).cause;
    if (cause?.code === 'ECONNREFUSED') throw new AppError('PACS_UNAVAILABLE', `${where(n)}: connection refused`, { node: n.name });
    if ((e as Error).name === 'TimeoutError') throw new AppError('PACS_TIMEOUT', `${where(n)}: no answer within ${timeoutS} s`, { node: n.name });
    throw new AppError('PACS_UNAVAILABLE', `${where(n)}: ${cause?.message ?? (e as Error).message}`, { node: n.name });
  }
  if (r.status === 401 || r.status === 403) throw new AppError('PACS_REJECTED', `${where(n)}: HTTP ${r.status} (not authorised)`, { node: n.name });
  if (!r.ok && r.status !== 204) throw new AppError('PACS_UNAVAILABLE', `${where(n)}: HTTP ${r.status} for ${new URL(url).pathname}`, { node: n.name });
  return r;
}

/** A DICOM JSON dataset (PS3.18 F.2). */
export type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

/** The first value of a DICOM JSON attribute as text (a person name's Alphabetic form). */
export function jsonValue(d: DicomJson, tag: string): string {
  const v = d[tag]?.Value?.[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object' && 'Alphabetic' in (v as object)) return String((v as { Alphabetic: unknown }).Alphabetic ?? '');
  return String(v);
}

/**
 * QIDO-RS: `studies`, `studies/{uid}/series` or `studies/{uid}/series/{uid}/instances` with matching keys. A
 * comma-separated `includefield` is sent as one `includefield` parameter per attribute (PS3.18 §8.3.4.3 allows
 * both; URLSearchParams would encode the commas as %2C, which Orthanc's DICOMweb plugin does not split, and the
 * extra attributes — study description, birth date, sex — would silently be missing).
 */
export async function qido(n: PacsNode, resource: string, keys: Record<string, string>, timeoutS: number): Promise<DicomJson[]> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(keys)) {
    if (v === '') continue;
    if (k === 'includefield') for (const f of v.split(',').filter(Boolean)) qs.append(k, f);
    else qs.append(k, v);
  }
  const r = await request(n, `${root(n)}/${resource}${qs.size ? `?${qs}` : ''}`, { headers: { accept: 'application/dicom+json' } }, timeoutS);
  if (r.status === 204) return [];
  const text = await r.text();
  return text ? (JSON.parse(text) as DicomJson[]) : [];
}

/** The SOP Instance UIDs of a series (QIDO-RS). */
export async function listInstancesWeb(n: PacsNode, studyUid: string, seriesUid: string, timeoutS: number): Promise<string[]> {
  const rows = await qido(n, `studies/${studyUid}/series/${seriesUid}/instances`, { includefield: '00080018' }, timeoutS);
  return rows.map((r) => jsonValue(r, '00080018')).filter(Boolean);
}

/** The MediaStorageSOPInstanceUID of a Part 10 file (its explicit VR little endian meta group). */
export function p10SopInstanceUid(b: Uint8Array): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length < 132 || buf.toString('latin1', 128, 132) !== 'DICM') return '';
  let o = 132;
  while (o + 8 <= buf.length && buf.readUInt16LE(o) === 0x0002) {
    const el = buf.readUInt16LE(o + 2);
    const vr = buf.toString('latin1', o + 4, o + 6);
    const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr);
    const len = long ? buf.readUInt32LE(o + 8) : buf.readUInt16LE(o + 6);
    const start = o + (long ? 12 : 8);
    if (el === 0x0003) return buf.toString('latin1', start, start + len).replace(/[\0 ]+$/, '');
    o = start + len;
  }
  return '';
}

/** Streams a multipart/related body, handing each part's body (headers stripped) to `onPart` as soon as it is complete. */
export async function readMultipart(body: ReadableStream<Uint8Array>, boundary: string, onPart: (part: Buffer) => void): Promise<number> {
  const delim = Buffer.from(`\r\n--${boundary}`);
  // a CRLF in front, so that a body starting with its first delimiter matches too
  let buf: Buffer = Buffer.from('\r\n');
  let parts = 0;
  let inPart = false;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (value) buf = Buffer.concat([buf, value]);
    for (;;) {
      const at = buf.indexOf(delim);
      if (at < 0) break;
      const after = at + delim.length;
      if (buf.length < after + 2) break;
      const closing = buf[after] === 0x2d && buf[after + 1] === 0x2d;
      const eol = closing ? after : buf.indexOf('\r\n', after);
      if (eol < 0) break;
      if (inPart) {
        const part = buf.subarray(0, at);
        const headerEnd = part.indexOf('\r\n\r\n');
        if (headerEnd < 0) throw new Error('a multipart part without headers');
        onPart(Buffer.from(part.subarray(headerEnd + 4)));
        parts++;
      }
      if (closing) return parts;
      inPart = true;
      buf = buf.subarray(eol + 2);
    }
    if (done) break;
  }
  throw new Error(`the multipart body ended before its closing boundary (${parts} parts read)`);
}

/** WADO-RS of a series (or of the listed instances): each instance's Part 10 bytes to `onInstance`; returns how many arrived. */
export async function wado(
  n: PacsNode,
  studyUid: string,
  seriesUid: string,
  sopUids: string[] | undefined,
  onInstance: (p10: Buffer) => void,
  timeoutS: number,
): Promise<number> {
  const urls = sopUids
    ? sopUids.map((s) => `${root(n)}/studies/${studyUid}/series/${seriesUid}/instances/${s}`)
    : [`${root(n)}/studies/${studyUid}/series/${seriesUid}`];
  let count = 0;
  for (const url of urls) {
    const r = await request(n, url, { headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } }, timeoutS);
    const ct = r.headers.get('content-type') ?? '';
    const boundary = /boundary="?([^";]+)"?/i.exec(ct)?.[1];
    if (!boundary || !r.body) throw new AppError('PACS_UNAVAILABLE', `${where(n)}: WADO-RS answered ${ct || 'no content type'}, not multipart/related`);
    try {
      count += await readMultipart(r.body, boundary, onInstance);
    } catch (e) {
      if (e instanceof AppError) throw e;
      const msg = (e as Error).name === 'TimeoutError' ? `no data within ${timeoutS} s` : (e as Error).message;
      throw new AppError(
        (e as Error).name === 'TimeoutError' ? 'PACS_TIMEOUT' : 'PACS_UNAVAILABLE',
        `${where(n)}: WADO-RS broke off mid-transfer (${msg}) after ${count} instances`,
        {
          node: n.name,
        },
      );
    }
  }
  return count;
}

/** STOW-RS of DICOM files in one request; returns the SOP Instance UIDs the PACS stored (a refused one fails the call, naming it). */
export async function stow(n: PacsNode, files: string[], timeoutS: number): Promise<string[]> {
  const boundary = `orthotwin-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const f of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), fs.readFileSync(f), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const r = await request(
    n,
    `${root(n)}/studies`,
    {
      method: 'POST',
      headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, accept: 'application/dicom+json' },
      body: Buffer.concat(chunks),
    },
    timeoutS,
  );
  const answer = (await r.json()) as DicomJson;
  const seq = (tag: string): DicomJson[] => (answer[tag]?.Value ?? []) as DicomJson[];
  const failed = seq('00081198');
  if (failed.length)
    throw new AppError(
      'PACS_UNAVAILABLE',
      `${where(n)}: STOW-RS refused ${failed.length} of ${files.length} instances (${failed.map((f) => jsonValue(f, '00081155')).join(', ')})`,
    );
  return seq('00081199').map((s) => jsonValue(s, '00081155'));
}
