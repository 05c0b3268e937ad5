/**
 * 0015: motion lab sessions (issue 21 §7). A session is a trial file (C3D or
 * analog CSV) imported into a patient's record for a visit (the product has
 * no visit entity: the visit's day and label, as recordings carry them); the
 * file is kept under `store/motion/<session>/` (`rel_path`, relative to the
 * data directory; sealed in an encrypted store), its channels (label, unit,
 * kind, muscle, side, level) and events as JSON; `simulated` = 1 when the
 * file says a simulator or a replay made it (ORTHOTWIN:SIMULATED). Its features are the
 * patient's twin features of the motion lab: one row per feature and channel
 * with its unit, site, flags, algorithm and version and every parameter
 * (JSON); a value is NULL where the feature does not exist (a flat channel's
 * spectrum). Removed with the patient.
 */
export const name = 'motion-sessions';
export const sql = `
CREATE TABLE motion_sessions (
  id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  visit_date TEXT NOT NULL,
  visit_label TEXT NOT NULL DEFAULT '',
  format TEXT NOT NULL,
  file_name TEXT NOT NULL,
  rel_path TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  duration_s REAL NOT NULL,
  analog_hz REAL NOT NULL,
  point_hz REAL NOT NULL,
  points INTEGER NOT NULL,
  channels TEXT NOT NULL,
  events TEXT NOT NULL,
  simulated INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX motion_sessions_patient ON motion_sessions(patient_id, visit_date);

CREATE TABLE motion_features (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL REFERENCES motion_sessions(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value REAL,
  unit TEXT NOT NULL,
  channel TEXT NOT NULL,
  muscle TEXT NOT NULL,
  side TEXT NOT NULL,
  level TEXT NOT NULL,
  flags TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  algorithm_version TEXT NOT NULL,
  parameters TEXT NOT NULL
);
CREATE INDEX motion_features_session ON motion_features(session_id);
CREATE INDEX motion_features_name ON motion_features(name);
`;
