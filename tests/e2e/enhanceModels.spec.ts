/**
 * The enhancement models' UI end to end (issue 22) in Chromium against
 * `npm run serve`: Help → Enhancement models lists every model of
 * models/manifest.json with its version, file check, validation line and
 * card, and says they are not clinically validated; and "Enhance…" on PLUS's
 * 8-bit reconstruction of the spine phantom (SpinePhantomFreehandReconstructed.mha,
 * imported as US) runs the denoise model as a job whose new series appears in
 * the Series panel, its description naming the model and version.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { DATA } from './data.js';

const MANIFEST = JSON.parse(fs.readFileSync(path.resolve('models/manifest.json'), 'utf8')) as {
  models: { name: string; task: string; version: string; sha256: string; validation: string }[];
};

test('Help → Enhancement models: every model with version, file check, validation line and card; not clinically validated', async ({ page }, testInfo) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && /same key|unique "key"/.test(m.text()) && errors.push(m.text()));
  await page.goto(`/?token=${process.env['ORTHOTWIN_TOKEN']}`);
  await page.getByRole('button', { name: 'Help' }).click();
  await page.getByRole('menuitem', { name: 'Enhancement models' }).click();
  const dialog = page.getByRole('dialog', { name: 'Enhancement models' });
  await expect(dialog.getByTestId('enhance-research-notice')).toContainText('not clinically validated');
  const table = dialog.getByTestId('enhance-models-table');
  expect(MANIFEST.models.map((m) => m.name)).toEqual(expect.arrayContaining(['denoise', 'sr2']));
  for (const m of MANIFEST.models) {
    const row = table.locator(`tr[data-model="${m.name}"]`);
    await expect(row).toContainText(m.task);
    await expect(row.getByTestId('enhance-model-version')).toHaveText(m.version);
    await expect(row.getByTestId('enhance-model-check')).toHaveText('OK');
    await expect(row.getByTestId('enhance-model-validation')).toHaveText(m.validation);
    await expect(row.getByTestId('enhance-model-sha')).toHaveText(`${m.sha256.slice(0, 12)}…`);
    await expect(row.getByTestId('enhance-model-sha')).toHaveAttribute('title', m.sha256);
  }
  // the card: Markdown read into headings and tables, never shown as raw Markdown
  const card = dialog.getByTestId('enhance-model-card');
  await expect(card).toHaveAttribute('data-model', MANIFEST.models[0]!.name);
  await expect(card.locator('h3').first()).toContainText('Model card');
  expect(await card.locator('table').count()).toBeGreaterThan(0);
  await expect(card).toContainText('Not clinically validated');
  await expect(card).not.toContainText('|---');
  await expect(card).not.toContainText('**');
  const shot = testInfo.outputPath('enhance-models-help.png');
  await dialog.screenshot({ path: shot });
  fs.mkdirSync('test-results', { recursive: true });
  fs.copyFileSync(shot, 'test-results/enhance-models-help.png');
  await testInfo.attach('enhance-models-help', { path: shot, contentType: 'image/png' });
  // the other card
  await dialog.getByRole('tab', { name: new RegExp(`^${MANIFEST.models[1]!.name} `) }).click();
  await expect(card).toHaveAttribute('data-model', MANIFEST.models[1]!.name);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('Enhance… an 8-bit ultrasound volume with denoise: a job, then a new series naming the model and version', async ({ page }, testInfo) => {
  test.skip(!DATA, 'the shared data folder is absent (set ORTHOTWIN_DATA): the enhancement needs SpinePhantomFreehandReconstructed.mha');
  const denoise = MANIFEST.models.find((m) => m.name === 'denoise')!;
  const sr2 = MANIFEST.models.find((m) => m.name === 'sr2')!;
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && /same key|unique "key"/.test(m.text()) && errors.push(m.text()));
  await page.goto(`/?token=${process.env['ORTHOTWIN_TOKEN']}`);
  await page.getByLabel('Patient name').fill('E2E Enhance Volume');
  await page.getByRole('button', { name: 'Create patient' }).click();
  await expect(page.getByTestId('patient-banner')).toContainText('E2E Enhance Volume');
  await page.getByLabel('Study path').fill(path.join(DATA!, 'us', 'SpinePhantomFreehandReconstructed.mha'));
  await page.getByLabel(/Build the anatomical twin/).uncheck();
  await page.getByRole('button', { name: 'Scan' }).click();
  await page.getByLabel('patient picker').getByLabel('Modality').selectOption('US');
  await page.getByLabel('patient picker').getByRole('button', { name: 'Import' }).click();
  await expect(page.getByText('No twin yet for this patient.')).toBeVisible({ timeout: 60_000 });

  const series = page.getByRole('region', { name: 'series', exact: true });
  await expect(series.locator('tr[data-testid^="series-"]')).toHaveCount(1);
  await series.getByRole('button', { name: /^Enhance series / }).click();
  const form = series.getByTestId('enhance-form');
  await expect(form).toContainText('not clinically validated');
  await expect(form.locator(`label[data-model="denoise"]`)).toContainText(denoise.validation);
  await expect(form.locator(`label[data-model="sr2"]`)).toContainText(sr2.validation);
  await expect(form.locator(`label[data-model="sr2"]`)).toContainText('super-resolution ×2');
  await form.locator('label[data-model="denoise"]').getByRole('radio').check();
  await form.getByRole('button', { name: 'Enhance', exact: true }).click();

  // the job bar follows it; when it ends the new series is in the list, its description naming the model and version
  const job = page.getByTestId('job');
  await expect(job).toContainText('Ultrasound enhancement');
  await expect(job).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(series.locator('tr[data-testid^="series-"]')).toHaveCount(2);
  const made = series.locator('tr[data-testid^="series-"]', { hasText: `denoise (denoise ${denoise.version})` });
  await expect(made).toHaveCount(1);
  await expect(made).toContainText('US ·');
  await expect(made).toContainText('147 × 106 × 104');
  const shot = testInfo.outputPath('enhance-volume-series.png');
  await series.screenshot({ path: shot });
  fs.mkdirSync('test-results', { recursive: true });
  fs.copyFileSync(shot, 'test-results/enhance-volume-series.png');
  await testInfo.attach('enhance-volume-series', { path: shot, contentType: 'image/png' });
  expect(errors).toEqual([]);
});
