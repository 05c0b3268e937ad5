/**
 * The app:// protocol: app://orthotwin/<file> serves the built renderer,
 * app://orthotwin/data/... serves bulk data (volumes, artefacts) from the
 * twin store to a request that carries a renderer connection's data ticket
 * (header `x-orthotwin-ticket`), with that connection's session and rights
 * (electron/services/bulk.ts). A fetch-style handler (Request → Response) so
 * it is tested without Electron.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ServiceHost } from '../services/index.js';
import { httpStatusOf, readBulk } from '../services/bulk.js';
import { DATA_TICKET_HEADER } from '../contract/bulk.js';

const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export function makeAppProtocolHandler(services: ServiceHost, rendererDir: string): (req: Request) => Promise<Response> {
  const root = path.resolve(rendererDir);
  return async (req) => {
    const url = new URL(req.url);
    if (url.host !== 'orthotwin') return new Response('not found', { status: 404 });
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    try {
      if (parts[0] === 'data') {
        const { bytes, headers } = await readBulk(services, req.headers.get(DATA_TICKET_HEADER), parts[1] ?? '', parts[2] ?? '');
        return new Response(bytes, { headers: { ...headers, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } });
      }
      const rel = parts.length ? parts.join('/') : 'index.html';
      const abs = path.resolve(root, rel);
      if (!abs.startsWith(root + path.sep)) return new Response('forbidden', { status: 403 });
      const file = fs.existsSync(abs) && fs.statSync(abs).isFile() ? abs : path.join(root, 'index.html');
      return new Response(await fs.promises.readFile(file), {
        headers: {
          'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
          'content-security-policy': CSP,
          'x-content-type-options': 'nosniff',
        },
      });
    } catch (e) {
      const code = (e as { code?: string }).code;
      return new Response(JSON.stringify({ code: code ?? 'INTERNAL', message: (e as Error).message }), {
        status: httpStatusOf(code ?? 'INTERNAL'),
        headers: { 'content-type': 'application/json' },
      });
    }
  };
}
