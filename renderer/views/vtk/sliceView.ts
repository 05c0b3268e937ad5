/**
 * One MPR slice view (axial, coronal or sagittal) with vtk.js: a vtkImageSlice
 * of the volume's index axis closest to the view's world axis, an
 * orthographic camera in radiological convention, and the mouse handling of
 * radiology viewers (3D Slicer / OHIF conventions) — click sets the
 * crosshair, left-drag changes window (horizontal) and level (vertical),
 * wheel steps through slices, Ctrl/⌘ + wheel or right-drag zooms about the
 * pointer, middle-drag pans, double-click asks to maximise the view (and
 * undoes what its first click did: the crosshair stays where it was). The
 * overlay shows the orientation letters on the four edges (patient
 * directions: R/L, A/P, S/I), the slice number and position, the value and
 * LPS position under the pointer (re-sampled at the pointer on every slice
 * change, pan and zoom: a wheel or key step with the mouse still updates it),
 * ruler measurements (two clicks in ruler
 * mode; the distance in mm), elliptical ROIs (two clicks: the centre, then
 * a corner of the ellipse's bounding box), angles (three clicks, the second
 * the vertex), Cobb angles (two lines, four clicks) and text notes (a click,
 * then type and Enter), each drawn on the slice it was made on, with a
 * dashed rubber band (and the running length) while one is being drawn —
 * their labels kept inside the view and off each other (labelLayout.ts); a
 * capture of the view with all of it as a PNG. Rendering is coalesced to one
 * WebGL frame per display frame and skipped when only the SVG overlay moved.
 * All positions are LPS mm. The crosshair is expected on a voxel centre
 * (snapToVoxelCentre, math/geometry.ts): the slice shown is the one through
 * it, and the slice label's number and position are that voxel's, so they
 * agree with the crosshair lines of the other views.
 */
import '@kitware/vtk.js/Rendering/Profiles/Volume';
import vtkGenericRenderWindow from '@kitware/vtk.js/Rendering/Misc/GenericRenderWindow';
import vtkImageMapper from '@kitware/vtk.js/Rendering/Core/ImageMapper';
import vtkImageSlice from '@kitware/vtk.js/Rendering/Core/ImageSlice';
import vtkInteractorStyleManipulator from '@kitware/vtk.js/Interaction/Style/InteractorStyleManipulator';
import type vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import { indexAxisClosestTo, indexToLps, lpsToIndex, type Vec3, type VolumeGeometry } from '../../../math/geometry.js';
import { VIEW_AXES, type Orientation } from './orientation.js';
import { drawStamp, fitStamp } from './stamp.js';
import { layoutLabels, type LabelBox } from './labelLayout.js';

export interface SliceViewCallbacks {
  /** A click (no drag) at an LPS position on the current slice. */
  onPick(lps: Vec3): void;
  /** A W/L drag: change of window and level in image units. */
  onWindowLevelDrag(dWindow: number, dLevel: number): void;
  /** A wheel step (+1 / −1) through slices. */
  onStep(orientation: Orientation, step: number): void;
  /** The pointer over the view: the LPS position under it on the current slice, or null when it left. Returns the readout line to show. */
  onHover?(lps: Vec3 | null): string;
  /** A ruler measurement finished (two clicks in ruler mode): its end points (LPS mm). */
  onMeasure?(a: Vec3, b: Vec3): void;
  /** An elliptical ROI finished (two clicks in ellipse mode): its centre (LPS mm) and radii along the view's right and up axes (mm). */
  onEllipse?(centre: Vec3, radiiMm: [number, number]): void;
  /** A sphere ROI finished (two clicks in sphere mode: the centre, then a point on the sphere): centre (LPS mm), radius (mm). */
  onSphere?(centre: Vec3, radiusMm: number): void;
  /** An angle (3 clicks: a, the vertex, b) or a Cobb angle (4 clicks: two lines) finished: its points (LPS mm). */
  onAngle?(kind: 'angle' | 'cobb', points: Vec3[]): void;
  /** A text note typed at a point (LPS mm) in text mode (click, type, Enter). */
  onText?(at: Vec3, text: string): void;
  /** A double-click: the view asks to be maximised (or restored). */
  onMaximise?(orientation: Orientation): void;
}

/** A ruler measurement drawn in a view: its end points (LPS mm), the slice it was made on, and its name ("ruler 3") shown before its length. */
export interface RulerMeasurement {
  a: Vec3;
  b: Vec3;
  sliceIndex: number;
  label?: string;
}

/** An elliptical ROI drawn in a view: its centre (LPS mm), its radii along the view's right and up axes (mm), its slice and label (lines split by "\n": name and statistics). */
export interface EllipseRoi {
  centre: Vec3;
  radiiMm: [number, number];
  sliceIndex: number;
  label: string;
}

/**
 * Another mark drawn in a view: an angle (a, vertex, b), a Cobb angle (two lines: 4 points), a text note (1 point),
 * or a sphere ROI (its centre and `radiusMm`: drawn in every view and slice it cuts, as the circle of the cut;
 * `sliceIndex` −1 draws it without its label). A label may hold several lines ("\n").
 */
export interface ViewMark {
  kind: 'angle' | 'cobb' | 'text' | 'sphere';
  points: readonly Vec3[];
  sliceIndex: number;
  label: string;
  radiusMm?: number;
}

/** The tools of a slice view's left click. */
export type SliceTool = 'crosshair' | 'ruler' | 'ellipse' | 'sphere' | 'angle' | 'cobb' | 'text';

/** The font of the screenshot's stamp (its size comes from fitStamp). */
const STAMP_FONT = 'system-ui, sans-serif';

/** How many clicks each tool takes. */
const CLICKS: Record<Exclude<SliceTool, 'crosshair'>, number> = { ruler: 2, ellipse: 2, sphere: 2, angle: 3, cobb: 4, text: 1 };

/** The patient direction letter for an LPS axis and sign (+x = L, +y = P, +z = S). */
export function directionLetter(axis: 0 | 1 | 2, sign: 1 | -1): string {
  const letters: [string, string][] = [
    ['L', 'R'],
    ['P', 'A'],
    ['S', 'I'],
  ];
  return letters[axis]![sign > 0 ? 0 : 1]!;
}

export interface SliceView {
  orientation: Orientation;
  /** Moves the slice to the one through `lps` (nearest voxel centre along the view's index axis) and redraws the crosshair; give a voxel centre (snapToVoxelCentre) for the label to read exactly the crosshair's position. */
  setCrosshair(lps: Vec3): void;
  setWindowLevel(window: number, level: number): void;
  /** LPS position (mm) under a CSS-pixel point of the view (on the current slice). */
  displayToLps(x: number, y: number): Vec3;
  /** CSS-pixel position of an LPS point projected into the view. */
  lpsToDisplay(p: Vec3): [number, number];
  /** World coordinate (LPS mm, along the view's normal axis) of the centre of the voxel of the slice shown under the crosshair: what the slice label says. */
  slicePositionMm(): number;
  /** Index (0-based) of the slice shown along the volume axis used; the label says index + 1. */
  sliceIndex(): number;
  /** Zoom relative to the fitted view (1 = the whole volume fits). */
  zoom(): number;
  /** Zooms by `factor` keeping the LPS point under CSS pixel (x, y) in place (the view centre by default). */
  zoomBy(factor: number, x?: number, y?: number): void;
  /** Pans by a CSS-pixel offset (the image follows the pointer). */
  panBy(dx: number, dy: number): void;
  /** Back to the fitted, centred view. */
  resetView(): void;
  /** Ruler mode: clicks place measurement end points instead of moving the crosshair. */
  setTool(tool: SliceTool): void;
  /** The measurements drawn in this view. */
  setMeasurements(m: readonly RulerMeasurement[], rois?: readonly EllipseRoi[], marks?: readonly ViewMark[]): void;
  /**
   * A PNG of the view as shown — image, crosshair, measurements with their values and ROI statistics, orientation
   * letters, slice label — with `stamp` (patient, study, date, software version) along its bottom edge, wrapped onto
   * several lines and in a smaller font as the view's width needs (stampLayout), never cut; resolves to a data URL.
   */
  capture(stamp: string): Promise<string>;
  /** How capture lays `stamp` out at this view's width: font size and lines (CSS px; the PNG scales them by its pixel ratio). */
  stampLayout(stamp: string): { fontPx: number; lines: string[] };
  /** The view's right and up world axes (LPS 0/1/2), for ROI statistics. */
  inPlaneAxes(): { right: 0 | 1 | 2; up: 0 | 1 | 2; normal: 0 | 1 | 2; indexAxis: 0 | 1 | 2 };
  resize(): void;
  destroy(): void;
}

/** An image from a URL, decoded. */
function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the view could not be captured'));
    img.src = url;
  });
}

export function createSliceView(container: HTMLElement, image: vtkImageData, g: VolumeGeometry, orientation: Orientation, cb: SliceViewCallbacks): SliceView {
  const axes = VIEW_AXES[orientation];
  const grw = vtkGenericRenderWindow.newInstance({ background: [0, 0, 0], listenWindowResize: false });
  const canvasHost = document.createElement('div');
  canvasHost.style.cssText = 'position:absolute;inset:0;';
  container.appendChild(canvasHost);
  grw.setContainer(canvasHost);
  grw.resize();
  const renderer = grw.getRenderer();
  const renderWindow = grw.getRenderWindow();
  grw.getInteractor().setInteractorStyle(vtkInteractorStyleManipulator.newInstance()); // our own mouse handling below

  const indexAxis = indexAxisClosestTo(g, axes.normalAxis);
  const mapper = vtkImageMapper.newInstance();
  mapper.setInputData(image);
  mapper.setSlicingMode(indexAxis); // SlicingMode I = 0, J = 1, K = 2
  const actor = vtkImageSlice.newInstance();
  actor.setMapper(mapper);
  renderer.addActor(actor);

  // camera: orthographic, looking along the view normal, radiological orientation
  const centre = indexToLps(
    g,
    g.dims.map((d) => (d - 1) / 2),
  );
  const corners: Vec3[] = [];
  for (const a of [0, 1])
    for (const b of [0, 1]) for (const c of [0, 1]) corners.push(indexToLps(g, [a * (g.dims[0] - 1), b * (g.dims[1] - 1), c * (g.dims[2] - 1)]));
  const extent = (axis: 0 | 1 | 2): number => Math.max(...corners.map((p) => p[axis])) - Math.min(...corners.map((p) => p[axis]));
  const halfW = extent(axes.rightAxis) / 2 + 2;
  const halfH = extent(axes.upAxis) / 2 + 2;
  const camera = renderer.getActiveCamera();
  camera.setParallelProjection(true);
  const dop = axes.directionOfProjection;
  camera.setFocalPoint(...centre);
  camera.setPosition(centre[0] - 1000 * dop[0], centre[1] - 1000 * dop[1], centre[2] - 1000 * dop[2]);
  camera.setViewUp(...axes.viewUp);
  camera.setClippingRange(1, 5000);

  let zoom = 1;
  const fittedScale = (): number => {
    const { width, height } = container.getBoundingClientRect();
    const aspect = width / Math.max(1, height);
    return Math.max(halfH, halfW / aspect);
  };
  const fit = (): void => void camera.setParallelScale(fittedScale() / zoom);
  /** Moves the camera's focal point (the view centre) to `f`, keeping the direction of projection. */
  const setFocal = (f: Vec3): void => {
    camera.setFocalPoint(...f);
    camera.setPosition(f[0] - 1000 * dop[0], f[1] - 1000 * dop[1], f[2] - 1000 * dop[2]);
  };

  // crosshair overlay (SVG above the canvas)
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'crosshair');
  svg.style.cssText = 'position:absolute;inset:0;width:100%;height:100%;pointer-events:none;';
  const hLine = document.createElementNS('http://www.w3.org/2000/svg', 'line');
  const vLine = document.createElementNS('http://www.w3.org/2000/svg', 'line');
  for (const l of [hLine, vLine]) {
    l.setAttribute('stroke', axes.colour);
    l.setAttribute('stroke-width', '1');
    l.setAttribute('stroke-opacity', '0.8');
    svg.appendChild(l);
  }
  container.appendChild(svg);
  const rulerLayer = document.createElementNS('http://www.w3.org/2000/svg', 'g');
  svg.appendChild(rulerLayer);

  // overlay text: orientation letters, slice, pointer readout
  const overlay = document.createElement('div');
  overlay.className = 'view-overlay';
  overlay.style.cssText = 'position:absolute;inset:0;pointer-events:none;font:12px system-ui,sans-serif;color:#e8e8e8;text-shadow:0 0 2px #000;';
  const label = (css: string, testid: string): HTMLDivElement => {
    const d = document.createElement('div');
    d.style.cssText = `position:absolute;${css};background:rgba(0,0,0,0.55);padding:0 3px;border-radius:2px;`;
    d.dataset['testid'] = testid;
    overlay.appendChild(d);
    return d;
  };
  label('left:50%;top:2px;transform:translateX(-50%)', `orient-top-${orientation}`).textContent = directionLetter(axes.upAxis, axes.upSign);
  label('left:50%;bottom:2px;transform:translateX(-50%)', `orient-bottom-${orientation}`).textContent = directionLetter(
    axes.upAxis,
    axes.upSign === 1 ? -1 : 1,
  );
  label('left:4px;top:50%;transform:translateY(-50%)', `orient-left-${orientation}`).textContent = directionLetter(
    axes.rightAxis,
    axes.rightSign === 1 ? -1 : 1,
  );
  label('right:4px;top:50%;transform:translateY(-50%)', `orient-right-${orientation}`).textContent = directionLetter(axes.rightAxis, axes.rightSign);
  const sliceLabel = label('right:4px;top:18px;text-align:right', `slice-${orientation}`);
  const readout = label('left:4px;bottom:2px', `readout-${orientation}`);
  container.appendChild(overlay);

  let crosshair: Vec3 = centre;
  let index = 0;
  let tool: SliceTool = 'crosshair';
  let measurements: readonly RulerMeasurement[] = [];
  let rois: readonly EllipseRoi[] = [];
  let marks: readonly ViewMark[] = [];
  // the points placed so far of the measurement being drawn, and the pointer (its rubber band)
  let pending: Vec3[] = [];
  let pointer: Vec3 | null = null;
  let textInput: HTMLInputElement | null = null;
  // one WebGL render per display frame at most, and only when the image changed: a wheel step redraws the view it
  // scrolls (its slice changed) — the other views only move their SVG crosshair (issue 20 §3: next image within 50 ms)
  let renderPending = false;
  let destroyed = false;
  const requestRender = (): void => {
    if (renderPending || destroyed) return;
    renderPending = true;
    requestAnimationFrame(() => {
      renderPending = false;
      if (!destroyed) renderWindow.render();
    });
  };

  const size = (): { w: number; h: number } => {
    const r = container.getBoundingClientRect();
    return { w: Math.max(1, r.width), h: Math.max(1, r.height) };
  };
  const mmPerPx = (): number => (2 * camera.getParallelScale()) / size().h;
  const focal = (): Vec3 => camera.getFocalPoint() as Vec3;

  const displayToLps = (x: number, y: number): Vec3 => {
    const { w, h } = size();
    const s = mmPerPx();
    const f = focal();
    const p: Vec3 = [...f];
    p[axes.rightAxis] = f[axes.rightAxis] + axes.rightSign * (x - w / 2) * s;
    p[axes.upAxis] = f[axes.upAxis] + axes.upSign * (h / 2 - y) * s;
    p[axes.normalAxis] = crosshair[axes.normalAxis];
    return p;
  };
  const lpsToDisplay = (p: Vec3): [number, number] => {
    const { w, h } = size();
    const s = mmPerPx();
    const f = focal();
    return [w / 2 + (axes.rightSign * (p[axes.rightAxis] - f[axes.rightAxis])) / s, h / 2 - (axes.upSign * (p[axes.upAxis] - f[axes.upAxis])) / s];
  };

  const svgLine = (a: [number, number], b: [number, number], colour: string): SVGLineElement => {
    const l = document.createElementNS('http://www.w3.org/2000/svg', 'line');
    l.setAttribute('x1', String(a[0]));
    l.setAttribute('y1', String(a[1]));
    l.setAttribute('x2', String(b[0]));
    l.setAttribute('y2', String(b[1]));
    l.setAttribute('stroke', colour);
    l.setAttribute('stroke-width', '2');
    return l;
  };
  /**
   * World coordinate (mm) along the view's normal axis of the slice shown, at the voxel under the crosshair (an
   * oblique volume's slice is not at one position everywhere; at the crosshair it is where the other views draw it).
   */
  const slicePosition = (): number => {
    const ijk = lpsToIndex(g, crosshair);
    ijk[indexAxis] = index;
    return indexToLps(g, ijk)[axes.normalAxis];
  };
  /**
   * A label at (x, y) (CSS px; the first line's baseline), outlined in black to read on any image; "\n" starts a new
   * line 14 px lower. Plain SVG text, so the screenshot (the SVG layer drawn as an image) carries it as shown.
   */
  const text = (x: number, y: number, colour: string, content: string): void => {
    const t = document.createElementNS('http://www.w3.org/2000/svg', 'text');
    t.setAttribute('x', String(x));
    t.setAttribute('y', String(y));
    t.setAttribute('fill', colour);
    t.setAttribute('font-size', '12');
    t.setAttribute('font-family', 'system-ui, sans-serif');
    t.setAttribute('paint-order', 'stroke');
    t.setAttribute('stroke', '#000');
    t.setAttribute('stroke-width', '3');
    content.split('\n').forEach((line, i) => {
      const span = document.createElementNS('http://www.w3.org/2000/svg', 'tspan');
      span.setAttribute('x', String(x));
      span.setAttribute('dy', i ? '14' : '0');
      span.textContent = line;
      t.appendChild(span);
    });
    rulerLayer.appendChild(t);
  };
  const labelCtx = document.createElement('canvas').getContext('2d');
  /** The box of a label (its first baseline at y = 0 → top −12): widest line + the outline, 14 px a line. */
  const labelSize = (content: string): { w: number; h: number } => {
    const lines = content.split('\n');
    if (labelCtx) labelCtx.font = '12px system-ui, sans-serif';
    const w = Math.max(...lines.map((l) => (labelCtx ? labelCtx.measureText(l).width : l.length * 7)));
    return { w: Math.ceil(w) + 4, h: 14 * (lines.length - 1) + 16 };
  };
  /** Labels of one drawing pass: laid out together (inside the view, off each other: labelLayout.ts), then drawn. */
  let queued: { preferred: LabelBox; shape: LabelBox; colour: string; content: string }[] = [];
  /** A label asking for (x, y) (its first baseline) beside a shape whose points (CSS px) are given. */
  const queueLabel = (x: number, y: number, colour: string, content: string, shape: [number, number][], pad = 0): void => {
    const xs = shape.map((p) => p[0]);
    const ys = shape.map((p) => p[1]);
    const sx = Math.min(...xs) - pad;
    const sy = Math.min(...ys) - pad;
    const { w, h } = labelSize(content);
    queued.push({
      preferred: { x, y: y - 12, w, h },
      shape: { x: sx, y: sy, w: Math.max(...xs) + pad - sx, h: Math.max(...ys) + pad - sy },
      colour,
      content,
    });
  };
  const flushLabels = (): void => {
    const { w, h } = size();
    const boxes = layoutLabels(queued, w, h);
    queued.forEach((q, i) => text(boxes[i]!.x, boxes[i]!.y + 12, q.colour, q.content));
    queued = [];
  };
  const drawRulers = (): void => {
    rulerLayer.replaceChildren();
    queued = [];
    for (const m of measurements) {
      if (m.sliceIndex !== index) continue;
      const a = lpsToDisplay(m.a);
      const b = lpsToDisplay(m.b);
      rulerLayer.appendChild(svgLine(a, b, '#4fc3f7'));
      const mm = `${Math.hypot(m.b[0] - m.a[0], m.b[1] - m.a[1], m.b[2] - m.a[2]).toFixed(1)} mm`;
      queueLabel((a[0] + b[0]) / 2 + 6, (a[1] + b[1]) / 2 - 6, '#4fc3f7', m.label ? `${m.label}: ${mm}` : mm, [a, b]);
    }
    for (const r of rois) {
      if (r.sliceIndex !== index) continue;
      const [cx, cy] = lpsToDisplay(r.centre);
      const s = mmPerPx();
      const e = document.createElementNS('http://www.w3.org/2000/svg', 'ellipse');
      e.setAttribute('cx', String(cx));
      e.setAttribute('cy', String(cy));
      e.setAttribute('rx', String(r.radiiMm[0] / s));
      e.setAttribute('ry', String(r.radiiMm[1] / s));
      e.setAttribute('fill', 'none');
      e.setAttribute('stroke', '#ffb74d');
      e.setAttribute('stroke-width', '2');
      rulerLayer.appendChild(e);
      queueLabel(cx + r.radiiMm[0] / s + 4, cy, '#ffb74d', r.label, [
        [cx - r.radiiMm[0] / s, cy - r.radiiMm[1] / s],
        [cx + r.radiiMm[0] / s, cy + r.radiiMm[1] / s],
      ]); // name and statistics beside the shape
    }
    for (const k of marks) {
      if (k.kind === 'sphere' && k.radiusMm) {
        // the circle where the sphere cuts this slice's plane
        const dist = slicePosition() - k.points[0]![axes.normalAxis];
        const r = Math.sqrt(Math.max(0, k.radiusMm * k.radiusMm - dist * dist));
        if (r <= 0) continue;
        const [cx, cy] = lpsToDisplay(k.points[0]!);
        const c = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
        c.setAttribute('cx', String(cx));
        c.setAttribute('cy', String(cy));
        c.setAttribute('r', String(r / mmPerPx()));
        c.setAttribute('fill', 'none');
        c.setAttribute('stroke', '#ffb74d');
        c.setAttribute('stroke-width', k.sliceIndex === index ? '2' : '1');
        if (k.sliceIndex !== index) c.setAttribute('stroke-dasharray', '3 3');
        rulerLayer.appendChild(c);
        if (k.sliceIndex === index)
          queueLabel(cx + r / mmPerPx() + 4, cy, '#ffb74d', k.label, [
            [cx - r / mmPerPx(), cy - r / mmPerPx()],
            [cx + r / mmPerPx(), cy + r / mmPerPx()],
          ]);
        continue;
      }
      if (k.sliceIndex !== index) continue;
      const p = k.points.map(lpsToDisplay);
      if (k.kind === 'angle' && p.length === 3) {
        rulerLayer.appendChild(svgLine(p[0]!, p[1]!, '#81c784'));
        rulerLayer.appendChild(svgLine(p[1]!, p[2]!, '#81c784'));
        queueLabel(p[1]![0] + 8, p[1]![1] - 8, '#81c784', k.label, p);
      } else if (k.kind === 'cobb' && p.length === 4) {
        rulerLayer.appendChild(svgLine(p[0]!, p[1]!, '#ce93d8'));
        rulerLayer.appendChild(svgLine(p[2]!, p[3]!, '#ce93d8'));
        queueLabel((p[0]![0] + p[1]![0] + p[2]![0] + p[3]![0]) / 4 + 8, (p[0]![1] + p[1]![1] + p[2]![1] + p[3]![1]) / 4, '#ce93d8', k.label, p);
      } else if (k.kind === 'text' && p.length === 1) {
        const c = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
        c.setAttribute('cx', String(p[0]![0]));
        c.setAttribute('cy', String(p[0]![1]));
        c.setAttribute('r', '2.5');
        c.setAttribute('fill', '#fff176');
        rulerLayer.appendChild(c);
        queueLabel(p[0]![0] + 6, p[0]![1] - 6, '#fff176', k.label, p, 3);
      }
    }
    // the measurement being drawn: its points, the segments between them, and a dashed rubber band to the pointer
    if (pending.length) {
      const p = pending.map(lpsToDisplay);
      for (const [x, y] of p) {
        const c = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
        c.setAttribute('cx', String(x));
        c.setAttribute('cy', String(y));
        c.setAttribute('r', '3');
        c.setAttribute('fill', '#4fc3f7');
        rulerLayer.appendChild(c);
      }
      // a Cobb angle's second line does not join the first
      for (let i = 1; i < p.length; i++) if (!(tool === 'cobb' && i === 2)) rulerLayer.appendChild(svgLine(p[i - 1]!, p[i]!, '#4fc3f7'));
      if (pointer && !(tool === 'cobb' && pending.length === 2)) {
        const band = svgLine(p.at(-1)!, lpsToDisplay(pointer), '#4fc3f7');
        band.setAttribute('stroke-dasharray', '4 3');
        band.setAttribute('stroke-width', '1');
        rulerLayer.appendChild(band);
        if (tool === 'ruler' || tool === 'ellipse' || tool === 'sphere') {
          const a = pending[0]!;
          const mm =
            tool === 'ruler' || tool === 'sphere'
              ? `${Math.hypot(pointer[0] - a[0], pointer[1] - a[1], pointer[2] - a[2]).toFixed(1)} mm`
              : `${Math.abs(pointer[axes.rightAxis] - a[axes.rightAxis]).toFixed(1)} × ${Math.abs(pointer[axes.upAxis] - a[axes.upAxis]).toFixed(1)} mm`;
          const [x, y] = lpsToDisplay(pointer);
          queueLabel(x + 8, y + 14, '#4fc3f7', mm, [[x, y]], 3);
        }
      }
    }
    flushLabels();
  };
  const drawSliceLabel = (): void => {
    const pos = slicePosition();
    // a position is said with the patient direction it lies in: "A 161.3 mm", never "P −161.3 mm"
    sliceLabel.textContent = `Im ${index + 1}/${g.dims[indexAxis]} · ${directionLetter(axes.normalAxis, pos < 0 ? -1 : 1)} ${Math.abs(pos).toFixed(1)} mm${zoom !== 1 ? ` · ×${zoom.toFixed(2)}` : ''}`;
  };

  /** The last pointer position over the view (CSS px), null when it is elsewhere: the readout is re-sampled there. */
  let hoverAt: [number, number] | null = null;
  /** The readout for the voxel under the pointer on the slice shown now (a wheel or key step, pan or zoom changes it). */
  const refreshReadout = (): void => {
    if (hoverAt && cb.onHover) readout.textContent = cb.onHover(displayToLps(hoverAt[0], hoverAt[1]));
  };
  const drawCrosshair = (): void => {
    drawRulers();
    drawSliceLabel();
    refreshReadout();
    const { w, h } = size();
    const [x, y] = lpsToDisplay(crosshair);
    hLine.setAttribute('x1', '0');
    hLine.setAttribute('x2', String(w));
    hLine.setAttribute('y1', String(y));
    hLine.setAttribute('y2', String(y));
    vLine.setAttribute('x1', String(x));
    vLine.setAttribute('x2', String(x));
    vLine.setAttribute('y1', '0');
    vLine.setAttribute('y2', String(h));
  };

  const setCrosshair = (p: Vec3): void => {
    crosshair = [...p];
    const ijk = lpsToIndex(g, p);
    const next = Math.max(0, Math.min(g.dims[indexAxis] - 1, Math.round(ijk[indexAxis])));
    if (next !== index) {
      index = next;
      mapper.setSlice(index);
      requestRender();
    }
    drawCrosshair();
  };

  const redraw = (): void => {
    drawCrosshair();
    requestRender();
  };
  const zoomBy = (factor: number, x?: number, y?: number): void => {
    const { w, h } = size();
    const px = x ?? w / 2;
    const py = y ?? h / 2;
    const before = displayToLps(px, py);
    zoom = Math.max(0.25, Math.min(40, zoom * factor));
    fit();
    // keep the point under the pointer where it was
    const after = displayToLps(px, py);
    const f = focal();
    const next: Vec3 = [...f];
    next[axes.rightAxis] += before[axes.rightAxis] - after[axes.rightAxis];
    next[axes.upAxis] += before[axes.upAxis] - after[axes.upAxis];
    setFocal(next);
    redraw();
  };
  const panBy = (dx: number, dy: number): void => {
    const s = mmPerPx();
    const f = focal();
    const next: Vec3 = [...f];
    next[axes.rightAxis] -= axes.rightSign * dx * s;
    next[axes.upAxis] += axes.upSign * dy * s;
    setFocal(next);
    redraw();
  };
  const resetView = (): void => {
    zoom = 1;
    setFocal(centre);
    fit();
    redraw();
  };

  // mouse: click = pick (or ruler point), left-drag = W/L, right-drag = zoom, middle-drag = pan, wheel = slice (Ctrl/⌘: zoom)
  let down: { x: number; y: number; lastX: number; lastY: number; dragging: boolean; button: number } | null = null;
  const local = (e: MouseEvent): [number, number] => {
    const r = container.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  const onDown = (e: MouseEvent): void => {
    if (e.button > 2) return;
    const [x, y] = local(e);
    down = { x, y, lastX: x, lastY: y, dragging: false, button: e.button };
    e.preventDefault();
  };
  const onMove = (e: MouseEvent): void => {
    if (!down) {
      const [x, y] = local(e);
      const { w, h } = size();
      const inside = x >= 0 && y >= 0 && x < w && y < h;
      hoverAt = inside ? [x, y] : null;
      refreshReadout();
      if (pending.length && inside) {
        pointer = displayToLps(x, y);
        drawRulers();
      }
      return;
    }
    const [x, y] = local(e);
    if (!down.dragging && Math.hypot(x - down.x, y - down.y) > 3) down.dragging = true;
    if (down.dragging) {
      if (down.button === 0) cb.onWindowLevelDrag(x - down.lastX, down.lastY - y);
      else if (down.button === 1) panBy(x - down.lastX, y - down.lastY);
      else zoomBy(Math.exp((down.lastY - y) / 150), down.x, down.y);
      down.lastX = x;
      down.lastY = y;
    }
  };
  // the first click of a double-click has acted before the browser knows a second follows: how to take it back
  let firstClick: { at: number; undo: (() => void) | null } | null = null;
  const onUp = (e: MouseEvent): void => {
    if (!down) return;
    const wasDrag = down.dragging;
    const button = down.button;
    down = null;
    if (wasDrag || button !== 0) return;
    // the second click of a double-click (detail 2, 3…) places nothing: the double-click maximises (onDouble)
    if (e.detail > 1) return;
    const [x, y] = local(e);
    const p = displayToLps(x, y);
    if (tool === 'text') {
      const close = openTextInput(p, x, y);
      firstClick = { at: performance.now(), undo: close };
      return;
    }
    if (tool !== 'crosshair') {
      pending.push(p);
      // a point that does not finish the measurement can be taken back; a finished one stays (undo removes it)
      firstClick = { at: performance.now(), undo: pending.length < CLICKS[tool] ? () => void (pending.pop(), drawRulers()) : null };
      if (pending.length === CLICKS[tool]) {
        const pts = pending;
        pending = [];
        pointer = null;
        if (tool === 'ruler') cb.onMeasure?.(pts[0]!, pts[1]!);
        else if (tool === 'sphere') cb.onSphere?.(pts[0]!, Math.hypot(pts[1]![0] - pts[0]![0], pts[1]![1] - pts[0]![1], pts[1]![2] - pts[0]![2]));
        else if (tool === 'ellipse')
          cb.onEllipse?.(pts[0]!, [Math.abs(pts[1]![axes.rightAxis] - pts[0]![axes.rightAxis]), Math.abs(pts[1]![axes.upAxis] - pts[0]![axes.upAxis])]);
        else cb.onAngle?.(tool, pts);
      }
      drawRulers();
      return;
    }
    const before: Vec3 = [...crosshair];
    firstClick = { at: performance.now(), undo: () => cb.onPick(before) };
    cb.onPick(p);
  };
  /** Text mode: an input at the click; Enter keeps the note, Escape or leaving the field drops it. Returns what closes it. */
  const openTextInput = (at: Vec3, x: number, y: number): (() => void) => {
    textInput?.remove();
    const input = document.createElement('input');
    input.type = 'text';
    input.maxLength = 200;
    input.placeholder = 'note, Enter to keep';
    input.setAttribute('aria-label', `Annotation text (${orientation})`);
    input.style.cssText = `position:absolute;left:${x}px;top:${y}px;z-index:3;font:12px system-ui,sans-serif;width:180px;`;
    let closed = false;
    const close = (): void => {
      if (closed) return; // removing the field blurs it, which closes again
      closed = true;
      if (textInput === input) textInput = null;
      input.remove();
    };
    input.addEventListener('keydown', (e) => {
      e.stopPropagation();
      if (e.key === 'Enter' && input.value.trim()) {
        cb.onText?.(at, input.value.trim());
        close();
      } else if (e.key === 'Escape') close();
    });
    input.addEventListener('mousedown', (e) => e.stopPropagation());
    input.addEventListener('blur', close);
    container.appendChild(input);
    textInput = input;
    input.focus();
    return close;
  };
  const onWheel = (e: WheelEvent): void => {
    e.preventDefault();
    if (e.ctrlKey || e.metaKey) {
      const [x, y] = local(e);
      zoomBy(e.deltaY > 0 ? 1 / 1.15 : 1.15, x, y);
      return;
    }
    cb.onStep(orientation, e.deltaY > 0 ? -1 : 1);
  };
  const onLeave = (): void => {
    hoverAt = null;
    if (cb.onHover) readout.textContent = cb.onHover(null);
  };
  /** Maximise / restore, after taking back the first click (the crosshair goes back where it was, a placed point is removed). */
  const onDouble = (): void => {
    const first = firstClick;
    firstClick = null;
    if (first && performance.now() - first.at < 1000) first.undo?.();
    cb.onMaximise?.(orientation);
  };
  const noMenu = (e: Event): void => e.preventDefault();
  container.addEventListener('mousedown', onDown);
  window.addEventListener('mousemove', onMove);
  window.addEventListener('mouseup', onUp);
  container.addEventListener('wheel', onWheel, { passive: false });
  container.addEventListener('mouseleave', onLeave);
  container.addEventListener('dblclick', onDouble);
  container.addEventListener('contextmenu', noMenu);

  const measureCtx = document.createElement('canvas').getContext('2d')!;
  /** The stamp's font size and lines at this view's width less 4 px margins (fitStamp). */
  const stampLayout = (stamp: string): { fontPx: number; lines: string[] } =>
    fitStamp(stamp, size().w - 8, (t, px) => {
      measureCtx.font = `${px}px ${STAMP_FONT}`;
      return measureCtx.measureText(t).width;
    });

  const resize = (): void => {
    grw.resize();
    fit();
    drawCrosshair();
    renderWindow.render();
  };
  resize();
  // a panel that grows or shrinks beside the view (a measurement list, a side panel) resizes it: refit at the next frame
  let lastSize = size();
  const observer = new ResizeObserver(() => {
    const now = size();
    if (now.w === lastSize.w && now.h === lastSize.h) return;
    lastSize = now;
    resize();
  });
  observer.observe(container);
  index = -1; // the first setCrosshair sets the slice
  setCrosshair(centre);

  return {
    orientation,
    setCrosshair,
    setWindowLevel: (w, l) => {
      actor.getProperty().setColorWindow(w);
      actor.getProperty().setColorLevel(l);
      requestRender();
    },
    displayToLps,
    lpsToDisplay,
    slicePositionMm: slicePosition,
    sliceIndex: () => index,
    zoom: () => zoom,
    zoomBy,
    panBy,
    resetView,
    setTool: (t) => {
      tool = t;
      pending = [];
      pointer = null;
      container.style.cursor = t === 'crosshair' ? '' : 'crosshair';
      drawRulers();
    },
    setMeasurements: (m, r = [], k = []) => {
      measurements = m;
      rois = r;
      marks = k;
      drawRulers();
    },
    capture: async (stamp) => {
      renderWindow.render();
      const [shot] = await Promise.all(renderWindow.captureImages('image/png'));
      const image = await loadImage(shot!);
      const { w, h } = size();
      const scale = image.width / w;
      const out = document.createElement('canvas');
      out.width = image.width;
      out.height = image.height;
      const ctx = out.getContext('2d')!;
      ctx.drawImage(image, 0, 0);
      // the SVG layer (crosshair, measurements) at the canvas' scale
      const clone = svg.cloneNode(true) as SVGSVGElement;
      clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
      clone.setAttribute('width', String(w));
      clone.setAttribute('height', String(h));
      const svgImage = await loadImage(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(clone))}`);
      ctx.drawImage(svgImage, 0, 0, out.width, out.height);
      // the overlay's text (orientation letters, slice label, readout) where it is on screen
      const box = container.getBoundingClientRect();
      ctx.font = `${12 * scale}px system-ui, sans-serif`;
      ctx.textBaseline = 'top';
      for (const el of overlay.children) {
        const t = el.textContent ?? '';
        if (!t) continue;
        const r = el.getBoundingClientRect();
        const x = (r.left - box.left) * scale;
        const y = (r.top - box.top) * scale;
        ctx.fillStyle = 'rgba(0,0,0,0.55)';
        ctx.fillRect(x, y, r.width * scale, r.height * scale);
        ctx.fillStyle = '#e8e8e8';
        ctx.fillText(t, x + 3 * scale, y + 1 * scale);
      }
      // the stamp: as many lines (and as small a font) as the width needs, never cut
      drawStamp(ctx, out.width, out.height, scale, stampLayout(stamp), STAMP_FONT);
      return out.toDataURL('image/png');
    },
    stampLayout,
    inPlaneAxes: () => ({ right: axes.rightAxis, up: axes.upAxis, normal: axes.normalAxis, indexAxis: indexAxis as 0 | 1 | 2 }),
    resize,
    destroy: () => {
      destroyed = true;
      observer.disconnect();
      textInput?.remove();
      container.removeEventListener('mousedown', onDown);
      window.removeEventListener('mousemove', onMove);
      window.removeEventListener('mouseup', onUp);
      container.removeEventListener('wheel', onWheel);
      container.removeEventListener('mouseleave', onLeave);
      container.removeEventListener('dblclick', onDouble);
      container.removeEventListener('contextmenu', noMenu);
      grw.delete();
      container.replaceChildren();
    },
  };
}
