/**
 * Records (issue 20 §1) through the service API as the transports call it
 * (`callService`, with signed-in users): editing a patient, study, series
 * and twin (surgeons and administrators; audited with the fields, the values
 * before and after kept in the edit history, never in the audit log); the
 * recoverable trash (hidden from lists, refused as a source, restored;
 * purged with its files by an administrator only); the default twin (the
 * marked one, else the newest of a CT or MR series — never an US one).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callService, createServices, type ServiceHost } from '../../electron/services/index.js';
import type { CallContext } from '../../electron/services/access.js';
import { SitePolicy } from '../../electron/services/policy.js';
import { parseCall } from '../../electron/platform/registry.js';
import { recordEdits } from '../../capabilities/records/repo.js';
import type { Patient } from '../../capabilities/patients/contract.js';
import type { StudyRecord } from '../../capabilities/studies/contract.js';
import type { Twin } from '../../capabilities/twins/contract.js';
import type { TrashItem } from '../../capabilities/records/contract.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('records-');
let host: ServiceHost;
const PASSWORD = 'correct horse battery';
/** A call as the transports make it: validated against the contract (parseCall), then served as the connection's user. */
const call = async (ctx: CallContext, service: string, method: string, ...args: unknown[]) =>
  callService(host, ctx, service, method, parseCall(service, method, args).args);
const fail = async (p: Promise<unknown>): Promise<{ code: string; message: string }> =>
  p.then(
    () => ({ code: 'OK', message: '' }),
    (e: { code?: string; message: string }) => ({ code: e.code ?? 'NO CODE', message: e.message }),
  );
const admin: CallContext = { token: null },
  surgeon: CallContext = { token: null },
  sono: CallContext = { token: null },
  research: CallContext = { token: null };
const audits = (action: string) => host.store.auditLog.records().filter((r) => r.action === action);

beforeAll(async () => {
  host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', policy: SitePolicy.parse({ lockSeconds: 3600 }) });
  const nobody: CallContext = { token: null };
  await call(nobody, 'users', 'create', { username: 'it', displayName: 'Hospital IT', role: 'administrator', password: PASSWORD });
  await call(admin, 'auth', 'login', 'it', PASSWORD);
  for (const [username, role] of [
    ['dr.house', 'surgeon'],
    ['sono', 'sonographer'],
    ['res', 'researcher'],
  ] as const)
    await call(admin, 'users', 'create', { username, displayName: username, role, password: PASSWORD });
  await call(surgeon, 'auth', 'login', 'dr.house', PASSWORD);
  await call(sono, 'auth', 'login', 'sono', PASSWORD);
  await call(research, 'auth', 'login', 'res', PASSWORD);
});
afterAll(() => {
  host.close();
  tmp.cleanup();
});

describe('editing records', () => {
  let patient: Patient;
  beforeAll(async () => {
    patient = (await call(sono, 'patients', 'create', { displayName: 'Jane Roe', mrn: 'MRN-1', birthDate: '1961-02-03', sex: 'F' })) as Patient;
  });

  it('a surgeon edits a patient with the create form’s checks; the audit names the fields, the edit history keeps the values', async () => {
    const r = await call(surgeon, 'records', 'edit', { kind: 'patient', id: patient.id, displayName: 'Jane Doe-Roe', birthDate: '1961-02-04', sex: 'F' });
    expect(r).toEqual({ kind: 'patient', id: patient.id, changed: ['displayName', 'birthDate'] });
    expect(await call(surgeon, 'patients', 'get', patient.id)).toMatchObject({ displayName: 'Jane Doe-Roe', mrn: 'MRN-1', birthDate: '1961-02-04', sex: 'F' });
    const audit = audits('edit').at(-1)!;
    expect(audit).toMatchObject({ actor: 'dr.house', recordType: 'patient', recordId: patient.id, detail: { fields: ['displayName', 'birthDate'] } });
    expect(JSON.stringify(host.store.auditLog.records())).not.toMatch(/Jane|Roe|1961/);
    const history = recordEdits(host.store, 'patient', patient.id);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      id: audit.detail['edit'],
      actor: 'dr.house',
      changes: { displayName: { before: 'Jane Roe', after: 'Jane Doe-Roe' }, birthDate: { before: '1961-02-03', after: '1961-02-04' } },
    });
    // nothing changed: nothing recorded
    expect(await call(surgeon, 'records', 'edit', { kind: 'patient', id: patient.id, mrn: 'MRN-1' })).toMatchObject({ changed: [] });
    expect(audits('edit')).toHaveLength(1);
  });

  it('a birth date in the future or an empty name is refused; a sonographer or researcher may not edit', async () => {
    expect(await fail(call(surgeon, 'records', 'edit', { kind: 'patient', id: patient.id, birthDate: '2999-01-01' }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/birth date must be a date \(YYYY-MM-DD\) between 1880 and today/),
    });
    expect(await fail(call(surgeon, 'records', 'edit', { kind: 'patient', id: patient.id, displayName: '  ' }))).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await fail(call(sono, 'records', 'edit', { kind: 'patient', id: patient.id, displayName: 'X' }))).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/a sonographer may not edit patient records/),
    });
    expect(await fail(call(research, 'records', 'edit', { kind: 'patient', id: patient.id, displayName: 'X' }))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await fail(call(research, 'records', 'trash', 'patient', patient.id))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await fail(call(research, 'records', 'trashed'))).toMatchObject({ code: 'FORBIDDEN' });
    expect(((await call(admin, 'patients', 'get', patient.id)) as Patient).displayName).toBe('Jane Doe-Roe');
  });

  it('an administrator may edit; trashing and restoring a patient hides it from the list and from use, audited', async () => {
    await call(admin, 'records', 'edit', { kind: 'patient', id: patient.id, mrn: 'MRN-2' });
    expect(((await call(surgeon, 'patients', 'get', patient.id)) as Patient).mrn).toBe('MRN-2');
    const item = (await call(surgeon, 'records', 'trash', 'patient', patient.id)) as TrashItem;
    expect(item).toMatchObject({
      kind: 'patient',
      id: patient.id,
      patientName: 'Jane Doe-Roe',
      label: 'Jane Doe-Roe · MRN-2',
      trashedBy: 'dr.house',
      hiddenBy: null,
    });
    expect(Date.parse(item.trashedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(((await call(surgeon, 'patients', 'list', '')) as Patient[]).map((p) => p.id)).not.toContain(patient.id);
    expect(await fail(call(surgeon, 'patients', 'get', patient.id))).toEqual({
      code: 'NOT_FOUND',
      message: 'the patient is in the trash: restore it from Trash to use it',
    });
    expect(await fail(call(surgeon, 'studies', 'import', { patientId: patient.id, path: '/nowhere' }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await fail(call(surgeon, 'records', 'edit', { kind: 'patient', id: patient.id, mrn: 'MRN-3' }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(((await call(surgeon, 'records', 'trashed')) as TrashItem[]).map((t) => [t.kind, t.id])).toEqual([['patient', patient.id]]);
    expect(await call(surgeon, 'records', 'restore', 'patient', patient.id)).toBe(true);
    expect(((await call(surgeon, 'patients', 'list', '')) as Patient[]).map((p) => p.id)).toContain(patient.id);
    expect(await call(surgeon, 'records', 'trashed')).toEqual([]);
    expect(await fail(call(surgeon, 'records', 'restore', 'patient', patient.id))).toEqual({ code: 'BAD_REQUEST', message: 'the patient is not in the trash' });
    expect([audits('trash').at(-1), audits('restore').at(-1)].map((r) => [r?.actor, r?.recordType, r?.recordId])).toEqual([
      ['dr.house', 'patient', patient.id],
      ['dr.house', 'patient', patient.id],
    ]);
    expect(((await call(admin, 'audit', 'verify')) as { ok: boolean }).ok).toBe(true);
  });
});

describeData('trash, purge and the default twin with imported volumes', () => {
  let patient: Patient;
  let studies: StudyRecord[];
  let twins: Twin[];
  const series = (i: number) => studies[i]!.series[0]!;

  beforeAll(async () => {
    patient = (await call(surgeon, 'patients', 'create', { displayName: 'Max Mustermann', mrn: 'P-9', birthDate: '1970-01-01', sex: 'M' })) as Patient;
    // two MR volumes of the same file (a file import makes a study each), each with its twin (v1, v2)
    for (let i = 0; i < 2; i++) {
      const r = await host.jobs.wait(
        await host.impl.studies.import({ patientId: patient.id, path: dataPath('mr/niivue_small.mha'), strict: true, buildTwin: true, modality: 'MR' }),
      );
      expect(r.job.status).toBe('done');
    }
    studies = (await call(surgeon, 'studies', 'list', patient.id)) as StudyRecord[];
    twins = (await call(surgeon, 'twins', 'list', patient.id)) as Twin[];
  }, 240_000);

  it('study, series and twin edits', async () => {
    expect(studies).toHaveLength(2);
    expect(twins.map((t) => t.version)).toEqual([2, 1]);
    await call(surgeon, 'records', 'edit', { kind: 'study', id: studies[0]!.id, description: 'Head MR', studyDate: '2024-03-05' });
    await call(surgeon, 'records', 'edit', { kind: 'series', id: series(0).id, description: 'T1 small' });
    await call(surgeon, 'records', 'edit', { kind: 'twin', id: twins[1]!.id, label: 'pre-op' });
    const st = ((await call(surgeon, 'studies', 'list', patient.id)) as StudyRecord[])[0]!;
    expect([st.description, st.studyDate, st.series[0]!.description]).toEqual(['Head MR', '20240305', 'T1 small']);
    // a researcher sees neither the study date nor the source path (both identify the patient's care)
    const seen = ((await call(research, 'studies', 'list', patient.id)) as StudyRecord[])[0]!;
    expect([seen.description, seen.studyDate, seen.series[0]!.sourcePath]).toEqual(['Head MR', '', '']);
    expect(st.series[0]!.sourcePath).not.toBe('');
    expect(((await call(surgeon, 'twins', 'get', twins[1]!.id)) as Twin).label).toBe('pre-op');
    expect(recordEdits(host.store, 'study', st.id)[0]!.changes).toEqual({
      description: { before: 'niivue_small', after: 'Head MR' },
      studyDate: { before: '', after: '20240305' },
    });
    expect(await fail(call(surgeon, 'records', 'edit', { kind: 'study', id: st.id, studyDate: '2999-01-01' }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/study date must be a date/),
    });
  });

  it('a trashed series leaves the lists with its twin, cannot be built from, and comes back restored', async () => {
    const se = series(0);
    const twinOfSeries = twins.find((t) => t.seriesId === se.id)!;
    expect(twinOfSeries.version).toBe(1);
    await call(surgeon, 'records', 'trash', 'series', se.id);
    const after = (await call(surgeon, 'studies', 'list', patient.id)) as StudyRecord[];
    expect(after.flatMap((s) => s.series.map((x) => x.id))).toEqual([series(1).id]);
    expect(((await call(surgeon, 'twins', 'list', patient.id)) as Twin[]).map((t) => t.version)).toEqual([2]);
    expect(await fail(call(surgeon, 'twins', 'build', se.volume!.id, {}))).toEqual({
      code: 'NOT_FOUND',
      message: 'the series is in the trash: restore it from Trash to use it',
    });
    expect(await fail(call(surgeon, 'twins', 'get', twinOfSeries.id))).toMatchObject({
      message: "the twin's series is in the trash: restore it from Trash to use the twin",
    });
    expect(await fail(call(surgeon, 'studies', 'setModality', se.id, 'CT'))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await fail(call(surgeon, 'studies', 'exportIdentified', se.id, path.join(tmp.dir, 'x')))).toMatchObject({ code: 'NOT_FOUND' });
    const trash = (await call(surgeon, 'records', 'trashed')) as TrashItem[];
    expect(trash).toEqual([
      expect.objectContaining({ kind: 'series', id: se.id, patientName: 'Max Mustermann', label: 'MR · T1 small', trashedBy: 'dr.house' }),
    ]);
    await call(surgeon, 'records', 'restore', 'series', se.id);
    expect(((await call(surgeon, 'studies', 'list', patient.id)) as StudyRecord[]).flatMap((s) => s.series.map((x) => x.id))).toEqual([se.id, series(1).id]);
    expect(((await call(surgeon, 'twins', 'list', patient.id)) as Twin[]).map((t) => t.version)).toEqual([2, 1]);
  });

  it('a child cannot be restored while its patient is in the trash; trashing a patient hides its studies and twins', async () => {
    await call(surgeon, 'records', 'trash', 'twin', twins[0]!.id);
    await call(surgeon, 'records', 'trash', 'patient', patient.id);
    expect(await fail(call(surgeon, 'studies', 'list', patient.id))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await fail(call(surgeon, 'twins', 'get', twins[1]!.id))).toMatchObject({ code: 'NOT_FOUND' });
    expect(() => host.impl.twins.build(series(1).volume!.id, {})).toThrow("the series's patient is in the trash: restore it from Trash to use the series");
    const trash = (await call(admin, 'records', 'trashed')) as TrashItem[];
    expect(trash.map((t) => [t.kind, t.hiddenBy])).toEqual([
      ['patient', null],
      ['twin', 'patient'],
    ]);
    expect(await fail(call(surgeon, 'records', 'restore', 'twin', twins[0]!.id))).toEqual({
      code: 'BAD_REQUEST',
      message: "the twin's patient is in the trash too: restore the patient first",
    });
    await call(surgeon, 'records', 'restore', 'patient', patient.id);
    await call(surgeon, 'records', 'restore', 'twin', twins[0]!.id);
    expect(((await call(surgeon, 'twins', 'list', patient.id)) as Twin[]).map((t) => t.version)).toEqual([2, 1]);
  });

  it('the default twin: the newest CT/MR one, else the marked one; never one of an US series; marking is audited and role-limited', async () => {
    const list = async () => ((await call(surgeon, 'twins', 'list', patient.id)) as Twin[]).map((t) => [t.version, t.isDefault, t.markedDefault]);
    expect(await list()).toEqual([
      [2, true, false],
      [1, false, false],
    ]);
    const v1 = twins[1]!;
    expect(await fail(call(research, 'twins', 'markDefault', v1.id))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await fail(call(sono, 'twins', 'markDefault', v1.id))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await call(surgeon, 'twins', 'markDefault', v1.id)).toMatchObject({ version: 1, isDefault: true, markedDefault: true });
    expect(await list()).toEqual([
      [2, false, false],
      [1, true, true],
    ]);
    expect(audits('mark-default').at(-1)).toMatchObject({
      actor: 'dr.house',
      recordId: v1.id,
      detail: { patient: patient.id, before: twins[0]!.id, after: v1.id },
    });
    // the marked twin in the trash: the newest CT/MR one again; restored, the mark holds
    await call(surgeon, 'records', 'trash', 'twin', v1.id);
    expect(await list()).toEqual([[2, true, false]]);
    await call(surgeon, 'records', 'restore', 'twin', v1.id);
    expect(await list()).toEqual([
      [2, false, false],
      [1, true, true],
    ]);
    // the newest twin's series stated US: it is never the default, nor can it be marked
    await call(surgeon, 'studies', 'setModality', twins[0]!.seriesId, 'US');
    await call(surgeon, 'studies', 'setModality', v1.seriesId, 'US');
    expect(await list()).toEqual([
      [2, false, false],
      [1, false, true],
    ]);
    expect(await fail(call(surgeon, 'twins', 'markDefault', twins[0]!.id))).toEqual({
      code: 'BAD_REQUEST',
      message: 'a twin of an US series cannot be the default: only one of a CT or MR series',
    });
    await call(surgeon, 'studies', 'setModality', twins[0]!.seriesId, 'MR');
    expect(await list()).toEqual([
      [2, true, false],
      [1, false, true],
    ]);
    // a series imported after an identity override (the import job stores the differing fields, migration 0014): its
    // twin is not the default by being the newest — only once the user marks it
    host.store.db.prepare("UPDATE series SET identity_override = 'name, birth date' WHERE id = ?").run(twins[0]!.seriesId);
    const series = ((await call(surgeon, 'studies', 'list', patient.id)) as StudyRecord[]).flatMap((s) => s.series);
    expect(series.find((s) => s.id === twins[0]!.seriesId)?.identityOverride).toBe('name, birth date');
    expect(await list()).toEqual([
      [2, false, false],
      [1, false, true],
    ]);
    expect(await call(surgeon, 'twins', 'markDefault', twins[0]!.id)).toMatchObject({ version: 2, isDefault: true, markedDefault: true });
    host.store.db.prepare("UPDATE series SET identity_override = '' WHERE id = ?").run(twins[0]!.seriesId);
  });

  it('purge: administrators only, only from the trash; it removes the rows, the files and the edit history, audited', async () => {
    const se = series(0);
    const twin = twins.find((t) => t.seriesId === se.id)!;
    const files = [
      path.join(host.store.dataDir, host.store.db.prepare('SELECT rel_path FROM volumes WHERE series_id = ?').pluck().get(se.id) as string),
      ...twin.artefacts.map((a) => path.join(host.store.dataDir, a.relPath)),
    ];
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) expect(fs.existsSync(f), f).toBe(true);
    expect(await fail(call(admin, 'records', 'purge', 'series', se.id))).toEqual({
      code: 'BAD_REQUEST',
      message: 'only a series in the trash can be deleted for good: move it to the trash first',
    });
    await call(surgeon, 'records', 'trash', 'series', se.id);
    expect(await fail(call(surgeon, 'records', 'purge', 'series', se.id))).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/a surgeon may not delete records for good/),
    });
    expect(await call(admin, 'records', 'purge', 'series', se.id)).toEqual({ files: files.length });
    for (const f of files) expect(fs.existsSync(f), f).toBe(false);
    expect(host.store.db.prepare('SELECT COUNT(*) FROM series WHERE id = ?').pluck().get(se.id)).toBe(0);
    expect(host.store.db.prepare('SELECT COUNT(*) FROM twins WHERE id = ?').pluck().get(twin.id)).toBe(0);
    expect(recordEdits(host.store, 'series', se.id)).toEqual([]);
    expect(recordEdits(host.store, 'twin', twin.id)).toEqual([]);
    expect(audits('purge').at(-1)).toMatchObject({ actor: 'it', recordType: 'series', recordId: se.id, detail: { files: files.length } });
    expect(await call(surgeon, 'records', 'trashed')).toEqual([]);
    // the patient's marked twin went with it: the newest CT/MR twin is the default
    expect(((await call(surgeon, 'twins', 'list', patient.id)) as Twin[]).map((t) => [t.version, t.isDefault])).toEqual([[2, true]]);
    // a whole patient: its edit history goes too
    await call(surgeon, 'records', 'trash', 'patient', patient.id);
    expect(await call(admin, 'records', 'purge', 'patient', patient.id)).toMatchObject({ files: expect.any(Number) });
    expect(host.store.db.prepare('SELECT COUNT(*) FROM record_edits WHERE patient_id = ?').pluck().get(patient.id)).toBe(0);
    expect(((await call(admin, 'audit', 'verify')) as { ok: boolean }).ok).toBe(true);
  });
});
