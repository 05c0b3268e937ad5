/**
 * Device kind `ndi-simulator`: a simulated NDI tracker on the other end of a
 * socat pty pair, driven by the same driver as a real one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NdiSimulator } from '../../../native-bridges/devices/em-tracker-ndi-aurora/simulator.js';
import type { ByteTransport } from '../../../native-bridges/core/transport.js';
import { PtyPair } from '../../../native-bridges/transports/ptyPair.js';
import { openSerial } from '../../../native-bridges/transports/serial.js';
import { NdiRuntime, NDI_MODEL_NAMES, type NdiLink } from './ndi.js';
import type { FaultInjector, RuntimeContext, RuntimeFactory, SpecOf } from './runtime.js';

/** A simulated tracker with `spec.tools` tools (ports 1…n, serials SIM0nB7n) behind a pty pair in a temporary folder. */
export class NdiSimulatorRuntime extends NdiRuntime {
  private pty: PtyPair | null = null;
  private sim: NdiSimulator | null = null;
  private simPort: ByteTransport | null = null;
  private dir: string | null = null;

  constructor(
    private readonly simSpec: SpecOf<'ndi-simulator'>,
    ctx: RuntimeContext,
  ) {
    super(ctx, simSpec, `${NDI_MODEL_NAMES[simSpec.model]} simulator`);
  }

  /** The simulator (fault injection from the Devices workspace and tests); null before start. */
  override faults(): FaultInjector | null {
    return this.sim;
  }

  protected async openLink(): Promise<NdiLink> {
    this.dir = mkdtempSync(join(tmpdir(), 'orthotwin-ndi-'));
    this.pty = new PtyPair(join(this.dir, 'host'), join(this.dir, 'scu'));
    await this.pty.open();
    const tools = Array.from({ length: this.simSpec.tools }, (_, i) => ({ port: i + 1, serial: `SIM0${i + 1}B7${i + 1}` }));
    this.sim = new NdiSimulator({ model: this.simSpec.model, tools });
    this.simPort = await openSerial(this.pty.devicePath, 9600);
    this.sim.attach(this.simPort);
    return { path: this.pty.hostPath };
  }

  protected async closeLink(): Promise<void> {
    await this.simPort?.close();
    await this.pty?.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Registry entry of `ndi-simulator`: simulated. */
export const ndiSimulator: RuntimeFactory<'ndi-simulator'> = {
  simulated: true,
  create: (spec, ctx) => new NdiSimulatorRuntime(spec, ctx),
};
