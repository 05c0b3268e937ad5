/**
 * The fused views' status line: Freeze / Live, the cine slider and the TRE
 * tool's toggle on a frozen frame, and what the fusion loop reports (frames,
 * NCC, tracker → screen latency, dropped and untracked frames, the predicted
 * TRE at the plane with the registration's error budget); "NCC on model
 * output" while the fused frames are a model's (issue 22).
 */
import type { FusionStats } from './live/fusionLoop.js';
import { modelOutputName } from '../../../electron/contract/devices.js';

/** A number with `d` decimals, '—' when not finite. */
export const fmt = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '—');

interface Props {
  frozen: boolean;
  onFreeze(): void;
  cineIndex: number;
  cineLength: number;
  onCineIndex(i: number): void;
  treMode: boolean;
  onTreMode(): void;
  stats: FusionStats;
  /** With a patient registration: the error terms added to its predicted TRE (mm, null when unknown). */
  registered: boolean;
  cameraToTrackerErrorMm: number | null;
  imageToProbeErrorMm: number | null;
}

/** The status line over the fused views (data-testid fusion-status). */
export function FusionStatusLine(p: Props) {
  const { stats } = p;
  return (
    <div className="row" data-testid="fusion-status">
      <button onClick={p.onFreeze} aria-pressed={p.frozen}>
        {p.frozen ? 'Live' : 'Freeze'}
      </button>
      {p.frozen && (
        <label>
          Cine{' '}
          <input
            type="range"
            aria-label="Cine"
            min={0}
            max={Math.max(0, p.cineLength - 1)}
            value={p.cineIndex}
            onChange={(e) => p.onCineIndex(Number(e.target.value))}
          />{' '}
          {p.cineIndex + 1}/{p.cineLength}
        </label>
      )}
      {p.frozen && (
        <button aria-pressed={p.treMode} onClick={p.onTreMode}>
          {p.treMode ? 'Stop marking' : 'Mark landmarks (TRE)'}
        </button>
      )}
      <span className="muted">
        frames {stats.shown} · NCC{modelOutputName(stats.enhancement) ? ' on model output' : ''} <span data-testid="fusion-ncc">{fmt(stats.ncc, 3)}</span> ·
        tracker → screen p50 {fmt(stats.p50)} ms, p95 {fmt(stats.p95)} ms · dropped {stats.dropped} · untracked {stats.untracked}
        {p.registered && (
          <>
            {' '}
            · predicted TRE at the plane <span data-testid="fusion-predicted-tre">{fmt(stats.predictedAtPlaneMm, 2)}</span> mm (registration)
            {p.cameraToTrackerErrorMm != null && ` ⊕ camera ↔ tracker ${p.cameraToTrackerErrorMm.toFixed(2)} mm`}
            {p.imageToProbeErrorMm != null && ` ⊕ probe calibration ${p.imageToProbeErrorMm.toFixed(2)} mm`}
          </>
        )}
      </span>
    </div>
  );
}
