/**
 * The three MPR orientations in radiological convention (LPS world):
 * axial seen from the feet (patient's left on screen right, anterior up),
 * coronal seen from the front (patient's left on screen right, superior up),
 * sagittal seen from the patient's left (anterior on screen left, superior up).
 */
export type Orientation = 'axial' | 'coronal' | 'sagittal';

export interface ViewAxes {
  /** World axis along the view normal (0 = L, 1 = P, 2 = S). */
  normalAxis: 0 | 1 | 2;
  /** Camera direction of projection. */
  directionOfProjection: [number, number, number];
  viewUp: [number, number, number];
  /** World axis and sign that increase to the screen's right. */
  rightAxis: 0 | 1 | 2;
  rightSign: 1 | -1;
  /** World axis and sign that increase towards the screen's top. */
  upAxis: 0 | 1 | 2;
  upSign: 1 | -1;
  /** Crosshair colour of this view (3D Slicer's: axial red, coronal green, sagittal yellow). */
  colour: string;
}

export const VIEW_AXES: Record<Orientation, ViewAxes> = {
  axial: { normalAxis: 2, directionOfProjection: [0, 0, 1], viewUp: [0, -1, 0], rightAxis: 0, rightSign: 1, upAxis: 1, upSign: -1, colour: '#e0524b' },
  coronal: { normalAxis: 1, directionOfProjection: [0, 1, 0], viewUp: [0, 0, 1], rightAxis: 0, rightSign: 1, upAxis: 2, upSign: 1, colour: '#5fb85f' },
  sagittal: { normalAxis: 0, directionOfProjection: [-1, 0, 0], viewUp: [0, 0, 1], rightAxis: 1, rightSign: 1, upAxis: 2, upSign: 1, colour: '#e8c547' },
};

/** Cross product; the screen-right vector of a camera is dop × viewUp. */
export function cross(a: readonly number[], b: readonly number[]): [number, number, number] {
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
}

/** Window/level presets in HU (CT) — the usual radiology values. */
export const WL_PRESETS: Record<string, { window: number; level: number }> = {
  bone: { window: 2000, level: 400 },
  'soft tissue': { window: 400, level: 40 },
  lung: { window: 1500, level: -600 },
};
