/**
 * Patients' rows: create, read, search, delete (with everything of theirs).
 * SQL over the shared twin store (tables from migration 0001).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { newId, nowIso as now, type Row } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import { foldForSearch, matchesSearch, mrnKey, type Patient, type PatientDuplicates } from './contract.js';

const DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** A patient in a sentence: "Jane Roe's (born 3 Feb 1961)" style parts — the name and, when known, the birth date. */
function whoIs(p: Patient): string {
  const born = /^\d{4}-\d{2}-\d{2}$/.test(p.birthDate) ? ` (born ${DAY.format(new Date(`${p.birthDate}T00:00:00Z`))})` : '';
  return `${p.displayName}'s${born}`;
}

/**
 * The patients (not in the trash) a new or edited record may duplicate: the one holding the ID, and those of the same
 * name (`nameKey`: the same words in any order, "Doe, Jane" = "jane doe" = "DOE^JANE") whose birth date is the same or
 * missing on either side (a record without a birth date cannot tell two namesakes apart).
 */
export function findDuplicates(store: TwinStore, p: { displayName: string; mrn: string; birthDate: string }, exceptId?: string): PatientDuplicates {
  const all = listPatients(store).filter((x) => x.id !== exceptId);
  const key = mrnKey(p.mrn);
  const name = nameKey(p.displayName);
  const birth = p.birthDate.trim();
  return {
    sameId: (key && all.find((x) => mrnKey(x.mrn) === key)) || null,
    sameNameAndBirthDate: name ? all.filter((x) => nameKey(x.displayName) === name && (!birth || !x.birthDate || x.birthDate === birth)) : [],
  };
}

/** A name as the duplicate check compares it: its words folded (foldForSearch), split at spaces, commas and `^`, sorted. */
export function nameKey(name: string): string {
  return foldForSearch(name)
    .split(/[\s,^]+/)
    .filter(Boolean)
    .sort()
    .join(' ');
}

/**
 * Refuses a patient ID that a patient not in the trash (other than `exceptId`) already has.
 * @throws AppError CONFLICT naming the patient ("ID MRN-1 is already Jane Roe's (born 3 Feb 1961)")
 */
export function assertMrnFree(store: TwinStore, mrn: string, exceptId?: string): void {
  const { sameId } = findDuplicates(store, { displayName: '', mrn, birthDate: '' }, exceptId);
  if (sameId) throw new AppError('CONFLICT', `ID ${mrn.trim()} is already ${whoIs(sameId)}: open that patient instead`, { patientId: sameId.id });
}

/**
 * Creates a patient after the duplicate checks (issue 20 §1): an ID already in use is refused; a patient of the same
 * name and birth date refuses it unless `confirmDuplicate`, which is audited (`duplicate-override`, the other records' ids).
 * @throws AppError CONFLICT
 */
export function createCheckedPatient(
  store: TwinStore,
  p: { displayName: string; mrn: string; birthDate: string; sex: string; confirmDuplicate?: boolean | undefined },
  actor: string,
): Patient {
  assertMrnFree(store, p.mrn);
  const same = findDuplicates(store, p).sameNameAndBirthDate;
  if (same.length && !p.confirmDuplicate)
    throw new AppError(
      'CONFLICT',
      `${p.displayName.trim()}${p.birthDate ? ` born ${DAY.format(new Date(`${p.birthDate}T00:00:00Z`))}` : ''} may already have a record (${same.map((x) => [x.displayName, x.mrn ? `ID ${x.mrn}` : 'no ID', x.birthDate ? `born ${DAY.format(new Date(`${x.birthDate}T00:00:00Z`))}` : 'no birth date'].join(', ')).join('; ')}): open it, or confirm that this is another person`,
      { patientIds: same.map((x) => x.id) },
    );
  const created = createPatient(store, p, actor);
  if (same.length) store.audit(actor, 'duplicate-override', 'patient', created.id, { of: same.map((x) => x.id) });
  return created;
}

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

/**
 * The patients not in the trash whose name or ID contains the query, ignoring case and accents ("muller" finds
 * "Müller", "jose" finds "José": both sides folded by `foldForSearch`, NFD without combining marks). The folding is
 * done here, not in SQL (SQLite's LIKE folds ASCII letters only).
 */
export function listPatients(store: TwinStore, query = ''): Patient[] {
  const rows = (
    store.db.prepare(`SELECT p.*, ${STUDY_COUNT} FROM patients p WHERE p.trashed_at IS NULL ORDER BY display_name COLLATE NOCASE, created_at`).all() as Row[]
  ).map(patientFromRow);
  return rows.filter((p) => matchesSearch(query, p.displayName, p.mrn));
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
