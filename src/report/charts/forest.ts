/**
 * Forest plots (dot and whisker): one row per variant with its estimate and interval on a shared
 * axis, and a vertical reference line (ratio 1 = same as the baseline). Whisker ends that are
 * bounds rather than estimates (the sweep never reached the threshold) end in arrows.
 */
import { axes, chartRoot, marker, type Rect, WIDTH } from './frame.js';
import type { SeriesStyle } from './palette.js';
import { linearScale, logScale } from './scale.js';
import { el, esc, num, textWidth } from './svg.js';

/** One row of a forest plot. */
export interface ForestRow {
  label: string;
  style: SeriesStyle;
  value: number;
  lo: number;
  hi: number;
  /** Which ends are bounds: the true value/limit lies further out. */
  open?: { lo?: boolean; hi?: boolean };
  tip: string;
  /** Short text at the right end of the row (e.g. the formatted estimate). */
  note: string;
}

/** A forest plot. */
export interface ForestSpec {
  id: string;
  title: string;
  desc: string;
  xLabel: string;
  scale: 'linear' | 'log';
  rows: ForestRow[];
  ref?: { value: number; label: string };
}

/** Renders a forest plot as a standalone SVG string. */
export function forestPlot(spec: ForestSpec): string {
  const left = Math.min(300, Math.max(80, ...spec.rows.map((r) => textWidth(r.label, 12))) + 24);
  const noteW = Math.min(220, Math.max(60, ...spec.rows.map((r) => textWidth(r.note, 11))) + 16);
  const rowH = 26;
  const plot: Rect = {
    x: left,
    y: 50,
    w: WIDTH - left - noteW - 16,
    h: Math.max(1, spec.rows.length) * rowH + 8,
  };
  const height = plot.y + plot.h + 56;
  const vals = spec.rows
    .flatMap((r) => [r.value, r.lo, r.hi])
    .filter((v) => Number.isFinite(v) && (spec.scale === 'linear' || v > 0));
  if (spec.ref) vals.push(spec.ref.value);
  const dom: [number, number] = vals.length ? [Math.min(...vals), Math.max(...vals)] : [1, 10];
  // Ratios often span less than a decade: pad the data range instead of widening it to whole
  // decades, so the intervals use the width of the plot.
  const span = Math.log10(dom[1] / dom[0]);
  const pad = 10 ** Math.max(0.05, span * 0.08);
  const x =
    spec.scale === 'log'
      ? logScale(span < 2 ? [dom[0] / pad, dom[1] * pad] : dom, [plot.x, plot.x + plot.w], {
          nice: span >= 2,
        })
      : linearScale(dom, [plot.x, plot.x + plot.w]);
  const parts: string[] = [axes(plot, x, null, spec.xLabel, '')];
  if (spec.ref) {
    const rx = x.map(spec.ref.value);
    parts.push(
      el('line', {
        x1: rx,
        x2: rx,
        y1: plot.y,
        y2: plot.y + plot.h,
        stroke: '#555555',
        'stroke-dasharray': '4 3',
      }),
    );
    parts.push(
      el(
        'text',
        { x: rx, y: plot.y - 5, 'text-anchor': 'middle', 'font-size': 11, fill: '#555555' },
        esc(spec.ref.label),
      ),
    );
  }
  spec.rows.forEach((r, i) => {
    const cy = plot.y + 4 + i * rowH + rowH / 2;
    const c = r.style.colour;
    const g: string[] = [el('title', {}, esc(r.tip))];
    g.push(el('text', { x: left - 10, y: cy + 4, 'text-anchor': 'end' }, esc(r.label)));
    if ([r.value, r.lo, r.hi].every((v) => Number.isFinite(v) && (spec.scale === 'linear' || v > 0))) {
      const x0 = x.map(r.lo);
      const x1 = x.map(r.hi);
      g.push(el('line', { x1: x0, x2: x1, y1: cy, y2: cy, stroke: c, 'stroke-width': 2 }));
      for (const [end, open, dir] of [
        [x0, r.open?.lo, -1],
        [x1, r.open?.hi, 1],
      ] as const) {
        g.push(
          open
            ? el('path', {
                d: `M${num(end - dir * 6)} ${num(cy - 5)}L${num(end)} ${num(cy)}L${num(end - dir * 6)} ${num(cy + 5)}`,
                stroke: c,
                'stroke-width': 2,
                fill: 'none',
              })
            : el('line', { x1: end, x2: end, y1: cy - 5, y2: cy + 5, stroke: c, 'stroke-width': 2 }),
        );
      }
      g.push(marker(r.style.marker, x.map(r.value), cy, 5, c));
    }
    g.push(el('text', { x: plot.x + plot.w + 10, y: cy + 4, 'font-size': 11 }, esc(r.note)));
    parts.push(el('g', {}, ...g));
  });
  return chartRoot(spec.id, spec.title, spec.desc, WIDTH, height, parts.join(''));
}
