/**
 * Motion sessions of the open patient (issue 21 §7): import a trial (C3D or
 * analog CSV; an example, a picked file) for a visit, the sessions by visit,
 * and for the chosen one the plots of a channel (raw sEMG as min/max with
 * its linear envelope and the trial's events; Welch PSD with MNF and MDF;
 * MDF of 1 s windows with its least-squares line), the stored features of
 * every sEMG channel with their parameters, and the OpenSim export. A
 * depth-camera recording (a PLUS depth sequence, imported as a followed job)
 * is a session too: its trunk angles over time and stored features, and their
 * comparison with the IMU's trunk angles of a session of the same visit after
 * time alignment (lag, correlation and RMS difference per angle, both series
 * plotted). Zoom: drag across a plot or the wheel; pan: middle-drag;
 * double-click resets.
 */
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import type { Patient } from '../../patients/contract.js';
import type { RecordingRecord } from '../../devices/contract.js';
import type { AngleComparison, ChannelView, MotionFeature, MotionSession, MotionSessionDetail, TrunkAnglesView } from '../contract.js';
import type { Job } from '../../../electron/contract/index.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { JobBar } from '../../../renderer/features/jobs/JobBar.js';
import { useJob } from '../../../renderer/features/jobs/useJob.js';
import { download } from '../../../renderer/app/download.js';
import { uploadFiles } from '../../../renderer/app/upload.js';
import { wheelZoomPlugin } from './plotZoom.js';

const today = (): string => new Date().toISOString().slice(0, 10);

/** A number in the unit a clinician reads (µV, mV·s), with its unit. */
export function featureDisplay(f: Pick<MotionFeature, 'name' | 'value' | 'unit'>): { text: string; unit: string } {
  if (f.value === null) return { text: '—', unit: f.unit };
  if (f.unit === 'V') return { text: (f.value * 1e6).toFixed(1), unit: 'µV' };
  if (f.unit === 'V·s') return { text: (f.value * 1e3).toFixed(3), unit: 'mV·s' };
  if (f.unit === 'Hz/s') return { text: f.value.toFixed(2), unit: 'Hz/s' };
  return { text: f.value.toFixed(1), unit: f.unit };
}

const COLUMNS = [
  ['emg.iemg', 'IEMG (mV·s)', 'Integrated EMG of the band-passed signal'],
  ['emg.rms', 'RMS (µV)', 'Root mean square of the band-passed signal'],
  ['emg.mnf', 'MNF (Hz)', 'Mean frequency of the Welch PSD, 20–450 Hz'],
  ['emg.mdf', 'MDF (Hz)', 'Median frequency of the Welch PSD, 20–450 Hz'],
  ['emg.mdf_slope', 'MDF slope (Hz/s)', 'Least-squares slope of the MDF of 1 s windows, 0.5 s step (fatigue: negative)'],
] as const;

function plot(el: HTMLElement, opts: Omit<uPlot.Options, 'width' | 'height'>, data: uPlot.AlignedData): uPlot {
  return new uPlot(
    {
      width: Math.max(300, el.clientWidth - 10),
      height: 170,
      cursor: { drag: { x: true, y: false } },
      ...opts,
      plugins: [...(opts.plugins ?? []), wheelZoomPlugin()],
    },
    data,
    el,
  );
}
const axes = (x: string, y: string): uPlot.Axis[] => [
  { label: x, stroke: '#aaa', grid: { stroke: '#333' } },
  { label: y, stroke: '#aaa', grid: { stroke: '#333' }, size: 60 },
];

/** Vertical lines at the trial's events (s), labelled. */
function eventsPlugin(events: { label: string; timeS: number }[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const ctx = u.ctx;
        ctx.save();
        ctx.strokeStyle = '#ffd54f';
        ctx.fillStyle = '#ffd54f';
        ctx.font = `${11 * devicePixelRatio}px sans-serif`;
        for (const e of events) {
          const x = u.valToPos(e.timeS, 'x', true);
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.fillText(e.label, x + 3, u.bbox.top + 12 * devicePixelRatio);
        }
        ctx.restore();
      },
    },
  };
}

function ChannelPlots(props: { client: Client; session: MotionSessionDetail; label: string; onError(e: unknown): void }) {
  const { client, session, label, onError } = props;
  const rawEl = useRef<HTMLDivElement>(null);
  const psdEl = useRef<HTMLDivElement>(null);
  const mdfEl = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<ChannelView | null>(null);
  useEffect(() => {
    let live = true;
    setView(null);
    client.call('motion', 'channel', session.id, label, 2000).then((v) => live && setView(v), onError);
    return () => {
      live = false;
    };
  }, [client, session.id, label, onError]);
  useEffect(() => {
    if (!view || !rawEl.current || !psdEl.current || !mdfEl.current) return;
    const plots: uPlot[] = [];
    const emg = view.unit === 'V' && view.envelope;
    const k = emg ? 1e6 : 1;
    const unit = emg ? 'µV' : view.unit;
    plots.push(
      plot(
        rawEl.current,
        {
          title: `${view.label}: raw${emg ? ' (min/max per bin) and linear envelope' : ''}, ${view.rateHz} Hz`,
          scales: { x: { time: false } },
          axes: axes('s', unit),
          series: [
            { label: 't (s)' },
            { label: 'min', stroke: '#4fc3f7', width: 1 },
            { label: 'max', stroke: '#4fc3f7', width: 1 },
            ...(emg ? [{ label: 'envelope', stroke: '#ffb74d', width: 2 }] : []),
          ],
          plugins: [eventsPlugin(session.events)],
        },
        [view.raw.t, view.raw.min.map((v) => v * k), view.raw.max.map((v) => v * k), ...(emg ? [view.envelope!.map((v) => v * k)] : [])],
      ),
    );
    if (view.psd) {
      const mnf = session.features.find((f) => f.channel === label && f.name === 'emg.mnf')?.value;
      const mdf = session.features.find((f) => f.channel === label && f.name === 'emg.mdf')?.value;
      plots.push(
        plot(
          psdEl.current,
          {
            title: `Welch PSD of the band-passed signal · MNF ${mnf?.toFixed(1) ?? '—'} Hz · MDF ${mdf?.toFixed(1) ?? '—'} Hz`,
            scales: { x: { time: false } },
            axes: axes('Hz', 'µV²/Hz'),
            series: [{ label: 'f (Hz)' }, { label: 'PSD', stroke: '#81c784', width: 1 }],
            plugins: [eventsPlugin([...(mnf ? [{ label: 'MNF', timeS: mnf }] : []), ...(mdf ? [{ label: 'MDF', timeS: mdf }] : [])])],
          },
          [view.psd.f, view.psd.p.map((p) => p * 1e12)],
        ),
      );
    }
    if (view.mdf && view.mdf.t.length) {
      const { interceptHz: a, slopeHzPerS: b } = view.mdf;
      plots.push(
        plot(
          mdfEl.current,
          {
            title: `MDF of 1 s windows (0.5 s step)${b === null ? '' : ` · slope ${b.toFixed(2)} Hz/s (least squares)`}`,
            scales: { x: { time: false } },
            axes: axes('s', 'Hz'),
            series: [
              { label: 't (s)' },
              { label: 'MDF', stroke: '#e57373', width: 0, points: { show: true, size: 6 } },
              { label: 'fit', stroke: '#ba68c8', width: 1 },
            ],
          },
          [view.mdf.t, view.mdf.hz, view.mdf.t.map((t) => (a === null || b === null ? null : a + b * t))],
        ),
      );
    }
    return () => plots.forEach((p) => p.destroy());
  }, [view, session, label]);
  return (
    <div aria-label="channel plots" data-testid="session-plots" data-channel={view?.label ?? ''}>
      <div ref={rawEl} data-testid="plot-session-raw" />
      <div ref={psdEl} data-testid="plot-session-psd" />
      <div ref={mdfEl} data-testid="plot-session-mdf" />
      {!view && <p className="muted">Reading {label}…</p>}
      {view && view.envelope && !view.psd && (
        <p className="muted" data-testid="flat-channel">
          {view.label} is flat (every sample equal: an unconnected sensor): no spectrum and no fatigue trend.
        </p>
      )}
    </div>
  );
}

/** The trunk angles of a session's IMU over time (flexion, lateral bending, axial rotation). */
function TrunkAnglesPlot(props: { client: Client; session: MotionSessionDetail; onError(e: unknown): void }) {
  const { client, session, onError } = props;
  const el = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<TrunkAnglesView | null>(null);
  useEffect(() => {
    let live = true;
    client.call('motion', 'trunkAngles', session.id, 2000).then((v) => live && setView(v), onError);
    return () => {
      live = false;
    };
  }, [client, session.id, onError]);
  useEffect(() => {
    if (!view || view.reason || !el.current) return;
    const p = plot(
      el.current,
      {
        title:
          session.format === 'depth'
            ? 'Trunk angles from the depth camera: upper back relative to lower back'
            : `Trunk angles from the IMU: ${view.upper} relative to ${view.lower}`,
        scales: { x: { time: false } },
        axes: axes('s', '°'),
        series: [
          { label: 't (s)' },
          { label: 'flexion (+) / extension', stroke: '#4fc3f7', width: 1.5 },
          { label: 'lateral bending (right +)', stroke: '#ffb74d', width: 1.5 },
          { label: 'axial rotation (left +)', stroke: '#81c784', width: 1.5 },
        ],
        plugins: [eventsPlugin(session.events)],
      },
      [view.t, view.flexion, view.lateralBending, view.axialRotation],
    );
    return () => p.destroy();
  }, [view, session.events, session.format]);
  if (!view) return null;
  if (view.reason) return <p className="muted">No trunk angles: {view.reason}.</p>;
  return <div ref={el} data-testid="plot-session-trunk" />;
}

const TRUNK = [
  ['flexion', 'Flexion/extension'],
  ['lateral_bending', 'Lateral bending'],
  ['axial_rotation', 'Axial rotation'],
] as const;

/** The stored trunk ranges of motion from the IMU (degrees), with the sensors and the assumptions. */
export function TrunkTable(props: { session: MotionSessionDetail }) {
  const fs = props.session.features.filter((f) => f.name.startsWith('imu.trunk_'));
  if (!fs.length) return null;
  const v = (n: string): string => {
    const f = fs.find((x) => x.name === n);
    return f?.value == null ? '—' : f.value.toFixed(1);
  };
  const p = fs[0]!.parameters;
  return (
    <>
      <table className="features" data-testid="session-trunk">
        <thead>
          <tr>
            <th>
              Trunk angle (IMU {fs[0]!.channel}, {fs[0]!.level})
            </th>
            <th>ROM (°)</th>
            <th>Min (°)</th>
            <th>Max (°)</th>
          </tr>
        </thead>
        <tbody>
          {TRUNK.map(([k, label]) => (
            <tr key={k}>
              <td>{label}</td>
              <td className="value">{v(`imu.trunk_${k}_rom`)}</td>
              <td className="value">{v(`imu.trunk_${k}_min`)}</td>
              <td className="value">{v(`imu.trunk_${k}_max`)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">
        {fs[0]!.algorithm} v{fs[0]!.algorithmVersion}: x-io Fusion AHRS at {Number(p['imuRateHz']).toFixed(1)} Hz{p['magnetometer'] ? ' (9-axis)' : ' (6-axis)'}
        , alignment from standing still {String(p['staticFromS'])}–{Number(p['staticFromS']) + Number(p['staticS'])} s, sensors with z out of the skin. Checked
        on synthetic IMU of known movements (within 0.3° RMS); not validated on patients.
        {fs[0]!.flags.length ? ` ${fs[0]!.flags.join('; ')}.` : ''}
      </p>
    </>
  );
}

/** The stored trunk movement of a depth-camera session: ROM, extremes and peak velocity per angle, the left/right asymmetry. */
export function DepthTrunkTable(props: { session: MotionSessionDetail }) {
  const fs = props.session.features.filter((f) => f.name.startsWith('depth.trunk_'));
  if (!fs.length) return null;
  const v = (n: string): string => {
    const f = fs.find((x) => x.name === n);
    return f?.value == null ? '—' : f.value.toFixed(1);
  };
  // an index of peaks within the noise (flagged under 2° to either side) is not shown
  const asymmetry = (n: string): string => (fs.find((x) => x.name === n)?.flags.some((f) => f.startsWith('under ')) ? '—' : v(n));
  const p = fs[0]!.parameters;
  return (
    <>
      <table className="features" data-testid="session-depth-trunk">
        <thead>
          <tr>
            <th>Trunk angle (depth camera)</th>
            <th>ROM (°)</th>
            <th>Min (°)</th>
            <th>Max (°)</th>
            <th>Peak velocity (°/s)</th>
            <th title="SI = 100 (R − L) / (0.5 (R + L)) of the peaks to each side; positive = more to the right">Asymmetry (%)</th>
          </tr>
        </thead>
        <tbody>
          {TRUNK.map(([k, label]) => (
            <tr key={k}>
              <td>{label}</td>
              <td className="value">{v(`depth.trunk_${k}_rom`)}</td>
              <td className="value">{v(`depth.trunk_${k}_min`)}</td>
              <td className="value">{v(`depth.trunk_${k}_max`)}</td>
              <td className="value">{v(`depth.trunk_${k}_peak_velocity`)}</td>
              <td className="value" title={fs.find((f) => f.name === `depth.trunk_${k}_asymmetry`)?.flags.join('; ')}>
                {k === 'flexion' ? '' : asymmetry(`depth.trunk_${k}_asymmetry`)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">
        {fs[0]!.algorithm} v{fs[0]!.algorithmVersion}: the patient (person {String(p['personIndex'])} from the left) picked out of each frame, the lower and
        upper back tracked by ICP from the neutral frame {String(p['referenceFrame'])}; {String(p['framesUsed'])} of {String(p['framesTotal'])} frames used.
        Checked on simulated depth recordings of known movements (within 2°); not validated on patients.
        {fs[0]!.flags.length ? ` ${fs[0]!.flags.join('; ')}.` : ''}
      </p>
    </>
  );
}

const ANGLES = [
  ['flexion', 'Flexion/extension', '#4fc3f7'],
  ['lateralBending', 'Lateral bending', '#ffb74d'],
  ['axialRotation', 'Axial rotation', '#81c784'],
] as const;

/** A depth session's trunk angles compared with a chosen IMU session of the same visit after time alignment. */
function CompareAngles(props: { client: Client; session: MotionSessionDetail; sessions: MotionSession[]; onError(e: unknown): void }) {
  const { client, session, onError } = props;
  const el = useRef<HTMLDivElement>(null);
  const [candidates, setCandidates] = useState<MotionSession[] | null>(null);
  const [other, setOther] = useState('');
  const [result, setResult] = useState<AngleComparison | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  // the sessions of the same visit whose IMU gave trunk angles (their stored imu.trunk_ features)
  const sameVisit = props.sessions.filter(
    (s) => s.id !== session.id && s.visitDate === session.visitDate && s.visitLabel === session.visitLabel && s.channels.some((c) => c.kind === 'imu'),
  );
  const key = sameVisit.map((s) => s.id).join(',');
  useEffect(() => {
    let live = true;
    setOther('');
    setResult(null);
    setRefusal(null);
    Promise.all(sameVisit.map((s) => client.call('motion', 'session', s.id))).then(
      (ds) => live && setCandidates(sameVisit.filter((_, i) => ds[i]!.features.some((f) => f.name.startsWith('imu.trunk_')))),
      onError,
    );
    return () => {
      live = false;
    };
    // the same-visit sessions by their ids (a new list of the same sessions does not reload)
  }, [client, session.id, key]);
  useEffect(() => {
    if (!other) return;
    let live = true;
    setResult(null);
    setRefusal(null);
    client.call('motion', 'compareAngles', session.id, other).then(
      (r) => live && setResult(r),
      (e: unknown) => live && setRefusal((e as Error).message),
    );
    return () => {
      live = false;
    };
  }, [client, session.id, other]);
  useEffect(() => {
    if (!result || !el.current) return;
    const a = result.aligned;
    const p = plot(
      el.current,
      {
        title: `Depth camera (solid) and IMU (dashed) after alignment: IMU time ${result.lagS >= 0 ? '+' : '−'} ${Math.abs(result.lagS).toFixed(2)} s`,
        scales: { x: { time: false } },
        axes: axes('s (depth recording)', '°'),
        series: [
          { label: 't (s)' },
          ...ANGLES.flatMap(([, label, colour]) => [
            { label: `${label} (depth)`, stroke: colour, width: 1.5, points: { show: true, size: 4 } },
            { label: `${label} (IMU)`, stroke: colour, width: 1, dash: [6, 4] },
          ]),
        ],
      },
      [a.t, ...ANGLES.flatMap(([k]) => [a.reference[k], a.other[k]])],
    );
    return () => p.destroy();
  }, [result]);
  if (!candidates) return null;
  return (
    <div data-testid="session-compare">
      <label>
        Compare with the IMU session…{' '}
        <select aria-label="Compare with the IMU session" value={other} onChange={(e) => setOther(e.target.value)} disabled={!candidates.length}>
          <option value="">{candidates.length ? 'choose a session of this visit' : 'no session of this visit has IMU trunk angles'}</option>
          {candidates.map((s) => (
            <option key={s.id} value={s.id}>
              {s.fileName || 'trial'} · {s.durationS.toFixed(1)} s
            </option>
          ))}
        </select>
      </label>
      {refusal && (
        <p className="notice" role="alert">
          {refusal}
        </p>
      )}
      {other && !result && !refusal && <p className="muted">Aligning the angles…</p>}
      {result && (
        <>
          <table className="features" data-testid="session-compare-table">
            <thead>
              <tr>
                <th>Angle</th>
                <th title="Pearson correlation of the depth angle and the IMU angle at the lag">Correlation</th>
                <th title="Root mean square of depth − IMU at the lag">RMS difference (°)</th>
              </tr>
            </thead>
            <tbody>
              {result.perAngle.map((r) => (
                <tr key={r.angle}>
                  <td>{ANGLES.find(([k]) => k === r.angle)![1]}</td>
                  <td className="value">{r.correlation === null ? '—' : r.correlation.toFixed(3)}</td>
                  <td className="value">{r.rmsDeg === null ? '—' : r.rmsDeg.toFixed(2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted" data-testid="session-compare-lag">
            Lag {result.lagS.toFixed(3)} s (the IMU&apos;s time plus the lag is the depth recording&apos;s), correlation {result.correlation.toFixed(3)} over{' '}
            {result.samples} depth frames: normalised cross-correlation of the three angles, searched over every offset at which the recordings overlap, refined
            to 0.01 s.
          </p>
          <div ref={el} data-testid="plot-session-compare" />
        </>
      )}
    </div>
  );
}

/** The stored features of a session: one row per sEMG channel, then the symmetry indices; flags and the parameters. */
export function FeatureTable(props: { session: MotionSessionDetail; selected?: string; onSelect?(label: string): void }) {
  const { session } = props;
  const byChannel = new Map<string, MotionFeature[]>();
  for (const f of session.features)
    if (f.name.startsWith('emg.') && !f.name.startsWith('emg.symmetry')) byChannel.set(f.channel, [...(byChannel.get(f.channel) ?? []), f]);
  const symmetry = session.features.filter((f) => f.name.startsWith('emg.symmetry'));
  const first = session.features.find((f) => f.name.startsWith('emg.'));
  const params = first?.parameters ?? {};
  if (session.format === 'depth') return null;
  return (
    <>
      <table className="features" data-testid="session-features">
        <thead>
          <tr>
            <th>Channel</th>
            <th>Site</th>
            {COLUMNS.map(([, h, title]) => (
              <th key={h} title={title}>
                {h}
              </th>
            ))}
            <th>Flags</th>
          </tr>
        </thead>
        <tbody>
          {[...byChannel].map(([ch, fs]) => (
            <tr key={ch} aria-selected={props.selected === ch} className={props.selected === ch ? 'selected' : ''} onClick={() => props.onSelect?.(ch)}>
              <td>{ch}</td>
              <td>{[fs[0]!.muscle, fs[0]!.level, fs[0]!.side].filter(Boolean).join(' ') || '—'}</td>
              {COLUMNS.map(([name]) => {
                const f = fs.find((x) => x.name === name);
                return (
                  <td key={name} className="value">
                    {f ? featureDisplay(f).text : '—'}
                  </td>
                );
              })}
              <td>{[...new Set(fs.flatMap((f) => f.flags))].join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {symmetry.length > 0 && (
        <table className="features" data-testid="session-symmetry">
          <thead>
            <tr>
              <th>Level</th>
              <th>Channels (left/right)</th>
              <th title="SI = 100 (R − L) / (0.5 (R + L)); 0 = symmetric, positive = right larger">Symmetry index (%)</th>
              <th>Feature</th>
            </tr>
          </thead>
          <tbody>
            {symmetry.map((f) => (
              <tr key={f.name + f.level + f.channel}>
                <td>{f.level}</td>
                <td>{f.channel}</td>
                <td className="value">{f.value === null ? '—' : f.value.toFixed(1)}</td>
                <td>{f.name === 'emg.symmetry_rms' ? 'RMS' : 'MDF'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {first && (
        <details data-testid="session-parameters">
          <summary>
            How these were computed: {first.algorithm} v{first.algorithmVersion}, parameters
          </summary>
          <ul className="muted">
            {Object.entries(params).map(([k, v]) => (
              <li key={k}>
                {k} = {v === null ? 'none' : String(v)}
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}

export function SessionsPanel(props: {
  client: Client;
  patient: Patient;
  samples: { label: string; path: string }[];
  can(method: string): boolean;
  onError(e: unknown): void;
}) {
  const { client, patient, onError } = props;
  const [sessions, setSessions] = useState<MotionSession[] | null>(null);
  const [detail, setDetail] = useState<MotionSessionDetail | null>(null);
  const [channel, setChannel] = useState<string>('');
  const [visitDate, setVisitDate] = useState(today());
  const [visitLabel, setVisitLabel] = useState('');
  const [notch, setNotch] = useState<'' | '50' | '60'>('');
  const [sample, setSample] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [recordings, setRecordings] = useState<RecordingRecord[]>([]);
  const [started, setStarted] = useState<Job | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  const open = async (id: string): Promise<void> => {
    try {
      const d = await client.call('motion', 'session', id);
      setDetail(d);
      const firstEmg = d.channels.find((c) => c.kind === 'emg' && !d.features.some((f) => f.channel === c.label && f.flags.includes('flat')));
      setChannel(firstEmg?.label ?? d.channels[0]?.label ?? '');
    } catch (e) {
      onError(e);
    }
  };
  const reload = async (): Promise<MotionSession[]> => {
    const l = await client.call('motion', 'sessions', patient.id);
    setSessions(l);
    return l;
  };
  useEffect(() => {
    setDetail(null);
    reload().then((l) => l[0] && open(l[0].id), onError);
    // the patient's recordings made in Devices whose PicoX data (a C3D) can become a session of their visit
    if (props.can('devices.listRecordings')) client.call('devices', 'listRecordings', patient.id).then(setRecordings, onError);
  }, [client, patient.id]);
  const motionFiles = recordings.flatMap((r) =>
    r.state === 'recording' ? [] : r.files.filter((f) => f.stream === 'emg' || f.stream === 'depth').map((f) => ({ r, f })),
  );
  // a depth recording's import is a job: followed, and its session opened when it is done
  const followed = useJob(client, started?.id ?? null, (j) => {
    if (j.status === 'done' && j.resultId) void reload().then(() => open(j.resultId!), onError);
  });
  const job = followed && followed.id === started?.id ? followed : started;
  const importing = job !== null && (job.status === 'queued' || job.status === 'running');

  const importFrom = async (path: string | null, file: File | null, visit?: { date: string; label: string }): Promise<void> => {
    setBusy('Importing and computing the features…');
    try {
      const bridge = window.orthotwin as (typeof window.orthotwin & { pathForFile?(f: File): string }) | undefined;
      const p = path ?? (bridge?.pathForFile ? bridge.pathForFile(file!) : await uploadFiles(client, [file!]));
      const d = await client.call('motion', 'importTrial', {
        patientId: patient.id,
        path: p,
        visitDate: visit?.date ?? visitDate,
        visitLabel: visit?.label ?? visitLabel,
        notchHz: notch ? (Number(notch) as 50 | 60) : null,
      });
      if ('jobId' in d) setStarted(await client.call('jobs', 'get', d.jobId));
      else {
        await reload();
        await open(d.id);
      }
    } catch (e) {
      onError(e);
    } finally {
      setBusy(null);
      if (fileRef.current) fileRef.current.value = '';
    }
  };
  const exportOpenSim = async (format: 'mot' | 'sto'): Promise<void> => {
    if (!detail) return;
    try {
      const f = await client.call('motion', 'exportOpenSim', detail.id, format);
      download(f.fileName, 'text/plain', f.text);
    } catch (e) {
      onError(e);
    }
  };

  const visits = new Map<string, MotionSession[]>();
  for (const s of sessions ?? []) visits.set(`${s.visitDate}|${s.visitLabel}`, [...(visits.get(`${s.visitDate}|${s.visitLabel}`) ?? []), s]);
  const emgChannels = detail?.channels.filter((c) => c.kind === 'emg') ?? [];
  return (
    <section aria-label="motion sessions" data-testid="motion-sessions">
      {props.can('motion.importTrial') && (
        <fieldset className="row" style={{ flexWrap: 'wrap', gap: 6 }}>
          <legend>Import a trial for {patient.displayName}</legend>
          <label>
            Visit date <input type="date" aria-label="Visit date" value={visitDate} onChange={(e) => setVisitDate(e.target.value)} />
          </label>
          <label>
            Visit{' '}
            <input aria-label="Visit label" placeholder="e.g. baseline" maxLength={120} value={visitLabel} onChange={(e) => setVisitLabel(e.target.value)} />
          </label>
          <label title="Power-line notch applied before the sEMG features (none by default)">
            Notch{' '}
            <select aria-label="Notch" value={notch} onChange={(e) => setNotch(e.target.value as '' | '50' | '60')}>
              <option value="">none</option>
              <option value="50">50 Hz</option>
              <option value="60">60 Hz</option>
            </select>
          </label>
          {props.samples.length > 0 && (
            <>
              <select aria-label="Example trial" value={sample} onChange={(e) => setSample(e.target.value)}>
                <option value="">Example trial…</option>
                {props.samples.map((s) => (
                  <option key={s.path} value={s.path}>
                    {s.label}
                  </option>
                ))}
              </select>
              <button disabled={!sample || !!busy || importing} onClick={() => void importFrom(sample, null)}>
                Import example
              </button>
            </>
          )}
          <label className="button">
            Choose a C3D, CSV/TSV or depth recording…
            <input
              ref={fileRef}
              type="file"
              accept=".c3d,.csv,.tsv,.txt,.mha,.nrrd"
              aria-label="Trial file"
              hidden
              disabled={!!busy || importing}
              onChange={(e) => e.target.files?.[0] && void importFrom(null, e.target.files[0])}
            />
          </label>
          {busy && <span role="status">{busy}</span>}
          {job && (
            <div style={{ flexBasis: '100%' }}>
              <JobBar client={client} job={job} onError={onError} />
            </div>
          )}
          {motionFiles.length > 0 && (
            <div style={{ flexBasis: '100%' }} data-testid="motion-recordings">
              Recordings of this patient with sEMG/IMU or depth:{' '}
              {motionFiles.map(({ r, f }) => {
                const name = f.path.split(/[\\/]/).pop() ?? f.path;
                const done = (sessions ?? []).some((s) => s.fileName === name && s.visitDate === r.visitDate);
                return (
                  <button
                    key={f.path}
                    disabled={!!busy || importing || done}
                    title={f.path}
                    onClick={() => void importFrom(f.path, null, { date: r.visitDate, label: r.visitLabel })}
                  >
                    {done ? 'Imported: ' : 'Import '}
                    {name} · visit {r.visitDate}
                    {r.visitLabel ? ` ${r.visitLabel}` : ''}
                  </button>
                );
              })}
            </div>
          )}
        </fieldset>
      )}
      {sessions && sessions.length === 0 && <p className="notice">No motion session yet for this patient.</p>}
      {[...visits].map(([key, ss]) => (
        <div key={key} className="visit">
          <h3>
            Visit {ss[0]!.visitDate || '(date hidden)'}
            {ss[0]!.visitLabel ? ` · ${ss[0]!.visitLabel}` : ''}
          </h3>
          <ul className="sessions">
            {ss.map((s) => (
              <li key={s.id}>
                <button aria-pressed={detail?.id === s.id} onClick={() => void open(s.id)}>
                  {s.fileName || 'trial'} · {s.durationS.toFixed(1)} s ·{' '}
                  {s.format === 'depth'
                    ? `depth camera at ${s.analogHz.toFixed(1)} Hz`
                    : `${s.channels.filter((c) => c.kind === 'emg').length} sEMG at ${s.analogHz} Hz`}
                  {s.points ? ` · ${s.points} markers` : ''} · {s.featureCount} features
                  {s.simulated ? ' · SIMULATED data, not the patient’s' : ''}
                </button>
              </li>
            ))}
          </ul>
        </div>
      ))}
      {detail && (
        <div data-testid="session-detail">
          {detail.format !== 'depth' && (
            <div className="row" style={{ gap: 6, flexWrap: 'wrap' }}>
              <label>
                Channel{' '}
                <select aria-label="Channel" value={channel} onChange={(e) => setChannel(e.target.value)}>
                  {detail.channels.map((c) => (
                    <option key={c.label} value={c.label}>
                      {c.label} ({c.kind === 'emg' ? 'sEMG' : c.kind === 'imu' ? 'IMU' : 'other'}, {c.unit})
                    </option>
                  ))}
                </select>
              </label>
              <button onClick={() => void exportOpenSim('mot')} disabled={!emgChannels.length}>
                Export OpenSim .mot
              </button>
              <button onClick={() => void exportOpenSim('sto')} disabled={!emgChannels.length}>
                Export OpenSim .sto
              </button>
            </div>
          )}
          {channel && detail.format !== 'depth' && <ChannelPlots client={client} session={detail} label={channel} onError={onError} />}
          {(detail.format === 'depth' || detail.channels.some((c) => c.kind === 'imu')) && (
            <TrunkAnglesPlot key={detail.id} client={client} session={detail} onError={onError} />
          )}
          <TrunkTable session={detail} />
          <DepthTrunkTable session={detail} />
          {detail.format === 'depth' && <CompareAngles client={client} session={detail} sessions={sessions ?? []} onError={onError} />}
          {detail.format !== 'depth' && (
            <>
              <h3>sEMG features of this session (stored with the patient’s twin)</h3>
              <FeatureTable session={detail} selected={channel} onSelect={setChannel} />
              <p className="muted">
                Band-pass 20–450 Hz (Butterworth, zero phase), Welch PSD, MNF/MDF over 20–450 Hz, fatigue = slope of the MDF of 1 s windows (flagged when the
                windows are not one sustained contraction): this computation agrees with SciPy on the real shoulder trial of the example data (amplitudes within
                1e-6 relative, frequencies within 0.01 Hz). Sites: OrthoTwin's recordings carry the sensor assignment; other files, their channel names.
                Research measures, not validated for clinical decisions.
              </p>
            </>
          )}
        </div>
      )}
    </section>
  );
}
