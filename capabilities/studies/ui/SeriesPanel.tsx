/**
 * The open patient's series: what each is (modality and where that comes
 * from — the DICOM headers, the file, HU values, or the user — never a
 * default), its format and size, and for a volume without a twin the way to
 * one: state the modality when the file does not, then build the twin (CT or
 * MR only). Where the session may, a study's description and date and a
 * series' description are edited here, and either is moved to the trash.
 * Other capabilities add actions to a series row (`seriesActions` of their
 * UI contribution, e.g. an enhancement of an ultrasound volume): each decides
 * for itself whether it applies to the row's series.
 */
import { Fragment, useState, type ReactNode } from 'react';
import type { Job } from '../../../electron/contract/index.js';
import type { SeriesRecord, StudyRecord } from '../contract.js';
import type { Twin } from '../../twins/contract.js';
import type { Client } from '../../../renderer/ipc/client.js';
import type { SeriesActionContribution } from '../../../renderer/app/contributions.js';
import { formatDate } from '../../../renderer/app/format.js';
import { TrashButton } from '../../records/ui/TrashButton.js';

/** A DICOM DA date (YYYYMMDD) as an ISO date (YYYY-MM-DD); '' stays ''. */
const isoDate = (da: string): string => da.replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3');

/** Where a series' modality comes from, in words. */
export function modalitySource(se: Pick<SeriesRecord, 'modality' | 'modalityGuessed' | 'format'>): string {
  if (se.format === 'dicom') return 'DICOM headers';
  if (!se.modalityGuessed) return 'stated';
  return se.modality === 'CT' ? 'guessed from HU values' : 'not stated';
}

/** A series' one-line name: modality, description, study date. */
export function seriesLabel(se: Pick<SeriesRecord, 'modality' | 'description' | 'seriesInstanceUid' | 'id'>, study?: Pick<StudyRecord, 'studyDate'>): string {
  const m = se.modality === 'OT' ? 'modality unknown' : se.modality;
  const date = study?.studyDate ? ` · ${formatDate(isoDate(study.studyDate))}` : '';
  return `${m} · ${se.description || se.seriesInstanceUid || se.id.slice(0, 8)}${date}`;
}

/** The open patient's series, their modality's source, and a twin build for a volume series without one. */
export function SeriesPanel(props: {
  client: Client;
  studies: StudyRecord[];
  twins: Twin[];
  busy: boolean;
  /** The capabilities' actions on a series row that this session may see (each renders nothing for a series it does not apply to). */
  actions?: readonly SeriesActionContribution[];
  /** Whether the session may call a method (`service.method`): controls behind others are not shown. */
  can(method: string): boolean;
  onChanged(): void;
  onJob(j: Job): void;
  onError(e: unknown): void;
}) {
  const { client, onError } = props;
  const [editing, setEditing] = useState<
    { kind: 'study'; id: string; description: string; studyDate: string } | { kind: 'series'; id: string; description: string } | null
  >(null);
  const rows = props.studies.flatMap((st) => st.series.map((se) => ({ st, se })));
  if (!rows.length) return null;
  const canEdit = props.can('records.edit');
  const canTrash = props.can('records.trash');
  const actions = props.actions ?? [];
  const lastColumn = canEdit || canTrash || actions.length > 0;
  const save = async () => {
    if (!editing) return;
    try {
      await client.call('records', 'edit', editing);
      setEditing(null);
      props.onChanged();
    } catch (e) {
      onError(e);
    }
  };
  const editor = (children: ReactNode) => (
    <form
      className="row"
      aria-label={`edit ${editing?.kind}`}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {children}
      <button className="primary" type="submit">
        Save
      </button>
      <button type="button" onClick={() => setEditing(null)}>
        Cancel
      </button>
    </form>
  );
  const withTwin = new Set(props.twins.map((t) => t.seriesId));
  const state = async (se: SeriesRecord, modality: 'CT' | 'MR' | 'US') => {
    try {
      await client.call('studies', 'setModality', se.id, modality);
      props.onChanged();
    } catch (e) {
      onError(e);
    }
  };
  const build = async (volumeId: string) => {
    try {
      props.onJob(await client.call('jobs', 'get', await client.call('twins', 'build', volumeId, {})));
    } catch (e) {
      onError(e);
    }
  };
  return (
    <section className="panel" aria-label="series">
      <h2>Series</h2>
      <table className="features">
        <thead>
          <tr>
            <th>Series</th>
            <th>Modality from</th>
            <th>Voxels</th>
            <th>Twin</th>
            {lastColumn && <th />}
          </tr>
        </thead>
        <tbody>
          {props.studies.map((st) => (
            <Fragment key={st.id}>
              <tr data-testid={`study-${st.id}`}>
                <td colSpan={4}>
                  {editing?.kind === 'study' && editing.id === st.id ? (
                    editor(
                      <>
                        <input
                          type="text"
                          aria-label="Study description"
                          value={editing.description}
                          onChange={(e) => setEditing({ ...editing, description: e.target.value })}
                        />
                        <input
                          type="date"
                          aria-label="Study date"
                          min="1880-01-01"
                          max={new Date().toISOString().slice(0, 10)}
                          value={editing.studyDate}
                          onChange={(e) => setEditing({ ...editing, studyDate: e.target.value })}
                        />
                      </>,
                    )
                  ) : (
                    <strong>
                      Study {st.description || st.studyInstanceUid || st.id.slice(0, 8)}
                      {st.studyDate && ` · ${formatDate(isoDate(st.studyDate))}`}
                    </strong>
                  )}
                </td>
                {lastColumn && (
                  <td>
                    <div className="row">
                      {canEdit && !editing && (
                        <button
                          aria-label={`Edit study ${st.description || st.id.slice(0, 8)}`}
                          onClick={() => setEditing({ kind: 'study', id: st.id, description: st.description, studyDate: isoDate(st.studyDate) })}
                        >
                          Edit
                        </button>
                      )}
                      {canTrash && (
                        <TrashButton
                          client={client}
                          kind="study"
                          id={st.id}
                          label={`study ${st.description || st.id.slice(0, 8)}`}
                          onTrashed={props.onChanged}
                          onError={onError}
                        />
                      )}
                    </div>
                  </td>
                )}
              </tr>
              {st.series.map((se) => row(st, se))}
            </Fragment>
          ))}
        </tbody>
      </table>
    </section>
  );

  function row(st: StudyRecord, se: SeriesRecord) {
    return (
      <tr key={se.id} data-testid={`series-${se.id}`}>
        <td>
          {editing?.kind === 'series' && editing.id === se.id
            ? editor(
                <input
                  type="text"
                  aria-label="Series description"
                  value={editing.description}
                  onChange={(e) => setEditing({ ...editing, description: e.target.value })}
                />,
              )
            : seriesLabel(se, st)}
          {se.identityOverride && (
            <div className="problem" data-testid="identity-override" style={{ fontSize: 12 }}>
              Imported after the user confirmed the identity ({se.identityOverride} differed): its twins are the default only when marked
            </div>
          )}
        </td>
        <td>
          {modalitySource(se)}
          {/* a file's modality — guessed, unknown or stated by the user — can be stated (again); a DICOM series' is its headers' */}
          {se.format !== 'dicom' && props.can('studies.setModality') && (
            <select
              aria-label={`State the modality of ${se.description || se.id}`}
              value=""
              onChange={(e) => void state(se, e.target.value as 'CT' | 'MR' | 'US')}
              style={{ marginLeft: 6 }}
            >
              <option value="">state…</option>
              <option value="CT">CT</option>
              <option value="MR">MR</option>
              <option value="US">US</option>
            </select>
          )}
        </td>
        <td>{se.volume ? se.volume.dims.join(' × ') : '—'}</td>
        <td>
          {withTwin.has(se.id) ? (
            'yes'
          ) : se.volume && (se.modality === 'CT' || se.modality === 'MR') && props.can('twins.build') ? (
            <button disabled={props.busy} onClick={() => void build(se.volume!.id)}>
              Build twin
            </button>
          ) : (
            <span className="muted">
              {se.modality === 'CT' || se.modality === 'MR' ? 'none' : se.modality === 'OT' ? 'state CT or MR first' : `none from ${se.modality}`}
            </span>
          )}
        </td>
        {lastColumn && (
          <td>
            <div className="row">
              {canEdit && !editing && (
                <button
                  aria-label={`Edit series ${se.description || se.id.slice(0, 8)}`}
                  onClick={() => setEditing({ kind: 'series', id: se.id, description: se.description })}
                >
                  Edit
                </button>
              )}
              {canTrash && (
                <TrashButton client={client} kind="series" id={se.id} label={`series ${seriesLabel(se, st)}`} onTrashed={props.onChanged} onError={onError} />
              )}
              {actions.map(({ id, component: Action }) => (
                <Action key={id} client={client} study={st} series={se} busy={props.busy} can={props.can} onJob={props.onJob} onError={onError} />
              ))}
            </div>
          </td>
        )}
      </tr>
    );
  }
}
