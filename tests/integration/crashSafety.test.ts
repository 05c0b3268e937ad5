/**
 * Crash safety: the process running a twin build is killed (SIGKILL) midway;
 * the store reopens with integrity_check = ok, no twin rows or twin files, no
 * staging leftovers, and the next build succeeds.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openTwinStore } from '../../electron/services/index.js';
import { createServices } from '../../electron/services/index.js';
import { dataPath, describeData, projectRoot } from '../helpers/data.js';
import { filesBelow, tmpDir } from '../helpers/tmp.js';
import { createPatient } from '../../capabilities/patients/repo.js';
import { listTwins } from '../../capabilities/twins/repo.js';

/** Runs the CLI build and SIGKILLs it as soon as stderr shows `stage`. Resolves with what it printed. */
function buildAndKill(dataDir: string, study: string, stage: RegExp): Promise<{ killed: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'electron/cli/twin.ts'), 'build', study, '--data-dir', dataDir], {
      cwd: projectRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (!killed && stage.test(stderr)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', () => resolve({ killed, stderr }));
  });
}

describeData('crash safety of the twin build', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  // the masks stage (any of its steps: the progress the CLI prints is coalesced, so a fast step may not show), then the meshes
  for (const stage of [/twin: (threshold|opening|largest component|reconstruction|closing)/, /twin: (bone mesh|skin mesh|done)|writing artefacts/])
    it(`killed at ${stage.source}: store intact, no partial twin, next build succeeds`, async () => {
      const dataDir = path.join(tmp.dir, `data-${stage.source.length}`);
      const { killed, stderr } = await buildAndKill(dataDir, dataPath('ct/totalseg_example_ct.nii.gz'), stage);
      expect(killed, `the build was killed midway (stderr: ${stderr.slice(-300)})`).toBe(true);
      // what the dead process left behind, before any recovery
      const store = openTwinStore(dataDir); // opening runs recover()
      expect(store.integrityCheck()).toBe('ok');
      expect((store.db.prepare('SELECT COUNT(*) AS n FROM twins').get() as { n: number }).n).toBe(0);
      expect((store.db.prepare('SELECT COUNT(*) AS n FROM artefacts').get() as { n: number }).n).toBe(0);
      expect((store.db.prepare('SELECT COUNT(*) AS n FROM features').get() as { n: number }).n).toBe(0);
      expect(filesBelow(path.join(dataDir, 'store', 'twins'))).toEqual([]);
      // the dead process's staging folder is gone; only the reopened store's own (empty) one is there
      expect(fs.readdirSync(store.stagingRoot)).toEqual([path.basename(store.stagingDir)]);
      expect(filesBelow(store.stagingRoot)).toEqual([]);
      const jobs = store.listJobs();
      expect(jobs.every((j) => j.status !== 'running')).toBe(true);
      // every stored volume file is referenced by a row and vice versa
      const vols = store.db.prepare('SELECT rel_path FROM volumes').all() as { rel_path: string }[];
      expect(filesBelow(path.join(dataDir, 'store')).sort()).toEqual(vols.map((v) => path.relative('store', v.rel_path)).sort());
      store.close();

      const host = createServices({ dataDir, transport: 'cli' });
      try {
        const p = createPatient(host.store, { displayName: 'after crash', mrn: '', birthDate: '', sex: '' }, 'test');
        const id = await host.impl.studies.import({ patientId: p.id, path: dataPath('ct/totalseg_example_ct.nii.gz'), strict: true, buildTwin: true });
        const { job } = await host.jobs.wait(id);
        expect(job.status).toBe('done');
        const twin = listTwins(host.store, p.id)[0]!;
        expect(twin.artefacts).toHaveLength(6);
        for (const a of twin.artefacts) expect(fs.statSync(path.join(dataDir, a.relPath)).size).toBe(a.bytes);
        expect(host.store.integrityCheck()).toBe('ok');
      } finally {
        host.close();
      }
    });
});
