/**
 * The live fusion on the page: the drawing surfaces of the fusion loop
 * (fusionLoop.ts) — the ultrasound and overlay canvases, the reslice view
 * (GPU vtk.js vtkImageResliceMapper, or the CPU reslice on software-GL
 * machines), the 3D view of the plane, probe and skin, the window/level drag
 * on the reslice — and the device streams feeding the loop, asking the device
 * host for display copies binned to the views' width (`imageMaxWidth`). No
 * React: the workspace mounts the elements and calls `createLiveFusion`.
 */
import { bulkUrls } from '../../../../electron/contract/index.js';
import { type Registration } from '../../contract.js';
import { type Twin } from '../../../twins/contract.js';
import { type VolumeRecord } from '../../../studies/contract.js';
import type { Mat3 } from '../../../../math/geometry.js';
import { invert4, mul4 } from '../../../../math/transform.js';
import type vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import { createCpuResliceView, createResliceView, softwareWebGl, type ResliceView } from '../../../../renderer/views/vtk/resliceView.js';
import { createFusion3DView, type Fusion3DView } from '../../../../renderer/views/vtk/fusion3DView.js';
import type { Client } from '../../../../renderer/ipc/client.js';
import { openStreams } from '../../../devices/ui/openStreams.js';
import { drawGreyFrame } from '../../../devices/ui/EnhanceView.js';
import type { StreamClient, StreamEnhance } from '../../../devices/ui/streamClient.js';
import { makeImageData, voxelsFromBuffer } from '../../../../renderer/views/vtk/volumeImage.js';
import { maskedNcc } from '../../../../math/imageStats.js';
import { predictedTre } from '../../../../math/uncertainty.js';
import { boxResample, imagePlane, overlayLayer, resliceOnPlane, type ColourMap, type ImagePlane, type VoxelGrid } from '../fusionMath.js';
import { calibrationOf, FusionLoop, type FusionCallbacks, type FusionSurfaces, type ResliceImage } from './fusionLoop.js';
import type { CineFrame } from '../liveBuffers.js';
import { TRE_COLOURS } from '../treColours.js';

/** Width of the 2D views on screen (CSS px); heights follow the image's aspect in mm. */
export const VIEW_W = 400;

/** Where the reslice is computed: 'auto' picks the CPU where WebGL is a software renderer. */
export type ResliceChoice = 'auto' | 'gpu' | 'cpu';

/**
 * The elements the loop draws into, looked up when it draws (the workspace
 * mounts and unmounts them; null while they are not on the page).
 */
export interface FusionElements {
  /** The ultrasound frame's canvas. */
  ultrasound(): HTMLCanvasElement | null;
  /** The overlay's canvas (the frame, then the volume's layer). */
  overlay(): HTMLCanvasElement | null;
  /** The box the reslice view is created in. */
  reslice(): HTMLElement | null;
  /** The box the 3D view is created in. */
  threeD(): HTMLElement | null;
  /** The split view's canvas for the raw frames while a model's output is fused (issue 22), null when not shown. */
  raw?(): HTMLCanvasElement | null;
}

/** The frame's width in device pixels of the 2D views (the display copies the device host is asked for). */
export const viewDevicePixels = (): number => Math.round(VIEW_W * (window.devicePixelRatio || 1));

/** Initial [window, level] of the prior volume by modality (in its units; a linear ramp over the range for ultrasound and MR). */
export function initialWindowLevel(v: VolumeRecord, modality: string): [number, number] {
  if (modality === 'CT') return [1800, 400];
  const w = Math.max(1, v.maxValue - v.minValue);
  return modality === 'MR' ? [0.8 * w, v.minValue + 0.4 * w] : [w, v.minValue + w / 2];
}

/** The volume's voxels with their geometry (LPS mm) for the CPU reslice. */
export function voxelGridOf(v: VolumeRecord, buffer: ArrayBuffer): VoxelGrid {
  return { data: voxelsFromBuffer(v.voxelType, buffer), dims: v.dims, spacingMm: v.spacingMm, originLps: v.originLps, direction: v.direction as Mat3 };
}

/**
 * The reslice view in `box`: GPU reslicing (vtk.js) unless the WebGL is a
 * software renderer, where a GPU round trip costs more than the CPU reslice;
 * rendered at 0.7 of the finest voxel spacing (finer pixels would show nothing more).
 */
export function createReslice(
  box: HTMLElement,
  v: VolumeRecord,
  image: vtkImageData,
  grid: VoxelGrid,
  wl: [number, number],
  choice: ResliceChoice,
): ResliceView {
  const pixelMm = 0.7 * Math.min(...v.spacingMm);
  const useGpu = choice === 'gpu' || (choice === 'auto' && !softwareWebGl());
  return useGpu ? createResliceView(box, image, wl, pixelMm) : createCpuResliceView(box, grid, wl, pixelMm);
}

/** The twin's skin mesh (VTP) of the volume, if it has one. */
export const skinOf = (twins: readonly Twin[], volumeId: string): { id: string; url: string } | null => {
  const skin = twins.find((t) => t.volumeId === volumeId)?.artefacts.find((a) => a.kind === 'skin-mesh' && a.format === 'vtp');
  return skin ? { id: skin.id, url: bulkUrls.artefact(skin.id) } : null;
};

/**
 * Draws the frame in the ultrasound canvas and as the overlay's base, at the
 * views' device pixels: a display copy (binned by the device host to about
 * the view's width) as it comes, the canvas scaling it; a wider frame
 * area-averaged down (what the screen can show, fewer pixels to composite).
 * @param aspect the views' height / width (of the image rectangle in mm)
 * @returns the canvases' size (pixels), null when they are not on the page
 */
export function drawUltrasound(el: FusionElements, f: CineFrame, aspect: number): { dw: number; dh: number } | null {
  const uc = el.ultrasound();
  const oc = el.overlay();
  if (!uc || !oc) return null;
  const view = viewDevicePixels();
  const asIs = f.width <= 1.5 * view;
  const dw = asIs ? f.width : view;
  const dh = asIs ? f.height : Math.min(f.height, Math.round(view * aspect));
  if (uc.width !== dw || uc.height !== dh) {
    uc.width = oc.width = dw;
    uc.height = oc.height = dh;
  }
  const g = uc.getContext('2d', { willReadFrequently: true })!;
  const data = g.createImageData(dw, dh);
  const px = asIs ? f.pixels : boxResample(f.pixels, f.width, f.height, dw, dh);
  // grey → RGBA, one 32-bit write per pixel (little-endian: R in the low byte, opaque alpha)
  const rgba = new Uint32Array(data.data.buffer);
  for (let k = 0; k < rgba.length; k++) rgba[k] = (0xff000000 | (Math.round(px[k]!) * 0x010101)) >>> 0;
  g.putImageData(data, 0, 0);
  const og = oc.getContext('2d', { willReadFrequently: true })!;
  og.globalAlpha = 1;
  og.drawImage(uc, 0, 0);
  return { dw, dh };
}

/**
 * The volume's layer over the frame in the overlay canvas: the reslice's grey
 * levels (`width` × `height`, 0–255) through a colour map or as Sobel edges,
 * where `mask` is 1, at the chosen opacity, scaled to the canvas (`dw` × `dh`).
 * @param layer a scratch canvas (reused frame to frame)
 */
export function drawOverlayLayer(
  el: FusionElements,
  layer: HTMLCanvasElement,
  rb: ResliceImage,
  mask: Uint8Array,
  size: { dw: number; dh: number },
  o: { opacity: number; colourMap: ColourMap; edgesOnly: boolean },
): void {
  const og = el.overlay()?.getContext('2d', { willReadFrequently: true });
  if (!og) return;
  if (layer.width !== rb.width) layer.width = rb.width;
  if (layer.height !== rb.height) layer.height = rb.height;
  const lg = layer.getContext('2d', { willReadFrequently: true })!;
  lg.putImageData(new ImageData(overlayLayer(rb.grey, mask, rb.width, rb.height, o.colourMap, o.edgesOnly), rb.width, rb.height), 0, 0);
  og.globalAlpha = o.opacity;
  og.drawImage(layer, 0, 0, size.dw, size.dh);
  og.globalAlpha = 1;
}

/**
 * The 3D view: the plane textured with the frame at half resolution, and the
 * probe's axes (ProbeToVolume = ImageToVolume · ImageToProbe⁻¹).
 * @param cal the full frame's ImageToProbe (row-major 4×4), null: no probe drawn
 * @returns the time it took (ms)
 */
export function update3d(view3d: Fusion3DView, f: CineFrame, plane: ImagePlane, cal: number[] | null): number {
  const t0 = performance.now();
  const w = Math.max(1, f.width >> 1);
  const h = Math.max(1, f.height >> 1);
  const half = Uint8Array.from(boxResample(f.pixels, f.width, f.height, w, h), Math.round);
  view3d.setPlane(plane, { pixels: half, width: w, height: h });
  view3d.setProbe(cal && f.imageToVolume ? mul4(f.imageToVolume, invert4(calibrationOf(cal, f))) : null);
  view3d.render();
  return performance.now() - t0;
}

/**
 * W/L drag on the reslice view (horizontal: window, vertical: level), as in
 * radiology viewers; the views are looked up on every move.
 * @param redraw draws the last frame again with the new window/level
 */
export function installWindowLevelDrag(reslice: () => ResliceView | null, view3d: () => Fusion3DView | null, redraw: () => void): void {
  const el = reslice()?.element();
  if (!el) return;
  let start: { x: number; y: number; w: number; l: number } | null = null;
  el.addEventListener('pointerdown', (e) => {
    const [w, l] = reslice()!.windowLevel();
    start = { x: e.clientX, y: e.clientY, w, l };
    el.setPointerCapture(e.pointerId);
  });
  el.addEventListener('pointermove', (e) => {
    const r = reslice();
    if (!start || !r) return;
    const k = Math.max(1, start.w) / 200;
    const w = Math.max(1, start.w + (e.clientX - start.x) * k);
    const l = start.l - (e.clientY - start.y) * k;
    r.setWindowLevel(w, l);
    view3d()?.setWindowLevel(w, l);
    redraw();
  });
  el.addEventListener('pointerup', () => (start = null));
}

/** The prior volume to fuse with, for `FusionViews.openVolume`. */
export interface VolumeRequest {
  client: Client;
  volume: VolumeRecord;
  /** The series' modality ('CT', 'MR', 'US', …): the initial window/level. */
  modality: string;
  /** The patient's twins (the volume's twin gives the skin of the 3D view). */
  twins: readonly Twin[];
  backend: ResliceChoice;
  /** True once the request is superseded (the workspace chose another volume or left). */
  cancelled(): boolean;
  /** Called as soon as the reslice view exists. */
  onBackend(backend: 'gpu' | 'cpu'): void;
}

/** The prior volume's views in the workspace's elements, as the loop's surfaces. */
export class FusionViews implements FusionSurfaces {
  private reslice: ResliceView | null = null;
  private view3d: Fusion3DView | null = null;
  private grid: VoxelGrid | null = null;
  private layer: HTMLCanvasElement | null = null;

  /** @param redraw draws the last frame again (after a window/level drag) */
  constructor(
    private readonly el: FusionElements,
    private readonly redraw: () => void,
  ) {}

  drawUltrasound(f: CineFrame, aspect: number): { dw: number; dh: number } | null {
    return drawUltrasound(this.el, f, aspect);
  }

  reslicer(): ResliceView | null {
    return this.reslice;
  }

  drawOverlay(rb: ResliceImage, mask: Uint8Array, size: { dw: number; dh: number }, o: { opacity: number; colourMap: ColourMap; edgesOnly: boolean }): void {
    drawOverlayLayer(this.el, (this.layer ??= document.createElement('canvas')), rb, mask, size, o);
  }

  has3d(): boolean {
    return this.view3d !== null;
  }

  update3d(f: CineFrame, plane: ImagePlane, cal: number[] | null): number | null {
    return this.view3d && f.imageToVolume ? update3d(this.view3d, f, plane, cal) : null;
  }

  nextFrame(cb: () => void): void {
    requestAnimationFrame(() => cb());
  }

  /**
   * Loads the prior volume and creates its views in the workspace's boxes:
   * the reslice view (GPU or CPU, `request.backend`), the 3D view with the
   * twin's skin, the window/level drag.
   * @returns true when the views are ready, false when the request was cancelled or the boxes are gone
   */
  async openVolume(request: VolumeRequest): Promise<boolean> {
    const { client, volume: v } = request;
    const { buffer } = await client.fetchBinary(bulkUrls.volume(v.id));
    const resliceBox = this.el.reslice();
    const threeDBox = this.el.threeD();
    if (request.cancelled() || !resliceBox || !threeDBox) return false;
    const image = makeImageData(v, buffer);
    this.grid = voxelGridOf(v, buffer);
    const wl = initialWindowLevel(v, request.modality);
    this.reslice = createReslice(resliceBox, v, image, this.grid, wl, request.backend);
    request.onBackend(this.reslice.backend);
    this.view3d = createFusion3DView(threeDBox, image, wl);
    const skin = skinOf(request.twins, v.id);
    if (skin) {
      const vtp = (await client.fetchBinary(skin.url)).buffer;
      if (request.cancelled() || !this.view3d) return false;
      this.view3d.setSkin(vtp);
    }
    this.view3d.render();
    installWindowLevelDrag(
      () => this.reslice,
      () => this.view3d,
      () => this.redraw(),
    );
    return true;
  }

  /** Destroys the volume's views (another volume is chosen, or the workspace leaves). */
  closeVolume(): void {
    this.reslice?.destroy();
    this.view3d?.destroy();
    this.reslice = null;
    this.view3d = null;
  }

  /** The reslice view's size follows its box (after the workspace resized the views). */
  resize(): void {
    this.reslice?.resize();
  }

  /** Where the reslice is computed, null without a volume. */
  resliceBackend(): 'gpu' | 'cpu' | null {
    return this.reslice?.backend ?? null;
  }

  /** Colours the 3D view's skin by the registration's predicted TRE over [0, rangeMm] (the plain skin without a registration). */
  showTreMap(registration: Registration | null, rangeMm: number): void {
    const v = this.view3d;
    if (!v) return;
    v.setSkinScalars(registration ? (x, y, z) => predictedTre(registration, [x, y, z]) : null, rangeMm, TRE_COLOURS);
    v.render();
  }

  /** Re-renders frame `f`'s reslice and compares it with the CPU reslice of the same pixels (NCC, max grey difference). */
  gpuCpuAgreement(f: CineFrame | null): { ncc: number; pixels: number; maxDiff: number } | null {
    if (!f?.imageToVolume || !this.reslice || !this.grid) return null;
    const plane = imagePlane(f.imageToVolume, f.width, f.height);
    this.reslice.show(plane);
    const shown = this.reslice.readBack();
    const cpu = resliceOnPlane(this.grid, f.imageToVolume, f.width, f.height, shown.width, shown.height, this.reslice.windowLevel());
    let maxDiff = 0;
    for (let k = 0; k < cpu.grey.length; k++) if (cpu.inside[k] && shown.grey[k]! > 0) maxDiff = Math.max(maxDiff, Math.abs(cpu.grey[k]! - shown.grey[k]!));
    const r = maskedNcc(shown.grey, cpu.grey, (k) => cpu.inside[k] === 1 && shown.grey[k]! > 0);
    return { ncc: r.ncc, pixels: r.voxels, maxDiff };
  }
}

/** The live fusion of a workspace: the loop and its views. */
export interface LiveFusion {
  loop: FusionLoop;
  views: FusionViews;
  /**
   * Opens the device streams (display copies binned to the views' width in
   * device pixels; recordings keep the full frames) and feeds every message to
   * the loop in the message's own task.
   * @returns closes the streams
   */
  connect(client: Client): () => void;
  /**
   * Asks the device host for a model's output (null: raw frames only) and, with `raw`, the raw frames as well for
   * the split view; the loop fuses what `FusionSettings.enhance` says.
   */
  setEnhance(view: StreamEnhance): void;
  /** Destroys the volume's views; the loop shows no plane. */
  closeVolume(): void;
}

/** The loop drawing into `el`, reporting through `callbacks`. */
export function createLiveFusion(el: FusionElements, callbacks: FusionCallbacks): LiveFusion {
  const views: FusionViews = new FusionViews(el, () => loop.redraw());
  const loop = new FusionLoop(views, callbacks);
  let streams: StreamClient | null = null;
  let enhanceView: StreamEnhance = { enhance: null, raw: false };
  return {
    loop,
    views,
    connect: (client) => {
      const sc = openStreams(client, { imageMaxWidth: viewDevicePixels(), view: enhanceView });
      streams = sc;
      const unsub = sc?.onMessage((m) => {
        // the split view's raw half: raw frames while a model's output is fused
        const rc = enhanceView.enhance && enhanceView.raw && m.header.stream === 'image' && !m.header.enhancement ? el.raw?.() : null;
        if (rc) drawGreyFrame(rc, m);
        loop.ingest(m);
      });
      return () => {
        unsub?.();
        sc?.close();
        if (streams === sc) streams = null;
      };
    },
    setEnhance: (view) => {
      enhanceView = { ...view };
      streams?.setEnhance(view);
    },
    closeVolume: () => {
      views.closeVolume();
      loop.volumeClosed();
    },
  };
}
