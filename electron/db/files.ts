/**
 * Durable-file helpers shared by the store (commits), the job workers
 * (staging) and the capabilities: ids, hashes and fsynced writes. Apart from
 * the store module on purpose: a worker writes staged files with these and
 * never loads SQLite.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A new record id (UUID v4). */
export const newId = (): string => crypto.randomUUID();

/** Now as an ISO 8601 UTC timestamp (the store's time format). */
export const nowIso = (): string => new Date().toISOString();

/** A database row as better-sqlite3 returns it. */
export interface Row {
  [k: string]: unknown;
}

/** fsyncs a file or directory path (best effort for directories where the OS refuses, e.g. Windows). */
export function fsyncPath(p: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(p, 'r');
    fs.fsyncSync(fd);
  } catch {
    // directories cannot be opened for fsync on every OS (Windows); best effort there
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Writes `data` to `file` and fsyncs it (the staging half of an atomic write). */
export function writeFileDurable(file: string, data: Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  try {
    let off = 0;
    while (off < data.byteLength) off += fs.writeSync(fd, data, off, data.byteLength - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** SHA-256 of bytes, lower-case hex. */
export function sha256(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}
