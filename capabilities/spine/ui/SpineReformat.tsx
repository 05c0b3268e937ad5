/**
 * One curved reformat of the spine (coronal or sagittal) on a canvas: the CT
 * in a bone window, each vertebral body centroid as a labelled handle that
 * the surgeon can drag (the level is then re-measured), the spinous process
 * tips (sagittal), and the Cobb lines of that plane with the angle.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { SpineReport } from '../../../electron/contract/index.js';
import type { Vec3, VolumeGeometry } from '../../../math/geometry.js';
import { curvedReformat, endplateSegment, greyOf, lpsToPixel, pixelToLps, type Reformat, type ReformatPlane } from './reformat.js';

const HANDLE_PX = 9;

/** What the spine panel (and the e2e probe) may ask a reformat: a centroid's position on screen. */
export interface ReformatHandle {
  /** Client (page) coordinates of a level's centroid handle, for tests and tooling. */
  centroidClient(name: string): { x: number; y: number } | null;
}

/** A curved coronal or sagittal reformat along the spine, with the centroids (draggable) and the Cobb endplates. */
export function SpineReformat(props: {
  plane: ReformatPlane;
  voxels: ArrayLike<number>;
  geometry: VolumeGeometry;
  report: SpineReport;
  window: number;
  level: number;
  busy: boolean;
  selected: string | null;
  onSelect(name: string): void;
  onMoveCentroid(name: string, lps: Vec3): void;
  handleRef?: (h: ReformatHandle | null) => void;
}) {
  const { plane, report } = props;
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [drag, setDrag] = useState<{ name: string; col: number; row: number } | null>(null);
  const centreline = report.curvature.centrelineLps;
  const f: Reformat | null = useMemo(
    () => (centreline.length ? curvedReformat(props.voxels, props.geometry, centreline, plane, 1) : null),
    [props.voxels, props.geometry, centreline, plane],
  );
  const image = useMemo(() => {
    if (!f) return null;
    const img = new ImageData(f.width, f.height);
    for (let i = 0; i < f.values.length; i++) {
      const v = greyOf(f.values[i]!, props.window, props.level);
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
      img.data[4 * i + 3] = 255;
    }
    return img;
  }, [f, props.window, props.level]);

  useEffect(() => {
    const cv = canvasRef.current;
    if (!cv || !f || !image) return;
    cv.width = f.width;
    cv.height = f.height;
    const ctx = cv.getContext('2d');
    if (!ctx) return;
    ctx.putImageData(image, 0, 0);
    ctx.lineWidth = 1;
    ctx.font = '10px system-ui, sans-serif';
    // Cobb lines of this plane
    const cobb = plane === 'coronal' ? report.curvature.coronal : report.curvature.sagittal;
    if (cobb) {
      const up = report.vertebrae.find((v) => v.name === cobb.upperEnd)?.superiorEndplate;
      const lo = report.vertebrae.find((v) => v.name === cobb.lowerEnd)?.inferiorEndplate;
      ctx.strokeStyle = '#4cc3e8';
      ctx.fillStyle = '#4cc3e8';
      for (const pl of [up, lo]) {
        const seg = pl ? endplateSegment(f, pl.point, pl.normal, 45) : null;
        if (!seg) continue;
        ctx.beginPath();
        ctx.moveTo(...seg[0]);
        ctx.lineTo(...seg[1]);
        ctx.stroke();
      }
      ctx.fillText(`Cobb ${cobb.angleDeg.toFixed(1)}° ${cobb.upperEnd}–${cobb.lowerEnd}`, 4, 12);
    }
    // spinous tips (sagittal)
    if (plane === 'sagittal')
      for (const v of report.vertebrae) {
        const t = v.landmarks.spinousTip;
        if (!t) continue;
        const [c, r] = lpsToPixel(f, t.pointLps);
        ctx.fillStyle = '#e8c547';
        ctx.fillRect(c - 2, r - 2, 4, 4);
      }
    // centroid handles (a level whose body is out of view is named at its arch, grey and not draggable)
    for (const v of report.vertebrae) {
      const [c, r] = drag?.name === v.name ? [drag.col, drag.row] : lpsToPixel(f, v.bodyCentroidLps ?? v.centroidLps);
      const sel = props.selected === v.name;
      ctx.strokeStyle = !v.bodyCentroidLps ? '#8a8f98' : sel ? '#ffb347' : '#e0524b';
      ctx.lineWidth = sel ? 2 : 1;
      ctx.beginPath();
      ctx.arc(c, r, 4, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.fillStyle = sel ? '#ffb347' : '#ffffff';
      ctx.fillText(v.name, c + 7, r + 3);
    }
  }, [f, image, report, drag, props.selected, plane]);

  // canvas pixel of a mouse event (the canvas is scaled by CSS)
  const toPixel = (e: { clientX: number; clientY: number }): [number, number] => {
    const cv = canvasRef.current!;
    const r = cv.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * cv.width, ((e.clientY - r.top) / r.height) * cv.height];
  };

  useEffect(() => {
    props.handleRef?.(
      f
        ? {
            centroidClient: (name) => {
              const v = report.vertebrae.find((x) => x.name === name);
              const cv = canvasRef.current;
              if (!v?.bodyCentroidLps || !cv) return null;
              const [c, r] = lpsToPixel(f, v.bodyCentroidLps);
              const b = cv.getBoundingClientRect();
              return { x: b.left + (c / cv.width) * b.width, y: b.top + (r / cv.height) * b.height };
            },
          }
        : null,
    );
    return () => props.handleRef?.(null);
  }, [f, report]);

  if (!f) return <div className="notice">No centreline: nothing to reformat.</div>;
  return (
    <canvas
      ref={canvasRef}
      className="reformat"
      data-testid={`reformat-${plane}`}
      aria-label={`${plane} reformat along the spine; drag a centroid to correct it`}
      style={{ cursor: drag ? 'grabbing' : 'crosshair', opacity: props.busy ? 0.6 : 1 }}
      onMouseDown={(e) => {
        if (props.busy) return;
        const [c, r] = toPixel(e);
        const scale = canvasRef.current!.width / canvasRef.current!.getBoundingClientRect().width;
        let best: string | null = null;
        let bd = HANDLE_PX * Math.max(1, scale);
        for (const v of report.vertebrae) {
          if (!v.bodyCentroidLps) continue;
          const [vc, vr] = lpsToPixel(f, v.bodyCentroidLps);
          const d = Math.hypot(vc - c, vr - r);
          if (d < bd) ((bd = d), (best = v.name));
        }
        if (best) {
          props.onSelect(best);
          setDrag({ name: best, col: c, row: r });
          e.preventDefault();
        }
      }}
      onMouseMove={(e) => {
        if (!drag) return;
        const [c, r] = toPixel(e);
        setDrag({ ...drag, col: c, row: r });
      }}
      onMouseUp={(e) => {
        if (!drag) return;
        const [c, r] = toPixel(e);
        const v = report.vertebrae.find((x) => x.name === drag.name);
        setDrag(null);
        if (!v?.bodyCentroidLps) return;
        const [c0, r0] = lpsToPixel(f, v.bodyCentroidLps);
        if (Math.hypot(c - c0, r - r0) < 0.5) return;
        // keep the centroid's own depth (x on the sagittal, y on the coronal)
        props.onMoveCentroid(drag.name, pixelToLps(f, c, r, plane === 'coronal' ? v.bodyCentroidLps[1] : v.bodyCentroidLps[0]));
      }}
      onMouseLeave={() => setDrag(null)}
    />
  );
}
