/**
 * Live ultrasound enhancement end to end (issue 22) in Chromium against
 * `npm run serve`: SpinePhantomFreehand.igs.mha replayed as a PLUS device,
 * the Devices workspace's ultrasound view switched to the denoise model (run
 * in the device host's worker) with the before/after split and the model's
 * label (model output, name, version, the manifest's validation line); a
 * session recorded meanwhile holds the RAW frames — read back here with
 * plusSequence.ts and compared byte for byte with the source file's frames.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { DATA } from './data.js';
import { framePixels, readPlusSequence } from '../../native-bridges/recording/plusSequence.js';
import type {} from '../../capabilities/devices/ui/probe.js';

const US = DATA ? path.join(DATA, 'us', 'SpinePhantomFreehand.igs.mha') : null;
const MANIFEST = JSON.parse(fs.readFileSync(path.resolve('models/manifest.json'), 'utf8')) as {
  models: { name: string; version: string; validation: string }[];
};
const denoise = MANIFEST.models.find((m) => m.name === 'denoise')!;

test.skip(!US, 'the shared data folder is absent (set ORTHOTWIN_DATA): the replay needs SpinePhantomFreehand.igs.mha');

test('Devices workspace: denoise on the live replay with split view and label; the recording keeps the raw frames', async ({ page }, testInfo) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/?token=${process.env['ORTHOTWIN_TOKEN']}`);
  await page.getByLabel('Patient name').fill('E2E Enhancement Patient');
  await page.getByRole('button', { name: 'Create patient' }).click();
  await expect(page.getByTestId('patient-banner')).toContainText('E2E Enhancement Patient');
  await page.getByRole('button', { name: 'Devices', exact: true }).click();
  await expect(page.getByTestId('device-host')).toContainText('running');

  // the PLUS recording replayed as a tracked-ultrasound device
  await page.getByLabel('Recording path').fill(US!);
  await page.getByRole('button', { name: 'Replay recording' }).click();
  const replay = page.locator('[data-kind="replay"]').last();
  await expect(replay).toContainText('streaming');
  await replay.click();
  const replayId = (await replay.getAttribute('data-device'))!;
  await expect.poll(async () => page.evaluate(() => window.__orthotwinDevices!.imagesDrawn()), { timeout: 15_000 }).toBeGreaterThan(5);

  // enhancement: denoise, with the raw frames beside it
  await page.getByTestId('devices-enhance-model').selectOption('denoise');
  await page.getByTestId('devices-enhance-split').check();
  await expect(page.getByTestId('image-canvas-raw')).toBeVisible();
  await expect(page.getByTestId('image-canvas')).toBeVisible();
  const label = page.getByTestId('devices-enhance-label');
  await expect(label).toHaveAttribute('data-applied', 'yes', { timeout: 30_000 });
  await expect(label).toContainText(`Model output (denoise ${denoise.version}) — validation: ${denoise.validation}`);
  await expect.poll(async () => page.evaluate(() => window.__orthotwinDevices!.enhancedDrawn()), { timeout: 30_000 }).toBeGreaterThan(3);
  const shot = testInfo.outputPath('enhance-devices-split.png');
  await page.getByRole('region', { name: 'live view' }).screenshot({ path: shot });
  fs.copyFileSync(shot, 'test-results/enhance-devices-split.png');
  await testInfo.attach('enhance-devices-split', { path: shot, contentType: 'image/png' });

  // a narrow window (1100 × 800): the split wraps, both images and the whole label stay on screen (never cut off)
  await page.setViewportSize({ width: 1100, height: 800 });
  await label.scrollIntoViewIfNeeded();
  const narrow = testInfo.outputPath('enhance-devices-split-1100.png');
  await page.screenshot({ path: narrow });
  fs.copyFileSync(narrow, 'test-results/enhance-devices-split-1100.png');
  await testInfo.attach('enhance-devices-split-1100', { path: narrow, contentType: 'image/png' });
  for (const id of ['devices-enhance-label', 'image-canvas', 'image-canvas-raw']) {
    const box = (await page.getByTestId(id).boundingBox())!;
    expect(box.x, id).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, `${id} within the 1100-px window`).toBeLessThanOrEqual(1100);
  }
  await page.setViewportSize({ width: 1400, height: 900 });

  // a session recorded while the view shows the model's output
  await page.getByLabel('Visit label').fill('enhanced view');
  await page.getByRole('button', { name: 'Record session' }).click();
  await expect(page.getByTestId('recording')).toContainText('REC');
  await expect(page.getByTestId('recording-elapsed')).toHaveText(/^0:0[3-9]$/, { timeout: 20_000 });
  await page.getByRole('button', { name: 'Stop recording' }).click();
  await expect(page.getByTestId('recording-raw-note')).toContainText('raw frames (enhancement is not recorded)');
  const saved = page.getByTestId('recorded-files');
  await expect(saved).toContainText(`${replayId}_Image.igs.mha`);
  const dir = /^Saved to (.+?): /.exec(await saved.innerText())![1]!;

  // the recording's frames are the source's raw frames, byte for byte (the frame number is the replay's sequence
  // number: it counts on across the loops of the 21-frame file)
  const src = readPlusSequence(US!);
  const rec = readPlusSequence(path.join(dir, `${replayId}_Image.igs.mha`));
  expect([rec.width, rec.height]).toEqual([src.width, src.height]);
  expect(rec.frames.length).toBeGreaterThan(20);
  for (let i = 0; i < rec.frames.length; i++) {
    const k = Number(rec.frames[i]!.fields['FrameNumber']) % src.frames.length;
    expect(Buffer.from(framePixels(rec, i)).equals(Buffer.from(framePixels(src, k))), `recorded frame ${i} (source frame ${k})`).toBe(true);
  }

  // another device on view while the model is on: the label waits for that device's frames (a tracker: none), it never
  // describes the replay's last model frame; back on the replay, its model frames again
  await page.getByRole('button', { name: 'Simulated Polaris' }).click();
  const polaris = page.locator('[data-kind="ndi-simulator"]').last();
  await expect(polaris).toContainText('streaming');
  await polaris.click();
  await expect(label).toHaveText(/Waiting for the model.s first frame/);
  await expect(label).not.toHaveAttribute('data-applied');
  await replay.click();
  await expect(label).toHaveAttribute('data-applied', 'yes', { timeout: 30_000 });
  await polaris.getByRole('button', { name: 'Disconnect' }).click();

  // enhancement off: the raw view again, no label
  await page.getByTestId('devices-enhance-model').selectOption('');
  await expect(page.getByTestId('image-canvas-raw')).toHaveCount(0);
  await expect(page.getByTestId('devices-enhance-label')).toHaveCount(0);
  // the model's worker was closed without taking the device host down (never terminated mid-frame)
  await page.waitForTimeout(1500);
  await expect(page.getByTestId('device-host')).toContainText('running');
  await expect(page.getByTestId('device-host')).toContainText('restarts 0');
  await replay.getByRole('button', { name: 'Disconnect' }).click();
  expect(errors).toEqual([]);
});
