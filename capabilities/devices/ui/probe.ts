/**
 * What the Devices workspace exposes on `window.__orthotwinDevices` for
 * end-to-end tests and service engineers.
 */
export interface DevicesProbe {
  /** Stream messages received by this page. */
  received(): number;
  /** Video frames the UVC capture showed, and how many it sent to the device host. */
  capture(): { frames: number; sent: number; width: number; height: number; meanGrey: number } | null;
  /** Ultrasound frames drawn from device streams. */
  imagesDrawn(): number;
  /** Depth frames / point clouds drawn from device streams. */
  depthsDrawn(): number;
  /** Ultrasound frames drawn that were a model's output (enhancement applied). */
  enhancedDrawn(): number;
}

declare global {
  interface Window {
    __orthotwinDevices?: DevicesProbe;
  }
}
