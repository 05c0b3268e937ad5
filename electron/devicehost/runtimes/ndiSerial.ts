/** Device kind `ndi`: an NDI Aurora / Polaris on a serial port (USB-serial SCU). */
import { NdiRuntime, NDI_MODEL_NAMES, type NdiLink } from './ndi.js';
import type { RuntimeContext, RuntimeFactory, SpecOf } from './runtime.js';

/** A real tracker: the driver opens the spec's port at its baud rate. */
export class NdiSerialRuntime extends NdiRuntime {
  constructor(
    private readonly serial: SpecOf<'ndi'>,
    ctx: RuntimeContext,
  ) {
    super(ctx, serial, `${NDI_MODEL_NAMES[serial.model]} (${serial.path})`);
  }

  protected async openLink(): Promise<NdiLink> {
    return { path: this.serial.path, baudRate: this.serial.baudRate };
  }

  protected async closeLink(): Promise<void> {}
}

/** Registry entry of `ndi`: real hardware, not simulated. */
export const ndiSerial: RuntimeFactory<'ndi'> = {
  simulated: false,
  create: (spec, ctx) => new NdiSerialRuntime(spec, ctx),
};
