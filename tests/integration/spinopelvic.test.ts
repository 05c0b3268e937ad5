/**
 * Spinopelvic parameters on a real CT that shows the femoral heads
 * (totalseg_example_ct.nii.gz: 122×101×112, 3 mm, lumbar T11–S1 and the
 * pelvis with both femoral heads in its lowest ~20 slices; the left hip has a
 * fixation screw along the neck into the head), against a HAND measurement.
 *
 * The hand measurement (2026-11, by looking at slices rendered to PNG with
 * bilinear interpolation and a 5-voxel grid, circles overlaid as on a PACS
 * circle tool; voxel indices (i, j, k) of the file: i → patient right,
 * j → anterior, k → superior, 3 mm each):
 * - Right femoral head: on the axial slices k = 12–14 the head's disc is
 *   widest, from i = 79.8 to 94.4 and j = 37.3 to 52.5 → centre i = 87.1,
 *   j = 44.9 (radius ≈ 7.3 voxels = 22 mm); vertically, the top of the head's
 *   dome on the HU profile through that centre is at k = 19.74 (half maximum
 *   between the dome's 429 HU at k = 19 and 206 HU at k = 20) → centre
 *   k = 19.74 − 7.3 = 12.4. Checked with circles on the coronal (j = 45) and
 *   sagittal (i = 87) slices.
 * - Left femoral head: axial k = 13, from i = 23.6 to 37.9, j = 37.3 to 51.9
 *   → centre i = 30.8, j = 44.6 (radius ≈ 7.2 voxels); dome top at k = 21.5
 *   (654 HU at k = 21, 112 HU at k = 22) → k = 21.5 − 7.2 = 14.3.
 * - Hip axis HA = midpoint = (58.95, 44.75, 13.35).
 * - S1 superior endplate on the mid-sagittal slice i = 59: the bright endplate
 *   line runs from the posterosuperior corner (j = 31.5, k = 46.5; where it
 *   meets the posterior wall, the canal behind) to the anterosuperior corner,
 *   the promontory (j = 40.0, k = 38.0; the last bright voxel, 205 HU, before
 *   the presacral fat). Centre C = (j 35.75, k 42.25).
 * Arithmetic (sagittal plane, anterior = +j × 3 mm, superior = +k × 3 mm):
 * - SS = atan(Δk / Δj) of the endplate = atan(8.5 / 8.5) = 45.0°.
 * - C → HA: anterior (44.75 − 35.75) × 3 = 27.0 mm, down (42.25 − 13.35) × 3
 *   = 86.7 mm → PT = atan(27.0 / 86.7) = 17.3° (HA anterior of C: positive).
 * - PI = PT + SS = 62.3° (the angle between the endplate's perpendicular and
 *   C → HA, computed below from the same points).
 * The pipeline (version 0.3.0) gives PI 60.9°, PT 12.5°, SS 48.4°: |Δ| 1.4°,
 * 4.8°, 3.4°. Tolerance 6°, from the voxel size: each picked point is
 * uncertain by half a voxel to a voxel (1.5–3 mm) for the hand and for the
 * pipeline alike (the hip joint line is not resolved at 3 mm; the pipeline's
 * hip centre is the sphere of the head and acetabular surfaces); 3 mm A-P at
 * each end of the ~90 mm line C → HA moves PT by up to 2 × atan(3 / 90) ≈
 * 3.8°, and 1.5 mm at each corner of the ~36 mm endplate moves SS by
 * ≈ 4.8°.
 */
import { beforeAll, expect, it } from 'vitest';
import { readVolume } from '../../electron/io/readVolume.js';
import { characteriseSpine, type SpineResult } from '../../electron/engine/spine/index.js';
import { pelvicAngles, sagittalFrame } from '../../electron/engine/spine/pelvis.js';
import { boneMaskFromCt, bodyMaskFromCt } from '../../electron/engine/segmentation.js';
import { indexToLps, type Volume } from '../../electron/engine/volume.js';
import { dataPath, describeData } from '../helpers/data.js';

const HAND = {
  rightHead: [87.1, 44.9, 12.4],
  leftHead: [30.8, 44.6, 14.3],
  s1Posterior: [59, 31.5, 46.5],
  s1Anterior: [59, 40.0, 38.0],
};
const TOLERANCE_DEG = 6;

describeData('spinopelvic parameters of totalseg_example_ct.nii.gz against a hand measurement', () => {
  let ct: Volume;
  let res: SpineResult;
  beforeAll(async () => {
    ct = (await readVolume(dataPath('ct/totalseg_example_ct.nii.gz'))).volume;
    res = characteriseSpine(ct, boneMaskFromCt(ct, bodyMaskFromCt(ct).mask).mask);
  });

  const hand = () => {
    const r = indexToLps(ct, HAND.rightHead),
      l = indexToLps(ct, HAND.leftHead);
    const ha = indexToLps(ct, [
      (HAND.rightHead[0]! + HAND.leftHead[0]!) / 2,
      (HAND.rightHead[1]! + HAND.leftHead[1]!) / 2,
      (HAND.rightHead[2]! + HAND.leftHead[2]!) / 2,
    ]);
    const p = indexToLps(ct, HAND.s1Posterior),
      a = indexToLps(ct, HAND.s1Anterior);
    const c = indexToLps(ct, [59, (HAND.s1Posterior[1]! + HAND.s1Anterior[1]!) / 2, (HAND.s1Posterior[2]! + HAND.s1Anterior[2]!) / 2]);
    // endplate normal: perpendicular to the posterior → anterior corner line in the (P, S) plane, pointing superior
    const e = [a[0] - p[0], a[1] - p[1], a[2] - p[2]];
    const n: [number, number, number] = [0, -e[2]!, e[1]!]; // ⟂ to e in the (P, S) plane
    if (n[2] < 0) n.forEach((_, k) => (n[k] = -n[k]!));
    return { angles: pelvicAngles(ha, c, n, sagittalFrame(r, l)), ha, c };
  };

  it('the hand measurement: SS 45.0°, PT 17.3°, PI 62.3° (the arithmetic in the comment above)', () => {
    const { angles } = hand();
    console.log(`hand: PI ${angles.pelvicIncidenceDeg.toFixed(2)}° PT ${angles.pelvicTiltDeg.toFixed(2)}° SS ${angles.sacralSlopeDeg.toFixed(2)}°`);
    expect(angles.sacralSlopeDeg).toBeCloseTo(45.0, 0);
    expect(angles.pelvicTiltDeg).toBeCloseTo(17.3, 0);
    expect(angles.pelvicIncidenceDeg).toBeCloseTo(62.3, 0);
  });

  it(`finds both femoral heads and gives PI, PT and SS within ${TOLERANCE_DEG}° of the hand measurement (PI = PT + SS)`, () => {
    const sp = res.report.spinopelvic!;
    expect(sp.pelvic.measurable).toBe(true);
    if (!sp.pelvic.measurable) return;
    const { angles, ha } = hand();
    const p = sp.pelvic;
    console.log(
      `pipeline: PI ${p.pelvicIncidenceDeg.toFixed(2)}° PT ${p.pelvicTiltDeg.toFixed(2)}° SS ${p.sacralSlopeDeg.toFixed(2)}°; heads r ${p.femoralHeads.right.radiusMm.toFixed(1)} / ${p.femoralHeads.left.radiusMm.toFixed(1)} mm; hip axis ${Math.hypot(p.hipAxisLps[0] - ha[0], p.hipAxisLps[1] - ha[1], p.hipAxisLps[2] - ha[2]).toFixed(1)} mm from the hand's`,
    );
    expect(Math.abs(p.pelvicIncidenceDeg - angles.pelvicIncidenceDeg)).toBeLessThanOrEqual(TOLERANCE_DEG);
    expect(Math.abs(p.pelvicTiltDeg - angles.pelvicTiltDeg)).toBeLessThanOrEqual(TOLERANCE_DEG);
    expect(Math.abs(p.sacralSlopeDeg - angles.sacralSlopeDeg)).toBeLessThanOrEqual(TOLERANCE_DEG);
    expect(p.pelvicIncidenceDeg).toBeCloseTo(p.pelvicTiltDeg + p.sacralSlopeDeg, 9);
    // the agreement the UI shows next to each value is this very comparison (to its 0.1° rounding)
    expect(sp.handAgreementDeg!.pelvicIncidence).toBeCloseTo(Math.abs(p.pelvicIncidenceDeg - angles.pelvicIncidenceDeg), 1);
    expect(sp.handAgreementDeg!.pelvicTilt).toBeCloseTo(Math.abs(p.pelvicTiltDeg - angles.pelvicTiltDeg), 1);
    expect(sp.handAgreementDeg!.sacralSlope).toBeCloseTo(Math.abs(p.sacralSlopeDeg - angles.sacralSlopeDeg), 1);
    // each head centre within 10 mm of the hand's (3 mm voxels; the pipeline's sphere takes in the acetabulum)
    for (const [h, t] of [
      [p.femoralHeads.right, HAND.rightHead],
      [p.femoralHeads.left, HAND.leftHead],
    ] as const) {
      const q = indexToLps(ct, t);
      expect(Math.hypot(h.centreLps[0] - q[0], h.centreLps[1] - q[1], h.centreLps[2] - q[2])).toBeLessThan(10);
    }
    expect(sp.reference).toMatch(/supine/);
  });

  it('says the SVA is not measurable: C7 is not in the volume', () => {
    expect(res.report.spinopelvic!.sva).toEqual({ measurable: false, reason: 'not measurable: C7 not in the volume' });
  });
});

describeData('spinopelvic parameters of a CT without the pelvis', () => {
  it('are not measurable, with the reason, on the thin J2K slab', async () => {
    const { volume } = await readVolume(dataPath('dicom/totalseg_ct_series_j2k'));
    const sp = characteriseSpine(volume, null).report.spinopelvic!;
    expect(sp.pelvic.measurable).toBe(false);
    expect(sp.sva.measurable).toBe(false);
  });
});
