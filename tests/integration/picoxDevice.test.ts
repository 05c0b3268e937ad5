/**
 * The PicoX as a device of the device host (issue 21 §2): the simulated
 * bridge and the real client in the host process, four sensors on the
 * lumbar erector spinae, sEMG at 2000 Hz and the IMU replayed from x-io's
 * recording. Its status (rate, what it provides, the sensor sites with
 * battery and link), its stream messages to a WebSocket client (one 'emg'
 * message per 50 ms block: 4 channels × 100 samples, consecutive indices;
 * 'imu' with 36 channels), and a session recording written as one C3D that
 * the C3D reader opens: the sEMG samples equal to what was streamed, the IMU
 * channels beside them, no sample missing.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeStreamMessage, type StreamHeader } from '../../electron/contract/devices.js';
import { DevicesSupervisor } from '../../electron/services/devices.js';
import { readC3dFile, c3dParam } from '../../electron/io/c3d.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describeData('PicoX simulator as a device-host device', () => {
  const sup = new DevicesSupervisor();
  const tmp = tmpDir('picox-');
  beforeAll(async () => {
    await sup.start();
  });
  afterAll(async () => {
    await sup.stop();
    tmp.cleanup();
  });

  it('streams joined sEMG and IMU blocks, says where each sensor sits, and records a C3D equal to the stream', async () => {
    const dev = await sup.connect({ kind: 'picox-simulator', sensors: 4, imuPath: dataPath('imu/fusion_sensor_data.csv') });
    expect(dev).toMatchObject({ kind: 'picox-simulator', simulated: true, state: 'streaming', nominalRateHz: 2000, provides: ['emg', 'imu'] });
    expect(dev.streams.map((s) => s.name.split(' ·')[0])).toEqual([
      'EMG1 (erector spinae L4 left)',
      'EMG2 (erector spinae L4 right)',
      'EMG3 (erector spinae L2 left)',
      'EMG4 (erector spinae L2 right)',
    ]);
    const emg: { header: StreamHeader; data: Float32Array }[] = [];
    const imu: StreamHeader[] = [];
    const ws = new WebSocket(await sup.streamEndpoint());
    ws.on('message', (d: Buffer) => {
      const m = decodeStreamMessage(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      if (m.header.device !== dev.id) return;
      if (m.header.stream === 'emg') emg.push({ header: m.header, data: new Float32Array(m.payload.slice().buffer) });
      if (m.header.stream === 'imu') imu.push(m.header);
    });
    await new Promise((r) => ws.once('open', r));
    const dir = path.join(tmp.dir, 'session');
    await sup.startRecording(dir);
    await sleep(3000);
    const files = await sup.stopRecording();
    ws.close();

    const h = emg.at(-1)!.header;
    expect(h).toMatchObject({ count: 100, rateHz: 2000, channels: [{ label: 'EMG1', unit: 'V', description: 'erector spinae L4 left' }, {}, {}, {}] });
    expect(emg.length).toBeGreaterThan(40);
    // consecutive blocks (a local client keeps up: nothing replaced)
    const firsts = emg.map((m) => m.header.firstIndex!);
    for (let i = 1; i < firsts.length; i++) expect(firsts[i]! - firsts[i - 1]!).toBe(100);
    expect(imu.at(-1)).toMatchObject({
      channels: expect.arrayContaining([
        { label: 'EMG1_ACC_Z', unit: 'g' },
        { label: 'EMG4_MAG_X', unit: 'uT' },
      ]),
    });
    expect(imu.at(-1)!.channels).toHaveLength(36);
    const list = await sup.list();
    const st = list.devices.find((d) => d.id === dev.id)!;
    expect(st.rateHz).toBeGreaterThan(1500);
    expect(st.dropped).toBe(0);

    const c3dFile = files.find((f) => f.device === dev.id && f.stream === 'emg')!;
    expect(path.basename(c3dFile.path)).toBe(`${dev.id}_Motion.c3d`);
    const c3d = readC3dFile(c3dFile.path);
    expect(c3d.rates).toEqual({ pointHz: 100, analogHz: 2000 });
    expect(c3d.labels.analogs.slice(0, 5)).toEqual(['EMG1', 'EMG2', 'EMG3', 'EMG4', 'EMG1_ACC_X']);
    expect(c3d.analogCount).toBe(40);
    expect(c3d.units.analogs.slice(0, 5)).toEqual(['V', 'V', 'V', 'V', 'g']);
    expect(c3d.descriptions.analogs[1]).toBe('erector spinae L4 right');
    expect(c3dParam(c3d.groups, 'ORTHOTWIN', 'MISSING_SAMPLES')!.values).toEqual([0]);
    expect(c3d.analogSamples).toBeGreaterThan(5000);
    // the recorded sEMG is the streamed sEMG, sample for sample (float32), where both hold it
    const n = c3d.analogSamples;
    let compared = 0;
    for (const m of emg) {
      const first = m.header.firstIndex!;
      if (first + 100 > n) continue;
      for (let ch = 0; ch < 4; ch++)
        for (let i = 0; i < 100; i += 17) {
          expect(c3d.analogs[ch * n + first + i]).toBe(m.data[ch * 100 + i]);
          compared++;
        }
    }
    expect(compared).toBeGreaterThan(1000);
    // the IMU's accelerometer Z of the still sensor at the start of x-io's recording: about 1 g
    const accZ = c3d.analogs.subarray(6 * n, 6 * n + 200);
    expect(Math.abs(accZ.reduce((s, v) => s + v, 0) / accZ.length - 1)).toBeLessThan(0.05);
    await sup.disconnect(dev.id);
  });
});
