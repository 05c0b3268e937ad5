/**
 * Window and level from a volume's histogram (issue 20 §3): MR has no
 * absolute intensity scale, so its presets are percentiles of its voxels —
 * 3D Slicer's and OHIF's automatic W/L take the window over roughly the
 * 1st–99th percentile. Values in image units.
 */

/**
 * W/L whose window spans the `lowPct`–`highPct` percentiles (nearest rank) of the voxels, estimated from a strided
 * sample of about 1 M voxels (exact for smaller volumes).
 * @param voxels the volume's values (any order)
 * @returns window ≥ 1 and level = the middle of the two percentiles; { window: 1, level: 0 } for no voxels
 */
export function autoWindowLevel(voxels: ArrayLike<number>, lowPct = 1, highPct = 99): { window: number; level: number } {
  if (voxels.length === 0) return { window: 1, level: 0 };
  const stride = Math.max(1, Math.floor(voxels.length / 1_000_000));
  const sample = new Float64Array(Math.ceil(voxels.length / stride));
  let n = 0;
  for (let i = 0; i < voxels.length; i += stride) sample[n++] = voxels[i]!;
  const s = sample.subarray(0, n).sort();
  const at = (pct: number): number => s[Math.min(n - 1, Math.max(0, Math.round((pct / 100) * (n - 1))))]!;
  const lo = at(lowPct);
  const hi = at(highPct);
  return { window: Math.max(1, hi - lo), level: (lo + hi) / 2 };
}
