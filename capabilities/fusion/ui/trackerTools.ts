/**
 * The tracker tools offered as the probe and the patient reference: grouped
 * by device (each tracker has its own frame, so the reference and the probe
 * must come from the same one), the same tool never both, and why a chosen
 * pair is refused.
 */
import { sameToolRefusal } from '../contract.js';

/** The tools seen on one device (its id and the name it is shown with). */
export interface DeviceTools {
  device: string;
  deviceName: string;
  tools: string[];
}

export interface ToolOption {
  value: string;
  text: string;
}

export interface ToolChoices {
  /** The probe tool's options, one group per device ("ProbeToTracker — Replay (simulated)"). */
  probeGroups: { deviceName: string; options: ToolOption[] }[];
  /** The reference's options: the other tools of the probe's device (all devices' while the probe's is unknown). */
  referenceOptions: ToolOption[];
  /** The device of the probe tool, null while not seen. */
  probeDevice: DeviceTools | null;
  /** Why the chosen pair cannot be used, null when it can. */
  refusal: string | null;
}

const option = (tool: string, d: DeviceTools): ToolOption => ({ value: tool, text: `${tool} — ${d.deviceName}` });

/**
 * @param devices the tools seen per device
 * @param usDevice the ultrasound source (device id; '' any): its own tools come first for the probe
 */
export function toolChoices(devices: readonly DeviceTools[], probeTool: string, referenceTool: string, usDevice = ''): ToolChoices {
  const probeDevice = devices.find((d) => d.device === usDevice && d.tools.includes(probeTool)) ?? devices.find((d) => d.tools.includes(probeTool)) ?? null;
  const probeGroups = devices.map((d) => ({
    deviceName: d.deviceName,
    options: d.tools.filter((t) => t !== referenceTool || !referenceTool).map((t) => option(t, d)),
  }));
  const referenceOptions = (probeDevice ? [probeDevice] : devices).flatMap((d) => d.tools.filter((t) => t !== probeTool).map((t) => option(t, d)));
  let refusal = sameToolRefusal(probeTool, referenceTool);
  if (!refusal && referenceTool && probeDevice && !probeDevice.tools.includes(referenceTool)) {
    const other = devices.find((d) => d.tools.includes(referenceTool));
    if (other)
      refusal = `The patient reference ${referenceTool} is on ${other.deviceName} and the probe ${probeTool} on ${probeDevice.deviceName}: tools of different trackers are in different frames. Choose a reference of ${probeDevice.deviceName}, or none.`;
  }
  return { probeGroups, referenceOptions, probeDevice, refusal };
}
