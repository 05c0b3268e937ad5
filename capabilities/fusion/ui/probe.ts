/**
 * What the Fusion workspace exposes on `window.__orthotwinFusion` for
 * end-to-end tests, the latency benchmark and service engineers.
 */
import type { ImagePlane } from './fusionMath.js';

export interface FusionProbe {
  /** The prior volume is loaded and the views exist. */
  ready(): boolean;
  framesShown(): number;
  framesReceived(): number;
  lastSeq(): number;
  /** Per shown frame: NCC between the frame (on the reslice view's pixel grid) and the reslice, over the pixels where the volume has data. */
  ncc(): { seq: number; ncc: number; pixels: number }[];
  /** Per shown frame: host clock on screen − host receipt time of the tracker sample that placed it (ms). */
  latenciesMs(): number[];
  /** Per shown frame: time to draw it in every view (ms; the 3D view is updated apart, see view3dMs). */
  renderMs(): number[];
  /** Per shown frame, the parts of renderMs: ultrasound view, GPU reslice with read-back, overlay and NCC (ms). */
  stagesMs(): { us: number; reslice: number; overlayNcc: number }[];
  /** Per 3D-view update (at most 2 per second, in its own task): texture, plane, probe, render (ms). */
  view3dMs(): number[];
  /** Per shown frame, the path to the screen: when the frame reached the page and when it was drawn, after the tracker sample's host receipt (ms). */
  transportMs(): { arrivedMs: number; drawnMs: number }[];
  /** Per received frame of an enhancement model's output: the model's time in the device host's worker (ms). */
  enhanceMs(): number[];
  /** Frames not shown: superseded by a newer one before the display's next frame, dropped upstream (latest-wins), shown without a pose (with a probe calibration), shown unplaced because the probe / reference pair was refused. */
  dropped(): { superseded: number; upstream: number; untracked: number; refused: number };
  /** The shown frame's plane in the volume frame (mm). */
  plane(): ImagePlane | null;
  /** The shown frame's row-major ImageToVolume (of its pixels: a binned display copy's, when binned). */
  imageToVolume(): number[] | null;
  /** Source pixels per shown pixel of the last frame (the device host's display copy; 1 for full frames). */
  frameBinning(): number;
  frozen(): boolean;
  /** Where the reslice is computed: the GPU (vtkImageResliceMapper) or the CPU (software-GL machines). */
  resliceBackend(): 'gpu' | 'cpu' | null;
  /** Re-renders the last frame's reslice and compares it with the CPU reslice of the same pixels (NCC, max grey difference). */
  gpuCpuAgreement(): { ncc: number; pixels: number; maxDiff: number } | null;
  cineLength(): number;
  resetStats(): void;
}

declare global {
  interface Window {
    __orthotwinFusion?: FusionProbe;
  }
}
