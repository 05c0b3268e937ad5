/**
 * The surgeon's first workflow, end to end in Chromium against `npm run serve`:
 * create a patient, import the example CT, wait for the twin, then read back
 * the 3D scene, check the 3D view is not blank, and check that a click in the
 * axial view moves the sagittal and coronal views to the clicked point (mm).
 */
import path from 'node:path';
import { DATA } from './data.js';
import { expect, test, type Page } from '@playwright/test';
import { screenshotContent } from './pixels.js';
import type { PlanningProbe } from '../../capabilities/twins/ui/probe.js';

/** Calls a method of the page's PlanningProbe (window.__orthotwin). */
function probe<K extends Exclude<keyof PlanningProbe, 'ready'>>(
  page: Page,
  method: K,
  ...args: Parameters<PlanningProbe[K]>
): Promise<ReturnType<PlanningProbe[K]>> {
  return page.evaluate(([m, a]) => (window.__orthotwin as unknown as Record<string, (...x: unknown[]) => unknown>)[m]!(...a), [method, args] as [
    string,
    unknown[],
  ]) as Promise<ReturnType<PlanningProbe[K]>>;
}

test.skip(!DATA, 'the shared data folder is absent (set ORTHOTWIN_DATA): the e2e import needs the example CT');

test('import a CT, see skin and bone in 3D, click-linked MPR views', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/?token=${process.env['ORTHOTWIN_TOKEN']}`);

  await page.getByLabel('Patient name').fill('E2E Surgeon Test');
  await page.getByRole('button', { name: 'Create patient' }).click();
  await expect(page.getByRole('list', { name: 'patients' })).toContainText('E2E Surgeon Test');

  const ct = path.join(DATA!, 'ct', 'totalseg_example_ct.nii.gz');
  await page.getByLabel('Study path').fill(ct);
  await page.getByRole('button', { name: 'Scan' }).click();
  await page.getByLabel('patient picker').getByRole('button', { name: 'Import' }).click();
  await expect(page.getByTestId('job')).toBeVisible();

  await page.waitForFunction(() => window.__orthotwin?.ready === true, undefined, { timeout: 150_000 });
  expect(errors).toEqual([]);

  // 1. the scene holds a skin and a bone mesh
  const scene = await probe(page, 'scene');
  expect(scene.skinTriangles).toBeGreaterThan(0);
  expect(scene.boneTriangles).toBeGreaterThan(0);
  await expect(page.getByTestId('features')).toContainText('Bone volume');

  // 2. the 3D view is not blank: many pixels differ from the background, in many colours
  await page.waitForTimeout(500);
  const shot = screenshotContent(await page.getByTestId('view-3d').screenshot());
  expect(shot.fraction, `non-background fraction of the 3D view`).toBeGreaterThan(0.05);
  expect(shot.colours).toBeGreaterThan(50);

  await page.screenshot({ path: 'test-results/planning-view.png' });

  // 3. the initial crosshair is the volume centre, worked by hand from the NIfTI sform:
  //    voxel (60.5, 50, 55.5) → RAS (−177.956 + 181.5, 11.319 + 150, 94.302 + 166.5) → LPS (−3.544, −161.319, 260.802)
  const c0 = (await probe(page, 'crosshairLps'))!;
  expect(c0[0]).toBeCloseTo(177.95632934570312 - 3 * 60.5, 2);
  expect(c0[1]).toBeCloseTo(-11.319000244140625 - 3 * 50, 2);
  expect(c0[2]).toBeCloseTo(94.3017578125 + 3 * 55.5, 2);

  // 4. click in the axial view, right of and below the centre
  const axial = page.getByTestId('view-axial');
  const box = (await axial.boundingBox())!;
  const mmPerPx = await probe(page, 'mmPerPixel', 'axial');
  expect(mmPerPx).toBeGreaterThan(0.3);
  expect(mmPerPx).toBeLessThan(3);
  const dx = 60;
  const dy = 40;
  await page.mouse.click(box.x + box.width / 2 + dx, box.y + box.height / 2 + dy);
  const c1 = (await probe(page, 'crosshairLps'))!;
  // radiological axial view: screen right = patient left (+x), screen down = posterior (+y)
  expect(Math.abs(c1[0] - (c0[0] + dx * mmPerPx))).toBeLessThan(1.5 * mmPerPx);
  expect(Math.abs(c1[1] - (c0[1] + dy * mmPerPx))).toBeLessThan(1.5 * mmPerPx);
  expect(c1[2]).toBeCloseTo(c0[2], 5); // the axial slice does not move
  const slices = await probe(page, 'slicePositionsMm');
  // the sagittal view now shows the slice at the clicked x, the coronal at the clicked y (3 mm voxels: within half a voxel)
  expect(Math.abs(slices.sagittal - c1[0])).toBeLessThanOrEqual(1.5);
  expect(Math.abs(slices.coronal - c1[1])).toBeLessThanOrEqual(1.5);
  expect(Math.abs(slices.axial - c0[2])).toBeLessThanOrEqual(1.5);
  expect(errors).toEqual([]);
});

test('a bad file gives a readable error and the app keeps running', async ({ page }) => {
  await page.goto(`/?token=${process.env['ORTHOTWIN_TOKEN']}`);
  await page.getByLabel('Patient name').fill('E2E Bad Input');
  await page.getByRole('button', { name: 'Create patient' }).click();
  await page.getByLabel('Study path').fill('/nonexistent/study.nii.gz');
  await page.getByRole('button', { name: 'Scan' }).click();
  await expect(page.getByTestId('error')).toContainText('study.nii.gz: no such file or folder');
  await expect(page.getByRole('list', { name: 'patients' })).toContainText('E2E Bad Input');
});

test('the host refuses requests without the token', async ({ request }) => {
  const r = await request.get('/data/volume/anything');
  expect(r.status()).toBe(401);
});
