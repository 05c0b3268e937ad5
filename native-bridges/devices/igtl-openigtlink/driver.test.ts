/**
 * A refused OpenIGTLink connection (PLUS Server not running) as the clinician
 * reads it: one sentence naming the server and what to check; the socket's
 * own words kept as the technical detail (issue 20 §5).
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { IgtlConnectError, IgtlConnection } from './driver.js';

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('OpenIGTLink connection to a closed port', () => {
  it('rejects with one clinician sentence; the socket error is the detail', async () => {
    const port = await closedPort();
    const e = await IgtlConnection.connect('127.0.0.1', port).then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(IgtlConnectError);
    const err = e as IgtlConnectError;
    expect(err.message).toBe(`No connection to OpenIGTLink server at 127.0.0.1:${port} (connection refused): check that PLUS Server is running.`);
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.detail).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });
});
