/**
 * Fill a form at a visit (`inference.submitProm`): the instrument (from
 * `promDefinitions`), the visit's day and label, one answer per item with its
 * anchors (unanswered items stay null: the scoring rule says how they
 * count); the score comes back with its rule's source. And a clinician's
 * value (Risser grade 0–5, a manual Cobb angle from a standing radiograph) at a
 * visit (`inference.submitClinical`). Refusals
 * show the service's sentence.
 */
import { useEffect, useState } from 'react';
import type { Client } from '../../../renderer/ipc/client.js';
import { errorText } from '../../../renderer/app/errors.js';
import type { PromDefinition, PromResponse } from '../contract.js';

const today = (): string => new Date().toISOString().slice(0, 10);

/** The label of an answer: the first anchor names the lowest answer, the last the highest (` — 0: no pain`). */
function anchorOf(it: { min: number; max: number; anchors: string[] }, v: number): string {
  const a = v === it.min ? it.anchors[0] : v === it.max ? it.anchors[it.anchors.length - 1] : undefined;
  return a ? ` — ${a}` : '';
}

export function FormsPanel(props: { client: Client; patientId: string; can(method: string): boolean; onSaved(): void }) {
  const { client, patientId, can, onSaved } = props;
  const [defs, setDefs] = useState<PromDefinition[] | null>(null);
  const [instrument, setInstrument] = useState('');
  const [visitDate, setVisitDate] = useState(today());
  const [visitLabel, setVisitLabel] = useState('');
  const [answers, setAnswers] = useState<(number | null)[]>([]);
  const [saved, setSaved] = useState<PromResponse | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [risserDate, setRisserDate] = useState(today());
  const [risser, setRisser] = useState('');
  const [clinical, setClinical] = useState<string | null>(null);
  const [clinicalProblem, setClinicalProblem] = useState<string | null>(null);
  const [cobbDate, setCobbDate] = useState(today());
  const [cobb, setCobb] = useState('');

  useEffect(() => {
    let live = true;
    client.call('inference', 'promDefinitions').then(
      (d) => {
        if (!live) return;
        setDefs(d);
        setInstrument((i) => i || d[0]?.instrument || '');
      },
      (e: unknown) => live && setProblem(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [client]);

  const def = defs?.find((d) => d.instrument === instrument) ?? null;
  useEffect(() => setAnswers(def ? def.items.map(() => null) : []), [def]);

  const submit = async (): Promise<void> => {
    if (!def) return;
    setBusy(true);
    setProblem(null);
    setSaved(null);
    try {
      const r = await client.call('inference', 'submitProm', { patientId, visitDate, visitLabel, instrument: def.instrument, answers });
      setSaved(r);
      setAnswers(def.items.map(() => null));
      onSaved();
    } catch (e) {
      setProblem(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const submitRisser = async (): Promise<void> => {
    setClinical(null);
    setClinicalProblem(null);
    try {
      const r = await client.call('inference', 'submitClinical', { patientId, visitDate: risserDate, name: 'risser', value: Number(risser) });
      setClinical(`Risser grade ${r.value} stored for ${r.visitDate}.`);
      onSaved();
    } catch (e) {
      setClinicalProblem(errorText(e));
    }
  };

  const submitCobb = async (): Promise<void> => {
    setClinical(null);
    setClinicalProblem(null);
    try {
      const r = await client.call('inference', 'submitClinical', { patientId, visitDate: cobbDate, name: 'cobb_manual', value: Number(cobb) });
      setClinical(`Manual Cobb angle ${r.value}° stored for ${r.visitDate}.`);
      onSaved();
    } catch (e) {
      setClinicalProblem(errorText(e));
    }
  };

  return (
    <section className="panel twin-section" aria-label="forms" data-testid="forms-panel">
      <h2>Fill a form</h2>
      {can('inference.submitProm') ? (
        <div className="prom-form" data-testid="prom-form">
          <div className="row">
            <label className="field">
              Instrument
              <select aria-label="Instrument" value={instrument} onChange={(e) => setInstrument(e.target.value)} disabled={!defs}>
                {(defs ?? []).map((d) => (
                  <option key={d.instrument} value={d.instrument}>
                    {d.title}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              Form visit date
              <input type="date" aria-label="Form visit date" value={visitDate} onChange={(e) => setVisitDate(e.target.value)} />
            </label>
            <label className="field">
              Form visit label
              <input aria-label="Form visit label" value={visitLabel} onChange={(e) => setVisitLabel(e.target.value)} placeholder="optional" />
            </label>
          </div>
          {def && (
            <>
              <p className="muted">
                {def.scoring} Source: {def.source}
              </p>
              <ol className="prom-items">
                {def.items.map((it, i) => (
                  <li key={i}>
                    <label className="field">
                      {it.label}
                      <select
                        aria-label={`Item ${i + 1}: ${it.label}`}
                        data-item={i}
                        value={answers[i] === null || answers[i] === undefined ? '' : String(answers[i])}
                        onChange={(e) => setAnswers((a) => a.map((v, k) => (k === i ? (e.target.value === '' ? null : Number(e.target.value)) : v)))}
                      >
                        <option value="">not answered</option>
                        {Array.from({ length: it.max - it.min + 1 }, (_, k) => it.min + k).map((v) => (
                          <option key={v} value={v}>
                            {v}
                            {anchorOf(it, v)}
                          </option>
                        ))}
                      </select>
                    </label>
                  </li>
                ))}
              </ol>
              <button className="primary" disabled={busy} onClick={() => void submit()}>
                Submit {def.title}
              </button>
            </>
          )}
          {problem && (
            <div className="error" role="alert" data-testid="prom-error">
              {problem}
            </div>
          )}
          {saved && (
            <p data-testid="prom-saved">
              Stored: {saved.instrument.toUpperCase()} {Number(saved.score.total.toFixed(1))} {saved.score.unit}
              {saved.score.band ? ` (${saved.score.band})` : ''}, {saved.score.answered} of {saved.score.items} items answered, {saved.visitDate} ·{' '}
              <span className="muted">
                {saved.score.source.replace(/\.\s*$/, '')}; scoring v{saved.score.algorithmVersion}
              </span>
            </p>
          )}
        </div>
      ) : (
        <p className="muted">This session may not enter questionnaires.</p>
      )}
      {can('inference.submitClinical') && (
        <div className="row clinical-form" data-testid="clinical-form">
          <label className="field">
            Risser grade
            <select aria-label="Risser grade" value={risser} onChange={(e) => setRisser(e.target.value)}>
              <option value="">choose</option>
              {[0, 1, 2, 3, 4, 5].map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            Risser visit date
            <input type="date" aria-label="Risser visit date" value={risserDate} onChange={(e) => setRisserDate(e.target.value)} />
          </label>
          <button disabled={risser === ''} onClick={() => void submitRisser()}>
            Store Risser grade
          </button>
          <label className="field">
            Manual Cobb angle (°, standing radiograph)
            <input
              type="number"
              min={0}
              max={180}
              step={1}
              aria-label="Manual Cobb angle"
              value={cobb}
              onChange={(e) => setCobb(e.target.value)}
              style={{ width: '5em' }}
            />
          </label>
          <label className="field">
            Cobb visit date
            <input type="date" aria-label="Cobb visit date" value={cobbDate} onChange={(e) => setCobbDate(e.target.value)} />
          </label>
          <button disabled={cobb === '' || !Number.isFinite(Number(cobb))} onClick={() => void submitCobb()}>
            Store Cobb angle
          </button>
          {clinical && <span data-testid="clinical-saved">{clinical}</span>}
          {clinicalProblem && (
            <span className="problem" role="alert">
              {clinicalProblem}
            </span>
          )}
        </div>
      )}
    </section>
  );
}
