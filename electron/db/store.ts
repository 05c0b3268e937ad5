/**
 * The twin store: one SQLite database (better-sqlite3-multiple-ciphers: encrypted at rest
 * with SQLCipher 4 compatible encryption when a key is given; WAL mode, foreign
 * keys on, numbered migrations) plus artefact files under `store/` in the
 * data directory. Files are written to `staging/` (fsynced), renamed into
 * `store/`, and recorded in one transaction (`commitFiles`); `recover()` on
 * open removes staging leftovers and files no row refers to, and marks jobs
 * that were running when the process died as failed. A job that fails or is
 * killed therefore leaves no partial rows or files.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { AppError } from '../contract/errors.js';
import type { Job, JobStatus } from '../contract/jobs.js';
import { lockDataDir, processAlive } from './dataDirLock.js';
import { fsyncPath, newId, nowIso as now, writeFileDurable, type Row } from './files.js';
import { AuditLog, auditKey } from './audit.js';
import { isSealed, readStoreFile, sealBytes } from './sealed.js';

/** A numbered schema migration: one global numbering across the capabilities; never edit one that has shipped, add the next number. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** What the capabilities bring to the shared database. */
export interface StoreSchema {
  /** Every capability's migrations (any order; applied by version). */
  migrations: readonly Migration[];
  /** Queries returning `rel_path` of every file under store/ a row refers to (crash recovery keeps these, deletes the rest). */
  storeFiles: readonly string[];
}

export interface StagedFile {
  /** Absolute path of the fsynced file in staging/. */
  stagedPath: string;
  /** Destination relative to the data directory (under store/). */
  relPath: string;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** True when a database file exists and is not plaintext SQLite (an encrypted store). */
export function isEncryptedStore(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const head = Buffer.alloc(16);
      const n = fs.readSync(fd, head, 0, 16, 0);
      return n === 16 && !head.equals(SQLITE_HEADER);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * Opens the database, with SQLCipher 4 compatible encryption when a key is
 * given; verifies the key by reading the schema before anything is written.
 */
function openDatabase(file: string, key: Buffer | null): Database.Database {
  const encrypted = isEncryptedStore(file);
  if (encrypted && !key)
    throw new AppError('UNAUTHORIZED', `${file}: the twin store is encrypted and no key was given (the keystore or the key file)`, { file });
  const db = new Database(file);
  try {
    if (key) {
      if (key.length !== 32) throw new AppError('BAD_REQUEST', 'the twin store key must be 256 bits');
      db.pragma("cipher = 'sqlcipher'");
      db.pragma('legacy = 4');
      // a plaintext store given a key is opened as it is, then encrypted with the key
      if (encrypted || !fs.existsSync(file) || fs.statSync(file).size === 0) db.pragma(`key = "x'${key.toString('hex')}'"`);
    }
    db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
    if (key && !encrypted && fs.statSync(file).size > 0) {
      db.pragma('journal_mode = DELETE');
      db.pragma(`rekey = "x'${key.toString('hex')}'"`);
    }
  } catch (e) {
    db.close();
    if (e instanceof AppError) throw e;
    throw new AppError('UNAUTHORIZED', `${file}: cannot open the twin store with this key (wrong key, or not an OrthoTwin store): ${(e as Error).message}`, {
      file,
    });
  }
  return db;
}

/**
 * The migrations in version order.
 * @throws AppError INTERNAL when two capabilities claim one version number or a number is missing (1, 2, … without gaps)
 */
export function orderedMigrations(ms: readonly Migration[]): Migration[] {
  const sorted = [...ms].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new AppError('INTERNAL', `migration ${m.version} (${m.name}): versions must run 1, 2, … without gaps or repeats (expected ${i + 1})`);
  });
  return sorted;
}

export class TwinStore {
  readonly db: Database.Database;
  readonly dataDir: string;
  /** This store's staging folder: `staging/<pid>-<nonce>/`, one per process and opening, so recovery never takes another live process's files. */
  readonly stagingDir: string;
  /** The folder holding every process's staging folder (`<dataDir>/staging`). */
  readonly stagingRoot: string;
  readonly storeDir: string;
  /** The tamper-evident audit chain (audit.ts). */
  readonly auditLog: AuditLog;
  /** The key sealing the files under store/ (sealed.ts), when the store is encrypted; null otherwise. */
  readonly fileKey: Buffer | null;

  /**
   * Opens (or creates) the store of a data directory.
   * @param o key: the 256-bit key of an encrypted store (SQLCipher 4 compatible); a plaintext store given a key is encrypted with it
   * @throws AppError UNAUTHORIZED naming the file when the store is encrypted and no key or a wrong key is given (the file is left untouched)
   */
  private readonly schema: StoreSchema;
  private readonly unlock: () => void;

  constructor(dataDir: string, o: { key?: Buffer | null; schema: StoreSchema }) {
    this.schema = o.schema;
    this.dataDir = path.resolve(dataDir);
    this.stagingRoot = path.join(this.dataDir, 'staging');
    this.stagingDir = path.join(this.stagingRoot, `${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
    this.storeDir = path.join(this.dataDir, 'store');
    fs.mkdirSync(this.dataDir, { recursive: true });
    // one process per data directory: recovery below would otherwise fail another process's jobs; a refused process writes nothing
    this.unlock = lockDataDir(this.dataDir);
    fs.mkdirSync(this.stagingDir, { recursive: true });
    fs.mkdirSync(this.storeDir, { recursive: true });
    try {
      this.db = openDatabase(path.join(this.dataDir, 'orthotwin.sqlite'), o.key ?? null);
    } catch (e) {
      this.unlock();
      throw e;
    }
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      this.migrate();
      this.fileKey = o.key ? this.storeFileKey() : null;
      this.auditLog = new AuditLog(this.db, this.chainKey(o.key ?? null), path.join(this.dataDir, 'audit.head'));
      this.auditLog.checkAtOpen();
      this.auditLog.seal();
      this.recover();
    } catch (e) {
      this.db.close();
      this.unlock();
      throw e;
    }
  }

  /**
   * The audit chain's HMAC key: an encrypted store keeps it in the encrypted database (under the store key, in the OS
   * keystore or the key file; an `audit.key` left from before is moved in and removed); a plaintext store in
   * `audit.key` beside the database.
   */
  private chainKey(storeKey: Buffer | null): Buffer {
    if (!storeKey) return auditKey(this.dataDir);
    const row = this.db.prepare("SELECT value FROM store_meta WHERE key = 'audit_key'").get() as { value: string } | undefined;
    if (row) return Buffer.from(row.value, 'hex');
    const file = path.join(this.dataDir, 'audit.key');
    const k = fs.existsSync(file) ? auditKey(this.dataDir) : crypto.randomBytes(32);
    this.db.prepare("INSERT INTO store_meta (key, value) VALUES ('audit_key', ?)").run(k.toString('hex'));
    fs.rmSync(file, { force: true });
    return k;
  }

  /** The file key of an encrypted store: created (random, 256 bits) on first use, kept in the encrypted database. */
  private storeFileKey(): Buffer {
    const row = this.db.prepare("SELECT value FROM store_meta WHERE key = 'file_key'").get() as { value: string } | undefined;
    if (row) return Buffer.from(row.value, 'hex');
    const k = crypto.randomBytes(32);
    // the key is kept first (a file sealed with a lost key would be lost too); then the files of a store that was plaintext until now are sealed, each replaced atomically
    this.db.prepare("INSERT INTO store_meta (key, value) VALUES ('file_key', ?)").run(k.toString('hex'));
    const walk = (dir: string): void => {
      if (!fs.existsSync(dir)) return;
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const abs = path.join(dir, e.name);
        if (e.isDirectory()) walk(abs);
        else {
          const data = fs.readFileSync(abs);
          if (isSealed(data)) continue;
          writeFileDurable(`${abs}.sealing`, sealBytes(data, k));
          fs.renameSync(`${abs}.sealing`, abs);
        }
      }
    };
    walk(this.storeDir);
    return k;
  }

  /** Reads a file of the store (relative to the data directory or absolute), unsealed. */
  async readFile(relOrAbs: string): Promise<Buffer> {
    return readStoreFile(path.isAbsolute(relOrAbs) ? relOrAbs : path.join(this.dataDir, relOrAbs), this.fileKey);
  }

  close(): void {
    this.auditLog.writeAnchor();
    this.db.close();
    fs.rmSync(this.stagingDir, { recursive: true, force: true });
    this.unlock();
  }

  /**
   * Re-encrypts the store under a new key (key rotation; or encrypts a
   * plaintext store). The caller saves the new key once this returns.
   * @throws AppError STORE_FAILED when SQLite refuses (the store keeps its old key)
   */
  rekey(key: Buffer, actor: string): void {
    if (key.length !== 32) throw new AppError('BAD_REQUEST', 'the twin store key must be 256 bits');
    try {
      // rekeying needs a rollback journal; WAL again afterwards
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.pragma('journal_mode = DELETE');
      this.db.pragma(`rekey = "x'${key.toString('hex')}'"`);
      this.db.pragma('journal_mode = WAL');
    } catch (e) {
      throw new AppError('STORE_FAILED', `re-encrypting the twin store failed: ${(e as Error).message}`);
    }
    this.audit(actor, 'rekey', 'store', 'orthotwin.sqlite', {});
  }

  /** Applies migrations not yet recorded in schema_migrations, each in its own transaction. */
  migrate(): number[] {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const done = new Set((this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
    const applied: number[] = [];
    for (const m of orderedMigrations(this.schema.migrations)) {
      if (done.has(m.version)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now());
      })();
      applied.push(m.version);
    }
    return applied;
  }

  schemaVersion(): number {
    return (this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v;
  }

  /**
   * Crash recovery: removes the staging folders of processes no longer
   * running (a closed store removes its own), deletes files under store/ that no row
   * references, and fails jobs left 'running' or 'queued' by a dead process.
   * @returns what was cleaned
   */
  recover(): { stagingRemoved: number; orphansRemoved: number; jobsFailed: number } {
    let stagingRemoved = 0;
    const own = path.basename(this.stagingDir);
    for (const e of fs.readdirSync(this.stagingRoot)) {
      if (e === own) continue;
      const pid = /^(\d+)-[0-9a-f]+$/.exec(e)?.[1];
      if (pid && processAlive(Number(pid))) continue; // a live process's staging (another store of this process, or a process the lock would refuse)
      fs.rmSync(path.join(this.stagingRoot, e), { recursive: true, force: true });
      stagingRemoved++;
    }
    const referenced = new Set<string>();
    for (const q of this.schema.storeFiles) for (const r of this.db.prepare(q).all() as { rel_path: string }[]) referenced.add(path.normalize(r.rel_path));
    let orphansRemoved = 0;
    const walk = (dir: string): void => {
      if (!fs.existsSync(dir)) return;
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const abs = path.join(dir, e.name);
        if (e.isDirectory()) {
          walk(abs);
          if (fs.readdirSync(abs).length === 0) fs.rmdirSync(abs);
        } else if (!referenced.has(path.normalize(path.relative(this.dataDir, abs)))) {
          fs.rmSync(abs, { force: true });
          orphansRemoved++;
        }
      }
    };
    walk(this.storeDir);
    // browser-mode uploads are inputs of imports that are over
    fs.rmSync(path.join(this.dataDir, 'uploads'), { recursive: true, force: true });
    const jobsFailed = this.db
      .prepare("UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE status IN ('running', 'queued')")
      .run(JSON.stringify({ code: 'INTERNAL', message: 'interrupted: the application stopped while the job ran' }), now()).changes;
    return { stagingRemoved, orphansRemoved, jobsFailed };
  }

  /** A fresh staging folder for one job. */
  stagingFor(jobId: string): string {
    const d = path.join(this.stagingDir, jobId);
    fs.mkdirSync(d, { recursive: true });
    return d;
  }

  discardStaging(jobId: string): void {
    fs.rmSync(path.join(this.stagingDir, jobId), { recursive: true, force: true });
  }

  /**
   * Moves staged files into store/ and runs `record` in one transaction. If
   * the transaction throws, the moved files are deleted again.
   */
  commitFiles<T>(files: StagedFile[], record: () => T): T {
    const moved: string[] = [];
    try {
      for (const f of files) {
        const dest = path.join(this.dataDir, f.relPath);
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        if (this.fileKey) {
          // an encrypted store seals its files on the way in (the staged plaintext goes)
          writeFileDurable(dest, sealBytes(fs.readFileSync(f.stagedPath), this.fileKey));
          fs.rmSync(f.stagedPath, { force: true });
        } else fs.renameSync(f.stagedPath, dest);
        moved.push(dest);
        fsyncPath(path.dirname(dest));
      }
      return this.db.transaction(record)();
    } catch (e) {
      for (const m of moved) fs.rmSync(m, { force: true });
      throw e instanceof AppError ? e : new AppError('STORE_FAILED', `saving to the twin store failed: ${(e as Error).message}`);
    }
  }

  /** Appends a record to the tamper-evident audit chain (see audit.ts); `detail` holds record ids, never patient identifiers. */
  audit(actor: string, action: string, recordType: string, recordId: string, detail: Record<string, unknown> = {}): void {
    this.auditLog.append(actor, action, recordType, recordId, detail);
  }

  // ------------------------------------------------------------ patients

  // ------------------------------------------------------------ studies, series, volumes

  // ------------------------------------------------------------ twins

  // ------------------------------------------------------------ calibrations

  // ------------------------------------------------------------ registrations

  // ------------------------------------------------------------ spine analyses

  // ------------------------------------------------------------ jobs
  insertJob(kind: Job['kind'], payload: unknown, title: string = kind): Job {
    const id = newId();
    this.db
      .prepare("INSERT INTO jobs (id, kind, title, status, payload, created_at) VALUES (?, ?, ?, 'queued', ?, ?)")
      .run(id, kind, title, JSON.stringify(payload), now());
    return this.getJob(id);
  }

  updateJob(
    id: string,
    u: { status?: JobStatus; progress?: number; stage?: string; resultId?: string | null; error?: { code: string; message: string } | null },
  ): Job {
    const cur = this.getJob(id);
    const status = u.status ?? cur.status;
    const finished = status === 'done' || status === 'failed' || status === 'cancelled';
    this.db
      .prepare('UPDATE jobs SET status = ?, progress = ?, stage = ?, result_id = ?, error = ?, finished_at = ? WHERE id = ?')
      .run(
        status,
        u.progress ?? cur.progress,
        u.stage ?? cur.stage,
        u.resultId !== undefined ? u.resultId : cur.resultId,
        u.error !== undefined ? (u.error ? JSON.stringify(u.error) : null) : cur.error ? JSON.stringify(cur.error) : null,
        finished ? (cur.finishedAt ?? now()) : null,
        id,
      );
    return this.getJob(id);
  }

  getJob(id: string): Job {
    const r = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new AppError('NOT_FOUND', `no job ${id}`);
    return jobFromRow(r);
  }

  listJobs(limit = 50): Job[] {
    return (this.db.prepare('SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?').all(limit) as Row[]).map(jobFromRow);
  }

  integrityCheck(): string {
    return (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  }
}

function jobFromRow(r: Row): Job {
  return {
    id: r['id'] as string,
    kind: r['kind'] as Job['kind'],
    title: (r['title'] as string | undefined) || (r['kind'] as string),
    status: r['status'] as JobStatus,
    progress: r['progress'] as number,
    stage: r['stage'] as string,
    resultId: (r['result_id'] as string | null) ?? null,
    error: r['error'] ? (JSON.parse(r['error'] as string) as { code: string; message: string }) : null,
    createdAt: r['created_at'] as string,
    finishedAt: (r['finished_at'] as string | null) ?? null,
  };
}
