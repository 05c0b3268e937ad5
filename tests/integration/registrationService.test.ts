/**
 * Patient registrations as the app runs them (issue 5, items 2, 3 and 5):
 * a depth capture (generated from the example CT's own twin skin, see
 * tests/helpers/skinScene.ts) registered to the twin's skin by a job, stored
 * with its fit, overlap, covariance and predicted TRE; a set-up outside the
 * automatic search refused, then accepted from a 3-point coarse alignment;
 * TRE landmarks saved with a registration; the camera ↔ tracker calibration
 * stored with the setup; a fusion session written as one unit and re-opened.
 * Needs the shared data (the example CT).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { FusionSessions } from '../../capabilities/fusion/sessions.js';
import { decodeVtp } from '../../electron/io/mesh.js';
import type { Twin } from '../../capabilities/twins/contract.js';
import { cameraPrior, orientedSkin, skinWithoutCaps } from '../../electron/engine/registration/skin.js';
import { applyPoint, invertRigid, mul4, rigidFromRotationVector } from '../../math/rigid.js';
import { predictedTre } from '../../electron/engine/registration/icp.js';
import type { TriangleMesh } from '../../electron/engine/surface.js';
import { simulateView, writeAsciiPcd } from '../helpers/skinScene.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';
import { createPatient } from '../../capabilities/patients/repo.js';
import { getVolume } from '../../capabilities/studies/repo.js';
import { listTwins } from '../../capabilities/twins/repo.js';

describeData('registrations service on the example CT twin', () => {
  const tmp = tmpDir('reg-');
  let host: ServiceHost;
  let patientId: string;
  let twin: Twin;
  let skin: TriangleMesh;
  const run = async (req: Parameters<ServiceHost['impl']['registrations']['run']>[0]) => {
    const id = await host.impl.registrations.run(req);
    const { job } = await host.jobs.wait(id);
    return job;
  };
  /** Largest error (mm) of a camera → image transform at points of the body (the skin's centre, 60 mm deep). */
  const errorAt = (T: number[], truth: number[], x: number[]) =>
    Math.hypot(...applyPoint(mul4(T, invertRigid(truth)), x[0]!, x[1]!, x[2]!).map((v, k) => v - x[k]!));
  let centre: number[];

  beforeAll(async () => {
    host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli' });
    patientId = createPatient(host.store, { displayName: 'Fusion Patient', mrn: 'F1', birthDate: '', sex: '' }, 'test').id;
    const id = await host.impl.studies.import({ patientId, path: dataPath('ct/totalseg_example_ct.nii.gz'), strict: true, buildTwin: true });
    expect((await host.jobs.wait(id)).job.status).toBe('done');
    twin = listTwins(host.store, patientId)[0]!;
    const vol = getVolume(host.store, twin.volumeId);
    const art = twin.artefacts.find((a) => a.kind === 'skin-mesh' && a.format === 'vtp')!;
    skin = skinWithoutCaps(decodeVtp(fs.readFileSync(path.join(host.store.dataDir, art.relPath))), {
      dims: vol.dims,
      spacingMm: vol.spacingMm,
      originLps: vol.originLps,
      direction: vol.direction as never,
    });
    const p = orientedSkin(skin).points;
    centre = [0, 1, 2].map((k) => {
      let s = 0;
      for (let i = k; i < p.length; i += 3) s += p[i]!;
      return s / (p.length / 3);
    });
  }, 120_000);
  afterAll(() => {
    host.close();
    tmp.cleanup();
  });

  it('registers a depth capture of the back to the twin skin: stored with fit, overlap, covariance and predicted TRE; TRE landmarks saved with it', async () => {
    const nominal = cameraPrior(orientedSkin(skin).points, 'back');
    const view = simulateView(skin, nominal, 3);
    const file = path.join(tmp.dir, 'capture.pcd');
    writeAsciiPcd(file, view.cloud);
    const job = await run({ twinId: twin.id, cloudPath: file, view: 'back' });
    expect(job.error).toBeNull();
    const reg = await host.impl.registrations.get(job.resultId!);
    expect(reg).toMatchObject({
      patientId,
      twinId: twin.id,
      seriesId: twin.seriesId,
      method: 'skin-icp',
      refused: null,
      fromFrame: 'Camera',
      toFrame: 'Image',
    });
    expect(reg.sourcePath).toBe(file);
    expect(errorAt(reg.matrix, view.truth, centre)).toBeLessThan(3);
    expect(reg.overlap).toBeGreaterThan(0.5);
    expect(reg.residualRmsMm).toBeGreaterThan(0.2);
    expect(reg.predictedTreMm).toBeGreaterThan(0.3);
    expect(reg.predictedTreMm).toBeLessThan(5);
    // the stored covariance gives the same predicted TRE as the engine at the centre of the matched skin
    expect(predictedTre(reg, reg.centreLps)).toBeCloseTo(reg.predictedTreMm, 6);
    expect(reg.details['cameraSkinPoints']).toBeGreaterThan(1000);
    expect(reg.tre).toBeNull();
    // TRE landmarks: two pairs 1 mm and 2 mm apart
    const a: [number, number, number] = [10, 20, 30];
    const saved = await host.impl.registrations.addLandmarks(reg.id, [
      { ultrasoundLps: a, volumeLps: [11, 20, 30], volumeId: twin.volumeId },
      { ultrasoundLps: a, volumeLps: [10, 22, 30], volumeId: twin.volumeId },
    ]);
    expect(saved.landmarks.map((l) => l.distanceMm)).toEqual([1, 2]);
    expect(saved.tre).toEqual({ count: 2, meanMm: 1.5, rmsMm: Math.sqrt(2.5), maxMm: 2 });
    expect((await host.impl.registrations.list(patientId)).map((r) => r.id)).toContain(reg.id);
    await expect(
      Promise.resolve().then(() => host.impl.registrations.addLandmarks('nope', [{ ultrasoundLps: a, volumeLps: a, volumeId: twin.volumeId }])),
    ).rejects.toThrow(/no registration nope/);
  }, 120_000);

  it('a camera rolled 120° is refused automatically (stored with its reasons) and accepted from a 3-point coarse alignment', async () => {
    const rolled = mul4(cameraPrior(orientedSkin(skin).points, 'back'), rigidFromRotationVector([0, 0, (120 * Math.PI) / 180]));
    const view = simulateView(skin, rolled, 5, { maxRotDeg: 0, maxTransMm: 0 });
    const file = path.join(tmp.dir, 'rolled.pcd');
    writeAsciiPcd(file, view.cloud);
    const autoJob = await run({ twinId: twin.id, cloudPath: file, view: 'back' });
    const auto = await host.impl.registrations.get(autoJob.resultId!);
    const wrong = errorAt(auto.matrix, view.truth, centre);
    expect(auto.refused !== null || wrong > 10).toBe(true);
    if (auto.refused) expect(auto.refused.join(' ')).toMatch(/overlap|residual|TRE|ambiguous|constrain/);
    // three skin points clicked in the image and in the camera view, each off by ~5 mm
    const p = orientedSkin(skin).points;
    const n = p.length / 3;
    const image = [0.1, 0.5, 0.9].map((f) => {
      const i = Math.floor(f * n);
      return [p[3 * i]!, p[3 * i + 1]!, p[3 * i + 2]!] as [number, number, number];
    });
    const inv = invertRigid(view.truth);
    const camera = image.map((x, k) => applyPoint(inv, x[0] + (k === 0 ? 5 : 0), x[1], x[2] + (k === 2 ? -5 : 0)));
    const job = await run({ twinId: twin.id, cloudPath: file, view: 'back', points: { camera, image } });
    const reg = await host.impl.registrations.get(job.resultId!);
    expect(reg.method).toBe('skin-icp-3point');
    expect(reg.refused).toBeNull();
    expect(errorAt(reg.matrix, view.truth, centre)).toBeLessThan(3);
    expect(reg.details['threePointFreMm']).toBeGreaterThan(1);
  }, 120_000);

  it('a missing capture is a clear error; the camera ↔ tracker calibration is stored with the setup', async () => {
    await expect(
      Promise.resolve().then(() => host.impl.registrations.run({ twinId: twin.id, cloudPath: path.join(tmp.dir, 'none.pcd'), view: 'back' })),
    ).rejects.toThrow(/none\.pcd: no such depth capture/);
    const X = rigidFromRotationVector([0.4, -2.6, 0.3], [350, -120, 480]);
    const camera = Array.from({ length: 6 }, (_, i) => [-100 + 200 * (i % 2), -75 + 150 * ((i >> 1) % 2), 620 + 60 * (i >> 2)] as [number, number, number]);
    const tracker = camera.map((c) => applyPoint(X, c[0], c[1], c[2]));
    const rec = await host.impl.calibrations.cameraToTracker('Bay F', { method: 'paired-points', camera, tracker, sourcePath: 'fixture' });
    expect(rec).toMatchObject({ kind: 'CameraToTracker', fromFrame: 'Camera', toFrame: 'Tracker', method: 'paired-points' });
    expect(rec.errorMm!).toBeLessThan(1e-6);
    rec.matrix!.forEach((v, i) => expect(v).toBeCloseTo(X[i]!, 6));
    await expect(
      Promise.resolve().then(() =>
        host.impl.calibrations.cameraToTracker('Bay F', { method: 'paired-points', camera: camera.slice(0, 3), tracker: tracker.slice(0, 4), sourcePath: '' }),
      ),
    ).rejects.toThrow(/camera ↔ tracker calibration: 3 source points but 4 target points/);
  });

  it('a fusion session is written as one unit (session.json with the calibrations and registration in use), re-opened from a moved folder, and bad sessions are named', async () => {
    const reg = (await host.impl.registrations.list(patientId)).find((r) => r.refused === null)!;
    await host.impl.calibrations.importPlus('Bay S', dataPath('us/PlusDeviceSet_SpinePhantomFreehandReconstructionOnly.xml'));
    // the device host's recording, as it answers (the recorder itself is tested in recording.test.ts)
    let dir = '';
    const devices = {
      startRecording: async (d: string) => {
        dir = d;
        fs.mkdirSync(d, { recursive: true });
        return {
          state: 'recording' as const,
          dir: d,
          startedUs: 0,
          frames: 0,
          files: 0,
          bytes: 0,
          lastFiles: [],
          elapsedMs: 0,
          bytesWritten: 0,
          freeDiskBytes: null,
          minFreeBytes: 0,
          stopReason: null,
          devices: [],
          subject: null,
        };
      },
      stopRecording: async () => {
        fs.writeFileSync(path.join(dir, 'replay-1_Image.igs.mha'), 'x');
        return [{ path: path.join(dir, 'replay-1_Image.igs.mha'), device: 'replay-1', stream: 'image' as const, frames: 12 }];
      },
    };
    const sessions = new FusionSessions(host.store, devices, path.join(tmp.dir, 'sessions'), () => 'test');
    const started = await sessions.start({
      patientId,
      priorVolumeId: twin.volumeId,
      setup: 'Bay S',
      registrationId: reg.id,
      ultrasoundDevice: 'replay-1',
      probeTool: 'ProbeToTracker',
      referenceTool: '',
    });
    expect(started.calibrations.map((c) => c.kind).sort()).toEqual(['ImageToProbe', 'PhantomToReference']);
    expect(started.registration!.id).toBe(reg.id);
    const done = await sessions.stop();
    expect(done.files).toHaveLength(1);
    expect(done.stoppedAt).not.toBeNull();
    // a later calibration does not change the recorded session
    await host.impl.calibrations.importPlus('Bay S', dataPath('us/PlusDeviceSet_SpinePhantomFreehandReconstructionOnly.xml'));
    const moved = path.join(tmp.dir, 'moved-session');
    fs.renameSync(done.dir, moved);
    const opened = sessions.open(moved);
    expect(opened.dir).toBe(moved);
    expect(opened.files[0]!.path).toBe(path.join(moved, 'replay-1_Image.igs.mha'));
    expect(opened.calibrations.map((c) => c.id)).toEqual(started.calibrations.map((c) => c.id));
    expect(opened.registration).toEqual(started.registration);
    await expect(sessions.stop()).rejects.toThrow(/no fusion session is being recorded/);
    fs.rmSync(path.join(moved, 'replay-1_Image.igs.mha'));
    expect(() => sessions.open(moved)).toThrow(/session\.json: recorded file\(s\) missing: replay-1_Image\.igs\.mha/);
    fs.writeFileSync(path.join(moved, 'session.json'), '{"version": 2}');
    expect(() => sessions.open(path.join(moved, 'session.json'))).toThrow(/session\.json: not a fusion session \(version/);
    expect(() => sessions.open(path.join(tmp.dir, 'nowhere'))).toThrow(/nowhere: no such session \(session\.json\)/);
  });
});
