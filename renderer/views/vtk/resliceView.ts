/**
 * GPU reslicing of a volume on an arbitrary plane with vtk.js
 * (vtkImageResliceMapper: the slice is sampled from the volume's 3D texture
 * in the fragment shader, trilinear), framed so that the view shows exactly
 * an ultrasound image's rectangle: orthographic camera looking along the
 * plane normal, image rows downward on screen, parallel scale = half the
 * rectangle's height. The view's pixel (x, y) then lies over the image's
 * pixel ((x + ½)·W/w − ½, (y + ½)·H/h − ½). Grey levels can be read back for
 * comparison with the frame (NCC) and for the overlay's colour map.
 */
import '@kitware/vtk.js/Rendering/Profiles/Volume';
import vtkGenericRenderWindow from '@kitware/vtk.js/Rendering/Misc/GenericRenderWindow';
import vtkImageResliceMapper from '@kitware/vtk.js/Rendering/Core/ImageResliceMapper';
import vtkImageSlice from '@kitware/vtk.js/Rendering/Core/ImageSlice';
import vtkPlane from '@kitware/vtk.js/Common/DataModel/Plane';
import vtkInteractorStyleManipulator from '@kitware/vtk.js/Interaction/Style/InteractorStyleManipulator';
import type vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import type { ImagePlane } from '../../features/fusion/fusionMath.js';

export interface ResliceView {
  /** Reslices the volume on `plane` and renders it, framed on the image rectangle (synchronous). */
  show(plane: ImagePlane): void;
  /**
   * Grey levels (0–255, the red channel) of the last render, `width` × `height`
   * view pixels, row 0 at the top. Call it in the same task as `show` (the
   * WebGL drawing buffer is only valid until the page composites).
   */
  readBack(): { grey: Uint8Array; width: number; height: number };
  /** Window and level in the volume's units (a linear ramp, no clamping inside the window). */
  setWindowLevel(window: number, level: number): void;
  windowLevel(): [number, number];
  /** The element holding the canvas (for mouse handling). */
  element(): HTMLElement;
  resize(): void;
  destroy(): void;
}

export function createResliceView(container: HTMLElement, image: vtkImageData, initialWl: [number, number]): ResliceView {
  const grw = vtkGenericRenderWindow.newInstance({ background: [0, 0, 0], listenWindowResize: false });
  const host = document.createElement('div');
  host.style.cssText = 'position:absolute;inset:0;';
  container.appendChild(host);
  grw.setContainer(host);
  grw.resize();
  grw.getInteractor().setInteractorStyle(vtkInteractorStyleManipulator.newInstance()); // the workspace handles the mouse
  const renderer = grw.getRenderer();
  const renderWindow = grw.getRenderWindow();
  const glWindow = grw.getApiSpecificRenderWindow();

  const plane = vtkPlane.newInstance();
  const mapper = vtkImageResliceMapper.newInstance();
  mapper.setInputData(image);
  mapper.setSlicePlane(plane);
  const actor = vtkImageSlice.newInstance();
  actor.setMapper(mapper);
  const prop = actor.getProperty();
  prop.setInterpolationTypeToLinear();
  let wl: [number, number] = initialWl;
  prop.setColorWindow(wl[0]);
  prop.setColorLevel(wl[1]);
  renderer.addActor(actor);
  const camera = renderer.getActiveCamera();
  camera.setParallelProjection(true);

  const readCanvas = document.createElement('canvas');
  const readCtx = readCanvas.getContext('2d', { willReadFrequently: true })!;
  let last: ImagePlane | null = null;

  return {
    show(p) {
      last = p;
      plane.setOrigin(...p.centre);
      plane.setNormal(...p.normal);
      // screen right = u, screen up = −v (rows go down): direction of projection = u × v
      camera.setFocalPoint(...p.centre);
      camera.setPosition(p.centre[0] - 500 * p.normal[0], p.centre[1] - 500 * p.normal[1], p.centre[2] - 500 * p.normal[2]);
      camera.setViewUp(-p.v[0], -p.v[1], -p.v[2]);
      camera.setParallelScale(p.sizeMm[1] / 2);
      camera.setClippingRange(1, 1000);
      renderWindow.render();
    },
    readBack() {
      const canvas = glWindow.getCanvas() as HTMLCanvasElement;
      const w = canvas.width;
      const h = canvas.height;
      if (readCanvas.width !== w) readCanvas.width = w;
      if (readCanvas.height !== h) readCanvas.height = h;
      readCtx.drawImage(canvas, 0, 0);
      const rgba = readCtx.getImageData(0, 0, w, h).data;
      const grey = new Uint8Array(w * h);
      for (let k = 0; k < grey.length; k++) grey[k] = rgba[4 * k]!;
      return { grey, width: w, height: h };
    },
    setWindowLevel(window, level) {
      wl = [Math.max(1e-6, window), level];
      prop.setColorWindow(wl[0]);
      prop.setColorLevel(wl[1]);
      if (last) renderWindow.render();
    },
    windowLevel: () => wl,
    element: () => host,
    resize() {
      grw.resize();
      if (last) renderWindow.render();
    },
    destroy() {
      grw.delete();
      host.remove();
    },
  };
}
