/**
 * The tamper-evident audit log of the twin store (issue 6 §6).
 *
 * Every record is chained to the one before it: hash = HMAC-SHA-256(key,
 * JSON [prev_hash, id, at, actor, action, record_type, record_id, detail]),
 * with the key in `audit.key` beside the database (not in it: whoever edits
 * the database cannot re-seal what they changed without it). Altering a
 * record changes its hash; deleting or reordering records breaks the chain
 * (each record names its predecessor's hash, and the id is hashed); deleting
 * the newest records is caught by the anchor `audit.head` (the newest record's
 * id and hash, written after each commit). UPDATE and DELETE are refused by
 * triggers (migration 0005) — a first barrier; the chain is what detects a
 * change made around them.
 *
 * FHIR export: each record as an R4 AuditEvent (https://hl7.org/fhir/R4/auditevent.html),
 * event types from DICOM's audit vocabulary (PS3.16 CID 400: 110110 Patient
 * Record, 110114 User Authentication, 110106 Export, 110100 Application Activity).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';

export interface AuditRecord {
  id: number;
  at: string;
  actor: string;
  action: string;
  recordType: string;
  recordId: string;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditProblem {
  /** The record where the problem shows (for `truncated`, the anchored id). */
  id: number;
  kind: 'altered' | 'chain-broken' | 'truncated' | 'unsealed';
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  records: number;
  /** Id and hash of the newest record. */
  head: { id: number; hash: string } | null;
  problems: AuditProblem[];
}

interface Row {
  id: number;
  at: string;
  actor: string;
  action: string;
  record_type: string;
  record_id: string;
  detail: string;
  prev_hash: string | null;
  hash: string | null;
}

/** The HMAC key of a data directory's audit chain (created, 256 bits, owner-only, on first use). */
export function auditKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'audit.key');
  try {
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const key = crypto.randomBytes(32);
    fs.writeFileSync(file, key.toString('hex'), { mode: 0o600, flag: 'wx' });
    return key;
  }
}

const chainHash = (key: Buffer, prev: string, r: Pick<Row, 'id' | 'at' | 'actor' | 'action' | 'record_type' | 'record_id' | 'detail'>): string =>
  crypto
    .createHmac('sha256', key)
    .update(JSON.stringify([prev, r.id, r.at, r.actor, r.action, r.record_type, r.record_id, r.detail]))
    .digest('hex');

export class AuditLog {
  private anchorPending = false;

  constructor(
    private readonly db: Database.Database,
    private readonly key: Buffer,
    /** The anchor file (`audit.head`). */
    private readonly anchorFile: string,
  ) {}

  /**
   * Appends a record to the chain (inside the caller's transaction when there is one).
   * @param detail must not hold patient identifiers (names, MRNs): ids of records only
   */
  append(actor: string, action: string, recordType: string, recordId: string, detail: Record<string, unknown>): void {
    this.db
      .transaction(() => {
        const last = this.db.prepare('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1').get() as { hash: string | null } | undefined;
        const prev = last?.hash ?? '';
        const row = { at: new Date().toISOString(), actor, action, record_type: recordType, record_id: recordId, detail: JSON.stringify(detail) };
        const id = Number(
          this.db
            .prepare('INSERT INTO audit_log (at, actor, action, record_type, record_id, detail, prev_hash) VALUES (?, ?, ?, ?, ?, ?, ?)')
            .run(row.at, row.actor, row.action, row.record_type, row.record_id, row.detail, prev).lastInsertRowid,
        );
        this.db.prepare('UPDATE audit_log SET hash = ? WHERE id = ?').run(chainHash(this.key, prev, { ...row, id }), id);
      })
      .immediate();
    this.scheduleAnchor();
  }

  /** The anchor is written once the caller's transaction has committed (a rolled-back record must not be anchored). */
  private scheduleAnchor(): void {
    if (this.anchorPending) return;
    this.anchorPending = true;
    setImmediate(() => {
      this.anchorPending = false;
      try {
        this.writeAnchor();
      } catch {
        // the database was closed meanwhile: close() writes the anchor
      }
    });
  }

  /** Writes `audit.head` from the newest committed record. */
  writeAnchor(): void {
    if (!this.db.open || this.db.inTransaction) return;
    const last = this.db.prepare('SELECT id, hash FROM audit_log WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1').get() as
      { id: number; hash: string } | undefined;
    if (!last) return;
    const tmp = `${this.anchorFile}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(last));
    fs.renameSync(tmp, this.anchorFile);
  }

  /** Seals records written before the chain existed (migration 0005), oldest first. @returns how many */
  seal(): number {
    const rows = this.db.prepare('SELECT * FROM audit_log WHERE hash IS NULL ORDER BY id').all() as Row[];
    if (rows.length === 0) return 0;
    this.db.transaction(() => {
      for (const r of rows) {
        const before = this.db.prepare('SELECT hash FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT 1').get(r.id) as { hash: string | null } | undefined;
        const prev = before?.hash ?? '';
        this.db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?').run(prev, chainHash(this.key, prev, r), r.id);
      }
    })();
    this.writeAnchor();
    return rows.length;
  }

  /** All records, oldest first. */
  records(): AuditRecord[] {
    return (this.db.prepare('SELECT * FROM audit_log ORDER BY id').all() as Row[]).map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      recordType: r.record_type,
      recordId: r.record_id,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
      prevHash: r.prev_hash ?? '',
      hash: r.hash ?? '',
    }));
  }

  /**
   * Checks the whole chain and the anchor.
   * @returns ok, the problems found (altered records, broken links where records were deleted or reordered, records missing at the end)
   */
  verify(): AuditVerification {
    // records this process appended a moment ago are anchored first (their anchor write is only deferred to after the commit)
    if (this.anchorPending) this.writeAnchor();
    const rows = this.db.prepare('SELECT * FROM audit_log ORDER BY id').all() as Row[];
    const problems: AuditProblem[] = [];
    let prev = '';
    for (const r of rows) {
      if (r.hash === null) {
        problems.push({ id: r.id, kind: 'unsealed', message: `record ${r.id} has no hash` });
        continue;
      }
      if ((r.prev_hash ?? '') !== prev)
        problems.push({
          id: r.id,
          kind: 'chain-broken',
          message: `record ${r.id} does not follow the record before it: a record was deleted, inserted or reordered`,
        });
      if (chainHash(this.key, r.prev_hash ?? '', r) !== r.hash)
        problems.push({ id: r.id, kind: 'altered', message: `record ${r.id} was altered after it was written` });
      prev = r.hash;
    }
    let anchor: { id: number; hash: string } | null = null;
    try {
      anchor = JSON.parse(fs.readFileSync(this.anchorFile, 'utf8')) as { id: number; hash: string };
    } catch {
      anchor = null;
    }
    if (anchor) {
      const at = rows.find((r) => r.id === anchor.id);
      if (!at)
        problems.push({
          id: anchor.id,
          kind: 'truncated',
          message: `record ${anchor.id}, the newest one anchored, is missing: records were removed from the end`,
        });
      else if (at.hash !== anchor.hash) problems.push({ id: anchor.id, kind: 'altered', message: `record ${anchor.id} no longer matches its anchored hash` });
    } else if (rows.length > 0) problems.push({ id: rows[0]!.id, kind: 'truncated', message: 'the anchor (audit.head) is missing' });
    const last = rows.at(-1);
    return { ok: problems.length === 0, records: rows.length, head: last?.hash ? { id: last.id, hash: last.hash } : null, problems };
  }
}

const EVENT_TYPES: Record<string, { code: string; display: string }> = {
  login: { code: '110114', display: 'User Authentication' },
  'login-failed': { code: '110114', display: 'User Authentication' },
  logout: { code: '110114', display: 'User Authentication' },
  export: { code: '110106', display: 'Export' },
  'session-start': { code: '110100', display: 'Application Activity' },
  'session-stop': { code: '110100', display: 'Application Activity' },
};
const ACTIONS: Record<string, 'C' | 'R' | 'U' | 'D' | 'E'> = {
  create: 'C',
  import: 'C',
  reconstruct: 'C',
  register: 'C',
  calibrate: 'C',
  read: 'R',
  export: 'R',
  update: 'U',
  correct: 'U',
  'tre-landmarks': 'U',
  delete: 'D',
};

/**
 * One audit record as a FHIR R4 AuditEvent.
 * @param r the record (its detail never holds patient identifiers, so neither does the event)
 */
export function toFhirAuditEvent(r: AuditRecord): Record<string, unknown> {
  const type = EVENT_TYPES[r.action] ?? { code: '110110', display: 'Patient Record' };
  return {
    resourceType: 'AuditEvent',
    id: String(r.id),
    type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: type.code, display: type.display },
    subtype: [{ system: 'urn:orthotwin:audit-action', code: r.action }],
    action: ACTIONS[r.action] ?? 'E',
    recorded: r.at,
    outcome: r.action === 'login-failed' ? '4' : '0',
    agent: [{ who: { display: r.actor }, requestor: true }],
    source: { observer: { display: 'OrthoTwin' }, type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4' }] },
    entity: [
      {
        what: { identifier: { system: `urn:orthotwin:${r.recordType}`, value: r.recordId } },
        detail: [
          { type: 'detail', valueString: JSON.stringify(r.detail) },
          { type: 'hash', valueString: r.hash },
          { type: 'prev-hash', valueString: r.prevHash },
        ],
      },
    ],
  };
}
