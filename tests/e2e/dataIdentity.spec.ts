/**
 * Data identity at import (issue 20 §1), in Chromium against `npm run serve`:
 * a tracked 2D ultrasound sequence is named for what it is and cannot be
 * imported as a volume or become a twin; a DICOM series whose patient
 * identity differs from the open patient's ("no name", no ID) is imported
 * only after the user confirms it belongs to this patient.
 */
import path from 'node:path';
import { DATA } from './data.js';
import { expect, test } from '@playwright/test';

test.skip(!DATA, 'the shared data folder is absent (set ORTHOTWIN_DATA): these imports need the PLUS sequence and the J2K DICOM series');

test('a tracked ultrasound sequence is named as such and is not imported as a volume or a twin', async ({ page }) => {
  await page.goto(`/?token=${process.env['ORTHOTWIN_TOKEN']}`);
  await page.getByLabel('Patient name').fill('E2E Sequence Patient');
  await page.getByRole('button', { name: 'Create patient' }).click();
  await page.getByLabel('Study path').fill(path.join(DATA!, 'us', 'SpinePhantomFreehand.igs.mha'));
  await page.getByRole('button', { name: 'Scan' }).click();
  const picker = page.getByLabel('patient picker');
  await expect(picker).toContainText('tracked 2D sequence');
  await expect(picker).toContainText('SpinePhantomFreehand.igs.mha is a tracked 2D ultrasound sequence (21 frames with probe poses), not a 3D volume');
  await expect(picker.getByRole('button', { name: 'Import' })).toBeDisabled();
  // the reconstruction PLUS made of it is a volume whose file does not state a modality: never shown as MR
  await page.getByLabel('Study path').fill(path.join(DATA!, 'us', 'SpinePhantomFreehandReconstructed.mha'));
  await page.getByRole('button', { name: 'Scan' }).click();
  await expect(picker).toContainText('SpinePhantomFreehandReconstructed.mha · 3D volume');
  await expect(picker.getByLabel('Modality')).toHaveValue('');
  await picker.getByLabel('Modality').selectOption('US');
  await page.getByLabel(/Build the anatomical twin/).uncheck();
  await picker.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByText('No twin yet for this patient.')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByLabel('Series to export')).toContainText('US ·');
});

test('a DICOM series of another identity asks for confirmation before it goes into the open patient', async ({ page }) => {
  await page.goto(`/?token=${process.env['ORTHOTWIN_TOKEN']}`);
  await page.getByLabel('Patient name').fill('Jane Roe');
  await page.getByRole('button', { name: 'Create patient' }).click();
  await page.getByLabel('Study path').fill(path.join(DATA!, 'dicom', 'totalseg_ct_series_j2k'));
  await page.getByRole('button', { name: 'Scan' }).click();
  const picker = page.getByLabel('patient picker');
  // the check is a modal over the workspace, the two identities side by side; until it is answered the import is refused
  const dialog = page.getByRole('alertdialog', { name: 'identity check' });
  await expect(dialog).toBeVisible();
  await expect(dialog.locator('tr.differs')).toHaveCount(1);
  await expect(dialog.locator('tr.differs')).toContainText('Jane Roe');
  await expect(dialog.locator('tr.differs')).toContainText('(no name)');
  await expect(dialog.getByRole('button', { name: 'Confirm identity' })).toBeDisabled();
  await dialog.getByRole('button', { name: 'Look at the study first' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(picker.getByRole('alert')).toContainText('This study may belong to another patient than Jane Roe');
  await expect(picker.getByRole('alert')).toContainText('name: the study says no name, the patient is "Jane Roe"');
  const importButton = picker.getByRole('button', { name: 'Import', exact: true });
  await expect(importButton).toBeDisabled();
  // a confirmation belongs to the patient it was given for: opening another patient drops the scan and the confirmation
  await picker.getByRole('button', { name: 'Check the patient identity…' }).click();
  await dialog.getByLabel('Confirm patient identity').check();
  await dialog.getByRole('button', { name: 'Confirm identity' }).click();
  await expect(page.getByTestId('identity-confirmed')).toContainText('You confirmed that this study belongs to Jane Roe');
  await expect(importButton).toBeEnabled();
  await page.getByLabel('Patient name').fill('Bob Bystander');
  await page.getByRole('button', { name: 'Create patient' }).click();
  await expect(page.getByLabel('patient picker')).toHaveCount(0);
  await page.getByRole('list', { name: 'patients' }).getByText('Jane Roe').click();
  await expect(page.getByLabel('patient picker')).toHaveCount(0);
  await page.getByLabel('Study path').fill(path.join(DATA!, 'dicom', 'totalseg_ct_series_j2k'));
  await page.getByRole('button', { name: 'Scan' }).click();
  await expect(dialog.getByLabel('Confirm patient identity')).not.toBeChecked();
  await expect(importButton).toBeDisabled();
  await dialog.getByLabel('Confirm patient identity').check();
  await dialog.getByRole('button', { name: 'Confirm identity' }).click();
  await page.getByLabel(/Build the anatomical twin/).uncheck();
  await importButton.click();
  await expect(page.getByText('No twin yet for this patient.')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByLabel('Series to export')).toContainText('CT ·');
  // the series says it came in after an identity override, and which field differed
  await expect(page.getByTestId('identity-override')).toContainText('Imported after the user confirmed the identity (name differed)');
  // fusion offers it as a prior volume with the same caution, in the option and in the patient banner
  await page.getByRole('button', { name: 'Fusion', exact: true }).click();
  const prior = page.getByLabel('Prior volume');
  await expect(prior.locator('option')).toHaveCount(1);
  await expect(prior.locator('option')).toHaveText(/^CT · .* — identity confirmed at import: name differed$/);
  await expect(page.getByTestId('fusion-identity-caution')).toHaveText(
    "Caution: identity confirmed at import: name differed — check that this volume is this patient's",
  );
});
