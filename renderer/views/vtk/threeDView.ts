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
import type vtkPolyData from '@kitware/vtk.js/Common/DataModel/PolyData';
import type { Vec3 } from '../../../electron/contract/geometry.js';

export type SurfaceName = 'skin' | 'bone';

export interface ThreeDView {
  setSurface(name: SurfaceName, vtp: ArrayBuffer): void;
  setVisible(name: SurfaceName, visible: boolean): void;
  setOpacity(name: SurfaceName, opacity: number): void;
  setCrosshair(lps: Vec3): void;
  /** Triangles of each loaded surface (0 when absent). */
  triangleCounts(): Record<SurfaceName, number>;
  actorCount(): number;
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

export function createThreeDView(container: HTMLElement, onPick: (lps: Vec3) => void): ThreeDView {
  const grw = vtkGenericRenderWindow.newInstance({ background: [0.08, 0.09, 0.11], listenWindowResize: false });
  grw.setContainer(container);
  grw.resize();
  const renderer = grw.getRenderer();
  const renderWindow = grw.getRenderWindow();
  const actors = new Map<SurfaceName, { actor: vtkActor; triangles: number }>();
  let firstSurface = true;

  const marker = vtkActor.newInstance();
  const sphere = vtkSphereSource.newInstance({ radius: 3, thetaResolution: 16, phiResolution: 16 });
  const markerMapper = vtkMapper.newInstance();
  markerMapper.setInputConnection(sphere.getOutputPort());
  marker.setMapper(markerMapper);
  marker.getProperty().setColor(0.9, 0.3, 0.3);
  marker.setVisibility(false);
  renderer.addActor(marker);

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
      renderWindow.render();
    },
    triangleCounts: () => ({ skin: actors.get('skin')?.triangles ?? 0, bone: actors.get('bone')?.triangles ?? 0 }),
    actorCount: () => actors.size,
    resize: () => {
      grw.resize();
      renderWindow.render();
    },
    destroy: () => {
      container.removeEventListener('mousedown', onDown);
      container.removeEventListener('mouseup', onUp);
      grw.delete();
      container.replaceChildren();
    },
  };
}
