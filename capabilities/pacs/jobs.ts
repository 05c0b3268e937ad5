/**
 * The retrieval job (`pacs-retrieve`): in its worker thread it lists what the
 * PACS holds of the study (the series, and each series' SOP Instance UIDs),
 * fetches what `<incoming>/<study>/<series>/` does not hold yet — a whole series
 * by C-MOVE (to OrthoTwin's C-STORE SCP, started in the worker for the
 * transfer), C-GET or WADO-RS, or after an interruption only the missing
 * instances — and counts: a series with fewer instances than the PACS listed
 * (or than the query said) fails the job with PACS_INCOMPLETE naming both
 * counts, and nothing is imported. Only when every series is complete are they
 * imported by the studies' own import (`importJob.run`/`commit`: one
 * transaction per series, twin after), so the store never holds half a
 * retrieval. Received files are written under a temporary name, fsynced and
 * renamed, so an interrupted transfer leaves whole instances only, which a
 * retry keeps.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../electron/contract/errors.js';
import { defineJob, type CommitSide, type WorkerSide } from '../../electron/platform/job.js';
import { TwinParams } from '../twins/contract.js';
import { TwinOutput } from '../twins/jobs.js';
import { importJob, VolumeOutput, type ImportContext } from '../studies/jobs.js';
import { PacsNode, RetrieveSummary, RetrieveVia } from './contract.js';
import * as dimse from './dimse.js';
import * as web from './dicomweb.js';

export const LocalAeConfig = z.object({ aet: z.string(), storePort: z.number().int(), timeoutS: z.number().positive() });
export type LocalAeConfig = z.infer<typeof LocalAeConfig>;

const SummaryOutput = z.object({ t: z.literal('pacs-summary'), summary: RetrieveSummary });

export interface RetrieveContext extends ImportContext {
  node: string;
}

/** The folder of a series' received instances (kept across retries until its import). */
export const incomingDir = (root: string, studyUid: string, seriesUid?: string): string =>
  seriesUid ? path.join(root, studyUid, seriesUid) : path.join(root, studyUid);

/** SOP Instance UIDs already received (whole files only: `.part` files are an interrupted write). */
export function heldInstances(dir: string): Set<string> {
  if (!fs.existsSync(dir)) return new Set();
  return new Set(
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.dcm'))
      .map((f) => f.slice(0, -4)),
  );
}

async function listSeries(node: PacsNode, local: dimse.LocalAe, via: RetrieveVia, studyUid: string): Promise<string[]> {
  if (via === 'wado-rs') {
    const rows = await web.qido(node, `studies/${studyUid}/series`, {}, local.timeoutS);
    return rows.map((r) => web.jsonValue(r, '0020000E')).filter(Boolean);
  }
  const rows = await dimse.find(node, local, 'SERIES', { StudyInstanceUID: studyUid, SeriesInstanceUID: '' });
  return rows.map((r) => String(r['SeriesInstanceUID'] ?? '')).filter(Boolean);
}

export const retrieveJob = defineJob({
  kind: 'pacs-retrieve',
  title: 'PACS retrieval',
  request: z.object({
    node: PacsNode,
    local: LocalAeConfig,
    via: RetrieveVia,
    studyUid: z.string(),
    seriesUid: z.string().optional(),
    expectedInstances: z.number().int().optional(),
    incomingRoot: z.string(),
    stagingDir: z.string(),
    strict: z.boolean(),
    maxBytes: z.number(),
    buildTwin: z.boolean(),
    params: TwinParams,
  }),
  output: z.discriminatedUnion('t', [VolumeOutput, TwinOutput, SummaryOutput]),
  run: async (req, w) => {
    const { node, via, studyUid } = req;
    const local: dimse.LocalAe = { aet: req.local.aet, timeoutS: req.local.timeoutS };
    w.progress(0, `retrieve: asking ${node.aet} what the study holds`);
    const seriesUids = req.seriesUid ? [req.seriesUid] : await listSeries(node, local, via, studyUid);
    if (!seriesUids.length) throw new AppError('NOT_FOUND', `${dimse.nodeLabel(node)} holds no series of study ${studyUid}`);
    const plan: { seriesUid: string; listed: string[]; sopClasses: string[]; expected: number; dir: string; held: Set<string> }[] = [];
    for (const seriesUid of seriesUids) {
      const rows =
        via === 'wado-rs'
          ? (await web.listInstancesWeb(node, studyUid, seriesUid, local.timeoutS)).map((sop) => ({ sop, sopClass: '' }))
          : await dimse.listInstances(node, local, studyUid, seriesUid);
      const listed = rows.map((r) => r.sop);
      const sopClasses = [...new Set(rows.map((r) => r.sopClass).filter(Boolean))];
      const expected = Math.max(listed.length, seriesUids.length === 1 ? (req.expectedInstances ?? 0) : 0);
      const dir = incomingDir(req.incomingRoot, studyUid, seriesUid);
      // an interrupted write leaves a .part file: never an instance, never imported
      if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir)) if (f.endsWith('.part')) fs.rmSync(path.join(dir, f), { force: true });
      plan.push({ seriesUid, listed, sopClasses, expected, dir, held: heldInstances(dir) });
    }
    const total = plan.reduce((s, p) => s + p.expected, 0);
    let got = plan.reduce((s, p) => s + [...p.held].filter((u) => p.listed.includes(u)).length, 0);
    let fetched = 0;
    const t0 = performance.now();
    const tick = (): void => w.progress(0.5 * Math.min(1, got / Math.max(1, total)), `retrieve (${via}): ${got} of ${total} instances`);
    tick();
    let current: (typeof plan)[number] | null = null;
    const keep = (ds: Parameters<typeof dimse.keepInstance>[1]): void => {
      if (!current) throw new AppError('INTERNAL', 'an instance arrived outside a retrieval');
      const sop = dimse.keepInstance(current.dir, ds);
      if (!current.held.has(sop)) (current.held.add(sop), got++, fetched++);
      tick();
    };
    const keepBytes = (p10: Buffer): void => {
      if (!current) return;
      const sop = web.p10SopInstanceUid(p10);
      if (!/^[0-9.]+$/.test(sop)) throw new AppError('PACS_UNAVAILABLE', `${dimse.nodeLabel(node)}: WADO-RS sent a part that is not a DICOM file`);
      dimse.keepP10(current.dir, sop, p10);
      if (!current.held.has(sop)) (current.held.add(sop), got++, fetched++);
      tick();
    };
    const scp = via === 'c-move' ? await dimse.startStoreScp(req.local.storePort, { aet: req.local.aet, timeoutS: local.timeoutS, onInstance: keep }) : null;
    try {
      for (const p of plan) {
        current = p;
        const missing = p.listed.filter((u) => !p.held.has(u));
        if (!missing.length) continue;
        // a series not started is asked for whole; an interrupted one only for what is missing (resume)
        const sopUids = p.held.size ? missing : undefined;
        const items = { studyUid, seriesUid: p.seriesUid, ...(sopUids ? { sopUids } : {}) };
        if (via === 'c-move') await dimse.move(node, local, req.local.aet, items);
        else if (via === 'c-get') await dimse.get(node, local, items, p.sopClasses, keep);
        else await web.wado(node, studyUid, p.seriesUid, sopUids, keepBytes, local.timeoutS);
      }
    } finally {
      current = null;
      await scp?.close();
    }
    const retrieveMs = performance.now() - t0;
    for (const p of plan) {
      const held = [...heldInstances(p.dir)];
      if (held.length < p.expected)
        throw new AppError(
          'PACS_INCOMPLETE',
          `incomplete series ${p.seriesUid} from ${dimse.nodeLabel(node)}: the PACS listed ${p.expected} instances, ${held.length} were received (${p.expected - held.length} missing); nothing was imported — retry to fetch the missing ones`,
          { seriesUid: p.seriesUid, expected: p.expected, received: held.length },
        );
    }
    w.result({
      t: 'pacs-summary',
      summary: {
        node: node.name,
        via,
        studyUid,
        series: plan.map((p) => ({ seriesUid: p.seriesUid, expected: p.expected, held: p.held.size, fetched: 0 })),
        fetched,
        retrieveMs: Math.round(retrieveMs),
        instancesPerSecond: fetched ? Math.round((fetched / (retrieveMs / 1000)) * 10) / 10 : 0,
      },
    });
    // every series complete: import them (the studies' import: one transaction per series, then its twin)
    for (const [i, p] of plan.entries()) {
      const lo = 0.5 + (0.5 * i) / plan.length;
      const span = 0.5 / plan.length;
      const scaled: WorkerSide<z.infer<typeof VolumeOutput> | z.infer<typeof TwinOutput>> = {
        progress: (f, s) => w.progress(lo + span * f, s),
        result: (o) => w.result(o),
        stage: (d, n, data) => w.stage(d, n, data),
      };
      const stagingDir = path.join(req.stagingDir, `series-${i}`);
      fs.mkdirSync(stagingDir, { recursive: true });
      await importJob.run(
        { path: p.dir, seriesInstanceUid: p.seriesUid, strict: req.strict, maxBytes: req.maxBytes, stagingDir, buildTwin: req.buildTwin, params: req.params },
        scaled,
      );
    }
  },
  commit: (m, c: CommitSide<RetrieveContext>) => {
    if (m.t === 'pacs-summary') {
      c.keep('retrieve', m.summary);
      c.store.audit(c.actor, 'pacs-retrieve', 'study', m.summary.studyUid, {
        node: m.summary.node,
        via: m.summary.via,
        patientId: c.context.patientId,
        series: m.summary.series.map((s) => ({ seriesUid: s.seriesUid, instances: s.expected })),
        fetched: m.summary.fetched,
      });
      return undefined;
    }
    return importJob.commit!(m, c);
  },
});
