/**
 * Line and scatter charts on linear or log axes: each series is a line (optional), markers, and
 * either a shaded interval band or error bars. Points censored by the measured range (a
 * threshold beyond the highest BER swept) are drawn hollow with an arrow pointing where the true
 * value lies.
 */
import {
  axes,
  chartRoot,
  type LegendEntry,
  legend,
  legendHeight,
  legendWidth,
  marker,
  type Rect,
  WIDTH,
} from './frame.js';
import type { SeriesStyle } from './palette.js';
import { linearScale, logScale, type Scale } from './scale.js';
import { el, esc, num, polyline } from './svg.js';

/** One data point with an optional interval [lo, hi]. */
export interface XYPoint {
  x: number;
  y: number;
  lo?: number;
  hi?: number;
  /** The true y is beyond the plotted value in this direction (the value is a bound). */
  censored?: 'above' | 'below';
  /** Tooltip text (defaults to the series label and values). */
  tip?: string;
}

/** One series. */
export interface XYSeries {
  label: string;
  style: SeriesStyle;
  points: XYPoint[];
}

/** Axis settings. */
export interface AxisSpec {
  label: string;
  scale: 'linear' | 'log';
  /** Fixed domain; otherwise fitted to the data (and intervals). */
  domain?: [number, number];
  format?: (v: number) => string;
}

/** A line/scatter chart. */
export interface XYChartSpec {
  id: string;
  title: string;
  desc: string;
  x: AxisSpec;
  y: AxisSpec;
  series: XYSeries[];
  /** 'band' shades [lo, hi] along the line; 'bars' draws error bars at each point. */
  intervals: 'band' | 'bars';
  /** Connect the points of a series (default true). */
  lines?: boolean;
  /** Horizontal reference lines (e.g. a threshold). */
  refLines?: { y: number; label: string }[];
  height?: number;
}

function fitDomain(values: number[], log: boolean): [number, number] {
  const v = values.filter((x) => Number.isFinite(x) && (!log || x > 0));
  if (v.length === 0) return log ? [1, 10] : [0, 1];
  return [Math.min(...v), Math.max(...v)];
}

function makeScale(spec: AxisSpec, values: number[], range: [number, number]): Scale {
  const domain = spec.domain ?? fitDomain(values, spec.scale === 'log');
  const opts = spec.format ? { format: spec.format } : {};
  return spec.scale === 'log' ? logScale(domain, range, opts) : linearScale(domain, range, opts);
}

/** Renders an XY chart as a standalone SVG string. */
export function xyChart(spec: XYChartSpec): string {
  const entries: LegendEntry[] = spec.series.map((s) => ({
    label: s.label,
    style: s.style,
    kind: spec.lines === false ? 'marker' : 'line',
  }));
  const height = Math.max(spec.height ?? 440, legendHeight(entries) + 60);
  const lw = legendWidth(entries);
  const plot: Rect = { x: 78, y: 40, w: WIDTH - 78 - lw - 28, h: height - 40 - 56 };
  const xs = spec.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = spec.series.flatMap((s) => s.points.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]));
  for (const r of spec.refLines ?? []) ys.push(r.y);
  const x = makeScale(spec.x, xs, [plot.x, plot.x + plot.w]);
  const y = makeScale(spec.y, ys, [plot.y + plot.h, plot.y]);
  const clip = `${spec.id}-clip`;
  const parts: string[] = [
    el(
      'defs',
      {},
      el('clipPath', { id: clip }, el('rect', { x: plot.x, y: plot.y, width: plot.w, height: plot.h })),
    ),
    axes(plot, x, y, spec.x.label, spec.y.label),
  ];
  const inDomain = (s: Scale, v: number): boolean => (s.kind === 'log' ? v > 0 : Number.isFinite(v));
  const bands: string[] = [];
  const lines: string[] = [];
  const marks: string[] = [];
  for (const s of spec.series) {
    const pts = s.points.filter((p) => inDomain(x, p.x) && inDomain(y, p.y)).sort((a, b) => a.x - b.x);
    const c = s.style.colour;
    if (spec.intervals === 'band') {
      const iv = pts.filter(
        (p) => p.lo !== undefined && p.hi !== undefined && inDomain(y, p.lo) && inDomain(y, p.hi),
      );
      if (iv.length >= 2) {
        const upper = iv.map((p) => [x.map(p.x), y.map(p.hi!)] as const);
        const lower = iv.map((p) => [x.map(p.x), y.map(p.lo!)] as const).reverse();
        bands.push(
          el('path', {
            d: `${polyline([...upper, ...lower])}Z`,
            fill: c,
            'fill-opacity': 0.13,
            stroke: 'none',
          }),
        );
      }
    }
    if (spec.lines !== false && pts.length >= 2) {
      lines.push(
        el('path', {
          d: polyline(pts.map((p) => [x.map(p.x), y.map(p.y)] as const)),
          fill: 'none',
          stroke: c,
          'stroke-width': 2,
          'stroke-dasharray': s.style.dash || undefined,
          'stroke-linejoin': 'round',
        }),
      );
    }
    for (const p of pts) {
      const px = x.map(p.x);
      const py = y.map(p.y);
      const g: string[] = [];
      if (
        spec.intervals === 'bars' &&
        p.lo !== undefined &&
        p.hi !== undefined &&
        inDomain(y, p.lo) &&
        inDomain(y, p.hi)
      ) {
        const y0 = y.map(p.lo);
        const y1 = y.map(p.hi);
        g.push(
          el('path', {
            d: `M${num(px)} ${num(y0)}L${num(px)} ${num(y1)}M${num(px - 4)} ${num(y0)}L${num(px + 4)} ${num(y0)}M${num(px - 4)} ${num(y1)}L${num(px + 4)} ${num(y1)}`,
            stroke: c,
            'stroke-width': 1.3,
            fill: 'none',
          }),
        );
      }
      if (p.censored) {
        const dir = p.censored === 'above' ? -1 : 1;
        g.push(
          el('path', {
            d: `M${num(px)} ${num(py + dir * 5)}L${num(px)} ${num(py + dir * 20)}M${num(px - 4)} ${num(py + dir * 15)}L${num(px)} ${num(py + dir * 20)}L${num(px + 4)} ${num(py + dir * 15)}`,
            stroke: c,
            'stroke-width': 1.5,
            fill: 'none',
          }),
        );
      }
      g.push(marker(s.style.marker, px, py, 4, c, p.censored !== undefined));
      const tip = p.tip ?? `${s.label}: ${spec.x.label} ${p.x}, ${spec.y.label} ${p.y}`;
      marks.push(el('g', {}, el('title', {}, esc(tip)), ...g));
    }
  }
  const refs = (spec.refLines ?? []).map((r) => {
    const py = y.map(r.y);
    return (
      el('line', {
        x1: plot.x,
        x2: plot.x + plot.w,
        y1: py,
        y2: py,
        stroke: '#555555',
        'stroke-dasharray': '3 3',
      }) +
      el(
        'text',
        { x: plot.x + plot.w - 4, y: py - 4, 'text-anchor': 'end', 'font-size': 11, fill: '#555555' },
        esc(r.label),
      )
    );
  });
  parts.push(el('g', { 'clip-path': `url(#${clip})` }, ...bands, ...refs, ...lines), ...marks);
  parts.push(legend(entries, plot.x + plot.w + 20, plot.y, lw));
  return chartRoot(spec.id, spec.title, spec.desc, WIDTH, height, parts.join(''));
}
