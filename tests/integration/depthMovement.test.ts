/**
 * Issue 21 §5, depth-video movement.
 * (a) Generated ground truth: the example CT's skin articulated about the
 *     lumbosacral junction (between the L5 and S1 centroids of the reference
 *     labels) by KNOWN trunk angles — flexion 0→40→0°, lateral bending
 *     0→+20→−20→0°, axial rotation 0→+15→−15→0° — and seen from behind by
 *     the simulated D435 (renderDepth, default stereo noise, fixed seeds).
 *     The angles are recovered from the rendered depth frames only; the
 *     measured RMS per movement is printed. The CT covers T11–S1 and the
 *     pelvis below: its highest skin (T11–L1) stands in for the thoracic
 *     patch, and the pivot is where the CT has skin on both sides.
 *     The IMU comparison: the same movement as two IMUs (arbitrary
 *     mountings, trunkAngles.ts) on a clock 0.12 s behind; the cross-
 *     correlation must find the lag and the RMS difference must be small.
 * (b) PCL's five_people.pcd (real Kinect cloud): exactly five people, with
 *     sensible sizes and centroids, on a ground plane that agrees with the
 *     coefficients PCL's own people-detection test uses for this file.
 */
import { beforeAll, expect, it } from 'vitest';
import { alignAngleSeries, movementSummary, trunkAnglesFromDepth, type DepthTrunkSample } from '../../electron/engine/motion/depthMovement.js';
import { detectPeople } from '../../electron/engine/motion/depthPeople.js';
import { quaternionConjugate, quaternionFromAxisAngle, quaternionProduct, rotateVector, type Quaternion } from '../../electron/engine/motion/ahrs.js';
import { calibrateTrunk, relativeFromTrunkAngles, trunkAngleSeries, type TrunkAnglesDeg } from '../../electron/engine/motion/trunkAngles.js';
import { loadDepthFile } from '../../native-bridges/devices/depth/files.js';
import type { SurfaceMesh } from '../../native-bridges/devices/depth/simulator.js';
import { exampleBackScene, renderTrunk } from '../helpers/trunkMotionScene.js';
import { dataPath, describeData } from '../helpers/data.js';

const KEYS = ['flexion', 'lateralBending', 'axialRotation'] as const;
type Movement = 'flexion' | 'lateralBending' | 'axialRotation';

/** The known movements, t in [0, 2] s (0 outside): flexion 0→40→0, lateral bending 0→+20→−20→0, rotation 0→+15→−15→0. */
function truthAt(m: Movement, t: number): TrunkAnglesDeg {
  const a = { flexion: 0, lateralBending: 0, axialRotation: 0 };
  if (t < 0 || t > 2) return a;
  if (m === 'flexion') a.flexion = 20 * (1 - Math.cos(Math.PI * t));
  else if (m === 'lateralBending') a.lateralBending = 20 * Math.sin(Math.PI * t);
  else a.axialRotation = 15 * Math.sin(Math.PI * t);
  return a;
}

const FRAME_TIMES = Array.from({ length: 9 }, (_, k) => 0.25 * k);

describeData('depth-video trunk movement on the example CT (generated ground truth)', () => {
  let skin: SurfaceMesh;
  let pivot: number[];
  let camera: number[];
  const results = new Map<Movement, DepthTrunkSample[]>();

  beforeAll(async () => {
    const scene = await exampleBackScene(dataPath('ct/totalseg_example_ct.nii.gz'), dataPath('ct/totalseg_example_ct_vertebra_labels.nii.gz'));
    ({ skin, pivot, camera } = scene);
    const { lo, hi } = scene;
    console.log(
      `skin S ${lo.toFixed(0)}…${hi.toFixed(0)} mm, pivot (L5/S1) at S ${pivot[2]!.toFixed(0)} mm: ${(pivot[2]! - lo).toFixed(0)} mm below, ${(hi - pivot[2]!).toFixed(0)} mm above`,
    );
  }, 60_000);

  const run = (m: Movement, seed0: number): DepthTrunkSample[] => {
    // a neutral, upright reference capture before the movement (its own noise), then the movement's frames
    const frames = [{ timeS: -0.5, points: renderTrunk(skin, pivot, truthAt(m, -0.5), camera, seed0) }];
    FRAME_TIMES.forEach((t, k) => frames.push({ timeS: t, points: renderTrunk(skin, pivot, truthAt(m, t), camera, seed0 + 1 + k) }));
    const r = trunkAnglesFromDepth(frames);
    results.set(m, r);
    return r;
  };

  it.each([
    ['flexion', 100],
    ['lateralBending', 200],
    ['axialRotation', 300],
  ] as const)('%s: the trunk angles of the depth frames are within 2° RMS of the known ones', (m, seed) => {
    const t0 = performance.now();
    const r = run(m, seed);
    const sq = { flexion: 0, lateralBending: 0, axialRotation: 0 };
    const lines: string[] = [];
    r.slice(1).forEach((s) => {
      const truth = truthAt(m, s.timeS);
      for (const key of KEYS) sq[key] += (s.angles[key] - truth[key]) ** 2;
      lines.push(
        `  t ${s.timeS.toFixed(2)} s  truth ${KEYS.map((key) => truth[key].toFixed(1).padStart(6)).join('')}  depth ${KEYS.map((key) => s.angles[key].toFixed(2).padStart(7)).join('')}  fit ${s.lower.rmsMm.toFixed(2)}/${s.upper.rmsMm.toFixed(2)} mm`,
      );
    });
    const n = r.length - 1;
    const rms = { flexion: Math.sqrt(sq.flexion / n), lateralBending: Math.sqrt(sq.lateralBending / n), axialRotation: Math.sqrt(sq.axialRotation / n) };
    console.log(
      `${m}: RMS error flexion ${rms.flexion.toFixed(2)}°, lateral bending ${rms.lateralBending.toFixed(2)}°, axial rotation ${rms.axialRotation.toFixed(2)}° (${n} frames, ${((performance.now() - t0) / 1000).toFixed(1)} s)\n${lines.join('\n')}`,
    );
    // the movement's own angle, and no cross-talk into the others
    expect(rms[m]).toBeLessThan(2);
    for (const key of KEYS) expect(rms[key]).toBeLessThan(2);
    // the movement really happened in the frames (not a trivially zero estimate)
    const peak = Math.max(...r.map((s) => Math.abs(s.angles[m])));
    expect(peak).toBeGreaterThan(m === 'axialRotation' ? 13 : 18);
  });

  it('range of motion, peak velocity and left/right asymmetry of the recovered series', () => {
    const flex = results.get('flexion')!,
      lat = results.get('lateralBending')!,
      rot = results.get('axialRotation')!;
    const sum = (r: DepthTrunkSample[]) =>
      movementSummary(
        r.map((s) => s.timeS),
        r.map((s) => s.angles),
      );
    const f = sum(flex),
      l = sum(lat),
      a = sum(rot);
    console.log(
      `ROM flexion ${f.rangeOfMotion.flexion.range.toFixed(1)}°, lateral bending ${l.rangeOfMotion.lateralBending.range.toFixed(1)}° (R ${l.asymmetry.lateralBending.rightDeg.toFixed(1)} / L ${l.asymmetry.lateralBending.leftDeg.toFixed(1)}, index ${l.asymmetry.lateralBending.indexPct?.toFixed(1)} %), axial rotation ${a.rangeOfMotion.axialRotation.range.toFixed(1)}° (R ${a.asymmetry.axialRotation.rightDeg.toFixed(1)} / L ${a.asymmetry.axialRotation.leftDeg.toFixed(1)}, index ${a.asymmetry.axialRotation.indexPct?.toFixed(1)} %); peak velocity flexion ${f.peakVelocityDegS.flexion.toFixed(1)} °/s`,
    );
    expect(Math.abs(f.rangeOfMotion.flexion.range - 40)).toBeLessThan(3);
    expect(Math.abs(l.rangeOfMotion.lateralBending.range - 40)).toBeLessThan(3);
    expect(Math.abs(a.rangeOfMotion.axialRotation.range - 30)).toBeLessThan(3);
    // symmetric movements: both sides within 2° of the truth, index within ±15 %
    for (const s of [l.asymmetry.lateralBending, a.asymmetry.axialRotation]) {
      const truth = s === l.asymmetry.lateralBending ? 20 : 15;
      expect(Math.abs(s.rightDeg - truth)).toBeLessThan(2);
      expect(Math.abs(s.leftDeg - truth)).toBeLessThan(2);
      expect(Math.abs(s.indexPct!)).toBeLessThan(15);
    }
    // the sampled truth's peak velocity by the same central differences: 40·sin(π/4)/0.5 = 56.6 °/s
    expect(Math.abs(f.peakVelocityDegS.flexion - 56.6)).toBeLessThan(8);
  });

  it('IMU trunk angles of the same movement on a clock 0.12 s behind: lag found by cross-correlation, RMS difference < 2°', () => {
    const depth = results.get('lateralBending')!;
    const q = (axis: [number, number, number], deg: number): Quaternion => quaternionFromAxisAngle(axis, deg);
    // neutral frame (NWU): X anterior facing 30° from north, Y up, Z right; sensors mounted at arbitrary angles
    const neutral = quaternionProduct(q([0, 0, 1], 30), q([1, 0, 0], 90));
    const mountPelvis = q([0.3, -0.8, 0.5], 110),
      mountThorax = q([-0.6, 0.2, 0.7], 75);
    const lagTrue = 0.12;
    const imuT: number[] = [],
      thorax: Quaternion[] = [],
      pelvis: Quaternion[] = [];
    for (let k = 0; k <= 400; k++) {
      const tTrue = -1 + k / 100;
      imuT.push(tTrue - lagTrue);
      const rel = relativeFromTrunkAngles(truthAt('lateralBending', tTrue));
      pelvis.push(quaternionProduct(neutral, mountPelvis));
      thorax.push(quaternionProduct(quaternionProduct(neutral, rel), mountThorax));
    }
    const staticN = 80; // the first 0.8 s: upright, still
    const cal = calibrateTrunk(thorax.slice(0, staticN), pelvis.slice(0, staticN), rotateVector(quaternionConjugate(mountPelvis), [1, 0, 0]));
    const imuAngles = trunkAngleSeries(thorax, pelvis, cal);
    const al = alignAngleSeries({ timesS: depth.map((s) => s.timeS), angles: depth.map((s) => s.angles) }, { timesS: imuT, angles: imuAngles }, 0.5, 0.01);
    console.log(
      `depth vs IMU: lag ${al.lagS.toFixed(3)} s (true ${lagTrue} s), correlation ${al.correlation.toFixed(4)}, RMS difference flexion ${al.rmsDeg.flexion.toFixed(2)}°, lateral bending ${al.rmsDeg.lateralBending.toFixed(2)}°, axial rotation ${al.rmsDeg.axialRotation.toFixed(2)}° over ${al.samples} depth frames`,
    );
    expect(Math.abs(al.lagS - lagTrue)).toBeLessThan(0.04); // a sixth of the 0.25 s depth frame interval
    expect(al.correlation).toBeGreaterThan(0.99);
    for (const k of KEYS) expect(al.rmsDeg[k]).toBeLessThan(2);
    // without the alignment the same series differ much more
    const unaligned = alignAngleSeries({ timesS: depth.map((s) => s.timeS), angles: depth.map((s) => s.angles) }, { timesS: imuT, angles: imuAngles }, 0, 0.01);
    expect(unaligned.rmsDeg.lateralBending).toBeGreaterThan(2 * al.rmsDeg.lateralBending);
  });
});

describeData('people in a real Kinect cloud (PCL five_people.pcd)', () => {
  it('exactly five people, each a plausible standing adult, on the ground plane PCL uses for this file', () => {
    const cloud = loadDepthFile(dataPath('depth/five_people.pcd'));
    const t0 = performance.now();
    const d = detectPeople(cloud.points);
    const ms = performance.now() - t0;
    for (const p of d.people)
      console.log(
        `person: ${p.indices.length} points, centroid (${p.centroidMm.map((v) => v.toFixed(0)).join(', ')}) mm, top ${p.heightMm.toFixed(0)} mm above the ground, width ${p.widthMm.toFixed(0)} mm, silhouette ${(p.silhouetteMm2 / 1e6).toFixed(2)} m²`,
      );
    const nearMiss = d.rejected.filter((r) => r.heightMm > 1300 && r.heightMm < 2300);
    for (const r of nearMiss) console.log(`rejected: ${r.points} points at ${(r.centroidMm[2] / 1000).toFixed(2)} m: ${r.reason}`);
    console.log(`${d.people.length} people in ${ms.toFixed(0)} ms (${d.validPoints} valid points, ${d.voxels} voxels)`);
    expect(d.people).toHaveLength(5);
    // PCL's test_people_groundBasedPeopleDetectionApp: ground −0.0103586 x + 0.997011 y + 0.0765573 z − 1.26614 = 0 (m, normal down)
    const pcl = [-0.0103586, 0.997011, 0.0765573];
    const pn = Math.hypot(...pcl);
    const cos = -(d.ground.normal[0] * pcl[0]! + d.ground.normal[1] * pcl[1]! + d.ground.normal[2] * pcl[2]!) / pn;
    expect((Math.acos(Math.min(1, cos)) * 180) / Math.PI).toBeLessThan(2);
    expect(Math.abs(d.ground.d - 1266.14 / pn)).toBeLessThan(50);
    const seen = new Set<number>();
    for (const p of d.people) {
      expect(p.indices.length).toBeGreaterThan(10_000);
      expect(p.indices.length).toBeLessThan(60_000);
      expect(p.heightMm).toBeGreaterThan(1600);
      expect(p.heightMm).toBeLessThan(1950);
      expect(p.widthMm).toBeGreaterThan(300);
      expect(p.widthMm).toBeLessThan(700);
      expect(p.centroidMm[2]).toBeGreaterThan(1500);
      expect(p.centroidMm[2]).toBeLessThan(3500);
      // no point in two people
      for (const i of p.indices) {
        expect(seen.has(i)).toBe(false);
        seen.add(i);
      }
    }
    // left to right in the image, at least 250 mm apart
    for (let k = 1; k < 5; k++) {
      const a = d.people[k - 1]!.centroidMm,
        b = d.people[k]!.centroidMm;
      expect(a[0] / a[2]).toBeLessThan(b[0] / b[2]);
      expect(Math.hypot(a[0] - b[0], a[2] - b[2])).toBeGreaterThan(250);
    }
  });
});
