/**
 * `twin igtl receive` and `twin igtl send` (field diagnostics) as real
 * processes on loopback TCP: the receiver prints one JSON line per message
 * from successive clients; the sender delivers a TRANSFORM and a STRING to a
 * listening peer; bad usage exits 2 with the usage text.
 */
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { IgtlConnection } from '../../native-bridges/devices/igtl-openigtlink/driver.js';
import type { IgtlMessage } from '../../native-bridges/devices/igtl-openigtlink/protocol.js';
import { projectRoot } from '../helpers/data.js';

const CLI = [process.execPath, '--import', 'tsx', path.join(projectRoot, 'electron/cli/twin.ts'), 'igtl'] as const;
const run = promisify(execFile);

describe('twin igtl (field diagnostics)', () => {
  it('receive prints a JSON line per message, across successive clients', async () => {
    const p = spawn(CLI[0], [...CLI.slice(1), 'receive', '--port', '0', '--count', '4'], { cwd: projectRoot });
    const err = readline.createInterface({ input: p.stderr })[Symbol.asyncIterator]();
    let port = 0;
    for (let i = 0; i < 20 && !port; i++) port = Number(/listening on port (\d+)/.exec(String((await err.next()).value))?.[1] ?? 0);
    expect(port).toBeGreaterThan(0);
    const out: string[] = [];
    readline.createInterface({ input: p.stdout }).on('line', (l) => out.push(l));
    const exited = new Promise<number>((r) => p.on('exit', (c) => r(c ?? -1)));

    const a = await IgtlConnection.connect('127.0.0.1', port);
    a.send({ type: 'TRANSFORM', matrix: [1, 0, 0, 5, 0, 1, 0, 6, 0, 0, 1, 7, 0, 0, 0, 1] }, { deviceName: 'StylusToTracker', timestampS: 1700000000.5 });
    a.send({ type: 'STATUS', code: 1, subCode: 0n, errorName: 'OK', message: '' }, { deviceName: 'Tracker', timestampS: 1700000000.5 });
    const empty = { count: 0, data: new Uint32Array(0) };
    a.send(
      {
        type: 'POLYDATA',
        points: Float32Array.of(0, 0, 300, 20, 0, 310, 0, 25, 305),
        vertices: empty,
        lines: empty,
        polygons: { count: 1, data: Uint32Array.of(3, 0, 1, 2) },
        triangleStrips: empty,
        attributes: [],
      },
      { deviceName: 'DepthCamera', timestampS: 1700000000.5 },
    );
    await new Promise<void>((r) => a.socket.end(r));
    const b = await IgtlConnection.connect('127.0.0.1', port);
    b.send({ type: 'STRING', encoding: 3, value: 'hello' }, { deviceName: 'CMD_1', metadata: { Reason: 'test' }, timestampS: 1700000000.5 });
    expect(await exited).toBe(0);
    b.close();
    const lines = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      {
        type: 'TRANSFORM',
        device: 'StylusToTracker',
        timestampS: 1700000000.5,
        headerVersion: 1,
        bodyBytes: 48,
        metadata: {},
        matrix: [1, 0, 0, 5, 0, 1, 0, 6, 0, 0, 1, 7, 0, 0, 0, 1],
      },
      {
        type: 'STATUS',
        device: 'Tracker',
        timestampS: 1700000000.5,
        headerVersion: 1,
        bodyBytes: 31,
        metadata: {},
        code: 1,
        subCode: 0,
        errorName: 'OK',
        message: '',
      },
      {
        type: 'POLYDATA',
        device: 'DepthCamera',
        timestampS: 1700000000.5,
        headerVersion: 1,
        bodyBytes: 40 + 36 + 16,
        metadata: {},
        points: 3,
        vertices: 0,
        lines: 0,
        polygons: 1,
        triangleStrips: 0,
        boundsMm: [
          [0, 0, 300],
          [20, 25, 310],
        ],
        attributes: [],
      },
      // metadata makes it a version-3 message (header version 2): 12 extended header + 9 content + 10 metadata header + 10 metadata
      { type: 'STRING', device: 'CMD_1', timestampS: 1700000000.5, headerVersion: 2, bodyBytes: 41, metadata: { Reason: 'test' }, encoding: 3, value: 'hello' },
    ]);
  }, 60_000);

  it('send delivers a TRANSFORM and a STRING to a listening peer', async () => {
    const got: IgtlMessage[] = [];
    const server = net.createServer((s) => new IgtlConnection(s).on('message', (m) => got.push(m)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await run(
      CLI[0],
      [...CLI.slice(1), 'send', '--connect', `127.0.0.1:${port}`, '--device', 'ProbeToTracker', '--transform', '0 -1 0 1.5 1 0 0 2.5 0 0 1 3.5 0 0 0 1'],
      {
        cwd: projectRoot,
      },
    );
    await run(CLI[0], [...CLI.slice(1), 'send', '--connect', `127.0.0.1:${port}`, '--device', 'CMD_2', '--string', '<Command Name="RequestChannelIds" />'], {
      cwd: projectRoot,
    });
    for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    server.close();
    expect(got.map((m) => m.content)).toEqual([
      { type: 'TRANSFORM', matrix: [0, -1, 0, 1.5, 1, 0, 0, 2.5, 0, 0, 1, 3.5, 0, 0, 0, 1] },
      { type: 'STRING', encoding: 3, value: '<Command Name="RequestChannelIds" />' },
    ]);
    expect(got[0]!.header.deviceName).toBe('ProbeToTracker');
  }, 60_000);

  it('bad usage exits 2 with the usage; an unreachable peer exits 1 with the reason', async () => {
    const bad = await run(CLI[0], [...CLI.slice(1), 'send', '--connect', '127.0.0.1:1', '--device', 'X', '--transform', '1 2 3'], { cwd: projectRoot }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/--transform needs 16 numbers/);
    const refused = await run(CLI[0], [...CLI.slice(1), 'send', '--connect', '127.0.0.1:1', '--device', 'X', '--string', 'x'], { cwd: projectRoot }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(refused).toMatchObject({ code: 1 });
    expect((refused as { stderr: string }).stderr).toMatch(
      /error: No connection to OpenIGTLink server at 127\.0\.0\.1:1 \(connection refused\): check that PLUS Server is running\./,
    );
  }, 60_000);
});

describe('twin devices list', () => {
  it('lists serial ports and says why USB is unavailable where there is no USB bus', async () => {
    const { stdout } = await run(CLI[0], [...CLI.slice(1, 4), 'devices', 'list', '--json'], { cwd: projectRoot });
    const r = JSON.parse(stdout) as { devices: { bus: string; id: string; path: string | null }[]; usbUnavailable: string | null };
    const fs = await import('node:fs');
    // without a USB bus: a sentence saying so in words, the errno only on the detail line
    if (!fs.existsSync('/sys/bus/usb/devices'))
      expect(r.usbUnavailable!.split('\n')[0]).toBe(
        'USB devices cannot be listed: this computer exposes no USB bus to OrthoTwin (e.g. a container or a virtual machine without USB access). Serial ports are still listed.',
      );
    for (const d of r.devices.filter((x) => x.bus === 'serial')) expect(d.id).toBe(`serial:${d.path}`);
    const text = await run(CLI[0], [...CLI.slice(1, 4), 'devices', 'list'], { cwd: projectRoot });
    expect(text.stdout.length).toBeGreaterThan(0);
    await expect(run(CLI[0], [...CLI.slice(1, 4), 'devices', 'nope'], { cwd: projectRoot })).rejects.toMatchObject({ code: 2 });
  });
});
