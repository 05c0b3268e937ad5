/**
 * The 3D view of a screw plan with vtk.js: the twin's bone surface
 * (translucent, so the screws inside the pedicles show), each screw as a
 * cylinder from entry to tip of its diameter (LPS mm) coloured by its
 * Gertzbein–Robbins grade, the selected screw's entry and tip as spheres, and
 * click-to-pick a point on the bone surface (for the entry or the target).
 */
import '@kitware/vtk.js/Rendering/Profiles/Geometry';
import vtkGenericRenderWindow from '@kitware/vtk.js/Rendering/Misc/GenericRenderWindow';
import vtkActor from '@kitware/vtk.js/Rendering/Core/Actor';
import vtkMapper from '@kitware/vtk.js/Rendering/Core/Mapper';
import vtkCellPicker from '@kitware/vtk.js/Rendering/Core/CellPicker';
import vtkCylinderSource from '@kitware/vtk.js/Filters/Sources/CylinderSource';
import vtkSphereSource from '@kitware/vtk.js/Filters/Sources/SphereSource';
import type { Vec3 } from '../../../math/geometry.js';
import { parseVtp } from '../../../renderer/views/vtk/threeDView.js';
import type { BreachGrade } from '../contract.js';
import { gradeRgb } from './display.js';

/** One screw of the scene. */
export interface SceneScrew {
  key: string;
  entryLps: Vec3;
  targetLps: Vec3;
  diameterMm: number;
  grade: BreachGrade;
}

export interface Screws3dView {
  /** Loads the bone surface (VTK XML PolyData, LPS mm) and frames the camera on it, posterior view. */
  setBone(vtp: ArrayBuffer): void;
  setBoneOpacity(opacity: number): void;
  /** Replaces the screws; `selected` is drawn with its entry (white) and tip (cyan) spheres. */
  setScrews(screws: readonly SceneScrew[], selected: string | null): void;
  /** Points the camera at `lps` (the selected screw's midpoint), keeping its direction, at a distance that shows about `fieldMm` across. */
  focus(lps: Vec3, fieldMm: number): void;
  /** Client (page) coordinates of an LPS point as the 3D view shows it now (for tests and tooling). */
  lpsToClient(lps: Vec3): { x: number; y: number };
  /** Triangles of the bone surface and the number of screws drawn (for tests). */
  counts(): { boneTriangles: number; screws: number };
  resize(): void;
  destroy(): void;
}

/**
 * @param onPick a click (without drag) on the bone surface: its LPS point (mm)
 */
export function createScrews3dView(container: HTMLElement, onPick: (lps: Vec3) => void): Screws3dView {
  const grw = vtkGenericRenderWindow.newInstance({ background: [0.08, 0.09, 0.11], listenWindowResize: false });
  grw.setContainer(container);
  grw.resize();
  const renderer = grw.getRenderer();
  const renderWindow = grw.getRenderWindow();
  let bone: { actor: vtkActor; triangles: number } | null = null;
  let screwActors: vtkActor[] = [];
  let screwCount = 0;

  const picker = vtkCellPicker.newInstance();
  picker.setPickFromList(true);
  picker.setTolerance(0);
  let down: [number, number] | null = null;
  const onDown = (e: MouseEvent): void => {
    down = [e.clientX, e.clientY];
  };
  const onUp = (e: MouseEvent): void => {
    const d = down;
    down = null;
    if (!d || !bone || Math.hypot(e.clientX - d[0], e.clientY - d[1]) > 3) return;
    const r = container.getBoundingClientRect();
    const dpr = (renderWindow.getViews()[0]?.getSize()[0] ?? r.width) / Math.max(1, r.width);
    picker.initializePickList();
    picker.addPickList(bone.actor);
    picker.pick([(e.clientX - r.left) * dpr, (r.bottom - e.clientY) * dpr, 0], renderer);
    if (picker.getActors().length > 0) onPick(picker.getPickPosition() as Vec3);
  };
  container.addEventListener('mousedown', onDown);
  container.addEventListener('mouseup', onUp);

  const addActor = (pd: ReturnType<vtkCylinderSource['getOutputData']>, colour: [number, number, number]): vtkActor => {
    const m = vtkMapper.newInstance();
    m.setInputData(pd);
    const a = vtkActor.newInstance();
    a.setMapper(m);
    a.getProperty().setColor(...colour);
    renderer.addActor(a);
    screwActors.push(a);
    return a;
  };

  return {
    setBone: (vtp) => {
      const pd = parseVtp(vtp);
      if (bone) renderer.removeActor(bone.actor);
      const m = vtkMapper.newInstance();
      m.setInputData(pd);
      const actor = vtkActor.newInstance();
      actor.setMapper(m);
      actor.getProperty().setColor(0.95, 0.93, 0.85);
      actor.getProperty().setOpacity(0.3);
      renderer.addActor(actor);
      bone = { actor, triangles: pd.getPolys().getNumberOfCells() };
      // posterior view (the surgeon's, patient prone): camera behind the patient (+P), superior up
      const cam = renderer.getActiveCamera();
      cam.setFocalPoint(0, 0, 0);
      cam.setPosition(0, 1, 0);
      cam.setViewUp(0, 0, 1);
      renderer.resetCamera();
      renderWindow.render();
    },
    setBoneOpacity: (o) => {
      bone?.actor.getProperty().setOpacity(o);
      renderWindow.render();
    },
    setScrews: (screws, selected) => {
      for (const a of screwActors) renderer.removeActor(a);
      screwActors = [];
      screwCount = 0;
      for (const s of screws) {
        const e = s.entryLps;
        const t = s.targetLps;
        const axis: Vec3 = [t[0] - e[0], t[1] - e[1], t[2] - e[2]];
        const len = Math.hypot(...axis);
        if (len < 1e-6) continue;
        // vtkCylinderSource: centred at `center`, along `direction`, `height` long
        const cyl = vtkCylinderSource.newInstance({
          center: [(e[0] + t[0]) / 2, (e[1] + t[1]) / 2, (e[2] + t[2]) / 2],
          direction: [axis[0] / len, axis[1] / len, axis[2] / len],
          height: len,
          radius: s.diameterMm / 2,
          resolution: 20,
        });
        const a = addActor(cyl.getOutputData(), gradeRgb(s.grade));
        screwCount++;
        if (s.key === selected) {
          a.getProperty().setSpecular(0.6);
          addActor(vtkSphereSource.newInstance({ center: e, radius: 2, thetaResolution: 12, phiResolution: 12 }).getOutputData(), [1, 1, 1]);
          addActor(vtkSphereSource.newInstance({ center: t, radius: 2, thetaResolution: 12, phiResolution: 12 }).getOutputData(), [0.3, 0.85, 0.95]);
        } else if (selected) a.getProperty().setOpacity(0.55);
      }
      renderWindow.render();
    },
    focus: (p, fieldMm) => {
      const cam = renderer.getActiveCamera();
      const f = cam.getFocalPoint();
      const pos = cam.getPosition();
      const back = [pos[0] - f[0], pos[1] - f[1], pos[2] - f[2]];
      const n = Math.hypot(back[0]!, back[1]!, back[2]!) || 1;
      const distance = fieldMm / 2 / Math.tan((cam.getViewAngle() * Math.PI) / 360);
      cam.setFocalPoint(...p);
      cam.setPosition(p[0] + (back[0]! / n) * distance, p[1] + (back[1]! / n) * distance, p[2] + (back[2]! / n) * distance);
      renderer.resetCameraClippingRange();
      renderWindow.render();
    },
    lpsToClient: (p) => {
      const view = renderWindow.getViews()[0] as unknown as { worldToDisplay(x: number, y: number, z: number, r: unknown): number[]; getSize(): number[] };
      const r = container.getBoundingClientRect();
      const size = view.getSize();
      const dpr = (size[0] ?? r.width) / Math.max(1, r.width);
      const d = view.worldToDisplay(p[0], p[1], p[2], renderer);
      return { x: r.left + d[0]! / dpr, y: r.top + ((size[1] ?? 0) - d[1]!) / dpr };
    },
    counts: () => ({ boneTriangles: bone?.triangles ?? 0, screws: screwCount }),
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
