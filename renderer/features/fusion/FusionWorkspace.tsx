/**
 * The live US–MR/CT fusion workspace. For every ultrasound frame of a live
 * or replayed tracked-ultrasound source, the frame's pose in the prior
 * volume is ImageToVolume = VolumeFromReference · TrackerToReference ·
 * ProbeToTracker(t) · ImageToProbe, with the tracker poses interpolated at
 * the frame's acquisition time t; the volume is resliced on that plane on the
 * GPU (vtk.js) and shown side by side with the frame and as an overlay
 * (opacity, colour map, edges only), with a 3D view of the plane, the probe
 * and the skin in the volume. Freeze stops on a frame; the cine slider goes
 * back through the last seconds. Each shown frame's NCC with the reslice and
 * the tracker-sample-to-screen latency are measured and exposed on
 * `window.__orthotwinFusion`.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  bulkUrls,
  type CalibrationRecord,
  type DeviceList,
  type FusionSession,
  type Patient,
  type Registration,
  type StudyRecord,
  type Twin,
  type VolumeRecord,
} from '../../../electron/contract/index.js';
import { maskedNcc } from '../../../math/imageStats.js';
import type { Mat3 } from '../../../math/geometry.js';
import { invert4, mul4 } from '../../../math/transform.js';
import { binningMatrix } from '../../../math/imageBinning.js';
import { predictedTre } from '../../../math/uncertainty.js';
import { hostClockUs } from '../../../native-bridges/core/clock.js';
import type { Client } from '../../ipc/client.js';
import { openStreams } from '../devices/openStreams.js';
import { RecordingInput } from '../devices/RecordingInput.js';
import { makeImageData, voxelsFromBuffer } from '../planning/volumeImage.js';
import { createCpuResliceView, createResliceView, softwareWebGl, type ResliceView } from '../../views/vtk/resliceView.js';
import { createFusion3DView, type Fusion3DView } from '../../views/vtk/fusion3DView.js';
import {
  boxResample,
  imagePlane,
  imageToVolume,
  landmarkPair,
  treSummary,
  type LandmarkPair,
  overlayLayer,
  percentile,
  resliceOnPlane,
  type ColourMap,
  type ImagePlane,
  type PatientFrame,
  type VoxelGrid,
} from './fusionMath.js';
import { CineBuffer, PoseHistory, type CineFrame } from './liveBuffers.js';
import type { FusionProbe } from './probe.js';
import { RegistrationPanel, TreLegend, TRE_COLOURS } from './RegistrationPanel.js';
import { CalibrationsPanel } from './CalibrationsPanel.js';
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
/** Width of the 2D views on screen (CSS px); heights follow the image's aspect in mm. */
const VIEW_W = 400;

/** ImageToProbe for a frame's pixels: the full frame's calibration composed with the frame's binning (a display copy). */
const calibrationOf = (cal: number[], f: { binning: number }): number[] => (f.binning > 1 ? mul4(cal, binningMatrix(f.binning)) : cal);

/** Initial window/level of the prior volume by modality (a linear ramp over the range for ultrasound and MR). */
function initialWindowLevel(v: VolumeRecord, modality: string): [number, number] {
  if (modality === 'CT') return [1800, 400];
  const w = Math.max(1, v.maxValue - v.minValue);
  return modality === 'MR' ? [0.8 * w, v.minValue + 0.4 * w] : [w, v.minValue + w / 2];
}

interface Live {
  /** Recent poses per device (each device's clock and tool names are its own). */
  poses: Map<string, PoseHistory>;
  cine: CineBuffer;
  pending: { frame: CineFrame; device: string; receivedUs: number } | null;
  reslice: ResliceView | null;
  view3d: Fusion3DView | null;
  plane: ImagePlane | null;
  imageToVolume: number[] | null;
  received: number;
  shown: number;
  superseded: number;
  upstreamDropped: number;
  untracked: number;
  lastSeq: number;
  last3dMs: number;
  latenciesMs: number[];
  renderMs: number[];
  stages: { us: number; reslice: number; overlayNcc: number }[];
  view3dMs: number[];
  transport: { arrivedMs: number; drawnMs: number }[];
  ncc: { seq: number; ncc: number; pixels: number }[];
  lastFrame: CineFrame | null;
  grid: VoxelGrid | null;
  /** Predicted TRE of the patient registration at the centre of the shown plane (mm), NaN without one. */
  predictedAtPlane: number;
  scheduled: boolean;
  schedule: () => void;
}

export function FusionWorkspace({ client, patient, studies, twins, recordings, captures, onError }: Props) {
  const volumes = useMemo(
    () =>
      studies.flatMap((s) => s.series.filter((se) => se.volume).map((se) => ({ series: se, volume: se.volume!, label: `${se.modality} · ${se.description}` }))),
    [studies],
  );
  const [seriesId, setSeriesId] = useState<string>('');
  const prior = volumes.find((v) => v.series.id === seriesId) ?? volumes[0] ?? null;
  const [setup, setSetup] = useState('default');
  const [calibrations, setCalibrations] = useState<CalibrationRecord[]>([]);
  const [devices, setDevices] = useState<DeviceList | null>(null);
  const [usDevice, setUsDevice] = useState('');
  const [probeTool, setProbeTool] = useState('ProbeToTracker');
  const [referenceTool, setReferenceTool] = useState('ReferenceToTracker');
  const [tools, setTools] = useState<string[]>([]);
  const [replayPath, setReplayPath] = useState(recordings[0]?.path ?? '');
  const [replaySpeed, setReplaySpeed] = useState('1');
  const [opacity, setOpacity] = useState(0.5);
  const [colourMap, setColourMap] = useState<ColourMap>('hot');
  const [edgesOnly, setEdgesOnly] = useState(false);
  const [frozen, setFrozen] = useState(false);
  const [cineIndex, setCineIndex] = useState(0);
  const [cineLength, setCineLength] = useState(0);
  const [ready, setReady] = useState(false);
  const [stats, setStats] = useState({ shown: 0, ncc: NaN, p50: NaN, p95: NaN, dropped: 0, untracked: 0 });
  const [aspect, setAspect] = useState(0.75);
  const [backendChoice, setBackendChoice] = useState<'auto' | 'gpu' | 'cpu'>('auto');
  const [backend, setBackend] = useState<'gpu' | 'cpu' | null>(null);
  const [treMode, setTreMode] = useState(false);
  const [pendingUs, setPendingUs] = useState<[number, number] | null>(null);
  const [pairs, setPairs] = useState<LandmarkPair[]>([]);
  const [registration, setRegistration] = useState<Registration | null>(null);
  /** The recorded session being replayed (its calibrations and registration are used), and the one being recorded. */
  const [session, setSession] = useState<FusionSession | null>(null);
  const [recordingSession, setRecordingSession] = useState<FusionSession | null>(null);
  const [sessionPath, setSessionPath] = useState('');
  const [predictedHere, setPredictedHere] = useState(NaN);
  const [savedPairs, setSavedPairs] = useState(0);

  const usCanvas = useRef<HTMLCanvasElement>(null);
  const overlayCanvas = useRef<HTMLCanvasElement>(null);
  const resliceBox = useRef<HTMLDivElement>(null);
  const threeDBox = useRef<HTMLDivElement>(null);
  const layerCanvas = useMemo(() => document.createElement('canvas'), []);
  const inUse = session ? session.calibrations : calibrations;
  const imageToProbe = inUse.find((c) => c.kind === 'ImageToProbe' && c.fromFrame === 'Image' && c.toFrame === 'Probe') ?? null;
  const cameraToTracker = inUse.find((c) => c.kind === 'CameraToTracker' && c.matrix) ?? null;
  const temporalOffset = inUse.find((c) => c.kind === 'TemporalOffset' && c.valueMs !== null) ?? null;
  // the patient frame: through the depth camera when a registration is chosen (it needs the camera ↔ tracker calibration), else the reference tool or the tracker
  const patientFrame: PatientFrame | null = registration
    ? cameraToTracker
      ? { kind: 'camera', cameraToTracker: cameraToTracker.matrix!, cameraToVolume: registration.matrix }
      : null
    : referenceTool
      ? { kind: 'reference', referenceToVolume: IDENTITY }
      : { kind: 'tracker' };
  const options = useRef({ opacity, colourMap, edgesOnly, probeTool, referenceTool, usDevice, frozen, patientFrame, registration });
  options.current = { opacity, colourMap, edgesOnly, probeTool, referenceTool, usDevice, frozen, patientFrame, registration };

  const live = useRef<Live>({
    poses: new Map(),
    cine: new CineBuffer(5),
    pending: null,
    reslice: null,
    view3d: null,
    plane: null,
    imageToVolume: null,
    received: 0,
    shown: 0,
    superseded: 0,
    upstreamDropped: 0,
    untracked: 0,
    lastSeq: -1,
    last3dMs: 0,
    latenciesMs: [],
    renderMs: [],
    stages: [],
    view3dMs: [],
    transport: [],
    ncc: [],
    lastFrame: null,
    grid: null,
    predictedAtPlane: NaN,
    scheduled: false,
    schedule: () => {},
  });

  const calibRef = useRef<number[] | null>(null);
  calibRef.current = imageToProbe?.matrix ?? null;

  // calibrations of the setup
  const refreshCalibrations = useCallback(() => {
    client.call('calibrations', 'current', setup).then(setCalibrations, onError);
  }, [client, setup, onError]);
  useEffect(() => refreshCalibrations(), [refreshCalibrations]);

  // devices and the stream client
  useEffect(() => {
    let on = true;
    client.call('devices', 'list').then((l) => on && setDevices(l), onError);
    const off = client.on('devices', 'onDidChangeDevices', (p) => setDevices(p as DeviceList));
    // frames binned by the device host to the views' device pixels (the recorder keeps the full frames)
    const sc = openStreams(client, { imageMaxWidth: Math.round(VIEW_W * (window.devicePixelRatio || 1)) });
    const L = live.current;
    const unsub = sc?.onMessage((m) => {
      const h = m.header;
      const o = options.current;
      if (h.stream === 'pose') {
        let ph = L.poses.get(h.device);
        if (!ph) L.poses.set(h.device, (ph = new PoseHistory()));
        ph.add(h);
        if (L.pending) L.schedule();
      } else if (h.stream === 'image' && h.width && h.height && h.scalar === 'uint8' && (!o.usDevice || h.device === o.usDevice)) {
        L.received++;
        L.upstreamDropped = h.dropped;
        if (L.pending) L.superseded++;
        const c = h.components ?? 1;
        const pixels = new Uint8Array(h.width * h.height);
        if (c === 1) pixels.set(m.payload.subarray(0, pixels.length));
        else for (let k = 0; k < pixels.length; k++) pixels[k] = m.payload[k * c]!;
        L.pending = {
          frame: { seq: h.seq, timeUs: h.deviceTimeUs, width: h.width, height: h.height, pixels, binning: h.binning ?? 1, imageToVolume: null },
          device: h.device,
          receivedUs: hostClockUs(),
        };
        L.schedule();
      }
    });
    return () => {
      on = false;
      off();
      unsub?.();
      sc?.close();
    };
  }, [client, onError]);

  // the prior volume and its views
  useEffect(() => {
    if (!prior) return;
    let cancelled = false;
    setReady(false);
    const L = live.current;
    (async () => {
      const { buffer } = await client.fetchBinary(bulkUrls.volume(prior.volume.id));
      if (cancelled || !resliceBox.current || !threeDBox.current) return;
      const image = makeImageData(prior.volume, buffer);
      const v = prior.volume;
      const grid: VoxelGrid = {
        data: voxelsFromBuffer(v.voxelType, buffer),
        dims: v.dims,
        spacingMm: v.spacingMm,
        originLps: v.originLps,
        direction: v.direction as Mat3,
      };
      L.grid = grid;
      const wl = initialWindowLevel(v, prior.series.modality);
      // render the reslice at 0.7 of the finest voxel spacing: finer pixels would show nothing more
      const pixelMm = 0.7 * Math.min(...v.spacingMm);
      // GPU reslicing (vtk.js) unless the WebGL is a software renderer, where a GPU round trip costs more than the CPU reslice
      const useGpu = backendChoice === 'gpu' || (backendChoice === 'auto' && !softwareWebGl());
      L.reslice = useGpu ? createResliceView(resliceBox.current, image, wl, pixelMm) : createCpuResliceView(resliceBox.current, grid, wl, pixelMm);
      setBackend(L.reslice.backend);
      L.view3d = createFusion3DView(threeDBox.current, image, wl);
      const twin = twins.find((t) => t.volumeId === prior.volume.id);
      const skin = twin?.artefacts.find((a) => a.kind === 'skin-mesh' && a.format === 'vtp');
      if (skin) L.view3d.setSkin((await client.fetchBinary(bulkUrls.artefact(skin.id))).buffer);
      L.view3d.render();
      installWindowLevelDrag(L);
      setReady(true);
    })().catch(onError);
    return () => {
      cancelled = true;
      L.reslice?.destroy();
      L.view3d?.destroy();
      L.reslice = null;
      L.view3d = null;
      L.plane = null;
    };
  }, [client, prior?.volume.id, prior?.series.modality, twins, backendChoice, onError]);

  /** Draws one frame in every view; returns false when it could not be placed in the volume. */
  const renderFrame = useCallback(
    (f: CineFrame): boolean => {
      const L = live.current;
      const o = options.current;
      const uc = usCanvas.current;
      const oc = overlayCanvas.current;
      if (!uc || !oc) return false;
      // the frame at the views' device pixels: a display copy (binned by the device host to about the view's width) as it
      // comes, the canvas scaling it; a wider frame area-averaged down (what the screen can show, fewer pixels to composite)
      const view = Math.round(VIEW_W * (window.devicePixelRatio || 1));
      const asIs = f.width <= 1.5 * view;
      const dw = asIs ? f.width : view;
      const dh = asIs ? f.height : Math.min(f.height, Math.round(view * aspectRef.current));
      if (uc.width !== dw || uc.height !== dh) {
        uc.width = oc.width = dw;
        uc.height = oc.height = dh;
      }
      const t0 = performance.now();
      const g = uc.getContext('2d', { willReadFrequently: true })!;
      const data = g.createImageData(dw, dh);
      const px = asIs ? f.pixels : boxResample(f.pixels, f.width, f.height, dw, dh);
      // grey → RGBA, one 32-bit write per pixel (little-endian: R in the low byte, opaque alpha)
      const rgba = new Uint32Array(data.data.buffer);
      for (let k = 0; k < rgba.length; k++) rgba[k] = (0xff000000 | (Math.round(px[k]!) * 0x010101)) >>> 0;
      g.putImageData(data, 0, 0);
      const og = oc.getContext('2d', { willReadFrequently: true })!;
      og.globalAlpha = 1;
      og.drawImage(uc, 0, 0);
      L.lastFrame = f;
      if (!f.imageToVolume || !L.reslice) {
        L.imageToVolume = null;
        return false;
      }
      const plane = imagePlane(f.imageToVolume, f.width, f.height);
      const a = plane.sizeMm[1] / plane.sizeMm[0];
      if (Math.abs(a - aspectRef.current) > 1e-3) {
        aspectRef.current = a;
        setAspect(a); // the views are resized on the next render; this frame is drawn at the old aspect
      }
      L.plane = plane;
      L.imageToVolume = f.imageToVolume;
      const reg = o.registration;
      L.predictedAtPlane = reg ? predictedTre(reg, plane.centre) : NaN;
      const t1 = performance.now();
      L.reslice.show(plane);
      const rb = L.reslice.readBack();
      const t2 = performance.now();
      const mask = new Uint8Array(rb.grey.length);
      for (let k = 0; k < mask.length; k++) mask[k] = rb.grey[k]! > 0 ? 1 : 0;
      // overlay: the frame, then the volume's layer (colour map or edges) at the chosen opacity
      if (layerCanvas.width !== rb.width) layerCanvas.width = rb.width;
      if (layerCanvas.height !== rb.height) layerCanvas.height = rb.height;
      const lg = layerCanvas.getContext('2d', { willReadFrequently: true })!;
      lg.putImageData(new ImageData(overlayLayer(rb.grey, mask, rb.width, rb.height, o.colourMap, o.edgesOnly), rb.width, rb.height), 0, 0);
      og.globalAlpha = o.opacity;
      og.drawImage(layerCanvas, 0, 0, dw, dh);
      og.globalAlpha = 1;
      // consistency: the frame on the view's grid against the reslice, where the volume has data
      const small = boxResample(f.pixels, f.width, f.height, rb.width, rb.height);
      const r = maskedNcc(small, rb.grey, (k) => mask[k] === 1);
      L.ncc.push({ seq: f.seq, ncc: r.ncc, pixels: r.voxels });
      if (L.ncc.length > 600) L.ncc.shift();
      const t3 = performance.now();
      L.stages.push({ us: t1 - t0, reslice: t2 - t1, overlayNcc: t3 - t2 });
      if (L.stages.length > 3000) L.stages.shift();
      // the 3D view at most twice a second, in a task of its own after this frame is on screen
      if (L.view3d && (t3 - L.last3dMs > 500 || o.frozen)) {
        L.last3dMs = t3;
        const cal = calibRef.current;
        requestAnimationFrame(() => setTimeout(() => update3d(f, plane, cal), 0));
      }
      return true;
    },
    [layerCanvas],
  );
  const aspectRef = useRef(0.75);

  /** The 3D view: plane, probe axes and the frame as a texture at half resolution. */
  const update3d = (f: CineFrame, plane: ImagePlane, cal: number[] | null): void => {
    const L = live.current;
    if (!L.view3d || !f.imageToVolume) return;
    const t0 = performance.now();
    const w = Math.max(1, f.width >> 1);
    const h = Math.max(1, f.height >> 1);
    const half = Uint8Array.from(boxResample(f.pixels, f.width, f.height, w, h), Math.round);
    L.view3d.setPlane(plane, { pixels: half, width: w, height: h });
    L.view3d.setProbe(cal ? mul4(f.imageToVolume, invert4(calibrationOf(cal, f))) : null);
    L.view3d.render();
    L.view3dMs.push(performance.now() - t0);
    if (L.view3dMs.length > 600) L.view3dMs.shift();
  };

  useEffect(() => {
    live.current.reslice?.resize();
  }, [aspect, ready]);

  /** W/L drag on the reslice view (horizontal: window, vertical: level), as in radiology viewers. */
  const installWindowLevelDrag = (L: Live): void => {
    const el = L.reslice?.element();
    if (!el) return;
    let start: { x: number; y: number; w: number; l: number } | null = null;
    el.addEventListener('pointerdown', (e) => {
      const [w, l] = L.reslice!.windowLevel();
      start = { x: e.clientX, y: e.clientY, w, l };
      el.setPointerCapture(e.pointerId);
    });
    el.addEventListener('pointermove', (e) => {
      if (!start || !L.reslice) return;
      const k = Math.max(1, start.w) / 200;
      const w = Math.max(1, start.w + (e.clientX - start.x) * k);
      const l = start.l - (e.clientY - start.y) * k;
      L.reslice.setWindowLevel(w, l);
      L.view3d?.setWindowLevel(w, l);
      if (L.lastFrame) renderFrame(L.lastFrame);
    });
    el.addEventListener('pointerup', () => (start = null));
  };

  // frames are fused as they arrive (the newest one, when several are waiting), then stamped on screen at the display's next frame
  useEffect(() => {
    const L = live.current;
    const process = (): void => {
      L.scheduled = false;
      const p = L.pending;
      if (!p || options.current.frozen) return;
      const o = options.current;
      const cal = calibRef.current;
      // the poses of the frame's own device (a tracked-ultrasound source), else of a tracker that has the tool
      const historyFor = (tool: string): PoseHistory => {
        const own = L.poses.get(p.device);
        if (own?.newestUs(tool) != null) return own;
        return [...L.poses.values()].find((h) => h.newestUs(tool) !== null) ?? own ?? new PoseHistory();
      };
      const probeHistory = historyFor(o.probeTool);
      const refHistory = o.referenceTool ? historyFor(o.referenceTool) : null;
      const probe = probeHistory.at(o.probeTool, p.frame.timeUs);
      // through the depth camera the reference tool is not used (the patient is taken as still since the capture)
      const ref = refHistory && o.patientFrame?.kind === 'reference' ? refHistory.at(o.referenceTool, p.frame.timeUs) : null;
      // the tracker's sample for this frame may still be on its way (another stream): wait for it (the next pose schedules us again), up to 100 ms
      const newest = Math.min(probeHistory.newestUs(o.probeTool) ?? -Infinity, refHistory ? (refHistory.newestUs(o.referenceTool) ?? -Infinity) : Infinity);
      if ((!probe || (o.patientFrame?.kind === 'reference' && !ref)) && newest < p.frame.timeUs && hostClockUs() - p.receivedUs < 100_000) {
        setTimeout(() => L.schedule(), 20);
        return;
      }
      L.pending = null;
      p.frame.imageToVolume =
        cal && o.patientFrame ? imageToVolume(calibrationOf(cal, p.frame), probe?.matrix ?? null, ref?.matrix ?? null, o.patientFrame) : null;
      if (cal && !p.frame.imageToVolume) L.untracked++; // without a calibration nothing is placed, and the setup says so
      L.cine.push(p.frame);
      const t0 = performance.now();
      const placed = renderFrame(p.frame);
      L.renderMs.push(performance.now() - t0);
      if (L.renderMs.length > 3000) L.renderMs.shift();
      L.shown++;
      L.lastSeq = p.frame.seq;
      const sampleHostUs = Math.max(probe?.sampleHostUs ?? 0, ref?.sampleHostUs ?? 0);
      if (placed && sampleHostUs > 0) {
        // on screen: the display's next frame composites what was drawn now
        const drawnUs = hostClockUs();
        L.transport.push({ arrivedMs: (p.receivedUs - sampleHostUs) / 1000, drawnMs: (drawnUs - sampleHostUs) / 1000 });
        if (L.transport.length > 3000) L.transport.shift();
        requestAnimationFrame(() => {
          L.latenciesMs.push((hostClockUs() - sampleHostUs) / 1000);
          if (L.latenciesMs.length > 3000) L.latenciesMs.shift();
        });
      }
    };
    // fused in the message's own task: the stream's acknowledgement goes after it, so the next frame waits in the host's
    // latest-wins slot (replaced there by a newer one) rather than in this page's queue
    L.schedule = () => {
      if (L.scheduled || !L.pending) return;
      L.scheduled = true;
      process();
    };
    const statsTimer = setInterval(() => {
      const last = L.ncc[L.ncc.length - 1];
      const lat = L.latenciesMs.slice(-300);
      setStats({
        shown: L.shown,
        ncc: last?.ncc ?? NaN,
        p50: percentile(lat, 50),
        p95: percentile(lat, 95),
        dropped: L.superseded + L.upstreamDropped,
        untracked: L.untracked,
      });
      setTools([...new Set([...L.poses.values()].flatMap((h) => h.tools()))]);
      setCineLength(L.cine.length);
      setPredictedHere(L.predictedAtPlane);
    }, 500);
    return () => {
      L.schedule = () => {};
      clearInterval(statsTimer);
    };
  }, [renderFrame]);

  // page state for tests and service engineers
  useEffect(() => {
    const L = live.current;
    const probe: FusionProbe = {
      ready: () => ready && !!L.reslice,
      framesShown: () => L.shown,
      framesReceived: () => L.received,
      lastSeq: () => L.lastSeq,
      ncc: () => L.ncc.slice(),
      latenciesMs: () => L.latenciesMs.slice(),
      renderMs: () => L.renderMs.slice(),
      stagesMs: () => L.stages.slice(),
      view3dMs: () => L.view3dMs.slice(),
      transportMs: () => L.transport.slice(),
      dropped: () => ({ superseded: L.superseded, upstream: L.upstreamDropped, untracked: L.untracked }),
      plane: () => L.plane,
      imageToVolume: () => L.imageToVolume,
      frameBinning: () => L.lastFrame?.binning ?? 1,
      frozen: () => options.current.frozen,
      resliceBackend: () => L.reslice?.backend ?? null,
      gpuCpuAgreement: () => {
        const f = L.lastFrame;
        if (!f?.imageToVolume || !L.reslice || !L.grid) return null;
        const plane = imagePlane(f.imageToVolume, f.width, f.height);
        L.reslice.show(plane);
        const shown = L.reslice.readBack();
        const cpu = resliceOnPlane(L.grid, f.imageToVolume, f.width, f.height, shown.width, shown.height, L.reslice.windowLevel());
        let maxDiff = 0;
        for (let k = 0; k < cpu.grey.length; k++) if (cpu.inside[k] && shown.grey[k]! > 0) maxDiff = Math.max(maxDiff, Math.abs(cpu.grey[k]! - shown.grey[k]!));
        const r = maskedNcc(shown.grey, cpu.grey, (k) => cpu.inside[k] === 1 && shown.grey[k]! > 0);
        return { ncc: r.ncc, pixels: r.voxels, maxDiff };
      },
      cineLength: () => L.cine.length,
      resetStats: () => {
        L.latenciesMs.length = 0;
        L.renderMs.length = 0;
        L.stages.length = 0;
        L.view3dMs.length = 0;
        L.transport.length = 0;
        L.ncc.length = 0;
        L.shown = L.received = L.superseded = L.untracked = 0;
      },
    };
    window.__orthotwinFusion = probe;
  }, [ready]);

  // re-render a frozen frame when an option changes; cine review
  useEffect(() => {
    const L = live.current;
    if (!frozen) return;
    const f = L.cine.get(cineIndex) ?? L.lastFrame;
    if (f) renderFrame(f);
  }, [frozen, cineIndex, opacity, colourMap, edgesOnly, renderFrame]);

  /** Image pixel (i, j) under a click on a view that shows the whole frame rectangle. */
  const clickPx = (e: React.MouseEvent<HTMLElement>): [number, number] | null => {
    const f = live.current.lastFrame;
    if (!f) return null;
    const r = e.currentTarget.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * f.width - 0.5, ((e.clientY - r.top) / r.height) * f.height - 0.5];
  };
  /** TRE tool, on a frozen frame: a click in the ultrasound, then the same point in the reslice. */
  const markUs = (e: React.MouseEvent<HTMLElement>): void => {
    if (treMode && frozen) setPendingUs(clickPx(e));
  };
  const markVolume = (e: React.MouseEvent<HTMLElement>): void => {
    const m = live.current.lastFrame?.imageToVolume;
    const v = clickPx(e);
    if (!treMode || !frozen || !pendingUs || !m || !v) return;
    setPairs((ps) => [...ps, landmarkPair(m, pendingUs, v)]);
    setPendingUs(null);
  };
  const tre = treSummary(pairs);
  /** CSS position of an image pixel in a view of the frame (for the landmark marks). */
  const markAt = (px: [number, number]): React.CSSProperties => {
    const f = live.current.lastFrame;
    const w = f?.width ?? 1;
    const h = f?.height ?? 1;
    return {
      position: 'absolute',
      left: ((px[0] + 0.5) / w) * VIEW_W - 4,
      top: ((px[1] + 0.5) / h) * viewH - 4,
      width: 8,
      height: 8,
      border: '2px solid #5cc98b',
      borderRadius: 4,
      pointerEvents: 'none',
    };
  };

  // the predicted-TRE map of the registration on the skin
  const treRangeMm = registration ? Math.max(3, Math.ceil(4 * registration.predictedTreMm)) : 0;
  useEffect(() => {
    const v = live.current.view3d;
    if (!ready || !v) return;
    v.setSkinScalars(registration ? (x, y, z) => predictedTre(registration, [x, y, z]) : null, treRangeMm, TRE_COLOURS);
    v.render();
  }, [ready, registration, treRangeMm]);
  // a registration belongs to one patient image: forget it when another prior volume is chosen
  const priorSeriesId = prior?.series.id;
  useEffect(() => setRegistration((r) => (r && r.seriesId === priorSeriesId ? r : null)), [priorSeriesId]);

  const saveLandmarks = async (): Promise<void> => {
    if (!registration || !prior) return;
    try {
      const r = await client.call(
        'registrations',
        'addLandmarks',
        registration.id,
        pairs.slice(savedPairs).map((p) => ({ ultrasoundLps: p.usMm, volumeLps: p.volumeMm, volumeId: prior.volume.id })),
      );
      setRegistration(r);
      setSavedPairs(pairs.length);
    } catch (e) {
      onError(e);
    }
  };

  const applyTemporalOffset = async (): Promise<void> => {
    if (!temporalOffset || !usDevice) return;
    try {
      await client.call('devices', 'setTimeOffset', usDevice, temporalOffset.valueMs!);
      setDevices(await client.call('devices', 'list'));
    } catch (e) {
      onError(e);
    }
  };

  /** Records the devices with the fusion's context (calibrations, registration, volume, tools) as one session. */
  const toggleSessionRecording = async (): Promise<void> => {
    try {
      if (recordingSession) {
        const done = await client.call('sessions', 'stop');
        setRecordingSession(null);
        setSessionPath(done.dir);
      } else if (patient && prior) {
        setRecordingSession(
          await client.call('sessions', 'start', {
            patientId: patient.id,
            priorVolumeId: prior.volume.id,
            setup,
            registrationId: registration?.id ?? null,
            ultrasoundDevice: usDevice,
            probeTool,
            referenceTool,
          }),
        );
      }
    } catch (e) {
      onError(e);
    }
  };

  /** Replays a recorded session with its own calibrations, registration, volume and tools. */
  const openSession = async (): Promise<void> => {
    try {
      const s = await client.call('sessions', 'open', sessionPath);
      const vol = volumes.find((v) => v.volume.id === s.priorVolumeId);
      if (!vol) throw new Error(`${s.dir}: the session's volume is not among this patient's series (open its patient first)`);
      const image = s.files.find((f) => f.stream === 'image' && f.device === s.ultrasoundDevice) ?? s.files.find((f) => f.stream === 'image');
      if (!image) throw new Error(`${s.dir}: the session has no ultrasound recording`);
      setSession(s);
      setSeriesId(vol.series.id);
      setRegistration(s.registration);
      setProbeTool(s.probeTool);
      setReferenceTool(s.referenceTool);
      const st = await client.call('devices', 'connect', { kind: 'replay', path: image.path, loop: true, speed: 1 });
      if (st.state === 'failed') onError(new Error(`${st.name}: ${st.lastError ?? 'could not connect'}`));
      setUsDevice(st.id);
      setDevices(await client.call('devices', 'list'));
    } catch (e) {
      onError(e);
    }
  };

  const freeze = (): void => {
    const L = live.current;
    if (!frozen) setCineIndex(Math.max(0, L.cine.length - 1));
    setCineLength(L.cine.length);
    setFrozen(!frozen);
  };

  const connectReplay = async (): Promise<void> => {
    try {
      const st = await client.call('devices', 'connect', { kind: 'replay', path: replayPath, loop: true, speed: Number(replaySpeed) || 1 });
      if (st.state === 'failed') onError(new Error(`${st.name}: ${st.lastError ?? 'could not connect'}`));
      setUsDevice(st.id);
      setDevices(await client.call('devices', 'list'));
    } catch (e) {
      onError(e);
    }
  };

  const sources = (devices?.devices ?? []).filter((d) => d.kind !== 'uvc');
  const viewH = Math.round(VIEW_W * aspect);
  const fmt = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '—');

  if (!patient) return <div className="notice">Open a patient with an MR, CT or 3D ultrasound volume to fuse the live ultrasound with it.</div>;
  if (!prior) return <div className="notice">This patient has no volume yet: import the MR, CT or 3D ultrasound to fuse with.</div>;

  return (
    <div className="fusion" data-testid="fusion-workspace">
      <section className="panel" aria-label="fusion setup">
        <h2>Fusion setup</h2>
        <div className="row">
          <label>
            Prior volume{' '}
            <select aria-label="Prior volume" value={prior.series.id} onChange={(e) => setSeriesId(e.target.value)}>
              {volumes.map((v) => (
                <option key={v.series.id} value={v.series.id}>
                  {v.label}
                </option>
              ))}
            </select>
          </label>
          {prior.volume.nominalGeometry && <span className="badge warn">volume in the tracker's Reference frame</span>}
        </div>
        <div className="row">
          <label>
            Setup <input aria-label="Setup" value={setup} onChange={(e) => setSetup(e.target.value)} style={{ width: 120 }} />
          </label>
          <span data-testid="image-to-probe" className={imageToProbe ? '' : 'muted'}>
            {imageToProbe
              ? `ImageToProbe: ${imageToProbe.method}, ${imageToProbe.calibratedAt}${imageToProbe.errorMm !== null ? `, error ${imageToProbe.errorMm.toFixed(2)} mm` : ''}`
              : 'No probe calibration (ImageToProbe) for this setup: import one or calibrate the probe.'}
          </span>
        </div>
        <div className="row">
          <label>
            Ultrasound source{' '}
            <select aria-label="Ultrasound source" value={usDevice} onChange={(e) => setUsDevice(e.target.value)}>
              <option value="">any connected device</option>
              {sources.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                  {d.simulated ? ' (simulated)' : ''}
                </option>
              ))}
            </select>
          </label>
          <label>
            Probe tool{' '}
            <select aria-label="Probe tool" value={probeTool} onChange={(e) => setProbeTool(e.target.value)}>
              {[...new Set([probeTool, ...tools])].map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          <label>
            Patient reference{' '}
            <select aria-label="Patient reference" value={referenceTool} onChange={(e) => setReferenceTool(e.target.value)}>
              {[...new Set([referenceTool, ...tools])].filter(Boolean).map((t) => (
                <option key={t}>{t}</option>
              ))}
              <option value="">none (volume in the tracker frame)</option>
            </select>
          </label>
        </div>
        <CalibrationsPanel client={client} setup={setup} calibrations={calibrations} onChanged={refreshCalibrations} onError={onError} />
        <div className="row" data-testid="setup-calibrations">
          <span className={cameraToTracker ? '' : 'muted'}>
            {cameraToTracker
              ? `CameraToTracker: ${cameraToTracker.method}, ${cameraToTracker.calibratedAt.slice(0, 10)}${cameraToTracker.errorMm !== null ? `, error ${cameraToTracker.errorMm.toFixed(2)} mm` : ''}`
              : 'No depth camera ↔ tracker calibration for this setup (needed to fuse through a skin registration).'}
          </span>
          {temporalOffset && (
            <>
              <span>
                Temporal offset of the video {temporalOffset.valueMs!.toFixed(1)} ms (NCC {(temporalOffset.residuals['peakNcc'] ?? NaN).toFixed(2)})
                {usDevice && ` · ${usDevice}: ${sources.find((d) => d.id === usDevice)?.timeOffsetMs ?? 0} ms now`}
              </span>
              <button disabled={!usDevice} onClick={() => void applyTemporalOffset()}>
                Apply to the ultrasound source
              </button>
            </>
          )}
        </div>
        <RegistrationPanel
          client={client}
          patientId={patient.id}
          twins={twins.filter((t) => t.seriesId === prior.series.id && t.artefacts.some((a) => a.kind === 'skin-mesh'))}
          selected={registration}
          onSelect={setRegistration}
          captures={captures}
          onError={onError}
        />
        {registration && !cameraToTracker && (
          <div className="badge warn">The registration places the camera in the image; without a CameraToTracker calibration no frame can be placed.</div>
        )}
        <div className="row">
          <RecordingInput
            label="Replay path"
            listId="fusion-recordings"
            value={replayPath}
            onChange={setReplayPath}
            placeholder="Tracked ultrasound recording (.igs.mha)"
            recordings={recordings}
          />
          <label>
            speed <input aria-label="Replay speed" value={replaySpeed} onChange={(e) => setReplaySpeed(e.target.value)} style={{ width: 40 }} />×
          </label>
          <button disabled={!replayPath} onClick={() => void connectReplay()}>
            Replay as live probe
          </button>
        </div>
      </section>

      <section className="panel" aria-label="fusion session">
        <div className="row" data-testid="fusion-session">
          <button onClick={() => void toggleSessionRecording()} disabled={!!session} aria-pressed={!!recordingSession}>
            {recordingSession ? 'Stop recording the session' : 'Record session'}
          </button>
          {recordingSession && (
            <span className="badge bad">
              recording {devices?.recording.frames ?? 0} frames into {recordingSession.dir}
            </span>
          )}
          <input
            aria-label="Session path"
            value={sessionPath}
            onChange={(e) => setSessionPath(e.target.value)}
            placeholder="Recorded fusion session (folder or session.json)"
            style={{ minWidth: 320 }}
          />
          <button disabled={!sessionPath || !!recordingSession} onClick={() => void openSession()}>
            Replay session
          </button>
          {session && (
            <>
              <span className="badge sim">
                replaying the session of {session.startedAt.slice(0, 16).replace('T', ' ')} with its calibrations
                {session.registration ? ' and registration' : ''}
              </span>
              <button onClick={() => setSession(null)}>Back to the live setup</button>
            </>
          )}
        </div>
      </section>

      <section className="panel" aria-label="fused views">
        <div className="row" data-testid="fusion-status">
          <button onClick={freeze} aria-pressed={frozen}>
            {frozen ? 'Live' : 'Freeze'}
          </button>
          {frozen && (
            <label>
              Cine{' '}
              <input
                type="range"
                aria-label="Cine"
                min={0}
                max={Math.max(0, cineLength - 1)}
                value={cineIndex}
                onChange={(e) => setCineIndex(Number(e.target.value))}
              />{' '}
              {cineIndex + 1}/{cineLength}
            </label>
          )}
          {frozen && (
            <button aria-pressed={treMode} onClick={() => (setTreMode(!treMode), setPendingUs(null))}>
              {treMode ? 'Stop marking' : 'Mark landmarks (TRE)'}
            </button>
          )}
          <span className="muted">
            frames {stats.shown} · NCC <span data-testid="fusion-ncc">{fmt(stats.ncc, 3)}</span> · tracker → screen p50 {fmt(stats.p50)} ms, p95{' '}
            {fmt(stats.p95)} ms · dropped {stats.dropped} · untracked {stats.untracked}
            {registration && (
              <>
                {' '}
                · predicted TRE at the plane <span data-testid="fusion-predicted-tre">{fmt(predictedHere, 2)}</span> mm (registration)
                {cameraToTracker?.errorMm != null && ` ⊕ camera ↔ tracker ${cameraToTracker.errorMm.toFixed(2)} mm`}
                {imageToProbe?.errorMm != null && ` ⊕ probe calibration ${imageToProbe.errorMm.toFixed(2)} mm`}
              </>
            )}
          </span>
        </div>
        <div className="row" style={{ alignItems: 'flex-start' }}>
          <figure>
            <div style={{ position: 'relative', width: VIEW_W, height: viewH }} onClick={markUs}>
              <canvas
                ref={usCanvas}
                width={820}
                height={616}
                style={{ width: VIEW_W, height: viewH, background: '#000', display: 'block' }}
                data-testid="fusion-us"
              />
              {pendingUs && <div style={markAt(pendingUs)} />}
              {pairs.map((p, i) => (
                <div key={i} style={markAt(p.usPx)} />
              ))}
            </div>
            <figcaption className="muted">Ultrasound</figcaption>
          </figure>
          <figure>
            <div style={{ position: 'relative', width: VIEW_W, height: viewH }} onClick={markVolume}>
              <div
                ref={resliceBox}
                style={{ position: 'absolute', inset: 0, background: '#000', cursor: treMode ? 'crosshair' : 'ns-resize' }}
                data-testid="fusion-reslice"
              />
              {pairs.map((p, i) => (
                <div key={i} style={markAt(p.volumePx)} />
              ))}
            </div>
            <figcaption className="muted">{prior.series.modality} on the ultrasound plane (drag: window/level)</figcaption>
          </figure>
          <figure>
            <canvas ref={overlayCanvas} width={820} height={616} style={{ width: VIEW_W, height: viewH, background: '#000' }} data-testid="fusion-overlay" />
            <figcaption className="muted">Overlay</figcaption>
          </figure>
        </div>
        <div className="row">
          <label>
            Opacity{' '}
            <input type="range" aria-label="Overlay opacity" min={0} max={1} step={0.05} value={opacity} onChange={(e) => setOpacity(Number(e.target.value))} />
          </label>
          <label>
            Colour map{' '}
            <select aria-label="Colour map" value={colourMap} onChange={(e) => setColourMap(e.target.value as ColourMap)}>
              <option value="grey">grey</option>
              <option value="hot">hot</option>
              <option value="cool">cool</option>
              <option value="green">green</option>
            </select>
          </label>
          <label>
            <input type="checkbox" checked={edgesOnly} onChange={(e) => setEdgesOnly(e.target.checked)} /> Edges only
          </label>
          <label>
            Reslicing{' '}
            <select aria-label="Reslicing" value={backendChoice} onChange={(e) => setBackendChoice(e.target.value as 'auto' | 'gpu' | 'cpu')}>
              <option value="auto">automatic{backend ? ` (${backend === 'gpu' ? 'GPU' : 'CPU'})` : ''}</option>
              <option value="gpu">GPU (vtk.js)</option>
              <option value="cpu">CPU</option>
            </select>
          </label>
        </div>
        {pairs.length > 0 && (
          <div className="row" data-testid="fusion-tre">
            <span>
              TRE over {tre.n} landmark{tre.n > 1 ? 's' : ''}: mean {fmt(tre.meanMm, 2)} mm, RMS {fmt(tre.rmsMm, 2)} mm, max {fmt(tre.maxMm, 2)} mm (
              {pairs.map((p) => p.distanceMm.toFixed(2)).join(', ')} mm)
            </span>
            <button onClick={() => (setPairs([]), setSavedPairs(0))}>Clear landmarks</button>
            {registration && (
              <button disabled={savedPairs === pairs.length} onClick={() => void saveLandmarks()}>
                {savedPairs === pairs.length ? 'Saved with the registration' : 'Save with the registration'}
              </button>
            )}
          </div>
        )}
        {treMode && <div className="muted">{pendingUs ? 'Now click the same point in the volume view.' : 'Click a landmark in the ultrasound view.'}</div>}
        <div style={{ position: 'relative', width: 600, height: 360 }}>
          <div ref={threeDBox} style={{ position: 'absolute', inset: 0 }} data-testid="fusion-3d" />
          {registration && <TreLegend rangeMm={treRangeMm} />}
        </div>
      </section>
    </div>
  );
}
