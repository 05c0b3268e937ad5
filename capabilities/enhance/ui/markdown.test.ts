/**
 * The model cards' Markdown reader: headings, paragraphs, lists, tables and
 * inline code/bold/italics, rendered to markup without ever injecting HTML;
 * and the shipped cards read as tables and headings.
 */
/// <reference types="vite/client" />
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown, renderMarkdown, tableCells } from './markdown.js';

/** The shipped cards (models/*.card.md), read by Vite as text. */
const CARDS = import.meta.glob<string>('../../../models/*.card.md', { query: '?raw', import: 'default', eager: true });

const html = (md: string, offset?: number): string => renderToStaticMarkup(renderMarkdown(md, offset));

describe('model card Markdown', () => {
  it('reads headings, paragraphs, lists, tables and code fences', () => {
    const md = [
      '# Model card: `denoise`, version 1.0.0',
      '',
      '**Status.** Research model.',
      'Not clinically validated.',
      '',
      '## Held-out evaluation',
      '| method | PSNR (dB) | SSIM |',
      '|---|---:|---|',
      '| speckled input | 27.81 | 0.6929 |',
      '| `a \\| b` | 33.63 |',
      '',
      '- Gain: **+1.43 dB**.',
      '  continued',
      '- Against *OBNLM*.',
      '1. one',
      '```',
      '<b>kept as text</b>',
      '```',
    ].join('\n');
    expect(parseMarkdown(md)).toEqual([
      { t: 'heading', level: 1, text: 'Model card: `denoise`, version 1.0.0' },
      { t: 'paragraph', text: '**Status.** Research model. Not clinically validated.' },
      { t: 'heading', level: 2, text: 'Held-out evaluation' },
      {
        t: 'table',
        header: ['method', 'PSNR (dB)', 'SSIM'],
        rows: [
          ['speckled input', '27.81', '0.6929'],
          ['`a | b`', '33.63', ''],
        ],
      },
      { t: 'list', ordered: false, items: ['Gain: **+1.43 dB**. continued', 'Against *OBNLM*.'] },
      { t: 'list', ordered: true, items: ['one'] },
      { t: 'code', text: '<b>kept as text</b>' },
    ]);
    const out = html(md);
    expect(out).toContain('<h3>Model card: <code>denoise</code>, version 1.0.0</h3>');
    expect(out).toContain('<h4>Held-out evaluation</h4>');
    expect(out).toContain('<p><strong>Status.</strong> Research model. Not clinically validated.</p>');
    expect(out).toContain('<thead><tr><th>method</th><th>PSNR (dB)</th><th>SSIM</th></tr></thead>');
    expect(out).toContain('<tr><td>speckled input</td><td>27.81</td><td>0.6929</td></tr>');
    expect(out).toContain('<td><code>a | b</code></td>');
    expect(out).toContain('<ul><li>Gain: <strong>+1.43 dB</strong>. continued</li><li>Against <em>OBNLM</em>.</li></ul><ol><li>one</li></ol>');
    expect(out).toContain('<pre><code>&lt;b&gt;kept as text&lt;/b&gt;</code></pre>');
    expect(html('###### deep', 2)).toBe('<h6>deep</h6>');
  });

  it('never injects HTML: tags, attributes and entities in a card are shown as text', () => {
    const md = [
      '# <img src=x onerror="alert(1)">',
      '<script>alert("card")</script> and &amp; and <a href="javascript:alert(1)">link</a>',
      '| <b>x</b> | y |',
      '|---|---|',
      '| <iframe src="file:///etc/passwd"></iframe> | `<i>code</i>` |',
      '- <style>body{display:none}</style>',
    ].join('\n');
    const out = html(md);
    for (const tag of ['<img', '<script', '<a ', '<b>', '<iframe', '<style', '<i>']) expect(out).not.toContain(tag);
    expect(out).toContain(
      '&lt;script&gt;alert(&quot;card&quot;)&lt;/script&gt; and &amp;amp; and &lt;a href=&quot;javascript:alert(1)&quot;&gt;link&lt;/a&gt;',
    );
    expect(out).toContain('<th>&lt;b&gt;x&lt;/b&gt;</th>');
    expect(out).toContain('<td><code>&lt;i&gt;code&lt;/i&gt;</code></td>');
  });

  it('splits table cells on pipes outside code spans and escapes; inline markers without a partner stay text', () => {
    expect(tableCells('| a | `b|c` | d\\|e |')).toEqual(['a', '`b|c`', 'd|e']);
    expect(parseInline('2 * 3 = 6, a*b and `x')).toEqual([{ t: 'text', text: '2 * 3 = 6, a*b and `x' }]);
    expect(parseInline('\\*not em\\*')).toEqual([{ t: 'text', text: '*not em*' }]);
  });

  it("the shipped cards read as headings, tables and the card's status line", () => {
    expect(Object.keys(CARDS).length).toBeGreaterThanOrEqual(2);
    for (const [file, text] of Object.entries(CARDS)) {
      const blocks = parseMarkdown(text);
      expect(blocks[0], file).toMatchObject({ t: 'heading', level: 1 });
      expect(blocks.filter((b) => b.t === 'table').length, file).toBeGreaterThan(0);
      for (const b of blocks) if (b.t === 'table') for (const r of b.rows) expect(r.length).toBe(b.header.length);
      // no Markdown table syntax left over in paragraphs
      for (const b of blocks) if (b.t === 'paragraph') expect(b.text, file).not.toMatch(/^\|/);
      expect(html(text)).toMatch(/[Nn]ot clinically validated/);
    }
  });
});
