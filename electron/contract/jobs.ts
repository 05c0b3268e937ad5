/**
 * A job record: long work run in a worker thread, its progress and outcome.
 * Job kinds are declared by the capabilities (their job definitions); the
 * record carries the kind's title.
 */
import { z } from 'zod';
import { Id } from './primitives.js';

/** A job kind, as declared by its capability's job definition (e.g. 'import', 'twin-build', 'register'). */
export const JobKind = z.string().min(1).max(60);
export const JobStatus = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);
export type JobStatus = z.infer<typeof JobStatus>;

export const Job = z.object({
  id: Id,
  kind: JobKind,
  /** What the job does, from its kind's definition (e.g. "Skin registration"): progress and failures are named by it. */
  title: z.string(),
  status: JobStatus,
  /** 0..1 */
  progress: z.number(),
  stage: z.string(),
  /** Id of the record made (series for an import, twin for a build) when done. */
  resultId: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type Job = z.infer<typeof Job>;
