/**
 * Right patient, right data (issue 20 §1), in Chromium against `npm run
 * serve`: a patient ID already in use is refused naming its patient (with a
 * button to open it); a namesake born the same day is shown as a possible
 * duplicate before a second record is made; a too long name is refused with
 * a sentence; the search ignores accents and case and matches IDs; a volume
 * file already in the patient is asked about before it is imported again.
 */
import path from 'node:path';
import { DATA } from './data.js';
import { expect, test, type Page } from '@playwright/test';

/** 3 Feb 1961 as the page says it (formatDate: the browser's locale). */
const FEB_3_1961 = (page: Page) =>
  page.evaluate(() => new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' }).format(new Date('1961-02-03T00:00:00')));

async function createPatient(page: Page, name: string, mrn: string, birthDate: string): Promise<void> {
  const form = page.getByRole('form', { name: 'new patient' });
  await form.getByLabel('Patient name').fill(name);
  await form.getByLabel('Patient ID').fill(mrn);
  await form.getByLabel('Birth date').fill(birthDate);
  await form.getByRole('button', { name: 'Create patient' }).click();
}

test('an ID in use is refused, a namesake is a possible duplicate, the search ignores accents', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/?token=${process.env['ORTHOTWIN_TOKEN']}`);
  const patients = page.getByRole('list', { name: 'patients' });
  const form = page.getByRole('form', { name: 'new patient' });
  await createPatient(page, 'Jane Müller', 'DUP-1', '1961-02-03');
  await expect(patients).toContainText('Jane Müller');
  await createPatient(page, 'José Álvarez', 'DUP-2', '1975-07-08');
  await expect(patients).toContainText('José Álvarez');

  // the same ID: refused, naming the patient; "Open" opens her
  await createPatient(page, 'John Doe', 'dup-1', '1970-01-01');
  const problem = form.getByLabel('patient problem');
  const born = await FEB_3_1961(page);
  await expect(problem).toContainText(`ID dup-1 is already Jane Müller's (born ${born}): no second record is made with it.`);
  await expect(patients.getByRole('listitem').filter({ hasText: 'John Doe' })).toHaveCount(0); // the suite's server may hold other specs' patients
  await problem.getByRole('button', { name: 'Open Jane Müller' }).click();
  await expect(page.getByTestId('patient-banner')).toContainText('Jane Müller');

  // same name (other case, no accent) and birth date, another ID: a possible duplicate, created only when asked to
  await createPatient(page, 'jane muller', 'DUP-3', '1961-02-03');
  const dup = form.getByLabel('possible duplicate');
  await expect(dup).toContainText(
    'Possible duplicate: a patient of the same name (words in any order) born the same day, or with no birth date, already has a record.',
  );
  await expect(dup).toContainText(`Jane Müller · ID DUP-1 · born ${born} · 0 studies`);
  await expect(dup.getByRole('button', { name: 'Open Jane Müller' })).toBeVisible();
  await expect(patients.getByRole('listitem').filter({ hasText: /jane m[uü]ller/i })).toHaveCount(1);
  await dup.getByRole('button', { name: /Create a new patient anyway/ }).click();
  await expect(page.getByTestId('patient-banner')).toContainText('jane muller');
  await expect(patients.getByRole('listitem').filter({ hasText: /jane m[uü]ller/i })).toHaveCount(2);

  // a too long name: a sentence, not a technical error (the field itself stops at 200 characters)
  await expect(form.getByLabel('Patient name')).toHaveAttribute('maxlength', '200');
  await expect(form.getByLabel('Patient ID')).toHaveAttribute('maxlength', '64');
  await form.getByLabel('Patient name').evaluate((el: HTMLInputElement) => el.removeAttribute('maxlength'));
  await form.getByLabel('Patient name').fill('N'.repeat(300));
  await form.getByRole('button', { name: 'Create patient' }).click();
  await expect(form.getByLabel('patient problem')).toHaveText('The name is too long: 300 characters, at most 200.');

  // the search ignores accents and case, and finds IDs
  const search = page.getByLabel('Search patients');
  await search.fill('Muller');
  await expect(patients.getByRole('listitem').filter({ hasText: /jane m[uü]ller/i })).toHaveCount(2);
  await expect(patients).not.toContainText('José Álvarez');
  await search.fill('JOSE');
  await expect(patients.getByRole('listitem').filter({ hasText: 'José Álvarez' })).toHaveCount(1);
  await expect(patients).not.toContainText('Jane Müller');
  await search.fill('dup-2');
  await expect(patients.getByRole('listitem').filter({ hasText: 'José Álvarez' })).toHaveCount(1);
  await expect(patients).not.toContainText('Jane Müller');
  expect(errors).toEqual([]);
});

test('a volume file already in the patient is asked about before it is imported again', async ({ page }) => {
  test.skip(!DATA, 'the shared data folder is absent (set ORTHOTWIN_DATA): this import needs ct/totalseg_example_ct.nii.gz');
  await page.goto(`/?token=${process.env['ORTHOTWIN_TOKEN']}`);
  await createPatient(page, 'Import Twice', 'DUP-9', '1980-01-01');
  await expect(page.getByTestId('patient-banner')).toContainText('Import Twice');
  const ct = path.join(DATA!, 'ct', 'totalseg_example_ct.nii.gz');
  const picker = page.getByLabel('patient picker');
  await page.getByLabel(/Build the anatomical twin/).uncheck();
  await page.getByLabel('Study path').fill(ct);
  await page.getByRole('button', { name: 'Scan' }).click();
  await expect(picker).toContainText('totalseg_example_ct.nii.gz · 3D volume');
  await expect(picker).not.toContainText('Already in this patient');
  await picker.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByLabel('Series to export')).toContainText('CT ·', { timeout: 120_000 });

  // the same file again: the scan says so, Import asks, Cancel imports nothing, "Import again" imports a second series
  await page.getByRole('button', { name: 'Scan' }).click();
  await expect(picker).toContainText('Already in this patient (imported');
  await picker.getByRole('button', { name: 'Import', exact: true }).click();
  const ask = picker.getByLabel('already imported');
  await expect(ask).toContainText(/^This series is already in this patient: CT · totalseg_example_ct imported .*\d{4}.* \d{2}:\d{2}\. Import again\?/);
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toHaveCount(0);
  await picker.getByRole('button', { name: 'Import', exact: true }).click();
  await picker.getByLabel('already imported').getByRole('button', { name: 'Import again' }).click();
  await expect(page.getByLabel('Series to export').locator('option')).toHaveCount(2, { timeout: 120_000 });
});
