/**
 * Tracker → screen latency of the live fusion view (issue 5, must-show 6):
 * the browser-mode host (`dist/electron/host/serve.js`, built) with a fresh
 * data directory, Debian's Chromium (see `Compositing`) driven like a user —
 * the spine phantom's PLUS reconstruction imported as the prior volume, the
 * PLUS configuration's ImageToProbe imported, SpinePhantomFreehand.igs.mha
 * replayed as the live probe at 30 frames/s (2.6× its recorded 11.5 Hz);
 * the view gets the device host's 2 × 2 binned display copies of the
 * 820 × 616 frames.
 * Latency = host clock when the fused frame is on screen (the display's
 * next frame after it was drawn) − host receipt time of the tracker sample
 * that placed it; both on the one host clock (epoch µs advanced by the
 * monotonic clock, the same in Node and the page). After 5 s of warm-up,
 * `seconds` of frames are measured.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_ARGS_NO_GPU, CHROMIUM_PATH } from '../e2e/chromium.js';
import type { FusionProbe } from '../../capabilities/fusion/ui/probe.js';

/** The page's global (this file is type-checked without the DOM library). */
type PageGlobal = { __orthotwinFusion?: FusionProbe };

export interface FusionLatency {
  frames: number;
  received: number;
  seconds: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  renderMs: { p50: number; p95: number };
  stagesMs: { us: number; reslice: number; overlayNcc: number };
  view3dMs: number;
  /** Tracker sample → frame in the page, and → drawn (before the display's next frame). */
  arrivedMs: { p50: number; p95: number };
  drawnMs: { p50: number; p95: number };
  dropped: { superseded: number; upstream: number; untracked: number };
  nccMin: number;
  /** With an enhancement model: its per-frame time in the device host's worker (ms; the fused frames' headers). */
  enhanceMs: { p50: number; p95: number; frames: number } | null;
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });

/** The `f`-quantile (0–1) of the values, nearest rank; NaN for none. */
export const q = (v: number[], f: number): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(f * (s.length - 1)))]! : NaN;
};

const p50p95 = (v: number[]): { p50: number; p95: number } => ({ p50: q(v, 0.5), p95: q(v, 0.95) });

/**
 * How Chromium draws the page: 'software' as Chromium (and the desktop app) runs on a machine without a usable GPU —
 * software compositing, WebGL through SwiftShader; 'swiftshader-gl' with compositing and rasterisation forced onto
 * SwiftShader GL too, as the e2e suites launch it.
 */
export type Compositing = 'software' | 'swiftshader-gl';

/**
 * @param seconds measured after 5 s of warm-up
 * @param reslice the reslicing backend chosen in the view (the page's 'automatic' picks the CPU on software GL)
 * @param enhance an enhancement model switched on in the ultrasound view (issue 22; its output is fused), or none
 */
export async function measureFusionLatency(
  dataRoot: string,
  seconds = 20,
  reslice: 'cpu' | 'gpu' = 'cpu',
  compositing: Compositing = 'software',
  enhance: 'denoise' | 'sr2' | null = null,
): Promise<FusionLatency> {
  const us = path.join(dataRoot, 'us');
  return withBrowserHost('fusion', compositing, '.', async (page, url) => {
    await page.goto(url);
    await page.getByLabel('Patient name').fill('Bench Fusion');
    await page.getByRole('button', { name: 'Create patient' }).click();
    await page.getByLabel('Study path').fill(path.join(us, 'SpinePhantomFreehandReconstructed.mha'));
    await page.getByLabel(/Build the anatomical twin/).uncheck();
    await page.getByRole('button', { name: 'Scan' }).click();
    await page.getByLabel('patient picker').getByRole('button', { name: 'Import' }).click();
    await page.getByText('No twin yet for this patient.').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Fusion', exact: true }).click();
    await page.waitForFunction(() => (globalThis as unknown as PageGlobal).__orthotwinFusion?.ready() === true, undefined, { timeout: 60_000 });
    await page.getByLabel('Reslicing').selectOption(reslice);
    await page.waitForFunction((b) => (globalThis as unknown as PageGlobal).__orthotwinFusion?.resliceBackend() === b, reslice, { timeout: 60_000 });
    await page.getByLabel('Setup', { exact: true }).fill('bench');
    await page.getByLabel('Calibration file').fill(path.join(us, 'PlusDeviceSet_SpinePhantomFreehandReconstructionOnly.xml'));
    await page.getByRole('button', { name: 'Calibrate' }).click();
    await page.getByTestId('image-to-probe').getByText('ImageToProbe: plus-config').waitFor();
    await page.getByLabel('Replay path').fill(path.join(us, 'SpinePhantomFreehand.igs.mha'));
    // the recording's 20 intervals span 1.845 s: 30 frames/s is 2.6× its speed
    await page.getByLabel('Replay speed').fill(String(((30 * 1.845) / 20).toFixed(3)));
    await page.getByRole('button', { name: 'Replay as live probe' }).click();
    await page.waitForFunction(() => ((globalThis as unknown as PageGlobal).__orthotwinFusion?.framesShown() ?? 0) > 10, undefined, { timeout: 60_000 });
    if (enhance) {
      await page.getByTestId('fusion-enhance-model').selectOption(enhance);
      await page.waitForFunction(() => ((globalThis as unknown as PageGlobal).__orthotwinFusion?.enhanceMs().length ?? 0) > 5, undefined, { timeout: 60_000 });
    }
    await page.waitForTimeout(5000);
    await page.evaluate(() => (globalThis as unknown as PageGlobal).__orthotwinFusion!.resetStats());
    await page.waitForTimeout(seconds * 1000);
    const r = await page.evaluate(() => {
      const f = (globalThis as unknown as PageGlobal).__orthotwinFusion!;
      return {
        shown: f.framesShown(),
        received: f.framesReceived(),
        lat: f.latenciesMs(),
        render: f.renderMs(),
        stages: f.stagesMs(),
        view3d: f.view3dMs(),
        transport: f.transportMs(),
        dropped: f.dropped(),
        ncc: f.ncc().map((n) => n.ncc),
        enhanceMs: f.enhanceMs(),
      };
    });
    const med = (k: 'us' | 'reslice' | 'overlayNcc'): number =>
      q(
        r.stages.map((s) => s[k]),
        0.5,
      );
    return {
      frames: r.shown,
      received: r.received,
      seconds,
      latencyMs: { p50: q(r.lat, 0.5), p95: q(r.lat, 0.95), p99: q(r.lat, 0.99), max: Math.max(...r.lat) },
      renderMs: p50p95(r.render),
      stagesMs: { us: med('us'), reslice: med('reslice'), overlayNcc: med('overlayNcc') },
      view3dMs: q(r.view3d, 0.5),
      arrivedMs: p50p95(r.transport.map((t) => t.arrivedMs)),
      drawnMs: p50p95(r.transport.map((t) => t.drawnMs)),
      dropped: r.dropped,
      nccMin: Math.min(...r.ncc),
      enhanceMs: enhance ? { ...p50p95(r.enhanceMs), frames: r.enhanceMs.length } : null,
    };
  });
}

/**
 * Runs `fn` with a fresh browser-mode host (`<appRoot>/dist/electron/host/serve.js`, a new data directory and token)
 * and Debian's Chromium drawing as `compositing` says, on a 1400×900 page; `url` opens the app signed with the token.
 * Host, browser and data directory are gone afterwards.
 */
export async function withBrowserHost<T>(name: string, compositing: Compositing, appRoot: string, fn: (page: Page, url: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const token = crypto.randomBytes(16).toString('hex');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `orthotwin-bench-${name}-`));
  const server = spawn(process.execPath, [path.join(appRoot, 'dist/electron/host/serve.js'), '--port', String(port), '--data-dir', dataDir], {
    env: { ...process.env, ORTHOTWIN_TOKEN: token },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: compositing === 'software' ? CHROMIUM_ARGS_NO_GPU : CHROMIUM_ARGS });
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/`)).ok) break;
      } catch {
        if (i > 100) throw new Error(`bench ${name}: the browser-mode host did not start`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    return await fn(page, `http://127.0.0.1:${port}/?token=${token}`);
  } finally {
    await browser.close();
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// `node --import tsx tests/bench/fusionLatency.ts` measures on its own
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const data = process.env['ORTHOTWIN_DATA'] ?? path.resolve('../shared/data');
  measureFusionLatency(
    data,
    Number(process.argv[2] ?? 20),
    process.argv[3] === 'gpu' ? 'gpu' : 'cpu',
    process.argv[4] === 'swiftshader-gl' ? 'swiftshader-gl' : 'software',
  ).then((r) => console.log(JSON.stringify(r, null, 1)));
}
