/**
 * Sessions recorded to C3D replay as a live device (issue 21 §2): a short
 * session of the PicoX simulator (4 sensors, sEMG + IMU) recorded through the
 * device host to `<device>_Motion.c3d`, then that file replayed through the
 * device host as the `c3d-replay` kind — its sEMG stream equal to the
 * recorded stream sample for sample (float32), indices contiguous, rate,
 * labels and sites kept, its IMU back at the recorded IMU rate; a
 * third-party trial (pyomeca's markers_analogs.c3d: 38 Delsys channels at
 * 2000 Hz) replayed as sEMG equal to what the C3D reader reads; files that
 * cannot be replayed answered as failed, naming the file, and not kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeStreamMessage, deviceFailureText, type StreamHeader } from '../../electron/contract/devices.js';
import { DevicesSupervisor } from '../../electron/services/devices.js';
import { c3dParam, readC3dFile } from '../../electron/io/c3d.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Msg = { header: StreamHeader; data: Float32Array };

describeData('C3D replay as a device-host device', () => {
  const sup = new DevicesSupervisor();
  const tmp = tmpDir('c3dreplay-');
  const got = new Map<string, Msg[]>();
  let ws: WebSocket;
  const of = (device: string, stream: string): Msg[] => (got.get(device) ?? []).filter((m) => m.header.stream === stream);

  beforeAll(async () => {
    await sup.start();
    ws = new WebSocket(await sup.streamEndpoint());
    ws.on('message', (d: Buffer) => {
      const m = decodeStreamMessage(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      if (m.header.stream !== 'emg' && m.header.stream !== 'imu') return;
      let l = got.get(m.header.device);
      if (!l) got.set(m.header.device, (l = []));
      l.push({ header: m.header, data: new Float32Array(m.payload.slice().buffer) });
    });
    await new Promise((r) => ws.once('open', r));
  });
  afterAll(async () => {
    ws.close();
    await sup.stop();
    tmp.cleanup();
  });

  async function until(ok: () => boolean | Promise<boolean>, ms: number): Promise<void> {
    const t0 = Date.now();
    while (!(await ok())) {
      if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms`);
      await sleep(50);
    }
  }

  it('replays a recorded PicoX session: the same sEMG samples, contiguous indices, rate, labels and sites; the IMU at its rate', async () => {
    const pic = await sup.connect({ kind: 'picox-simulator', sensors: 4, imuPath: dataPath('imu/fusion_sensor_data.csv') });
    expect(pic.state).toBe('streaming');
    // the recording starts a second into the capture (its first sample index is not 0)
    await sleep(1000);
    await sup.startRecording(path.join(tmp.dir, 'session'));
    await sleep(3000);
    const files = await sup.stopRecording();
    await sup.disconnect(pic.id);
    const file = files.find((f) => f.device === pic.id && f.stream === 'emg')!.path;
    const c3d = readC3dFile(file);
    // the file starts at the first block recorded, nothing missing
    const first = Number(c3dParam(c3d.groups, 'ORTHOTWIN', 'FIRST_SAMPLE')!.values[0]);
    expect(first).toBeGreaterThanOrEqual(1500);
    expect(first % 100).toBe(0);
    expect(c3dParam(c3d.groups, 'ORTHOTWIN', 'MISSING_SAMPLES')!.values).toEqual([0]);
    const recorded = of(pic.id, 'emg');
    const recordedImu = of(pic.id, 'imu');
    expect(recorded.length).toBeGreaterThan(40);

    const dev = await sup.connect({ kind: 'c3d-replay', path: file, loop: false });
    expect(dev).toMatchObject({
      kind: 'c3d-replay',
      simulated: true,
      state: 'streaming',
      nominalRateHz: 2000,
      provides: ['emg', 'imu'],
      name: `Replay of ${path.basename(file)} (C3D: 4 sEMG channels at 2000 Hz + IMU)`,
    });
    expect(dev.streams.slice(0, 4).map((s) => s.name)).toEqual([
      'EMG1 (erector spinae L4 left)',
      'EMG2 (erector spinae L4 right)',
      'EMG3 (erector spinae L2 left)',
      'EMG4 (erector spinae L2 right)',
    ]);
    // the file once, in real time, then the device stops
    const n = c3d.analogSamples;
    await until(async () => (await sup.list()).devices.find((d) => d.id === dev.id)?.state === 'stopped', (n / 2000) * 1000 + 10_000);
    const replayed = of(dev.id, 'emg');
    const samples = replayed.reduce((s, m) => s + m.header.count!, 0);
    console.info(`c3dReplay: ${recorded.length} blocks recorded, ${n} samples in the C3D, ${replayed.length} blocks (${samples} samples) replayed`);
    // every sample of the file, in 100-sample blocks with contiguous indices (a local client keeps up: nothing replaced)
    expect(samples).toBe(n);
    replayed.forEach((m, j) => {
      expect(m.header.firstIndex).toBe(100 * j);
      expect(m.header.dropped).toBe(0);
    });
    expect(replayed.slice(0, -1).every((m) => m.header.count === 100)).toBe(true);
    // the stream's header as the sensors sent it: rate, labels, units, sites
    expect(replayed[0]!.header.rateHz).toBe(2000);
    expect(replayed[0]!.header.channels).toEqual(recorded[0]!.header.channels);
    // sample for sample the recorded stream (float32 equality): the replay's sample i is the capture's first + i
    const byFirst = new Map(replayed.map((m) => [first + m.header.firstIndex!, m]));
    let compared = 0;
    for (const r of recorded) {
      const m = byFirst.get(r.header.firstIndex!);
      if (!m || m.header.count !== 100) continue;
      for (let i = 0; i < 400; i++) expect(m.data[i]).toBe(r.data[i]);
      compared += 400;
    }
    expect(compared).toBeGreaterThan(4 * (n - 200));

    // the IMU: 36 channels at the recorded rate, contiguous, each sample the recorded one within the interpolation's error
    const imu = of(dev.id, 'imu');
    const imuRate = recordedImu[0]!.header.rateHz!;
    expect(imu[0]!.header.channels).toEqual(recordedImu[0]!.header.channels);
    expect(imu[0]!.header.rateHz).toBeCloseTo(imuRate, 3);
    let next = 0;
    for (const m of imu) {
      expect(m.header.firstIndex).toBe(next);
      next += m.header.count!;
    }
    const recImu = new Map<number, number[]>();
    for (const r of recordedImu)
      for (let i = 0; i < r.header.count!; i++)
        recImu.set(
          r.header.firstIndex! + i,
          Array.from({ length: 36 }, (_, c) => r.data[c * r.header.count! + i]!),
        );
    const d2 = (k: number, ch: number): number => {
      const [a, b, c] = [recImu.get(k - 1), recImu.get(k), recImu.get(k + 1)];
      return a && b && c ? Math.abs(c[ch]! - 2 * b[ch]! + a[ch]!) : Infinity;
    };
    const ratio = imuRate / 2000;
    let worst = 0;
    let imuCompared = 0;
    for (const m of imu)
      for (let i = 0; i < m.header.count!; i++) {
        // the replay's IMU sample k is at the capture's IMU position (first + k / ratio) · ratio: the recorded IMU there
        const k = m.header.firstIndex! + i;
        const p = first * ratio + k;
        const k0 = Math.floor(p);
        const [a, b] = [recImu.get(k0), recImu.get(k0 + 1)];
        // the recording's IMU blocks begin and end up to a block (5 samples) away from its sEMG's: held there
        if (!a || !b || k < 10 || k >= next - 10) continue;
        for (let ch = 0; ch < 36; ch++) {
          const want = a[ch]! + (p - k0) * (b[ch]! - a[ch]!);
          // a chord across one recorded knot: at most a quarter of the step ratio times the change of slope there
          const bound = 0.25 * ratio * Math.max(d2(k0, ch), d2(k0 + 1, ch)) + 1e-5 * Math.max(1, Math.abs(want));
          const err = Math.abs(m.data[ch * m.header.count! + i]! - want);
          if (err > bound) worst = Math.max(worst, err / bound);
          imuCompared++;
        }
      }
    expect(imuCompared).toBeGreaterThan(36 * 200);
    expect(worst).toBeLessThanOrEqual(1);
    await sup.disconnect(dev.id);
  });

  it('replays a third-party C3D (38 Delsys channels at 2000 Hz) as sEMG equal to the C3D reader’s samples', async () => {
    const file = dataPath('emg/markers_analogs.c3d');
    const c3d = readC3dFile(file);
    const dev = await sup.connect({ kind: 'c3d-replay', path: file, loop: true });
    expect(dev).toMatchObject({
      kind: 'c3d-replay',
      simulated: true,
      state: 'streaming',
      provides: ['emg'],
      name: 'Replay of markers_analogs.c3d (C3D: 38 sEMG channels at 2000 Hz)',
    });
    await until(() => of(dev.id, 'emg').length >= 30, 10_000);
    // the status (reported twice a second) measures the sEMG rate
    await until(async () => ((await sup.list()).devices.find((d) => d.id === dev.id)?.rateHz ?? 0) > 1500, 5000);
    await sup.disconnect(dev.id);
    const e = of(dev.id, 'emg');
    expect(e[0]!.header.channels!.map((c) => c.label)).toEqual(c3d.labels.analogs);
    expect(e[0]!.header.channels![6]).toEqual({ label: 'Delt_ant.EMG1', unit: 'V', description: 'Delsys Trigno EMG 2.0::Sensor 1 [11,1]' });
    expect(e[0]!.header.channels).toHaveLength(38);
    const n = c3d.analogSamples;
    for (const [j, m] of e.slice(0, 10).entries()) {
      expect(m.header).toMatchObject({ rateHz: 2000, count: 100, firstIndex: 100 * j });
      for (let ch = 0; ch < 38; ch++) for (let i = 0; i < 100; i++) expect(m.data[ch * 100 + i]).toBe(Math.fround(c3d.analogs[ch * n + 100 * j + i]!));
    }
  });

  it('answers files it cannot replay as failed, naming the file, and keeps none of them', async () => {
    // the devices of the tests before are gone (the list the host reports follows their disconnection)
    await until(async () => (await sup.list()).devices.length === 0, 5000);
    const before: string[] = [];
    const notC3d = path.join(tmp.dir, 'notes.c3d');
    fs.writeFileSync(notC3d, 'x'.repeat(1024));
    const bad = await sup.connect({ kind: 'c3d-replay', path: notC3d, loop: true });
    expect(bad).toMatchObject({ kind: 'c3d-replay', state: 'failed', rateHz: 0 });
    expect(deviceFailureText(bad).split('\n')).toEqual([
      'Replay of notes.c3d could not start: it is not a readable C3D file.',
      'notes.c3d: not a C3D file (byte 2 of the header is 0x78, not the key 0x50)',
    ]);
    const cut = path.join(tmp.dir, 'cut.c3d');
    fs.writeFileSync(cut, fs.readFileSync(dataPath('emg/markers_analogs.c3d')).subarray(0, 100_000));
    const truncated = await sup.connect({ kind: 'c3d-replay', path: cut, loop: true });
    expect(truncated.state).toBe('failed');
    expect(truncated.lastError!.split('\n')[0]).toBe(
      'Replay of cut.c3d could not start: the file is truncated or not a C3D file (it ends before the header, parameters or data it declares).',
    );
    expect(truncated.lastError!.split('\n')[1]).toMatch(/^cut\.c3d: /);
    const gone = await sup.connect({ kind: 'c3d-replay', path: path.join(tmp.dir, 'gone.c3d'), loop: true });
    expect(gone.lastError!.split('\n')[0]).toBe('Replay of gone.c3d could not start: the file does not exist.');
    // none is listed (at once, and still after the host's next status reports), nor can it be disconnected
    expect((await sup.list()).devices.map((d) => d.id)).toEqual(before);
    await sleep(700);
    expect((await sup.list()).devices.map((d) => d.id)).toEqual(before);
    expect(await sup.disconnect(bad.id)).toBe(false);
  });
});
