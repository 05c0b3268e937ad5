/**
 * What the spine panel exposes on `window.__orthotwinSpine` for end-to-end
 * tests and support staff: the analysis shown, whether a job runs, and where
 * a level's centroid handle is on screen.
 */
export interface SpineProbe {
  /** Version of the analysis shown (0 when none). */
  version(): number;
  busy(): boolean;
  centroidClient(plane: 'coronal' | 'sagittal', name: string): { x: number; y: number } | null;
}

declare global {
  interface Window {
    __orthotwinSpine?: SpineProbe;
  }
}
