/**
 * The calibrations of an acquisition setup (one tracker + probe + depth
 * camera arrangement), as the fusion uses them: the current value of each
 * kind with its method, date and error, and how to make a new one — import a
 * PLUS configuration, pivot a stylus, calibrate the probe on an N-wire
 * phantom (a job), the temporal offset of the video from a plate sweep, the
 * depth camera ↔ tracker transform from fiducials seen by the camera and
 * touched with the stylus. The history is kept by the service (append-only).
 * A new calibration of a kind the setup already has is proposed: shown beside
 * the current one with both residuals, it is used only once accepted.
 */
import { useEffect, useState } from 'react';
import type { Job } from '../../../electron/contract/index.js';
import type { CalibrationRecord } from '../contract.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { JobBar } from '../../../renderer/features/jobs/JobBar.js';
import { useJob } from '../../../renderer/features/jobs/useJob.js';
import { formatDate, formatDateTime } from '../../../renderer/app/format.js';
import { parsePoints, PointsInput } from './RegistrationPanel.js';

type Action = 'plus' | 'pivot' | 'probe' | 'temporal' | 'camera';

interface Props {
  client: Client;
  setup: string;
  calibrations: CalibrationRecord[];
  /** Called after a calibration was stored (the parent reloads the setup's current calibrations). */
  onChanged(): void;
  onError(e: unknown): void;
}

const headline = (c: CalibrationRecord): string =>
  c.valueMs !== null ? `${c.valueMs.toFixed(1)} ms` : c.errorMm !== null ? `error ${c.errorMm.toFixed(2)} mm` : c.matrix ? 'transform' : '';

/** The setup's current calibrations and the form that makes a new one (the probe calibration as a followed job). */
export function CalibrationsPanel({ client, setup, calibrations, onChanged, onError }: Props) {
  const [action, setAction] = useState<Action>('plus');
  const [pathA, setPathA] = useState('');
  const [pathB, setPathB] = useState('');
  const [tool, setTool] = useState('Stylus');
  const [cameraPts, setCameraPts] = useState('');
  const [trackerPts, setTrackerPts] = useState('');
  const [started, setStarted] = useState<Job | null>(null);
  const [busy, setBusy] = useState(false);
  // calibrations waiting for review (made while the setup had a current one of their kind)
  const [proposed, setProposed] = useState<CalibrationRecord[]>([]);
  useEffect(() => {
    let live = true;
    client.call('calibrations', 'list', setup).then((all) => live && setProposed(all.filter((c) => c.status === 'proposed')), onError);
    return () => void (live = false);
  }, [client, setup, calibrations, onError]);
  const review = async (id: string, accept: boolean): Promise<void> => {
    try {
      await client.call('calibrations', accept ? 'accept' : 'reject', id);
      onChanged();
    } catch (e) {
      onError(e);
    }
  };
  const residuals = (c: CalibrationRecord): string =>
    Object.entries(c.residuals)
      .filter(([k]) => /Mm$/.test(k))
      .map(([k, v]) => `${k.replace(/Mm$/, '')} ${v.toFixed(2)} mm`)
      .join(' · ');

  // follow the probe calibration job; when it is done, the setup's calibrations are reloaded
  const followed = useJob(
    client,
    started?.id ?? null,
    (j) => {
      if (j.status === 'done') onChanged();
    },
    started,
  );
  const job = followed && followed.id === started?.id ? followed : started;

  const cam = parsePoints(cameraPts);
  const trk = parsePoints(trackerPts);
  const ready = action === 'camera' ? cam !== null && trk !== null && cam.length === trk.length : action === 'probe' ? !!pathA && !!pathB : !!pathA && !busy;

  const run = async (): Promise<void> => {
    setBusy(true);
    try {
      if (action === 'plus') await client.call('calibrations', 'importPlus', setup, pathA);
      else if (action === 'pivot') await client.call('calibrations', 'pivot', setup, pathA, tool);
      else if (action === 'temporal')
        await client.call('calibrations', 'temporal', setup, pathA, { tool: tool || 'Probe', maxLagMs: 1000, ...(pathB ? { trackerPath: pathB } : {}) });
      else if (action === 'camera' && cam && trk)
        await client.call('calibrations', 'cameraToTracker', setup, { method: 'paired-points', camera: cam, tracker: trk, sourcePath: '' });
      else if (action === 'probe') {
        const id = await client.call('calibrations', 'probe', setup, pathA, pathB);
        setStarted(await client.call('jobs', 'get', id));
      }
      onChanged();
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };

  const hint: Record<Action, [string, string | null]> = {
    plus: ['PLUS device-set configuration (.xml)', null],
    pivot: ['Stylus pivoting recording (.igs.mha)', null],
    probe: ['N-wire phantom sweep (.igs.mha)', 'PLUS configuration with the phantom definition (.xml)'],
    temporal: ['Plate sweep video recording (.igs.mha)', 'Tracker recording, when separate (.igs.mha, optional)'],
    camera: ['', null],
  };

  return (
    <div data-testid="calibrations-panel">
      <table className="device-table" aria-label="setup calibrations">
        <thead>
          <tr>
            <th>Calibration</th>
            <th>Method</th>
            <th>Made</th>
            <th>Value</th>
          </tr>
        </thead>
        <tbody>
          {calibrations.map((c) => (
            <tr key={c.id} data-kind={c.kind}>
              <td>{c.kind}</td>
              <td>{c.method}</td>
              <td>{formatDateTime(c.calibratedAt)}</td>
              <td>{headline(c)}</td>
            </tr>
          ))}
          {proposed.map((c) => {
            const cur = calibrations.find((x) => x.kind === c.kind && x.fromFrame === c.fromFrame && x.toFrame === c.toFrame);
            return (
              <tr key={c.id} data-kind={c.kind} data-status="proposed" className="proposed">
                <td>
                  {c.kind} <strong>(proposed, not in use)</strong>
                </td>
                <td>
                  {c.method}
                  {c.device ? ` · ${c.device}` : ''}
                </td>
                <td>{formatDateTime(c.calibratedAt)}</td>
                <td>
                  <div>
                    new: {headline(c)} {residuals(c)}
                  </div>
                  <div className="muted">current: {cur ? `${headline(cur)} ${residuals(cur)} (${cur.method}, ${formatDate(cur.calibratedAt)})` : 'none'}</div>
                  <button onClick={() => void review(c.id, true)}>Accept {c.kind}</button> <button onClick={() => void review(c.id, false)}>Reject</button>
                </td>
              </tr>
            );
          })}
          {calibrations.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No calibration for this setup yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <div className="row">
        <select
          aria-label="Calibration action"
          value={action}
          onChange={(e) => {
            const a = e.target.value as Action;
            setAction(a);
            setTool(a === 'temporal' ? 'Probe' : 'Stylus');
          }}
        >
          <option value="plus">Import PLUS configuration</option>
          <option value="pivot">Pivot calibration (stylus)</option>
          <option value="probe">Probe calibration (N-wire)</option>
          <option value="temporal">Temporal calibration (video ↔ tracker)</option>
          <option value="camera">Depth camera ↔ tracker (fiducials)</option>
        </select>
        {action === 'camera' ? (
          <>
            <PointsInput
              label="Fiducials in the camera"
              value={cameraPts}
              onChange={setCameraPts}
              placeholder="fiducials in the camera (mm): x, y, z; …"
              width={260}
            />
            <PointsInput
              label="Fiducials touched with the stylus"
              value={trackerPts}
              onChange={setTrackerPts}
              placeholder="the same touched with the stylus (tracker mm): x, y, z; …"
              width={260}
            />
          </>
        ) : (
          <>
            <input
              aria-label="Calibration file"
              value={pathA}
              onChange={(e) => setPathA(e.target.value)}
              placeholder={hint[action][0]}
              style={{ minWidth: 280 }}
            />
            {hint[action][1] && (
              <input
                aria-label="Second calibration file"
                value={pathB}
                onChange={(e) => setPathB(e.target.value)}
                placeholder={hint[action][1]!}
                style={{ minWidth: 280 }}
              />
            )}
            {(action === 'pivot' || action === 'temporal') && (
              <label>
                tool <input aria-label="Calibration tool" value={tool} onChange={(e) => setTool(e.target.value)} style={{ width: 70 }} />
              </label>
            )}
          </>
        )}
        <button disabled={!ready || busy || job?.status === 'running' || job?.status === 'queued'} onClick={() => void run()}>
          Calibrate
        </button>
      </div>
      {job && <JobBar client={client} job={job} onError={onError} />}
    </div>
  );
}
