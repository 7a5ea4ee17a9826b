/**
 * Grouped bar charts with error bars: one group per category (a bit position), one bar per
 * series (a variant) in legend order, the interval drawn as a whisker on each bar.
 */
import { nth } from '../../core/checked.js';
import {
  axes,
  chartRoot,
  type LegendEntry,
  legend,
  legendHeight,
  legendWidth,
  type Rect,
  WIDTH,
} from './frame.js';
import type { SeriesStyle } from './palette.js';
import { linearScale } from './scale.js';
import { el, esc, num } from './svg.js';

/** One bar's value and interval; null when the series has no data for the category. */
export interface BarValue {
  value: number;
  lo: number;
  hi: number;
  tip: string;
}

/** A grouped bar chart. */
export interface BarChartSpec {
  id: string;
  title: string;
  desc: string;
  categories: string[];
  xLabel: string;
  yLabel: string;
  yFormat: (v: number) => string;
  series: { label: string; style: SeriesStyle; values: (BarValue | null)[] }[];
  height?: number;
}

/** Renders a grouped bar chart as a standalone SVG string; the y axis starts at zero. */
export function barChart(spec: BarChartSpec): string {
  const entries: LegendEntry[] = spec.series.map((s) => ({ label: s.label, style: s.style, kind: 'box' }));
  const lw = legendWidth(entries);
  const height = Math.max(spec.height ?? 420, legendHeight(entries) + 60);
  const plot: Rect = { x: 78, y: 40, w: WIDTH - 78 - lw - 28, h: height - 40 - 56 };
  const top = Math.max(
    0,
    ...spec.series.flatMap((s) => s.values.map((v) => (v ? Math.max(v.hi, v.value) : 0))),
  );
  const y = linearScale([0, top > 0 ? top : 1], [plot.y + plot.h, plot.y], { format: spec.yFormat });
  // A method's second and later variants share its colour, so they get a hatched fill (the
  // legend shows the same) to stay distinguishable without relying on colour.
  const fills = spec.series.map((s, i) =>
    s.style.dash ? { pattern: `${spec.id}-hatch-${i}`, colour: s.style.colour } : null,
  );
  const defs = fills
    .filter((f) => f !== null)
    .map((f) =>
      el(
        'pattern',
        {
          id: f.pattern,
          width: 5,
          height: 5,
          patternUnits: 'userSpaceOnUse',
          patternTransform: 'rotate(45)',
        },
        el('rect', { width: 5, height: 5, fill: '#ffffff' }),
        el('rect', { width: 2.6, height: 5, fill: f.colour }),
      ),
    );
  const fillOf = (i: number): string =>
    fills[i] ? `url(#${fills[i].pattern})` : nth(spec.series, i).style.colour;
  const parts: string[] = [defs.length ? el('defs', {}, ...defs) : '', axes(plot, null, y, '', spec.yLabel)];
  const groupW = plot.w / Math.max(1, spec.categories.length);
  const barW = (groupW * 0.8) / Math.max(1, spec.series.length);
  const base = y.map(0);
  spec.categories.forEach((cat, ci) => {
    const gx = plot.x + ci * groupW + groupW * 0.1;
    spec.series.forEach((s, si) => {
      const v = s.values[ci];
      if (!v) return;
      const bx = gx + si * barW;
      const by = y.map(v.value);
      const cx = bx + barW / 2;
      const y0 = y.map(v.lo);
      const y1 = y.map(v.hi);
      const whisker = Math.min(4, barW / 2);
      parts.push(
        el(
          'g',
          {},
          el('title', {}, esc(v.tip)),
          el('rect', {
            x: bx,
            y: Math.min(by, base - 0.5),
            width: Math.max(1, barW - 1),
            height: Math.max(0.5, base - by),
            fill: fillOf(si),
            stroke: s.style.colour,
            'stroke-width': 0.8,
          }),
          el('path', {
            d: `M${num(cx)} ${num(y0)}L${num(cx)} ${num(y1)}M${num(cx - whisker)} ${num(y1)}L${num(cx + whisker)} ${num(y1)}`,
            stroke: '#333333',
            'stroke-width': 1,
            fill: 'none',
          }),
        ),
      );
    });
    parts.push(
      el(
        'text',
        { x: plot.x + ci * groupW + groupW / 2, y: plot.y + plot.h + 18, 'text-anchor': 'middle' },
        esc(cat),
      ),
    );
  });
  parts.push(
    el(
      'text',
      { x: plot.x + plot.w / 2, y: plot.y + plot.h + 38, 'text-anchor': 'middle', 'font-size': 13 },
      esc(spec.xLabel),
    ),
  );
  parts.push(
    legend(
      entries.map((e, i) => ({ ...e, fill: fillOf(i) })),
      plot.x + plot.w + 20,
      plot.y,
      lw,
    ),
  );
  return chartRoot(spec.id, spec.title, spec.desc, WIDTH, height, parts.join(''));
}
