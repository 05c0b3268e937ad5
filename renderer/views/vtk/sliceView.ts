/**
 * One MPR slice view (axial, coronal or sagittal) with vtk.js: a vtkImageSlice
 * of the volume's index axis closest to the view's world axis, an
 * orthographic camera in radiological convention, and the mouse handling of
 * radiology viewers — click sets the crosshair, left-drag changes window
 * (horizontal) and level (vertical), wheel steps through slices.
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

  const fit = (): void => {
    const { width, height } = container.getBoundingClientRect();
    const aspect = width / Math.max(1, height);
    camera.setParallelScale(Math.max(halfH, halfW / aspect));
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

  let crosshair: Vec3 = centre;
  let index = 0;

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

  const drawCrosshair = (): void => {
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
    index = Math.max(0, Math.min(g.dims[indexAxis] - 1, Math.round(ijk[indexAxis])));
    mapper.setSlice(index);
    drawCrosshair();
    renderWindow.render();
  };

  // mouse: click = pick, drag = W/L, wheel = slice
  let down: { x: number; y: number; lastX: number; lastY: number; dragging: boolean } | null = null;
  const local = (e: MouseEvent): [number, number] => {
    const r = container.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  const onDown = (e: MouseEvent): void => {
    if (e.button !== 0) return;
    const [x, y] = local(e);
    down = { x, y, lastX: x, lastY: y, dragging: false };
    e.preventDefault();
  };
  const onMove = (e: MouseEvent): void => {
    if (!down) return;
    const [x, y] = local(e);
    if (!down.dragging && Math.hypot(x - down.x, y - down.y) > 3) down.dragging = true;
    if (down.dragging) {
      cb.onWindowLevelDrag(x - down.lastX, down.lastY - y);
      down.lastX = x;
      down.lastY = y;
    }
  };
  const onUp = (e: MouseEvent): void => {
    if (!down) return;
    const wasDrag = down.dragging;
    down = null;
    if (!wasDrag) {
      const [x, y] = local(e);
      cb.onPick(displayToLps(x, y));
    }
  };
  const onWheel = (e: WheelEvent): void => {
    e.preventDefault();
    cb.onStep(orientation, e.deltaY > 0 ? -1 : 1);
  };
  container.addEventListener('mousedown', onDown);
  window.addEventListener('mousemove', onMove);
  window.addEventListener('mouseup', onUp);
  container.addEventListener('wheel', onWheel, { passive: false });

  const resize = (): void => {
    grw.resize();
    fit();
    drawCrosshair();
    renderWindow.render();
  };
  resize();
  setCrosshair(centre);

  return {
    orientation,
    setCrosshair,
    setWindowLevel: (w, l) => {
      actor.getProperty().setColorWindow(w);
      actor.getProperty().setColorLevel(l);
      renderWindow.render();
    },
    displayToLps,
    lpsToDisplay,
    slicePositionMm: () =>
      indexToLps(
        g,
        [0, 1, 2].map((a) => (a === indexAxis ? index : 0)),
      )[axes.normalAxis],
    sliceIndex: () => index,
    resize,
    destroy: () => {
      container.removeEventListener('mousedown', onDown);
      window.removeEventListener('mousemove', onMove);
      window.removeEventListener('mouseup', onUp);
      container.removeEventListener('wheel', onWheel);
      grw.delete();
      container.replaceChildren();
    },
  };
}
