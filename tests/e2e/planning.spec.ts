/**
 * The surgeon's first workflow, end to end in Chromium against `npm run serve`:
 * create a patient, import the example CT, wait for the twin, then read back
 * the 3D scene, check the 3D view is not blank, and check that a click in the
 * axial view moves the sagittal and coronal views to the clicked point (mm).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DATA } from './data.js';
import { expect, test, type Page } from '@playwright/test';
import { PNG } from 'pngjs';
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

  // 3. the initial crosshair is the voxel centre nearest the volume centre, worked by hand from the NIfTI sform:
  //    centre voxel (60.5, 50, 55.5) → voxel (61, 50, 56) (rounded half up) → LPS (177.956 − 183, −11.319 − 150, 94.302 + 168)
  const c0 = (await probe(page, 'crosshairLps'))!;
  expect(c0[0]).toBeCloseTo(177.95632934570312 - 3 * 61, 4);
  expect(c0[1]).toBeCloseTo(-11.319000244140625 - 3 * 50, 4);
  expect(c0[2]).toBeCloseTo(94.3017578125 + 3 * 56, 4);
  // the slice labels say the crosshair's voxel and position, not half a voxel away (review §5): axial Im 57/112 at S 262.3 mm
  await expect(page.getByTestId('slice-axial')).toHaveText('Im 57/112 · S 262.3 mm');
  await expect(page.getByTestId('slice-sagittal')).toHaveText(`Im 62/122 · R ${(183 - 177.95632934570312).toFixed(1)} mm`);
  await expect(page.getByTestId('slice-coronal')).toHaveText('Im 51/101 · A 161.3 mm');
  expect(await probe(page, 'slicePositionsMm')).toEqual({ axial: c0[2], coronal: c0[1], sagittal: c0[0] });

  // 4. click in the axial view, right of and below the centre
  const axial = page.getByTestId('view-axial');
  const box = (await axial.boundingBox())!;
  const mmPerPx = await probe(page, 'mmPerPixel', 'axial');
  expect(mmPerPx).toBeGreaterThan(0.3);
  expect(mmPerPx).toBeLessThan(3);
  const dx = 60;
  const dy = 40;
  const [cx, cy] = [Math.round(box.x + box.width / 2 + dx), Math.round(box.y + box.height / 2 + dy)]; // whole pixels, as the browser delivers them
  const clicked = await probe(page, 'displayToLps', 'axial', cx - box.x, cy - box.y);
  await page.mouse.click(cx, cy);
  const c1 = (await probe(page, 'crosshairLps'))!;
  // radiological axial view: screen right = patient left (+x), screen down = posterior (+y)
  // (the view is centred on the volume centre, voxel (60.5, 50, 55.5))
  expect(Math.abs(clicked[0] - (177.95632934570312 - 3 * 60.5 + dx * mmPerPx))).toBeLessThan(1.5 * mmPerPx);
  expect(Math.abs(clicked[1] - (-11.319000244140625 - 3 * 50 + dy * mmPerPx))).toBeLessThan(1.5 * mmPerPx);
  // the crosshair goes to the centre of the voxel clicked (LPS x = 177.956 − 3i, y = −11.319 − 3j)
  const [ci, cj] = [Math.round((177.95632934570312 - clicked[0]) / 3), Math.round((-11.319000244140625 - clicked[1]) / 3)];
  expect(c1[0]).toBeCloseTo(177.95632934570312 - 3 * ci, 4);
  expect(c1[1]).toBeCloseTo(-11.319000244140625 - 3 * cj, 4);
  expect(c1[2]).toBeCloseTo(c0[2], 5); // the axial slice does not move
  // the sagittal view shows voxel column i, the coronal row j, at exactly the crosshair's position
  expect(await probe(page, 'slicePositionsMm')).toEqual({ axial: c1[2], coronal: c1[1], sagittal: c1[0] });
  expect(await probe(page, 'sliceIndex', 'sagittal')).toBe(ci);
  expect(await probe(page, 'sliceIndex', 'coronal')).toBe(cj);
  await expect(page.getByTestId('slice-sagittal')).toContainText(`Im ${ci + 1}/122 · ${c1[0] < 0 ? 'R' : 'L'} ${Math.abs(c1[0]).toFixed(1)} mm`);
  // the sagittal view draws its horizontal crosshair line (the axial slice) at the axial slice's position
  const [, sagY] = await probe(page, 'lpsToDisplay', 'sagittal', c1);
  const line = await page.evaluate(() => Number(document.querySelector('[data-testid=view-sagittal] svg.crosshair line')!.getAttribute('y1')));
  expect(line).toBeCloseTo(sagY, 6);

  // 5. viewer tools (issue 20 §3)
  // orientation letters in radiological convention
  for (const [edge, letter] of [
    ['left', 'R'],
    ['right', 'L'],
    ['top', 'A'],
    ['bottom', 'P'],
  ] as const)
    await expect(page.getByTestId(`orient-${edge}-axial`)).toHaveText(letter);
  await expect(page.getByTestId('orient-left-sagittal')).toHaveText('A');
  await expect(page.getByTestId('orient-top-coronal')).toHaveText('S');
  await expect(page.getByTestId('slice-axial')).toContainText(`Im ${(await probe(page, 'sliceIndex', 'axial')) + 1}/112 · S `);
  // the value under the pointer: HU of the voxel there, against the NIfTI file read here (int32, slope 1, offset 352)
  // (on a whole pixel, as the browser delivers pointer positions: the crosshair's voxel centre falls between pixels)
  const [hx, hy] = (await probe(page, 'lpsToDisplay', 'axial', c1)).map((v, a) => Math.round((a ? box.y : box.x) + v) - (a ? box.y : box.x)) as [
    number,
    number,
  ];
  await page.mouse.move(box.x + hx, box.y + hy);
  const readout = await page.getByTestId('readout-axial').innerText();
  const m = /^HU (-?\d+) at voxel (\d+), (\d+), (\d+) · LPS /.exec(readout);
  expect(m, readout).not.toBeNull();
  const [hu, i, j, k] = m!.slice(1).map(Number) as [number, number, number, number];
  const nifti = zlib.gunzipSync(fs.readFileSync(ct));
  expect(hu).toBe(nifti.readInt32LE(352 + 4 * (i + 122 * (j + 101 * k))));
  expect(k).toBe(await probe(page, 'sliceIndex', 'axial'));
  // the readout follows every slice change with the pointer still (review §1): ↑, ↓, PgDn and the wheel re-sample the
  // voxel under it on the new slice — same column and row, the new slice, the file's HU there
  const readoutNow = async (): Promise<number[]> => {
    const t = await page.getByTestId('readout-axial').innerText();
    return /^HU (-?\d+) at voxel (\d+), (\d+), (\d+) · LPS /.exec(t)!.slice(1).map(Number);
  };
  for (const [step, key] of [
    [1, 'ArrowUp'],
    [-1, 'ArrowDown'],
    [-10, 'PageDown'],
    [10, 'wheel-10'],
  ] as const) {
    const before = await probe(page, 'sliceIndex', 'axial');
    if (key === 'wheel-10')
      for (let w = 0; w < 10; w++) await page.mouse.wheel(0, -100); // wheel up: +1 slice each
    else await page.keyboard.press(key);
    await expect.poll(() => probe(page, 'sliceIndex', 'axial')).toBe(before + step);
    const [h2, i2, j2, k2] = (await readoutNow()) as [number, number, number, number];
    expect([i2, j2, k2], key).toEqual([i, j, before + step]);
    expect(h2, key).toBe(nifti.readInt32LE(352 + 4 * (i2 + 122 * (j2 + 101 * k2))));
  }
  expect(await probe(page, 'sliceIndex', 'axial')).toBe(k); // back on the slice of the crosshair
  // Ctrl + wheel zooms about the pointer: the point under it stays, the scale changes by 1.15
  const under = await probe(page, 'displayToLps', 'axial', hx, hy);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -100);
  await page.keyboard.up('Control');
  await expect.poll(() => probe(page, 'zoom', 'axial')).toBeCloseTo(1.15, 5);
  expect(await probe(page, 'mmPerPixel', 'axial')).toBeCloseTo(mmPerPx / 1.15, 4);
  const stillUnder = await probe(page, 'displayToLps', 'axial', hx, hy);
  for (const a of [0, 1]) expect(stillUnder[a]!).toBeCloseTo(under[a]!, 2);
  // middle-drag pans: the image follows the pointer
  const zoomedMmPerPx = mmPerPx / 1.15;
  await page.mouse.move(box.x + 100, box.y + 100);
  await page.mouse.down({ button: 'middle' });
  await page.mouse.move(box.x + 140, box.y + 100, { steps: 4 });
  await page.mouse.up({ button: 'middle' });
  const panned = await probe(page, 'displayToLps', 'axial', hx, hy);
  expect(panned[0]! - stillUnder[0]!).toBeCloseTo(-40 * zoomedMmPerPx, 1); // what was 40 px left of the pointer is under it now
  // the ruler: two clicks 100 px apart measure 100 px × mm per pixel; undo and redo
  await page.keyboard.press('m');
  await page.mouse.click(box.x + 80, box.y + 120);
  await page.mouse.click(box.x + 180, box.y + 120);
  await expect(page.getByTestId('measurements')).toContainText(`ruler 1: ${(100 * zoomedMmPerPx).toFixed(1)} mm (axial Im ${k + 1})`);
  expect(await axial.boundingBox(), 'the views stay where they were when the first measurement is listed (review §5)').toEqual(box);
  expect((await probe(page, 'crosshairLps'))!).toEqual(c1); // ruler clicks do not move the crosshair
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('measurements')).not.toContainText('ruler 1');
  await page.keyboard.press('Control+y');
  await expect(page.getByTestId('measurements')).toContainText('ruler 1:');
  await page.keyboard.press('m');
  // R resets zoom and pan
  await page.keyboard.press('r');
  await expect.poll(() => probe(page, 'zoom', 'axial')).toBe(1);
  // an elliptical ROI (centre, then a corner): its statistics against the voxels of the NIfTI file, recomputed here
  await page.keyboard.press('e');
  const [ex0, ey0] = await probe(page, 'lpsToDisplay', 'axial', c1);
  const box2 = (await axial.boundingBox())!; // the measurement list above the views moved them down
  // the browser delivers whole-pixel pointer positions: click on whole pixels and recompute from the same points
  const [px, py] = [Math.round(box2.x + ex0), Math.round(box2.y + ey0)];
  await page.mouse.click(px, py);
  await page.mouse.click(px + 30, py + 20);
  const [ex, ey] = [px - box2.x, py - box2.y];
  const centre = await probe(page, 'displayToLps', 'axial', ex, ey);
  const corner = await probe(page, 'displayToLps', 'axial', ex + 30, ey + 20);
  const [rx, ry] = [Math.abs(corner[0] - centre[0]), Math.abs(corner[1] - centre[1])];
  const inside: number[] = [];
  for (let vi = 0; vi < 122; vi++)
    for (let vj = 0; vj < 101; vj++) {
      // the file's sform: LPS x = 177.956 − 3 i, y = −11.319 − 3 j
      const x = (177.95632934570312 - 3 * vi - centre[0]) / rx;
      const y = (-11.319000244140625 - 3 * vj - centre[1]) / ry;
      if (x * x + y * y <= 1) inside.push(nifti.readInt32LE(352 + 4 * (vi + 122 * (vj + 101 * k))));
    }
  const mean = inside.reduce((a, b) => a + b, 0) / inside.length;
  const sd = Math.sqrt(inside.reduce((a, b) => a + (b - mean) ** 2, 0) / (inside.length - 1));
  const roi = await page.getByTestId('roi-2').innerText();
  console.log(`${roi} · recomputed: n ${inside.length}, mean ${mean.toFixed(2)}, SD ${sd.toFixed(2)}`);
  const r = /^ROI 2: mean (-?[\d.]+) HU, SD ([\d.]+) HU, min (-?\d+) HU, max (-?\d+) HU, area ([\d.]+) mm² \(n = (\d+) voxels/.exec(roi)!;
  expect(Number(r[6])).toBe(inside.length);
  expect(Number(r[1])).toBeCloseTo(mean, 1);
  expect(Number(r[2])).toBeCloseTo(sd, 1);
  expect(Number(r[3])).toBe(Math.min(...inside));
  expect(Number(r[4])).toBe(Math.max(...inside));
  expect(Number(r[5])).toBeCloseTo(inside.length * 9, 1);
  await page.keyboard.press('e');
  // angle (a, vertex, b at a right angle), Cobb angle (a horizontal line and one rising 58 px over 100 px:
  // atan(58/100) = 30.11°; the views are isotropic, so pixel angles are mm angles) and a text note
  const box3 = (await axial.boundingBox())!;
  await page.keyboard.press('a');
  await page.mouse.click(box3.x + 100, box3.y + 60);
  await page.mouse.click(box3.x + 100, box3.y + 160);
  await page.mouse.move(box3.x + 150, box3.y + 160); // the rubber band follows the pointer before the last click
  await expect(axial.locator('svg line[stroke-dasharray]')).toHaveCount(1);
  await page.mouse.click(box3.x + 200, box3.y + 160);
  await expect(page.getByTestId('mark-3')).toContainText(`angle 3: 90.0° (axial Im ${k + 1})`);
  await page.keyboard.press('c');
  const y0 = Math.round(box3.y + box3.height * 0.6);
  await page.mouse.click(box3.x + 60, y0);
  await page.mouse.click(box3.x + 160, y0);
  await page.mouse.click(box3.x + 60, y0 + 40);
  await page.mouse.click(box3.x + 160, y0 + 40 - 58);
  await expect(page.getByTestId('mark-4')).toContainText(`Cobb 4: ${((Math.atan(58 / 100) * 180) / Math.PI).toFixed(1)}°`);
  await page.keyboard.press('t');
  await page.mouse.click(box3.x + 220, box3.y + 80);
  await page.getByLabel('Annotation text (axial)').fill('L3 pedicle check');
  await page.getByLabel('Annotation text (axial)').press('Enter');
  await expect(page.getByTestId('mark-5')).toContainText('note 5: L3 pedicle check');
  // a sphere ROI (centre on the crosshair, then a point 12 px to its right): its statistics against the NIfTI's voxels in 3D
  await page.keyboard.press('o');
  const [sx0, sy0] = await probe(page, 'lpsToDisplay', 'axial', c1);
  const box4 = (await axial.boundingBox())!;
  const [qx, qy] = [Math.round(box4.x + sx0), Math.round(box4.y + sy0)];
  await page.mouse.click(qx, qy);
  await page.mouse.click(qx + 12, qy);
  const sc = await probe(page, 'displayToLps', 'axial', qx - box4.x, qy - box4.y);
  const se = await probe(page, 'displayToLps', 'axial', qx + 12 - box4.x, qy - box4.y);
  const radius = Math.hypot(se[0] - sc[0], se[1] - sc[1], se[2] - sc[2]);
  const ball: number[] = [];
  for (let vk = 0; vk < 112; vk++)
    for (let vj = 0; vj < 101; vj++)
      for (let vi = 0; vi < 122; vi++) {
        const d2 = (177.95632934570312 - 3 * vi - sc[0]) ** 2 + (-11.319000244140625 - 3 * vj - sc[1]) ** 2 + (94.3017578125 + 3 * vk - sc[2]) ** 2;
        if (d2 <= radius * radius) ball.push(nifti.readInt32LE(352 + 4 * (vi + 122 * (vj + 101 * vk))));
      }
  const bMean = ball.reduce((a, b) => a + b, 0) / ball.length;
  const sphereText = await page.getByTestId('roi-6').innerText();
  const sm = /sphere ROI 6: mean (-?[\d.]+) HU, SD ([\d.]+) HU, min (-?\d+) HU, max (-?\d+) HU, volume ([\d.]+) mL \(r ([\d.]+) mm, n = (\d+) voxels/.exec(
    sphereText,
  )!;
  expect(Number(sm[7])).toBe(ball.length);
  expect(ball.length).toBeGreaterThan(20);
  expect(Number(sm[1])).toBeCloseTo(bMean, 1);
  expect(Number(sm[3])).toBe(Math.min(...ball));
  expect(Number(sm[4])).toBe(Math.max(...ball));
  expect(Number(sm[5])).toBeCloseTo((ball.length * 27) / 1000, 2);
  expect(Number(sm[6])).toBeCloseTo(radius, 1);
  // drawn as the circle of its cut in the coronal view too (dashed: not the slice it was made on)
  await expect(page.getByTestId('view-coronal').locator('svg circle[stroke="#ffb74d"]')).toHaveCount(1);
  // the sphere's label in its view has the list's name (review §3)
  await expect(axial.locator('svg text').filter({ hasText: /^sphere ROI 6/ })).toHaveCount(1);
  // an ellipse ROI at the volume's right edge (screen right = patient left: voxel column 4): its statistics would pass
  // the view's right edge beside it, so they go to its left, whole (review §3)
  await page.keyboard.press('e');
  const [edgeX, edgeY] = await probe(page, 'lpsToDisplay', 'axial', [177.95632934570312 - 3 * 4, c1[1], c1[2]]);
  const [gx, gy] = [Math.round(box4.x + edgeX), Math.round(box4.y + edgeY - 100)];
  await page.mouse.click(gx, gy);
  await page.mouse.click(gx + 20, gy + 15);
  await expect(page.getByTestId('roi-7')).toContainText(/^ROI 7: mean -?[\d.]+ HU, SD [\d.]+ HU, min -?\d+ HU, max -?\d+ HU, area/);
  const edgeLabel = axial.locator('svg text').filter({ hasText: /^ROI 7/ });
  await expect(edgeLabel).toHaveCount(1);
  const edgeBox = (await edgeLabel.boundingBox())!;
  // asked for right of the ellipse (x ≥ gx + 24), which is past the view's edge: it goes to a free side, inside the
  // view, leaving the ellipse (gx ± 20, gy ± 15) uncovered
  expect(edgeBox.x + edgeBox.width).toBeLessThanOrEqual(box4.x + box4.width);
  expect(edgeBox.x).toBeLessThan(gx + 24);
  const coversEllipse = edgeBox.x < gx + 20 && gx - 20 < edgeBox.x + edgeBox.width && edgeBox.y < gy + 15 && gy - 15 < edgeBox.y + edgeBox.height;
  expect(coversEllipse, JSON.stringify(edgeBox)).toBe(false);
  /** Every label's box in the axial view (CSS px of the page): all inside the view, none over another. */
  const labelBoxes = async () => {
    const v = (await axial.boundingBox())!;
    const boxes = await axial
      .locator('svg text')
      .evaluateAll((ts) => ts.map((t) => t.getBoundingClientRect()).map((b) => ({ x: b.x, y: b.y, w: b.width, h: b.height })));
    return { v, boxes };
  };
  const lb = await labelBoxes();
  expect(lb.boxes.length).toBeGreaterThanOrEqual(6);
  for (const b of lb.boxes) {
    expect(b.x, JSON.stringify(b)).toBeGreaterThanOrEqual(lb.v.x);
    expect(b.y, JSON.stringify(b)).toBeGreaterThanOrEqual(lb.v.y);
    expect(b.x + b.w, JSON.stringify(b)).toBeLessThanOrEqual(lb.v.x + lb.v.width);
    expect(b.y + b.h, JSON.stringify(b)).toBeLessThanOrEqual(lb.v.y + lb.v.height);
  }
  for (let p = 0; p < lb.boxes.length; p++)
    for (let q = 0; q < p; q++) {
      const [a, b] = [lb.boxes[p]!, lb.boxes[q]!];
      expect(a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h, `labels ${p} and ${q} overlap`).toBe(false);
    }
  await page.keyboard.press('Escape');
  // remove one: the others keep their numbers (a report's "Cobb 4" stays Cobb 4); undo brings it back with its number
  const items = page.getByTestId('measurements').locator('.measurement');
  await page.getByRole('button', { name: 'Remove angle 3' }).click();
  await expect(items).toHaveCount(6);
  await expect(page.getByTestId('mark-3')).toHaveCount(0);
  await expect(page.getByTestId('mark-4')).toContainText('Cobb 4:');
  await expect(page.getByTestId('mark-5')).toContainText('note 5: L3 pedicle check');
  await expect(page.getByTestId('roi-6')).toContainText('sphere ROI 6:');
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('mark-3')).toContainText('angle 3: 90.0°');
  // kept with the twin: after a reload the same five measurements come back from the store
  await expect(page.getByTestId('measurements-saved')).toContainText('measurements saved', { timeout: 10_000 });
  const listed = await items.allInnerTexts();
  expect(listed).toHaveLength(7);
  // three rows of the list in view at once, in the strip reserved for it (review §5)
  const strip = (await page.getByTestId('measurements').boundingBox())!;
  for (let n = 0; n < 3; n++) {
    const row = (await items.nth(n).boundingBox())!;
    expect(row.y, `row ${n + 1}`).toBeGreaterThanOrEqual(strip.y);
    expect(row.y + row.height, `row ${n + 1}`).toBeLessThanOrEqual(strip.y + strip.height + 0.5);
  }
  // a screenshot of the axial view (S with the pointer over it): a PNG with the image and its measurements
  await page.mouse.move(box3.x + 30, box3.y + 30);
  const download = page.waitForEvent('download');
  await page.keyboard.press('s');
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^orthotwin-axial-twin1-\d{4}-\d{2}-\d{2}T.*\.png$/);
  const png = fs.readFileSync((await file.path())!);
  const shotContent = screenshotContent(png);
  expect(shotContent.fraction).toBeGreaterThan(0.2);
  expect(shotContent.colours).toBeGreaterThan(20);
  // the stamp is whole (review §2): the view is narrower than it, so it takes several lines, and nothing is cut
  const cap = (await probe(page, 'lastCapture'))!;
  expect(cap.view).toBe('axial');
  expect(cap.stamp).toMatch(/^E2E Surgeon Test · .* · twin v1 · OrthoTwin \S+ · axial · .* \(\d{4}-\d{2}-\d{2}T[\d:.]+Z\)$/);
  expect(cap.lines.length).toBeGreaterThan(1);
  expect(cap.lines.join('').replace(/[ ·]/g, '')).toBe(cap.stamp.replace(/[ ·]/g, ''));
  const pix = PNG.sync.read(png);
  const axialBox = (await axial.boundingBox())!;
  const scale = pix.width / axialBox.width;
  /** Pixels in a rectangle (CSS px of the view) of the PNG that pass `test`. */
  const count = (x0: number, y0: number, x1: number, y1: number, test: (r: number, g: number, b: number) => boolean): number => {
    let c = 0;
    for (let y = Math.max(0, Math.round(y0 * scale)); y < Math.min(pix.height, Math.round(y1 * scale)); y++)
      for (let x = Math.max(0, Math.round(x0 * scale)); x < Math.min(pix.width, Math.round(x1 * scale)); x++) {
        const q = 4 * (y * pix.width + x);
        if (test(pix.data[q]!, pix.data[q + 1]!, pix.data[q + 2]!)) c++;
      }
    return c;
  };
  // the stamp's first line is written in white at the top of its band (the band darkens the image below 64)
  const lineH = cap.fontPx + 4;
  const bandTop = axialBox.height - cap.lines.length * lineH - 2;
  expect(count(0, bandTop + 2, axialBox.width, bandTop + 2 + lineH, (r, g, b) => r > 200 && g > 200 && b > 200)).toBeGreaterThan(30);
  // the ellipse ROI's statistics are beside it on screen and in the PNG (orange lines below its name, right of its edge)
  await expect(axial.locator('svg text').filter({ hasText: /^ROI 2/ })).toHaveText(
    `ROI 2mean ${r[1]} HU, SD ${r[2]} HUmin ${r[3]} HU, max ${r[4]} HUarea ${r[5]} mm²`,
  );
  await expect(axial.locator('svg text').filter({ hasText: /^ruler 1: / })).toHaveText(`ruler 1: ${(100 * zoomedMmPerPx).toFixed(1)} mm`);
  const [rcx, rcy] = await probe(page, 'lpsToDisplay', 'axial', centre);
  const rxPx = rx / (await probe(page, 'mmPerPixel', 'axial'));
  const orange = (red: number, g: number, b: number): boolean => red > 200 && g > 140 && g < 215 && b < 140;
  expect(count(rcx + rxPx + 4, rcy + 4, rcx + rxPx + 160, rcy + 46, orange)).toBeGreaterThan(40);
  // S over the 3D view captures the 3D view (review §2): its render window, stamped, not another view
  const view3d = page.getByTestId('view-3d');
  const box3d = (await view3d.boundingBox())!;
  await page.mouse.move(box3d.x + box3d.width / 2, box3d.y + box3d.height / 2);
  const download3d = page.waitForEvent('download');
  await page.keyboard.press('s');
  const file3d = await download3d;
  expect(file3d.suggestedFilename()).toMatch(/^orthotwin-3d-twin1-\d{4}-\d{2}-\d{2}T.*\.png$/);
  const cap3d = (await probe(page, 'lastCapture'))!;
  expect(cap3d.view).toBe('3d');
  expect(cap3d.stamp).toMatch(/^E2E Surgeon Test · .* · twin v1 · OrthoTwin \S+ · 3D · /);
  const png3d = PNG.sync.read(fs.readFileSync((await file3d.path())!));
  expect(png3d.width / png3d.height).toBeCloseTo(box3d.width / box3d.height, 1); // the 3D view's shape, not the axial's
  const s3 = png3d.width / box3d.width;
  // the 3D scene's background (0.08, 0.09, 0.11 → RGB 20, 23, 28) fills much of it, and the surfaces are drawn
  let bg = 0;
  let lit = 0;
  for (let q = 0; q < png3d.data.length; q += 4) {
    const [R, G, B] = [png3d.data[q]!, png3d.data[q + 1]!, png3d.data[q + 2]!];
    if (Math.abs(R - 20) <= 2 && Math.abs(G - 23) <= 2 && Math.abs(B - 28) <= 2) bg++;
    else if (R + G + B > 300) lit++;
  }
  expect(bg / (png3d.width * png3d.height)).toBeGreaterThan(0.1);
  expect(lit / (png3d.width * png3d.height)).toBeGreaterThan(0.02);
  // its stamp: white text in the band at the bottom
  const band3d = (cap3d.lines.length * (cap3d.fontPx + 4) + 2) * s3;
  let white = 0;
  for (let y = Math.round(png3d.height - band3d + 2 * s3); y < png3d.height; y++)
    for (let x = 0; x < png3d.width; x++) {
      const q = 4 * (y * png3d.width + x);
      if (png3d.data[q]! > 200 && png3d.data[q + 1]! > 200 && png3d.data[q + 2]! > 200) white++;
    }
  expect(white).toBeGreaterThan(30);
  await page.reload();
  await page.getByRole('list', { name: 'patients' }).getByText('E2E Surgeon Test').click();
  await page.waitForFunction(() => window.__orthotwin?.ready === true, undefined, { timeout: 150_000 });
  await expect(items).toHaveText(listed);
  await expect(page.getByTestId('measurements-saved')).toContainText(/saved by \S+/);
  // layouts: 1 × 3 hides the 3D view; a double-click maximises a view and another restores the layout
  await page.getByLabel('Layout').selectOption('1x3');
  await expect(page.getByTestId('view-3d')).toBeHidden();
  await expect(page.getByTestId('view-sagittal')).toBeVisible();
  // maximise and restore do not move the crosshair (review §4): double-click 40 px away from it
  const before = (await probe(page, 'crosshairLps'))!;
  const coronalBox = (await page.getByTestId('view-coronal').boundingBox())!;
  const [kx, ky] = await probe(page, 'lpsToDisplay', 'coronal', before);
  await page.mouse.dblclick(coronalBox.x + kx + 40, coronalBox.y + ky + 40);
  await expect(page.getByTestId('view-axial')).toBeHidden();
  await expect(page.getByTestId('view-coronal')).toBeVisible();
  expect(await probe(page, 'crosshairLps')).toEqual(before);
  const bigBox = (await page.getByTestId('view-coronal').boundingBox())!;
  await page.mouse.dblclick(bigBox.x + bigBox.width / 3, bigBox.y + bigBox.height / 3);
  await expect(page.getByTestId('view-axial')).toBeVisible();
  expect(await probe(page, 'crosshairLps')).toEqual(before);
  // a single click still moves it
  await page.mouse.click(coronalBox.x + kx + 40, coronalBox.y + ky + 40);
  await expect.poll(() => probe(page, 'crosshairLps')).not.toEqual(before);
  // the shortcuts: an overlay over the whole window (review §3), each key once, from the table the keys use
  await page.keyboard.press('?');
  await expect(page.getByTestId('shortcuts')).toContainText('zoom about the pointer');
  expect(await page.getByTestId('shortcuts-backdrop').boundingBox()).toEqual({ x: 0, y: 0, width: 1400, height: 900 });
  const keys = await page.getByTestId('shortcuts').locator('kbd').allInnerTexts();
  expect(new Set(keys).size).toBe(keys.length);
  expect(keys.filter((x) => x === 'M')).toEqual(['M']);
  expect(keys.filter((x) => x === 'E')).toEqual(['E']);
  await page.screenshot({ path: 'test-results/planning-viewer-tools.png' });
  await page.keyboard.press('m'); // the overlay is modal: no tool behind it
  await expect(page.getByRole('button', { name: 'Ruler (M)' })).toHaveAttribute('aria-pressed', 'false');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('shortcuts')).toBeHidden();
  await page.keyboard.press('?');
  await expect(page.getByTestId('shortcuts')).toBeVisible();
  await page.keyboard.press('?'); // ? toggles
  await expect(page.getByTestId('shortcuts')).toBeHidden();
  const here = await probe(page, 'crosshairLps');
  await page.getByRole('button', { name: 'Viewer shortcuts (?)' }).click();
  await expect(page.getByTestId('shortcuts')).toBeVisible();
  const coronalNow = (await page.getByTestId('view-coronal').boundingBox())!;
  await page.mouse.click(coronalNow.x + 10, coronalNow.y + coronalNow.height - 10); // outside the dialog, over a view: closes, moves nothing
  await expect(page.getByTestId('shortcuts')).toBeHidden();
  expect(await probe(page, 'crosshairLps')).toEqual(here);
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
