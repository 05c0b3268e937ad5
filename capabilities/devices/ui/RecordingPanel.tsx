/**
 * Session recording in the Devices workspace (issue 20 §6): a recording is of
 * the open patient at a visit (its day and an optional label); while it runs
 * the panel shows the elapsed time, the bytes written, the free disk and its
 * low-disk threshold, and every connected device's state — recording,
 * waiting, left out (why) or interrupted (how, from when) — live from the
 * devices' status events. When it has ended: why (by the user, free disk
 * low), the files (image sequences: the raw frames, whatever a view showed —
 * enhancement is display only), and the patient's recordings.
 */
import { useEffect, useState } from 'react';
import { recordedFramesText, recordedInFull, type RecordingDeviceState, type RecordingStatus } from '../../../electron/contract/devices.js';
import type { Client } from '../../../renderer/ipc/client.js';
import type { OpenPatient } from '../../../renderer/app/contributions.js';
import { formatDate, formatDateTime, formatTime } from '../../../renderer/app/format.js';
import type { RecordingRecord } from '../contract.js';

interface Props {
  client: Client;
  rec: RecordingStatus | undefined;
  /** The patient open in the shell (a recording needs one). */
  open: OpenPatient | null;
  /** Whether at least one device is connected. */
  hasDevices: boolean;
  /** Whether the session may call a method (`may()` of the shell). */
  can: (method: string) => boolean;
  busy: boolean;
  setBusy: (b: boolean) => void;
  /** Re-reads the device list (after start / stop). */
  refresh: () => Promise<void>;
  onError: (e: unknown) => void;
}

/** Bytes as a person reads them. */
export function formatBytes(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** A duration as h:mm:ss or m:ss. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Today as an ISO day in the user's time zone. */
const today = (): string => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

const STATE_BADGE: Record<RecordingDeviceState['state'], string> = { recording: 'ok', recorded: 'ok', waiting: 'warn', 'left-out': 'bad', interrupted: 'bad' };
const fileName = (p: string): string => p.split(/[\\/]/).pop() ?? p;
const visitText = (v: { visitDate: string; visitLabel: string }): string => `${formatDate(v.visitDate)}${v.visitLabel ? ` (${v.visitLabel})` : ''}`;

/** Each device of the recording (running: live; ended: `recorded` or why not, with its files' size on disk). */
function DeviceStates({ devices, ended }: { devices: RecordingDeviceState[]; ended: boolean }) {
  if (!devices.length) return null;
  return (
    <table className="device-table" data-testid="recording-devices">
      <thead>
        <tr>
          <th>Device</th>
          <th>Recording</th>
          <th>Frames</th>
          <th>{ended ? 'Size on disk' : 'Size'}</th>
          <th>Why / since</th>
        </tr>
      </thead>
      <tbody>
        {devices.map((d) => (
          <tr key={d.device} data-recording-device={d.device} data-state={d.state}>
            <td>{d.name}</td>
            <td>
              <span className={`badge ${STATE_BADGE[d.state]}`}>{d.state === 'left-out' ? 'left out' : d.state}</span>
            </td>
            <td data-testid="recording-device-frames">{recordedFramesText(d)}</td>
            <td data-testid="recording-device-size">{formatBytes(d.bytes)}</td>
            <td className="muted" style={{ maxWidth: 420 }}>
              {d.reason ?? ''}
              {d.since ? ` — since ${formatTime(d.since)}` : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function RecordingPanel({ client, rec, open, hasDevices, can, busy, setBusy, refresh, onError }: Props) {
  const [visitDate, setVisitDate] = useState(today);
  const [visitLabel, setVisitLabel] = useState('');
  const [history, setHistory] = useState<RecordingRecord[]>([]);
  const recording = rec?.state === 'recording';
  const patientId = open?.patient.id ?? null;
  const mayList = can('devices.listRecordings');

  // the open patient's recordings, again whenever a recording starts or ends
  const lastKey = `${rec?.state}:${rec?.dir}:${rec?.stopReason}`;
  useEffect(() => {
    if (!patientId || !mayList) {
      setHistory([]);
      return;
    }
    let live = true;
    client.call('devices', 'listRecordings', patientId).then((l) => live && setHistory(l), onError);
    return () => {
      live = false;
    };
  }, [client, patientId, mayList, lastKey, onError]);

  const start = async (): Promise<void> => {
    if (!open) return;
    setBusy(true);
    try {
      await client.call('devices', 'startRecording', { patientId: open.patient.id, visitDate, visitLabel });
      await refresh();
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };
  const stop = async (): Promise<void> => {
    setBusy(true);
    try {
      await client.call('devices', 'stopRecording');
      await refresh();
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };

  const disk = rec ? (
    <span data-testid="recording-disk">
      free disk {formatBytes(rec.freeDiskBytes)} <span className="muted">(stops below {formatBytes(rec.minFreeBytes)})</span>
    </span>
  ) : null;

  return (
    <>
      <h2>Session recording</h2>
      {!recording && (
        <div className="row" data-testid="recording-setup">
          {open ? (
            <span data-testid="recording-patient">
              Patient <strong>{open.patient.displayName}</strong>
              {open.patient.mrn ? <span className="muted"> · ID {open.patient.mrn}</span> : null}
            </span>
          ) : (
            <span className="muted">Open a patient to record a session: a recording belongs to a patient and a visit.</span>
          )}
          <label>
            Visit date <input type="date" aria-label="Visit date" value={visitDate} onChange={(e) => setVisitDate(e.target.value)} disabled={!open} />
          </label>
          <input
            aria-label="Visit label"
            placeholder="Visit (e.g. pre-op), optional"
            value={visitLabel}
            maxLength={120}
            onChange={(e) => setVisitLabel(e.target.value)}
            disabled={!open}
            style={{ width: 200 }}
          />
        </div>
      )}
      <div className="row" data-testid="recording">
        {recording
          ? can('devices.stopRecording') && (
              <button disabled={busy} onClick={() => void stop()}>
                Stop recording
              </button>
            )
          : can('devices.startRecording') && (
              <button disabled={busy || !open || !hasDevices || !/^\d{4}-\d{2}-\d{2}$/.test(visitDate)} onClick={() => void start()}>
                Record session
              </button>
            )}
        {recording && rec ? (
          <span>
            <span className="badge bad">REC</span>{' '}
            <span data-testid="recording-elapsed" style={{ fontVariantNumeric: 'tabular-nums' }}>
              {formatElapsed(rec.elapsedMs)}
            </span>{' '}
            · <span data-testid="recording-size">{formatBytes(rec.bytesWritten)} written</span> · {disk}
            {rec.subject && (
              <span data-testid="recording-subject">
                {' '}
                · <strong>{rec.subject.patientName}</strong>, visit {visitText(rec.subject)}
                {open && rec.subject.patientId !== open.patient.id ? <span className="badge warn">not the open patient</span> : null}
              </span>
            )}
            <span className="muted"> → {rec.dir}</span>
          </span>
        ) : (
          <span className="muted">Poses, ultrasound and depth frames of every connected device, as PLUS sequences (3D Slicer opens them). · {disk}</span>
        )}
      </div>
      {!recording && rec?.stopReason && (
        <div className="row" data-testid="recording-ended">
          <span className={/free disk|could not|interrupted|shut down/.test(rec.stopReason) ? 'badge bad' : 'badge ok'}>{rec.stopReason}</span>
          <span data-testid="recording-summary">
            {`Stopped · ${formatElapsed(rec.elapsedMs)} recorded · ${formatBytes(rec.bytesWritten)} on disk in ${rec.lastFiles.length} file${rec.lastFiles.length === 1 ? '' : 's'}`}
          </span>
          <span className="muted">{rec.subject ? ` · ${rec.subject.patientName}, visit ${visitText(rec.subject)}` : ''}</span>
          {/* a view's enhancement (issue 22) is display only: the device host writes the frames as they came */}
          {rec.lastFiles.some((f) => f.stream === 'image') && (
            <span className="muted" data-testid="recording-raw-note">
              · image sequences hold the raw frames (enhancement is not recorded)
            </span>
          )}
        </div>
      )}
      {!recording && rec?.lastFiles.length ? (
        <div className="row muted" data-testid="recorded-files">
          Saved to {rec.dir}: {rec.lastFiles.map((f) => `${fileName(f.path)} (${f.frames} frames)`).join(' · ')}
        </div>
      ) : null}
      <DeviceStates devices={rec?.devices ?? []} ended={!recording} />
      {open && mayList && (
        <>
          <h3 style={{ margin: '10px 0 4px' }}>Recordings of {open.patient.displayName}</h3>
          {history.length === 0 ? (
            <div className="muted" data-testid="patient-recordings">
              None yet.
            </div>
          ) : (
            <table className="device-table" data-testid="patient-recordings" style={{ whiteSpace: 'nowrap' }}>
              <thead>
                <tr>
                  <th>Started</th>
                  <th>Visit</th>
                  <th>Length</th>
                  <th>Size</th>
                  <th>Files</th>
                  <th>Ended</th>
                </tr>
              </thead>
              <tbody>
                {history.map((r) => (
                  <tr key={r.id} data-recording={r.id}>
                    <td>{formatDateTime(r.startedAt)}</td>
                    <td>{visitText(r)}</td>
                    <td>{r.state === 'recording' ? 'recording…' : formatElapsed(r.elapsedMs)}</td>
                    <td>{r.state === 'recording' ? '—' : formatBytes(r.bytesWritten)}</td>
                    <td title={r.files.map((f) => fileName(f.path)).join('\n')}>{r.files.length}</td>
                    <td className="muted" style={{ whiteSpace: 'normal' }}>
                      {r.state === 'recording' ? 'running' : (r.stopReason ?? '')}
                      {r.state !== 'recording' && r.devices.some((d) => !recordedInFull(d))
                        ? ` · not recorded in full: ${r.devices
                            .filter((d) => !recordedInFull(d))
                            .map((d) => d.name)
                            .join(', ')}`
                        : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </>
  );
}
