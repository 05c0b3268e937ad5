/**
 * Orientation of every required file: the LPS world position of chosen voxel
 * indices must equal what the file headers give when worked by hand (header
 * numbers quoted below as read with a hex dump / dicom-parser), within 0.01 mm.
 */
import { expect, it } from 'vitest';
import { readImageNode } from '@itk-wasm/image-io';
import { indexToLps, type Vec3 } from '../engine/volume.js';
import { readVolume } from './readVolume.js';
import { dataPath, describeData } from '../../tests/helpers/data.js';

const IJK: Vec3[] = [
  [0, 0, 0],
  [1, 2, 3],
  [10, 20, 5],
];

function expectClose(a: Vec3, b: Vec3, tolMm = 0.01): void {
  for (let c = 0; c < 3; c++) expect(Math.abs(a[c]! - b[c]!)).toBeLessThanOrEqual(tolMm);
}

/** NIfTI sform (RAS): RAS = S · [i j k 1]; LPS = (−x, −y, z). */
function niftiSformToLps(srow: number[][], [i, j, k]: Vec3): Vec3 {
  const ras = srow.map((r) => r[0]! * i + r[1]! * j + r[2]! * k + r[3]!);
  return [-ras[0]!, -ras[1]!, ras[2]!];
}

describeData('import orientation (LPS mm, hand-derived from headers)', () => {
  it('totalseg_example_ct.nii.gz: RAS sform only (sform_code 2, qform_code 0)', async () => {
    const { volume, meta } = await readVolume(dataPath('ct/totalseg_example_ct.nii.gz'));
    expect(volume.dims).toEqual([122, 101, 112]);
    expect(meta.modality).toBe('CT');
    const srow = [
      [3, 0, 0, -177.95632934570312],
      [0, 3, 0, 11.319000244140625],
      [0, 0, 3, 94.3017578125],
    ];
    for (const ijk of IJK) expectClose(indexToLps(volume, ijk), niftiSformToLps(srow, ijk));
    // by hand: voxel (1,2,3) → RAS (−174.956, 17.319, 103.302) → LPS (174.956, −17.319, 103.302)
    expectClose(indexToLps(volume, [1, 2, 3]), [174.95633, -17.319, 103.30176]);
  });

  it('totalseg_example_mr_sm.nii.gz: LPS-ordered voxels (negative sform diagonal)', async () => {
    const { volume } = await readVolume(dataPath('mr/totalseg_example_mr_sm.nii.gz'));
    expect(volume.dims).toEqual([117, 91, 20]);
    const srow = [
      [-3, 0, 0, 168.59963989257812],
      [0, -3, 0, 166.35943603515625],
      [0, 0, 3, 28.989641189575195],
    ];
    for (const ijk of IJK) expectClose(indexToLps(volume, ijk), niftiSformToLps(srow, ijk));
  });

  it('sct_t2s_neck_uncropped.nii.gz: oblique sform (code 1) with qform (code 2)', async () => {
    const { volume } = await readVolume(dataPath('mr/sct_t2s_neck_uncropped.nii.gz'));
    expect(volume.dims).toEqual([320, 320, 11]);
    const srow = [
      [-0.4999995231628418, -1.6535442455278826e-6, 0.01044720783829689, 76.90499114990234],
      [5.050466279499233e-5, 0.4985962212085724, 0.5616117119789124, -82.22578430175781],
      [0.0006946487119421363, -0.03744080290198326, 7.478938102722168, -12.545191764831543],
    ];
    for (const ijk of [...IJK, [319, 319, 10] as Vec3]) expectClose(indexToLps(volume, ijk), niftiSformToLps(srow, ijk));
  });

  it('niivue_FLAIR_oblique.nrrd: oblique space directions in LPS', async () => {
    const { volume } = await readVolume(dataPath('mr/niivue_FLAIR_oblique.nrrd'));
    expect(volume.dims).toEqual([124, 160, 140]);
    // space: left-posterior-superior; LPS = origin + i·d0 + j·d1 + k·d2
    const o = [64.898239135742202, 110.4311447143555, -27.92553901672364];
    const d = [
      [-0.99359200921208746, 0.04970492721885441, -0.10151029228632795],
      [-0.016005020190061219, -0.95093665139041228, -0.30897139733494045],
      [-0.11188725988575336, -0.30536684015686016, 0.94563858529983524],
    ];
    for (const [i, j, k] of [...IJK, [123, 159, 139] as Vec3]) {
      const want = [0, 1, 2].map((c) => o[c]! + i * d[0]![c]! + j * d[1]![c]! + k * d[2]![c]!) as Vec3;
      expectClose(indexToLps(volume, [i, j, k]), want);
    }
  });

  it('niivue_small.mha: TransformMatrix with a flipped y axis', async () => {
    const { volume } = await readVolume(dataPath('mr/niivue_small.mha'));
    expect(volume.dims).toEqual([64, 64, 37]);
    // Offset = −108.281 82.3795 −47.8356; ElementSpacing 3.4375 3.4375 3.8; TransformMatrix 1 0 0 0 −1 0 0 0 1
    for (const [i, j, k] of IJK) expectClose(indexToLps(volume, [i, j, k]), [-108.281 + 3.4375 * i, 82.3795 - 3.4375 * j, -47.8356 + 3.8 * k]);
  });

  it('emri_small.dcm: enhanced multi-frame MR without plane position → nominal grid, flagged', async () => {
    const { volume, meta } = await readVolume(dataPath('dicom/pydicom_data/emri_small.dcm'));
    expect(volume.dims).toEqual([64, 64, 10]);
    expect(meta.modality).toBe('MR');
    expect(meta.nominalGeometry).toBe(true);
    // No (0020,0032)/(0020,0037)/(0028,0030) and no functional groups; SpacingBetweenSlices (0018,0088) = 1.2
    for (const [i, j, k] of IJK) expectClose(indexToLps(volume, [i, j, k]), [i, j, 1.2 * k]);
  });

  it('totalseg_ct_series_j2k: JPEG 2000 series, empty SOP UIDs, sorted along the normal, in HU', async () => {
    const dir = dataPath('dicom/totalseg_ct_series_j2k');
    const { volume, meta } = await readVolume(dir);
    expect(volume.dims).toEqual([512, 512, 20]);
    expect(meta.modality).toBe('CT');
    // Lowest slice along n = (1,0,0)×(0,1,0) = (0,0,1) is …016592 with IPP (−249.51171875, −437.51171875, −804.5);
    // IOP 1\0\0\0\1\0, PixelSpacing 0.9765625\0.9765625, IPP step +2 mm.
    for (const [i, j, k] of IJK) expectClose(indexToLps(volume, [i, j, k]), [-249.51171875 + 0.9765625 * i, -437.51171875 + 0.9765625 * j, -804.5 + 2 * k]);
    // slice order: slice k = 0 holds the pixels of …016592 (z = −804.5), rescaled to HU (intercept −1024)
    const single = await readImageNode(`${dir}/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016592`);
    const plane = 512 * 512;
    let same = 0;
    for (let v = 0; v < plane; v += 97) if (volume.data[v] === single.data![v]) same++;
    expect(same).toBe(Math.ceil(plane / 97));
    let min = Infinity;
    for (let v = 0; v < volume.data.length; v++) min = Math.min(min, volume.data[v]!);
    expect(min).toBe(-1024);
  });
});
