/**
 * The enhance capability through the services (issue 22): `enhance.models`
 * lists the manifest's models with their file check, and
 * `enhance.enhanceVolume` enhances a stored ultrasound volume (PLUS's spine
 * phantom reconstructed at 1 mm) in the job worker into a new series of the
 * same patient: its grid (sr2: in-plane dims ×2, spacing ÷2, origin moved a
 * quarter voxel) and its voxels, slice by slice those of the in-process
 * enhancer.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';
import { createServices } from '../../electron/services/index.js';
import { decodeNrrd } from '../../electron/io/nrrd.js';
import { createEnhancer } from '../../electron/enhance/enhancer.js';
import { loadManifest } from '../../electron/enhance/manifest.js';
import { createPatient } from '../../capabilities/patients/repo.js';
import { getVolume, listStudies } from '../../capabilities/studies/repo.js';

const tmp = tmpDir('orthotwin-enhance-');
afterAll(() => tmp.cleanup());

describeData('enhance capability on a stored ultrasound volume', () => {
  it('lists the models; enhances a reconstructed US volume into new series (denoise, sr2) in the job worker', { timeout: 300_000 }, async () => {
    const host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli' });
    try {
      const models = await host.impl.enhance.models();
      expect(models.map((m) => m.info)).toEqual(loadManifest().models);
      for (const m of models) expect([m.info.name, m.ok, m.problem]).toEqual([m.info.name, true, null]);
      for (const m of models) expect(m.card).toBe(fs.existsSync(m.cardPath) ? fs.readFileSync(m.cardPath, 'utf8') : null);

      const patientId = createPatient(host.store, { displayName: 'Phantom', mrn: 'US-ENH', birthDate: '', sex: '' }, 'test').id;
      const rec = await host.jobs.wait(
        await host.impl.studies.reconstruct({
          patientId,
          sequencePath: dataPath('us/SpinePhantomFreehand.igs.mha'),
          configPath: dataPath('us/PlusDeviceSet_SpinePhantomFreehandReconstructionOnly.xml'),
          spacingMm: 1,
          interpolation: 'nearest',
          fillHoles: true,
        }),
      );
      expect(rec.job.status).toBe('done');
      const src = listStudies(host.store, patientId)
        .flatMap((s) => s.series)
        .find((s) => s.id === rec.job.resultId)!;
      const srcVol = decodeNrrd(fs.readFileSync(path.join(host.store.dataDir, getVolume(host.store, src.volume!.id).relPath)), 'source');
      const [nx, ny, nz] = srcVol.dims;
      for (const info of models.map((m) => m.info)) {
        const t0 = performance.now();
        const { job } = await host.jobs.wait(await host.impl.enhance.enhanceVolume({ volumeId: src.volume!.id, model: info.name }));
        expect(job.error ?? null).toBeNull();
        expect([job.kind, job.status]).toEqual(['enhance-volume', 'done']);
        console.log(`${info.name}: ${nx}×${ny}×${nz} volume enhanced in ${Math.round(performance.now() - t0)} ms (job, worker start included)`);
        const series = listStudies(host.store, patientId)
          .flatMap((s) => s.series)
          .find((s) => s.id === job.resultId)!;
        expect(series.modality).toBe('US');
        expect(series.description).toBe(`${src.description} — ${info.task} (${info.name} ${info.version}${info.scale !== 1 ? `, ×${info.scale}` : ''})`);
        const s = info.scale;
        const v = series.volume!;
        expect(v.dims).toEqual([nx * s, ny * s, nz]);
        expect(v.spacingMm).toEqual([srcVol.spacingMm[0] / s, srcVol.spacingMm[1] / s, srcVol.spacingMm[2]]);
        expect(v.direction).toEqual(src.volume!.direction);
        expect(v.nominalGeometry).toBe(src.volume!.nominalGeometry);
        // output voxel 0 sits at input index (0.5/s − 0.5) along the first two axes
        const o = (1 / s - 1) / 2;
        const d = srcVol.direction;
        for (let r = 0; r < 3; r++)
          expect(v.originLps[r]).toBeCloseTo(srcVol.originLps[r]! + d[r * 3]! * o * srcVol.spacingMm[0] + d[r * 3 + 1]! * o * srcVol.spacingMm[1], 9);
        const stored = decodeNrrd(fs.readFileSync(path.join(host.store.dataDir, getVolume(host.store, v.id).relPath)), 'enhanced');
        const e = await createEnhancer({ model: info.name });
        const k = nz >> 1;
        const slice = await e.enhance({ width: nx, height: ny, pixels: (srcVol.data as Uint8Array).slice(k * nx * ny, (k + 1) * nx * ny) });
        await e.close();
        const plane = nx * ny * s * s;
        expect(Buffer.from((stored.data as Uint8Array).subarray(k * plane, (k + 1) * plane)).equals(Buffer.from(slice.pixels))).toBe(true);
      }
      await expect(async () => host.impl.enhance.enhanceVolume({ volumeId: src.volume!.id, model: 'sr4' })).rejects.toThrow(/no enhancement model named sr4/);
    } finally {
      host.close();
    }
  });
});
