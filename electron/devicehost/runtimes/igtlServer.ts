/**
 * Device kind `igtl-server`: an OpenIGTLink server on 127.0.0.1 that peers
 * connect to and push messages to. Bounded against misbehaving peers: a
 * number of connections, a largest message per connection, a total of bytes
 * held for messages still arriving, and a peer that stops in the middle of a
 * message is dropped after a while (slowloris).
 */
import net from 'node:net';
import { IgtlConnection } from '../../../native-bridges/devices/igtl-openigtlink/driver.js';
import { IgtlRuntime } from './igtl.js';
import type { RuntimeContext, RuntimeFactory, SpecOf } from './runtime.js';

/** The server's limits (mutable for tests; the defaults hold a 512×512×256 int16 volume per message). */
export const igtlServerLimits = {
  /** Peers connected at once; more are refused (closed on accept). */
  maxConnections: 16,
  /** Largest message body one connection may send (bytes); a header claiming more closes that connection. */
  maxBodyBytes: 128 * 1024 * 1024,
  /** Bytes held for incomplete messages over all connections; past it the connection holding most is dropped. */
  maxPendingBytesTotal: 256 * 1024 * 1024,
  /** A connection silent this long in the middle of a message is dropped (ms). */
  stalledMessageMs: 10_000,
};

/** A server on 127.0.0.1:port; up to igtlServerLimits.maxConnections peers may push to it. */
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
    const srv = net.createServer((s) => this.accept(s));
    this.server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', (e) => reject(new Error(`OpenIGTLink server port ${this.spec.port}: ${e.message}`)));
      srv.listen(this.spec.port, '127.0.0.1', () => resolve());
    });
    this.status.driverState = 'listening';
  }

  /** Takes a peer within the limits (see igtlServerLimits). */
  private accept(s: net.Socket): void {
    const l = igtlServerLimits;
    if (this.conns.size >= l.maxConnections) {
      this.status.lastError = `OpenIGTLink server port ${this.spec.port}: a peer was refused (${l.maxConnections} connected already)`;
      s.destroy();
      return;
    }
    const c = new IgtlConnection(s, { maxBodyBytes: l.maxBodyBytes });
    // silence with a message half received: a stalled or slowloris peer
    s.setTimeout(l.stalledMessageMs, () => {
      if (c.pendingBytes > 0) c.drop(`no data for ${l.stalledMessageMs} ms in the middle of a message`);
    });
    s.on('data', () => this.capPending());
    this.adopt(c);
  }

  /** Drops the connection holding most bytes of unfinished messages while all of them hold more than the total limit. */
  private capPending(): void {
    let total = 0;
    for (const c of this.conns) total += c.pendingBytes;
    while (total > igtlServerLimits.maxPendingBytesTotal) {
      const worst = [...this.conns].reduce((a, b) => (b.pendingBytes > a.pendingBytes ? b : a));
      total -= worst.pendingBytes;
      worst.drop(`over ${igtlServerLimits.maxPendingBytesTotal} bytes held for unfinished messages`);
      this.conns.delete(worst);
    }
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
