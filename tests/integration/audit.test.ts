/**
 * The tamper-evident audit log (issue 6, must-show 5): altering, deleting or
 * reordering one record, or removing the newest ones, is detected by the
 * verification; UPDATE and DELETE are refused by the database itself; a
 * record re-hashed without the key is still caught; records written before
 * the chain are sealed on open; the FHIR AuditEvent export holds no patient
 * name or MRN.
 */
import fs from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterAll, describe, expect, it } from 'vitest';
import { openTwinStore } from '../../electron/services/index.js';
import { createServices } from '../../electron/services/index.js';
import { tmpDir } from '../helpers/tmp.js';
import { createPatient } from '../../capabilities/patients/repo.js';

const tmp = tmpDir('audit-');
afterAll(() => tmp.cleanup());

/** A store with 3 patients (3 audit records) and 3 more records; returns its folder, closed. */
function populated(name: string): string {
  const dir = path.join(tmp.dir, name);
  const store = openTwinStore(dir);
  for (const p of ['Jane Roe', 'John Doe', 'Ann Poe'])
    createPatient(store, { displayName: p, mrn: `MRN-${p.length}77`, birthDate: '1970-01-01', sex: 'F' }, 'dr.a');
  for (let i = 0; i < 3; i++) store.audit('dr.b', 'read', 'patient', `p${i}`, { n: i });
  store.close();
  return dir;
}

/** Runs raw SQL on a store's database the way someone with the file would (triggers dropped first). */
function tamper(dir: string, sql: string): void {
  const db = new Database(path.join(dir, 'orthotwin.sqlite'));
  db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
  db.exec(sql);
  db.close();
}

const verify = (dir: string) => {
  const store = openTwinStore(dir);
  try {
    return store.auditLog.verify();
  } finally {
    store.close();
  }
};

describe('audit hash chain', () => {
  it('an untouched log verifies; the database refuses UPDATE and DELETE', () => {
    const dir = populated('clean');
    const v = verify(dir);
    expect(v).toMatchObject({ ok: true, records: 6, problems: [] });
    expect(v.head!.id).toBe(6);
    const store = openTwinStore(dir);
    expect(() => store.db.exec("UPDATE audit_log SET actor = 'x' WHERE id = 2")).toThrow(/append-only/);
    expect(() => store.db.exec('DELETE FROM audit_log WHERE id = 2')).toThrow(/append-only/);
    store.close();
  });

  it('detects an altered record, even re-hashed without the key', () => {
    const dir = populated('altered');
    tamper(dir, `UPDATE audit_log SET actor = 'someone-else' WHERE id = 3`);
    expect(verify(dir).problems).toEqual([{ id: 3, kind: 'altered', message: 'record 3 was altered after it was written' }]);
    // a forger recomputing a plain SHA-256 (no key) over the changed record
    const dir2 = populated('rehashed');
    const db = new Database(path.join(dir2, 'orthotwin.sqlite'));
    const r = db.prepare('SELECT * FROM audit_log WHERE id = 4').get() as Record<string, string | number>;
    db.close();
    const forged = crypto
      .createHash('sha256')
      .update(JSON.stringify([r['prev_hash'], 4, r['at'], r['actor'], r['action'], r['record_type'], r['record_id'], '{"n":99}']))
      .digest('hex');
    tamper(dir2, `UPDATE audit_log SET detail = '{"n":99}', hash = '${forged}' WHERE id = 4`);
    const v = verify(dir2);
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => [p.id, p.kind])).toEqual([
      [4, 'altered'],
      [5, 'chain-broken'],
    ]);
  });

  it('detects a deleted record and a reordering', () => {
    const deleted = populated('deleted');
    tamper(deleted, 'DELETE FROM audit_log WHERE id = 2');
    expect(verify(deleted).problems.map((p) => [p.id, p.kind])).toEqual([[3, 'chain-broken']]);
    // records 4 and 5 swapped (contents exchanged, ids kept)
    const swapped = populated('swapped');
    tamper(
      swapped,
      `CREATE TEMP TABLE t AS SELECT * FROM audit_log WHERE id IN (4, 5);
       UPDATE audit_log SET at = (SELECT at FROM t WHERE id = 5), actor = (SELECT actor FROM t WHERE id = 5), action = (SELECT action FROM t WHERE id = 5),
         record_type = (SELECT record_type FROM t WHERE id = 5), record_id = (SELECT record_id FROM t WHERE id = 5), detail = (SELECT detail FROM t WHERE id = 5),
         prev_hash = (SELECT prev_hash FROM t WHERE id = 5), hash = (SELECT hash FROM t WHERE id = 5) WHERE id = 4;
       UPDATE audit_log SET at = (SELECT at FROM t WHERE id = 4), actor = (SELECT actor FROM t WHERE id = 4), action = (SELECT action FROM t WHERE id = 4),
         record_type = (SELECT record_type FROM t WHERE id = 4), record_id = (SELECT record_id FROM t WHERE id = 4), detail = (SELECT detail FROM t WHERE id = 4),
         prev_hash = (SELECT prev_hash FROM t WHERE id = 4), hash = (SELECT hash FROM t WHERE id = 4) WHERE id = 5;`,
    );
    const v = verify(swapped);
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => p.id)).toEqual(expect.arrayContaining([4, 5]));
    expect(v.problems.some((p) => p.kind === 'chain-broken')).toBe(true);
  });

  it('detects the newest records removed (the anchor), and a missing anchor', () => {
    const dir = populated('truncated');
    tamper(dir, 'DELETE FROM audit_log WHERE id >= 5');
    expect(verify(dir).problems).toEqual([
      { id: 6, kind: 'truncated', message: 'record 6, the newest one anchored, is missing: records were removed from the end' },
    ]);
    const noAnchor = populated('no-anchor');
    fs.rmSync(path.join(noAnchor, 'audit.head'));
    expect(verify(noAnchor).problems.map((p) => p.kind)).toEqual(['truncated']);
  });

  it('records written before the chain existed are sealed on open and verify', () => {
    const dir = populated('legacy');
    tamper(
      dir,
      `INSERT INTO audit_log (at, actor, action, record_type, record_id, detail) VALUES ('2026-01-01T00:00:00.000Z', 'old', 'read', 'patient', 'x', '{}')`,
    );
    const store = openTwinStore(dir);
    // the constructor sealed it
    expect(store.auditLog.verify()).toMatchObject({ ok: true, records: 7 });
    store.close();
  });

  it('the audit service verifies and exports as FHIR AuditEvent with no patient name or MRN, and the export itself is audited', async () => {
    const host = createServices({ dataDir: path.join(tmp.dir, 'svc'), transport: 'cli' });
    try {
      await host.impl.patients.create({ displayName: 'Jane Roe', mrn: 'MRN-9931', birthDate: '1970-01-01', sex: 'F' });
      expect((await host.impl.audit.verify()).ok).toBe(true);
      const fhir = await host.impl.audit.export('fhir');
      expect(fhir.length).toBeGreaterThanOrEqual(1);
      expect(fhir[0]).toMatchObject({ resourceType: 'AuditEvent', action: 'C', type: { code: '110110' }, agent: [{ requestor: true }] });
      const text = JSON.stringify(fhir);
      expect(text).not.toContain('Jane Roe');
      expect(text).not.toContain('MRN-9931');
      const json = await host.impl.audit.export('json');
      expect(json.at(-1)).toMatchObject({ action: 'export', recordType: 'audit', detail: { format: 'fhir' } });
      expect((await host.impl.audit.verify()).records).toBe(json.length + 1);
    } finally {
      host.close();
    }
  });
});
