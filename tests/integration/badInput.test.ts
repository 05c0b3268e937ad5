/**
 * Bad input: each case must end in a failed job whose message names the file
 * and the reason, with nothing written to the database or the store, and the
 * services must keep working (a good import succeeds afterwards).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { dataPath, describeData } from '../helpers/data.js';
import { filesBelow, tmpDir } from '../helpers/tmp.js';
import { listStudies } from '../../capabilities/studies/repo.js';
import { createPatient } from '../../capabilities/patients/repo.js';
import { listTwins } from '../../capabilities/twins/repo.js';

describeData('bad input is refused cleanly', () => {
  const tmp = tmpDir();
  const inputs = path.join(tmp.dir, 'inputs');
  let host: ServiceHost;
  let patientId: string;

  beforeAll(() => {
    fs.mkdirSync(inputs, { recursive: true });
    const ct = fs.readFileSync(dataPath('ct/totalseg_example_ct.nii.gz'));
    fs.writeFileSync(path.join(inputs, 'truncated.nii.gz'), ct.subarray(0, Math.floor(ct.length / 2)));
    fs.writeFileSync(path.join(inputs, 'empty.nii.gz'), Buffer.alloc(0));
    // a NIfTI-1 header claiming 2048 × 2048 × 512 int16 (4 GiB) with almost no data
    const hdr = Buffer.from(zlib.gunzipSync(ct).subarray(0, 352));
    [3, 2048, 2048, 512, 1, 1, 1, 1].forEach((d, i) => hdr.writeInt16LE(d, 40 + 2 * i));
    hdr.writeInt16LE(4, 70); // datatype INT16
    hdr.writeInt16LE(16, 72); // bitpix
    fs.writeFileSync(path.join(inputs, 'huge.nii.gz'), zlib.gzipSync(Buffer.concat([hdr, Buffer.alloc(4096)])));
    const series = dataPath('dicom/totalseg_ct_series_j2k');
    const files = fs.readdirSync(series).sort();
    const withJunk = path.join(inputs, 'dicom-with-junk');
    const missing = path.join(inputs, 'dicom-missing-slice');
    fs.mkdirSync(withJunk);
    fs.mkdirSync(missing);
    for (const f of files) fs.copyFileSync(path.join(series, f), path.join(withJunk, f));
    fs.writeFileSync(path.join(withJunk, 'notes.txt'), 'scanned on the second floor\n');
    files.forEach((f, i) => i !== 10 && fs.copyFileSync(path.join(series, f), path.join(missing, f)));
    host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli' });
    patientId = createPatient(host.store, { displayName: 'Test Patient', mrn: '', birthDate: '', sex: '' }, 'test').id;
  });

  afterAll(() => {
    host.close();
    tmp.cleanup();
  });

  const cases: [string, string, string, RegExp][] = [
    ['truncated .nii.gz', 'truncated.nii.gz', 'IMPORT_TRUNCATED', /truncated\.nii\.gz.*(truncated|ends early)/],
    ['zero-byte file', 'empty.nii.gz', 'IMPORT_EMPTY_FILE', /empty\.nii\.gz.*empty \(0 bytes\)/],
    ['header claiming 4 GB', 'huge.nii.gz', 'IMPORT_TOO_LARGE', /huge\.nii\.gz.*2048×2048×512.*4\.00 GiB/],
    ['non-DICOM file in a DICOM folder', 'dicom-with-junk', 'IMPORT_NOT_DICOM', /notes\.txt: not a DICOM file/],
    [
      'DICOM series with one slice removed',
      'dicom-missing-slice',
      'DICOM_MISSING_SLICE',
      /dicom-missing-slice: series .* 1 slice\(s\) missing between positions -788\.50 mm and -784\.50 mm .*between files CT\.\S+016584 and CT\.\S+016582/,
    ],
  ];

  for (const [label, file, code, message] of cases)
    it(`${label}: ${code}, a message naming the file, nothing stored`, async () => {
      const before = host.store.db
        .prepare('SELECT (SELECT COUNT(*) FROM series) + (SELECT COUNT(*) FROM volumes) + (SELECT COUNT(*) FROM twins) + (SELECT COUNT(*) FROM artefacts) AS n')
        .get() as { n: number };
      const id = await host.impl.studies.import({ patientId, path: path.join(inputs, file), strict: true, buildTwin: true });
      const { job } = await host.jobs.wait(id);
      expect(job.status).toBe('failed');
      expect(job.error?.code).toBe(code);
      expect(job.error?.message).toMatch(message);
      const after = host.store.db
        .prepare('SELECT (SELECT COUNT(*) FROM series) + (SELECT COUNT(*) FROM volumes) + (SELECT COUNT(*) FROM twins) + (SELECT COUNT(*) FROM artefacts) AS n')
        .get() as { n: number };
      expect(after.n).toBe(before.n);
      expect(filesBelow(host.store.storeDir)).toEqual([]);
      expect(filesBelow(host.store.stagingDir)).toEqual([]);
    });

  it('the scan lists the non-DICOM file with its reason and still shows the series', async () => {
    const scan = await host.impl.studies.scan(path.join(inputs, 'dicom-with-junk'));
    expect(scan.skipped.map((s) => path.basename(s.file))).toEqual(['notes.txt']);
    expect(scan.patients[0]?.studies[0]?.series[0]?.frames).toBe(20);
  });

  it('the services keep working: a good study imports after the failures', async () => {
    const id = await host.impl.studies.import({ patientId, path: dataPath('mr/niivue_small.mha'), strict: true, buildTwin: true, modality: 'MR' });
    const { job } = await host.jobs.wait(id);
    expect(job.error).toBeNull();
    expect(job.status).toBe('done');
    const studies = host.impl.studies.list(patientId) as Awaited<ReturnType<typeof listStudies>>;
    expect(studies).toHaveLength(1);
    expect(listTwins(host.store, patientId)).toHaveLength(1);
  });
});
