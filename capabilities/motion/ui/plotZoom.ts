/**
 * Zoom and pan of the Motion workspace's uPlot plots along time (x): the
 * wheel zooms about the pointer (×0.8 in, ×1.25 out, within the data's
 * range), a middle-button drag pans; uPlot's own left-drag selects a range
 * to zoom into and a double-click shows the whole record again.
 */
import type uPlot from 'uplot';

/** The x range of the plot's data. */
function dataRange(u: uPlot): [number, number] | null {
  const xs = u.data[0];
  if (!xs || xs.length < 2) return null;
  return [xs[0]!, xs[xs.length - 1]!];
}

/** Clamps [lo, hi] into [min, max] keeping its width where it fits. */
export function clampRange(lo: number, hi: number, min: number, max: number): [number, number] {
  const w = Math.min(hi - lo, max - min);
  if (lo < min) return [min, min + w];
  if (hi > max) return [max - w, max];
  return [lo, hi];
}

/** Wheel zoom and middle-drag pan along x (see the module comment). */
export function wheelZoomPlugin(): uPlot.Plugin {
  return {
    hooks: {
      // the shown range on the plot's root (data-xrange="lo,hi", s), for tests and service engineers
      setScale: (u, key) => {
        const { min, max } = u.scales['x']!;
        if (key === 'x' && min != null && max != null) u.root.dataset['xrange'] = `${min.toFixed(3)},${max.toFixed(3)}`;
      },
      ready: (u) => {
        const over = u.over;
        over.addEventListener(
          'wheel',
          (e) => {
            const r = dataRange(u);
            const { min, max } = u.scales['x']!;
            if (!r || min == null || max == null) return;
            e.preventDefault();
            const at = u.posToVal(e.offsetX, 'x');
            const k = e.deltaY < 0 ? 0.8 : 1.25;
            const [lo, hi] = clampRange(at - (at - min) * k, at + (max - at) * k, r[0], r[1]);
            u.setScale('x', { min: lo, max: hi });
          },
          { passive: false },
        );
        over.addEventListener('mousedown', (e) => {
          if (e.button !== 1) return;
          e.preventDefault();
          const r = dataRange(u);
          const { min, max } = u.scales['x']!;
          if (!r || min == null || max == null) return;
          const x0 = e.clientX;
          const perPx = (max - min) / Math.max(1, u.bbox.width / devicePixelRatio);
          const move = (m: MouseEvent): void => {
            const d = (x0 - m.clientX) * perPx;
            const [lo, hi] = clampRange(min + d, max + d, r[0], r[1]);
            u.setScale('x', { min: lo, max: hi });
          };
          const up = (): void => {
            document.removeEventListener('mousemove', move);
            document.removeEventListener('mouseup', up);
          };
          document.addEventListener('mousemove', move);
          document.addEventListener('mouseup', up);
        });
      },
    },
  };
}
