/**
 * The report at a glance: what a reader decides from before reading any prose. One figure puts
 * every pruned variant's tolerance ratio to its unpruned model (with its interval) on one axis,
 * grouped by model; one compact table gives per variant the clean accuracy, the size, that ratio
 * and a one-word verdict. Both come from the same derived statistics and ledger rows as the
 * detailed sections, so the glance can never disagree with them.
 */
import { unranked } from './across.js';
import { type ForestRow, forestPlot } from './charts/forest.js';
import type { Figure } from './charts/frame.js';
import { type SeriesStyle, styleVariants } from './charts/palette.js';
import { ratioInterval, ratioValue } from './conclude.js';
import type { Derived, GroupStats, RatioEst } from './derive.js';
import type { Ledger } from './ledger.js';
import type { ReportData } from './model.js';
import { numberId } from './numbers.js';
import { type Cell, numberCell, type Table, textCell } from './tables.js';

/** A style styleVariants made for this variant (it styles every variant of the model). */
function checked(style: Map<string, SeriesStyle>, id: string): SeriesStyle {
  const s = style.get(id);
  if (!s) throw new Error(`no series style for variant ${id}`);
  return s;
}

/** A group that can be summarized: it has an unpruned model and pruned variants compared with it. */
function comparable(g: GroupStats): boolean {
  return g.baselineId !== null && g.sweeps.some((s) => s.vsBaseline);
}

/** The ratio a group is judged by (tolerable BER or normalized AUC, see DESIGN.md). */
function primaryRatio(g: GroupStats, variantId: string): RatioEst | null {
  const v = g.sweeps.find((s) => s.variantId === variantId)?.vsBaseline;
  if (!v) return null;
  return g.primary === 'threshold' ? v.threshold : v.auc;
}

const metricShort = (g: GroupStats): 'tolerable BER' | 'AUC' =>
  g.primary === 'threshold' ? 'tolerable BER' : 'AUC';

/** Row labels: the model, plus the fault model when the report has several per model. */
function labeller(data: ReportData, d: Derived): (g: GroupStats, variantId: string) => string {
  const models = new Set(d.groups.map((g) => g.model));
  const several = d.groups.length > models.size;
  const labels = new Map(data.variants.map((v) => [v.id, v.label]));
  // Validated data has every variant a group names; the id is the honest label otherwise.
  return (g, id) => `${g.model}${several ? ` (${g.faultModel.label})` : ''} · ${labels.get(id) ?? id}`;
}

/** What the glance table says of a variant against its unpruned model. */
export const GLANCE_VERDICTS = [
  'reference',
  'more tolerant',
  'less tolerant',
  'no clear difference',
  'not testable',
  'not ranked (lost clean accuracy)',
] as const;

/** One of `GLANCE_VERDICTS`. */
export type GlanceVerdict = (typeof GLANCE_VERDICTS)[number];

/**
 * The one-word verdict of a variant against its unpruned model: its Holm-corrected test on the
 * group's primary metric, or why it has none.
 */
export function variantVerdict(d: Derived, g: GroupStats, variantId: string): GlanceVerdict {
  if (variantId === g.baselineId) return 'reference';
  if (unranked(d, g).has(variantId)) return 'not ranked (lost clean accuracy)';
  const c = g.comparisons.find((x) => x.family === 'vs-unpruned' && x.a === variantId);
  if (!c?.testable) return 'not testable';
  if (!c.significant) return 'no clear difference';
  return c.ratio.value > 1 ? 'more tolerant' : 'less tolerant';
}

/** The summary figure, or null when no group has pruned variants compared with an unpruned model. */
export function glanceFigure(data: ReportData, d: Derived): Figure | null {
  const groups = d.groups.filter(comparable);
  if (!groups.length) return null;
  const label = labeller(data, d);
  const conf = `${Math.round(d.options.confidence * 100)}%`;
  const rows: ForestRow[] = groups.flatMap((g) => {
    const style = styleVariants(data.variants.filter((v) => v.model === g.model));
    return g.sweeps
      .filter((s) => s.variantId !== g.baselineId)
      .map((s) => ({ s, r: primaryRatio(g, s.variantId) }))
      .filter((x): x is { s: typeof x.s; r: RatioEst } => x.r !== null)
      .sort((a, b) => (Number.isNaN(b.r.value) ? -1 : Number.isNaN(a.r.value) ? 1 : b.r.value - a.r.value))
      .map(({ s, r }) => ({
        label: label(g, s.variantId),
        style: checked(style, s.variantId),
        value: r.bound === 'unknown' ? Number.NaN : r.value,
        lo: r.lo,
        hi: r.hi,
        open: { lo: r.loOpen, hi: r.hiOpen },
        tip: `${label(g, s.variantId)}: ${metricShort(g)} ${ratioValue(r)} the unpruned model's, ${conf} CI ${ratioInterval(r)}; ${variantVerdict(d, g, s.variantId)}`,
        note: `${ratioValue(r)} ${g.primary === 'threshold' ? 'BER' : 'AUC'}`,
      }));
  });
  const title = 'At a glance: fault tolerance of each pruned variant relative to its unpruned model';
  return {
    id: 'glance',
    title,
    caption: `Each pruned variant's tolerable BER (BER) or normalized AUC (AUC), whichever its model is judged by, divided by its unpruned model's, with ${conf} bootstrap intervals; grouped by model, best first. Right of 1 is more tolerant; arrow ends continue beyond the swept range.`,
    svg: forestPlot({
      id: 'glance',
      title,
      desc: `Tolerance ratios of ${rows.length} pruned variants to their unpruned models: ${rows.map((r) => `${r.label} ${r.note}`).join('; ')}.`,
      xLabel: 'tolerance ÷ unpruned tolerance (log scale)',
      scale: 'log',
      rows,
      ref: { value: 1, label: 'same as unpruned' },
    }),
  };
}

/** The glance table's columns, after the variant. */
const GLANCE_COLUMNS: Table['columns'] = [
  { label: 'Clean accuracy', tip: 'Fault-free test accuracy; Wilson interval over test images' },
  { label: 'Size', tip: 'Non-zero parameters (what pruning leaves to store)' },
  {
    label: 'Tolerance × unpruned',
    tip: 'Ratio of the judged metric to the unpruned model’s; bootstrap interval',
  },
  {
    label: 'Judged by',
    tip: 'Tolerable BER, or normalized AUC when the sweep does not bracket the unpruned model’s',
  },
  { label: 'Verdict', tip: 'Holm-corrected test against the unpruned model on the judged metric' },
];

/** The compact summary table: one row per variant of every group, numbers from the ledger. */
export function glanceTable(data: ReportData, d: Derived, ledger: Ledger): Table {
  const label = labeller(data, d);
  const rows = d.groups.flatMap((g) =>
    g.variantIds.map((id) => {
      const va = { section: 'variant', model: g.model, faultModel: '', variant: id };
      const ta = { section: 'tolerance', model: g.model, faultModel: g.faultModel.label, variant: id };
      const ratio = g.primary === 'threshold' ? 'thresholdRatio' : 'aucRatio';
      const cells: Cell[] = [
        numberCell(ledger, numberId({ ...va, quantity: 'cleanAccuracy' }), 'pct'),
        numberCell(ledger, numberId({ ...va, quantity: 'nonzeroParams' }), 'si'),
        // The unpruned model has no ratio to itself: a dash, as in the tolerance table.
        numberCell(ledger, numberId({ ...ta, quantity: ratio }), 'ratio'),
        textCell(metricShort(g)),
        textCell(variantVerdict(d, g, id)),
      ];
      return { label: label(g, id), cells };
    }),
  );
  return {
    id: 'table-glance',
    caption: 'At a glance: every variant',
    rowHead: 'Variant',
    columns: GLANCE_COLUMNS,
    rows,
    note: 'Details, per model and fault model, follow below: the answer in words, then every table and figure.',
  };
}
