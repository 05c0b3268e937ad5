/**
 * One MPR slice view (axial, coronal or sagittal) with vtk.js: a vtkImageSlice
 * of the volume's index axis closest to the view's world axis, an
 * orthographic camera in radiological convention, and the mouse handling of
 * radiology viewers (3D Slicer / OHIF conventions) — click sets the
 * crosshair, left-drag changes window (horizontal) and level (vertical),
 * wheel steps through slices, Ctrl/⌘ + wheel or right-drag zooms about the
 * pointer, middle-drag pans, double-click asks to maximise the view. The
 * overlay shows the orientation letters on the four edges (patient
 * directions: R/L, A/P, S/I), the slice number and position, the value and
 * LPS position under the pointer, ruler measurements (two clicks in ruler
 * mode; the distance in mm) and elliptical ROIs (two clicks: the centre, then
 * a corner of the ellipse's bounding box), each drawn on the slice it was
 * made on.
 * All positions are LPS mm.
 */
import '@kitware/vtk.js/Rendering/Profiles/Volume';
import vtkGenericRenderWindow from '@kitware/vtk.js/Rendering/Misc/GenericRenderWindow';
import vtkImageMapper from '@kitware/vtk.js/Rendering/Core/ImageMapper';
import vtkImageSlice from '@kitware/vtk.js/Rendering/Core/ImageSlice';
import vtkInteractorStyleManipulator from '@kitware/vtk.js/Interaction/Style/InteractorStyleManipulator';
import type vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import { indexAxisClosestTo, indexToLps, lpsToIndex, type Vec3, type VolumeGeometry } from '../../../math/geometry.js';
import { VIEW_AXES, type Orientation } from './orientation.js';

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
  /** A double-click: the view asks to be maximised (or restored). */
  onMaximise?(orientation: Orientation): void;
}

/** A ruler measurement drawn in a view: its end points (LPS mm) and the slice it was made on. */
export interface RulerMeasurement {
  a: Vec3;
  b: Vec3;
  sliceIndex: number;
}

/** An elliptical ROI drawn in a view: its centre (LPS mm), its radii along the view's right and up axes (mm), its slice and label. */
export interface EllipseRoi {
  centre: Vec3;
  radiiMm: [number, number];
  sliceIndex: number;
  label: string;
}

/** The tools of a slice view's left click. */
export type SliceTool = 'crosshair' | 'ruler' | 'ellipse';

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
  /** Moves the slice to the one containing `lps` and redraws the crosshair. */
  setCrosshair(lps: Vec3): void;
  setWindowLevel(window: number, level: number): void;
  /** LPS position (mm) under a CSS-pixel point of the view (on the current slice). */
  displayToLps(x: number, y: number): Vec3;
  /** CSS-pixel position of an LPS point projected into the view. */
  lpsToDisplay(p: Vec3): [number, number];
  /** World coordinate (mm) along the view's normal axis of the slice shown. */
  slicePositionMm(): number;
  /** Index of the slice shown along the volume axis used. */
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
  setMeasurements(m: readonly RulerMeasurement[], rois?: readonly EllipseRoi[]): void;
  /** The view's right and up world axes (LPS 0/1/2), for ROI statistics. */
  inPlaneAxes(): { right: 0 | 1 | 2; up: 0 | 1 | 2; normal: 0 | 1 | 2; indexAxis: 0 | 1 | 2 };
  resize(): void;
  destroy(): void;
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
  let rulerStart: Vec3 | null = null;
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
  const drawRulers = (): void => {
    rulerLayer.replaceChildren();
    for (const m of measurements) {
      if (m.sliceIndex !== index) continue;
      const a = lpsToDisplay(m.a);
      const b = lpsToDisplay(m.b);
      rulerLayer.appendChild(svgLine(a, b, '#4fc3f7'));
      const t = document.createElementNS('http://www.w3.org/2000/svg', 'text');
      t.setAttribute('x', String((a[0] + b[0]) / 2 + 6));
      t.setAttribute('y', String((a[1] + b[1]) / 2 - 6));
      t.setAttribute('fill', '#4fc3f7');
      t.setAttribute('font-size', '12');
      t.textContent = `${Math.hypot(m.b[0] - m.a[0], m.b[1] - m.a[1], m.b[2] - m.a[2]).toFixed(1)} mm`;
      rulerLayer.appendChild(t);
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
      const t = document.createElementNS('http://www.w3.org/2000/svg', 'text');
      t.setAttribute('x', String(cx + r.radiiMm[0] / s + 4));
      t.setAttribute('y', String(cy));
      t.setAttribute('fill', '#ffb74d');
      t.setAttribute('font-size', '12');
      t.textContent = r.label;
      rulerLayer.appendChild(t);
    }
    if (rulerStart) {
      const a = lpsToDisplay(rulerStart);
      const c = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
      c.setAttribute('cx', String(a[0]));
      c.setAttribute('cy', String(a[1]));
      c.setAttribute('r', '3');
      c.setAttribute('fill', '#4fc3f7');
      rulerLayer.appendChild(c);
    }
  };
  const drawSliceLabel = (): void => {
    const pos = indexToLps(
      g,
      [0, 1, 2].map((a) => (a === indexAxis ? index : 0)),
    )[axes.normalAxis];
    // a position is said with the patient direction it lies in: "A 161.3 mm", never "P −161.3 mm"
    sliceLabel.textContent = `Im ${index + 1}/${g.dims[indexAxis]} · ${directionLetter(axes.normalAxis, pos < 0 ? -1 : 1)} ${Math.abs(pos).toFixed(1)} mm${zoom !== 1 ? ` · ×${zoom.toFixed(2)}` : ''}`;
  };

  const drawCrosshair = (): void => {
    drawRulers();
    drawSliceLabel();
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
      if (cb.onHover && x >= 0 && y >= 0 && x < w && y < h) readout.textContent = cb.onHover(displayToLps(x, y));
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
  const onUp = (e: MouseEvent): void => {
    if (!down) return;
    const wasDrag = down.dragging;
    const button = down.button;
    down = null;
    if (wasDrag || button !== 0) return;
    const [x, y] = local(e);
    const p = displayToLps(x, y);
    if (tool === 'ruler' || tool === 'ellipse') {
      if (!rulerStart) rulerStart = p;
      else {
        const a = rulerStart;
        rulerStart = null;
        if (tool === 'ruler') cb.onMeasure?.(a, p);
        else cb.onEllipse?.(a, [Math.abs(p[axes.rightAxis] - a[axes.rightAxis]), Math.abs(p[axes.upAxis] - a[axes.upAxis])]);
      }
      drawRulers();
      return;
    }
    cb.onPick(p);
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
    if (cb.onHover) readout.textContent = cb.onHover(null);
  };
  const onDouble = (): void => cb.onMaximise?.(orientation);
  const noMenu = (e: Event): void => e.preventDefault();
  container.addEventListener('mousedown', onDown);
  window.addEventListener('mousemove', onMove);
  window.addEventListener('mouseup', onUp);
  container.addEventListener('wheel', onWheel, { passive: false });
  container.addEventListener('mouseleave', onLeave);
  container.addEventListener('dblclick', onDouble);
  container.addEventListener('contextmenu', noMenu);

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
    slicePositionMm: () =>
      indexToLps(
        g,
        [0, 1, 2].map((a) => (a === indexAxis ? index : 0)),
      )[axes.normalAxis],
    sliceIndex: () => index,
    zoom: () => zoom,
    zoomBy,
    panBy,
    resetView,
    setTool: (t) => {
      tool = t;
      rulerStart = null;
      container.style.cursor = t === 'crosshair' ? '' : 'crosshair';
      drawRulers();
    },
    setMeasurements: (m, r = []) => {
      measurements = m;
      rois = r;
      drawRulers();
    },
    inPlaneAxes: () => ({ right: axes.rightAxis, up: axes.upAxis, normal: axes.normalAxis, indexAxis: indexAxis as 0 | 1 | 2 }),
    resize,
    destroy: () => {
      destroyed = true;
      observer.disconnect();
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
