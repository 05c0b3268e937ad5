/**
 * Trends over visits: one small chart per feature measured at two visits or
 * more, with the band of ± the published smallest real change (MDC or MCID,
 * its source named) around the first value and the changes beyond it
 * flagged; without a published threshold no change is flagged, and the chart
 * says so. Then the risk over visits with its interval.
 */
import type { Overview, RiskResult, Trend } from '../contract.js';
import { pct } from './RiskCard.js';
import { displayUnit, formatValue } from './display.js';

const CHANGES_SHOWN = 4;

const W = 300,
  H = 130,
  L = 44,
  R = 10,
  T = 10,
  B = 22;

const dayMs = (d: string): number => new Date(`${d}T00:00:00Z`).getTime();
const short = (v: number): string => String(Number(v.toPrecision(3)));

function scaleX(dates: string[]): (d: string) => number {
  const ts = dates.map(dayMs);
  const lo = Math.min(...ts),
    hi = Math.max(...ts);
  return (d) => (hi === lo ? (L + W - R) / 2 : L + ((dayMs(d) - lo) / (hi - lo)) * (W - L - R));
}
function scaleY(values: number[]): { y: (v: number) => number; lo: number; hi: number } {
  let lo = Math.min(...values),
    hi = Math.max(...values);
  if (hi === lo) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.1;
  lo -= pad;
  hi += pad;
  return { y: (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B), lo, hi };
}

/** The threshold's words: "MDC 5°". */
const thresholdText = (t: NonNullable<Trend['threshold']>): string => `${t.kind} ${short(t.value)}${t.unit === '°' ? '°' : ` ${t.unit}`}`;

export function TrendChart({ trend }: { trend: Trend }) {
  // values in the unit a clinician reads (sEMG in µV, mV·s)
  const du = displayUnit(trend.unit);
  const pts = trend.points.map((p) => ({ ...p, value: p.value * du.factor }));
  const first = pts[0]!.value;
  const th = trend.threshold && {
    ...trend.threshold,
    value: trend.threshold.value * displayUnit(trend.threshold.unit).factor,
    unit: displayUnit(trend.threshold.unit).unit,
  };
  const x = scaleX(pts.map((p) => p.visitDate));
  const { y, lo, hi } = scaleY([...pts.map((p) => p.value), ...(th ? [first - th.value, first + th.value] : [])]);
  const exceedsAt = new Set(trend.changes.filter((c) => c.exceeds).map((c) => c.to));
  return (
    <figure
      className="trend"
      data-testid="trend"
      data-feature={trend.feature}
      data-level={trend.level}
      data-flagged={trend.flagged ? 'yes' : 'no'}
      aria-label={`trend of ${trend.label}`}
    >
      <figcaption>
        <strong>{trend.label}</strong>
        {trend.level && !trend.label.includes(trend.level) && !trend.label.includes(trend.level.replace('-', '–')) ? ` ${trend.level}` : ''}{' '}
        <span className="muted">({trend.modality})</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={`${trend.label} over visits`}>
        <text x={L - 4} y={T + 8} fontSize={9} fill="#98a2b3" textAnchor="end">
          {short(hi)}
        </text>
        <text x={L - 4} y={H - B} fontSize={9} fill="#98a2b3" textAnchor="end">
          {short(lo)}
        </text>
        <text x={4} y={(H - B) / 2 + T} fontSize={9} fill="#98a2b3">
          {du.unit}
        </text>
        {th && (
          <rect
            data-testid="trend-band"
            x={L}
            y={y(first + th.value)}
            width={W - L - R}
            height={y(first - th.value) - y(first + th.value)}
            fill="#4c9be8"
            fillOpacity={0.15}
          >
            <title>{`± ${thresholdText(th)} around the first value (${th.source})`}</title>
          </rect>
        )}
        <line x1={L} x2={W - R} y1={H - B} y2={H - B} stroke="#2c323b" />
        <polyline points={pts.map((p) => `${x(p.visitDate)},${y(p.value)}`).join(' ')} fill="none" stroke="#cfd6df" strokeWidth={1.5} />
        {pts.map((p) => {
          const bad = exceedsAt.has(p.visitDate);
          return (
            <circle key={p.visitId} cx={x(p.visitDate)} cy={y(p.value)} r={bad ? 5 : 3.5} fill={bad ? '#e0524b' : '#cfd6df'} data-exceeds={bad ? 'yes' : 'no'}>
              <title>{`${p.visitDate}: ${formatValue(p.value / du.factor, trend.unit)}`}</title>
            </circle>
          );
        })}
        {pts.map((p, i) => (
          <text
            key={p.visitId}
            x={x(p.visitDate)}
            y={H - 6}
            fontSize={9}
            fill="#98a2b3"
            textAnchor={i === 0 ? 'start' : i === pts.length - 1 ? 'end' : 'middle'}
          >
            {p.visitDate}
          </text>
        ))}
      </svg>
      <ul className="trend-changes">
        {trend.changes.slice(0, CHANGES_SHOWN).map((c, i) => (
          <li key={i} className={c.exceeds ? 'exceeds' : ''} data-exceeds={c.exceeds === null ? 'unknown' : c.exceeds ? 'yes' : 'no'}>
            {c.from} → {c.to}: {c.delta >= 0 ? '+' : '−'}
            {formatValue(Math.abs(c.delta), trend.unit)}
            {th && c.exceeds === true && <strong> reaches or exceeds {thresholdText(th)}</strong>}
            {th && c.exceeds === false && <span className="muted"> within {thresholdText(th)}</span>}
          </li>
        ))}
        {trend.changes.length > CHANGES_SHOWN && <li className="muted">… {trend.changes.length - CHANGES_SHOWN} more changes</li>}
      </ul>
      <p className="muted" data-testid="trend-threshold">
        {th
          ? `Band: ± ${thresholdText(th)} around the first value; source: ${th.source.replace(/\.\s*$/, '')}.`
          : 'No published threshold: changes not flagged.'}
      </p>
    </figure>
  );
}

/** The risk of the active model at each visit's features, with its 95 % interval. */
export function RiskOverTime({ points, model }: { points: Overview['riskOverTime']; model: RiskResult['model'] | null }) {
  if (points.length === 0) return null;
  const x = scaleX(points.map((p) => p.visitDate));
  const { y } = scaleY([0, 1]);
  return (
    <figure className="trend" data-testid="risk-over-time" aria-label="risk over visits">
      <figcaption>
        <strong>Risk over visits</strong>
        {model ? (
          <span className="muted">
            {' '}
            · {model.title} (v{model.version}; {model.citation})
          </span>
        ) : null}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label="risk over visits">
        {[0, 0.5, 1].map((v) => (
          <g key={v}>
            <line x1={L} x2={W - R} y1={y(v)} y2={y(v)} stroke="#2c323b" />
            <text x={L - 4} y={y(v) + 3} fontSize={9} fill="#98a2b3" textAnchor="end">
              {v * 100} %
            </text>
          </g>
        ))}
        <polyline points={points.map((p) => `${x(p.visitDate)},${y(p.probability)}`).join(' ')} fill="none" stroke="#e8a34c" strokeWidth={1.5} />
        {points.map((p, i) => (
          <g key={p.visitDate}>
            <line x1={x(p.visitDate)} x2={x(p.visitDate)} y1={y(p.interval[0])} y2={y(p.interval[1])} stroke="#e8a34c" strokeWidth={1} />
            <circle cx={x(p.visitDate)} cy={y(p.probability)} r={3.5} fill="#e8a34c">
              <title>{`${p.visitDate}: ${pct(p.probability)} (95 % interval ${pct(p.interval[0])} – ${pct(p.interval[1])})`}</title>
            </circle>
            <text x={x(p.visitDate)} y={H - 6} fontSize={9} fill="#98a2b3" textAnchor={i === 0 ? 'start' : i === points.length - 1 ? 'end' : 'middle'}>
              {p.visitDate}
            </text>
          </g>
        ))}
      </svg>
      <p className="muted">{points.map((p) => `${p.visitDate}: ${pct(p.probability)} (${pct(p.interval[0])} – ${pct(p.interval[1])})`).join(' · ')}</p>
    </figure>
  );
}
