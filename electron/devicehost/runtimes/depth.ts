/**
 * Depth sources as devices: what a depth file (depthFile.ts) and the depth
 * camera simulator (depthSimulator.ts) share — the source's clock mapped to
 * the host clock, the rate and latency, depth frames / point clouds as
 * stream messages.
 */
import { hostClockUs } from '../../../native-bridges/core/clock.js';
import type { DepthSource } from '../../../native-bridges/devices/depth/source.js';
import { emitDepthSample } from './depthEmit.js';
import { DeviceRuntime, type RuntimeContext, type SpecOf } from './runtime.js';

/** A depth source as a device; subclasses open the source. */
export abstract class DepthRuntime extends DeviceRuntime {
  private source: DepthSource | null = null;

  /** @param driverState the driver state shown while it streams ('replaying', 'rendering') */
  constructor(
    ctx: RuntimeContext,
    spec: SpecOf<'depth-file' | 'depth-simulator'>,
    name: string,
    private readonly driverState: string,
  ) {
    super(ctx, spec.kind, name);
    this.status.nominalRateHz = spec.fps;
  }

  /** Opens the source (not started) and sets the streams shown. @throws Error when it cannot (missing or unreadable file) */
  protected abstract openSource(): DepthSource;

  /** Opens and starts the source. @throws Error when it cannot be opened (the status says failed, with the reason) */
  async start(): Promise<void> {
    let source: DepthSource;
    try {
      source = this.openSource();
      this.source = source;
    } catch (e) {
      this.status.state = 'failed';
      this.status.lastError = (e as Error).message;
      throw e;
    }
    source.start((s) => {
      const t = s.kind === 'depth' ? s.frame : s.cloud;
      this.counted(t.hostTimeUs);
      this.clock.add(t.deviceTimeUs, t.hostTimeUs);
      this.status.latencyMs = Math.max(0, (hostClockUs() - t.hostTimeUs) / 1000);
      // the source's clock (frame index / fps) mapped to the host clock
      const deviceTimeUs = this.clock.toHost(t.deviceTimeUs);
      emitDepthSample(
        this.id,
        s.kind === 'depth' ? { kind: 'depth', frame: { ...s.frame, deviceTimeUs } } : { kind: 'points', cloud: { ...s.cloud, deviceTimeUs } },
        this.emit,
      );
    });
    this.status.state = 'streaming';
    this.status.driverState = this.driverState;
  }

  async stop(): Promise<void> {
    this.source?.stop();
    this.status.state = 'stopped';
  }
}
