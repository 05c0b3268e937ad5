/**
 * What a DICOM object OrthoTwin wrote holds, as read back from the file by
 * `exchange.readDicom` (dcmjs, independently of the writer's own numbers):
 * a SEG's segments (label, SNOMED type, algorithm type, frames, voxels), a
 * Surface Segmentation's surfaces, an SR's template, observer and
 * measurements, and its screw plan (TID 1501 groups "Bone Screw": vertebra,
 * side, Gertzbein–Robbins grade, diameter × length, angles, entry → target
 * in LPS mm of the source Frame of Reference). Shown under the export row so
 * the surgeon sees what a PACS viewer will receive.
 */
import type { ReadDicomResult } from '../contract.js';

const mm = (v: number | null): string => (v == null ? '—' : v.toFixed(1));
const lps = (p: readonly number[] | null): string => (p ? `(${p.map((v) => v.toFixed(1)).join(', ')})` : '—');

/** The read-back of one exported DICOM object (see the file comment). */
export function DicomReadBack({ r }: { r: ReadDicomResult }) {
  return (
    <div className="readback" data-testid={`readback-${r.kind}`}>
      <div className="muted">
        Read back from the file by dcmjs (exchange.readDicom): SOP Instance UID {r.sopInstanceUid}, study{' '}
        <span title={r.studyInstanceUid}>…{r.studyInstanceUid.slice(-12)}</span>, referenced series{' '}
        <span title={r.referencedSeriesInstanceUid}>…{r.referencedSeriesInstanceUid.slice(-12)}</span>
        {r.template && `, template ${r.template}`}
        {r.observer && `, observer ${r.observer.type} "${r.observer.name}"`}.
      </div>
      {r.kind === 'seg' && (
        <div data-testid="readback-segments">
          {r.segments.length} segments:{' '}
          {r.segments.map((s) => `${s.label} (${s.type.CodeMeaning}, ${s.algorithmType}, ${s.frames} frames, ${s.voxels} voxels)`).join('; ')}
        </div>
      )}
      {r.kind === 'surface' && (
        <div data-testid="readback-surfaces">
          {r.surfaces.length} surfaces:{' '}
          {r.surfaces
            .map((s) => `${s.label} (${s.points} points, ${s.triangles} triangles, finite volume ${s.finiteVolume}, manifold ${s.manifold})`)
            .join('; ')}
        </div>
      )}
      {r.kind === 'sr' && (
        <>
          <div data-testid="readback-measurements">
            {r.measurements.length} measurements in {new Set(r.measurements.map((m) => m.group)).size} groups
          </div>
          {r.screws.length > 0 && (
            <table className="spine-table" data-testid="readback-screws">
              <caption className="muted">
                Screw plan v{r.screws[0]!.planVersion} as the SR holds it (planned on the CT twin; the grade is OrthoTwin's Gertzbein–Robbins check at the CT's
                voxel size, not validated against post-operative CT)
              </caption>
              <thead>
                <tr>
                  <th>Screw</th>
                  <th>Grade</th>
                  <th>Ø × length (mm)</th>
                  <th>Transverse / sagittal (°)</th>
                  <th>Deepest breach (mm)</th>
                  <th>Entry → target (LPS mm)</th>
                </tr>
              </thead>
              <tbody>
                {r.screws.map((s) => (
                  <tr key={s.trackingUid} data-readback-screw={s.group}>
                    <td>{s.group}</td>
                    <td>{s.grade}</td>
                    <td>
                      {mm(s.diameterMm)} × {mm(s.lengthMm)}
                    </td>
                    <td>
                      {mm(s.transverseAngleDeg)} / {mm(s.sagittalAngleDeg)}
                    </td>
                    <td>{mm(s.breachDepthMm)}</td>
                    <td>
                      {lps(s.entryLps)} → {lps(s.targetLps)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}
