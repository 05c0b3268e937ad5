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
 * axis search widened to ±4 mm / ±10° (noted on those screws).
 *
 * The deliberately lateral trajectory, as a surgeon misplaces one: the
 * entry too far lateral with the planned angles — the planned screw moved
 * parallel to itself, in the vertebra's axial plane perpendicular to its
 * axis, so that its axis runs 1 mm lateral of the pedicle's lateral wall at
 * the isthmus (more than half the screw outside the pedicle: expected
 * depth = radius + 1 mm = 3.25–4.75 mm, grade C or D). The lateral wall: the
 * label's lateral extent from the planned axis, narrowest over the screw's
 * checked part inside the pedicle (from the entry allowance to the body's
 * posterior wall); it is compared with the CT's half-maximum edge there.
 * (Until issue 24's review the test moved the ENTRY 6 mm laterally and kept
 * the target: that pivots the screw about its tip, so it converges more
 * and, 5–15 mm from the entry where the pedicle is, had moved only 3.6–5.2
 * mm; its worst breach was in the screw's first millimetres in the soft
 * tissue beside the facet, not at the pedicle wall — 3 of 10 graded C.)
 * Measured so: 9 of 10 graded C or D; L4 right stays B (see `it.fails`).
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
import { entryAllowanceMm, gradeScrew, huAt, LabelQuery, vertebraFrame } from '../../electron/engine/planning/pedicleScrews.js';
import { readVolume } from '../../electron/io/readVolume.js';
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
/** How far lateral of the pedicle's lateral wall the deliberately lateral screw's axis runs (mm). */
const LATERAL_MM = 1;
const scipyOk = spawnSync(PY, ['-c', 'import scipy, numpy'], { encoding: 'utf8' }).status === 0;

afterAll(() => {
  host?.close();
  tmp.cleanup();
});

describeData('pedicle screw planning on the example CT', () => {
  let twinId = '';
  let analysisId = '';
  let plan: ScrewPlan;
  const lateral: {
    level: string;
    side: 'left' | 'right';
    entry: number[];
    target: number[];
    diameter: number;
    graded: GradedTrajectory;
    wall: { t: number; labelMm: number; ctMm: number };
    shift: number;
  }[] = [];

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
    // the deliberately lateral trajectory (see the file comment): the planned screw moved laterally so that its
    // axis runs LATERAL_MM lateral of the pedicle's lateral wall at the isthmus
    const { labels, report } = analysisInputs(host.store, analysisId);
    const { volume: ct } = await readVolume(dataPath('ct/totalseg_example_ct.nii.gz'));
    type V3 = [number, number, number];
    const at = (p: readonly number[], e: readonly number[], t: number): V3 => [p[0]! + e[0]! * t, p[1]! + e[1]! * t, p[2]! + e[2]! * t];
    for (const s of plan.screws) {
      const v = report.vertebrae.find((x) => x.name === s.level)!;
      const f = vertebraFrame(v)!;
      const q = new LabelQuery(labels, v.label);
      const len = Math.hypot(...s.targetLps.map((x, i) => x - s.entryLps[i]!));
      const d = s.targetLps.map((x, i) => (x - s.entryLps[i]!) / len) as V3;
      // lateral: in the axial plane, perpendicular to the axis (superior × d, signed to the side's lateral)
      let e: V3 = [f.superior[1] * d[2] - f.superior[2] * d[1], f.superior[2] * d[0] - f.superior[0] * d[2], f.superior[0] * d[1] - f.superior[1] * d[0]];
      const en = Math.hypot(...e);
      e = e.map((x) => x / en) as V3;
      if ((e[0] * f.left[0] + e[1] * f.left[1] + e[2] * f.left[2]) * (s.side === 'left' ? 1 : -1) < 0) e = e.map((x) => -x) as V3;
      // the body's posterior wall along −anterior from the body centroid, and where the axis crosses it
      let back = 0;
      for (let t = 0; t <= 60; t += 0.25) {
        if (q.inside(at(f.origin, f.anterior, -t))) back = t;
        else if (t - back > 1) break;
      }
      const wOf = (p: readonly number[]): number =>
        (p[0]! - f.origin[0]) * f.anterior[0] + (p[1]! - f.origin[1]) * f.anterior[1] + (p[2]! - f.origin[2]) * f.anterior[2];
      const tWall = (-back - wOf(s.entryLps)) / (d[0] * f.anterior[0] + d[1] * f.anterior[1] + d[2] * f.anterior[2]);
      let wall: { t: number; labelMm: number; ctMm: number } | null = null;
      for (let t = entryAllowanceMm(labels, s.diameterMm); t <= tWall + 1e-9; t += 0.5) {
        const c = at(s.entryLps, d, t);
        if (!q.inside(c)) continue;
        let u = 0;
        while (u < 30 && q.inside(at(c, e, u + 0.1))) u += 0.1;
        if (!wall || u < wall.labelMm) wall = { t, labelMm: u, ctMm: 0 };
      }
      if (!wall) throw new Error(`${s.level} ${s.side}: the planned axis is never inside the pedicle`);
      // the CT's half-maximum edge there: peak HU between the axis and the label's edge, background 3 mm beyond it
      // (clamped to −100…100 HU), walking in from there to the first sample at or above their mean (as `fwhmAcross`)
      const c = at(s.entryLps, d, wall.t);
      const hu = (u: number): number => huAt(ct, at(c, e, u));
      let peak = -Infinity;
      for (let u = 0; u <= wall.labelMm; u += 0.25) peak = Math.max(peak, hu(u));
      const thr = (peak + Math.min(100, Math.max(-100, hu(wall.labelMm + 3)))) / 2;
      let edge = wall.labelMm + 3;
      while (edge > 0 && hu(edge) < thr) edge -= 0.05;
      wall.ctMm = edge;
      const shift = wall.labelMm + LATERAL_MM;
      const entry = at(s.entryLps, e, shift),
        target = at(s.targetLps, e, shift);
      const graded = (await call(surgeon, 'planning', 'gradeTrajectory', analysisId, {
        level: s.level,
        side: s.side,
        entryLps: entry,
        targetLps: target,
        diameterMm: s.diameterMm,
      })) as GradedTrajectory;
      lateral.push({ level: s.level, side: s.side, entry, target, diameter: s.diameterMm, graded, wall, shift });
      console.log(
        `[screws] ${s.level} ${s.side} lateral: wall ${wall.labelMm.toFixed(1)} mm lateral of the axis ${wall.t.toFixed(1)} mm from the entry ` +
          `(CT half-maximum ${wall.ctMm.toFixed(1)} mm), moved ${shift.toFixed(1)} mm: grade ${graded.breach.grade} ` +
          `(${graded.breach.worstBreachMm} mm ${graded.breach.direction ?? ''}; expected ${(s.diameterMm / 2 + LATERAL_MM).toFixed(2)} mm)`,
      );
    }
  }, 900_000);

  it('plans L1–L5 on both sides, every screw grade A by the project’s check (issue 24 must-show 1)', () => {
    for (const l of LEVELS)
      for (const side of ['left', 'right'])
        expect(
          plan.screws.find((s) => s.level === l && s.side === side),
          `${l} ${side}`,
        ).toBeTruthy();
    const lumbar = plan.screws.filter((s) => LEVELS.includes(s.level));
    for (const s of lumbar) expect(`${s.level} ${s.side} ${s.breach.grade} ${s.breach.worstBreachMm} mm`).toBe(`${s.level} ${s.side} A 0 mm`);
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

  it('the deliberately lateral screw (axis 1 mm lateral of the pedicle wall) grades C or worse at 9 of the 10, never better than the proposal', () => {
    const lumbar = lateral.filter((x) => LEVELS.includes(x.level));
    expect(lumbar.length).toBe(10);
    const order = 'ABCDE';
    for (const x of lumbar) {
      const p = plan.screws.find((s) => s.level === x.level && s.side === x.side)!;
      expect(order.indexOf(x.graded.breach.grade), `${x.level} ${x.side}`).toBeGreaterThan(order.indexOf(p.breach.grade));
    }
    expect(lumbar.filter((x) => 'CDE'.includes(x.graded.breach.grade)).length).toBeGreaterThanOrEqual(9);
    // where the worst breach is lateral and the screw stays in the body (L1–L4), its depth is the expected radius + 1 mm
    // within half a voxel: the cross-section depth measures the pedicle wall, not the flare 1–2 mm along the axis
    for (const x of lumbar.filter((y) => y.graded.breach.direction === 'lateral' && y.level !== 'L5'))
      expect(Math.abs(x.graded.breach.worstBreachMm - (x.diameter / 2 + LATERAL_MM)), `${x.level} ${x.side}`).toBeLessThanOrEqual(1.5);
  });

  it("the label's lateral pedicle wall is the CT's: within one voxel of the half-maximum edge at most isthmi", () => {
    const lumbar = lateral.filter((x) => LEVELS.includes(x.level));
    const within = lumbar.filter((x) => Math.abs(x.wall.labelMm - x.wall.ctMm) <= Math.max(...analysisInputs(host.store, analysisId).labels.spacingMm));
    expect(within.length).toBeGreaterThanOrEqual(8);
  });

  // A real limitation, not a tuning gap: at L4 right the planned axis (the widened ±4 mm / ±10° search) enters the
  // pedicle 3.3 mm behind the body's posterior wall, so the only pedicle section the check sees (past the 3 mm entry
  // allowance) is the pedicle's flare into the body; 1 mm lateral of the wall there the screw's edge is ≈ 1.4 mm
  // (inferior) outside the label — grade B. The narrowest section lies inside the entry allowance, unchecked.
  it.fails('issue 24: the deliberately lateral screw grades C or worse at every level (not met at L4 right, see above)', () => {
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

  it.skipIf(!scipyOk)(
    '3D distances outside the label agree with scipy.ndimage.distance_transform_edt (voxel centres exactly; screw surfaces between the nearest labelled centre and half a voxel diagonal nearer)',
    () => {
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
          surface.push({ label: v.label, p: lpsToIndex(labels, s.pointLps), ours: Math.max(0, s.signedMm) });
          const c = lpsToIndex(labels, s.pointLps).map(Math.round);
          centres.push([v.label, c[0]!, c[1]!, c[2]!, q.centreDistance(c[0]!, c[1]!, c[2]!, 40)]);
        }
      }
      fs.writeFileSync(path.join(dir, 'labels.raw'), Buffer.from(Uint8Array.from(labels.data as ArrayLike<number>)));
      fs.writeFileSync(path.join(dir, 'points.json'), JSON.stringify({ centres, surface: surface.map((s) => [s.label, ...s.p]) }));
      const py = `
import json, sys, numpy as np
from scipy.ndimage import distance_transform_edt
from scipy.spatial import cKDTree
d = sys.argv[1]
lab = np.fromfile(d + '/labels.raw', dtype=np.uint8).reshape(${nz}, ${ny}, ${nx})
pts = json.load(open(d + '/points.json'))
sp = (${labels.spacingMm[2]}, ${labels.spacingMm[1]}, ${labels.spacingMm[0]})
out = {'centres': [], 'surface': []}
for L in sorted(set(int(c[0]) for c in pts['centres'])):
    e = distance_transform_edt(lab != L, sampling=sp)
    tree = cKDTree(np.argwhere(lab == L) * np.array(sp))
    for c in pts['centres']:
        if int(c[0]) == L: out['centres'].append([float(e[int(c[3]), int(c[2]), int(c[1])]), c[4]])
    for s in pts['surface']:
        if int(s[0]) == L:
            out['surface'].append(float(tree.query([s[3] * sp[0], s[2] * sp[1], s[1] * sp[2]])[0]))
import scipy; out['scipy'] = scipy.__version__
print(json.dumps(out))
`;
      const r = spawnSync(PY, ['-c', py, dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
      expect(r.status, r.stderr).toBe(0);
      const res = JSON.parse(r.stdout) as { centres: [number, number][]; surface: number[]; scipy: string };
      const dc = Math.max(...res.centres.map(([a, b]) => Math.abs(a - b)));
      // the surface points in the same order as the labels were visited by the peer (sorted labels, in order)
      const ordered = [...labelsUsed].sort((a, b) => a - b).flatMap((L) => surface.filter((s) => s.label === L));
      // ours is the distance to the nearest labelled voxel BOX; the peer's, to the nearest labelled voxel CENTRE (exact,
      // a k-d tree): ours lies between the peer's minus half a voxel's diagonal and the peer's
      const half = 0.5 * Math.hypot(...labels.spacingMm);
      const ds = ordered.flatMap((s, i) => (s.ours < 8 ? [res.surface[i]! - s.ours] : [])); // 8 mm: the check's cap
      const breached = ordered.filter((s) => s.ours > 0).length;
      console.log(
        `[screws] scipy ${res.scipy}: ${res.centres.length} voxel centres max |Δ| ${dc.toExponential(2)} mm; ${ordered.length} surface points (${breached} outside), ` +
          `centre distance − box distance ${Math.min(...ds).toFixed(2)} to ${Math.max(...ds).toFixed(2)} mm (bound 0 to ${half.toFixed(2)})`,
      );
      expect(dc).toBeLessThan(1e-6);
      expect(Math.min(...ds)).toBeGreaterThanOrEqual(-1e-6);
      expect(Math.max(...ds)).toBeLessThanOrEqual(half + 1e-6);
    },
  );
});
