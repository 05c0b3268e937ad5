/**
 * Pedicle screw planning on the example CT (issue 24 §1), built through the
 * services as the UI does: twin, spine analysis, automatic plan (version 1),
 * an edit (version 2), a reload of the store; a deliberately lateral
 * trajectory; and the breach depth of the screw surface against SciPy's
 * `distance_transform_edt` (Debian python3-scipy through /usr/bin/python3;
 * that part skips without it).
 *
 * Published ranges asserted (stated, with their source):
 * - transverse angle (medial convergence, axial CT) at L1–L5: between 5° and
 *   35° — Zindrick et al., Spine 1987;12:160–166, report lumbar means rising
 *   from about 11° at L1 to about 30° at L5; the range is their span widened
 *   by the ±5° our refinement may turn — and L5's mean above L1's;
 * - transverse pedicle width: within 5 mm of Zindrick's means (L1 8.7, L2
 *   8.9, L3 10.3, L4 12.9, L5 18.0 mm; Panjabi et al., Spine 1992;17:299–306,
 *   agree within about 1 mm) — 5 mm = one 3 mm voxel of the label map (the
 *   widths are label runs) plus about one published SD (≈ 2 mm).
 *
 * Every L1–L5 screw grades A; at L3 right and L4 both sides only after the
 * axis search widened to ±4 mm / ±10° (noted on those screws). What the
 * issue asks and the 3 mm example CT does not give (asserted as it is, see
 * `it.fails` below): a 6 mm lateral entry graded C or worse at every level
 * — C at L1 right, L2 right and L3 left, B at the other L1–L4 screws, A at
 * L5, whose 17–19 mm pedicles hold it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { SitePolicy } from '../../electron/services/policy.js';
import type { CallContext } from '../../electron/services/access.js';
import type { Patient } from '../../capabilities/patients/contract.js';
import type { GradedTrajectory, ScrewPlan } from '../../capabilities/planning/contract.js';
import { analysisInputs } from '../../capabilities/planning/index.js';
import { gradeScrew, LabelQuery, vertebraFrame } from '../../electron/engine/planning/pedicleScrews.js';
import { lpsToIndex } from '../../math/geometry.js';
import { serviceCaller } from '../helpers/serviceCalls.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('screws-');
const dataDir = path.join(tmp.dir, 'data');
let host: ServiceHost;
const PASSWORD = 'correct horse battery';
const call = serviceCaller(() => host);
const admin: CallContext = { token: null },
  surgeon: CallContext = { token: null };
const LEVELS = ['L1', 'L2', 'L3', 'L4', 'L5'];
const ZINDRICK_WIDTH: Record<string, number> = { L1: 8.7, L2: 8.9, L3: 10.3, L4: 12.9, L5: 18.0 };
const PY = '/usr/bin/python3';
const scipyOk = spawnSync(PY, ['-c', 'import scipy, numpy'], { encoding: 'utf8' }).status === 0;

afterAll(() => {
  host?.close();
  tmp.cleanup();
});

describeData('pedicle screw planning on the example CT', () => {
  let twinId = '';
  let analysisId = '';
  let plan: ScrewPlan;
  const lateral: { level: string; side: 'left' | 'right'; entry: number[]; target: number[]; diameter: number; graded: GradedTrajectory }[] = [];

  beforeAll(async () => {
    host = createServices({ dataDir, transport: 'cli', policy: SitePolicy.parse({ lockSeconds: 3600 }) });
    await call({ token: null }, 'users', 'create', { username: 'it', displayName: 'Hospital IT', role: 'administrator', password: PASSWORD });
    await call(admin, 'auth', 'login', 'it', PASSWORD);
    await call(admin, 'users', 'create', { username: 'dr.screw', displayName: 'S. Crew', role: 'surgeon', password: PASSWORD });
    await call(surgeon, 'auth', 'login', 'dr.screw', PASSWORD);
    const patient = (await call(surgeon, 'patients', 'create', { displayName: 'Ped Icle', mrn: 'PS-1', birthDate: '1960-01-01' })) as Patient;
    const jobId = (await call(surgeon, 'studies', 'import', {
      patientId: patient.id,
      path: dataPath('ct/totalseg_example_ct.nii.gz'),
      strict: true,
      buildTwin: true,
      modality: 'CT',
      confirmIdentity: true,
    })) as string;
    expect((await host.jobs.wait(jobId)).job.status).toBe('done');
    twinId = (await host.impl.twins.list(patient.id))[0]!.id;
    const spine = (await host.jobs.wait((await call(surgeon, 'spine', 'analyse', twinId)) as string)).job;
    expect(spine.status).toBe('done');
    analysisId = spine.resultId!;
    const t0 = performance.now();
    const planId = (await call(surgeon, 'planning', 'proposeScrews', analysisId)) as string;
    console.log(`[screws] proposal in-process: ${Math.round(performance.now() - t0)} ms`);
    plan = (await call(surgeon, 'planning', 'plan', planId)) as ScrewPlan;
    for (const s of plan.screws)
      console.log(
        `[screws] ${s.level} ${s.side}: width ${s.isthmus?.widthMm} height ${s.isthmus?.heightMm} mm, transverse ${s.transverseAngleDeg}° sagittal ${s.sagittalAngleDeg}°, ` +
          `⌀${s.diameterMm} × ${s.lengthMm} mm, grade ${s.breach.grade} (worst ${s.breach.worstBreachMm} mm${s.breach.direction ? ' ' + s.breach.direction : ''})`,
      );
    // the deliberately lateral trajectory: the entry 6 mm lateral in the vertebra's frame, the same target
    const { report } = analysisInputs(host.store, analysisId);
    for (const s of plan.screws) {
      const v = report.vertebrae.find((x) => x.name === s.level)!;
      const f = vertebraFrame(v)!;
      const sg = s.side === 'left' ? 1 : -1;
      const entry = s.entryLps.map((x, i) => x + 6 * sg * f.left[i]!);
      const graded = (await call(surgeon, 'planning', 'gradeTrajectory', analysisId, {
        level: s.level,
        side: s.side,
        entryLps: entry,
        targetLps: s.targetLps,
        diameterMm: s.diameterMm,
      })) as GradedTrajectory;
      lateral.push({ level: s.level, side: s.side, entry, target: [...s.targetLps], diameter: s.diameterMm, graded });
      console.log(
        `[screws] ${s.level} ${s.side} 6 mm lateral entry: grade ${graded.breach.grade} (${graded.breach.worstBreachMm} mm ${graded.breach.direction ?? ''})`,
      );
    }
  }, 900_000);

  it('plans L1–L5 on both sides; at most a sub-2 mm (grade B) breach anywhere, and at least 7 of the 10 grade A', () => {
    for (const l of LEVELS)
      for (const side of ['left', 'right'])
        expect(
          plan.screws.find((s) => s.level === l && s.side === side),
          `${l} ${side}`,
        ).toBeTruthy();
    const lumbar = plan.screws.filter((s) => LEVELS.includes(s.level));
    for (const s of lumbar) expect(s.breach.worstBreachMm, `${s.level} ${s.side}`).toBeLessThan(2);
    expect(lumbar.filter((s) => s.breach.grade === 'A').length).toBeGreaterThanOrEqual(7);
    // sizes from the catalogue, within 80 % of the isthmus
    for (const s of lumbar) {
      expect(plan.catalogue.diametersMm).toContain(s.diameterMm);
      expect(plan.catalogue.lengthsMm).toContain(s.lengthMm);
    }
    expect(plan.version).toBe(1);
    expect(plan.resolution).toMatch(/3 × 3 × 3 mm/);
  });

  it('transverse angles converge within the published lumbar range, rising from L1 to L5 (Zindrick 1987)', () => {
    const mean = (l: string) => plan.screws.filter((s) => s.level === l).reduce((a, s) => a + s.transverseAngleDeg, 0) / 2;
    for (const s of plan.screws.filter((x) => LEVELS.includes(x.level))) {
      expect(s.transverseAngleDeg, `${s.level} ${s.side}`).toBeGreaterThanOrEqual(5);
      expect(s.transverseAngleDeg, `${s.level} ${s.side}`).toBeLessThanOrEqual(35);
    }
    expect(mean('L5')).toBeGreaterThan(mean('L1'));
  });

  it('pedicle widths within 5 mm of Zindrick’s means (one 3 mm voxel + one SD)', () => {
    for (const s of plan.screws.filter((x) => LEVELS.includes(x.level)))
      expect(Math.abs(s.isthmus!.widthMm - ZINDRICK_WIDTH[s.level]!), `${s.level} ${s.side} ${s.isthmus!.widthMm} mm`).toBeLessThanOrEqual(5);
  });

  it('a 6 mm lateral entry (same target) breaches laterally: C or worse at L1–L3 on at least 3 of their screws, never better than the proposal there', () => {
    const upper = lateral.filter((x) => ['L1', 'L2', 'L3'].includes(x.level));
    const order = 'ABCDE';
    for (const x of upper) {
      const p = plan.screws.find((s) => s.level === x.level && s.side === x.side)!;
      expect(order.indexOf(x.graded.breach.grade), `${x.level} ${x.side}`).toBeGreaterThanOrEqual(order.indexOf(p.breach.grade));
    }
    expect(upper.filter((x) => 'CDE'.includes(x.graded.breach.grade)).length).toBeGreaterThanOrEqual(3);
  });

  it.fails('issue 24: a 6 mm lateral entry grades C or worse at every level (not met: L5’s wide pedicles hold it)', () => {
    for (const x of lateral.filter((y) => LEVELS.includes(y.level))) expect('CDE', `${x.level} ${x.side}`).toContain(x.graded.breach.grade);
  });

  it('an edit is re-graded and saved as version 2; both versions survive a reload of the store', async () => {
    const s = plan.screws.find((x) => x.level === 'L2' && x.side === 'right')!;
    const lat = lateral.find((x) => x.level === 'L2' && x.side === 'right')!;
    const v2 = (await call(
      surgeon,
      'planning',
      'savePlan',
      plan.id,
      [{ level: 'L2', side: 'right', entryLps: lat.entry, targetLps: lat.target, diameterMm: s.diameterMm }],
      { note: 'lateral entry, for the test' },
    )) as ScrewPlan;
    expect(v2.version).toBe(2);
    const edited = v2.screws.find((x) => x.level === 'L2' && x.side === 'right')!;
    expect(edited.edited).toBe(true);
    expect(edited.breach.grade).toBe(lat.graded.breach.grade);
    host.close();
    host = createServices({ dataDir, transport: 'cli', policy: SitePolicy.parse({ lockSeconds: 3600 }) });
    await call(admin, 'auth', 'login', 'it', PASSWORD);
    const plans = (await call(admin, 'planning', 'plans', twinId)) as ScrewPlan[];
    expect(plans.map((p) => p.version)).toEqual([2, 1]);
    expect(plans[1]).toEqual(plan);
    expect(plans[0]).toEqual(v2);
  });

  it.skipIf(!scipyOk)('breach depths agree with scipy.ndimage.distance_transform_edt (voxel centres exactly, screw surfaces within one voxel)', () => {
    const { labels, report } = analysisInputs(host.store, analysisId);
    const [nx, ny, nz] = labels.dims;
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'edt-'));
    const centres: number[][] = [];
    const surface: { label: number; p: number[]; ours: number }[] = [];
    const labelsUsed = new Set<number>();
    for (const x of lateral.filter((y) => LEVELS.includes(y.level))) {
      const v = report.vertebrae.find((y) => y.name === x.level)!;
      const q = new LabelQuery(labels, v.label);
      labelsUsed.add(v.label);
      const g = gradeScrew(q, vertebraFrame(v)!, x.side, x.entry as [number, number, number], x.target as [number, number, number], x.diameter);
      for (const s of g.points.filter((_, i) => i % 7 === 0)) {
        surface.push({ label: v.label, p: lpsToIndex(labels, s.pointLps), ours: s.breachMm });
        const c = lpsToIndex(labels, s.pointLps).map(Math.round);
        centres.push([v.label, c[0]!, c[1]!, c[2]!, q.centreDistance(c[0]!, c[1]!, c[2]!, 40)]);
      }
    }
    fs.writeFileSync(path.join(dir, 'labels.raw'), Buffer.from(Uint8Array.from(labels.data as ArrayLike<number>)));
    fs.writeFileSync(path.join(dir, 'points.json'), JSON.stringify({ centres, surface: surface.map((s) => [s.label, ...s.p]) }));
    const py = `
import json, sys, numpy as np
from scipy.ndimage import distance_transform_edt, map_coordinates
d = sys.argv[1]
lab = np.fromfile(d + '/labels.raw', dtype=np.uint8).reshape(${nz}, ${ny}, ${nx})
pts = json.load(open(d + '/points.json'))
sp = (${labels.spacingMm[2]}, ${labels.spacingMm[1]}, ${labels.spacingMm[0]})
out = {'centres': [], 'surface': []}
for L in sorted(set(int(c[0]) for c in pts['centres'])):
    e = distance_transform_edt(lab != L, sampling=sp)
    for c in pts['centres']:
        if int(c[0]) == L: out['centres'].append([float(e[int(c[3]), int(c[2]), int(c[1])]), c[4]])
    for s in pts['surface']:
        if int(s[0]) == L:
            out['surface'].append(float(map_coordinates(e, [[s[3]], [s[2]], [s[1]]], order=1, mode='nearest')[0]))
import scipy; out['scipy'] = scipy.__version__
print(json.dumps(out))
`;
    const r = spawnSync(PY, ['-c', py, dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { centres: [number, number][]; surface: number[]; scipy: string };
    const dc = Math.max(...res.centres.map(([a, b]) => Math.abs(a - b)));
    // the surface points in the same order as the labels were visited by the peer (sorted labels, in order)
    const ordered = [...labelsUsed].sort((a, b) => a - b).flatMap((L) => surface.filter((s) => s.label === L));
    const ds = ordered.map((s, i) => Math.abs(s.ours - res.surface[i]!));
    const breached = ordered.filter((s) => s.ours > 0).length;
    console.log(
      `[screws] scipy ${res.scipy}: ${res.centres.length} voxel centres max |Δ| ${dc.toExponential(2)} mm; ${ordered.length} surface points (${breached} outside), ` +
        `max |ours − EDT trilinear| ${Math.max(...ds).toFixed(2)} mm, mean ${(ds.reduce((a, b) => a + b, 0) / ds.length).toFixed(2)} mm`,
    );
    expect(dc).toBeLessThan(1e-6);
    expect(Math.max(...ds)).toBeLessThanOrEqual(Math.max(...labels.spacingMm));
  });
});
