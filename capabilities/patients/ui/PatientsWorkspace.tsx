/**
 * The patients workspace: for the open patient, the study import, the series
 * export, the running job and the planning view of the chosen twin (the
 * default after every refresh: the one the user marked, else the newest of a
 * CT or MR series). The job and the twin choice are kept while another
 * workspace is shown.
 */
import { useEffect, useMemo, useRef } from 'react';
import type { Job } from '../../../electron/contract/index.js';
import type { Twin } from '../../twins/contract.js';
import type { WorkspaceProps } from '../../../renderer/app/contributions.js';
import { useKeptState } from '../../../renderer/app/keptState.js';
import { may } from '../../../renderer/app/placement.js';
import { JobBar } from '../../../renderer/features/jobs/JobBar.js';
import { useJob } from '../../../renderer/features/jobs/useJob.js';
import { ImportPanel } from '../../studies/ui/ImportPanel.js';
import { SeriesExportPanel } from '../../studies/ui/SeriesExportPanel.js';
import { SeriesPanel, seriesLabel } from '../../studies/ui/SeriesPanel.js';
import { PlanningView } from '../../twins/ui/PlanningView.js';
import { RecordsChanged } from '../../records/ui/TrashButton.js';

/** The patients workspace (the home workspace: opening a patient shows it). */
export function PatientsWorkspace({ client, info, open, session, onError, clearError, patientPanels = [], seriesActions = [] }: WorkspaceProps) {
  const can = (method: string): boolean => may(session.status, method);
  // the job started here (import, rebuild, spine), its latest record kept for the return to this workspace
  const [kept, setKept] = useKeptState<Job | null>('patients.job', null);
  const job = useJob(client, kept?.id ?? null, undefined, kept);
  const latest = job && job.id === kept?.id ? job : kept;
  useEffect(() => {
    if (job) setKept((k) => (k && k.id === job.id ? job : k));
  }, [job, setKept]);
  // another patient opened: a finished job of the previous one is not shown over this one (a running one stays visible)
  const openId = open?.patient.id ?? null;
  const jobPatient = useRef(openId);
  useEffect(() => {
    if (jobPatient.current === openId) return;
    jobPatient.current = openId;
    setKept((k) => (k && (k.status === 'running' || k.status === 'queued') ? k : null));
  }, [openId, setKept]);
  // the chosen twin version: an index into the twins it was chosen from (a refresh brings a new list: the default again —
  // the marked one, else the newest of a CT or MR series; with none such, the newest is shown and said not to be a default)
  const [choice, setChoice] = useKeptState<{ twins: Twin[]; index: number } | null>('patients.twin', null);
  const twins = open?.twins ?? [];
  const defaultIndex = Math.max(
    0,
    twins.findIndex((t) => t.isDefault),
  );
  const twin = twins[choice && choice.twins === twins ? choice.index : defaultIndex] ?? null;
  const studies = open?.studies;
  const volume = useMemo(() => {
    if (!twin || !studies) return null;
    for (const s of studies) for (const se of s.series) if (se.volume?.id === twin.volumeId) return { volume: se.volume, modality: se.modality };
    return null;
  }, [twin, studies]);

  // the identity fields that differed at the import of a twin's series ('' when they matched)
  const overrideOf = (t: Twin | undefined): string => {
    for (const s of studies ?? []) for (const se of s.series) if (se.id === t?.seriesId) return se.identityOverride;
    return '';
  };

  // with a twin on screen the study panels fold to one line (the views get the window's height); the user unfolds them
  const [studiesOpen, setStudiesOpen] = useKeptState<boolean>('patients.studiesOpen', false);
  const viewing = !!(twin && volume);
  const folded = viewing && !studiesOpen;
  const busy = latest?.status === 'running' || latest?.status === 'queued';

  if (!open) return <div className="notice">Create or open a patient to import a CT or MR study.</div>;
  return (
    <>
      {can('studies.import') && (
        <ImportPanel
          key={open.patient.id /* another patient: a new scan and a new confirmation */}
          client={client}
          patient={open.patient}
          samples={info?.sampleStudies ?? []}
          compact={folded}
          busy={busy}
          onJob={(j) => {
            clearError();
            setKept(j);
          }}
          onError={onError}
        />
      )}
      {viewing && (
        <div className="studies-toggle">
          <button aria-expanded={studiesOpen} onClick={() => setStudiesOpen(!studiesOpen)}>
            {studiesOpen ? '▾ Hide series and export' : `▸ Series and export (${open.studies.reduce((n, s) => n + s.series.length, 0)} series)`}
          </button>
        </div>
      )}
      {!folded && (
        <>
          <SeriesPanel
            can={can}
            client={client}
            studies={open.studies}
            twins={twins}
            busy={busy}
            actions={seriesActions}
            onChanged={() => void open.refresh()}
            onJob={(j) => {
              clearError();
              setKept(j);
            }}
            onError={onError}
          />
          <SeriesExportPanel client={client} studies={open.studies} onError={onError} can={can} />
        </>
      )}
      {patientPanels.map(({ id, component: Panel }) => (
        <Panel key={`${id}-${open.patient.id}`} client={client} patientId={open.patient.id} onError={onError} />
      ))}
      {latest && !(folded && latest.status === 'done') && <JobBar client={client} job={latest} onError={onError} />}
      {twin && volume && !twins.some((t) => t.isDefault) && (
        <div className="notice" role="status">
          No default twin:{' '}
          {overrideOf(twins[0])
            ? `the newest twin's study was imported after an identity override (${overrideOf(twins[0])} differed); mark it as the default once checked`
            : 'no twin of a CT or MR series is in view'}
          . Shown: v{twin.version}.
        </div>
      )}
      {twins[0] && !twins[0].isDefault && twins.some((t) => t.isDefault) && overrideOf(twins[0]) && (
        <div className="notice" role="status" data-testid="newest-not-default">
          The newest twin, v{twins[0].version}, is not the default: its study was imported after an identity override ({overrideOf(twins[0])} differed). Mark it
          as the default once checked.
        </div>
      )}
      {twin && volume ? (
        <RecordsChanged.Provider value={() => void open.refresh()}>
          <PlanningView
            key={twin.id}
            client={client}
            twin={twin}
            twins={twins}
            onSelectTwin={(index) => setChoice({ twins, index })}
            can={can}
            sourceOf={(t) => {
              for (const st of open.studies) for (const se of st.series) if (se.id === t.seriesId) return seriesLabel(se, st);
              return 'source series removed';
            }}
            onJob={setKept}
            volume={volume.volume}
            modality={volume.modality}
            onError={onError}
          />
        </RecordsChanged.Provider>
      ) : (
        <div className="notice">{open.studies.length ? 'No twin yet for this patient.' : 'No study yet: import one above.'}</div>
      )}
    </>
  );
}
