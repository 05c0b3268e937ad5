/**
 * Patients' rows: create, read, search, delete (with everything of theirs).
 * SQL over the shared twin store (tables from migration 0001).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { newId, nowIso as now, type Row } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import type { Patient } from './contract.js';

export function createPatient(store: TwinStore, p: { displayName: string; mrn: string; birthDate: string; sex: string }, actor: string): Patient {
  const id = newId();
  store.db.transaction(() => {
    store.db
      .prepare('INSERT INTO patients (id, display_name, mrn, birth_date, sex, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, p.displayName, p.mrn, p.birthDate, p.sex, now());
    store.audit(actor, 'create', 'patient', id);
  })();
  return getPatient(store, id);
}

/**
 * Deletes a patient and everything of theirs (studies, series, volumes,
 * twins, artefacts, analyses, registrations), then their files.
 * @throws AppError NOT_FOUND for an unknown patient
 */
export function deletePatient(store: TwinStore, id: string, actor: string): void {
  getPatient(store, id);
  const files = (
    store.db
      .prepare(
        `SELECT v.rel_path FROM volumes v JOIN series se ON se.id = v.series_id JOIN studies st ON st.id = se.study_id WHERE st.patient_id = ?
         UNION ALL SELECT a.rel_path FROM artefacts a JOIN twins t ON t.id = a.twin_id WHERE t.patient_id = ?`,
      )
      .all(id, id) as { rel_path: string }[]
  ).map((r) => path.join(store.dataDir, r.rel_path));
  store.db.transaction(() => {
    store.db.prepare('DELETE FROM patients WHERE id = ?').run(id);
    store.audit(actor, 'delete', 'patient', id, { files: files.length });
  })();
  for (const f of files) fs.rmSync(f, { force: true });
}

/** The studies a patient's record counts: those not in the trash (migration 0010). */
const STUDY_COUNT = '(SELECT COUNT(*) FROM studies s WHERE s.patient_id = p.id AND s.trashed_at IS NULL) AS study_count';

/** A patient not in the trash. @throws AppError NOT_FOUND for an unknown patient or one in the trash (saying so) */
export function getPatient(store: TwinStore, id: string): Patient {
  const r = store.db.prepare(`SELECT p.*, ${STUDY_COUNT} FROM patients p WHERE id = ?`).get(id) as Row | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no patient ${id}`);
  if (r['trashed_at'] != null) throw new AppError('NOT_FOUND', 'the patient is in the trash: restore it from Trash to use it', { trashed: 'patient', id });
  return patientFromRow(r);
}

export function listPatients(store: TwinStore, query = ''): Patient[] {
  const q = `%${query.replace(/[%_]/g, (c) => `\\${c}`)}%`;
  return (
    store.db
      .prepare(
        `SELECT p.*, ${STUDY_COUNT} FROM patients p WHERE p.trashed_at IS NULL AND (display_name LIKE ? ESCAPE '\\' OR mrn LIKE ? ESCAPE '\\') ORDER BY display_name COLLATE NOCASE, created_at`,
      )
      .all(q, q) as Row[]
  ).map(patientFromRow);
}

function patientFromRow(r: Row): Patient {
  return {
    id: r['id'] as string,
    displayName: r['display_name'] as string,
    mrn: r['mrn'] as string,
    birthDate: r['birth_date'] as string,
    sex: r['sex'] as string,
    createdAt: r['created_at'] as string,
    studyCount: (r['study_count'] as number) ?? 0,
  };
}
