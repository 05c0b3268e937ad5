/**
 * The 3D view of the twin with vtk.js: the skin surface (translucent, opacity
 * adjustable) and the bone surface (opaque), both in LPS mm, a trackball
 * camera, a crosshair marker, and click-to-pick on the surfaces.
 */
import '@kitware/vtk.js/Rendering/Profiles/Geometry';
import vtkGenericRenderWindow from '@kitware/vtk.js/Rendering/Misc/GenericRenderWindow';
import vtkActor from '@kitware/vtk.js/Rendering/Core/Actor';
import vtkMapper from '@kitware/vtk.js/Rendering/Core/Mapper';
import vtkCellPicker from '@kitware/vtk.js/Rendering/Core/CellPicker';
import vtkSphereSource from '@kitware/vtk.js/Filters/Sources/SphereSource';
import vtkXMLPolyDataReader from '@kitware/vtk.js/IO/XML/XMLPolyDataReader';
import vtkPolyData from '@kitware/vtk.js/Common/DataModel/PolyData';
import vtkColorTransferFunction from '@kitware/vtk.js/Rendering/Core/ColorTransferFunction';
import type { Vec3 } from '../../../math/geometry.js';
import { drawStamp, fitStamp } from './stamp.js';

export type SurfaceName = 'skin' | 'bone';

/** Spine overlay of the 3D view (LPS mm): labelled centroids, process tips with their skin points, Cobb endplates, HU ellipsoids. */
export interface SpineOverlay {
  centroids: { name: string; lps: Vec3 }[];
  tips: { lps: Vec3; skin: Vec3 | null }[];
  /** Endplate segments of the Cobb end vertebrae. */
  cobbLines: [Vec3, Vec3][];
  ellipsoids: { centre: Vec3; axes: [Vec3, Vec3, Vec3]; radiiMm: Vec3 }[];
}

/** Colour map of the grey levels on the bone surface (HU → RGB), shared with the legend. */
export const GREY_LEVEL_COLOURS: [number, number, number, number][] = [
  [0, 0.05, 0.03, 0.3],
  [0.25, 0.3, 0.1, 0.6],
  [0.5, 0.85, 0.25, 0.35],
  [0.75, 0.98, 0.65, 0.1],
  [1, 1, 1, 0.85],
];
export interface ThreeDView {
  setSurface(name: SurfaceName, vtp: ArrayBuffer): void;
  setVisible(name: SurfaceName, visible: boolean): void;
  setOpacity(name: SurfaceName, opacity: number): void;
  /** Moves the crosshair marker to `lps` (LPS mm); it is drawn once the 2D views rest (250 ms without another move). */
  setCrosshair(lps: Vec3): void;
  /**
   * Shows the bone mesh coloured by a per-vertex scalar (grey levels, HU) over
   * `range`: a VTP to load, undefined to recolour the one loaded, null to go
   * back to the plain bone.
   */
  setBoneScalars(vtp: ArrayBuffer | null | undefined, arrayName: string, range: [number, number]): void;
  setSpineOverlay(o: SpineOverlay | null, showEllipsoids: boolean): void;
  /** Triangles of each loaded surface (0 when absent). */
  triangleCounts(): Record<SurfaceName, number>;
  actorCount(): number;
  /**
   * A PNG of the 3D view as shown (the render window's canvas, with the spine labels) with `stamp` along its bottom
   * edge, laid out as the slice views' (stampLayout); resolves to a data URL.
   */
  capture(stamp: string): Promise<string>;
  /** How capture lays `stamp` out at this view's width (CSS px). */
  stampLayout(stamp: string): { fontPx: number; lines: string[] };
  resize(): void;
  destroy(): void;
}

/** Parses a VTK XML PolyData file. */
export function parseVtp(buf: ArrayBuffer): vtkPolyData {
  const reader = vtkXMLPolyDataReader.newInstance();
  reader.parseAsArrayBuffer(buf);
  return reader.getOutputData(0) as vtkPolyData;
}

const COLOURS: Record<SurfaceName, [number, number, number]> = { skin: [0.93, 0.73, 0.6], bone: [0.95, 0.93, 0.85] };

/** The font of the screenshot's stamp (as the slice views'). */
const STAMP_FONT = 'system-ui, sans-serif';

/** How long the 3D crosshair marker waits for the 2D views to rest before it redraws (ms). */
const MARKER_SETTLE_MS = 250;

export function createThreeDView(container: HTMLElement, onPick: (lps: Vec3) => void): ThreeDView {
  const grw = vtkGenericRenderWindow.newInstance({ background: [0.08, 0.09, 0.11], listenWindowResize: false });
  grw.setContainer(container);
  grw.resize();
  const renderer = grw.getRenderer();
  const renderWindow = grw.getRenderWindow();
  const actors = new Map<SurfaceName, { actor: vtkActor; triangles: number }>();
  let firstSurface = true;

  let markerTimer: ReturnType<typeof setTimeout> | null = null;
  const marker = vtkActor.newInstance();
  const sphere = vtkSphereSource.newInstance({ radius: 3, thetaResolution: 16, phiResolution: 16 });
  const markerMapper = vtkMapper.newInstance();
  markerMapper.setInputConnection(sphere.getOutputPort());
  marker.setMapper(markerMapper);
  marker.getProperty().setColor(0.9, 0.3, 0.3);
  marker.setVisibility(false);
  renderer.addActor(marker);

  // spine overlay: actors and HTML labels placed at their projections after each render
  let overlayActors: vtkActor[] = [];
  let labels: { el: HTMLDivElement; lps: Vec3 }[] = [];
  let greyActor: vtkActor | null = null;
  let greyData: vtkPolyData | null = null;
  const placeLabels = (): void => {
    if (!labels.length) return;
    const view = renderWindow.getViews()[0] as unknown as { worldToDisplay(x: number, y: number, z: number, r: unknown): number[]; getSize(): number[] };
    const r = container.getBoundingClientRect();
    const size = view.getSize();
    const dpr = (size[0] ?? r.width) / Math.max(1, r.width);
    for (const L of labels) {
      const d = view.worldToDisplay(L.lps[0], L.lps[1], L.lps[2], renderer);
      L.el.style.left = `${d[0]! / dpr + 6}px`;
      L.el.style.top = `${((size[1] ?? 0) - d[1]!) / dpr - 6}px`;
    }
  };
  const renderSub = grw.getInteractor().onRenderEvent(placeLabels);
  const addPolyActor = (pd: vtkPolyData, colour: [number, number, number], opacity = 1, lineWidth = 1): vtkActor => {
    const m = vtkMapper.newInstance();
    m.setInputData(pd);
    const a = vtkActor.newInstance();
    a.setMapper(m);
    a.getProperty().setColor(...colour);
    a.getProperty().setOpacity(opacity);
    a.getProperty().setLineWidth(lineWidth);
    renderer.addActor(a);
    overlayActors.push(a);
    return a;
  };
  const linesPolyData = (segs: [Vec3, Vec3][]): vtkPolyData => {
    const pd = vtkPolyData.newInstance();
    const pts = new Float32Array(segs.length * 6);
    const cells = new Uint32Array(segs.length * 3);
    segs.forEach(([a, b], i) => {
      pts.set([...a, ...b], 6 * i);
      cells.set([2, 2 * i, 2 * i + 1], 3 * i);
    });
    pd.getPoints().setData(pts, 3);
    pd.getLines().setData(cells);
    return pd;
  };
  const sphereAt = (c: Vec3, r: number, colour: [number, number, number]): void => {
    const src = vtkSphereSource.newInstance({ center: c, radius: r, thetaResolution: 12, phiResolution: 12 });
    addPolyActor(src.getOutputData(), colour);
  };

  const picker = vtkCellPicker.newInstance();
  picker.setPickFromList(true);
  picker.setTolerance(0);

  // click (without drag) picks a surface point
  let down: [number, number] | null = null;
  const onDown = (e: MouseEvent): void => {
    down = [e.clientX, e.clientY];
  };
  const onUp = (e: MouseEvent): void => {
    if (!down || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 3) {
      down = null;
      return;
    }
    down = null;
    const r = container.getBoundingClientRect();
    const dpr = (renderWindow.getViews()[0]?.getSize()[0] ?? r.width) / Math.max(1, r.width);
    const x = (e.clientX - r.left) * dpr;
    const y = (r.bottom - e.clientY) * dpr;
    picker.initializePickList();
    for (const { actor } of actors.values()) if (actor.getVisibility()) picker.addPickList(actor);
    picker.pick([x, y, 0], renderer);
    if (picker.getActors().length > 0) onPick(picker.getPickPosition() as Vec3);
  };
  container.addEventListener('mousedown', onDown);
  container.addEventListener('mouseup', onUp);

  const measureCtx = document.createElement('canvas').getContext('2d')!;
  /** The stamp's font size and lines at this view's width less 4 px margins (fitStamp). */
  const stampLayout = (stamp: string): { fontPx: number; lines: string[] } =>
    fitStamp(stamp, Math.max(1, container.getBoundingClientRect().width) - 8, (t, px) => {
      measureCtx.font = `${px}px ${STAMP_FONT}`;
      return measureCtx.measureText(t).width;
    });
  return {
    setSurface: (name, vtp) => {
      const pd = parseVtp(vtp);
      const old = actors.get(name);
      if (old) renderer.removeActor(old.actor);
      const mapper = vtkMapper.newInstance();
      mapper.setInputData(pd);
      const actor = vtkActor.newInstance();
      actor.setMapper(mapper);
      actor.getProperty().setColor(...COLOURS[name]);
      if (name === 'skin') actor.getProperty().setOpacity(0.35);
      renderer.addActor(actor);
      actors.set(name, { actor, triangles: pd.getPolys().getNumberOfCells() });
      if (firstSurface) {
        // anterior view: camera in front of the patient (−y), superior up
        const cam = renderer.getActiveCamera();
        cam.setFocalPoint(0, 0, 0);
        cam.setPosition(0, -1, 0);
        cam.setViewUp(0, 0, 1);
        renderer.resetCamera();
        firstSurface = false;
      }
      renderWindow.render();
    },
    setVisible: (name, visible) => {
      actors.get(name)?.actor.setVisibility(visible);
      renderWindow.render();
    },
    setOpacity: (name, opacity) => {
      actors.get(name)?.actor.getProperty().setOpacity(opacity);
      renderWindow.render();
    },
    setCrosshair: (p) => {
      sphere.setCenter(...p);
      marker.setVisibility(true);
      // the marker follows once the 2D views rest: with software GL (SwiftShader) one frame of the translucent skin
      // and the bone takes hundreds of ms in the one GPU thread, which would hold up every 2D slice step behind it
      if (markerTimer) clearTimeout(markerTimer);
      markerTimer = setTimeout(() => {
        markerTimer = null;
        renderWindow.render();
      }, MARKER_SETTLE_MS);
    },
    setBoneScalars: (vtp, arrayName, range) => {
      if (greyActor) renderer.removeActor(greyActor);
      greyActor = null;
      const bone = actors.get('bone')?.actor;
      if (vtp) greyData = parseVtp(vtp);
      else if (vtp === null) greyData = null;
      if (greyData) {
        const lut = vtkColorTransferFunction.newInstance();
        for (const [t, r, g, b] of GREY_LEVEL_COLOURS) lut.addRGBPoint(range[0] + t * (range[1] - range[0]), r, g, b);
        const m = vtkMapper.newInstance({ interpolateScalarsBeforeMapping: true, useLookupTableScalarRange: false, scalarVisibility: true });
        m.setInputData(greyData);
        m.setLookupTable(lut);
        m.setScalarModeToUsePointFieldData();
        m.setColorByArrayName(arrayName);
        m.setScalarRange(range[0], range[1]);
        greyActor = vtkActor.newInstance();
        greyActor.setMapper(m);
        renderer.addActor(greyActor);
      }
      bone?.setVisibility(!greyActor);
      renderWindow.render();
    },
    setSpineOverlay: (o, showEllipsoids) => {
      for (const a of overlayActors) renderer.removeActor(a);
      overlayActors = [];
      for (const L of labels) L.el.remove();
      labels = [];
      if (o) {
        for (const c of o.centroids) {
          sphereAt(c.lps, 3, [0.88, 0.32, 0.29]);
          const el = document.createElement('div');
          el.className = 'vtk-label';
          el.textContent = c.name;
          el.style.cssText = 'position:absolute;z-index:2;font-size:11px;color:#fff;text-shadow:0 0 3px #000;pointer-events:none';
          container.appendChild(el);
          labels.push({ el, lps: c.lps });
        }
        for (const t of o.tips) sphereAt(t.lps, 2, [0.91, 0.77, 0.28]);
        const skinLines = o.tips.filter((t) => t.skin).map((t) => [t.lps, t.skin!] as [Vec3, Vec3]);
        if (skinLines.length) addPolyActor(linesPolyData(skinLines), [0.91, 0.77, 0.28], 1, 1);
        if (o.cobbLines.length) addPolyActor(linesPolyData(o.cobbLines), [0.3, 0.76, 0.91], 1, 3);
        if (showEllipsoids)
          for (const e of o.ellipsoids) {
            // unit sphere mapped by centre + Σ radius_i · axis_i · p_i
            const pd = vtkSphereSource.newInstance({ radius: 1, thetaResolution: 16, phiResolution: 16 }).getOutputData();
            const pts = pd.getPoints().getData() as Float32Array;
            for (let v = 0; v < pts.length; v += 3) {
              const q = [pts[v]!, pts[v + 1]!, pts[v + 2]!];
              for (let k = 0; k < 3; k++) pts[v + k] = e.centre[k]! + q.reduce((s, x, i) => s + x * e.radiiMm[i]! * e.axes[i]![k]!, 0);
            }
            pd.getPoints().modified();
            addPolyActor(pd, [0.3, 0.9, 0.5], 0.6);
          }
      }
      renderWindow.render();
    },
    triangleCounts: () => ({ skin: actors.get('skin')?.triangles ?? 0, bone: actors.get('bone')?.triangles ?? 0 }),
    actorCount: () => actors.size,
    capture: async (stamp) => {
      renderWindow.render();
      const [shot] = await Promise.all(renderWindow.captureImages('image/png'));
      const image = await new Promise<HTMLImageElement>((resolve, reject) => {
        const img = new Image();
        img.onload = () => resolve(img);
        img.onerror = () => reject(new Error('the 3D view could not be captured'));
        img.src = shot!;
      });
      const box = container.getBoundingClientRect();
      const scale = image.width / Math.max(1, box.width);
      const out = document.createElement('canvas');
      out.width = image.width;
      out.height = image.height;
      const ctx = out.getContext('2d')!;
      ctx.drawImage(image, 0, 0);
      // the spine labels (HTML over the canvas) where they are on screen
      ctx.font = `${11 * scale}px ${STAMP_FONT}`;
      ctx.textBaseline = 'top';
      ctx.fillStyle = '#ffffff';
      for (const L of labels) {
        const r = L.el.getBoundingClientRect();
        ctx.fillText(L.el.textContent ?? '', (r.left - box.left) * scale, (r.top - box.top) * scale);
      }
      drawStamp(ctx, out.width, out.height, scale, stampLayout(stamp), STAMP_FONT);
      return out.toDataURL('image/png');
    },
    stampLayout,
    resize: () => {
      grw.resize();
      renderWindow.render();
    },
    destroy: () => {
      if (markerTimer) clearTimeout(markerTimer);
      renderSub.unsubscribe();
      container.removeEventListener('mousedown', onDown);
      container.removeEventListener('mouseup', onUp);
      grw.delete();
      container.replaceChildren();
    },
  };
}
