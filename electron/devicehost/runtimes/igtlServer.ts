/** Device kind `igtl-server`: an OpenIGTLink server on 127.0.0.1 that peers connect to and push messages to. */
import net from 'node:net';
import { IgtlConnection } from '../../../native-bridges/devices/igtl-openigtlink/driver.js';
import { IgtlRuntime } from './igtl.js';
import type { RuntimeContext, RuntimeFactory, SpecOf } from './runtime.js';

/** A server on 127.0.0.1:port; any number of peers may push to it. */
export class IgtlServerRuntime extends IgtlRuntime {
  private server: net.Server | null = null;

  constructor(
    private readonly spec: SpecOf<'igtl-server'>,
    ctx: RuntimeContext,
  ) {
    super(ctx, spec, `OpenIGTLink server :${spec.port}`);
  }

  /** Listens on the spec's port. @throws Error naming the port when it cannot listen (in use) */
  async start(): Promise<void> {
    const srv = net.createServer((s) => this.adopt(new IgtlConnection(s)));
    this.server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', (e) => reject(new Error(`OpenIGTLink server port ${this.spec.port}: ${e.message}`)));
      srv.listen(this.spec.port, '127.0.0.1', () => resolve());
    });
    this.status.driverState = 'listening';
  }

  /** The last peer left: waiting for the next one. */
  protected onLastClose(): void {
    this.status.state = 'connecting';
  }

  protected async release(): Promise<void> {
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }
}

/** Registry entry of `igtl-server`: real peers, not simulated. */
export const igtlServer: RuntimeFactory<'igtl-server'> = {
  simulated: false,
  create: (spec, ctx) => new IgtlServerRuntime(spec, ctx),
};
