/**
 * 0004: patient registrations (issue 5): the depth camera's skin registered to
 * the image skin of a twin (Camera → image LPS), with its fit, overlap, pose
 * covariance and refusal reasons; and the TRE landmarks measured with it in
 * the fusion view (append-only).
 */
export const name = 'registrations';
export const sql = `
CREATE TABLE registrations (
  id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  twin_id TEXT NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
  series_id TEXT NOT NULL,
  method TEXT NOT NULL,
  from_frame TEXT NOT NULL,
  to_frame TEXT NOT NULL,
  matrix TEXT NOT NULL,
  residual_rms_mm REAL NOT NULL,
  overlap REAL NOT NULL,
  predicted_tre_mm REAL NOT NULL,
  covariance TEXT NOT NULL,
  centre_lps TEXT NOT NULL,
  refused TEXT,
  details TEXT NOT NULL,
  source_path TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX registrations_patient ON registrations(patient_id, created_at);
CREATE TABLE registration_landmarks (
  id TEXT PRIMARY KEY,
  registration_id TEXT NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
  ultrasound_lps TEXT NOT NULL,
  volume_lps TEXT NOT NULL,
  distance_mm REAL NOT NULL,
  volume_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX registration_landmarks_reg ON registration_landmarks(registration_id, created_at);
`;
