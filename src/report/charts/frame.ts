/**
 * The parts every chart shares: the root <svg> with its accessible title and description, the
 * plot rectangle with axes and grid, legends, and marker shapes. Chart types only place data.
 */
import type { Marker, SeriesStyle } from './palette.js';
import type { Scale } from './scale.js';
import { type Attrs, el, esc, num, textWidth } from './svg.js';

/** A rendered figure: the standalone SVG plus what the report says around it. */
export interface Figure {
  /** File-name-safe id, unique in the report (also prefixes ids inside the SVG). */
  id: string;
  title: string;
  /** One or two sentences under the figure saying how to read it. */
  caption: string;
  svg: string;
}

/** The plot area inside the chart, in pixels. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
export const WIDTH = 880;
const INK = '#222222';
const GRID = '#e3e3e3';

/**
 * The root element. `title` and `desc` become the accessible name and description (screen
 * readers announce them; browsers show the title as a tooltip), and are also drawn as a heading.
 */
export function chartRoot(
  id: string,
  title: string,
  desc: string,
  width: number,
  height: number,
  body: string,
): string {
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      viewBox: `0 0 ${num(width)} ${num(height)}`,
      width,
      height,
      role: 'img',
      'aria-labelledby': `${id}-title ${id}-desc`,
      'font-family': FONT,
      'font-size': 12,
      fill: INK,
      class: 'chart',
    },
    el('title', { id: `${id}-title` }, esc(title)),
    el('desc', { id: `${id}-desc` }, esc(desc)),
    el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }),
    el('text', { x: 12, y: 22, 'font-size': 15, 'font-weight': 600 }, esc(title)),
    body,
  );
}

/** Axis titles and tick labels around `plot`, with light grid lines at major ticks. */
export function axes(plot: Rect, x: Scale | null, y: Scale | null, xLabel: string, yLabel: string): string {
  const parts: string[] = [];
  const bottom = plot.y + plot.h;
  if (x) {
    for (const t of x.ticks()) {
      const px = x.map(t.value);
      if (t.label || t.major)
        parts.push(el('line', { x1: px, x2: px, y1: plot.y, y2: bottom, stroke: GRID }));
      parts.push(el('line', { x1: px, x2: px, y1: bottom, y2: bottom + (t.label ? 5 : 3), stroke: INK }));
      if (t.label) parts.push(el('text', { x: px, y: bottom + 18, 'text-anchor': 'middle' }, esc(t.label)));
    }
    parts.push(
      el(
        'text',
        { x: plot.x + plot.w / 2, y: bottom + 38, 'text-anchor': 'middle', 'font-size': 13 },
        esc(xLabel),
      ),
    );
  }
  if (y) {
    for (const t of y.ticks()) {
      const py = y.map(t.value);
      if (t.label || t.major)
        parts.push(el('line', { x1: plot.x, x2: plot.x + plot.w, y1: py, y2: py, stroke: GRID }));
      parts.push(el('line', { x1: plot.x - (t.label ? 5 : 3), x2: plot.x, y1: py, y2: py, stroke: INK }));
      if (t.label) parts.push(el('text', { x: plot.x - 8, y: py + 4, 'text-anchor': 'end' }, esc(t.label)));
    }
    const cx = plot.x - 52;
    const cy = plot.y + plot.h / 2;
    parts.push(
      el(
        'text',
        {
          x: cx,
          y: cy,
          'text-anchor': 'middle',
          'font-size': 13,
          transform: `rotate(-90 ${num(cx)} ${num(cy)})`,
        },
        esc(yLabel),
      ),
    );
  }
  parts.push(
    el('rect', { x: plot.x, y: plot.y, width: plot.w, height: plot.h, fill: 'none', stroke: '#999999' }),
  );
  return parts.join('');
}

/** A marker shape centred on (x, y). */
export function marker(
  shape: Marker,
  x: number,
  y: number,
  r: number,
  colour: string,
  hollow = false,
): string {
  const a: Attrs = { fill: hollow ? '#ffffff' : colour, stroke: colour, 'stroke-width': 1.5 };
  switch (shape) {
    case 'circle':
      return el('circle', { cx: x, cy: y, r, ...a });
    case 'square':
      return el('rect', { x: x - r * 0.9, y: y - r * 0.9, width: r * 1.8, height: r * 1.8, ...a });
    case 'triangle':
      return el('path', {
        d: `M${num(x)} ${num(y - r * 1.15)}L${num(x + r)} ${num(y + r * 0.75)}L${num(x - r)} ${num(y + r * 0.75)}Z`,
        ...a,
      });
    case 'diamond':
      return el('path', {
        d: `M${num(x)} ${num(y - r * 1.2)}L${num(x + r)} ${num(y)}L${num(x)} ${num(y + r * 1.2)}L${num(x - r)} ${num(y)}Z`,
        ...a,
      });
    case 'cross':
      return el('path', {
        d: `M${num(x - r)} ${num(y - r)}L${num(x + r)} ${num(y + r)}M${num(x - r)} ${num(y + r)}L${num(x + r)} ${num(y - r)}`,
        stroke: colour,
        'stroke-width': 2,
        fill: 'none',
      });
  }
}

/** One legend entry: a line sample with marker, or a filled box. */
export interface LegendEntry {
  label: string;
  style: SeriesStyle;
  kind: 'line' | 'box' | 'marker';
  /** Box fill when it is not the plain colour (a pattern url). */
  fill?: string;
}

const LEGEND_ROW = 18;

/** Width a vertical legend of `entries` needs. */
export function legendWidth(entries: readonly LegendEntry[]): number {
  return Math.min(280, Math.max(0, ...entries.map((e) => textWidth(e.label, 12))) + 44);
}

/** Height of a vertical legend of `entries`. */
export function legendHeight(entries: readonly LegendEntry[]): number {
  return entries.length * LEGEND_ROW;
}

/** A vertical legend whose top-left corner is (x, y); labels longer than the width are cut with '…'. */
export function legend(entries: readonly LegendEntry[], x: number, y: number, width: number): string {
  return entries
    .map((e, i) => {
      const cy = y + i * LEGEND_ROW + 9;
      let sample: string;
      if (e.kind === 'box') {
        sample = el('rect', {
          x,
          y: cy - 6,
          width: 24,
          height: 12,
          fill: e.fill ?? e.style.colour,
          stroke: e.style.colour,
          'stroke-width': 0.8,
        });
      } else {
        const line =
          e.kind === 'line'
            ? el('line', {
                x1: x,
                x2: x + 28,
                y1: cy,
                y2: cy,
                stroke: e.style.colour,
                'stroke-width': 2,
                'stroke-dasharray': e.style.dash || undefined,
              })
            : '';
        sample = line + marker(e.style.marker, x + 14, cy, 3.5, e.style.colour);
      }
      let label = e.label;
      const room = width - 36;
      while (label.length > 4 && textWidth(label, 12) > room) label = `${label.slice(0, -2)}…`;
      return el('g', {}, sample, el('text', { x: x + 36, y: cy + 4 }, esc(label)));
    })
    .join('');
}
