/**
 * The PACS capability (issue 24 §4–6): the site policy's PACS nodes, C-ECHO,
 * C-FIND / QIDO-RS at study and series level, retrieval as a job
 * (`pacs-retrieve`: C-MOVE, C-GET or WADO-RS into `<data dir>/pacs/incoming/`,
 * counted, then imported by the studies' import — see jobs.ts), and sending
 * DICOM objects back by C-STORE or STOW-RS. Every transfer is audited: the
 * contract's rules audit the calls, and the implementation records what moved
 * (`pacs-retrieve` with the series and counts, `pacs-send` with the SOP
 * Instance UIDs, `pacs-retrieve-failed` with the error).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import type { TwinStore } from '../../electron/db/store.js';
import { defineCapability, type CapabilityContext } from '../../electron/platform/capability.js';
import { DEFAULT_MAX_VOLUME_BYTES } from '../../electron/io/headers.js';
import { TwinParams } from '../twins/contract.js';
import { createPatient, deletePatient, findDuplicates, getPatient } from '../patients/repo.js';
import { getSeriesSource } from '../studies/repo.js';
import {
  PacsNode,
  PacsService,
  RetrieveRequest,
  RetrieveSummary,
  SendRequest,
  type RetrievalInfo,
  type FindHit,
  type FindLevel,
  type HeldStudy,
  type FindQuery,
  type PacsNodeRef,
} from './contract.js';
import * as dimse from './dimse.js';
import * as web from './dicomweb.js';
import { incomingDir, retrieveJob, type RetrieveContext } from './jobs.js';

/** A node by its policy name, or as given. */
export function resolveNode(policy: CapabilityContext['policy'], ref: PacsNodeRef): PacsNode {
  if (typeof ref !== 'string') return PacsNode.parse(ref);
  const n = policy.pacsNodes.find((x) => x.name === ref);
  if (!n)
    throw new AppError(
      'NOT_FOUND',
      `no PACS node "${ref}" in the site policy${policy.source ? ` (${policy.source})` : ''}; known: ${policy.pacsNodes.map((x) => x.name).join(', ') || 'none'}`,
    );
  return n;
}

const str = (v: unknown): string => {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(str).join('\\');
  if (typeof v === 'object' && 'Alphabetic' in (v as object)) return String((v as { Alphabetic: unknown }).Alphabetic ?? '');
  return String(v);
};
const int = (v: unknown): number | null => (v === undefined || v === null || v === '' ? null : Number.isFinite(Number(v)) ? Number(v) : null);

/** C-FIND keys of a query (empty keys ask the PACS to return the attribute). */
function findKeys(q: FindQuery, level: FindLevel): Record<string, unknown> {
  const k: Record<string, unknown> = {
    PatientName: q.patientName ?? '',
    PatientID: q.patientId ?? '',
    PatientBirthDate: '',
    PatientSex: '',
    StudyInstanceUID: q.studyUid ?? '',
    StudyDate: q.studyDate ?? '',
    StudyDescription: q.studyDescription ?? '',
    AccessionNumber: '',
  };
  if (level === 'study') Object.assign(k, { ModalitiesInStudy: q.modality ?? '', NumberOfStudyRelatedInstances: '' });
  else Object.assign(k, { SeriesInstanceUID: '', Modality: q.modality ?? '', SeriesNumber: '', SeriesDescription: '', NumberOfSeriesRelatedInstances: '' });
  return k;
}

export async function pacsFind(node: PacsNode, local: dimse.LocalAe, q: FindQuery, level: FindLevel, via: 'c-find' | 'qido-rs'): Promise<FindHit[]> {
  if (level === 'series' && !q.studyUid) throw new AppError('BAD_REQUEST', 'a series-level query needs the study (studyUid)');
  if (via === 'qido-rs') {
    const keys: Record<string, string> = {};
    if (q.patientName) keys['PatientName'] = q.patientName;
    if (q.patientId) keys['PatientID'] = q.patientId;
    if (q.studyDate) keys['StudyDate'] = q.studyDate;
    if (q.studyDescription) keys['StudyDescription'] = q.studyDescription;
    if (q.modality) keys[level === 'study' ? 'ModalitiesInStudy' : 'Modality'] = q.modality;
    const fields =
      level === 'study'
        ? ['00100030', '00100040', '00081030', '00080050', '00080061', '00201208']
        : ['00100010', '00100020', '00100030', '00100040', '00081030', '00080020', '00080050', '0008103E', '00200011', '00201209'];
    const rows = await web.qido(
      node,
      level === 'study' ? 'studies' : `studies/${q.studyUid}/series`,
      { ...keys, ...(level === 'study' && q.studyUid ? { StudyInstanceUID: q.studyUid } : {}), includefield: fields.join(',') },
      local.timeoutS,
    );
    const v = web.jsonValue;
    return rows.map((r) => ({
      level,
      patientName: v(r, '00100010'),
      patientId: v(r, '00100020'),
      patientBirthDate: v(r, '00100030'),
      patientSex: v(r, '00100040'),
      studyUid: v(r, '0020000D') || (q.studyUid ?? ''),
      studyDate: v(r, '00080020'),
      studyDescription: v(r, '00081030'),
      accessionNumber: v(r, '00080050'),
      modality: level === 'study' ? ((r['00080061']?.Value ?? []) as string[]).join('\\') : v(r, '00080060'),
      ...(level === 'series' ? { seriesUid: v(r, '0020000E'), seriesNumber: v(r, '00200011'), seriesDescription: v(r, '0008103E') } : {}),
      instances: int(v(r, level === 'study' ? '00201208' : '00201209')),
    }));
  }
  const rows = await dimse.find(node, local, level === 'study' ? 'STUDY' : 'SERIES', findKeys(q, level));
  return rows.map((r) => ({
    level,
    patientName: str(r['PatientName']),
    patientId: str(r['PatientID']),
    patientBirthDate: str(r['PatientBirthDate']),
    patientSex: str(r['PatientSex']),
    studyUid: str(r['StudyInstanceUID']),
    studyDate: str(r['StudyDate']),
    studyDescription: str(r['StudyDescription']),
    accessionNumber: str(r['AccessionNumber']),
    modality: level === 'study' ? str(r['ModalitiesInStudy']) : str(r['Modality']),
    ...(level === 'series'
      ? { seriesUid: str(r['SeriesInstanceUID']), seriesNumber: str(r['SeriesNumber']), seriesDescription: str(r['SeriesDescription']) }
      : {}),
    instances: int(r[level === 'study' ? 'NumberOfStudyRelatedInstances' : 'NumberOfSeriesRelatedInstances']),
  }));
}

/**
 * The store's studies (patient, study and series not in the trash) whose StudyInstanceUID is one of `studyUids`,
 * with their patient and their series' SeriesInstanceUIDs: what the query/retrieve browser marks as held.
 */
export function heldStudies(store: CapabilityContext['store'], studyUids: readonly string[]): HeldStudy[] {
  const uids = [...new Set(studyUids.filter(Boolean))];
  if (!uids.length) return [];
  const rows = store.db
    .prepare(
      `SELECT st.id AS study_id, st.study_instance_uid, p.id AS patient_id, p.display_name, se.series_instance_uid
       FROM studies st JOIN patients p ON p.id = st.patient_id LEFT JOIN series se ON se.study_id = st.id AND se.trashed_at IS NULL
       WHERE st.trashed_at IS NULL AND p.trashed_at IS NULL AND st.study_instance_uid IN (${uids.map(() => '?').join(',')})
       ORDER BY st.created_at`,
    )
    .all(...uids) as { study_id: string; study_instance_uid: string; patient_id: string; display_name: string; series_instance_uid: string | null }[];
  const byStudy = new Map<string, HeldStudy>();
  for (const r of rows) {
    let h = byStudy.get(r.study_id);
    if (!h)
      byStudy.set(
        r.study_id,
        (h = { studyUid: r.study_instance_uid, patientId: r.patient_id, patientName: r.display_name, studyId: r.study_id, seriesUids: [] }),
      );
    if (r.series_instance_uid && !h.seriesUids.includes(r.series_instance_uid)) h.seriesUids.push(r.series_instance_uid);
  }
  return [...byStudy.values()];
}

/**
 * Whether anything of the store refers to the patient: a row of any table with a `patient_id` column (studies, twins,
 * forms, visits, sessions… — found from the schema, so a capability added later is covered too).
 */
function patientHasRecords(store: TwinStore, patientId: string): boolean {
  const tables = store.db
    .prepare(`SELECT m.name AS name FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'patient_id'`)
    .all() as { name: string }[];
  return tables.some((t) => store.db.prepare(`SELECT 1 FROM "${t.name}" WHERE patient_id = ? LIMIT 1`).get(patientId) !== undefined);
}

/** DICOM files of a folder (every regular file that starts like Part 10). */
function dicomFilesIn(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .map((f) => path.join(dir, f))
    .filter((f) => {
      if (!fs.statSync(f).isFile()) return false;
      const fd = fs.openSync(f, 'r');
      try {
        const b = Buffer.alloc(132);
        return fs.readSync(fd, b, 0, 132, 0) === 132 && b.toString('latin1', 128, 132) === 'DICM';
      } finally {
        fs.closeSync(fd);
      }
    })
    .sort();
}

export default defineCapability(
  {
    name: 'pacs',
    title: 'PACS: query, retrieve and send (DIMSE, DICOMweb)',
    version: '0.1.0',
    services: [PacsService],
    jobs: [retrieveJob],
    cli: [
      {
        name: 'pacs',
        usage:
          'twin pacs echo|find|retrieve|send --node NAME | --host H --port P --aet AET [--dicomweb URL] [--data-dir D] [--json] ... (twin pacs without arguments: details)',
        run: async (argv) => (await import('./cli.js')).runPacs(argv),
      },
    ],
  },
  ({ store, jobs, policy, actor, maxVolumeBytes, dataDir }) => {
    const local = (): dimse.LocalAe => ({ aet: policy.pacsLocal.aet, timeoutS: policy.pacsLocal.timeoutSeconds });
    const incomingRoot = path.join(dataDir, 'pacs', 'incoming');
    /** The retrievals started here (newest last, at most 100), for `pacs.retrieval`. */
    const retrievals = new Map<string, RetrievalInfo>();
    return {
      pacs: {
        nodes: () => ({ nodes: policy.pacsNodes, localAet: policy.pacsLocal.aet, storePort: policy.pacsLocal.storePort }),
        echo: async (ref) => {
          const node = resolveNode(policy, ref);
          const ms = await dimse.echo(node, local());
          return { node: node.name, ok: true as const, ms: Math.round(ms * 10) / 10 };
        },
        find: (ref, q, level, via) => pacsFind(resolveNode(policy, ref), local(), q, level, via ?? 'c-find'),
        retrieve: async (ref, reqIn) => {
          const node = resolveNode(policy, ref);
          const req = RetrieveRequest.parse(reqIn);
          let patientId = req.patientId;
          /** Set when this retrieval created the patient: a failed one removes it again while nothing of it exists. */
          let createdPatient = false;
          if (patientId) getPatient(store, patientId);
          else {
            // the study's patient by its PatientID, else a new record with the PACS's identity
            const via = req.via === 'wado-rs' ? 'qido-rs' : 'c-find';
            const [hit] = await pacsFind(node, local(), { studyUid: req.studyUid }, 'study', via);
            if (!hit) throw new AppError('NOT_FOUND', `${dimse.nodeLabel(node)} holds no study ${req.studyUid}`);
            const same = hit.patientId ? findDuplicates(store, { displayName: '', mrn: hit.patientId, birthDate: '' }).sameId : null;
            const bd = /^\d{8}$/.test(hit.patientBirthDate)
              ? `${hit.patientBirthDate.slice(0, 4)}-${hit.patientBirthDate.slice(4, 6)}-${hit.patientBirthDate.slice(6)}`
              : '';
            if (!same) createdPatient = true;
            patientId =
              same?.id ??
              createPatient(
                store,
                {
                  displayName: hit.patientName.replace(/\^/g, ' ').trim() || hit.patientId || 'Unknown',
                  mrn: hit.patientId,
                  birthDate: bd,
                  sex: hit.patientSex,
                },
                actor(),
              ).id;
          }
          const params = TwinParams.parse({});
          const context: RetrieveContext = { patientId, params, confirmIdentity: req.confirmIdentity === true, node: node.name };
          const job = jobs.start(retrieveJob, {
            payload: { node: node.name, via: req.via, studyUid: req.studyUid, seriesUid: req.seriesUid ?? null, patientId },
            context,
            request: (stagingDir) => ({
              node,
              local: { aet: policy.pacsLocal.aet, storePort: policy.pacsLocal.storePort, timeoutS: policy.pacsLocal.timeoutSeconds },
              via: req.via,
              studyUid: req.studyUid,
              ...(req.seriesUid ? { seriesUid: req.seriesUid } : {}),
              ...(req.expectedInstances ? { expectedInstances: req.expectedInstances } : {}),
              incomingRoot,
              stagingDir,
              strict: true,
              maxBytes: maxVolumeBytes ?? DEFAULT_MAX_VOLUME_BYTES,
              buildTwin: req.buildTwin,
              params,
            }),
          });
          const who = actor();
          retrievals.set(job.id, {
            jobId: job.id,
            node: node.name,
            via: req.via,
            studyUid: req.studyUid,
            seriesUid: req.seriesUid ?? null,
            patientId,
            summary: null,
          });
          for (const k of retrievals.keys()) if (retrievals.size > 100) retrievals.delete(k);
          void jobs.wait(job.id).then(({ job: j, details }) => {
            const kept = retrievals.get(job.id);
            if (kept && j.status === 'done' && details['retrieve']) kept.summary = RetrieveSummary.parse(details['retrieve']);
            // imported: the received files have served (the store holds the volume); otherwise they stay for the retry
            if (j.status === 'done') fs.rmSync(incomingDir(incomingRoot, req.studyUid, req.seriesUid), { recursive: true, force: true });
            else {
              store.audit(who, 'pacs-retrieve-failed', 'study', req.studyUid, {
                node: node.name,
                via: req.via,
                status: j.status,
                error: j.error?.code ?? null,
              });
              // nothing half-imported: the patient record this retrieval created goes again while nothing refers to it
              if (createdPatient && !patientHasRecords(store, patientId)) deletePatient(store, patientId, who);
            }
          });
          return job.id;
        },
        retrieval: (jobId) => {
          const r = retrievals.get(jobId);
          if (!r) throw new AppError('NOT_FOUND', `no PACS retrieval ${jobId} started since this workstation's services started`);
          return r;
        },
        held: (studyUids) => heldStudies(store, studyUids),
        send: async (ref, reqIn) => {
          const node = resolveNode(policy, ref);
          const req = SendRequest.parse(reqIn);
          let files: string[];
          if (req.seriesId) {
            const src = getSeriesSource(store, req.seriesId);
            if (src.format !== 'dicom' || !fs.existsSync(src.sourcePath))
              throw new AppError('NOT_FOUND', `series ${req.seriesId} has no DICOM source files to send (${src.format}, ${src.sourcePath})`);
            files = fs.statSync(src.sourcePath).isDirectory() ? dicomFilesIn(src.sourcePath) : [src.sourcePath];
          } else files = (req.files ?? []).map((f) => path.resolve(f));
          for (const f of files) if (!fs.existsSync(f)) throw new AppError('NOT_FOUND', `${f}: no such file`);
          const t0 = performance.now();
          const sops = req.via === 'stow-rs' ? await web.stow(node, files, local().timeoutS) : await dimse.store(node, local(), files);
          const ms = Math.round(performance.now() - t0);
          store.audit(actor(), 'pacs-send', req.seriesId ? 'series' : 'files', req.seriesId ?? '', { node: node.name, via: req.via, sopInstanceUids: sops });
          return { node: node.name, via: req.via, sent: sops.length, sopInstanceUids: sops, ms };
        },
      },
    };
  },
);
