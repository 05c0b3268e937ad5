/**
 * The anatomical twin on the real example CT (TotalSegmentator example,
 * 3 mm, lumbar spine T11–S1) against its reference label maps.
 */
import { beforeAll, expect, it } from 'vitest';
import { readVolume } from '../../electron/io/readVolume.js';
import { buildAnatomicalTwin, type TwinBuildOutput } from '../../electron/engine/twinBuild.js';
import { TwinParams } from '../../capabilities/twins/contract.js';
import { voxelizeMesh } from '../../electron/engine/voxelize.js';
import { countComponents } from '../../electron/engine/morphology.js';
import type { Volume } from '../../electron/engine/volume.js';
import { dataPath, describeData } from '../helpers/data.js';

const ORGANS = { spleen: 1, 'right kidney': 2, 'left kidney': 3, liver: 5, aorta: 52 };

describeData('anatomical twin of totalseg_example_ct.nii.gz', () => {
  let ct: Volume;
  let vertebrae: Volume;
  let smCt: Volume;
  let smSeg: Volume;
  let twin: TwinBuildOutput;
  let boneMeshMask: Uint8Array;

  beforeAll(async () => {
    ct = (await readVolume(dataPath('ct/totalseg_example_ct.nii.gz'))).volume;
    vertebrae = (await readVolume(dataPath('ct/totalseg_example_ct_vertebra_labels.nii.gz'))).volume;
    smCt = (await readVolume(dataPath('ct/totalseg_example_ct_sm.nii.gz'))).volume;
    smSeg = (await readVolume(dataPath('ct/totalseg_example_ct_sm_seg.nii.gz'))).volume;
    twin = buildAnatomicalTwin(ct, 'CT', TwinParams.parse({}));
    boneMeshMask = voxelizeMesh(twin.boneMesh!, ct);
  });

  it('the label maps share the CT grid', () => {
    expect(vertebrae.dims).toEqual(ct.dims);
    expect(vertebrae.originLps).toEqual(ct.originLps);
  });

  const vertebraCoverage = (mask: Uint8Array): number => {
    let n = 0,
      hit = 0;
    for (let v = 0; v < mask.length; v++)
      if ((vertebrae.data[v] as number) > 0) {
        n++;
        if (mask[v]) hit++;
      }
    expect(n).toBeGreaterThan(10000);
    return hit / n;
  };

  it('bone mask holds ≥ 95 % of the voxels labelled as vertebrae (T11–S1)', () => {
    expect(vertebraCoverage(twin.bone!.mask)).toBeGreaterThanOrEqual(0.95);
  });

  it('bone mesh (voxelized) holds ≥ 95 % of the vertebra voxels', () => {
    expect(vertebraCoverage(boneMeshMask)).toBeGreaterThanOrEqual(0.95);
  });

  // The 30-slice crop holds slices 82–111 of the full CT but keeps the full CT's origin
  // (data README), so its slice k is slice k + 82 of the CT: check that, then compare.
  const SLICE_OFFSET = 82;
  it('the segmentation crop is slices 82–111 of the CT (voxel for voxel)', () => {
    const plane = ct.dims[0] * ct.dims[1];
    let diff = 0;
    for (let v = 0; v < smCt.data.length; v++) if (smCt.data[v] !== ct.data[v + SLICE_OFFSET * plane]) diff++;
    expect(smCt.dims[2]).toBe(30);
    expect(diff).toBe(0);
  });

  const organFraction = (mask: Uint8Array): Record<string, number> => {
    const plane = ct.dims[0] * ct.dims[1];
    const out: Record<string, number> = {};
    let all = 0,
      allHit = 0;
    for (const [name, label] of Object.entries(ORGANS)) {
      let n = 0,
        hit = 0;
      for (let v = 0; v < smSeg.data.length; v++)
        if (smSeg.data[v] === label) {
          n++;
          if (mask[v + SLICE_OFFSET * plane]) hit++;
        }
      expect(n, `${name} voxels in the segmentation`).toBeGreaterThan(500);
      out[name] = hit / n;
      all += n;
      allHit += hit;
    }
    out['all'] = allHit / all;
    return out;
  };

  it('bone mask holds ≤ 2 % of the voxels labelled liver, kidneys, spleen or aorta', () => {
    const f = organFraction(twin.bone!.mask);
    expect(f['all']).toBeLessThanOrEqual(0.02);
    for (const name of Object.keys(ORGANS)) expect(f[name], name).toBeLessThanOrEqual(0.02);
  });

  it('bone mesh (voxelized) holds ≤ 2 % of those organ voxels', () => {
    expect(organFraction(boneMeshMask)['all']).toBeLessThanOrEqual(0.02);
  });

  it('skin mesh is one closed component; body mask is one component', () => {
    expect(twin.skinTopology.components).toBe(1);
    expect(twin.skinTopology.boundaryEdges).toBe(0);
    expect(countComponents(twin.skin.mask, ct.dims, 6).count).toBe(1);
  });

  it('body mask excludes the CT table', () => {
    // The table lies posterior to the patient (small j: LPS y = −11.3 − 3j, so j = 0 is
    // the most posterior row). In each (i, k) column, walk from j = 0: a run of
    // HU > −300 that starts within the first 10 rows and is followed by air before the
    // body is table. Independent of the segmentation code.
    const [nx, ny, nz] = ct.dims;
    let tableVoxels = 0,
      tableInBody = 0,
      columnsWithTable = 0;
    for (let k = 0; k < nz; k++)
      for (let i = 0; i < nx; i++) {
        const at = (j: number): number => ct.data[i + nx * (j + ny * k)] as number;
        let j = 0;
        while (j < 10 && at(j) <= -300) j++;
        if (j >= 10) continue;
        const start = j;
        while (j < ny && at(j) > -300) j++;
        const end = j;
        let gap = 0;
        while (j < ny && at(j) <= -300) ((gap += 1), j++);
        if (gap < 1 || j >= ny || end - start > 6) continue; // no air gap: not a table run
        columnsWithTable++;
        for (let t = start; t < end; t++) {
          tableVoxels++;
          if (twin.skin.mask[i + nx * (t + ny * k)]) tableInBody++;
        }
      }
    expect(columnsWithTable).toBeGreaterThan(nx * nz * 0.3);
    expect(tableVoxels).toBeGreaterThan(1000);
    expect(tableInBody).toBe(0);
  });

  it('features have plausible values and units', () => {
    const f = Object.fromEntries(twin.features.map((x) => [x.name, x]));
    expect(f['body_volume']!.unit).toBe('L');
    expect(f['body_volume']!.value).toBeGreaterThan(15);
    expect(f['body_volume']!.value).toBeLessThan(35);
    expect(f['bone_volume']!.unit).toBe('mL');
    expect(f['bone_hu_median']!.value).toBeGreaterThan(100);
    expect(f['skin_surface_area']!.unit).toBe('cm2');
  });
});
