/**
 * One process per data directory: `orthotwin.lock` holds the owner's pid,
 * host name and start time. A second process refuses to open the store with
 * a message naming the owner (its start-up recovery would otherwise delete
 * the first one's staged files and mark its running jobs interrupted). A
 * lock left by a process that no longer runs is taken over. Within one
 * process the lock is shared (several stores of one directory in a test).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../contract/errors.js';

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

const held = new Map<string, number>();

/** True when a process with this pid runs on this machine (EPERM: it runs under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    return typeof v.pid === 'number' ? { pid: v.pid, host: String(v.host ?? ''), startedAt: String(v.startedAt ?? '') } : null;
  } catch {
    return null;
  }
}

/**
 * Takes the data directory's lock for this process.
 * @returns the function that releases it (when the last holder in this process releases)
 * @throws AppError STORE_FAILED naming the process that holds the directory
 */
export function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, 'orthotwin.lock');
  const release = (): void => {
    const n = (held.get(file) ?? 1) - 1;
    if (n > 0) return void held.set(file, n);
    held.delete(file);
    if (readLock(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
  if (held.has(file)) {
    held.set(file, held.get(file)! + 1);
    return release;
  }
  const mine = JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() } satisfies LockInfo);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, mine, { flag: 'wx', mode: 0o600 });
      held.set(file, 1);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readLock(file);
      if (owner && owner.pid !== process.pid && (owner.host !== os.hostname() || processAlive(owner.pid)))
        throw new AppError(
          'STORE_FAILED',
          `${dataDir} is in use by another OrthoTwin process (pid ${owner.pid} on ${owner.host}, since ${owner.startedAt}): close it first, or use another --data-dir`,
          { file, pid: owner.pid },
        );
      // a stale lock (its process is gone), or an unreadable one: taken over
      fs.rmSync(file, { force: true });
    }
  }
  throw new AppError('STORE_FAILED', `${file}: cannot take the data directory's lock`, { file });
}
