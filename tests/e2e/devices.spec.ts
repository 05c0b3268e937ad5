/**
 * The Devices workspace end to end in Chromium against `npm run serve`: a
 * simulated Aurora (simulator + the real driver over a socat pty pair, in the
 * device host process) streams with its rate updating, marked SIMULATED; a
 * UVC frame grabber is Chromium's fake capture device fed a Y4M video made
 * from the real ultrasound frames of SpinePhantomFreehand.igs.mha, shown in
 * the page and handed to the device host (listed with its rate); a replayed
 * PLUS recording draws its ultrasound frames; the simulated depth camera's
 * frames of a prone back are drawn with their near/far range.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { DATA } from './data.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';
import { framePixels, readPlusSequence } from '../../native-bridges/recording/plusSequence.js';
import type {} from '../../capabilities/devices/ui/probe.js';

const US = DATA ? path.join(DATA, 'us', 'SpinePhantomFreehand.igs.mha') : null;
const hasSocat = (() => {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A Y4M (4:2:0, grey) video of the recording's frames, for --use-file-for-fake-video-capture. Returns its path and the frames' mean grey. */
function usVideo(): { file: string; meanGrey: number; width: number; height: number } {
  const seq = readPlusSequence(US!);
  const { width: w, height: h } = seq;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'orthotwin-uvc-')), 'us.y4m');
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, `YUV4MPEG2 W${w} H${h} F30:1 Ip A1:1 C420jpeg\n`);
  const chroma = Buffer.alloc((w / 2) * (h / 2) * 2, 128);
  let sum = 0;
  for (let i = 0; i < seq.frames.length; i++) {
    const px = framePixels(seq, i);
    for (const v of px) sum += v;
    fs.writeSync(fd, 'FRAME\n');
    fs.writeSync(fd, px);
    fs.writeSync(fd, chroma);
  }
  fs.closeSync(fd);
  return { file, meanGrey: sum / (w * h * seq.frames.length), width: w, height: h };
}

const video = US ? usVideo() : null;

test.skip(!US, 'the shared data folder is absent (set ORTHOTWIN_DATA): the UVC fake capture needs the real ultrasound frames');
test.skip(!hasSocat, 'socat is not installed: the simulated Aurora needs a pty pair');

test.use({
  launchOptions: {
    executablePath: CHROMIUM_PATH,
    args: [
      ...CHROMIUM_ARGS,
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      ...(video ? [`--use-file-for-fake-video-capture=${video.file}`] : []),
    ],
  },
});

test('Devices workspace: simulated Aurora streaming with live rates, fake UVC grabber showing the real ultrasound video', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/?token=${process.env['ORTHOTWIN_TOKEN']}`);
  // a recording belongs to a patient: open one first
  await page.getByLabel('Patient name').fill('E2E Recording Patient');
  await page.getByRole('button', { name: 'Create patient' }).click();
  // the new patient is open (creating it opens it in Patients) before going to Devices
  await expect(page.getByTestId('patient-banner')).toContainText('E2E Recording Patient');
  await page.getByRole('button', { name: 'Devices', exact: true }).click();
  await expect(page.getByTestId('recording-patient')).toContainText('E2E Recording Patient');
  await expect(page.getByTestId('device-host')).toContainText('running');

  // simulated Aurora: connect, streaming, marked simulated, rate near 40 Hz and updating
  await page.getByRole('button', { name: 'Simulated Aurora (4 tools)' }).click();
  const row = page.locator('[data-kind="ndi-simulator"]');
  await expect(row).toContainText('SIMULATED');
  await expect(row).toContainText('streaming');
  const rateCell = row.locator('[data-testid^="rate-"]');
  await expect.poll(async () => Number(await rateCell.innerText()), { timeout: 15_000 }).toBeGreaterThanOrEqual(35);
  const received0 = await page.evaluate(() => window.__orthotwinDevices!.received());
  await page.waitForTimeout(1500);
  const received1 = await page.evaluate(() => window.__orthotwinDevices!.received());
  expect(received1 - received0).toBeGreaterThan(40); // ≈ 40 Hz of pose messages reach the page
  await expect(row).toContainText('Port 4');
  expect(Number(await rateCell.innerText())).toBeLessThanOrEqual(45);

  // fake UVC grabber fed with the real ultrasound frames
  await page.getByRole('button', { name: 'Start capture' }).click();
  await expect.poll(async () => (await page.evaluate(() => window.__orthotwinDevices!.capture()))?.frames ?? 0, { timeout: 30_000 }).toBeGreaterThan(20);
  const cap = (await page.evaluate(() => window.__orthotwinDevices!.capture()))!;
  expect(cap.width).toBe(video!.width);
  expect(cap.height).toBe(video!.height);
  // the picture is the ultrasound recording (mean grey within the codec's rounding), not Chromium's test pattern
  expect(Math.abs(cap.meanGrey - video!.meanGrey)).toBeLessThan(6);
  expect(cap.sent).toBeGreaterThan(10);
  const uvc = page.locator('[data-kind="uvc"]');
  await expect(uvc).toContainText('streaming', { timeout: 15_000 });
  await expect(uvc).toContainText(`Video ${video!.width}×${video!.height}`);
  await expect.poll(async () => Number(await uvc.locator('[data-testid^="rate-"]').innerText()), { timeout: 15_000 }).toBeGreaterThan(5);
  await page.screenshot({ path: 'test-results/devices-workspace.png', fullPage: true });

  // a PLUS recording replayed as a tracked-ultrasound device draws its frames
  await page.getByRole('button', { name: 'Replay recording' }).click();
  // the newest replay row (suites that ran before may have left their replays connected)
  const replay = page.locator('[data-kind="replay"]').last();
  await expect(replay).toContainText('SIMULATED');
  await replay.click();
  await expect.poll(async () => page.evaluate(() => window.__orthotwinDevices!.imagesDrawn()), { timeout: 15_000 }).toBeGreaterThan(5);

  // the simulated depth camera (a generic back 600 mm below it) draws its depth frames
  await page.getByRole('button', { name: 'Simulated depth camera' }).click();
  const depth = page.locator('[data-kind="depth-simulator"]');
  await expect(depth).toContainText('SIMULATED');
  await depth.click();
  await expect.poll(async () => page.evaluate(() => window.__orthotwinDevices!.depthsDrawn()), { timeout: 15_000 }).toBeGreaterThan(5);
  const near = Number(/near \(blue\) (\d+) mm/.exec(await page.getByTestId('depth-range').innerText())?.[1]);
  expect(near).toBeGreaterThan(590);
  expect(near).toBeLessThan(640);
  await page.screenshot({ path: 'test-results/devices-depth.png', fullPage: true });

  // a depth file streams point clouds only: connected, but it cannot be recorded (the recording says so)
  await page.getByLabel('Recording path').fill(path.join(DATA!, 'depth', 'bun0.pcd'));
  await page.getByRole('button', { name: 'Replay recording' }).click();
  await expect(page.locator('[data-kind="depth-file"]').last()).toContainText('streaming');

  // record the session of the open patient at a visit: elapsed time, size, free disk and each device's state, live
  await page.getByLabel('Visit label').fill('pre-op');
  await page.getByRole('button', { name: 'Record session' }).click();
  const recording = page.getByTestId('recording');
  await expect(recording).toContainText('REC');
  await expect(page.getByTestId('recording-subject')).toContainText('E2E Recording Patient');
  await expect(page.getByTestId('recording-subject')).toContainText('(pre-op)');
  await expect(page.getByTestId('recording-elapsed')).toHaveText(/^0:0[2-9]$/, { timeout: 15_000 });
  await expect(page.getByTestId('recording-size')).toHaveText(/^\d+\.\d (KiB|MiB|GiB) written$/);
  const size0 = await page.getByTestId('recording-size').innerText();
  await expect(page.getByTestId('recording-disk')).toHaveText(/^free disk \d+\.\d (GiB|TiB) \(stops below 2\.0 GiB\)$/);
  const states = page.getByTestId('recording-devices');
  for (const kind of ['ndi-simulator', 'replay', 'depth-simulator']) {
    const id = await page.locator(`[data-kind="${kind}"]`).last().getAttribute('data-device');
    await expect(states.locator(`[data-recording-device="${id}"]`)).toHaveAttribute('data-state', 'recording');
  }
  const uvcId = await uvc.getAttribute('data-device');
  await expect(states.locator(`[data-recording-device="${uvcId}"]`)).toHaveAttribute('data-state', 'recording');
  const cloudId = await page.locator('[data-kind="depth-file"]').last().getAttribute('data-device');
  const cloudRow = states.locator(`[data-recording-device="${cloudId}"]`);
  await expect(cloudRow).toHaveAttribute('data-state', 'left-out');
  await expect(cloudRow).toContainText('point clouds only');
  await expect(page.getByTestId('recording-size')).not.toHaveText(size0); // the size grows live
  await page.screenshot({ path: 'test-results/devices-recording.png', fullPage: true });
  await page.getByRole('button', { name: 'Stop recording' }).click();
  const saved = page.getByTestId('recorded-files');
  await expect(saved).toContainText('_Tracking.igs.mha');
  await expect(saved).toContainText('_Image.igs.mha');
  await expect(saved).toContainText('_Depth.igs.mha');
  await expect(saved).toContainText(`${uvcId!.replace(/[^A-Za-z0-9_-]/g, '_')}_Image.igs.mha`);
  await expect(page.getByTestId('recording-ended')).toContainText('stopped by the user');
  // after the stop: the stopped state, the length and the real size on disk; no device still says recording, the tracker's size is its file's
  await expect(page.getByTestId('recording-summary')).toHaveText(/^Stopped · 0:\d\d recorded · \d+\.\d (KiB|MiB|GiB) on disk in \d+ files$/);
  await expect(states.locator('[data-state="recording"]')).toHaveCount(0);
  const ndiId = await row.getAttribute('data-device');
  await expect(states.locator(`[data-recording-device="${ndiId}"]`)).toHaveAttribute('data-state', 'recorded');
  await expect(states.locator(`[data-recording-device="${ndiId}"] [data-testid="recording-device-size"]`)).toHaveText(/^\d+\.\d (KiB|MiB)$/);
  // a replay's frames are its acquisitions per stream (its images and their poses), not the two files added up
  const replayId = await page.locator('[data-kind="replay"]').last().getAttribute('data-device');
  await expect(states.locator(`[data-recording-device="${replayId}"] [data-testid="recording-device-frames"]`)).toHaveText(/^(\d+) images, \1 poses$/);
  await expect(states.locator(`[data-recording-device="${ndiId}"] [data-testid="recording-device-frames"]`)).toHaveText(/^\d+ poses$/);
  // the patient's recordings: this one, with its visit
  const history = page.getByTestId('patient-recordings');
  await expect(history.locator('tbody tr')).toHaveCount(1);
  await expect(history).toContainText('(pre-op)');
  await expect(history).toContainText('stopped by the user');
  await expect(history).toContainText('not recorded in full');
  await page.getByLabel('Recording path').fill(US!);
  await page.locator('[data-kind="depth-file"]').last().getByRole('button', { name: 'Disconnect' }).click();

  // disconnect the Aurora: its row goes
  await row.getByRole('button', { name: 'Disconnect' }).click();
  await expect(page.locator('[data-kind="ndi-simulator"]')).toHaveCount(0);
  expect(errors).toEqual([]);
});
