/**
 * 0005: the audit log made tamper-evident (issue 6): each record carries the
 * previous record's hash and its own, an HMAC-SHA-256 over the previous hash
 * and the record (key outside the database); UPDATE and DELETE are refused by
 * triggers. Records written before this migration are sealed by the store on
 * open (TwinStore.sealAudit).
 */
export const name = 'audit-chain';
export const sql = `
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log WHEN OLD.hash IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;
