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
  /** CSS-pixel position (in the view) of an LPS point on the view's plane. */
  lpsToDisplay(view: Orientation, p: Vec3): [number, number];
  mmPerPixel(view: Orientation): number;
  /** The view's zoom relative to the fitted view. */
  zoom(view: Orientation): number;
  /** Index of the slice the view shows (along the volume axis it slices). */
  sliceIndex(view: Orientation): number;
  /** The last screenshot's view (a slice view or '3d'), stamp, and the stamp's layout in the PNG (font size in CSS px, lines: all of it, wrapped); null before one. */
  lastCapture(): { view: Orientation | '3d'; stamp: string; fontPx: number; lines: string[] } | null;
}

declare global {
  interface Window {
    __orthotwin?: PlanningProbe;
  }
}
