/**
 * A generated tracked-ultrasound session through the depth camera (issue 5,
 * item 5: ImageToProbe · ProbeToTracker · TrackerToCamera · CameraToImage),
 * built on the example CT: the camera's view of the back (simulateView: a
 * random camera pose, stereo depth noise, holes, table, non-rigid skin
 * motion), the camera ↔ tracker transform with fiducials seen by the camera
 * and touched in the tracker, a probe calibration (PLUS configuration) and a
 * sweep of sagittal planes through the spine whose frames are the CT
 * resliced on each plane (window 1800 / level 400, as the fusion view's
 * default for CT) and whose ProbeToTracker poses follow from the true
 * camera pose: ProbeToTracker = CameraToTracker · ImageToCamera_true ·
 * ImageToVolume · ProbeToImage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readVolume } from '../../electron/io/readVolume.js';
import { buildAnatomicalTwin } from '../../electron/engine/twinBuild.js';
import { TwinParams } from '../../capabilities/twins/contract.js';
import { cameraPrior, orientedSkin, skinWithoutCaps } from '../../electron/engine/registration/skin.js';
import { applyPoint, invert4, invertRigid, mul4, rigidFromRotationVector, type Mat4 } from '../../math/rigid.js';
import { writePlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { resliceOnPlane } from '../../capabilities/fusion/ui/fusionMath.js';
import { simulateView, writeAsciiPcd } from './skinScene.js';

export interface CameraFusionScene {
  capturePath: string;
  configPath: string;
  sequencePath: string;
  /** True camera → image (LPS mm). */
  truth: Mat4;
  cameraToTracker: Mat4;
  imageToProbe: Mat4;
  /** Fiducials of the calibration object: camera frame and tracker frame (mm). */
  fiducials: { camera: [number, number, number][]; tracker: [number, number, number][] };
  /** True ImageToVolume of each frame (pixels → LPS mm). */
  imageToVolume: Mat4[];
  width: number;
  height: number;
  spacingMm: number;
}

/**
 * Writes capture.pcd, probe-config.xml and camera-sweep.igs.mha into `dir`.
 * @param dataRoot the shared data folder (ct/totalseg_example_ct.nii.gz)
 */
export async function buildCameraFusionScene(dataRoot: string, dir: string, seed = 3, frames = 20): Promise<CameraFusionScene> {
  fs.mkdirSync(dir, { recursive: true });
  const ct = (await readVolume(path.join(dataRoot, 'ct', 'totalseg_example_ct.nii.gz'))).volume;
  const skin = skinWithoutCaps(buildAnatomicalTwin(ct, 'CT', TwinParams.parse({})).skinMesh, ct);
  const skinPts = orientedSkin(skin).points;
  const view = simulateView(skin, cameraPrior(skinPts, 'back'), seed);
  const capturePath = path.join(dir, 'capture.pcd');
  writeAsciiPcd(capturePath, view.cloud);

  const cameraToTracker = rigidFromRotationVector([0.4, -2.6, 0.3], [350, -120, 480]);
  const camera = Array.from({ length: 6 }, (_, i) => [-100 + 200 * (i % 2), -75 + 150 * ((i >> 1) % 2), 620 + 60 * (i >> 2)] as [number, number, number]);
  const tracker = camera.map((p) => applyPoint(cameraToTracker, p[0], p[1], p[2]));

  const width = 160,
    height = 120,
    s = 0.8;
  const scale = [s, 0, 0, 0, 0, s, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const imageToProbe = mul4(rigidFromRotationVector([0.1, 0.2, -0.3], [10, -5, 20]), scale);
  const configPath = path.join(dir, 'probe-config.xml');
  const row = (m: number[], r: number) => m.slice(4 * r, 4 * r + 4).join(' ');
  fs.writeFileSync(
    configPath,
    `<PlusConfiguration version="2.1">\n  <CoordinateDefinitions>\n    <Transform From="Image" To="Probe" Matrix="${[0, 1, 2, 3].map((r) => row(imageToProbe, r)).join('\n      ')}" Error="0.5" Date="generated" />\n  </CoordinateDefinitions>\n</PlusConfiguration>\n`,
  );

  // sagittal planes through the middle of the body, pixel rows from the back towards the front, swept ±12 mm left–right
  const c = [0, 1, 2].map((r) => ct.originLps[r]! + [0, 1, 2].reduce((a, k) => a + ct.direction[3 * r + k]! * ct.spacingMm[k]! * 0.5 * (ct.dims[k]! - 1), 0));
  let back = -Infinity;
  for (let i = 0; i < skinPts.length; i += 3)
    if (Math.abs(skinPts[i]! - c[0]!) < 20 && Math.abs(skinPts[i + 2]! - c[2]!) < 20) back = Math.max(back, skinPts[i + 1]!);
  const u = [0, 0, -1],
    v = [0, -1, 0],
    n = [u[1]! * v[2]! - u[2]! * v[1]!, u[2]! * v[0]! - u[0]! * v[2]!, u[0]! * v[1]! - u[1]! * v[0]!];
  const grid = { data: ct.data, dims: ct.dims, spacingMm: ct.spacingMm, originLps: ct.originLps, direction: ct.direction };
  const pixels = new Uint8Array(frames * width * height);
  const imageToVolume: Mat4[] = [];
  const seq = [];
  for (let f = 0; f < frames; f++) {
    const o = [c[0]! + 12 * Math.sin((2 * Math.PI * f) / frames), back - 5, c[2]! + (width / 2) * s];
    const m = [u[0]! * s, v[0]! * s, n[0]!, o[0]!, u[1]! * s, v[1]! * s, n[1]!, o[1]!, u[2]! * s, v[2]! * s, n[2]!, o[2]!, 0, 0, 0, 1];
    imageToVolume.push(m);
    pixels.set(resliceOnPlane(grid, m, width, height, width, height, [1800, 400]).grey, f * width * height);
    const probeToTracker = mul4(mul4(cameraToTracker, invertRigid(view.truth)), mul4(m, invert4(imageToProbe)));
    seq.push({ timestampS: 0.1 * f, transforms: { ProbeToTracker: { matrix: probeToTracker, status: 'OK' } }, fields: {} });
  }
  const sequencePath = path.join(dir, 'camera-sweep.igs.mha');
  writePlusSequence(sequencePath, { width, height, elementType: 'uint8', imageOrientation: 'MF', imageType: 'BRIGHTNESS', frames: seq, pixels });
  return {
    capturePath,
    configPath,
    sequencePath,
    truth: view.truth,
    cameraToTracker,
    imageToProbe,
    fiducials: { camera, tracker },
    imageToVolume,
    width,
    height,
    spacingMm: s,
  };
}
