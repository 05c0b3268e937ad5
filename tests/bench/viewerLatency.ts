/**
 * Wheel-to-pixels and W/L-drag-to-pixels of the planning view's 2D slice
 * views (issue 20, must-show 3): the browser-mode host
 * (`dist/electron/host/serve.js`, built) with a fresh data directory, Debian's
 * Chromium as it runs on this machine without a GPU (software compositing,
 * WebGL through SwiftShader — the desktop app runs the same way here), the
 * 0.75 mm version of the example CT (485×401×445 int16, trilinear from the
 * 3 mm volume) imported and its twin built like a user does.
 *
 * One sample = from dispatching the input event (a wheel step over the axial
 * view, or one mouse move of a left-drag W/L) until the WebGL work it caused
 * has finished (a one-pixel `readPixels` of the axial view's canvas, which
 * waits for the GPU) at the display's next frame — the first moment the new
 * image can be on screen: at each display frame after the event a strip of
 * 4 rows across the middle of the axial view's canvas is read back, and the sample ends
 * at the first frame where they differ from before the event (a view that
 * did not redraw cannot pass as fast; after 1 s the sample counts as
 * unchanged). Each sample starts at a frame boundary, so the floor is one
 * display frame (about 16.7 ms at 60 Hz).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readVolume } from '../../electron/io/readVolume.js';
import { encodeNrrd } from '../../electron/io/nrrd.js';
import { resampleTrilinear } from '../../electron/engine/resample.js';
import type { Volume } from '../../electron/engine/volume.js';
import { q, withBrowserHost, type Compositing } from './fusionLatency.js';

export interface ViewerLatency {
  dims: number[];
  wheel: { n: number; p50: number; p95: number; max: number; changed: number };
  /** Wheel steps after a 400 ms rest each (the 3D view redraws its marker in the rest). */
  wheelAfterRest: { n: number; p50: number; p95: number; max: number; changed: number };
  windowLevel: { n: number; p50: number; p95: number; max: number; changed: number };
  /** Time from the page's first paint of the planning view to all views drawn (ms), for context. */
  loadMs: number;
}

/** The 0.75 mm CT as raw NRRD (made once, kept in the temp folder). */
export async function ct075(dataRoot: string): Promise<string> {
  const out = path.join(os.tmpdir(), 'orthotwin-bench-ct-0.75mm.nrrd');
  if (fs.existsSync(out)) return out;
  const ct = (await readVolume(path.join(dataRoot, 'ct', 'totalseg_example_ct.nii.gz'))).volume;
  const v = resampleTrilinear({ ...ct, data: Int16Array.from(ct.data as Int32Array) } as Volume, [0.75, 0.75, 0.75]);
  fs.writeFileSync(out + '.part', encodeNrrd(v, { gzip: false }));
  fs.renameSync(out + '.part', out);
  return out;
}

/**
 * What runs in the page (plain JavaScript: this file is type-checked without the DOM library): `n` samples of one
 * kind of input over the axial view, see the file comment. Resolves to { ms: number[], changed: number }.
 */
const SAMPLE_IN_PAGE = String.raw`async ({ kind, n }) => {
  const raf = () => new Promise((r) => requestAnimationFrame(() => r()));
  const view = document.querySelector('[data-testid="view-axial"]');
  const canvas = view.querySelector('canvas');
  const gl = canvas.getContext('webgl2');
  const box = view.getBoundingClientRect();
  const cx = box.left + box.width / 2;
  const cy = box.top + box.height / 2;
  const px = new Uint8Array(canvas.width * 4 * 4);
  const read = () => {
    gl.readPixels(0, Math.floor(canvas.height / 2) - 2, canvas.width, 4, gl.RGBA, gl.UNSIGNED_BYTE, px);
    let h = 0;
    for (let i = 0; i < px.length; i++) h = (h * 31 + px[i]) | 0;
    return h;
  };
  const ms = [];
  let changed = 0;
  await raf();
  let before = read();
  if (kind === 'wl') canvas.dispatchEvent(new MouseEvent('mousedown', { button: 0, clientX: cx, clientY: cy, bubbles: true, cancelable: true }));
  for (let i = 0; i < n; i++) {
    // 'wheel-rest': a pause before each step, long enough for the 3D view to redraw its crosshair marker meanwhile
    if (kind === 'wheel-rest') await new Promise((r) => setTimeout(r, 400));
    await raf();
    const t0 = performance.now();
    if (kind === 'wheel' || kind === 'wheel-rest') {
      // 20 steps towards the head, 20 back, ...: every step shows another slice
      const deltaY = Math.floor(i / 20) % 2 === 0 ? -100 : 100;
      canvas.dispatchEvent(new WheelEvent('wheel', { deltaY, clientX: cx, clientY: cy, bubbles: true, cancelable: true }));
    } else {
      // a left-drag to the right and back in 10-pixel moves: the window widens, then narrows, by 5 % of itself per move
      const x = cx + 4 + 10 * (Math.floor(i / 30) % 2 === 0 ? i % 30 : 30 - (i % 30));
      window.dispatchEvent(new MouseEvent('mousemove', { button: 0, buttons: 1, clientX: x, clientY: cy, bubbles: true }));
    }
    // the first display frame at which the view's middle strip shows the change (or 1 s: counted as unchanged)
    let after = before;
    do {
      await raf();
      after = read();
    } while (after === before && performance.now() - t0 < 1000);
    ms.push(performance.now() - t0);
    if (after !== before) changed++;
    before = after;
  }
  if (kind === 'wl') window.dispatchEvent(new MouseEvent('mouseup', { button: 0, clientX: cx, clientY: cy, bubbles: true }));
  return { ms, changed };
}`;

/**
 * Imports the 0.75 mm CT in a fresh host and browser, builds its twin, and
 * measures `n` wheel steps and `n` W/L drag moves over the axial view.
 * @param appRoot the checkout whose built host (`dist/`) and renderer are measured (another one gives a baseline)
 */
export async function measureViewerLatency(dataRoot: string, n = 120, compositing: Compositing = 'software', appRoot = '.'): Promise<ViewerLatency> {
  const file = await ct075(dataRoot);
  return withBrowserHost('viewer', compositing, appRoot, async (page, url) => {
    await page.goto(url);
    await page.getByLabel('Patient name').fill('Bench Viewer');
    await page.getByRole('button', { name: 'Create patient' }).click();
    await page.getByLabel('Study path').fill(file);
    await page.getByRole('button', { name: 'Scan' }).click();
    const picker = page.getByLabel('patient picker');
    await picker.getByLabel('Modality').selectOption('CT');
    await picker.getByRole('button', { name: 'Import' }).click();
    const t0 = Date.now();
    await page.waitForFunction(() => (globalThis as unknown as { __orthotwin?: { ready: boolean } }).__orthotwin?.ready === true, undefined, {
      timeout: 300_000,
    });
    const loadMs = Date.now() - t0;
    await page.waitForTimeout(1000);
    const run = (arg: { kind: 'wheel' | 'wheel-rest' | 'wl'; n: number }): Promise<{ ms: number[]; changed: number }> =>
      page.evaluate(`(${SAMPLE_IN_PAGE})(${JSON.stringify(arg)})`);
    const cdp = process.env['BENCH_PROFILE'] ? await page.context().newCDPSession(page) : null;
    if (cdp) (await cdp.send('Profiler.enable'), await cdp.send('Profiler.start'));
    const wheel = await run({ kind: 'wheel', n });
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      const self = new Map<string, number>();
      const byId = new Map(profile.nodes.map((x) => [x.id, x]));
      const dt = profile.timeDeltas ?? [];
      (profile.samples ?? []).forEach((id, i) => {
        const f = byId.get(id)!.callFrame;
        const k = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
        self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0) / 1000);
      });
      console.error(
        [...self.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 25)
          .map(([k, v]) => `${v.toFixed(0)} ms  ${k}`)
          .join('\n'),
      );
    }
    const wl = await run({ kind: 'wl', n });
    const rest = await run({ kind: 'wheel-rest', n: Math.min(n, 30) });
    const stats = (r: { ms: number[]; changed: number }) => ({
      n: r.ms.length,
      p50: Math.round(q(r.ms, 0.5) * 10) / 10,
      p95: Math.round(q(r.ms, 0.95) * 10) / 10,
      max: Math.round(Math.max(...r.ms) * 10) / 10,
      changed: r.changed,
    });
    const dims = readVolumeDims(file) ?? [];
    return { dims, wheel: stats(wheel), wheelAfterRest: stats(rest), windowLevel: stats(wl), loadMs };
  });
}

function readVolumeDims(file: string): number[] | null {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(2000);
  fs.readSync(fd, buf, 0, 2000, 0);
  fs.closeSync(fd);
  const head = buf.toString('latin1');
  const m = /sizes:\s*(\d+)\s+(\d+)\s+(\d+)/.exec(head);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

// `node --import tsx tests/bench/viewerLatency.ts [n] [software|swiftshader-gl]` measures on its own
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const data = process.env['ORTHOTWIN_DATA'] ?? path.resolve('../shared/data');
  measureViewerLatency(data, Number(process.argv[2] ?? 120), process.argv[3] === 'swiftshader-gl' ? 'swiftshader-gl' : 'software').then((r) =>
    console.log(JSON.stringify(r, null, 1)),
  );
}
