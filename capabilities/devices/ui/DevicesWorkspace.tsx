/**
 * The Devices workspace: the device host's state, connected devices (state,
 * rate, dropped frames, latency, last error; simulators and replays clearly
 * marked), discovered hardware (USB, serial; hot-plug), connect and
 * disconnect, live views of the streams (tool positions, ultrasound frames,
 * depth frames and point clouds), the UVC frame grabber, and session
 * recording of the open patient at a visit (RecordingPanel). The ultrasound
 * view may show a model's output (issue 22: "Enhancement", run in the device
 * host) with a before/after split and the model's label; recordings keep the
 * raw frames whatever is shown.
 */
import { Fragment, useCallback, useEffect, useRef, useState } from 'react';
import type { DeviceList, DeviceSpec, DeviceStatus } from '../../../electron/contract/index.js';
import { capturedInWindow, deviceFailureText, deviceHealth } from '../../../electron/contract/devices.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { splitErrorText } from '../../../renderer/app/errors.js';
import { drawDepth } from './depthView.js';
import type { StreamClient, StreamEnhance } from './streamClient.js';
import { drawGreyFrame, EnhanceLabel, EnhanceSwitch } from './EnhanceView.js';
import { openStreams } from './openStreams.js';
import { enhancedCaption, enhancementForLabel, type ShownEnhancement } from './enhanceShown.js';
import { UvcCapture, type CaptureStats } from './UvcCapture.js';
import { RecordingInput } from './RecordingInput.js';
import { RecordingPanel } from './RecordingPanel.js';
import type { OpenPatient } from '../../../renderer/app/contributions.js';
import { discoveredSpec, replaySpec } from './deviceKinds.js';
import './probe.js';

interface Props {
  client: Client;
  /** Example recordings offered for replay (from the shared data, when present). */
  recordings: { label: string; path: string }[];
  /** The example IMU recording the PicoX simulator replays (null: the simulator sends sEMG only). */
  sampleImu?: string | null;
  /** The patient open in the shell: recordings are of this patient. */
  open: OpenPatient | null;
  /** Whether the session may call a method (controls it may not use are not shown). */
  can: (method: string) => boolean;
  onError: (e: unknown) => void;
}

/**
 * A message of the device layer shown as the error banner shows one: its sentence (first line), the technical detail
 * (the lines after it) behind a Technical details toggle.
 */
function TextWithDetails({ text, testId }: { text: string; testId: string }) {
  const { sentence, detail } = splitErrorText(text);
  return (
    <div className="muted" data-testid={testId}>
      <span data-testid={`${testId}-sentence`}>{sentence}</span>
      {detail && (
        <details style={{ fontSize: 12 }}>
          <summary>Technical details</summary>
          <span style={{ whiteSpace: 'pre-wrap' }}>{detail}</span>
        </details>
      )}
    </div>
  );
}

/** The ultrasound views' width (CSS px); the device host sends display copies binned to it in device pixels. */
const US_VIEW_W = 410;

/** An ultrasound view's canvas: its width, or the panel's where narrower (the frame keeps its aspect). */
const US_CANVAS_STYLE = { width: US_VIEW_W, maxWidth: '100%', height: 'auto', background: '#000' } as const;

/** Clears a view's canvas (a device switch: nothing of the previous device stays on view). */
function clearCanvas(c: HTMLCanvasElement | null): void {
  c?.getContext('2d')?.clearRect(0, 0, c.width, c.height);
}

const fmt = (x: number | null, d = 1): string => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(d));

export function DevicesWorkspace({ client, recordings, sampleImu = null, open, can, onError }: Props) {
  const [list, setList] = useState<DeviceList | null>(null);
  const [streams, setStreams] = useState<StreamClient | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [igtlHost, setIgtlHost] = useState('127.0.0.1:18944');
  const [serverPort, setServerPort] = useState('18944');
  const [replayPath, setReplayPath] = useState(recordings[0]?.path ?? '');
  const capture = useRef<CaptureStats | null>(null);
  const imagesDrawn = useRef(0);
  const poseCanvas = useRef<HTMLCanvasElement>(null);
  const imageCanvas = useRef<HTMLCanvasElement>(null);
  const depthCanvas = useRef<HTMLCanvasElement>(null);
  const depthsDrawn = useRef(0);
  const [depthRange, setDepthRange] = useState<[number, number] | null>(null);
  const rawCanvas = useRef<HTMLCanvasElement>(null);
  const [enhance, setEnhance] = useState<StreamEnhance>({ enhance: null, raw: false });
  /** The enhancement header of the frame shown and its device (for its label; updated at most twice a second). */
  const [shownEnhancement, setShownEnhancement] = useState<ShownEnhancement | null>(null);
  /** The device whose frames the views hold (their canvases are cleared when another is shown). */
  const viewedDevice = useRef<string | null>(null);
  const enhancedDrawn = useRef(0);

  useEffect(() => {
    let live = true;
    client.call('devices', 'list').then((l) => live && setList(l), onError);
    const off = client.on('devices', 'onDidChangeDevices', (p) => setList(p as DeviceList));
    // display copies (frames binned to the views' width in device pixels): models run on them too, not on full frames;
    // recordings are written by the device host from the raw frames
    const sc = openStreams(client, { imageMaxWidth: Math.round(US_VIEW_W * (window.devicePixelRatio || 1)) });
    setStreams(sc);
    window.__orthotwinDevices = {
      received: () => sc?.received ?? 0,
      capture: () => capture.current,
      imagesDrawn: () => imagesDrawn.current,
      depthsDrawn: () => depthsDrawn.current,
      enhancedDrawn: () => enhancedDrawn.current,
    };
    return () => {
      live = false;
      off();
      sc?.close();
    };
  }, [client, onError]);

  const devices = list?.devices ?? [];
  const shown = devices.find((d) => d.id === selected) ?? devices.find((d) => !capturedInWindow(d)) ?? null;
  const shownId = shown?.id ?? null;

  // live views, drawn on the display's frame clock from the latest message
  useEffect(() => {
    // another device on view (or none: disconnected): nothing of the previous one stays, its model frame and label included
    if (viewedDevice.current !== shownId) {
      viewedDevice.current = shownId;
      clearCanvas(imageCanvas.current);
      clearCanvas(rawCanvas.current);
      setShownEnhancement(null);
    }
    if (!streams || !shownId) return;
    let raf = 0;
    let lastSeq = -1;
    let lastDepthSeq = -1;
    let lastRangeMs = 0;
    let lastRawSeq = -1;
    let lastLabelMs = 0;
    let lastLabel = '';
    const view = streams.enhance;
    const draw = (): void => {
      const dm = streams.latest(shownId, 'depth') ?? streams.latest(shownId, 'points');
      const dc = depthCanvas.current;
      if (dm && dc && dm.header.seq !== lastDepthSeq) {
        lastDepthSeq = dm.header.seq;
        const r = drawDepth(dc, dm);
        if (r) {
          depthsDrawn.current++;
          if (performance.now() - lastRangeMs > 500) {
            lastRangeMs = performance.now();
            setDepthRange(r);
          }
        }
      }
      const pose = streams.latest(shownId, 'pose');
      const pc = poseCanvas.current;
      if (pose && pc) {
        const g = pc.getContext('2d')!;
        g.fillStyle = '#0b0d10';
        g.fillRect(0, 0, pc.width, pc.height);
        g.strokeStyle = '#2c323b';
        g.strokeRect(0.5, 0.5, pc.width - 1, pc.height - 1);
        const colours = ['#4c9be8', '#e8a34c', '#5cc98b', '#d46ad8', '#e0524b', '#c9c95c', '#6ad8d4', '#aaaaaa'];
        (pose.header.poses ?? []).forEach((p, i) => {
          if (!p.matrix) return;
          // top view of the tracker volume: x right, y down, ±250 mm
          const x = pc.width / 2 + (p.matrix[3]! / 250) * (pc.width / 2);
          const y = pc.height / 2 + (p.matrix[7]! / 250) * (pc.height / 2);
          g.fillStyle = p.state === 'ok' ? colours[i % colours.length]! : '#666';
          g.beginPath();
          g.arc(x, y, 5, 0, 2 * Math.PI);
          g.fill();
          g.fillText(p.name.replace('ToTracker', ''), x + 7, y + 4);
        });
      }
      // with a model: its output (or the raw frame sent in its place, with why) in the main view, the raw frames beside it
      const img = streams.latest(shownId, 'image', !!view.enhance);
      const ic = imageCanvas.current;
      if (img && ic && img.header.seq !== lastSeq && drawGreyFrame(ic, img)) {
        lastSeq = img.header.seq;
        imagesDrawn.current++;
        if (img.header.enhancement?.applied) enhancedDrawn.current++;
        const label = JSON.stringify(img.header.enhancement ?? null);
        if (label !== lastLabel && performance.now() - lastLabelMs > 500) {
          lastLabelMs = performance.now();
          lastLabel = label;
          setShownEnhancement({ device: shownId, enhancement: img.header.enhancement ?? null });
        }
      }
      const raw = view.enhance && view.raw ? streams.latest(shownId, 'image') : undefined;
      const rc = rawCanvas.current;
      if (raw && rc && raw.header.seq !== lastRawSeq && drawGreyFrame(rc, raw)) lastRawSeq = raw.header.seq;
      raf = requestAnimationFrame(draw);
    };
    raf = requestAnimationFrame(draw);
    return () => cancelAnimationFrame(raf);
  }, [streams, shownId, enhance]);

  const chooseEnhance = (v: StreamEnhance): void => {
    setEnhance(v);
    setShownEnhancement(null);
    streams?.setEnhance(v);
  };

  const connect = useCallback(
    async (spec: DeviceSpec) => {
      setBusy(true);
      try {
        const st = await client.call('devices', 'connect', spec);
        // a device that did not start is not kept by the host: the banner says why
        if (st.state === 'failed') onError(new Error(deviceFailureText(st)));
        else setSelected(st.id);
        setList(await client.call('devices', 'list'));
      } catch (e) {
        onError(e);
      } finally {
        setBusy(false);
      }
    },
    [client, onError],
  );

  const disconnect = async (d: DeviceStatus): Promise<void> => {
    try {
      await client.call('devices', 'disconnect', d.id);
      setList(await client.call('devices', 'list'));
    } catch (e) {
      onError(e);
    }
  };

  const host = list?.host;
  const pose = shown && streams?.latest(shown.id, 'pose');
  const rec = list?.recording;

  return (
    <div className="devices" data-testid="devices-workspace">
      <section className="panel" aria-label="device host">
        <h2>Device host</h2>
        <div className="row" data-testid="device-host">
          {host ? (
            <>
              <span className={`badge ${host.state === 'running' ? 'ok' : 'warn'}`}>{host.state}</span>
              <span className="muted">
                pid {host.pid ?? '—'} · restarts {host.restarts}
                {host.lastExit ? ` · last exit: ${host.lastExit}` : ''}
              </span>
            </>
          ) : (
            <span className="muted">starting…</span>
          )}
          {!streams && <span className="muted">Live streams are not available in this window.</span>}
        </div>
        <RecordingPanel
          client={client}
          rec={rec}
          open={open}
          hasDevices={devices.length > 0}
          can={can}
          busy={busy}
          setBusy={setBusy}
          refresh={async () => setList(await client.call('devices', 'list'))}
          onError={onError}
        />
        <h2>Connect</h2>
        <div className="row">
          <button disabled={busy} onClick={() => void connect({ kind: 'ndi-simulator', model: 'aurora', tools: 4 })}>
            Simulated Aurora (4 tools)
          </button>
          <button disabled={busy} onClick={() => void connect({ kind: 'ndi-simulator', model: 'polaris', tools: 2 })}>
            Simulated Polaris
          </button>
          <button
            disabled={busy}
            title="Four sEMG + IMU sensors on the lumbar erector spinae (L4 and L2, left and right), through the PicoX bridge protocol"
            onClick={() => void connect({ kind: 'picox-simulator', sensors: 4, ...(sampleImu ? { imuPath: sampleImu } : {}) })}
          >
            Simulated PicoX (4 sEMG + IMU)
          </button>
        </div>
        <div className="row">
          <RecordingInput
            label="Recording path"
            listId="device-recordings"
            value={replayPath}
            onChange={setReplayPath}
            placeholder="PLUS sequence (.igs.mha / .igs.nrrd), depth file (.pcd / .ply / .png) or motion C3D (.c3d)"
            recordings={recordings}
          />
          <button disabled={busy || !replayPath} onClick={() => void connect(replaySpec(replayPath))}>
            Replay recording
          </button>
          <button disabled={busy} onClick={() => void connect({ kind: 'depth-simulator', fps: 30 })}>
            Simulated depth camera
          </button>
        </div>
        <div className="row">
          <input aria-label="OpenIGTLink server address" value={igtlHost} onChange={(e) => setIgtlHost(e.target.value)} style={{ width: 160 }} />
          <button
            disabled={busy}
            onClick={() => {
              const [h, p] = igtlHost.split(':');
              void connect({ kind: 'igtl-client', host: h || '127.0.0.1', port: Number(p) || 18944 });
            }}
          >
            Connect to OpenIGTLink server
          </button>
          <input aria-label="OpenIGTLink listen port" value={serverPort} onChange={(e) => setServerPort(e.target.value)} style={{ width: 70 }} />
          <button disabled={busy} onClick={() => void connect({ kind: 'igtl-server', port: Number(serverPort) || 18944 })}>
            Listen for OpenIGTLink
          </button>
        </div>
      </section>

      <section className="panel" aria-label="connected devices">
        <h2>Connected devices</h2>
        {devices.length === 0 && <div className="muted">No device connected.</div>}
        <table className="device-table" data-testid="device-table">
          <thead>
            <tr>
              <th>Device</th>
              <th>State</th>
              <th>Rate (Hz)</th>
              <th>Dropped</th>
              <th>Latency (ms)</th>
              <th>Streams</th>
              <th>Last error</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => {
              // streaming below its nominal rate or dropping frames: a warning with the measured rate and drops, never a green badge
              const health = deviceHealth(d);
              const degraded = d.state === 'streaming' && health.level === 'warn';
              return (
                <Fragment key={d.id}>
                  <tr
                    data-device={d.id}
                    data-kind={d.kind}
                    data-health={health.level}
                    className={shown?.id === d.id ? 'selected' : ''}
                    onClick={() => setSelected(d.id)}
                  >
                    <td>
                      {d.name} {d.simulated && <span className="badge sim">SIMULATED</span>}
                    </td>
                    <td>
                      <span className={`badge ${health.level === 'off' ? 'warn' : health.level}`}>{d.state}</span>{' '}
                      {degraded && <span className="badge warn">degraded</span>} <span className="muted">{d.driverState}</span>
                    </td>
                    <td data-testid={`rate-${d.id}`} title={d.nominalRateHz ? `nominal ${fmt(d.nominalRateHz, 0)} Hz` : undefined}>
                      {fmt(d.rateHz, 0)}
                    </td>
                    <td>{d.droppedRecent > 0 ? `${d.dropped} (${d.droppedRecent} in the last 5 s)` : d.dropped}</td>
                    <td>{fmt(d.latencyMs, 2)}</td>
                    <td className="muted">{d.streams.map((s) => `${s.name}: ${s.state}`).join(' · ')}</td>
                    <td className="muted" style={{ maxWidth: 260 }} title={d.lastError ?? undefined}>
                      {/* the sentence; its technical detail (further lines) in the tooltip */}
                      {d.lastError?.split('\n')[0] ?? ''}
                    </td>
                    <td>{can('devices.disconnect') && <button onClick={() => void disconnect(d)}>Disconnect</button>}</td>
                  </tr>
                  {degraded && (
                    <tr data-health-of={d.id}>
                      <td colSpan={8} role="status" data-testid={`health-${d.id}`}>
                        <span className="badge warn">warning</span> {health.text}
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </section>

      <section className="panel live" aria-label="live view">
        <h2>Live{shown ? `: ${shown.name}` : ''}</h2>
        <div className="row" style={{ alignItems: 'flex-start' }}>
          <figure>
            <canvas ref={poseCanvas} width={300} height={300} data-testid="pose-canvas" />
            <figcaption className="muted">Tool positions, tracker frame, top view (±250 mm)</figcaption>
          </figure>
          <figure hidden={!depthRange}>
            <canvas ref={depthCanvas} width={320} height={240} style={{ width: 320, background: '#000' }} data-testid="depth-canvas" />
            <figcaption className="muted" data-testid="depth-range">
              Depth, near (blue) {depthRange ? depthRange[0].toFixed(0) : '—'} mm → far (red) {depthRange ? depthRange[1].toFixed(0) : '—'} mm
            </figcaption>
          </figure>
          {/* raw | model output side by side, one above the other where the window is too narrow for both (never cut off) */}
          <div className="row" style={{ alignItems: 'flex-start', minWidth: 0, maxWidth: '100%' }} data-testid="image-views">
            {enhance.enhance && enhance.raw && (
              <figure>
                <canvas ref={rawCanvas} width={US_VIEW_W} height={308} style={US_CANVAS_STYLE} data-testid="image-canvas-raw" />
                <figcaption className="muted">Before: raw frames from the device</figcaption>
              </figure>
            )}
            <figure>
              <canvas ref={imageCanvas} width={US_VIEW_W} height={308} style={US_CANVAS_STYLE} data-testid="image-canvas" />
              <figcaption className="muted">
                {enhance.enhance
                  ? enhancedCaption(enhance.raw, enhancementForLabel(shownId, shownEnhancement), 'ultrasound frames')
                  : 'Ultrasound frames from the device'}
                {streams && <EnhanceSwitch value={enhance} onChange={chooseEnhance} testId="devices-enhance" />}
                {enhance.enhance && <EnhanceLabel enhancement={enhancementForLabel(shownId, shownEnhancement)} testId="devices-enhance-label" />}
              </figcaption>
            </figure>
          </div>
          {pose?.header.poses && (
            <table className="device-table">
              <tbody>
                {pose.header.poses.map((p) => (
                  <tr key={p.name}>
                    <td>{p.name}</td>
                    <td>{p.state}</td>
                    <td>{p.matrix ? `${fmt(p.matrix[3]!)}, ${fmt(p.matrix[7]!)}, ${fmt(p.matrix[11]!)} mm` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </section>

      <UvcCapture
        streams={streams}
        onStats={(s) => {
          capture.current = s;
        }}
        onError={onError}
      />

      <section className="panel" aria-label="discovered devices">
        <h2>Discovered hardware</h2>
        {host?.usbUnavailable && <TextWithDetails text={host.usbUnavailable} testId="usb-unavailable" />}
        <table className="device-table" data-testid="discovered-table">
          <tbody>
            {(list?.discovered ?? []).map((d) => {
              const spec = discoveredSpec(d);
              return (
                <tr key={d.id}>
                  <td>{d.bus.toUpperCase()}</td>
                  <td>{d.name}</td>
                  <td className="muted">
                    {d.vendorId !== null ? `${d.vendorId.toString(16).padStart(4, '0')}:${(d.productId ?? 0).toString(16).padStart(4, '0')}` : ''}
                  </td>
                  <td>{d.known ?? <span className="muted">unknown</span>}</td>
                  <td>
                    {spec && (
                      <button disabled={busy} onClick={() => void connect(spec)}>
                        Connect
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
            {list && list.discovered.length === 0 && (
              <tr>
                <td className="muted">No USB or serial devices found.</td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
    </div>
  );
}
