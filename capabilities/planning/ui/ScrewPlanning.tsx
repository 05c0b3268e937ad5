/**
 * The screw planning workspace (issue 24 §1): pedicle screws on the open
 * patient's CT twin's spine analysis. Propose the automatic plan; a table by
 * level and side (entry and target in LPS mm, transverse and sagittal
 * angles, catalogue diameter × length, pedicle width, Gertzbein–Robbins
 * grade coloured and the largest breach depth, each column saying its
 * source); the 3D view (bone translucent, screws coloured by grade; a click
 * on the bone picks the entry or target when asked) and the probe's-eye view
 * of the selected screw (ProbeEye.tsx), whose entry and target the surgeon
 * drags — each move is graded by `planning.gradeTrajectory` (debounced) and
 * the table, the colours and the outline follow; a catalogue size picker;
 * Save stores the edits as the analysis's next plan version
 * (`planning.savePlan`), earlier versions stay listed.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { bulkUrls, type SpineAnalysis } from '../../../electron/contract/index.js';
import type { Vec3, VolumeGeometry } from '../../../math/geometry.js';
import type { WorkspaceProps } from '../../../renderer/app/contributions.js';
import { formatDateTime } from '../../../renderer/app/format.js';
import { useKeptState } from '../../../renderer/app/keptState.js';
import { may } from '../../../renderer/app/placement.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { voxelsFromBuffer } from '../../../renderer/views/vtk/volumeImage.js';
import type { VolumeRecord } from '../../studies/contract.js';
import type { Twin } from '../../twins/contract.js';
import type { GradedTrajectory, ScrewPlan, TrajectoryEdit } from '../contract.js';
import {
  columnSources,
  fmtLps,
  fmtSpacing,
  GRADE_COLOURS,
  GRADE_MEANING,
  fmtBreachMm,
  gradedFor,
  screwKey,
  shownScrews,
  superiorAxis,
  type ShownScrew,
} from './display.js';
import { ProbeEye, type ProbeEyeHandle } from './ProbeEye.js';
import { nearestLength, targetAtLength } from './probeEye.js';
import { createScrews3dView, type Screws3dView } from './screws3dView.js';
import type {} from './probe.js';
import './screwPlanning.css';

/** How long a drag rests before its trajectory is graded (ms). */
const GRADE_DEBOUNCE_MS = 150;
/** Bone window for the probe's-eye reslices (HU). */
const BONE_WL = { window: 1800, level: 400 };

type Pending = Map<string, { edit: TrajectoryEdit; graded: GradedTrajectory | null; error: string | null }>;

/** The workspace: the open patient's CT twins; the chosen one's planning view. */
export function ScrewPlanningWorkspace({ client, open, session, onError }: WorkspaceProps) {
  const can = (m: string): boolean => may(session.status, m);
  const cts = useMemo(() => {
    if (!open) return [];
    const out: { twin: Twin; volume: VolumeRecord }[] = [];
    for (const t of open.twins)
      for (const st of open.studies)
        for (const se of st.series) if (se.id === t.seriesId && se.modality === 'CT' && se.volume?.id === t.volumeId) out.push({ twin: t, volume: se.volume });
    // the default twin first
    return out.sort((a, b) => Number(b.twin.isDefault) - Number(a.twin.isDefault));
  }, [open]);
  const [twinId, setTwinId] = useState<string | null>(null);
  if (!open) return <div className="notice">Open a patient with a CT twin to plan pedicle screws.</div>;
  const chosen = cts.find((c) => c.twin.id === twinId) ?? cts[0];
  if (!chosen) return <div className="notice">No twin of a CT series for this patient: import a CT in the Patients workspace first.</div>;
  return (
    <ScrewPlanning
      key={chosen.twin.id}
      client={client}
      twin={chosen.twin}
      volume={chosen.volume}
      twins={cts.map((c) => c.twin)}
      onSelectTwin={setTwinId}
      can={can}
      onError={onError}
    />
  );
}

function ScrewPlanning(props: {
  client: Client;
  twin: Twin;
  volume: VolumeRecord;
  twins: Twin[];
  onSelectTwin(id: string): void;
  can(method: string): boolean;
  onError(e: unknown): void;
}) {
  const { client, twin, volume, onError, can } = props;
  const geometry: VolumeGeometry = useMemo(
    () => ({ dims: volume.dims, spacingMm: volume.spacingMm, originLps: volume.originLps, direction: volume.direction as never }),
    [volume],
  );
  const [voxels, setVoxels] = useState<ArrayLike<number> | null>(null);
  const [analyses, setAnalyses] = useState<SpineAnalysis[] | null>(null);
  const [analysisId, setAnalysisId] = useState<string | null>(null);
  const [plans, setPlans] = useState<ScrewPlan[]>([]);
  // the plan shown, its unsaved edits, the selected screw and the note outlive a switch to another workspace (kept
  // per twin for this window): a surgeon who looks something up elsewhere comes back to the edits as left
  const [planId, setPlanId] = useKeptState<string | null>(`screws.planId.${twin.id}`, null);
  const [pending, setPending] = useKeptState<Pending>(`screws.pending.${twin.id}`, new Map());
  const [selected, setSelected] = useKeptState<string | null>(`screws.selected.${twin.id}`, null);
  const keptPlanId = useRef(planId);
  const [pick3d, setPick3d] = useState<'off' | 'entry' | 'target'>('off');
  const [boneOpacity, setBoneOpacity] = useState(0.3);
  const [note, setNote] = useKeptState(`screws.note.${twin.id}`, '');
  const [busy, setBusy] = useState<'propose' | 'save' | null>(null);
  const [grading, setGrading] = useState(0);
  const [status, setStatus] = useState<string | null>('Loading the CT…');
  const [boneLoaded, setBoneLoaded] = useState(false);
  const threeRef = useRef<HTMLDivElement>(null);
  const three = useRef<Screws3dView | null>(null);
  const probeEye = useRef<ProbeEyeHandle | null>(null);
  const editable = can('planning.gradeTrajectory') && can('planning.savePlan');

  // the CT's voxels, the bone surface, the spine analyses and the plans of this twin
  useEffect(() => {
    let gone = false;
    const run = async () => {
      const [{ buffer }, list, ps] = await Promise.all([
        client.fetchBinary(bulkUrls.volume(volume.id)),
        client.call('spine', 'list', twin.id),
        client.call('planning', 'plans', twin.id),
      ]);
      if (gone) return;
      setVoxels(voxelsFromBuffer(volume.voxelType, buffer));
      setAnalyses(list);
      setPlans(ps);
      // the plan kept from an earlier visit (with its edits), else the newest analysis's newest plan
      const kept = ps.find((p) => p.id === keptPlanId.current);
      const a = (kept && list.find((x) => x.id === kept.analysisId)) ?? list[0] ?? null;
      setAnalysisId(a?.id ?? null);
      setPlanId(kept?.id ?? ps.find((p) => p.analysisId === a?.id)?.id ?? null);
      setStatus(null);
    };
    run().catch((e: unknown) => {
      setStatus('Could not load the twin');
      onError(e);
    });
    return () => {
      gone = true;
    };
  }, [client, twin.id, volume]);

  useEffect(() => {
    const el = threeRef.current;
    if (!el) return;
    const view = createScrews3dView(el, (lps) => pickRef.current(lps));
    three.current = view;
    const a = twin.artefacts.find((x) => x.kind === 'bone-mesh' && x.format === 'vtp');
    let gone = false;
    if (a)
      client.fetchBinary(bulkUrls.artefact(a.id)).then(({ buffer }) => {
        if (!gone) view.setBone(buffer);
        setBoneLoaded(true);
      }, onError);
    const ro = new ResizeObserver(() => view.resize());
    ro.observe(el);
    return () => {
      gone = true;
      ro.disconnect();
      view.destroy();
      three.current = null;
    };
  }, [client, twin]);

  const analysis = analyses?.find((a) => a.id === analysisId) ?? null;
  const analysisPlans = plans.filter((p) => p.analysisId === analysisId);
  const plan = analysisPlans.find((p) => p.id === planId) ?? null;
  const screws: ShownScrew[] = useMemo(() => (plan ? shownScrews(plan, pending) : []), [plan, pending]);
  const sel = screws.find((s) => screwKey(s) === selected) ?? null;
  const superior = useMemo(() => superiorAxis(analysis?.report.vertebrae.find((v) => v.name === sel?.level)), [analysis, sel?.level]);

  // a new plan shown: no edits carried over, the first screw selected
  useEffect(() => {
    if (keptPlanId.current === planId) return; // the same plan as when the edits were kept (a return to the workspace)
    keptPlanId.current = planId;
    setPending(new Map());
    setSelected((s) => (plan?.screws.some((x) => screwKey(x) === s) ? s : plan?.screws[0] ? screwKey(plan.screws[0]) : null));
  }, [planId]);

  // grading: per screw, the latest edit wins (answers to earlier ones are dropped)
  const seq = useRef(new Map<string, number>());
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const grade = useCallback(
    (edit: TrajectoryEdit, delayMs: number) => {
      if (!analysisId) return;
      const key = screwKey(edit);
      const n = (seq.current.get(key) ?? 0) + 1;
      seq.current.set(key, n);
      setPending((m) => new Map(m).set(key, { edit, graded: m.get(key)?.graded ?? null, error: null }));
      const t = timers.current.get(key);
      if (t) clearTimeout(t);
      const send = () => {
        timers.current.delete(key);
        setGrading((g) => g + 1);
        client
          .call('planning', 'gradeTrajectory', analysisId, edit)
          .then(
            (graded) => {
              if (seq.current.get(key) === n) setPending((m) => new Map(m).set(key, { edit, graded, error: null }));
            },
            (e: unknown) => {
              if (seq.current.get(key) === n) setPending((m) => new Map(m).set(key, { edit, graded: null, error: e instanceof Error ? e.message : String(e) }));
            },
          )
          .finally(() => setGrading((g) => g - 1));
      };
      timers.current.set(key, setTimeout(send, delayMs));
    },
    [client, analysisId],
  );
  useEffect(() => () => timers.current.forEach((t) => clearTimeout(t)), []);
  // kept edits whose grade had not come back when the workspace was left: graded again once the analysis is known
  const regraded = useRef(false);
  useEffect(() => {
    if (!analysisId || regraded.current) return;
    regraded.current = true;
    for (const p of pending.values()) if (!p.error && (!p.graded || !gradedFor(p.edit, p.graded))) grade(p.edit, 0);
  }, [analysisId]);

  const editOf = (s: ShownScrew): TrajectoryEdit => ({ level: s.level, side: s.side, entryLps: s.entryLps, targetLps: s.targetLps, diameterMm: s.diameterMm });
  const move = (which: 'entry' | 'target', lps: Vec3, final: boolean) => {
    if (!sel || !plan) return;
    let e = { ...editOf(sel), [which === 'entry' ? 'entryLps' : 'targetLps']: lps };
    // let go: the screw takes the nearest catalogue length along its new axis (the target moves along it)
    if (final) {
      const len = Math.hypot(...(e.targetLps.map((x, i) => x - e.entryLps[i]!) as Vec3));
      if (len >= 5) e = { ...e, targetLps: targetAtLength(e.entryLps, e.targetLps, nearestLength(plan.catalogue.lengthsMm, len)) };
    }
    grade(e, final ? 0 : GRADE_DEBOUNCE_MS);
  };
  const pickRef = useRef<(lps: Vec3) => void>(() => {});
  pickRef.current = (lps) => {
    if (pick3d === 'off' || !sel) return;
    move(pick3d, lps.map((x) => Math.round(x * 100) / 100) as Vec3, true);
    setPick3d('off');
  };

  // the 3D scene follows the screws shown
  useEffect(() => {
    three.current?.setScrews(
      screws.map((s) => ({ key: screwKey(s), entryLps: s.entryLps, targetLps: s.targetLps, diameterMm: s.diameterMm, grade: s.breach.grade })),
      selected,
    );
  }, [screws, selected, boneLoaded]);
  useEffect(() => three.current?.setBoneOpacity(boneOpacity), [boneOpacity, boneLoaded]);
  // a screw selected: the 3D view turns to its level (about 140 mm across)
  useEffect(() => {
    if (!sel || !boneLoaded) return;
    three.current?.focus([0, 1, 2].map((i) => (sel.entryLps[i]! + sel.targetLps[i]!) / 2) as Vec3, 140);
  }, [selected, boneLoaded]);

  const propose = () => {
    if (!analysisId) return;
    setBusy('propose');
    client
      .call('planning', 'proposeScrews', analysisId)
      .then(async (id) => {
        setPlans(await client.call('planning', 'plans', twin.id));
        setPlanId(id);
      })
      .catch(onError)
      .finally(() => setBusy(null));
  };
  const save = () => {
    if (!plan || !pending.size) return;
    setBusy('save');
    client
      .call(
        'planning',
        'savePlan',
        plan.id,
        [...pending.values()].map((p) => p.edit),
        { note },
      )
      .then(async (saved) => {
        setPlans(await client.call('planning', 'plans', twin.id));
        setNote('');
        setPlanId(saved.id);
      })
      .catch(onError)
      .finally(() => setBusy(null));
  };

  useEffect(() => {
    window.__orthotwinScrews = {
      ready: () => status === null && voxels !== null,
      planVersion: () => plan?.version ?? 0,
      versions: () => analysisPlans.map((p) => p.version),
      grading: () => grading > 0 || timers.current.size > 0,
      rows: () =>
        screws.map((s) => ({
          level: s.level,
          side: s.side,
          grade: s.breach.grade,
          worstBreachMm: s.breach.worstBreachMm,
          pending: s.pending,
          edited: 'edited' in s && s.edited,
        })),
      selected: () =>
        sel
          ? {
              level: sel.level,
              side: sel.side,
              entryLps: sel.entryLps,
              targetLps: sel.targetLps,
              grade: sel.breach.grade,
              worstBreachMm: sel.breach.worstBreachMm,
              pending: sel.pending,
              stale: sel.stale,
            }
          : null,
      lpsToClient: (view, lps) => probeEye.current?.lpsToClient(view, lps) ?? null,
      threeDToClient: (lps) => three.current?.lpsToClient(lps) ?? null,
      scene: () => three.current?.counts() ?? { boneTriangles: 0, screws: 0 },
    };
    return () => {
      delete window.__orthotwinScrews;
    };
  }, [status, voxels, plan, screws, sel, grading, analysisPlans]);

  const sources = columnSources(volume.spacingMm, plan?.algorithmVersion ?? '—');
  const pendingSel = sel ? pending.get(screwKey(sel)) : undefined;
  return (
    <div className="screw-planning">
      <div className="toolbar">
        <b>Screw planning</b>
        {props.twins.length > 1 && (
          <select aria-label="CT twin" value={twin.id} onChange={(e) => props.onSelectTwin(e.target.value)}>
            {props.twins.map((t) => (
              <option key={t.id} value={t.id}>
                twin v{t.version}
                {t.isDefault ? ' (default)' : ''}
              </option>
            ))}
          </select>
        )}
        {analyses && analyses.length > 0 && (
          <label className="inline">
            spine analysis
            <select
              aria-label="Spine analysis"
              value={analysisId ?? ''}
              onChange={(e) => {
                setAnalysisId(e.target.value);
                setPlanId(plans.find((p) => p.analysisId === e.target.value)?.id ?? null);
              }}
            >
              {analyses.map((a) => (
                <option key={a.id} value={a.id}>
                  v{a.version} · {formatDateTime(a.createdAt)}
                </option>
              ))}
            </select>
          </label>
        )}
        {analysisId && can('planning.proposeScrews') && (
          <button className={plan ? '' : 'primary'} disabled={busy !== null} onClick={propose}>
            {busy === 'propose' ? 'Proposing…' : plan ? 'Propose again (new version)' : 'Propose screws'}
          </button>
        )}
        {analysisPlans.length > 0 && (
          <label className="inline">
            plan
            <select aria-label="Plan version" value={planId ?? ''} onChange={(e) => setPlanId(e.target.value)} disabled={pending.size > 0}>
              {analysisPlans.map((p) => (
                <option key={p.id} value={p.id}>
                  v{p.version} · {p.screws.some((s) => s.edited) ? 'edited' : 'automatic'} · {formatDateTime(p.createdAt)}
                  {p.note ? ` · ${p.note}` : ''}
                </option>
              ))}
            </select>
          </label>
        )}
        {status && <span data-testid="screws-status">{status}</span>}
      </div>
      {analyses && analyses.length === 0 && (
        <div className="notice">
          No spine analysis of this twin yet: characterise the spine first (Patients workspace → Spine → Characterise spine); screws are planned on its vertebra
          labels.
        </div>
      )}
      {analysisId && !plan && status === null && <div className="notice">No screw plan on this spine analysis yet: Propose screws.</div>}
      {plan && (
        <div className="screw-table-wrap">
          <table className="features screw-table" data-testid="screw-table">
            <thead>
              <tr>
                <th>Level</th>
                <th>Side</th>
                <th title={sources.points}>Entry LPS (mm)</th>
                <th title={sources.points}>Target LPS (mm)</th>
                <th title={sources.angles}>Transverse (°)</th>
                <th title={sources.angles}>Sagittal (°)</th>
                <th title={sources.size}>Ø × length (mm)</th>
                <th title={sources.width}>Pedicle width (mm)</th>
                <th title={sources.grade}>Breach grade</th>
                <th title={sources.depth}>Max breach (mm)</th>
                <th>Source</th>
              </tr>
            </thead>
            <tbody>
              {screws.map((s) => {
                const key = screwKey(s);
                const p = pending.get(key);
                return (
                  <tr
                    key={key}
                    data-screw={key}
                    className={key === selected ? 'selected' : ''}
                    onClick={() => setSelected(key)}
                    title={[...s.notes, p?.error ? `not graded: ${p.error}` : ''].filter(Boolean).join('\n') || undefined}
                  >
                    <td>{s.level}</td>
                    <td>{s.side}</td>
                    <td className="value">{fmtLps(s.entryLps)}</td>
                    <td className="value">{fmtLps(s.targetLps)}</td>
                    <td className="value">{s.transverseAngleDeg.toFixed(1)}</td>
                    <td className="value">{s.sagittalAngleDeg.toFixed(1)}</td>
                    <td className="value">
                      {s.diameterMm} × {+s.lengthMm.toFixed(1)}
                    </td>
                    <td className="value">{s.isthmus ? s.isthmus.widthMm.toFixed(1) : '—'}</td>
                    <td className="value">
                      <span
                        className="grade"
                        data-testid={`grade-${s.level}-${s.side}`}
                        style={{ background: p?.error ? 'transparent' : GRADE_COLOURS[s.breach.grade] }}
                        title={p?.error ? `not graded: ${p.error}` : `${GRADE_MEANING[s.breach.grade]}${s.breach.direction ? `, ${s.breach.direction}` : ''}`}
                      >
                        {p?.error ? '?' : s.breach.grade}
                      </span>
                    </td>
                    <td className="value" data-testid={`breach-${s.level}-${s.side}`}>
                      {p?.error ? '—' : fmtBreachMm(s.breach.worstBreachMm)}
                      {!p?.error && s.breach.direction ? ` ${s.breach.direction}` : ''}
                    </td>
                    <td className="muted">
                      {s.pending ? (p?.error ? 'not graded' : s.stale ? 'grading…' : 'edited, unsaved') : 'edited' in s && s.edited ? 'edited' : 'automatic'}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {plan && (
        <div className="screw-table-notes">
          <p className="muted" data-testid="screw-sources">
            Grade: {sources.grade}
            {plan.skipped.length > 0 && ` Not planned: ${plan.skipped.map((k) => `${k.level}${k.side ? ` ${k.side}` : ''} (${k.reason})`).join('; ')}.`}
          </p>
          <details className="muted">
            <summary>How every number is measured (hover a column&apos;s header for its own)</summary>
            <ul>
              <li>Entry and target: {sources.points}</li>
              <li>Angles: {sources.angles}</li>
              <li>Size: {sources.size}</li>
              <li>Pedicle width: {sources.width}</li>
              <li>Max breach: {sources.depth}</li>
              <li>Resolution of this plan: {plan.resolution}.</li>
            </ul>
          </details>
        </div>
      )}
      <div className="toolbar screw-controls">
        {sel && plan && (
          <>
            <b data-testid="selected-screw">
              {sel.level} {sel.side}
            </b>
            <span className="grade" style={{ background: pendingSel?.error ? 'transparent' : GRADE_COLOURS[sel.breach.grade] }} data-testid="selected-grade">
              {pendingSel?.error ? '?' : sel.breach.grade}
            </span>
            <span className="muted">
              {pendingSel?.error
                ? 'not graded'
                : `${GRADE_MEANING[sel.breach.grade]} · max ${fmtBreachMm(sel.breach.worstBreachMm)} mm · clearance ${sel.breach.minClearanceMm.toFixed(1)} mm`}
              {sel.stale && !pendingSel?.error && ' · grading…'}
            </span>
            {pendingSel?.error && (
              <span className="error" role="alert">
                {pendingSel.error}
              </span>
            )}
            <label className="inline">
              Ø
              <select
                aria-label="Screw diameter (mm)"
                disabled={!editable}
                value={sel.diameterMm}
                onChange={(e) => grade({ ...editOf(sel), diameterMm: Number(e.target.value) }, 0)}
              >
                {[...new Set([...plan.catalogue.diametersMm, sel.diameterMm])]
                  .sort((a, b) => a - b)
                  .map((d) => (
                    <option key={d} value={d}>
                      {d} mm
                    </option>
                  ))}
              </select>
            </label>
            <label className="inline">
              length
              <select
                aria-label="Screw length (mm)"
                disabled={!editable}
                value={plan.catalogue.lengthsMm.includes(sel.lengthMm) ? sel.lengthMm : ''}
                onChange={(e) => grade({ ...editOf(sel), targetLps: targetAtLength(sel.entryLps, sel.targetLps, Number(e.target.value)) }, 0)}
              >
                {!plan.catalogue.lengthsMm.includes(sel.lengthMm) && <option value="">{sel.lengthMm.toFixed(1)} mm (not in the catalogue)</option>}
                {plan.catalogue.lengthsMm.map((l) => (
                  <option key={l} value={l}>
                    {l} mm
                  </option>
                ))}
              </select>
            </label>
            {editable && (
              <label className="inline" title="Click on the bone surface in the 3D view to place the selected screw's entry or target there">
                pick in 3D
                <select aria-label="Pick in 3D" value={pick3d} onChange={(e) => setPick3d(e.target.value as typeof pick3d)}>
                  <option value="off">off</option>
                  <option value="entry">entry</option>
                  <option value="target">target</option>
                </select>
              </label>
            )}
            {pending.has(screwKey(sel)) && (
              <button onClick={() => setPending((m) => (m.delete(screwKey(sel)), new Map(m)))}>Undo this screw&apos;s edit</button>
            )}
          </>
        )}
        {plan && can('planning.savePlan') && (
          <>
            <input
              type="text"
              aria-label="Plan note"
              placeholder="note (optional)"
              value={note}
              maxLength={500}
              onChange={(e) => setNote(e.target.value)}
              style={{ width: 180 }}
            />
            <button
              className="primary"
              disabled={!pending.size || busy !== null || screws.some((s) => s.stale)}
              onClick={save}
              title={`Stores the ${pending.size} edited screw(s) as plan version ${(analysisPlans[0]?.version ?? 0) + 1}; version ${plan.version} stays`}
            >
              {busy === 'save' ? 'Saving…' : `Save as v${(analysisPlans[0]?.version ?? 0) + 1}`}
            </button>
          </>
        )}
        <label className="inline">
          bone opacity
          <input
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={boneOpacity}
            aria-label="Bone opacity"
            onChange={(e) => setBoneOpacity(Number(e.target.value))}
          />
        </label>
      </div>
      <div className="screw-views">
        <figure className="probe-view">
          <figcaption>3D: bone (translucent), screws by grade{pick3d !== 'off' ? ` — click the bone to place the ${pick3d}` : ''}</figcaption>
          <div className="screw-3d" ref={threeRef} data-testid="screws-3d" />
        </figure>
        {sel && voxels && plan ? (
          <ProbeEye
            key={screwKey(sel)}
            voxels={voxels}
            geometry={geometry}
            entry={sel.entryLps}
            target={sel.targetLps}
            diameterMm={sel.diameterMm}
            grade={sel.breach.grade}
            superior={superior}
            window={BONE_WL.window}
            level={BONE_WL.level}
            editable={editable}
            onMove={move}
            handleRef={(h) => (probeEye.current = h)}
          />
        ) : (
          <div className="notice">Select a screw in the table to see it along its axis.</div>
        )}
      </div>
      {plan && (
        <p className="muted">
          Probe&apos;s-eye: the CT ({fmtSpacing(volume.spacingMm)} voxels, trilinear) resampled on planes through the selected screw&apos;s axis (bone window W{' '}
          {BONE_WL.window} / L {BONE_WL.level}); drag the entry (white) or target (cyan) in either longitudinal view — it moves in that view&apos;s plane, is
          graded as it moves, and when let go the screw takes the nearest catalogue length. Letters give each oblique plane&apos;s nearest patient direction.
        </p>
      )}
    </div>
  );
}
