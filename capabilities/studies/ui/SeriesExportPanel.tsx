/**
 * Export of the open patient's series: de-identified after DICOM PS3.15
 * Annex E (Basic Profile; study dates kept with the Full Dates Option when the
 * site policy allows), or identified (the original files) for the roles the
 * site policy names. The services decide who may; refusals show as errors.
 */
import { useState } from 'react';
import type { DeidExportResult, StudyRecord } from '../contract.js';
import type { Client } from '../../../renderer/ipc/client.js';

/** Export of one of the open patient's series, de-identified or identified. */
export function SeriesExportPanel({
  client,
  studies,
  onError,
  can,
}: {
  client: Client;
  studies: StudyRecord[];
  onError(e: unknown): void;
  /** Whether the session may call a method: an export it may not make is not offered. */
  can(method: string): boolean;
}) {
  const series = studies.flatMap((s) => s.series);
  const [seriesId, setSeriesId] = useState('');
  const [folder, setFolder] = useState('');
  const [keepDates, setKeepDates] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ deid: DeidExportResult | null; identified: { outDir: string; files: number } | null } | null>(null);
  const chosen = series.find((s) => s.id === seriesId) ?? series[0] ?? null;
  if (!chosen || !(can('studies.exportDeidentified') || can('studies.exportIdentified'))) return null;

  const run = async (identified: boolean): Promise<void> => {
    setBusy(true);
    setResult(null);
    try {
      if (identified) setResult({ deid: null, identified: await client.call('studies', 'exportIdentified', chosen.id, folder) });
      else setResult({ deid: await client.call('studies', 'exportDeidentified', chosen.id, folder, { retainDates: keepDates }), identified: null });
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-label="export">
      <div className="row">
        <label>
          Export series{' '}
          <select aria-label="Series to export" value={chosen.id} onChange={(e) => setSeriesId(e.target.value)}>
            {series.map((s) => (
              <option key={s.id} value={s.id}>
                {s.modality} · {s.description || s.seriesInstanceUid || s.id.slice(0, 8)} ({s.format})
              </option>
            ))}
          </select>
        </label>
        <input aria-label="Export folder" value={folder} onChange={(e) => setFolder(e.target.value)} placeholder="an empty folder" style={{ minWidth: 260 }} />
        <label>
          <input type="checkbox" checked={keepDates} onChange={(e) => setKeepDates(e.target.checked)} /> keep study dates
        </label>
        {can('studies.exportDeidentified') && (
          <button disabled={!folder || busy} onClick={() => void run(false)}>
            Export de-identified
          </button>
        )}
        {can('studies.exportIdentified') && (
          <button disabled={!folder || busy} onClick={() => void run(true)}>
            Export identified
          </button>
        )}
      </div>
      {result?.deid && (
        <div className="row" data-testid="export-result">
          <span className="badge ok">de-identified</span>
          <span>
            {result.deid.files} files to {result.deid.outDir} · patient ID {result.deid.patientPseudonym} · {result.deid.removed} attributes removed,{' '}
            {result.deid.emptied} emptied, {result.deid.uidsReplaced} UIDs replaced, {result.deid.privateRemoved} private removed
          </span>
          {result.deid.warnings.map((w) => (
            <span key={w} className="badge warn">
              {w}
            </span>
          ))}
        </div>
      )}
      {result?.identified && (
        <div className="row" data-testid="export-result">
          <span className="badge warn">identified</span>
          <span>
            {result.identified.files} original files copied to {result.identified.outDir}
          </span>
        </div>
      )}
    </section>
  );
}
