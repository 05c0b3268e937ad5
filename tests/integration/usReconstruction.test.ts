/**
 * Must-show 4 of issue 5: freehand reconstruction of PLUS's spine phantom
 * sweep (`SpinePhantomFreehand.igs.mha`, 21 tracked frames) with the
 * ImageToProbe of `PlusDeviceSet_SpinePhantomFreehandReconstructionOnly.xml`
 * at 0.5 mm, through `twin reconstruct`, against PLUS's own reconstruction
 * (`SpinePhantomFreehandReconstructed.mha`): origin and extent within 0.5 mm,
 * NCC ≥ 0.9 where both have data. Needs the shared data.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import fs from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { readImageNode } from '@itk-wasm/image-io';
import { dataPath, describeData, projectRoot } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';
import { maskedNcc } from '../../electron/engine/fusion/reconstruct.js';
import { createServices } from '../../electron/services/index.js';
import { decodeNrrd } from '../../electron/io/nrrd.js';
import { rigidFromRotationVector } from '../../math/rigid.js';
import { createPatient } from '../../capabilities/patients/repo.js';
import { getVolume, listStudies } from '../../capabilities/studies/repo.js';

describeData('freehand US reconstruction vs PLUS (SpinePhantomFreehand)', () => {
  const reconstruct = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'electron/cli/twin.ts'), 'reconstruct', ...args], {
      cwd: projectRoot,
      maxBuffer: 1 << 24,
    });

  it('twin reconstruct: PLUS origin and extent within 0.5 mm, NCC ≥ 0.9 where both have data', { timeout: 120_000 }, async () => {
    const { dir, cleanup } = tmpDir('recon-');
    const out = path.join(dir, 'volume.mha');
    const { stdout } = await reconstruct(
      dataPath('us/SpinePhantomFreehand.igs.mha'),
      '--config',
      dataPath('us/PlusDeviceSet_SpinePhantomFreehandReconstructionOnly.xml'),
      '--spacing',
      '0.5',
      '--out',
      out,
      '--json',
    );
    const report = JSON.parse(stdout) as {
      dims: number[];
      originMm: number[];
      extentMm: number[];
      frames: number;
      voxelsPasted: number;
      holesFilled: number;
      reconstructMs: number;
    };
    expect(report.frames).toBe(21);
    const ours = await readImageNode(out);
    const plus = await readImageNode(dataPath('us/SpinePhantomFreehandReconstructed.mha'));
    const extent = (img: typeof ours): number[] => img.size.map((n, a) => (n - 1) * img.spacing[a]!);
    const originDiff = ours.origin.map((v, a) => Math.abs(v - plus.origin[a]!));
    const extentDiff = extent(ours).map((v, a) => Math.abs(v - extent(plus)[a]!));
    expect(Math.max(...originDiff)).toBeLessThanOrEqual(0.5);
    expect(Math.max(...extentDiff)).toBeLessThanOrEqual(0.5);
    expect(report.originMm.map((v, a) => Math.abs(v - ours.origin[a]!)).every((d) => d < 1e-6)).toBe(true);
    // same grid here, so voxels compare one to one
    expect(ours.size).toEqual(plus.size);
    const a = ours.data as Uint8Array;
    const b = plus.data as Uint8Array;
    // "has data": PLUS writes 0 where nothing was pasted or filled; ours is read back from its volume the same way
    const both = maskedNcc(a, b, (i) => a[i]! > 0 && b[i]! > 0);
    const n = a.length;
    console.log(
      `[reconstruction] ${report.dims.join('×')} at 0.5 mm, origin Δ ${originDiff.map((d) => d.toFixed(4)).join(' ')} mm, extent Δ ${extentDiff
        .map((d) => d.toFixed(3))
        .join(
          ' ',
        )} mm; pasted ${((100 * report.voxelsPasted) / n).toFixed(1)} %, holes filled ${((100 * report.holesFilled) / n).toFixed(1)} %; NCC ${both.ncc.toFixed(4)} over ${both.voxels} voxels; ${report.reconstructMs} ms`,
    );
    expect(both.voxels).toBeGreaterThan(0.2 * n);
    expect(both.ncc).toBeGreaterThanOrEqual(0.9);
    cleanup();
  });

  it('a configuration without ImageToProbe and a missing sequence give clear errors (exit 1)', { timeout: 60_000 }, async () => {
    const cfg = dataPath('us/PlusDeviceSet_fCal_Sim_SpatialCalibration_2.0.xml');
    await expect(reconstruct(dataPath('us/SpinePhantomFreehand.igs.mha'), '--config', cfg, '--out', '/tmp/x.mha')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/PlusDeviceSet_fCal_Sim_SpatialCalibration_2\.0\.xml: no Image→Probe transform/),
    });
    await expect(
      reconstruct('/nonexistent/sweep.igs.mha', '--config', dataPath('us/PlusDeviceSet_SpinePhantomFreehandReconstructionOnly.xml'), '--out', '/tmp/x.mha'),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/sweep\.igs\.mha/) });
  });

  const tmp = tmpDir('recon-svc-');
  afterAll(() => tmp.cleanup());

  it(
    'studies.reconstruct: a worker job stores the volume as a new ultrasound series, in the patient image when a registration is given',
    { timeout: 120_000 },
    async () => {
      const host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli' });
      try {
        const patientId = createPatient(host.store, { displayName: 'Phantom', mrn: 'US1', birthDate: '', sex: '' }, 'test').id;
        const req = {
          patientId,
          sequencePath: dataPath('us/SpinePhantomFreehand.igs.mha'),
          configPath: dataPath('us/PlusDeviceSet_SpinePhantomFreehandReconstructionOnly.xml'),
          spacingMm: 0.5,
          interpolation: 'nearest' as const,
          fillHoles: true,
        };
        const progress: number[] = [];
        host.events.on('event', (_s: string, _e: string, j: { progress: number }) => progress.push(j.progress));
        const { job } = await host.jobs.wait(await host.impl.studies.reconstruct(req));
        expect(job.status).toBe('done');
        expect(job.kind).toBe('reconstruct');
        expect(progress.some((p) => p > 0.1 && p < 0.9)).toBe(true);
        const series = listStudies(host.store, patientId).flatMap((s) => s.series);
        expect(series.length).toBe(1);
        const s0 = series[0]!;
        expect(s0.id).toBe(job.resultId);
        expect(s0.modality).toBe('US');
        expect(s0.description).toMatch(/3D US reconstruction of SpinePhantomFreehand \(21 frames, 0\.5 mm, nearest, tracker Reference frame\)/);
        expect(s0.volume!.dims).toEqual([147, 106, 104]);
        expect(s0.volume!.nominalGeometry).toBe(true);
        const stored = decodeNrrd(fs.readFileSync(path.join(host.store.dataDir, getVolume(host.store, s0.volume!.id).relPath)), 'stored');
        const plus = await readImageNode(dataPath('us/SpinePhantomFreehandReconstructed.mha'));
        const a = stored.data as Uint8Array;
        const b = plus.data as Uint8Array;
        expect(maskedNcc(a, b, (i) => a[i]! > 0 && b[i]! > 0).ncc).toBeGreaterThan(0.9);
        // with a registration (Reference → image), the volume is placed in the patient image
        const referenceToImage = rigidFromRotationVector([0, 0, 0], [100, -50, 20]);
        const j2 = await host.jobs.wait(await host.impl.studies.reconstruct({ ...req, referenceToImage }));
        expect(j2.job.status).toBe('done');
        const placed = listStudies(host.store, patientId)
          .flatMap((s) => s.series)
          .find((s) => s.id === j2.job.resultId)!;
        expect(placed.volume!.nominalGeometry).toBe(false);
        placed.volume!.originLps.forEach((v, k) => expect(v).toBeCloseTo(s0.volume!.originLps[k]! + [100, -50, 20][k]!, 6));
        // a sweep that cannot be read fails the job with the file's name, and nothing is stored
        const bad = await host.jobs.wait(await host.impl.studies.reconstruct({ ...req, sequencePath: path.join(tmp.dir, 'missing.igs.mha') }));
        expect(bad.job.status).toBe('failed');
        expect(bad.job.error?.message).toMatch(/missing\.igs\.mha/);
        expect(listStudies(host.store, patientId).flatMap((s) => s.series).length).toBe(2);
      } finally {
        host.close();
      }
    },
  );
});
