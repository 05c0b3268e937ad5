/**
 * Motion sessions and their features in the twin store (migration 0015):
 * the import (file copied into `store/motion/<session>/`, sealed in an
 * encrypted store, rows written in the same transaction; audited) and the
 * reads. The trial is read and its features computed before anything is
 * written, so a file that fails stores nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { newId, nowIso, sha256, writeFileDurable, type Row } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import type { EmgParams } from '../../electron/engine/signals/emg.js';
import type { MotionFeature, MotionSession, MotionSessionDetail } from './contract.js';
import { readTrialBytes, trialFeatures, type Trial } from './trial.js';
import { trunkFromImu, trunkImuFeatures } from './imuTrial.js';

function fromRow(r: Row): MotionSession {
  return {
    id: r['id'] as string,
    patientId: r['patient_id'] as string,
    visitDate: r['visit_date'] as string,
    visitLabel: r['visit_label'] as string,
    format: r['format'] as MotionSession['format'],
    fileName: r['file_name'] as string,
    bytes: r['bytes'] as number,
    sha256: r['sha256'] as string,
    durationS: r['duration_s'] as number,
    analogHz: r['analog_hz'] as number,
    pointHz: r['point_hz'] as number,
    points: r['points'] as number,
    channels: JSON.parse(r['channels'] as string) as MotionSession['channels'],
    events: JSON.parse(r['events'] as string) as MotionSession['events'],
    simulated: r['simulated'] === 1,
    featureCount: (r['feature_count'] as number | undefined) ?? 0,
    createdAt: r['created_at'] as string,
    createdBy: r['created_by'] as string,
  };
}

const SELECT = `SELECT s.*, (SELECT COUNT(*) FROM motion_features f WHERE f.session_id = s.id) AS feature_count FROM motion_sessions s`;

/**
 * Imports a trial: reads it (by `fileName`'s extension), computes its sEMG features (and its trunk angles' ranges
 * of motion where it has IMU sensors at two levels: imuTrial.ts), copies the bytes into the store
 * and writes the session and feature rows in one transaction; audited (`motion-import`, the session id, the file's
 * hash and the feature count).
 * @throws AppError from readTrialBytes (naming the file; nothing stored), STORE_FAILED
 */
export function importTrial(
  store: TwinStore,
  req: { patientId: string; bytes: Uint8Array; fileName: string; visitDate: string; visitLabel: string; params: Partial<EmgParams> },
  actor: string,
): MotionSessionDetail {
  const trial = readTrialBytes(req.bytes, req.fileName);
  const { features } = trialFeatures(trial, req.params);
  // trunk angles where the trial has a cranial and a caudal IMU sensor
  const trunk = trunkFromImu(trial);
  if (!('reason' in trunk)) features.push(...trunkImuFeatures(trunk));
  // every feature of a simulator's or a replay's recording says so
  if (trial.simulated) for (const f of features) f.flags.push('simulated');
  const id = newId();
  const safeName = storedFileName(req.fileName);
  const staged = path.join(store.stagingDir, `motion-${id}`, safeName);
  fs.mkdirSync(path.dirname(staged), { recursive: true });
  writeFileDurable(staged, req.bytes);
  try {
    insertSession(
      store,
      {
        id,
        patientId: req.patientId,
        visitDate: req.visitDate,
        visitLabel: req.visitLabel,
        format: trial.format,
        fileName: req.fileName,
        bytes: req.bytes.byteLength,
        sha256: sha256(req.bytes),
        durationS: trial.durationS,
        analogHz: trial.analogHz,
        pointHz: trial.pointHz,
        points: trial.points,
        channels: trial.channels.map(({ samples: _s, ...c }) => c),
        events: trial.events,
        simulated: trial.simulated,
      },
      [{ stagedPath: staged, relPath: path.join('store', 'motion', id, safeName) }],
      features,
      actor,
    );
  } finally {
    fs.rmSync(path.dirname(staged), { recursive: true, force: true });
  }
  return getSession(store, id);
}

/** The name a session's file is kept under in `store/motion/<session>/`. */
export const storedFileName = (fileName: string): string => fileName.replace(/[^\w.\- ]+/g, '_').slice(-120) || 'trial';

/**
 * Moves a session's staged files into the store (the first is the session's file) and writes its row and feature rows in
 * one transaction; audited (`motion-import`, the session id, the file's hash, the feature count and the format).
 * @throws AppError STORE_FAILED
 */
export function insertSession(
  store: TwinStore,
  s: Omit<MotionSession, 'featureCount' | 'createdAt' | 'createdBy'>,
  files: { stagedPath: string; relPath: string }[],
  features: MotionFeature[],
  actor: string,
): void {
  // the same file (by content) imported twice for one patient would count its features twice
  const dup = store.db
    .prepare('SELECT visit_date, visit_label, file_name FROM motion_sessions WHERE patient_id = ? AND sha256 = ?')
    .get(s.patientId, s.sha256) as Row | undefined;
  if (dup)
    throw new AppError(
      'CONFLICT',
      `${s.fileName}: this file is already a session of the patient (${dup['file_name'] as string}, visit ${dup['visit_date'] as string}${dup['visit_label'] ? ` ${dup['visit_label'] as string}` : ''}): nothing was imported`,
    );
  store.commitFiles(files, () => {
    store.db
      .prepare(
        `INSERT INTO motion_sessions (id, patient_id, visit_date, visit_label, format, file_name, rel_path, bytes, sha256, duration_s, analog_hz,
           point_hz, points, channels, events, simulated, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        s.id,
        s.patientId,
        s.visitDate,
        s.visitLabel,
        s.format,
        s.fileName,
        files[0]!.relPath,
        s.bytes,
        s.sha256,
        s.durationS,
        s.analogHz,
        s.pointHz,
        s.points,
        JSON.stringify(s.channels),
        JSON.stringify(s.events),
        s.simulated ? 1 : 0,
        nowIso(),
        actor,
      );
    const ins = store.db.prepare(
      `INSERT INTO motion_features (session_id, name, value, unit, channel, muscle, side, level, flags, algorithm, algorithm_version, parameters)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const f of features)
      ins.run(
        s.id,
        f.name,
        f.value,
        f.unit,
        f.channel,
        f.muscle,
        f.side,
        f.level,
        f.flags.join(','),
        f.algorithm,
        f.algorithmVersion,
        JSON.stringify(f.parameters),
      );
    store.audit(actor, 'motion-import', 'motion-session', s.id, { patientId: s.patientId, sha256: s.sha256, features: features.length, format: s.format });
  });
}

/** The stored file of a session (relative to the data directory). @throws AppError NOT_FOUND */
export function sessionFilePath(store: TwinStore, id: string): string {
  return sessionRow(store, id)['rel_path'] as string;
}

/** The patient's sessions, newest visit first (then newest import). */
export function listSessions(store: TwinStore, patientId: string): MotionSession[] {
  return (store.db.prepare(`${SELECT} WHERE s.patient_id = ? ORDER BY s.visit_date DESC, s.created_at DESC`).all(patientId) as Row[]).map(fromRow);
}

/** @throws AppError NOT_FOUND */
function sessionRow(store: TwinStore, id: string): Row {
  const r = store.db.prepare(`${SELECT} WHERE s.id = ?`).get(id) as Row | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no motion session ${id}`);
  return r;
}

/** A session with its features (in stored order: per channel, then the symmetry indices). @throws AppError NOT_FOUND */
export function getSession(store: TwinStore, id: string): MotionSessionDetail {
  const s = fromRow(sessionRow(store, id));
  const features = (store.db.prepare('SELECT * FROM motion_features WHERE session_id = ? ORDER BY id').all(id) as Row[]).map((r): MotionFeature => ({
    name: r['name'] as string,
    value: r['value'] as number | null,
    unit: r['unit'] as string,
    channel: r['channel'] as string,
    muscle: r['muscle'] as string,
    side: r['side'] as string,
    level: r['level'] as string,
    flags: (r['flags'] as string) ? (r['flags'] as string).split(',') : [],
    algorithm: r['algorithm'] as string,
    algorithmVersion: r['algorithm_version'] as string,
    parameters: JSON.parse(r['parameters'] as string) as Record<string, unknown>,
  }));
  return { ...s, features };
}

/**
 * The session's trial read back from the store's copy (unsealed), with the session; the copy's hash is checked.
 * @throws AppError NOT_FOUND (no session), STORE_FAILED (the copy is missing or changed)
 */
export async function loadTrial(store: TwinStore, id: string): Promise<{ session: MotionSession; trial: Trial }> {
  const r = sessionRow(store, id);
  const session = fromRow(r);
  if (session.format === 'depth')
    throw new AppError('BAD_REQUEST', `${session.fileName || 'the session'} is a depth-camera recording: it has trunk angles but no analog channels`);
  let bytes: Buffer;
  try {
    bytes = await store.readFile(r['rel_path'] as string);
  } catch (e) {
    throw new AppError('STORE_FAILED', `the stored copy of ${session.fileName} cannot be read: ${(e as Error).message}`);
  }
  if (sha256(bytes) !== session.sha256)
    throw new AppError('STORE_FAILED', `the stored copy of ${session.fileName} has changed since its import (hash differs)`);
  return { session, trial: readTrialBytes(bytes, session.fileName) };
}
