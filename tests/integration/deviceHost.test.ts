/**
 * The device host as a separate process: DevicesSupervisor forks it, a
 * simulated Aurora (simulator + real driver over a socat pty pair) streams
 * through its WebSocket to a client, a crash of the host is survived (restart
 * with backoff, device connected again), and a replayed PLUS recording
 * streams images. Needs socat; the replay part needs the shared data.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeStreamMessage, deviceFailureText, deviceHealth, type StreamHeader } from '../../electron/contract/devices.js';
import { DevicesSupervisor } from '../../electron/services/devices.js';
import { hasSocat } from '../../native-bridges/transports/ptyPair.js';
import { DATA, dataPath } from '../helpers/data.js';

const socat = hasSocat();
if (!socat) console.warn('deviceHost: socat is not installed — the device host tests are skipped');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function openStream(url: string): Promise<{ ws: WebSocket; messages: { header: StreamHeader; bytes: number }[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const messages: { header: StreamHeader; bytes: number }[] = [];
    ws.on('message', (d: Buffer) => {
      const m = decodeStreamMessage(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      messages.push({ header: m.header, bytes: m.payload.length });
    });
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('error', reject);
  });
}

describe.skipIf(!socat)('device host process', () => {
  const sup = new DevicesSupervisor();
  beforeAll(async () => {
    await sup.start();
  });
  afterAll(async () => {
    await sup.stop();
  });

  it('streams a simulated Aurora to a WebSocket client and reports its status', async () => {
    const dev = await sup.connect({ kind: 'ndi-simulator', model: 'aurora', tools: 4 });
    expect(dev).toMatchObject({ kind: 'ndi-simulator', simulated: true, state: 'streaming', provides: ['pose'] });
    const { ws, messages } = await openStream(await sup.streamEndpoint());
    await sleep(1500);
    const poses = messages.filter((m) => m.header.device === dev.id && m.header.stream === 'pose');
    expect(poses.length).toBeGreaterThan(45);
    const h = poses.at(-1)!.header;
    expect(h.poses).toHaveLength(4);
    expect(h.poses![0]!.name).toBe('Port1ToTracker');
    expect(h.poses![0]!.matrix![15]).toBe(1);
    expect(h.hostTimeUs / 1000).toBeGreaterThan(Date.now() - 5000);
    for (let i = 1; i < poses.length; i++) expect(poses[i]!.header.seq).toBeGreaterThan(poses[i - 1]!.header.seq);
    const list = await sup.list();
    const st = list.devices.find((d) => d.id === dev.id)!;
    expect(st.rateHz).toBeGreaterThanOrEqual(35);
    expect(st.rateHz).toBeLessThanOrEqual(45);
    expect(st.streams.map((s) => s.state)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(st.latencyMs).not.toBeNull();
    expect(list.host).toMatchObject({ state: 'running', restarts: 0 });
    // USB discovery is either available or says why not (containers expose no /sys/bus/usb)
    expect(list.host.usbUnavailable === null || /^USB devices cannot be listed: .+\. Serial ports are still listed\.\n./.test(list.host.usbUnavailable)).toBe(
      true,
    );
    expect(st.nominalRateHz).toBe(40);
    // a loaded machine may lose a sample or two: no degradation (more than 1 % of the 200 expected in 5 s, and at least 3)
    expect(st.droppedRecent).toBeLessThan(3);
    expect(deviceHealth(st)).toMatchObject({ level: 'ok', text: null });
    // fault injection reaches the simulator; the driver counts the CRC errors
    await sup.simulateFault(dev.id, 'crc', 3);
    await sleep(700);
    expect((await sup.list()).devices.find((d) => d.id === dev.id)!.counters['crcErrors']).toBe(3);
    // frames lost at the tracker: counted as dropped, in the last 5 s, and the tracker is degraded (not ok) with them in the sentence
    await sup.simulateFault(dev.id, 'drop', 20);
    await sleep(1200);
    const dropping = (await sup.list()).devices.find((d) => d.id === dev.id)!;
    expect(dropping.droppedRecent).toBeGreaterThanOrEqual(20);
    expect(dropping.droppedRecent).toBeLessThanOrEqual(dropping.dropped);
    expect(deviceHealth(dropping)).toMatchObject({ level: 'warn', label: 'degraded' });
    expect(deviceHealth(dropping).text).toMatch(
      new RegExp(
        `^NDI Aurora simulator is degraded: (\\d+ of 40 samples per second arrive, and )?${dropping.droppedRecent} of the \\d+ samples expected in the last 5 s were dropped \\([\\d.]+ %\\); tool positions may lag or jump\\.$`,
      ),
    );
    // a stalled tracker: its measured rate falls well below 40 Hz
    await sup.simulateFault(dev.id, 'stall', 800);
    await sleep(500);
    const slow = (await sup.list()).devices.find((d) => d.id === dev.id)!;
    expect(slow.rateHz).toBeLessThan(32);
    expect(deviceHealth(slow).level).toBe('warn');
    ws.close();
  });

  it('restarts after a host crash and connects the devices again', async () => {
    const before = (await sup.list()).host.pid;
    await sup.crashHost();
    const t0 = Date.now();
    while (Date.now() - t0 < 10_000) {
      const l = sup.snapshot();
      if (l.host.state === 'running' && l.host.pid !== before && l.devices.some((d) => d.kind === 'ndi-simulator' && d.state === 'streaming' && d.rateHz > 20))
        break;
      await sleep(100);
    }
    const l = sup.snapshot();
    console.info(`deviceHost: back streaming ${Date.now() - t0} ms after the crash`, JSON.stringify(l.devices.map((d) => [d.id, d.state, d.rateHz])));
    expect(l.host.restarts).toBe(1);
    expect(l.host.lastExit).toMatch(/exit code 1/);
    expect(l.host.pid).not.toBe(before);
    expect(l.devices.filter((d) => d.kind === 'ndi-simulator')).toHaveLength(1);
    expect(l.devices[0]!.state).toBe('streaming');
  });

  it('a replay that cannot start is answered as failed with a sentence naming the file, and is not kept in the list', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orthotwin-badreplay-'));
    try {
      const before = (await sup.list()).devices.map((d) => d.id);
      const missing = path.join(dir, 'gone.igs.mha');
      const st = await sup.connect({ kind: 'replay', path: missing, loop: true });
      expect(st).toMatchObject({ kind: 'replay', state: 'failed', rateHz: 0 });
      expect(deviceFailureText(st)).toBe(
        `Replay of gone.igs.mha could not start: the file does not exist.\nENOENT: no such file or directory, open '${missing}'`,
      );
      const notSeq = path.join(dir, 'notes.igs.mha');
      fs.writeFileSync(notSeq, 'hello');
      const bad = await sup.connect({ kind: 'replay', path: notSeq, loop: true });
      expect(bad.state).toBe('failed');
      expect(bad.lastError!.split('\n')).toEqual([
        'Replay of notes.igs.mha could not start: it is not a readable PLUS sequence (.igs.mha / .igs.nrrd with 8-bit or 16-bit frames).',
        `${notSeq}: no end of header found (not a PLUS sequence file, or truncated)`,
      ]);
      // neither is listed (at once, and still after the host's next status reports), nor can it be disconnected
      expect((await sup.list()).devices.map((d) => d.id)).toEqual(before);
      await sleep(700);
      expect((await sup.list()).devices.map((d) => d.id)).toEqual(before);
      expect(await sup.disconnect(st.id)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const us = DATA ? dataPath('us/SpinePhantomFreehand.igs.mha') : null;
  if (!us) console.warn('deviceHost: shared data absent — the replay streaming test is skipped');
  it.skipIf(!us)('replays a PLUS recording as a tracked-ultrasound device (images and ProbeToTracker)', async () => {
    const dev = await sup.connect({ kind: 'replay', path: us!, loop: true });
    expect(dev.simulated).toBe(true);
    // a tracked-ultrasound recording: frames and the tools' poses (an ultrasound source, and a tracker)
    expect(dev.provides).toEqual(['image', 'pose']);
    const { ws, messages } = await openStream(await sup.streamEndpoint());
    await sleep(1500);
    const imgs = messages.filter((m) => m.header.device === dev.id && m.header.stream === 'image');
    expect(imgs.length).toBeGreaterThan(5);
    expect(imgs[0]!.bytes).toBe(imgs[0]!.header.width! * imgs[0]!.header.height!);
    const poses = messages.filter((m) => m.header.device === dev.id && m.header.stream === 'pose');
    expect(poses[0]!.header.poses!.map((p) => p.name)).toContain('ProbeToTracker');
    expect(await sup.disconnect(dev.id)).toBe(true);
    ws.close();
  });
});
