/**
 * The live fusion's 3D view with vtk.js, in the prior volume's frame (mm):
 * the volume's bounding box, the volume resliced on the ultrasound plane
 * (GPU, as in the 2D view), the ultrasound frame as a textured rectangle on
 * that plane, the probe's axes, and the skin surface (translucent) when the
 * twin has one. Trackball camera.
 */
import '@kitware/vtk.js/Rendering/Profiles/Volume';
import '@kitware/vtk.js/Rendering/Profiles/Geometry';
import vtkGenericRenderWindow from '@kitware/vtk.js/Rendering/Misc/GenericRenderWindow';
import vtkActor from '@kitware/vtk.js/Rendering/Core/Actor';
import vtkMapper from '@kitware/vtk.js/Rendering/Core/Mapper';
import vtkCubeSource from '@kitware/vtk.js/Filters/Sources/CubeSource';
import vtkPlaneSource from '@kitware/vtk.js/Filters/Sources/PlaneSource';
import vtkTexture from '@kitware/vtk.js/Rendering/Core/Texture';
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkPolyData from '@kitware/vtk.js/Common/DataModel/PolyData';
import vtkImageResliceMapper from '@kitware/vtk.js/Rendering/Core/ImageResliceMapper';
import vtkImageSlice from '@kitware/vtk.js/Rendering/Core/ImageSlice';
import vtkPlane from '@kitware/vtk.js/Common/DataModel/Plane';
import vtkColorTransferFunction from '@kitware/vtk.js/Rendering/Core/ColorTransferFunction';
import type { Vec3 } from '../../../math/geometry.js';
import type { ImagePlane } from '../../../capabilities/fusion/ui/fusionMath.js';
import { parseVtp } from './threeDView.js';

export interface Fusion3DView {
  /** Places the ultrasound plane (and reslices the volume on it); `frame` textures it when given (grey, one byte per pixel). */
  setPlane(p: ImagePlane, frame?: { pixels: Uint8Array; width: number; height: number }): void;
  /** The probe's origin and axes in the volume frame (row-major 4×4 probe → volume, mm), null to hide. */
  setProbe(probeToVolume: readonly number[] | null): void;
  setSkin(vtp: ArrayBuffer | null): void;
  /**
   * Colours the skin by a per-vertex value (e.g. the predicted TRE, mm) over
   * [0, rangeMax] with `colours` (fraction → RGB stops); null for the plain skin.
   * The value function takes a vertex in the volume frame (mm).
   */
  setSkinScalars(value: ((x: number, y: number, z: number) => number) | null, rangeMax: number, colours: readonly (readonly number[])[]): void;
  setWindowLevel(window: number, level: number): void;
  render(): void;
  resize(): void;
  destroy(): void;
}

export function createFusion3DView(container: HTMLElement, image: vtkImageData, wl: [number, number]): Fusion3DView {
  const grw = vtkGenericRenderWindow.newInstance({ background: [0.04, 0.05, 0.06], listenWindowResize: false });
  const host = document.createElement('div');
  host.style.cssText = 'position:absolute;inset:0;';
  container.appendChild(host);
  grw.setContainer(host);
  grw.resize();
  const renderer = grw.getRenderer();
  const renderWindow = grw.getRenderWindow();

  // bounding box of the volume
  const b = image.getBounds();
  const cube = vtkCubeSource.newInstance({
    xLength: b[1] - b[0],
    yLength: b[3] - b[2],
    zLength: b[5] - b[4],
    center: [(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2],
  });
  const boxMapper = vtkMapper.newInstance();
  boxMapper.setInputConnection(cube.getOutputPort());
  const box = vtkActor.newInstance();
  box.setMapper(boxMapper);
  box.getProperty().setRepresentationToWireframe();
  box.getProperty().setColor(0.45, 0.5, 0.55);
  box.getProperty().setLighting(false);
  renderer.addActor(box);

  // the volume resliced on the ultrasound plane
  const slicePlane = vtkPlane.newInstance();
  const rMapper = vtkImageResliceMapper.newInstance();
  rMapper.setInputData(image);
  rMapper.setSlicePlane(slicePlane);
  const reslice = vtkImageSlice.newInstance();
  reslice.setMapper(rMapper);
  reslice.getProperty().setColorWindow(wl[0]);
  reslice.getProperty().setColorLevel(wl[1]);
  reslice.setVisibility(false);
  renderer.addActor(reslice);

  // the ultrasound frame, textured on its rectangle (slightly in front of the reslice)
  const planeSource = vtkPlaneSource.newInstance();
  const usMapper = vtkMapper.newInstance();
  usMapper.setInputConnection(planeSource.getOutputPort());
  const us = vtkActor.newInstance();
  us.setMapper(usMapper);
  us.getProperty().setLighting(false);
  us.getProperty().setOpacity(0.85);
  const texImage = vtkImageData.newInstance();
  const texture = vtkTexture.newInstance();
  texture.setInterpolate(true);
  us.addTexture(texture);
  us.setVisibility(false);
  renderer.addActor(us);

  // probe axes (x red, y green, z blue), 25 mm
  const axesData = vtkPolyData.newInstance();
  const axesMapper = vtkMapper.newInstance();
  axesMapper.setInputData(axesData);
  const axes = vtkActor.newInstance();
  axes.setMapper(axesMapper);
  axes.getProperty().setLineWidth(3);
  axes.getProperty().setLighting(false);
  axes.setVisibility(false);
  renderer.addActor(axes);

  const skinMapper = vtkMapper.newInstance();
  const skin = vtkActor.newInstance();
  skin.setMapper(skinMapper);
  skin.getProperty().setColor(0.95, 0.78, 0.66);
  skin.getProperty().setOpacity(0.25);
  skin.setVisibility(false);
  renderer.addActor(skin);

  let framed = false;
  const frameCamera = (): void => {
    renderer.resetCamera();
    const cam = renderer.getActiveCamera();
    cam.elevation(20);
    cam.azimuth(30);
    renderer.resetCamera();
    framed = true;
  };

  return {
    setPlane(p, frame) {
      slicePlane.setOrigin(...p.centre);
      slicePlane.setNormal(...p.normal);
      reslice.setVisibility(true);
      // 0.3 mm towards the viewer side of the plane so the texture is not z-fighting the reslice
      const off = (c: Vec3): Vec3 => [c[0] - 0.3 * p.normal[0], c[1] - 0.3 * p.normal[1], c[2] - 0.3 * p.normal[2]];
      planeSource.setOrigin(...off(p.corners[0]));
      planeSource.setPoint1(...off(p.corners[1]));
      planeSource.setPoint2(...off(p.corners[3]));
      if (frame) {
        texImage.setDimensions(frame.width, frame.height, 1);
        texImage.getPointData().setScalars(vtkDataArray.newInstance({ name: 'us', numberOfComponents: 1, values: frame.pixels }));
        texImage.modified();
        texture.setInputData(texImage);
        us.setVisibility(true);
      }
      if (!framed) frameCamera();
    },
    setProbe(m) {
      axes.setVisibility(m !== null);
      if (!m) return;
      const o: Vec3 = [m[3]!, m[7]!, m[11]!];
      const pts = [...o];
      for (let a = 0; a < 3; a++) pts.push(o[0] + 25 * m[a]!, o[1] + 25 * m[4 + a]!, o[2] + 25 * m[8 + a]!);
      axesData.getPoints().setData(Float32Array.from(pts), 3);
      axesData.getLines().setData(Uint32Array.from([2, 0, 1, 2, 0, 2, 2, 0, 3]));
      axesData
        .getCellData()
        .setScalars(vtkDataArray.newInstance({ name: 'rgb', numberOfComponents: 3, values: Uint8Array.from([230, 70, 60, 80, 200, 90, 80, 140, 240]) }));
      axesMapper.setColorModeToDirectScalars();
      axesData.modified();
    },
    setSkin(vtp) {
      if (!vtp) return skin.setVisibility(false);
      skinMapper.setInputData(parseVtp(vtp));
      skinMapper.setScalarVisibility(false);
      skin.setVisibility(true);
    },
    setSkinScalars(value, rangeMax, colours) {
      const data = skinMapper.getInputData() as vtkPolyData | null;
      if (!data) return;
      if (!value) return skinMapper.setScalarVisibility(false);
      const pts = data.getPoints().getData();
      const vals = new Float32Array(pts.length / 3);
      for (let i = 0; i < vals.length; i++) vals[i] = value(pts[3 * i]!, pts[3 * i + 1]!, pts[3 * i + 2]!);
      data.getPointData().setScalars(vtkDataArray.newInstance({ name: 'scalar', numberOfComponents: 1, values: vals }));
      const lut = vtkColorTransferFunction.newInstance();
      for (const [t, r, g, b] of colours) lut.addRGBPoint(t! * rangeMax, r!, g!, b!);
      skinMapper.setLookupTable(lut);
      skinMapper.setUseLookupTableScalarRange(false);
      skinMapper.setScalarRange(0, rangeMax);
      skinMapper.setScalarModeToUsePointData();
      skinMapper.setScalarVisibility(true);
      data.modified();
    },
    setWindowLevel(window, level) {
      reslice.getProperty().setColorWindow(window);
      reslice.getProperty().setColorLevel(level);
    },
    render: () => renderWindow.render(),
    resize() {
      grw.resize();
      renderWindow.render();
    },
    destroy() {
      grw.delete();
      host.remove();
    },
  };
}
