/**
 * Data identity at import (issue 20 §1), against the real files: what a file
 * is (3D volume, tracked 2D sequence, 2D image, cine) from its own header; a
 * modality only from the file's metadata, HU calibration (CT) or the user —
 * never a default MR; a DICOM series whose patient identity differs from the
 * record is imported only on confirmation, audited.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentOfVolumeFile } from '../../electron/io/headers.js';
import { identityDifferences } from '../../electron/io/identity.js';
import { readVolume } from '../../electron/io/readVolume.js';
import { parseCall } from '../../electron/platform/registry.js';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { createPatient } from '../../capabilities/patients/repo.js';
import { listStudies } from '../../capabilities/studies/repo.js';
import { dataPath, describeData } from '../helpers/data.js';
import { filesBelow, tmpDir } from '../helpers/tmp.js';

describe('patient identity comparison', () => {
  const rec = { displayName: 'Jane Doe', mrn: 'MRN-7', birthDate: '1961-04-02' };
  it('matches DICOM name components in any order and ISO vs DA dates', () => {
    expect(identityDifferences(rec, { patientName: 'DOE^JANE', patientId: 'MRN-7', patientBirthDate: '19610402' })).toEqual([]);
    expect(identityDifferences(rec, { patientName: 'Doe Jane Marie', patientId: 'MRN-7', patientBirthDate: '19610402' })).toEqual([]);
  });
  it('a study name that holds only part of the record name differs; sex differs only when both say one', () => {
    expect(identityDifferences(rec, { patientName: 'DOE', patientId: 'MRN-7', patientBirthDate: '19610402' })).toEqual([
      'name: the study says "DOE", the patient is "Jane Doe"',
    ]);
    expect(identityDifferences({ ...rec, sex: 'F' }, { patientName: 'DOE^JANE', patientId: 'MRN-7', patientBirthDate: '19610402', patientSex: 'M' })).toEqual([
      `sex: the study says M, the patient's is F`,
    ]);
    expect(identityDifferences({ ...rec, sex: 'F' }, { patientName: 'DOE^JANE', patientId: 'MRN-7', patientBirthDate: '19610402', patientSex: '' })).toEqual(
      [],
    );
  });

  it('names each differing field; a study without a name differs from a named patient', () => {
    expect(identityDifferences(rec, { patientName: '', patientId: '', patientBirthDate: '' })).toEqual([
      'name: the study says no name, the patient is "Jane Doe"',
      `patient ID: the study says none, the patient's MRN is "MRN-7"`,
      `birth date: the study says none, the patient's is 1961-04-02`,
    ]);
    expect(identityDifferences(rec, { patientName: 'ROE^JANE', patientId: 'MRN-7', patientBirthDate: '19610402' })).toEqual([
      'name: the study says "ROE^JANE", the patient is "Jane Doe"',
    ]);
  });
  it('fields the record leaves empty are not compared', () => {
    expect(
      identityDifferences({ displayName: 'Jane Doe', mrn: '', birthDate: '' }, { patientName: 'DOE^JANE', patientId: 'X1', patientBirthDate: '19990101' }),
    ).toEqual([]);
  });
});

describe('patient records', () => {
  it('a birth date in the future, before 1880 or not a date is refused with a sentence; an empty one is allowed', () => {
    const make = (birthDate: string) => () => parseCall('patients', 'create', [{ displayName: 'A B', birthDate }]);
    for (const d of ['2999-01-01', '1800-01-01', '02/04/1961', '1961-13-45'])
      expect(make(d), d).toThrow(/birth date must be a date \(YYYY-MM-DD\) between 1880 and today/);
    expect(make('1961-04-02')()).toMatchObject({ args: [{ birthDate: '1961-04-02' }] });
    expect(make('')()).toMatchObject({ args: [{ birthDate: '' }] });
  });
});

describeData('what a file is, from its own header', () => {
  it.each([
    ['us/SpinePhantomFreehand.igs.mha', 'tracked-sequence', 'US', 21],
    ['us/NwirePhantomFreehand.igs.nrrd', 'tracked-sequence', 'US', 97],
    ['us/SpinePhantomFreehandReconstructed.mha', 'volume', null, 1],
    ['mr/niivue_small.mha', 'volume', null, 1],
    ['mr/niivue_FLAIR_oblique.nrrd', 'volume', null, 1],
    ['ct/totalseg_example_ct.nii.gz', 'volume', null, 1],
  ])('%s: %s, stated modality %s, %d frame(s)', (rel, kind, modality, frames) => {
    expect(contentOfVolumeFile(dataPath(rel))).toEqual({ kind, statedModality: modality, frames });
  });

  it('a tracked sequence is refused as a volume before any voxel is read, naming what it is', async () => {
    await expect(readVolume(dataPath('us/SpinePhantomFreehand.igs.mha'))).rejects.toMatchObject({
      code: 'IMPORT_UNSUPPORTED',
      message: expect.stringMatching(/^SpinePhantomFreehand\.igs\.mha is a tracked 2D ultrasound sequence \(21 frames with probe poses\), not a 3D volume/),
    });
  });

  it('a single-frame DICOM ultrasound image is a 2D image, not a volume', async () => {
    await expect(readVolume(dataPath('dicom/pydicom_data/US1_UNCR.dcm'))).rejects.toMatchObject({
      code: 'IMPORT_UNSUPPORTED',
      message: expect.stringMatching(/a single 2D image, not a 3D volume/),
    });
  });

  it('modality: HU-calibrated values are CT (guessed); a 3D ultrasound or an MR file that says nothing is unknown, or what the user states', async () => {
    const ct = await readVolume(dataPath('ct/totalseg_example_ct.nii.gz'));
    expect([ct.meta.modality, ct.meta.modalityGuessed]).toEqual(['CT', true]);
    const us = await readVolume(dataPath('us/SpinePhantomFreehandReconstructed.mha'));
    expect([us.meta.modality, us.meta.modalityGuessed]).toEqual(['OT', true]);
    const mr = await readVolume(dataPath('mr/niivue_small.mha'), { modality: 'MR' });
    expect([mr.meta.modality, mr.meta.modalityGuessed]).toEqual(['MR', false]);
    const dicom = await readVolume(dataPath('dicom/pydicom_data/emri_small.dcm'));
    expect([dicom.meta.modality, dicom.meta.modalityGuessed]).toEqual(['MR', false]);
  });
});

describeData('import into a patient of another identity', () => {
  const tmp = tmpDir('identity-');
  let host: ServiceHost;
  beforeAll(() => {
    host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli' });
  });
  afterAll(() => (host.close(), tmp.cleanup()));

  it('the scan names the differences; the import fails with IDENTITY_MISMATCH and stores nothing; confirmed, it imports and is audited', async () => {
    const p = createPatient(host.store, { displayName: 'Jane Roe', mrn: 'R-1', birthDate: '', sex: '' }, 'test');
    const series = dataPath('dicom/totalseg_ct_series_j2k');
    const scan = await host.impl.studies.scan(series, p.id);
    expect(scan.patients[0]!.differences).toEqual([
      'name: the study says no name, the patient is "Jane Roe"',
      `patient ID: the study says none, the patient's MRN is "R-1"`,
    ]);
    expect(scan.patients[0]!.studies[0]!.series[0]!.content).toBe('volume');
    const refused = await host.jobs.wait(await host.impl.studies.import({ patientId: p.id, path: series, strict: true, buildTwin: false }));
    expect(refused.job.status).toBe('failed');
    expect(refused.job.error).toMatchObject({
      code: 'IDENTITY_MISMATCH',
      message: expect.stringMatching(/^totalseg_ct_series_j2k may belong to another patient \(name: /),
    });
    expect(listStudies(host.store, p.id)).toEqual([]);
    expect(filesBelow(host.store.storeDir)).toEqual([]);
    const done = await host.jobs.wait(await host.impl.studies.import({ patientId: p.id, path: series, strict: true, buildTwin: false, confirmIdentity: true }));
    expect(done.job.status).toBe('done');
    expect(listStudies(host.store, p.id)[0]!.series[0]!.modality).toBe('CT');
    const override = host.store.auditLog.records().filter((r) => r.action === 'identity-override');
    expect(override.map((r) => [r.recordId, r.detail])).toEqual([[p.id, { fields: ['name', 'patient ID'] }]]);
  });

  it('a DICOM folder whose one series mixes two patients is refused, naming both (never one volume of two people)', async () => {
    const dir = path.join(tmp.dir, 'mixed');
    fs.mkdirSync(dir);
    const src = dataPath('dicom/totalseg_ct_series_j2k');
    const files = fs.readdirSync(src).sort();
    files.forEach((f, n) => {
      fs.copyFileSync(path.join(src, f), path.join(dir, f));
      const [name, id] = n % 2 ? ['ROE^JANE', 'P-1'] : ['DOE^JOHN', 'P-2'];
      execFileSync('dcmodify', ['-nb', '-i', `(0010,0010)=${name}`, '-i', `(0010,0020)=${id}`, path.join(dir, f)]);
    });
    const scan = await host.impl.studies.scan(dir);
    const problems = scan.patients.flatMap((p) => p.studies.flatMap((st) => st.series.flatMap((se) => se.problems)));
    expect(
      problems.some((pr) => /mixes the images of 2 patients \((DOE JOHN \/ P-2; ROE JANE \/ P-1|ROE JANE \/ P-1; DOE JOHN \/ P-2)\): refused/.test(pr)),
      problems.join(' | '),
    ).toBe(true);
    const p = createPatient(host.store, { displayName: 'Jane Roe', mrn: '', birthDate: '', sex: '' }, 'test');
    const r = await host.jobs.wait(await host.impl.studies.import({ patientId: p.id, path: dir, strict: true, buildTwin: false, confirmIdentity: true }));
    expect(r.job.status).toBe('failed');
    expect(r.job.error).toMatchObject({ code: 'DICOM_INCONSISTENT', message: expect.stringMatching(/mixes the images of 2 patients/) });
    expect(listStudies(host.store, p.id)).toEqual([]);
  });

  it('a volume whose file states no modality and is not CT-like is imported (not a failure) and gets no twin until its modality is stated', async () => {
    const p = createPatient(host.store, { displayName: 'Small MR', mrn: '', birthDate: '', sex: '' }, 'test');
    const r = await host.jobs.wait(await host.impl.studies.import({ patientId: p.id, path: dataPath('mr/niivue_small.mha'), strict: true, buildTwin: true }));
    expect(r.job.status).toBe('done');
    expect(await host.impl.twins.list(p.id)).toEqual([]);
    const se = listStudies(host.store, p.id)[0]!.series[0]!;
    expect([se.modality, se.modalityGuessed]).toEqual(['OT', true]); // the volume is kept, its modality unknown (not MR)
    expect(() => host.impl.twins.build(se.volume!.id, {})).toThrow(/does not say its modality: state it/);
    expect(host.impl.studies.setModality(se.id, 'MR')).toMatchObject({ modality: 'MR', modalityGuessed: false });
    const { job } = await host.jobs.wait(host.impl.twins.build(se.volume!.id, {}) as string);
    expect(job.status).toBe('done');
    // a DICOM series' modality is its headers'
    const dicomSeries = listStudies(host.store, host.store.db.prepare("SELECT id FROM patients WHERE display_name = 'Jane Roe'").pluck().get() as string)[0]!
      .series[0]!;
    expect(() => host.impl.studies.setModality(dicomSeries.id, 'MR')).toThrow(/DICOM headers state CT/);
  });
});
