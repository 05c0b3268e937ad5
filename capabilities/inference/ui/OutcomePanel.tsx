/**
 * The patient's outcome for the site's learning (`inference.recordOutcome`,
 * surgeons and administrators; audited): surgery yes/no and its day. Only
 * patients with a recorded outcome enter a site fit (Site cohort workspace).
 */
import { useState } from 'react';
import type { Client } from '../../../renderer/ipc/client.js';
import { errorText } from '../../../renderer/app/errors.js';

const today = (): string => new Date().toISOString().slice(0, 10);

export function OutcomePanel({ client, patientId }: { client: Client; patientId: string }) {
  const [surgery, setSurgery] = useState(false);
  const [day, setDay] = useState(today());
  const [saved, setSaved] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const save = async (): Promise<void> => {
    setSaved(null);
    setProblem(null);
    try {
      const r = await client.call('inference', 'recordOutcome', { patientId, surgery, surgeryDate: surgery ? day : null });
      setSaved(
        r.surgery
          ? `Outcome stored: surgery on ${r.surgeryDate ?? '?'} (recorded by ${r.recordedBy}).`
          : `Outcome stored: no surgery (recorded by ${r.recordedBy}).`,
      );
    } catch (e) {
      setProblem(errorText(e));
    }
  };
  return (
    <section className="panel twin-section" aria-label="outcome" data-testid="outcome-panel">
      <h2>Outcome (for the site's learning)</h2>
      <p className="muted">Whether the patient had spinal surgery, and when. Used only for refitting risk models on this site's cohort; audited.</p>
      <div className="row">
        <label className="field">
          <input type="checkbox" aria-label="Had surgery" checked={surgery} onChange={(e) => setSurgery(e.target.checked)} /> Had surgery
        </label>
        {surgery && (
          <label className="field">
            Surgery date
            <input type="date" aria-label="Surgery date" value={day} onChange={(e) => setDay(e.target.value)} />
          </label>
        )}
        <button onClick={() => void save()}>Store outcome</button>
        {saved && <span data-testid="outcome-saved">{saved}</span>}
        {problem && (
          <span className="problem" role="alert">
            {problem}
          </span>
        )}
      </div>
    </section>
  );
}
