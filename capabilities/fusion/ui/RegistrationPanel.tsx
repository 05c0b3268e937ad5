/**
 * The patient registration of the fusion workspace: the depth camera's view
 * of the patient's skin registered to the skin of the prior volume's twin
 * (a job: markerless, or from a 3-point coarse alignment for difficult
 * cases), the stored registrations with their fit, overlap and predicted TRE
 * (refused ones listed with their reasons, not selectable), and the choice of
 * the registration the live fusion uses (Volume ← Camera ← Tracker).
 */
import { useEffect, useState } from 'react';
import type { Job } from '../../../electron/contract/index.js';
import type { Registration } from '../contract.js';
import type { Twin } from '../../twins/contract.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { JobBar } from '../../../renderer/features/jobs/JobBar.js';
import { useJob } from '../../../renderer/features/jobs/useJob.js';
import { formatDateTime } from '../../../renderer/app/format.js';
import { RecordingInput } from '../../devices/ui/RecordingInput.js';

interface Props {
  client: Client;
  patientId: string;
  /** The twins of the prior volume's series that have a skin mesh. */
  twins: Twin[];
  selected: Registration | null;
  onSelect(r: Registration | null): void;
  captures: { label: string; path: string }[];
  onError(e: unknown): void;
}

const fmt = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '—');
export const describeRegistration = (r: Registration): string =>
  `${formatDateTime(r.createdAt)} · ${r.method === 'skin-icp' ? 'markerless' : '3-point + markerless'} · ` +
  (r.refused ? 'REFUSED' : `residual ${fmt(r.residualRmsMm, 2)} mm · overlap ${Math.round(100 * r.overlap)} % · predicted TRE ${fmt(r.predictedTreMm, 1)} mm`);

/** "x, y, z; x, y, z; x, y, z" → points (mm), or null when it is not three or more triplets of numbers. */
export function parsePoints(text: string): [number, number, number][] | null {
  const pts = text
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s.split(/[\s,]+/).map(Number));
  if (pts.length < 3 || pts.some((p) => p.length !== 3 || p.some((v) => !Number.isFinite(v)))) return null;
  return pts as [number, number, number][];
}

/** A field for a list of 3D points typed as "x, y, z; x, y, z; …" (mm). */
export function PointsInput(props: { label: string; value: string; onChange(v: string): void; placeholder: string; width: number }) {
  return (
    <input
      aria-label={props.label}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value)}
      placeholder={props.placeholder}
      style={{ minWidth: props.width }}
    />
  );
}

/** The registration choice, the skin registration form (a followed job) and its last result. */
export function RegistrationPanel({ client, patientId, twins, selected, onSelect, captures, onError }: Props) {
  const [list, setList] = useState<Registration[]>([]);
  const [capture, setCapture] = useState(captures[0]?.path ?? '');
  const [view, setView] = useState<'back' | 'front'>('back');
  const [threePoint, setThreePoint] = useState(false);
  const [cameraPts, setCameraPts] = useState('');
  const [imagePts, setImagePts] = useState('');
  const [started, setStarted] = useState<Job | null>(null);
  const [last, setLast] = useState<Registration | null>(null);
  const twin = twins[0] ?? null;
  const twinIds = new Set(twins.map((t) => t.id));
  const usable = list.filter((r) => twinIds.has(r.twinId));

  useEffect(() => {
    client.call('registrations', 'list', patientId).then(setList, onError);
  }, [client, patientId, onError]);

  // follow the registration job; when it is done, list and select (or report) its result
  const followed = useJob(
    client,
    started?.id ?? null,
    (j) => {
      if (j.status === 'done' && j.resultId)
        client.call('registrations', 'get', j.resultId).then((r) => {
          setList((l) => [r, ...l]);
          setLast(r);
          if (!r.refused) onSelect(r);
        }, onError);
    },
    started,
  );
  const job = followed && followed.id === started?.id ? followed : started;

  const cam = threePoint ? parsePoints(cameraPts) : null;
  const img = threePoint ? parsePoints(imagePts) : null;
  const pointsOk = !threePoint || (cam !== null && img !== null && cam.length === img.length);
  const register = (): void => {
    if (!twin) return;
    client
      .call('registrations', 'run', { twinId: twin.id, cloudPath: capture, view, ...(threePoint && cam && img ? { points: { camera: cam, image: img } } : {}) })
      .then((id) => client.call('jobs', 'get', id))
      .then(setStarted, onError);
  };
  const running = job !== null && (job.status === 'queued' || job.status === 'running');

  return (
    <div data-testid="registration-panel">
      <div className="row">
        <label>
          Patient registration{' '}
          <select aria-label="Patient registration" value={selected?.id ?? ''} onChange={(e) => onSelect(usable.find((r) => r.id === e.target.value) ?? null)}>
            <option value="">none (the volume is in the tracker's or the reference's frame)</option>
            {usable.map((r) => (
              <option key={r.id} value={r.id} disabled={r.refused !== null}>
                {describeRegistration(r)}
              </option>
            ))}
          </select>
        </label>
        {selected?.tre && (
          <span data-testid="registration-tre">
            measured TRE {selected.tre.count} landmark{selected.tre.count > 1 ? 's' : ''}: mean {fmt(selected.tre.meanMm, 2)} mm, max{' '}
            {fmt(selected.tre.maxMm, 2)} mm
          </span>
        )}
      </div>
      {twin ? (
        <div className="row">
          <RecordingInput
            label="Depth capture"
            listId="fusion-depth-captures"
            value={capture}
            onChange={setCapture}
            placeholder="Depth capture of the patient (.pcd, .ply, depth .png)"
            recordings={captures}
          />
          <label>
            camera looks at the{' '}
            <select aria-label="Camera view" value={view} onChange={(e) => setView(e.target.value as 'back' | 'front')}>
              <option value="back">back</option>
              <option value="front">front</option>
            </select>
          </label>
          <label>
            <input type="checkbox" checked={threePoint} onChange={(e) => setThreePoint(e.target.checked)} /> 3-point alignment
          </label>
          <button disabled={!capture || running || !pointsOk} onClick={register}>
            Register to the skin
          </button>
        </div>
      ) : (
        <div className="muted">The prior volume has no twin with a skin surface: build its anatomical twin to register the depth camera to it.</div>
      )}
      {threePoint && (
        <div className="row">
          <PointsInput
            label="Camera points"
            value={cameraPts}
            onChange={setCameraPts}
            placeholder="skin points in the camera (mm): x, y, z; x, y, z; x, y, z"
            width={320}
          />
          <PointsInput
            label="Image points"
            value={imagePts}
            onChange={setImagePts}
            placeholder="the same points in the image (LPS mm): x, y, z; …"
            width={320}
          />
          {!pointsOk && <span className="badge warn">three or more matching points in each</span>}
        </div>
      )}
      {job && <JobBar client={client} job={job} onError={onError} />}
      {last && (
        <div className="row" data-testid="registration-result">
          {last.refused ? <span className="badge bad">Refused: {last.refused.join('; ')}</span> : <span className="badge ok">Accepted</span>}
          {last.refused ? (
            // a refused registration is not used: it gets no accuracy figure, only what was matched
            <span className="muted">
              not used for the fusion · {last.details['cameraSkinPoints'] ?? 0} camera skin points · {last.details['totalMs'] ?? 0} ms
            </span>
          ) : (
            <span className="muted">
              residual {fmt(last.residualRmsMm, 2)} mm (a fit measure, not an accuracy) · overlap {Math.round(100 * last.overlap)} % · predicted TRE{' '}
              {fmt(last.predictedTreMm, 2)} mm at the centre of the matched skin · {last.details['cameraSkinPoints'] ?? 0} camera skin points ·{' '}
              {last.details['totalMs'] ?? 0} ms
            </span>
          )}
        </div>
      )}
    </div>
  );
}
