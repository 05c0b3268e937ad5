#!/usr/bin/env node
/**
 * `npm run serve [-- --port P --data-dir D --store-key-file K]`: browser mode. Starts the
 * services and the loopback host, prints the URL (with the per-launch token)
 * and serves until interrupted.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServices } from '../services/index.js';
import { fileKeyStore } from '../services/storeKey.js';
import { loadSitePolicy } from '../services/policy.js';
import { resolveDataDir } from '../services/dataDir.js';
import { startHost } from './server.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

/** The built renderer: dist-renderer/ at the project root (from dist/electron/host or electron/host). */
export function defaultRendererDir(): string {
  const fromDist = path.resolve(here, '..', '..', '..', 'dist-renderer');
  const fromSrc = path.resolve(here, '..', '..', 'dist-renderer');
  return here.includes(`${path.sep}dist${path.sep}`) ? fromDist : fromSrc;
}

export async function serve(): Promise<void> {
  const policy = loadSitePolicy();
  const dataDir = resolveDataDir(process.argv, process.env, policy.dataDir);
  // the twin store's key: a file the administrator gives (--store-key-file, else ORTHOTWIN_STORE_KEY_FILE), created with a new key when absent
  const keyFile = argValue('--store-key-file');
  const services = createServices({ dataDir, transport: 'websocket', policy, ...(keyFile ? { keyStore: fileKeyStore(path.resolve(keyFile)) } : {}) });
  const host = await startHost({
    services,
    rendererDir: argValue('--renderer-dir') ?? defaultRendererDir(),
    port: Number(argValue('--port') ?? process.env['ORTHOTWIN_PORT'] ?? 0),
    ...(process.env['ORTHOTWIN_TOKEN'] ? { token: process.env['ORTHOTWIN_TOKEN'] } : {}),
  });
  console.log(`OrthoTwin (browser mode) — data in ${dataDir}`);
  console.log(`Open ${host.url}`);
  const stop = (): void => {
    void host.close().then(() => {
      services.close();
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) void serve();
