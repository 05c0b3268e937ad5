/**
 * 0002: spine characterisation (issue 3). An analysis belongs to a twin and
 * is versioned (1 = automatic, then one version per correction, earlier ones
 * kept); its features carry the vertebral level; its artefacts (label map,
 * textured bone mesh, intervertebral spaces) point back to it.
 */
export const name = 'spine';
export const sql = `
CREATE TABLE spine_analyses (
  id TEXT PRIMARY KEY,
  twin_id TEXT NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  corrections TEXT NOT NULL,
  report TEXT NOT NULL,
  algorithm_version TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (twin_id, version)
);
ALTER TABLE features ADD COLUMN level TEXT;
ALTER TABLE features ADD COLUMN analysis_id TEXT REFERENCES spine_analyses(id) ON DELETE CASCADE;
CREATE INDEX features_analysis ON features(analysis_id);
CREATE INDEX features_level ON features(name, level);
ALTER TABLE artefacts ADD COLUMN analysis_id TEXT REFERENCES spine_analyses(id) ON DELETE CASCADE;
CREATE INDEX artefacts_analysis ON artefacts(analysis_id);
`;
