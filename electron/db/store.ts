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
import type {
  CalibrationRecord,
  Registration,
  TreLandmark,
  Artefact,
  Feature,
  Job,
  JobStatus,
  Patient,
  SeriesRecord,
  SpineAnalysis,
  SpineCorrections,
  SpineReport,
  StudyRecord,
  Twin,
  TwinParams,
  VolumeRecord,
} from '../contract/index.js';
import { MIGRATIONS } from './migrations/index.js';
import { AuditLog, auditKey } from './audit.js';
import { isSealed, readStoreFile, sealBytes } from './sealed.js';

export const newId = (): string => crypto.randomUUID();
const now = (): string => new Date().toISOString();

export interface StagedFile {
  /** Absolute path of the fsynced file in staging/. */
  stagedPath: string;
  /** Destination relative to the data directory (under store/). */
  relPath: string;
}

interface Row {
  [k: string]: unknown;
}

/** fsyncs a file or directory path. */
function fsyncPath(p: string): void {
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

export function sha256(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
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

export class TwinStore {
  readonly db: Database.Database;
  readonly dataDir: string;
  readonly stagingDir: string;
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
  constructor(dataDir: string, o: { key?: Buffer | null } = {}) {
    this.dataDir = path.resolve(dataDir);
    this.stagingDir = path.join(this.dataDir, 'staging');
    this.storeDir = path.join(this.dataDir, 'store');
    fs.mkdirSync(this.stagingDir, { recursive: true });
    fs.mkdirSync(this.storeDir, { recursive: true });
    this.db = openDatabase(path.join(this.dataDir, 'orthotwin.sqlite'), o.key ?? null);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.fileKey = o.key ? this.storeFileKey() : null;
    this.auditLog = new AuditLog(this.db, auditKey(this.dataDir), path.join(this.dataDir, 'audit.head'));
    this.auditLog.seal();
    this.recover();
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
    for (const m of MIGRATIONS) {
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
   * Crash recovery: empties staging/, deletes files under store/ that no row
   * references, and fails jobs left 'running' or 'queued' by a dead process.
   * @returns what was cleaned
   */
  recover(): { stagingRemoved: number; orphansRemoved: number; jobsFailed: number } {
    let stagingRemoved = 0;
    for (const e of fs.readdirSync(this.stagingDir)) {
      fs.rmSync(path.join(this.stagingDir, e), { recursive: true, force: true });
      stagingRemoved++;
    }
    const referenced = new Set<string>();
    for (const r of this.db.prepare('SELECT rel_path FROM volumes UNION ALL SELECT rel_path FROM artefacts').all() as { rel_path: string }[])
      referenced.add(path.normalize(r.rel_path));
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
  createPatient(p: { displayName: string; mrn: string; birthDate: string; sex: string }, actor: string): Patient {
    const id = newId();
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO patients (id, display_name, mrn, birth_date, sex, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, p.displayName, p.mrn, p.birthDate, p.sex, now());
      this.audit(actor, 'create', 'patient', id);
    })();
    return this.getPatient(id);
  }

  /**
   * Deletes a patient and everything of theirs (studies, series, volumes,
   * twins, artefacts, analyses, registrations), then their files.
   * @throws AppError NOT_FOUND for an unknown patient
   */
  deletePatient(id: string, actor: string): void {
    this.getPatient(id);
    const files = (
      this.db
        .prepare(
          `SELECT v.rel_path FROM volumes v JOIN series se ON se.id = v.series_id JOIN studies st ON st.id = se.study_id WHERE st.patient_id = ?
           UNION ALL SELECT a.rel_path FROM artefacts a JOIN twins t ON t.id = a.twin_id WHERE t.patient_id = ?`,
        )
        .all(id, id) as { rel_path: string }[]
    ).map((r) => path.join(this.dataDir, r.rel_path));
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM patients WHERE id = ?').run(id);
      this.audit(actor, 'delete', 'patient', id, { files: files.length });
    })();
    for (const f of files) fs.rmSync(f, { force: true });
  }

  getPatient(id: string): Patient {
    const r = this.db.prepare('SELECT p.*, (SELECT COUNT(*) FROM studies s WHERE s.patient_id = p.id) AS study_count FROM patients p WHERE id = ?').get(id) as
      Row | undefined;
    if (!r) throw new AppError('NOT_FOUND', `no patient ${id}`);
    return patientFromRow(r);
  }

  listPatients(query = ''): Patient[] {
    const q = `%${query.replace(/[%_]/g, (c) => `\\${c}`)}%`;
    return (
      this.db
        .prepare(
          "SELECT p.*, (SELECT COUNT(*) FROM studies s WHERE s.patient_id = p.id) AS study_count FROM patients p WHERE display_name LIKE ? ESCAPE '\\' OR mrn LIKE ? ESCAPE '\\' ORDER BY display_name COLLATE NOCASE, created_at",
        )
        .all(q, q) as Row[]
    ).map(patientFromRow);
  }

  // ------------------------------------------------------------ studies, series, volumes
  /** Finds the patient's study with this StudyInstanceUID (non-empty) or creates one. Call inside a transaction. */
  upsertStudy(patientId: string, s: { studyInstanceUid: string; studyDate: string; description: string }): string {
    if (s.studyInstanceUid) {
      const r = this.db.prepare('SELECT id FROM studies WHERE patient_id = ? AND study_instance_uid = ?').get(patientId, s.studyInstanceUid) as
        { id: string } | undefined;
      if (r) return r.id;
    }
    const id = newId();
    this.db
      .prepare('INSERT INTO studies (id, patient_id, study_instance_uid, study_date, description, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, patientId, s.studyInstanceUid, s.studyDate, s.description, now());
    return id;
  }

  insertSeries(
    studyId: string,
    s: { seriesInstanceUid: string; modality: string; modalityGuessed: boolean; description: string; format: string; sourcePath: string },
  ): string {
    const id = newId();
    this.db
      .prepare(
        'INSERT INTO series (id, study_id, series_instance_uid, modality, modality_guessed, description, format, source_path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, studyId, s.seriesInstanceUid, s.modality, s.modalityGuessed ? 1 : 0, s.description, s.format, s.sourcePath, now());
    return id;
  }

  insertVolume(id: string, seriesId: string, v: Omit<VolumeRecord, 'id' | 'seriesId'> & { relPath: string; bytes: number; sha256: string }): void {
    this.db
      .prepare(
        `INSERT INTO volumes (id, series_id, rel_path, dims, spacing_mm, origin_lps, direction, voxel_type, min_value, max_value, nominal_geometry, bytes, sha256, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        seriesId,
        v.relPath,
        JSON.stringify(v.dims),
        JSON.stringify(v.spacingMm),
        JSON.stringify(v.originLps),
        JSON.stringify(v.direction),
        v.voxelType,
        v.minValue,
        v.maxValue,
        v.nominalGeometry ? 1 : 0,
        v.bytes,
        v.sha256,
        now(),
      );
  }

  getVolume(id: string): VolumeRecord & { relPath: string; modality: SeriesRecord['modality']; patientId: string } {
    const r = this.db
      .prepare('SELECT v.*, s.modality, st.patient_id FROM volumes v JOIN series s ON s.id = v.series_id JOIN studies st ON st.id = s.study_id WHERE v.id = ?')
      .get(id) as Row | undefined;
    if (!r) throw new AppError('NOT_FOUND', `no volume ${id}`);
    return { ...volumeFromRow(r), relPath: r['rel_path'] as string, modality: r['modality'] as SeriesRecord['modality'], patientId: r['patient_id'] as string };
  }

  listStudies(patientId: string): StudyRecord[] {
    const studies = this.db.prepare('SELECT * FROM studies WHERE patient_id = ? ORDER BY created_at').all(patientId) as Row[];
    return studies.map((s) => {
      const series = this.db.prepare('SELECT * FROM series WHERE study_id = ? ORDER BY created_at').all(s['id']) as Row[];
      return {
        id: s['id'] as string,
        patientId,
        studyInstanceUid: s['study_instance_uid'] as string,
        studyDate: s['study_date'] as string,
        description: s['description'] as string,
        createdAt: s['created_at'] as string,
        series: series.map((se) => {
          const v = this.db.prepare('SELECT * FROM volumes WHERE series_id = ? LIMIT 1').get(se['id']) as Row | undefined;
          return {
            id: se['id'] as string,
            studyId: s['id'] as string,
            seriesInstanceUid: se['series_instance_uid'] as string,
            modality: se['modality'] as SeriesRecord['modality'],
            modalityGuessed: se['modality_guessed'] === 1,
            description: se['description'] as string,
            format: se['format'] as string,
            sourcePath: se['source_path'] as string,
            volume: v ? volumeFromRow(v) : null,
          };
        }),
      };
    });
  }

  /** A series' source (format, path, UID) and its patient. @throws AppError NOT_FOUND for an unknown series */
  getSeriesSource(id: string): { seriesInstanceUid: string; format: string; sourcePath: string; modality: string; patientId: string } {
    const r = this.db.prepare('SELECT se.*, st.patient_id FROM series se JOIN studies st ON st.id = se.study_id WHERE se.id = ?').get(id) as Row | undefined;
    if (!r) throw new AppError('NOT_FOUND', `no series ${id}`);
    return {
      seriesInstanceUid: r['series_instance_uid'] as string,
      format: r['format'] as string,
      sourcePath: r['source_path'] as string,
      modality: r['modality'] as string,
      patientId: r['patient_id'] as string,
    };
  }

  // ------------------------------------------------------------ twins
  nextTwinVersion(patientId: string): number {
    return ((this.db.prepare('SELECT MAX(version) AS v FROM twins WHERE patient_id = ?').get(patientId) as { v: number | null }).v ?? 0) + 1;
  }

  insertTwin(t: { id: string; patientId: string; volumeId: string; params: TwinParams; algorithmVersion: string; timingsMs: Record<string, number> }): number {
    const version = this.nextTwinVersion(t.patientId);
    this.db
      .prepare('INSERT INTO twins (id, patient_id, volume_id, version, params, algorithm_version, timings_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(t.id, t.patientId, t.volumeId, version, JSON.stringify(t.params), t.algorithmVersion, JSON.stringify(t.timingsMs), now());
    return version;
  }

  /** Records an artefact file of a twin (or of one of its spine analyses). */
  insertArtefact(a: Omit<Artefact, 'id'>, analysisId: string | null = null): string {
    const id = newId();
    this.db
      .prepare(
        'INSERT INTO artefacts (id, twin_id, kind, format, rel_path, bytes, sha256, count, created_at, analysis_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, a.twinId, a.kind, a.format, a.relPath, a.bytes, a.sha256, a.count, now(), analysisId);
    return id;
  }

  /** Records a feature of a twin (or of one of its spine analyses, with its level). */
  insertFeature(twinId: string, f: Omit<Feature, 'createdAt'>, analysisId: string | null = null): void {
    this.db
      .prepare(
        'INSERT INTO features (twin_id, name, level, value, unit, source_series_id, algorithm, algorithm_version, parameters, created_at, analysis_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(twinId, f.name, f.level, f.value, f.unit, f.sourceSeriesId, f.algorithm, f.algorithmVersion, JSON.stringify(f.parameters), now(), analysisId);
  }

  private featuresWhere(where: string, arg: string): Feature[] {
    return (this.db.prepare(`SELECT * FROM features WHERE ${where} ORDER BY id`).all(arg) as Row[]).map((f): Feature => ({
      name: f['name'] as string,
      level: (f['level'] as string | null) ?? null,
      value: f['value'] as number,
      unit: f['unit'] as string,
      sourceSeriesId: f['source_series_id'] as string,
      algorithm: f['algorithm'] as string,
      algorithmVersion: f['algorithm_version'] as string,
      parameters: JSON.parse(f['parameters'] as string) as Record<string, unknown>,
      createdAt: f['created_at'] as string,
    }));
  }

  // ------------------------------------------------------------ calibrations
  /** Appends a calibration to a setup's history. */
  insertCalibration(c: Omit<CalibrationRecord, 'id' | 'createdAt'>): CalibrationRecord {
    const id = newId();
    const createdAt = now();
    this.db
      .prepare(
        'INSERT INTO calibrations (id, setup, kind, from_frame, to_frame, matrix, value_ms, error_mm, residuals, method, source_path, calibrated_at, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        id,
        c.setup,
        c.kind,
        c.fromFrame,
        c.toFrame,
        c.matrix ? JSON.stringify(c.matrix) : null,
        c.valueMs,
        c.errorMm,
        JSON.stringify(c.residuals),
        c.method,
        c.sourcePath,
        c.calibratedAt,
        createdAt,
        c.createdBy,
      );
    this.audit(c.createdBy, 'calibrate', 'calibration', id, { setup: c.setup, kind: c.kind, method: c.method });
    return { ...c, id, createdAt };
  }

  /** A setup's calibrations, newest first. */
  listCalibrations(setup: string): CalibrationRecord[] {
    return (this.db.prepare('SELECT * FROM calibrations WHERE setup = ? ORDER BY created_at DESC, rowid DESC').all(setup) as Row[]).map((r) => ({
      id: r['id'] as string,
      setup: r['setup'] as string,
      kind: r['kind'] as string,
      fromFrame: r['from_frame'] as string,
      toFrame: r['to_frame'] as string,
      matrix: r['matrix'] === null ? null : (JSON.parse(r['matrix'] as string) as number[]),
      valueMs: (r['value_ms'] as number | null) ?? null,
      errorMm: (r['error_mm'] as number | null) ?? null,
      residuals: JSON.parse(r['residuals'] as string) as Record<string, number>,
      method: r['method'] as string,
      sourcePath: r['source_path'] as string,
      calibratedAt: r['calibrated_at'] as string,
      createdAt: r['created_at'] as string,
      createdBy: r['created_by'] as string,
    }));
  }

  // ------------------------------------------------------------ registrations
  /** Stores a camera → image registration of a patient (accepted or refused). */
  insertRegistration(r: Omit<Registration, 'id' | 'createdAt' | 'landmarks' | 'tre'>): Registration {
    const id = newId();
    const createdAt = now();
    this.db
      .prepare(
        'INSERT INTO registrations (id, patient_id, twin_id, series_id, method, from_frame, to_frame, matrix, residual_rms_mm, overlap, predicted_tre_mm, covariance, centre_lps, refused, details, source_path, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        id,
        r.patientId,
        r.twinId,
        r.seriesId,
        r.method,
        r.fromFrame,
        r.toFrame,
        JSON.stringify(r.matrix),
        r.residualRmsMm,
        r.overlap,
        Number.isFinite(r.predictedTreMm) ? r.predictedTreMm : 1e9,
        JSON.stringify(r.covariance),
        JSON.stringify(r.centreLps),
        r.refused ? JSON.stringify(r.refused) : null,
        JSON.stringify(r.details),
        r.sourcePath,
        createdAt,
        r.createdBy,
      );
    this.audit(r.createdBy, 'register', 'registration', id, { patientId: r.patientId, twinId: r.twinId, method: r.method, refused: r.refused !== null });
    return this.getRegistration(id);
  }

  /** @throws AppError NOT_FOUND for an unknown registration */
  getRegistration(id: string): Registration {
    const r = this.db.prepare('SELECT * FROM registrations WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new AppError('NOT_FOUND', `no registration ${id}`);
    return this.registrationFromRow(r);
  }

  /** A patient's registrations, newest first. */
  listRegistrations(patientId: string): Registration[] {
    return (this.db.prepare('SELECT * FROM registrations WHERE patient_id = ? ORDER BY created_at DESC, rowid DESC').all(patientId) as Row[]).map((r) =>
      this.registrationFromRow(r),
    );
  }

  /** Appends TRE landmarks (volume frame, LPS mm) to a registration. */
  addRegistrationLandmarks(registrationId: string, actor: string, pairs: readonly Omit<TreLandmark, 'distanceMm' | 'createdAt'>[]): Registration {
    this.getRegistration(registrationId);
    const ins = this.db.prepare(
      'INSERT INTO registration_landmarks (id, registration_id, ultrasound_lps, volume_lps, distance_mm, volume_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const t = now();
    this.db.transaction(() => {
      for (const p of pairs) {
        const d = Math.hypot(p.ultrasoundLps[0] - p.volumeLps[0], p.ultrasoundLps[1] - p.volumeLps[1], p.ultrasoundLps[2] - p.volumeLps[2]);
        ins.run(newId(), registrationId, JSON.stringify(p.ultrasoundLps), JSON.stringify(p.volumeLps), d, p.volumeId, t, actor);
      }
      this.audit(actor, 'tre-landmarks', 'registration', registrationId, { count: pairs.length });
    })();
    return this.getRegistration(registrationId);
  }

  private registrationFromRow(r: Row): Registration {
    const landmarks = (this.db.prepare('SELECT * FROM registration_landmarks WHERE registration_id = ? ORDER BY created_at, rowid').all(r['id']) as Row[]).map(
      (l) => ({
        ultrasoundLps: JSON.parse(l['ultrasound_lps'] as string) as [number, number, number],
        volumeLps: JSON.parse(l['volume_lps'] as string) as [number, number, number],
        distanceMm: l['distance_mm'] as number,
        volumeId: l['volume_id'] as string,
        createdAt: l['created_at'] as string,
      }),
    );
    const d = landmarks.map((l) => l.distanceMm);
    return {
      id: r['id'] as string,
      patientId: r['patient_id'] as string,
      twinId: r['twin_id'] as string,
      seriesId: r['series_id'] as string,
      method: r['method'] as Registration['method'],
      fromFrame: 'Camera',
      toFrame: 'Image',
      matrix: JSON.parse(r['matrix'] as string) as number[],
      residualRmsMm: r['residual_rms_mm'] as number,
      overlap: r['overlap'] as number,
      predictedTreMm: r['predicted_tre_mm'] as number,
      covariance: JSON.parse(r['covariance'] as string) as number[],
      centreLps: JSON.parse(r['centre_lps'] as string) as [number, number, number],
      refused: r['refused'] === null ? null : (JSON.parse(r['refused'] as string) as string[]),
      details: JSON.parse(r['details'] as string) as Record<string, number>,
      sourcePath: r['source_path'] as string,
      landmarks,
      tre: d.length
        ? {
            count: d.length,
            meanMm: d.reduce((a, b) => a + b, 0) / d.length,
            rmsMm: Math.sqrt(d.reduce((a, b) => a + b * b, 0) / d.length),
            maxMm: Math.max(...d),
          }
        : null,
      createdAt: r['created_at'] as string,
      createdBy: r['created_by'] as string,
    };
  }

  // ------------------------------------------------------------ spine analyses
  /** Adds a spine analysis of a twin as its next version; returns the version. */
  insertSpineAnalysis(a: { id: string; twinId: string; corrections: SpineCorrections; report: SpineReport; algorithmVersion: string }): number {
    const version = ((this.db.prepare('SELECT MAX(version) AS v FROM spine_analyses WHERE twin_id = ?').get(a.twinId) as { v: number | null }).v ?? 0) + 1;
    this.db
      .prepare('INSERT INTO spine_analyses (id, twin_id, version, corrections, report, algorithm_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(a.id, a.twinId, version, JSON.stringify(a.corrections), JSON.stringify(a.report), a.algorithmVersion, now());
    return version;
  }

  /** An analysis with its per-level features. @throws AppError NOT_FOUND for an unknown analysis */
  getSpineAnalysis(id: string): SpineAnalysis & { features: Feature[] } {
    return { ...this.spineAnalysisRecord(id), features: this.featuresWhere('analysis_id = ?', id) };
  }

  /** @throws AppError NOT_FOUND for an unknown analysis */
  spineAnalysisRecord(id: string): SpineAnalysis {
    const r = this.db
      .prepare('SELECT a.*, v.series_id FROM spine_analyses a JOIN twins t ON t.id = a.twin_id JOIN volumes v ON v.id = t.volume_id WHERE a.id = ?')
      .get(id) as Row | undefined;
    if (!r) throw new AppError('NOT_FOUND', `no spine analysis ${id}`);
    const artefacts = (this.db.prepare('SELECT id, kind, format, count FROM artefacts WHERE analysis_id = ? ORDER BY kind').all(id) as Row[]).map((a) => ({
      id: a['id'] as string,
      kind: a['kind'] as string,
      format: a['format'] as string,
      count: a['count'] as number,
    }));
    return {
      id,
      twinId: r['twin_id'] as string,
      version: r['version'] as number,
      corrections: JSON.parse(r['corrections'] as string) as SpineCorrections,
      report: JSON.parse(r['report'] as string) as SpineReport,
      sourceSeriesId: r['series_id'] as string,
      createdAt: r['created_at'] as string,
      artefacts,
    };
  }

  listSpineAnalyses(twinId: string): SpineAnalysis[] {
    return (this.db.prepare('SELECT id FROM spine_analyses WHERE twin_id = ? ORDER BY version DESC').all(twinId) as { id: string }[]).map((r) =>
      this.spineAnalysisRecord(r.id),
    );
  }

  /** The newest spine analysis of every twin of a patient, with its per-level features (oldest twin first). */
  spineHistory(patientId: string): { twinId: string; twinVersion: number; analysisId: string; analysisVersion: number; features: Feature[] }[] {
    const rows = this.db
      .prepare(
        `SELECT t.id AS twin_id, t.version AS twin_version, a.id AS analysis_id, a.version AS analysis_version
         FROM twins t JOIN spine_analyses a ON a.twin_id = t.id
         WHERE t.patient_id = ? AND a.version = (SELECT MAX(version) FROM spine_analyses WHERE twin_id = t.id)
         ORDER BY t.version`,
      )
      .all(patientId) as Row[];
    return rows.map((r) => ({
      twinId: r['twin_id'] as string,
      twinVersion: r['twin_version'] as number,
      analysisId: r['analysis_id'] as string,
      analysisVersion: r['analysis_version'] as number,
      features: this.featuresWhere('analysis_id = ?', r['analysis_id'] as string),
    }));
  }

  getTwin(id: string): Twin {
    const r = this.db.prepare('SELECT t.*, v.series_id FROM twins t JOIN volumes v ON v.id = t.volume_id WHERE t.id = ?').get(id) as Row | undefined;
    if (!r) throw new AppError('NOT_FOUND', `no twin ${id}`);
    const artefacts = (this.db.prepare('SELECT * FROM artefacts WHERE twin_id = ? AND analysis_id IS NULL ORDER BY kind, format').all(id) as Row[]).map(
      (a): Artefact => ({
        id: a['id'] as string,
        twinId: id,
        kind: a['kind'] as Artefact['kind'],
        format: a['format'] as Artefact['format'],
        relPath: a['rel_path'] as string,
        bytes: a['bytes'] as number,
        sha256: a['sha256'] as string,
        count: a['count'] as number,
      }),
    );
    const features = this.featuresWhere('twin_id = ? AND analysis_id IS NULL', id);
    return {
      id,
      patientId: r['patient_id'] as string,
      volumeId: r['volume_id'] as string,
      seriesId: r['series_id'] as string,
      version: r['version'] as number,
      params: JSON.parse(r['params'] as string) as TwinParams,
      algorithmVersion: r['algorithm_version'] as string,
      createdAt: r['created_at'] as string,
      timingsMs: JSON.parse(r['timings_ms'] as string) as Record<string, number>,
      artefacts,
      features,
    };
  }

  listTwins(patientId: string): Twin[] {
    return (this.db.prepare('SELECT id FROM twins WHERE patient_id = ? ORDER BY version DESC').all(patientId) as { id: string }[]).map((r) =>
      this.getTwin(r.id),
    );
  }

  getArtefactPath(id: string): { abs: string; format: string } {
    const r = this.db.prepare('SELECT rel_path, format FROM artefacts WHERE id = ?').get(id) as { rel_path: string; format: string } | undefined;
    if (!r) throw new AppError('NOT_FOUND', `no artefact ${id}`);
    return { abs: path.join(this.dataDir, r.rel_path), format: r.format };
  }

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

function patientFromRow(r: Row): Patient {
  return {
    id: r['id'] as string,
    displayName: r['display_name'] as string,
    mrn: r['mrn'] as string,
    birthDate: r['birth_date'] as string,
    sex: r['sex'] as string,
    createdAt: r['created_at'] as string,
    studyCount: (r['study_count'] as number) ?? 0,
  };
}

function volumeFromRow(r: Row): VolumeRecord {
  return {
    id: r['id'] as string,
    seriesId: r['series_id'] as string,
    dims: JSON.parse(r['dims'] as string) as VolumeRecord['dims'],
    spacingMm: JSON.parse(r['spacing_mm'] as string) as VolumeRecord['spacingMm'],
    originLps: JSON.parse(r['origin_lps'] as string) as VolumeRecord['originLps'],
    direction: JSON.parse(r['direction'] as string) as number[],
    voxelType: r['voxel_type'] as VolumeRecord['voxelType'],
    minValue: r['min_value'] as number,
    maxValue: r['max_value'] as number,
    nominalGeometry: r['nominal_geometry'] === 1,
  };
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
