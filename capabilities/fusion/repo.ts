/**
 * Calibrations (append-only per setup, migration 0003) and registrations with
 * their TRE landmarks (migration 0004).
 */
import { AppError } from '../../electron/contract/errors.js';
import { newId, nowIso as now, type Row } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import type { CalibrationRecord, Registration, TreLandmark } from './contract.js';

/**
 * Appends a calibration to a setup's history: accepted (current) when the setup has no current calibration of its
 * kind and frame pair (and `propose` is not set), else proposed — shown beside the current one, used only once a user accepts it.
 * @throws AppError BAD_REQUEST when it was made for another probe or tool than the setup's current one of its kind
 */
export function insertCalibration(
  store: TwinStore,
  c: Omit<CalibrationRecord, 'id' | 'createdAt' | 'status' | 'device' | 'reviewedBy' | 'reviewedAt'> & { device?: string; propose?: boolean },
): CalibrationRecord {
  const id = newId();
  const createdAt = now();
  const device = c.device ?? '';
  const current = listCalibrations(store, c.setup).find(
    (x) => x.status === 'accepted' && x.kind === c.kind && x.fromFrame === c.fromFrame && x.toFrame === c.toFrame,
  );
  if (current && current.device && device && current.device !== device)
    throw new AppError(
      'BAD_REQUEST',
      `${c.kind} from ${c.sourcePath || c.method} was made for ${device}, but setup "${c.setup}" works with ${current.device}: refused (use a setup of its own for that probe)`,
      { setup: c.setup },
    );
  const status = current || c.propose ? 'proposed' : 'accepted';
  store.db
    .prepare(
      'INSERT INTO calibrations (id, setup, kind, from_frame, to_frame, matrix, value_ms, error_mm, residuals, method, source_path, calibrated_at, created_at, created_by, status, device) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    .run(
      id,
      c.setup,
      c.kind,
      c.fromFrame,
      c.toFrame,
      c.matrix ? JSON.stringify(c.matrix) : null,
      c.valueMs,
      c.errorMm,
      JSON.stringify(c.residuals),
      c.method,
      c.sourcePath,
      c.calibratedAt,
      createdAt,
      c.createdBy,
      status,
      device,
    );
  store.audit(c.createdBy, 'calibrate', 'calibration', id, { setup: c.setup, kind: c.kind, method: c.method, status });
  const { propose: _propose, ...record } = c;
  return { ...record, id, createdAt, status, device, reviewedBy: null, reviewedAt: null };
}

/**
 * Accepts (it becomes current for its kind) or rejects a proposed calibration; audited.
 * @throws AppError NOT_FOUND (no such calibration), BAD_REQUEST (it is not proposed)
 */
export function reviewCalibration(store: TwinStore, actor: string, id: string, status: 'accepted' | 'rejected'): CalibrationRecord {
  const r = store.db.prepare('SELECT setup, status FROM calibrations WHERE id = ?').get(id) as { setup: string; status: string } | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no calibration ${id}`);
  if (r.status !== 'proposed') throw new AppError('BAD_REQUEST', `calibration ${id} is ${r.status}, not proposed: nothing to review`);
  store.db.prepare('UPDATE calibrations SET status = ?, reviewed_at = ?, reviewed_by = ? WHERE id = ?').run(status, now(), actor, id);
  store.audit(actor, status === 'accepted' ? 'calibration-accept' : 'calibration-reject', 'calibration', id, { setup: r.setup });
  return listCalibrations(store, r.setup).find((c) => c.id === id)!;
}

/** A setup's calibrations, newest first. */
export function listCalibrations(store: TwinStore, setup: string): CalibrationRecord[] {
  return (store.db.prepare('SELECT * FROM calibrations WHERE setup = ? ORDER BY created_at DESC, rowid DESC').all(setup) as Row[]).map((r) => ({
    id: r['id'] as string,
    setup: r['setup'] as string,
    kind: r['kind'] as string,
    fromFrame: r['from_frame'] as string,
    toFrame: r['to_frame'] as string,
    matrix: r['matrix'] === null ? null : (JSON.parse(r['matrix'] as string) as number[]),
    valueMs: (r['value_ms'] as number | null) ?? null,
    errorMm: (r['error_mm'] as number | null) ?? null,
    residuals: JSON.parse(r['residuals'] as string) as Record<string, number>,
    method: r['method'] as string,
    sourcePath: r['source_path'] as string,
    calibratedAt: r['calibrated_at'] as string,
    status: r['status'] as CalibrationRecord['status'],
    device: r['device'] as string,
    reviewedBy: (r['reviewed_by'] as string | null) ?? null,
    reviewedAt: (r['reviewed_at'] as string | null) ?? null,
    createdAt: r['created_at'] as string,
    createdBy: r['created_by'] as string,
  }));
}

/** Stores a camera → image registration of a patient (accepted or refused). */
export function insertRegistration(store: TwinStore, r: Omit<Registration, 'id' | 'createdAt' | 'landmarks' | 'tre'>): Registration {
  const id = newId();
  const createdAt = now();
  store.db
    .prepare(
      'INSERT INTO registrations (id, patient_id, twin_id, series_id, method, from_frame, to_frame, matrix, residual_rms_mm, overlap, predicted_tre_mm, covariance, centre_lps, refused, details, source_path, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    .run(
      id,
      r.patientId,
      r.twinId,
      r.seriesId,
      r.method,
      r.fromFrame,
      r.toFrame,
      JSON.stringify(r.matrix),
      r.residualRmsMm,
      r.overlap,
      Number.isFinite(r.predictedTreMm) ? r.predictedTreMm : 1e9,
      JSON.stringify(r.covariance),
      JSON.stringify(r.centreLps),
      r.refused ? JSON.stringify(r.refused) : null,
      JSON.stringify(r.details),
      r.sourcePath,
      createdAt,
      r.createdBy,
    );
  store.audit(r.createdBy, 'register', 'registration', id, { patientId: r.patientId, twinId: r.twinId, method: r.method, refused: r.refused !== null });
  return getRegistration(store, id);
}

/** @throws AppError NOT_FOUND for an unknown registration */
export function getRegistration(store: TwinStore, id: string): Registration {
  const r = store.db.prepare('SELECT * FROM registrations WHERE id = ?').get(id) as Row | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no registration ${id}`);
  return registrationFromRow(store, r);
}

/** A patient's registrations, newest first. */
export function listRegistrations(store: TwinStore, patientId: string): Registration[] {
  return (store.db.prepare('SELECT * FROM registrations WHERE patient_id = ? ORDER BY created_at DESC, rowid DESC').all(patientId) as Row[]).map((r) =>
    registrationFromRow(store, r),
  );
}

/** Appends TRE landmarks (volume frame, LPS mm) to a registration. */
export function addRegistrationLandmarks(
  store: TwinStore,
  registrationId: string,
  actor: string,
  pairs: readonly Omit<TreLandmark, 'distanceMm' | 'createdAt'>[],
): Registration {
  getRegistration(store, registrationId);
  const ins = store.db.prepare(
    'INSERT INTO registration_landmarks (id, registration_id, ultrasound_lps, volume_lps, distance_mm, volume_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const t = now();
  store.db.transaction(() => {
    for (const p of pairs) {
      const d = Math.hypot(p.ultrasoundLps[0] - p.volumeLps[0], p.ultrasoundLps[1] - p.volumeLps[1], p.ultrasoundLps[2] - p.volumeLps[2]);
      ins.run(newId(), registrationId, JSON.stringify(p.ultrasoundLps), JSON.stringify(p.volumeLps), d, p.volumeId, t, actor);
    }
    store.audit(actor, 'tre-landmarks', 'registration', registrationId, { count: pairs.length });
  })();
  return getRegistration(store, registrationId);
}

export function registrationFromRow(store: TwinStore, r: Row): Registration {
  const landmarks = (store.db.prepare('SELECT * FROM registration_landmarks WHERE registration_id = ? ORDER BY created_at, rowid').all(r['id']) as Row[]).map(
    (l) => ({
      ultrasoundLps: JSON.parse(l['ultrasound_lps'] as string) as [number, number, number],
      volumeLps: JSON.parse(l['volume_lps'] as string) as [number, number, number],
      distanceMm: l['distance_mm'] as number,
      volumeId: l['volume_id'] as string,
      createdAt: l['created_at'] as string,
    }),
  );
  const d = landmarks.map((l) => l.distanceMm);
  return {
    id: r['id'] as string,
    patientId: r['patient_id'] as string,
    twinId: r['twin_id'] as string,
    seriesId: r['series_id'] as string,
    method: r['method'] as Registration['method'],
    fromFrame: 'Camera',
    toFrame: 'Image',
    matrix: JSON.parse(r['matrix'] as string) as number[],
    residualRmsMm: r['residual_rms_mm'] as number,
    overlap: r['overlap'] as number,
    predictedTreMm: r['predicted_tre_mm'] as number,
    covariance: JSON.parse(r['covariance'] as string) as number[],
    centreLps: JSON.parse(r['centre_lps'] as string) as [number, number, number],
    refused: r['refused'] === null ? null : (JSON.parse(r['refused'] as string) as string[]),
    details: JSON.parse(r['details'] as string) as Record<string, number>,
    sourcePath: r['source_path'] as string,
    landmarks,
    tre: d.length
      ? {
          count: d.length,
          meanMm: d.reduce((a, b) => a + b, 0) / d.length,
          rmsMm: Math.sqrt(d.reduce((a, b) => a + b * b, 0) / d.length),
          maxMm: Math.max(...d),
        }
      : null,
    createdAt: r['created_at'] as string,
    createdBy: r['created_by'] as string,
  };
}
