/**
 * A risk model's result for the patient: the model (title, id, version,
 * status, citation), the probability with its 95 % interval and how it was
 * computed, the other horizons under a constant hazard, the validation
 * statement (always shown), the inputs out of the model's range and the
 * missing ones (reference value used), and the waterfall of the log-odds
 * contributions from the intercept to the logit.
 */
import type { Contribution, RiskResult } from '../contract.js';
import { shortLabel } from './chordData.js';
import { formatValue } from './display.js';

export const pct = (p: number, digits = 1): string => `${(p * 100).toFixed(digits)} %`;
const signed = (v: number, digits = 3): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;

/** The model's status as the badge says it. */
export function statusText(m: RiskResult['model']): { text: string; tone: 'ok' | 'warn' | 'bad' } {
  if (m.status === 'published') return { text: 'published', tone: 'ok' };
  if (m.status === 'expert-prior') return { text: 'expert prior', tone: 'warn' };
  return m.approved ? { text: 'site fit — approved', tone: 'ok' } : { text: 'site fit — not approved', tone: 'bad' };
}

const valueText = (c: Contribution): string => (c.value === null ? '' : formatValue(c.value, c.unit));

/** The waterfall of the contributions (log-odds): the intercept, then each term from the running sum, ending at the logit. */
export function Waterfall({ risk }: { risk: RiskResult }) {
  const intercept = risk.contributions.find((c) => c.feature === 'intercept');
  const terms = risk.contributions.filter((c) => c.feature !== 'intercept');
  const rows: { key: string; label: string; from: number; to: number; c: Contribution | null; kind: 'intercept' | 'term' | 'logit' }[] = [];
  let run = 0;
  if (intercept) {
    rows.push({ key: 'intercept', label: 'Intercept', from: 0, to: intercept.logOdds, c: intercept, kind: 'intercept' });
    run = intercept.logOdds;
  }
  for (const c of terms) {
    rows.push({ key: c.feature, label: c.label, from: run, to: run + c.logOdds, c, kind: 'term' });
    run += c.logOdds;
  }
  rows.push({ key: 'logit', label: `Logit → ${pct(risk.probability)}`, from: 0, to: risk.logit, c: null, kind: 'logit' });
  const xs = rows.flatMap((r) => [r.from, r.to]);
  const lo = Math.min(0, ...xs),
    hi = Math.max(0, ...xs);
  const span = hi - lo || 1;
  const W = 620,
    LABEL = 230,
    VALUE = 90,
    ROW = 20,
    TOP = 18;
  const plotW = W - LABEL - VALUE - 10;
  const x = (v: number): number => LABEL + ((v - lo) / span) * plotW;
  const H = TOP + rows.length * ROW + 6;
  return (
    <svg
      className="waterfall"
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      style={{ maxWidth: W }}
      role="img"
      aria-label={`log-odds contributions to ${risk.model.title}`}
      data-testid="risk-waterfall"
    >
      <defs>
        <pattern id={`hatch-${risk.model.id}`} patternUnits="userSpaceOnUse" width={6} height={6} patternTransform="rotate(45)">
          <rect width={6} height={6} fill="#2a3038" />
          <line x1={0} y1={0} x2={0} y2={6} stroke="#cfd6df" strokeWidth={3} />
        </pattern>
      </defs>
      <text x={LABEL} y={12} fontSize={10} fill="#98a2b3">
        log-odds {lo.toFixed(2)}
      </text>
      <text x={LABEL + plotW} y={12} fontSize={10} fill="#98a2b3" textAnchor="end">
        {hi.toFixed(2)}
      </text>
      <line x1={x(0)} x2={x(0)} y1={TOP - 2} y2={H - 4} stroke="#98a2b3" strokeDasharray="2 2" />
      {rows.map((r, i) => {
        const y = TOP + i * ROW;
        const imputed = r.c?.imputed ?? false;
        const colour = r.kind === 'term' ? (r.to >= r.from ? '#e0524b' : '#4c9be8') : r.kind === 'intercept' ? '#98a2b3' : '#cfd6df';
        const x0 = x(Math.min(r.from, r.to)),
          x1 = x(Math.max(r.from, r.to));
        const title =
          r.kind === 'logit'
            ? `logit ${risk.logit.toFixed(3)} = intercept + Σ terms; probability ${pct(risk.probability)}`
            : `${r.label}${r.c && r.c.value !== null ? `: ${valueText(r.c)}` : ''}${r.c?.visitDate ? ` (measured ${r.c.visitDate})` : ''}${imputed ? ' (missing → reference value)' : ''}; log-odds ${signed(r.c!.logOdds)}; source: ${r.c!.source} (${r.c!.sourceKind})`;
        return (
          <g key={r.key} data-term={r.key} data-log-odds={r.kind === 'logit' ? risk.logit : r.c!.logOdds} data-imputed={imputed ? 'yes' : 'no'}>
            <title>{title}</title>
            <text
              x={LABEL - 6}
              y={y + 13}
              fontSize={11}
              textAnchor="end"
              fill={r.kind === 'logit' ? '#e6e9ee' : '#cfd6df'}
              fontWeight={r.kind === 'logit' ? 'bold' : 'normal'}
            >
              {r.kind === 'logit' ? r.label : shortLabel(r.label, imputed ? 20 : 34) + (imputed ? ' (missing → ref.)' : '')}
            </text>
            <rect
              x={x0}
              y={y + 3}
              width={Math.max(1, x1 - x0)}
              height={ROW - 6}
              fill={imputed ? `url(#hatch-${risk.model.id})` : colour}
              stroke={colour}
              strokeWidth={imputed ? 1.5 : 0}
            />
            {r.kind === 'term' && i > 0 && <line x1={x(r.from)} x2={x(r.from)} y1={y - 3} y2={y + 3} stroke="#98a2b3" />}
            <text x={W - VALUE} y={y + 13} fontSize={11} fill="#cfd6df">
              {r.kind === 'logit' ? risk.logit.toFixed(3) : signed(r.c!.logOdds)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** One risk model's card. */
export function RiskCard({ risk, primary }: { risk: RiskResult; primary: boolean }) {
  const m = risk.model;
  const status = statusText(m);
  return (
    <article className={`risk-card${primary ? ' primary' : ''}`} data-testid="risk-card" data-model={m.key} aria-label={`risk: ${m.title}`}>
      <header className="risk-head">
        <h3 data-testid="risk-title">{m.title}</h3>
        <span className={`badge ${status.tone}`} data-testid="risk-status">
          {status.text}
        </span>
        {primary && <span className="badge">shown in the chord diagram</span>}
      </header>
      <div className="muted" data-testid="risk-model-id">
        {m.id} v{m.version} · outcome: {m.outcome} · {m.horizonMonths !== null ? `horizon ${m.horizonMonths} months` : m.horizonNote}
        {m.auc !== null ? ` · AUC ${m.auc.toFixed(2)} (development)` : ' · no published AUC'}
      </div>
      {risk.withheld ? (
        <div className="risk-warning" data-testid="risk-withheld" role="note">
          <strong>{risk.withheld}</strong> The model says nothing for this patient; its computation is kept below for the record only.
        </div>
      ) : (
        <div className="risk-probability" data-testid="risk-probability">
          {m.status === 'expert-prior' && <span className="badge warn">illustrative</span>} <strong>{pct(risk.probability)}</strong>{' '}
          <span>
            {risk.interval[1] - risk.interval[0] < 1e-9
              ? '(no interval: the source gives no standard errors and no input is missing)'
              : `(95 % interval ${pct(risk.interval[0])} – ${pct(risk.interval[1])})`}
          </span>
          {risk.interval[1] - risk.interval[0] > 0.5 && (
            <div className="risk-warning" data-testid="risk-uninformative" role="note">
              The interval spans more than half of the scale: this result carries little information.
            </div>
          )}
        </div>
      )}
      <p className="muted" data-testid="risk-interval-method">
        Interval: {risk.intervalMethod}
      </p>
      <p className="risk-statement" data-testid="risk-statement">
        {risk.statement}
      </p>
      {m.validation && !risk.statement.includes(m.validation) && <p className="muted">Validation: {m.validation}</p>}
      <p className="muted" data-testid="risk-citation">
        Source: {m.citation} · population: {m.population}
      </p>
      {risk.horizons.length > 0 && (
        <table className="device-table" data-testid="risk-horizons">
          <thead>
            <tr>
              <th>Horizon</th>
              <th>Probability</th>
              <th>How</th>
            </tr>
          </thead>
          <tbody>
            {risk.horizons.map((h) => (
              <tr key={h.months}>
                <td>{h.months} months</td>
                <td>{pct(h.probability)}</td>
                <td className="muted">{h.assumption}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {risk.outOfRange.length > 0 && (
        <div className="risk-warning" data-testid="risk-out-of-range" role="note">
          Outside the range the model was developed on:
          <ul>
            {risk.outOfRange.map((o) => (
              <li key={o.input}>
                {o.label}: {Number(o.value.toPrecision(4))} (developed on {o.validRange[0]}–{o.validRange[1]})
              </li>
            ))}
          </ul>
        </div>
      )}
      {risk.missing.length > 0 && (
        <div className="muted" data-testid="risk-missing">
          Missing inputs, reference value used (stated as imputed; their plausible range widens the interval):
          <ul>
            {risk.missing.map((o) => (
              <li key={o.input}>
                {o.label}: reference {o.reference} — from {o.exam}
              </li>
            ))}
          </ul>
        </div>
      )}
      <Waterfall risk={risk} />
      <table className="device-table risk-inputs" data-testid="risk-inputs">
        <thead>
          <tr>
            <th>Input</th>
            <th>Value</th>
            <th>Measured</th>
            <th>Log-odds</th>
          </tr>
        </thead>
        <tbody>
          {risk.contributions
            .filter((c) => c.feature !== 'intercept' && c.value !== null)
            .map((c) => (
              <tr key={c.feature}>
                <td>{c.label}</td>
                <td>{c.imputed ? `missing (reference ${valueText(c)})` : valueText(c)}</td>
                <td>{c.visitDate ?? '—'}</td>
                <td>{signed(c.logOdds)}</td>
              </tr>
            ))}
        </tbody>
      </table>
      <details className="muted">
        <summary>Coefficient sources</summary>
        <ul>
          {risk.contributions.map((c) => (
            <li key={c.feature}>
              {c.label}: {c.source} ({c.sourceKind})
            </li>
          ))}
        </ul>
      </details>
    </article>
  );
}
