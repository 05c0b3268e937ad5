/**
 * The live fatigue trend of the Motion workspace (issue 21 §7): every
 * 0.5 s of signal, the median frequency of each sEMG channel's last 1 s —
 * band-pass 20–450 Hz (Butterworth design order 4, zero phase over the
 * window), Welch PSD (Hann 1024, 512 overlap), MDF over 20–450 Hz — the
 * defaults of electron/engine/signals/emg.ts (EMG_DEFAULTS; liveMdf.test.ts
 * checks that a 1 s record gives the engine's own MDF), computed with the
 * same shared routines (math/signals). The fatigue slope is the
 * least-squares slope of the MDF over the windows of the ongoing (or last)
 * contraction: consecutive windows whose RMS is at least `activeFraction` of
 * the largest RMS in the history (rest noise has no meaningful MDF).
 */
import { butterSos, sosfiltfilt, sosfiltfiltPadlen } from '../../../math/signals/filters.js';
import { medianFrequency, welchPsd } from '../../../math/signals/spectral.js';

/** The engine's defaults (EMG_DEFAULTS), fixed here: the live trend is not tuned per view. */
export const LIVE_MDF = { windowS: 1, stepS: 0.5, bandHz: [20, 450] as const, order: 4, nperseg: 1024, noverlap: 512, activeFraction: 0.3 };

/**
 * MDF (Hz) and RMS (V, of the band-passed window) of one window of raw sEMG (V) sampled at `rateHz`. Samples the
 * screen did not receive (NaN: blocks skipped by the latest-wins stream) are left out: the window's longest run
 * without them is used when it holds at least one Welch segment (1024 samples).
 * @returns null when no such run exists, or the window is flat or too short for the zero-phase padding
 */
export function windowMdf(window: Float64Array, rateHz: number): { mdfHz: number; rmsV: number } | null {
  let x = window;
  if (window.some((v) => Number.isNaN(v))) {
    let best = [0, 0],
      start = 0;
    for (let i = 0; i <= window.length; i++)
      if (i === window.length || Number.isNaN(window[i]!)) {
        if (i - start > best[1]! - best[0]!) best = [start, i];
        start = i + 1;
      }
    if (best[1]! - best[0]! < LIVE_MDF.nperseg) return null;
    x = window.subarray(best[0], best[1]);
  }
  const sos = butterSos(LIVE_MDF.order, LIVE_MDF.bandHz, 'bandpass', rateHz);
  if (x.length <= sosfiltfiltPadlen(sos)) return null;
  const y = sosfiltfilt(sos, x);
  let s = 0;
  for (const v of y) s += v * v;
  const rmsV = Math.sqrt(s / y.length);
  if (!(rmsV > 0)) return null;
  const nper = Math.min(LIVE_MDF.nperseg, y.length);
  const psd = welchPsd(y, rateHz, { nperseg: nper, noverlap: Math.min(LIVE_MDF.noverlap, nper - 1) });
  const mdfHz = medianFrequency(psd.freqsHz, psd.psd, LIVE_MDF.bandHz[0], LIVE_MDF.bandHz[1]);
  return mdfHz === null ? null : { mdfHz, rmsV };
}

/** One channel's trend: window end times (s of the capture), MDF (Hz) and RMS (V); null where a window had none. */
export interface MdfTrend {
  t: number[];
  mdfHz: (number | null)[];
  rmsV: (number | null)[];
}

/**
 * The least-squares MDF slope (Hz/s) over the last contraction of a trend (see the module comment), with the
 * windows it used; null with fewer than 4 active windows.
 */
export function contractionSlope(tr: MdfTrend): { slopeHzPerS: number; windows: number; fromS: number; toS: number } | null {
  const peak = Math.max(0, ...tr.rmsV.map((r) => r ?? 0));
  if (!(peak > 0)) return null;
  // windows without a value (not enough samples received) neither end a contraction nor count in it
  const known = (i: number): boolean => tr.rmsV[i] != null && tr.mdfHz[i] != null;
  const active = (i: number): boolean => known(i) && tr.rmsV[i]! >= LIVE_MDF.activeFraction * peak;
  let end = tr.t.length - 1;
  while (end >= 0 && !active(end)) end--;
  if (end < 0) return null;
  const used: number[] = [];
  for (let i = end; i >= 0; i--) {
    if (!known(i)) continue;
    if (!active(i)) break;
    used.push(i);
  }
  const n = used.length;
  if (n < 4) return null;
  let st = 0,
    sy = 0;
  for (const i of used) {
    st += tr.t[i]!;
    sy += tr.mdfHz[i]!;
  }
  const mt = st / n,
    my = sy / n;
  let sxy = 0,
    sxx = 0;
  for (const i of used) {
    sxy += (tr.t[i]! - mt) * (tr.mdfHz[i]! - my);
    sxx += (tr.t[i]! - mt) ** 2;
  }
  return { slopeHzPerS: sxy / sxx, windows: n, fromS: tr.t[used[n - 1]!]!, toS: tr.t[end]! };
}
