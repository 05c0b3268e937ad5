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
import { useEffect, useState, type CSSProperties, type ReactNode } from 'react';
import type { Job } from '../../../electron/contract/index.js';
import type { CalibrationRecord } from '../contract.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { JobBar } from '../../../renderer/features/jobs/JobBar.js';
import { useJob } from '../../../renderer/features/jobs/useJob.js';
import { parsePoints, PointsInput } from './RegistrationPanel.js';
import { errorMeaning, madeText, methodName, residualName, residualText, toolOf } from './calibrationText.js';

type Action = 'plus' | 'pivot' | 'probe' | 'temporal' | 'camera';

interface Props {
  client: Client;
  setup: string;
  calibrations: CalibrationRecord[];
  /** Called after a calibration was stored (the parent reloads the setup's current calibrations). */
  onChanged(): void;
  onError(e: unknown): void;
}

/** A frame-pair name broken where it may wrap ("StylusTip·To·Stylus"), so a narrow column wraps it instead of cutting it. */
const wrappable = (name: string): ReactNode[] => name.split(/(?=To[A-Z])|(?<=To)(?=[A-Z])/).flatMap((part, i) => (i ? [<wbr key={i} />, part] : [part]));

/** Key columns wrap rather than being cut (1366 px); their full text is in the tooltip. */
const KEY: CSSProperties = { overflowWrap: 'anywhere', minWidth: 90 };

/** The calibration's numbers, the error in the "Error (mm)" column, the offset in "Offset (ms)". */
const errorCell = (c: CalibrationRecord): string => (c.errorMm !== null ? c.errorMm.toFixed(2) : '—');
const offsetCell = (c: CalibrationRecord): string => (c.valueMs !== null ? c.valueMs.toFixed(1) : '—');

/** The residuals under their human names with units, one line each; the stored field name in each tooltip. */
function Residuals({ c }: { c: CalibrationRecord }) {
  const entries = Object.entries(c.residuals).filter(([k]) => k !== 'framesTotal');
  if (entries.length === 0) return <span className="muted">{c.matrix ? 'none stated' : '—'}</span>;
  const total = c.residuals['framesTotal'];
  return (
    <ul style={{ margin: 0, paddingLeft: 14 }}>
      {entries.map(([k, v]) => (
        <li key={k} title={`${residualName(k).label} (${k})`}>
          {k === 'framesSegmented' && total !== undefined ? `${residualName(k).label}: ${v} of ${total}` : residualText(k, v)}
        </li>
      ))}
    </ul>
  );
}

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
            <th title="The transform (from frame → to frame) or the offset the calibration determines">Calibration</th>
            <th title="The probe or tracked tool the calibration belongs to">Probe / tool</th>
            <th>Method</th>
            <th>Made (date, time)</th>
            <th title="Error of the calibration in millimetres (what it measures depends on the method: see each value's tooltip)">Error (mm)</th>
            <th title="Temporal offset added to the device's timestamps, in milliseconds">Offset (ms)</th>
            <th>Residuals (with units)</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {[...calibrations, ...proposed].map((c) => {
            const isProposed = c.status === 'proposed';
            const cur = isProposed ? calibrations.find((x) => x.kind === c.kind && x.fromFrame === c.fromFrame && x.toFrame === c.toFrame) : undefined;
            return (
              <tr key={c.id} data-kind={c.kind} data-status={c.status} className={isProposed ? 'proposed' : undefined}>
                <td style={KEY} title={`${c.kind}: ${c.fromFrame} → ${c.toFrame}`}>
                  <strong>{wrappable(c.kind)}</strong>
                </td>
                <td
                  style={KEY}
                  title={c.device ? `${c.device} (${c.fromFrame} → ${c.toFrame})` : `${c.fromFrame} → ${c.toFrame}`}
                  data-testid="calibration-tool"
                >
                  {toolOf(c)}
                </td>
                <td style={KEY} title={c.sourcePath ? `${c.method} · ${c.sourcePath}` : c.method}>
                  {methodName(c.method)}
                </td>
                <td style={{ minWidth: 110 }} title={c.calibratedAt || 'no date stated'}>
                  {madeText(c.calibratedAt)}
                </td>
                <td title={c.errorMm !== null ? errorMeaning(c) : 'no error stated'}>
                  {errorCell(c)}
                  {cur && (
                    <div className="muted" title={`the calibration in use: ${errorMeaning(cur)}`}>
                      in use: {errorCell(cur)}
                    </div>
                  )}
                </td>
                <td>
                  {offsetCell(c)}
                  {cur && cur.valueMs !== null && <div className="muted">in use: {offsetCell(cur)}</div>}
                </td>
                <td style={{ fontSize: 11, minWidth: 200 }}>
                  <Residuals c={c} />
                  {cur && (
                    <div className="muted">
                      in use: {methodName(cur.method)}
                      {cur.calibratedAt ? `, ${madeText(cur.calibratedAt)}` : ''}
                    </div>
                  )}
                </td>
                <td style={{ minWidth: 120 }}>
                  {isProposed ? (
                    <>
                      <strong>proposed, not in use</strong>
                      {!cur && <div className="muted">none of its kind in use</div>}
                      <div className="row">
                        <button onClick={() => void review(c.id, true)}>Accept {c.kind}</button>
                        <button onClick={() => void review(c.id, false)}>Reject</button>
                      </div>
                    </>
                  ) : (
                    <span className="badge ok">{c.status === 'accepted' ? 'in use' : c.status}</span>
                  )}
                </td>
              </tr>
            );
          })}
          {calibrations.length === 0 && (
            <tr>
              <td colSpan={8} className="muted">
                No calibration in use for this setup yet.
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
