/**
 * The plain-language conclusion, computed from the derived statistics. Wording follows the
 * evidence: a difference is stated as a finding only when its Holm-adjusted p-value is below
 * alpha; otherwise the sentence says the evidence is weak and the intervals overlap. Numbers in
 * the text are formatted from the same values the tables and CSV carry.
 */

import { mustGet, nth } from '../core/checked.js';
import { type AcrossModels, unranked } from './across.js';
import type {
  Comparison,
  CostStats,
  Derived,
  GroupStats,
  RatioEst,
  SweepStats,
  ThresholdEst,
} from './derive.js';
import { fmtInterval, fmtP, fmtPct, fmtPoints, fmtRatio, fmtSci } from './format.js';
import type { ReportData, Variant } from './model.js';

/** What the data say about one base model under one fault model. */
export type Verdict = 'improves' | 'worsens' | 'mixed' | 'no-clear-effect' | 'no-baseline' | 'no-data';

/** The conclusion of one group: a headline verdict and supporting sentences. */
export interface GroupConclusion {
  key: string;
  verdict: Verdict;
  /** One sentence answering "does pruning improve fault tolerance here?". */
  headline: string;
  /** Which variant is most tolerant, how strong the evidence is, and at what cost. */
  details: string[];
  /** Caveats about the data or the method (reference accuracy, censoring, pairing). */
  notes: string[];
  /** The metric `best` ranks by: the group's primary metric. */
  metric: GroupStats['primary'];
  /** Most tolerant pruned variant by point estimate, and those it cannot be told apart from. */
  best: string | null;
  tiedWithBest: string[];
  /** The same by normalized AUC when that is the cross-check (the verdict is by tolerable BER). */
  aucBest: string | null;
  aucTiedWithBest: string[];
}

/** A p-value in a sentence: 'p = 0.031' or 'p < 0.001'. */
function pEq(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${fmtP(p)}`;
}

/** A ratio's point estimate as text: '6.2×', 'at least 8.0×', or 'not measurable'. */
export function ratioValue(r: RatioEst): string {
  if (r.bound === 'unknown') return 'not measurable';
  return `${r.bound === 'lower' ? '≥ ' : r.bound === 'upper' ? '≤ ' : ''}${fmtRatio(r.value)}`;
}

/** A ratio's interval as text: '4.1× to 9.4×', open ends marked with ≤ / ≥. */
export function ratioInterval(r: RatioEst): string {
  if (!(Number.isFinite(r.lo) && Number.isFinite(r.hi))) return 'unknown';
  return `${r.loOpen ? '≤ ' : ''}${fmtRatio(r.lo)} to ${r.hiOpen ? '≥ ' : ''}${fmtRatio(r.hi)}`;
}

/** How a ratio estimate reads in a sentence: '6.2× (95% CI 4.1× to 9.4×)'. */
export function describeRatio(r: RatioEst, confidence: number, extra = ''): string {
  if (r.bound === 'unknown')
    return `not measurable: both thresholds lie beyond the same end of the swept range${extra ? `; ${extra}` : ''}`;
  return `${ratioValue(r)} (${Math.round(confidence * 100)}% CI ${ratioInterval(r)}${extra ? `; ${extra}` : ''})`;
}

/** A threshold BER as text: '1.3×10⁻⁷' or '> 1.0×10⁻⁵' when censored. */
export function describeThreshold(t: ThresholdEst): string {
  return t.censored === 'above'
    ? `> ${fmtSci(t.value)}`
    : t.censored === 'below'
      ? `< ${fmtSci(t.value)}`
      : fmtSci(t.value);
}

function metricValue(g: GroupStats, s: SweepStats): string {
  return g.primary === 'threshold' ? describeThreshold(s.threshold) : fmtPct(s.auc!.value);
}

/** A metric's name in a sentence; `metricName` adds what it measures. */
const METRIC_SHORT_NAME: Record<GroupStats['primary'], string> = {
  threshold: 'tolerable BER',
  auc: 'normalized AUC',
};

function metricName(g: GroupStats, drop: number, metric = g.primary): string {
  if (metric === 'threshold')
    return `${METRIC_SHORT_NAME.threshold} (where mean accuracy has fallen ${Math.round(drop * 100)} points)`;
  return `${METRIC_SHORT_NAME.auc} (mean accuracy over BER ${fmtSci(nth(g.grid, 0))} to ${fmtSci(nth(g.grid, g.grid.length - 1))})`;
}

/** Pruned-vs-unpruned comparisons split by outcome, and the verdict they support. */
function tally(comps: readonly Comparison[]): {
  better: Comparison[];
  worse: Comparison[];
  weak: Comparison[];
  verdict: Verdict;
} {
  const better = comps.filter((c) => c.significant && c.ratio.value > 1);
  const worse = comps.filter((c) => c.significant && c.ratio.value < 1);
  const weak = comps.filter((c) => !c.significant);
  const verdict =
    better.length && worse.length
      ? 'mixed'
      : better.length
        ? 'improves'
        : worse.length
          ? 'worsens'
          : 'no-clear-effect';
  return { better, worse, weak, verdict };
}

/**
 * Whether a verdict by tolerable BER survives a change of metric: the same pruned-vs-unpruned
 * tests by normalized AUC (the threshold depends on where a curve crosses the drop line between
 * swept BERs and so has wide intervals; the AUC uses the whole curve), as one sentence;
 * null when there is no testable cross-check.
 */
function crossCheck(
  g: GroupStats,
  unusable: ReadonlySet<string>,
  verdict: Verdict,
  drop: number,
): string | null {
  const comps = g.comparisons.filter((c) => c.family === 'cross-check' && !unusable.has(c.a));
  if (!comps.length || !comps.some((c) => c.testable)) return null;
  const t = tally(comps);
  const metric = nth(comps, 0).metric;
  const outcome =
    t.verdict === verdict
      ? 'so the verdict is the same on both metrics'
      : `so on that metric ${VERDICT_TEXT[t.verdict]}: the verdict depends on the metric`;
  return `Cross-check on the other metric, ${metricName(g, drop, metric)}: ${t.better.length} of ${comps.length} pruned variants are more tolerant than the unpruned model after Holm correction and ${t.worse.length || 'none'} less, ${outcome}.`;
}

/** The comparison of a against b, oriented so the ratio is a/b. */
function oriented(c: Comparison, a: string): { ratio: RatioEst; c: Comparison } {
  if (c.a === a) return { ratio: c.ratio, c };
  const r = c.ratio;
  const flip = { lower: 'upper', upper: 'lower', none: 'none', unknown: 'unknown' } as const;
  return {
    ratio: {
      value: 1 / r.value,
      lo: 1 / r.hi,
      hi: 1 / r.lo,
      bound: flip[r.bound],
      loOpen: r.hiOpen,
      hiOpen: r.loOpen,
      paired: r.paired,
    },
    c,
  };
}

function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join('; ')}; and ${items[items.length - 1]}`;
}

/** Short items (names) as 'a, b and c'. */
function names(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function costSentence(
  label: string,
  cost: CostStats,
  base: Variant,
  baseCost: CostStats,
  storage: string,
  confidence: number,
): string {
  const parts: string[] = [];
  if (cost.cleanDiff) {
    const d = cost.cleanDiff;
    const ci = `${Math.round(confidence * 100)}% CI ${fmtInterval(fmtPoints(d.lo), fmtPoints(d.hi))}`;
    const change = d.hi < 0 ? 'a measurable loss' : d.lo > 0 ? 'a measurable gain' : 'no measurable change';
    parts.push(
      `clean accuracy ${fmtPct(cost.clean.value)} against ${fmtPct(baseCost.clean.value)} unpruned (${fmtPoints(d.value)}, ${ci}: ${change})`,
    );
  }
  if (cost.nonzeroRatio !== null)
    parts.push(`${fmtPct(cost.nonzeroRatio, 0)} of the unpruned model's non-zero parameters`);
  if (cost.memoryRatio !== null)
    parts.push(`${fmtRatio(cost.memoryRatio)} its stored bits in ${storage} format`);
  return parts.length
    ? `Cost of ${label}: ${parts.join('; ')}.`
    : `No cost figures relative to ${base.label} are available for ${label}.`;
}

/** Another pruned variant, compared with the best: the ratio best/other and its test. */
interface Rival {
  id: string;
  ratio: RatioEst;
  c: Comparison;
}

/**
 * The most tolerant of `pruned` by `metric` (point estimate) and its tests against each other
 * variant in `family`, best first; null when some variant has no value on that metric or the
 * family holds no test of the best.
 */
function rankBest(
  g: GroupStats,
  pruned: readonly SweepStats[],
  metric: 'threshold' | 'auc',
  family: Comparison['family'],
): { best: SweepStats; rivals: Rival[] } | null {
  const score = (s: SweepStats): number =>
    metric === 'threshold' ? s.threshold.value : (s.auc?.value ?? Number.NaN);
  if (!pruned.length || !pruned.every((s) => Number.isFinite(score(s)))) return null;
  const ranked = [...pruned].sort((a, b) => score(b) - score(a));
  const best = nth(ranked, 0);
  const tests = g.comparisons.filter(
    (c) => c.family === family && (c.a === best.variantId || c.b === best.variantId),
  );
  const rivals: Rival[] = [];
  for (const s of ranked.slice(1)) {
    const c = tests.find((x) => x.a === s.variantId || x.b === s.variantId);
    if (!c) return null;
    rivals.push({ id: s.variantId, ...oriented(c, best.variantId) });
  }
  return { best, rivals };
}

function conclude(data: ReportData, d: Derived, g: GroupStats): GroupConclusion {
  const conf = d.options.confidence;
  const alpha = d.options.alpha;
  const byId = new Map(data.variants.map((v) => [v.id, v]));
  const label = (id: string): string => mustGet(byId, id).label;
  const subject = `${g.model} under ${g.faultModel.label}`;
  const out: GroupConclusion = {
    key: g.key,
    verdict: 'no-data',
    headline: '',
    details: [],
    notes: [],
    metric: g.primary,
    best: null,
    tiedWithBest: [],
    aucBest: null,
    aucTiedWithBest: [],
  };
  if (g.sweeps.length === 0) {
    out.headline = `${subject}: no BER sweeps, so fault tolerance under accumulated faults cannot be compared.`;
  }
  // Variants that lost too much clean accuracy are reported, not ranked (see maxCleanLoss).
  const limit = d.options.maxCleanLoss;
  const unusable = unranked(d, g);
  const swept = new Set(g.sweeps.map((s) => s.variantId));
  const excluded = [...unusable].filter((id) => swept.has(id));
  const vsBase = g.comparisons.filter((c) => c.family === 'vs-unpruned' && !unusable.has(c.a));
  const metric = metricName(g, d.options.drop);
  if (g.sweeps.length > 0 && !g.sweeps.some((s) => s.variantId === g.baselineId)) {
    out.verdict = 'no-baseline';
    out.headline = `${subject}: the data have no BER sweep of the unpruned model, so whether pruning helps cannot be judged; only pruned variants are compared.`;
  } else if (vsBase.length > 0) {
    const { better, worse, weak, verdict } = tally(vsBase);
    const item = (c: Comparison): string =>
      `${label(c.a)}: ${describeRatio(c.ratio, conf, `adjusted ${pEq(c.pHolm)}`)}`;
    const n = vsBase.length;
    const has = (k: number): string => (k === 1 ? 'has' : 'have');
    out.verdict = verdict;
    if (verdict === 'improves') {
      out.headline = `Pruning improves the fault tolerance of ${subject}: ${better.length} of ${n} pruned variants ${has(better.length)} a higher ${metric} than the unpruned model, none a lower one.`;
    } else if (verdict === 'worsens') {
      out.headline = `Pruning reduces the fault tolerance of ${subject}: ${worse.length} of ${n} pruned variants ${has(worse.length)} a lower ${metric} than the unpruned model, none a higher one.`;
    } else if (verdict === 'mixed') {
      out.headline = `For ${subject} it depends on the method: ${better.length} of ${n} pruned variants are more fault-tolerant than the unpruned model and ${worse.length} less (by ${metric}).`;
    } else if (vsBase.every((c) => !c.testable)) {
      out.headline = `For ${subject} the data cannot tell whether pruning changes fault tolerance: with a single trial per BER the spread between fault draws is unknown, so no comparison can be tested.`;
    } else {
      out.headline = `For ${subject} the data do not show that pruning changes fault tolerance: no pruned variant's ${metric} differs from the unpruned model's after Holm correction, so the evidence is weak either way.`;
    }
    if (better.length)
      out.details.push(
        `More tolerant than unpruned (ratio of ${g.primary === 'threshold' ? 'tolerable BER' : 'AUC'}): ${list(better.map(item))}.`,
      );
    if (worse.length) out.details.push(`Less tolerant than unpruned: ${list(worse.map(item))}.`);
    if (weak.length) {
      out.details.push(
        `Weak evidence, the ${Math.round(conf * 100)}% interval includes no change or the difference does not survive Holm correction: ${list(weak.map(item))}.`,
      );
    }
    const cross = crossCheck(g, unusable, out.verdict, d.options.drop);
    if (cross) out.details.push(cross);
  } else if (g.sweeps.length === 1) {
    out.verdict = 'no-data';
    out.headline = `${subject}: only the unpruned model was swept, so there is nothing to compare.`;
  } else if (excluded.length && excluded.length === g.sweeps.length - 1) {
    out.verdict = 'no-data';
    out.headline = `${subject}: every pruned variant lost more than ${Math.round(limit * 100)} points of clean accuracy, so none is compared for fault tolerance.`;
  }
  if (excluded.length) {
    const costOf = (id: string): CostStats => g.costs.find((c) => c.variantId === id)!;
    const items = excluded.map(
      (id) =>
        `${label(id)} (clean accuracy ${fmtPct(costOf(id).clean.value)}, ${fmtPoints(costOf(id).cleanDiff!.value)})`,
    );
    out.details.push(
      `Not ranked, having lost more than ${Math.round(limit * 100)} points of the unpruned model's clean accuracy: ${list(items)}. A model that has lost its accuracy has little left to lose under faults, so its tolerance says nothing about the method; its curves and numbers are still shown (report option --max-clean-loss sets the limit).`,
    );
  }

  // Which pruned variant is most tolerant, and is it really ahead of the others?
  const pruned = g.sweeps.filter((s) => s.variantId !== g.baselineId && !unusable.has(s.variantId));
  const describe = (r: Rival): string =>
    `${label(r.id)} (ratio ${describeRatio(r.ratio, conf, `adjusted ${pEq(r.c.pHolm)}`)})`;
  const top = rankBest(g, pruned, g.primary, 'between-pruned');
  if (top) {
    const best = top.best;
    out.best = best.variantId;
    const vsB = best.vsBaseline?.[g.primary === 'threshold' ? 'threshold' : 'auc'];
    const baseText = vsB ? `, ${describeRatio(vsB, conf)} the unpruned model's` : '';
    let sentence = `Most tolerant pruned variant: ${label(best.variantId)}, ${METRIC_SHORT_NAME[g.primary]} ${metricValue(g, best)}${baseText}.`;
    if (top.rivals.length) {
      const tied = top.rivals.filter((r) => !r.c.significant);
      const ahead = top.rivals.filter((r) => r.c.significant && r.ratio.value > 1);
      out.tiedWithBest = tied.map((r) => r.id);
      if (tied.length === 0) {
        sentence += ` It is clearly ahead of every other pruned variant; the runner-up is ${describe(nth(top.rivals, 0))}.`;
      } else {
        sentence += ` But the evidence that it beats ${list(tied.map(describe))} is weak: the intervals overlap and the difference does not survive Holm correction, so treat ${tied.length === 1 ? 'these two' : 'these'} as tied.`;
        if (ahead.length) sentence += ` It is clearly ahead of ${list(ahead.map((r) => label(r.id)))}.`;
      }
    }
    out.details.push(sentence);
    const byAuc = rankBest(g, pruned, 'auc', 'cross-check-between');
    if (byAuc) {
      out.aucBest = byAuc.best.variantId;
      const tied = byAuc.rivals.filter((r) => !r.c.significant);
      out.aucTiedWithBest = tied.map((r) => r.id);
      const rest = byAuc.rivals.length - tied.length;
      out.details.push(
        `By normalized AUC (the cross-check), the most tolerant pruned variant is ${label(byAuc.best.variantId)} (${fmtPct(byAuc.best.auc!.value)})${tied.length ? `, statistically tied with ${names(tied.map((r) => label(r.id)))}` : ''}${rest ? `${tied.length ? ' and' : ','} clearly ahead of ${rest === byAuc.rivals.length ? 'every other pruned variant' : `the other ${rest}`}` : ''}.`,
      );
    }
    const base = g.baselineId ? byId.get(g.baselineId) : undefined;
    const baseCost = g.costs.find((c) => c.variantId === g.baselineId);
    const shown = [best.variantId, ...out.tiedWithBest];
    for (const id of shown) {
      const cost = g.costs.find((c) => c.variantId === id);
      if (base && baseCost && cost)
        out.details.push(costSentence(label(id), cost, base, baseCost, g.faultModel.storageFormat, conf));
    }
    if (shown.some((id) => (g.costs.find((c) => c.variantId === id)?.memoryRatio ?? 0) >= 0.995)) {
      const fmt = g.faultModel.storageFormat;
      out.notes.push(
        `${fmt[0]!.toUpperCase()}${fmt.slice(1)} storage keeps pruned zeros, so unstructured pruning saves no memory in this fault model; the cost table lists the bits under every storage format.`,
      );
    }
  }

  const single = g.sweeps.filter((s) => s.minTrials < 2);
  if (single.length) {
    out.notes.push(
      `${list(single.map((s) => label(s.variantId)))} ${single.length > 1 ? 'have' : 'has'} a single trial at some BER: without a second trial the spread between fault draws is unknown, so no interval is given and no difference involving ${single.length > 1 ? 'them' : 'it'} is claimed. Run at least 2 (better 20 or more) trials per BER.`,
    );
  } else {
    const few = Math.min(...g.sweeps.map((s) => s.minTrials));
    if (g.sweeps.length && few < 10) {
      out.notes.push(
        `Only ${few} trials per BER in some sweeps: bootstrap intervals from so few trials tend to be too narrow, so treat results near the significance threshold with caution.`,
      );
    }
  }
  if (g.primary === 'auc' && g.sweeps.length)
    out.notes.push(`Compared by normalized AUC: ${g.primaryReason}.`);
  const fromVariant = g.sweeps.filter((s) => s.cleanSource === 'variant');
  if (fromVariant.length) {
    out.notes.push(
      `${fromVariant.length} sweep${fromVariant.length > 1 ? 's carry' : ' carries'} no fault-free accuracy on the fault-injection images, so ${fromVariant.length > 1 ? 'their thresholds are' : 'its threshold is'} measured from the test-set clean accuracy instead.`,
    );
  }
  if (g.comparisons.length) {
    const paired = g.comparisons.filter((c) => c.ratio.paired).length;
    const how =
      paired === g.comparisons.length
        ? 'paired by fault seed (trial i of each variant used the same seed)'
        : paired === 0
          ? 'unpaired (the trials do not share fault seeds)'
          : `paired by fault seed where trials share seeds (${paired} of ${g.comparisons.length}), unpaired otherwise`;
    out.notes.push(
      `Comparisons: bootstrap over trials (${g.bootstrap} replicates), ${how}; Holm correction within each family (pruned vs unpruned, pruned vs pruned${g.comparisons.some((c) => c.family === 'cross-check') ? ', and the same two by AUC as the cross-check' : ''}) at family-wise α = ${alpha}.`,
    );
  }
  const censored = g.sweeps.filter((s) => s.threshold.censored !== 'none');
  if (g.primary === 'threshold' && censored.length) {
    out.notes.push(
      `${list(censored.map((s) => `${label(s.variantId)} ${s.threshold.censored === 'above' ? 'never lost' : 'had already lost'} ${Math.round(d.options.drop * 100)} points ${s.threshold.censored === 'above' ? 'within' : 'at the start of'} the swept range`))}; ${censored.length > 1 ? 'their thresholds are bounds' : 'its threshold is a bound'}, and comparisons involving ${censored.length > 1 ? 'them' : 'it'} are conservative.`,
    );
  }
  if (g.bits.length) {
    const base = g.bits.find((b) => b.variantId === g.baselineId);
    const ranked = g.bits.filter((b) => !unusable.has(b.variantId));
    const lowest = nth(
      [...(ranked.length ? ranked : g.bits)].sort((a, b) => a.sdcBits.value - b.sdcBits.value),
      0,
    );
    const t = (b: (typeof g.bits)[number]): string =>
      `${label(b.variantId)} ${fmtPct(b.sdcRate.value, 2)} ${fmtInterval(fmtPct(b.sdcRate.lo, 2), fmtPct(b.sdcRate.hi, 2))} per flipped bit, ${fmtSci(b.sdcBits.value)} SDC-prone bits`;
    out.notes.push(
      `Single bit flips (descriptive, not tested): ${base ? `${t(base)}; ` : ''}fewest SDC-prone bits: ${t(lowest)}.`,
    );
  }
  return out;
}

const VERDICT_TEXT: Record<Verdict, string> = {
  improves: 'pruning improves fault tolerance',
  worsens: 'pruning reduces fault tolerance',
  mixed: 'whether pruning helps depends on the method',
  'no-clear-effect': 'no clear effect of pruning (weak evidence)',
  'no-baseline': 'no unpruned baseline to compare with',
  'no-data': 'nothing to compare',
};

/**
 * Which methods are more tolerant than the unpruned model in every group that measured them, in
 * some, in none, by normalized AUC (each group's own Holm-corrected tests), as one sentence.
 */
export function acrossAnswer(a: AcrossModels): string {
  const where = (r: AcrossModels['rows'][number]): string =>
    names(
      a.columns.filter((_, i) => {
        const c = r.cells[i];
        return c?.ranked && c.comparison.significant && c.comparison.ratio.value > 1;
      }),
    );
  const of = (o: AcrossModels['rows'][number]['outcome']) => a.rows.filter((r) => r.outcome === o);
  const parts = [
    `more tolerant on every ${a.unit} that ran it: ${names(of('everywhere').map((r) => r.label)) || 'none'}`,
  ];
  if (of('somewhere').length)
    parts.push(`on some only: ${names(of('somewhere').map((r) => `${r.label} (${where(r)})`))}`);
  if (of('nowhere').length) parts.push(`on none: ${names(of('nowhere').map((r) => r.label))}`);
  if (of('single').length)
    parts.push(`ranked on one ${a.unit} only, so not compared: ${names(of('single').map((r) => r.label))}`);
  return `Across ${names(a.columns)}, by normalized AUC against each model's unpruned variant (Holm-corrected within each ${a.unit}; variants that lost more than ${Math.round(a.maxCleanLoss * 100)} points of clean accuracy not counted): ${parts.join('; ')}.`;
}

/**
 * The one-paragraph short answer across all groups: the verdict per model and fault model and
 * the most tolerant pruned variant, naming the variants it is statistically tied with; then,
 * with several groups, the methods more tolerant in all of them.
 */
export function shortAnswer(
  data: ReportData,
  conclusions: readonly GroupConclusion[],
  across: AcrossModels | null = null,
): string {
  const label = (id: string): string => data.variants.find((v) => v.id === id)!.label;
  const parts = conclusions.map((c) => {
    const [model, fm] = c.key.split('|');
    const tiedWith = (ids: string[]): string =>
      ids.length ? ` (statistically tied with ${ids.map(label).join(', ')})` : '';
    // Name the metric: a reader comparing groups must not mistake an AUC ranking for a BER one.
    const best = c.best
      ? `; most tolerant pruned variant by ${METRIC_SHORT_NAME[c.metric]} ${label(c.best)}${tiedWith(c.tiedWithBest)}`
      : '';
    const byAuc = c.aucBest ? `; by normalized AUC ${label(c.aucBest)}${tiedWith(c.aucTiedWithBest)}` : '';
    return `${model} under ${fm}: ${VERDICT_TEXT[c.verdict]}${best}${byAuc}`;
  });
  const pending = data.pending?.length ?? 0;
  const partial = pending
    ? `Partial study (${pending} step${pending === 1 ? '' : 's'} still to run), so far: `
    : 'In short — ';
  const everywhere = across?.rows.filter((r) => r.outcome === 'everywhere') ?? [];
  let all = '';
  if (across) {
    const on = everywhere.every((r) => r.cells.every(Boolean))
      ? `${across.columns.length === 2 ? 'both' : 'all of'} ${names(across.columns)}`
      : `every ${across.unit} that ran it (of ${names(across.columns)})`;
    all = ` By normalized AUC, more tolerant than the unpruned model on ${on}: ${everywhere.length ? names(everywhere.map((r) => r.label)) : 'no method'}.`;
  }
  return `${partial}${parts.join('. ')}.${all}`;
}

/** Conclusions for every group of the derived statistics, in group order. */
export function concludeReport(data: ReportData, derived: Derived): GroupConclusion[] {
  return derived.groups.map((g) => conclude(data, derived, g));
}
