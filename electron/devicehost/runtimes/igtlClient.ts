/**
 * Device kind `igtl-client`: an OpenIGTLink client of PLUS Server / a
 * scanner / 3D Slicer, reconnecting with backoff 0.5 → 5 s when the peer
 * goes away (as PLUS Server restarts).
 */
import { IgtlConnectError, IgtlConnection } from '../../../native-bridges/devices/igtl-openigtlink/driver.js';
import { IgtlRuntime } from './igtl.js';
import type { RuntimeContext, RuntimeFactory, SpecOf } from './runtime.js';

/** A client of one OpenIGTLink peer (host:port); reconnects with backoff when the peer goes away. */
export class IgtlClientRuntime extends IgtlRuntime {
  private retryMs = 500;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly spec: SpecOf<'igtl-client'>,
    ctx: RuntimeContext,
  ) {
    super(ctx, spec, `OpenIGTLink ${spec.host}:${spec.port}`);
  }

  /** Connects to the peer. @throws Error naming host:port when it cannot (the status says failed) */
  async start(): Promise<void> {
    try {
      await this.connectClient();
    } catch (e) {
      this.status.state = 'failed';
      this.status.lastError = (e as Error).message;
      throw e;
    }
  }

  protected override onAdopted(): void {
    this.retryMs = 500;
  }

  protected onLastClose(): void {
    this.scheduleReconnect();
  }

  protected async release(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private async connectClient(): Promise<void> {
    const { host, port } = this.spec;
    try {
      this.adopt(await IgtlConnection.connect(host, port));
    } catch (e) {
      // a refused or unreachable peer: the driver's sentence, its socket error as the technical detail (lastError's second line)
      if (e instanceof IgtlConnectError) throw new Error(`${e.message}\n${e.detail}`, { cause: e });
      throw new Error(`OpenIGTLink ${host}:${port}: ${(e as Error).message}`, { cause: e });
    }
  }

  private scheduleReconnect(): void {
    this.status.state = 'reconnecting';
    this.status.driverState = 'reconnecting';
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.stopped) return;
      this.connectClient().then(
        () => {
          this.reconnects++;
          this.status.counters = { ...this.status.counters, reconnects: this.reconnects };
        },
        (e: Error) => {
          this.status.lastError = e.message;
          this.retryMs = Math.min(5000, this.retryMs * 2);
          this.scheduleReconnect();
        },
      );
    }, this.retryMs);
  }
}

/** Registry entry of `igtl-client`: a real peer, not simulated. */
export const igtlClient: RuntimeFactory<'igtl-client'> = {
  simulated: false,
  create: (spec, ctx) => new IgtlClientRuntime(spec, ctx),
};
