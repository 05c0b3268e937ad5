/**
 * The chord diagram of a risk's contributions (d3-chord's `chordDirected`,
 * drawn with d3-shape's `arc` and d3-chord's `ribbonArrow`): modalities →
 * terms → Risk, each ribbon as wide as the term's |log-odds| (chordData.ts),
 * so a modality's arc is proportional to the summed |log-odds| of its terms.
 * Each group's arc carries its angles and value (data-*) for the tests.
 */
import { useMemo } from 'react';
import { chordDirected, ribbonArrow, type Chord, type ChordSubgroup } from 'd3-chord';
import { arc } from 'd3-shape';
import type { RiskResult } from '../contract.js';
import { chordMatrix, shortLabel, type ChordGroup } from './chordData.js';

const SIZE = 540;
const OUTER = 150;
const INNER = 138;
const PAD = 0.02;

const MODALITY_COLOURS: Record<string, string> = {
  CT: '#4fc3f7',
  MR: '#9575cd',
  US: '#4db6ac',
  sEMG: '#ffb74d',
  IMU: '#81c784',
  depth: '#a1887f',
  PROM: '#f06292',
  clinical: '#fff176',
};

/** The colour of a group: its modality's, red (raises the risk) or blue (lowers it) for a term, grey for Risk and missing. */
export function groupColour(g: ChordGroup): string {
  if (g.kind === 'modality') return MODALITY_COLOURS[g.name] ?? '#90a4ae';
  if (g.kind === 'feature') return g.logOdds >= 0 ? '#e0524b' : '#4c9be8';
  return '#cfd6df';
}

export function ChordDiagram({ risk }: { risk: RiskResult }) {
  const data = useMemo(() => chordMatrix(risk.contributions), [risk]);
  const chords = useMemo(() => chordDirected().padAngle(PAD)(data.matrix), [data]);
  const arcPath = arc<{ startAngle: number; endAngle: number }>().innerRadius(INNER).outerRadius(OUTER);
  const ribbon = ribbonArrow<Chord, ChordSubgroup>()
    .radius(INNER - 1)
    .padAngle(0.004);
  if (data.groups.length <= 1)
    return (
      <p className="muted" data-testid="chord-empty">
        No term of {risk.model.title} has a value: nothing to draw.
      </p>
    );
  return (
    <figure className="chord" data-testid="chord-diagram" data-model={risk.model.key} data-pad-angle={PAD}>
      <svg viewBox={`${-SIZE / 2} ${-SIZE / 2} ${SIZE} ${SIZE}`} width={SIZE} height={SIZE} role="img" aria-label={`contributions to ${risk.model.title}`}>
        <g className="ribbons" fillOpacity={0.65}>
          {chords.map((c) => {
            const g = data.groups[c.source.index]!;
            const d = ribbon(c) as unknown as string | null;
            return (
              <path key={`${c.source.index}-${c.target.index}`} d={d ?? ''} fill={groupColour(g)} stroke="#0008" strokeWidth={0.5}>
                <title>{`${g.name} → ${data.groups[c.target.index]!.name}: |log-odds| ${c.source.value.toFixed(3)}`}</title>
              </path>
            );
          })}
        </g>
        <g className="groups">
          {chords.groups.map((gr) => {
            const g = data.groups[gr.index]!;
            const mid = (gr.startAngle + gr.endAngle) / 2;
            const flip = mid > Math.PI;
            const deg = (mid * 180) / Math.PI - 90;
            const label = g.kind === 'feature' ? shortLabel(g.name, 22) : g.name;
            return (
              <g key={gr.index}>
                <path
                  d={arcPath(gr) ?? ''}
                  fill={groupColour(g)}
                  stroke="#000"
                  strokeWidth={0.5}
                  data-group={g.name}
                  data-kind={g.kind}
                  data-start-angle={gr.startAngle}
                  data-end-angle={gr.endAngle}
                  data-value={gr.value}
                >
                  <title>
                    {g.kind === 'feature'
                      ? `${g.name}: log-odds ${g.logOdds >= 0 ? '+' : ''}${g.logOdds.toFixed(3)}`
                      : `${g.name}: summed |log-odds| ${g.total.toFixed(3)}`}
                  </title>
                </path>
                {gr.endAngle - gr.startAngle > 0.03 && (
                  <text
                    transform={`rotate(${deg}) translate(${OUTER + 6},0)${flip ? ' rotate(180)' : ''}`}
                    textAnchor={flip ? 'end' : 'start'}
                    dominantBaseline="middle"
                    fontSize={g.kind === 'feature' ? 10 : 12}
                    fontWeight={g.kind === 'feature' ? 'normal' : 'bold'}
                    fill="#e6e9ee"
                  >
                    {label}
                  </text>
                )}
              </g>
            );
          })}
        </g>
      </svg>
      <figcaption className="muted">
        {risk.model.title} ({risk.model.id} v{risk.model.version}): each modality&apos;s arc is proportional to the summed absolute log-odds contributions of
        its terms, each term&apos;s ribbon to its |log-odds| (red raises, blue lowers the risk); the intercept is not drawn. Coefficients:{' '}
        {risk.model.citation.replace(/\.\s*$/, '')}.
      </figcaption>
    </figure>
  );
}
