/**
 * `npm run bench -- motion` (issue 21, must-show 6): sEMG features of
 * 10 minutes × 8 channels at 2000 Hz (electron/engine/signals, beside SciPy
 * doing the same computations on the same samples in the same run), AHRS
 * samples per second over x-io's recording (no peer runs here: Fusion's C
 * library and its Python package are not in Debian), and the CPU of the
 * PicoX live path (simulator → bridge protocol over loopback → client, four
 * sensors, in one process). `npm run bench -- motion --minutes N` (issue 21,
 * must-show 4) adds the long run through the device host (`motionLiveRun`).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emgFeatures } from '../../electron/engine/signals/emg.js';
import { parseImuCsv, processImu } from '../../electron/engine/motion/ahrs.js';
import { EmgSignalModel, readXioSensorCsv } from '../../native-bridges/devices/emg-imu-picox/signalModel.js';
import { PicoxSimulator } from '../../native-bridges/devices/emg-imu-picox/simulator.js';
import { PicoxBridgeClient } from '../../native-bridges/devices/emg-imu-picox/client.js';
import WebSocket from 'ws';
import { decodeStreamMessage } from '../../electron/contract/devices.js';
import { DevicesSupervisor } from '../../electron/services/devices.js';
import { hostClockUs } from '../../native-bridges/core/clock.js';

const RATE = 2000;
const MINUTES = 10;
const CHANNELS = 8;

/** The SciPy side: the same band-pass (sosfiltfilt), IEMG, RMS, Welch MNF/MDF and 1 s MDF windows, timed without the file read. */
const PEER = `
import sys, time, json
import numpy as np
from scipy import signal
x = np.fromfile(sys.argv[1], dtype='<f8').reshape(int(sys.argv[2]), -1)
fs = ${RATE}.0
t0 = time.perf_counter()
sos = signal.butter(4, [20, 450], 'bandpass', fs=fs, output='sos')
for ch in x:
    y = signal.sosfiltfilt(sos, ch)
    iemg = np.abs(y).sum() / fs
    rms = np.sqrt(np.mean(y * y))
    f, p = signal.welch(y, fs, window='hann', nperseg=1024, noverlap=512, detrend='constant')
    band = (f >= 20) & (f <= 450)
    c = np.cumsum(p[band])
    mnf = (f[band] * p[band]).sum() / p[band].sum()
    mdf = np.interp(c[-1] / 2, c, f[band])
    mdfs = []
    for s in range(0, y.size - 2000 + 1, 1000):
        fw, pw = signal.welch(y[s:s + 2000], fs, window='hann', nperseg=1024, noverlap=512, detrend='constant')
        b = (fw >= 20) & (fw <= 450)
        cw = np.cumsum(pw[b])
        mdfs.append(np.interp(cw[-1] / 2, cw, fw[b]))
    np.polyfit(np.arange(len(mdfs)) * 0.5 + 0.5, mdfs, 1)
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}))
`;

export async function motionSection(dataRoot: string, machine: string): Promise<string> {
  // sEMG: 10 minutes × 8 channels of the simulator's signal (contractions with fatigue), float64
  const n = RATE * 60 * MINUTES;
  const channels = Array.from({ length: CHANNELS }, (_, c) => Float64Array.from(new EmgSignalModel(100 + c).next(n)));
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (const x of channels) emgFeatures(x, RATE);
    times.push(performance.now() - t0);
  }
  const ours = Math.min(...times);
  const raw = path.join(os.tmpdir(), 'orthotwin-bench-emg.f64');
  const all = new Float64Array(n * CHANNELS);
  channels.forEach((x, c) => all.set(x, c * n));
  fs.writeFileSync(raw, Buffer.from(all.buffer));
  let peer: number | null = null;
  let peerNote = '';
  try {
    const runs = [0, 1, 2].map(
      () => (JSON.parse(execFileSync('/usr/bin/python3', ['-c', PEER, raw, String(CHANNELS)], { encoding: 'utf8', maxBuffer: 1 << 20 })) as { ms: number }).ms,
    );
    peer = Math.min(...runs);
  } catch (e) {
    peerNote = ` (SciPy peer not run: ${(e as Error).message.split('\n')[0]})`;
  }
  fs.rmSync(raw, { force: true });

  // AHRS over x-io's recording, repeated to about 135,000 samples
  const { samples } = parseImuCsv(fs.readFileSync(path.join(dataRoot, 'imu', 'fusion_sensor_data.csv'), 'utf8'));
  const ahrsRuns: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (let k = 0; k < 10; k++) processImu(samples);
    ahrsRuns.push((10 * samples.length) / ((performance.now() - t0) / 1000));
  }
  const ahrsRate = Math.max(...ahrsRuns);

  // the PicoX live path: 4 sensors (EMG 2000 Hz + IMU) for 20 s, simulator and client in this process
  const imu = readXioSensorCsv(path.join(dataRoot, 'imu', 'fusion_sensor_data.csv'));
  const sim = new PicoxSimulator({ imu });
  const port = await sim.listen();
  const client = await PicoxBridgeClient.connect('127.0.0.1', port);
  await client.configure({
    sensors: [1, 2, 3, 4].map((s) => ({ sensor: s, muscle: 'erector spinae', side: s % 2 ? 'left' : 'right', level: s <= 2 ? 'L4' : 'L2', label: `EMG${s}` })),
    imuMode: 'raw-99',
    blockMs: 50,
  });
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await client.start();
  await new Promise((r) => setTimeout(r, 20_000));
  await client.stop();
  const wallS = (performance.now() - w0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuPct = ((cpu.user + cpu.system) / 1e6 / wallS) * 100;
  const emgSamples = [...client.counters.emgSamples.values()].reduce((a, b) => a + b, 0);
  const lost = [...client.counters.lostEmgSamples.values()].reduce((a, b) => a + b, 0);
  client.close();
  await sim.close();

  return [
    '## motion — sEMG features, AHRS, PicoX live path',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on: ${machine}.`,
    '',
    '| what | OrthoTwin | peer (same run) |',
    '|---|---|---|',
    `| sEMG features, ${MINUTES} min × ${CHANNELS} channels at ${RATE} Hz (band-pass 20–450 Hz zero phase, IEMG, RMS, Welch MNF/MDF, 1 s MDF windows + slope; best of 3) | ${Math.round(ours)} ms | ${peer === null ? `—${peerNote}` : `SciPy ${Math.round(peer)} ms (same steps, numpy/scipy in C) — OrthoTwin's TypeScript is ${(ours / peer).toFixed(1)}× slower, ${(ours / 1000).toFixed(0)} s for ${MINUTES * CHANNELS} channel-minutes`} |`,
    `| AHRS (x-io Fusion port, 9-axis + gyroscope offset), samples per second over x-io's recording ×10 (best of 3) | ${Math.round(ahrsRate).toLocaleString('en-US')} /s | — (Fusion's C library and Python package are not in Debian) |`,
    `| PicoX live path: simulator → bridge protocol over loopback → client, 4 sensors (EMG 2000 Hz + IMU ${imu.rateHz.toFixed(0)} Hz), ${wallS.toFixed(1)} s | ${cpuPct.toFixed(1)} % of one core (both ends in one process); ${emgSamples.toLocaleString('en-US')} EMG samples, ${lost} lost | — |`,
    '',
    'The sEMG input is the PicoX simulator’s signal (contractions with fatigue); the features agree with SciPy to about 1e-13 on the real trial (tests/integration/emgScipy.test.ts). The live path in this table is the bridge protocol alone; the long run below (`--minutes N`) goes through the device host to a stream client; the Motion workspace’s plots are measured by their test (tests/e2e/motion.spec.ts: a redraw of the three plots p95 about 4 ms in Chromium).',
    '',
  ].join('\n');
}

/** The heading of the long run's part of the motion section (kept by a short run: see run.ts). */
export const LIVE_RUN_HEADING = '### PicoX through the device host, long run';

/** CPU time (s) and resident memory (bytes) of a process, from /proc (Linux); null elsewhere. */
function procUsage(pid: number): { cpuS: number; rssBytes: number } | null {
  try {
    // fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
    return { cpuS: (Number(f[11]) + Number(f[12])) / ticks, rssBytes: rssKb * 1024 };
  } catch {
    return null;
  }
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const mib = (b: number): string => `${(b / 1024 ** 2).toFixed(1)} MiB`;

/**
 * `npm run bench -- motion --minutes N` (issue 21, must-show 4): the PicoX simulator with 4 sensors (sEMG 2000 Hz
 * + IMU from x-io's recording) connected through the real device host (its own process, as the app forks it) for N
 * minutes in real time, its stream read by a WebSocket client of the device host's stream server (the stream the
 * renderer gets, relayed by electron/host at /streams in browser mode). Per channel: samples expected (the capture's
 * indices 0 … N−1 since Start, and wall time × rate) and received (not NaN), lost = index gaps between consecutive
 * blocks + NaN samples (a sensor's block that never came) + messages replaced by latest-wins (`dropped`); blocks;
 * stream sequence gaps; the device host's CPU (its process: the simulated bridge, the client, the joining, the
 * stream server) and its resident memory at start and end; latency from the block's arrival in the device host
 * (header hostTimeUs) to the client's receipt, on the shared host clock.
 * @returns the markdown of the long run's part of the motion section
 */
export async function motionLiveRun(dataRoot: string, minutes: number, machine: string): Promise<string> {
  const sup = new DevicesSupervisor();
  await sup.start();
  const ws = new WebSocket(await sup.streamEndpoint());
  await new Promise((r) => ws.once('open', r));

  type Track = {
    channels: string[];
    rateHz: number;
    next: number;
    gaps: number;
    gapSamples: number;
    blocks: number;
    dropped: number;
    received: number[];
    nan: number[];
  };
  const tracks = new Map<string, Track>();
  const latencies: number[] = [];
  let deviceId = '';
  let lastSeq = -1;
  let seqGaps = 0;
  let messages = 0;
  let lastEmgUs = 0;
  let maxEmgGapMs = 0;
  ws.on('message', (d: Buffer) => {
    const now = hostClockUs();
    const { header: h, payload } = decodeStreamMessage(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    // the one device connected (its id known once connect answers; its first blocks may come before)
    if ((deviceId && h.device !== deviceId) || (h.stream !== 'emg' && h.stream !== 'imu')) return;
    messages++;
    latencies.push((now - h.hostTimeUs) / 1000);
    if (h.stream === 'emg') {
      if (lastEmgUs) maxEmgGapMs = Math.max(maxEmgGapMs, (now - lastEmgUs) / 1000);
      lastEmgUs = now;
    }
    if (lastSeq >= 0 && h.seq !== lastSeq + 1) seqGaps += h.seq - lastSeq - 1;
    lastSeq = h.seq;
    const n = h.count!;
    let t = tracks.get(h.stream);
    if (!t) {
      const nc = h.channels!.length;
      t = {
        channels: h.channels!.map((c) => c.label),
        rateHz: h.rateHz!,
        next: h.firstIndex!,
        gaps: 0,
        gapSamples: h.firstIndex!,
        blocks: 0,
        dropped: 0,
        received: new Array<number>(nc).fill(0),
        nan: new Array<number>(nc).fill(0),
      };
      tracks.set(h.stream, t);
    }
    if (h.firstIndex! !== t.next) {
      t.gaps++;
      t.gapSamples += h.firstIndex! - t.next;
    }
    t.next = h.firstIndex! + n;
    t.blocks++;
    t.dropped = h.dropped;
    const x = new Float32Array(payload.slice().buffer);
    for (let c = 0; c < t.channels.length; c++)
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(x[c * n + i])) t.nan[c]!++;
        else t.received[c]!++;
      }
  });

  const dev = await sup.connect({ kind: 'picox-simulator', sensors: 4, imuPath: path.join(dataRoot, 'imu', 'fusion_sensor_data.csv') });
  deviceId = dev.id;
  const t0 = performance.now();
  const pid = (await sup.list()).host.pid!;
  const u0 = procUsage(pid);
  const rss: number[] = [];
  const durationMs = minutes * 60_000;
  while (performance.now() - t0 < durationMs) {
    await new Promise((r) => setTimeout(r, Math.min(10_000, durationMs - (performance.now() - t0))));
    const u = procUsage(pid);
    if (u) rss.push(u.rssBytes);
    const e = tracks.get('emg');
    console.log(
      `motion --minutes ${minutes}: ${((performance.now() - t0) / 60_000).toFixed(1)} min, ${e?.blocks ?? 0} sEMG blocks, index gaps ${e?.gapSamples ?? 0}`,
    );
  }
  const wallS = (performance.now() - t0) / 1000;
  const u1 = procUsage(pid);
  const st = (await sup.list()).devices.find((d) => d.id === deviceId)!;
  await sup.disconnect(deviceId);
  // the messages still on their way
  await new Promise((r) => setTimeout(r, 300));
  ws.close();
  await sup.stop();

  const lat = [...latencies].sort((a, b) => a - b);
  const hostCpu =
    u0 && u1
      ? `${(((u1.cpuS - u0.cpuS) / wallS) * 100).toFixed(1)} % of one core (${(u1.cpuS - u0.cpuS).toFixed(1)} s CPU over ${wallS.toFixed(0)} s)`
      : '— (no /proc)';
  const rows: string[] = [];
  let lostTotal = 0;
  for (const [stream, t] of tracks) {
    const perSensor = stream === 'imu' ? 9 : 1;
    for (let c = 0; c < t.channels.length; c += perSensor) {
      // an IMU sensor's row: the worst of its 9 channels
      const expected = t.next;
      const received = Math.min(...t.received.slice(c, c + perSensor));
      const nan = Math.max(...t.nan.slice(c, c + perSensor));
      const lost = expected - received;
      lostTotal += lost;
      const label = perSensor === 1 ? t.channels[c]! : `${t.channels[c]!.replace(/_ACC_X$/, '')} IMU (worst of its 9 channels)`;
      rows.push(
        `| ${label} | ${t.rateHz.toFixed(stream === 'imu' ? 1 : 0)} Hz | ${expected.toLocaleString('en-US')} (wall ${Math.round(wallS * t.rateHz).toLocaleString('en-US')}) | ${received.toLocaleString('en-US')} | ${lost} (gaps ${t.gapSamples}, NaN ${nan}) | ${t.blocks.toLocaleString('en-US')} |`,
      );
    }
  }
  const r0 = u0?.rssBytes ?? NaN;
  const r1 = u1?.rssBytes ?? NaN;
  return [
    `${LIVE_RUN_HEADING} (\`npm run bench -- motion --minutes ${minutes}\`)`,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on: ${machine}.`,
    `The PicoX simulator with 4 sensors (sEMG 2000 Hz + IMU replayed from x-io's recording) connected as \`picox-simulator\` through the device host (its own process, forked as the app forks it: simulated bridge on loopback → PicoX client → blocks joined → stream server), for ${(wallS / 60).toFixed(1)} min in real time; the stream read by a WebSocket client of the device host's stream server (the stream the renderer gets; electron/host relays it at /streams in browser mode). Expected = the capture's sample indices 0 … N−1 since Start (in brackets: wall time × rate); lost = index gaps + NaN samples (a sensor's block that never came) + messages replaced by latest-wins.`,
    '',
    '| channel | rate | expected | received | lost | blocks |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `- lost in all: **${lostTotal}** samples; stream sequence gaps ${seqGaps}; messages replaced by latest-wins (last header's \`dropped\`): sEMG ${tracks.get('emg')?.dropped ?? 0}, IMU ${tracks.get('imu')?.dropped ?? 0}; the device's own counters: dropped ${st.dropped}, ${JSON.stringify(st.counters)}`,
    `- ${messages.toLocaleString('en-US')} messages; latency device host → client (header hostTimeUs → receipt, shared host clock): p50 ${pct(lat, 50).toFixed(2)} ms, p95 ${pct(lat, 95).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms, max ${(lat.at(-1) ?? NaN).toFixed(2)} ms; longest wait between two sEMG messages at the client ${maxEmgGapMs.toFixed(0)} ms (50 ms blocks)`,
    `- device host CPU: ${hostCpu}`,
    `- device host memory (RSS): ${mib(r0)} at the start, ${mib(r1)} at the end (min ${mib(Math.min(...rss))}, max ${mib(Math.max(...rss))} over ${rss.length} samples every 10 s)`,
    '',
  ].join('\n');
}
