/** The overlay's controls (opacity, colour map, edges only) and the choice of where the reslice is computed. */
import type { ColourMap } from './fusionMath.js';
import type { Field } from './useField.js';
import type { ResliceChoice } from './live/fusionViews.js';

interface Props {
  /** Opacity of the volume's layer, 0–1. */
  opacity: Field<number>;
  colourMap: Field<ColourMap>;
  edgesOnly: Field<boolean>;
  backendChoice: Field<ResliceChoice>;
  /** Where the reslice is computed now, null before the volume's views exist. */
  backend: 'gpu' | 'cpu' | null;
}

/** The row of overlay and reslicing controls under the fused views. */
export function OverlayControls({ opacity, colourMap, edgesOnly, backendChoice, backend }: Props) {
  return (
    <div className="row">
      <label>
        Opacity{' '}
        <input
          type="range"
          aria-label="Overlay opacity"
          min={0}
          max={1}
          step={0.05}
          value={opacity.value}
          onChange={(e) => opacity.set(Number(e.target.value))}
        />
      </label>
      <label>
        Colour map{' '}
        <select aria-label="Colour map" value={colourMap.value} onChange={(e) => colourMap.set(e.target.value as ColourMap)}>
          <option value="grey">grey</option>
          <option value="hot">hot</option>
          <option value="cool">cool</option>
          <option value="green">green</option>
        </select>
      </label>
      <label>
        <input type="checkbox" checked={edgesOnly.value} onChange={(e) => edgesOnly.set(e.target.checked)} /> Edges only
      </label>
      <label>
        Reslicing{' '}
        <select aria-label="Reslicing" value={backendChoice.value} onChange={(e) => backendChoice.set(e.target.value as ResliceChoice)}>
          <option value="auto">automatic{backend ? ` (${backend === 'gpu' ? 'GPU' : 'CPU'})` : ''}</option>
          <option value="gpu">GPU (vtk.js)</option>
          <option value="cpu">CPU</option>
        </select>
      </label>
    </div>
  );
}
