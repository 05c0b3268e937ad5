/** 0012: a twin's measurements and annotations (issue 20 §3), one JSON set per twin with a revision number. */
export const name = 'annotations';
export const sql = `
CREATE TABLE twin_annotations (
  twin_id TEXT PRIMARY KEY REFERENCES twins(id) ON DELETE CASCADE,
  revision INTEGER NOT NULL,
  annotations TEXT NOT NULL,
  saved_at TEXT NOT NULL,
  saved_by TEXT NOT NULL
);
`;
