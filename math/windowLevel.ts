/**
 * Window and level from a volume's histogram (issue 20 §3): MR has no
 * absolute intensity scale, so its presets are percentiles of its voxels —
 * 3D Slicer's and OHIF's automatic W/L take the window over roughly the
 * 1st–99th percentile. Values in image units.
 *
 * CT (review of the 2D viewer, defect 4): over the whole volume the
 * percentiles are dominated by the air around the patient (a third or more of
 * an abdominal CT's voxels are near −1000 HU), so the window stretched from
 * air to bone ("W 1319 / L −352" on the example CT) and washed soft tissue
 * out. For CT the percentiles are taken over the voxels inside the body only:
 * HU > −500 (CT_BODY_MIN_HU). Rationale and source: on the Hounsfield scale
 * air is −1000 HU and water 0 HU; −500 HU lies midway, below every soft tissue
 * (fat ≈ −100 HU) and above air and aerated lung (≈ −700 … −900 HU) — the
 * Hounsfield scale's definition (water 0, air −1000) and tissue values from
 * CT textbooks; a threshold between air and fat is the common way to mask
 * the body outline, and the midpoint keeps a margin of some 400 HU on either
 * side for noise and partial volume. On the example abdominal CT this
 * gives W 778 / L −4 (1st–99th percentile of the body voxels: −393 … 385 HU).
 */

/** HU above which a CT voxel counts as inside the body for Auto W/L (air −1000 HU, water 0 HU: the midpoint). */
export const CT_BODY_MIN_HU = -500;

/**
 * W/L whose window spans the `lowPct`–`highPct` percentiles (nearest rank) of the voxels, estimated from a strided
 * sample of about 1 M voxels (exact for smaller volumes).
 * @param voxels the volume's values (any order)
 * @param above only voxels with a value greater than this count (CT: CT_BODY_MIN_HU, the body); all of them when
 *   none is above it
 * @returns window ≥ 1 and level = the middle of the two percentiles; { window: 1, level: 0 } for no voxels
 */
export function autoWindowLevel(voxels: ArrayLike<number>, lowPct = 1, highPct = 99, above = -Infinity): { window: number; level: number } {
  if (voxels.length === 0) return { window: 1, level: 0 };
  const stride = Math.max(1, Math.floor(voxels.length / 1_000_000));
  const sample = new Float64Array(Math.ceil(voxels.length / stride));
  let n = 0;
  for (let i = 0; i < voxels.length; i += stride) if (voxels[i]! > above) sample[n++] = voxels[i]!;
  if (n === 0) return autoWindowLevel(voxels, lowPct, highPct);
  const s = sample.subarray(0, n).sort();
  const at = (pct: number): number => s[Math.min(n - 1, Math.max(0, Math.round((pct / 100) * (n - 1))))]!;
  const lo = at(lowPct);
  const hi = at(highPct);
  return { window: Math.max(1, hi - lo), level: (lo + hi) / 2 };
}

/**
 * Auto W/L of a volume of `modality`: CT over the voxels inside the body (HU > CT_BODY_MIN_HU), others over all
 * voxels (MR has no absolute scale, and its background is already near 0).
 */
export function autoWindowLevelFor(modality: string, voxels: ArrayLike<number>, lowPct = 1, highPct = 99): { window: number; level: number } {
  return autoWindowLevel(voxels, lowPct, highPct, modality === 'CT' ? CT_BODY_MIN_HU : -Infinity);
}
