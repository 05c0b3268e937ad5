/**
 * A minimal Markdown reader for the models' cards (Help → Enhancement
 * models): headings, paragraphs, bullet and numbered lists, pipe tables,
 * fenced code, and inline code spans, bold and italics. It parses to a small
 * tree and renders React elements whose text is always a text child, so a card
 * can never inject HTML (a `<script>` in a card is shown as the text it is).
 * Pure: no DOM, React's `createElement` only (tested in node).
 */
import { createElement, Fragment, type ReactNode } from 'react';

/** An inline run of a line: plain text, a code span, bold or italic (these two nest). */
export type Inline = { t: 'text'; text: string } | { t: 'code'; text: string } | { t: 'strong'; children: Inline[] } | { t: 'em'; children: Inline[] };

/** A block of a card. */
export type Block =
  | { t: 'heading'; level: number; text: string }
  | { t: 'paragraph'; text: string }
  | { t: 'list'; ordered: boolean; items: string[] }
  | { t: 'table'; header: string[]; rows: string[][] }
  | { t: 'code'; text: string };

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const ITEM = /^\s{0,3}([-*+]|\d+[.)])\s+(.*)$/;
const FENCE = /^\s{0,3}(```|~~~)/;
const TABLE_RULE = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

/** A table row's cells: the outer pipes dropped, split on the pipes not escaped (`\|`) and not in a code span. */
export function tableCells(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells: string[] = [];
  let cur = '';
  let code = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && s[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (c === '`') {
      code = !code;
      cur += c;
    } else if (c === '|' && !code) {
      cells.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

/** The blocks of a Markdown text. */
export function parseMarkdown(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let para: string[] = [];
  const endPara = (): void => {
    if (para.length) blocks.push({ t: 'paragraph', text: para.join(' ') });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) {
      endPara();
      continue;
    }
    if (FENCE.test(line)) {
      endPara();
      const fence = FENCE.exec(line)![1]!;
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i]!.trim().startsWith(fence); i++) body.push(lines[i]!);
      blocks.push({ t: 'code', text: body.join('\n') });
      continue;
    }
    const h = HEADING.exec(line);
    if (h) {
      endPara();
      blocks.push({ t: 'heading', level: h[1]!.length, text: h[2]! });
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1]!) && lines[i + 1]!.includes('-')) {
      endPara();
      const header = tableCells(line);
      const rows: string[][] = [];
      for (i += 2; i < lines.length && lines[i]!.trim() && lines[i]!.includes('|'); i++) {
        const cells = tableCells(lines[i]!);
        rows.push(header.map((_, k) => cells[k] ?? ''));
      }
      i--;
      blocks.push({ t: 'table', header, rows });
      continue;
    }
    const item = ITEM.exec(line);
    if (item) {
      endPara();
      const ordered = /\d/.test(item[1]!);
      const items = [item[2]!];
      for (i++; i < lines.length; i++) {
        const next = lines[i]!;
        if (!next.trim()) break;
        const m = ITEM.exec(next);
        if (m && /\d/.test(m[1]!) === ordered) items.push(m[2]!);
        else if (!m && /^\s+/.test(next)) items[items.length - 1] += ` ${next.trim()}`;
        else break;
      }
      i--;
      blocks.push({ t: 'list', ordered, items });
      continue;
    }
    para.push(line.trim());
  }
  endPara();
  return blocks;
}

/** The inline runs of a line: `code`, **bold**, *italic* (backslash escapes a marker). */
export function parseInline(s: string): Inline[] {
  const out: Inline[] = [];
  let text = '';
  const flush = (): void => {
    if (text) out.push({ t: 'text', text });
    text = '';
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length && /[\\`*_|#[\]()-]/.test(s[i + 1]!)) {
      text += s[++i];
      continue;
    }
    if (c === '`') {
      const end = s.indexOf('`', i + 1);
      if (end > i) {
        flush();
        out.push({ t: 'code', text: s.slice(i + 1, end) });
        i = end;
        continue;
      }
    }
    if (s.startsWith('**', i)) {
      const end = s.indexOf('**', i + 2);
      if (end > i + 2) {
        flush();
        out.push({ t: 'strong', children: parseInline(s.slice(i + 2, end)) });
        i = end + 1;
        continue;
      }
    }
    if (c === '*' && s[i + 1] && s[i + 1] !== ' ' && s[i + 1] !== '*') {
      const end = s.indexOf('*', i + 1);
      if (end > i + 1 && s[end - 1] !== ' ') {
        flush();
        out.push({ t: 'em', children: parseInline(s.slice(i + 1, end)) });
        i = end;
        continue;
      }
    }
    text += c;
  }
  flush();
  return out;
}

/** React elements of inline runs (text is always a text child: React escapes it). */
export function renderInline(runs: Inline[]): ReactNode[] {
  return runs.map((r, k) => {
    switch (r.t) {
      case 'text':
        return createElement(Fragment, { key: k }, r.text);
      case 'code':
        return createElement('code', { key: k }, r.text);
      case 'strong':
        return createElement('strong', { key: k }, ...renderInline(r.children));
      case 'em':
        return createElement('em', { key: k }, ...renderInline(r.children));
    }
  });
}

const inline = (s: string): ReactNode[] => renderInline(parseInline(s));

/**
 * React elements of a Markdown text; headings are shifted by `headingOffset` levels (a card's `#` under the
 * dialog's own heading becomes an h3 with the default 2), capped at h6.
 */
export function renderMarkdown(text: string, headingOffset = 2): ReactNode {
  const blocks = parseMarkdown(text).map((b, k) => {
    switch (b.t) {
      case 'heading':
        return createElement(`h${Math.min(6, b.level + headingOffset)}`, { key: k }, ...inline(b.text));
      case 'paragraph':
        return createElement('p', { key: k }, ...inline(b.text));
      case 'list':
        return createElement(
          b.ordered ? 'ol' : 'ul',
          { key: k },
          b.items.map((it, j) => createElement('li', { key: j }, ...inline(it))),
        );
      case 'table':
        return createElement(
          'table',
          { key: k, className: 'device-table' },
          createElement(
            'thead',
            null,
            createElement(
              'tr',
              null,
              b.header.map((h, j) => createElement('th', { key: j }, ...inline(h))),
            ),
          ),
          createElement(
            'tbody',
            null,
            b.rows.map((row, r) =>
              createElement(
                'tr',
                { key: r },
                row.map((cell, j) => createElement('td', { key: j }, ...inline(cell))),
              ),
            ),
          ),
        );
      case 'code':
        return createElement('pre', { key: k }, createElement('code', null, b.text));
    }
  });
  return createElement(Fragment, null, ...blocks);
}
