/**
 * DICOM objects of the results (issue 24 §3, must-show 2's DICOM side), on
 * two DICOM sources: the real J2K CT series (a copy given fresh Study/Series/
 * SOP Instance UIDs and its SOP Class UID with DCMTK's dcmodify, since the
 * data set's are empty; 20 slices: two vertebrae, partly in view, so only
 * their trabecular HU is measured) and the example CT (the spine T11–S1)
 * written as a classic CT series by dcmjs (tests/helpers/ctToDicom.ts), so
 * the SR holds curvature, body and disc heights. Each is imported with a twin
 * through the services, its spine analysed, then a SEG, a TID 1500 SR and a
 * Surface Segmentation exported (`exchange.exportDicom`) and read back
 * (`exchange.readDicom`); the surfaces equal the twin's bone and skin meshes.
 * Checked independently of the writer: DCMTK's dcmdump reads both, dsrdump
 * reads the SR and shows the values written (parsed and compared with the
 * spine report), dicom3tools' dciodvfy reports no error on either; the SEG's
 * frames name the source instance at their ImagePositionPatient (positions
 * and UIDs from dcmdump of the source files), and the SEG decoded back onto
 * the source grid equals the stored vertebra label map, bone mask and body
 * mask voxel by voxel. On the example CT an SR is written before and after
 * the automatic screw plan is proposed (`planning.proposeScrews`): the second
 * holds one TID 1501 group per screw (L1–L5 both sides), read from dsrdump's
 * text — tracking identifier and UID, vertebra and laterality codes, the
 * SCOORD3D POLYLINE entry → target in the source's frame of reference, the
 * angles, sizes, breach depth, grade and plan version — and equal to the
 * stored plan; the first, like the J2K twin's, holds no screw group.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import type { CallContext } from '../../electron/services/access.js';
import { SitePolicy } from '../../electron/services/policy.js';
import type { Patient } from '../../capabilities/patients/contract.js';
import type { ExportDicomResult, ReadDicomResult } from '../../capabilities/exchange/contract.js';
import type { SpineAnalysis } from '../../electron/contract/spine.js';
import { decodeSegmentation, readPart10 } from '../../electron/io/dicomSeg.js';
import { decodeSurfaceSegmentation } from '../../electron/io/dicomSurfaceSeg.js';
import { decodeVtp } from '../../electron/io/mesh.js';
import { decodeNrrd } from '../../electron/io/nrrd.js';
import type { Volume } from '../../electron/engine/volume.js';
import { getArtefactPath } from '../../capabilities/twins/repo.js';
import { runExport } from '../../capabilities/exchange/cliExport.js';
import { screwTrackingUid, VERTEBRA_CODES } from '../../capabilities/exchange/dicomExport.js';
import type { ScrewPlan } from '../../capabilities/planning/contract.js';
import { readVolume } from '../../electron/io/readVolume.js';
import { writeCtSeries } from '../helpers/ctToDicom.js';
import { failure, serviceCaller } from '../helpers/serviceCalls.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';
import { checkSeg, dumpValue } from '../helpers/segCheck.js';

const PASSWORD = 'correct horse battery';
const has = (tool: string): boolean => spawnSync('which', [tool]).status === 0;

/** What the object copied or derived: the data set as text (binary values in hex) without its own UIDs and creation date/time. */
function comparable(buf: Buffer): { text: string; keys: number } {
  const { dataset } = readPart10(buf);
  for (const k of [
    'SOPInstanceUID',
    'SeriesInstanceUID',
    'ContentDate',
    'ContentTime',
    'SeriesDate',
    'SeriesTime',
    'InstanceCreationDate',
    'InstanceCreationTime',
  ])
    delete dataset[k];
  // the object's own UIDs: its SOP Instance, its series, its dimension organisation, the SR's tracking UIDs (UIDREF items)
  const text = JSON.stringify(dataset, (k, v: unknown) =>
    k === 'DimensionOrganizationUID' || k === 'UID'
      ? 'own'
      : v instanceof ArrayBuffer
        ? Buffer.from(v).toString('hex')
        : ArrayBuffer.isView(v)
          ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')
          : v,
  );
  return { text, keys: Object.keys(dataset).length };
}

/** One measurement group as DCMTK's `dsrdump +Pc +Pl` prints it: its group-level items and the SCOORD3D under them. */
interface DsrGroup {
  text: string;
  trackingId: string;
  trackingUid: string;
  finding: { code: string; scheme: string } | null;
  findingSite: { code: string; scheme: string } | null;
  laterality: { code: string; scheme: string } | null;
  /** Group-level NUM items: concept code, value, UCUM unit code. */
  nums: { code: string; value: number; unit: string }[];
  /** Group-level CODE items other than the finding and its site: concept code → value code. */
  codes: { concept: string; value: string }[];
  texts: { concept: string; value: string }[];
  /** SCOORD3D items (at any depth): graphic type and the flat coordinates. */
  scoords: { type: string; points: number[] }[];
}

/**
 * The measurement groups of a dsrdump text (`+Pc +Pl`: concept name codes, long values in full): each group runs from
 * its `CONTAINER:(125007,DCM,"Measurement Group")` line to the next container; its items are the lines one level in.
 */
function dsrGroups(text: string): DsrGroup[] {
  const lines = text.split('\n');
  const groups: DsrGroup[] = [];
  const indent = (l: string): number => l.length - l.trimStart().length;
  const code = (l: string, concept: string): { code: string; scheme: string } | null => {
    const m = new RegExp(`CODE:\\(${concept},[^,]*,"[^"]*"\\)=\\(([^,]*),([^,]*),`).exec(l);
    return m ? { code: m[1]!, scheme: m[2]! } : null;
  };
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.includes('CONTAINER:(125007,DCM,')) continue;
    const body: string[] = [];
    for (let j = i + 1; j < lines.length && !lines[j]!.includes('CONTAINER:') && lines[j]!.trim(); j++) body.push(lines[j]!);
    const level = Math.min(...body.map(indent));
    const top = body.filter((l) => indent(l) === level);
    const find = (concept: string): { code: string; scheme: string } | null => top.map((l) => code(l, concept)).find((x) => x !== null) ?? null;
    groups.push({
      text: [lines[i]!, ...body].join('\n'),
      trackingId: /TEXT:\(112039,DCM,"[^"]*"\)="([^"]*)"/.exec(top.join('\n'))?.[1] ?? '',
      trackingUid: /UIDREF:\(112040,DCM,"[^"]*"\)="([^"]*)"/.exec(top.join('\n'))?.[1] ?? '',
      finding: find('121071'),
      findingSite: find('363698007'),
      laterality: body.map((l) => code(l, '272741003')).find((x) => x !== null) ?? null,
      nums: top.flatMap((l) => {
        const m = /NUM:\(([^,]*),[^,]*,"[^"]*"\)="([^"]*)" \(([^,]*),UCUM/.exec(l);
        return m ? [{ code: m[1]!, value: Number(m[2]), unit: m[3]! }] : [];
      }),
      codes: top.flatMap((l) => {
        const m = /CODE:\(([^,]*),[^,]*,"[^"]*"\)=\(([^,]*),/.exec(l);
        return m && m[1] !== '121071' && m[1] !== '363698007' ? [{ concept: m[1]!, value: m[2]! }] : [];
      }),
      texts: top.flatMap((l) => {
        const m = /TEXT:\(([^,]*),[^,]*,"[^"]*"\)="([^"]*)"/.exec(l);
        return m && m[1] !== '112039' ? [{ concept: m[1]!, value: m[2]! }] : [];
      }),
      scoords: body.flatMap((l) => {
        const m = /SCOORD3D:=\((\w+),,([^)]*)\)/.exec(l);
        return m ? [{ type: m[1]!, points: m[2]!.split(/[/,]/).map(Number) }] : [];
      }),
    });
  }
  return groups;
}

/** Writes the source series into `dir`; returns its study and series UIDs. */
type MakeSeries = (dir: string) => Promise<{ studyUid: string; seriesUid: string }>;

/** The J2K series, copied and given UIDs with dcmodify. */
const j2kSeries: MakeSeries = async (series) => {
  fs.mkdirSync(series, { recursive: true });
  const src = dataPath('dicom/totalseg_ct_series_j2k');
  for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(series, f));
  for (const f of fs.readdirSync(series)) fs.chmodSync(path.join(series, f), 0o644);
  // fresh Study, Series and SOP Instance UIDs and the SOP Class UID (the data set's are empty; one study and series UID for all files)
  const files = fs.readdirSync(series).map((f) => path.join(series, f));
  const uid = (): string => execFileSync('python3', ['-c', 'import uuid;print("2.25."+str(uuid.uuid4().int))']).toString().trim();
  const studyUid = uid(),
    seriesUid = uid();
  execFileSync('dcmodify', [
    '-nb',
    '-i',
    '(0008,0016)=1.2.840.10008.5.1.4.1.1.2',
    '-i',
    `(0020,000D)=${studyUid}`,
    '-i',
    `(0020,000E)=${seriesUid}`,
    '-gin',
    ...files,
  ]);
  return { studyUid, seriesUid };
};

/** The example CT (NIfTI) as a classic DICOM CT series. */
const exampleCtSeries: MakeSeries = async (dir) => {
  const { volume } = await readVolume(dataPath('ct/totalseg_example_ct.nii.gz'));
  const r = writeCtSeries(volume, dir, { patientName: 'Example^CT', patientId: 'EXCT-1', studyDate: '20250101' });
  return { studyUid: r.studyUid, seriesUid: r.seriesUid };
};

function dicomResultsSuite(title: string, makeSeries: MakeSeries, full: boolean): void {
  describeData(title, () => {
    const tmp = tmpDir('dicomsegsr-');
    let host: ServiceHost;
    const call = serviceCaller(() => host);
    const admin: CallContext = { token: null },
      surgeon: CallContext = { token: null };
    const series = path.join(tmp.dir, 'series');
    let analysis: SpineAnalysis;
    let twinId = '';
    let seg: ExportDicomResult;
    let sr: ExportDicomResult;
    let surf: ExportDicomResult;
    /** The example CT: the SR before the screw plan was proposed, and the plan (null on the J2K series: no plan). */
    let srNoPlan: ExportDicomResult | null = null;
    let plan: ScrewPlan | null = null;
    /** Source instances from dcmdump: SOP Instance UID → IPP. */
    const source = new Map<string, number[]>();
    let frameOfReference = '';
    let studyUid = '';
    let seriesUid = '';

    beforeAll(async () => {
      ({ studyUid, seriesUid } = await makeSeries(series));
      const files = fs.readdirSync(series).map((f) => path.join(series, f));
      for (const f of files) {
        const d = execFileSync('dcmdump', ['+P', '0008,0018', '+P', '0020,0032', '+P', '0020,0052', f]).toString();
        source.set(dumpValue(d, '0008,0018'), dumpValue(d, '0020,0032').split('\\').map(Number));
        frameOfReference = dumpValue(d, '0020,0052');
      }
      host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', policy: SitePolicy.parse({ lockSeconds: 3600 }) });
      await call({ token: null }, 'users', 'create', { username: 'it', displayName: 'Hospital IT', role: 'administrator', password: PASSWORD });
      await call(admin, 'auth', 'login', 'it', PASSWORD);
      await call(admin, 'users', 'create', { username: 'dr.seg', displayName: 'S. Egment', role: 'surgeon', password: PASSWORD });
      await call(surgeon, 'auth', 'login', 'dr.seg', PASSWORD);
      const patient = (await call(surgeon, 'patients', 'create', { displayName: 'Di Com', mrn: 'SEG-1', birthDate: '1960-01-01' })) as Patient;
      const t0 = performance.now();
      const jobId = (await call(surgeon, 'studies', 'import', {
        patientId: patient.id,
        path: series,
        strict: true,
        buildTwin: true,
        confirmIdentity: true,
      })) as string;
      const job = (await host.jobs.wait(jobId)).job;
      expect(job.error).toBeNull();
      const twin = (await host.impl.twins.list(patient.id))[0]!;
      twinId = twin.id;
      const spineJob = (await call(surgeon, 'spine', 'analyse', twin.id)) as string;
      expect((await host.jobs.wait(spineJob)).job.error).toBeNull();
      analysis = (await host.impl.spine.list(twin.id))[0] as SpineAnalysis;
      console.log(
        `import + twin + spine analysis: ${Math.round(performance.now() - t0)} ms; vertebrae ${analysis.report.vertebrae.map((v) => v.name).join(', ')}`,
      );
      if (full) {
        // an SR before any screw plan, then the automatic plan of the analysis
        srNoPlan = (await call(surgeon, 'exchange', 'exportDicom', twin.id, {
          kind: 'sr',
          out: path.join(tmp.dir, 'out', 'twin-sr-noplan.dcm'),
        })) as ExportDicomResult;
        const planId = (await call(surgeon, 'planning', 'proposeScrews', analysis.id)) as string;
        plan = (await call(surgeon, 'planning', 'plan', planId)) as ScrewPlan;
        console.log(`screw plan v${plan.version}: ${plan.screws.map((x) => `${x.level} ${x.side} ${x.breach.grade}`).join(', ')}`);
      }
      seg = (await call(surgeon, 'exchange', 'exportDicom', twin.id, { kind: 'seg', out: path.join(tmp.dir, 'out', 'twin-seg.dcm') })) as ExportDicomResult;
      sr = (await call(surgeon, 'exchange', 'exportDicom', twin.id, { kind: 'sr', out: path.join(tmp.dir, 'out', 'twin-sr.dcm') })) as ExportDicomResult;
      surf = (await call(surgeon, 'exchange', 'exportDicom', twin.id, {
        kind: 'surface',
        out: path.join(tmp.dir, 'out', 'twin-surface.dcm'),
      })) as ExportDicomResult;
      console.log(`SEG: ${seg.bytes} bytes, ${seg.segments.length} segments, timings ${JSON.stringify(seg.timingsMs)}; omitted ${JSON.stringify(seg.omitted)}`);
      console.log(
        `SR: ${sr.bytes} bytes, ${sr.groups} groups, ${sr.measurements} measurements, timings ${JSON.stringify(sr.timingsMs)}; omitted ${sr.omitted.length}`,
      );
    }, 600_000);

    afterAll(() => {
      host?.close();
      if (process.env['ORTHOTWIN_KEEP_TMP']) console.log(`kept ${tmp.dir}`);
      else tmp.cleanup();
    });

    it('both reference the source study and series, share its frame of reference, and are audited as exports', () => {
      for (const r of [seg, sr, surf]) {
        expect(r.studyInstanceUid).toBe(studyUid);
        expect(r.referencedSeriesInstanceUid).toBe(seriesUid);
        expect(r.sourceInstances).toBe(source.size);
      }
      expect(seg.frameOfReferenceUid).toBe(frameOfReference);
      const audit = host.store.db.prepare("SELECT detail FROM audit_log WHERE action = 'export' AND record_id = ?").all(twinId) as { detail: string }[];
      expect(audit.length).toBeGreaterThanOrEqual(3);
    });

    it('DCMTK reads both; dciodvfy finds no error in either', () => {
      for (const r of [seg, sr, surf]) {
        const d = spawnSync('dcmdump', ['-q', r.path], { maxBuffer: 256 << 20 });
        expect(d.status, d.stderr.toString()).toBe(0);
        const dump = d.stdout.toString();
        expect(dumpValue(dump, '0020,000d')).toBe(studyUid);
        expect(dumpValue(dump, '0008,0018')).toBe(r.sopInstanceUid);
      }
      if (!has('dciodvfy')) return console.warn('[skipped] dciodvfy is not installed');
      for (const r of [seg, sr, surf]) {
        const v = spawnSync('dciodvfy', [r.path], { maxBuffer: 256 << 20 });
        const out = (v.stdout.toString() + v.stderr.toString()).split('\n').filter((l) => /^(Error|Warning)/.test(l));
        console.log(`dciodvfy ${r.kind}: ${out.length ? '\n  ' + out.join('\n  ') : 'no errors or warnings'}`);
        expect(out.filter((l) => l.startsWith('Error'))).toEqual([]);
      }
    });

    it("the SEG's frames reference the source slice at their position, and decode back to the stored label map and masks exactly", async () => {
      const t0 = performance.now();
      const s = decodeSegmentation(fs.readFileSync(seg.path));
      expect(s.studyInstanceUid).toBe(studyUid);
      expect(s.frameOfReferenceUid).toBe(frameOfReference);
      expect(s.referencedSeriesUid).toBe(seriesUid);
      const read = async (kind: string, artefacts: { id: string; kind: string }[]): Promise<Volume> =>
        decodeNrrd(await host.store.readFile(getArtefactPath(host.store, artefacts.find((a) => a.kind === kind)!.id).abs), kind);
      const twin = await host.impl.twins.get(twinId);
      const labels = await read('vertebra-labels', analysis.artefacts);
      const r = checkSeg(
        fs.readFileSync(seg.path),
        source,
        analysis.report.vertebrae,
        labels,
        await read('bone-mask', twin.artefacts),
        await read('skin-mask', twin.artefacts),
      );
      console.log(`SEG checked in ${Math.round(performance.now() - t0)} ms: ${JSON.stringify(r)}`);
      expect(r.frames).toBeGreaterThan(0);
      expect(r.labelVoxels).toBeGreaterThan(0);
      expect(r.gridMatches).toBe(true);
      expect(r).toMatchObject({ wrongReference: 0, labelMismatch: 0, boneMismatch: 0, bodyMismatch: 0, overlaps: 0 });
      const segLabel = new Map(s.segments.map((x) => [x.number, analysis.report.vertebrae.find((y) => y.name === x.label)?.label ?? 0]));
      // the segments' codes
      for (const x of s.segments.filter((y) => segLabel.get(y.number)! > 0)) {
        expect(x.category.CodeMeaning).toBe('Anatomical Structure');
        // CID 7603 for C1–L5, the Sacrum for S1; an unnumbered vertebra (V1, …) in the private scheme
        expect(x.type.CodingSchemeDesignator).toBe(VERTEBRA_CODES[x.label] || x.label === 'S1' ? 'SCT' : '99ORTHOTWIN');
      }
      // exchange.readDicom shows the same segments
      const back = (await call(surgeon, 'exchange', 'readDicom', seg.path)) as ReadDicomResult;
      expect(back.kind).toBe('seg');
      expect(back.segments.map((x) => x.label)).toEqual(seg.segments.map((x) => x.label));
      expect(back.segments.map((x) => x.voxels)).toEqual(seg.segments.map((x) => x.voxels));
    });

    it("the SR's numbers are the spine report's (dsrdump and the read-back), with the software as observer", async () => {
      const back = (await call(surgeon, 'exchange', 'readDicom', sr.path)) as ReadDicomResult;
      expect(back.kind).toBe('sr');
      expect(back.template).toBe('1500');
      expect(back.observer?.type).toBe('Device');
      expect(back.referencedSeriesInstanceUid).toBe(seriesUid);
      expect(back.measurements.length).toBe(sr.measurements);
      // expected values from the report, in the writer's order
      const r = analysis.report;
      const expected: { group: string; value: number; tol: number }[] = [];
      const c = r.curvature;
      for (const cobb of [c.coronal, c.sagittal]) if (cobb) expected.push({ group: 'Cobb', value: cobb.angleDeg, tol: 0.005 });
      if (c.lumbarLordosisDeg !== null) expected.push({ group: 'lordosis', value: c.lumbarLordosisDeg, tol: 0.005 });
      if (c.thoracicKyphosisDeg !== null) expected.push({ group: 'kyphosis', value: c.thoracicKyphosisDeg, tol: 0.005 });
      for (const v of r.vertebrae) {
        for (const h of [v.heightsMm.anterior, v.heightsMm.middle, v.heightsMm.posterior])
          if (h !== null) expected.push({ group: v.name, value: h, tol: 0.005 });
        if (v.sphereHu) expected.push({ group: v.name, value: v.sphereHu.mean, tol: 0.05 });
      }
      for (const d of r.discs) {
        for (const h of [d.heightsMm.anterior, d.heightsMm.middle, d.heightsMm.posterior])
          if (h !== null) expected.push({ group: `${d.upper}/${d.lower}`, value: h, tol: 0.005 });
        if (d.meanApMm !== null) expected.push({ group: `${d.upper}/${d.lower}`, value: d.meanApMm, tol: 0.005 });
      }
      // then the screw plan's groups: angles, diameter, length, isthmus width, deepest breach
      for (const x of plan?.screws ?? [])
        for (const v of [x.transverseAngleDeg, x.sagittalAngleDeg, x.diameterMm, x.lengthMm, x.isthmus?.widthMm ?? null, x.breach.worstBreachMm])
          if (v !== null) expected.push({ group: `${x.level} ${x.side} pedicle screw`, value: v, tol: 0.005 });
      expect(back.measurements.length).toBe(expected.length);
      if (full) {
        // the whole spine: curvature, every level's body heights and HU, the discs
        expect(expected.filter((e) => e.group === 'Cobb' || e.group === 'lordosis').length).toBeGreaterThanOrEqual(2);
        expect(r.discs.length).toBeGreaterThanOrEqual(4);
        expect(expected.length).toBeGreaterThan(30);
      }
      back.measurements.forEach((m, i) => {
        expect(m.group).toContain(expected[i]!.group);
        expect(Math.abs(m.value - expected[i]!.value)).toBeLessThanOrEqual(expected[i]!.tol);
      });
      // DCMTK's dsrdump: every NUM with its value and unit, in document order
      const d = spawnSync('dsrdump', ['-Ee', sr.path], { maxBuffer: 256 << 20 });
      expect(d.status, d.stderr.toString()).toBe(0);
      const text = d.stdout.toString();
      const nums = [...text.matchAll(/NUM:\([^)]*"([^"]*)"\)="([^"]+)" \(([^,]+),UCUM/g)].map((m) => ({ concept: m[1]!, value: Number(m[2]), unit: m[3]! }));
      console.log(`dsrdump: ${nums.length} NUM items, e.g. ${text.split('\n').find((l) => l.includes('NUM:')) ?? ''}`);
      expect(nums.length).toBe(expected.length);
      nums.forEach((x, i) => expect(Math.abs(x.value - expected[i]!.value)).toBeLessThanOrEqual(expected[i]!.tol));
      expect(text).toContain('Imaging Measurement Report');
      expect(text).toContain('Device Observer Name');
    });

    it('an SR of a twin without a screw plan has no screw group (dsrdump and the read-back)', async () => {
      const noPlan = full ? srNoPlan! : sr;
      expect(noPlan.screwPlan).toBeNull();
      expect(noPlan.omitted.some((o) => o.startsWith('screw plan:'))).toBe(true);
      const d = spawnSync('dsrdump', ['+Pc', '+Pl', noPlan.path], { maxBuffer: 256 << 20 });
      expect(d.status, d.stderr.toString()).toBe(0);
      const groups = dsrGroups(d.stdout.toString());
      expect(groups.length).toBe(noPlan.groups);
      expect(groups.filter((g) => g.finding?.code === '68183006').length).toBe(0);
      expect(groups.filter((g) => g.scoords.length).length).toBe(0);
      const back = (await call(surgeon, 'exchange', 'readDicom', noPlan.path)) as ReadDicomResult;
      expect(back.screws).toEqual([]);
      if (full) {
        // the same spine groups as the SR with the plan, which adds one group per screw
        expect(sr.groups).toBe(noPlan.groups + plan!.screws.length);
        if (has('dciodvfy')) {
          const v = spawnSync('dciodvfy', [noPlan.path], { maxBuffer: 256 << 20 });
          expect((v.stdout.toString() + v.stderr.toString()).split('\n').filter((l) => l.startsWith('Error'))).toEqual([]);
        }
      }
    });

    it.runIf(full)("the SR holds the newest screw plan: a group per screw whose values are the plan's (dsrdump and the read-back)", async () => {
      const p = plan!;
      // the automatic plan of the example CT: L1–L5 both sides
      expect(p.screws.map((x) => `${x.level} ${x.side}`).sort()).toEqual(['L1', 'L2', 'L3', 'L4', 'L5'].flatMap((l) => [`${l} left`, `${l} right`]).sort());
      expect(sr.screwPlan).toEqual({ id: p.id, version: p.version, screws: 10 });
      const d = spawnSync('dsrdump', ['+Pc', '+Pl', sr.path], { maxBuffer: 256 << 20 });
      expect(d.status, d.stderr.toString()).toBe(0);
      const groups = dsrGroups(d.stdout.toString());
      const screws = groups.filter((g) => g.finding?.code === '68183006');
      console.log(`dsrdump: ${groups.length} measurement groups, ${screws.length} screw groups; e.g.\n${screws[0]?.text ?? ''}`);
      expect(screws.length).toBe(10);
      const uids = new Set<string>();
      let worst = 0;
      for (const x of p.screws) {
        const id = `${x.level} ${x.side} pedicle screw`;
        const g = screws.find((y) => y.trackingId === id);
        expect(g, id).toBeDefined();
        // finding site: the vertebra's CID 7603 code, laterality SCT Left / Right
        expect(g!.findingSite).toEqual({ code: VERTEBRA_CODES[x.level], scheme: 'SCT' });
        expect(g!.laterality).toEqual({ code: x.side === 'left' ? '7771000' : '24028007', scheme: 'SCT' });
        expect(g!.trackingUid).toBe(screwTrackingUid(p.analysisId, x.level, x.side));
        uids.add(g!.trackingUid);
        // the trajectory: one POLYLINE entry → target in the source's frame of reference (FL: float32)
        expect(g!.scoords.length).toBe(1);
        const sc = g!.scoords[0]!;
        expect(sc.type).toBe('POLYLINE');
        expect(sc.points.length).toBe(6);
        [...x.entryLps, ...x.targetLps].forEach((v, k) => {
          worst = Math.max(worst, Math.abs(sc.points[k]! - v));
        });
        // numbers by concept: angles in deg, sizes and depth in mm
        const num = (code: string, unit: string): number => {
          const n = g!.nums.find((y) => y.code === code);
          expect(n?.unit, `${id} ${code}`).toBe(unit);
          return n!.value;
        };
        expect(Math.abs(num('SCREW-TRANS-ANG', 'deg') - x.transverseAngleDeg)).toBeLessThanOrEqual(0.005);
        expect(Math.abs(num('SCREW-SAG-ANG', 'deg') - x.sagittalAngleDeg)).toBeLessThanOrEqual(0.005);
        expect(Math.abs(num('81827009', 'mm') - x.diameterMm)).toBeLessThanOrEqual(0.005);
        expect(Math.abs(num('410668003', 'mm') - x.lengthMm)).toBeLessThanOrEqual(0.005);
        expect(Math.abs(num('103355008', 'mm') - x.isthmus!.widthMm)).toBeLessThanOrEqual(0.005);
        expect(Math.abs(num('SCREW-BREACH', 'mm') - x.breach.worstBreachMm)).toBeLessThanOrEqual(0.005);
        expect(g!.codes.find((c) => c.concept === 'GR-GRADE')?.value).toBe(`GR-${x.breach.grade}`);
        expect(g!.texts.find((t) => t.concept === 'PLAN-VERSION')?.value).toBe(String(p.version));
        expect(g!.texts.find((t) => t.concept === '121106')?.value).toContain(p.note);
      }
      console.log(`screw trajectories: largest |SCOORD3D - plan| ${worst.toExponential(2)} mm over ${p.screws.length * 6} coordinates`);
      expect(worst).toBeLessThan(1e-3);
      expect(uids.size).toBe(10);
      // every SCOORD3D names the source series' frame of reference (dcmdump: Referenced Frame of Reference UID)
      const fors = execFileSync('dcmdump', ['-q', '+P', '3006,0024', sr.path])
        .toString()
        .trim()
        .split('\n')
        .map((l) => dumpValue(l, '3006,0024'));
      expect(fors).toEqual(new Array<string>(10).fill(frameOfReference));
      // exchange.readDicom shows the same screws
      const back = (await call(surgeon, 'exchange', 'readDicom', sr.path)) as ReadDicomResult;
      expect(back.screws.length).toBe(10);
      for (const x of p.screws) {
        const b = back.screws.find((y) => y.group === `${x.level} ${x.side} pedicle screw`)!;
        expect(b.laterality).toBe(x.side === 'left' ? 'Left' : 'Right');
        expect(b.findingSite?.CodeValue).toBe(VERTEBRA_CODES[x.level]);
        expect(b.frameOfReferenceUid).toBe(frameOfReference);
        b.entryLps!.forEach((v, k) => expect(Math.abs(v - x.entryLps[k]!)).toBeLessThan(1e-3));
        b.targetLps!.forEach((v, k) => expect(Math.abs(v - x.targetLps[k]!)).toBeLessThan(1e-3));
        expect(b.grade).toBe(x.breach.grade);
        expect(b.planVersion).toBe(String(p.version));
        expect(Math.abs(b.lengthMm! - x.lengthMm)).toBeLessThanOrEqual(0.005);
        expect(Math.abs(b.breachDepthMm! - x.breach.worstBreachMm)).toBeLessThanOrEqual(0.005);
      }
    });

    it("the Surface Segmentation holds the twin's bone and skin meshes exactly, in the source's frame of reference", async () => {
      const s = decodeSurfaceSegmentation(fs.readFileSync(surf.path));
      expect(s.studyInstanceUid).toBe(studyUid);
      expect(s.frameOfReferenceUid).toBe(frameOfReference);
      expect(s.referencedSeriesUid).toBe(seriesUid);
      const twin = await host.impl.twins.get(twinId);
      for (const [label, kind] of [
        ['Bone', 'bone-mesh'],
        ['Body', 'skin-mesh'],
      ] as const) {
        const a = twin.artefacts.find((x) => x.kind === kind && x.format === 'vtp')!;
        const mesh = decodeVtp(await host.store.readFile(getArtefactPath(host.store, a.id).abs));
        const got = s.surfaces.find((x) => x.label === label)!;
        expect(got.mesh.points.length).toBe(mesh.points.length);
        expect(got.mesh.triangles.length).toBe(mesh.triangles.length);
        let diff = 0;
        for (let k = 0; k < mesh.points.length; k++) if (got.mesh.points[k] !== Math.fround(mesh.points[k] as number)) diff++;
        for (let k = 0; k < mesh.triangles.length; k++) if (got.mesh.triangles[k] !== mesh.triangles[k]) diff++;
        console.log(
          `surface ${label}: ${mesh.points.length / 3} points, ${mesh.triangles.length / 3} triangles, finite volume ${got.finiteVolume}, manifold ${got.manifold}; differences ${diff}`,
        );
        expect(diff).toBe(0);
      }
      const back = (await call(surgeon, 'exchange', 'readDicom', surf.path)) as ReadDicomResult;
      expect(back.kind).toBe('surface');
      expect(back.surfaces.map((x) => x.triangles)).toEqual(surf.surfaces.map((x) => x.triangles));
    });

    it('with the source folder moved away, the reference stored at the import gives the same SEG, SR and surfaces; without it, NOT_FOUND', async () => {
      const seriesId = (await host.impl.twins.get(twinId)).seriesId;
      const stored = host.store.db.prepare('SELECT COUNT(*) FROM series_dicom_instances WHERE series_id = ?').pluck().get(seriesId) as number;
      expect(stored).toBe(source.size);
      const moved = `${series}-moved`;
      fs.renameSync(series, moved);
      try {
        let n = 0;
        for (const before of [seg, sr, surf]) {
          const out = path.join(tmp.dir, 'out', `moved-${before.kind}.dcm`);
          const after = (await call(surgeon, 'exchange', 'exportDicom', twinId, { kind: before.kind, out })) as ExportDicomResult;
          expect(before.sourceReference).toBe('folder');
          expect(after.sourceReference).toBe('store');
          expect([after.studyInstanceUid, after.referencedSeriesInstanceUid, after.frameOfReferenceUid, after.sourceInstances]).toEqual([
            before.studyInstanceUid,
            before.referencedSeriesInstanceUid,
            before.frameOfReferenceUid,
            before.sourceInstances,
          ]);
          // the whole data set but the new object's own UIDs and creation date/time, Pixel Data and surfaces included, byte for byte
          const a = comparable(fs.readFileSync(before.path)),
            b = comparable(fs.readFileSync(after.path));
          expect(b.text.length).toBeGreaterThan(1000);
          expect(b.text).toEqual(a.text);
          n += a.keys;
        }
        console.log(`folder vs stored reference: SEG, SR and surfaces identical (${n} top-level attributes compared)`);
        // a series imported before migration 0018 (no stored reference) whose folder is gone: the clear NOT_FOUND
        host.store.db.prepare('DELETE FROM series_dicom_sources WHERE series_id = ?').run(seriesId);
        const e = await failure(call(surgeon, 'exchange', 'exportDicom', twinId, { kind: 'seg', out: path.join(tmp.dir, 'out', 'gone.dcm') }));
        expect(e.code).toBe('NOT_FOUND');
        expect(e.message).toBe(`${series}: the source series' folder is gone; a derived DICOM object must reference its instances`);
      } finally {
        fs.renameSync(moved, series);
      }
    });

    it('`twin export --format sr|seg` writes and reads back through the CLI', async () => {
      host.close();
      const logs: string[] = [];
      const log = console.log;
      console.log = (...a: unknown[]) => void logs.push(a.join(' '));
      try {
        const rc1 = await runExport([twinId, '--data-dir', path.join(tmp.dir, 'data'), '--format', 'sr', '--out', path.join(tmp.dir, 'out', 'cli-sr.dcm')]);
        const rc2 = await runExport([twinId, '--data-dir', path.join(tmp.dir, 'data'), '--format', 'seg', '--out', path.join(tmp.dir, 'out', 'cli-seg.dcm')]);
        expect([rc1, rc2]).toEqual([0, 0]);
        expect(await runExport([twinId, '--data-dir', path.join(tmp.dir, 'data'), '--format', 'seg', '--out', path.join(tmp.dir, 'out', 'cli-seg.dcm')])).toBe(
          1,
        );
      } finally {
        console.log = log;
        host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', policy: SitePolicy.parse({ lockSeconds: 3600 }) });
      }
      expect(logs.some((l) => l.includes('Cobb angle') || l.includes('Vertebral body height'))).toBe(true);
      expect(logs.some((l) => /segment 1 /.test(l))).toBe(true);
      // the screws of the plan, each with its trajectory and grade (none on the J2K twin)
      expect(logs.filter((l) => / pedicle screw: entry \(/.test(l)).length).toBe(full ? 10 : 0);
    });
  });
}

dicomResultsSuite('DICOM SEG and TID 1500 SR of the twin of the J2K CT series, referencing the source series', j2kSeries, false);
dicomResultsSuite('DICOM SEG and TID 1500 SR of the twin of the example CT as a DICOM series (T11–S1)', exampleCtSeries, true);
