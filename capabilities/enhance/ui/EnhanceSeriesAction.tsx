/**
 * "Enhance…" on a series row of the open patient (a `seriesActions`
 * contribution): for an ultrasound volume with 8-bit voxels, the choice of a
 * model of the manifest (each with its validation line; a refused model says
 * why and cannot be chosen), then `enhance.enhanceVolume` — a job the patient
 * page follows with its job bar; the new series (its description naming the
 * model and version) appears in the list when it ends. An ultrasound volume
 * of other voxels says why it cannot be enhanced. Shown only where the
 * session may start the enhancement.
 */
import { useEffect, useState } from 'react';
import type { SeriesActionProps } from '../../../renderer/app/contributions.js';
import { errorText, splitErrorText } from '../../../renderer/app/errors.js';
import type { EnhanceModelStatus } from '../contract.js';
import { notEnhanceable } from './enhanceable.js';

/** The series row's Enhance… button and, while open, the model choice. */
export function EnhanceSeriesAction({ client, series, busy, can, onJob }: SeriesActionProps) {
  const [open, setOpen] = useState(false);
  const [models, setModels] = useState<EnhanceModelStatus[] | null>(null);
  const [model, setModel] = useState<string>('');
  const [problem, setProblem] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  /** A refusal as the sentence the service says (without its code). */
  const refused = (e: unknown): void => setProblem(splitErrorText(errorText(e)).sentence);

  useEffect(() => {
    if (!open || models) return;
    let gone = false;
    client.call('enhance', 'models').then(
      (m) => {
        if (gone) return;
        setModels(m);
        setModel((cur) => cur || (m.find((x) => x.ok)?.info.name ?? ''));
      },
      (e: unknown) => gone || refused(e),
    );
    return () => {
      gone = true;
    };
  }, [open, models, client]);

  const why = notEnhanceable(series);
  if (why === undefined || !can('enhance.enhanceVolume')) return null;
  const name = series.description || series.id.slice(0, 8);
  if (why !== null)
    return (
      <span className="series-action muted" data-testid="enhance-not-possible">
        Enhance: <span className="problem">{why}</span>
      </span>
    );
  const volumeId = series.volume!.id;
  const chosen = models?.find((m) => m.info.name === model);

  const start = async (): Promise<void> => {
    setProblem(null);
    setStarting(true);
    try {
      const jobId = await client.call('enhance', 'enhanceVolume', { volumeId, model });
      onJob(await client.call('jobs', 'get', jobId));
      setOpen(false);
    } catch (e) {
      // the refusal (a model file changed, a volume not 8-bit…) as the service says it, beside the form
      refused(e);
    } finally {
      setStarting(false);
    }
  };

  if (!open)
    return (
      <button className="series-action" aria-label={`Enhance series ${name}`} disabled={busy} onClick={() => (setProblem(null), setOpen(true))}>
        Enhance…
      </button>
    );
  return (
    <form
      className="enhance-form"
      aria-label={`enhance series ${name}`}
      data-testid="enhance-form"
      onSubmit={(e) => {
        e.preventDefault();
        void start();
      }}
    >
      <strong>Enhance this ultrasound volume into a new series</strong>
      <span className="muted">Research models, not clinically validated: the new series is model output; this series is kept as it is.</span>
      {!models && !problem && <span className="muted">Loading the models…</span>}
      {models?.map((m) => (
        <label key={m.info.name} data-model={m.info.name}>
          <input
            type="radio"
            name={`enhance-model-${series.id}`}
            value={m.info.name}
            checked={model === m.info.name}
            disabled={!m.ok}
            onChange={() => setModel(m.info.name)}
          />
          <span>
            <strong>
              {m.info.task === 'super-resolution' ? `super-resolution ×${m.info.scale}` : m.info.task} ({m.info.name} {m.info.version})
            </strong>
            <br />
            {m.ok ? <span className="muted">{m.info.validation}</span> : <span className="problem">{m.problem ?? 'This model cannot be used.'}</span>}
          </span>
        </label>
      ))}
      {problem && (
        <span className="problem" role="alert" data-testid="enhance-problem">
          {problem}
        </span>
      )}
      <div className="row">
        <button className="primary" type="submit" disabled={busy || starting || !chosen?.ok}>
          {starting ? 'Starting…' : 'Enhance'}
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
