/**
 * The one error vocabulary of OrthoTwin. Inner code throws `AppError`;
 * boundaries (IPC router, WebSocket host, CLI) encode it as
 * `{ code, message, detail }`. Runtime-neutral: no Node, no DOM.
 */
import { z } from 'zod';

export const ErrorCode = z.enum([
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'LOCKED',
  'NOT_FOUND',
  'IMPORT_UNSUPPORTED',
  'IMPORT_EMPTY_FILE',
  'IMPORT_TRUNCATED',
  'IMPORT_TOO_LARGE',
  'IMPORT_BAD_HEADER',
  'IMPORT_NOT_DICOM',
  'DICOM_MISSING_SLICE',
  'DICOM_INCONSISTENT',
  /** A study's patient identity differs from the patient it is imported into, and the user has not confirmed it. */
  'IDENTITY_MISMATCH',
  /** A save made from a stale copy: the record was saved elsewhere after it was loaded (nothing was overwritten). */
  'CONFLICT',
  'COMPUTE_FAILED',
  'JOB_CANCELLED',
  'STORE_FAILED',
  'DEVICE_ERROR',
  'DEVICE_TIMEOUT',
  'DEVICE_CRC',
  /** A PACS could not be reached or broke off (connection refused, closed, aborted, a failure status). */
  'PACS_UNAVAILABLE',
  /** A PACS rejected the association (e.g. the called AE title is not its own). */
  'PACS_REJECTED',
  /** A PACS stopped answering (connect, association or PDU timeout). */
  'PACS_TIMEOUT',
  /** A retrieval received fewer instances than the PACS listed (nothing imported; a retry fetches the missing ones). */
  'PACS_INCOMPLETE',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorShape = z.object({
  code: ErrorCode,
  message: z.string(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorShape = z.infer<typeof ErrorShape>;

/** An error with a code from the vocabulary; `message` is for people and names the file or device. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, detail?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.detail = detail;
  }
  toJSON(): ErrorShape {
    return this.detail ? { code: this.code, message: this.message, detail: this.detail } : { code: this.code, message: this.message };
  }
}

/** Encodes any thrown value as an ErrorShape (unknown errors become INTERNAL). */
export function toErrorShape(e: unknown): ErrorShape {
  if (e instanceof AppError) return e.toJSON();
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const parsed = ErrorShape.safeParse(e);
    if (parsed.success) return parsed.data;
  }
  if (typeof e === 'number') return { code: 'COMPUTE_FAILED', message: `pipeline failed with status ${e}` };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/** Rebuilds an AppError from its wire shape. */
export function fromErrorShape(s: ErrorShape): AppError {
  return new AppError(s.code, s.message, s.detail);
}
