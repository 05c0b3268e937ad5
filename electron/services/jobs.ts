/**
 * Jobs: long work (import, twin build, folder scan) in worker_threads, one
 * worker per job so that cancel terminates it. Progress is stored in the jobs
 * table and emitted as `jobs.onDidChangeJob`; results are moved from the
 * job's staging folder into the store and recorded in one transaction each
 * (the imported volume first, then the twin).
 */
import fs from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { AsyncResource } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, fromErrorShape } from '../contract/errors.js';
import type { Mat3 } from '../../math/geometry.js';
import type { Job, ReconstructRequest, ScanResult, SpineCorrections, TwinParams } from '../contract/index.js';

type ReconstructRequestParsed = Omit<ReconstructRequest, 'interpolation' | 'fillHoles'> & { interpolation: 'nearest' | 'linear'; fillHoles: boolean };
import { SPINE_ALGORITHM, SPINE_ALGORITHM_VERSION, spineFeatureValues } from '../engine/spine/index.js';
import { newId, type TwinStore } from '../db/store.js';
import { TWIN_ALGORITHM, TWIN_ALGORITHM_VERSION } from '../engine/twinBuild.js';
import type { TwinSummary, WorkerMessage, WorkerRequest } from '../workers/protocol.js';

/**
 * Starts job.worker in a worker thread: the compiled .js next to this file,
 * or, when running from TypeScript sources (tests, `tsx`), the .ts through tsx.
 */
export function spawnJobWorker(req: WorkerRequest): Worker {
  const js = new URL('../workers/job.worker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(js))) return new Worker(js, { workerData: req });
  const ts = new URL('../workers/job.worker.ts', import.meta.url);
  return new Worker(new URL('../workers/tsx-bootstrap.mjs', import.meta.url), { workerData: { ...req, __entryUrl: ts.href } });
}

export interface JobOutcome {
  job: Job;
  /** Extra numbers of a twin build (topology, counts) for the CLI summary. */
  summary?: TwinSummary;
  volumeTimingsMs?: Record<string, number>;
}

interface Running {
  worker: Worker;
  cancelled: boolean;
  summary?: TwinSummary;
  volumeTimingsMs?: Record<string, number>;
  /** The twin made by this job, once committed. */
  twinId?: string;
  /** The spine analysis made by this job, once committed. */
  analysisId?: string;
  /** The calibration made by this job, once stored. */
  calibrationId?: string;
}

export class JobService extends EventEmitter {
  private running = new Map<string, Running>();
  private waiters = new Map<string, ((o: JobOutcome) => void)[]>();
  private lastEmit = new Map<string, number>();

  constructor(
    private readonly store: TwinStore,
    private readonly actorOf: () => string,
    private readonly maxVolumeBytes: number,
  ) {
    super();
  }

  /** The user a job acts for: the caller that started it (worker events run in that call's context). */
  private get actor(): string {
    return this.actorOf();
  }

  private emitJob(job: Job, force = false): void {
    const t = Date.now();
    if (!force && t - (this.lastEmit.get(job.id) ?? 0) < 100) return;
    this.lastEmit.set(job.id, t);
    this.emit('onDidChangeJob', job);
  }

  private finish(id: string, u: Parameters<TwinStore['updateJob']>[1]): void {
    const job = this.store.updateJob(id, u);
    const r = this.running.get(id);
    this.running.delete(id);
    this.lastEmit.delete(id);
    this.emitJob(job, true);
    for (const w of this.waiters.get(id) ?? [])
      w({ job, ...(r?.summary ? { summary: r.summary } : {}), ...(r?.volumeTimingsMs ? { volumeTimingsMs: r.volumeTimingsMs } : {}) });
    this.waiters.delete(id);
  }

  /** Resolves when the job has ended (done, failed or cancelled). */
  wait(id: string): Promise<JobOutcome> {
    const job = this.store.getJob(id);
    if (!this.running.has(id) && job.status !== 'queued' && job.status !== 'running') return Promise.resolve({ job });
    return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
  }

  /** Cancels a running job: terminates its worker and discards its staging files. */
  cancel(id: string): boolean {
    const r = this.running.get(id);
    if (!r) return false;
    r.cancelled = true;
    void r.worker.terminate();
    return true;
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** Starts the import of `req.path` for a patient, optionally followed by the twin build. */
  startImport(req: { patientId: string; path: string; seriesInstanceUid?: string | undefined; strict: boolean; buildTwin: boolean; params: TwinParams }): Job {
    this.store.getPatient(req.patientId);
    const job = this.store.insertJob('import', { path: req.path, seriesInstanceUid: req.seriesInstanceUid ?? null, buildTwin: req.buildTwin });
    const stagingDir = this.store.stagingFor(job.id);
    const wreq: WorkerRequest = {
      kind: 'import',
      path: path.resolve(req.path),
      ...(req.seriesInstanceUid ? { seriesInstanceUid: req.seriesInstanceUid } : {}),
      strict: req.strict,
      maxBytes: this.maxVolumeBytes,
      stagingDir,
      buildTwin: req.buildTwin,
      params: req.params,
    };
    let seriesId = '';
    let volumeId = '';
    // a browser-mode upload is removed once its import has ended
    const uploads = path.join(this.store.dataDir, 'uploads') + path.sep;
    if (wreq.path.startsWith(uploads)) {
      const dir = path.join(uploads, path.relative(uploads, wreq.path).split(path.sep)[0] ?? '');
      void this.wait(job.id).then(() => fs.rmSync(dir, { recursive: true, force: true }));
    }
    this.run(job, wreq, (m, state) => {
      if (m.t === 'volume') {
        ({ seriesId, volumeId } = this.commitVolume(req.patientId, m, 'import'));
        state.volumeTimingsMs = m.timingsMs;
        this.store.updateJob(job.id, { resultId: seriesId });
      } else if (m.t === 'twin') {
        state.twinId = this.commitTwin(req.patientId, volumeId, seriesId, req.params, m);
      }
    });
    return job;
  }

  /** Moves a staged volume into the store as a new series of the patient (one transaction); returns its series and volume ids. */
  private commitVolume(
    patientId: string,
    m: Extract<WorkerMessage, { t: 'volume' }>,
    action: 'import' | 'reconstruct',
  ): { seriesId: string; volumeId: string } {
    const volumeId = newId();
    const relPath = path.join('store', 'volumes', `${volumeId}.nrrd`);
    const seriesId = this.store.commitFiles([{ stagedPath: m.staged.stagedPath, relPath }], () => {
      const studyId = this.store.upsertStudy(patientId, {
        studyInstanceUid: m.meta.studyInstanceUid,
        studyDate: m.meta.studyDate,
        description: m.meta.studyDescription,
      });
      const sid = this.store.insertSeries(studyId, {
        seriesInstanceUid: m.meta.seriesInstanceUid,
        modality: m.meta.modality,
        modalityGuessed: m.meta.modalityGuessed,
        description: m.meta.seriesDescription,
        format: m.meta.format,
        sourcePath: m.meta.sourcePath,
      });
      this.store.insertVolume(volumeId, sid, { ...m.record, relPath, bytes: m.staged.bytes, sha256: m.staged.sha256 });
      this.store.audit(this.actor, action, 'series', sid, { patientId, format: m.meta.format });
      return sid;
    });
    return { seriesId, volumeId };
  }

  /**
   * Starts a freehand 3D ultrasound reconstruction of a tracked sweep in a
   * worker; the volume becomes a new ultrasound series of the patient (the
   * job's result), in the patient image when `referenceToImage` is given.
   * @throws AppError NOT_FOUND for an unknown patient
   */
  startReconstruct(req: ReconstructRequestParsed): Job {
    this.store.getPatient(req.patientId);
    const job = this.store.insertJob('reconstruct', { sequencePath: req.sequencePath, configPath: req.configPath, spacingMm: req.spacingMm ?? null });
    const stagingDir = this.store.stagingFor(job.id);
    const wreq: WorkerRequest = {
      kind: 'reconstruct',
      sequencePath: path.resolve(req.sequencePath),
      configPath: path.resolve(req.configPath),
      spacingMm: req.spacingMm ?? null,
      interpolation: req.interpolation,
      fillHoles: req.fillHoles,
      referenceToImage: req.referenceToImage ?? null,
      stagingDir,
    };
    this.run(job, wreq, (m, state) => {
      if (m.t !== 'volume') return;
      const { seriesId } = this.commitVolume(req.patientId, m, 'reconstruct');
      state.volumeTimingsMs = m.timingsMs;
      this.store.updateJob(job.id, { resultId: seriesId });
    });
    return job;
  }

  /**
   * Starts an N-wire probe calibration of a setup in a worker; the job's
   * result is the stored ImageToProbe calibration record.
   */
  startProbeCalibration(setup: string, sequencePath: string, configPath: string, validationEvery = 3): Job {
    const job = this.store.insertJob('calibrate-probe', { setup, sequencePath, configPath });
    this.run(job, { kind: 'calibrate-probe', sequencePath: path.resolve(sequencePath), configPath: path.resolve(configPath), validationEvery }, (m, state) => {
      if (m.t !== 'calibration') return;
      state.calibrationId = this.store.insertCalibration({ ...m.calibration, setup, createdBy: this.actor }).id;
    });
    return job;
  }

  /**
   * Starts a markerless registration of a depth capture to the skin of a twin
   * in a worker; the job's result is the stored registration (accepted, or
   * refused with its reasons).
   * @throws AppError NOT_FOUND for an unknown twin, BAD_REQUEST when the twin has no skin mesh or the capture file does not exist
   */
  startRegistration(req: { twinId: string; cloudPath: string; view: 'back' | 'front'; points?: { camera: number[][]; image: number[][] } | undefined }): Job {
    const twin = this.store.getTwin(req.twinId);
    const skin = twin.artefacts.find((a) => a.kind === 'skin-mesh' && a.format === 'vtp');
    if (!skin) throw new AppError('BAD_REQUEST', `twin ${twin.version} has no skin mesh to register to`);
    if (!fs.existsSync(req.cloudPath)) throw new AppError('BAD_REQUEST', `${req.cloudPath}: no such depth capture`, { file: req.cloudPath });
    const vol = this.store.getVolume(twin.volumeId);
    const job = this.store.insertJob('register', { twinId: req.twinId, cloudPath: req.cloudPath, view: req.view, threePoint: !!req.points });
    const wreq: Extract<WorkerRequest, { kind: 'register' }> = {
      kind: 'register',
      skinMeshPath: path.join(this.store.dataDir, skin.relPath),
      fileKey: this.store.fileKey?.toString('hex') ?? null,
      geometry: { dims: vol.dims, spacingMm: vol.spacingMm, originLps: vol.originLps, direction: vol.direction as Mat3 },
      cloudPath: path.resolve(req.cloudPath),
      view: req.view,
      points: req.points ?? null,
    };
    this.run(job, wreq, (m) => {
      if (m.t !== 'registration') return;
      const rec = this.store.insertRegistration({
        ...m.registration,
        patientId: twin.patientId,
        twinId: twin.id,
        seriesId: twin.seriesId,
        method: req.points ? 'skin-icp-3point' : 'skin-icp',
        fromFrame: 'Camera',
        toFrame: 'Image',
        sourcePath: wreq.cloudPath,
        createdBy: this.actor,
      });
      this.store.updateJob(job.id, { resultId: rec.id });
    });
    return job;
  }

  /** Rebuilds the twin of a stored volume with new parameters (a new twin version). */
  startTwinBuild(volumeId: string, params: TwinParams): Job {
    const vol = this.store.getVolume(volumeId);
    if (vol.modality !== 'CT' && vol.modality !== 'MR') throw new AppError('BAD_REQUEST', `no anatomical twin can be built from ${vol.modality} images`);
    const job = this.store.insertJob('twin-build', { volumeId });
    const stagingDir = this.store.stagingFor(job.id);
    this.run(
      job,
      {
        kind: 'twin-build',
        volumePath: path.join(this.store.dataDir, vol.relPath),
        modality: vol.modality,
        params,
        stagingDir,
        fileKey: this.store.fileKey?.toString('hex') ?? null,
      },
      (m, state) => {
        if (m.t === 'twin') state.twinId = this.commitTwin(vol.patientId, volumeId, vol.seriesId, params, m);
      },
    );
    return job;
  }

  /**
   * Starts the spine characterisation of a CT twin with the surgeon's
   * corrections; the job's result is the new analysis (the twin's next version).
   * @throws AppError BAD_REQUEST when the twin is not from a CT, NOT_FOUND for an unknown twin
   */
  startSpine(twinId: string, corrections: SpineCorrections, greyDepthMm = 3): Job {
    const twin = this.store.getTwin(twinId);
    const vol = this.store.getVolume(twin.volumeId);
    if (vol.modality !== 'CT') throw new AppError('BAD_REQUEST', `the spine characterisation needs a CT twin; twin ${twin.version} is from ${vol.modality}`);
    const art = (kind: string, format: string) => {
      const a = twin.artefacts.find((x) => x.kind === kind && x.format === format);
      return a ? path.join(this.store.dataDir, a.relPath) : null;
    };
    const job = this.store.insertJob('spine', { twinId, corrections });
    const stagingDir = this.store.stagingFor(job.id);
    const req: WorkerRequest = {
      kind: 'spine',
      fileKey: this.store.fileKey?.toString('hex') ?? null,
      volumePath: path.join(this.store.dataDir, vol.relPath),
      boneMaskPath: art('bone-mask', 'nrrd'),
      boneMeshPath: art('bone-mesh', 'vtp'),
      skinMeshPath: art('skin-mesh', 'vtp'),
      corrections,
      greyDepthMm,
      stagingDir,
    };
    this.run(job, req, (m, state) => {
      if (m.t !== 'spine') return;
      const analysisId = newId();
      const files = m.artefacts.map((a) => ({ stagedPath: a.stagedPath, relPath: path.join('store', 'twins', twinId, 'spine', analysisId, a.name) }));
      this.store.commitFiles(files, () => {
        const version = this.store.insertSpineAnalysis({ id: analysisId, twinId, corrections, report: m.report, algorithmVersion: SPINE_ALGORITHM_VERSION });
        m.artefacts.forEach((a, i) =>
          this.store.insertArtefact(
            { twinId, kind: a.kind, format: a.format, relPath: files[i]!.relPath, bytes: a.bytes, sha256: a.sha256, count: a.count },
            analysisId,
          ),
        );
        for (const f of spineFeatureValues(m.report))
          this.store.insertFeature(
            twinId,
            {
              ...f,
              sourceSeriesId: twin.seriesId,
              algorithm: SPINE_ALGORITHM,
              algorithmVersion: SPINE_ALGORITHM_VERSION,
              parameters: { analysisVersion: version, corrected: Object.keys(corrections.names).length + Object.keys(corrections.centroids).length > 0 },
            },
            analysisId,
          );
        this.store.audit(this.actor, version === 1 ? 'analyse' : 'correct', 'spine-analysis', analysisId, { twinId, version });
      });
      state.analysisId = analysisId;
    });
    return job;
  }

  /** Scans a path in a worker (does not create a job row: nothing is stored). */
  scan(p: string): Promise<ScanResult> {
    return new Promise((resolve, reject) => {
      const w = spawnJobWorker({ kind: 'scan', path: p });
      let settled = false;
      w.on('message', (m: WorkerMessage) => {
        if (m.t === 'scan') ((settled = true), resolve(m.result));
        else if (m.t === 'error') ((settled = true), reject(fromErrorShape(m.error)));
      });
      w.on('error', (e) => ((settled = true), reject(new AppError('COMPUTE_FAILED', `scan failed: ${e.message}`))));
      w.on('exit', () => {
        if (!settled) reject(new AppError('COMPUTE_FAILED', 'scan worker exited without a result'));
      });
    });
  }

  private commitTwin(patientId: string, volumeId: string, seriesId: string, params: TwinParams, m: Extract<WorkerMessage, { t: 'twin' }>): string {
    const twinId = newId();
    const files = m.artefacts.map((a) => ({ stagedPath: a.stagedPath, relPath: path.join('store', 'twins', twinId, a.name) }));
    this.store.commitFiles(files, () => {
      this.store.insertTwin({ id: twinId, patientId, volumeId, params, algorithmVersion: TWIN_ALGORITHM_VERSION, timingsMs: m.timingsMs });
      m.artefacts.forEach((a, i) =>
        this.store.insertArtefact({
          twinId,
          kind: a.kind,
          format: a.format,
          relPath: (files[i] as { relPath: string }).relPath,
          bytes: a.bytes,
          sha256: a.sha256,
          count: a.count,
        }),
      );
      for (const f of m.features)
        this.store.insertFeature(twinId, {
          name: f.name,
          level: null,
          value: f.value,
          unit: f.unit,
          sourceSeriesId: seriesId,
          algorithm: TWIN_ALGORITHM,
          algorithmVersion: TWIN_ALGORITHM_VERSION,
          parameters: params,
        });
      this.store.audit(this.actor, 'build', 'twin', twinId, { patientId, volumeId });
    });
    return twinId;
  }

  private run(job: Job, req: WorkerRequest, onResult: (m: WorkerMessage, state: Running) => void): void {
    const worker = spawnJobWorker(req);
    const state: Running = { worker, cancelled: false };
    this.running.set(job.id, state);
    this.emitJob(this.store.updateJob(job.id, { status: 'running', stage: 'starting' }), true);
    let ended = false;
    const fail = (code: string, message: string): void => {
      if (ended) return;
      ended = true;
      this.store.discardStaging(job.id);
      this.finish(job.id, { status: 'failed', error: { code, message }, stage: 'failed' });
    };
    // the worker's events run in the context of the call that started the job (its user is the actor of what the job commits)
    worker.on(
      'message',
      AsyncResource.bind((m: WorkerMessage) => {
        if (ended) return;
        try {
          if (m.t === 'progress') {
            this.emitJob(this.store.updateJob(job.id, { progress: Math.min(0.999, m.fraction), stage: m.stage }));
          } else if (m.t === 'error') {
            fail(m.error.code, m.error.message);
            void worker.terminate();
          } else if (m.t === 'done') {
            ended = true;
            this.store.discardStaging(job.id);
            // an import's result is its series (its twin is the patient's newest); a build's is its twin
            const resultId =
              job.kind === 'twin-build'
                ? (state.twinId ?? null)
                : job.kind === 'spine'
                  ? (state.analysisId ?? null)
                  : job.kind === 'calibrate-probe'
                    ? (state.calibrationId ?? null)
                    : this.store.getJob(job.id).resultId;
            this.finish(job.id, { status: 'done', progress: 1, stage: 'done', resultId });
          } else {
            if (m.t === 'twin') state.summary = m.summary;
            onResult(m, state);
          }
        } catch (e) {
          const err = e instanceof AppError ? e : new AppError('INTERNAL', (e as Error).message);
          fail(err.code, err.message);
          void worker.terminate();
        }
      }),
    );
    worker.on('error', (e) => fail('COMPUTE_FAILED', `the ${job.kind} worker crashed: ${e.message}`));
    worker.on('exit', (code) => {
      if (ended) return;
      if (state.cancelled) {
        ended = true;
        this.store.discardStaging(job.id);
        this.finish(job.id, { status: 'cancelled', stage: 'cancelled' });
      } else fail('COMPUTE_FAILED', `the ${job.kind} worker stopped unexpectedly (exit code ${code})`);
    });
  }
}
