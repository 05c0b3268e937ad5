/**
 * A depth-camera recording as a motion session of a patient's visit (issue
 * 21 §5/§7), through the service API as the transports call it.
 *
 * Generated ground truth (tests/helpers/depthSessionScene.ts): a depth
 * recording of a known flexion 0→30→0° (thirteen frames, 0.25 s apart, as
 * the device host's recorder writes them) and a PicoX recording of the same
 * movement from its IMU at T12 and S1, the depth recording started 6.3 s
 * after it (the lag that brings the IMU's times onto the depth's: −6.3 s).
 *
 * Checked: the import runs as a job and stores the file, the angle series
 * and the features (flexion ROM within 2° of 30°); trunkAngles gives the
 * depth angles; a restart keeps both files; compareAngles finds the lag
 * within 0.05 s and an RMS difference under 2°; refusals are sentences.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callService, createServices, type ServiceHost } from '../../electron/services/index.js';
import type { CallContext } from '../../electron/services/access.js';
import { SitePolicy } from '../../electron/services/policy.js';
import { parseCall } from '../../electron/platform/registry.js';
import type { Patient } from '../../capabilities/patients/contract.js';
import type { AngleComparison, DepthImportStarted, MotionSession, MotionSessionDetail, TrunkAnglesView } from '../../capabilities/motion/contract.js';
import { writePlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { analyseDepthRecording } from '../../capabilities/motion/depthSession.js';
import { DEPTH_START, DT, FRAMES, flexionAt, LAG, writeDepthSessionFiles } from '../helpers/depthSessionScene.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('motion-depth-session-');
let host: ServiceHost;
const PASSWORD = 'correct horse battery';
const call = async (ctx: CallContext, service: string, method: string, ...args: unknown[]) => {
  const parsed = parseCall(service, method, args);
  return callService(host, ctx, service, method, parsed.args);
};
const fail = async (p: Promise<unknown>): Promise<{ code: string; message: string }> =>
  p.then(
    () => ({ code: 'OK', message: '' }),
    (e: { code?: string; message: string }) => ({ code: e.code ?? 'NO CODE', message: e.message }),
  );
const admin: CallContext = { token: null },
  surgeon: CallContext = { token: null };

describeData('a depth recording as a motion session, compared with the IMU of the same visit', () => {
  let recording = '',
    imuFile = '',
    emgOnly = '';
  let patient: Patient;
  let depth: MotionSessionDetail;
  let imu: MotionSessionDetail;
  let importS = 0;

  beforeAll(async () => {
    host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', policy: SitePolicy.parse({ lockSeconds: 3600 }) });
    await call({ token: null }, 'users', 'create', { username: 'it', displayName: 'Hospital IT', role: 'administrator', password: PASSWORD });
    await call(admin, 'auth', 'login', 'it', PASSWORD);
    await call(admin, 'users', 'create', { username: 'dr.house', displayName: 'G. House', role: 'surgeon', password: PASSWORD });
    await call(surgeon, 'auth', 'login', 'dr.house', PASSWORD);
    patient = (await call(surgeon, 'patients', 'create', { displayName: 'Dee Pth', mrn: 'D-1' })) as Patient;

    const t0 = performance.now();
    ({ recording, imuFile, emgOnly } = await writeDepthSessionFiles(
      tmp.dir,
      dataPath('ct/totalseg_example_ct.nii.gz'),
      dataPath('ct/totalseg_example_ct_vertebra_labels.nii.gz'),
    ));
    console.log(`scene: ${FRAMES} depth frames rendered and written, IMU synthesised in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }, 120_000);
  afterAll(() => {
    host?.close();
    tmp.cleanup();
  });

  it('imports the depth recording as a job: the file, the angle series and the trunk features stored for the visit', async () => {
    const t0 = performance.now();
    const started = (await call(surgeon, 'motion', 'importTrial', {
      patientId: patient.id,
      path: recording,
      visitDate: '2026-12-01',
      visitLabel: 'follow-up',
    })) as DepthImportStarted;
    expect(started.fileName).toBe('depth-1_Depth.igs.mha');
    const { job } = await host.jobs.wait(started.jobId);
    importS = (performance.now() - t0) / 1000;
    expect(job.status, job.error?.message).toBe('done');
    expect(job.title).toBe('Depth recording import');
    depth = (await call(surgeon, 'motion', 'session', job.resultId!)) as MotionSessionDetail;
    const get = (n: string) => depth.features.find((f) => f.name === n)!;
    console.log(
      `depth import (${FRAMES} frames, ${((FRAMES - 1) * DT).toFixed(2)} s) in ${importS.toFixed(1)} s; flexion ROM ${get('depth.trunk_flexion_rom').value!.toFixed(2)}° (truth 30), peak velocity ${get('depth.trunk_flexion_peak_velocity').value!.toFixed(1)} °/s`,
    );
    expect(depth).toMatchObject({
      format: 'depth',
      fileName: 'depth-1_Depth.igs.mha',
      visitDate: '2026-12-01',
      visitLabel: 'follow-up',
      channels: [],
      points: 0,
    });
    expect(depth.durationS).toBeCloseTo(FRAMES * DT, 6);
    expect(depth.analogHz).toBeCloseTo(1 / DT, 6);
    expect(depth.bytes).toBe(fs.statSync(recording).size);
    expect(Math.abs(get('depth.trunk_flexion_rom').value! - 30)).toBeLessThan(2);
    expect(Math.abs(get('depth.trunk_flexion_max').value! - 30)).toBeLessThan(2);
    expect(get('depth.trunk_lateral_bending_rom').value!).toBeLessThan(3);
    expect(get('depth.trunk_flexion_rom')).toMatchObject({
      unit: '°',
      channel: 'depth camera',
      muscle: 'trunk',
      algorithm: 'orthotwin.trunk_depth',
      algorithmVersion: '1',
      flags: [],
    });
    expect(get('depth.trunk_flexion_rom').parameters).toMatchObject({
      framesTotal: FRAMES,
      framesUsed: FRAMES,
      framesSkipped: 0,
      referenceFrame: 0,
      personIndex: 0,
    });
    expect(get('depth.trunk_flexion_peak_velocity').unit).toBe('°/s');
    // the sampled truth's peak velocity by central differences: 15·√2 / 0.5 = 42.4 °/s
    expect(Math.abs(get('depth.trunk_flexion_peak_velocity').value! - 42.4)).toBeLessThan(8);
    // no lateral bending: its asymmetry index is flagged as within the noise
    expect(get('depth.trunk_lateral_bending_asymmetry')).toMatchObject({ unit: '%', side: 'bilateral', flags: ['under 2° to either side'] });
    expect(depth.featureCount).toBe(14);
    // the same analysis in this thread (what the job's worker computes, without its start): the time per frame, the same features
    const t1 = performance.now();
    const direct = analyseDepthRecording(recording, 'depth-1_Depth.igs.mha');
    const directS = (performance.now() - t1) / 1000;
    console.log(`depth analysis in this thread: ${directS.toFixed(2)} s, ${((1000 * directS) / FRAMES).toFixed(0)} ms per 848×480 frame`);
    expect(direct.features.map((f) => [f.name, f.value])).toEqual(depth.features.map((f) => [f.name, f.value]));
    const audit = host.store.db.prepare("SELECT record_id, detail FROM audit_log WHERE action = 'motion-import'").all() as {
      record_id: string;
      detail: string;
    }[];
    expect(audit.map((a) => a.record_id)).toEqual([depth.id]);
  }, 120_000);

  it('gives the depth angles as the trunk angles of the session, from the recording’s first frame', async () => {
    const v = (await call(surgeon, 'motion', 'trunkAngles', depth.id, 500)) as TrunkAnglesView;
    expect(v).toMatchObject({ upper: 'depth camera: upper back', lower: 'depth camera: lower back', reason: null });
    expect(v.t).toHaveLength(FRAMES);
    v.t.forEach((t, k) => expect(t).toBeCloseTo(k * DT, 6));
    v.flexion.forEach((f, k) => expect(Math.abs(f - flexionAt(k * DT, DEPTH_START)), `frame ${k}`).toBeLessThan(3));
    expect((await fail(call(surgeon, 'motion', 'channel', depth.id, 'EMG1', 500))).message).toBe(
      'depth-1_Depth.igs.mha is a depth-camera recording: it has trunk angles but no analog channels',
    );
  });

  it('compares the depth angles with the IMU’s of the same visit after time alignment: the lag within 0.05 s, RMS difference under 2°', async () => {
    imu = (await call(surgeon, 'motion', 'importTrial', {
      patientId: patient.id,
      path: imuFile,
      visitDate: '2026-12-01',
      visitLabel: 'follow-up',
    })) as MotionSessionDetail;
    expect(imu.features.some((f) => f.name === 'imu.trunk_flexion_rom')).toBe(true);
    const t0 = performance.now();
    const c = (await call(surgeon, 'motion', 'compareAngles', depth.id, imu.id)) as AngleComparison;
    const flex = c.perAngle.find((a) => a.angle === 'flexion')!;
    console.log(
      `comparison in ${(performance.now() - t0).toFixed(0)} ms: lag ${c.lagS.toFixed(3)} s (truth ${LAG}), correlation ${c.correlation.toFixed(3)}; ${c.perAngle
        .map((a) => `${a.angle} r ${a.correlation?.toFixed(3) ?? '—'} RMS ${a.rmsDeg?.toFixed(2)}°`)
        .join(', ')}`,
    );
    expect(Math.abs(c.lagS - LAG)).toBeLessThan(0.05);
    expect(flex.rmsDeg!).toBeLessThan(2);
    expect(flex.correlation!).toBeGreaterThan(0.98);
    for (const a of c.perAngle) expect(a.rmsDeg!).toBeLessThan(2);
    expect(c.samples).toBe(FRAMES);
    expect(c.reference).toBe('depth-1_Depth.igs.mha (visit 2026-12-01 follow-up)');
    expect(c.other).toBe('picox-1_Motion.c3d (visit 2026-12-01 follow-up)');
    expect(c.aligned.t).toHaveLength(FRAMES);
    expect(c.aligned.other.flexion.every((v) => v !== null)).toBe(true);
  });

  it('refuses a comparison without angles or across patients, with a sentence', async () => {
    const none = (await call(surgeon, 'motion', 'importTrial', { patientId: patient.id, path: emgOnly, visitDate: '2026-12-01' })) as MotionSessionDetail;
    const e1 = await fail(call(surgeon, 'motion', 'compareAngles', depth.id, none.id));
    expect(e1).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'picox-2_Motion.c3d (visit 2026-12-01) has no trunk angles from its IMU: fewer than two IMU sensors with a vertebral level',
    });
    const other = (await call(surgeon, 'patients', 'create', { displayName: 'O. Ther', mrn: 'D-2' })) as Patient;
    const theirs = (await call(surgeon, 'motion', 'importTrial', { patientId: other.id, path: imuFile, visitDate: '2026-12-01' })) as MotionSessionDetail;
    expect((await fail(call(surgeon, 'motion', 'compareAngles', depth.id, theirs.id))).message).toBe(
      'the two sessions are of different patients: trunk angles are compared within one patient’s sessions',
    );
    expect((await fail(call(surgeon, 'motion', 'compareAngles', depth.id, depth.id))).code).toBe('BAD_REQUEST');
  });

  it('a depth sequence that cannot be read fails its job with the file and the reason, and stores nothing', async () => {
    const us = path.join(tmp.dir, 'us_Image.igs.mha');
    writePlusSequence(us, {
      width: 4,
      height: 3,
      elementType: 'uint8',
      imageOrientation: 'MF',
      imageType: 'BRIGHTNESS',
      frames: [{ timestampS: 1, transforms: {}, fields: {} }],
      pixels: new Uint8Array(12),
    });
    const before = ((await call(surgeon, 'motion', 'sessions', patient.id)) as MotionSession[]).length;
    const started = (await call(surgeon, 'motion', 'importTrial', { patientId: patient.id, path: us, visitDate: '2026-12-01' })) as DepthImportStarted;
    const { job } = await host.jobs.wait(started.jobId);
    expect(job.status).toBe('failed');
    expect(job.error).toMatchObject({ code: 'IMPORT_UNSUPPORTED', message: expect.stringMatching(/^us_Image\.igs\.mha: not a depth sequence \(8-bit/) });
    expect(((await call(surgeon, 'motion', 'sessions', patient.id)) as MotionSession[]).length).toBe(before);
  });

  it('keeps the recording and its angles across a restart of the store (not orphans)', async () => {
    const dir = path.join(tmp.dir, 'data', 'store', 'motion', depth.id);
    expect(fs.readdirSync(dir).sort()).toEqual(['depth-1_Depth.igs.mha', 'depth-1_Depth.igs.mha.angles.json']);
    host.close();
    host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', policy: SitePolicy.parse({ lockSeconds: 3600 }) });
    await call(surgeon, 'auth', 'login', 'dr.house', PASSWORD);
    expect(fs.readdirSync(dir).sort()).toEqual(['depth-1_Depth.igs.mha', 'depth-1_Depth.igs.mha.angles.json']);
    const v = (await call(surgeon, 'motion', 'trunkAngles', depth.id, 500)) as TrunkAnglesView;
    expect(v.t).toHaveLength(FRAMES);
    const c = (await call(surgeon, 'motion', 'compareAngles', depth.id, imu.id)) as AngleComparison;
    expect(Math.abs(c.lagS - LAG)).toBeLessThan(0.05);
    console.log(`measured: depth import ${importS.toFixed(1)} s for ${FRAMES} frames`);
  });
});
