/**
 * Generated ground truth for a depth session compared with the IMU of the
 * same visit (issue 21 §5/§7; motionDepthSession.test.ts and the Motion
 * e2e): the example CT's skin articulated about L5/S1 by a KNOWN flexion —
 * still for 0.5 s, then 0→30→0° (15·(1 − cos π(t − 0.5)), t = 0.5…2.5 s),
 * still again to 3 s — seen by the simulated D435 1.2 m behind with a floor
 * in view (trunkMotionScene.ts), thirteen frames 0.25 s apart written as the
 * device host's recorder writes a depth session (PLUS, uint16, intrinsics
 * per frame, session clock at 1000 s); and the same movement from the IMU: a
 * PicoX recording (C3D, IMU at T12 and S1 interpolated onto 2000 Hz sEMG,
 * imuScene.ts) in which the flexion starts at 6.8 s — the
 * depth recording started 6.3 s after the IMU trial, so the lag that brings
 * the IMU's times onto the depth recording's is −6.3 s. A second PicoX
 * recording has sEMG only (no trunk angles).
 */
import fs from 'node:fs';
import path from 'node:path';
import { D435_INTRINSICS } from '../../native-bridges/devices/depth/simulator.js';
import { PlusSequenceWriter } from '../../native-bridges/recording/plusSequence.js';
import { quaternionFromAxisAngle, quaternionNormalise, quaternionProduct, type Quaternion } from '../../electron/engine/motion/ahrs.js';
import { ON_BACK, picoxImuRecording } from './imuScene.js';
import { articulate, exampleBackScene, floorInView, mergeMeshes, renderDepthU16 } from './trunkMotionScene.js';

export const FRAMES = 13,
  DT = 0.25,
  T0 = 1000;
/** Flexion (°) of a movement starting at `start` (s): 0→30→0 over 2 s. */
export const flexionAt = (t: number, start: number): number => (t < start || t > start + 2 ? 0 : 15 * (1 - Math.cos(Math.PI * (t - start))));
export const DEPTH_START = 0.5,
  IMU_START = 6.8,
  LAG = DEPTH_START - IMU_START; // IMU time + lag = depth time

// ---- the IMU recording (imuScene.ts, flexion only)
const T_IMU = 12;
const thoraxQ = (t: number): Quaternion => quaternionNormalise(quaternionProduct(quaternionFromAxisAngle([0, 1, 0], flexionAt(t, IMU_START)), ON_BACK));
const imuRecording = (withImu: boolean): Uint8Array =>
  picoxImuRecording({
    sensors: [
      { label: 'EMG1', description: 'erector spinae T12 left', q: thoraxQ },
      { label: 'EMG2', description: 'erector spinae S1 left', q: (): Quaternion => ON_BACK },
    ],
    seconds: T_IMU,
    seed: 11,
    emgNoiseV: 1e-5,
    withImu,
  });

/** The files written by `writeDepthSessionFiles`. */
export interface DepthSessionFiles {
  /** The depth recording (`depth-1_Depth.igs.mha`), the PicoX recording with IMU and the one with sEMG only. */
  recording: string;
  imuFile: string;
  emgOnly: string;
}

/**
 * Renders the depth recording and synthesises the two PicoX recordings into `dir`.
 * @param ctPath the example CT (`ct/totalseg_example_ct.nii.gz`) @param labelsPath its vertebra labels
 */
export async function writeDepthSessionFiles(dir: string, ctPath: string, labelsPath: string): Promise<DepthSessionFiles> {
  const recording = path.join(dir, 'depth-1_Depth.igs.mha');
  const imuFile = path.join(dir, 'picox-1_Motion.c3d');
  const emgOnly = path.join(dir, 'picox-2_Motion.c3d');
  const { skin, pivot, hi, camera } = await exampleBackScene(ctPath, labelsPath);
  const floor = floorInView(camera, hi - 1500);
  const K = D435_INTRINSICS;
  const fields = { Fx: String(K.fx), Fy: String(K.fy), Cx: String(K.cx), Cy: String(K.cy), DepthScaleMm: String(K.depthScaleMm) };
  const writer = new PlusSequenceWriter(recording, { elementType: 'uint16' });
  for (let k = 0; k < FRAMES; k++) {
    const t = DT * k;
    const u16 = renderDepthU16(
      mergeMeshes([articulate(skin, pivot, { flexion: flexionAt(t, DEPTH_START), lateralBending: 0, axialRotation: 0 }), floor]),
      camera,
      20 + k,
    );
    writer.add(
      { timestampS: T0 + t, transforms: {}, fields: { ReceiveTimestamp: String(T0 + t + 0.01), FrameNumber: String(k), ...fields } },
      { width: K.width, height: K.height, pixels: new Uint8Array(u16.buffer) },
    );
  }
  writer.finish();
  fs.writeFileSync(imuFile, imuRecording(true));
  fs.writeFileSync(emgOnly, imuRecording(false));
  return { recording, imuFile, emgOnly };
}
