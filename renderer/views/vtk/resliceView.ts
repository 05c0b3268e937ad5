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
import type vtkOpenGLRenderWindow from '@kitware/vtk.js/Rendering/OpenGL/RenderWindow';
import { resliceOnPlane, type ImagePlane, type VoxelGrid } from '../../../capabilities/fusion/ui/fusionMath.js';

export interface ResliceView {
  /** 'gpu': vtkImageResliceMapper in WebGL; 'cpu': trilinear on the CPU into a 2D canvas. */
  backend: 'gpu' | 'cpu';
  /** Reslices the volume on `plane` and renders it, framed on the image rectangle (synchronous). */
  show(plane: ImagePlane): void;
  /**
   * Grey levels (0–255, the red channel) of the last render, `width` × `height`
   * view pixels, row 0 at the top, by glReadPixels. Call it in the same task
   * as `show` (the WebGL drawing buffer is only valid until the page
   * composites).
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

/**
 * @param pixelMm the finest pixel the reslice is rendered at (mm): finer
 *   than the volume's voxels shows nothing more, and every fragment costs
 *   (the canvas is scaled up to the view by the browser)
 */
export function createResliceView(container: HTMLElement, image: vtkImageData, initialWl: [number, number], pixelMm: number): ResliceView {
  const grw = vtkGenericRenderWindow.newInstance({ background: [0, 0, 0], listenWindowResize: false });
  const host = document.createElement('div');
  host.style.cssText = 'position:absolute;inset:0;';
  container.appendChild(host);
  grw.setContainer(host);
  grw.resize();
  grw.getInteractor().setInteractorStyle(vtkInteractorStyleManipulator.newInstance()); // the workspace handles the mouse
  const renderer = grw.getRenderer();
  const renderWindow = grw.getRenderWindow();
  const glWindow = grw.getApiSpecificRenderWindow() as vtkOpenGLRenderWindow;

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

  let last: ImagePlane | null = null;

  const canvas = glWindow.getCanvas() as HTMLCanvasElement;
  canvas.style.width = '100%';
  canvas.style.height = '100%';
  const fitSize = (p: ImagePlane): void => {
    const [w, h] = renderSize(p, host.clientWidth, pixelMm);
    const [cw, ch] = glWindow.getSize();
    if (cw !== w || ch !== h) glWindow.setSize(w, h);
  };

  return {
    backend: 'gpu',
    show(p) {
      last = p;
      fitSize(p);
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
      const [w, h] = glWindow.getSize();
      // one synchronous glReadPixels (bottom row first) of the frame just rendered
      const rgba = glWindow.getPixelData(0, 0, w - 1, h - 1);
      const grey = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) {
        const src = (h - 1 - y) * w * 4;
        const dst = y * w;
        for (let x = 0; x < w; x++) grey[dst + x] = rgba[src + 4 * x]!;
      }
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
      if (last) (fitSize(last), renderWindow.render());
    },
    destroy() {
      grw.delete();
      host.remove();
    },
  };
}

/** Render size (pixels) of a plane in a view: the view's device pixels, or fewer where they would be finer than `pixelMm`. */
function renderSize(p: ImagePlane, viewWidthCss: number, pixelMm: number): [number, number] {
  const maxW = Math.max(1, Math.floor(viewWidthCss * (window.devicePixelRatio || 1)));
  const w = Math.max(16, Math.min(maxW, Math.round(p.sizeMm[0] / pixelMm)));
  return [w, Math.max(16, Math.round((w * p.sizeMm[1]) / p.sizeMm[0]))];
}

/**
 * The same view with the reslice computed on the CPU (`resliceOnPlane`,
 * trilinear) into a 2D canvas: for machines whose WebGL is a software
 * renderer (SwiftShader, llvmpipe), where each round trip to the emulated GPU
 * costs tens of milliseconds.
 */
export function createCpuResliceView(container: HTMLElement, vol: VoxelGrid, initialWl: [number, number], pixelMm: number): ResliceView {
  const host = document.createElement('div');
  host.style.cssText = 'position:absolute;inset:0;';
  const canvas = document.createElement('canvas');
  canvas.style.cssText = 'width:100%;height:100%;display:block;';
  host.appendChild(canvas);
  container.appendChild(host);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  let wl: [number, number] = initialWl;
  let last: ImagePlane | null = null;
  let grey: Uint8Array = new Uint8Array(0);
  const draw = (): void => {
    if (!last) return;
    const [w, h] = renderSize(last, host.clientWidth, pixelMm);
    if (canvas.width !== w || canvas.height !== h) ((canvas.width = w), (canvas.height = h));
    grey = resliceOnPlane(vol, last.imageToVolume, last.imageSize[0], last.imageSize[1], w, h, wl).grey;
    const img = ctx.createImageData(w, h);
    for (let k = 0; k < grey.length; k++) {
      const v = grey[k]!;
      img.data[4 * k] = img.data[4 * k + 1] = img.data[4 * k + 2] = v;
      img.data[4 * k + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  };
  return {
    backend: 'cpu',
    show(p) {
      last = p;
      draw();
    },
    readBack: () => ({ grey: grey.slice(), width: canvas.width, height: canvas.height }),
    setWindowLevel(window, level) {
      wl = [Math.max(1e-6, window), level];
      draw();
    },
    windowLevel: () => wl,
    element: () => host,
    resize: draw,
    destroy: () => host.remove(),
  };
}

/** True when WebGL is a software renderer (SwiftShader, llvmpipe, Mesa's softpipe). */
export function softwareWebGl(): boolean {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return true;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return /swiftshader|llvmpipe|softpipe|software/i.test(name);
}
