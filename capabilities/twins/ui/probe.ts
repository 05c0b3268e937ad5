/**
 * What the planning view exposes on `window.__orthotwin` for end-to-end
 * tests and support staff: the scene and the crosshair, in LPS mm.
 */
import type { Vec3 } from '../../../math/geometry.js';
import type { Orientation } from '../../../renderer/views/vtk/orientation.js';

/** The planning view's test probe (window.__orthotwin): the scene, the crosshair and the views' geometry, read by the e2e tests. */
export interface PlanningProbe {
  ready: boolean;
  scene(): { skinTriangles: number; boneTriangles: number; actors: number };
  crosshairLps(): Vec3 | null;
  slicePositionsMm(): Record<Orientation, number>;
  displayToLps(view: Orientation, x: number, y: number): Vec3;
  mmPerPixel(view: Orientation): number;
}

declare global {
  interface Window {
    __orthotwin?: PlanningProbe;
  }
}
