/**
 * The live views' enhancement controls (issue 22), shared by the Devices
 * workspace's ultrasound view and the Fusion workspace's: the per-view switch
 * "Enhancement: off / denoise / SR ×2" with the before/after split, the label
 * every enhanced image carries (model output, model name and version, the
 * manifest's validation line — or, for a frame shown raw in its place, why),
 * and the grey-frame drawing both views use for the raw half of the split.
 */
import type { ChangeEvent } from 'react';
import { ENHANCE_MODEL_LABELS, EnhanceModel, enhancementText, type StreamHeader } from '../../../electron/contract/devices.js';
import type { StreamEnhance } from './streamClient.js';

/** The switch's choices in order: none, then each model by its label. */
const CHOICES: readonly { value: string; label: string }[] = [
  { value: '', label: 'off' },
  ...EnhanceModel.options.map((m) => ({ value: m, label: ENHANCE_MODEL_LABELS[m] })),
];

/**
 * "Enhancement: off / denoise / SR ×2" and "Before/after split" (shown while a model is chosen).
 * @param testId prefix of the controls' test ids (`<testId>-model`, `<testId>-split`)
 */
export function EnhanceSwitch({ value, onChange, testId }: { value: StreamEnhance; onChange(v: StreamEnhance): void; testId: string }) {
  const pick = (e: ChangeEvent<HTMLSelectElement>): void => {
    const m = EnhanceModel.safeParse(e.target.value);
    onChange({ enhance: m.success ? m.data : null, raw: m.success ? value.raw : false });
  };
  return (
    <div className="row" role="group" aria-label="ultrasound enhancement">
      <label>
        Enhancement:{' '}
        <select value={value.enhance ?? ''} onChange={pick} data-testid={`${testId}-model`}>
          {CHOICES.map((c) => (
            <option key={c.value || 'off'} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      {value.enhance && (
        <label title="Raw frames beside the model's output">
          <input
            type="checkbox"
            checked={value.raw}
            onChange={(e) => onChange({ enhance: value.enhance, raw: e.target.checked })}
            data-testid={`${testId}-split`}
          />{' '}
          Before/after split
        </label>
      )}
    </div>
  );
}

/**
 * The label beside an enhanced image: "Model output (denoise 1.0.0) — validation: …", or "Raw frame, not enhanced:
 * <why>" (a warning) when the model did not run on the frame; "waiting for the model's first frame" before one.
 */
export function EnhanceLabel({ enhancement, testId }: { enhancement: StreamHeader['enhancement'] | null; testId: string }) {
  if (!enhancement)
    return (
      <div className="muted" data-testid={testId}>
        Waiting for the model&apos;s first frame…
      </div>
    );
  return (
    <div
      className={enhancement.applied ? 'muted' : 'badge warn'}
      style={{ maxWidth: 420, whiteSpace: 'normal' }}
      data-testid={testId}
      data-applied={enhancement.applied ? 'yes' : 'no'}
    >
      {enhancementText(enhancement)}
      {enhancement.applied && enhancement.ms !== undefined && <span> · {enhancement.ms.toFixed(0)} ms/frame</span>}
    </div>
  );
}

/**
 * Draws an 8-bit image message (its first component) into `canvas`, resizing the canvas to the frame.
 * @returns false (nothing drawn) for a message without size or of another scalar type
 */
export function drawGreyFrame(canvas: HTMLCanvasElement, m: { header: StreamHeader; payload: Uint8Array }): boolean {
  const { width: w, height: h, scalar } = m.header;
  if (!w || !h || scalar !== 'uint8') return false;
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const g = canvas.getContext('2d');
  if (!g) return false;
  const data = g.createImageData(w, h);
  const c = m.header.components ?? 1;
  for (let i = 0; i < w * h; i++) {
    const v = m.payload[i * c]!;
    data.data[4 * i] = v;
    data.data[4 * i + 1] = v;
    data.data[4 * i + 2] = v;
    data.data[4 * i + 3] = 255;
  }
  g.putImageData(data, 0, 0);
  return true;
}
