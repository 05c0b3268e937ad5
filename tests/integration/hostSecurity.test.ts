/**
 * The browser-mode host's security (issue 6, must-show 2), against the real
 * host and services: the token is required (missing or wrong: refused), the
 * Host header must name the loopback origin (DNS rebinding refused), a
 * WebSocket from a foreign Origin is refused, nothing outside the renderer
 * folder is served and folders are never listed, every page carries the CSP,
 * and the host is bound to 127.0.0.1 only (unreachable on the machine's other
 * addresses).
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { startHost, type RunningHost } from '../../electron/host/server.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('hostsec-');
let services: ServiceHost;
let host: RunningHost;
const TOKEN = 'fixed-test-token-0123456789';

beforeAll(async () => {
  const renderer = path.join(tmp.dir, 'renderer');
  fs.mkdirSync(path.join(renderer, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>OrthoTwin</title>');
  fs.writeFileSync(path.join(renderer, 'assets', 'secret-listing-name.js'), 'export {}');
  fs.writeFileSync(path.join(tmp.dir, 'outside.txt'), 'not for the page');
  services = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'websocket' });
  host = await startHost({ services, rendererDir: renderer, token: TOKEN });
});
afterAll(async () => {
  await host.close();
  services.close();
  tmp.cleanup();
});

/** A raw request with any Host header. */
function get(
  p: string,
  headers: Record<string, string> = {},
  address = '127.0.0.1',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: address, port: host.port, path: p, headers: { host: `127.0.0.1:${host.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket; resolves 'open' or the refusal. */
function ws(p: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const c = new WebSocket(`ws://127.0.0.1:${host.port}${p}`, { headers });
    c.on('open', () => (c.close(), resolve('open')));
    c.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
    c.on('error', (e) => resolve(`error ${e.message}`));
  });
}

describe('browser-mode host security', () => {
  it('requires the token on data routes and WebSockets', async () => {
    expect((await get('/data/volume/nope')).status).toBe(401);
    expect((await get('/data/volume/nope?token=wrong')).status).toBe(401);
    // the token alone is not enough either: a data route also needs a signed-in page connection's ticket (adversarialData.test.ts)
    const tokenOnly = await get('/data/volume/nope', { authorization: `Bearer ${TOKEN}` });
    expect([tokenOnly.status, (JSON.parse(tokenOnly.body) as { message: string }).message]).toEqual([401, expect.stringMatching(/data ticket/)]);
    expect(await ws('/ws')).toBe('refused 401');
    expect(await ws('/ws?token=wrong')).toBe('refused 401');
    expect(await ws(`/ws?token=${TOKEN}`)).toBe('open');
  });

  it('refuses a foreign Host header (DNS rebinding) and a foreign Origin', async () => {
    const rebound = await get('/', { host: `evil.example:${host.port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.body).not.toContain('OrthoTwin');
    expect((await get(`/data/volume/x?token=${TOKEN}`, { host: `evil.example:${host.port}` })).status).toBe(403);
    expect(await ws(`/ws?token=${TOKEN}`, { host: `evil.example:${host.port}` })).toBe('refused 401');
    expect(await ws(`/ws?token=${TOKEN}`, { origin: 'https://evil.example' })).toBe('refused 401');
    expect(await ws(`/ws?token=${TOKEN}`, { origin: `http://127.0.0.1:${host.port}` })).toBe('open');
  });

  it('serves the renderer with its CSP, never a listing, nothing outside its folder', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    const csp = page.headers['content-security-policy'] as string;
    for (const d of ["default-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) expect(csp).toContain(d);
    expect(csp).not.toContain("'unsafe-eval'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const folder = await get('/assets/');
    expect(folder.body).not.toContain('secret-listing-name');
    expect(folder.body).toContain('<title>OrthoTwin</title>'); // the app's page, not a listing
    for (const p of ['/../outside.txt', '/%2e%2e/outside.txt', '/assets/../../outside.txt']) expect((await get(p)).body).not.toContain('not for the page');
  });

  it('listens on 127.0.0.1 only: the machine’s other addresses refuse the connection', async () => {
    const others = Object.values(os.networkInterfaces())
      .flat()
      .filter((a): a is os.NetworkInterfaceInfo => !!a && a.family === 'IPv4' && !a.internal)
      .map((a) => a.address);
    if (others.length === 0) console.log('no non-loopback IPv4 address on this machine: the bind check covers the listening address only');
    const addr = await new Promise<string>((resolve) => {
      const s = net.connect(host.port, '127.0.0.1', () => {
        resolve(s.remoteAddress ?? '');
        s.destroy();
      });
    });
    expect(addr).toBe('127.0.0.1');
    for (const a of others) {
      const r = await new Promise<string>((resolve) => {
        const s = net.connect({ host: a, port: host.port, timeout: 2000 });
        s.on('connect', () => (s.destroy(), resolve('connected')));
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        s.on('timeout', () => (s.destroy(), resolve('timeout')));
      });
      expect(r, `connection to ${a}:${host.port}`).not.toBe('connected');
    }
  });
});
