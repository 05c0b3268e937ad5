/**
 * The TRE tool's results on a frozen frame: the landmark pairs' distances
 * (mean, RMS, max), clearing them, saving them with the patient registration,
 * and the hint for the next click while marking.
 */
import { treSummary, type LandmarkPair } from './fusionMath.js';
import { fmt } from './FusionStatusLine.js';

interface Props {
  pairs: LandmarkPair[];
  /** How many of the pairs are saved with the registration. */
  savedPairs: number;
  /** Whether there is a registration to save them with. */
  registered: boolean;
  treMode: boolean;
  pendingUs: [number, number] | null;
  onClear(): void;
  onSave(): Promise<void>;
}

/** The TRE row (data-testid fusion-tre) once a pair is marked, and the marking hint. */
export function TreTool({ pairs, savedPairs, registered, treMode, pendingUs, onClear, onSave }: Props) {
  const tre = treSummary(pairs);
  return (
    <>
      {pairs.length > 0 && (
        <div className="row" data-testid="fusion-tre">
          <span>
            TRE over {tre.n} landmark{tre.n > 1 ? 's' : ''}: mean {fmt(tre.meanMm, 2)} mm, RMS {fmt(tre.rmsMm, 2)} mm, max {fmt(tre.maxMm, 2)} mm (
            {pairs.map((p) => p.distanceMm.toFixed(2)).join(', ')} mm)
          </span>
          <button onClick={onClear}>Clear landmarks</button>
          {registered && (
            <button disabled={savedPairs === pairs.length} onClick={() => void onSave()}>
              {savedPairs === pairs.length ? 'Saved with the registration' : 'Save with the registration'}
            </button>
          )}
        </div>
      )}
      {treMode && <div className="muted">{pendingUs ? 'Now click the same point in the volume view.' : 'Click a landmark in the ultrasound view.'}</div>}
    </>
  );
}
