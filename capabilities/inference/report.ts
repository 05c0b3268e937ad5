/**
 * The visit report as a PDF (issue 23 §7), written with PDFKit: the patient and
 * visit, each risk card (model, version, source, validation status, probability
 * with its interval, contributions in log-odds), the trends with their
 * thresholds and flags, the advice with citations, and the forms' scores.
 * PDFKit's standard fonts (Helvetica) encode WinAnsi only: other characters are
 * written as ASCII (≥ as >=, ρ as rho).
 */
import PDFDocument from 'pdfkit';
import type { Overview, RiskResult } from './contract.js';

const ASCII: Record<string, string> = { '≥': '>=', '≤': '<=', ρ: 'rho', '→': '->', '−': '-', '–': '-', '—': '-', '×': 'x', '±': '+/-', '…': '...', '²': '2' };

/** Text PDFKit's standard fonts can encode (WinAnsi; the rest spelled in ASCII). */
export function pdfText(s: string): string {
  let out = '';
  for (const c of s) out += c.codePointAt(0)! <= 0xff ? c : (ASCII[c] ?? '?');
  return out;
}

const pct = (p: number): string => `${(100 * p).toFixed(1)} %`;

/**
 * Writes the report.
 * @param o the overview of the patient (contract `Overview`)
 * @param patient name, ID and the software's version for the header
 * @returns the PDF bytes and its page count
 */
export async function visitReportPdf(
  o: Overview,
  patient: { name: string; mrn: string; birthDate: string; software: string; generatedAt: string; author: string },
): Promise<{ pdf: Buffer; pages: number }> {
  const doc = new PDFDocument({ size: 'A4', margin: 48, info: { Title: 'OrthoTwin visit report', Producer: patient.software }, bufferPages: true });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', () => resolve());
    doc.on('error', reject);
  });
  const t = (s: string, opts?: PDFKit.Mixins.TextOptions): void => {
    doc.text(pdfText(s), opts);
  };
  const h = (s: string): void => {
    doc.moveDown(0.6).font('Helvetica-Bold').fontSize(13);
    t(s);
    doc.font('Helvetica').fontSize(9.5);
  };
  const last = o.graph.visits[o.graph.visits.length - 1];
  doc.font('Helvetica-Bold').fontSize(16);
  t('OrthoTwin visit report');
  doc.font('Helvetica').fontSize(10);
  t(`Patient: ${patient.name}   ID: ${patient.mrn || '(none recorded)'}   Born: ${patient.birthDate || '(not recorded)'}`);
  t(`Visit: ${last ? `${last.visitDate}${last.label ? ` (${last.label})` : ''}` : 'none'}   Visits on record: ${o.graph.visits.length}`);
  t(
    `Feature graph v${o.graph.version}: ${o.graph.nodes.length} features, ${o.graph.edges.length} relations. Generated ${patient.generatedAt} by ${patient.author} with ${patient.software}.`,
  );
  doc.fontSize(9.5);

  h('Risk');
  for (const r of o.risks) riskCard(doc, r, t);

  if (o.riskOverTime.length > 0) {
    h('Risk over visits');
    for (const p of o.riskOverTime) t(`${p.visitDate}: ${pct(p.probability)} (95 % interval ${pct(p.interval[0])} - ${pct(p.interval[1])})`);
  }

  h('Trends');
  const shown = o.trends.filter((x) => x.points.length > 1);
  if (shown.length === 0) t('No feature measured at more than one visit.');
  for (const tr of shown) {
    const thr = tr.threshold
      ? `${tr.threshold.kind} ${tr.threshold.value} ${tr.threshold.unit} (${tr.threshold.source})`
      : 'no published threshold: changes not flagged';
    doc.font(tr.flagged ? 'Helvetica-Bold' : 'Helvetica');
    t(
      `${tr.flagged ? 'CHANGE ' : ''}${tr.label}${tr.level ? ` ${tr.level}` : ''}: ${tr.points.map((p) => `${p.visitDate} ${p.value.toFixed(1)}`).join(' -> ')} ${tr.unit}; ${tr.changes
        .map((c) => `${c.delta >= 0 ? '+' : ''}${c.delta.toFixed(1)}${c.exceeds ? ' (reaches the threshold)' : ''}`)
        .join(', ')}; ${thr}`,
    );
    doc.font('Helvetica');
  }

  h('Advice');
  if (o.advice.length === 0) t('None.');
  for (const a of o.advice) {
    doc.font('Helvetica-Bold');
    t(`${a.kind === 'next-exam' ? 'What would help most next: ' : ''}${a.text}`);
    doc.font('Helvetica');
    t(`${a.rationale} Source: ${a.citation}`, { indent: 12 });
  }

  if (o.proms.length > 0) {
    h('Questionnaires');
    for (const p of o.proms)
      t(
        `${p.visitDate} ${p.instrument.toUpperCase()}: ${p.score.total.toFixed(1)} ${p.score.unit}${p.score.band ? ` (${p.score.band})` : ''}; scored after ${p.score.source}`,
      );
  }
  doc.moveDown(1).fontSize(8).fillColor('#555555');
  t(
    "Every number above names its source. Risk models are shown with their validation status: none has been validated on this site's population unless an approved site fit says so. Not a diagnosis; for discussion by the treating team.",
  );
  const pages = doc.bufferedPageRange().count;
  doc.end();
  await done;
  return { pdf: Buffer.concat(chunks), pages };
}

function riskCard(doc: PDFKit.PDFDocument, r: RiskResult, t: (s: string, o?: PDFKit.Mixins.TextOptions) => void): void {
  doc.moveDown(0.4).font('Helvetica-Bold').fontSize(11);
  t(`${r.model.title} (${r.model.id} v${r.model.version}, ${r.model.status}${r.model.approved ? ', approved at this site' : ''})`);
  doc.font('Helvetica').fontSize(9.5);
  t(`Outcome: ${r.model.outcome}; horizon: ${r.model.horizonMonths !== null ? `${r.model.horizonMonths} months` : r.model.horizonNote}.`);
  doc.font('Helvetica-Bold');
  if (r.withheld) t(`${r.withheld} (The computation below is kept for the record only.)`);
  else
    t(
      `${r.model.status === 'expert-prior' ? 'Illustrative (expert prior): ' : ''}Probability ${pct(r.probability)} (${
        r.interval[1] - r.interval[0] < 1e-9
          ? 'no interval: no standard errors published, no input missing'
          : `95 % interval ${pct(r.interval[0])} - ${pct(r.interval[1])}`
      }); logit ${r.logit.toFixed(3)}.`,
    );
  doc.font('Helvetica');
  t(`Interval: ${r.intervalMethod}`);
  for (const hz of r.horizons) t(`At ${hz.months} months: ${pct(hz.probability)} (${hz.assumption}).`);
  t(`Source: ${r.model.citation}. Population: ${r.model.population}.`);
  t(`Validation: ${r.statement}`);
  t('Contributions (log-odds; they sum to the logit):');
  for (const c of r.contributions)
    t(
      `  ${c.label}${c.value !== null ? ` = ${c.value.toFixed(2)} ${c.unit}` : ''}${c.visitDate ? ` (measured ${c.visitDate})` : ''}${c.imputed ? ' (missing: reference value used)' : ''}: ${c.logOdds >= 0 ? '+' : ''}${c.logOdds.toFixed(3)}  [${c.sourceKind}]`,
    );
  if (r.outOfRange.length > 0)
    t(
      `Outside the model's development range: ${r.outOfRange.map((x) => `${x.label} ${x.value.toFixed(1)} (${x.validRange[0]}-${x.validRange[1]})`).join(', ')}.`,
    );
}
