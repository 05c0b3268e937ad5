/**
 * The live US–MR/CT fusion workspace. The real-time path — stream messages,
 * pose histories, the frame scheduler, the reslice (GPU vtk.js or CPU), the
 * overlay, NCC, latency stamping, the cine buffer and the 3D view — is the
 * fusion loop (live/fusionLoop.ts); this component creates it, passes it the
 * settings of its controls, mounts the views it draws into and shows what it
 * reports. Freeze stops on a frame; the cine slider goes back through the last
 * seconds. Each shown frame's NCC with the reslice and the
 * tracker-sample-to-screen latency are exposed on `window.__orthotwinFusion`.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useKeptState } from '../../../renderer/app/keptState.js';
import type { DeviceList } from '../../../electron/contract/index.js';
import { toolPairRefusal, type CalibrationRecord, type FusionSession, type Registration } from '../contract.js';
import type { Patient } from '../../patients/contract.js';
import type { StudyRecord } from '../../studies/contract.js';
import type { Twin } from '../../twins/contract.js';
import { deviceFailureText, deviceHealth, modelOutputName, trackerSources, ultrasoundSources } from '../../../electron/contract/devices.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { landmarkPair, type ColourMap, type LandmarkPair, type PatientFrame } from './fusionMath.js';
import { FusedViews } from './FusedViews.js';
import { EnhanceLabel, EnhanceSwitch } from '../../devices/ui/EnhanceView.js';
import type { StreamEnhance } from '../../devices/ui/streamClient.js';
import { FusionSetupPanel } from './FusionSetupPanel.js';
import { FusionStatusLine } from './FusionStatusLine.js';
import { toolTracker, type FusionStats } from './live/fusionLoop.js';
import { installFusionProbe } from './live/fusionPageProbe.js';
import { createLiveFusion, VIEW_W, type ResliceChoice } from './live/fusionViews.js';
import { OverlayControls } from './OverlayControls.js';
import { priorVolumes } from './priorVolumes.js';
import { SessionPanel } from './SessionPanel.js';
import { TreLegend } from './TreLegend.js';
import { TreTool } from './TreTool.js';
import { FusionPatientBanner } from './FusionPatientBanner.js';
import { useField, useKeptField } from './useField.js';
import './probe.js';

interface Props {
  client: Client;
  patient: Patient | null;
  studies: StudyRecord[];
  twins: Twin[];
  recordings: { label: string; path: string }[];
  /** Depth captures offered for the skin registration (sample data, recordings). */
  captures: { label: string; path: string }[];
  onError: (e: unknown) => void;
}

const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const NO_STATS: FusionStats = {
  shown: 0,
  ncc: NaN,
  p50: NaN,
  p95: NaN,
  dropped: 0,
  untracked: 0,
  tools: [],
  toolsByDevice: [],
  frameDevice: null,
  refused: 0,
  cineLength: 0,
  predictedAtPlaneMm: NaN,
  enhancement: null,
};

/** The Fusion workspace: drives the live fusion loop and lays out its setup, session, status, views and controls. */
export function FusionWorkspace({ client, patient, studies, twins, recordings, captures, onError }: Props) {
  const volumes = useMemo(() => priorVolumes(studies), [studies]);
  // kept while another workspace is shown (the shell unmounts this one): the chosen volume per patient, the setup
  // name for the session — a fresh mount started again from the first volume and "default" (issue 20 §2)
  const [seriesId, setSeriesId] = useKeptState<string>(`fusion.series.${patient?.id ?? ''}`, '');
  const prior = volumes.find((v) => v.series.id === seriesId) ?? volumes[0] ?? null;
  const setup = useKeptField('fusion.setup', 'default');
  const [calibrations, setCalibrations] = useState<CalibrationRecord[]>([]);
  const [devices, setDevices] = useState<DeviceList | null>(null);
  const usDevice = useField('');
  const probeTool = useField('ProbeToTracker');
  const referenceTool = useField('ReferenceToTracker');
  const replayPath = useField(recordings[0]?.path ?? '');
  const replaySpeed = useField('1');
  const opacity = useField(0.5);
  const colourMap = useField<ColourMap>('hot');
  const edgesOnly = useField(false);
  const [frozen, setFrozen] = useState(false);
  const [cineIndex, setCineIndex] = useState(0);
  const [cineLength, setCineLength] = useState(0);
  const [ready, setReady] = useState(false);
  const [stats, setStats] = useState<FusionStats>(NO_STATS);
  const [aspect, setAspect] = useState(0.75);
  const backendChoice = useField<ResliceChoice>('auto');
  const [backend, setBackend] = useState<'gpu' | 'cpu' | null>(null);
  const [treMode, setTreMode] = useState(false);
  const [pendingUs, setPendingUs] = useState<[number, number] | null>(null);
  const [pairs, setPairs] = useState<LandmarkPair[]>([]);
  const registration = useField<Registration | null>(null);
  /** The recorded session being replayed (its calibrations and registration are used), and the one being recorded. */
  const session = useField<FusionSession | null>(null);
  const recordingSession = useField<FusionSession | null>(null);
  const sessionPath = useField('');
  const [savedPairs, setSavedPairs] = useState(0);

  const usCanvas = useRef<HTMLCanvasElement>(null);
  const overlayCanvas = useRef<HTMLCanvasElement>(null);
  const resliceBox = useRef<HTMLDivElement>(null);
  const threeDBox = useRef<HTMLDivElement>(null);
  const rawCanvas = useRef<HTMLCanvasElement>(null);
  /** The ultrasound view's enhancement (issue 22): the model fused, and the raw frames beside it. */
  const [enhance, setEnhance] = useState<StreamEnhance>({ enhance: null, raw: false });
  const [live] = useState(() =>
    createLiveFusion(
      {
        ultrasound: () => usCanvas.current,
        overlay: () => overlayCanvas.current,
        reslice: () => resliceBox.current,
        threeD: () => threeDBox.current,
        raw: () => rawCanvas.current,
      },
      {
        onAspect: setAspect,
        onStats: (s) => {
          setStats(s);
          setCineLength(s.cineLength);
        },
      },
    ),
  );
  const { loop, views } = live;

  const inUse = session.value ? session.value.calibrations : calibrations;
  const imageToProbe = inUse.find((c) => c.kind === 'ImageToProbe' && c.fromFrame === 'Image' && c.toFrame === 'Probe') ?? null;
  const cameraToTracker = inUse.find((c) => c.kind === 'CameraToTracker' && c.matrix) ?? null;
  const temporalOffset = inUse.find((c) => c.kind === 'TemporalOffset' && c.valueMs !== null) ?? null;
  const reg = registration.value;
  // the patient frame: through the depth camera when a registration is chosen (it needs the camera ↔ tracker calibration), else the reference tool or the tracker
  const patientFrame: PatientFrame | null = reg
    ? cameraToTracker
      ? { kind: 'camera', cameraToTracker: cameraToTracker.matrix!, cameraToVolume: reg.matrix }
      : null
    : referenceTool.value
      ? { kind: 'reference', referenceToVolume: IDENTITY }
      : { kind: 'tracker' };
  // the probe / reference pair: refused (said here, and the loop places no frame) when the chain goes through the
  // reference tool and it is the probe tool, or tracked by another tracker than the probe (the trackers as the loop
  // takes them for the source's frames: the source's own tools first); through the depth camera the reference is not used
  const frameDevice = usDevice.value || stats.frameDevice;
  const trackerOf = (tool: string) => {
    const id = toolTracker(stats.toolsByDevice, tool, frameDevice);
    return id ? { id, name: devices?.devices.find((d) => d.id === id)?.name ?? id } : null;
  };
  const toolRefusal = toolPairRefusal({
    probeTool: probeTool.value,
    referenceTool: referenceTool.value,
    throughReference: patientFrame?.kind === 'reference',
    probeTracker: trackerOf(probeTool.value),
    referenceTracker: trackerOf(referenceTool.value),
  });
  // the loop reads the settings when it fuses or draws a frame: always those of the last render
  loop.configure({
    opacity: opacity.value,
    colourMap: colourMap.value,
    edgesOnly: edgesOnly.value,
    probeTool: probeTool.value,
    referenceTool: referenceTool.value,
    usDevice: usDevice.value,
    frozen,
    patientFrame,
    registration: reg,
    imageToProbe: imageToProbe?.matrix ?? null,
    enhance: enhance.enhance,
  });
  const chooseEnhance = (v: StreamEnhance): void => {
    setEnhance(v);
    live.setEnhance(v);
  };

  // calibrations of the setup
  const refreshCalibrations = useCallback(() => {
    // a setup name being typed may be empty for a moment: no setup, no calibrations (not an error)
    if (!setup.value.trim()) return setCalibrations([]);
    client.call('calibrations', 'current', setup.value).then(setCalibrations, onError);
  }, [client, setup.value, onError]);
  useEffect(() => refreshCalibrations(), [refreshCalibrations]);

  // the loop fuses arriving frames and reports its status while the workspace is mounted
  useEffect(() => {
    loop.start();
    return () => loop.stop();
  }, [loop]);

  // devices and the streams
  useEffect(() => {
    let on = true;
    client.call('devices', 'list').then((l) => on && setDevices(l), onError);
    const off = client.on('devices', 'onDidChangeDevices', setDevices);
    const disconnect = live.connect(client);
    return () => {
      on = false;
      off();
      disconnect();
    };
  }, [client, onError, live]);

  // the prior volume and its views
  useEffect(() => {
    if (!prior) return;
    let cancelled = false;
    setReady(false);
    views
      .openVolume({
        client,
        volume: prior.volume,
        modality: prior.series.modality,
        twins,
        backend: backendChoice.value,
        cancelled: () => cancelled,
        onBackend: setBackend,
      })
      .then((ok) => ok && setReady(true))
      .catch(onError);
    return () => {
      cancelled = true;
      live.closeVolume();
    };
  }, [client, prior?.volume.id, prior?.series.modality, twins, backendChoice.value, onError, live]);

  useEffect(() => views.resize(), [aspect, ready, views]);

  // page state for tests and service engineers
  useEffect(() => installFusionProbe(live, ready), [ready, live]);

  // re-render a frozen frame when an option changes; cine review
  useEffect(() => {
    if (frozen) loop.showCine(cineIndex);
  }, [frozen, cineIndex, opacity.value, colourMap.value, edgesOnly.value, loop]);

  // the predicted-TRE map of the registration on the skin
  const treRangeMm = reg ? Math.max(3, Math.ceil(4 * reg.predictedTreMm)) : 0;
  useEffect(() => {
    if (ready) views.showTreMap(reg, treRangeMm);
  }, [ready, reg, treRangeMm, views]);
  // a registration belongs to one patient image: forget it when another prior volume is chosen
  const priorSeriesId = prior?.series.id;
  const setRegistration = registration.set;
  useEffect(() => setRegistration((r) => (r && r.seriesId === priorSeriesId ? r : null)), [priorSeriesId]);
  // landmarks were placed through one volume, registration and calibration chain: any change makes them wrong, so they go
  const chain = [prior?.volume.id, reg?.id, imageToProbe?.id, cameraToTracker?.id, temporalOffset?.id].join('|');
  const [chainSeen, setChainSeen] = useState(chain);
  const [staleNotice, setStaleNotice] = useState<string | null>(null);
  if (chain !== chainSeen) {
    setChainSeen(chain);
    if (pairs.length || pendingUs) {
      setStaleNotice(
        `${pairs.length} TRE landmark pair${pairs.length === 1 ? '' : 's'} cleared: the volume, the registration or a calibration changed since they were placed${savedPairs ? ' (those saved stay with their registration)' : ''}.`,
      );
      setPairs([]);
      setSavedPairs(0);
      setPendingUs(null);
    }
  }
  // the prior volume is in the patient's image frame: without a registration it is not placed in the tracker's frame
  const unplaced = !reg && prior !== null && !prior.volume.nominalGeometry;

  /** TRE tool, on a frozen frame: a click in the ultrasound, then the same point in the reslice. */
  const markUs = (px: [number, number] | null): void => {
    if (treMode && frozen) setPendingUs(px);
  };
  const markVolume = (px: [number, number] | null): void => {
    const m = loop.lastFrame?.imageToVolume;
    if (!treMode || !frozen || !pendingUs || !m || !px) return;
    setPairs((ps) => [...ps, landmarkPair(m, pendingUs, px)]);
    setPendingUs(null);
  };

  const saveLandmarks = async (): Promise<void> => {
    if (!reg || !prior) return;
    try {
      const r = await client.call(
        'registrations',
        'addLandmarks',
        reg.id,
        pairs.slice(savedPairs).map((p) => ({ ultrasoundLps: p.usMm, volumeLps: p.volumeMm, volumeId: prior.volume.id })),
      );
      setRegistration(r);
      setSavedPairs(pairs.length);
    } catch (e) {
      onError(e);
    }
  };

  const applyTemporalOffset = async (): Promise<void> => {
    if (!temporalOffset || !usDevice.value) return;
    try {
      await client.call('devices', 'setTimeOffset', usDevice.value, temporalOffset.valueMs!);
      setDevices(await client.call('devices', 'list'));
    } catch (e) {
      onError(e);
    }
  };

  /** Connects a recording as a looping replay device and makes it the ultrasound source. */
  const replayAsSource = async (path: string, speed: number): Promise<void> => {
    try {
      const st = await client.call('devices', 'connect', { kind: 'replay', path, loop: true, speed });
      // a replay that did not start is not kept by the host and never becomes the source: the banner says why
      if (st.state === 'failed') return onError(new Error(deviceFailureText(st)));
      // the list that has it, and it as the source, in one render
      const list = await client.call('devices', 'list');
      setDevices(list);
      usDevice.set(st.id);
    } catch (e) {
      onError(e);
    }
  };

  /** A recorded session replays with its own volume, registration and tools. */
  const sessionOpened = (s: FusionSession, series: string): void => {
    session.set(s);
    setSeriesId(series);
    setRegistration(s.registration);
    probeTool.set(s.probeTool);
    referenceTool.set(s.referenceTool);
  };

  const freeze = (): void => {
    if (!frozen) setCineIndex(Math.max(0, loop.cine.length - 1));
    setCineLength(loop.cine.length);
    setFrozen(!frozen);
  };

  // the ultrasound sources: devices providing ultrasound / video frames (never a tracker, depth camera or point-cloud
  // file; not a window's UVC capture; not one that failed)
  const sources = ultrasoundSources(devices?.devices ?? []);
  const viewH = Math.round(VIEW_W * aspect);
  // the devices the fusion takes its data from that are not streaming as set (degraded, reconnecting): the trackers
  // (tool poses) and the ultrasound source in use (any, when none is chosen)
  const feeding = [...trackerSources(devices?.devices ?? []), ...sources.filter((d) => !usDevice.value || d.id === usDevice.value)];
  const unwell = [...new Map(feeding.map((d) => [d.id, d])).values()]
    .map((d) => ({ d, health: deviceHealth(d) }))
    .filter(({ health }) => health.level === 'warn' || health.level === 'bad');
  // a source that went away (disconnected, failed) is no longer the source: back to any ultrasound source
  const sourceGone = devices !== null && usDevice.value !== '' && !sources.some((d) => d.id === usDevice.value);
  const setUsDevice = usDevice.set;
  // (after 2 s: a device-list event sent before the source was connected can arrive after it and must not drop it)
  useEffect(() => {
    if (!sourceGone) return;
    const t = setTimeout(() => setUsDevice(''), 2000);
    return () => clearTimeout(t);
  }, [sourceGone, setUsDevice]);

  const banner = <FusionPatientBanner patient={patient} prior={prior} studies={studies} replaying={!!session.value} />;
  // without a patient or a volume nothing is offered that could start (no source, recording or replay)
  if (!patient)
    return (
      <>
        {banner}
        <div className="notice">Open a patient with an MR, CT or 3D ultrasound volume to fuse the live ultrasound with it.</div>
      </>
    );
  if (!prior)
    return (
      <>
        {banner}
        <div className="notice">This patient has no volume yet: import the MR, CT or 3D ultrasound to fuse with.</div>
      </>
    );

  return (
    <>
      {banner}
      <div className="fusion" data-testid="fusion-workspace">
        <FusionSetupPanel
          client={client}
          patientId={patient.id}
          onError={onError}
          volumes={volumes}
          prior={prior}
          onSeries={setSeriesId}
          setup={setup}
          calibrations={calibrations}
          onCalibrationsChanged={refreshCalibrations}
          imageToProbe={imageToProbe}
          cameraToTracker={cameraToTracker}
          temporalOffset={temporalOffset}
          sources={sources}
          usDevice={usDevice}
          probeTool={probeTool}
          referenceTool={referenceTool}
          tools={stats.tools}
          toolRefusal={toolRefusal}
          referenceUsed={!reg}
          twins={twins.filter((t) => t.seriesId === prior.series.id && t.artefacts.some((a) => a.kind === 'skin-mesh'))}
          registration={registration}
          captures={captures}
          recordings={recordings}
          replayPath={replayPath}
          replaySpeed={replaySpeed}
          onReplay={replayAsSource}
          onApplyOffset={applyTemporalOffset}
        />
        <SessionPanel
          client={client}
          onError={onError}
          session={session}
          recording={recordingSession}
          sessionPath={sessionPath}
          recordedFrames={devices?.recording.frames ?? 0}
          context={{
            patientId: patient.id,
            priorVolumeId: prior.volume.id,
            setup: setup.value,
            registrationId: reg?.id ?? null,
            ultrasoundDevice: usDevice.value,
            probeTool: probeTool.value,
            referenceTool: referenceTool.value,
          }}
          volumes={volumes}
          onOpened={sessionOpened}
          onReplay={replayAsSource}
        />
        <section className="panel" aria-label="fused views">
          {unplaced && (
            <div className="error" role="alert" data-testid="fusion-unregistered">
              No patient registration: the {prior.series.modality === 'OT' ? 'volume' : prior.series.modality} is in the patient's image coordinates, not the
              tracker's, so the reslice below does not show the anatomy under the probe (it is black where the plane misses the volume). Register the patient
              (depth camera to the skin) or choose a registration above.
            </div>
          )}
          {staleNotice && (
            <div className="notice" role="status" data-testid="fusion-stale">
              {staleNotice} <button onClick={() => setStaleNotice(null)}>Dismiss</button>
            </div>
          )}
          {unwell.length > 0 && (
            <div className="notice" role="status" data-testid="fusion-device-health">
              {unwell.map(({ d, health }) => (
                <div key={d.id} data-device={d.id} data-health={health.level}>
                  <span className={`badge ${health.level}`}>{health.label}</span> {health.text}
                </div>
              ))}
            </div>
          )}
          <FusionStatusLine
            frozen={frozen}
            onFreeze={freeze}
            cineIndex={cineIndex}
            cineLength={cineLength}
            onCineIndex={setCineIndex}
            treMode={treMode}
            onTreMode={() => (setTreMode(!treMode), setPendingUs(null))}
            stats={stats}
            registered={!!reg}
            cameraToTrackerErrorMm={cameraToTracker?.errorMm ?? null}
            imageToProbeErrorMm={imageToProbe?.errorMm ?? null}
          />
          <FusedViews
            usCanvas={usCanvas}
            overlayCanvas={overlayCanvas}
            resliceBox={resliceBox}
            viewH={viewH}
            modality={prior.series.modality}
            treMode={treMode}
            shown={() => loop.lastFrame}
            pendingUs={pendingUs}
            pairs={pairs}
            onUsClick={markUs}
            onVolumeClick={markVolume}
            rawCanvas={rawCanvas}
            split={!!enhance.enhance && enhance.raw}
            enhanced={!!enhance.enhance}
            enhancement={stats.enhancement}
            modelOutput={enhance.enhance ? modelOutputName(stats.enhancement) : null}
            enhanceControls={
              <>
                <EnhanceSwitch value={enhance} onChange={chooseEnhance} testId="fusion-enhance" />
                {enhance.enhance && <EnhanceLabel enhancement={stats.enhancement} testId="fusion-enhance-label" />}
              </>
            }
          />
          <OverlayControls opacity={opacity} colourMap={colourMap} edgesOnly={edgesOnly} backendChoice={backendChoice} backend={backend} />
          <TreTool
            pairs={pairs}
            savedPairs={savedPairs}
            registered={!!reg}
            treMode={treMode}
            pendingUs={pendingUs}
            onClear={() => (setPairs([]), setSavedPairs(0))}
            onSave={saveLandmarks}
          />
          <div style={{ position: 'relative', width: 600, height: 360 }}>
            <div ref={threeDBox} style={{ position: 'absolute', inset: 0 }} data-testid="fusion-3d" />
            {reg && <TreLegend rangeMm={treRangeMm} />}
          </div>
        </section>
      </div>
    </>
  );
}
