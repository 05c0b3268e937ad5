/**
 * Issue 23's must-show, in Chromium against `npm run serve`: one patient with
 * two visits — visit 1 the example CT (twin and spine analysis built as in
 * spine.spec.ts), an ODI form and a Risser grade entered in the Twin overview;
 * visit 2 the C3D trial `emg/markers_analogs.c3d` and a PicoX recording with
 * IMU of a known trunk flexion (tests/helpers/imuScene.ts) imported as motion
 * sessions (service calls), and a second ODI; visit 1 has an IMU recording
 * too (same-level edges join modalities within a visit). The Twin overview then shows
 * features of every modality (CT, sEMG, IMU, PROM, clinical) in the graph
 * explorer with typed edges (same-level, same-modality, longitudinal), the
 * risk cards with model, version, source and validation, and the chord
 * diagram whose modality arcs are proportional (within 1 %) to the summed
 * |log-odds| of each modality in the `overview` result; the visit report
 * downloads as a PDF. Screenshots: test-results/twin-overview*.png.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { DATA } from './data.js';
import { ON_BACK, picoxImuRecording } from '../helpers/imuScene.js';
import { quaternionFromAxisAngle, quaternionNormalise, quaternionProduct, type Quaternion } from '../../electron/engine/motion/ahrs.js';
import type { Overview, Visit } from '../../capabilities/inference/contract.js';
import type { Patient } from '../../capabilities/patients/contract.js';
import { modalityTotals, primaryRisk, RISK_GROUP } from '../../capabilities/inference/ui/chordData.js';
import type {} from '../../capabilities/spine/ui/probe.js';
import type {} from '../../capabilities/twins/ui/probe.js';

test.skip(!DATA, 'the shared data folder is absent (set ORTHOTWIN_DATA): the overview needs the example CT and the C3D trial');

const TOKEN = process.env['ORTHOTWIN_TOKEN']!;

/** A service call on a connection of its own (single-user mode: the services answer any connection with the token). */
async function call<T>(page: Page, service: string, method: string, ...args: unknown[]): Promise<T> {
  const text = await page.evaluate(
    async ({ service, method, args, token }) => {
      const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/ws?token=${token}`);
      await new Promise((resolve, reject) => {
        ws.addEventListener('open', resolve);
        ws.addEventListener('error', reject);
      });
      const reply = new Promise<string>((resolve) =>
        ws.addEventListener('message', (m) => {
          const s = String(m.data);
          const msg = JSON.parse(s) as { t: string; id?: number };
          if (msg.t === 'result' && msg.id === 1) resolve(s);
        }),
      );
      ws.send(JSON.stringify({ t: 'invoke', id: 1, service, method, args }));
      const s = await reply;
      ws.close();
      return s;
    },
    { service, method, args, token: TOKEN },
  );
  const msg = JSON.parse(text) as { ok: boolean; value: T; error?: { code: string; message: string } };
  if (!msg.ok) throw new Error(`${service}.${method}: ${msg.error?.code} ${msg.error?.message}`);
  return msg.value;
}

/** A day `n` days after `day` (ISO). */
const addDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** Fills the ODI in the Twin overview's form: each item's answer, at a visit. */
async function fillOdi(page: Page, visitDate: string, answers: number[]): Promise<void> {
  const form = page.getByTestId('prom-form');
  await form.getByLabel('Instrument').selectOption('odi');
  await form.getByLabel('Form visit date').fill(visitDate);
  const items = form.locator('select[data-item]');
  await expect(items).toHaveCount(10);
  for (let i = 0; i < answers.length; i++) await items.nth(i).selectOption(String(answers[i]));
  await form.getByRole('button', { name: /^Submit / }).click();
  await expect(page.getByTestId('prom-saved')).toContainText(`ODI`);
  await expect(page.getByTestId('prom-saved')).toContainText(visitDate);
}

/** A PicoX recording of sensors over T12 (a 0→`peak`→0° flexion starting at 4 s) and S1 (still), 12 s (imuScene.ts), written into `dir`. */
function imuRecordingFile(dir: string, name: string, peak: number, seed: number): string {
  const flexion = (t: number): number => (t < 4 || t > 6 ? 0 : (peak / 2) * (1 - Math.cos(Math.PI * (t - 4))));
  const thoraxQ = (t: number): Quaternion => quaternionNormalise(quaternionProduct(quaternionFromAxisAngle([0, 1, 0], flexion(t)), ON_BACK));
  const bytes = picoxImuRecording({
    sensors: [
      { label: 'EMG1', description: 'erector spinae T12 left', q: thoraxQ },
      { label: 'EMG2', description: 'erector spinae S1 left', q: (): Quaternion => ON_BACK },
    ],
    seconds: 12,
    seed,
    emgNoiseV: 1e-5,
  });
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

test('Twin overview: features of every modality, typed edges, risk card, chord arcs proportional to the contributions, PDF report', async ({ page }) => {
  test.setTimeout(600_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && /same key|unique "key"|<title>/.test(m.text()) && errors.push(m.text()));
  await page.goto(`/?token=${TOKEN}`);
  await page.getByLabel('Patient name').fill('E2E Twin Overview');
  await page.getByLabel('Birth date').fill('1968-05-17');
  await page.getByRole('button', { name: 'Create patient' }).click();
  await expect(page.getByRole('list', { name: 'patients' })).toContainText('E2E Twin Overview');

  // visit 1: the example CT, its twin and its spine analysis (as spine.spec.ts)
  await page.getByLabel('Study path').fill(path.join(DATA!, 'ct', 'totalseg_example_ct.nii.gz'));
  await page.getByRole('button', { name: 'Scan' }).click();
  await page.getByLabel('patient picker').getByRole('button', { name: 'Import' }).click();
  await page.waitForFunction(() => window.__orthotwin?.ready === true, undefined, { timeout: 240_000 });
  await page.getByRole('button', { name: 'Spine', exact: true }).click();
  await page.getByRole('button', { name: 'Characterise spine' }).click();
  await page.waitForFunction(() => window.__orthotwinSpine?.version() === 1 && !window.__orthotwinSpine.busy(), undefined, { timeout: 180_000 });

  const patient = (await call<Patient[]>(page, 'patients', 'list', '')).find((p) => p.displayName === 'E2E Twin Overview')!;
  expect(patient).toBeTruthy();
  const visits = await call<Visit[]>(page, 'inference', 'visits', patient.id);
  const ctVisit = visits.find((v) => v.acquisitions.some((a) => a.kind === 'study' || a.kind === 'twin' || a.kind === 'spine'));
  expect(ctVisit, `a visit holds the CT (visits: ${JSON.stringify(visits)})`).toBeTruthy();
  const day1 = ctVisit!.visitDate;
  // the second visit a day later (a visit day may be at most tomorrow: the CT of a NIfTI has the import day)
  const day2 = addDays(day1, 1);
  console.log(`visit 1 (CT) ${day1}, visit 2 (motion) ${day2}`);

  // visit 1: the ODI and the Risser grade through the Twin overview
  await page.getByRole('button', { name: 'Twin overview', exact: true }).click();
  await expect(page.getByTestId('twin-overview')).toHaveAttribute('data-loaded', 'yes', { timeout: 120_000 });
  await fillOdi(page, day1, [2, 1, 2, 3, 1, 2, 0, 1, 2, 1]);
  await page.getByLabel('Risser grade').selectOption('4');
  await page.getByLabel('Risser visit date').fill(day1);
  await page.getByRole('button', { name: 'Store Risser grade' }).click();
  await expect(page.getByTestId('clinical-saved')).toContainText(`Risser grade 4 stored for ${day1}`);

  // visit 2: the C3D trial and a PicoX IMU recording as motion sessions (service calls), a second ODI. The graph's
  // same-level edges join modalities within one visit, so visit 1 has an IMU recording too (sensors at T12 and S1,
  // levels the CT's spine analysis measures): the trunk flexion is then also followed from visit 1 to visit 2.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orthotwin-e2e-twin-'));
  try {
    const trial = (file: string, visitDate: string, visitLabel: string): Promise<unknown> =>
      call(page, 'motion', 'importTrial', { patientId: patient.id, path: file, visitDate, visitLabel });
    await trial(imuRecordingFile(dir, 'picox-baseline_Motion.c3d', 50, 7), day1, 'baseline');
    await trial(path.join(DATA!, 'emg', 'markers_analogs.c3d'), day2, 'follow-up');
    await trial(imuRecordingFile(dir, 'picox-follow-up_Motion.c3d', 30, 23), day2, 'follow-up');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await fillOdi(page, day2, [3, 2, 3, 3, 2, 3, 1, 2, 3, 2]);
  await page.getByTestId('twin-overview').getByRole('button', { name: 'Refresh', exact: true }).click();
  await expect(page.getByTestId('twin-overview')).toHaveAttribute('data-loaded', 'yes');

  // the feature graph: nodes of every modality, typed edges; a node's edges
  const counts = page.getByTestId('node-counts');
  for (const m of ['CT', 'sEMG', 'IMU', 'PROM', 'clinical']) await expect(counts.locator(`[data-modality="${m}"]`), `features from ${m}`).toBeVisible();
  const nodeCounts = await counts
    .locator('[data-modality]')
    .evaluateAll((es) => es.map((e) => `${e.getAttribute('data-modality')} ${e.getAttribute('data-count')}`));
  const edgeCount = async (type: string): Promise<number> =>
    Number(await page.getByTestId('edge-counts').locator(`[data-type="${type}"]`).getAttribute('data-count'));
  const edges = Object.fromEntries(
    await Promise.all(
      ['same-level', 'same-site', 'derived-from', 'same-modality', 'longitudinal', 'association'].map(async (t) => [t, await edgeCount(t)] as const),
    ),
  );
  console.log(`features per modality: ${nodeCounts.join(', ')}; edges per type: ${JSON.stringify(edges)}`);
  for (const t of ['same-level', 'same-modality', 'longitudinal']) expect(edges[t], `${t} edges`).toBeGreaterThan(0);
  await expect(page.getByTestId('association-note')).not.toBeEmpty();
  for (const m of ['CT', 'sEMG', 'IMU', 'PROM', 'clinical']) {
    await page.getByLabel('Modality filter').selectOption(m);
    await expect(page.getByTestId('graph-nodes').locator('tbody tr').first()).toHaveAttribute('data-modality', m);
  }
  await page.getByLabel('Modality filter').selectOption('PROM');
  await page.getByTestId('graph-nodes').locator('tbody tr').first().click();
  await expect(page.getByTestId('node-edges').locator('tbody tr[data-type="longitudinal"]').first()).toBeVisible();
  await page.getByLabel('Modality filter').selectOption('');

  // the risk cards: model, version, source, validation
  const overview = await call<Overview>(page, 'inference', 'overview', patient.id);
  const primary = primaryRisk(overview.risks)!;
  expect(primary).toBeTruthy();
  const card = page.locator(`[data-testid="risk-card"][data-model="${primary.model.key}"]`);
  await expect(card.getByTestId('risk-title')).toHaveText(primary.model.title);
  await expect(card.getByTestId('risk-model-id')).toContainText(`${primary.model.id} v${primary.model.version}`);
  await expect(card.getByTestId('risk-citation')).toContainText(primary.model.citation);
  await expect(card.getByTestId('risk-statement')).toHaveText(primary.statement);
  await expect(card.getByTestId('risk-status')).toHaveText(
    primary.model.status === 'published' ? 'published' : primary.model.status === 'expert-prior' ? 'expert prior' : /site fit/,
  );
  await expect(card.getByTestId('risk-probability')).toContainText(`${(primary.probability * 100).toFixed(1)} %`);
  await expect(card.getByTestId('risk-waterfall').locator('[data-term]')).toHaveCount(primary.contributions.length + 1);
  await expect(page.getByTestId('risk-card')).toHaveCount(overview.risks.length);

  // the chord diagram: each modality's arc ∝ its summed |log-odds| (intercept excluded), relative to the Risk arc (∝ all terms)
  const arcs = await page
    .getByTestId('chord-diagram')
    .locator('path[data-group]')
    .evaluateAll((ps) =>
      ps.map((p) => ({
        group: p.getAttribute('data-group')!,
        kind: p.getAttribute('data-kind')!,
        extent: Number(p.getAttribute('data-end-angle')) - Number(p.getAttribute('data-start-angle')),
        value: Number(p.getAttribute('data-value')),
      })),
    );
  const totals = modalityTotals(primary.contributions);
  const all = [...totals.values()].reduce((s, v) => s + v, 0);
  const risk = arcs.find((a) => a.group === RISK_GROUP)!;
  expect(risk, 'the Risk group').toBeTruthy();
  const modalityArcs = arcs.filter((a) => a.kind === 'modality');
  expect(modalityArcs.map((a) => a.group).sort()).toEqual([...totals.keys()].sort());
  const lines: string[] = [];
  let worst = 0;
  for (const a of modalityArcs) {
    const expected = totals.get(a.group)! / all;
    const measured = a.extent / risk.extent;
    lines.push(
      `${a.group}: arc ${((a.extent * 180) / Math.PI).toFixed(2)}°, arc/Risk ${measured.toFixed(4)} vs Σ|log-odds| share ${expected.toFixed(4)} (${totals.get(a.group)!.toFixed(4)} of ${all.toFixed(4)})`,
    );
    if (expected === 0) expect(measured).toBeLessThan(1e-9);
    else {
      worst = Math.max(worst, Math.abs(measured / expected - 1));
      expect(Math.abs(measured / expected - 1), `${a.group}'s arc vs its contributions`).toBeLessThan(0.01);
    }
  }
  console.log(
    `chord (${primary.model.key}): largest relative difference ${worst.toExponential(2)}; Risk arc ${((risk.extent * 180) / Math.PI).toFixed(2)}°\n  ${lines.join('\n  ')}`,
  );

  fs.mkdirSync('test-results', { recursive: true });
  await page.getByTestId('chord-diagram').screenshot({ path: 'test-results/twin-overview-chord.png' });
  // the workspace scrolls in its own column: a window as tall as the overview shows all of it
  const tall = await page.getByTestId('twin-overview').evaluate((e) => Math.ceil(e.scrollHeight + e.getBoundingClientRect().top + 20));
  await page.setViewportSize({ width: 1400, height: Math.min(tall, 6000) });
  await page.screenshot({ path: 'test-results/twin-overview.png', fullPage: true });
  await page.setViewportSize({ width: 1400, height: 900 });

  // trends and advice
  await expect(page.getByTestId('trend').first()).toBeVisible();
  await expect(page.getByTestId('risk-over-time')).toBeVisible();
  await expect(page.getByTestId('advice')).toBeVisible();

  // the visit report
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Visit report (PDF)' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/\.pdf$/);
  const pdf = fs.readFileSync((await file.path())!);
  expect(pdf.subarray(0, 4).toString('latin1')).toBe('%PDF');
  await expect(page.getByTestId('report-saved')).toContainText(file.suggestedFilename());

  // Help → Risk models: every model the site holds, with its citation, status and coefficient sources
  await page.getByRole('button', { name: 'Help', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Risk models' }).click();
  const dialog = page.getByRole('dialog', { name: 'Risk models' });
  for (const r of overview.risks) {
    const entry = dialog.locator(`[data-model="${r.model.key}"]`);
    await expect(entry).toContainText(r.model.citation);
    await expect(entry).toContainText(r.model.validation);
  }
  await dialog.getByRole('button', { name: 'Close' }).click();

  // the patient's outcome, then the Site cohort workspace: statistics only, and a refit refused with its reason
  await page.getByRole('button', { name: 'Twin overview', exact: true }).click();
  await page.getByLabel('Had surgery').check();
  await page.getByLabel('Surgery date').fill(day2);
  await page.getByRole('button', { name: 'Store outcome' }).click();
  await expect(page.getByTestId('outcome-saved')).toContainText(`Outcome stored: surgery on ${day2}`);
  await page.getByRole('navigation', { name: 'workspaces' }).getByRole('button', { name: 'Site cohort' }).click();
  await expect(page.getByTestId('cohort-counts')).toContainText(/with a recorded outcome, 1 of them with surgery/);
  await expect(page.getByTestId('fit-lonstein-carlson-1984')).toHaveCount(0); // it predicts curve progression, not surgery
  await page.getByTestId('fit-msdt-lumbar-surgery-prior').click();
  await expect(page.getByTestId('site-message')).toContainText(/at least 100 patients/);
  await page.screenshot({ path: 'test-results/site-cohort.png' });
  expect(errors).toEqual([]);
});
