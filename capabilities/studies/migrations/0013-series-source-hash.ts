/**
 * 0013: the SHA-256 of a series' source file (issue 20 §1), for a volume file
 * (NIfTI, NRRD, MetaImage) read from one file: a scan finds the same file
 * already imported into the patient by its content, whatever its path ('' for
 * DICOM series, found by their SeriesInstanceUID, and for series imported
 * before this migration).
 */
export const name = 'series-source-hash';
export const sql = `
ALTER TABLE series ADD COLUMN source_sha256 TEXT NOT NULL DEFAULT '';
CREATE INDEX series_source_sha256 ON series(source_sha256);
CREATE INDEX series_instance_uid ON series(series_instance_uid);
`;
