/**
 * A tracked ultrasound sweep ready for reconstruction: a PLUS sequence file
 * (`.igs.mha` / `.igs.nrrd`) with the ImageToProbe calibration and the
 * reconstruction settings of a PLUS device-set configuration.
 */
import { readPlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { readPlusConfig, plusTransform, type PlusVolumeReconstructionSettings } from '../../native-bridges/recording/plusConfig.js';
import { sweepFrames, type ReconstructionFrame } from '../engine/fusion/reconstruct.js';

export interface LoadedSweep {
  frames: ReconstructionFrame[];
  /** Frames left out for a missing or not-OK probe/reference transform. */
  skipped: number;
  /** Row-major 4×4, image pixels → probe mm, from the configuration. */
  imageToProbe: number[];
  /** Reconstruction settings of the configuration (null when it has none). */
  settings: PlusVolumeReconstructionSettings | null;
  width: number;
  height: number;
}

/**
 * Reads a sweep and its PLUS configuration.
 * @param outputFromReference optional row-major 4×4 from the tracker's Reference frame to the output frame (mm), e.g. ReferenceToImage of a registered MR/CT
 * @throws PlusSequenceError / PlusConfigError naming the file; Error when the configuration has no Image→Probe chain; ReconstructionError when no frame is usable
 */
export function loadTrackedSweep(sequenceFile: string, configFile: string, outputFromReference?: readonly number[]): LoadedSweep {
  const cfg = readPlusConfig(configFile);
  const imageToProbe = plusTransform(cfg, 'Image', 'Probe');
  if (!imageToProbe) throw new Error(`${configFile}: no Image→Probe transform (ImageToProbe) in the coordinate definitions; calibrate the probe first`);
  const seq = readPlusSequence(sequenceFile);
  const { frames, skipped } = sweepFrames(seq, imageToProbe, outputFromReference ? { outputFromReference } : {});
  return { frames, skipped, imageToProbe, settings: cfg.reconstruction, width: seq.width, height: seq.height };
}
