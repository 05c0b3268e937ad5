/**
 * 0003: calibrations of an acquisition setup (issue 5): ImageToProbe,
 * StylusTipToStylus, PhantomToReference, camera ↔ tracker, temporal offsets.
 * Append-only history per setup; the current value of a kind is the newest.
 */
export const name = 'calibrations';
export const sql = `
CREATE TABLE calibrations (
  id TEXT PRIMARY KEY,
  setup TEXT NOT NULL,
  kind TEXT NOT NULL,
  from_frame TEXT NOT NULL,
  to_frame TEXT NOT NULL,
  matrix TEXT,
  value_ms REAL,
  error_mm REAL,
  residuals TEXT NOT NULL,
  method TEXT NOT NULL,
  source_path TEXT NOT NULL,
  calibrated_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX calibrations_setup ON calibrations(setup, kind, created_at);
`;
