/**
 * The Trash workspace: what was moved to the trash (patients, studies,
 * series, twins), by whom and when, with Restore; an administrator can also
 * delete a record for good (with its files), after confirming it.
 */
import { useCallback, useEffect, useState } from 'react';
import type { TrashItem } from '../contract.js';
import type { WorkspaceProps } from '../../../renderer/app/contributions.js';
import { formatDateTime } from '../../../renderer/app/format.js';
import { may } from '../../../renderer/app/placement.js';

const KIND: Record<TrashItem['kind'], string> = { patient: 'Patient', study: 'Study', series: 'Series', twin: 'Twin' };

/** The trash with Restore (and Delete for good where the session may purge). */
export function TrashWorkspace({ client, open, session, onError, patientsChanged }: WorkspaceProps) {
  const [items, setItems] = useState<TrashItem[] | null>(null);
  const [purging, setPurging] = useState<TrashItem | null>(null);
  const reload = useCallback(() => client.call('records', 'trashed').then(setItems, onError), [client, onError]);
  useEffect(() => void reload(), [reload]);

  const changed = async (item: TrashItem) => {
    await reload();
    if (item.kind === 'patient') patientsChanged?.();
    if (open && open.patient.id === item.patientId) await open.refresh();
  };
  const restore = async (item: TrashItem) => {
    try {
      await client.call('records', 'restore', item.kind, item.id);
      await changed(item);
    } catch (e) {
      onError(e);
    }
  };
  const purge = async (item: TrashItem) => {
    setPurging(null);
    try {
      await client.call('records', 'purge', item.kind, item.id);
      await changed(item);
    } catch (e) {
      onError(e);
    }
  };

  return (
    <section className="panel" aria-label="trash">
      <h2>Trash</h2>
      <p className="muted">Records moved to the trash are hidden everywhere and cannot be used until they are restored.</p>
      {items && items.length === 0 && <p className="notice">The trash is empty.</p>}
      {items && items.length > 0 && (
        <div className="table-scroll">
          <table className="features">
            <thead>
              <tr>
                <th>What</th>
                <th>Patient</th>
                <th>Moved to trash</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={`${t.kind}-${t.id}`} data-testid={`trash-${t.kind}-${t.id}`}>
                  <td>
                    {KIND[t.kind]}: {t.label}
                  </td>
                  <td>{t.patientName}</td>
                  <td>
                    {formatDateTime(t.trashedAt)} by {t.trashedBy}
                  </td>
                  <td>
                    <div className="row">
                      {t.hiddenBy ? (
                        <span className="muted">its {t.hiddenBy} is in the trash: restore that first</span>
                      ) : (
                        may(session.status, 'records.restore') && (
                          <button aria-label={`Restore ${t.label}`} onClick={() => void restore(t)}>
                            Restore
                          </button>
                        )
                      )}
                      {may(session.status, 'records.purge') && (
                        <button aria-label={`Delete ${t.label} for good`} onClick={() => setPurging(t)}>
                          Delete for good
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {purging && (
        <div className="notice" role="alertdialog" aria-label="confirm delete for good">
          Delete {KIND[purging.kind].toLowerCase()} {purging.label} for good, with everything of it and its files? This cannot be undone.{' '}
          <button className="primary" onClick={() => void purge(purging)}>
            Delete for good
          </button>{' '}
          <button onClick={() => setPurging(null)}>Cancel</button>
        </div>
      )}
    </section>
  );
}
