/**
 * The planning view: axial, coronal and sagittal slices and the 3D twin,
 * linked by one crosshair in LPS mm (a click in any view moves the others),
 * W/L presets and drag, skin opacity and visibility, and the twin's features.
 * Radiology-viewer conventions (3D Slicer, OHIF): Ctrl/⌘ + wheel or
 * right-drag zooms, middle-drag pans, R resets; the value (HU for CT) and
 * LPS position under the pointer, orientation letters, slice number and
 * position in every view; layouts 2×2, 1×3 and 1×1 (double-click a view to
 * maximise it, again to restore); ↑/↓ and Page Up/Down step through the
 * slices of the view under the pointer; CT presets and Auto W/L (MR: Auto,
 * high contrast, full range, from the voxel histogram); measurement tools —
 * ruler (M), ellipse ROI (E), sphere ROI (O), angle (A), Cobb angle (C),
 * text (T) — listed
 * with remove, undo (Ctrl+Z) and redo (Ctrl+Y), kept with the twin
 * (annotations service; a researcher's stay on the screen); a screenshot (S)
 * of the view under the pointer with its measurements, stamped with
 * patient, series, date and software version; `?` lists the shortcuts.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { bulkUrls, type Job } from '../../../electron/contract/index.js';
import { type Modality, type VolumeRecord } from '../../studies/contract.js';
import { type Twin } from '../contract.js';
import { indexToLps, snapToVoxelCentre, stepVoxelCentre, type Vec3 } from '../../../math/geometry.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { createSliceView, type SliceTool, type SliceView, type ViewMark } from '../../../renderer/views/vtk/sliceView.js';
import { ellipseRoiStats, sphereRoiStats } from '../../../math/roi.js';
import { angleAtVertex, cobbAngle } from '../../../math/angles.js';
import { autoWindowLevelFor } from '../../../math/windowLevel.js';
import type { Annotation, AnnotationSet } from '../../annotations/contract.js';
import { nextAnnotationNumber, numberAnnotations } from '../../annotations/numbering.js';
import { formatDateTime } from '../../../renderer/app/format.js';
import { lpsToIndex } from '../../../math/geometry.js';
import { createThreeDView, GREY_LEVEL_COLOURS, type ThreeDView, type SurfaceName, type SpineOverlay } from '../../../renderer/views/vtk/threeDView.js';
import { endplateSegment3d } from '../../spine/ui/overlay.js';
import { WL_PRESETS, type Orientation } from '../../../renderer/views/vtk/orientation.js';
import type {} from './probe.js'; // declares window.__orthotwin
import { FeaturesPanel } from './FeaturesPanel.js';
import { SHORTCUTS, shortcutFor, toolKey } from './shortcuts.js';
import { makeImageData, voxelsFromBuffer } from '../../../renderer/views/vtk/volumeImage.js';
import { SpinePanel } from '../../spine/ui/SpinePanel.js';
import type { SpineAnalysis } from '../../../electron/contract/index.js';

const ORIENTATIONS: Orientation[] = ['axial', 'coronal', 'sagittal'];

/** The measurements shown, with their undo history (earlier lists) and what redo brings back. */
interface Marks {
  list: Annotation[];
  past: Annotation[][];
  future: Annotation[][];
  /** Changed by the user since the last load or save. */
  dirty: boolean;
}

/** A measurement's name, the same in the list and beside its drawing: "ruler 1", "ROI 2" (ellipse), "sphere ROI 6". */
function markName(a: Annotation): string {
  const n = a.n ?? '?';
  const kind = { ruler: 'ruler', angle: 'angle', cobb: 'Cobb', text: 'note', sphere: 'sphere ROI', ellipse: 'ROI' }[a.kind];
  return `${kind} ${n}`;
}

/** An ROI statistic with its unit ("47 HU"); MR values have no unit, so they stand alone. */
function withUnit(x: number | string, unit: string): string {
  return unit === 'HU' ? `${x} HU` : `${x}`;
}

/** An ROI's statistics, every value with its unit: "mean -12.7 HU", "SD 71.9 HU", "min 47 HU", "max 408 HU". */
function roiStats(s: { mean: number; sd: number; min: number; max: number }, unit: string): [string, string, string, string] {
  return [`mean ${withUnit(s.mean.toFixed(1), unit)}`, `SD ${withUnit(s.sd.toFixed(1), unit)}`, `min ${withUnit(s.min, unit)}`, `max ${withUnit(s.max, unit)}`];
}

/** What a measurement says in the list: its name (kind and stable number `n`) and its value. */
function describeMark(a: Annotation, unit: string): string {
  const name = markName(a);
  switch (a.kind) {
    case 'ruler':
      return `${name}: ${a.mm.toFixed(1)} mm`;
    case 'angle':
    case 'cobb':
      return `${name}: ${a.degrees.toFixed(1)}°`;
    case 'text':
      return `${name}: ${a.text}`;
    case 'sphere':
      return (
        `${name}: ${roiStats(a.stats, unit).join(', ')}, ` +
        `volume ${(a.stats.volumeMm3 / 1000).toFixed(2)} mL (r ${a.radiusMm.toFixed(1)} mm, n = ${a.stats.n} voxels`
      );
    case 'ellipse':
      return `${name}: ${roiStats(a.stats, unit).join(', ')}, area ${a.stats.areaMm2.toFixed(1)} mm² (n = ${a.stats.n} voxels`;
  }
}

/**
 * What a measurement's drawing says beside it in its view (and so in a screenshot): its name — the list's — and
 * value; an ROI's statistics on lines of their own ("\n"), as the list gives them, each value with its unit.
 */
function viewLabel(a: Annotation, unit: string): string {
  const name = markName(a);
  switch (a.kind) {
    case 'ruler':
      return name; // the view adds the length
    case 'angle':
    case 'cobb':
      return `${name}: ${a.degrees.toFixed(1)}°`;
    case 'text':
      return a.text;
    case 'ellipse':
    case 'sphere': {
      const [mean, sd, min, max] = roiStats(a.stats, unit);
      return [
        name,
        `${mean}, ${sd}`,
        `${min}, ${max}`,
        a.kind === 'ellipse' ? `area ${a.stats.areaMm2.toFixed(1)} mm²` : `volume ${(a.stats.volumeMm3 / 1000).toFixed(2)} mL`,
      ].join('\n');
    }
  }
}

type Layout = '2x2' | '1x3' | '1x1';

/**
 * W/L from the volume's histogram (MR has no absolute scale, so these are its presets; CT gets Auto beside its HU
 * presets, over the voxels inside the body only: HU > −500, math/windowLevel.ts).
 */
const AUTO_PRESETS: [string, number, number, string][] = [
  ['Auto W/L', 1, 99, 'window over the 1st–99th percentile of the voxels'],
  ['high contrast', 5, 95, 'window over the 5th–95th percentile'],
  ['full range', 0, 100, 'window over every value of the volume'],
];

const TOOLS: [Exclude<SliceTool, 'crosshair'>, string][] = [
  ['ruler', 'Ruler'],
  ['ellipse', 'Ellipse ROI'],
  ['sphere', 'Sphere ROI'],
  ['angle', 'Angle'],
  ['cobb', 'Cobb'],
  ['text', 'Text'],
];

function initialWindowLevel(modality: Modality, v: VolumeRecord): { window: number; level: number } {
  if (modality === 'CT') return WL_PRESETS['soft tissue']!;
  const range = v.maxValue - v.minValue;
  return { window: range * 0.6, level: v.minValue + range * 0.35 };
}

/** The planning view of one twin: three linked slice views, the 3D view, and the features or spine panel beside them. */
export function PlanningView(props: {
  client: Client;
  twin: Twin;
  twins: Twin[];
  onSelectTwin(i: number): void;
  /** Whether the session may call a method (`service.method`): controls behind others are not shown. */
  can(method: string): boolean;
  /** The name of a twin's source series (modality, description, study date). */
  sourceOf(t: Twin): string;
  onJob(j: Job): void;
  volume: VolumeRecord;
  modality: Modality;
  onError(e: unknown): void;
}) {
  const { client, twin, volume, modality, onError } = props;
  const containers = { axial: useRef<HTMLDivElement>(null), coronal: useRef<HTMLDivElement>(null), sagittal: useRef<HTMLDivElement>(null) };
  const threeRef = useRef<HTMLDivElement>(null);
  const gridRef = useRef<HTMLDivElement>(null);
  const slices = useRef<Partial<Record<Orientation, SliceView>>>({});
  const three = useRef<ThreeDView | null>(null);
  const crosshair = useRef<Vec3 | null>(null);
  const [status, setStatus] = useState<string | null>('Loading volume…');
  const [wl, setWl] = useState(() => initialWindowLevel(modality, volume));
  const wlRef = useRef(wl);
  wlRef.current = wl;
  const [cross, setCross] = useState<Vec3 | null>(null);
  const [skinOpacity, setSkinOpacity] = useState(0.35);
  const [visible, setVisible] = useState<Record<SurfaceName, boolean>>({ skin: true, bone: true });
  const [spineMode, setSpineMode] = useState(false);
  const [voxels, setVoxels] = useState<ArrayLike<number> | null>(null);
  const [spine, setSpine] = useState<SpineAnalysis | null>(null);
  const [grey, setGrey] = useState<'off' | 'HU_mean' | 'HU_max'>('off');
  const [greyRange, setGreyRange] = useState<[number, number]>([0, 1000]);
  const [showSpheres, setShowSpheres] = useState(false);
  const greyLoaded = useRef<string | null>(null);
  const voxelsRef = useRef<ArrayLike<number> | null>(null);
  const [layout, setLayout] = useState<Layout>('2x2');
  const [maximised, setMaximised] = useState<Orientation | null>(null);
  const [tool, setTool] = useState<SliceTool>('crosshair');
  // measurements with their undo history, kept with the twin (annotations service) as a revisioned set
  const [marks, setMarks] = useState<Marks>({ list: [], past: [], future: [], dirty: false });
  const rulers = marks.list;
  const [saved, setSaved] = useState<AnnotationSet | null>(null);
  const [saveState, setSaveState] = useState<string>('');
  /** The view under the pointer (axial to start): what S captures and ↑/↓ step (the 3D view has no slices). */
  const activeView = useRef<Orientation | '3d'>('axial');
  const stampRef = useRef('');
  const lastCapture = useRef<{ view: Orientation | '3d'; stamp: string; fontPx: number; lines: string[] } | null>(null);
  /** Applies a change to the measurement list as one undoable step. */
  const change = useCallback((f: (list: Annotation[]) => Annotation[]) => {
    setMarks((m) => ({ list: f(m.list), past: [...m.past, m.list].slice(-100), future: [], dirty: true }));
  }, []);
  /** Adds a measurement with the next number (the set's largest + 1: numbers are never reused while a larger one exists). */
  const add = useCallback((a: Annotation) => change((l) => [...l, { ...a, n: nextAnnotationNumber(l) }]), [change]);
  const [help, setHelp] = useState(false);
  const unit = modality === 'CT' ? 'HU' : 'value';
  const geometry = useMemo(
    () => ({ dims: volume.dims, spacingMm: volume.spacingMm, originLps: volume.originLps, direction: volume.direction as never }),
    [volume],
  );

  /** Moves the crosshair to the voxel centre nearest `p` (LPS mm): every view shows that voxel's slice and says its number and position. */
  const moveTo = useCallback(
    (at: Vec3) => {
      const p = snapToVoxelCentre(geometry, at);
      crosshair.current = p;
      for (const o of ORIENTATIONS) slices.current[o]?.setCrosshair(p);
      three.current?.setCrosshair(p);
      setCross(p);
    },
    [geometry],
  );

  useEffect(() => {
    let disposed = false;
    const run = async () => {
      const { buffer } = await client.fetchBinary(bulkUrls.volume(volume.id));
      if (disposed) return;
      const image = makeImageData(volume, buffer);
      const vox = voxelsFromBuffer(volume.voxelType, buffer);
      voxelsRef.current = vox;
      setVoxels(vox);
      if (modality !== 'CT') setWl(autoWindowLevelFor(modality, vox)); // MR and others: Auto W/L (1st–99th percentile) to start
      const g = { dims: volume.dims, spacingMm: volume.spacingMm, originLps: volume.originLps, direction: volume.direction as never };
      for (const o of ORIENTATIONS) {
        const el = containers[o].current;
        if (!el) continue;
        slices.current[o] = createSliceView(el, image, g, o, {
          onPick: (p) => moveTo(p),
          onWindowLevelDrag: (dw, dl) => {
            // applied to the views at once (drawn at the next display frame), then to the state the controls show
            const cur = wlRef.current;
            const next = { window: Math.max(1, cur.window + dw * (cur.window / 200)), level: cur.level + dl * (cur.window / 200) };
            wlRef.current = next;
            for (const v of ORIENTATIONS) slices.current[v]?.setWindowLevel(next.window, next.level);
            setWl(next);
          },
          onStep: (orientation, step) => {
            const c = crosshair.current;
            const view = slices.current[orientation];
            if (c && view) moveTo(stepVoxelCentre(g, c, view.inPlaneAxes().indexAxis, step)); // one voxel of the view's slice axis
          },
          onHover: (lps) => {
            const v = voxelsRef.current;
            if (!lps || !v) return '';
            const ijk = lpsToIndex(g, lps).map(Math.round);
            const [nx, ny, nz] = volume.dims;
            const inside = ijk[0]! >= 0 && ijk[1]! >= 0 && ijk[2]! >= 0 && ijk[0]! < nx && ijk[1]! < ny && ijk[2]! < nz;
            const at = `LPS ${lps.map((x) => x.toFixed(1)).join(', ')} mm`;
            if (!inside) return `outside the volume · ${at}`;
            const value = v[ijk[0]! + nx * (ijk[1]! + ny * ijk[2]!)]!;
            return `${unit} ${Number.isInteger(value) ? value : value.toFixed(2)} at voxel ${ijk.join(', ')} · ${at}`;
          },
          onMeasure: (a, b) => {
            const view = slices.current[o];
            add({ kind: 'ruler', view: o, a, b, sliceIndex: view?.sliceIndex() ?? 0, mm: Math.hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2]) });
          },
          onAngle: (kind, p) => {
            const sliceIndex = slices.current[o]?.sliceIndex() ?? 0;
            try {
              if (kind === 'angle') add({ kind, view: o, sliceIndex, a: p[0]!, vertex: p[1]!, b: p[2]!, degrees: angleAtVertex(p[0]!, p[1]!, p[2]!) });
              else add({ kind, view: o, sliceIndex, line1: [p[0]!, p[1]!], line2: [p[2]!, p[3]!], degrees: cobbAngle([p[0]!, p[1]!], [p[2]!, p[3]!]) });
            } catch {
              setSaveState(`not measured: two clicks of the ${kind === 'cobb' ? 'Cobb angle' : 'angle'} fell on the same point`);
            }
          },
          onSphere: (centre, radiusMm) => {
            const v = voxelsRef.current;
            if (!v) return;
            const stats = sphereRoiStats(v, g, centre, radiusMm);
            if (stats.n < 2) return setSaveState('not measured: the sphere holds fewer than two voxel centres — draw it larger');
            add({ kind: 'sphere', view: o, sliceIndex: slices.current[o]?.sliceIndex() ?? 0, centre, radiusMm, stats });
          },
          onText: (at, text) => add({ kind: 'text', view: o, sliceIndex: slices.current[o]?.sliceIndex() ?? 0, at, text }),
          onEllipse: (centre, radiiMm) => {
            const view = slices.current[o];
            const v = voxelsRef.current;
            if (!view || !v) return;
            const ax = view.inPlaneAxes();
            const sliceIndex = view.sliceIndex();
            const stats = ellipseRoiStats(v, g, { indexAxis: ax.indexAxis, sliceIndex, centre, axes: [ax.right, ax.up], radiiMm });
            if (stats.n < 2) return setSaveState('not measured: the ellipse holds fewer than two voxel centres — draw it larger');
            add({ kind: 'ellipse', view: o, centre, radiiMm, sliceIndex, stats });
          },
          onMaximise: (view) => setMaximised((m) => (m ? null : view)),
        });
      }
      if (threeRef.current) three.current = createThreeDView(threeRef.current, (p) => moveTo(p));
      moveTo(
        indexToLps(
          g,
          volume.dims.map((d) => (d - 1) / 2),
        ),
      );
      setStatus('Loading surfaces…');
      for (const [name, kind] of [
        ['skin', 'skin-mesh'],
        ['bone', 'bone-mesh'],
      ] as const) {
        const a = twin.artefacts.find((x) => x.kind === kind && x.format === 'vtp');
        if (!a) continue;
        const { buffer: vtp } = await client.fetchBinary(bulkUrls.artefact(a.id));
        if (disposed) return;
        three.current?.setSurface(name, vtp);
      }
      if (crosshair.current) three.current?.setCrosshair(crosshair.current);
      setStatus(null);
    };
    run().catch((e: unknown) => {
      setStatus('Could not load the twin');
      onError(e);
    });
    return () => {
      disposed = true;
      for (const o of ORIENTATIONS) slices.current[o]?.destroy();
      slices.current = {};
      three.current?.destroy();
      three.current = null;
      delete window.__orthotwin;
    };
  }, [client, twin.id, volume.id]);

  useEffect(() => {
    for (const o of ORIENTATIONS) slices.current[o]?.setWindowLevel(wl.window, wl.level);
  }, [wl, status]);
  useEffect(() => {
    for (const o of ORIENTATIONS)
      slices.current[o]?.setMeasurements(
        rulers.flatMap((r) => (r.kind === 'ruler' && r.view === o ? [{ ...r, label: viewLabel(r, unit) }] : [])),
        rulers.flatMap((r) => (r.kind === 'ellipse' && r.view === o ? [{ ...r, label: viewLabel(r, unit) }] : [])),
        rulers.flatMap((r): ViewMark[] => {
          // a sphere is drawn in every view whose slice it cuts; labelled in the view it was made in
          if (r.kind === 'sphere')
            return [{ kind: r.kind, points: [r.centre], radiusMm: r.radiusMm, sliceIndex: r.view === o ? r.sliceIndex : -1, label: viewLabel(r, unit) }];
          if (r.view !== o) return [];
          if (r.kind === 'angle') return [{ kind: r.kind, points: [r.a, r.vertex, r.b], sliceIndex: r.sliceIndex, label: viewLabel(r, unit) }];
          if (r.kind === 'cobb') return [{ kind: r.kind, points: [...r.line1, ...r.line2], sliceIndex: r.sliceIndex, label: viewLabel(r, unit) }];
          if (r.kind === 'text') return [{ kind: r.kind, points: [r.at], sliceIndex: r.sliceIndex, label: viewLabel(r, unit) }];
          return [];
        }),
      );
  }, [rulers, status]);
  // the twin's stored measurements; a change by the user is saved (a researcher's stay on this screen only)
  const mayAnnotate = props.can('annotations.save');
  const load = useCallback(() => {
    client
      .call('annotations', 'get', twin.id)
      .then((set) => {
        setSaved(set);
        setMarks({ list: numberAnnotations(set.annotations), past: [], future: [], dirty: false });
        setSaveState(set.revision ? `saved by ${set.savedBy ?? '?'}, ${formatDateTime(set.savedAt)}` : '');
      })
      .catch(onError);
  }, [client, twin.id]);
  useEffect(load, [load]);
  useEffect(() => {
    if (!marks.dirty || !saved) return;
    if (!mayAnnotate) return setSaveState('not saved: your role may not save measurements');
    setSaveState('saving…');
    const t = setTimeout(() => {
      client
        .call('annotations', 'save', twin.id, saved.revision, marks.list)
        .then((set) => {
          setSaved(set);
          setMarks((m) => (m.list === marks.list ? { ...m, dirty: false } : m));
          setSaveState(`saved, ${formatDateTime(set.savedAt)}`);
        })
        .catch((e: unknown) => {
          setSaveState('not saved');
          onError(e);
        });
    }, 400);
    return () => clearTimeout(t);
  }, [marks, saved?.revision, mayAnnotate]);
  // what a screenshot carries: patient, series, date and software version (issue 20 §7)
  useEffect(() => {
    Promise.all([client.call('patients', 'get', twin.patientId), client.call('system', 'about')])
      .then(([p, a]) => {
        stampRef.current = `${p.displayName}${p.mrn ? ` · ID ${p.mrn}` : ''} · ${props.sourceOf(twin)} · twin v${twin.version} · OrthoTwin ${a.version}`;
      })
      .catch(() => (stampRef.current = `twin v${twin.version}`));
  }, [client, twin.id]);
  const screenshot = useCallback(
    async (view: Orientation | '3d') => {
      // the view under the pointer, the 3D view included (its render window's canvas); never another one instead
      const v = view === '3d' ? three.current : slices.current[view];
      if (!v) throw new Error(`Screenshot not taken: the ${view === '3d' ? '3D' : view} view is not ready yet`);
      const now = new Date();
      const stamp = `${stampRef.current} · ${view === '3d' ? '3D' : view} · ${formatDateTime(now)} (${now.toISOString()})`;
      lastCapture.current = { view, stamp, ...v.stampLayout(stamp) };
      const url = await v.capture(stamp);
      const a = document.createElement('a');
      a.href = url;
      a.download = `orthotwin-${view}-twin${twin.version}-${now.toISOString().replace(/[:.]/g, '-')}.png`;
      document.body.appendChild(a);
      a.click();
      a.remove();
    },
    [twin.id],
  );
  useEffect(() => {
    for (const o of ORIENTATIONS) slices.current[o]?.setTool(tool);
  }, [tool, status]);
  // a layout change resizes the views
  useEffect(() => {
    for (const o of ORIENTATIONS) slices.current[o]?.resize();
    three.current?.resize();
  }, [layout, maximised]);
  const undo = useCallback(() => {
    setMarks((m) => (m.past.length ? { list: m.past.at(-1)!, past: m.past.slice(0, -1), future: [...m.future, m.list], dirty: true } : m));
  }, []);
  const redoOne = useCallback(() => {
    setMarks((m) => (m.future.length ? { list: m.future.at(-1)!, past: [...m.past, m.list], future: m.future.slice(0, -1), dirty: true } : m));
  }, []);
  const remove = useCallback((i: number) => change((l) => l.filter((_, k) => k !== i)), [change]);
  const stepActive = useCallback(
    (step: number) => {
      const c = crosshair.current;
      const view = activeView.current === '3d' ? undefined : slices.current[activeView.current];
      if (c && view) moveTo(stepVoxelCentre(geometry, c, view.inPlaneAxes().indexAxis, step));
    },
    [geometry, moveTo],
  );
  // keyboard shortcuts (not while typing in a field), from the table the help overlay lists (shortcuts.ts)
  const helpRef = useRef(help);
  helpRef.current = help;
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
      const a = shortcutFor(e)?.action;
      if (!a) return;
      if (a.kind !== 'help' && a.kind !== 'escape' && helpRef.current) return; // the overlay is modal: ? or Esc closes it
      e.preventDefault();
      switch (a.kind) {
        case 'undo':
          return undo();
        case 'redo':
          return redoOne();
        case 'resetView':
          return ORIENTATIONS.forEach((o) => slices.current[o]?.resetView());
        case 'tool':
          return setTool((x) => (x === a.tool ? 'crosshair' : a.tool));
        case 'screenshot':
          return void screenshot(activeView.current).catch(onError);
        case 'step':
          return stepActive(e.key === a.upKey ? a.slices : -a.slices);
        case 'removeLast':
          return change((l) => l.slice(0, -1));
        case 'help':
          return setHelp((h) => !h);
        case 'escape':
          return helpRef.current ? setHelp(false) : setTool('crosshair');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [undo, redoOne, screenshot, stepActive, change]);
  useEffect(() => three.current?.setOpacity('skin', skinOpacity), [skinOpacity, status]);
  useEffect(() => {
    three.current?.setVisible('skin', visible.skin);
    three.current?.setVisible('bone', visible.bone);
  }, [visible, status]);

  // spine overlay in 3D: centroids with labels, process tips and their skin points, Cobb endplates, HU ellipsoids
  useEffect(() => {
    const r = spine?.report;
    const overlay: SpineOverlay | null =
      spineMode && r
        ? {
            centroids: r.vertebrae.map((v) => ({ name: v.name, lps: v.bodyCentroidLps ?? v.centroidLps })),
            tips: r.vertebrae.flatMap((v) =>
              [v.landmarks.spinousTip, v.landmarks.leftTransverseTip, v.landmarks.rightTransverseTip].flatMap((t) =>
                t ? [{ lps: t.pointLps, skin: t.skinPointLps }] : [],
              ),
            ),
            cobbLines: [r.curvature.coronal, r.curvature.sagittal].flatMap((c) => {
              if (!c) return [];
              const up = r.vertebrae.find((v) => v.name === c.upperEnd)?.superiorEndplate;
              const lo = r.vertebrae.find((v) => v.name === c.lowerEnd)?.inferiorEndplate;
              return [up, lo].flatMap((pl) => (pl ? [endplateSegment3d(pl, c.plane === 'coronal' ? 'coronal' : 'sagittal', 40)] : []));
            }),
            ellipsoids: r.vertebrae.flatMap((v) =>
              v.sphereHu && v.sphereAxes && v.bodyCentroidLps ? [{ centre: v.bodyCentroidLps, axes: v.sphereAxes, radiiMm: v.sphereHu.radiiMm }] : [],
            ),
          }
        : null;
    three.current?.setSpineOverlay(overlay, showSpheres);
  }, [spine, spineMode, showSpheres, status]);

  // grey levels on the bone surface (the analysis's bone-grey-mesh, coloured by HU)
  useEffect(() => {
    const a = spineMode && grey !== 'off' ? spine?.artefacts.find((x) => x.kind === 'bone-grey-mesh') : undefined;
    if (!a) {
      three.current?.setBoneScalars(null, 'HU_mean', greyRange);
      greyLoaded.current = null;
      return;
    }
    if (greyLoaded.current === a.id) {
      three.current?.setBoneScalars(undefined, grey, greyRange);
      return;
    }
    let gone = false;
    client.fetchBinary(bulkUrls.artefact(a.id)).then(({ buffer }) => {
      if (gone) return;
      greyLoaded.current = a.id;
      three.current?.setBoneScalars(buffer, grey, greyRange);
    }, onError);
    return () => {
      gone = true;
    };
  }, [spine, spineMode, grey, greyRange, status]);

  useEffect(() => {
    const el = gridRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      for (const o of ORIENTATIONS) slices.current[o]?.resize();
      three.current?.resize();
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    window.__orthotwin = {
      ready: status === null,
      scene: () => {
        const t = three.current?.triangleCounts() ?? { skin: 0, bone: 0 };
        return { skinTriangles: t.skin, boneTriangles: t.bone, actors: three.current?.actorCount() ?? 0 };
      },
      crosshairLps: () => crosshair.current,
      slicePositionsMm: () => ({
        axial: slices.current.axial?.slicePositionMm() ?? NaN,
        coronal: slices.current.coronal?.slicePositionMm() ?? NaN,
        sagittal: slices.current.sagittal?.slicePositionMm() ?? NaN,
      }),
      displayToLps: (view, x, y) => slices.current[view]!.displayToLps(x, y),
      lpsToDisplay: (view, p) => slices.current[view]!.lpsToDisplay(p),
      zoom: (view) => slices.current[view]?.zoom() ?? NaN,
      sliceIndex: (view) => slices.current[view]?.sliceIndex() ?? -1,
      lastCapture: () => lastCapture.current,
      mmPerPixel: (view) => {
        const a = slices.current[view]!.displayToLps(0, 0);
        const b = slices.current[view]!.displayToLps(100, 0);
        return Math.hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2]) / 100;
      },
    };
  }, [status]);

  return (
    <div className={spineMode ? 'planning spine-mode' : 'planning'}>
      <div>
        <div className="toolbar">
          {modality === 'CT' &&
            Object.entries(WL_PRESETS).map(([name, p]) => (
              <button key={name} onClick={() => setWl(p)}>
                {name}
              </button>
            ))}
          {voxels &&
            (modality === 'CT' ? AUTO_PRESETS.slice(0, 1) : AUTO_PRESETS).map(([name, lo, hi, why]) => (
              <button
                key={name}
                title={modality === 'CT' ? `${why} inside the body (HU > −500)` : why}
                onClick={() => setWl(autoWindowLevelFor(modality, voxels, lo, hi))}
              >
                {name}
              </button>
            ))}
          <span style={{ color: 'var(--muted)' }}>
            W {Math.round(wl.window)} / L {Math.round(wl.level)}
          </span>
          <label className="inline">
            <input type="checkbox" checked={visible.skin} onChange={(e) => setVisible((v) => ({ ...v, skin: e.target.checked }))} /> skin
          </label>
          <label className="inline">
            skin opacity
            <input
              type="range"
              min={0}
              max={1}
              step={0.05}
              value={skinOpacity}
              aria-label="Skin opacity"
              onChange={(e) => setSkinOpacity(Number(e.target.value))}
            />
          </label>
          <label className="inline">
            <input type="checkbox" checked={visible.bone} onChange={(e) => setVisible((v) => ({ ...v, bone: e.target.checked }))} /> bone
          </label>
          {cross && (
            <span style={{ color: 'var(--muted)' }} data-testid="crosshair">
              LPS {cross.map((x) => x.toFixed(1)).join(', ')} mm
            </span>
          )}
          {modality === 'CT' && (
            <button aria-pressed={spineMode} className={spineMode ? 'primary' : ''} onClick={() => setSpineMode((m) => !m)}>
              Spine
            </button>
          )}
          {spineMode && spine && (
            <>
              <label className="inline">
                bone grey levels
                <select aria-label="Bone grey levels" value={grey} onChange={(e) => setGrey(e.target.value as typeof grey)}>
                  <option value="off">off</option>
                  <option value="HU_mean">mean HU</option>
                  <option value="HU_max">max HU</option>
                </select>
              </label>
              {grey !== 'off' && (
                <label className="inline">
                  range
                  <input
                    type="number"
                    aria-label="Grey level minimum"
                    style={{ width: 64 }}
                    value={greyRange[0]}
                    onChange={(e) => setGreyRange([Number(e.target.value), greyRange[1]])}
                  />
                  <input
                    type="number"
                    aria-label="Grey level maximum"
                    style={{ width: 64 }}
                    value={greyRange[1]}
                    onChange={(e) => setGreyRange([greyRange[0], Number(e.target.value)])}
                  />
                </label>
              )}
              <label className="inline">
                <input type="checkbox" checked={showSpheres} onChange={(e) => setShowSpheres(e.target.checked)} /> HU spheres
              </label>
            </>
          )}
          {status && <span data-testid="status">{status}</span>}
        </div>
        <div className="toolbar" aria-label="viewer tools">
          <label className="inline">
            layout{' '}
            <select aria-label="Layout" value={layout} onChange={(e) => (setLayout(e.target.value as Layout), setMaximised(null))}>
              <option value="2x2">2 × 2 (three slices + 3D)</option>
              <option value="1x3">1 × 3 (three slices)</option>
              <option value="1x1">1 × 1 (axial)</option>
            </select>
          </label>
          {TOOLS.map(([t, name]) => (
            <button key={t} aria-pressed={tool === t} className={tool === t ? 'primary' : ''} onClick={() => setTool((x) => (x === t ? 'crosshair' : t))}>
              {name} ({toolKey(t)})
            </button>
          ))}
          <button onClick={() => ORIENTATIONS.forEach((o) => slices.current[o]?.resetView())}>Reset view (R)</button>
          <button disabled={!marks.past.length} onClick={undo}>
            Undo
          </button>
          <button disabled={!marks.future.length} onClick={redoOne}>
            Redo
          </button>
          <button
            onClick={() => void screenshot(activeView.current).catch(onError)}
            title="PNG of the view under the pointer (axial by default; the 3D view too), with its measurements, patient, series, date and software version"
          >
            Screenshot (S)
          </button>
          <button
            aria-pressed={help}
            aria-label="Viewer shortcuts (?)"
            title="Help: the viewer's mouse and keyboard shortcuts"
            onClick={() => setHelp((h) => !h)}
          >
            ? Shortcuts
          </button>
          {!mayAnnotate && (
            <small className="muted" data-testid="measurements-not-stored" title="Your role may read the twin's stored measurements but not change them">
              measurements made here stay on this screen (not stored: your role may not save them)
            </small>
          )}
        </div>
        {/* the measurement list: a strip of three rows reserved from the start (scrolls within), so the views never move when one is added */}
        <div className="measurements" data-testid="measurements" aria-label="measurements">
          {rulers.map((r, i) => (
            <div key={r.n ?? `i${i}`} className="measurement" data-testid={r.kind === 'ellipse' || r.kind === 'sphere' ? `roi-${r.n}` : `mark-${r.n}`}>
              {describeMark(r, unit)}
              {r.kind === 'ellipse' || r.kind === 'sphere' ? ', ' : ' ('}
              {r.view} Im {r.sliceIndex + 1})
              <button
                className="link"
                aria-label={`Remove ${r.kind === 'ellipse' || r.kind === 'sphere' ? 'ROI' : r.kind} ${r.n}`}
                title="Remove (undo brings it back)"
                onClick={() => remove(i)}
              >
                ×
              </button>
            </div>
          ))}
          {rulers.length === 0 && (
            <div className="muted">No measurements: Ruler (M), Ellipse ROI (E), Sphere ROI (O), Angle (A), Cobb (C), Text (T) — listed here.</div>
          )}
          {(saveState || rulers.length > 0) && (
            <div className="muted">
              {saveState && <span data-testid="measurements-saved">measurements {saveState}. </span>}
              {rulers.length > 0 && "Measured on the voxel grid of the twin's source volume; angles in the view's plane."}
            </div>
          )}
        </div>
        {help && (
          // an overlay over the viewer: ?, Esc, Close or a click outside closes it
          <div className="dialog-backdrop" data-testid="shortcuts-backdrop" onClick={() => setHelp(false)}>
            <div className="dialog" role="dialog" aria-modal="true" aria-label="viewer shortcuts" data-testid="shortcuts" onClick={(e) => e.stopPropagation()}>
              <div className="dialog-head">
                <h2>Viewer shortcuts</h2>
                <button onClick={() => setHelp(false)}>Close</button>
              </div>
              <table className="features">
                <tbody>
                  {SHORTCUTS.map((s) => (
                    <tr key={s.keys}>
                      <td>
                        <kbd>{s.keys}</kbd>
                      </td>
                      <td>{s.what}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
        )}
        <div className={`views layout-${maximised ? '1x1' : layout}`} ref={gridRef}>
          {ORIENTATIONS.map((o) => (
            <div
              key={o}
              className="view"
              data-testid={`view-${o}`}
              onMouseEnter={() => (activeView.current = o)}
              hidden={maximised ? maximised !== o : layout === '1x1' && o !== 'axial'}
            >
              <div className="label">{o}</div>
              <div className="vtk" ref={containers[o]} />
            </div>
          ))}
          <div className="view" data-testid="view-3d" onMouseEnter={() => (activeView.current = '3d')} hidden={maximised !== null || layout !== '2x2'}>
            <div className="label">3D</div>
            <div className="vtk" ref={threeRef} />
            {spineMode && grey !== 'off' && (
              <div className="legend" data-testid="grey-legend">
                {grey === 'HU_mean' ? 'mean' : 'max'} HU over {spine?.report.surfaceGreyDepthMm ?? '—'} mm inward
                <div
                  className="bar"
                  style={{
                    background: `linear-gradient(to right, ${GREY_LEVEL_COLOURS.map(([t, r, g, b]) => `rgb(${r * 255},${g * 255},${b * 255}) ${t * 100}%`).join(', ')})`,
                  }}
                />
                <div style={{ display: 'flex', justifyContent: 'space-between' }}>
                  <span>{greyRange[0]}</span>
                  <span>{greyRange[1]}</span>
                </div>
              </div>
            )}
          </div>
        </div>
      </div>
      {spineMode ? (
        <SpinePanel
          onLocate={moveTo}
          can={props.can}
          client={client}
          twin={twin}
          voxels={voxels}
          geometry={geometry}
          onJob={props.onJob}
          onError={onError}
          onAnalysis={setSpine}
        />
      ) : (
        <FeaturesPanel
          client={client}
          twin={twin}
          twins={props.twins}
          sourceOf={props.sourceOf}
          can={props.can}
          onSelectTwin={props.onSelectTwin}
          onJob={props.onJob}
          onError={onError}
        />
      )}
    </div>
  );
}
