/**
 * Studies, series and volumes: rows of imported and reconstructed images
 * (tables from migration 0001); volumes in LPS mm (dims, spacing, origin,
 * row-major direction).
 */
import { AppError } from '../../electron/contract/errors.js';
import { newId, nowIso as now, type Row } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import type { SourceSeries } from '../../electron/io/dicomSeg.js';
import type { SeriesRecord, StudyRecord, VolumeRecord } from './contract.js';
import { assertUsable } from '../records/repo.js';

/** Finds the patient's study with this StudyInstanceUID (non-empty, not in the trash) or creates one. Call inside a transaction. */
export function upsertStudy(store: TwinStore, patientId: string, s: { studyInstanceUid: string; studyDate: string; description: string }): string {
  if (s.studyInstanceUid) {
    const r = store.db
      .prepare('SELECT id FROM studies WHERE patient_id = ? AND study_instance_uid = ? AND trashed_at IS NULL')
      .get(patientId, s.studyInstanceUid) as { id: string } | undefined;
    if (r) return r.id;
  }
  const id = newId();
  store.db
    .prepare('INSERT INTO studies (id, patient_id, study_instance_uid, study_date, description, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(id, patientId, s.studyInstanceUid, s.studyDate, s.description, now());
  return id;
}

export function insertSeries(
  store: TwinStore,
  studyId: string,
  s: {
    seriesInstanceUid: string;
    modality: string;
    modalityGuessed: boolean;
    description: string;
    format: string;
    sourcePath: string;
    /** SHA-256 of the source file (a volume file; '' for DICOM), migration 0013. */
    sourceSha256?: string;
    /** The identity fields that differed and the user confirmed (migration 0014); '' or absent when they matched. */
    identityOverride?: string;
  },
): string {
  const id = newId();
  store.db
    .prepare(
      'INSERT INTO series (id, study_id, series_instance_uid, modality, modality_guessed, description, format, source_path, source_sha256, identity_override, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    .run(
      id,
      studyId,
      s.seriesInstanceUid,
      s.modality,
      s.modalityGuessed ? 1 : 0,
      s.description,
      s.format,
      s.sourcePath,
      s.sourceSha256 ?? '',
      s.identityOverride ?? '',
      now(),
    );
  return id;
}

/**
 * Records a DICOM series' source reference (migration 0018): the header attributes derived objects copy, the grid, and
 * per instance (in slice order k) its SOP Class UID, SOP Instance UID and ImagePositionPatient (LPS mm). Call inside the
 * transaction that inserts the series.
 */
export function insertDicomSource(store: TwinStore, seriesId: string, src: SourceSeries): void {
  store.db
    .prepare(
      `INSERT INTO series_dicom_sources (series_id, study_instance_uid, series_instance_uid, frame_of_reference_uid, image_rows, image_columns,
         image_orientation_patient, pixel_spacing_mm, slice_thickness_mm, spacing_between_slices_mm, header, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      seriesId,
      src.studyInstanceUid,
      src.seriesInstanceUid,
      src.frameOfReferenceUid,
      src.rows,
      src.columns,
      JSON.stringify(src.iop),
      JSON.stringify(src.pixelSpacing),
      src.sliceThickness,
      src.spacingBetweenSlices,
      JSON.stringify(src.header),
      now(),
    );
  const ins = store.db.prepare(
    'INSERT INTO series_dicom_instances (series_id, slice_index, sop_class_uid, sop_instance_uid, ipp_x_mm, ipp_y_mm, ipp_z_mm) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  src.instances.forEach((i, k) => ins.run(seriesId, k, i.sopClassUid, i.sopInstanceUid, i.ipp[0], i.ipp[1], i.ipp[2]));
}

/**
 * A DICOM series' source reference as recorded at its import (migration 0018), instances in slice order; null for a
 * series without one (imported before 0018, not DICOM, multi-frame, or without SOP Instance UIDs or positions).
 */
export function getDicomSource(store: TwinStore, seriesId: string): SourceSeries | null {
  const r = store.db.prepare('SELECT * FROM series_dicom_sources WHERE series_id = ?').get(seriesId) as Row | undefined;
  if (!r) return null;
  const rows = store.db
    .prepare('SELECT sop_class_uid, sop_instance_uid, ipp_x_mm, ipp_y_mm, ipp_z_mm FROM series_dicom_instances WHERE series_id = ? ORDER BY slice_index')
    .all(seriesId) as Row[];
  return {
    header: JSON.parse(r['header'] as string) as Record<string, unknown>,
    studyInstanceUid: r['study_instance_uid'] as string,
    seriesInstanceUid: r['series_instance_uid'] as string,
    frameOfReferenceUid: r['frame_of_reference_uid'] as string,
    rows: r['image_rows'] as number,
    columns: r['image_columns'] as number,
    iop: JSON.parse(r['image_orientation_patient'] as string) as number[],
    pixelSpacing: JSON.parse(r['pixel_spacing_mm'] as string) as [number, number],
    sliceThickness: r['slice_thickness_mm'] as number,
    spacingBetweenSlices: r['spacing_between_slices_mm'] as number,
    instances: rows.map((x) => ({
      sopClassUid: x['sop_class_uid'] as string,
      sopInstanceUid: x['sop_instance_uid'] as string,
      ipp: [x['ipp_x_mm'] as number, x['ipp_y_mm'] as number, x['ipp_z_mm'] as number],
    })),
  };
}

/**
 * The patient's series (not in the trash, nor its study) that a scanned series already is: the same SeriesInstanceUID
 * (DICOM), the same source folder or file (a DICOM series without a UID, as anonymisers leave some) or the same source
 * file content (SHA-256 of a volume file); the newest, null when none.
 */
export function findImportedSeries(
  store: TwinStore,
  patientId: string,
  by: { seriesInstanceUid: string } | { dicomSourcePath: string } | { sourceSha256: string },
): { seriesId: string; modality: string; description: string; importedAt: string } | null {
  const [column, value] =
    'seriesInstanceUid' in by
      ? ['se.series_instance_uid', by.seriesInstanceUid]
      : 'dicomSourcePath' in by
        ? ["se.format = 'dicom' AND se.series_instance_uid = '' AND se.source_path", by.dicomSourcePath]
        : ['se.source_sha256', by.sourceSha256];
  if (!value) return null;
  const r = store.db
    .prepare(
      `SELECT se.id, se.modality, se.description, se.created_at FROM series se JOIN studies st ON st.id = se.study_id
       WHERE st.patient_id = ? AND ${column} = ? AND se.trashed_at IS NULL AND st.trashed_at IS NULL ORDER BY se.created_at DESC LIMIT 1`,
    )
    .get(patientId, value) as Row | undefined;
  return r
    ? { seriesId: r['id'] as string, modality: r['modality'] as string, description: r['description'] as string, importedAt: r['created_at'] as string }
    : null;
}

export function insertVolume(
  store: TwinStore,
  id: string,
  seriesId: string,
  v: Omit<VolumeRecord, 'id' | 'seriesId'> & { relPath: string; bytes: number; sha256: string },
): void {
  store.db
    .prepare(
      `INSERT INTO volumes (id, series_id, rel_path, dims, spacing_mm, origin_lps, direction, voxel_type, min_value, max_value, nominal_geometry, bytes, sha256, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      id,
      seriesId,
      v.relPath,
      JSON.stringify(v.dims),
      JSON.stringify(v.spacingMm),
      JSON.stringify(v.originLps),
      JSON.stringify(v.direction),
      v.voxelType,
      v.minValue,
      v.maxValue,
      v.nominalGeometry ? 1 : 0,
      v.bytes,
      v.sha256,
      now(),
    );
}

/** A volume whose series, study and patient are not in the trash. @throws AppError NOT_FOUND (unknown, or in the trash: saying so) */
export function getVolume(store: TwinStore, id: string): VolumeRecord & { relPath: string; modality: SeriesRecord['modality']; patientId: string } {
  const r = store.db
    .prepare('SELECT v.*, s.modality, st.patient_id FROM volumes v JOIN series s ON s.id = v.series_id JOIN studies st ON st.id = s.study_id WHERE v.id = ?')
    .get(id) as Row | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no volume ${id}`);
  assertUsable(store, 'series', r['series_id'] as string);
  return { ...volumeFromRow(r), relPath: r['rel_path'] as string, modality: r['modality'] as SeriesRecord['modality'], patientId: r['patient_id'] as string };
}

/** The patient's studies and series that are not in the trash. */
export function listStudies(store: TwinStore, patientId: string): StudyRecord[] {
  const studies = store.db.prepare('SELECT * FROM studies WHERE patient_id = ? AND trashed_at IS NULL ORDER BY created_at').all(patientId) as Row[];
  return studies.map((s) => {
    const series = store.db.prepare('SELECT * FROM series WHERE study_id = ? AND trashed_at IS NULL ORDER BY created_at').all(s['id']) as Row[];
    return {
      id: s['id'] as string,
      patientId,
      studyInstanceUid: s['study_instance_uid'] as string,
      studyDate: s['study_date'] as string,
      description: s['description'] as string,
      createdAt: s['created_at'] as string,
      series: series.map((se) => {
        const v = store.db.prepare('SELECT * FROM volumes WHERE series_id = ? LIMIT 1').get(se['id']) as Row | undefined;
        return {
          id: se['id'] as string,
          studyId: s['id'] as string,
          seriesInstanceUid: se['series_instance_uid'] as string,
          modality: se['modality'] as SeriesRecord['modality'],
          modalityGuessed: se['modality_guessed'] === 1,
          description: se['description'] as string,
          format: se['format'] as string,
          sourcePath: se['source_path'] as string,
          identityOverride: se['identity_override'] as string,
          volume: v ? volumeFromRow(v) : null,
        };
      }),
    };
  });
}

/** A series' source (format, path, UID), description and patient. @throws AppError NOT_FOUND for an unknown series or one in the trash */
export function getSeriesSource(
  store: TwinStore,
  id: string,
): { seriesInstanceUid: string; format: string; sourcePath: string; modality: string; description: string; patientId: string } {
  const r = store.db.prepare('SELECT se.*, st.patient_id FROM series se JOIN studies st ON st.id = se.study_id WHERE se.id = ?').get(id) as Row | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no series ${id}`);
  assertUsable(store, 'series', id);
  return {
    seriesInstanceUid: r['series_instance_uid'] as string,
    format: r['format'] as string,
    sourcePath: r['source_path'] as string,
    modality: r['modality'] as string,
    description: (r['description'] as string | null) ?? '',
    patientId: r['patient_id'] as string,
  };
}

function volumeFromRow(r: Row): VolumeRecord {
  return {
    id: r['id'] as string,
    seriesId: r['series_id'] as string,
    dims: JSON.parse(r['dims'] as string) as VolumeRecord['dims'],
    spacingMm: JSON.parse(r['spacing_mm'] as string) as VolumeRecord['spacingMm'],
    originLps: JSON.parse(r['origin_lps'] as string) as VolumeRecord['originLps'],
    direction: JSON.parse(r['direction'] as string) as number[],
    voxelType: r['voxel_type'] as VolumeRecord['voxelType'],
    minValue: r['min_value'] as number,
    maxValue: r['max_value'] as number,
    nominalGeometry: r['nominal_geometry'] === 1,
  };
}

/**
 * States the modality of a series read from a file (NIfTI, NRRD, MetaImage: a guess or unknown, or a correction of
 * the user's earlier statement); the series then counts as stated (modality_guessed = 0).
 * @throws AppError NOT_FOUND (no such series), BAD_REQUEST (a DICOM series: its headers state the modality)
 */
export function setSeriesModality(store: TwinStore, seriesId: string, modality: 'CT' | 'MR' | 'US'): Omit<SeriesRecord, 'volume'> {
  const r = store.db.prepare('SELECT * FROM series WHERE id = ?').get(seriesId) as Row | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no series ${seriesId}`);
  assertUsable(store, 'series', seriesId);
  if (r['format'] === 'dicom' && r['modality'] !== modality)
    throw new AppError('BAD_REQUEST', `the series' DICOM headers state ${String(r['modality'])}; it is not changed`);
  store.db.prepare('UPDATE series SET modality = ?, modality_guessed = 0 WHERE id = ?').run(modality, seriesId);
  return {
    id: seriesId,
    studyId: r['study_id'] as string,
    seriesInstanceUid: r['series_instance_uid'] as string,
    modality,
    modalityGuessed: false,
    description: r['description'] as string,
    format: r['format'] as string,
    sourcePath: r['source_path'] as string,
    identityOverride: r['identity_override'] as string,
  };
}
