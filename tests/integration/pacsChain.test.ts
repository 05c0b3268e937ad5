/**
 * Issue 24 must-show 2 as one chain, against a real Orthanc (Debian's orthanc
 * + orthanc-dicomweb on loopback, tests/helpers/orthanc.ts): the J2K CT series
 * of the shared data (20 slices of the lumbar spine, two vertebrae partly in
 * view; its SOP, study and series UIDs are empty, so a copy gets fresh ones
 * with DCMTK's dcmodify) is stored into Orthanc with DCMTK's storescu; OrthoTwin
 * finds it by C-FIND and retrieves it by C-MOVE into one twin store, finds it
 * by QIDO-RS and retrieves it by WADO-RS into a second store; each builds the
 * twin and its spine analysis (the SR's measurements: the two vertebrae's
 * trabecular HU, their heights where in view), exports a SEG, a TID 1500 SR
 * and a Surface Segmentation — from the source reference recorded at the
 * import, since the retrieval's incoming folder is removed — and sends them
 * back, the first store by C-STORE, the second by STOW-RS. Then Orthanc holds
 * the six objects (its REST API, and OrthoTwin's C-FIND of the study's
 * series); DCMTK's dcmdump reads Orthanc's copies and dsrdump the SRs; each
 * SEG's frames reference the source instance at their position (dcmdump of
 * the files storescu sent), and the SEG decoded onto the source grid equals
 * the store's vertebra label map, bone and body masks voxel for voxel.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import type { CallContext } from '../../electron/services/access.js';
import { SitePolicy } from '../../electron/services/policy.js';
import type { Patient } from '../../capabilities/patients/contract.js';
import type { ExportDicomResult } from '../../capabilities/exchange/contract.js';
import type { FindHit, RetrieveSummary, SendResult } from '../../capabilities/pacs/contract.js';
import type { SpineAnalysis } from '../../electron/contract/spine.js';
import { getArtefactPath } from '../../capabilities/twins/repo.js';
import { decodeNrrd } from '../../electron/io/nrrd.js';
import type { Volume } from '../../electron/engine/volume.js';
import { dataPath, describeData } from '../helpers/data.js';
import { freePort, j2kSeriesWithFreshUids, startOrthanc, type OrthancPeer } from '../helpers/orthanc.js';
import { checkSeg, dumpValue, sourceByDcmdump } from '../helpers/segCheck.js';
import { serviceCaller } from '../helpers/serviceCalls.js';
import { tmpDir } from '../helpers/tmp.js';

const LOCAL_AET = 'OTWIN_CHAIN';
const PASSWORD = 'correct horse battery';

interface Store {
  name: string;
  host: ServiceHost;
  call: ReturnType<typeof serviceCaller>;
  surgeon: CallContext;
  retrieveVia: 'c-move' | 'wado-rs';
  sendVia: 'c-store' | 'stow-rs';
  summary?: RetrieveSummary;
  twinId: string;
  analysis?: SpineAnalysis;
  exports: ExportDicomResult[];
  sent?: SendResult;
}

describeData(
  'must-show 2: J2K series → Orthanc (storescu) → OrthoTwin C-FIND/C-MOVE and QIDO/WADO-RS → twin → SEG, SR, surfaces → C-STORE/STOW-RS → Orthanc',
  () => {
    const tmp = tmpDir('orthotwin-pacs-chain-');
    const series = path.join(tmp.dir, 'series');
    let orthanc: OrthancPeer;
    let studyUid = '';
    let seriesUid = '';
    let files: string[] = [];
    let source: ReturnType<typeof sourceByDcmdump>;
    const stores: Store[] = [];

    beforeAll(async () => {
      // one study and series UID for all files, a fresh SOP Instance UID each (-gin), the CT SOP class (empty in the data set)
      ({ studyUid, seriesUid, files } = j2kSeriesWithFreshUids(dataPath('dicom/totalseg_ct_series_j2k'), series, {
        patientName: 'CHAIN^TEST',
        patientId: 'CHAIN001',
        studyDescription: 'Lumbar spine CT (chain)',
      }));
      source = sourceByDcmdump(files);
      const scpPort = await freePort();
      orthanc = await startOrthanc({ modalities: { orthotwin: [LOCAL_AET, '127.0.0.1', scpPort] } });
      execFileSync('storescu', ['-xv', '-aet', 'DCMTK', '-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort), ...files]);
      const policy = SitePolicy.parse({
        lockSeconds: 3600,
        pacsNodes: [{ name: 'orthanc', aet: orthanc.aet, host: '127.0.0.1', port: orthanc.dicomPort, dicomWebUrl: orthanc.dicomWebUrl }],
        pacsLocal: { aet: LOCAL_AET, storePort: scpPort, timeoutSeconds: 10 },
      });
      for (const [name, retrieveVia, sendVia] of [
        ['dimse', 'c-move', 'c-store'],
        ['dicomweb', 'wado-rs', 'stow-rs'],
      ] as const) {
        const host = createServices({ dataDir: path.join(tmp.dir, `data-${name}`), transport: 'cli', policy });
        const call = serviceCaller(() => host);
        const admin: CallContext = { token: null },
          surgeon: CallContext = { token: null };
        await call({ token: null }, 'users', 'create', { username: 'it', displayName: 'Hospital IT', role: 'administrator', password: PASSWORD });
        await call(admin, 'auth', 'login', 'it', PASSWORD);
        await call(admin, 'users', 'create', { username: 'dr.pacs', displayName: 'P. Acs', role: 'surgeon', password: PASSWORD });
        await call(surgeon, 'auth', 'login', 'dr.pacs', PASSWORD);
        stores.push({ name, host, call, surgeon, retrieveVia, sendVia, twinId: '', exports: [] });
      }
    }, 60_000);

    afterAll(async () => {
      for (const s of stores) s.host.close();
      await orthanc?.stop();
      if (process.env['ORTHOTWIN_KEEP_TMP']) console.log(`kept ${tmp.dir}`);
      else tmp.cleanup();
    });

    it('each store finds the study (C-FIND, QIDO-RS), retrieves the series (C-MOVE, WADO-RS) with its twin and spine analysis, no folder kept', async () => {
      for (const s of stores) {
        const t0 = performance.now();
        const findVia = s.retrieveVia === 'wado-rs' ? 'qido-rs' : 'c-find';
        const studies = (await s.call(s.surgeon, 'pacs', 'find', 'orthanc', { patientId: 'CHAIN001' }, 'study', findVia)) as FindHit[];
        expect(studies.map((h) => [h.studyUid, h.instances])).toEqual([[studyUid, 20]]);
        const hits = (await s.call(s.surgeon, 'pacs', 'find', 'orthanc', { studyUid }, 'series', findVia)) as FindHit[];
        expect(hits.map((h) => [h.seriesUid, h.modality, h.instances])).toEqual([[seriesUid, 'CT', 20]]);
        const patient = (await s.call(s.surgeon, 'patients', 'create', { displayName: 'Chain Test', mrn: 'CHAIN001', birthDate: '1960-01-01' })) as Patient;
        const jobId = (await s.call(s.surgeon, 'pacs', 'retrieve', 'orthanc', {
          studyUid,
          seriesUid,
          via: s.retrieveVia,
          patientId: patient.id,
          expectedInstances: hits[0]!.instances!,
          buildTwin: true,
          confirmIdentity: true,
        })) as string;
        const outcome = await s.host.jobs.wait(jobId);
        expect(outcome.job.error).toBeNull();
        s.summary = outcome.details['retrieve'] as RetrieveSummary;
        expect(s.summary).toMatchObject({ via: s.retrieveVia, fetched: 20 });
        const twin = (await s.host.impl.twins.list(patient.id))[0]!;
        s.twinId = twin.id;
        const spineJob = (await s.call(s.surgeon, 'spine', 'analyse', twin.id)) as string;
        expect((await s.host.jobs.wait(spineJob)).job.error).toBeNull();
        s.analysis = (await s.host.impl.spine.list(twin.id))[0] as SpineAnalysis;
        // the retrieval's incoming folder is gone once imported: the series' source path no longer exists
        const sourcePath = s.host.store.db.prepare('SELECT source_path FROM series WHERE id = ?').pluck().get(twin.seriesId) as string;
        expect(fs.existsSync(sourcePath)).toBe(false);
        console.log(
          `[chain ${s.name}] ${s.retrieveVia}: 20 instances in ${s.summary.retrieveMs} ms; find + retrieve + import + twin + spine ${Math.round(performance.now() - t0)} ms; ` +
            `vertebrae ${s.analysis.report.vertebrae.map((v) => v.name).join(', ')}`,
        );
      }
    }, 120_000);

    it('exports SEG, SR and surfaces from the reference stored at the import and sends them back (C-STORE, STOW-RS); Orthanc holds all six', async () => {
      for (const s of stores) {
        for (const kind of ['seg', 'sr', 'surface'] as const) {
          const r = (await s.call(s.surgeon, 'exchange', 'exportDicom', s.twinId, {
            kind,
            out: path.join(tmp.dir, `out-${s.name}`, `${kind}.dcm`),
          })) as ExportDicomResult;
          expect(r.sourceReference).toBe('store');
          expect([r.studyInstanceUid, r.referencedSeriesInstanceUid, r.frameOfReferenceUid, r.sourceInstances]).toEqual([
            studyUid,
            seriesUid,
            source.frameOfReferenceUid,
            20,
          ]);
          s.exports.push(r);
        }
        s.sent = (await s.call(s.surgeon, 'pacs', 'send', 'orthanc', { via: s.sendVia, files: s.exports.map((e) => e.path) })) as SendResult;
        expect(s.sent).toMatchObject({ via: s.sendVia, sent: 3, sopInstanceUids: s.exports.map((e) => e.sopInstanceUid) });
        const audit = s.host.store.db.prepare("SELECT detail FROM audit_log WHERE action = 'pacs-send'").all() as { detail: string }[];
        expect(audit.map((a) => JSON.parse(a.detail).sopInstanceUids)).toEqual([s.exports.map((e) => e.sopInstanceUid)]);
      }
      // Orthanc's REST API: each object once, in the source study
      for (const e of stores.flatMap((s) => s.exports)) {
        const ids = await orthanc.rest<string[]>('/tools/find', {
          method: 'POST',
          body: JSON.stringify({ Level: 'Instance', Query: { SOPInstanceUID: e.sopInstanceUid } }),
        });
        expect(ids, `${e.kind} ${e.sopInstanceUid}`).toHaveLength(1);
        const tags = await orthanc.rest<Record<string, string>>(`/instances/${ids[0]}/simplified-tags`);
        expect([tags['StudyInstanceUID'], tags['SOPClassUID']]).toEqual([studyUid, e.sopClassUid]);
      }
      // and OrthoTwin's C-FIND of the study: the CT, two SEG series (segmentation and surfaces) and the SR per store
      const hits = (await stores[0]!.call(stores[0]!.surgeon, 'pacs', 'find', 'orthanc', { studyUid }, 'series', 'c-find')) as FindHit[];
      const modalities = hits.map((h) => h.modality).sort();
      console.log(`[chain] Orthanc's study now holds series: ${modalities.join(', ')}`);
      expect(modalities).toEqual(['CT', 'SEG', 'SEG', 'SEG', 'SEG', 'SR', 'SR']);
    }, 60_000);

    it("DCMTK's dcmdump reads Orthanc's copies and dsrdump the SRs, with the values written", async () => {
      for (const s of stores)
        for (const e of s.exports) {
          const [id] = await orthanc.rest<string[]>('/tools/find', {
            method: 'POST',
            body: JSON.stringify({ Level: 'Instance', Query: { SOPInstanceUID: e.sopInstanceUid } }),
          });
          const r = await fetch(`${orthanc.url}/instances/${id}/file`);
          expect(r.status).toBe(200);
          const copy = path.join(tmp.dir, `orthanc-${s.name}-${e.kind}.dcm`);
          fs.writeFileSync(copy, Buffer.from(await r.arrayBuffer()));
          const d = spawnSync('dcmdump', ['-q', '-Un', copy], { maxBuffer: 256 << 20 });
          expect(d.status, d.stderr.toString()).toBe(0);
          const dump = d.stdout.toString();
          expect([dumpValue(dump, '0008,0018'), dumpValue(dump, '0020,000d'), dumpValue(dump, '0008,0016')]).toEqual([
            e.sopInstanceUid,
            studyUid,
            e.sopClassUid,
          ]);
          if (e.kind !== 'sr') continue;
          const sr = spawnSync('dsrdump', ['-Ee', copy], { maxBuffer: 256 << 20 });
          expect(sr.status, sr.stderr.toString()).toBe(0);
          const text = sr.stdout.toString();
          expect(text).toContain('Imaging Measurement Report');
          const nums = [...text.matchAll(/NUM:\([^)]*"([^"]*)"\)="([^"]+)" \(([^,]+),UCUM/g)].map((m) => Number(m[2]));
          // the spine report's numbers in the writer's order (capabilities/exchange/dicomExport.ts spineReportGroups)
          const rep = s.analysis!.report;
          const c = rep.curvature;
          const expected = [
            ...[c.coronal?.angleDeg, c.sagittal?.angleDeg, c.lumbarLordosisDeg, c.thoracicKyphosisDeg].filter((x): x is number => typeof x === 'number'),
            ...rep.vertebrae.flatMap((v) => [
              ...[v.heightsMm.anterior, v.heightsMm.middle, v.heightsMm.posterior].filter((h): h is number => h !== null),
              ...(v.sphereHu ? [v.sphereHu.mean] : []),
            ]),
            ...rep.discs.flatMap((d) => [
              ...[d.heightsMm.anterior, d.heightsMm.middle, d.heightsMm.posterior, d.meanApMm].filter((h): h is number => h !== null),
            ]),
          ];
          console.log(`[chain ${s.name}] dsrdump of Orthanc's SR: ${nums.length} NUM items ${JSON.stringify(nums)}`);
          expect(nums.length).toBeGreaterThan(0);
          expect(nums.length).toBe(expected.length);
          nums.forEach((x, i) => expect(Math.abs(x - expected[i]!)).toBeLessThanOrEqual(0.05));
        }
    }, 60_000);

    it("each SEG's frames reference the retrieved source instance at their position and decode onto the source grid to the store's label map exactly", async () => {
      for (const s of stores) {
        const segFile = s.exports.find((e) => e.kind === 'seg')!.path;
        const read = async (kind: string, artefacts: { id: string; kind: string }[]): Promise<Volume> =>
          decodeNrrd(await s.host.store.readFile(getArtefactPath(s.host.store, artefacts.find((a) => a.kind === kind)!.id).abs), kind);
        const twin = await s.host.impl.twins.get(s.twinId);
        const labels = await read('vertebra-labels', s.analysis!.artefacts);
        const r = checkSeg(
          fs.readFileSync(segFile),
          source.ipp,
          s.analysis!.report.vertebrae,
          labels,
          await read('bone-mask', twin.artefacts),
          await read('skin-mask', twin.artefacts),
        );
        console.log(`[chain ${s.name}] SEG: ${JSON.stringify(r)}`);
        expect(r.frames).toBeGreaterThan(0);
        expect(r.labelVoxels).toBeGreaterThan(0);
        expect(r.gridMatches).toBe(true);
        expect(r).toMatchObject({ wrongReference: 0, labelMismatch: 0, boneMismatch: 0, bodyMismatch: 0, overlaps: 0 });
        // one segment per vertebra of the analysis, then bone and body
        expect(r.segments).toBe(s.analysis!.report.vertebrae.length + 2);
      }
    }, 60_000);
  },
);
