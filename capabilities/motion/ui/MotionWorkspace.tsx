/**
 * The Motion workspace (issue 21 §7, first part): the live sEMG and IMU of a
 * PicoX system (a real bridge or the simulator, connected here or in
 * Devices), drawn with uPlot at the display's frame rate from ring buffers
 * of the device's 'emg' and 'imu' stream messages: raw sEMG of every sensor
 * (last 5 s, µV), its moving RMS over the last 30 s, the first sensor's
 * accelerometer; a body map of the electrode sites; per channel the RMS of
 * the last second, samples received and lost, battery and link. Every value
 * says where it comes from; nothing here is stored (recordings are made in
 * Devices and written as C3D).
 */
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { DeviceList, DeviceStatus } from '../../../electron/contract/devices.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { openStreams } from '../../devices/ui/openStreams.js';
import type { StreamClient } from '../../devices/ui/streamClient.js';
import { SignalBuffer } from './signalBuffer.js';
import { LIVE_MDF, contractionSlope, windowMdf, type MdfTrend } from './liveMdf.js';
import { SessionsPanel } from './SessionsPanel.js';
import type { Patient } from '../../patients/contract.js';
import { useKeptState } from '../../../renderer/app/keptState.js';
import './probe.js';

const COLOURS = ['#4fc3f7', '#ffb74d', '#81c784', '#e57373', '#ba68c8', '#fff176', '#90a4ae', '#f06292'];
const RAW_S = 5;
const RMS_S = 30;

function makePlot(el: HTMLElement, title: string, yLabel: string, labels: string[], width: number): uPlot {
  return new uPlot(
    {
      title,
      width,
      height: 150,
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [
        { label: 's', stroke: '#aaa', grid: { stroke: '#333' } },
        { label: yLabel, stroke: '#aaa', grid: { stroke: '#333' }, size: 60 },
      ],
      series: [{ label: 't (s)' }, ...labels.map((l, i) => ({ label: l, stroke: COLOURS[i % COLOURS.length]!, width: 1, spanGaps: false }))],
    },
    [[], ...labels.map(() => [])],
    el,
  );
}

/** The body map: the lumbar spine seen from behind with the electrode sites of the sensor assignment. */
function BodyMap(props: { channels: { label: string; description?: string | undefined }[] }) {
  const levels: Record<string, number> = { L1: 40, L2: 70, L3: 100, L4: 130, L5: 160 };
  return (
    <svg viewBox="0 0 160 200" width={160} height={200} role="img" aria-label="electrode sites" data-testid="body-map">
      <rect x={0} y={0} width={160} height={200} fill="#111" />
      {Object.entries(levels).map(([l, y]) => (
        <g key={l}>
          <rect x={70} y={y - 10} width={20} height={20} rx={4} fill="#555" />
          <text x={80} y={y + 4} fontSize={9} textAnchor="middle" fill="#ddd">
            {l}
          </text>
        </g>
      ))}
      <text x={20} y={195} fontSize={9} fill="#aaa">
        left
      </text>
      <text x={120} y={195} fontSize={9} fill="#aaa">
        right
      </text>
      {props.channels.map((c, i) => {
        const d = c.description ?? '';
        const level = Object.keys(levels).find((l) => d.includes(l));
        if (!level) return null;
        const x = d.includes('left') ? 45 : d.includes('right') ? 115 : 80;
        return (
          <g key={c.label}>
            <circle cx={x} cy={levels[level]} r={7} fill={COLOURS[i % COLOURS.length]} />
            <text x={x} y={levels[level]! - 10} fontSize={9} textAnchor="middle" fill="#eee">
              {c.label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** The Motion workspace: the open patient's sessions (SessionsPanel) or the live signals (LiveMotion). */
export function MotionWorkspace(props: {
  client: Client;
  patient: Patient | null;
  sampleImu: string | null;
  sampleTrials: { label: string; path: string }[];
  can(method: string): boolean;
  onError(e: unknown): void;
}) {
  const [tab, setTab] = useKeptState<'recorded' | 'live'>('motion.tab', 'recorded');
  return (
    <div className="motion-workspace">
      <div className="row" role="tablist" aria-label="Motion views" style={{ gap: 4, padding: '6px 10px 0' }}>
        <button role="tab" aria-selected={tab === 'recorded'} onClick={() => setTab('recorded')}>
          Sessions
        </button>
        <button role="tab" aria-selected={tab === 'live'} onClick={() => setTab('live')}>
          Live
        </button>
      </div>
      {tab === 'recorded' ? (
        props.patient ? (
          <div style={{ padding: 10 }}>
            <SessionsPanel
              key={props.patient.id}
              client={props.client}
              patient={props.patient}
              samples={props.sampleTrials}
              can={props.can}
              onError={props.onError}
            />
          </div>
        ) : (
          <div className="notice">Open a patient to see and import their motion sessions.</div>
        )
      ) : (
        <LiveMotion client={props.client} sampleImu={props.sampleImu} can={props.can} onError={props.onError} />
      )}
    </div>
  );
}

/** Live sEMG and IMU of the streaming PicoX device (nothing stored here). */
function LiveMotion(props: { client: Client; sampleImu: string | null; can(method: string): boolean; onError(e: unknown): void }) {
  const { client, onError } = props;
  const [list, setList] = useState<DeviceList | null>(null);
  const [streams, setStreams] = useState<StreamClient | null>(null);
  const [busy, setBusy] = useState(false);
  const [table, setTable] = useState<
    { label: string; description: string; rmsUv: number | null; received: number; lost: number; slope: ReturnType<typeof contractionSlope> }[]
  >([]);
  const mdfEl = useRef<HTMLDivElement>(null);
  const trends = useRef<MdfTrend[]>([]);
  const rawEl = useRef<HTMLDivElement>(null);
  const rmsEl = useRef<HTMLDivElement>(null);
  const imuEl = useRef<HTMLDivElement>(null);
  const stats = useRef({ draws: 0, frameTimes: [] as number[], drawMs: [] as number[], received: 0, lost: 0, channels: [] as string[] });

  useEffect(() => {
    let live = true;
    client.call('devices', 'list').then((l) => live && setList(l), onError);
    const off = client.on('devices', 'onDidChangeDevices', (p) => setList(p as DeviceList));
    // no image is shown here: image streams of other devices (an ultrasound replay) come as small binned copies
    const sc = openStreams(client, { imageMaxWidth: 64 });
    setStreams(sc);
    window.__orthotwinMotion = {
      fps: () => {
        const t = stats.current.frameTimes;
        return t.length > 1 ? ((t.length - 1) * 1000) / (t.at(-1)! - t[0]!) : 0;
      },
      draws: () => stats.current.draws,
      drawMsP95: () => {
        const d = [...stats.current.drawMs].sort((a, b) => a - b);
        return d.length ? d[Math.min(d.length - 1, Math.floor(d.length * 0.95))]! : 0;
      },
      received: () => stats.current.received,
      lost: () => stats.current.lost,
      channels: () => stats.current.channels,
      mdfTrend: () =>
        stats.current.channels.map((label, c) => {
          const tr = trends.current[c];
          const s = tr ? contractionSlope(tr) : null;
          return { label, windows: tr?.mdfHz.filter((v) => v !== null).length ?? 0, slopeHzPerS: s?.slopeHzPerS ?? null, contractionWindows: s?.windows ?? 0 };
        }),
    };
    return () => {
      live = false;
      off();
      sc?.close();
    };
  }, [client, onError]);

  const device: DeviceStatus | null = list?.devices.find((d) => d.provides.includes('emg') && d.state === 'streaming') ?? null;

  // buffers filled from every message of the device (not only the latest), plots redrawn on the frame clock
  useEffect(() => {
    if (!streams || !device || !rawEl.current || !rmsEl.current || !imuEl.current || !mdfEl.current) return;
    let mdfPlot: uPlot | null = null;
    let nextWindowEnd = -1;
    trends.current = [];
    let emg: SignalBuffer | null = null;
    let imu: SignalBuffer | null = null;
    let raw: uPlot | null = null;
    let rmsPlot: uPlot | null = null;
    let imuPlot: uPlot | null = null;
    const rmsHistory: { t: number[]; ys: (number | null)[][] } = { t: [], ys: [] };
    let lastRmsMs = 0;
    let lastTableMs = 0;
    let drawnEmg = -1;
    let drawnImu = -1;
    const off = streams.onMessage((m) => {
      if (m.header.device !== device.id) return;
      if (m.header.stream === 'emg') {
        if (!emg || !emg.fits(m.header)) emg = new SignalBuffer(m.header, RAW_S + 1);
        emg.add(m.header, m.payload);
      } else if (m.header.stream === 'imu') {
        if (!imu || !imu.fits(m.header)) imu = new SignalBuffer(m.header, RAW_S + 1);
        imu.add(m.header, m.payload);
      }
    });
    const width = (): number => Math.max(300, (rawEl.current?.clientWidth ?? 600) - 10);
    let raf = 0;
    const draw = (now: number): void => {
      raf = requestAnimationFrame(draw);
      const s = stats.current;
      s.frameTimes.push(now);
      while (s.frameTimes.length > 120) s.frameTimes.shift();
      const e = emg as SignalBuffer | null;
      // redrawn when a block came (every 50 ms at most), on the display's frame clock
      if (!e || e.next === drawnEmg) return;
      drawnEmg = e.next;
      const t0 = performance.now();
      const labels = e.channels.map((c) => c.label);
      if (!raw) raw = makePlot(rawEl.current!, 'sEMG, raw (last 5 s)', 'µV', labels, width());
      if (!rmsPlot) {
        rmsPlot = makePlot(rmsEl.current!, 'sEMG, moving RMS over 250 ms (last 30 s)', 'µV', labels, width());
        rmsHistory.ys = labels.map(() => []);
      }
      const w = e.window(Math.round(RAW_S * e.rateHz), width());
      raw.setData([w.t, ...w.ys.map((y) => y.map((v) => v * 1e6))]);
      if (now - lastRmsMs >= 100) {
        lastRmsMs = now;
        const r = e.rms(0.25);
        const tNow = e.next / e.rateHz;
        rmsHistory.t.push(tNow);
        r.forEach((v, c) => rmsHistory.ys[c]!.push(v === null ? null : v * 1e6));
        while (rmsHistory.t.length && rmsHistory.t[0]! < tNow - RMS_S) {
          rmsHistory.t.shift();
          for (const y of rmsHistory.ys) y.shift();
        }
        rmsPlot.setData([rmsHistory.t.map((t) => t - tNow), ...rmsHistory.ys] as uPlot.AlignedData);
      }
      // the live fatigue trend: each channel's MDF of the last 1 s, every 0.5 s of signal (liveMdf.ts)
      const win = Math.round(LIVE_MDF.windowS * e.rateHz),
        stepN = Math.round(LIVE_MDF.stepS * e.rateHz);
      if (nextWindowEnd < 0) nextWindowEnd = Math.max(win, Math.ceil(e.next / stepN) * stepN);
      let newWindows = false;
      while (e.next >= nextWindowEnd) {
        const xs = e.samples(nextWindowEnd, win);
        labels.forEach((_, c) => {
          const tr = (trends.current[c] ??= { t: [], mdfHz: [], rmsV: [] });
          const w = xs ? windowMdf(xs[c]!, e.rateHz) : null;
          tr.t.push(nextWindowEnd / e.rateHz);
          tr.mdfHz.push(w?.mdfHz ?? null);
          tr.rmsV.push(w?.rmsV ?? null);
          while (tr.t.length > 120) (tr.t.shift(), tr.mdfHz.shift(), tr.rmsV.shift());
        });
        nextWindowEnd += stepN;
        newWindows = true;
      }
      if (newWindows && trends.current[0]) {
        if (!mdfPlot) mdfPlot = makePlot(mdfEl.current!, 'sEMG median frequency: 1 s windows every 0.5 s (last 60 s)', 'Hz', labels, width());
        const tNow = e.next / e.rateHz;
        mdfPlot.setData([trends.current[0].t.map((t) => t - tNow), ...trends.current.map((tr) => tr.mdfHz)] as uPlot.AlignedData);
      }
      const i = imu as SignalBuffer | null;
      if (i && i.next !== drawnImu) {
        drawnImu = i.next;
        if (!imuPlot) imuPlot = makePlot(imuEl.current!, `IMU of ${labels[0] ?? 'sensor 1'}: accelerometer (last 5 s)`, 'g', ['x', 'y', 'z'], width());
        const wi = i.window(Math.round(RAW_S * i.rateHz), width());
        imuPlot.setData([wi.t, wi.ys[0] ?? [], wi.ys[1] ?? [], wi.ys[2] ?? []]);
      }
      s.draws++;
      s.drawMs.push(performance.now() - t0);
      while (s.drawMs.length > 200) s.drawMs.shift();
      s.received = e.received;
      s.lost = e.lost;
      s.channels = labels;
      if (now - lastTableMs >= 500) {
        lastTableMs = now;
        const r1 = e.rms(1);
        setTable(
          e.channels.map((c, k) => ({
            label: c.label,
            description: c.description ?? '',
            rmsUv: r1[k] === null ? null : r1[k]! * 1e6,
            received: e.received,
            lost: e.lost,
            slope: trends.current[k] ? contractionSlope(trends.current[k]) : null,
          })),
        );
      }
    };
    raf = requestAnimationFrame(draw);
    return () => {
      cancelAnimationFrame(raf);
      off();
      raw?.destroy();
      rmsPlot?.destroy();
      imuPlot?.destroy();
      mdfPlot?.destroy();
    };
  }, [streams, device?.id]);

  const connect = async (): Promise<void> => {
    setBusy(true);
    try {
      await client.call('devices', 'connect', { kind: 'picox-simulator', sensors: 4, ...(props.sampleImu ? { imuPath: props.sampleImu } : {}) });
      setList(await client.call('devices', 'list'));
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="motion" style={{ display: 'grid', gridTemplateColumns: 'minmax(0, 1fr) 260px', gap: 10, padding: 10, overflow: 'auto' }}>
      <section aria-label="live signals">
        {!device && (
          <div className="notice" role="status">
            No sEMG device is streaming. Connect a PicoX system in Devices (its bridge address), or{' '}
            {props.can('devices.connect') && (
              <button disabled={busy} onClick={() => void connect()}>
                Connect the PicoX simulator (4 sensors)
              </button>
            )}
          </div>
        )}
        {device && (
          <p className="muted" data-testid="motion-source">
            {device.name}
            {device.simulated ? ' — SIMULATED data, not the patient’s' : ''} · sEMG {device.nominalRateHz ?? '?'} Hz, {device.rateHz} samples/s per channel
            measured
          </p>
        )}
        <div ref={rawEl} data-testid="plot-raw" />
        <div ref={rmsEl} data-testid="plot-rms" />
        <div ref={mdfEl} data-testid="plot-mdf" />
        <div ref={imuEl} data-testid="plot-imu" />
      </section>
      <aside className="panel" aria-label="motion features">
        <h2>Electrode sites</h2>
        <BodyMap channels={table.map((t) => ({ label: t.label, description: t.description }))} />
        <h2>Live sEMG</h2>
        <table className="features" data-testid="motion-table">
          <thead>
            <tr>
              <th>Channel</th>
              <th>Site</th>
              <th title="Root mean square of the raw sEMG over the last second">RMS 1 s (µV)</th>
              <th title="Least-squares slope of the MDF of 1 s windows over the last contraction (windows with RMS ≥ 30 % of the largest); negative = fatigue">
                MDF slope, last contraction (Hz/s · windows)
              </th>
            </tr>
          </thead>
          <tbody>
            {table.map((t) => (
              <tr key={t.label}>
                <td>{t.label}</td>
                <td>{t.description}</td>
                <td className="value">{t.rmsUv === null ? '—' : t.rmsUv.toFixed(1)}</td>
                <td
                  className="value"
                  title={t.slope ? `${t.slope.windows} windows, ${t.slope.fromS.toFixed(1)}–${t.slope.toS.toFixed(1)} s` : 'fewer than 4 active windows'}
                >
                  {t.slope ? `${t.slope.slopeHzPerS.toFixed(2)} · ${t.slope.windows}` : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {table[0] && (
          <p className="muted" data-testid="motion-counts">
            {table[0].received.toLocaleString()} samples per channel received on this screen, {table[0].lost.toLocaleString()} not delivered to it (the
            recording keeps every sample)
          </p>
        )}
        {device && (
          <ul className="muted" style={{ paddingLeft: 16 }}>
            {device.streams.map((s) => (
              <li key={s.name}>{s.name}</li>
            ))}
          </ul>
        )}
        <p className="muted">
          Raw sEMG as the sensors send it; RMS is computed here from the raw samples. The median frequency uses the stored features' method on each 1 s window
          (band-pass 20–450 Hz zero phase, Welch 1024/512, MDF 20–450 Hz); its slope over a contraction falls with fatigue. Stored features come from a recorded
          or imported session (Sessions). Not validated for clinical decisions.
        </p>
      </aside>
    </div>
  );
}
