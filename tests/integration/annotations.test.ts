/**
 * Measurements and annotations kept with a twin (issue 20 §3), through the
 * service API as the transports call it: a clinician saves the set and reads
 * it back; a save made from a stale copy is refused (CONFLICT) and nothing is
 * overwritten; a researcher reads but may not save; bad items (a Cobb angle
 * over 90°, empty text) are refused by the contract; saves are audited.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callService, createServices, type ServiceHost } from '../../electron/services/index.js';
import type { CallContext } from '../../electron/services/access.js';
import { SitePolicy } from '../../electron/services/policy.js';
import { parseCall } from '../../electron/platform/registry.js';
import type { Patient } from '../../capabilities/patients/contract.js';
import type { Twin } from '../../capabilities/twins/contract.js';
import type { Annotation, AnnotationSet } from '../../capabilities/annotations/contract.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('annotations-');
let host: ServiceHost;
const PASSWORD = 'correct horse battery';
const call = async (ctx: CallContext, service: string, method: string, ...args: unknown[]) => {
  const parsed = parseCall(service, method, args); // the contract's validation, as the transports do
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

describeData('a twin’s measurements and annotations', () => {
  let twin: Twin;
  beforeAll(async () => {
    host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', policy: SitePolicy.parse({ lockSeconds: 3600 }) });
    await call({ token: null }, 'users', 'create', { username: 'it', displayName: 'Hospital IT', role: 'administrator', password: PASSWORD });
    await call(admin, 'auth', 'login', 'it', PASSWORD);
    await call(admin, 'users', 'create', { username: 'dr.house', displayName: 'G. House', role: 'surgeon', password: PASSWORD });
    await call(admin, 'users', 'create', { username: 'res', displayName: 'R. Searcher', role: 'researcher', password: PASSWORD });
    await call(surgeon, 'auth', 'login', 'dr.house', PASSWORD);
    await call(research, 'auth', 'login', 'res', PASSWORD);
    const patient = (await call(surgeon, 'patients', 'create', { displayName: 'Ann Otation', mrn: 'A-1' })) as Patient;
    const r = await host.jobs.wait(
      await host.impl.studies.import({ patientId: patient.id, path: dataPath('mr/niivue_small.mha'), strict: true, buildTwin: true, modality: 'MR' }),
    );
    expect(r.job.status).toBe('done');
    twin = ((await call(surgeon, 'twins', 'list', patient.id)) as Twin[])[0]!;
  }, 240_000);
  afterAll(() => {
    host?.close();
    tmp.cleanup();
  });

  const ruler: Annotation = { kind: 'ruler', view: 'axial', sliceIndex: 4, a: [0, 0, 10], b: [30, 40, 10], mm: 50 };
  const cobb: Annotation = {
    kind: 'cobb',
    view: 'coronal',
    sliceIndex: 7,
    line1: [
      [0, 0, 0],
      [10, 0, 0],
    ],
    line2: [
      [0, 0, 50],
      [10, 0, 5.77],
    ],
    degrees: 30,
  };
  const note: Annotation = { kind: 'text', view: 'sagittal', sliceIndex: 2, at: [1, 2, 3], text: 'L4 endplate sclerosis' };

  it('starts empty at revision 0, saves and reads back; the save is audited in the user’s name', async () => {
    expect(await call(surgeon, 'annotations', 'get', twin.id)).toEqual({ twinId: twin.id, revision: 0, annotations: [], savedAt: null, savedBy: null });
    const saved = (await call(surgeon, 'annotations', 'save', twin.id, 0, [ruler, cobb])) as AnnotationSet;
    expect(saved).toMatchObject({ twinId: twin.id, revision: 1, savedBy: 'dr.house' });
    const back = (await call(research, 'annotations', 'get', twin.id)) as AnnotationSet;
    expect(back.annotations).toEqual([
      { ...ruler, n: 1 },
      { ...cobb, n: 2 },
    ]); // items sent without numbers get them (their position), kept from then on
    expect(back.revision).toBe(1);
    const audit = host.store.auditLog.records().filter((a) => a.action === 'annotations-save');
    expect(audit.map((a) => [a.actor, a.recordType, a.recordId])).toEqual([['dr.house', 'twin', twin.id]]);
  });

  it('a save from a stale copy is refused with who saved when, and the stored set is untouched', async () => {
    await call(surgeon, 'annotations', 'save', twin.id, 1, [ruler, cobb, note]);
    const stale = await fail(call(surgeon, 'annotations', 'save', twin.id, 1, []));
    expect(stale.code).toBe('CONFLICT');
    expect(stale.message).toMatch(/saved by dr\.house at .* \(revision 2\) after this copy \(revision 1\) was loaded; reload them — nothing was overwritten/);
    const back = (await call(surgeon, 'annotations', 'get', twin.id)) as AnnotationSet;
    expect(back.revision).toBe(2);
    expect(back.annotations.map((a) => a.kind)).toEqual(['ruler', 'cobb', 'text']);
  });

  it('a researcher reads but may not save; bad items and unknown twins are refused', async () => {
    expect((await fail(call(research, 'annotations', 'save', twin.id, 2, []))).code).toBe('FORBIDDEN');
    expect((await fail(call(surgeon, 'annotations', 'save', twin.id, 2, [{ ...cobb, degrees: 120 }]))).code).toBe('BAD_REQUEST');
    expect((await fail(call(surgeon, 'annotations', 'save', twin.id, 2, [{ ...note, text: '  ' }]))).code).toBe('BAD_REQUEST');
    expect((await fail(call(surgeon, 'annotations', 'get', 'no-such-twin'))).code).toBe('NOT_FOUND');
    expect(((await call(surgeon, 'annotations', 'get', twin.id)) as AnnotationSet).revision).toBe(2);
  });

  it('numbers are stable: a removal keeps the others’ numbers; a set stored without numbers reads numbered by position; duplicates are refused', async () => {
    const saved = (await call(surgeon, 'annotations', 'save', twin.id, 2, [
      { ...ruler, n: 1 },
      { ...note, n: 3 },
    ])) as AnnotationSet;
    expect(saved.annotations.map((a) => [a.kind, a.n])).toEqual([
      ['ruler', 1],
      ['text', 3],
    ]);
    expect(((await call(surgeon, 'annotations', 'get', twin.id)) as AnnotationSet).annotations.map((a) => a.n)).toEqual([1, 3]);
    expect(
      (
        await fail(
          call(surgeon, 'annotations', 'save', twin.id, 3, [
            { ...ruler, n: 2 },
            { ...note, n: 2 },
          ]),
        )
      ).code,
    ).toBe('BAD_REQUEST');
    // a set as an earlier version stored it (no numbers): numbered as that version showed it, 1, 2, 3
    host.store.db.prepare('UPDATE twin_annotations SET annotations = ? WHERE twin_id = ?').run(JSON.stringify([ruler, cobb, note]), twin.id);
    expect(((await call(research, 'annotations', 'get', twin.id)) as AnnotationSet).annotations.map((a) => [a.kind, a.n])).toEqual([
      ['ruler', 1],
      ['cobb', 2],
      ['text', 3],
    ]);
  });
});
