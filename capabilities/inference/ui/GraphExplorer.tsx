/**
 * The feature graph explorer: filters (modality, level, visit) sent to
 * `inference.graph`, the nodes per modality, the edges per type, a table of
 * the nodes (value with its unit, the algorithm and its version that made
 * it), and a chosen node's edges (type, the other node, why).
 */
import { useEffect, useMemo, useState } from 'react';
import type { Client } from '../../../renderer/ipc/client.js';
import { formatValue } from './display.js';
import { FeatureEdgeType, FeatureModality, type FeatureGraph, type FeatureNode } from '../contract.js';

const SHOWN = 200;

const num = (v: number | null): string => (v === null ? '—' : String(Number(v.toPrecision(4))));

export function GraphExplorer(props: { client: Client; patientId: string; graph: FeatureGraph; onError(e: unknown): void }) {
  const { client, patientId, graph: full, onError } = props;
  const [modality, setModality] = useState('');
  const [level, setLevel] = useState('');
  const [visitId, setVisitId] = useState('');
  const [graph, setGraph] = useState<FeatureGraph | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [all, setAll] = useState(false);

  useEffect(() => {
    let live = true;
    const filter = { ...(modality ? { modality: modality as FeatureModality } : {}), ...(level ? { level } : {}), ...(visitId ? { visitId } : {}) };
    client.call('inference', 'graph', patientId, filter).then((g) => live && setGraph(g), onError);
    return () => {
      live = false;
    };
  }, [client, patientId, modality, level, visitId, full, onError]);

  const levels = useMemo(() => [...new Set(full.nodes.map((n) => n.level).filter(Boolean))].sort(), [full]);
  const byId = useMemo(() => new Map(full.nodes.map((n) => [n.id, n])), [full]);
  const g = graph ?? full;
  const perModality = FeatureModality.options.map((m) => [m, g.nodes.filter((n) => n.modality === m).length] as const).filter(([, k]) => k > 0);
  const perType = FeatureEdgeType.options.map((t) => [t, g.edges.filter((e) => e.type === t).length] as const);
  const node = selected ? (byId.get(selected) ?? g.nodes.find((n) => n.id === selected) ?? null) : null;
  const edges = node ? g.edges.filter((e) => e.source === node.id || e.target === node.id) : [];
  const other = (id: string): FeatureNode | undefined => byId.get(id) ?? g.nodes.find((n) => n.id === id);
  const visitLabel = (id: string): string => {
    const v = full.visits.find((x) => x.id === id);
    return v ? `${v.visitDate}${v.label ? ` · ${v.label}` : ''}` : id;
  };

  return (
    <section className="panel twin-section" aria-label="feature graph" data-testid="graph-explorer">
      <h2>Feature graph</h2>
      <p className="muted" data-testid="graph-version">
        Version {g.version} of the patient&apos;s graph (built {g.createdAt.slice(0, 10)}, {g.algorithmVersion}): {g.nodes.length} features, {g.edges.length}{' '}
        edges{graph ? '' : ' (loading the filtered graph…)'}.
      </p>
      <div className="row">
        <label className="field">
          Modality
          <select aria-label="Modality filter" value={modality} onChange={(e) => setModality(e.target.value)}>
            <option value="">all</option>
            {FeatureModality.options.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Level
          <select aria-label="Level filter" value={level} onChange={(e) => setLevel(e.target.value)}>
            <option value="">all</option>
            {levels.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Visit
          <select aria-label="Visit filter" value={visitId} onChange={(e) => setVisitId(e.target.value)}>
            <option value="">all</option>
            {full.visits.map((v) => (
              <option key={v.id} value={v.id}>
                {v.visitDate}
                {v.label ? ` · ${v.label}` : ''}
                {v.derived ? ' (from acquisitions)' : ''}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="row">
        <div data-testid="node-counts" aria-label="features per modality">
          Features:{' '}
          {perModality.length === 0
            ? 'none'
            : perModality.map(([m, k]) => (
                <span key={m} className="badge" data-modality={m} data-count={k}>
                  {m} {k}
                </span>
              ))}
        </div>
        <div data-testid="edge-counts" aria-label="edges per type">
          Edges:{' '}
          {perType.map(([t, k]) => (
            <span key={t} className="badge" data-type={t} data-count={k}>
              {t} {k}
            </span>
          ))}
        </div>
      </div>
      <p className="muted" data-testid="association-note">
        Associations: {g.associationNote}
      </p>
      {node && (
        <div className="node-edges" data-testid="node-edges" data-node={node.id}>
          <strong>{node.label}</strong> ({node.modality}, {visitLabel(node.visitId)}): {edges.length} edges{' '}
          <button onClick={() => setSelected(null)}>Close</button>
          <table className="device-table">
            <thead>
              <tr>
                <th>Type</th>
                <th>Other feature</th>
                <th>Weight</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {edges.map((e, i) => {
                const o = other(e.source === node.id ? e.target : e.source);
                return (
                  <tr key={i} data-type={e.type}>
                    <td>
                      {e.type}
                      {e.source === node.id ? ' →' : ' ←'}
                    </td>
                    <td>{o ? `${o.label} (${o.modality}, ${o.visitDate})` : e.source === node.id ? e.target : e.source}</td>
                    <td>{num(e.weight)}</td>
                    <td className="muted">{e.detail}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <div className="table-scroll graph-nodes">
        <table className="device-table" data-testid="graph-nodes">
          <thead>
            <tr>
              <th>Feature</th>
              <th>Value</th>
              <th>Modality</th>
              <th>Scale</th>
              <th>Level</th>
              <th>Visit</th>
              <th>Algorithm</th>
              <th title="The acquisition's quality flags: a flagged value is shown but never fills a risk model's input">Flags</th>
            </tr>
          </thead>
          <tbody>
            {(all ? g.nodes : g.nodes.slice(0, SHOWN)).map((n) => (
              <tr
                key={n.id}
                data-node={n.id}
                data-modality={n.modality}
                className={selected === n.id ? 'selected' : ''}
                aria-selected={selected === n.id}
                onClick={() => setSelected(n.id)}
              >
                <td>{n.label}</td>
                <td className="value">{formatValue(n.value, n.unit)}</td>
                <td>{n.modality}</td>
                <td>{n.scale}</td>
                <td>{[n.level, n.side].filter(Boolean).join(' ') || '—'}</td>
                <td>{visitLabel(n.visitId)}</td>
                <td className="muted">
                  {n.algorithm} v{n.algorithmVersion}
                </td>
                <td className={n.flags.length ? 'problem' : ''}>{n.flags.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!all && g.nodes.length > SHOWN && (
        <button onClick={() => setAll(true)}>
          Show all {g.nodes.length} features (first {SHOWN} shown)
        </button>
      )}
    </section>
  );
}
