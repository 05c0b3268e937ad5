/**
 * Help → Risk models: every model the site holds (`inference.models`): title,
 * key, state, status, the citation, how far it was validated, its
 * development performance, and each coefficient with its source.
 */
import { useEffect, useState } from 'react';
import type { WorkspaceProps } from '../../../renderer/app/contributions.js';
import { errorText } from '../../../renderer/app/errors.js';
import type { RiskModelEntry } from '../contract.js';

export function RiskModelsPanel({ client }: WorkspaceProps) {
  const [models, setModels] = useState<RiskModelEntry[] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let gone = false;
    client.call('inference', 'models').then(
      (m) => gone || setModels(m),
      (e: unknown) => gone || setFailed(errorText(e)),
    );
    return () => {
      gone = true;
    };
  }, [client]);
  return (
    <section className="about" data-testid="risk-models" aria-label="risk models">
      <p className="research-notice">
        <strong>
          No outcome data existed where these models were built: each result states how far its model was validated. A site fit is used only once an
          administrator approves it.
        </strong>
      </p>
      {failed && (
        <div className="error" role="alert">
          {failed}
        </div>
      )}
      {!models && !failed && <p className="muted">Loading…</p>}
      {models?.map((e) => (
        <article key={e.key} className="model-card" data-model={e.key}>
          <h3>
            {e.model.title} <span className="badge">{e.model.status}</span> <span className="badge">{e.state}</span>
          </h3>
          <p className="muted">
            {e.key} · {e.origin}
            {e.baseKey ? ` (refit of ${e.baseKey})` : ''}
            {e.approvedBy ? ` · approved by ${e.approvedBy} ${e.approvedAt ?? ''}` : ''} · SHA-256 <code title={e.sha256}>{e.sha256.slice(0, 12)}…</code>
          </p>
          <p>
            Predicts {e.model.outcome}
            {e.model.horizonMonths !== null ? ` within ${e.model.horizonMonths} months` : ` (${e.model.horizonNote})`} in {e.model.population}.
          </p>
          <p>Source: {e.model.citation}</p>
          <p>Validation: {e.model.validation}</p>
          <p className="muted">
            Development: {e.model.performance.development}; AUC {e.model.performance.auc?.toFixed(2) ?? 'not published'}
            {e.model.performance.aucInterval ? ` (${e.model.performance.aucInterval[0]}–${e.model.performance.aucInterval[1]})` : ''}; calibration:{' '}
            {e.model.performance.calibration}
          </p>
          <table className="device-table">
            <thead>
              <tr>
                <th>Term</th>
                <th>Coefficient</th>
                <th>SE</th>
                <th>Source</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>Intercept</td>
                <td>{e.model.intercept.value}</td>
                <td>{e.model.intercept.se ?? '—'}</td>
                <td>
                  {e.model.intercept.source.kind}: {e.model.intercept.source.citation}
                </td>
              </tr>
              {e.model.terms.map((t) => (
                <tr key={t.id}>
                  <td>{t.label}</td>
                  <td>{t.coefficient}</td>
                  <td>{t.se ?? '—'}</td>
                  <td>
                    {t.source.kind}: {t.source.citation}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </article>
      ))}
    </section>
  );
}
