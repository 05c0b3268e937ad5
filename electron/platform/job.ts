/**
 * A job kind is one definition (issue 18): the schema of its worker request,
 * the function that runs in the worker thread, the schema of what the worker
 * sends back, the commit that runs in the parent (one transaction over the
 * store, returning the job's result id), and its progress title. The worker
 * entry and the job service look kinds up by name; neither knows any kind.
 *
 * The worker side never loads the store: a definition's module imports the
 * store as a type only, and stages files with electron/db/files.ts.
 */
import { z } from 'zod';
import { defineService } from '../contract/define.js';
import type { TwinStore } from '../db/store.js';

/** A file written, fsynced, into the job's staging folder. */
export interface StagedFileInfo {
  stagedPath: string;
  bytes: number;
  sha256: string;
}

/** What a job's worker function may do. */
export interface WorkerSide<Out> {
  /** Reports progress (0..1) and the stage shown to the user. */
  progress(fraction: number, stage: string): void;
  /** Sends an output to the parent, where the definition's commit stores it (in order, each in its own transaction). */
  result(out: Out): void;
  /** Writes `data` durably (fsynced) as `name` in `dir` (the job's staging folder or below). */
  stage(dir: string, name: string, data: Uint8Array): StagedFileInfo;
}

/** What a job's commit may use (in the parent process, inside the starting call's user context). */
export interface CommitSide<C> {
  store: TwinStore;
  /** The user the job acts for (the audit's actor, `createdBy`). */
  actor: string;
  jobId: string;
  /** The parent-side context given when the job was started (ids the worker does not need). */
  context: C;
  /** Keeps a value for `JobService.wait` (e.g. the twin build's summary for the CLI). */
  keep(name: string, value: unknown): void;
}

export interface JobDefinition<Req = unknown, Out = unknown, C = unknown> {
  /** The job kind stored with the job (e.g. 'twin-build'). */
  kind: string;
  /** What the user reads in progress and failure messages (e.g. 'Twin build'). */
  title: string;
  /** The worker request, validated in the worker before `run`. */
  request: z.ZodType<Req>;
  /** The worker's outputs, validated in the parent before `commit`. */
  output: z.ZodType<Out>;
  /** Runs in the worker thread. Throw an AppError to fail the job with its code and message. */
  run(req: Req, w: WorkerSide<Out>): Promise<void> | void;
  /** Runs in the parent for each output: stores it (one transaction); returns the job's result id when this output decides it. */
  commit?(out: Out, c: CommitSide<C>): string | null | void;
}

/** Declares a job kind (see JobDefinition); the generics are inferred from the schemas. */
export function defineJob<Req, Out, C = undefined>(d: JobDefinition<Req, Out, C>): JobDefinition<Req, Out, C> {
  return d;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJobDefinition = JobDefinition<any, any, any>;

/** The request a job worker starts with: its kind and the kind's request (validated there). */
export interface WorkerStart {
  kind: string;
  request: unknown;
}

export const ErrorShapeSchema = z.object({ code: z.string(), message: z.string(), detail: z.unknown().optional() });

/**
 * The job worker's messages to the parent, described like a service's events
 * (the worker has no methods: it starts with its request and ends with
 * `done` or `error`). A `result` is validated against its kind's output schema.
 */
export const JobWorkerProtocol = defineService(
  'job-worker',
  {},
  {
    progress: z.object({ fraction: z.number(), stage: z.string() }),
    result: z.unknown(),
    error: ErrorShapeSchema,
    done: z.object({}),
  },
);

/** One message on the worker's port: an event of JobWorkerProtocol. */
export interface WorkerEnvelope {
  event: keyof (typeof JobWorkerProtocol)['events'];
  payload: unknown;
}
