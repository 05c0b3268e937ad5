/**
 * 0010: editable records and a recoverable trash (issue 20 §1). Patients,
 * studies, series and twins can be moved to the trash (`trashed_at`,
 * `trashed_by`: hidden from every list, refused as a source, restorable;
 * purged for good by an administrator). A twin has a label; a patient the
 * twin the user marked as the default (`default_twin_id`). `record_edits`
 * keeps the values before and after each edit (patient identifiers, so kept
 * here, under the store key, and removed with the patient — never in the
 * audit log, whose record names the edit).
 */
export const name = 'records-trash';
export const sql = `
ALTER TABLE patients ADD COLUMN trashed_at TEXT;
ALTER TABLE patients ADD COLUMN trashed_by TEXT;
ALTER TABLE patients ADD COLUMN default_twin_id TEXT REFERENCES twins(id) ON DELETE SET NULL;
ALTER TABLE studies ADD COLUMN trashed_at TEXT;
ALTER TABLE studies ADD COLUMN trashed_by TEXT;
ALTER TABLE series ADD COLUMN trashed_at TEXT;
ALTER TABLE series ADD COLUMN trashed_by TEXT;
ALTER TABLE twins ADD COLUMN trashed_at TEXT;
ALTER TABLE twins ADD COLUMN trashed_by TEXT;
ALTER TABLE twins ADD COLUMN label TEXT NOT NULL DEFAULT '';

CREATE TABLE record_edits (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  patient_id TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  record_type TEXT NOT NULL,
  record_id TEXT NOT NULL,
  changes TEXT NOT NULL
);
CREATE INDEX record_edits_record ON record_edits(record_type, record_id);
CREATE INDEX record_edits_patient ON record_edits(patient_id);
`;
