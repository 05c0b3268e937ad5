/**
 * Standing adversarial suite (issue 19, defect 2): the browser-mode host's
 * bulk-data routes (`/data/volume`, `/data/artefact`, `/data/upload`) and the
 * live `/streams` relay are bound to a signed-in, unlocked page session with
 * its role's rights, and reads are audited in that user's name. The launch
 * token alone opens nothing; a ticket stops working when its connection signs
 * out, locks or closes; an open stream closes when its session locks.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { UPLOAD_MAX_FILE_BYTES, startHost, type RunningHost } from '../../electron/host/server.js';
import { tmpDir } from '../helpers/tmp.js';

const TOKEN = 'adversarial-data-token-0123456789';
const PW = 'a-long-password-1';
const t = tmpDir('adversarial-data-');
let h: ServiceHost;
let srv: RunningHost;
let volumeId: string;

/** A NIfTI-1 file of 6×5×4 int16 voxels (a ramp). */
function nifti(file: string): void {
  const hdr = Buffer.alloc(352);
  hdr.writeInt32LE(348, 0);
  [3, 6, 5, 4, 1, 1, 1, 1].forEach((d, i) => hdr.writeInt16LE(d, 40 + 2 * i));
  hdr.writeInt16LE(4, 70); // int16
  hdr.writeInt16LE(16, 72);
  [1, 1, 1, 2].forEach((v, i) => hdr.writeFloatLE(v, 76 + 4 * i));
  hdr.writeFloatLE(352, 108);
  hdr.write('n+1\0', 344, 'latin1');
  const data = Buffer.alloc(2 * 120);
  for (let i = 0; i < 120; i++) data.writeInt16LE(i * 10 - 300, 2 * i);
  fs.writeFileSync(file, Buffer.concat([hdr, data]));
}

/** An RPC connection to the host (its own page session). */
async function page(): Promise<{
  ws: WebSocket;
  rpc(service: string, method: string, ...args: unknown[]): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }>;
  close(): Promise<void>;
}> {
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws?token=${TOKEN}`, { headers: { host: `127.0.0.1:${srv.port}` } });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  let next = 1;
  return {
    ws,
    rpc: (service, method, ...args) =>
      new Promise((resolve) => {
        const id = next++;
        const on = (d: Buffer): void => {
          const m = JSON.parse(d.toString()) as { t: string; id: number; ok: boolean; value?: unknown; error?: { code: string } };
          if (m.t === 'result' && m.id === id) (ws.off('message', on), resolve(m));
        };
        ws.on('message', on);
        ws.send(JSON.stringify({ t: 'invoke', id, service, method, args }));
      }),
    close: () => new Promise((resolve) => (ws.once('close', () => resolve()), ws.close())),
  };
}

async function ticketOf(p: Awaited<ReturnType<typeof page>>): Promise<string> {
  const r = await p.rpc('auth', 'dataTicket');
  expect(r.ok).toBe(true);
  return (r.value as { ticket: string }).ticket;
}

/** GET of a data route with the launch token and, when given, a ticket. */
async function getData(p: string, ticket?: string): Promise<{ status: number; code: string | undefined; bytes: number }> {
  const r = await fetch(`http://127.0.0.1:${srv.port}${p}`, {
    headers: { authorization: `Bearer ${TOKEN}`, ...(ticket ? { 'x-orthotwin-ticket': ticket } : {}) },
  });
  const body = Buffer.from(await r.arrayBuffer());
  let code: string | undefined;
  if (!r.ok) code = (JSON.parse(body.toString()) as { code: string }).code;
  return { status: r.status, code, bytes: body.length };
}

/** Opens the streams relay; resolves 'open' or the refusal status. */
function streams(ticket: string | null): Promise<{ state: string; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const q = ticket ? `&ticket=${ticket}` : '';
    const c = new WebSocket(`ws://127.0.0.1:${srv.port}/streams?token=${TOKEN}${q}`, { headers: { host: `127.0.0.1:${srv.port}` } });
    c.on('open', () => resolve({ state: 'open', ws: c }));
    c.on('unexpected-response', (_req, res) => resolve({ state: `refused ${res.statusCode}` }));
    c.on('error', (e) => resolve({ state: `error ${e.message}` }));
  });
}

/** POST of an upload with the launch token and a ticket. */
function upload(ticket: string | undefined, name: string, body: Buffer, declared = body.length): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: srv.port,
        method: 'POST',
        path: `/data/upload?dir=0123456789abcdef&name=${name}`,
        headers: {
          host: `127.0.0.1:${srv.port}`,
          authorization: `Bearer ${TOKEN}`,
          'content-length': String(declared),
          ...(ticket ? { 'x-orthotwin-ticket': ticket } : {}),
        },
      },
      (res) => (res.resume(), resolve(res.statusCode ?? 0)),
    );
    req.on('error', reject);
    // a body longer than it declares is not sent whole: the host must answer on the declaration alone
    if (declared > body.length) req.write(body);
    else req.end(body);
  });
}

beforeAll(async () => {
  const renderer = path.join(t.dir, 'renderer');
  fs.mkdirSync(renderer);
  fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html>');
  h = createServices({ dataDir: path.join(t.dir, 'data'), transport: 'websocket', keyStore: null });
  srv = await startHost({ services: h, rendererDir: renderer, token: TOKEN });
  const file = path.join(t.dir, 'ramp.nii');
  nifti(file);
  const patient = await h.impl.patients.create({ displayName: 'Doe^Jane', mrn: 'MRN-1', birthDate: '', sex: '' });
  const { job } = await h.jobs.wait(await h.impl.studies.import({ patientId: patient.id, path: file, strict: true, buildTwin: false }));
  expect(job.status).toBe('done');
  volumeId = (await h.impl.studies.list(patient.id))[0]!.series[0]!.volume!.id;
}, 60_000);
afterAll(async () => {
  await srv.close();
  await h.devices.stop();
  h.close();
  t.cleanup();
});

describe('bulk data in single-user mode', () => {
  it('the launch token alone opens no data route; with a connection ticket the volume is served and the read audited', async () => {
    const p = await page();
    try {
      expect(await getData(`/data/volume/${volumeId}`)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
      expect(await getData(`/data/volume/${volumeId}`, 'ab'.repeat(32))).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
      const ticket = await ticketOf(p);
      expect(await getData(`/data/volume/${volumeId}`, ticket)).toEqual({ status: 200, code: undefined, bytes: 6 * 5 * 4 * 2 });
      expect(await getData('/data/volume/none', ticket)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      const read = h.store.auditLog.records().filter((r) => r.action === 'read' && r.recordType === 'volume' && r.recordId === volumeId);
      expect(read.length).toBe(1);
    } finally {
      await p.close();
    }
  });

  it('an upload declaring more than the limit is refused with 413 before anything is written; a ticket dies with its connection', async () => {
    const p = await page();
    const ticket = await ticketOf(p);
    expect(await upload(ticket, 'big.nii', Buffer.alloc(1024), UPLOAD_MAX_FILE_BYTES + 1)).toBe(413);
    expect(fs.existsSync(path.join(h.store.dataDir, 'uploads', '0123456789abcdef', 'big.nii'))).toBe(false);
    expect(await upload(ticket, 'small.bin', Buffer.from('hello'))).toBe(200);
    await p.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(await upload(ticket, 'late.bin', Buffer.from('late'))).toBe(401);
    expect((await getData(`/data/volume/${volumeId}`, ticket)).status).toBe(401);
  });
});

describe('bulk data and streams once accounts exist', () => {
  beforeAll(async () => {
    await h.impl.users.create({ username: 'admin', displayName: 'Admin', role: 'administrator', password: PW });
    await h.impl.users.create({ username: 'res', displayName: 'Researcher', role: 'researcher', password: PW });
  });

  it('a ticket of a connection nobody signed in on opens nothing; signed in it reads in that user’s name; locked 423; signed out 401', async () => {
    const p = await page();
    try {
      const ticket = await ticketOf(p);
      expect(await getData(`/data/volume/${volumeId}`, ticket)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
      expect((await streams(ticket)).state).toBe('refused 401');
      expect((await p.rpc('auth', 'login', 'admin', PW)).ok).toBe(true);
      expect(await getData(`/data/volume/${volumeId}`, ticket)).toMatchObject({ status: 200, bytes: 240 });
      const last = h.store.auditLog
        .records()
        .filter((r) => r.recordType === 'volume')
        .at(-1)!;
      expect([last.actor, last.action, last.recordId, last.detail]).toEqual(['admin', 'read', volumeId, { via: 'data.volume' }]);
      expect((await p.rpc('auth', 'lock')).ok).toBe(true);
      expect(await getData(`/data/volume/${volumeId}`, ticket)).toMatchObject({ status: 423, code: 'LOCKED' });
      expect((await streams(ticket)).state).toBe('refused 423');
      expect((await p.rpc('auth', 'unlock', PW)).ok).toBe(true);
      expect((await getData(`/data/volume/${volumeId}`, ticket)).status).toBe(200);
      expect((await p.rpc('auth', 'logout')).ok).toBe(true);
      expect((await getData(`/data/volume/${volumeId}`, ticket)).status).toBe(401);
    } finally {
      await p.close();
    }
  });

  it('a researcher may read volumes but not upload nor watch live streams (403)', async () => {
    const p = await page();
    try {
      const ticket = await ticketOf(p);
      expect((await p.rpc('auth', 'login', 'res', PW)).ok).toBe(true);
      expect((await getData(`/data/volume/${volumeId}`, ticket)).status).toBe(200);
      expect(await upload(ticket, 'x.bin', Buffer.from('x'))).toBe(403);
      expect((await streams(ticket)).state).toBe('refused 403');
    } finally {
      await p.close();
    }
  });

  it('an open stream connection is closed (4401) once its session locks', async () => {
    const p = await page();
    try {
      const ticket = await ticketOf(p);
      expect((await p.rpc('auth', 'login', 'admin', PW)).ok).toBe(true);
      const s = await streams(ticket);
      expect(s.state).toBe('open');
      const closed = new Promise<number>((resolve) => s.ws!.once('close', (code) => resolve(code)));
      expect((await p.rpc('auth', 'lock')).ok).toBe(true);
      expect(await closed).toBe(4401);
      expect(h.store.auditLog.records().some((r) => r.action === 'stream-open' && r.actor === 'admin')).toBe(true);
    } finally {
      await p.close();
    }
  });
});
