import { useContext, useState } from 'react';
import type { Job } from '../../../electron/contract/index.js';
import type { Twin } from '../contract.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { formatDateTime } from '../../../renderer/app/format.js';
import { RecordsChanged, TrashButton } from '../../records/ui/TrashButton.js';

const LABELS: Record<string, string> = {
  body_volume: 'Body volume',
  skin_surface_area: 'Skin surface area',
  bone_volume: 'Bone volume',
  bone_hu_mean: 'Bone HU mean',
  bone_hu_std: 'Bone HU SD',
  bone_hu_median: 'Bone HU median',
  bone_hu_p05: 'Bone HU 5th pct',
  bone_hu_p95: 'Bone HU 95th pct',
};
const UNITS: Record<string, string> = { cm2: 'cm²', L: 'L', mL: 'mL', HU: 'HU' };

/** A twin version's one-line name: version, label, source series, build time, and whether it is the default. */
export function twinVersionLabel(t: Twin, source: string): string {
  return [
    `v${t.version}`,
    t.label,
    `from ${source}`,
    `built ${formatDateTime(t.createdAt)}`,
    t.isDefault ? (t.markedDefault ? 'default (marked)' : 'default') : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * The twin's features with units and provenance, its versions (the default one marked; "Mark as default", the label
 * and the trash where the session may), and a rebuild.
 */
export function FeaturesPanel(props: {
  client: Client;
  twin: Twin;
  twins: Twin[];
  onSelectTwin(i: number): void;
  /** Whether the session may call a method (`service.method`): controls behind others are not shown. */
  can(method: string): boolean;
  /** The name of a twin's source series. */
  sourceOf(t: Twin): string;
  onJob(j: Job): void;
  onError(e: unknown): void;
}) {
  const { twin, client, onError } = props;
  const changed = useContext(RecordsChanged);
  const [label, setLabel] = useState<string | null>(null);
  const markDefault = async () => {
    try {
      await client.call('twins', 'markDefault', twin.id);
      changed();
    } catch (e) {
      onError(e);
    }
  };
  const saveLabel = async () => {
    try {
      await client.call('records', 'edit', { kind: 'twin', id: twin.id, label: label ?? '' });
      setLabel(null);
      changed();
    } catch (e) {
      onError(e);
    }
  };
  return (
    <aside className="panel" aria-label="twin features">
      <h2>Twin</h2>
      <select aria-label="Twin version" value={twin.id} onChange={(e) => props.onSelectTwin(props.twins.findIndex((t) => t.id === e.target.value))}>
        {props.twins.map((t) => (
          <option key={t.id} value={t.id}>
            {twinVersionLabel(t, props.sourceOf(t))}
          </option>
        ))}
      </select>
      <div className="row" aria-label="this twin’s record" role="group" style={{ marginTop: 6 }}>
        {twin.isDefault ? (
          <span data-testid="twin-default">
            {twin.markedDefault
              ? 'Default twin (marked)'
              : props.twins[0]?.id === twin.id
                ? 'Default twin (newest CT/MR)'
                : 'Default twin (automatic: a newer twin is of an US series or of a study imported after an identity override)'}
          </span>
        ) : (
          props.can('twins.markDefault') && <button onClick={() => void markDefault()}>Mark as default</button>
        )}
        {props.can('records.edit') && label === null && <button onClick={() => setLabel(twin.label)}>{twin.label ? 'Edit label' : 'Add label'}</button>}
        {props.can('records.trash') && (
          <TrashButton client={client} kind="twin" id={twin.id} label={`twin v${twin.version}`} onTrashed={changed} onError={onError} />
        )}
      </div>
      {label !== null && (
        <form
          className="row"
          aria-label="edit label"
          onSubmit={(e) => {
            e.preventDefault();
            void saveLabel();
          }}
        >
          <input type="text" aria-label="Twin label" maxLength={200} value={label} onChange={(e) => setLabel(e.target.value)} />
          <button className="primary" type="submit">
            Save
          </button>
          <button type="button" onClick={() => setLabel(null)}>
            Cancel
          </button>
        </form>
      )}
      <h2>Features</h2>
      <table className="features" data-testid="features">
        <tbody>
          {twin.features.map((f) => (
            <tr key={f.name} title={`${f.algorithm} ${f.algorithmVersion}`}>
              <td>{LABELS[f.name] ?? f.name}</td>
              <td className="value">{f.value.toFixed(f.unit === 'HU' ? 0 : 2)}</td>
              <td>{UNITS[f.unit] ?? f.unit}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {/* what the twin is made of and how long it took: for the technically curious, folded */}
      <details data-testid="twin-build-details">
        <summary>Files and build times</summary>
        <h3>Files of this version</h3>
        <ul style={{ paddingLeft: 16, margin: 0 }}>
          {twin.artefacts.map((a) => (
            <li key={a.id}>
              {a.kind} · {a.format} · {a.kind.endsWith('mesh') ? `${a.count.toLocaleString()} triangles` : `${a.count.toLocaleString()} voxels`}
            </li>
          ))}
        </ul>
        <h3>Build times</h3>
        <small style={{ color: 'var(--muted)' }}>
          {Object.entries(twin.timingsMs)
            .map(([k, v]) => `${k} ${Math.round(v)} ms`)
            .join(' · ')}
        </small>
      </details>
      {props.can('twins.build') && (
        <div style={{ marginTop: 8 }}>
          <button
            onClick={() =>
              props.client
                .call('twins', 'build', twin.volumeId, twin.params)
                .then((id) => props.client.call('jobs', 'get', id))
                .then(props.onJob, props.onError)
            }
          >
            Rebuild (new version)
          </button>
        </div>
      )}
    </aside>
  );
}
