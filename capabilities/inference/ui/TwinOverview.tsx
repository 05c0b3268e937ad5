/**
 * The Twin overview (issue 23): the open patient's risk under each model
 * (with its interval, validation statement and the waterfall of its log-odds
 * contributions), the chord diagram of the primary risk's contributions by
 * modality, advice (rules and the next examination that would narrow the
 * interval most), trends over visits against published thresholds, the
 * feature graph explorer, the forms, and the visit report as a PDF. Every
 * number names its source.
 */
import { downloadBase64 } from '../../../renderer/app/download.js';
import { useCallback, useEffect, useState } from 'react';
import type { Client } from '../../../renderer/ipc/client.js';
import type { Patient } from '../../patients/contract.js';
import { errorText } from '../../../renderer/app/errors.js';
import type { Advice, Overview } from '../contract.js';
import { ChordDiagram } from './ChordDiagram.js';
import { primaryRisk } from './chordData.js';
import { chartedTrends } from './display.js';
import { FormsPanel } from './FormsPanel.js';
import { OutcomePanel } from './OutcomePanel.js';
import { GraphExplorer } from './GraphExplorer.js';
import { RiskCard } from './RiskCard.js';
import { RiskOverTime, TrendChart } from './Trends.js';

const TRENDS_SHOWN = 11;

function AdviceList({ advice }: { advice: Advice[] }) {
  const next = advice.filter((a) => a.kind === 'next-exam');
  const rules = advice.filter((a) => a.kind === 'rule');
  return (
    <section className="panel twin-section" aria-label="advice" data-testid="advice">
      <h2>Advice</h2>
      {advice.length === 0 && <p className="muted">No advice for this patient&apos;s features.</p>}
      <ul className="advice-list">
        {rules.map((a) => (
          <li key={a.id} data-kind={a.kind} data-severity={a.severity}>
            <span className={`badge ${a.severity === 'recommend' ? 'bad' : a.severity === 'consider' ? 'warn' : ''}`}>{a.severity}</span> {a.text}
            <div className="muted">
              Why: {a.rationale} · Source: {a.citation}
            </div>
          </li>
        ))}
      </ul>
      {next.length > 0 && (
        <div data-testid="advice-next">
          <h3>What would help most next</h3>
          <ul className="advice-list">
            {next.map((a) => (
              <li key={a.id} data-kind={a.kind}>
                {a.text}
                {a.expectedReduction !== null && (
                  <strong> — expected to narrow the risk interval by {(a.expectedReduction * 100).toFixed(1)} percentage points</strong>
                )}
                <div className="muted">
                  Why: {a.rationale} · Source: {a.citation}
                </div>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

export function TwinOverview(props: { client: Client; patient: Patient; can(method: string): boolean; onError(e: unknown): void }) {
  const { client, patient, can, onError } = props;
  const [overview, setOverview] = useState<Overview | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [stamp, setStamp] = useState(0);
  /** The refresh whose overview is shown (the page says it is loaded only when it is the latest). */
  const [loaded, setLoaded] = useState(-1);
  const [report, setReport] = useState<string | null>(null);
  const [reporting, setReporting] = useState(false);
  const [allTrends, setAllTrends] = useState(false);

  useEffect(() => {
    let live = true;
    setFailed(null);
    client.call('inference', 'overview', patient.id).then(
      (o) => {
        if (!live) return;
        setOverview(o);
        setLoaded(stamp);
      },
      (e: unknown) => live && setFailed(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [client, patient.id, stamp]);
  const refresh = useCallback(() => setStamp((s) => s + 1), []);

  const makeReport = async (): Promise<void> => {
    setReporting(true);
    setReport(null);
    try {
      const r = await client.call('inference', 'reportPdf', patient.id);
      downloadBase64(r.fileName, r.mime, r.base64);
      setReport(`${r.fileName} (${r.pages} page${r.pages === 1 ? '' : 's'})`);
    } catch (e) {
      onError(e);
    } finally {
      setReporting(false);
    }
  };

  const primary = overview ? primaryRisk(overview.risks) : null;
  const trends = overview ? chartedTrends(overview.trends) : [];
  const risks = overview && primary ? [primary, ...overview.risks.filter((r) => r !== primary)] : (overview?.risks ?? []);

  return (
    <div className="twin-overview" data-testid="twin-overview" data-loaded={overview && loaded === stamp ? 'yes' : 'no'}>
      <div className="toolbar">
        <strong>Twin overview · {patient.displayName}</strong>
        {overview && (
          <span className="muted">
            {overview.graph.visits.length} visit{overview.graph.visits.length === 1 ? '' : 's'}, graph v{overview.graph.version}
          </span>
        )}
        <button onClick={refresh}>Refresh</button>
        {can('inference.reportPdf') && (
          <button disabled={!overview || reporting} onClick={() => void makeReport()}>
            {reporting ? 'Writing the report…' : 'Visit report (PDF)'}
          </button>
        )}
        {report && (
          <span className="muted" data-testid="report-saved">
            Saved {report}
          </span>
        )}
      </div>
      {failed && (
        <div className="error" role="alert">
          {failed}
        </div>
      )}
      {!overview && !failed && <p className="notice">Building the patient&apos;s feature graph and risks…</p>}
      {overview && (
        <>
          <section className="panel twin-section" aria-label="risk" data-testid="risk-section">
            <h2>Risk</h2>
            {risks.length === 0 && <p className="muted">No risk model applies to this patient.</p>}
            <div className="risk-layout">
              <div className="risk-cards">
                {risks.map((r) => (
                  <RiskCard key={r.model.key} risk={r} primary={r === primary} />
                ))}
              </div>
              {primary && <ChordDiagram risk={primary} />}
            </div>
          </section>
          <AdviceList advice={overview.advice} />
          <section className="panel twin-section" aria-label="trends" data-testid="trends">
            <h2>Trends over visits</h2>
            <div className="trend-grid">
              <RiskOverTime points={overview.riskOverTime} model={primary?.model ?? null} />
              {(allTrends ? trends : trends.slice(0, TRENDS_SHOWN)).map((t) => (
                <TrendChart key={`${t.feature}:${t.level}:${t.label}`} trend={t} />
              ))}
            </div>
            {!allTrends && trends.length > TRENDS_SHOWN && (
              <button onClick={() => setAllTrends(true)}>
                Show all {trends.length} trends (flagged first; {TRENDS_SHOWN} shown)
              </button>
            )}
            {trends.length === 0 && <p className="muted">No feature was measured at two visits yet.</p>}
          </section>
          <GraphExplorer client={client} patientId={patient.id} graph={overview.graph} onError={onError} />
          <FormsPanel client={client} patientId={patient.id} can={can} onSaved={refresh} />
          {can('inference.recordOutcome') && <OutcomePanel client={client} patientId={patient.id} />}
          {overview.proms.length > 0 && (
            <section className="panel twin-section" aria-label="forms filled" data-testid="proms">
              <h2>Forms filled</h2>
              <table className="device-table">
                <thead>
                  <tr>
                    <th>Visit</th>
                    <th>Form</th>
                    <th>Score</th>
                    <th>Answered</th>
                    <th>Scoring source</th>
                  </tr>
                </thead>
                <tbody>
                  {overview.proms.map((p) => (
                    <tr key={p.id}>
                      <td>{p.visitDate}</td>
                      <td>{p.instrument.toUpperCase()}</td>
                      <td>
                        {Number(p.score.total.toFixed(1))} {p.score.unit}
                        {p.score.band ? ` (${p.score.band})` : ''}
                      </td>
                      <td>
                        {p.score.answered}/{p.score.items}
                      </td>
                      <td className="muted">
                        {p.score.source} ({p.score.algorithmVersion})
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
        </>
      )}
    </div>
  );
}
