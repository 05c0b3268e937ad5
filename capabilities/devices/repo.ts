/**
 * Session recordings' rows (migration 0011): a recording of a patient at a
 * visit, inserted when it starts and completed when it ends (by the user, at
 * low disk, or found interrupted), both audited. Folders and file paths are
 * kept relative to the data directory and returned absolute.
 */
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { recordedInFull, type RecordedFile, type RecordingDeviceState } from '../../electron/contract/devices.js';
import { nowIso, type Row } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import type { RecordingRecord } from './contract.js';

/** How a recording ended, as its row keeps it. */
export interface RecordingOutcome {
  state: 'stopped' | 'interrupted';
  stopReason: string;
  elapsedMs: number;
  bytesWritten: number;
  files: RecordedFile[];
  devices: RecordingDeviceState[];
}

const rel = (store: TwinStore, p: string): string => path.relative(store.dataDir, p);
const abs = (store: TwinStore, p: string): string => (path.isAbsolute(p) ? p : path.join(store.dataDir, p));

function fromRow(store: TwinStore, r: Row): RecordingRecord {
  return {
    id: r['id'] as string,
    patientId: r['patient_id'] as string,
    visitDate: r['visit_date'] as string,
    visitLabel: r['visit_label'] as string,
    dir: abs(store, r['dir'] as string),
    startedAt: r['started_at'] as string,
    stoppedAt: (r['stopped_at'] as string | null) ?? null,
    state: r['state'] as RecordingRecord['state'],
    stopReason: (r['stop_reason'] as string | null) ?? null,
    elapsedMs: r['elapsed_ms'] as number,
    bytesWritten: r['bytes_written'] as number,
    files: (JSON.parse(r['files'] as string) as RecordedFile[]).map((f) => ({ ...f, path: abs(store, f.path) })),
    devices: JSON.parse(r['devices'] as string) as RecordingDeviceState[],
    createdBy: r['created_by'] as string,
  };
}

/** Inserts a starting recording (state 'recording') and audits `recording-start` on it. */
export function insertRecording(
  store: TwinStore,
  r: { id: string; patientId: string; visitDate: string; visitLabel: string; dir: string; devices: RecordingDeviceState[] },
  actor: string,
): RecordingRecord {
  const startedAt = nowIso();
  store.db.transaction(() => {
    store.db
      .prepare(
        'INSERT INTO recordings (id, patient_id, visit_date, visit_label, dir, started_at, state, devices, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(r.id, r.patientId, r.visitDate, r.visitLabel, rel(store, r.dir), startedAt, 'recording', JSON.stringify(r.devices), actor);
    store.audit(actor, 'recording-start', 'recording', r.id, {
      patientId: r.patientId,
      visitDate: r.visitDate,
      devices: r.devices.map((d) => d.device),
    });
  })();
  return getRecording(store, r.id);
}

/** Completes a recording's row with how it ended and audits `recording-stop` on it (with the reason, files and devices left out). */
export function completeRecording(store: TwinStore, id: string, o: RecordingOutcome, actor: string): RecordingRecord {
  store.db.transaction(() => {
    store.db
      .prepare('UPDATE recordings SET stopped_at = ?, state = ?, stop_reason = ?, elapsed_ms = ?, bytes_written = ?, files = ?, devices = ? WHERE id = ?')
      .run(
        nowIso(),
        o.state,
        o.stopReason,
        o.elapsedMs,
        o.bytesWritten,
        JSON.stringify(o.files.map((f) => ({ ...f, path: rel(store, f.path) }))),
        JSON.stringify(o.devices),
        id,
      );
    store.audit(actor, 'recording-stop', 'recording', id, {
      state: o.state,
      reason: o.stopReason,
      files: o.files.length,
      bytes: o.bytesWritten,
      leftOut: o.devices.filter((d) => !recordedInFull(d)).map((d) => `${d.device}: ${d.state}${d.reason ? ` (${d.reason})` : ''}`),
    });
  })();
  return getRecording(store, id);
}

/** @throws AppError NOT_FOUND for an unknown recording */
export function getRecording(store: TwinStore, id: string): RecordingRecord {
  const r = store.db.prepare('SELECT * FROM recordings WHERE id = ?').get(id) as Row | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no recording ${id}`);
  return fromRow(store, r);
}

/** A patient's recordings, newest first. */
export function listRecordings(store: TwinStore, patientId: string): RecordingRecord[] {
  return (store.db.prepare('SELECT * FROM recordings WHERE patient_id = ? ORDER BY started_at DESC, rowid DESC').all(patientId) as Row[]).map((r) =>
    fromRow(store, r),
  );
}

/** Recordings whose row still says 'recording' (the app stopped while they ran, or one runs now). */
export function openRecordings(store: TwinStore): RecordingRecord[] {
  return (store.db.prepare("SELECT * FROM recordings WHERE state = 'recording'").all() as Row[]).map((r) => fromRow(store, r));
}
