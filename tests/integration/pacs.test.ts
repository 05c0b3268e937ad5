/**
 * PACS exchange against a real Orthanc (Debian's orthanc + orthanc-dicomweb,
 * started on loopback by tests/helpers/orthanc.ts): the J2K CT series, given
 * fresh UIDs with DCMTK's dcmodify, is stored into Orthanc by DCMTK's storescu
 * (the independent peer), found by OrthoTwin over C-FIND and QIDO-RS,
 * retrieved by C-MOVE, C-GET and WADO-RS into the twin store (one study, one
 * series, 20 slices each; a twin when asked), and derived objects go back by
 * C-STORE and STOW-RS (Orthanc's REST API says it holds them). Faults: a PACS
 * that is down, one that rejects the association, a stall mid-transfer (Orthanc
 * paused with SIGSTOP: timeout, nothing imported, the retry fetches only the
 * missing instances) and an incomplete series (nothing imported, named counts,
 * resumed once the PACS holds it again).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import dimse from 'dcmjs-dimse';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { SitePolicy } from '../../electron/services/policy.js';
import { createPatient, listPatients } from '../../capabilities/patients/repo.js';
import { listStudies } from '../../capabilities/studies/repo.js';
import { listTwins } from '../../capabilities/twins/repo.js';
import { incomingDir } from '../../capabilities/pacs/jobs.js';
import type { RetrieveSummary } from '../../capabilities/pacs/contract.js';
import { dataPath, describeData } from '../helpers/data.js';
import { freePort, freshUid as uid, j2kSeriesWithFreshUids, startOrthanc, type OrthancPeer } from '../helpers/orthanc.js';
import { tmpDir } from '../helpers/tmp.js';

const LOCAL_AET = 'OTWIN_TEST';

let orthanc: OrthancPeer;
let host: ServiceHost;
const tmp = tmpDir('orthotwin-pacs-');
const series = path.join(tmp.dir, 'series');
let studyUid = '';
let seriesUid = '';
let files: string[] = [];

beforeAll(async () => {
  // the data set's SOP/study/series UIDs are empty: a copy with fresh ones (one study, one series, a new SOP UID each)
  ({ studyUid, seriesUid, files } = j2kSeriesWithFreshUids(dataPath('dicom/totalseg_ct_series_j2k'), series, {
    patientName: 'PACS^TEST',
    patientId: 'PACS001',
    studyDescription: 'Lumbar spine CT',
  }));
  const scpPort = await freePort();
  orthanc = await startOrthanc({ modalities: { orthotwin: [LOCAL_AET, '127.0.0.1', scpPort] } });
  execFileSync('storescu', ['-xv', '-aet', 'DCMTK', '-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort), ...files]);
  const policy = SitePolicy.parse({
    pacsNodes: [{ name: 'orthanc', aet: orthanc.aet, host: '127.0.0.1', port: orthanc.dicomPort, dicomWebUrl: orthanc.dicomWebUrl }],
    pacsLocal: { aet: LOCAL_AET, storePort: scpPort, timeoutSeconds: 3 },
  });
  host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', actor: 'test', policy });
}, 120_000);

afterAll(async () => {
  host?.close();
  await orthanc?.stop();
  tmp.cleanup();
});

async function retrieve(via: 'c-move' | 'c-get' | 'wado-rs', opts: { buildTwin?: boolean; expectedInstances?: number; name: string }) {
  const patientId = createPatient(host.store, { displayName: 'PACS TEST', mrn: 'PACS001', birthDate: '', sex: '' }, 'test').id;
  const jobId = await host.impl.pacs.retrieve('orthanc', {
    studyUid,
    seriesUid,
    via,
    patientId,
    confirmIdentity: true,
    buildTwin: opts.buildTwin ?? false,
    ...(opts.expectedInstances ? { expectedInstances: opts.expectedInstances } : {}),
  });
  const outcome = await host.jobs.wait(jobId);
  return { patientId, outcome, summary: outcome.details['retrieve'] as RetrieveSummary | undefined };
}

function expectImported(patientId: string): void {
  const studies = listStudies(host.store, patientId);
  expect(studies).toHaveLength(1);
  expect(studies[0]!.studyInstanceUid).toBe(studyUid);
  expect(studies[0]!.series).toHaveLength(1);
  expect(studies[0]!.series[0]!.volume!.dims[2]).toBe(20);
}

const timings: string[] = [];

describeData('PACS: DIMSE and DICOMweb against a real Orthanc', () => {
  it('C-ECHO, and C-FIND and QIDO-RS at study and series level find the study storescu stored', async () => {
    expect((await host.impl.pacs.echo('orthanc')).ok).toBe(true);
    for (const via of ['c-find', 'qido-rs'] as const) {
      const studies = await host.impl.pacs.find('orthanc', { patientName: 'PACS*', studyDescription: 'Lumbar*' }, 'study', via);
      expect(
        studies.map((s) => s.studyUid),
        via,
      ).toEqual([studyUid]);
      expect(studies[0]).toMatchObject({ patientId: 'PACS001', patientName: 'PACS^TEST', instances: 20 });
      const ser = await host.impl.pacs.find('orthanc', { studyUid, modality: 'CT' }, 'series', via);
      expect(
        ser.map((s) => [s.seriesUid, s.modality, s.instances]),
        via,
      ).toEqual([[seriesUid, 'CT', 20]]);
      expect(await host.impl.pacs.find('orthanc', { patientId: 'NOBODY' }, 'study', via)).toEqual([]);
      // a query that does not match on the description still returns it (QIDO-RS: the includefield attributes)
      const unfiltered = await host.impl.pacs.find('orthanc', { patientName: 'PACS*' }, 'study', via);
      expect(
        unfiltered.map((s) => s.studyDescription),
        via,
      ).toEqual(['Lumbar spine CT']);
    }
  }, 60_000);

  for (const via of ['c-move', 'c-get', 'wado-rs'] as const)
    it(`retrieves the series by ${via} into the twin store: one study, one series, 20 slices`, async () => {
      const { patientId, outcome, summary } = await retrieve(via, { name: via, buildTwin: via === 'wado-rs' });
      expect(outcome.job.error).toBeNull();
      expect(outcome.job.status).toBe('done');
      expect(summary).toMatchObject({ via, fetched: 20, series: [{ seriesUid, expected: 20 }] });
      expectImported(patientId);
      if (via === 'wado-rs') expect(listTwins(host.store, patientId)).toHaveLength(1);
      expect(fs.existsSync(incomingDir(path.join(host.store.dataDir, 'pacs', 'incoming'), studyUid, seriesUid))).toBe(false);
      const audit = host.store.db.prepare("SELECT detail FROM audit_log WHERE action = 'pacs-retrieve' ORDER BY id DESC LIMIT 1").get() as { detail: string };
      expect(JSON.parse(audit.detail)).toMatchObject({ node: 'orthanc', via, fetched: 20, patientId });
      const line = `${via}: 20 instances in ${summary!.retrieveMs} ms (${summary!.instancesPerSecond} instances/s)`;
      timings.push(line);
      console.log(`[pacs timing] ${line}`);
    }, 180_000);

  it('sends a derived object (a Secondary Capture written by dcmjs) back by C-STORE and by STOW-RS; Orthanc holds both', async () => {
    const sent: string[] = [];
    for (const via of ['c-store', 'stow-rs'] as const) {
      const sop = uid();
      const f = path.join(tmp.dir, `sc-${via}.dcm`);
      const px = new Uint8Array(64 * 64).map((_, i) => i % 256);
      new dimse.Dataset(
        {
          SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
          SOPInstanceUID: sop,
          StudyInstanceUID: studyUid,
          SeriesInstanceUID: uid(),
          PatientName: 'PACS^TEST',
          PatientID: 'PACS001',
          Modality: 'OT',
          ConversionType: 'WSD',
          SeriesDescription: `OrthoTwin derived (${via})`,
          SamplesPerPixel: 1,
          PhotometricInterpretation: 'MONOCHROME2',
          Rows: 64,
          Columns: 64,
          BitsAllocated: 8,
          BitsStored: 8,
          HighBit: 7,
          PixelRepresentation: 0,
          PixelData: [px.buffer],
          _vrMap: { PixelData: 'OB' },
        },
        '1.2.840.10008.1.2.1',
      ).toFile(f);
      const r = await host.impl.pacs.send('orthanc', { via, files: [f] });
      expect(r).toMatchObject({ via, sent: 1, sopInstanceUids: [sop] });
      sent.push(sop);
    }
    for (const sop of sent) {
      const found = await orthanc.rest<string[]>('/tools/find', {
        method: 'POST',
        body: JSON.stringify({ Level: 'Instance', Query: { SOPInstanceUID: sop } }),
      });
      expect(found, sop).toHaveLength(1);
    }
    const audits = host.store.db.prepare("SELECT detail FROM audit_log WHERE action = 'pacs-send'").all() as { detail: string }[];
    expect(audits.map((a) => JSON.parse(a.detail).via)).toEqual(['c-store', 'stow-rs']);
  }, 60_000);

  it('names a PACS that is down and one that rejects the association', async () => {
    const port = await freePort();
    await expect(host.impl.pacs.echo({ name: 'down', aet: 'DOWN', host: '127.0.0.1', port, tls: false })).rejects.toThrow(
      `PACS DOWN at 127.0.0.1:${port}: connection refused`,
    );
    const e = await Promise.resolve()
      .then(() => host.impl.pacs.echo({ name: 'wrong-ae', aet: 'NOT_ORTHANC', host: '127.0.0.1', port: orthanc.dicomPort, tls: false }))
      .catch((x: Error) => x);
    expect((e as Error).message).toMatch(
      new RegExp(`PACS NOT_ORTHANC at 127.0.0.1:${orthanc.dicomPort} rejected the association .*called AE title is not recognised`),
    );
    console.log(`[pacs faults] down: ${`PACS DOWN at 127.0.0.1:${port}: connection refused`}\n[pacs faults] rejected: ${(e as Error).message}`);
  }, 30_000);

  it('a PACS stalling mid-transfer (C-GET) times out with nothing imported; the retry fetches only the missing instances', async () => {
    const dir = incomingDir(path.join(host.store.dataDir, 'pacs', 'incoming'), studyUid, seriesUid);
    const count = (): number => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.dcm')).length : 0);
    let paused = false;
    const watch = setInterval(() => {
      if (!paused && count() >= 5) {
        orthanc.pause();
        paused = true;
      }
    }, 2);
    const first = await retrieve('c-get', { name: 'stall' }).finally(() => clearInterval(watch));
    orthanc.resume();
    expect(paused).toBe(true);
    expect(first.outcome.job.status).toBe('failed');
    expect(first.outcome.job.error?.code).toBe('PACS_TIMEOUT');
    expect(first.outcome.job.error?.message).toMatch(/PACS ORTHANC_TEST at 127\.0\.0\.1:\d+: no answer within 3 s/);
    expect(listStudies(host.store, first.patientId)).toEqual([]);
    const held = count();
    expect(held).toBeGreaterThanOrEqual(5);
    expect(held).toBeLessThan(20);
    console.log(`[pacs faults] stall: ${first.outcome.job.error?.message} (${held} of 20 held)`);
    const retry = await retrieve('c-get', { name: 'stall-retry' });
    expect(retry.outcome.job.error).toBeNull();
    expect(retry.summary!.fetched).toBe(20 - held);
    expectImported(retry.patientId);
    console.log(`[pacs timing] c-get resume: ${retry.summary!.fetched} missing instances in ${retry.summary!.retrieveMs} ms`);
  }, 120_000);

  it('an incomplete series (fewer instances than the query said) imports nothing, names the counts, and resumes once complete', async () => {
    const hit = (await host.impl.pacs.find('orthanc', { studyUid }, 'series', 'c-find')).find((h) => h.seriesUid === seriesUid);
    expect(hit!.instances).toBe(20);
    // the PACS loses one instance between the query and the retrieval
    const victim = files[7]!;
    const sop = execFileSync('dcmdump', ['+P', '0008,0018', '-s', victim])
      .toString()
      .match(/\[([0-9.]+)\]/)![1]!;
    const [oid] = await orthanc.rest<string[]>('/tools/find', { method: 'POST', body: JSON.stringify({ Level: 'Instance', Query: { SOPInstanceUID: sop } }) });
    await orthanc.rest(`/instances/${oid}`, { method: 'DELETE' });
    const first = await retrieve('wado-rs', { name: 'incomplete', expectedInstances: hit!.instances! });
    expect(first.outcome.job.error?.code).toBe('PACS_INCOMPLETE');
    expect(first.outcome.job.error?.message).toMatch(/the PACS listed 20 instances, 19 were received \(1 missing\); nothing was imported/);
    expect(listStudies(host.store, first.patientId)).toEqual([]);
    console.log(`[pacs faults] incomplete: ${first.outcome.job.error?.message}`);
    execFileSync('storescu', ['-xv', '-aet', 'DCMTK', '-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort), victim]);
    const retry = await retrieve('wado-rs', { name: 'incomplete-retry', expectedInstances: 20 });
    expect(retry.outcome.job.error).toBeNull();
    expect(retry.summary!.fetched).toBe(1);
    expectImported(retry.patientId);
    console.log(`[pacs timings]\n${timings.join('\n')}`);
  }, 120_000);

  it("a failed retrieval into the PACS's patient leaves no patient record it created; one already held is kept", async () => {
    // a one-instance study of a patient this store has never seen, then a retrieval told to expect 5 instances
    const one = path.join(tmp.dir, 'ghost');
    const ghost = j2kSeriesWithFreshUids(dataPath('dicom/totalseg_ct_series_j2k'), one, {
      patientName: 'GHOST^ONE',
      patientId: 'GHOST-1',
      studyDescription: 'Lumbar ghost',
    });
    execFileSync('storescu', ['-xv', '-aet', 'DCMTK', '-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort), ghost.files[0]!]);
    const before = listPatients(host.store).length;
    const jobId = await host.impl.pacs.retrieve('orthanc', {
      studyUid: ghost.studyUid,
      seriesUid: ghost.seriesUid,
      via: 'c-get',
      expectedInstances: 5,
      buildTwin: false,
    });
    const info = await host.impl.pacs.retrieval(jobId);
    expect(listPatients(host.store, 'GHOST-1').map((p) => p.id)).toEqual([info.patientId]); // created for the retrieval
    const outcome = await host.jobs.wait(jobId);
    expect(outcome.job.error?.code).toBe('PACS_INCOMPLETE');
    for (let i = 0; i < 50 && listPatients(host.store, 'GHOST-1').length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(listPatients(host.store, 'GHOST-1')).toEqual([]);
    expect(listPatients(host.store).length).toBe(before);
    const audit = host.store.db.prepare(`SELECT action FROM audit_log WHERE record_id = ? ORDER BY id`).all(info.patientId) as { action: string }[];
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['create', 'delete']));
    // the same failure into a patient the store already held keeps that patient
    const held = createPatient(host.store, { displayName: 'GHOST ONE', mrn: 'GHOST-1', birthDate: '', sex: '' }, 'test').id;
    const again = await host.jobs.wait(
      await host.impl.pacs.retrieve('orthanc', { studyUid: ghost.studyUid, seriesUid: ghost.seriesUid, via: 'c-get', expectedInstances: 5, buildTwin: false }),
    );
    expect(again.job.error?.code).toBe('PACS_INCOMPLETE');
    await new Promise((r) => setTimeout(r, 200));
    expect(listPatients(host.store, 'GHOST-1').map((p) => p.id)).toEqual([held]);
  }, 120_000);
});
