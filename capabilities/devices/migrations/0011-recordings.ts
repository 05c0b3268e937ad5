/**
 * 0011: session recordings (issue 20 §6) belong to a patient and a visit.
 * The product has no visit entity: a recording carries the visit's day
 * (`visit_date`, ISO 8601) and an optional label. One row per recording:
 * its folder (relative to the data directory), when it ran, how it ended
 * (`state`: recording, stopped, interrupted; `stop_reason`), its length and
 * size, the files written and how each connected device fared (JSON).
 * Removed with its patient; the folder stays on disk.
 */
export const name = 'recordings';
export const sql = `
CREATE TABLE recordings (
  id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  visit_date TEXT NOT NULL,
  visit_label TEXT NOT NULL DEFAULT '',
  dir TEXT NOT NULL,
  started_at TEXT NOT NULL,
  stopped_at TEXT,
  state TEXT NOT NULL DEFAULT 'recording',
  stop_reason TEXT,
  elapsed_ms REAL NOT NULL DEFAULT 0,
  bytes_written INTEGER NOT NULL DEFAULT 0,
  files TEXT NOT NULL DEFAULT '[]',
  devices TEXT NOT NULL DEFAULT '[]',
  created_by TEXT NOT NULL
);
CREATE INDEX recordings_patient ON recordings(patient_id, started_at);
`;
