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
import { expect, it } from 'vitest';
import { readImageNode } from '@itk-wasm/image-io';
import { dataPath, describeData, projectRoot } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';
import { maskedNcc } from '../../electron/engine/fusion/reconstruct.js';

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
});
