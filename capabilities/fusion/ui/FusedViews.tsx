/**
 * The three 2D views of the live fusion side by side: the ultrasound frame,
 * the prior volume resliced on its plane (drawn by the fusion loop into the
 * boxes given here) and the overlay, with the TRE tool's landmark marks and
 * clicks (image pixels of the shown frame).
 */
import type { CSSProperties, MouseEvent, ReactNode, RefObject } from 'react';
import type { LandmarkPair } from './fusionMath.js';
import { VIEW_W } from './live/fusionViews.js';
import type { StreamHeader } from '../../../electron/contract/devices.js';
import { enhancedCaption } from '../../devices/ui/enhanceShown.js';

/** What the views need of the frame shown: its size (pixels) and ImageToVolume (null when not placed). */
export interface ShownFrame {
  width: number;
  height: number;
  imageToVolume: number[] | null;
}

interface Props {
  usCanvas: RefObject<HTMLCanvasElement | null>;
  overlayCanvas: RefObject<HTMLCanvasElement | null>;
  resliceBox: RefObject<HTMLDivElement | null>;
  /** Height of the views (CSS px; the width is VIEW_W). */
  viewH: number;
  modality: string;
  treMode: boolean;
  /** The frame shown now (looked up on render and on clicks). */
  shown(): ShownFrame | null;
  /** The ultrasound landmark waiting for its volume point, and the pairs marked (image pixels). */
  pendingUs: [number, number] | null;
  pairs: LandmarkPair[];
  /** A click on the ultrasound view: the frame's pixel under it (null without a frame). */
  onUsClick(px: [number, number] | null): void;
  /** A click on the reslice view: the frame's pixel under it. */
  onVolumeClick(px: [number, number] | null): void;
  /** The split view's raw-frame canvas (shown when `split`), the enhancement switch and the model's label (issue 22). */
  rawCanvas?: RefObject<HTMLCanvasElement | null>;
  split?: boolean;
  /** Whether the ultrasound view shows a model's output (its caption says so). */
  enhanced?: boolean;
  enhanceControls?: ReactNode;
  /** The enhancement header of the frame fused (the caption says when the model did not run on it). */
  enhancement?: StreamHeader['enhancement'] | null;
  /** The model whose output the overlay is computed on ("model output: denoise 1.0.0"), null or absent: raw frames. */
  modelOutput?: string | null;
}

/** Image pixel (i, j) under a click on a view that shows the whole frame rectangle. */
function clickPx(e: MouseEvent<HTMLElement>, f: ShownFrame | null): [number, number] | null {
  if (!f) return null;
  const r = e.currentTarget.getBoundingClientRect();
  return [((e.clientX - r.left) / r.width) * f.width - 0.5, ((e.clientY - r.top) / r.height) * f.height - 0.5];
}

/** The ultrasound, reslice and overlay views (VIEW_W × `viewH` CSS px each). */
export function FusedViews(p: Props) {
  const { viewH } = p;
  /** CSS position of an image pixel in a view of the frame (for the landmark marks). */
  const markAt = (px: [number, number]): CSSProperties => {
    const f = p.shown();
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
  return (
    <div className="row" style={{ alignItems: 'flex-start' }}>
      {p.split && p.rawCanvas && (
        <figure>
          <canvas
            ref={p.rawCanvas}
            width={820}
            height={616}
            style={{ width: VIEW_W, height: viewH, background: '#000', display: 'block' }}
            data-testid="fusion-us-raw"
          />
          <figcaption className="muted">Before: raw ultrasound</figcaption>
        </figure>
      )}
      <figure>
        <div style={{ position: 'relative', width: VIEW_W, height: viewH }} onClick={(e) => p.onUsClick(clickPx(e, p.shown()))}>
          <canvas
            ref={p.usCanvas}
            width={820}
            height={616}
            style={{ width: VIEW_W, height: viewH, background: '#000', display: 'block' }}
            data-testid="fusion-us"
          />
          {p.pendingUs && <div style={markAt(p.pendingUs)} />}
          {p.pairs.map((q, i) => (
            <div key={i} style={markAt(q.usPx)} />
          ))}
        </div>
        <figcaption className="muted">
          {p.enhanced ? enhancedCaption(!!p.split, p.enhancement ?? null, 'ultrasound') : 'Ultrasound'}
          {p.enhanceControls}
        </figcaption>
      </figure>
      <figure>
        <div style={{ position: 'relative', width: VIEW_W, height: viewH }} onClick={(e) => p.onVolumeClick(clickPx(e, p.shown()))}>
          <div
            ref={p.resliceBox}
            style={{ position: 'absolute', inset: 0, background: '#000', cursor: p.treMode ? 'crosshair' : 'ns-resize' }}
            data-testid="fusion-reslice"
          />
          {p.pairs.map((q, i) => (
            <div key={i} style={markAt(q.volumePx)} />
          ))}
        </div>
        <figcaption className="muted">{p.modality} on the ultrasound plane (drag: window/level)</figcaption>
      </figure>
      <figure>
        <canvas ref={p.overlayCanvas} width={820} height={616} style={{ width: VIEW_W, height: viewH, background: '#000' }} data-testid="fusion-overlay" />
        <figcaption className="muted" data-testid="fusion-overlay-caption">
          Overlay{p.modelOutput ? ` (${p.modelOutput})` : ''}
        </figcaption>
      </figure>
    </div>
  );
}
