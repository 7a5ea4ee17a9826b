/**
 * Heat maps: rows × columns of coloured cells (viridis), empty cells hatched grey, values written
 * in the cells when they fit, and a colour bar. Colour can be linear or logarithmic; on a log
 * scale exact zeros get their own swatch because they have no place on the scale.
 */
import { chartRoot, WIDTH } from './frame.js';
import { textOn, viridis } from './palette.js';
import { el, esc, num, textWidth } from './svg.js';

/** A heat map. `values[r][c]` is null where nothing was measured. */
export interface HeatmapSpec {
  id: string;
  title: string;
  desc: string;
  rows: string[];
  cols: string[];
  colLabel: string;
  values: (number | null)[][];
  tips: string[][];
  /** Colour-bar caption, e.g. 'SDC rate'. */
  valueLabel: string;
  format: (v: number) => string;
  log?: boolean;
}

/** Renders a heat map as a standalone SVG string. */
export function heatmap(spec: HeatmapSpec): string {
  const left = Math.min(300, Math.max(60, ...spec.rows.map((r) => textWidth(r, 12))) + 20);
  const colLabelW = Math.max(20, ...spec.cols.map((c) => textWidth(c, 11)));
  const rotate = spec.cols.length > 12 || colLabelW > (WIDTH - left - 120) / Math.max(1, spec.cols.length);
  const top = 44;
  const barW = 90;
  const cellW = Math.max(6, (WIDTH - left - barW - 30) / Math.max(1, spec.cols.length));
  const cellH = 24;
  const gridH = cellH * spec.rows.length;
  const labelH = rotate ? Math.min(140, colLabelW * 0.75 + 12) : 22;
  const height = top + gridH + labelH + 34;
  const all = spec.values.flat().filter((v): v is number => v !== null);
  const positive = all.filter((v) => v > 0);
  const max = Math.max(0, ...all);
  const minPos = positive.length ? Math.min(...positive) : 1;
  const log = spec.log === true && positive.length > 0 && max > minPos;
  const lmin = Math.log10(minPos);
  const lmax = Math.log10(max);
  const t = (v: number): number =>
    log ? (v <= 0 ? 0 : (Math.log10(v) - lmin) / (lmax - lmin || 1)) : max > 0 ? v / max : 0;
  const parts: string[] = [
    el(
      'defs',
      {},
      el(
        'pattern',
        {
          id: `${spec.id}-na`,
          width: 6,
          height: 6,
          patternUnits: 'userSpaceOnUse',
          patternTransform: 'rotate(45)',
        },
        el('rect', { width: 6, height: 6, fill: '#f2f2f2' }),
        el('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#cccccc', 'stroke-width': 2 }),
      ),
    ),
  ];
  spec.rows.forEach((row, r) => {
    const cy = top + r * cellH;
    parts.push(el('text', { x: left - 8, y: cy + cellH / 2 + 4, 'text-anchor': 'end' }, esc(row)));
    spec.cols.forEach((_, c) => {
      const v = spec.values[r]?.[c] ?? null;
      const cx = left + c * cellW;
      const fill = v === null ? `url(#${spec.id}-na)` : log && v <= 0 ? '#dddddd' : viridis(t(v));
      const cell = [el('rect', { x: cx, y: cy, width: cellW - 1, height: cellH - 1, fill })];
      if (v !== null) {
        const text = spec.format(v);
        if (textWidth(text, 10) < cellW - 4) {
          const ink = log && v <= 0 ? '#000000' : textOn(viridis(t(v)));
          cell.push(
            el(
              'text',
              {
                x: cx + cellW / 2,
                y: cy + cellH / 2 + 3.5,
                'text-anchor': 'middle',
                'font-size': 10,
                fill: ink,
              },
              esc(text),
            ),
          );
        }
      }
      parts.push(el('g', {}, el('title', {}, esc(spec.tips[r]?.[c] ?? '')), ...cell));
    });
  });
  const by = top + gridH;
  spec.cols.forEach((col, c) => {
    const cx = left + c * cellW + cellW / 2;
    parts.push(
      rotate
        ? el(
            'text',
            {
              x: cx,
              y: by + 10,
              'text-anchor': 'end',
              'font-size': 11,
              transform: `rotate(-45 ${num(cx)} ${num(by + 10)})`,
            },
            esc(col),
          )
        : el('text', { x: cx, y: by + 16, 'text-anchor': 'middle', 'font-size': 11 }, esc(col)),
    );
  });
  const gridRight = left + cellW * spec.cols.length;
  parts.push(
    el(
      'text',
      { x: (left + gridRight) / 2, y: by + labelH + 22, 'text-anchor': 'middle', 'font-size': 13 },
      esc(spec.colLabel),
    ),
  );
  // Colour bar: eleven swatches from low to high, labelled at both ends (and zero on log scales).
  const bx = gridRight + 30;
  const steps = 11;
  const sh = Math.max(8, Math.min(16, (gridH - 20) / steps));
  parts.push(el('text', { x: bx, y: top - 8, 'font-size': 11 }, esc(spec.valueLabel)));
  for (let i = 0; i < steps; i++) {
    const f = 1 - i / (steps - 1);
    parts.push(el('rect', { x: bx, y: top + i * sh, width: 16, height: sh, fill: viridis(f) }));
  }
  const lowLabel = log ? spec.format(minPos) : spec.format(0);
  parts.push(el('text', { x: bx + 22, y: top + 10, 'font-size': 11 }, esc(spec.format(max))));
  parts.push(el('text', { x: bx + 22, y: top + steps * sh, 'font-size': 11 }, esc(lowLabel)));
  if (log) {
    const zy = top + steps * sh + 8;
    parts.push(el('rect', { x: bx, y: zy, width: 16, height: sh, fill: '#dddddd' }));
    parts.push(el('text', { x: bx + 22, y: zy + sh - 2, 'font-size': 11 }, '0'));
  }
  return chartRoot(
    spec.id,
    spec.title,
    spec.desc,
    WIDTH,
    Math.max(height, top + steps * sh + 40),
    parts.join(''),
  );
}
