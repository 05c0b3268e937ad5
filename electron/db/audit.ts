/**
 * The tamper-evident audit log of the twin store (issue 6 §6).
 *
 * Every record is chained to the one before it: hash = HMAC-SHA-256(key,
 * JSON [prev_hash, id, at, actor, action, record_type, record_id, detail]),
 * with the key kept inside the encrypted database of an encrypted store (so
 * it is under the store key, in the OS keystore or the key file), or in
 * `audit.key` beside a plaintext one (whoever edits the database cannot
 * re-seal what they changed without it). Altering a
 * record changes its hash; deleting or reordering records breaks the chain
 * (each record names its predecessor's hash, and the id is hashed); deleting
 * the newest records is caught by the anchor `audit.head` (the newest record's
 * id and hash with an HMAC under the same key, written after each commit): a
 * rewritten anchor is not authentic, and a store opened with records missing
 * after its anchor records that in the chain itself (`audit-truncated`), so
 * the next anchor cannot hide it. UPDATE and DELETE are refused by
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

/** The HMAC key of a plaintext store's audit chain: `audit.key` beside the database (created, 256 bits, owner-only, on first use). */
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

/** The anchor's HMAC (over its id and hash) under the chain's key. */
const anchorMac = (key: Buffer, id: number, hash: string): string => crypto.createHmac('sha256', key).update(`audit.head:${id}:${hash}`).digest('hex');

/** Actions the log records about itself when it finds the anchor wrong at open (reported by verify as truncation). */
const TAMPER_ACTIONS = new Set(['audit-truncated', 'audit-anchor-missing', 'audit-anchor-forged']);

/** The problem a tamper record (written at open) stands for, worded as if the anchor had been checked then. */
function tamperProblem(r: Row): AuditProblem {
  const d = JSON.parse(r.detail) as { anchoredId?: number; anchored?: string };
  if (r.action === 'audit-truncated' && d.anchored === 'altered')
    return { id: d.anchoredId ?? r.id, kind: 'altered', message: `record ${d.anchoredId} no longer matches its anchored hash` };
  if (r.action === 'audit-truncated')
    return {
      id: d.anchoredId ?? r.id,
      kind: 'truncated',
      message: `record ${d.anchoredId}, the newest one anchored, is missing: records were removed from the end`,
    };
  if (r.action === 'audit-anchor-missing')
    return { id: r.id, kind: 'truncated', message: `the anchor (audit.head) was missing when the store was opened on ${r.at}` };
  return {
    id: r.id,
    kind: 'truncated',
    message: `the anchor (audit.head) was not written with the chain key when the store was opened on ${r.at}: it was rewritten`,
  };
}

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
    fs.writeFileSync(tmp, JSON.stringify({ ...last, mac: anchorMac(this.key, last.id, last.hash) }));
    fs.renameSync(tmp, this.anchorFile);
  }

  /** The anchor as written, with whether its HMAC is right (an anchor from before the HMAC has none). */
  private readAnchor(): { id: number; hash: string; authentic: boolean; legacy: boolean } | null {
    try {
      const a = JSON.parse(fs.readFileSync(this.anchorFile, 'utf8')) as { id: number; hash: string; mac?: string };
      if (typeof a.id !== 'number' || typeof a.hash !== 'string') return { id: -1, hash: '', authentic: false, legacy: false };
      return { id: a.id, hash: a.hash, authentic: a.mac === anchorMac(this.key, a.id, a.hash), legacy: a.mac === undefined };
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : { id: -1, hash: '', authentic: false, legacy: false };
    }
  }

  /**
   * At open, before anything new is anchored: checks the anchor against the chain and, when records are missing
   * after it, the anchor is gone or was not written with the key, records that in the chain (so a later anchor cannot
   * launder it; verify reports those records). An anchor from before the HMAC is accepted once if it matches.
   * @returns the tamper record's action, or null when the anchor is right
   */
  checkAtOpen(): string | null {
    const last = this.db.prepare('SELECT id, hash FROM audit_log WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1').get() as
      { id: number; hash: string } | undefined;
    const a = this.readAnchor();
    let action: string | null = null;
    let detail: Record<string, unknown> = {};
    if (!a) {
      if (last) ((action = 'audit-anchor-missing'), (detail = { newestId: last.id }));
    } else if (!a.authentic && (!a.legacy || this.macAnchorsWritten()))
      // an anchor without its HMAC is accepted only from before anchors had one
      ((action = 'audit-anchor-forged'), (detail = { anchoredId: a.id, newestId: last?.id ?? null }));
    else {
      const at = this.db.prepare('SELECT hash FROM audit_log WHERE id = ?').get(a.id) as { hash: string | null } | undefined;
      if (!at || at.hash !== a.hash)
        ((action = 'audit-truncated'), (detail = { anchoredId: a.id, newestId: last?.id ?? null, anchored: at ? 'altered' : 'missing' }));
    }
    if (action) {
      this.append('orthotwin', action, 'audit', 'audit-log', detail);
      this.writeAnchor();
    } else if (a?.legacy) this.writeAnchor();
    this.db.prepare("INSERT OR IGNORE INTO store_meta (key, value) VALUES ('audit_anchor_mac', '1')").run();
    return action;
  }

  /** True once this store has written an anchor with its HMAC (kept in store_meta: inside the encrypted database). */
  private macAnchorsWritten(): boolean {
    return this.db.prepare("SELECT 1 FROM store_meta WHERE key = 'audit_anchor_mac'").get() !== undefined;
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
    for (const r of rows) if (TAMPER_ACTIONS.has(r.action)) problems.push(tamperProblem(r));
    const anchor = this.readAnchor();
    if (anchor && !anchor.authentic && (!anchor.legacy || this.macAnchorsWritten()))
      problems.push({ id: anchor.id, kind: 'truncated', message: 'the anchor (audit.head) was not written with the chain key: it was rewritten' });
    else if (anchor) {
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
