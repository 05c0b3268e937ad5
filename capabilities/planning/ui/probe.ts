/**
 * What the screw planning workspace exposes on `window.__orthotwinScrews`
 * for end-to-end tests and support staff: the plan shown, its screws' grades,
 * the selected screw, and where an LPS point lies in the probe's-eye views.
 */
import type { Vec3 } from '../../../math/geometry.js';
import type { BreachGrade, Side } from '../contract.js';
import type { ProbeView } from './probeEye.js';

export interface ScrewPlanningProbe {
  /** The CT and the plans are loaded. */
  ready(): boolean;
  /** Version of the plan shown (0 when none). */
  planVersion(): number;
  /** Versions of the shown analysis's plans, newest first. */
  versions(): number[];
  /** A grade is on its way (a drag's debounce or a call in flight). */
  grading(): boolean;
  rows(): { level: string; side: Side; grade: BreachGrade; worstBreachMm: number; pending: boolean; edited: boolean }[];
  selected(): {
    level: string;
    side: Side;
    entryLps: Vec3;
    targetLps: Vec3;
    grade: BreachGrade;
    worstBreachMm: number;
    pending: boolean;
    stale: boolean;
  } | null;
  /** Client (page) coordinates of an LPS point projected on a probe's-eye view. */
  lpsToClient(view: ProbeView, lps: Vec3): { x: number; y: number } | null;
  /** Client (page) coordinates of an LPS point in the 3D view. */
  threeDToClient(lps: Vec3): { x: number; y: number } | null;
  scene(): { boneTriangles: number; screws: number };
}

declare global {
  interface Window {
    __orthotwinScrews?: ScrewPlanningProbe;
  }
}
