/**
 * The live fusion loop, apart from React and from the page: for every
 * ultrasound frame of a live or replayed tracked-ultrasound source, the
 * frame's pose in the prior volume is ImageToVolume = VolumeFromReference ·
 * TrackerToReference · ProbeToTracker(t) · ImageToProbe (or through the depth
 * camera), with the tracker poses interpolated at the frame's acquisition time
 * t; the volume is resliced on that plane and drawn beside the frame and as an
 * overlay, with the 3D view of the plane, the probe and the skin. The drawing
 * surfaces (canvases, the GPU or CPU reslice view, the 3D view) are
 * fusionViews.ts's, behind `FusionSurfaces`.
 *
 * Performance properties (ARCHITECTURE.md, "Live fusion"): frames are fused
 * in their stream message's own task, so the stream's acknowledgement follows
 * the drawing and the next frame waits in the device host's latest-wins slot
 * rather than in this page's queue (latest wins here too: a frame replaced
 * before it was fused counts as superseded); the latency is stamped at the
 * display's next frame after drawing, on the one host clock; the 3D view is
 * updated at most twice a second, in a task of its own.
 *
 * The workspace creates the loop with its views (`createLiveFusion` in
 * fusionViews.ts), passes the settings on every render (`configure`), and
 * shows what `onStats` reports.
 */
import { toolPairRefusal, type Registration } from '../../contract.js';
import type { EnhanceModel, StreamHeader } from '../../../../electron/contract/devices.js';
import { binningMatrix } from '../../../../math/imageBinning.js';
import { maskedNcc } from '../../../../math/imageStats.js';
import { mul4 } from '../../../../math/transform.js';
import { predictedTre } from '../../../../math/uncertainty.js';
import { hostClockUs } from '../../../../native-bridges/core/clock.js';
import { boxResample, imagePlane, imageToVolume, percentile, type ColourMap, type ImagePlane, type PatientFrame } from '../fusionMath.js';
import { FusionMetrics, pushBounded } from './fusionMetrics.js';
import { CineBuffer, PoseHistory, type CineFrame } from '../liveBuffers.js';

/**
 * ImageToProbe for a frame's pixels: the full frame's calibration composed
 * with the frame's binning (a display copy; 0.5 for a model's SR ×2 output: upsampled pixels).
 * @param cal row-major 4×4, full-frame pixels → probe mm
 */
export const calibrationOf = (cal: number[], f: { binning: number }): number[] => (f.binning !== 1 ? mul4(cal, binningMatrix(f.binning)) : cal);

/** The tools seen on one device's pose stream (device id). */
export interface DeviceTools {
  device: string;
  tools: string[];
}

/**
 * The device a tool's poses are taken from for a frame of `frameDevice`: the frame's own device when it tracks the
 * tool (a tracked-ultrasound source), else the first other device that does; null when none does. The fusion loop
 * places frames with it and the workspace names the trackers of a refused tool pair with it.
 */
export function toolTracker(devices: readonly DeviceTools[], tool: string, frameDevice: string | null): string | null {
  if (!tool) return null;
  const own = devices.find((d) => d.device === frameDevice);
  if (own?.tools.includes(tool)) return own.device;
  return devices.find((d) => d.tools.includes(tool))?.device ?? null;
}

/** What the workspace's controls set (read by the loop when it fuses or draws a frame). */
export interface FusionSettings {
  /** Overlay opacity of the volume's layer, 0–1. */
  opacity: number;
  colourMap: ColourMap;
  edgesOnly: boolean;
  /** Tool names of the probe and of the patient reference ('' for none: the volume in the tracker's frame). */
  probeTool: string;
  referenceTool: string;
  /** The ultrasound source's device id; '' for any connected device. */
  usDevice: string;
  /** No new frame is fused while frozen (the cine loop is reviewed instead). */
  frozen: boolean;
  /** How tracker coordinates reach the volume; null when no frame can be placed (a registration without CameraToTracker). */
  patientFrame: PatientFrame | null;
  /** The patient registration in use (for the predicted TRE at the plane), null without one. */
  registration: Registration | null;
  /** The full frame's ImageToProbe (row-major 4×4, pixels → probe mm), null without a probe calibration. */
  imageToProbe: number[] | null;
  /**
   * The enhancement model whose output is fused (issue 22; the stream client asks the device host for it), null or
   * absent: the raw frames. While a model is chosen only its frames (header `enhancement`) are fused — the overlay,
   * NCC, cine and TRE use them; an SR ×2 frame is placed through its `binning` 0.5 — and raw frames (the split view's)
   * are left to the view.
   */
  enhance?: EnhanceModel | null;
}

/** What the status line shows, reported every 500 ms while the loop runs. */
export interface FusionStats {
  /** Frames shown since the last reset. */
  shown: number;
  /** NCC of the last fused frame with its reslice, NaN before one. */
  ncc: number;
  /** Tracker sample → screen latency over the last 300 frames (ms). */
  p50: number;
  p95: number;
  /** Frames superseded here plus dropped upstream (latest-wins). */
  dropped: number;
  /** Frames shown without a pose (with a probe calibration). */
  untracked: number;
  /** Tool names seen on any device. */
  tools: string[];
  /** The tools seen on each device: each tracker has its own frame. */
  toolsByDevice: DeviceTools[];
  /** The device of the last ultrasound frame received, null before one. */
  frameDevice: string | null;
  /** Frames shown unplaced because the probe / reference pair was refused (`toolPairRefusal`). */
  refused: number;
  cineLength: number;
  /** Predicted TRE of the registration at the centre of the shown plane (mm), NaN without one. */
  predictedAtPlaneMm: number;
  /** The enhancement header of the last frame fused (model, version, validation, ms; or raw with why), null for raw frames. */
  enhancement: StreamHeader['enhancement'] | null;
}

/** Calls from the loop to the workspace. */
export interface FusionCallbacks {
  /** The views' aspect (height / width of the image rectangle in mm) changed: the workspace resizes them. */
  onAspect(aspect: number): void;
  /** The status, every 500 ms between `start` and `stop`. */
  onStats(stats: FusionStats): void;
}

/** The drawing surfaces the loop uses (fusionViews.ts on the page; fakes in tests). */
export interface FusionSurfaces {
  /**
   * Draws the frame in the ultrasound view and as the overlay's base.
   * @param aspect the views' height / width
   * @returns the overlay canvas's size (pixels), null when the views are not on the page
   */
  drawUltrasound(f: CineFrame, aspect: number): { dw: number; dh: number } | null;
  /** The reslice view, null without a volume. */
  reslicer(): Reslicer | null;
  /** Draws the volume's layer (the reslice's grey levels where `mask` is 1) over the frame in the overlay canvas of `size`. */
  drawOverlay(rb: ResliceImage, mask: Uint8Array, size: { dw: number; dh: number }, o: Pick<FusionSettings, 'opacity' | 'colourMap' | 'edgesOnly'>): void;
  /** Whether there is a 3D view. */
  has3d(): boolean;
  /**
   * Shows the frame's plane and the probe in the 3D view.
   * @param cal the full frame's ImageToProbe (row-major 4×4), null: no probe drawn
   * @returns the time it took (ms), null when there is no 3D view (any more) or the frame is not placed
   */
  update3d(f: CineFrame, plane: ImagePlane, cal: number[] | null): number | null;
  /** Calls `cb` at the display's next frame (requestAnimationFrame). */
  nextFrame(cb: () => void): void;
}

/** A reslice's grey levels (0–255), `width` × `height` view pixels, row 0 at the top. */
export interface ResliceImage {
  grey: Uint8Array;
  width: number;
  height: number;
}

/** What the loop needs of a reslice view (views/vtk/resliceView.ts). */
export interface Reslicer {
  backend: 'gpu' | 'cpu';
  /** Reslices the volume on `plane` and renders it (synchronous). */
  show(plane: ImagePlane): void;
  /** The last render's grey levels (in the same task as `show`). */
  readBack(): ResliceImage;
}

const DEFAULT_SETTINGS: FusionSettings = {
  opacity: 0.5,
  colourMap: 'hot',
  edgesOnly: false,
  probeTool: 'ProbeToTracker',
  referenceTool: 'ReferenceToTracker',
  usDevice: '',
  frozen: false,
  patientFrame: null,
  registration: null,
  imageToProbe: null,
};

/** The live fusion: buffers, frame scheduler, reslice and drawing, measurements. */
export class FusionLoop {
  /** Recent poses per device (each device's clock and tool names are its own). */
  private readonly poses = new Map<string, PoseHistory>();
  /** The last 5 s of fused frames (at most 96 MB). */
  readonly cine = new CineBuffer(5);
  /** Counters and per-frame measurements (read by the page probe). */
  readonly metrics = new FusionMetrics();
  private pending: { frame: CineFrame; device: string; receivedUs: number } | null = null;
  /** The shown frame's plane in the volume frame (mm), and its ImageToVolume (of its pixels). */
  plane: ImagePlane | null = null;
  imageToVolume: number[] | null = null;
  /** The frame drawn last (live or from the cine loop). */
  lastFrame: CineFrame | null = null;
  private predictedAtPlane = NaN;
  private frameDevice: string | null = null;
  private enhancement: StreamHeader['enhancement'] | null = null;
  private settings: FusionSettings = DEFAULT_SETTINGS;
  private aspect = 0.75;
  private last3dMs = 0;
  private running = false;
  private scheduled = false;
  private statsTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly surfaces: FusionSurfaces,
    private readonly callbacks: FusionCallbacks,
  ) {}

  /** The settings from now on (the workspace passes them on every render). */
  configure(s: FusionSettings): void {
    this.settings = s;
  }

  /** Whether the settings say frozen (no frame is fused). */
  get frozen(): boolean {
    return this.settings.frozen;
  }

  /** Starts fusing arriving frames and reporting the status every 500 ms. */
  start(): void {
    this.running = true;
    if (!this.statsTimer) this.statsTimer = setInterval(() => this.callbacks.onStats(this.stats()), 500);
  }

  /** Stops fusing and reporting (frames still arrive into the buffers). */
  stop(): void {
    this.running = false;
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
  }

  /**
   * One stream message: a pose message goes to its device's history (and
   * fuses a frame waiting for it); a uint8 image of the ultrasound source
   * replaces the waiting frame (latest wins) and is fused now.
   */
  ingest(m: { header: StreamHeader; payload: Uint8Array }): void {
    const h = m.header;
    const o = this.settings;
    const M = this.metrics;
    if (h.stream === 'pose') {
      let ph = this.poses.get(h.device);
      if (!ph) this.poses.set(h.device, (ph = new PoseHistory()));
      ph.add(h);
      if (this.pending) this.schedule();
    } else if (h.stream === 'image' && h.width && h.height && h.scalar === 'uint8' && (!o.usDevice || h.device === o.usDevice)) {
      // with a model chosen only its channel is fused (a raw frame is the split view's); without one only raw frames
      if (o.enhance ? h.enhancement?.model !== o.enhance : h.enhancement) return;
      this.enhancement = h.enhancement ?? null;
      if (h.enhancement?.applied && h.enhancement.ms !== undefined) pushBounded(M.enhanceMs, h.enhancement.ms, 3000);
      M.received++;
      this.frameDevice = h.device;
      M.upstreamDropped = h.dropped;
      if (this.pending) M.superseded++;
      const c = h.components ?? 1;
      const pixels = new Uint8Array(h.width * h.height);
      if (c === 1) pixels.set(m.payload.subarray(0, pixels.length));
      else for (let k = 0; k < pixels.length; k++) pixels[k] = m.payload[k * c]!;
      this.pending = {
        frame: { seq: h.seq, timeUs: h.deviceTimeUs, width: h.width, height: h.height, pixels, binning: h.binning ?? 1, imageToVolume: null },
        device: h.device,
        receivedUs: hostClockUs(),
      };
      this.schedule();
    }
  }

  // fused in the message's own task: the stream's acknowledgement goes after it, so the next frame waits in the host's
  // latest-wins slot (replaced there by a newer one) rather than in this page's queue
  private schedule(): void {
    if (!this.running || this.scheduled || !this.pending) return;
    this.scheduled = true;
    this.process();
  }

  /** Fuses the waiting frame (the newest), then stamps it on screen at the display's next frame. */
  private process(): void {
    this.scheduled = false;
    const p = this.pending;
    if (!p || this.settings.frozen) return;
    const o = this.settings;
    const M = this.metrics;
    const cal = o.imageToProbe;
    // the poses of the frame's own device (a tracked-ultrasound source), else of a tracker that has the tool
    const seen = this.toolsByDevice();
    const probeDevice = toolTracker(seen, o.probeTool, p.device);
    const refDevice = o.referenceTool ? toolTracker(seen, o.referenceTool, p.device) : null;
    const historyFor = (device: string | null): PoseHistory => (device && this.poses.get(device)) || this.poses.get(p.device) || new PoseHistory();
    const probeHistory = historyFor(probeDevice);
    const refHistory = o.referenceTool ? historyFor(refDevice) : null;
    const probe = probeHistory.at(o.probeTool, p.frame.timeUs);
    // through the depth camera the reference tool is not used (the patient is taken as still since the capture)
    const throughReference = o.patientFrame?.kind === 'reference';
    const ref = refHistory && throughReference ? refHistory.at(o.referenceTool, p.frame.timeUs) : null;
    // the tracker's sample for this frame may still be on its way (another stream): wait for it (the next pose schedules us again), up to 100 ms
    const newest = Math.min(probeHistory.newestUs(o.probeTool) ?? -Infinity, refHistory ? (refHistory.newestUs(o.referenceTool) ?? -Infinity) : Infinity);
    if ((!probe || (o.patientFrame?.kind === 'reference' && !ref)) && newest < p.frame.timeUs && hostClockUs() - p.receivedUs < 100_000) {
      setTimeout(() => this.schedule(), 20);
      return;
    }
    this.pending = null;
    // the same tool as probe and reference, or the two from different trackers: the frame is shown, never placed
    const refused =
      toolPairRefusal({
        probeTool: o.probeTool,
        referenceTool: o.referenceTool,
        throughReference,
        probeTracker: probeDevice ? { id: probeDevice, name: probeDevice } : null,
        referenceTracker: refDevice ? { id: refDevice, name: refDevice } : null,
      }) !== null;
    p.frame.imageToVolume =
      cal && o.patientFrame && !refused ? imageToVolume(calibrationOf(cal, p.frame), probe?.matrix ?? null, ref?.matrix ?? null, o.patientFrame) : null;
    if (refused) M.refused++;
    else if (cal && !p.frame.imageToVolume) M.untracked++; // without a calibration nothing is placed, and the setup says so
    this.cine.push(p.frame);
    const t0 = performance.now();
    const placed = this.draw(p.frame);
    pushBounded(M.renderMs, performance.now() - t0, 3000);
    M.shown++;
    M.lastSeq = p.frame.seq;
    const sampleHostUs = Math.max(probe?.sampleHostUs ?? 0, ref?.sampleHostUs ?? 0);
    if (placed && sampleHostUs > 0) {
      // on screen: the display's next frame composites what was drawn now
      const drawnUs = hostClockUs();
      pushBounded(M.transport, { arrivedMs: (p.receivedUs - sampleHostUs) / 1000, drawnMs: (drawnUs - sampleHostUs) / 1000 }, 3000);
      this.surfaces.nextFrame(() => pushBounded(M.latenciesMs, (hostClockUs() - sampleHostUs) / 1000, 3000));
    }
  }

  /**
   * Draws one frame in every view (ultrasound, reslice, overlay; the 3D view
   * in a task of its own) and keeps its NCC with the reslice.
   * @returns false when it could not be placed in the volume
   */
  draw(f: CineFrame): boolean {
    const o = this.settings;
    const M = this.metrics;
    const t0 = performance.now();
    const size = this.surfaces.drawUltrasound(f, this.aspect);
    if (!size) return false;
    this.lastFrame = f;
    const reslice = this.surfaces.reslicer();
    if (!f.imageToVolume || !reslice) {
      this.imageToVolume = null;
      return false;
    }
    const plane = imagePlane(f.imageToVolume, f.width, f.height);
    const a = plane.sizeMm[1] / plane.sizeMm[0];
    if (Math.abs(a - this.aspect) > 1e-3) {
      this.aspect = a;
      this.callbacks.onAspect(a); // the views are resized on the next render; this frame is drawn at the old aspect
    }
    this.plane = plane;
    this.imageToVolume = f.imageToVolume;
    this.predictedAtPlane = o.registration ? predictedTre(o.registration, plane.centre) : NaN;
    const t1 = performance.now();
    reslice.show(plane);
    const rb = reslice.readBack();
    const t2 = performance.now();
    const mask = new Uint8Array(rb.grey.length);
    for (let k = 0; k < mask.length; k++) mask[k] = rb.grey[k]! > 0 ? 1 : 0;
    // overlay: the frame, then the volume's layer (colour map or edges) at the chosen opacity
    this.surfaces.drawOverlay(rb, mask, size, o);
    // consistency: the frame on the view's grid against the reslice, where the volume has data
    const small = boxResample(f.pixels, f.width, f.height, rb.width, rb.height);
    const r = maskedNcc(small, rb.grey, (k) => mask[k] === 1);
    pushBounded(M.ncc, { seq: f.seq, ncc: r.ncc, pixels: r.voxels }, 600);
    const t3 = performance.now();
    pushBounded(M.stages, { us: t1 - t0, reslice: t2 - t1, overlayNcc: t3 - t2 }, 3000);
    // the 3D view at most twice a second, in a task of its own after this frame is on screen
    if (this.surfaces.has3d() && (t3 - this.last3dMs > 500 || o.frozen)) {
      this.last3dMs = t3;
      const cal = o.imageToProbe;
      this.surfaces.nextFrame(() =>
        setTimeout(() => {
          const ms = this.surfaces.update3d(f, plane, cal);
          if (ms !== null) pushBounded(this.metrics.view3dMs, ms, 600);
        }, 0),
      );
    }
    return true;
  }

  /** Draws the last frame again (the window/level changed). */
  redraw(): void {
    if (this.lastFrame) this.draw(this.lastFrame);
  }

  /** Draws frame `index` of the cine loop again (the last frame drawn when there is none): a frozen frame after a setting changed. */
  showCine(index: number): void {
    const f = this.cine.get(index) ?? this.lastFrame;
    if (f) this.draw(f);
  }

  /** The volume's views are gone (another volume is chosen, or the workspace left): no plane shown. */
  volumeClosed(): void {
    this.plane = null;
  }

  /** The tools with poses on each device's stream now. */
  private toolsByDevice(): DeviceTools[] {
    return [...this.poses].map(([device, h]) => ({ device, tools: h.tools().filter((t) => h.newestUs(t) !== null) }));
  }

  /** The status line's values now. */
  stats(): FusionStats {
    const M = this.metrics;
    const last = M.ncc[M.ncc.length - 1];
    const lat = M.latenciesMs.slice(-300);
    return {
      shown: M.shown,
      ncc: last?.ncc ?? NaN,
      p50: percentile(lat, 50),
      p95: percentile(lat, 95),
      dropped: M.superseded + M.upstreamDropped,
      untracked: M.untracked,
      tools: [...new Set([...this.poses.values()].flatMap((h) => h.tools()))],
      toolsByDevice: this.toolsByDevice(),
      frameDevice: this.frameDevice,
      refused: M.refused,
      cineLength: this.cine.length,
      predictedAtPlaneMm: this.predictedAtPlane,
      enhancement: this.settings.enhance ? this.enhancement : null,
    };
  }
}
