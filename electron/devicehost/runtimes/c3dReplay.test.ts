/**
 * The C3D replay kind on synthetic files written by the recorder's own
 * `motionC3d` (a PicoX recording with sEMG and IMU): which channels become
 * which stream, the sEMG blocks equal to the file's samples (float32) with
 * contiguous indices across loops, the IMU sampled back at its recorded rate,
 * the end of a single pass, and the failures of files that cannot be replayed.
 * Content is checked, not timing (blocks are awaited, never counted per second).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StreamHeader } from '../../contract/devices.js';
import { readC3dFile, writeC3d, writeC3dFile, type C3dWritable } from '../../io/c3d.js';
import { motionC3d, type SignalTrack } from '../recorder.js';
import { tmpDir } from '../../../tests/helpers/tmp.js';
import { C3dReplayRuntime, imuBlock, motionReplaySource, c3dReplayFailure } from './c3dReplay.js';
import { IMU_AXES } from '../../contract/devices.js';

const tmp = tmpDir('c3dreplay-');
afterAll(() => tmp.cleanup());

const EMG_RATE = 2000;
const IMU_RATE = 99.5;

/** A PicoX-like recording of `samples` sEMG samples (2 sensors) and their IMU (9 channels each, smooth signals). */
function picoxFile(name: string, samples: number): { file: string; emg: Float32Array; imu: Float32Array; imuN: number } {
  const emgData = new Float32Array(2 * samples);
  for (let i = 0; i < emgData.length; i++) emgData[i] = Math.fround(Math.sin(i * 0.37) * 1e-4 + (i % 7) * 1e-6);
  const blocks: SignalTrack['blocks'] = [];
  for (let first = 0; first < samples; first += 100) {
    const n = Math.min(100, samples - first);
    const data = new Float32Array(2 * n);
    for (let c = 0; c < 2; c++) data.set(emgData.subarray(c * samples + first, c * samples + first + n), c * n);
    blocks.push({ firstIndex: first, count: n, data });
  }
  const emg: SignalTrack = {
    channels: [
      { label: 'EMG1', unit: 'V', description: 'erector spinae L4 left' },
      { label: 'EMG2', unit: 'V', description: 'erector spinae L4 right' },
    ],
    rateHz: EMG_RATE,
    blocks,
    samples,
  };
  const imuN = Math.ceil((samples * IMU_RATE) / EMG_RATE) + 1;
  const imuData = new Float32Array(18 * imuN);
  for (let c = 0; c < 18; c++) for (let k = 0; k < imuN; k++) imuData[c * imuN + k] = Math.fround(c + Math.sin(k * 0.3 + c));
  const imu: SignalTrack = {
    channels: ['EMG1', 'EMG2'].flatMap((s) =>
      IMU_AXES.map((ax) => ({ label: `${s}_${ax}`, unit: ax.startsWith('ACC') ? 'g' : ax.startsWith('GYR') ? 'deg/s' : 'uT' })),
    ),
    rateHz: IMU_RATE,
    blocks: [{ firstIndex: 0, count: imuN, data: imuData }],
    samples: imuN,
  };
  const file = path.join(tmp.dir, name);
  writeC3dFile(file, motionC3d(emg, imu));
  return { file, emg: emgData, imu: imuData, imuN };
}

type Msg = { header: Omit<StreamHeader, 'dropped'>; data: Float32Array };

/** Starts a replay, collecting its messages. */
async function replay(file: string, loop: boolean): Promise<{ rt: C3dReplayRuntime; got: Msg[] }> {
  const got: Msg[] = [];
  const rt = new C3dReplayRuntime(
    { kind: 'c3d-replay', path: file, loop },
    { id: 'c3d-replay-1', simulated: true, emit: (header, p) => got.push({ header, data: new Float32Array(p!.slice().buffer) }) },
  );
  await rt.start();
  return { rt, got };
}

async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('c3d-replay', () => {
  it('takes a PicoX recording apart into its sEMG and its IMU at the recorded IMU rate', () => {
    const { file, imu, imuN } = picoxFile('split.c3d', 300);
    const src = motionReplaySource(readC3dFile(file), 'split.c3d');
    expect(src.emg.channels).toEqual([
      { label: 'EMG1', unit: 'V', description: 'erector spinae L4 left' },
      { label: 'EMG2', unit: 'V', description: 'erector spinae L4 right' },
    ]);
    expect(src.emg.rateHz).toBe(EMG_RATE);
    expect(src.imu!.channels).toHaveLength(18);
    expect(src.imu!.channels[2]).toEqual({ label: 'EMG1_ACC_Z', unit: 'g' });
    expect(src.imu!.rateHz).toBe(IMU_RATE);
    // IMU samples at or before the file's last analog sample
    expect(src.imu!.samples).toBe(Math.floor((299 * IMU_RATE) / EMG_RATE) + 1);
    // sampled back: the recorded IMU samples, within the error of interpolating the interpolation (a chord across
    // one of the recording's knots: at most a quarter of the step ratio times the change of slope there)
    const back = imuBlock(src.imu!, EMG_RATE, 0, src.imu!.samples);
    const r = IMU_RATE / EMG_RATE;
    for (let c = 0; c < 18; c++)
      for (let k = 0; k < src.imu!.samples; k++) {
        const d2 = k > 0 && k + 1 < imuN ? Math.abs(imu[c * imuN + k + 1]! - 2 * imu[c * imuN + k]! + imu[c * imuN + k - 1]!) : 0;
        expect(Math.abs(back[c * src.imu!.samples + k]! - imu[c * imuN + k]!)).toBeLessThanOrEqual(0.25 * r * d2 + 1e-6);
      }
    expect(back[0]).toBe(imu[0]);
  });

  it('loops in 100-sample sEMG blocks with contiguous indices, each sample the file’s (float32), the IMU in 5-sample blocks', async () => {
    const { file, emg } = picoxFile('loop.c3d', 300);
    const { rt, got } = await replay(file, true);
    await until(() => got.filter((m) => m.header.stream === 'emg').length >= 8);
    const st = rt.snapshot();
    await rt.stop();
    expect(st).toMatchObject({ kind: 'c3d-replay', simulated: true, state: 'streaming', nominalRateHz: 2000, provides: ['emg', 'imu'] });
    expect(st.name).toBe('Replay of loop.c3d (C3D: 2 sEMG channels at 2000 Hz + IMU)');
    expect(st.counters['passes']).toBeGreaterThanOrEqual(2);
    const e = got.filter((m) => m.header.stream === 'emg');
    expect(e.every((m) => m.header.count === 100 && m.header.rateHz === 2000)).toBe(true);
    e.forEach((m, j) => expect(m.header.firstIndex).toBe(100 * j));
    for (const m of e)
      for (let c = 0; c < 2; c++) for (let i = 0; i < 100; i++) expect(m.data[c * 100 + i]).toBe(emg[c * 300 + ((m.header.firstIndex! + i) % 300)]);
    expect(e[0]!.header.channels).toEqual([
      { label: 'EMG1', unit: 'V', description: 'erector spinae L4 left' },
      { label: 'EMG2', unit: 'V', description: 'erector spinae L4 right' },
    ]);
    // device times advance with the indices (50 ms a block, mapped to the host clock), across the loop
    for (let j = 1; j < e.length; j++) expect(e[j]!.header.deviceTimeUs).toBeGreaterThan(e[j - 1]!.header.deviceTimeUs);
    const spanUs = e.at(-1)!.header.deviceTimeUs - e[0]!.header.deviceTimeUs;
    // (the mapping's drift is fitted from the arrivals: wide bounds, a loaded machine delays some)
    expect(spanUs / (e.length - 1)).toBeGreaterThan(25_000);
    expect(spanUs / (e.length - 1)).toBeLessThan(75_000);
    const m = got.filter((x) => x.header.stream === 'imu');
    expect(m.length).toBeGreaterThan(2);
    m.forEach((x, j) => expect(x.header).toMatchObject({ count: 5, firstIndex: 5 * j, rateHz: IMU_RATE }));
    expect(m[0]!.data).toHaveLength(18 * 5);
    // one stream sequence across sEMG and IMU
    expect(got.map((x) => x.header.seq)).toEqual(got.map((_, i) => i));
  });

  it('without loop, sends the file once (its last block the remainder) and stops', async () => {
    const { file } = picoxFile('once.c3d', 260);
    const { rt, got } = await replay(file, false);
    await until(() => rt.snapshot().state === 'stopped');
    const e = got.filter((m) => m.header.stream === 'emg');
    expect(e.map((m) => [m.header.firstIndex, m.header.count])).toEqual([
      [0, 100],
      [100, 100],
      [200, 60],
    ]);
    const imuSamples = got.filter((m) => m.header.stream === 'imu').reduce((s, m) => s + m.header.count!, 0);
    expect(imuSamples).toBe(Math.floor((259 * IMU_RATE) / EMG_RATE) + 1);
    await rt.stop();
  });

  it('refuses files it cannot replay with a sentence naming the file, the reader’s reason after it', async () => {
    const ok = picoxFile('good.c3d', 300).file;
    const fail = async (file: string): Promise<string[]> => {
      const rt = new C3dReplayRuntime({ kind: 'c3d-replay', path: file, loop: true }, { id: 'c3d-replay-9', simulated: true, emit: () => undefined });
      const err = await rt.start().then(
        () => null,
        (e: Error) => e,
      );
      expect(err).not.toBeNull();
      expect(rt.snapshot()).toMatchObject({ state: 'failed', lastError: err!.message });
      return err!.message.split('\n');
    };
    const missing = path.join(tmp.dir, 'gone.c3d');
    expect(await fail(missing)).toEqual([
      'Replay of gone.c3d could not start: the file does not exist.',
      `ENOENT: no such file or directory, open '${missing}'`,
    ]);

    const text = path.join(tmp.dir, 'notes.c3d');
    fs.writeFileSync(text, 'x'.repeat(2000));
    expect(await fail(text)).toEqual([
      'Replay of notes.c3d could not start: it is not a readable C3D file.',
      'notes.c3d: not a C3D file (byte 2 of the header is 0x78, not the key 0x50)',
    ]);

    const cut = path.join(tmp.dir, 'cut.c3d');
    const bytes = fs.readFileSync(ok);
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 1024));
    const [sentence, detail] = await fail(cut);
    expect(sentence).toBe(
      'Replay of cut.c3d could not start: the file is truncated or not a C3D file (it ends before the header, parameters or data it declares).',
    );
    expect(detail).toMatch(/^cut\.c3d: /);

    // markers only: a C3D, but nothing to replay as sEMG
    const good = readC3dFile(ok);
    const markers: C3dWritable = {
      header: { ...good.header, analogSamplesPerFrame: 1 },
      groups: {
        ...good.groups,
        POINT: {
          ...good.groups['POINT']!,
          params: { ...good.groups['POINT']!.params, LABELS: { ...good.groups['POINT']!.params['LABELS']!, dims: [2, 1], values: ['M1'] } },
        },
      },
      frameCount: 3,
      pointCount: 1,
      analogCount: 0,
      points: Float32Array.from([1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0]),
      analogs: new Float64Array(0),
    };
    markers.groups['ANALOG'] = { ...good.groups['ANALOG']!, params: {} };
    const noAnalogs = path.join(tmp.dir, 'markers.c3d');
    fs.writeFileSync(noAnalogs, writeC3d(markers));
    expect(await fail(noAnalogs)).toEqual([
      'Replay of markers.c3d could not start: it has no analog channels (sEMG) to replay.',
      'markers.c3d: 1 points at 100 Hz over 3 frames, and no analog channels',
    ]);
  });

  it('says an unreadable file in words (permission)', () => {
    const e = Object.assign(new Error("EACCES: permission denied, open '/x/trial.c3d'"), { code: 'EACCES' });
    expect(c3dReplayFailure('/x/trial.c3d', e)).toBe(
      "Replay of trial.c3d could not start: OrthoTwin may not read it (permission denied).\nEACCES: permission denied, open '/x/trial.c3d'",
    );
  });
});
