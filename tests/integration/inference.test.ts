/**
 * The inference engine through the service API (issue 23, must-show 1's
 * service side, 2's contributions, 4's report, 5's roles): one patient with
 * two visits — visit 1: the real 2000 Hz C3D trial (`emg/markers_analogs.c3d`)
 * and an ODI form; visit 2: the example CT's twin and spine analysis, a PicoX
 * recording with IMU (four erector spinae sensors at T12 and S1, left and
 * right; the thorax sensor flexes) and a second ODI form — give a feature
 * graph with nodes of every modality (CT, sEMG, IMU, PROM, clinical) and
 * typed edges (same level across modalities, same site, derived-from for the
 * symmetry indices, same modality, longitudinal); the graph is versioned
 * (unchanged records: same version); the risk under every shipped model has
 * contributions summing to its logit, names its model, version, source and
 * validation status; forms are scored by their rules and bad answers refused
 * naming the item; the visit report PDF holds the risk card, trends and
 * advice (read back by poppler's pdftotext); a researcher sees cohort
 * statistics, not a patient's risk; a cohort of 30 patients is refused for
 * site learning with the reason; `twin risk --json` prints the contract's
 * shape.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { failure, serviceCaller, signInThreeRoles } from '../helpers/serviceCalls.js';
import type { CallContext } from '../../electron/services/access.js';
import { SitePolicy } from '../../electron/services/policy.js';
import type { Patient } from '../../capabilities/patients/contract.js';
import type { MotionSessionDetail } from '../../capabilities/motion/contract.js';
import type { CohortSummary, FeatureGraph, Overview, PromResponse, ReportFile, RiskModelEntry, RiskResult } from '../../capabilities/inference/contract.js';
import { quaternionFromAxisAngle, quaternionNormalise, quaternionProduct, type Quaternion } from '../../electron/engine/motion/ahrs.js';
import { ON_BACK, picoxImuRecording } from '../helpers/imuScene.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('inference-');
let host: ServiceHost;
const PASSWORD = 'correct horse battery';
const call = serviceCaller(() => host);
const fail = failure;
const admin: CallContext = { token: null },
  surgeon: CallContext = { token: null },
  research: CallContext = { token: null };

const VISIT1 = '2026-11-20';
const flexion = (t: number): number => (t < 3 || t > 5 ? 0 : 20 * (1 - Math.cos(Math.PI * (t - 3))));
const thorax = (t: number): Quaternion => quaternionNormalise(quaternionProduct(quaternionFromAxisAngle([0, 1, 0], flexion(t)), ON_BACK));

describeData('the inference engine: a patient’s two visits, feature graph, risk, report', () => {
  let patient: Patient;
  let visit2 = '';
  let first: FeatureGraph;
  let overview: Overview;
  beforeAll(async () => {
    host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', policy: SitePolicy.parse({ lockSeconds: 3600 }) });
    await signInThreeRoles(call, { admin, surgeon, research }, PASSWORD);
    patient = (await call(surgeon, 'patients', 'create', { displayName: 'Inga Ference', mrn: 'INF-1', birthDate: '1961-04-15' })) as Patient;
    // visit 2: the example CT's twin and its spine analysis (the NIfTI has no study date: the visit is the build's day)
    const jobId = (await call(surgeon, 'studies', 'import', {
      patientId: patient.id,
      path: dataPath('ct/totalseg_example_ct.nii.gz'),
      strict: true,
      buildTwin: true,
      modality: 'CT',
      confirmIdentity: true,
    })) as string;
    expect((await host.jobs.wait(jobId)).job.status).toBe('done');
    const twin = (await host.impl.twins.list(patient.id))[0]!;
    visit2 = twin.createdAt.slice(0, 10);
    const spineJob = (await call(surgeon, 'spine', 'analyse', twin.id)) as string;
    const spineDone = (await host.jobs.wait(spineJob)).job;
    expect(spineDone.error).toBeNull();
    expect(spineDone.status).toBe('done');
    // visit 1: the real C3D trial and an ODI form
    await call(surgeon, 'motion', 'importTrial', {
      patientId: patient.id,
      path: dataPath('emg/markers_analogs.c3d'),
      visitDate: VISIT1,
      visitLabel: 'baseline',
    });
    await call(surgeon, 'inference', 'submitProm', {
      patientId: patient.id,
      visitDate: VISIT1,
      visitLabel: 'baseline',
      instrument: 'odi',
      answers: [2, 1, 3, 2, 2, 3, 1, 0, 2, 2],
    });
    first = (await call(surgeon, 'inference', 'graph', patient.id, {})) as FeatureGraph;
    // visit 2: the IMU recording (PicoX, four erector spinae sensors) and a second ODI form
    const imuFile = path.join(tmp.dir, 'picox-imu_Motion.c3d');
    fs.writeFileSync(
      imuFile,
      picoxImuRecording({
        sensors: [
          { label: 'EMG1', description: 'erector spinae T12 left', q: thorax },
          { label: 'EMG2', description: 'erector spinae T12 right', q: thorax },
          { label: 'EMG3', description: 'erector spinae S1 left', q: (): Quaternion => ON_BACK },
          { label: 'EMG4', description: 'erector spinae S1 right', q: (): Quaternion => ON_BACK },
        ],
        seconds: 8,
        seed: 5,
        emgNoiseV: 1e-4,
      }),
    );
    const imu = (await call(surgeon, 'motion', 'importTrial', {
      patientId: patient.id,
      path: imuFile,
      visitDate: visit2,
      visitLabel: 'pre-op',
    })) as MotionSessionDetail;
    expect(imu.features.some((f) => f.name === 'imu.trunk_flexion_rom')).toBe(true);
    await call(surgeon, 'inference', 'submitProm', {
      patientId: patient.id,
      visitDate: visit2,
      visitLabel: 'pre-op',
      instrument: 'odi',
      answers: [3, 2, 4, 3, 3, 4, 2, null, 3, 3],
    });
    overview = (await call(surgeon, 'inference', 'overview', patient.id)) as Overview;
  }, 300_000);
  afterAll(() => {
    host?.close();
    tmp.cleanup();
  });

  it('makes two visits, each holding its acquisitions', () => {
    const v = overview.graph.visits;
    expect(v.map((x) => x.visitDate)).toEqual([VISIT1, visit2]);
    expect(v[0]!.label).toBe('baseline');
    expect(v[0]!.acquisitions.map((a) => a.kind).sort()).toEqual(['motion', 'prom']);
    expect(v[1]!.acquisitions.map((a) => a.kind).sort()).toEqual(['motion', 'prom', 'spine', 'twin']);
  });

  it('builds a graph with nodes from every modality and typed edges', () => {
    const g = overview.graph;
    const modalities = new Set(g.nodes.map((n) => n.modality));
    for (const m of ['CT', 'sEMG', 'IMU', 'PROM', 'clinical'] as const) expect(modalities.has(m), m).toBe(true);
    const byType = new Map<string, number>();
    for (const e of g.edges) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
    console.log(`graph v${g.version}: ${g.nodes.length} nodes; edges ${JSON.stringify(Object.fromEntries(byType))}`);
    for (const t of ['same-level', 'same-site', 'derived-from', 'same-modality', 'longitudinal']) expect(byType.get(t) ?? 0, t).toBeGreaterThan(0);
    const node = (id: string) => g.nodes.find((n) => n.id === id)!;
    // the spine's T12 features meet the sEMG of the electrodes at T12, in the same visit
    const cross = g.edges.filter((e) => e.type === 'same-level' && node(e.source).modality !== node(e.target).modality);
    expect(cross.some((e) => [node(e.source), node(e.target)].some((n) => n.modality === 'CT' && n.level === 'T12'))).toBe(true);
    // a symmetry index comes from the left and right channels at its level
    const sym = g.nodes.find((n) => n.name === 'emg.symmetry_rms' && n.level === 'T12')!;
    const from = g.edges.filter((e) => e.type === 'derived-from' && e.target === sym.id).map((e) => node(e.source));
    expect(from.map((n) => n.side).sort()).toEqual(['left', 'right']);
    // the ODI at both visits, with its change
    const odi = g.edges.find((e) => e.type === 'longitudinal' && node(e.source).name === 'odi')!;
    expect(node(odi.source).value).toBeCloseTo(((2 + 1 + 3 + 2 + 2 + 3 + 1 + 0 + 2 + 2) / 50) * 100, 9);
    expect(node(odi.target).value).toBeCloseTo(((3 + 2 + 4 + 3 + 3 + 4 + 2 + 3 + 3) / 45) * 100, 9);
    expect(odi.weight).toBeCloseTo(node(odi.target).value! - node(odi.source).value!, 12);
    // scales as in the seed's table
    expect(g.nodes.find((n) => n.name === 'spine.trabecular_hu_mean')!.scale).toBe('micro');
    expect(g.nodes.find((n) => n.name === 'spine.disc_height_mean_ap')!.scale).toBe('meso');
    expect(g.nodes.find((n) => n.name === 'imu.trunk_flexion_rom')!.scale).toBe('macro');
    expect(g.associationNote).toMatch(/No association edges: the site's cohort has 0 patients/);
  });

  it('versions the graph: a new version when the records changed, the same one when not', async () => {
    expect(overview.graph.version).toBe(first.version + 1);
    const again = (await call(surgeon, 'inference', 'graph', patient.id, {})) as FeatureGraph;
    expect(again.version).toBe(overview.graph.version);
    const old = (await call(surgeon, 'inference', 'graph', patient.id, { version: first.version })) as FeatureGraph;
    expect(old.nodes.length).toBe(first.nodes.length);
    const imuOnly = (await call(surgeon, 'inference', 'graph', patient.id, { modality: 'IMU' })) as FeatureGraph;
    expect(imuOnly.nodes.length).toBeGreaterThan(0);
    expect(imuOnly.nodes.every((n) => n.modality === 'IMU')).toBe(true);
    const ids = new Set(imuOnly.nodes.map((n) => n.id));
    expect(imuOnly.edges.every((e) => ids.has(e.source) && ids.has(e.target))).toBe(true);
  });

  it('gives the risk under every shipped model: contributions sum to the logit, model, version, source and validation named', async () => {
    const models = (await call(surgeon, 'inference', 'models')) as RiskModelEntry[];
    expect(models.filter((m) => m.origin === 'shipped').length).toBeGreaterThanOrEqual(2);
    expect(overview.risks.length).toBe(models.filter((m) => m.origin === 'shipped').length);
    for (const r of overview.risks) {
      const sum = r.contributions.reduce((s, c) => s + c.logOdds, 0);
      expect(Math.abs(sum - r.logit)).toBeLessThan(1e-12);
      expect(r.probability).toBeCloseTo(1 / (1 + Math.exp(-r.logit)), 12);
      expect(r.interval[0]).toBeLessThanOrEqual(r.probability);
      expect(r.interval[1]).toBeGreaterThanOrEqual(r.probability);
      expect(r.model.version).not.toBe('');
      expect(r.model.citation.length).toBeGreaterThan(20);
      expect(r.statement).toContain("Not validated on this site's population");
      for (const c of r.contributions) expect(c.source.length).toBeGreaterThan(3);
    }
    // an adolescent model says nothing for a 65-year-old: no probability, with the reason
    const lc = overview.risks.find((r) => r.model.id === 'lonstein-carlson-1984')!;
    expect(lc.withheld).toMatch(/^No probability: Age 6\d(\.\d)? years: the model is developed on children and adolescents/);
    const prior = overview.risks.find((r) => r.model.status === 'expert-prior')!;
    expect(prior.withheld).toBeNull();
    console.log(
      `${prior.model.key}: ${(100 * prior.probability).toFixed(1)} % [${(100 * prior.interval[0]).toFixed(1)}, ${(100 * prior.interval[1]).toFixed(1)}]; ` +
        prior.contributions.map((c) => `${c.feature}${c.imputed ? '*' : ''} ${c.logOdds.toFixed(3)}`).join(', '),
    );
    // the ODI, the spine and the IMU fill the prior's inputs from the graph; the contributions name their nodes
    for (const f of ['odi', 'cobb', 'l1_hu', 'disc_height', 'trunk_rom']) {
      const c = prior.contributions.find((x) => x.feature === f);
      expect(c, f).toBeDefined();
      expect(c!.imputed, f).toBe(false);
      expect(overview.graph.nodes.some((n) => n.id === c!.nodeId)).toBe(true);
    }
    expect(prior.contributions.find((c) => c.feature === 'odi')!.value).toBeCloseTo(((3 + 2 + 4 + 3 + 3 + 4 + 2 + 3 + 3) / 45) * 100, 9);
    // a leg-pain NRS was never asked: imputed, and the next examination says what would narrow the interval most
    expect(prior.missing.map((m) => m.input)).toContain('nrs_leg');
    const next = overview.advice.find((a) => a.kind === 'next-exam')!;
    expect(next.expectedReduction!).toBeGreaterThan(0);
    expect(overview.riskOverTime.map((p) => p.visitDate)).toEqual([VISIT1, visit2]);
  });

  it('scores forms by their rules and refuses bad answers naming the item', async () => {
    const rm = (await call(surgeon, 'inference', 'submitProm', {
      patientId: patient.id,
      visitDate: visit2,
      instrument: 'rmdq',
      answers: [1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0],
    })) as PromResponse;
    expect(rm.score.total).toBe(12);
    const bad = await fail(
      call(surgeon, 'inference', 'submitProm', { patientId: patient.id, visitDate: visit2, instrument: 'odi', answers: [2, 1, 7, 2, 2, 3, 1, 0, 2, 2] }),
    );
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toMatch(/item 3/i);
    const short = await fail(call(surgeon, 'inference', 'submitProm', { patientId: patient.id, visitDate: visit2, instrument: 'nrs-leg', answers: [3, 4] }));
    expect(short.code).toBe('BAD_REQUEST');
    const early = await fail(call(surgeon, 'inference', 'submitProm', { patientId: patient.id, visitDate: '1950-01-01', instrument: 'nrs-leg', answers: [3] }));
    expect(early).toEqual({ code: 'BAD_REQUEST', message: "the visit day 1950-01-01 is before the patient's birth date 1961-04-15" });
  });

  it('writes the visit report PDF with the risk card, trends and advice', async () => {
    const rep = (await call(surgeon, 'inference', 'reportPdf', patient.id)) as ReportFile;
    const pdf = Buffer.from(rep.base64, 'base64');
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(rep.fileName).toBe(`orthotwin-visit-report-${visit2}.pdf`);
    const file = path.join(tmp.dir, rep.fileName);
    fs.writeFileSync(file, pdf);
    if (spawnSync('pdftotext', ['-v']).error) throw new Error('pdftotext (poppler-utils) is not installed: .ci/run installs it');
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(rep.pages).toBeGreaterThanOrEqual(1);
    expect(text).toContain('OrthoTwin visit report');
    expect(text).toContain('Inga Ference');
    const prior = overview.risks.find((r) => r.model.status === 'expert-prior')!;
    expect(text).toContain(prior.model.title);
    expect(text).toContain(`Probability ${(100 * prior.probability).toFixed(1)} %`);
    expect(text).toMatch(/Trends/);
    expect(text).toContain(`Oswestry Disability Index: ${VISIT1} 36.0 -> ${visit2} 60.0`);
    expect(text).toMatch(/What would help most next/);
    expect(text).toContain("Not validated on this site's population");
  });

  it('lets a researcher see the cohort statistics, not a patient’s risk; outcomes and fits are the clinicians’ and administrators’', async () => {
    expect((await fail(call(research, 'inference', 'overview', patient.id))).code).toBe('FORBIDDEN');
    expect((await fail(call(research, 'inference', 'risk', patient.id))).code).toBe('FORBIDDEN');
    const c = (await call(research, 'inference', 'cohort')) as CohortSummary;
    expect(c.patients).toBe(1);
    expect(JSON.stringify(c)).not.toContain(patient.id);
    const g = (await call(research, 'inference', 'graph', patient.id, {})) as FeatureGraph;
    expect(g.visits.every((v) => v.visitDate === '1900-01-01' && v.acquisitions.length === 0)).toBe(true);
    expect((await fail(call(research, 'inference', 'recordOutcome', { patientId: patient.id, surgery: false }))).code).toBe('FORBIDDEN');
    expect((await fail(call(surgeon, 'inference', 'fitSiteModel', 'msdt-lumbar-surgery-prior@1.0.0'))).code).toBe('FORBIDDEN');
  });

  it('refuses to learn from a cohort of 30 patients, with the reason', async () => {
    for (let i = 0; i < 30; i++) {
      const p = (await call(surgeon, 'patients', 'create', { displayName: `Cohort ${i}`, mrn: `C-${i}` })) as Patient;
      await call(surgeon, 'inference', 'submitProm', { patientId: p.id, visitDate: VISIT1, instrument: 'odi', answers: [i % 6, 1, 2, 2, 1, 2, 1, 0, 2, 2] });
      await call(surgeon, 'inference', 'graph', p.id, {});
      await call(surgeon, 'inference', 'recordOutcome', { patientId: p.id, surgery: i % 5 === 0, surgeryDate: i % 5 === 0 ? visit2 : null });
    }
    const r = await fail(call(admin, 'inference', 'fitSiteModel', 'msdt-lumbar-surgery-prior@1.0.0'));
    expect(r.code).toBe('BAD_REQUEST');
    console.log(`refusal: ${r.message}`);
    expect(r.message).toMatch(/too small|at least/i);
    expect(r.message).toMatch(/30 left out/);
    const audit = host.store.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'edit' AND record_type = 'outcome'").pluck().get() as number;
    expect(audit).toBe(30);
  }, 120_000);

  it('prints the risk with `twin risk --json` in the contract’s shape', () => {
    host.close();
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'electron/cli/twin.ts', 'risk', '--data-dir', path.join(tmp.dir, 'data'), '--patient', 'INF-1', '--json'],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as RiskResult & { advice: unknown[]; model: { key: string } };
    expect(out.model.key).toBe('msdt-lumbar-surgery-prior@1.0.0');
    expect(out.interval).toHaveLength(2);
    expect(Math.abs(out.contributions.reduce((s, c) => s + c.logOdds, 0) - out.logit)).toBeLessThan(1e-12);
    for (const c of out.contributions) expect(Object.keys(c)).toEqual(expect.arrayContaining(['feature', 'value', 'logOdds', 'source']));
    expect(out.advice.length).toBeGreaterThan(0);
    const missing = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'electron/cli/twin.ts', 'risk', '--data-dir', path.join(tmp.dir, 'data'), '--patient', 'NOBODY'],
      {
        encoding: 'utf8',
      },
    );
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no patient with the record id or ID NOBODY');
    host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', policy: SitePolicy.parse({ lockSeconds: 3600 }) });
  }, 180_000);
});
