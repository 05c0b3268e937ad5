/**
 * The desktop's stream path without Electron: the device host's stream
 * server with a MessagePort client (Node's worker_threads MessageChannel
 * stands in for Electron's MessageChannelMain — same postMessage / message /
 * close shape) and the renderer's StreamClient on the other end. Messages
 * arrive decoded, are acknowledged, a slow reader gets the latest message
 * per stream with the dropped count, frames go up, and a closed port is
 * forgotten. Clients that name their display width get binned copies of
 * wide frames (one per factor), the others full frames.
 */
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { decodeStreamMessage } from '../../electron/contract/devices.js';
import { startStreamServer, type StreamPort, type StreamServer } from '../../electron/devicehost/streams.js';
import { StreamClient, type StreamPortLike } from '../../capabilities/devices/ui/streamClient.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let server: StreamServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('device streams over a MessagePort (desktop path)', () => {
  it('delivers, acknowledges, keeps the latest per stream with its dropped count, carries frames up and forgets a closed port', async () => {
    const up: Uint8Array[] = [];
    server = await startStreamServer((b) => up.push(b.slice()));
    const { port1, port2 } = new MessageChannel();
    server.attachPort(port1 as unknown as StreamPort);
    const client = new StreamClient({ port: async () => port2 as unknown as StreamPortLike });
    client.open();
    await sleep(20);
    expect(server.clients).toBe(1);

    // one message: received and acknowledged (the next one is sent at once)
    server.publish({
      device: 'ndi-1',
      stream: 'pose',
      seq: 0,
      deviceTimeUs: 1,
      hostTimeUs: 2,
      poses: [{ name: 'Port1ToTracker', matrix: null, state: 'missing' }],
    });
    await sleep(20);
    expect(client.received).toBe(1);
    expect(client.latest('ndi-1', 'pose')!.header).toMatchObject({ seq: 0, dropped: 0 });

    // a burst of 100 frames while the first is in flight: later ones replace waiting ones
    const px = new Uint8Array(64 * 48).fill(7);
    for (let seq = 1; seq <= 100; seq++)
      server.publish({ device: 'igtl-2', stream: 'image', seq, deviceTimeUs: seq, hostTimeUs: seq, width: 64, height: 48, components: 1, scalar: 'uint8' }, px);
    await sleep(50);
    const last = client.latest('igtl-2', 'image')!;
    expect(last.header.seq).toBe(100);
    expect(last.payload.length).toBe(64 * 48);
    expect(last.payload[100]).toBe(7);
    // the first was sent, the last was waiting: the 98 between were dropped and the last header says so
    expect(last.header.dropped).toBe(98);
    expect(client.received).toBe(3);
    expect(server.dropped).toBe(98);

    // a frame sent up (UVC capture) reaches the host decoded
    expect(
      client.sendUp(
        { device: 'uvc:fake', stream: 'image', seq: 5, deviceTimeUs: 9, hostTimeUs: 9, width: 2, height: 1, components: 1, scalar: 'uint8' },
        Uint8Array.of(10, 20),
      ),
    ).toBe(true);
    await sleep(20);
    expect(up).toHaveLength(1);
    const m = decodeStreamMessage(up[0]!);
    expect(m.header).toMatchObject({ device: 'uvc:fake', seq: 5 });
    expect(Array.from(m.payload)).toEqual([10, 20]);

    // a view that throws on a message does not stop the stream: the message is acknowledged and the next one arrives
    const seen: number[] = [];
    const offThrow = client.onMessage(() => {
      throw new Error('view failed');
    });
    const offSeen = client.onMessage((m) => seen.push(m.header.seq));
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    for (const seq of [200, 201]) {
      server.publish(
        { device: 'igtl-2', stream: 'image', seq, deviceTimeUs: seq, hostTimeUs: seq, width: 2, height: 1, components: 1, scalar: 'uint8' },
        Uint8Array.of(1, 2),
      );
      await sleep(30);
    }
    quiet.mockRestore();
    offThrow();
    offSeen();
    expect(seen).toEqual([200, 201]);
    expect(client.listenerErrors).toBe(2);

    client.close();
    await sleep(50);
    expect(server.clients).toBe(0);
  });

  it('sends binned copies of wide frames to clients that name their display width, full frames to the others', async () => {
    server = await startStreamServer(() => {});
    const { port1, port2 } = new MessageChannel();
    server.attachPort(port1 as unknown as StreamPort);
    const portClient = new StreamClient({ port: async () => port2 as unknown as StreamPortLike }, 400);
    portClient.open();
    const got: Record<string, ReturnType<typeof decodeStreamMessage>[]> = { narrow: [], full: [] };
    const sockets = await Promise.all(
      (['narrow', 'full'] as const).map(
        (name) =>
          new Promise<WebSocket>((resolve) => {
            const ws = new WebSocket(name === 'narrow' ? `${server!.url}&imageMaxWidth=200` : server!.url);
            ws.on('message', (d: Buffer) => got[name]!.push(decodeStreamMessage(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))));
            ws.on('open', () => resolve(ws));
          }),
      ),
    );
    await sleep(30);
    expect(server.clients).toBe(3);
    // an 820 × 616 frame, value = column mod 256, with a PLUS-like pixel → probe matrix
    const px = Uint8Array.from({ length: 820 * 616 }, (_, k) => (k % 820) % 256);
    const ijk = [0, -0.0839, 0.0159, 12.5, -0.0016, 0.0159, 0.0839, -3.2, -0.0853, 0, 0, 40.1, 0, 0, 0, 1];
    server.publish(
      { device: 'us-1', stream: 'image', seq: 1, deviceTimeUs: 1, hostTimeUs: 1, width: 820, height: 616, components: 1, scalar: 'uint8', ijkToFrame: ijk },
      px,
    );
    server.publish({
      device: 'us-1',
      stream: 'pose',
      seq: 2,
      deviceTimeUs: 1,
      hostTimeUs: 1,
      poses: [{ name: 'ProbeToTracker', matrix: null, state: 'missing' }],
    });
    await sleep(100);
    const viaPort = portClient.latest('us-1', 'image')!;
    expect(viaPort.header).toMatchObject({ width: 410, height: 308, binning: 2 });
    // binned pixel (5, 0) averages columns 10 and 11
    expect(viaPort.payload[5]).toBe(11);
    // binned pixel (0, 0) is the centre of source pixels 0–1 × 0–1: x = 12.5 + 0.5 · 0 + 0.5 · (−0.0839)
    expect(viaPort.header.ijkToFrame![3]).toBeCloseTo(12.5 + 0.5 * -0.0839, 9);
    const narrow = got.narrow!.find((m) => m.header.stream === 'image')!;
    expect(narrow.header).toMatchObject({ width: 205, height: 154, binning: 4 });
    expect(narrow.payload.length).toBe(205 * 154);
    const full = got.full!.find((m) => m.header.stream === 'image')!;
    expect(full.header).toMatchObject({ width: 820, height: 616 });
    expect(full.header.binning).toBeUndefined();
    expect(Buffer.from(full.payload).equals(Buffer.from(px))).toBe(true);
    // other streams are untouched
    expect(got.narrow!.find((m) => m.header.stream === 'pose')!.header.poses![0]!.name).toBe('ProbeToTracker');
    expect(portClient.latest('us-1', 'pose')!.header.seq).toBe(2);
    portClient.close();
    for (const ws of sockets) ws.close();
  });
});
