/**
 * Editing and trashing patients, studies, series and twins (columns and the
 * edit history from migration 0010). A record is usable when neither it nor
 * its patient, study or series is in the trash; `assertUsable` is what the
 * other capabilities' reads call before a record becomes a source.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { nowIso as now, type Row } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import type { EditResult, RecordEdit, RecordKind, TrashItem } from './contract.js';
import { assertMrnFree } from '../patients/repo.js';

const TABLE: Record<RecordKind, string> = { patient: 'patients', study: 'studies', series: 'series', twin: 'twins' };

/** A record with its own and its ancestors' trash marks (patient → study → series → twin). */
const LOCATE: Record<RecordKind, string> = {
  patient: `SELECT p.*, p.id AS patient_id, NULL AS p_t, NULL AS st_t, NULL AS se_t FROM patients p WHERE p.id = ?`,
  study: `SELECT st.patient_id, p.display_name, st.*, p.trashed_at AS p_t, NULL AS st_t, NULL AS se_t FROM studies st JOIN patients p ON p.id = st.patient_id WHERE st.id = ?`,
  series: `SELECT st.patient_id, p.display_name, se.*, p.trashed_at AS p_t, st.trashed_at AS st_t, NULL AS se_t
           FROM series se JOIN studies st ON st.id = se.study_id JOIN patients p ON p.id = st.patient_id WHERE se.id = ?`,
  twin: `SELECT t.patient_id, p.display_name, t.*, p.trashed_at AS p_t, st.trashed_at AS st_t, se.trashed_at AS se_t
         FROM twins t JOIN volumes v ON v.id = t.volume_id JOIN series se ON se.id = v.series_id JOIN studies st ON st.id = se.study_id
         JOIN patients p ON p.id = t.patient_id WHERE t.id = ?`,
};

interface Located {
  row: Row;
  patientId: string;
  trashed: boolean;
  /** The outermost ancestor in the trash (patient before study before series), or null. */
  hiddenBy: RecordKind | null;
}

function locate(store: TwinStore, kind: RecordKind, id: string): Located {
  const row = store.db.prepare(LOCATE[kind]).get(id) as Row | undefined;
  if (!row) throw new AppError('NOT_FOUND', `no ${kind} ${id}`);
  const hiddenBy: RecordKind | null = row['p_t'] ? 'patient' : row['st_t'] ? 'study' : row['se_t'] ? 'series' : null;
  return { row, patientId: row['patient_id'] as string, trashed: row['trashed_at'] != null, hiddenBy };
}

/**
 * Refuses a record that is in the trash, or whose patient, study or series is.
 * @throws AppError NOT_FOUND (unknown, or in the trash: the message says which and how to get it back)
 */
export function assertUsable(store: TwinStore, kind: RecordKind, id: string): void {
  const l = locate(store, kind, id);
  if (l.trashed) throw new AppError('NOT_FOUND', `the ${kind} is in the trash: restore it from Trash to use it`, { trashed: kind, id });
  if (l.hiddenBy)
    throw new AppError('NOT_FOUND', `the ${kind}'s ${l.hiddenBy} is in the trash: restore it from Trash to use the ${kind}`, { trashed: l.hiddenBy, id });
}

/** The record's columns an edit may change (field → column). */
const EDITABLE: Record<RecordKind, Record<string, string>> = {
  patient: { displayName: 'display_name', mrn: 'mrn', birthDate: 'birth_date', sex: 'sex' },
  study: { description: 'description', studyDate: 'study_date' },
  series: { description: 'description' },
  twin: { label: 'label' },
};

/**
 * Edits the given fields of a usable record; the values before and after go into `record_edits` (they are patient
 * identifiers or free text), the audit record (`edit`) names the fields and the edit.
 * @throws AppError NOT_FOUND (unknown or in the trash)
 */
export function editRecord(store: TwinStore, e: RecordEdit, actor: string): EditResult {
  assertUsable(store, e.kind, e.id);
  const { row, patientId } = locate(store, e.kind, e.id);
  const given = e as unknown as Record<string, string | undefined>;
  const changes: Record<string, { before: string; after: string }> = {};
  for (const [field, column] of Object.entries(EDITABLE[e.kind])) {
    let after = given[field];
    if (after === undefined) continue;
    // a study date is stored as DICOM DA (YYYYMMDD), as imports store it
    if (field === 'studyDate') after = after.replace(/-/g, '');
    const before = (row[column] as string | null) ?? '';
    if (after !== before) changes[field] = { before, after };
  }
  const changed = Object.keys(changes);
  if (!changed.length) return { kind: e.kind, id: e.id, changed };
  // a patient ID another patient (not in the trash) holds is refused, as at creation (issue 20 §1)
  if (e.kind === 'patient' && changes['mrn']) assertMrnFree(store, changes['mrn'].after, e.id);
  store.db.transaction(() => {
    const sets = changed.map((f) => `${EDITABLE[e.kind][f]} = ?`).join(', ');
    store.db.prepare(`UPDATE ${TABLE[e.kind]} SET ${sets} WHERE id = ?`).run(...changed.map((f) => changes[f]!.after), e.id);
    const edit = store.db
      .prepare('INSERT INTO record_edits (at, actor, patient_id, record_type, record_id, changes) VALUES (?, ?, ?, ?, ?, ?)')
      .run(now(), actor, patientId, e.kind, e.id, JSON.stringify(changes)).lastInsertRowid;
    store.audit(actor, 'edit', e.kind, e.id, { fields: changed, edit: Number(edit) });
  })();
  return { kind: e.kind, id: e.id, changed };
}

/** The edit history of a record, oldest first (values before and after each edit). */
export function recordEdits(
  store: TwinStore,
  kind: RecordKind,
  id: string,
): { id: number; at: string; actor: string; changes: Record<string, { before: string; after: string }> }[] {
  return (store.db.prepare('SELECT * FROM record_edits WHERE record_type = ? AND record_id = ? ORDER BY id').all(kind, id) as Row[]).map((r) => ({
    id: r['id'] as number,
    at: r['at'] as string,
    actor: r['actor'] as string,
    changes: JSON.parse(r['changes'] as string) as Record<string, { before: string; after: string }>,
  }));
}

function daDate(d: string): string {
  return d.replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3');
}

function labelOf(kind: RecordKind, r: Row): string {
  const short = (r['id'] as string).slice(0, 8);
  switch (kind) {
    case 'patient':
      return [r['display_name'], r['mrn']].filter(Boolean).join(' · ');
    case 'study':
      return [`Study ${(r['description'] as string) || short}`, daDate(r['study_date'] as string)].filter(Boolean).join(' · ');
    case 'series':
      return `${r['modality'] === 'OT' ? 'modality unknown' : (r['modality'] as string)} · ${(r['description'] as string) || (r['series_instance_uid'] as string) || short}`;
    case 'twin':
      return [`Twin v${r['version'] as number}`, r['label']].filter(Boolean).join(' · ');
  }
}

function trashItem(kind: RecordKind, l: Located): TrashItem {
  return {
    kind,
    id: l.row['id'] as string,
    patientId: l.patientId,
    patientName: l.row['display_name'] as string,
    label: labelOf(kind, l.row),
    trashedAt: (l.row['trashed_at'] as string | null) ?? '',
    trashedBy: (l.row['trashed_by'] as string | null) ?? '',
    hiddenBy: l.hiddenBy,
  };
}

/**
 * Moves a usable record to the trash (audited `trash`): it and what belongs to it leave every list and cannot be
 * used as a source until restored.
 * @throws AppError NOT_FOUND (unknown, or already in the trash with itself or its patient, study or series)
 */
export function trashRecord(store: TwinStore, kind: RecordKind, id: string, actor: string): TrashItem {
  assertUsable(store, kind, id);
  store.db.transaction(() => {
    store.db.prepare(`UPDATE ${TABLE[kind]} SET trashed_at = ?, trashed_by = ? WHERE id = ?`).run(now(), actor, id);
    store.audit(actor, 'trash', kind, id);
  })();
  return trashItem(kind, locate(store, kind, id));
}

/**
 * Brings a record back from the trash (audited `restore`).
 * @throws AppError NOT_FOUND (unknown), BAD_REQUEST (not in the trash, or its patient, study or series still is)
 */
export function restoreRecord(store: TwinStore, kind: RecordKind, id: string, actor: string): void {
  const l = locate(store, kind, id);
  if (!l.trashed) throw new AppError('BAD_REQUEST', `the ${kind} is not in the trash`);
  if (l.hiddenBy) throw new AppError('BAD_REQUEST', `the ${kind}'s ${l.hiddenBy} is in the trash too: restore the ${l.hiddenBy} first`);
  store.db.transaction(() => {
    store.db.prepare(`UPDATE ${TABLE[kind]} SET trashed_at = NULL, trashed_by = NULL WHERE id = ?`).run(id);
    store.audit(actor, 'restore', kind, id);
  })();
}

/** Files (volumes, artefacts) and record ids (for their edit history) that go with a record. */
const OWNED: Record<RecordKind, { files: string; ids: string }> = {
  patient: {
    files: `SELECT v.rel_path FROM volumes v JOIN series se ON se.id = v.series_id JOIN studies st ON st.id = se.study_id WHERE st.patient_id = :id
            UNION ALL SELECT a.rel_path FROM artefacts a JOIN twins t ON t.id = a.twin_id WHERE t.patient_id = :id`,
    ids: `SELECT :id AS id`,
  },
  study: {
    files: `SELECT v.rel_path FROM volumes v JOIN series se ON se.id = v.series_id WHERE se.study_id = :id
            UNION ALL SELECT a.rel_path FROM artefacts a JOIN twins t ON t.id = a.twin_id JOIN volumes v ON v.id = t.volume_id JOIN series se ON se.id = v.series_id WHERE se.study_id = :id`,
    ids: `SELECT :id AS id UNION ALL SELECT se.id FROM series se WHERE se.study_id = :id
          UNION ALL SELECT t.id FROM twins t JOIN volumes v ON v.id = t.volume_id JOIN series se ON se.id = v.series_id WHERE se.study_id = :id`,
  },
  series: {
    files: `SELECT v.rel_path FROM volumes v WHERE v.series_id = :id
            UNION ALL SELECT a.rel_path FROM artefacts a JOIN twins t ON t.id = a.twin_id JOIN volumes v ON v.id = t.volume_id WHERE v.series_id = :id`,
    ids: `SELECT :id AS id UNION ALL SELECT t.id FROM twins t JOIN volumes v ON v.id = t.volume_id WHERE v.series_id = :id`,
  },
  twin: { files: `SELECT a.rel_path FROM artefacts a WHERE a.twin_id = :id`, ids: `SELECT :id AS id` },
};

/**
 * Deletes a record that is in the trash for good: its rows and everything of it (series, volumes, twins, artefacts,
 * analyses, registrations, edit history), then its files (audited `purge` with the number of files).
 * @throws AppError NOT_FOUND (unknown), BAD_REQUEST (not in the trash)
 */
export function purgeRecord(store: TwinStore, kind: RecordKind, id: string, actor: string): { files: number } {
  const l = locate(store, kind, id);
  if (!l.trashed) throw new AppError('BAD_REQUEST', `only a ${kind} in the trash can be deleted for good: move it to the trash first`);
  const files = (store.db.prepare(OWNED[kind].files).all({ id }) as { rel_path: string }[]).map((r) => path.join(store.dataDir, r.rel_path));
  const ids = (store.db.prepare(OWNED[kind].ids).all({ id }) as { id: string }[]).map((r) => r.id);
  store.db.transaction(() => {
    const del = store.db.prepare('DELETE FROM record_edits WHERE record_id = ?');
    for (const i of ids) del.run(i);
    store.db.prepare(`DELETE FROM ${TABLE[kind]} WHERE id = ?`).run(id);
    store.audit(actor, 'purge', kind, id, { files: files.length });
  })();
  for (const f of files) fs.rmSync(f, { force: true });
  return { files: files.length };
}

/** Everything moved to the trash itself, newest first. */
export function listTrash(store: TwinStore): TrashItem[] {
  const items: TrashItem[] = [];
  for (const kind of Object.keys(TABLE) as RecordKind[])
    for (const { id } of store.db.prepare(`SELECT id FROM ${TABLE[kind]} WHERE trashed_at IS NOT NULL`).all() as { id: string }[])
      items.push(trashItem(kind, locate(store, kind, id)));
  return items.sort((a, b) => b.trashedAt.localeCompare(a.trashedAt) || a.kind.localeCompare(b.kind));
}
