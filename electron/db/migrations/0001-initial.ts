/** 0001: the twin store's first schema (patients → studies → series → volumes → twins → artefacts, features; jobs; audit). */
export const name = 'initial';
export const sql = `
CREATE TABLE patients (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  mrn TEXT NOT NULL DEFAULT '',
  birth_date TEXT NOT NULL DEFAULT '',
  sex TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE INDEX patients_name ON patients(display_name);

CREATE TABLE studies (
  id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  study_instance_uid TEXT NOT NULL DEFAULT '',
  study_date TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE INDEX studies_patient ON studies(patient_id);

CREATE TABLE series (
  id TEXT PRIMARY KEY,
  study_id TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  series_instance_uid TEXT NOT NULL DEFAULT '',
  modality TEXT NOT NULL,
  modality_guessed INTEGER NOT NULL DEFAULT 0,
  description TEXT NOT NULL DEFAULT '',
  format TEXT NOT NULL,
  source_path TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX series_study ON series(study_id);

CREATE TABLE volumes (
  id TEXT PRIMARY KEY,
  series_id TEXT NOT NULL REFERENCES series(id) ON DELETE CASCADE,
  rel_path TEXT NOT NULL,
  dims TEXT NOT NULL,
  spacing_mm TEXT NOT NULL,
  origin_lps TEXT NOT NULL,
  direction TEXT NOT NULL,
  voxel_type TEXT NOT NULL,
  min_value REAL NOT NULL,
  max_value REAL NOT NULL,
  nominal_geometry INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX volumes_series ON volumes(series_id);

CREATE TABLE twins (
  id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  volume_id TEXT NOT NULL REFERENCES volumes(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  params TEXT NOT NULL,
  algorithm_version TEXT NOT NULL,
  timings_ms TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (patient_id, version)
);

CREATE TABLE artefacts (
  id TEXT PRIMARY KEY,
  twin_id TEXT NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  format TEXT NOT NULL,
  rel_path TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  count INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX artefacts_twin ON artefacts(twin_id);

CREATE TABLE features (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  twin_id TEXT NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value REAL NOT NULL,
  unit TEXT NOT NULL,
  source_series_id TEXT NOT NULL REFERENCES series(id),
  algorithm TEXT NOT NULL,
  algorithm_version TEXT NOT NULL,
  parameters TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX features_twin ON features(twin_id);
CREATE INDEX features_name ON features(name);

CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  progress REAL NOT NULL DEFAULT 0,
  stage TEXT NOT NULL DEFAULT '',
  result_id TEXT,
  error TEXT,
  payload TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  finished_at TEXT
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  record_type TEXT NOT NULL,
  record_id TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_record ON audit_log(record_type, record_id);
`;
