#!/usr/bin/env node
/**
 * `npm start`: runs the desktop app when an Electron runtime is installed,
 * otherwise falls back to browser mode and prints the URL to open.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Path of the Electron binary, or null when none is installed (the npm package without its download). */
export function electronBinary(): string | null {
  const override = process.env['ELECTRON_OVERRIDE_DIST_PATH'];
  if (override) {
    const bin = path.join(
      override,
      process.platform === 'win32' ? 'electron.exe' : process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron',
    );
    return fs.existsSync(bin) ? bin : null;
  }
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && fs.existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const bin = electronBinary();
if (bin) {
  const main = path.resolve(here, 'index.js');
  const child = spawn(bin, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log('No Electron runtime is installed here: starting browser mode instead.');
  await import('../host/serve.js').then((m) => m.serve());
}
