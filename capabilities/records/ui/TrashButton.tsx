/**
 * A "Move to trash" button that asks first (the record can be restored from
 * Trash), and the context through which a panel deep in a view tells the
 * workspace that the open patient's records changed.
 */
import { createContext, useState } from 'react';
import type { RecordKind } from '../contract.js';
import type { Client } from '../../../renderer/ipc/client.js';

/** Reloads the open patient's records after an edit, a trash or a default mark (provided by the workspace). */
export const RecordsChanged = createContext<() => void>(() => undefined);

/** Moves a record to the trash after the user confirms it. */
export function TrashButton(props: {
  client: Client;
  kind: RecordKind;
  id: string;
  /** What the record is, in words ("series CT · abdomen"). */
  label: string;
  onTrashed(): void;
  onError(e: unknown): void;
}) {
  const [asking, setAsking] = useState(false);
  const trash = async () => {
    setAsking(false);
    try {
      await props.client.call('records', 'trash', props.kind, props.id);
      props.onTrashed();
    } catch (e) {
      props.onError(e);
    }
  };
  if (!asking)
    return (
      <button aria-label={`Move ${props.label} to trash`} onClick={() => setAsking(true)}>
        Trash
      </button>
    );
  return (
    <span className="row" role="alertdialog" aria-label="confirm trash">
      <span>Move {props.label} to trash? It can be restored from Trash.</span>
      <button className="primary" onClick={() => void trash()}>
        Move to trash
      </button>
      <button onClick={() => setAsking(false)}>Cancel</button>
    </span>
  );
}
