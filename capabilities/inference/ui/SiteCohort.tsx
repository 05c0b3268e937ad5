/**
 * The Site cohort workspace (issue 23 §4–5): the site's cohort as statistics
 * only (patients with a feature graph, with a recorded outcome, events — no
 * identifiers, so researchers see it too), each site fit's report
 * (discrimination with its bootstrap interval beside the base model's on the
 * same cohort, calibration slope and intercept, the optimism-corrected slope,
 * Brier, the calibration plot of the deciles, the coefficients beside the
 * base's) and, for administrators, a refit of each shipped model and the
 * approval of a candidate (audited; only an approved fit is used).
 */
import { useCallback, useEffect, useState } from 'react';
import type { WorkspaceProps } from '../../../renderer/app/contributions.js';
import { errorText } from '../../../renderer/app/errors.js';
import { may } from '../../../renderer/app/placement.js';
import type { CohortSummary, RiskModelEntry, SiteFitReport } from '../contract.js';

const f = (v: number, d = 3): string => v.toFixed(d);

/** Observed against predicted event rate per decile of the predicted risk, with the ideal diagonal. */
export function CalibrationPlot({ report }: { report: SiteFitReport }) {
  const W = 260,
    H = 260,
    M = 34;
  const x = (p: number): number => M + p * (W - M - 8);
  const y = (p: number): number => H - M - p * (H - M - 8);
  const maxN = Math.max(1, ...report.calibration.bins.map((b) => b.n));
  return (
    <svg width={W} height={H} role="img" aria-label={`calibration plot of ${report.key}`} data-testid="calibration-plot">
      <rect x={x(0)} y={y(1)} width={x(1) - x(0)} height={y(0) - y(1)} fill="none" stroke="#888" />
      <line x1={x(0)} y1={y(0)} x2={x(1)} y2={y(1)} stroke="#888" strokeDasharray="4 3" />
      {[0, 0.25, 0.5, 0.75, 1].map((t) => (
        <g key={t}>
          <text x={x(t)} y={H - M + 14} fontSize="10" textAnchor="middle" fill="currentColor">
            {t}
          </text>
          <text x={M - 4} y={y(t) + 3} fontSize="10" textAnchor="end" fill="currentColor">
            {t}
          </text>
        </g>
      ))}
      <text x={(x(0) + x(1)) / 2} y={H - 4} fontSize="11" textAnchor="middle" fill="currentColor">
        predicted
      </text>
      <text x={10} y={(y(0) + y(1)) / 2} fontSize="11" textAnchor="middle" fill="currentColor" transform={`rotate(-90 10 ${(y(0) + y(1)) / 2})`}>
        observed
      </text>
      {report.calibration.bins.map((b, i) => (
        <circle key={i} cx={x(b.predicted)} cy={y(b.observed)} r={3 + 5 * Math.sqrt(b.n / maxN)} fill="#2a6fdb" fillOpacity="0.7">
          <title>{`decile ${i + 1}: predicted ${f(b.predicted)}, observed ${f(b.observed)} (${b.n} patients)`}</title>
        </circle>
      ))}
    </svg>
  );
}

function FitReport({
  report,
  entry,
  canApprove,
  onApprove,
}: {
  report: SiteFitReport;
  entry: RiskModelEntry | undefined;
  canApprove: boolean;
  onApprove(): void;
}) {
  return (
    <article className="model-card" data-fit={report.key}>
      <h3>
        {report.key} <span className="badge">{entry?.state ?? 'site fit'}</span>
      </h3>
      <p className="muted">
        Refit of {report.baseKey} on {report.n} patients ({report.events} with surgery) by {report.createdBy}, {report.createdAt.slice(0, 16).replace('T', ' ')}
        {entry?.approvedBy ? ` · approved by ${entry.approvedBy} ${entry.approvedAt?.slice(0, 10) ?? ''}` : ''}
      </p>
      {report.excluded.length > 0 && <p className="muted">Left out: {report.excluded.map((e) => `${e.count} (${e.reason})`).join('; ')}</p>}
      <div style={{ display: 'flex', gap: '1.5em', flexWrap: 'wrap' }}>
        <table className="device-table">
          <tbody>
            <tr>
              <th>AUC</th>
              <td data-testid="fit-auc">
                {f(report.auc)} (95 % bootstrap {f(report.aucInterval[0])}–{f(report.aucInterval[1])}, {report.bootstrap} resamples)
              </td>
            </tr>
            <tr>
              <th>Base model on the same cohort</th>
              <td>
                AUC {f(report.baseAuc)}; calibration slope {f(report.baseCalibration.slope)}, intercept {f(report.baseCalibration.intercept)}
              </td>
            </tr>
            <tr>
              <th>Calibration (apparent)</th>
              <td>
                slope {f(report.calibration.slope)}, intercept {f(report.calibration.intercept)}; optimism-corrected slope{' '}
                {f(report.calibration.slopeCorrected)}
              </td>
            </tr>
            <tr>
              <th>Brier</th>
              <td>{f(report.brier)}</td>
            </tr>
            <tr>
              <th>Penalty</th>
              <td>
                ridge, λ {report.penalty.lambda} by {report.penalty.folds}-fold cross-validation over {report.penalty.grid.join(', ')}
              </td>
            </tr>
          </tbody>
        </table>
        <CalibrationPlot report={report} />
      </div>
      <table className="device-table">
        <thead>
          <tr>
            <th>term</th>
            <th>site estimate (95 % interval)</th>
            <th>SE</th>
            <th>base model</th>
          </tr>
        </thead>
        <tbody>
          {report.coefficients.map((c) => (
            <tr key={c.term}>
              <td>{c.term}</td>
              <td>
                {f(c.estimate)} ({f(c.interval[0])} to {f(c.interval[1])})
              </td>
              <td>{f(c.se)}</td>
              <td>{f(c.base)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {canApprove && entry?.state === 'candidate' && (
        <button type="button" onClick={onApprove} data-testid="approve-fit">
          Approve for use at this site
        </button>
      )}
    </article>
  );
}

export function SiteCohort({ client, session, onError }: WorkspaceProps) {
  const [cohort, setCohort] = useState<CohortSummary | null>(null);
  const [models, setModels] = useState<RiskModelEntry[]>([]);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const canFit = may(session.status, 'inference.fitSiteModel');
  const canApprove = may(session.status, 'inference.approveModel');
  const load = useCallback(async () => {
    try {
      const [c, m] = await Promise.all([client.call('inference', 'cohort'), client.call('inference', 'models')]);
      setCohort(c);
      setModels(m);
    } catch (e) {
      onError(e);
    }
  }, [client, onError]);
  useEffect(() => {
    void load();
  }, [load]);
  const fit = async (key: string) => {
    setBusy(true);
    setMessage(null);
    try {
      const r = await client.call('inference', 'fitSiteModel', key);
      setMessage(`Fitted ${r.key}: a candidate until approved.`);
    } catch (e) {
      setMessage(errorText(e));
    } finally {
      setBusy(false);
      await load();
    }
  };
  const approve = async (key: string) => {
    try {
      await client.call('inference', 'approveModel', key);
      setMessage(`Approved ${key}: its risk is shown beside its base model from now on.`);
    } catch (e) {
      setMessage(errorText(e));
    }
    await load();
  };
  return (
    <section className="about" data-testid="site-cohort" aria-label="site cohort">
      <h2>Site cohort</h2>
      <p className="research-notice">
        Statistics of this site's patients only: no names, IDs or dates. Outcomes (surgery yes/no and its day) are recorded per patient in the Twin overview.
      </p>
      {cohort && (
        <p data-testid="cohort-counts">
          {cohort.patients} patients with a feature graph; {cohort.withOutcome} with a recorded outcome, {cohort.events} of them with surgery. A site fit needs{' '}
          {cohort.minimumForFit}.
        </p>
      )}
      {canFit && (
        <p>
          {models
            .filter((m) => m.origin === 'shipped' && m.model.outcomeKind === 'surgery')
            .map((m) => (
              <button key={m.key} type="button" disabled={busy} onClick={() => void fit(m.key)} data-testid={`fit-${m.model.id}`}>
                Refit {m.model.title} on this site's cohort
              </button>
            ))}
        </p>
      )}
      {message && (
        <p role="status" data-testid="site-message">
          {message}
        </p>
      )}
      {cohort?.fits.length === 0 && <p className="muted">No site fit yet.</p>}
      {cohort?.fits.map((r) => (
        <FitReport key={r.key} report={r} entry={models.find((m) => m.key === r.key)} canApprove={canApprove} onApprove={() => void approve(r.key)} />
      ))}
    </section>
  );
}
