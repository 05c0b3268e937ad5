/** The colour scale of the predicted-TRE map of the patient registration, over the fusion's 3D view. */
import { TRE_COLOURS } from './treColours.js';

/** @param rangeMm the predicted TRE at the top of the scale (mm) */
export function TreLegend({ rangeMm }: { rangeMm: number }) {
  return (
    <div className="legend" aria-label="predicted TRE colour scale">
      predicted TRE (registration) 0{' '}
      <span
        style={{
          display: 'inline-block',
          width: 90,
          height: 10,
          verticalAlign: 'middle',
          background: `linear-gradient(to right, ${TRE_COLOURS.map(([t, r, g, b]) => `rgb(${r * 255},${g * 255},${b * 255}) ${t * 100}%`).join(', ')})`,
        }}
      />{' '}
      {rangeMm.toFixed(0)} mm
    </div>
  );
}
