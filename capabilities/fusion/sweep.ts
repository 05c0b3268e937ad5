/**
 * A tracked ultrasound sweep ready for reconstruction: a PLUS sequence file
 * (`.igs.mha` / `.igs.nrrd`) with the ImageToProbe calibration and the
 * reconstruction settings of a PLUS device-set configuration.
 */
import { framePixels, readPlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { readPlusConfig, plusTransform, type PlusVolumeReconstructionSettings } from '../../native-bridges/recording/plusConfig.js';
import { sweepFrames, type ReconstructionFrame, type ReconstructionOptions } from '../../electron/engine/fusion/reconstruct.js';
import { calibrateProbe, type NWire, type NWireSegmentationOptions, type ProbeCalibrationResult } from '../../electron/engine/fusion/nwire.js';

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

/**
 * Reconstruction options from a configuration's settings and the user's
 * choices: spacing (default the configuration's, else 0.5 mm), clip
 * rectangle, compounding and stick length from the configuration;
 * interpolation (default nearest) and hole filling (default on) from the user.
 */
export function reconstructionOptions(
  settings: PlusVolumeReconstructionSettings | null,
  user: { spacingMm?: number | null; interpolation?: 'nearest' | 'linear' | null; fillHoles?: boolean | null },
): ReconstructionOptions {
  const s = settings;
  return {
    spacingMm: user.spacingMm ?? s?.outputSpacingMm?.[0] ?? 0.5,
    ...(s?.clipOrigin ? { clipOrigin: s.clipOrigin } : {}),
    ...(s?.clipSize ? { clipSize: s.clipSize } : {}),
    interpolation: user.interpolation ?? 'nearest',
    compounding: s?.compounding ?? 'mean',
    fillHoles: user.fillHoles ?? true,
    stickLengthLimit: s?.stickLengthLimit ?? 9,
    numberOfSticks: s?.numberOfSticks ?? 1,
  };
}

const pair = (s: string | undefined): [number, number] | undefined => {
  const v = (s ?? '').trim().split(/\s+/).map(Number);
  return v.length === 2 && v.every(Number.isFinite) ? [v[0]!, v[1]!] : undefined;
};

/**
 * N-wire probe calibration from files: a tracked sweep over the phantom and
 * the PLUS configuration holding the phantom definition, its registration
 * (Phantom→Reference) and the segmentation settings.
 * @returns the calibration result, the number of frames with invalid tracking and the frames' size (px, width × height)
 * @throws Error naming the configuration when it lacks the N-wires, the registration or the pixel spacing; PlusSequenceError / PlusConfigError naming the file; ProbeCalibrationError when too few frames segment
 */
export function calibrateProbeFromFiles(
  sequenceFile: string,
  configFile: string,
  validationEvery = 3,
): ProbeCalibrationResult & { trackedInvalid: number; imageSize: [number, number] } {
  const cfg = readPlusConfig(configFile);
  if (cfg.nWirePatterns.length === 0) throw new Error(`${configFile}: no N-wire patterns in <PhantomDefinition>`);
  const phantomToReference = plusTransform(cfg, 'Phantom', 'Reference');
  if (!phantomToReference) throw new Error(`${configFile}: no Phantom→Reference transform (register the phantom first)`);
  const mmPerPixel = Number(cfg.segmentation['ApproximateSpacingMmPerPixel']);
  if (!(mmPerPixel > 0)) throw new Error(`${configFile}: <Segmentation ApproximateSpacingMmPerPixel> is missing or not positive`);
  const clipOrigin = pair(cfg.segmentation['ClipRectangleOrigin']);
  const clipSize = pair(cfg.segmentation['ClipRectangleSize']);
  const opts: NWireSegmentationOptions & { validationEvery: number } = {
    mmPerPixel,
    ...(clipOrigin ? { clipOrigin } : {}),
    ...(clipSize ? { clipSize } : {}),
    validationEvery,
  };
  const seq = readPlusSequence(sequenceFile);
  if (seq.width * seq.height === 0 || seq.elementType !== 'uint8') throw new Error(`${sequenceFile}: the sequence has no 8-bit ultrasound frames`);
  const frames = seq.frames.flatMap((f, i) => {
    const p = f.transforms['ProbeToTracker'];
    const r = f.transforms['ReferenceToTracker'];
    if (!p || !r || p.status !== 'OK' || r.status !== 'OK') return [];
    return [{ pixels: framePixels(seq, i), width: seq.width, height: seq.height, probeToTracker: p.matrix, referenceToTracker: r.matrix }];
  });
  const res = calibrateProbe(frames, cfg.nWirePatterns as unknown as [NWire, NWire, NWire][], phantomToReference, opts);
  return { ...res, trackedInvalid: seq.frames.length - frames.length, imageSize: [seq.width, seq.height] as [number, number] };
}
