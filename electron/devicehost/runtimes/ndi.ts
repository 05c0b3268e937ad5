/**
 * NDI Aurora / Polaris trackers (real ones over serial, simulated ones on a
 * socat pty pair): the driver handling both kinds share. The kinds differ in
 * the serial link the driver opens (ndiSerial.ts, ndiSimulator.ts).
 */
import { DeviceRuntime, type RuntimeContext, type SpecOf } from './runtime.js';
import { poseMatrix } from '../../../math/poseInterp.js';
import { NdiDriver, type NdiSample } from '../../../native-bridges/devices/em-tracker-ndi-aurora/driver.js';
import type { NdiState } from '../../../native-bridges/devices/em-tracker-ndi-aurora/machine.js';

/** The display name of each tracker model. */
export const NDI_MODEL_NAMES = { aurora: 'NDI Aurora', polaris: 'NDI Polaris' } as const;
/** The measurement rate (Hz) the driver asks each tracker model for. */
const NDI_MODEL_HZ = { aurora: 40, polaris: 60 } as const;

/** The serial link the driver opens: a port path and, for real hardware, its baud rate. */
export interface NdiLink {
  path: string;
  baudRate?: number;
}

/** The driver state → DeviceStatus state ('connecting' for the others). */
const NDI_STATES: Partial<Record<NdiState, 'streaming' | 'reconnecting' | 'failed' | 'stopped'>> = {
  tracking: 'streaming',
  reconnecting: 'reconnecting',
  failed: 'failed',
  closed: 'stopped',
};

/** An NDI tracker driven by the real driver; subclasses say which serial link it opens. */
export abstract class NdiRuntime extends DeviceRuntime {
  private driver: NdiDriver | null = null;

  constructor(
    ctx: RuntimeContext,
    protected readonly spec: SpecOf<'ndi' | 'ndi-simulator'>,
    name: string,
  ) {
    super(ctx, spec.kind, name);
    this.provide('pose');
    this.status.nominalRateHz = NDI_MODEL_HZ[spec.model];
  }

  /** Opens the serial link the driver will talk over. @throws Error when it cannot be opened */
  protected abstract openLink(): Promise<NdiLink>;
  /** Releases what openLink opened (after the driver has stopped; also after a partial open). */
  protected abstract closeLink(): Promise<void>;

  async start(): Promise<void> {
    const link = await this.openLink();
    const d = new NdiDriver({
      path: link.path,
      measurementHz: NDI_MODEL_HZ[this.spec.model],
      ...(link.baudRate !== undefined ? { baudRate: link.baudRate } : {}),
    });
    this.driver = d;
    d.on('state', (s) => {
      this.status.driverState = s;
      this.status.state = NDI_STATES[s] ?? 'connecting';
    });
    d.on('warning', (w) => {
      this.status.lastError = w;
    });
    d.on('sample', (s) => this.onSample(s));
    try {
      await d.start();
    } catch (e) {
      this.status.lastError = (e as Error).message;
      this.status.state = 'failed';
      throw e;
    }
  }

  private onSample(s: NdiSample): void {
    this.counted(s.hostTimeUs);
    this.clock.add(s.deviceTimeUs, s.hostTimeUs);
    const st = this.driver!.stats;
    this.status.dropped = st.framesLost;
    this.status.counters = {
      polls: st.polls,
      crcErrors: st.crcErrors,
      timeouts: st.timeouts,
      deviceErrors: st.deviceErrors,
      reconnects: st.reconnects,
      framesLostLatePoll: st.framesLostLatePoll,
    };
    this.status.latencyMs = st.roundTripMs;
    this.status.streams = s.tools.map((t) => ({ name: `Port ${t.port}${t.serial ? ` (${t.serial.trim()})` : ''}`, state: t.state }));
    this.emit({
      device: this.id,
      stream: 'pose',
      seq: s.seq,
      deviceTimeUs: this.clock.toHost(s.deviceTimeUs),
      hostTimeUs: s.hostTimeUs,
      poses: s.tools.map((t) => ({ name: `Port${t.port}ToTracker`, matrix: t.q && t.t ? poseMatrix(t.q, t.t) : null, state: t.state })),
    });
  }

  async stop(): Promise<void> {
    await this.driver?.stop();
    await this.closeLink();
    this.status.state = 'stopped';
  }
}
