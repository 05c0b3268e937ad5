/**
 * Where a measurement's label goes in a slice view (review of the 2D viewer,
 * defect 3): beside its shape where it asked to be, but always wholly inside
 * the view — flipped to the other side of the shape (left, then below, then
 * above) when it would cross the view's edge, else pushed back inside — and
 * never over a label placed before it (nudged down, or up, past it). Pure
 * (sizes are given), so it is tested without a browser; the screenshot draws
 * the same SVG, so it carries the same layout.
 */

/** An axis-aligned box in CSS px of the view: top-left corner, width and height. */
export interface LabelBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A label to place: the box it asks for (its size and preferred top-left) and the bounding box of its shape. */
export interface LabelRequest {
  preferred: LabelBox;
  shape: LabelBox;
}

const overlaps = (a: LabelBox, b: LabelBox): boolean => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * Places labels in order (earlier ones keep their place).
 * @param viewW view width (CSS px)
 * @param viewH view height (CSS px)
 * @param margin kept free along the view's edges (px)
 * @param gap between a shape and a label flipped beside it (px)
 * @returns one box per request, inside [margin, view − margin] where it fits (a label larger than the view starts at the margin)
 */
export function layoutLabels(requests: readonly LabelRequest[], viewW: number, viewH: number, margin = 2, gap = 4): LabelBox[] {
  const placed: LabelBox[] = [];
  const clamp = (b: LabelBox): LabelBox => ({
    ...b,
    x: Math.max(margin, Math.min(viewW - margin - b.w, b.x)),
    y: Math.max(margin, Math.min(viewH - margin - b.h, b.y)),
  });
  const inside = (b: LabelBox): boolean => b.x >= margin && b.y >= margin && b.x + b.w <= viewW - margin && b.y + b.h <= viewH - margin;
  const free = (b: LabelBox): boolean => placed.every((p) => !overlaps(p, b));
  for (const { preferred: p, shape: s } of requests) {
    const candidates: LabelBox[] = [
      p,
      { ...p, x: s.x - gap - p.w }, // the other side of the shape
      { ...p, y: s.y + s.h + gap }, // below it
      { ...p, y: s.y - gap - p.h }, // above it
    ];
    // a side where it fits whole; else one pushed back inside that leaves the shape visible; else any free one
    const clamped = candidates.map(clamp);
    let box = candidates.find((c) => inside(c) && free(c)) ?? clamped.find((c) => free(c) && !overlaps(c, s)) ?? clamped.find(free);
    if (!box) {
      // every side is taken: from the preferred place (inside the view), step down past the labels in the way, else up
      const start = clamp(candidates.find(inside) ?? p);
      const step = (dir: 1 | -1): LabelBox | null => {
        let b = start;
        for (let i = 0; i <= placed.length; i++) {
          const hit = placed.find((q) => overlaps(q, b));
          if (!hit) return inside(b) || b.h > viewH - 2 * margin ? b : null;
          b = { ...b, y: dir > 0 ? hit.y + hit.h + 1 : hit.y - b.h - 1 };
        }
        return null;
      };
      box = step(1) ?? step(-1) ?? start;
    }
    placed.push(box);
  }
  return placed;
}
