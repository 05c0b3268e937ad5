/**
 * `pacs.held` (the query/retrieve browser's "in this store" mark) on a real
 * twin store: studies found by StudyInstanceUID across patients with their
 * series' UIDs; trashed series, studies and patients are not held; unknown
 * UIDs give nothing. Through the service (the contract's roles and schemas).
 */
import { afterAll, expect, it } from 'vitest';
import { createServices } from '../../electron/services/index.js';
import { tmpDir } from '../../tests/helpers/tmp.js';
import { createPatient } from '../patients/repo.js';
import { trashRecord } from '../records/repo.js';
import { insertSeries, upsertStudy } from '../studies/repo.js';

const tmp = tmpDir();
const host = createServices({ dataDir: tmp.dir, transport: 'cli', keyStore: null });
afterAll(() => {
  host.close();
  tmp.cleanup();
});

const series = (studyId: string, uid: string): string =>
  insertSeries(host.store, studyId, {
    seriesInstanceUid: uid,
    modality: 'CT',
    modalityGuessed: false,
    description: 'CT',
    format: 'dicom',
    sourcePath: `/x/${uid}`,
  });

it('marks the studies the store holds, with their patient and series, and not those in the trash', async () => {
  const a = createPatient(host.store, { displayName: 'Held Anna', mrn: 'H-1', birthDate: '', sex: '' }, 'test');
  const b = createPatient(host.store, { displayName: 'Held Bert', mrn: 'H-2', birthDate: '', sex: '' }, 'test');
  const sa = upsertStudy(host.store, a.id, { studyInstanceUid: '1.2.3.1', studyDate: '20250101', description: 'A' });
  series(sa, '1.2.3.1.1');
  const trashedSeries = series(sa, '1.2.3.1.2');
  const sb = upsertStudy(host.store, b.id, { studyInstanceUid: '1.2.3.2', studyDate: '20250102', description: 'B' });
  series(sb, '1.2.3.2.1');
  const sTrashed = upsertStudy(host.store, a.id, { studyInstanceUid: '1.2.3.3', studyDate: '', description: 'C' });
  series(sTrashed, '1.2.3.3.1');
  trashRecord(host.store, 'series', trashedSeries, 'test');
  trashRecord(host.store, 'study', sTrashed, 'test');

  const held = await host.impl.pacs.held(['1.2.3.1', '1.2.3.2', '1.2.3.3', '9.9.9', '1.2.3.1']);
  expect(held).toEqual([
    { studyUid: '1.2.3.1', patientId: a.id, patientName: 'Held Anna', studyId: sa, seriesUids: ['1.2.3.1.1'] },
    { studyUid: '1.2.3.2', patientId: b.id, patientName: 'Held Bert', studyId: sb, seriesUids: ['1.2.3.2.1'] },
  ]);
  trashRecord(host.store, 'patient', b.id, 'test');
  expect((await host.impl.pacs.held(['1.2.3.2'])).length).toBe(0);
  expect(await host.impl.pacs.held([])).toEqual([]);
});

it('names a retrieval it did not start', async () => {
  await expect(Promise.resolve().then(() => host.impl.pacs.retrieval('00000000-0000-4000-8000-000000000000'))).rejects.toThrow(
    /no PACS retrieval 00000000-0000-4000-8000-000000000000 started/,
  );
});
