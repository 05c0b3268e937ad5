/**
 * Motion lab sessions (issue 21 §7, must-show 7's service side), through the
 * service API as the transports call it: the real 2000 Hz trial
 * (`emg/markers_analogs.c3d`) imported into a patient's visit stores its
 * file and one row per sEMG feature and channel (value, unit, channel,
 * muscle, side, level, algorithm and version, every parameter); the stored
 * values agree with the features of the capture software's own CSV export of
 * the same trial (`emg/analogs.csv`, an independent reader's input); the
 * all-zero channels are flagged; a recording of OrthoTwin's lumbar protocol
 * gives sites and bilateral symmetry per level; the plot data come from the
 * store's copy; a bad file stores nothing and names the file; a researcher
 * sees no visit date or file name and may not import; imports are audited.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callService, createServices, type ServiceHost } from '../../electron/services/index.js';
import type { CallContext } from '../../electron/services/access.js';
import { SitePolicy } from '../../electron/services/policy.js';
import { parseCall } from '../../electron/platform/registry.js';
import type { Patient } from '../../capabilities/patients/contract.js';
import type { ChannelView, MotionSession, MotionSessionDetail, OpenSimFile } from '../../capabilities/motion/contract.js';
import { readStorage } from '../../electron/io/opensim.js';
import { parseAnalogCsv } from '../../capabilities/motion/analogCsv.js';
import { emgFeatures } from '../../electron/engine/signals/emg.js';
import { motionC3d } from '../../electron/devicehost/recorder.js';
import { writeC3d } from '../../electron/io/c3d.js';
import { lumbarAssignment } from '../../electron/contract/devices.js';
import { rng } from '../../math/random.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('motion-sessions-');
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
  surgeon: CallContext = { token: null },
  research: CallContext = { token: null };

describeData('motion sessions of a patient’s visits', () => {
  let patient: Patient;
  let trial: MotionSessionDetail;
  beforeAll(async () => {
    host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', policy: SitePolicy.parse({ lockSeconds: 3600 }) });
    await call({ token: null }, 'users', 'create', { username: 'it', displayName: 'Hospital IT', role: 'administrator', password: PASSWORD });
    await call(admin, 'auth', 'login', 'it', PASSWORD);
    await call(admin, 'users', 'create', { username: 'dr.house', displayName: 'G. House', role: 'surgeon', password: PASSWORD });
    await call(admin, 'users', 'create', { username: 'res', displayName: 'R. Searcher', role: 'researcher', password: PASSWORD });
    await call(surgeon, 'auth', 'login', 'dr.house', PASSWORD);
    await call(research, 'auth', 'login', 'res', PASSWORD);
    patient = (await call(surgeon, 'patients', 'create', { displayName: 'Mo Tion', mrn: 'M-1' })) as Patient;
    trial = (await call(surgeon, 'motion', 'importTrial', {
      patientId: patient.id,
      path: dataPath('emg/markers_analogs.c3d'),
      visitDate: '2026-11-02',
      visitLabel: 'baseline',
    })) as MotionSessionDetail;
  }, 120_000);
  afterAll(() => {
    host?.close();
    tmp.cleanup();
  });

  it('stores the trial, its channels and one row per sEMG feature and channel', () => {
    expect(trial.format).toBe('c3d');
    expect(trial.analogHz).toBe(2000);
    expect(trial.durationS).toBeCloseTo(11600 / 2000, 9);
    expect(trial.points).toBe(51);
    expect(trial.channels).toHaveLength(38);
    const emg = trial.channels.filter((c) => c.kind === 'emg');
    expect(emg).toHaveLength(32); // 16 surface + 16 intramuscular; the six Voltage.n channels are other analogs
    expect(trial.channels.find((c) => c.label === 'Delt_ant.EMG1')).toMatchObject({ kind: 'emg', muscle: 'Delt_ant', side: '', level: '' });
    expect(trial.channels.find((c) => c.label === 'Sensor 12.EMG12')).toMatchObject({ kind: 'emg', muscle: '' });
    expect(trial.channels.find((c) => c.label === 'Voltage.1')!.kind).toBe('other');
    expect(trial.features).toHaveLength(32 * 5);
    expect(trial.featureCount).toBe(160);
    const rms = trial.features.find((f) => f.name === 'emg.rms' && f.channel === 'Delt_ant.EMG1')!;
    expect(rms).toMatchObject({ unit: 'V', muscle: 'Delt_ant', algorithm: 'orthotwin.emg', algorithmVersion: '1', flags: [] });
    // every parameter is stored with the value, the defaults of issue 21 §3
    expect(rms.parameters).toMatchObject({ bandpassLowHz: 20, bandpassHighHz: 450, bandpassOrder: 4, notchHz: null, welchNperseg: 1024, welchNoverlap: 512 });
    expect(rms.parameters['fatigueWindowS']).toBe(1);
    expect(rms.parameters['fatigueStepS']).toBe(0.5);
    expect(new Set(trial.features.map((f) => f.unit))).toEqual(new Set(['V·s', 'V', 'Hz', 'Hz/s']));
  });

  it('flags a fatigue slope over rest and contraction, and a channel at noise level', () => {
    const flagsOf = (ch: string, name: string) => trial.features.find((f) => f.channel === ch && f.name === name)!.flags;
    // Biceps.EMG4 fires around 0.6–0.75 s of the 5.8 s trial: its MDF slope is not a fatigue index
    expect(flagsOf('Biceps.EMG4', 'emg.mdf_slope').join()).toMatch(/^not one sustained contraction \(active in \d+ of 10 windows\)$/);
    expect(flagsOf('Biceps.EMG4', 'emg.rms')).toEqual([]);
    const low = trial.features.filter((f) => f.name === 'emg.rms' && !f.flags.includes('flat') && f.value! < 5e-6);
    expect(low.length, 'channels under 5 µV RMS').toBeGreaterThan(0);
    for (const f of low) expect(f.flags).toContain('low signal (RMS under 5 µV)');
  });

  it('agrees with the features of the capture software’s CSV export of the same trial', () => {
    const csv = parseAnalogCsv(fs.readFileSync(dataPath('emg/analogs.csv'), 'utf8'));
    let compared = 0,
      flat = 0;
    for (const c of csv) {
      if (!/EMG\d+$/.test(c.label)) continue;
      // the CSV says EMG1, the C3D Delt_ant.EMG1 (IM EMG1 / Sensor 1.IM EMG1)
      const stored = trial.features.filter((f) => f.channel.endsWith(`.${c.label}`));
      expect(stored, c.label).toHaveLength(5);
      const ref = emgFeatures(c.samples, c.rateHz);
      const get = (n: string) => stored.find((f) => f.name === n)!;
      expect(get('emg.rms').flags.includes('flat')).toBe(ref.flat);
      if (ref.flat) {
        flat++;
        expect(get('emg.mdf').value).toBeNull();
        expect(get('emg.rms').value).toBe(0);
        continue;
      }
      // the CSV rounds to 1e-7 V-ish digits: amplitudes agree to 1e-4 relative, frequencies to 0.5 Hz
      expect(Math.abs(get('emg.rms').value! - ref.rmsV) / ref.rmsV, `${c.label} RMS`).toBeLessThan(1e-3);
      expect(Math.abs(get('emg.iemg').value! - ref.iemgVs) / ref.iemgVs, `${c.label} IEMG`).toBeLessThan(1e-3);
      expect(Math.abs(get('emg.mdf').value! - ref.mdfHz!), `${c.label} MDF`).toBeLessThan(0.5);
      expect(Math.abs(get('emg.mnf').value! - ref.mnfHz!), `${c.label} MNF`).toBeLessThan(0.5);
      compared++;
    }
    expect(compared + flat).toBe(32);
    expect(flat, 'the trial’s unconnected channels are flagged flat').toBeGreaterThan(0);
  });

  it('lists the patient’s sessions per visit, audits the import, and hides the visit from a researcher', async () => {
    const list = (await call(surgeon, 'motion', 'sessions', patient.id)) as MotionSession[];
    expect(list.map((s) => [s.id, s.visitDate, s.visitLabel, s.fileName])).toEqual([[trial.id, '2026-11-02', 'baseline', 'markers_analogs.c3d']]);
    const r = (await call(research, 'motion', 'sessions', patient.id)) as MotionSession[];
    expect(r[0]).toMatchObject({ visitDate: '', fileName: '', featureCount: 160 });
    const refused = await fail(
      call(research, 'motion', 'importTrial', { patientId: patient.id, path: dataPath('emg/markers_analogs.c3d'), visitDate: '2026-11-02' }),
    );
    expect(refused.code).toBe('FORBIDDEN');
    const audit = host.store.db.prepare("SELECT actor, record_id FROM audit_log WHERE action = 'motion-import'").all() as {
      actor: string;
      record_id: string;
    }[];
    expect(audit).toEqual([{ actor: 'dr.house', record_id: trial.id }]);
  });

  it('gives a channel’s plot data from the store’s copy: raw extremes, envelope, PSD, MDF windows and the stored slope', async () => {
    const v = (await call(surgeon, 'motion', 'channel', trial.id, 'Delt_ant.EMG1', 1000)) as ChannelView;
    expect(v.samples).toBe(11600);
    expect(v.raw.t.length).toBeLessThanOrEqual(1000);
    expect(v.raw.t.length).toBeGreaterThan(900);
    for (let i = 0; i < v.raw.t.length; i++) expect(v.raw.min[i]!).toBeLessThanOrEqual(v.raw.max[i]!);
    expect(v.envelope).toHaveLength(v.raw.t.length);
    expect(v.psd!.f[0]).toBe(0);
    expect(v.psd!.f.at(-1)!).toBeLessThanOrEqual(500);
    expect(v.psd!.f[1]! - v.psd!.f[0]!).toBeCloseTo(2000 / 1024, 9);
    // 5.8 s → windows of 1 s every 0.5 s: 10 windows centred at 0.5 … 5.0 s
    expect(v.mdf!.t).toHaveLength(10);
    expect(v.mdf!.t[0]).toBeCloseTo(0.5, 9);
    const slope = trial.features.find((f) => f.name === 'emg.mdf_slope' && f.channel === 'Delt_ant.EMG1')!.value;
    expect(v.mdf!.slopeHzPerS).toBeCloseTo(slope!, 9);
    const other = (await call(surgeon, 'motion', 'channel', trial.id, 'Voltage.1', 500)) as ChannelView;
    expect(other.psd).toBeNull();
    expect((await fail(call(surgeon, 'motion', 'channel', trial.id, 'EMG99', 500))).message).toContain('markers_analogs.c3d has no channel EMG99');
  });

  it('reads a recording of the lumbar protocol: sites from the descriptions and the bilateral symmetry per level', async () => {
    // four sEMG channels as the device host records them (erector spinae L4 left/right, L2 left/right), right louder at L4
    const n = 4000,
      rand = rng(7);
    const channels = lumbarAssignment(4).map((a) => ({ label: a.label, unit: 'V', description: [a.muscle, a.level, a.side].join(' ') }));
    const gains = [1e-4, 2e-4, 1e-4, 1e-4];
    const data = new Float32Array(4 * n);
    for (let c = 0; c < 4; c++) for (let i = 0; i < n; i++) data[c * n + i] = gains[c]! * (rand() - 0.5);
    const file = path.join(tmp.dir, 'picox_Motion.c3d');
    // recorded from the PicoX simulator: the file says so (ORTHOTWIN:SIMULATED)
    fs.writeFileSync(
      file,
      writeC3d(motionC3d({ channels, rateHz: 2000, blocks: [{ firstIndex: 0, count: n, data }], samples: n }, undefined, { simulated: true })),
    );
    const s = (await call(surgeon, 'motion', 'importTrial', { patientId: patient.id, path: file, visitDate: '2026-12-01' })) as MotionSessionDetail;
    expect(s.channels.map((c) => [c.label, c.muscle, c.level, c.side])).toEqual([
      ['EMG1', 'erector spinae', 'L4', 'left'],
      ['EMG2', 'erector spinae', 'L4', 'right'],
      ['EMG3', 'erector spinae', 'L2', 'left'],
      ['EMG4', 'erector spinae', 'L2', 'right'],
    ]);
    const rmsOf = (ch: string) => s.features.find((f) => f.name === 'emg.rms' && f.channel === ch)!.value!;
    const si = s.features.filter((f) => f.name === 'emg.symmetry_rms');
    expect(si.map((f) => [f.level, f.channel, f.side, f.unit])).toEqual([
      ['L4', 'EMG1/EMG2', 'bilateral', '%'],
      ['L2', 'EMG3/EMG4', 'bilateral', '%'],
    ]);
    // SI = 100 (R − L) / (0.5 (R + L)): the right side twice as loud at L4 gives about +67 %
    expect(si[0]!.value).toBeCloseTo((100 * (rmsOf('EMG2') - rmsOf('EMG1'))) / (0.5 * (rmsOf('EMG2') + rmsOf('EMG1'))), 9);
    expect(si[0]!.value!).toBeGreaterThan(55);
    expect(Math.abs(si[1]!.value!)).toBeLessThan(15);
    // a simulator's recording is marked on the session and on every feature
    expect(s.simulated).toBe(true);
    expect(trial.simulated).toBe(false);
    expect(s.features.every((f) => f.flags.includes('simulated'))).toBe(true);
    // the same file again for this patient: refused, nothing stored
    const again = await fail(call(surgeon, 'motion', 'importTrial', { patientId: patient.id, path: file, visitDate: '2026-12-02' }));
    expect(again.code).toBe('CONFLICT');
    expect(again.message).toBe('picox_Motion.c3d: this file is already a session of the patient (picox_Motion.c3d, visit 2026-12-01): nothing was imported');
    // newest visit first
    const list = (await call(surgeon, 'motion', 'sessions', patient.id)) as MotionSession[];
    expect(list.map((x) => x.visitDate)).toEqual(['2026-12-01', '2026-11-02']);
  });

  it('exports the sEMG envelopes as an OpenSim .mot that OpenSim’s layout reads back', async () => {
    const f = (await call(surgeon, 'motion', 'exportOpenSim', trial.id, 'mot')) as OpenSimFile;
    expect(f.fileName).toBe('markers_analogs_emg_envelope.mot');
    const st = readStorage(f.text, f.fileName);
    expect(st.header['version']).toBe('1');
    expect(st.inDegrees).toBe(false);
    // 11600 samples at 2000 Hz → 580 rows at 100 Hz; time + 32 sEMG columns, labels without white space
    expect(f.rows).toBe(580);
    expect(st.timeS).toHaveLength(580);
    expect(st.timeS[1]).toBeCloseTo(0.01, 12);
    expect(st.columns.map((c) => c.label)).toEqual(expect.arrayContaining(['Sensor_12.EMG12', 'Sensor_1.IM_EMG1', 'Delt_ant.EMG1']));
    expect(st.columns).toHaveLength(32);
    const csv = parseAnalogCsv(fs.readFileSync(dataPath('emg/analogs.csv'), 'utf8')).find((c) => c.label === 'EMG1')!;
    const env = emgFeatures(csv.samples, 2000).signals.envelope;
    const col = st.columns.find((c) => c.label === 'Delt_ant.EMG1')!;
    expect(Math.min(...st.columns.flatMap((c) => [...c.values])), 'envelopes are not negative').toBeGreaterThanOrEqual(0);
    for (const k of [0, 100, 333, 579]) expect(Math.abs(col.values[k]! - Math.max(0, env[k * 20]!))).toBeLessThan(2e-5 * Math.max(...env)); // the CSV's rounding and the file's float32 digits;
  });

  it('keeps the trial file across a restart of the store (not an orphan) and reads its channels from it', async () => {
    host.close();
    host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', policy: SitePolicy.parse({ lockSeconds: 3600 }) });
    await call(surgeon, 'auth', 'login', 'dr.house', PASSWORD);
    await call(research, 'auth', 'login', 'res', PASSWORD);
    const v = (await call(surgeon, 'motion', 'channel', trial.id, 'Delt_ant.EMG1', 500)) as ChannelView;
    expect(v.samples).toBe(11600);
  });

  it('stores nothing for a bad file and names it', async () => {
    const bad = path.join(tmp.dir, 'cut.c3d');
    fs.writeFileSync(bad, fs.readFileSync(dataPath('emg/markers_analogs.c3d')).subarray(0, 300));
    const before = ((await call(surgeon, 'motion', 'sessions', patient.id)) as MotionSession[]).length;
    const e = await fail(call(surgeon, 'motion', 'importTrial', { patientId: patient.id, path: bad, visitDate: '2026-12-02' }));
    expect(e.code).toBe('IMPORT_TRUNCATED');
    expect(e.message).toContain('cut.c3d');
    const csv = path.join(tmp.dir, 'notes.csv');
    fs.writeFileSync(csv, 'a,b\n1,2\n');
    expect((await fail(call(surgeon, 'motion', 'importTrial', { patientId: patient.id, path: csv, visitDate: '2026-12-02' }))).message).toMatch(
      /^notes\.csv: /,
    );
    const missing = await fail(
      call(surgeon, 'motion', 'importTrial', { patientId: patient.id, path: path.join(tmp.dir, 'nope.c3d'), visitDate: '2026-12-02' }),
    );
    expect(missing.message).toContain('nope.c3d: cannot read the file (ENOENT)');
    expect(((await call(surgeon, 'motion', 'sessions', patient.id)) as MotionSession[]).length).toBe(before);
    expect(fs.readdirSync(path.join(tmp.dir, 'data', 'store', 'motion'))).toHaveLength(before);
    expect((await fail(call(surgeon, 'motion', 'importTrial', { patientId: patient.id, path: bad, visitDate: '2026-13-02' }))).code).toBe('BAD_REQUEST');
    const future = await fail(call(surgeon, 'motion', 'importTrial', { patientId: patient.id, path: bad, visitDate: '2099-01-01' }));
    expect(future.message).toContain('the visit date must be between 1900 and today');
  });
});
