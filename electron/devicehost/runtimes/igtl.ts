/**
 * OpenIGTLink as a device: what a client of PLUS Server / a scanner / 3D
 * Slicer (igtlClient.ts) and a server peers push to (igtlServer.ts) share.
 * Follows PLUS Server's conventions: keep-alive STATUS messages are
 * counted, not shown as data; `GET_STATUS` is answered with STATUS OK,
 * `STT_x`/`STP_x` with `RTS_x` (0 = success), other `GET_x` with an empty
 * `x` (no data here).
 */
import { hostClockUs } from '../../../native-bridges/core/clock.js';
import type { IgtlConnection } from '../../../native-bridges/devices/igtl-openigtlink/driver.js';
import { timestampSeconds, type IgtlMessage } from '../../../native-bridges/devices/igtl-openigtlink/protocol.js';
import { igtlToStream } from './igtlStreams.js';
import { DeviceRuntime, type RuntimeContext, type SpecOf } from './runtime.js';

/** The connections of one OpenIGTLink device; subclasses say how connections come (connect, listen) and what happens when the last one closes. */
export abstract class IgtlRuntime extends DeviceRuntime {
  protected readonly conns = new Set<IgtlConnection>();
  protected stopped = false;
  protected reconnects = 0;
  private seq = 0;
  private names = new Set<string>();
  private keepAlives = 0;
  private queries = 0;

  constructor(ctx: RuntimeContext, spec: SpecOf<'igtl-client' | 'igtl-server'>, name: string) {
    super(ctx, spec.kind, name);
  }

  /** Called when the last connection closed while the device runs. */
  protected abstract onLastClose(): void;

  /** Answers the query and start/stop messages (PLUS Server / query.md conventions); true when `m` was one. */
  private answer(c: IgtlConnection, m: IgtlMessage): boolean {
    const t = m.header.type;
    const deviceName = m.header.deviceName;
    if (t === 'GET_STATUS') c.send({ type: 'STATUS', code: 1, subCode: 0n, errorName: 'OK', message: '' }, { deviceName });
    else if (t.startsWith('STT_') || t.startsWith('STP_')) c.send({ type: `RTS_${t.slice(4)}` as `RTS_${string}`, status: 0 }, { deviceName });
    else if (t.startsWith('GET_')) c.send({ type: t.slice(4), empty: true }, { deviceName });
    else return false;
    this.queries++;
    return true;
  }

  /** Takes a connection (made or accepted): its messages become stream messages, its counters the device's. */
  protected adopt(c: IgtlConnection): void {
    this.conns.add(c);
    this.onAdopted();
    this.status.state = 'streaming';
    this.status.driverState = 'connected';
    c.on('message', (m) => {
      const hostUs = hostClockUs();
      if (this.answer(c, m)) return;
      const deviceUs = timestampSeconds(m.header.timestamp) * 1e6;
      // the sender's clock mapped to the host clock (offset, drift, temporal calibration); receipt time when it sent none
      if (deviceUs > 0 && m.header.type !== 'STATUS') this.clock.add(deviceUs, hostUs);
      const acquiredUs = deviceUs > 0 ? this.clock.toHost(deviceUs) : hostUs;
      if (m.header.type === 'STATUS') this.keepAlives++;
      else if (igtlToStream(this.id, m, this.seq, hostUs, acquiredUs, this.emit)) {
        this.seq++;
        this.counted(hostUs);
        if (deviceUs > 0) this.status.latencyMs = Math.max(0, (hostUs - deviceUs) / 1000);
        const name = `${m.header.type}:${m.metadata['IGTL_DEVICE_NAME'] ?? m.header.deviceName}`;
        if (!this.names.has(name)) {
          this.names.add(name);
          this.status.streams = [...this.names].map((k) => ({ name: k, state: 'ok' }));
        }
      }
      this.status.counters = { ...c.counters, keepAlives: this.keepAlives, queriesAnswered: this.queries, reconnects: this.reconnects };
    });
    c.on('warning', (w) => {
      this.status.lastError = w;
    });
    c.on('close', ({ reason }) => {
      this.conns.delete(c);
      if (reason) this.status.lastError = reason;
      if (this.conns.size > 0 || this.stopped) return;
      this.onLastClose();
    });
  }

  /** Called when a connection is taken (the client resets its reconnect backoff). */
  protected onAdopted(): void {}

  /** Closes the connections (subclasses then release what they hold) and says stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const c of this.conns) c.close();
    await this.release();
    this.status.state = 'stopped';
  }

  /** Releases the kind's own resources (timer, listening socket) when the device stops. */
  protected abstract release(): Promise<void>;
}
