/**
 * The layout of a screenshot's stamp (patient, series, date, software
 * version): wrapped onto as many lines as the image's width needs and, for
 * narrow views, in a smaller font — never cut. Pure (the text measure is
 * given), so it is tested without a browser.
 */

/** Width (CSS px) of `text` in the stamp's font at `px` pixels. */
export type MeasureText = (text: string, px: number) => number;

/**
 * Breaks `text` into lines no wider than `maxWidth`: at " · " separators first, then at spaces, and a word wider than
 * a line is split between characters (nothing is dropped: the lines joined give the text back, separators aside).
 * @returns the lines (at least one)
 */
export function wrapText(text: string, maxWidth: number, width: (s: string) => number): string[] {
  const lines: string[] = [];
  let line = '';
  const push = (piece: string, sep: string): void => {
    const candidate = line ? line + sep + piece : piece;
    if (width(candidate) <= maxWidth) {
      line = candidate;
      return;
    }
    if (line) lines.push(line);
    line = '';
    if (width(piece) <= maxWidth) {
      line = piece;
      return;
    }
    // wider than a line: words, then characters
    if (sep !== ' ' && piece.includes(' ')) {
      for (const w of piece.split(' ')) push(w, ' ');
      return;
    }
    for (const ch of piece) {
      if (line && width(line + ch) > maxWidth) {
        lines.push(line);
        line = '';
      }
      line += ch;
    }
  };
  for (const part of text.split(' · ')) push(part, ' · ');
  if (line || !lines.length) lines.push(line);
  return lines;
}

/**
 * The stamp's font size and lines for an image `maxWidth` CSS px wide (less its margins): the largest size from
 * `basePx` down to `minPx` (1 px steps) at which it fits on `maxLines` lines, else `minPx` on as many lines as it needs.
 * @returns font size (CSS px) and lines
 */
export function fitStamp(text: string, maxWidth: number, measure: MeasureText, basePx = 12, minPx = 8, maxLines = 3): { fontPx: number; lines: string[] } {
  for (let px = basePx; px > minPx; px--) {
    const lines = wrapText(text, maxWidth, (s) => measure(s, px));
    if (lines.length <= maxLines && lines.every((l) => measure(l, px) <= maxWidth)) return { fontPx: px, lines };
  }
  return { fontPx: minPx, lines: wrapText(text, maxWidth, (s) => measure(s, minPx)) };
}

/** The part of a canvas' 2D context drawStamp uses (declared here: the stamp's layout is also built without a DOM). */
export interface StampContext {
  fillStyle: unknown;
  font: string;
  textBaseline: unknown;
  fillRect(x: number, y: number, w: number, h: number): void;
  fillText(text: string, x: number, y: number): void;
}

/**
 * Draws a stamp laid out by fitStamp along the bottom edge of a capture (a dark band, white text), as the slice and
 * 3D views' screenshots carry it.
 * @param scale the capture's pixels per CSS px
 */
export function drawStamp(ctx: StampContext, width: number, height: number, scale: number, layout: { fontPx: number; lines: string[] }, font: string): void {
  const lineH = (layout.fontPx + 4) * scale;
  const band = layout.lines.length * lineH + 2 * scale;
  ctx.fillStyle = 'rgba(0,0,0,0.75)';
  ctx.fillRect(0, height - band, width, band);
  ctx.fillStyle = '#ffffff';
  ctx.font = `${layout.fontPx * scale}px ${font}`;
  ctx.textBaseline = 'top';
  layout.lines.forEach((l, i) => ctx.fillText(l, 4 * scale, height - band + 2 * scale + i * lineH));
}
