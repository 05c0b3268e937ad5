/**
 * The spine characterisation as the app runs it: a job over the real
 * services on the example CT's twin, its analysis stored with per-level
 * features (unit, level, algorithm version, source series) and artefacts
 * (label map, grey-level bone mesh, intervertebral spaces, JSON/CSV report);
 * a surgeon's correction adds a version and keeps the automatic one; the
 * patient's history lists the newest analysis per twin.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { SPINE_ALGORITHM_VERSION } from '../../electron/engine/spine/index.js';
import { decodeVtp, vtpPointArray } from '../../electron/io/mesh.js';
import { decodeNrrd } from '../../electron/io/nrrd.js';
import type { SpineAnalysis } from '../../electron/contract/index.js';
import type { Twin } from '../../capabilities/twins/contract.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';
import { createPatient } from '../../capabilities/patients/repo.js';
import { getSpineAnalysis } from '../../capabilities/spine/repo.js';
import { getArtefactPath, getTwin, listTwins } from '../../capabilities/twins/repo.js';

describeData('spine service on the example CT twin', () => {
  const tmp = tmpDir();
  let host: ServiceHost;
  let patientId: string;
  let twin: Twin;
  let auto: SpineAnalysis;
  const runSpine = async (corrections: { names?: Record<string, string>; centroids?: Record<string, [number, number, number]> }) => {
    const id = await host.impl.spine.analyse(twin.id, { names: corrections.names ?? {}, centroids: corrections.centroids ?? {} }, { greyDepthMm: 4 });
    const { job } = await host.jobs.wait(id);
    expect(job.error).toBeNull();
    expect(job.status).toBe('done');
    return host.impl.spine.get(job.resultId!);
  };
  beforeAll(async () => {
    host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli' });
    patientId = createPatient(host.store, { displayName: 'Spine Patient', mrn: 'S1', birthDate: '', sex: '' }, 'test').id;
    const id = await host.impl.studies.import({ patientId, path: dataPath('ct/totalseg_example_ct.nii.gz'), strict: true, buildTwin: true });
    expect((await host.jobs.wait(id)).job.status).toBe('done');
    twin = listTwins(host.store, patientId)[0]!;
    auto = await runSpine({});
  }, 120_000);
  afterAll(() => {
    host.close();
    tmp.cleanup();
  });

  it('stores the automatic analysis as version 1 with per-level features', () => {
    expect(auto.version).toBe(1);
    expect(auto.report.surfaceGreyDepthMm).toBe(4);
    expect(auto.sourceSeriesId).toBe(twin.seriesId);
    expect(auto.report.vertebrae.map((v) => v.name)).toEqual(['T11', 'T12', 'L1', 'L2', 'L3', 'L4', 'L5', 'S1']);
    const feats = getSpineAnalysis(host.store, auto.id).features;
    const h = feats.find((f) => f.name === 'spine.vertebral_body_height_middle' && f.level === 'L3');
    expect(h).toMatchObject({ unit: 'mm', algorithm: 'orthotwin.spine', algorithmVersion: SPINE_ALGORITHM_VERSION, sourceSeriesId: twin.seriesId });
    expect(h!.value).toBeCloseTo(auto.report.vertebrae.find((v) => v.name === 'L3')!.heightsMm.middle!, 6);
    expect(feats.find((f) => f.name === 'spine.disc_height_mean_ap' && f.level === 'L3-L4')?.unit).toBe('mm');
    expect(feats.find((f) => f.name === 'spine.lumbar_lordosis')?.level).toBe('L1-S1');
    // the twin's own features stay the anatomical-twin ones
    expect(getTwin(host.store, twin.id).features.every((f) => f.level === null && f.algorithm === 'orthotwin.anatomical-twin')).toBe(true);
  });

  it('writes the label map, the grey-level bone mesh, the intervertebral spaces and the report next to the twin', () => {
    const kinds = auto.artefacts.map((a) => `${a.kind}.${a.format}`).sort();
    expect(kinds).toEqual(['bone-grey-mesh.vtp', 'disc-spaces.vtp', 'spine-report.csv', 'spine-report.json', 'vertebra-labels.nrrd']);
    const file = (kind: string, format: string) => getArtefactPath(host.store, auto.artefacts.find((a) => a.kind === kind && a.format === format)!.id).abs;
    for (const a of auto.artefacts) expect(path.dirname(getArtefactPath(host.store, a.id).abs)).toContain(path.join('twins', twin.id, 'spine', auto.id));
    const labels = decodeNrrd(fs.readFileSync(file('vertebra-labels', 'nrrd')), 'labels');
    const present = new Set(labels.data);
    for (const v of auto.report.vertebrae) expect(present.has(v.label)).toBe(true);
    // grey levels along the inward normals: one value per vertex, bone-like HU on the bone surface
    const vtp = fs.readFileSync(file('bone-grey-mesh', 'vtp'));
    const mesh = decodeVtp(vtp);
    const mean = vtpPointArray(vtp, 'HU_mean')!;
    const max = vtpPointArray(vtp, 'HU_max')!;
    expect(mean.length).toBe(mesh.points.length / 3);
    const sorted = Float32Array.from(mean.filter((x) => Number.isFinite(x))).sort();
    const median = sorted[Math.floor(sorted.length / 2)]!;
    expect(median).toBeGreaterThan(150);
    expect(median).toBeLessThan(900);
    for (let i = 0; i < mean.length; i += 997) if (Number.isFinite(mean[i]!)) expect(max[i]!).toBeGreaterThanOrEqual(mean[i]! - 1e-3);
    // one intervertebral space per disc with both endplates; volumes of a lumbar disc space (a few mL)
    const spaces = vtpPointArray(fs.readFileSync(file('disc-spaces', 'vtp')), 'disc')!;
    const discsMeshed = new Set(spaces);
    const L3L4 = auto.report.discs.findIndex((d) => d.upper === 'L3');
    expect(discsMeshed.has(L3L4)).toBe(true);
    expect(auto.report.discs[L3L4]!.spaceVolumeMl).toBeGreaterThan(3);
    expect(auto.report.discs[L3L4]!.spaceVolumeMl).toBeLessThan(25);
    const csv = fs.readFileSync(file('spine-report', 'csv'), 'utf8').split('\r\n');
    expect(csv[0]!.startsWith('level,automatic_level,partial,centroid_L_mm')).toBe(true);
    expect(csv.filter((l) => /^L[1-5],/.test(l))).toHaveLength(5);
  });

  it('finds spinous process tips behind the bodies and measures their depth below the skin', () => {
    for (const name of ['L1', 'L2', 'L3', 'L4']) {
      const v = auto.report.vertebrae.find((x) => x.name === name)!;
      const tip = v.landmarks.spinousTip!;
      expect(tip).not.toBeNull();
      // LPS: posterior is +y; the spinous tip lies at least 30 mm behind the body centroid
      expect(tip.pointLps[1] - v.bodyCentroidLps![1]).toBeGreaterThan(30);
      expect(tip.skinDistanceMm!).toBeGreaterThan(5);
      expect(tip.skinDistanceMm!).toBeLessThan(80);
      // the nearest skin point is behind the tip (the back), not the cut edge of the field of view
      expect(tip.skinPointLps![1]).toBeGreaterThan(tip.pointLps[1]);
    }
  });

  it('a moved centroid adds version 2 with that level re-measured; version 1 is kept', async () => {
    const L3 = auto.report.vertebrae.find((v) => v.name === 'L3')!;
    const moved: [number, number, number] = [L3.bodyCentroidLps![0] + 6, L3.bodyCentroidLps![1] - 4, L3.bodyCentroidLps![2] + 3];
    const v2 = await runSpine({ centroids: { L3: moved } });
    expect(v2.version).toBe(2);
    expect(v2.corrections.centroids['L3']).toEqual(moved);
    const L3b = v2.report.vertebrae.find((v) => v.name === 'L3')!;
    expect(L3b.bodyCentroidLps).toEqual(moved);
    expect(L3b.sphereHu!.mean).not.toBeCloseTo(L3.sphereHu!.mean, 3);
    // the other levels are unchanged
    const L2a = auto.report.vertebrae.find((v) => v.name === 'L2')!;
    expect(v2.report.vertebrae.find((v) => v.name === 'L2')!.heightsMm).toEqual(L2a.heightsMm);
    const list = await host.impl.spine.list(twin.id);
    expect(list.map((a) => a.version)).toEqual([2, 1]);
    expect(list[1]!.report).toEqual(auto.report);
    const hist = await host.impl.spine.history(patientId);
    expect(hist).toHaveLength(1);
    expect(hist[0]).toMatchObject({ twinId: twin.id, analysisVersion: 2 });
    expect(hist[0]!.features.find((f) => f.name === 'spine.trabecular_hu_mean' && f.level === 'L3')!.value).toBeCloseTo(L3b.sphereHu!.mean, 6);
  }, 60_000);

  it('a renamed level keeps the automatic name and relabels the map', async () => {
    const v3 = await runSpine({ names: { T11: 'T10', T12: 'T11', L1: 'T12', L2: 'L1', L3: 'L2', L4: 'L3', L5: 'L4', S1: 'L5' } });
    expect(v3.report.vertebrae.map((v) => v.name)).toEqual(['T10', 'T11', 'T12', 'L1', 'L2', 'L3', 'L4', 'L5']);
    expect(v3.report.automaticNames).toEqual(['T11', 'T12', 'L1', 'L2', 'L3', 'L4', 'L5', 'S1']);
    expect(v3.report.curvature.lumbarLordosisDeg).toBeNull();
  }, 60_000);

  it('refuses a relabel that would give two vertebrae the same name, naming the level that has it; the consistent shift is accepted', async () => {
    const before = (await host.impl.spine.list(twin.id)).length;
    await expect(async () => host.impl.spine.analyse(twin.id, { names: { L2: 'L3' }, centroids: {} }, { greyDepthMm: 4 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message:
        'Relabelling L2 as L3 would give two vertebrae named L3: L3 already has that label. Shift the neighbouring labels with it (L3→L4, L4→L5, L5→L6) or choose a label no other level has.',
    });
    expect((await host.impl.spine.list(twin.id)).length, 'no analysis stored').toBe(before);
    const shifted = await runSpine({ names: { L2: 'L3', L3: 'L4', L4: 'L5', L5: 'L6' } });
    expect(shifted.report.vertebrae.map((v) => v.name)).toEqual(['T11', 'T12', 'L1', 'L3', 'L4', 'L5', 'L6', 'S1']);
    expect(shifted.version).toBe(before + 1);
    // the same levels are measured: the coronal Cobb angle is that of the automatic analysis
    expect(shifted.report.curvature.coronal!.angleDeg).toBeCloseTo(auto.report.curvature.coronal!.angleDeg, 6);
  }, 60_000);

  it('refuses bad requests with clear errors', async () => {
    await expect(async () => host.impl.spine.analyse('no-such-twin', { names: {}, centroids: {} }, { greyDepthMm: 3 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(async () => host.impl.spine.get('no-such-analysis')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
