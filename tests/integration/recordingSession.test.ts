/**
 * Session recording of a patient's visit (issue 20 §6): every connected
 * device is recorded, or the status names it with why not; the status says
 * the elapsed time, bytes written and free disk; a low-disk threshold stops
 * the recording cleanly (finished, readable PLUS sequences); a recording
 * belongs to a patient and a visit, is listed per patient and audited.
 *
 * In-process: the recorder with an injected free-disk probe (deterministic
 * low-disk stop), per-device states. Through the device host: the simulated
 * devices (Aurora simulator over a pty pair, a PLUS replay, the depth-camera
 * simulator, a depth file that sends point clouds only), one of them
 * disconnected mid-recording; the low-disk stop with the threshold set just
 * under the real free disk; through the services: patient link, listing,
 * audit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedFramesText, type RecordingStatus } from '../../electron/contract/devices.js';
import { SessionRecorder } from '../../electron/devicehost/recorder.js';
import { DevicesSupervisor } from '../../electron/services/devices.js';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { SitePolicy } from '../../electron/services/policy.js';
import { createPatient } from '../../capabilities/patients/repo.js';
import { RecordingStart } from '../../capabilities/devices/contract.js';
import { framePixels, readPlusSequence, writePlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { tmpDir } from '../helpers/tmp.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Polls until `f` returns a value (not undefined), or fails after `ms`. */
async function until<T>(f: () => Promise<T | undefined> | T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A small tracked-ultrasound PLUS sequence (64×48, 20 frames, ProbeToTracker moving along x) to replay. */
function writeReplaySource(file: string): void {
  const n = 20;
  const pixels = new Uint8Array(64 * 48 * n);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) & 0xff;
  writePlusSequence(file, {
    width: 64,
    height: 48,
    elementType: 'uint8',
    imageOrientation: 'MF',
    imageType: 'BRIGHTNESS',
    pixels,
    frames: Array.from({ length: n }, (_, k) => ({
      timestampS: k * 0.05,
      transforms: { ProbeToTracker: { matrix: [1, 0, 0, k, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], status: 'OK' } },
      fields: {},
    })),
  });
}

/** An ASCII PCD point cloud (100 points, metres): a depth file, which streams point clouds only. */
function writePcd(file: string): void {
  const pts = Array.from({ length: 100 }, (_, i) => `${(i % 10) * 0.01} ${Math.floor(i / 10) * 0.01} 0.6`);
  fs.writeFileSync(
    file,
    [
      '# .PCD v0.7',
      'VERSION 0.7',
      'FIELDS x y z',
      'SIZE 4 4 4',
      'TYPE F F F',
      'COUNT 1 1 1',
      'WIDTH 100',
      'HEIGHT 1',
      'VIEWPOINT 0 0 0 1 0 0 0',
      'POINTS 100',
      'DATA ascii',
      ...pts,
      '',
    ].join('\n'),
  );
}

/** The .igs.mha file is complete: its size is the header plus every frame's pixels, and it re-reads with `frames` frames. */
function expectComplete(file: string, frames: number): ReturnType<typeof readPlusSequence> {
  const seq = readPlusSequence(file);
  expect(seq.frames.length).toBe(frames);
  const raw = fs.readFileSync(file);
  const headerEnd = raw.indexOf('ElementDataFile = LOCAL\n') + 'ElementDataFile = LOCAL\n'.length;
  const perFrame = seq.width * seq.height * (seq.elementType === 'uint16' ? 2 : 1);
  expect(raw.length - headerEnd).toBe(perFrame * frames);
  return seq;
}

describe('session recorder: devices and the low-disk stop (free-disk probe injected)', () => {
  const tmp = tmpDir('rec-session-');
  afterAll(() => tmp.cleanup());

  it('stops below the threshold counting what finishing needs; the files are finished and readable', () => {
    let free = 2 * GiB + 1 * MiB; // 1 MiB above the threshold
    const rec = new SessionRecorder(path.join(tmp.dir, 'low-disk'), 0, { freeDisk: () => free, minFreeBytes: 2 * GiB });
    rec.expect({ id: 'depth-1', name: 'Depth camera simulator', kind: 'depth-simulator' });
    rec.expect({ id: 'ndi-1', name: 'Aurora', kind: 'ndi-simulator' });
    const frame = (k: number): Uint8Array => Uint8Array.from({ length: 320 * 240 * 2 }, (_, i) => (i + k) & 0xff);
    let stopped: string | null = null;
    let k = 0;
    for (; k < 100 && !stopped; k++) {
      const t = 1_000_000 + k * 33_333;
      rec.add({ device: 'ndi-1', stream: 'pose', seq: k, deviceTimeUs: t, hostTimeUs: t, poses: [{ name: 'Port 1', matrix: null, state: 'missing' }] });
      rec.add(
        { device: 'depth-1', stream: 'depth', seq: k, deviceTimeUs: t, hostTimeUs: t, width: 320, height: 240, components: 1, scalar: 'uint16' },
        frame(k),
      );
      free -= 320 * 240 * 2; // the disk fills as the pixels stream
      stopped = rec.diskCheck();
    }
    // 153.6 kB a frame: free − pending < 2 GiB once 2 × written > 1 MiB, i.e. after the 4th frame
    expect(k).toBe(4);
    expect(stopped).toMatch(/^stopped: free disk below 2\.0 GiB \(2\.0 GiB free, 600\.0 KiB needed to finalise the files\)$/);
    expect(rec.lastFreeBytes).toBe(free);
    const states = rec.devices(true);
    expect(states.map((d) => [d.device, d.state, d.frames])).toEqual([
      ['depth-1', 'recording', 4],
      ['ndi-1', 'recording', 4],
    ]);
    const files = rec.finish();
    expect(files.map((f) => [path.basename(f.path), f.frames])).toEqual([
      ['ndi-1_Tracking.igs.mha', 4],
      ['depth-1_Depth.igs.mha', 4],
    ]);
    expect(fs.readdirSync(path.join(tmp.dir, 'low-disk')).sort()).toEqual(['depth-1_Depth.igs.mha', 'ndi-1_Tracking.igs.mha']); // no partial files
    const depth = expectComplete(files[1]!.path, 4);
    expect([depth.width, depth.height, depth.elementType]).toEqual([320, 240, 'uint16']);
    for (let i = 0; i < 4; i++) expect(Buffer.from(framePixels(depth, i)).equals(Buffer.from(frame(i)))).toBe(true);
    expectComplete(files[0]!.path, 4);
  });

  it("a replay's frames are its acquisitions (68 images with their 68 poses are 68, not 136), per stream as the files", () => {
    const rec = new SessionRecorder(path.join(tmp.dir, 'replay'), 0, { freeDisk: () => 100 * GiB });
    rec.expect({ id: 'replay-1', name: 'Replay sweep', kind: 'replay' });
    rec.expect({ id: 'ndi-2', name: 'Aurora', kind: 'ndi-simulator' });
    const pose = [{ name: 'ProbeToTracker', matrix: null, state: 'missing' as const }];
    for (let k = 0; k < 68; k++) {
      const t = 1_000_000 + k * 50_000;
      rec.add({ device: 'replay-1', stream: 'pose', seq: k, deviceTimeUs: t, hostTimeUs: t, poses: pose });
      rec.add(
        { device: 'replay-1', stream: 'image', seq: k, deviceTimeUs: t, hostTimeUs: t, width: 4, height: 4, components: 1, scalar: 'uint8' },
        new Uint8Array(16),
      );
      if (k < 30)
        rec.add({
          device: 'ndi-2',
          stream: 'pose',
          seq: k,
          deviceTimeUs: t,
          hostTimeUs: t,
          poses: [{ name: 'Port1ToTracker', matrix: null, state: 'missing' }],
        });
    }
    const states = rec.devices(true);
    expect(states.map((d) => [d.device, d.frames, d.streams, recordedFramesText(d)])).toEqual([
      [
        'replay-1',
        68,
        [
          { stream: 'image', frames: 68 },
          { stream: 'pose', frames: 68 },
        ],
        '68 images, 68 poses',
      ],
      ['ndi-2', 30, [{ stream: 'pose', frames: 30 }], '30 poses'],
    ]);
    // consistent with the file list
    const files = rec.finish();
    expect(
      files
        .filter((f) => f.device === 'replay-1')
        .map((f) => [f.stream, f.frames])
        .sort(),
    ).toEqual([
      ['image', 68],
      ['pose', 68],
    ]);
    expect(recordedFramesText({ frames: 12 })).toBe('12');
  });

  it('a device sending point clouds only is left out with why; one disconnected is interrupted from then; one silent is left out at the end', () => {
    const rec = new SessionRecorder(path.join(tmp.dir, 'states'), 0, { freeDisk: () => 100 * GiB });
    const dev = (id: string, kind: string) => ({ id, name: id, kind });
    for (const d of [dev('ndi-1', 'ndi-simulator'), dev('depth-file-2', 'depth-file'), dev('igtl-client-3', 'igtl-client')]) rec.expect(d);
    rec.add({ device: 'ndi-1', stream: 'pose', seq: 0, deviceTimeUs: 1, hostTimeUs: 1, poses: [{ name: 'Port 1', matrix: null, state: 'missing' }] });
    rec.add({ device: 'depth-file-2', stream: 'points', seq: 0, deviceTimeUs: 1, hostTimeUs: 1, count: 1 }, new Uint8Array(12));
    expect(rec.devices().map((d) => [d.device, d.state, d.reason])).toEqual([
      ['ndi-1', 'recording', null],
      ['depth-file-2', 'left-out', 'sends point clouds only, which have no PLUS sequence form: not recorded'],
      ['igtl-client-3', 'waiting', 'no data received yet'],
    ]);
    const at = new Date('2026-03-04T10:11:12.000Z');
    rec.gone('ndi-1', 'disconnected', at);
    const after = rec.devices(true);
    expect(after[0]).toMatchObject({ device: 'ndi-1', state: 'interrupted', reason: 'disconnected', since: '2026-03-04T10:11:12.000Z', frames: 1 });
    expect(after[2]).toMatchObject({ device: 'igtl-client-3', state: 'left-out', reason: 'sent nothing during the recording' });
    rec.abort();
  });
});

describe('recording through the device host', () => {
  const sup = new DevicesSupervisor();
  const tmp = tmpDir('rec-host-');
  const replaySource = path.join(tmp.dir, 'source.igs.mha');
  const pcd = path.join(tmp.dir, 'cloud.pcd');
  beforeAll(async () => {
    writeReplaySource(replaySource);
    writePcd(pcd);
    await sup.start();
  });
  afterAll(async () => {
    await sup.stop();
    tmp.cleanup();
  });

  it('records every simulated device (a file per device, frames > 0); the depth file is named as left out; a device disconnected mid-recording says from when', async () => {
    const ndi = await sup.connect({ kind: 'ndi-simulator', model: 'aurora', tools: 2 });
    const replay = await sup.connect({ kind: 'replay', path: replaySource, loop: true });
    const depth = await sup.connect({ kind: 'depth-simulator', fps: 10 });
    const cloud = await sup.connect({ kind: 'depth-file', path: pcd, fps: 5 });
    const ids = [ndi, replay, depth, cloud].map((d) => d.id);
    for (const d of [ndi, replay, depth, cloud]) expect(d.state).toBe('streaming');
    const dir = path.join(tmp.dir, 'all-devices');
    const started = await sup.startRecording(dir);
    expect(started.devices.map((d) => d.device).sort()).toEqual([...ids].sort());
    await sleep(1500);
    // the supervisor's list is the host's latest status (sent every 0.5 s; later on a loaded machine): wait for one
    // taken after a second of recording
    let live = (await sup.list()).recording;
    for (let i = 0; i < 50 && live.elapsedMs <= 1000; i++) {
      await sleep(100);
      live = (await sup.list()).recording;
    }
    expect(live.state).toBe('recording');
    expect(live.elapsedMs).toBeGreaterThan(1000);
    expect(live.bytesWritten).toBeGreaterThan(0);
    expect(live.freeDiskBytes).toBeGreaterThan(0);
    expect(live.minFreeBytes).toBe(2 * GiB);
    const byId = (r: RecordingStatus, id: string) => r.devices.find((d) => d.device === id)!;
    expect(byId(live, cloud.id)).toMatchObject({ state: 'left-out', reason: expect.stringMatching(/point clouds only/) });
    for (const id of [ndi.id, replay.id, depth.id]) expect(byId(live, id).state).toBe('recording');

    const before = Date.now();
    await sup.disconnect(ndi.id);
    await sleep(600);
    const mid = (await sup.list()).recording;
    const gone = byId(mid, ndi.id);
    expect(gone).toMatchObject({ state: 'interrupted', reason: 'disconnected' });
    expect(Date.parse(gone.since!)).toBeGreaterThanOrEqual(before - 50);
    expect(Date.parse(gone.since!)).toBeLessThanOrEqual(Date.now());

    const files = await sup.stopRecording();
    for (const id of [replay.id, depth.id, cloud.id]) await sup.disconnect(id);
    const done = (await sup.list()).recording;
    expect(done).toMatchObject({ state: 'idle', stopReason: 'stopped by the user', dir });
    expect(done.bytesWritten).toBe(files.reduce((n, f) => n + fs.statSync(f.path).size, 0));
    // after the stop no device says 'recording': those that recorded to the end are 'recorded'
    expect(done.devices.map((d) => [d.device, d.state]).sort()).toEqual(
      [
        [ndi.id, 'interrupted'],
        [replay.id, 'recorded'],
        [depth.id, 'recorded'],
        [cloud.id, 'left-out'],
      ].sort(),
    );
    // each device's size is its files' bytes on disk (the tracker's poses too, not 0 B), and they add up to the total
    const onDisk = (id: string): number => files.filter((f) => f.device === id).reduce((n, f) => n + fs.statSync(f.path).size, 0);
    for (const id of [ndi.id, replay.id, depth.id, cloud.id]) expect(byId(done, id).bytes).toBe(onDisk(id));
    expect(byId(done, ndi.id).bytes).toBeGreaterThan(0);
    expect(byId(done, cloud.id).bytes).toBe(0);
    expect(done.devices.reduce((n, d) => n + d.bytes, 0)).toBe(done.bytesWritten);
    // a file per recordable stream of every device but the point-cloud one, each with frames, each readable
    expect(files.map((f) => `${f.device}/${f.stream}`).sort()).toEqual(
      [`${depth.id}/depth`, `${ndi.id}/pose`, `${replay.id}/image`, `${replay.id}/pose`].sort(),
    );
    for (const f of files) {
      expect(f.frames).toBeGreaterThan(0);
      expectComplete(f.path, f.frames);
    }
    expect(fs.readdirSync(dir).filter((n) => n.includes('partial'))).toEqual([]);
  }, 60_000);

  it('refuses to start below the threshold; stops cleanly when free disk falls below it, the files finished and readable', async () => {
    const probe = fs.statfsSync(tmp.dir);
    const free = probe.bavail * probe.bsize;
    await expect(sup.startRecording(path.join(tmp.dir, 'refused'), { minFreeBytes: free + 1024 * GiB })).rejects.toThrow(
      /cannot record: free disk .* below the/,
    );
    expect(fs.existsSync(path.join(tmp.dir, 'refused'))).toBe(false);

    const depth = await sup.connect({ kind: 'depth-simulator', fps: 30 });
    const dir = path.join(tmp.dir, 'low-disk');
    // 48 MiB above the threshold: at 18 MB/s of depth frames (counted twice: written, and still to copy at the end) it stops in about 1.5 s
    const minFreeBytes = free - 48 * MiB;
    const started = await sup.startRecording(dir, { minFreeBytes });
    expect(started.minFreeBytes).toBe(minFreeBytes);
    const ended = await until(
      async () => {
        const r = (await sup.list()).recording;
        return r.state === 'idle' && r.dir === dir ? r : undefined;
      },
      20_000,
      'the low-disk stop',
    );
    await sup.disconnect(depth.id);
    expect(ended.stopReason).toMatch(/^stopped: free disk below \d+\.\d GiB \(.* free, .* needed to finalise the files\)$/);
    expect(ended.lastFiles).toHaveLength(1);
    const f = ended.lastFiles[0]!;
    expect(f).toMatchObject({ device: depth.id, stream: 'depth' });
    expect(f.frames).toBeGreaterThan(3);
    const seq = expectComplete(f.path, f.frames);
    expect([seq.width, seq.height, seq.elementType]).toEqual([640, 480, 'uint16']);
    expect(fs.readdirSync(dir)).toEqual([path.basename(f.path)]);
  }, 60_000);
});

describe('recordings of a patient at a visit, through the services', () => {
  const tmp = tmpDir('rec-services-');
  let host: ServiceHost;
  beforeAll(() => {
    host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', policy: SitePolicy.parse({ recordingMinFreeMiB: 1024 }) });
  });
  afterAll(async () => {
    host.close();
    await host.devices.stop();
    tmp.cleanup();
  });

  it('a recording belongs to the patient and the visit, is listed per patient, and start and stop are audited', async () => {
    const jane = createPatient(host.store, { displayName: 'Jane Roe', mrn: 'MRN-1', birthDate: '1970-01-01', sex: 'F' }, 'dr.a');
    const john = createPatient(host.store, { displayName: 'John Doe', mrn: 'MRN-2', birthDate: '1960-01-01', sex: 'M' }, 'dr.a');
    const d = host.impl.devices;
    await expect(d.startRecording({ patientId: 'nobody', visitDate: '2026-03-04', visitLabel: '' })).rejects.toThrow(/no patient nobody/);
    const depth = await d.connect({ kind: 'depth-simulator', fps: 10 });
    const st = await d.startRecording({ patientId: jane.id, visitDate: '2026-03-04', visitLabel: 'pre-op' });
    expect(st.subject).toMatchObject({ patientId: jane.id, patientName: 'Jane Roe', visitDate: '2026-03-04', visitLabel: 'pre-op' });
    expect(st.minFreeBytes).toBe(1024 * MiB);
    expect(st.dir!.startsWith(path.join(host.store.dataDir, 'recordings'))).toBe(true);
    const running = await d.listRecordings(jane.id);
    expect(running).toHaveLength(1);
    expect(running[0]).toMatchObject({ id: st.subject!.recordingId, state: 'recording', visitDate: '2026-03-04', visitLabel: 'pre-op', dir: st.dir });
    await expect(d.startRecording({ patientId: john.id, visitDate: '2026-03-04', visitLabel: '' })).rejects.toThrow(/already running/);
    await sleep(1200);
    const files = await d.stopRecording();
    await d.disconnect(depth.id);
    expect(files).toHaveLength(1);
    expect(files[0]!.frames).toBeGreaterThan(5);

    const [rec] = await d.listRecordings(jane.id);
    expect(rec).toMatchObject({
      id: st.subject!.recordingId,
      patientId: jane.id,
      state: 'stopped',
      stopReason: 'stopped by the user',
      files,
      createdBy: 'local-user',
    });
    expect(rec!.elapsedMs).toBeGreaterThan(1000);
    expect(rec!.bytesWritten).toBe(fs.statSync(files[0]!.path).size);
    expect(rec!.stoppedAt! >= rec!.startedAt).toBe(true);
    // the stored outcome: the device recorded to the end, its size the file's on disk
    expect(rec!.devices).toEqual([expect.objectContaining({ device: depth.id, state: 'recorded', frames: files[0]!.frames, bytes: rec!.bytesWritten })]);
    expect(await d.listRecordings(john.id)).toEqual([]);
    // the visit is a day that exists (checked where calls enter the services)
    expect(RecordingStart.safeParse({ patientId: jane.id, visitDate: '2026-02-30' }).success).toBe(false);
    expect(RecordingStart.parse({ patientId: jane.id, visitDate: '2026-02-28' })).toEqual({ patientId: jane.id, visitDate: '2026-02-28', visitLabel: '' });

    const audit = host.store.auditLog.records().filter((r) => r.recordType === 'recording');
    expect(audit.map((r) => [r.action, r.recordId])).toEqual([
      ['recording-start', rec!.id],
      ['recording-stop', rec!.id],
    ]);
    expect(audit[0]!.detail).toEqual({ patientId: jane.id, visitDate: '2026-03-04', devices: [depth.id] });
    expect(audit[1]!.detail).toMatchObject({ state: 'stopped', reason: 'stopped by the user', files: 1, bytes: rec!.bytesWritten, leftOut: [] });
    expect(host.store.auditLog.verify().ok).toBe(true);
  }, 60_000);
});
