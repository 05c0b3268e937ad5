/**
 * Right patient, right data (issue 20 §1) through the service API as the
 * transports call it: a patient ID already in use is refused naming its
 * patient (at creation and in records.edit); a namesake born the same day
 * is created only with `confirmDuplicate` (audited); the patient search
 * ignores case and accents and matches IDs; too long names and IDs are
 * refused with a sentence; a scan says which series are already in the
 * patient (DICOM SeriesInstanceUID, a volume file's content hash).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callService, createServices, type ServiceHost } from '../../electron/services/index.js';
import type { CallContext } from '../../electron/services/access.js';
import { SitePolicy } from '../../electron/services/policy.js';
import { parseCall } from '../../electron/platform/registry.js';
import type { Patient, PatientDuplicates } from '../../capabilities/patients/contract.js';
import type { ScanResult } from '../../capabilities/studies/contract.js';
import { listStudies } from '../../capabilities/studies/repo.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('duplicates-');
let host: ServiceHost;
const PASSWORD = 'correct horse battery';
const call = async (ctx: CallContext, service: string, method: string, ...args: unknown[]) =>
  callService(host, ctx, service, method, parseCall(service, method, args).args);
const fail = async (p: Promise<unknown>): Promise<{ code: string; message: string }> =>
  p.then(
    () => ({ code: 'OK', message: '' }),
    (e: { code?: string; message: string }) => ({ code: e.code ?? 'NO CODE', message: e.message }),
  );
const admin: CallContext = { token: null },
  surgeon: CallContext = { token: null },
  research: CallContext = { token: null };
const audits = (action: string) => host.store.auditLog.records().filter((r) => r.action === action);
const names = (list: unknown) => (list as Patient[]).map((p) => p.displayName);

beforeAll(async () => {
  host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', policy: SitePolicy.parse({ lockSeconds: 3600 }) });
  const nobody: CallContext = { token: null };
  await call(nobody, 'users', 'create', { username: 'it', displayName: 'Hospital IT', role: 'administrator', password: PASSWORD });
  await call(admin, 'auth', 'login', 'it', PASSWORD);
  await call(admin, 'users', 'create', { username: 'dr.house', displayName: 'dr.house', role: 'surgeon', password: PASSWORD });
  await call(admin, 'users', 'create', { username: 'res', displayName: 'res', role: 'researcher', password: PASSWORD });
  await call(surgeon, 'auth', 'login', 'dr.house', PASSWORD);
  await call(research, 'auth', 'login', 'res', PASSWORD);
});
afterAll(() => {
  host.close();
  tmp.cleanup();
});

describe('duplicate patients', () => {
  let jane: Patient;
  beforeAll(async () => {
    jane = (await call(surgeon, 'patients', 'create', { displayName: 'Jane Roe', mrn: 'MRN-1', birthDate: '1961-02-03', sex: 'F' })) as Patient;
  });

  it('an ID already in use is refused with a sentence naming its patient (case and spacing ignored); nothing is created', async () => {
    for (const mrn of ['MRN-1', ' mrn-1 ']) {
      const r = await fail(call(surgeon, 'patients', 'create', { displayName: 'John Doe', mrn, birthDate: '1970-01-01', sex: 'M' }));
      expect(r.code).toBe('CONFLICT');
      expect(r.message).toMatch(/^ID (MRN-1|mrn-1) is already Jane Roe's \(born 3 Feb 1961\)/);
    }
    // confirmDuplicate does not override an ID in use
    const forced = await fail(call(surgeon, 'patients', 'create', { displayName: 'John Doe', mrn: 'MRN-1', confirmDuplicate: true }));
    expect(forced.code).toBe('CONFLICT');
    expect(names(await call(surgeon, 'patients', 'list', ''))).toEqual(['Jane Roe']);
    const d = (await call(surgeon, 'patients', 'duplicates', { displayName: 'John Doe', mrn: 'mrn-1', birthDate: '' })) as PatientDuplicates;
    expect(d.sameId?.id).toBe(jane.id);
    expect(d.sameNameAndBirthDate).toEqual([]);
  });

  it('a namesake born the same day (no ID, another ID, accents and case aside) asks for confirmDuplicate, which is audited', async () => {
    for (const p of [
      { displayName: 'Jane Roe', birthDate: '1961-02-03' },
      { displayName: 'JÁNE  roe', mrn: 'MRN-2', birthDate: '1961-02-03' },
    ]) {
      const r = await fail(call(surgeon, 'patients', 'create', p));
      expect(r.code).toBe('CONFLICT');
      expect(r.message).toMatch(/born 3 Feb 1961 may already have a record \(Jane Roe, ID MRN-1, born 3 Feb 1961\)/);
      const d = (await call(surgeon, 'patients', 'duplicates', p)) as PatientDuplicates;
      expect(d.sameId).toBeNull();
      expect(d.sameNameAndBirthDate.map((x) => x.id)).toEqual([jane.id]);
    }
    // another birth date: no question; none (nothing to tell them apart), or the words in another order: asked
    const other = (await call(surgeon, 'patients', 'duplicates', { displayName: 'Jane Roe', birthDate: '1961-02-04' })) as PatientDuplicates;
    expect(other).toEqual({ sameId: null, sameNameAndBirthDate: [] });
    for (const displayName of ['Jane Roe', 'Roe, Jane', 'ROE^JANE', ' roe ,  jane '])
      expect(((await call(surgeon, 'patients', 'duplicates', { displayName })) as PatientDuplicates).sameNameAndBirthDate.map((x) => x.id)).toEqual([jane.id]);
    const noDate = await fail(call(surgeon, 'patients', 'create', { displayName: 'Roe, Jane' }));
    expect(noDate).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/^Roe, Jane may already have a record \(Jane Roe, ID MRN-1, born 3 Feb 1961\)/),
    });
    expect(audits('duplicate-override')).toEqual([]);
    const twin = (await call(surgeon, 'patients', 'create', {
      displayName: 'Jane Roe',
      mrn: 'MRN-2',
      birthDate: '1961-02-03',
      confirmDuplicate: true,
    })) as Patient;
    expect(audits('duplicate-override').map((r) => [r.actor, r.recordType, r.recordId, r.detail])).toEqual([
      ['dr.house', 'patient', twin.id, { of: [jane.id] }],
    ]);
    // a confirmDuplicate with no duplicate is not audited
    await call(surgeon, 'patients', 'create', { displayName: 'Solo Person', birthDate: '1990-09-09', confirmDuplicate: true });
    expect(audits('duplicate-override')).toHaveLength(1);
  });

  it("records.edit refuses another patient's ID the same way; the patient's own ID and a free one are accepted", async () => {
    const john = (await call(surgeon, 'patients', 'create', { displayName: 'John Doe', mrn: 'J-7', birthDate: '1970-01-01', sex: 'M' })) as Patient;
    const r = await fail(call(surgeon, 'records', 'edit', { kind: 'patient', id: john.id, mrn: 'mrn-1' }));
    expect(r).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/^ID mrn-1 is already Jane Roe's \(born 3 Feb 1961\)/) });
    expect(((await call(surgeon, 'patients', 'get', john.id)) as Patient).mrn).toBe('J-7');
    expect(await call(surgeon, 'records', 'edit', { kind: 'patient', id: jane.id, mrn: 'MRN-1', displayName: 'Jane Roe' })).toMatchObject({ changed: [] });
    expect(await call(surgeon, 'records', 'edit', { kind: 'patient', id: john.id, mrn: 'J-8' })).toMatchObject({ changed: ['mrn'] });
  });

  it('a patient in the trash does not hold its ID: it can be given to a new record', async () => {
    const old = (await call(surgeon, 'patients', 'create', { displayName: 'Trashed Person', mrn: 'T-1' })) as Patient;
    await call(surgeon, 'records', 'trash', 'patient', old.id);
    const again = (await call(surgeon, 'patients', 'create', { displayName: 'Trashed Person', mrn: 'T-1' })) as Patient;
    expect(again.mrn).toBe('T-1');
  });
});

describe('patient search', () => {
  beforeAll(async () => {
    await call(surgeon, 'patients', 'create', { displayName: 'Hans Müller', mrn: 'MÜ-100', birthDate: '1950-05-05' });
    await call(surgeon, 'patients', 'create', { displayName: 'José Álvarez', mrn: 'ES-200' });
    // a name in decomposed form (as some keyboards and DICOM files write it) is found by the composed query too
    await call(surgeon, 'patients', 'create', { displayName: 'Zoe\u0301 Dupont', mrn: 'FR-300' });
  });

  it('ignores case and accents on both sides, and matches the ID', async () => {
    expect(names(await call(surgeon, 'patients', 'list', 'Muller'))).toEqual(['Hans Müller']);
    expect(names(await call(surgeon, 'patients', 'list', 'MÜLLER'))).toEqual(['Hans Müller']);
    expect(names(await call(surgeon, 'patients', 'list', 'jose'))).toEqual(['José Álvarez']);
    expect(names(await call(surgeon, 'patients', 'list', 'alvarez'))).toEqual(['José Álvarez']);
    expect(names(await call(surgeon, 'patients', 'list', 'zoé'))).toEqual(['Zoe\u0301 Dupont']);
    expect(names(await call(surgeon, 'patients', 'list', 'es-2'))).toEqual(['José Álvarez']);
    expect(names(await call(surgeon, 'patients', 'list', 'mu-1'))).toEqual(['Hans Müller']);
    expect(names(await call(surgeon, 'patients', 'list', '%'))).toEqual([]);
  });

  it('finds the words of the query in any order, as names are written "Quinn, Ava" or DICOM\'s "QUINN^ADA"', async () => {
    await call(surgeon, 'patients', 'create', { displayName: 'Quinn, Ava', mrn: 'US-400' });
    await call(surgeon, 'patients', 'create', { displayName: 'QUINN^ADA', mrn: 'US-401' });
    expect(names(await call(surgeon, 'patients', 'list', 'ava quinn'))).toEqual(['Quinn, Ava']);
    expect(names(await call(surgeon, 'patients', 'list', 'Quinn Ava'))).toEqual(['Quinn, Ava']);
    expect(names(await call(surgeon, 'patients', 'list', 'ada quinn'))).toEqual(['QUINN^ADA']);
    expect(names(await call(surgeon, 'patients', 'list', 'quinn'))).toEqual(['Quinn, Ava', 'QUINN^ADA']);
    // a word and an ID together; a word that is in no field finds nobody
    expect(names(await call(surgeon, 'patients', 'list', 'ava us-400'))).toEqual(['Quinn, Ava']);
    expect(names(await call(surgeon, 'patients', 'list', 'ava smith'))).toEqual([]);
  });

  it('a researcher still finds pseudonyms only, never by a real name or ID', async () => {
    expect(await call(research, 'patients', 'list', 'muller')).toEqual([]);
    expect(await call(research, 'patients', 'list', 'ES-200')).toEqual([]);
    expect(((await call(research, 'patients', 'list', 'subject')) as Patient[]).length).toBeGreaterThan(3);
  });
});

describe('long input', () => {
  it('a 300-character name and a 65-character ID are refused with a sentence saying the limit', async () => {
    const r = await fail(call(surgeon, 'patients', 'create', { displayName: 'N'.repeat(300) }));
    expect(r.code).toBe('BAD_REQUEST');
    expect(r.message).toContain('The name is too long: 300 characters, at most 200.');
    const m = await fail(call(surgeon, 'patients', 'create', { displayName: 'Long Id', mrn: '7'.repeat(65) }));
    expect(m.message).toContain('The patient ID is too long: 65 characters, at most 64.');
    // exactly at the limits: accepted
    const p = (await call(surgeon, 'patients', 'create', { displayName: 'N'.repeat(200), mrn: '7'.repeat(64) })) as Patient;
    expect([p.displayName.length, p.mrn.length]).toEqual([200, 64]);
    const e = await fail(call(surgeon, 'records', 'edit', { kind: 'patient', id: p.id, displayName: 'E'.repeat(201) }));
    expect(e.message).toContain('The name is too long: 201 characters, at most 200.');
  });
});

describeData('a series already in the patient', () => {
  const alreadyOf = (scan: ScanResult) => scan.patients.flatMap((p) => p.studies.flatMap((st) => st.series.map((se) => se.alreadyImported ?? null)));

  it('a volume file: found by its content (SHA-256) at another path, only in its own patient, not from the trash', async () => {
    const ct = dataPath('ct/totalseg_example_ct.nii.gz');
    const p = (await call(surgeon, 'patients', 'create', { displayName: 'Import Twice', mrn: 'I-2' })) as Patient;
    const other = (await call(surgeon, 'patients', 'create', { displayName: 'Someone Else', mrn: 'I-3' })) as Patient;
    const first = (await call(surgeon, 'studies', 'scan', ct, p.id)) as ScanResult;
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(alreadyOf(first)).toEqual([null]);
    const { job } = await host.jobs.wait((await call(surgeon, 'studies', 'import', { patientId: p.id, path: ct, buildTwin: false })) as string);
    expect(job.status).toBe('done');
    const series = listStudies(host.store, p.id)[0]!.series[0]!;
    // a copy under another name and folder is the same file
    const copy = path.join(tmp.dir, 'copy', 'renamed.nii.gz');
    fs.mkdirSync(path.dirname(copy));
    fs.copyFileSync(ct, copy);
    const again = (await call(surgeon, 'studies', 'scan', copy, p.id)) as ScanResult;
    expect(again.sha256).toBe(first.sha256);
    const found = alreadyOf(again)[0];
    expect(found).toMatchObject({ seriesId: series.id, modality: 'CT', description: series.description });
    expect(Date.parse(found!.importedAt)).toBeGreaterThan(Date.now() - 600_000);
    // another patient: not theirs; no patient: not asked
    expect(alreadyOf((await call(surgeon, 'studies', 'scan', copy, other.id)) as ScanResult)).toEqual([null]);
    expect(alreadyOf((await call(surgeon, 'studies', 'scan', copy)) as ScanResult)).toEqual([null]);
    // importing again stays possible (the user says so in the UI): a second series
    const second = await host.jobs.wait((await call(surgeon, 'studies', 'import', { patientId: p.id, path: copy, buildTwin: false })) as string);
    expect(second.job.status).toBe('done');
    expect(listStudies(host.store, p.id).flatMap((s) => s.series)).toHaveLength(2);
    // both in the trash: the file is no longer in the patient
    for (const se of listStudies(host.store, p.id).flatMap((s) => s.series)) await call(surgeon, 'records', 'trash', 'series', se.id);
    expect(alreadyOf((await call(surgeon, 'studies', 'scan', ct, p.id)) as ScanResult)).toEqual([null]);
  });

  it('a DICOM series: found by its SeriesInstanceUID; one without a UID (anonymised) by its folder', async () => {
    const p = (await call(surgeon, 'patients', 'create', { displayName: 'Dicom Twice' })) as Patient;
    for (const src of [dataPath('dicom/pydicom_data/emri_small.dcm'), dataPath('dicom/totalseg_ct_series_j2k')]) {
      expect(alreadyOf((await call(surgeon, 'studies', 'scan', src, p.id)) as ScanResult)).toEqual([null]);
      const { job } = await host.jobs.wait(
        (await call(surgeon, 'studies', 'import', { patientId: p.id, path: src, buildTwin: false, confirmIdentity: true })) as string,
      );
      expect(job.status).toBe('done');
      const series = listStudies(host.store, p.id)
        .flatMap((s) => s.series)
        .find((se) => se.sourcePath === src)!;
      const scan = (await call(surgeon, 'studies', 'scan', src, p.id)) as ScanResult;
      expect(scan.sha256).toBeUndefined();
      expect(alreadyOf(scan)).toEqual([expect.objectContaining({ seriesId: series.id, modality: series.modality })]);
    }
    const [uid, none] = listStudies(host.store, p.id).flatMap((s) => s.series);
    expect([uid!.seriesInstanceUid, none!.seriesInstanceUid]).toEqual(['1.2.826.0.1.3680043.2.1143.3712364435022872412969836992152438492', '']);
  });
});
