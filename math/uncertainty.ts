/**
 * Registration uncertainty shared by the engine and the renderer
 * (algorithms.md §10): the TRE predicted at a target from a rigid pose's
 * covariance.
 */

/**
 * Predicted RMS TRE (mm) at a target from the pose covariance: √trace(J Σ Jᵀ), J = [−[x − c]×, I].
 * @param reg covariance: 6×6 row-major (rotation vector in rad about `centreLps`, then translation in mm); centreLps: the rotation centre (image LPS mm)
 * @param x the target (image LPS mm)
 */
export function predictedTre(reg: { covariance: readonly number[]; centreLps: readonly number[] }, x: readonly number[]): number {
  const d = [x[0]! - reg.centreLps[0]!, x[1]! - reg.centreLps[1]!, x[2]! - reg.centreLps[2]!];
  // δx = ω × d + t = −[d]× ω + t
  const J = [
    [0, d[2]!, -d[1]!, 1, 0, 0],
    [-d[2]!, 0, d[0]!, 0, 1, 0],
    [d[1]!, -d[0]!, 0, 0, 0, 1],
  ];
  let tr = 0;
  for (const row of J) for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) tr += row[a]! * reg.covariance[6 * a + b]! * row[b]!;
  return Math.sqrt(Math.max(0, tr));
}
