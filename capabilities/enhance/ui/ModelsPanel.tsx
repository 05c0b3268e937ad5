/**
 * Help → Enhancement models: every model of the manifest (`enhance.models`)
 * with its name, task, version, SHA-256 (short; the full hash on hover), the
 * file check (OK, or the sentence saying why it is refused), the manifest's
 * validation line and its model card (Markdown, rendered as text). Research
 * models: the panel says first that none is clinically validated.
 */
import { useEffect, useState } from 'react';
import type { WorkspaceProps } from '../../../renderer/app/contributions.js';
import { errorText } from '../../../renderer/app/errors.js';
import type { EnhanceModelStatus } from '../contract.js';
import { renderMarkdown } from './markdown.js';

/** What every place that offers the models says about them. */
export const RESEARCH_NOTICE =
  'Research models, not clinically validated: their output is model output, not acquired image data, and is not for diagnosis. The raw images are always kept.';

/** The models' list (shown in the Help dialog). */
export function ModelsPanel({ client }: WorkspaceProps) {
  const [models, setModels] = useState<EnhanceModelStatus[] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [cardOpen, setCardOpen] = useState<string | null>(null);

  useEffect(() => {
    let gone = false;
    client.call('enhance', 'models').then(
      (m) => gone || (setModels(m), setCardOpen(m[0]?.info.name ?? null)),
      (e: unknown) => gone || setFailed(errorText(e)),
    );
    return () => {
      gone = true;
    };
  }, [client]);

  return (
    <section className="about" data-testid="enhance-models" aria-label="enhancement models">
      <p className="research-notice" data-testid="enhance-research-notice">
        <strong>{RESEARCH_NOTICE}</strong>
      </p>
      {failed && (
        <div className="error" role="alert">
          {failed}
        </div>
      )}
      {!models && !failed && <p className="muted">Loading…</p>}
      {models && (
        <>
          <table className="device-table enhance-models-table" data-testid="enhance-models-table">
            <thead>
              <tr>
                <th>Model</th>
                <th>Task</th>
                <th>Version</th>
                <th>SHA-256</th>
                <th>File check</th>
                <th>Validation</th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => (
                <tr key={m.info.name} data-model={m.info.name} data-ok={m.ok ? 'yes' : 'no'}>
                  <td>
                    <strong>{m.info.name}</strong>
                    <div className="muted">{m.info.file}</div>
                  </td>
                  <td>
                    {m.info.task}
                    {m.info.scale !== 1 ? ` ×${m.info.scale}` : ''} · {m.info.modality}
                  </td>
                  <td data-testid="enhance-model-version">{m.info.version}</td>
                  <td>
                    <code title={m.info.sha256} data-testid="enhance-model-sha">
                      {m.info.sha256.slice(0, 12)}…
                    </code>
                  </td>
                  <td data-testid="enhance-model-check">{m.ok ? 'OK' : <span className="problem">{m.problem ?? 'the model file cannot be used'}</span>}</td>
                  <td data-testid="enhance-model-validation">{m.info.validation}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Model cards</h3>
          <div className="row" role="tablist" aria-label="model cards">
            {models.map((m) => (
              <button key={m.info.name} role="tab" aria-selected={cardOpen === m.info.name} onClick={() => setCardOpen(m.info.name)}>
                {m.info.name} {m.info.version}
              </button>
            ))}
          </div>
          {models
            .filter((m) => m.info.name === cardOpen)
            .map((m) => (
              <article
                key={m.info.name}
                className="model-card"
                data-testid="enhance-model-card"
                data-model={m.info.name}
                aria-label={`model card ${m.info.name}`}
              >
                {m.card === null ? <p className="problem">The model card {m.cardPath} is missing.</p> : renderMarkdown(m.card)}
              </article>
            ))}
        </>
      )}
    </section>
  );
}
