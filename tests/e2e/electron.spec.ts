/**
 * The desktop shell, where an Electron binary exists (set
 * ELECTRON_OVERRIDE_DIST_PATH to its folder). None can be downloaded on the
 * development and CI machines, so there this test is skipped and says so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';

const dist = process.env['ELECTRON_OVERRIDE_DIST_PATH'];
const bin = dist ? path.join(dist, process.platform === 'win32' ? 'electron.exe' : 'electron') : '';

test.skip(
  !dist || !fs.existsSync(bin),
  'no Electron binary on this machine (set ELECTRON_OVERRIDE_DIST_PATH to an Electron dist folder to run the desktop shell test)',
);

test('desktop shell: app:// renderer, sandboxed preload bridge, working services', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orthotwin-electron-'));
  const app = await electron.launch({ executablePath: bin, args: [path.resolve('dist/electron/main/index.js'), '--data-dir', dataDir] });
  try {
    const win = await app.firstWindow();
    await win.waitForLoadState('domcontentloaded');
    expect(win.url()).toBe('app://orthotwin/index.html');
    expect(await win.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
    expect(await win.evaluate(() => Object.keys(window.orthotwin ?? {}).sort())).toEqual([
      'dataOrigin',
      'invoke',
      'pathForFile',
      'requestStreamPort',
      'subscribe',
    ]);
    await win.getByLabel('Patient name').fill('Desktop Patient');
    await win.getByRole('button', { name: 'Create patient' }).click();
    await expect(win.getByRole('list', { name: 'patients' })).toContainText('Desktop Patient');
    // offline: a request to the outside world is cancelled
    const blocked = await win.evaluate(() =>
      fetch('https://example.com/').then(
        () => false,
        () => true,
      ),
    );
    expect(blocked).toBe(true);
    // live device streams reach the offline window on a MessagePort (device host in a utilityProcess)
    await win.getByRole('button', { name: 'Devices', exact: true }).click();
    await win.getByRole('button', { name: 'Simulated depth camera' }).click();
    await expect(win.locator('[data-kind="depth-simulator"]')).toContainText('streaming');
    await expect
      .poll(async () => win.evaluate(() => (window as unknown as { __orthotwinDevices?: { depthsDrawn(): number } }).__orthotwinDevices?.depthsDrawn() ?? 0), {
        timeout: 30_000,
      })
      .toBeGreaterThan(5);
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
