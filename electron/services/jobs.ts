/**
 * Jobs: long work in worker_threads, one worker per job so that cancel
 * terminates it. A job kind is a capability's JobDefinition (platform/job.ts);
 * this service knows none of them: it inserts the job row (with its kind's
 * title), starts the worker with the kind and its request, emits progress as
 * `jobs.onDidChangeJob`, and hands each validated output to the kind's commit
 * (one transaction each, in the starting call's user context); staged files
 * the commit did not move are removed when the job ends.
 */
import fs from 'node:fs';
import { EventEmitter } from 'node:events';
import { AsyncResource } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, fromErrorShape, type ErrorShape } from '../contract/errors.js';
import { parseSpecEvent } from '../contract/define.js';
import type { Job } from '../contract/jobs.js';
import type { TwinStore } from '../db/store.js';
import { JobWorkerProtocol, type CommitSide, type JobDefinition, type WorkerEnvelope, type WorkerStart } from '../platform/job.js';

/**
 * Starts job.worker in a worker thread: the compiled .js next to this file,
 * or, when running from TypeScript sources (tests, `tsx`), the .ts through tsx.
 */
export function spawnJobWorker(start: WorkerStart): Worker {
  const js = new URL('../workers/job.worker.js', import.meta.url);
  // what a worker's libraries print (itk-wasm's emscripten runtime) goes to stderr: stdout stays the CLI's (--json)
  const w = fs.existsSync(fileURLToPath(js))
    ? new Worker(js, { workerData: start, stdout: true })
    : new Worker(new URL('../workers/tsx-bootstrap.mjs', import.meta.url), {
        workerData: { ...start, __entryUrl: new URL('../workers/job.worker.ts', import.meta.url).href },
        stdout: true,
      });
  w.stdout.pipe(process.stderr, { end: false });
  return w;
}

export interface JobOutcome {
  job: Job;
  /** Values the commits kept (e.g. `summary` of a twin build, `volumeTimingsMs` of an import) for the CLI. */
  details: Record<string, unknown>;
}

interface Running {
  worker: Worker;
  cancelled: boolean;
  details: Record<string, unknown>;
}

/** How a job is started: its row's payload, its parent-side context, and its worker request (given the job's fresh staging folder). */
export interface JobStart<Req, C> {
  payload: unknown;
  context: C;
  request: (stagingDir: string) => Req;
}

export class JobService extends EventEmitter {
  private running = new Map<string, Running>();
  private waiters = new Map<string, ((o: JobOutcome) => void)[]>();
  private lastEmit = new Map<string, number>();

  constructor(
    private readonly store: TwinStore,
    private readonly actorOf: () => string,
  ) {
    super();
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
    for (const w of this.waiters.get(id) ?? []) w({ job, details: r?.details ?? {} });
    this.waiters.delete(id);
  }

  /** Resolves when the job has ended (done, failed or cancelled). */
  wait(id: string): Promise<JobOutcome> {
    const job = this.store.getJob(id);
    if (!this.running.has(id) && job.status !== 'queued' && job.status !== 'running') return Promise.resolve({ job, details: {} });
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

  /**
   * Starts a job of a kind: inserts its row (queued, with the kind's title), makes its staging folder, starts the worker.
   * @returns the job's row
   */
  start<Req, Out, C>(def: JobDefinition<Req, Out, C>, s: JobStart<Req, C>): Job {
    const job = this.store.insertJob(def.kind, s.payload, def.title);
    const stagingDir = this.store.stagingFor(job.id);
    this.run(def, job, s.request(stagingDir), s.context);
    return job;
  }

  /**
   * Runs a job kind in a worker without a job row (nothing is stored: a folder scan); resolves with its first output.
   * @throws AppError from the worker, or COMPUTE_FAILED when it crashed or ended without an output
   */
  runDetached<Req, Out>(def: JobDefinition<Req, Out, unknown>, request: Req): Promise<Out> {
    return new Promise((resolve, reject) => {
      const w = spawnJobWorker({ kind: def.kind, request });
      let settled = false;
      w.on('message', (m: WorkerEnvelope) => {
        if (settled) return;
        if (m.event === 'result') ((settled = true), resolve(def.output.parse(m.payload)));
        else if (m.event === 'error') ((settled = true), reject(fromErrorShape(parseSpecEvent(JobWorkerProtocol, 'error', m.payload) as ErrorShape)));
      });
      w.on('error', (e) => ((settled = true), reject(new AppError('COMPUTE_FAILED', `${def.title} failed: ${e.message}`))));
      w.on('exit', () => {
        if (!settled) reject(new AppError('COMPUTE_FAILED', `the ${def.title.toLowerCase()} worker exited without a result`));
      });
    });
  }

  private run<Req, Out, C>(def: JobDefinition<Req, Out, C>, job: Job, request: Req, context: C): void {
    const worker = spawnJobWorker({ kind: def.kind, request });
    const state: Running = { worker, cancelled: false, details: {} };
    this.running.set(job.id, state);
    this.emitJob(this.store.updateJob(job.id, { status: 'running', stage: 'starting' }), true);
    let ended = false;
    let resultId: string | null = null;
    const commitSide = (): CommitSide<C> => ({
      store: this.store,
      actor: this.actorOf(),
      jobId: job.id,
      context,
      keep: (name, value) => (state.details[name] = value),
    });
    const fail = (code: string, message: string): void => {
      if (ended) return;
      ended = true;
      this.store.discardStaging(job.id);
      this.finish(job.id, { status: 'failed', error: { code, message }, stage: 'failed' });
    };
    const handlers: { [E in WorkerEnvelope['event']]: (payload: unknown) => void } = {
      progress: (p) => {
        const { fraction, stage } = parseSpecEvent(JobWorkerProtocol, 'progress', p);
        this.emitJob(this.store.updateJob(job.id, { progress: Math.min(0.999, fraction), stage }));
      },
      result: (p) => {
        const out = def.output.parse(p);
        const id = def.commit?.(out, commitSide());
        if (typeof id === 'string') {
          resultId = id;
          this.store.updateJob(job.id, { resultId: id });
        }
      },
      error: (p) => {
        const e = parseSpecEvent(JobWorkerProtocol, 'error', p);
        fail(e.code, e.message);
        void worker.terminate();
      },
      done: () => {
        ended = true;
        this.store.discardStaging(job.id);
        this.finish(job.id, { status: 'done', progress: 1, stage: 'done', resultId });
      },
    };
    // the worker's events run in the context of the call that started the job (its user is the actor of what the job commits)
    worker.on(
      'message',
      AsyncResource.bind((m: WorkerEnvelope) => {
        if (ended) return;
        try {
          const handle = handlers[m.event];
          if (!handle) throw new AppError('INTERNAL', `unknown message from the ${def.title.toLowerCase()} worker`);
          handle(m.payload);
        } catch (e) {
          const err = e instanceof AppError ? e : new AppError('INTERNAL', (e as Error).message);
          fail(err.code, err.message);
          void worker.terminate();
        }
      }),
    );
    worker.on('error', (e) => fail('COMPUTE_FAILED', `the ${def.kind} worker crashed: ${e.message}`));
    worker.on('exit', (code) => {
      if (ended) return;
      if (state.cancelled) {
        ended = true;
        this.store.discardStaging(job.id);
        this.finish(job.id, { status: 'cancelled', stage: 'cancelled' });
      } else fail('COMPUTE_FAILED', `the ${def.kind} worker stopped unexpectedly (exit code ${code})`);
    });
  }
}
