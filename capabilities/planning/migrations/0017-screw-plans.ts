/**
 * 0017: pedicle screw plans (issue 24 §1), versioned per spine analysis:
 * version 1 is the automatic proposal, each saved edit adds the next version
 * (earlier ones kept). The plan (screws, skipped levels, resolution note,
 * catalogue) is JSON. Removed with the analysis (and so with the twin).
 */
export const name = 'screw-plans';
export const sql = `
CREATE TABLE screw_plans (
  id TEXT PRIMARY KEY,
  analysis_id TEXT NOT NULL REFERENCES spine_analyses(id) ON DELETE CASCADE,
  twin_id TEXT NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  plan TEXT NOT NULL,
  algorithm_version TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (analysis_id, version)
);
CREATE INDEX screw_plans_twin ON screw_plans(twin_id, created_at);
`;
