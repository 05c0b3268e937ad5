/**
 * The probe's-eye view of one screw: the CT resampled along its axis
 * (probeEye.ts) in three canvases — the axial-oblique and sagittal-oblique
 * planes that contain the axis, and the cross-section perpendicular to it at
 * the depth slider — with the screw's outline in its grade's colour, the
 * entry (white) and target (cyan) as handles, and orientation letters. The
 * surgeon drags the entry or the target in either longitudinal view: the
 * point moves within that view's plane (held still during the drag), the
 * parent regrades as it moves and once more when it is let go.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Vec3, VolumeGeometry } from '../../../math/geometry.js';
import type { BreachGrade } from '../contract.js';
import { GRADE_COLOURS } from './display.js';
import { edgeLetters, lpsToPixel, pixelToLps, probePlanes, reslice, screwOutline, type ProbeView, type ViewPlane } from './probeEye.js';

const HANDLE_CSS_PX = 10;
const FOV_MM = 100;
const PIXEL_MM = 0.5;

/** What the view tells its parent and the e2e probe: where a handle or an LPS point is on screen. */
export interface ProbeEyeHandle {
  /** Client (page) coordinates of an LPS point projected on a view's plane. */
  lpsToClient(view: ProbeView, lps: Vec3): { x: number; y: number } | null;
  /** The view's plane as drawn now (LPS mm). */
  plane(view: ProbeView): ViewPlane | null;
}

export function ProbeEye(props: {
  voxels: ArrayLike<number>;
  geometry: VolumeGeometry;
  entry: Vec3;
  target: Vec3;
  diameterMm: number;
  grade: BreachGrade;
  /** The vertebra's superior axis (unit LPS). */
  superior: Vec3;
  window: number;
  level: number;
  /** False when the session may not edit (a researcher): no handles are dragged. */
  editable: boolean;
  /** The entry or target moved to `lps` (LPS mm); `final` when the mouse is let go. */
  onMove(which: 'entry' | 'target', lps: Vec3, final: boolean): void;
  handleRef?(h: ProbeEyeHandle | null): void;
}) {
  const { entry, target } = props;
  const length = Math.hypot(target[0] - entry[0], target[1] - entry[1], target[2] - entry[2]);
  const [depthMm, setDepthMm] = useState(() => length / 2);
  const [drag, setDrag] = useState<{ which: 'entry' | 'target'; view: ProbeView; planes: Record<ProbeView, ViewPlane> } | null>(null);
  const live = useMemo(
    () => (length > 1e-3 ? probePlanes(entry, target, props.superior, depthMm, FOV_MM, PIXEL_MM) : null),
    [entry, target, props.superior, depthMm, length],
  );
  const planes = drag?.planes ?? live;
  const canvases = { axial: useRef<HTMLCanvasElement>(null), sagittal: useRef<HTMLCanvasElement>(null), cross: useRef<HTMLCanvasElement>(null) };
  // the cross-section follows the depth slider and the axis even during a drag
  const crossPlane = live?.cross ?? null;
  const toImage = (p: ViewPlane): ImageData => {
    const grey = reslice(props.voxels, props.geometry, p, props.window, props.level);
    const img = new ImageData(p.width, p.height);
    for (let i = 0; i < grey.length; i++) {
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = grey[i]!;
      img.data[4 * i + 3] = 255;
    }
    return img;
  };
  // the longitudinal reslices stay while a drag holds their planes; the cross-section follows the axis
  const longImages = useMemo(
    () => (planes ? { axial: toImage(planes.axial), sagittal: toImage(planes.sagittal) } : null),
    [planes, props.voxels, props.geometry, props.window, props.level],
  );
  const crossImage = useMemo(() => (crossPlane ? toImage(crossPlane) : null), [crossPlane, props.voxels, props.geometry, props.window, props.level]);
  const images = longImages && crossImage ? { ...longImages, cross: crossImage } : null;

  useEffect(() => {
    if (!planes || !images) return;
    const colour = GRADE_COLOURS[props.grade];
    for (const v of ['axial', 'sagittal', 'cross'] as const) {
      const cv = canvases[v].current;
      const p = v === 'cross' ? crossPlane! : planes[v];
      if (!cv) continue;
      cv.width = p.width;
      cv.height = p.height;
      const ctx = cv.getContext('2d');
      if (!ctx) continue;
      ctx.putImageData(images[v], 0, 0);
      const o = screwOutline(p, entry, target, props.diameterMm);
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      if (o.kind === 'rect') {
        ctx.moveTo(...o.corners[0]!);
        for (const c of o.corners.slice(1)) ctx.lineTo(...c);
        ctx.closePath();
      } else ctx.arc(o.centre[0], o.centre[1], o.radiusPx, 0, 2 * Math.PI);
      ctx.stroke();
      if (v !== 'cross') {
        // the axis, the cross-section's depth, the handles
        const [e, t] = [lpsToPixel(p, entry), lpsToPixel(p, target)];
        ctx.setLineDash([3, 3]);
        ctx.beginPath();
        ctx.moveTo(...e);
        ctx.lineTo(...t);
        ctx.stroke();
        ctx.setLineDash([]);
        if (crossPlane) {
          const c = lpsToPixel(p, crossPlane.centre);
          const dx = t[0] - e[0];
          const dy = t[1] - e[1];
          const n = Math.hypot(dx, dy) || 1;
          const h = (props.diameterMm / PIXEL_MM) * 1.5;
          ctx.strokeStyle = '#ffe066';
          ctx.beginPath();
          ctx.moveTo(c[0] - (dy / n) * h, c[1] + (dx / n) * h);
          ctx.lineTo(c[0] + (dy / n) * h, c[1] - (dx / n) * h);
          ctx.stroke();
        }
        for (const [pt, col] of [
          [e, '#ffffff'],
          [t, '#4cd3ee'],
        ] as const) {
          ctx.strokeStyle = col;
          ctx.lineWidth = 2;
          ctx.beginPath();
          ctx.arc(pt[0], pt[1], 4, 0, 2 * Math.PI);
          ctx.stroke();
        }
      }
      const L = edgeLetters(p);
      ctx.fillStyle = '#e8c547';
      ctx.font = '11px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      ctx.textAlign = 'left';
      ctx.fillText(L.left, 3, p.height / 2);
      ctx.textAlign = 'right';
      ctx.fillText(L.right, p.width - 3, p.height / 2);
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      ctx.fillText(L.top, p.width / 2, 3);
      ctx.textBaseline = 'bottom';
      ctx.fillText(L.bottom, p.width / 2, p.height - 3);
      // scale bar: 10 mm
      ctx.strokeStyle = '#cfd6df';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(6, p.height - 8);
      ctx.lineTo(6 + 10 / p.pixelMm, p.height - 8);
      ctx.stroke();
    }
  }, [planes, crossPlane, longImages, crossImage, entry, target, props.diameterMm, props.grade]);

  const planeOf = (v: ProbeView): ViewPlane | null => (v === 'cross' ? crossPlane : (planes?.[v] ?? null));
  const toClient = (v: ProbeView, px: [number, number]): { x: number; y: number } | null => {
    const cv = canvases[v].current;
    if (!cv) return null;
    const b = cv.getBoundingClientRect();
    return { x: b.left + ((px[0] + 0.5) / cv.width) * b.width, y: b.top + ((px[1] + 0.5) / cv.height) * b.height };
  };
  const toPixel = (v: ProbeView, e: { clientX: number; clientY: number }): [number, number] => {
    const cv = canvases[v].current!;
    const b = cv.getBoundingClientRect();
    return [((e.clientX - b.left) / b.width) * cv.width - 0.5, ((e.clientY - b.top) / b.height) * cv.height - 0.5];
  };
  useEffect(() => {
    props.handleRef?.({
      lpsToClient: (v, lps) => {
        const p = planeOf(v);
        return p ? toClient(v, lpsToPixel(p, lps)) : null;
      },
      plane: planeOf,
    });
    return () => props.handleRef?.(null);
  }, [planes, crossPlane]);

  if (!planes) return <div className="notice">The screw has no length: nothing to reslice.</div>;
  const longitudinal = (v: 'axial' | 'sagittal', title: string) => (
    <figure className="probe-view">
      <figcaption>{title}</figcaption>
      <canvas
        ref={canvases[v]}
        className="reformat"
        data-testid={`probe-${v}`}
        aria-label={`${title}; drag the entry (white) or the target (cyan)`}
        style={{ cursor: drag ? 'grabbing' : props.editable ? 'crosshair' : 'default' }}
        onMouseDown={(e) => {
          if (!props.editable) return;
          const p = planes[v];
          const [c, r] = toPixel(v, e);
          const cv = canvases[v].current!;
          const scale = cv.width / cv.getBoundingClientRect().width;
          let best: 'entry' | 'target' | null = null;
          let bd = HANDLE_CSS_PX * scale;
          for (const which of ['target', 'entry'] as const) {
            const [hc, hr] = lpsToPixel(p, which === 'entry' ? entry : target);
            const d = Math.hypot(hc - c, hr - r);
            if (d < bd) ((bd = d), (best = which));
          }
          if (best) {
            setDrag({ which: best, view: v, planes });
            e.preventDefault();
          }
        }}
        onMouseMove={(e) => {
          if (!drag || drag.view !== v) return;
          const [c, r] = toPixel(v, e);
          props.onMove(drag.which, roundLps(pixelToLps(drag.planes[v], c, r)), false);
        }}
        onMouseUp={(e) => {
          if (!drag || drag.view !== v) return;
          const [c, r] = toPixel(v, e);
          const d = drag;
          setDrag(null);
          props.onMove(d.which, roundLps(pixelToLps(d.planes[v], c, r)), true);
        }}
        onMouseLeave={() => {
          if (!drag || drag.view !== v) return;
          const d = drag;
          setDrag(null);
          // let go outside the view: the point stays where it was last drawn
          props.onMove(d.which, d.which === 'entry' ? entry : target, true);
        }}
      />
    </figure>
  );
  return (
    <>
      {longitudinal('axial', 'axial-oblique (contains the axis)')}
      {longitudinal('sagittal', 'sagittal-oblique (contains the axis)')}
      <figure className="probe-view">
        <figcaption>
          cross-section at{' '}
          <input
            type="range"
            min={0}
            max={Math.floor(length)}
            step={0.5}
            value={Math.min(depthMm, length)}
            aria-label="Cross-section depth from the entry (mm)"
            onChange={(e) => setDepthMm(Number(e.target.value))}
          />{' '}
          <span data-testid="probe-depth">{Math.min(depthMm, length).toFixed(1)}</span> mm
        </figcaption>
        <canvas ref={canvases.cross} className="reformat" data-testid="probe-cross" aria-label="cross-section perpendicular to the screw axis" />
      </figure>
    </>
  );
}

const roundLps = (p: Vec3): Vec3 => p.map((x) => Math.round(x * 100) / 100) as Vec3;
