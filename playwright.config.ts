/**
 * End-to-end tests: the built renderer in Debian's Chromium (no browser
 * download), against `npm run serve` on a free loopback port with a fresh
 * data directory and a per-run token.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './tests/e2e/chromium.js';

const port = Number(process.env['ORTHOTWIN_E2E_PORT'] ?? 47000 + Math.floor(Math.random() * 2000));
process.env['ORTHOTWIN_E2E_PORT'] = String(port);
process.env['ORTHOTWIN_TOKEN'] ??= crypto.randomBytes(16).toString('hex');
process.env['ORTHOTWIN_E2E_DATA'] ??= fs.mkdtempSync(path.join(os.tmpdir(), 'orthotwin-e2e-'));

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1400, height: 900 },
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
  },
  webServer: {
    command: `node dist/electron/host/serve.js --port ${port} --data-dir ${process.env['ORTHOTWIN_E2E_DATA']}`,
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: { ORTHOTWIN_TOKEN: process.env['ORTHOTWIN_TOKEN'] ?? '' },
  },
});
