/**
 * The desktop's stream path without Electron: the device host's stream
 * server with a MessagePort client (Node's worker_threads MessageChannel
 * stands in for Electron's MessageChannelMain — same postMessage / message /
 * close shape) and the renderer's StreamClient on the other end. Messages
 * arrive decoded, are acknowledged, a slow reader gets the latest message
 * per stream with the dropped count, frames go up, and a closed port is
 * forgotten.
 */
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeStreamMessage } from '../../electron/contract/devices.js';
import { startStreamServer, type StreamPort, type StreamServer } from '../../electron/devicehost/streams.js';
import { StreamClient, type StreamPortLike } from '../../renderer/features/devices/streamClient.js';

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
    const client = new StreamClient(async () => port2 as unknown as StreamPortLike);
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

    client.close();
    await sleep(50);
    expect(server.clients).toBe(0);
  });
});
