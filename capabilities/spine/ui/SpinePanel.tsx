/**
 * The spine panel: runs the spine characterisation of a CT twin (a job, with
 * progress and cancel in the job bar), shows the curved coronal and sagittal
 * reformats with the centroids and Cobb lines, the table by level (label,
 * body heights, Genant, trabecular HU with the L1 screening flags, disc below,
 * spinous tip depth), the curvature, the spinopelvic parameters
 * (SpinopelvicBlock.tsx), and exports the report as CSV and JSON.
 * The surgeon corrects a level's name (select in the table) or its centroid
 * (drag in a reformat): a new analysis version is computed and the automatic
 * one is kept (version select).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  LEVEL_SEQUENCE,
  planRelabel,
  spineReportCsv,
  type Job,
  type LabelChange,
  type SpineAnalysis,
  type SpineCorrections,
} from '../../../electron/contract/index.js';
import { type Twin } from '../../twins/contract.js';
import type { Vec3, VolumeGeometry } from '../../../math/geometry.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { useJob } from '../../../renderer/features/jobs/useJob.js';
import { SpineReformat, type ReformatHandle } from './SpineReformat.js';
import { SpinopelvicBlock } from './SpinopelvicBlock.js';
import { download } from '../../../renderer/app/download.js';
import { formatDateTime } from '../../../renderer/app/format.js';
import type {} from './probe.js';

const LEVELS: readonly string[] = LEVEL_SEQUENCE;

const f1 = (x: number | null | undefined, d = 1): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));

/** The spine panel of a CT twin: runs and follows the characterisation job, shows the reformats, the table by level and the curvature. */
export function SpinePanel(props: {
  /** Whether the session may call a method (`service.method`): controls behind others are not shown. */
  can(method: string): boolean;
  client: Client;
  twin: Twin;
  voxels: ArrayLike<number> | null;
  geometry: VolumeGeometry;
  onJob(j: Job): void;
  onError(e: unknown): void;
  onAnalysis(a: SpineAnalysis | null): void;
  /** A level chosen in the table: the main views move to its body centroid (LPS mm). */
  onLocate?(lps: Vec3): void;
}) {
  const { client, twin, onError, onAnalysis } = props;
  const [analyses, setAnalyses] = useState<SpineAnalysis[]>([]);
  const [current, setCurrent] = useState<SpineAnalysis | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [greyDepthMm, setGreyDepthMm] = useState(3);
  const handles = useRef<Partial<Record<'coronal' | 'sagittal', ReformatHandle | null>>>({});

  const show = useCallback(
    (a: SpineAnalysis | null) => {
      setCurrent(a);
      onAnalysis(a);
    },
    [onAnalysis],
  );

  useEffect(() => {
    client.call('spine', 'list', twin.id).then((list) => {
      setAnalyses(list);
      show(list[0] ?? null);
    }, onError);
  }, [client, twin.id]);

  // follow our job; when it is done, load the new analysis
  const job = useJob(client, jobId, (j) => {
    setJobId(null);
    if (j.status === 'done' && j.resultId)
      client.call('spine', 'get', j.resultId).then((a) => {
        setAnalyses((list) => [a, ...list]);
        show(a);
      }, onError);
  });
  const stage = jobId && job?.id === jobId ? job.stage : null;

  const run = useCallback(
    (corrections: SpineCorrections) => {
      client
        .call('spine', 'analyse', twin.id, corrections, { greyDepthMm })
        .then(async (id) => {
          setJobId(id);
          props.onJob(await client.call('jobs', 'get', id));
        })
        .catch(onError);
    },
    [client, twin.id, greyDepthMm],
  );

  const base: SpineCorrections = current?.corrections ?? { names: {}, centroids: {} };
  const moveCentroid = (name: string, lps: Vec3) =>
    run({ names: base.names, centroids: { ...base.centroids, [name]: lps.map((x) => Math.round(x * 10) / 10) as Vec3 } });
  // relabelling makes a new analysis version: it is asked first. A label another level already has is never given twice:
  // the neighbouring labels shift with it (shown, confirmed as a whole) or the relabel is refused
  const [pendingRename, setPendingRename] = useState<{ changes: LabelChange[] } | { refusal: string } | null>(null);
  const askRename = (index: number, name: string) => {
    const names = current?.report.vertebrae.map((v) => v.name) ?? [];
    const plan = planRelabel(names, index, name);
    setPendingRename(plan.ok ? (plan.changes.length ? { changes: plan.changes } : null) : { refusal: plan.refusal });
  };
  const rename = (changes: LabelChange[]) => {
    const auto = current?.report.automaticNames ?? [];
    const names = { ...base.names };
    for (const c of changes) {
      const a = auto[c.index] ?? c.from;
      if (c.to === a) delete names[a];
      else names[a] = c.to;
    }
    // the surgeon's centroids are keyed by the corrected name: they follow their vertebra to its new label
    const renamed = new Map(changes.map((c) => [c.from, c.to]));
    const centroids = Object.fromEntries(Object.entries(base.centroids).map(([n, lps]) => [renamed.get(n) ?? n, lps]));
    run({ names, centroids });
  };

  useEffect(() => {
    window.__orthotwinSpine = {
      version: () => current?.version ?? 0,
      busy: () => jobId !== null,
      centroidClient: (plane, name) => handles.current[plane]?.centroidClient(name) ?? null,
    };
    return () => {
      delete window.__orthotwinSpine;
    };
  }, [current, jobId]);

  const r = current?.report;
  const busy = jobId !== null;
  return (
    <aside className="panel spine" aria-label="spine">
      <h2>Spine</h2>
      <div className="row">
        {props.can('spine.analyse') && (
          <button className="primary" disabled={busy} onClick={() => run({ names: {}, centroids: {} })}>
            {analyses.length ? 'Re-run automatic' : 'Characterise spine'}
          </button>
        )}
        {analyses.length > 0 && (
          <select aria-label="Spine analysis version" value={current?.id ?? ''} onChange={(e) => show(analyses.find((a) => a.id === e.target.value) ?? null)}>
            {analyses.map((a) => (
              <option key={a.id} value={a.id}>
                v{a.version} · {Object.keys(a.corrections.names).length + Object.keys(a.corrections.centroids).length ? 'corrected' : 'automatic'} ·{' '}
                {formatDateTime(a.createdAt)}
              </option>
            ))}
          </select>
        )}
        {r && (
          <>
            <button onClick={() => download(`spine-report-v${current!.version}.csv`, 'text/csv', spineReportCsv(r))}>CSV</button>
            <button onClick={() => download(`spine-report-v${current!.version}.json`, 'application/json', JSON.stringify(r, null, 2))}>JSON</button>
          </>
        )}
        <label className="inline" title="Depth of the grey-level sampling along the bone surface's inward normals">
          grey depth
          <input
            type="number"
            min={0.5}
            max={20}
            step={0.5}
            style={{ width: 52 }}
            aria-label="Grey level depth (mm)"
            value={greyDepthMm}
            onChange={(e) => setGreyDepthMm(Math.min(20, Math.max(0.5, Number(e.target.value) || 3)))}
          />
          mm
        </label>
        {busy && <span data-testid="spine-busy">{stage ?? 'starting'}…</span>}
      </div>
      {!r && !busy && <p className="muted">No spine analysis of this twin yet.</p>}
      {pendingRename && 'refusal' in pendingRename && (
        <div className="notice error" role="alert" aria-label="relabelling refused" data-testid="relabel-refused">
          {pendingRename.refusal} <button onClick={() => setPendingRename(null)}>Close</button>
        </div>
      )}
      {pendingRename && 'changes' in pendingRename && (
        <div className="notice" role="alertdialog" aria-label="confirm relabelling" data-testid="confirm-relabel">
          Relabel {pendingRename.changes[0]!.from} as {pendingRename.changes[0]!.to}?
          {pendingRename.changes.length > 1 &&
            ` ${pendingRename.changes[0]!.to} is already another level's label: the neighbouring labels shift with it (${pendingRename.changes
              .slice(1)
              .map((c) => `${c.from}→${c.to}`)
              .join(', ')}).`}{' '}
          Every measurement is recomputed and stored as analysis version {(analyses[0]?.version ?? 0) + 1}; version {current?.version} stays in the history.{' '}
          <button
            className="primary"
            onClick={() => {
              const p = pendingRename;
              setPendingRename(null);
              rename(p.changes);
            }}
          >
            {pendingRename.changes.length > 1 ? 'Relabel and shift' : 'Relabel'}
          </button>{' '}
          <button onClick={() => setPendingRename(null)}>Cancel</button>
        </div>
      )}
      {r && props.voxels && (
        <div className="reformats">
          {(['coronal', 'sagittal'] as const).map((plane) => (
            <figure key={plane}>
              <figcaption>{plane} along the spine</figcaption>
              <SpineReformat
                plane={plane}
                voxels={props.voxels!}
                geometry={props.geometry}
                report={r}
                window={1800}
                level={400}
                busy={busy}
                selected={selected}
                onSelect={setSelected}
                onMoveCentroid={moveCentroid}
                handleRef={(h) => (handles.current[plane] = h)}
              />
            </figure>
          ))}
        </div>
      )}
      {r && (
        <>
          <h2>Curvature</h2>
          <ul className="curvature" data-testid="spine-curvature">
            {[r.curvature.coronal, r.curvature.sagittal, r.curvature.maxPlane].map(
              (c) =>
                c && (
                  <li key={c.plane}>
                    Cobb {c.plane === '3d' ? 'max. plane' : c.plane}: <b>{c.angleDeg.toFixed(1)}°</b> ({c.upperEnd}–{c.lowerEnd}, apex {c.apex ?? '—'})
                  </li>
                ),
            )}
            <li>
              Lumbar lordosis L1–S1: <b>{f1(r.curvature.lumbarLordosisDeg)}°</b>
            </li>
            <li>
              Thoracic kyphosis:{' '}
              <b>{r.curvature.thoracicKyphosisDeg === null ? '—' : `${f1(r.curvature.thoracicKyphosisDeg)}° (${r.curvature.thoracicKyphosisLevels})`}</b>
            </li>
          </ul>
          <SpinopelvicBlock report={r} />
          <div className="table-scroll">
            <table className="features spine-table" data-testid="spine-table">
              <thead>
                <tr>
                  <th>Level</th>
                  <th title="Vertebral body heights anterior / middle / posterior">Body height a/m/p (mm)</th>
                  <th title="Genant semiquantitative grade (0–3)">Genant grade</th>
                  <th title="Trabecular attenuation: mean in the ellipsoid at the body centroid">Trabecular (HU)</th>
                  <th title="Disc below: heights anterior / middle / posterior">Disc a/m/p (mm)</th>
                  <th title="Spinous process tip to skin">SP–skin (mm)</th>
                  <th>Flags</th>
                </tr>
              </thead>
              <tbody>
                {r.vertebrae.map((v, i) => {
                  const disc = r.discs.find((d) => d.upper === v.name);
                  const auto = r.automaticNames[i] ?? v.name;
                  const flags = [
                    v.partial ? 'partial' : '',
                    v.screening?.le110 ? 'L1 ≤110 HU' : v.screening?.le160 ? 'L1 ≤160 HU' : '',
                    auto !== v.name ? `auto ${auto}` : '',
                    base.centroids[v.name] ? 'moved' : '',
                  ].filter(Boolean);
                  return (
                    <tr
                      key={`${auto}-${v.name}`}
                      data-level={v.name}
                      className={selected === v.name ? 'selected' : ''}
                      onClick={() => {
                        setSelected(v.name);
                        props.onLocate?.(v.bodyCentroidLps ?? v.centroidLps);
                      }}
                      title={v.notMeasured.length ? `Not measured: ${v.notMeasured.join('; ')}` : undefined}
                    >
                      <td>
                        <select aria-label={`Level of ${auto}`} value={v.name} disabled={busy} onChange={(e) => askRename(i, e.target.value)}>
                          {(LEVELS.includes(v.name) ? LEVELS : [v.name, ...LEVELS]).map((n) => (
                            <option key={n}>{n}</option>
                          ))}
                        </select>
                      </td>
                      <td className="value">
                        {f1(v.heightsMm.anterior)}/{f1(v.heightsMm.middle)}/{f1(v.heightsMm.posterior)}
                      </td>
                      <td className="value">{v.genant.grade ?? '—'}</td>
                      <td className="value" data-testid={`hu-${v.name}`}>
                        {f1(v.sphereHu?.mean, 0)}
                      </td>
                      <td className="value">{disc ? `${f1(disc.heightsMm.anterior)}/${f1(disc.heightsMm.middle)}/${f1(disc.heightsMm.posterior)}` : '—'}</td>
                      <td className="value">{f1(v.landmarks.spinousTip?.skinDistanceMm, 0)}</td>
                      <td>{flags.join(', ')}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <p className="muted">
            L1 HU flags are opportunistic screening information (Pickhardt 2013), not a diagnosis. {r.warnings.join(' ')}
            {r.curvature.notMeasured.length > 0 && ` Not measured: ${r.curvature.notMeasured.join('; ')}.`}
          </p>
        </>
      )}
    </aside>
  );
}
