/**
 * The report's tables as data: each numeric cell points at a ledger row and names the format
 * that turns the row into text, so the HTML, the CSV and the test that ties them together all
 * use one formatting path.
 */

import { nth } from '../core/checked.js';
import type { AcrossModels } from './across.js';
import type { Comparison, GroupStats } from './derive.js';
import {
  fmtDuration,
  fmtInt,
  fmtInterval,
  fmtP,
  fmtPct,
  fmtPoints,
  fmtRatio,
  fmtSci,
  fmtSI,
} from './format.js';
import type { Ledger, NumberRow } from './ledger.js';
import type { ReportData } from './model.js';
import { durationLabel, numberId, provenanceAddress } from './numbers.js';

/** How a ledger row is shown: main text and the interval line under it ('' if none). */
export type CellFormat =
  | 'pct'
  | 'pct2'
  | 'points'
  | 'ber'
  | 'ratio'
  | 'int'
  | 'si'
  | 'bits'
  | 'p'
  | 'seconds'
  | 'plain';

const has = (note: string, what: string): boolean => note.includes(what);
const iv = (r: NumberRow, f: (v: number) => string, loMark = '', hiMark = ''): string =>
  r.lo === null || r.hi === null ? '' : fmtInterval(`${loMark}${f(r.lo)}`, `${hiMark}${f(r.hi)}`);
const dash = '–';

/** The formatters by name; `text` is null-safe (a missing value shows as a dash). */
export const CELL_FORMATS: Record<CellFormat, (r: NumberRow) => { text: string; sub: string }> = {
  pct: (r) => ({ text: r.value === null ? dash : fmtPct(r.value), sub: iv(r, (v) => fmtPct(v)) }),
  pct2: (r) => ({ text: r.value === null ? dash : fmtPct(r.value, 2), sub: iv(r, (v) => fmtPct(v, 2)) }),
  points: (r) => ({ text: r.value === null ? dash : fmtPoints(r.value), sub: iv(r, (v) => fmtPoints(v)) }),
  ber: (r) => ({
    text:
      r.value === null
        ? dash
        : `${has(r.note, 'censored above') ? '> ' : has(r.note, 'censored below') ? '< ' : ''}${fmtSci(r.value)}`,
    sub: iv(
      r,
      fmtSci,
      has(r.note, 'lower limit is a bound') ? '≤ ' : '',
      has(r.note, 'upper limit is a bound') ? '≥ ' : '',
    ),
  }),
  ratio: (r) => ({
    text:
      r.value === null
        ? has(r.note, 'not measurable')
          ? 'not measurable'
          : dash
        : `${has(r.note, 'lower bound') ? '≥ ' : has(r.note, 'upper bound') ? '≤ ' : ''}${fmtRatio(r.value)}`,
    sub: iv(
      r,
      fmtRatio,
      has(r.note, 'lower limit is a bound') ? '≤ ' : '',
      has(r.note, 'upper limit is a bound') ? '≥ ' : '',
    ),
  }),
  int: (r) => ({ text: r.value === null ? dash : fmtInt(r.value), sub: '' }),
  si: (r) => ({ text: r.value === null ? dash : fmtSI(r.value), sub: '' }),
  bits: (r) => ({
    text: r.value === null ? dash : fmtSI(r.value, 'bit'),
    sub: iv(r, (v) => fmtSI(v, 'bit')),
  }),
  p: (r) => ({ text: r.value === null ? dash : fmtP(r.value), sub: '' }),
  seconds: (r) => ({ text: r.value === null ? dash : fmtDuration(r.value), sub: '' }),
  plain: (r) => ({ text: r.value === null ? dash : String(r.value), sub: '' }),
};

/** One table cell: plain text, or a ledger number shown with `fmt`. */
export interface Cell {
  text: string;
  sub: string;
  ref?: string;
  fmt?: CellFormat;
  /** Value the column sorts by (numbers numerically; '' = no value, sorted below every number). */
  sort: number | string;
  /** The ledger has no such number for this row (e.g. a ratio of the baseline to itself). */
  missing?: boolean;
}

/** A table: caption, column heads with explanations, and rows headed by a label. */
export interface Table {
  id: string;
  caption: string;
  /** Heading of the row-label column. */
  rowHead: string;
  columns: { label: string; tip: string }[];
  rows: { label: string; cells: Cell[] }[];
  /** Text under the table (how to read it). */
  note: string;
}

/** A cell showing ledger row `id` with `fmt`, or a dash if the ledger has no such number. */
export function numberCell(ledger: Ledger, id: string, fmt: CellFormat): Cell {
  if (!ledger.has(id)) return { text: dash, sub: '', sort: '', missing: true };
  const r = ledger.get(id);
  const { text, sub } = CELL_FORMATS[fmt](r);
  return { text, sub, ref: id, fmt, sort: r.value ?? '' };
}

/** A plain text cell. */
export function textCell(text: string): Cell {
  return { text, sub: '', sort: text };
}

const slug = (s: string): string =>
  s
    .replace(/[^a-zA-Z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();

/** The id base of a group's tables and figures. */
export function groupSlug(g: GroupStats): string {
  return slug(`${g.model}-${g.faultModel.label}`);
}

/**
 * The cost side per (model, fault model): what pruning bought and what it cost — clean accuracy
 * (with the change against the unpruned model), parameters, MACs and stored bits per format.
 */
export function costTable(data: ReportData, g: GroupStats, ledger: Ledger): Table {
  const fm = g.faultModel.label;
  const variants = g.variantIds.map((id) => data.variants.find((v) => v.id === id)!);
  const formats = [...new Set(variants.flatMap((v) => Object.keys(v.memoryBits)))];
  const columns = [
    { label: 'Sparsity', tip: 'Fraction of parameters that are exactly zero' },
    { label: 'Clean accuracy', tip: 'Fault-free test accuracy; Wilson interval over test images' },
    { label: 'Δ vs unpruned', tip: 'Clean accuracy minus the unpruned model’s; Newcombe interval' },
    { label: 'Parameters', tip: 'Parameters stored (structured pruning removes some)' },
    { label: 'Non-zero', tip: 'Parameters that are not zero' },
    { label: 'MACs', tip: 'Multiply-accumulates per image' },
    ...formats.map((f) => ({ label: `Memory, ${f}`, tip: `Bits of weight memory in ${f} storage format` })),
  ];
  const rows = variants.map((v) => {
    const va = { section: 'variant', model: g.model, faultModel: '', variant: v.id };
    const ta = { section: 'tolerance', model: g.model, faultModel: fm, variant: v.id };
    return {
      label: v.label,
      cells: [
        numberCell(ledger, numberId({ ...va, quantity: 'sparsity' }), 'pct'),
        numberCell(ledger, numberId({ ...va, quantity: 'cleanAccuracy' }), 'pct'),
        numberCell(ledger, numberId({ ...ta, quantity: 'cleanDiff' }), 'points'),
        numberCell(ledger, numberId({ ...va, quantity: 'params' }), 'int'),
        numberCell(ledger, numberId({ ...va, quantity: 'nonzeroParams' }), 'int'),
        numberCell(ledger, numberId({ ...va, quantity: 'macs' }), 'si'),
        ...formats.map((f) =>
          numberCell(ledger, numberId({ ...va, quantity: 'memoryBits', key: f }), 'bits'),
        ),
      ],
    };
  });
  return {
    id: `table-cost-${groupSlug(g)}`,
    caption: `Cost: ${g.model}`,
    rowHead: 'Variant',
    columns,
    rows,
    note: `Intervals are ${Math.round(ledgerConfidence(ledger) * 100)}% confidence intervals. Memory counts the weights as stored in each format (dense keeps the zeros).`,
  };
}

/**
 * Fault tolerance per (model, fault model): tolerable BER and normalized AUC with bootstrap
 * intervals and their ratios to the unpruned model, and the single-fault SDC rate and SDC-prone bits.
 */
export function toleranceTable(data: ReportData, g: GroupStats, ledger: Ledger, drop: number): Table {
  const fm = g.faultModel.label;
  const pts = Math.round(drop * 100);
  const auc =
    g.grid.length >= 2 ? `, BER ${fmtSci(nth(g.grid, 0))}–${fmtSci(nth(g.grid, g.grid.length - 1))}` : '';
  const columns = [
    {
      label: `Tolerable BER (−${pts} pt)`,
      tip: `BER at which mean accuracy falls ${pts} points below clean, interpolated on log BER; bootstrap interval over trials. > means never within the swept range`,
    },
    { label: 'BER × unpruned', tip: 'Tolerable BER relative to the unpruned model; bootstrap interval' },
    {
      label: `AUC${auc}`,
      tip: 'Mean accuracy over the swept log-BER range (normalized area under the curve)',
    },
    { label: 'AUC × unpruned', tip: 'AUC relative to the unpruned model; bootstrap interval' },
    {
      label: 'SDC per flipped bit',
      tip: 'Share of single bit flips that changed some image’s top-1; Wilson interval',
    },
    {
      label: 'SDC-prone bits',
      tip: 'SDC rate × stored bits: expected number of bits whose flip corrupts an output',
    },
  ];
  const rows = g.variantIds.map((id) => {
    const ta = { section: 'tolerance', model: g.model, faultModel: fm, variant: id };
    const sa = { section: 'single-bit', model: g.model, faultModel: fm, variant: id };
    return {
      label: data.variants.find((v) => v.id === id)!.label,
      cells: [
        numberCell(ledger, numberId({ ...ta, quantity: 'thresholdBer' }), 'ber'),
        numberCell(ledger, numberId({ ...ta, quantity: 'thresholdRatio' }), 'ratio'),
        numberCell(ledger, numberId({ ...ta, quantity: 'auc' }), 'pct'),
        numberCell(ledger, numberId({ ...ta, quantity: 'aucRatio' }), 'ratio'),
        numberCell(ledger, numberId({ ...sa, quantity: 'sdcRate' }), 'pct2'),
        numberCell(ledger, numberId({ ...sa, quantity: 'sdcBits' }), 'bits'),
      ],
    };
  });
  return {
    id: `table-tolerance-${groupSlug(g)}`,
    caption: `Fault tolerance: ${g.model} under ${fm}`,
    rowHead: 'Variant',
    columns,
    rows,
    note: `Higher is more tolerant except for the SDC columns. Ratios compare with the unpruned ${g.model}; > / < and ≥ / ≤ mark bounds where the swept BERs do not reach the threshold. Intervals: bootstrap over trials (BER columns), Wilson (SDC columns).`,
  };
}

function ledgerConfidence(ledger: Ledger): number {
  return ledger.get(
    numberId({ section: 'option', model: '', faultModel: '', variant: '', quantity: 'confidence' }),
  ).value!;
}

/** Mean accuracy at each BER, one column per BER of the group. */
export function accuracyTable(data: ReportData, g: GroupStats, ledger: Ledger): Table {
  const bers = [...new Set(g.sweeps.flatMap((s) => s.points.map((p) => p.ber)))].sort((a, b) => a - b);
  const trials = [...new Set(g.sweeps.flatMap((s) => s.points.map((p) => p.trials)))];
  return {
    id: `table-accuracy-${groupSlug(g)}`,
    caption: `Mean accuracy at each bit error rate: ${g.model} under ${g.faultModel.label}`,
    rowHead: 'Variant',
    columns: bers.map((b) => ({
      label: `BER ${fmtSci(b)}`,
      tip: `Mean accuracy over trials at BER ${b}; t interval`,
    })),
    rows: g.sweeps.map((s) => ({
      label: data.variants.find((v) => v.id === s.variantId)!.label,
      cells: bers.map((b) =>
        numberCell(
          ledger,
          numberId({
            section: 'accuracy',
            model: g.model,
            faultModel: g.faultModel.label,
            variant: s.variantId,
            quantity: 'meanAccuracy',
            key: String(b),
          }),
          'pct',
        ),
      ),
    })),
    note: `Mean over ${trials.length === 1 ? `${trials[0]} trials` : `${Math.min(...trials)}–${Math.max(...trials)} trials`} per point, each trial flipping every stored bit independently with probability BER; Student t intervals.`,
  };
}

const metricLabel = (m: Comparison['metric']): string =>
  m === 'threshold' ? 'tolerable BER' : 'normalized AUC';

const FAMILY_TEXT: Record<Comparison['family'], string> = {
  'vs-unpruned': 'vs unpruned',
  'between-pruned': 'between pruned',
  'cross-check': 'cross-check vs unpruned',
  'cross-check-between': 'cross-check between pruned',
};

/**
 * Each pruning method's AUC ratio to the unpruned model and its Holm-adjusted p-value in every
 * group: the numbers behind the across-models answer.
 */
export function acrossTable(a: AcrossModels, ledger: Ledger): Table {
  return {
    id: 'table-across-models',
    caption: 'Pruning methods across models: normalized AUC against each unpruned model',
    rowHead: 'Method',
    columns: a.columns.flatMap((col) => [
      {
        label: `AUC × unpruned, ${col}`,
        tip: 'AUC relative to that model’s unpruned variant; bootstrap interval',
      },
      {
        label: `Holm p, ${col}`,
        tip: 'Holm-adjusted p-value within that model’s family of tests against its unpruned variant',
      },
    ]),
    rows: a.rows.map((r) => ({
      label: r.label,
      cells: a.groups.flatMap((g, i) => {
        const c = r.cells[i]?.comparison;
        const at = (quantity: string): string =>
          c
            ? numberId({
                section: 'comparison',
                model: g.model,
                faultModel: g.faultModel.label,
                variant: c.a,
                other: c.b,
                quantity,
                key: c.family,
              })
            : '';
        return [numberCell(ledger, at('aucRatio'), 'ratio'), numberCell(ledger, at('pHolm'), 'p')];
      }),
    })),
    note: 'Ratios above 1 mean more tolerant than the unpruned model; a p-value below α marks a difference that survives Holm correction within its model. A dash: the method was not run on that model.',
  };
}

/** Every Holm-corrected comparison of the group. */
export function comparisonTable(data: ReportData, g: GroupStats, ledger: Ledger): Table {
  const label = (id: string): string => data.variants.find((v) => v.id === id)!.label;
  return {
    id: `table-comparisons-${groupSlug(g)}`,
    caption: `All comparisons: ${g.model} under ${g.faultModel.label} (by ${metricLabel(g.primary)}${g.comparisons.some((c) => c.family === 'cross-check') ? `; the cross-check families by ${metricLabel('auc')}` : ''})`,
    rowHead: 'Variant',
    columns: [
      { label: 'Against', tip: 'The second variant of the ratio' },
      { label: 'Family', tip: 'Holm correction is applied within each family' },
      { label: 'Ratio', tip: 'Metric of the row variant divided by that of the other; bootstrap interval' },
      { label: 'p', tip: 'Two-sided bootstrap p-value of "no difference"' },
      { label: 'Holm p', tip: 'Holm-adjusted p-value within the family' },
      { label: 'Pairing', tip: 'Paired when both variants’ trials used the same fault seeds' },
    ],
    rows: g.comparisons.map((c) => {
      const a = {
        section: 'comparison',
        model: g.model,
        faultModel: g.faultModel.label,
        variant: c.a,
        other: c.b,
        key: c.family,
      };
      return {
        label: label(c.a),
        cells: [
          textCell(label(c.b)),
          textCell(FAMILY_TEXT[c.family]),
          numberCell(ledger, numberId({ ...a, quantity: `${c.metric}Ratio` }), 'ratio'),
          numberCell(ledger, numberId({ ...a, quantity: 'p' }), 'p'),
          numberCell(ledger, numberId({ ...a, quantity: 'pHolm' }), 'p'),
          textCell(c.ratio.paired ? 'paired' : 'unpaired'),
        ],
      };
    }),
    note: 'A difference counts as shown only when its Holm-adjusted p-value is below α; otherwise the evidence is weak.',
  };
}

/** The seeds the study used. */
export function seedsTable(data: ReportData, ledger: Ledger): Table {
  return {
    id: 'table-seeds',
    caption: 'Seeds',
    rowHead: 'Purpose',
    columns: [{ label: 'Seed', tip: 'Pass the same seed to reproduce this step' }],
    rows: Object.keys(data.provenance.seeds).map((k) => ({
      label: k,
      cells: [numberCell(ledger, numberId(provenanceAddress('seed', k)), 'plain')],
    })),
    note: '',
  };
}

/** The study's step durations. */
export function durationsTable(data: ReportData, ledger: Ledger): Table {
  return {
    id: 'table-durations',
    caption: 'Durations',
    rowHead: 'Step',
    columns: [{ label: 'Wall-clock time', tip: 'As measured by the study runner' }],
    rows: data.provenance.durations.map((x, i) => ({
      label: x.step,
      cells: [
        numberCell(ledger, numberId(provenanceAddress('duration', durationLabel(i, x.step))), 'seconds'),
      ],
    })),
    note: '',
  };
}
