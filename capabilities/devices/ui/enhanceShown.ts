/**
 * What the Devices workspace's enhancement label describes (issue 22): the
 * enhancement header of the last frame drawn is kept with the device it came
 * from, and the label shows it only while that device is the one on view —
 * after a switch to another device (or a disconnect) the label waits for the
 * new device's first frame instead of describing the previous one's. The
 * caption over a model's view says when its frames are raw after all.
 */
import type { StreamHeader } from '../../../electron/contract/devices.js';

/** The enhancement header of the last enhanced-channel frame drawn, and its device. */
export interface ShownEnhancement {
  device: string;
  enhancement: StreamHeader['enhancement'] | null;
}

/**
 * The header the label describes for the device on view, or null (the waiting state).
 * @param shownDevice the id of the device on view (null: none)
 * @param last the last enhanced-channel frame drawn (null: none since the view or the model changed)
 */
export function enhancementForLabel(shownDevice: string | null, last: ShownEnhancement | null): StreamHeader['enhancement'] | null {
  if (!shownDevice || !last || last.device !== shownDevice) return null;
  return last.enhancement ?? null;
}

/**
 * The caption of the view that shows a model's output: what the frames are — "After: ultrasound frames through the
 * model", or, when the frame shown is the raw one sent in the model's place (the model was refused or failed),
 * "After: raw frames (the model did not run — see below)"; "After: " only in the before/after split.
 * @param frames what the view's frames are ("ultrasound frames")
 */
export function enhancedCaption(split: boolean, enhancement: StreamHeader['enhancement'] | null, frames: string): string {
  const text = enhancement && !enhancement.applied ? 'raw frames (the model did not run — see below)' : `${frames} through the model`;
  return split ? `After: ${text}` : text.charAt(0).toUpperCase() + text.slice(1);
}
