/**
 * Jobs over the real services: cancel terminates the worker and leaves
 * nothing; a rebuild adds a twin version and keeps the earlier one; the CLI
 * prints its JSON summary.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { dataPath, describeData, projectRoot } from '../helpers/data.js';
import { filesBelow, tmpDir } from '../helpers/tmp.js';
import { createPatient } from '../../capabilities/patients/repo.js';
import { listStudies } from '../../capabilities/studies/repo.js';
import { listTwins } from '../../capabilities/twins/repo.js';

describeData('jobs: cancel, rebuild, CLI', () => {
  const tmp = tmpDir();
  let host: ServiceHost;
  let patientId: string;
  beforeAll(() => {
    host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli' });
    patientId = createPatient(host.store, { displayName: 'Jobs Patient', mrn: 'J1', birthDate: '', sex: '' }, 'test').id;
  });
  afterAll(() => {
    host.close();
    tmp.cleanup();
  });

  it('cancel during an import ends the job as cancelled with nothing stored', async () => {
    const id = await host.impl.studies.import({ patientId, path: dataPath('dicom/totalseg_ct_series_j2k'), strict: true, buildTwin: true });
    await new Promise<void>((resolve) => {
      const onEvent = (_s: string, _e: string, j: { id: string; progress: number }): void => {
        if (j.id === id && j.progress > 0) {
          host.events.off('event', onEvent);
          resolve();
        }
      };
      host.events.on('event', onEvent);
    });
    expect(await host.impl.jobs.cancel(id)).toBe(true);
    const { job } = await host.jobs.wait(id);
    expect(job.status).toBe('cancelled');
    expect(listStudies(host.store, patientId)).toEqual([]);
    expect(filesBelow(host.store.storeDir)).toEqual([]);
    expect(filesBelow(host.store.stagingDir)).toEqual([]);
    expect(await host.impl.jobs.cancel(id)).toBe(false);
  });

  it('a rebuild with other parameters adds version 2 and keeps version 1', async () => {
    const id = await host.impl.studies.import({ patientId, path: dataPath('ct/totalseg_example_ct.nii.gz'), strict: true, buildTwin: true });
    expect((await host.jobs.wait(id)).job.status).toBe('done');
    const [v1] = listTwins(host.store, patientId);
    expect(v1!.version).toBe(1);
    const rebuild = await host.impl.twins.build(v1!.volumeId, { boneCorticalHu: 250, skinMaxTriangles: 20000 });
    const { job } = await host.jobs.wait(rebuild);
    expect(job.status).toBe('done');
    const twins = listTwins(host.store, patientId);
    expect(twins.map((t) => t.version)).toEqual([2, 1]);
    expect(job.resultId).toBe(twins[0]!.id);
    const bone = (t: (typeof twins)[number]): number => t.features.find((f) => f.name === 'bone_volume')!.value;
    expect(bone(twins[0]!)).toBeLessThan(bone(twins[1]!)); // a higher cortical threshold finds less bone
    expect(twins[0]!.artefacts.find((a) => a.kind === 'skin-mesh')!.count).toBeLessThanOrEqual(20000);
    expect(twins[0]!.features[0]!.parameters['boneCorticalHu']).toBe(250);
    expect(twins[1]!.artefacts).toHaveLength(6);
    const audit = host.store.db.prepare("SELECT action FROM audit_log WHERE record_type = 'twin'").all() as { action: string }[];
    expect(audit).toHaveLength(2);
  });

  it('the CLI prints a JSON summary of the build', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(projectRoot, 'electron/cli/twin.ts'),
        'build',
        dataPath('mr/totalseg_example_mr_sm.nii.gz'),
        '--modality', // the file does not say its modality
        'MR',
        '--data-dir',
        path.join(tmp.dir, 'cli'),
        '--json',
      ],
      {
        cwd: projectRoot,
        encoding: 'utf8',
      },
    );
    const s = JSON.parse(out) as Record<string, unknown> & {
      dims: number[];
      masks: { skinVoxels: number };
      meshes: { skinTriangles: number };
      artefacts: { kind: string; format: string; path: string }[];
      features: { name: string; unit: string }[];
      timingsMs: Record<string, number>;
    };
    expect(s.dims).toEqual([117, 91, 20]);
    expect(s['source']).toMatchObject({ modality: 'MR' });
    expect(s.masks.skinVoxels).toBeGreaterThan(10000);
    expect(s.meshes.skinTriangles).toBeGreaterThan(1000);
    expect(s.artefacts.map((a) => `${a.kind}.${a.format}`).sort()).toEqual(['skin-mask.nrrd', 'skin-mesh.stl', 'skin-mesh.vtp']);
    expect(s.features.find((f) => f.name === 'body_volume')!.unit).toBe('L');
    for (const k of ['import', 'skin', 'skinMesh', 'total']) expect(s.timingsMs[k]).toBeGreaterThan(0);
  });
});
