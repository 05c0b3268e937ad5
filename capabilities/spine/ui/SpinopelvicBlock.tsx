/**
 * The "Spinopelvic parameters" block of the spine panel: PI, PT, SS (°) with
 * the hip centres (femoral head spheres) and the S1 endplate they come from,
 * the SVA (mm) or why it is not measurable, the positional caveat of a supine
 * CT and how the numbers were validated. Every value says where it comes from.
 */
import type { SpineReport } from '../../../electron/contract/index.js';

const f1 = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '—');
const lps = (p: readonly number[]): string => `(${p.map((v) => v.toFixed(1)).join(', ')})`;

/** The spinopelvic parameters of a report; a note for analyses made before they existed. */
export function SpinopelvicBlock(props: { report: SpineReport }) {
  const sp = props.report.spinopelvic;
  if (!sp)
    return (
      <section data-testid="spinopelvic">
        <h2>Spinopelvic parameters</h2>
        <p className="muted">Not computed: this analysis was made before version 0.3.0 (run the analysis again to get them).</p>
      </section>
    );
  const p = sp.pelvic;
  const ep = sp.s1Endplate;
  // how far each angle was from a hand measurement on the one CT it was checked on, next to the value
  const agreement = (k: 'pelvicIncidence' | 'pelvicTilt' | 'sacralSlope') =>
    sp.handAgreementDeg && (
      <small className="muted" data-testid={`agreement-${k}`}>
        {' '}
        (|Δ| {f1(sp.handAgreementDeg[k])}° vs a hand measurement on 1 CT; not clinically validated)
      </small>
    );
  return (
    <section data-testid="spinopelvic">
      <h2>Spinopelvic parameters</h2>
      {p.measurable ? (
        <ul className="curvature" data-testid="spinopelvic-pelvic">
          <li title="Angle between the perpendicular to the S1 endplate at its centre and the line to the hip axis; PI = PT + SS">
            Pelvic incidence (PI): <b data-testid="pelvic-incidence">{f1(p.pelvicIncidenceDeg)}°</b>
            {agreement('pelvicIncidence')}
          </li>
          <li title="Angle between the vertical and the line from the S1 endplate centre to the hip axis; positive when the hip axis is anterior">
            Pelvic tilt (PT): <b data-testid="pelvic-tilt">{f1(p.pelvicTiltDeg)}°</b> (positional){agreement('pelvicTilt')}
          </li>
          <li title="Angle between the S1 endplate and the horizontal">
            Sacral slope (SS): <b data-testid="sacral-slope">{f1(p.sacralSlopeDeg)}°</b> (positional){agreement('sacralSlope')}
          </li>
          <li>
            Hip centres (sphere fits of the femoral heads with their acetabula): right {lps(p.femoralHeads.right.centreLps)} r{' '}
            {f1(p.femoralHeads.right.radiusMm)} mm, left {lps(p.femoralHeads.left.centreLps)} r {f1(p.femoralHeads.left.radiusMm)} mm (LPS mm; fit RMS{' '}
            {f1(p.femoralHeads.right.rmsMm)} / {f1(p.femoralHeads.left.rmsMm)} mm, coverage {f1(p.femoralHeads.right.inlierFraction * 100, 0)} /{' '}
            {f1(p.femoralHeads.left.inlierFraction * 100, 0)} %); hip axis {lps(p.hipAxisLps)}
          </li>
        </ul>
      ) : (
        <p data-testid="spinopelvic-pelvic">PI, PT, SS: not measurable — {p.reason}.</p>
      )}
      {ep && (
        <p className="muted">
          S1 superior endplate: centre {lps(ep.centreLps)}, anterior corner {ep.anteriorCornerLps ? lps(ep.anteriorCornerLps) : 'not found'}, posterior corner{' '}
          {ep.posteriorCornerLps ? lps(ep.posteriorCornerLps) : 'not found'} (LPS mm).
        </p>
      )}
      <p data-testid="spinopelvic-sva">
        Sagittal vertical axis (SVA, C7 plumb line to the posterosuperior corner of S1, positive anterior):{' '}
        {sp.sva.measurable ? <b>{f1(sp.sva.svaMm)} mm</b> : sp.sva.reason}
      </p>
      <p className="muted">
        {sp.reference} {sp.method} {sp.validation}
      </p>
    </section>
  );
}
