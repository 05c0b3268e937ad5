/**
 * The screw planning workspace end to end in Chromium against `npm run
 * serve` (issue 24 §1, must-show 1 and 5's "plan a screw"): import the
 * example CT, characterise the spine, propose screws — L1–L5 both sides in
 * the table, each graded by the project's Gertzbein–Robbins check —, drag
 * one screw's target laterally in the probe's-eye axial-oblique view and see
 * the grade the back end returns get worse, save it as plan version 2,
 * reload, and find version 2 shown with the saved (server-regraded) grade.
 */
import path from 'node:path';
import { DATA } from './data.js';
import { expect, test, type Page } from '@playwright/test';
import type {} from '../../capabilities/planning/ui/probe.js';
import type {} from '../../capabilities/spine/ui/probe.js';
import type {} from '../../capabilities/twins/ui/probe.js';

test.skip(!DATA, 'the shared data folder is absent (set ORTHOTWIN_DATA): the screw planning e2e needs the example CT');

const LEVELS = ['L1', 'L2', 'L3', 'L4', 'L5'];
const GRADES = 'ABCDE';
/** Gertzbein & Robbins 1990: A none, B < 2 mm, C 2 to < 4, D 4 to < 6, E ≥ 6. */
const grOf = (mm: number): string => (mm <= 0 ? 'A' : mm < 2 ? 'B' : mm < 4 ? 'C' : mm < 6 ? 'D' : 'E');

async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const p = window.__orthotwinScrews;
    return !!p && !p.grading() && !p.selected()?.stale;
  });
}

test('screw planning: propose L1–L5, drag a target laterally in the probe’s-eye view, the grade worsens, save, reload', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/?token=${process.env['ORTHOTWIN_TOKEN']}`);
  await page.getByLabel('Patient name').fill('E2E Screw Planning');
  await page.getByRole('button', { name: 'Create patient' }).click();
  await page.getByLabel('Study path').fill(path.join(DATA!, 'ct', 'totalseg_example_ct.nii.gz'));
  await page.getByRole('button', { name: 'Scan' }).click();
  await page.getByLabel('patient picker').getByRole('button', { name: 'Import' }).click();
  await page.waitForFunction(() => window.__orthotwin?.ready === true, undefined, { timeout: 150_000 });
  await page.getByRole('button', { name: 'Spine', exact: true }).click();
  await page.getByRole('button', { name: 'Characterise spine' }).click();
  await page.waitForFunction(() => window.__orthotwinSpine?.version() === 1 && !window.__orthotwinSpine.busy(), undefined, { timeout: 120_000 });

  // the Screw planning workspace: propose on the newest spine analysis
  const nav = page.getByRole('navigation', { name: 'workspaces' });
  await nav.getByRole('button', { name: 'Screw planning' }).click();
  await page.waitForFunction(() => window.__orthotwinScrews?.ready() === true);
  await page.getByRole('button', { name: 'Propose screws' }).click();
  await page.waitForFunction(() => window.__orthotwinScrews?.planVersion() === 1);

  // L1–L5, both sides, each graded; must-show 1: the automatic plan grades A everywhere by the project's check
  for (const level of LEVELS)
    for (const side of ['left', 'right']) {
      await expect(page.locator(`tr[data-screw="${level} ${side}"]`)).toHaveCount(1);
      await expect(page.getByTestId(`grade-${level}-${side}`)).toHaveText('A');
    }
  const rows = await page.evaluate(() => window.__orthotwinScrews!.rows());
  expect(rows.filter((r) => LEVELS.includes(r.level)).map((r) => `${r.level} ${r.side} ${r.grade}`)).toEqual(
    LEVELS.flatMap((l) => [`${l} left A`, `${l} right A`]),
  );
  // every number says where it comes from: the grade names the check and the CT's voxel size
  await expect(page.getByTestId('screw-sources')).toContainText(
    "OrthoTwin's own check of the screw's surface against the vertebra label at the CT's voxel size",
  );
  expect(await page.evaluate(() => window.__orthotwinScrews!.scene().screws)).toBe(rows.length);

  // L3 left in the probe's-eye view: drag its target 25 mm laterally (towards +L) in the axial-oblique view
  await page.locator('tr[data-screw="L3 left"]').click();
  await expect(page.getByTestId('selected-screw')).toHaveText('L3 left');
  await expect(page.getByTestId('selected-grade')).toHaveText('A');
  const before = (await page.evaluate(() => window.__orthotwinScrews!.selected()))!;
  const lateral: [number, number, number] = [before.targetLps[0] + 25, before.targetLps[1], before.targetLps[2]];
  const from = (await page.evaluate((t) => window.__orthotwinScrews!.lpsToClient('axial', t), before.targetLps))!;
  const to = (await page.evaluate((t) => window.__orthotwinScrews!.lpsToClient('axial', t), lateral))!;
  expect(to.x - from.x, 'lateral (+L) is to the right on the axial-oblique view').toBeGreaterThan(20);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  for (let i = 1; i <= 6; i++) await page.mouse.move(from.x + ((to.x - from.x) * i) / 6, from.y + ((to.y - from.y) * i) / 6);
  await page.mouse.up();
  await settled(page);
  const after = (await page.evaluate(() => window.__orthotwinScrews!.selected()))!;
  expect(after.pending).toBe(true);
  expect(after.targetLps[0] - before.targetLps[0], 'the target moved laterally (mm)').toBeGreaterThan(8);
  // the grade the back end returned for the dragged trajectory: a deliberately lateral trajectory grades C or worse
  // (issue 24 must-show 1; measured: E, 8.0 mm lateral on the 3 mm example CT), the grade of its own breach depth
  expect(GRADES.indexOf(after.grade), `grade ${after.grade}, breach ${after.worstBreachMm} mm`).toBeGreaterThanOrEqual(GRADES.indexOf('C'));
  expect(after.grade).toBe(grOf(after.worstBreachMm));
  await expect(page.getByTestId('grade-L3-left')).toHaveText(after.grade);
  await expect(page.getByTestId('selected-grade')).toHaveText(after.grade);
  await expect(page.locator('tr[data-screw="L3 left"]')).toContainText('edited, unsaved');
  await page.waitForTimeout(300); // the 3D view's frame
  await page.screenshot({ path: 'test-results/screw-plan.png' });
  await page.locator('.screw-views').screenshot({ path: 'test-results/screw-probe-eye.png' });

  // a look at another workspace keeps the unsaved edit: back in Screw planning it is still there, graded the same
  await nav.getByRole('button', { name: 'Patients', exact: true }).click();
  await nav.getByRole('button', { name: 'Screw planning' }).click();
  await page.waitForFunction(() => window.__orthotwinScrews?.ready() === true && window.__orthotwinScrews.planVersion() === 1);
  await expect(page.locator('tr[data-screw="L3 left"]')).toContainText('edited, unsaved');
  await expect(page.getByTestId('grade-L3-left')).toHaveText(after.grade);
  await expect(page.getByTestId('selected-screw')).toHaveText('L3 left');

  // save: version 2, regraded by the server the same
  await page.getByLabel('Plan note').fill('L3 left lateral (e2e)');
  await page.getByRole('button', { name: 'Save as v2' }).click();
  await page.waitForFunction(() => window.__orthotwinScrews?.planVersion() === 2);
  await expect(page.getByTestId('grade-L3-left')).toHaveText(after.grade);
  await expect(page.locator('tr[data-screw="L3 left"]')).toContainText('edited');
  await expect(page.getByLabel('Plan version').locator('option')).toHaveText([/^v2 · edited · .* · L3 left lateral \(e2e\)$/, /^v1 · automatic · /]);

  // reload: the saved version is the one shown, with the saved trajectory and grade
  await page.reload();
  await page.getByRole('list', { name: 'patients' }).getByText('E2E Screw Planning').click();
  await nav.getByRole('button', { name: 'Screw planning' }).click();
  await page.waitForFunction(() => window.__orthotwinScrews?.ready() === true && window.__orthotwinScrews.planVersion() === 2);
  expect(await page.evaluate(() => window.__orthotwinScrews!.versions())).toEqual([2, 1]);
  await expect(page.getByTestId('grade-L3-left')).toHaveText(after.grade);
  await expect(page.getByTestId('breach-L3-left')).toContainText(after.worstBreachMm.toFixed(1));
  const saved = (await page.evaluate(() => window.__orthotwinScrews!.rows())).find((r) => r.level === 'L3' && r.side === 'left')!;
  expect(saved).toMatchObject({ grade: after.grade, edited: true, pending: false });
  await expect(page.getByTestId('grade-L3-right')).toHaveText('A');

  // the entry picked in the 3D view: L3 right's entry, clicked where the 3D view shows it, lands on the bone surface near it
  await page.locator('tr[data-screw="L3 right"]').click();
  await expect(page.getByTestId('selected-screw')).toHaveText('L3 right');
  const right = (await page.evaluate(() => window.__orthotwinScrews!.selected()))!;
  await page.getByLabel('Pick in 3D').selectOption('entry');
  await page.waitForTimeout(300); // the 3D view turned to L3
  const at = (await page.evaluate((p) => window.__orthotwinScrews!.threeDToClient(p), right.entryLps))!;
  await page.mouse.click(at.x, at.y);
  await settled(page);
  const picked = (await page.evaluate(() => window.__orthotwinScrews!.selected()))!;
  expect(picked.pending).toBe(true);
  const moved = Math.hypot(...[0, 1, 2].map((i) => picked.entryLps[i]! - right.entryLps[i]!));
  expect(moved, 'the picked entry (on the bone surface the ray meets first) lies near the planned entry (mm)').toBeLessThan(15);
  await expect(page.getByLabel('Pick in 3D')).toHaveValue('off');
  await expect(page.locator('tr[data-screw="L3 right"]')).toContainText('edited, unsaved');
  expect(errors).toEqual([]);
});
