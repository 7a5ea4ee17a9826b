/**
 * The report's figures, built from the derived statistics: per (model, fault model) group the
 * accuracy-vs-BER curves, the tolerance ratios to the unpruned model, tolerance against pruned
 * fraction and against clean accuracy (the cost), and the single-fault SDC rates by bit, by layer
 * and by pruned fraction. Each figure is a standalone SVG with an accessible title and description.
 */
import { mustGet, nth } from '../core/checked.js';
import { barChart } from './charts/bars.js';
import { forestPlot } from './charts/forest.js';
import type { Figure } from './charts/frame.js';
import { heatmap } from './charts/heatmap.js';
import { type SeriesStyle, styleVariants } from './charts/palette.js';
import { type XYSeries, xyChart } from './charts/xy.js';
import { describeThreshold, ratioInterval, ratioValue } from './conclude.js';
import type { Comparison, Derived, GroupStats, SweepStats } from './derive.js';
import { fmtInterval, fmtPct, fmtSci } from './format.js';
import type { ReportData, Variant } from './model.js';
import { groupSlug } from './tables.js';

const pct0 = (v: number): string => `${Math.round(v * 100)}%`;
const pctAxis = (v: number): string => `${Number((v * 100).toFixed(2))}%`;

interface Ctx {
  data: ReportData;
  d: Derived;
  g: GroupStats;
  slug: string;
  subject: string;
  variant: (id: string) => Variant;
  style: Map<string, SeriesStyle>;
  conf: string;
}

function accuracyFigure(c: Ctx): Figure {
  const { g } = c;
  const drop = c.d.options.drop;
  const series: XYSeries[] = g.sweeps.map((s) => ({
    label: c.variant(s.variantId).label,
    style: mustGet(c.style, s.variantId),
    points: s.points.map((p) => ({
      x: p.ber,
      y: p.accuracy.value,
      lo: p.accuracy.lo,
      hi: p.accuracy.hi,
      tip: `${c.variant(s.variantId).label}, BER ${fmtSci(p.ber)}: mean accuracy ${fmtPct(p.accuracy.value)} ${fmtInterval(fmtPct(p.accuracy.lo), fmtPct(p.accuracy.hi))}, ${p.trials} trials`,
    })),
  }));
  const base = g.sweeps.find((s) => s.variantId === g.baselineId);
  const last = g.sweeps
    .map((s) => ({ s, p: nth(s.points, s.points.length - 1) }))
    .sort((a, b) => b.p.accuracy.value - a.p.accuracy.value);
  const desc = last.length
    ? `Mean accuracy of ${g.sweeps.length} variants against bit error rate on a log axis. At the highest BER swept, ${fmtSci(nth(last, 0).p.ber)}, the best is ${c.variant(nth(last, 0).s.variantId).label} at ${fmtPct(nth(last, 0).p.accuracy.value)} and the worst ${c.variant(nth(last, last.length - 1).s.variantId).label} at ${fmtPct(nth(last, last.length - 1).p.accuracy.value)}.`
    : 'No BER sweeps.';
  return {
    id: `accuracy-ber-${c.slug}`,
    title: `Accuracy vs bit error rate — ${c.subject}`,
    caption: `Mean accuracy over trials at each BER; shaded bands are ${c.conf} t intervals.${base ? ` The dashed line is the unpruned model's clean accuracy minus ${Math.round(drop * 100)} points: where a curve crosses its own such level is its tolerable BER.` : ''}`,
    svg: xyChart({
      id: `accuracy-ber-${c.slug}`,
      title: `Accuracy vs bit error rate — ${c.subject}`,
      desc,
      x: { label: 'Bit error rate (probability that a stored bit flips)', scale: 'log' },
      y: { label: 'Top-1 accuracy', scale: 'linear', domain: [0, 1], format: pct0 },
      series,
      intervals: 'band',
      refLines: base
        ? [{ y: base.clean - drop, label: `unpruned clean − ${Math.round(drop * 100)} pt` }]
        : [],
    }),
  };
}

function metricOf(
  g: GroupStats,
  s: SweepStats,
): { value: number; lo: number; hi: number; censored?: 'above' | 'below'; text: string } {
  if (g.primary === 'threshold') {
    const t = s.threshold;
    return {
      value: t.value,
      lo: t.lo,
      hi: t.hi,
      ...(t.censored === 'none' ? {} : { censored: t.censored }),
      text: describeThreshold(t),
    };
  }
  return { value: s.auc!.value, lo: s.auc!.lo, hi: s.auc!.hi, text: fmtPct(s.auc!.value) };
}

function metricAxis(c: Ctx): { label: string; scale: 'log' | 'linear'; format?: (v: number) => string } {
  return c.g.primary === 'threshold'
    ? { label: `Tolerable BER (−${Math.round(c.d.options.drop * 100)} pt)`, scale: 'log' }
    : { label: 'Normalized AUC', scale: 'linear', format: pct0 };
}

function toleranceFigure(c: Ctx): Figure | null {
  const { g } = c;
  const metricName = g.primary === 'threshold' ? 'tolerable BER' : 'normalized AUC';
  const pruned = g.sweeps.filter((s) => s.variantId !== g.baselineId);
  if (pruned.length === 0) return null;
  const id = `tolerance-${c.slug}`;
  const comp = (vid: string): Comparison | undefined =>
    g.comparisons.find((x) => x.family === 'vs-unpruned' && x.a === vid);
  if (g.baselineId && pruned.every((s) => s.vsBaseline)) {
    const rows = pruned
      .map((s) => {
        const r = s.vsBaseline![g.primary === 'threshold' ? 'threshold' : 'auc']!;
        const cmp = comp(s.variantId);
        const weak = cmp && !cmp.significant ? ' (weak)' : '';
        return {
          label: c.variant(s.variantId).label,
          style: mustGet(c.style, s.variantId),
          value: r.bound === 'unknown' ? Number.NaN : r.value,
          lo: r.lo,
          hi: r.hi,
          open: { lo: r.loOpen, hi: r.hiOpen },
          tip: `${c.variant(s.variantId).label}: ${metricName} ${ratioValue(r)} the unpruned model's, ${c.conf} CI ${ratioInterval(r)}${cmp ? `, Holm-adjusted p ${cmp.pHolm.toFixed(3)}` : ''}`,
          note: `${ratioValue(r)}${weak}`,
        };
      })
      .sort((a, b) => (Number.isNaN(b.value) ? -1 : Number.isNaN(a.value) ? 1 : b.value - a.value));
    return {
      id,
      title: `Fault tolerance relative to unpruned — ${c.subject}`,
      caption: `Ratio of each pruned variant's ${metricName} to the unpruned model's, with ${c.conf} bootstrap intervals; right of 1 is more tolerant. "(weak)": not significant after Holm correction. Arrow ends: the interval continues beyond the swept range.`,
      svg: forestPlot({
        id,
        title: `Fault tolerance relative to unpruned — ${c.subject}`,
        desc: `Ratios of ${metricName} to the unpruned model for ${rows.length} pruned variants, best first: ${rows.map((r) => `${r.label} ${r.note}`).join('; ')}.`,
        xLabel: `${metricName} ÷ unpruned ${metricName} (log scale)`,
        scale: 'log',
        rows,
        ref: { value: 1, label: 'same as unpruned' },
      }),
    };
  }
  const rows = g.sweeps
    .map((s) => {
      const m = metricOf(g, s);
      return {
        label: c.variant(s.variantId).label,
        style: mustGet(c.style, s.variantId),
        value: m.value,
        lo: m.lo,
        hi: m.hi,
        open: {
          lo: s.threshold.loOpen && g.primary === 'threshold',
          hi: s.threshold.hiOpen && g.primary === 'threshold',
        },
        tip: `${c.variant(s.variantId).label}: ${metricName} ${m.text}`,
        note: m.text,
      };
    })
    .sort((a, b) => b.value - a.value);
  return {
    id,
    title: `Fault tolerance — ${c.subject}`,
    caption: `Each variant's ${metricName} with ${c.conf} bootstrap intervals (no unpruned baseline to compare with).`,
    svg: forestPlot({
      id,
      title: `Fault tolerance — ${c.subject}`,
      desc: `${metricName} per variant: ${rows.map((r) => `${r.label} ${r.note}`).join('; ')}.`,
      xLabel: metricName,
      scale: g.primary === 'threshold' ? 'log' : 'linear',
      rows,
    }),
  };
}

/** Fraction of the unpruned model's non-zero parameters that a variant has removed or zeroed. */
function prunedFraction(c: Ctx, id: string): number {
  const base = c.g.baselineId ? c.variant(c.g.baselineId) : undefined;
  const v = c.variant(id);
  return base && base.nonzeroParams > 0 ? 1 - v.nonzeroParams / base.nonzeroParams : v.sparsity;
}

/** Series per pruning method over pruned fraction, each starting at the unpruned model. */
function methodSeries(
  c: Ctx,
  ids: string[],
  point: (
    id: string,
  ) => { y: number; lo: number; hi: number; censored?: 'above' | 'below'; tip: string } | null,
): XYSeries[] {
  const methods: string[] = [];
  for (const id of ids) {
    const m = c.variant(id).method;
    if (m !== 'none' && !methods.includes(m)) methods.push(m);
  }
  const base = c.g.baselineId && ids.includes(c.g.baselineId) ? point(c.g.baselineId) : null;
  const out: XYSeries[] = methods.map((m) => {
    const mine = ids.filter((id) => c.variant(id).method === m);
    const st = mustGet(c.style, nth(mine, 0));
    const pts = mine.flatMap((id) => {
      const p = point(id);
      return p ? [{ x: prunedFraction(c, id), ...p }] : [];
    });
    if (base) pts.unshift({ x: 0, ...base });
    return { label: m, style: { ...st, dash: '' }, points: pts };
  });
  if (base && c.g.baselineId)
    out.push({ label: 'unpruned', style: mustGet(c.style, c.g.baselineId), points: [{ x: 0, ...base }] });
  return out;
}

function toleranceByPruningFigure(c: Ctx): Figure | null {
  const { g } = c;
  if (g.sweeps.length < 2) return null;
  const id = `tolerance-pruned-${c.slug}`;
  const metricName = g.primary === 'threshold' ? 'tolerable BER' : 'normalized AUC';
  const series = methodSeries(
    c,
    g.sweeps.map((s) => s.variantId),
    (vid) => {
      const s = g.sweeps.find((x) => x.variantId === vid)!;
      const m = metricOf(g, s);
      return {
        y: m.value,
        lo: m.lo,
        hi: m.hi,
        ...(m.censored ? { censored: m.censored } : {}),
        tip: `${c.variant(vid).label}: ${metricName} ${m.text}`,
      };
    },
  );
  return {
    id,
    title: `Fault tolerance vs amount pruned — ${c.subject}`,
    caption: `${metricName[0]!.toUpperCase()}${metricName.slice(1)} of each variant (${c.conf} bootstrap intervals) against the fraction of the unpruned model's non-zero parameters it removed; one line per method, starting at the unpruned model. Hollow markers with arrows: bounds (threshold outside the swept BERs).`,
    svg: xyChart({
      id,
      title: `Fault tolerance vs amount pruned — ${c.subject}`,
      desc: `${metricName} against pruned fraction for ${series.length} methods.`,
      x: { label: 'Fraction of non-zero parameters removed', scale: 'linear', domain: [0, 1], format: pct0 },
      y: metricAxis(c),
      series,
      intervals: 'bars',
    }),
  };
}

function costFigure(c: Ctx): Figure | null {
  const { g } = c;
  if (g.sweeps.length < 2) return null;
  const id = `cost-${c.slug}`;
  const metricName = g.primary === 'threshold' ? 'tolerable BER' : 'normalized AUC';
  const cost = new Map(g.costs.map((x) => [x.variantId, x]));
  const series: XYSeries[] = g.sweeps.map((s) => {
    const m = metricOf(g, s);
    const cl = mustGet(cost, s.variantId).clean.value;
    return {
      label: c.variant(s.variantId).label,
      style: mustGet(c.style, s.variantId),
      points: [
        {
          x: cl,
          y: m.value,
          lo: m.lo,
          hi: m.hi,
          ...(m.censored ? { censored: m.censored } : {}),
          tip: `${c.variant(s.variantId).label}: clean accuracy ${fmtPct(cl)}, ${metricName} ${m.text}`,
        },
      ],
    };
  });
  return {
    id,
    title: `Fault tolerance vs clean accuracy — ${c.subject}`,
    caption: `The trade-off: up and to the right is better on both counts. Vertical bars: ${c.conf} bootstrap intervals of the ${metricName}; clean-accuracy intervals are in the summary table.`,
    svg: xyChart({
      id,
      title: `Fault tolerance vs clean accuracy — ${c.subject}`,
      desc: `Each variant's ${metricName} against its clean accuracy: ${g.sweeps.map((s) => `${c.variant(s.variantId).label} ${fmtPct(mustGet(cost, s.variantId).clean.value)}, ${metricOf(g, s).text}`).join('; ')}.`,
      x: { label: 'Clean (fault-free) accuracy', scale: 'linear', format: pctAxis },
      y: metricAxis(c),
      series,
      intervals: 'bars',
      lines: false,
    }),
  };
}

function bitBarsFigure(c: Ctx): Figure | null {
  const { g } = c;
  if (!g.bits.length) return null;
  const bits = [...new Set(g.bits.flatMap((b) => b.byBit.map((x) => x.bit)))].sort((a, b) => b - a);
  const maxRate = (bit: number): number =>
    Math.max(...g.bits.map((b) => b.byBit.find((x) => x.bit === bit)?.rate.value ?? 0));
  const shown = bits.filter((b) => maxRate(b) >= 0.01).slice(0, 10);
  const cats = shown.length ? shown : bits.slice(0, 8);
  const id = `sdc-bits-${c.slug}`;
  return {
    id,
    title: `SDC rate by bit position — ${c.subject}`,
    caption: `Share of single bit flips at each bit position that changed some image's top-1 prediction, with ${c.conf} Wilson intervals. Shown: bit positions where some variant reaches 1%${bits.length > cats.length ? ` (${bits.length - cats.length} other positions are in the heat map below and the CSV)` : ''}.`,
    svg: barChart({
      id,
      title: `SDC rate by bit position — ${c.subject}`,
      desc: `SDC rate per flipped bit at bit positions ${cats.join(', ')} for ${g.bits.length} variants.`,
      categories: cats.map((b) => `bit ${b}`),
      xLabel: 'Bit position in the stored number (0 = least significant)',
      yLabel: 'SDC rate per flipped bit',
      yFormat: pctAxis,
      series: g.bits.map((b) => ({
        label: c.variant(b.variantId).label,
        style: mustGet(c.style, b.variantId),
        values: cats.map((bit) => {
          const x = b.byBit.find((y) => y.bit === bit);
          return x && x.experiments > 0
            ? {
                value: x.rate.value,
                lo: x.rate.lo,
                hi: x.rate.hi,
                tip: `${c.variant(b.variantId).label}, bit ${bit}: ${fmtPct(x.rate.value, 2)} ${fmtInterval(fmtPct(x.rate.lo, 2), fmtPct(x.rate.hi, 2))}, ${x.experiments} flips`,
              }
            : null;
        }),
      })),
    }),
  };
}

function bitHeatFigure(c: Ctx): Figure | null {
  const { g } = c;
  if (!g.bits.length) return null;
  const bits = [...new Set(g.bits.flatMap((b) => b.byBit.map((x) => x.bit)))].sort((a, b) => b - a);
  const id = `sdc-bit-map-${c.slug}`;
  return {
    id,
    title: `SDC rate by bit position, all bits — ${c.subject}`,
    caption:
      'Every bit position (most significant first); colour on a log scale, grey = no SDC observed, hatched = not measured. Hover a cell for its interval.',
    svg: heatmap({
      id,
      title: `SDC rate by bit position, all bits — ${c.subject}`,
      desc: `Heat map of SDC rate per flipped bit: ${g.bits.length} variants by ${bits.length} bit positions.`,
      rows: g.bits.map((b) => c.variant(b.variantId).label),
      cols: bits.map(String),
      colLabel: 'Bit position',
      values: g.bits.map((b) =>
        bits.map((bit) => {
          const x = b.byBit.find((y) => y.bit === bit);
          return x && x.experiments > 0 ? x.rate.value : null;
        }),
      ),
      tips: g.bits.map((b) =>
        bits.map((bit) => {
          const x = b.byBit.find((y) => y.bit === bit);
          return x && x.experiments > 0
            ? `${c.variant(b.variantId).label}, bit ${bit}: ${fmtPct(x.rate.value, 2)} ${fmtInterval(fmtPct(x.rate.lo, 2), fmtPct(x.rate.hi, 2))}, ${x.experiments} flips`
            : 'not measured';
        }),
      ),
      valueLabel: 'SDC rate',
      format: (v) => fmtPct(v, v < 0.1 ? 2 : 1),
      log: true,
    }),
  };
}

function layerHeatFigure(c: Ctx): Figure | null {
  const { g } = c;
  const layers: string[] = [];
  for (const b of g.bits) for (const l of b.byLayer) if (!layers.includes(l.layer)) layers.push(l.layer);
  if (!layers.length) return null;
  const id = `sdc-layers-${c.slug}`;
  const cell = (vid: string, layer: string) =>
    g.bits.find((b) => b.variantId === vid)!.byLayer.find((l) => l.layer === layer && l.experiments > 0);
  return {
    id,
    title: `SDC rate by layer — ${c.subject}`,
    caption:
      "Share of single bit flips in each layer's weights that changed some top-1 prediction; colour on a log scale. Hover a cell for the interval, the layer's sparsity and its stored bits.",
    svg: heatmap({
      id,
      title: `SDC rate by layer — ${c.subject}`,
      desc: `Heat map of SDC rate per flipped bit: ${g.bits.length} variants by ${layers.length} layers.`,
      rows: g.bits.map((b) => c.variant(b.variantId).label),
      cols: layers,
      colLabel: 'Layer',
      values: g.bits.map((b) => layers.map((l) => cell(b.variantId, l)?.rate.value ?? null)),
      tips: g.bits.map((b) =>
        layers.map((l) => {
          const x = cell(b.variantId, l);
          return x
            ? `${c.variant(b.variantId).label}, ${l}: ${fmtPct(x.rate.value, 2)} ${fmtInterval(fmtPct(x.rate.lo, 2), fmtPct(x.rate.hi, 2))}, ${x.experiments} flips; layer sparsity ${fmtPct(x.sparsity)}, ${fmtSci(x.storedBits)} stored bits`
            : 'not measured';
        }),
      ),
      valueLabel: 'SDC rate',
      format: (v) => fmtPct(v, v < 0.1 ? 2 : 1),
      log: true,
    }),
  };
}

function sdcByPruningFigure(c: Ctx): Figure | null {
  const { g } = c;
  if (g.bits.length < 2) return null;
  const id = `sdc-pruned-${c.slug}`;
  const series = methodSeries(
    c,
    g.bits.map((b) => b.variantId),
    (vid) => {
      const b = g.bits.find((x) => x.variantId === vid)!;
      return {
        y: b.sdcRate.value,
        lo: b.sdcRate.lo,
        hi: b.sdcRate.hi,
        tip: `${c.variant(vid).label}: ${fmtPct(b.sdcRate.value, 2)} ${fmtInterval(fmtPct(b.sdcRate.lo, 2), fmtPct(b.sdcRate.hi, 2))} per flipped bit, ${b.experiments} flips`,
      };
    },
  );
  return {
    id,
    title: `SDC rate per flipped bit vs amount pruned — ${c.subject}`,
    caption: `Single-fault SDC rate (${c.conf} Wilson intervals) against the fraction of non-zero parameters removed; one line per method, starting at the unpruned model. Multiply by stored bits for the expected number of SDC-prone bits (summary table).`,
    svg: xyChart({
      id,
      title: `SDC rate per flipped bit vs amount pruned — ${c.subject}`,
      desc: `Single-fault SDC rate against pruned fraction for ${series.length} methods.`,
      x: { label: 'Fraction of non-zero parameters removed', scale: 'linear', domain: [0, 1], format: pct0 },
      y: { label: 'SDC rate per flipped bit', scale: 'linear', format: pctAxis },
      series,
      intervals: 'bars',
    }),
  };
}

/** All figures of one group, in reading order (BER results first, then single-fault results). */
export function groupFigures(data: ReportData, d: Derived, g: GroupStats): { ber: Figure[]; bits: Figure[] } {
  const byId = new Map(data.variants.map((v) => [v.id, v]));
  const c: Ctx = {
    data,
    d,
    g,
    slug: groupSlug(g),
    subject: `${g.model}, ${g.faultModel.label}`,
    variant: (id) => mustGet(byId, id),
    style: styleVariants(data.variants.filter((v) => v.model === g.model)),
    conf: `${Math.round(d.options.confidence * 100)}%`,
  };
  const ber = g.sweeps.length
    ? [accuracyFigure(c), toleranceFigure(c), toleranceByPruningFigure(c), costFigure(c)]
    : [];
  const bits = [bitBarsFigure(c), bitHeatFigure(c), layerHeatFigure(c), sdcByPruningFigure(c)];
  return {
    ber: ber.filter((f): f is Figure => f !== null),
    bits: bits.filter((f): f is Figure => f !== null),
  };
}
