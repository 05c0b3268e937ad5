/**
 * The Motion workspace in Chromium against `npm run serve` (issue 21 §7,
 * first part): the PicoX simulator connected from the workspace streams
 * four sEMG sensors (2000 Hz) and their IMU through the device host; the
 * raw, RMS and accelerometer plots are drawn on the frame clock (frames per
 * second measured in the page), the samples arrive with their indices (lost
 * ones counted), the body map shows the four electrode sites and the table
 * a live RMS per channel, the data marked as simulated; the live MDF trend
 * falls over the simulated fatiguing contraction. The device is
 * disconnected at the end (the suite's server is shared).
 */
import { expect, test } from '@playwright/test';
import type {} from '../../capabilities/motion/ui/probe.js';

test('Motion: the PicoX simulator streams four sEMG sensors and their IMU, plotted at the display rate', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/?token=${process.env['ORTHOTWIN_TOKEN']}`);
  await page.getByRole('button', { name: 'Motion', exact: true }).click();
  await page.getByRole('tab', { name: 'Live' }).click();
  await page.getByRole('button', { name: 'Connect the PicoX simulator (4 sensors)' }).click();
  await expect(page.getByTestId('motion-source')).toContainText('Cometa PicoX simulator (4 sensors) — SIMULATED data', { timeout: 30_000 });
  await page.waitForFunction(() => (window.__orthotwinMotion?.received() ?? 0) > 8000, undefined, { timeout: 30_000 });
  const t0 = await page.evaluate(() => ({ draws: window.__orthotwinMotion!.draws(), received: window.__orthotwinMotion!.received(), at: performance.now() }));
  await page.waitForTimeout(3000);
  const m = await page.evaluate(() => ({
    fps: window.__orthotwinMotion!.fps(),
    drawMs: window.__orthotwinMotion!.drawMsP95(),
    draws: window.__orthotwinMotion!.draws(),
    received: window.__orthotwinMotion!.received(),
    lost: window.__orthotwinMotion!.lost(),
    channels: window.__orthotwinMotion!.channels(),
    at: performance.now(),
  }));
  const seconds = (m.at - t0.at) / 1000;
  const rate = (m.received - t0.received) / seconds;
  console.log(
    `motion: frame clock ${m.fps.toFixed(1)} fps, redraw p95 ${m.drawMs.toFixed(1)} ms, ${((m.draws - t0.draws) / seconds).toFixed(1)} redraws/s, ${rate.toFixed(0)} samples/s per channel on screen, ${m.lost} of ${m.received} not delivered to the page`,
  );
  expect(m.channels).toEqual(['EMG1', 'EMG2', 'EMG3', 'EMG4']);
  // a redraw (three plots) costs less than a 30 fps frame, so the plots keep up with every block (20 per second)
  expect(m.drawMs, 'redraw time p95 (ms)').toBeLessThan(33);
  expect(m.draws - t0.draws, 'the plots were redrawn as blocks came').toBeGreaterThan(5);
  // 2000 samples per second per channel reach the page (latest-wins may skip a block on a loaded machine: counted)
  expect(rate + m.lost / seconds).toBeGreaterThan(1800);
  expect(m.lost).toBeLessThan(m.received * 0.1);
  // three plots with their titles and four series each (raw, RMS)
  await expect(page.getByTestId('plot-raw')).toContainText('sEMG, raw (last 5 s)');
  await expect(page.getByTestId('plot-rms')).toContainText('moving RMS over 250 ms');
  await expect(page.getByTestId('plot-imu')).toContainText('accelerometer');
  await expect(page.getByTestId('body-map').locator('circle')).toHaveCount(4);
  const rows = page.getByTestId('motion-table').locator('tbody tr');
  await expect(rows).toHaveCount(4);
  await expect(rows.first()).toContainText('erector spinae L4 left');
  const rms = Number(await rows.first().locator('td.value').first().innerText());
  expect(rms, 'RMS of the simulated sEMG (µV): rest 3 µV up to 400 µV at full effort').toBeGreaterThan(1);
  expect(rms).toBeLessThan(500);

  // the live fatigue trend: each channel's MDF of 1 s windows every 0.5 s falls over the simulated sustained contraction
  // (the simulator's plan: 2 s rest, 20 s at 60 % MVC with a centre frequency falling 0.72 Hz/s, 5 s rest)
  await page.waitForFunction(() => window.__orthotwinMotion!.mdfTrend().every((c) => c.contractionWindows >= 30), undefined, { timeout: 45_000 });
  const trend = await page.evaluate(() => window.__orthotwinMotion!.mdfTrend());
  console.log(`motion: live MDF slopes ${trend.map((c) => `${c.label} ${c.slopeHzPerS?.toFixed(2)} Hz/s over ${c.contractionWindows} windows`).join(', ')}`);
  // one window's MDF scatters by a few Hz: over 15 s of contraction a channel's slope is known to about ±0.2 Hz/s, the mean of four to ±0.1
  const mean = trend.reduce((a, c) => a + c.slopeHzPerS!, 0) / trend.length;
  expect(mean, 'mean MDF slope over the contraction (Hz/s)').toBeLessThan(-0.25);
  for (const c of trend) expect(c.slopeHzPerS, `${c.label}: MDF slope over the contraction (Hz/s)`).toBeLessThan(0.3);
  await expect(page.getByTestId('plot-mdf')).toContainText('sEMG median frequency: 1 s windows every 0.5 s');
  await expect(rows.first().locator('td.value').nth(1)).toHaveText(/^-\d+\.\d\d · \d+$/);

  await page.screenshot({ path: 'test-results/motion-workspace.png' });
  // disconnect (the server is shared with the other specs)
  await page.getByRole('button', { name: 'Devices', exact: true }).click();
  const picox = page.locator('[data-kind="picox-simulator"]');
  await expect(picox.first()).toBeVisible(); // the device list has loaded (ours is connected)
  for (let n = await picox.count(); n > 0; n--) {
    await picox.first().getByRole('button', { name: 'Disconnect' }).click();
    await expect(picox).toHaveCount(n - 1);
  }
  await expect(page.locator('[data-kind="picox-simulator"]')).toHaveCount(0);
  expect(errors).toEqual([]);
});
