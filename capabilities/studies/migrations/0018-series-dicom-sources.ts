/**
 * 0018: what a derived DICOM object (SEG, SR, Surface Segmentation; issue 24
 * §3) needs to reference a DICOM series' source instances, recorded at the
 * import, so it can be derived once the source folder is gone (a PACS
 * retrieval's incoming folder is removed after its import) or moved.
 *
 * `series_dicom_sources`: one row per imported single-frame DICOM series —
 * the grid (Rows, Columns, ImageOrientationPatient as JSON [row x,y,z,
 * column x,y,z], PixelSpacing as JSON [between rows, between columns] in mm,
 * SliceThickness and the median spacing between slices in mm), Study/Series
 * Instance UIDs, Frame of Reference UID, and `header`: the first instance's
 * attributes the derived objects copy (`SOURCE_HEADER_ATTRIBUTES` in
 * electron/io/dicomSeg.ts; dcmjs naturalised JSON).
 * `series_dicom_instances`: per instance, in the imported volume's slice
 * order (k = slice_index), its SOP Class UID, SOP Instance UID and
 * ImagePositionPatient (LPS mm).
 *
 * Series imported before this migration (and non-DICOM, multi-frame or
 * unreferenceable ones) have no row: their objects are derived from the
 * folder, or refused with NOT_FOUND when it is gone. Removed with the series.
 */
export const name = 'series-dicom-sources';
export const sql = `
CREATE TABLE series_dicom_sources (
  series_id TEXT PRIMARY KEY REFERENCES series(id) ON DELETE CASCADE,
  study_instance_uid TEXT NOT NULL,
  series_instance_uid TEXT NOT NULL,
  frame_of_reference_uid TEXT NOT NULL,
  image_rows INTEGER NOT NULL,
  image_columns INTEGER NOT NULL,
  image_orientation_patient TEXT NOT NULL,
  pixel_spacing_mm TEXT NOT NULL,
  slice_thickness_mm REAL NOT NULL,
  spacing_between_slices_mm REAL NOT NULL,
  header TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE series_dicom_instances (
  series_id TEXT NOT NULL REFERENCES series_dicom_sources(series_id) ON DELETE CASCADE,
  slice_index INTEGER NOT NULL,
  sop_class_uid TEXT NOT NULL,
  sop_instance_uid TEXT NOT NULL,
  ipp_x_mm REAL NOT NULL,
  ipp_y_mm REAL NOT NULL,
  ipp_z_mm REAL NOT NULL,
  PRIMARY KEY (series_id, slice_index)
);
CREATE INDEX series_dicom_instances_sop ON series_dicom_instances(sop_instance_uid);
`;
