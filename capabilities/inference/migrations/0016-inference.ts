/**
 * 0016: the inference engine (issue 23). Entered visits (one per patient and
 * day; visits are also found from the acquisitions' days), filled forms with
 * their answers and score (JSON), clinicians' values per visit, the feature
 * graph versions of a patient (the graph as JSON, with the SHA-256 of the
 * inputs it was built from: a new version only when they changed), the
 * site's outcomes (surgery yes/no and date per patient) and the site's risk
 * models (refits of shipped models: the model file and the fit report as
 * JSON, candidate until an administrator approves). Removed with the patient.
 */
export const name = 'inference';
export const sql = `
CREATE TABLE visits (
  id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  visit_date TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (patient_id, visit_date)
);

CREATE TABLE prom_responses (
  id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  visit_date TEXT NOT NULL,
  instrument TEXT NOT NULL,
  answers TEXT NOT NULL,
  score TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX prom_responses_patient ON prom_responses(patient_id, visit_date);

CREATE TABLE clinical_values (
  patient_id TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  visit_date TEXT NOT NULL,
  name TEXT NOT NULL,
  value REAL NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (patient_id, visit_date, name)
);

CREATE TABLE feature_graphs (
  id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  inputs_sha256 TEXT NOT NULL,
  graph TEXT NOT NULL,
  algorithm_version TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (patient_id, version)
);

CREATE TABLE outcomes (
  patient_id TEXT PRIMARY KEY REFERENCES patients(id) ON DELETE CASCADE,
  surgery INTEGER NOT NULL,
  surgery_date TEXT,
  recorded_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL
);

CREATE TABLE risk_models (
  key TEXT PRIMARY KEY,
  base_key TEXT NOT NULL,
  model TEXT NOT NULL,
  report TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  state TEXT NOT NULL,
  approved_by TEXT,
  approved_at TEXT,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
`;
