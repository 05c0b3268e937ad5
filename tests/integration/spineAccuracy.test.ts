/**
 * Spine characterisation on the real example CT (TotalSegmentator example,
 * 3 mm, T11–S1) against its vertebra label map (26 = S1 … 33 = T11), and on
 * the thin J2K DICOM slab (a partial result that says what it cannot measure).
 * Current state (2026-11-22): T11–S1 found and labelled correctly (T11 by its
 * posterior arch, its body being above the field of view), mean centroid
 * distance ≤ 3 mm, Dice ≥ 0.80 for every level, S1 included (its lower
 * boundary follows the S1 endplate, its fatty posterior body is kept, the arch
 * of S2 behind the canal is left out).
 */
import { beforeAll, expect, it } from 'vitest';
import { readVolume } from '../../electron/io/readVolume.js';
import { characteriseSpine, type SpineResult } from '../../electron/engine/spine/index.js';
import { boneMaskFromCt, bodyMaskFromCt } from '../../electron/engine/segmentation.js';
import { indexToLps, type Volume } from '../../electron/engine/volume.js';
import { resampleTrilinear } from '../../electron/engine/resample.js';
import { dataPath, describeData } from '../helpers/data.js';

const REF: Record<string, number> = { S1: 26, L5: 27, L4: 28, L3: 29, L2: 30, L1: 31, T12: 32, T11: 33 };

describeData('spine characterisation of totalseg_example_ct.nii.gz', () => {
  let ct: Volume;
  let ref: Volume;
  let res: SpineResult;
  beforeAll(async () => {
    ct = (await readVolume(dataPath('ct/totalseg_example_ct.nii.gz'))).volume;
    ref = (await readVolume(dataPath('ct/totalseg_example_ct_vertebra_labels.nii.gz'))).volume;
    const bone = boneMaskFromCt(ct, bodyMaskFromCt(ct).mask).mask;
    res = characteriseSpine(ct, bone);
  });

  const stats = (label: number, refLabel: number) => {
    let a = 0,
      b = 0,
      ab = 0;
    const ca: [number, number, number] = [0, 0, 0],
      cb: [number, number, number] = [0, 0, 0];
    const [nx, ny] = ct.dims;
    for (let v = 0; v < res.labelMap.length; v++) {
      const x = res.labelMap[v] === label,
        y = ref.data[v] === refLabel;
      if (!x && !y) continue;
      const p = indexToLps(ct, [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))]);
      if (x) for (const k of [0, 1, 2] as const) ca[k] += p[k];
      if (y) for (const k of [0, 1, 2] as const) cb[k] += p[k];
      a += +x;
      b += +y;
      ab += +(x && y);
    }
    return { dice: (2 * ab) / (a + b), dist: Math.hypot(ca[0]! / a - cb[0]! / b, ca[1]! / a - cb[1]! / b, ca[2]! / a - cb[2]! / b) };
  };

  it('finds the sacrum and labels T11 to S1 in order (T11 by its arch: its body is above the field of view)', () => {
    expect(res.report.sacrumFound).toBe(true);
    expect(res.report.vertebrae.map((v) => v.name)).toEqual(['T11', 'T12', 'L1', 'L2', 'L3', 'L4', 'L5', 'S1']);
    const T11 = res.report.vertebrae[0]!;
    expect(T11.bodyCentroidLps).toBeNull();
    expect(T11.notMeasured.some((m) => m.startsWith('vertebral body'))).toBe(true);
    expect(res.report.discs.map((d) => `${d.upper}-${d.lower}`)).toEqual(['T12-L1', 'L1-L2', 'L2-L3', 'L3-L4', 'L4-L5', 'L5-S1']);
    expect(res.report.warnings.some((w) => w.startsWith('T11: only its posterior arch'))).toBe(true);
  });

  it('places each vertebra on its reference (mean centroid distance, Dice per level)', () => {
    const per = res.report.vertebrae.map((v) => ({ name: v.name, ...stats(v.label, REF[v.name]!) }));
    console.log(per.map((p) => `${p.name} Dice ${p.dice.toFixed(3)} Δc ${p.dist.toFixed(1)} mm`).join('; '));
    const meanDist = per.reduce((s, p) => s + p.dist, 0) / per.length;
    expect(meanDist).toBeLessThanOrEqual(3);
    for (const p of per) expect(p.dice, p.name).toBeGreaterThanOrEqual(0.8);
  });

  it('gives the same levels on a 0.75 mm resampling of the same CT (thin-slice CT)', () => {
    const fine = resampleTrilinear({ ...ct, data: Int16Array.from(ct.data as ArrayLike<number>) } as Volume, [0.75, 0.75, 0.75]);
    const fineRes = characteriseSpine(fine, boneMaskFromCt(fine, bodyMaskFromCt(fine).mask).mask);
    // the levels with a body in view; T11's arch alone is not separated at 0.75 mm (there the intensity flood gives the
    // thoracic arches in the top slices to L1's front, so no arch piece of T12 stands apart)
    const withBody = (r: SpineResult) => r.report.vertebrae.filter((v) => v.bodyCentroidLps).map((v) => v.name);
    expect(withBody(fineRes)).toEqual(withBody(res));
    for (const v of fineRes.report.vertebrae.filter((x) => x.bodyCentroidLps)) {
      const c = res.report.vertebrae.find((x) => x.name === v.name)!.bodyCentroidLps!;
      expect(Math.hypot(v.bodyCentroidLps![0] - c![0], v.bodyCentroidLps![1] - c![1], v.bodyCentroidLps![2] - c![2]), v.name).toBeLessThan(6);
    }
  }, 60_000);

  it('measures L1 trabecular HU, disc heights and the lumbar lordosis', () => {
    const L1 = res.report.vertebrae.find((v) => v.name === 'L1')!;
    expect(L1.sphereHu!.voxels).toBeGreaterThan(5);
    expect(L1.sphereHu!.mean).toBeGreaterThan(50);
    expect(L1.sphereHu!.mean).toBeLessThan(300);
    expect(L1.screening).not.toBeNull();
    const lumbarDiscs = res.report.discs.filter((d) => d.lower.startsWith('L'));
    expect(lumbarDiscs.length).toBeGreaterThanOrEqual(3);
    for (const d of lumbarDiscs) if (d.heightsMm.middle !== null) expect(d.heightsMm.middle).toBeGreaterThan(3);
    expect(res.report.curvature.lumbarLordosisDeg).not.toBeNull();
    expect(res.report.curvature.lumbarLordosisDeg!).toBeGreaterThan(15);
    expect(res.report.curvature.lumbarLordosisDeg!).toBeLessThan(80);
  });
});

describeData('spine characterisation of the thin J2K DICOM slab', () => {
  it('gives a partial result and names what it cannot measure', async () => {
    const { volume } = await readVolume(dataPath('dicom/totalseg_ct_series_j2k'));
    const res = characteriseSpine(volume, null);
    expect(res.report.vertebrae.length).toBeGreaterThanOrEqual(1);
    const notMeasured = [...res.report.vertebrae.flatMap((v) => v.notMeasured), ...res.report.curvature.notMeasured];
    expect(notMeasured.some((m) => m.includes('Cobb'))).toBe(true);
    expect(res.report.warnings.some((w) => w.includes('sacrum') || w.includes('disc'))).toBe(true);
  });
});
