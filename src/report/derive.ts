/**
 * The statistics a report shows, derived from ReportData alone: per-BER accuracy intervals, the
 * tolerance threshold (BER at which mean accuracy falls `drop` below clean, interpolated on log
 * BER) and the normalized area under the accuracy-vs-log-BER curve, each with a bootstrap interval
 * over trials; ratios to the unpruned model; pairwise comparisons with Holm-adjusted p-values;
 * Wilson intervals for single-fault SDC rates; and the cost side (clean accuracy, size).
 *
 * The bootstrap resamples trials within each BER point (stratified, as the campaign drew them).
 * Trials that carry the same fault seeds in two sweeps are resampled with the same indices, so
 * comparing those sweeps is a paired bootstrap; other sweeps get their own streams and are
 * compared as independent samples. The replicates are kept (not just intervals, as
 * stats' stratifiedBootstrap returns) because one set per sweep serves the threshold, the AUC,
 * every ratio and every comparison's p-value. Every stream is split from one seeded Rng, so the
 * same input always gives the same numbers.
 *
 * A threshold beyond the swept range is censored: it is kept at the range end (a bound), and a
 * ratio or comparison built from it is computed from the clamped values. Clamping is monotone, so
 * it can turn a difference into a tie but never reverse its sign: p-values only get larger, and
 * no claim is made that the data do not support.
 */
import { mustGet, nth } from '../core/checked.js';
import { Rng } from '../core/rng.js';
import {
  aucLogX,
  boundedMeanInterval,
  holmAdjust,
  type Interval,
  mean,
  percentileInterval,
  thresholdCrossing,
  twoProportionZTest,
  wilsonInterval,
} from '../stats/index.js';
import type { BitSweep, FaultModelInfo, ReportData, Variant } from './model.js';

/** Options of the derived statistics (all have defaults). */
export interface DeriveOptions {
  /** Accuracy drop (absolute, as a fraction: 0.05 = 5 points) that defines the tolerance threshold. */
  drop?: number;
  /** Confidence level of every interval. */
  confidence?: number;
  /** Family-wise error rate for the Holm-corrected comparisons. */
  alpha?: number;
  /** Minimum bootstrap replicates; raised when many comparisons need finer p-values. */
  bootstrap?: number;
  /** Seed of the bootstrap streams. */
  seed?: number | string;
  /**
   * Clean-accuracy loss (fraction of the unpruned model's, absolute: 0.10 = 10 points) beyond
   * which a pruned variant is not ranked for fault tolerance: a model that has lost its accuracy
   * has little left to lose under faults, so its tolerance says nothing about the method.
   */
  maxCleanLoss?: number;
}

/** The options after defaults, as recorded in the report. */
export type ResolvedDeriveOptions = Required<DeriveOptions>;

/** An estimate with interval. */
export interface Est {
  value: number;
  lo: number;
  hi: number;
}

/**
 * Where a threshold lies relative to the swept BERs: 'above' = accuracy never fell that far
 * (the true threshold is higher than the largest BER), 'below' = it had already fallen at the
 * smallest BER.
 */
export type Censor = 'none' | 'above' | 'below';

/** A threshold BER with its interval; open ends are bounds, not estimates. */
export interface ThresholdEst extends Est {
  censored: Censor;
  loOpen: boolean;
  hiOpen: boolean;
}

/**
 * A ratio a/b with interval. `bound` says whether the point estimate is exact, a lower bound
 * ('lower': the true ratio is at least this), an upper bound, or unknown (both beyond the range
 * on the same side).
 */
export interface RatioEst extends Est {
  bound: 'none' | 'lower' | 'upper' | 'unknown';
  loOpen: boolean;
  hiOpen: boolean;
  /** The bootstrap paired trials by fault seed at every BER. */
  paired: boolean;
}

/** Accuracy at one BER over trials. */
export interface PointStats {
  ber: number;
  trials: number;
  /** Mean accuracy with a t interval over trials. */
  accuracy: Est;
  /** Mean fraction of images whose top-1 changed. */
  sdcRate: number;
  /** Mean fraction of images correct without faults and wrong with them. */
  criticalRate: number;
  /** Mean fraction of images with NaN/Inf logits. */
  nonFiniteRate: number;
  meanFaults: number;
}

/** One variant's BER sweep, summarized. */
export interface SweepStats {
  variantId: string;
  /** The reference accuracy for the threshold, and where it was measured. */
  clean: number;
  cleanSource: 'sweep' | 'variant';
  /** Accuracy level that defines the threshold: clean − drop. */
  level: number;
  /** Fewest trials at any BER of the sweep (intervals need at least 2). */
  minTrials: number;
  points: PointStats[];
  threshold: ThresholdEst;
  /** Mean accuracy over the group's common log-BER range (normalized AUC), null if < 2 common BERs. */
  auc: Est | null;
  /** Ratios to the unpruned model of the same base model (null for the baseline or without one). */
  vsBaseline: { threshold: RatioEst; auc: RatioEst | null } | null;
}

/** A Holm-corrected comparison of two variants. */
export interface Comparison {
  /**
   * 'vs-unpruned': each pruned variant against the baseline; 'between-pruned': all pairs of
   * pruned variants (both on the group's primary metric). When the primary metric is the
   * threshold, the same two families by AUC: 'cross-check' (against the baseline) and
   * 'cross-check-between', to show whether the verdict and the ranking depend on the metric.
   */
  family: 'vs-unpruned' | 'between-pruned' | 'cross-check' | 'cross-check-between';
  a: string;
  b: string;
  metric: 'threshold' | 'auc';
  /** metric(a) / metric(b). */
  ratio: RatioEst;
  /** Two-sided bootstrap p-value of "ratio = 1". */
  p: number;
  /** Holm-adjusted within the family. */
  pHolm: number;
  significant: boolean;
  /**
   * Both sweeps have at least 2 trials at every BER. With one trial there is no estimate of the
   * trial-to-trial spread, so no interval or test is possible: p is 1 and the interval NaN.
   */
  testable: boolean;
}

/** Single-fault sweep summary of one variant. */
export interface BitStats {
  variantId: string;
  experiments: number;
  /** Probability that one flipped bit changes some image's top-1 (Wilson interval). */
  sdcRate: Est;
  /** Probability that one flipped bit turns some correct image wrong (Wilson interval). */
  criticalRate: Est;
  /** Bits of weight memory under this fault model's storage format. */
  storedBits: number;
  /**
   * SDC-prone bits: sdcRate × storedBits, the expected number of bits whose flip corrupts an
   * output. For a fixed raw error rate per bit, the model's SDC rate is proportional to it.
   */
  sdcBits: Est;
  byBit: { bit: number; experiments: number; rate: Est; critical: Est }[];
  byLayer: { layer: string; sparsity: number; storedBits: number; experiments: number; rate: Est }[];
}

/** The cost side of one variant. */
export interface CostStats {
  variantId: string;
  /** Clean test accuracy (Wilson interval over the test images). */
  clean: Est;
  /** Clean accuracy minus the baseline's (Newcombe hybrid score interval, unpaired). */
  cleanDiff: Est | null;
  nonzeroRatio: number | null;
  /** Stored bits relative to the baseline under this fault model's storage format. */
  memoryRatio: number | null;
  memoryBits: number | null;
}

/** Everything derived for one base model under one fault model. */
export interface GroupStats {
  /** 'model|fault model label'. */
  key: string;
  model: string;
  faultModel: FaultModelInfo;
  baselineId: string | null;
  /** Variants of this model that appear in the group, baseline first. */
  variantIds: string[];
  /** BERs swept by every variant of the group: the range of the normalized AUC. */
  grid: number[];
  /** Metric of the comparisons and conclusion, and why. */
  primary: 'threshold' | 'auc';
  primaryReason: string;
  sweeps: SweepStats[];
  bits: BitStats[];
  costs: CostStats[];
  comparisons: Comparison[];
  /** Bootstrap replicates used for this group. */
  bootstrap: number;
}

/** All derived statistics of a report. */
export interface Derived {
  options: ResolvedDeriveOptions;
  groups: GroupStats[];
}

const DEFAULTS: ResolvedDeriveOptions = {
  drop: 0.05,
  confidence: 0.95,
  alpha: 0.05,
  bootstrap: 4000,
  seed: 'prunefi-report',
  maxCleanLoss: 0.1,
};

/** Resolves derive options, checking their ranges (RangeError naming the option). */
export function resolveDeriveOptions(o: DeriveOptions = {}): ResolvedDeriveOptions {
  const r = {
    ...DEFAULTS,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
  } as ResolvedDeriveOptions;
  if (!(r.drop > 0 && r.drop < 1))
    throw new RangeError(`report option drop must be in (0, 1) (e.g. 0.05 for 5 points), got ${r.drop}`);
  if (!(r.confidence > 0 && r.confidence < 1))
    throw new RangeError(`report option confidence must be in (0, 1), got ${r.confidence}`);
  if (!(r.alpha > 0 && r.alpha < 1))
    throw new RangeError(`report option alpha must be in (0, 1), got ${r.alpha}`);
  if (!(r.maxCleanLoss > 0 && r.maxCleanLoss <= 1))
    throw new RangeError(
      `report option maxCleanLoss must be in (0, 1] (e.g. 0.1 for 10 points), got ${r.maxCleanLoss}`,
    );
  if (!(Number.isSafeInteger(r.bootstrap) && r.bootstrap >= 200)) {
    throw new RangeError(`report option bootstrap must be an integer >= 200, got ${r.bootstrap}`);
  }
  return r;
}

const toEst = (iv: Interval): Est => ({ value: iv.estimate, lo: iv.lower, hi: iv.upper });

/** Key of a group: one base model under one fault model. */
export function groupKey(model: string, faultLabel: string): string {
  return `${model}|${faultLabel}`;
}

/**
 * Threshold of one mean curve: the first crossing of `clean − drop` on log BER. A censored
 * threshold is clamped to the end of the swept range it lies beyond (see the module comment).
 */
export function thresholdOf(
  bers: readonly number[],
  means: readonly number[],
  clean: number,
  drop: number,
): { ber: number; censored: Censor } {
  const first = nth(bers, 0);
  const last = nth(bers, bers.length - 1);
  if (bers.length < 2)
    return nth(means, 0) < clean - drop
      ? { ber: first, censored: 'below' }
      : { ber: last, censored: 'above' };
  const c = thresholdCrossing(bers, means, clean, drop);
  return { ber: c.censored === 'below' ? first : c.censored === 'above' ? last : c.x, censored: c.censored };
}

/** One sweep prepared for resampling: BER points sorted, trials sorted by seed when seeded. */
interface Prepared {
  variantId: string;
  bers: number[];
  acc: Float64Array[];
  /** Resampling stream key per point: the seed list when every trial has a unique seed. */
  keys: string[];
  minTrials: number;
}

function prepare(s: ReportData['berSweeps'][number]): Prepared {
  const pts = [...s.points].sort((a, b) => a.ber - b.ber);
  const keys: string[] = [];
  const acc = pts.map((p) => {
    const seeded =
      p.trials.every((t) => t.seed !== undefined) &&
      new Set(p.trials.map((t) => t.seed)).size === p.trials.length;
    const trials = seeded ? [...p.trials].sort((a, b) => a.seed! - b.seed!) : p.trials;
    keys.push(seeded ? `seeds:${trials.map((t) => t.seed).join(',')}` : `variant:${s.variantId}`);
    return Float64Array.from(trials, (t) => t.accuracy);
  });
  return {
    variantId: s.variantId,
    bers: pts.map((p) => p.ber),
    acc,
    keys,
    minTrials: Math.min(...acc.map((a) => a.length)),
  };
}

/**
 * Replicate mean curves: out[p][j] is the mean accuracy at point p in replicate j. Sweeps whose
 * trials share seeds at a point draw the same indices there (paired resampling); the index
 * draws are cached per stream, so a paired design draws them once for all variants.
 */
function replicate(p: Prepared, B: number, rng: Rng, cache: Map<string, Int32Array>): Float64Array[] {
  return p.acc.map((a, i) => {
    const n = a.length;
    const key = `${p.bers[i]}\u0000${p.keys[i]}`;
    let idx = cache.get(key);
    if (!idx) {
      const stream = rng.split('point', String(p.bers[i]), nth(p.keys, i));
      idx = new Int32Array(B * n);
      for (let k = 0; k < idx.length; k++) idx[k] = stream.int(n);
      cache.set(key, idx);
    }
    const out = new Float64Array(B);
    for (let j = 0; j < B; j++) {
      let s = 0;
      for (let k = j * n; k < (j + 1) * n; k++) s += a[idx[k]!]!;
      out[j] = s / n;
    }
    return out;
  });
}

/** Bootstrap-replicated metrics of one sweep (threshold in log10 BER, AUC), plus point estimates. */
interface Replicated {
  prep: Prepared;
  thr: { ber: number; censored: Censor };
  logThr: Float64Array;
  auc: number | null;
  aucRep: Float64Array | null;
  logAuc?: Float64Array;
}

function percentileEst(value: number, reps: Float64Array, confidence: number): Est {
  return toEst(percentileInterval(value, reps, confidence));
}

function bootP(d: Float64Array): number {
  let le = 0;
  let ge = 0;
  for (const x of d) {
    if (x <= 0) le++;
    if (x >= 0) ge++;
  }
  return Math.min(1, (2 * (1 + Math.min(le, ge))) / (d.length + 1));
}

function bothPaired(a: Prepared, b: Prepared): boolean {
  return a.bers.every((ber, i) => {
    const j = b.bers.indexOf(ber);
    return j < 0 || (a.keys[i] === b.keys[j] && nth(a.keys, i).startsWith('seeds:'));
  });
}

const censorDir = (c: Censor): number => (c === 'above' ? 1 : c === 'below' ? -1 : 0);

/** Ratio of two replicated metrics a/b from their log10 replicates. */
function ratioOf(
  a: { value: number; rep: Float64Array; censored: Censor; loOpen: boolean; hiOpen: boolean },
  b: { value: number; rep: Float64Array; censored: Censor; loOpen: boolean; hiOpen: boolean },
  paired: boolean,
  confidence: number,
  testable: boolean,
): { ratio: RatioEst; diff: Float64Array } {
  const diff = new Float64Array(a.rep.length);
  // Untestable: an all-zero difference gives p = 1; the interval is NaN (unknown), not zero-width.
  if (testable) for (let j = 0; j < diff.length; j++) diff[j] = a.rep[j]! - b.rep[j]!;
  const e = testable
    ? percentileEst(a.value / b.value, diff, confidence)
    : { value: a.value / b.value, lo: Number.NaN, hi: Number.NaN };
  const da = censorDir(a.censored);
  const db = censorDir(b.censored);
  const bound = da !== 0 && da === db ? 'unknown' : da - db > 0 ? 'lower' : da - db < 0 ? 'upper' : 'none';
  return {
    ratio: {
      value: e.value,
      lo: 10 ** e.lo,
      hi: 10 ** e.hi,
      bound,
      loOpen: a.loOpen || b.hiOpen,
      hiOpen: a.hiOpen || b.loOpen,
      paired,
    },
    diff,
  };
}

function thresholdEst(r: Replicated, confidence: number): ThresholdEst {
  if (r.prep.minTrials < 2) {
    return {
      value: r.thr.ber,
      lo: Number.NaN,
      hi: Number.NaN,
      censored: r.thr.censored,
      loOpen: false,
      hiOpen: false,
    };
  }
  const e = percentileEst(Math.log10(r.thr.ber), r.logThr, confidence);
  const lo = nth(r.prep.bers, 0);
  const hi = nth(r.prep.bers, r.prep.bers.length - 1);
  return {
    value: r.thr.ber,
    lo: 10 ** e.lo,
    hi: 10 ** e.hi,
    censored: r.thr.censored,
    loOpen: 10 ** e.lo <= lo * (1 + 1e-9),
    hiOpen: 10 ** e.hi >= hi * (1 - 1e-9),
  };
}

function bitStats(s: BitSweep, v: Variant, confidence: number): BitStats {
  const w = (k: number, n: number): Est =>
    n > 0 ? toEst(wilsonInterval(k, n, confidence)) : { value: Number.NaN, lo: Number.NaN, hi: Number.NaN };
  const storedBits =
    v.memoryBits[s.faultModel.storageFormat] ?? s.byLayer.reduce((t, l) => t + l.storedBits, 0);
  const rate = w(s.total.sdcExperiments, s.total.experiments);
  return {
    variantId: s.variantId,
    experiments: s.total.experiments,
    sdcRate: rate,
    criticalRate: w(s.total.criticalExperiments, s.total.experiments),
    storedBits,
    sdcBits: { value: rate.value * storedBits, lo: rate.lo * storedBits, hi: rate.hi * storedBits },
    byBit: [...s.byBit]
      .sort((a, b) => a.bit - b.bit)
      .map((b) => ({
        bit: b.bit,
        experiments: b.experiments,
        rate: w(b.sdcExperiments, b.experiments),
        critical: w(b.criticalExperiments, b.experiments),
      })),
    byLayer: s.byLayer.map((l) => ({
      layer: l.layer,
      sparsity: l.sparsity,
      storedBits: l.storedBits,
      experiments: l.experiments,
      rate: w(l.sdcExperiments, l.experiments),
    })),
  };
}

function costStats(v: Variant, base: Variant | null, storage: string, confidence: number): CostStats {
  const clean =
    v.cleanTotal > 0
      ? toEst(wilsonInterval(v.cleanCorrect, v.cleanTotal, confidence))
      : { value: v.cleanAccuracy, lo: Number.NaN, hi: Number.NaN };
  const bits = v.memoryBits[storage] ?? null;
  const baseBits = base?.memoryBits[storage];
  return {
    variantId: v.id,
    clean,
    cleanDiff:
      base && base.id !== v.id && v.cleanTotal > 0 && base.cleanTotal > 0
        ? toEst(
            twoProportionZTest(v.cleanCorrect, v.cleanTotal, base.cleanCorrect, base.cleanTotal, confidence)
              .difference,
          )
        : null,
    nonzeroRatio: base && base.nonzeroParams > 0 ? v.nonzeroParams / base.nonzeroParams : null,
    memoryRatio: bits !== null && baseBits ? bits / baseBits : null,
    memoryBits: bits,
  };
}

/**
 * Derives every statistic the report shows. Groups are (base model, fault model) pairs in order
 * of first appearance; within a group the unpruned baseline comes first, then variants in input
 * order.
 */
export function deriveStatistics(data: ReportData, options: DeriveOptions = {}): Derived {
  const opt = resolveDeriveOptions(options);
  const byId = new Map(data.variants.map((v) => [v.id, v]));
  const keys: string[] = [];
  const fms = new Map<string, FaultModelInfo>();
  for (const s of [...data.berSweeps, ...data.bitSweeps]) {
    const v = mustGet(byId, s.variantId);
    const k = groupKey(v.model, s.faultModel.label);
    if (!fms.has(k)) {
      keys.push(k);
      fms.set(k, s.faultModel);
    }
  }
  const root = Rng.seeded(opt.seed);
  const groups = keys.map((key) =>
    deriveGroup(data, key, mustGet(fms, key), byId, opt, root.split('group', key)),
  );
  return { options: opt, groups };
}

function deriveGroup(
  data: ReportData,
  key: string,
  fm: FaultModelInfo,
  byId: Map<string, Variant>,
  opt: ResolvedDeriveOptions,
  rng: Rng,
): GroupStats {
  const model = mustGet(
    byId,
    [...data.berSweeps, ...data.bitSweeps].find(
      (s) => groupKey(mustGet(byId, s.variantId).model, s.faultModel.label) === key,
    )!.variantId,
  ).model;
  const inGroup = <T extends { variantId: string; faultModel: FaultModelInfo }>(s: T): boolean =>
    s.faultModel.label === fm.label && mustGet(byId, s.variantId).model === model;
  const sweeps = data.berSweeps.filter(inGroup);
  const bitSweeps = data.bitSweeps.filter(inGroup);
  const present = new Set([...sweeps, ...bitSweeps].map((s) => s.variantId));
  const baseline = data.variants.find((v) => v.model === model && v.method === 'none') ?? null;
  const variantIds = [
    ...(baseline && present.has(baseline.id) ? [baseline.id] : []),
    ...data.variants.filter((v) => present.has(v.id) && v.id !== baseline?.id).map((v) => v.id),
  ];
  const order = (id: string): number => variantIds.indexOf(id);
  sweeps.sort((a, b) => order(a.variantId) - order(b.variantId));
  bitSweeps.sort((a, b) => order(a.variantId) - order(b.variantId));

  const grid = sweeps.length
    ? [...new Set(sweeps.flatMap((s) => s.points.map((p) => p.ber)))]
        .filter((b) => sweeps.every((s) => s.points.some((p) => p.ber === b)))
        .sort((a, b) => a - b)
    : [];
  const pairs = (sweeps.length * (sweeps.length - 1)) / 2;
  // Enough replicates that the smallest attainable p-value, 2/(B+1), passes Holm's first step.
  const B = Math.max(opt.bootstrap, Math.ceil((4 * Math.max(1, pairs)) / opt.alpha));

  const reps = new Map<string, Replicated>();
  const draws = new Map<string, Int32Array>();
  const sweepStats: SweepStats[] = sweeps.map((s) => {
    const v = mustGet(byId, s.variantId);
    const clean = s.cleanAccuracy ?? v.cleanAccuracy;
    const level = clean - opt.drop;
    const prep = prepare(s);
    const curves = replicate(prep, B, rng, draws);
    const means = prep.acc.map(mean);
    const thr = thresholdOf(prep.bers, means, clean, opt.drop);
    const logThr = new Float64Array(B);
    const col = new Array<number>(prep.bers.length);
    const gi = grid.map((b) => prep.bers.indexOf(b));
    const aucRep = grid.length >= 2 ? new Float64Array(B) : null;
    for (let j = 0; j < B; j++) {
      for (let p = 0; p < col.length; p++) col[p] = curves[p]![j]!;
      logThr[j] = Math.log10(thresholdOf(prep.bers, col, clean, opt.drop).ber);
      if (aucRep)
        aucRep[j] = aucLogX(
          grid,
          gi.map((i) => col[i]!),
          { normalize: true },
        );
    }
    const auc =
      grid.length >= 2
        ? aucLogX(
            grid,
            gi.map((i) => means[i]!),
            { normalize: true },
          )
        : null;
    const r: Replicated = { prep, thr, logThr, auc, aucRep };
    reps.set(s.variantId, r);
    const points: PointStats[] = s.points
      .slice()
      .sort((a, b) => a.ber - b.ber)
      .map((p) => {
        const accs = p.trials.map((t) => t.accuracy);
        // Accuracy lives in [0, 1]; identical trials get a bound on a differing one, not zero width.
        const iv = accs.length >= 2 ? toEst(boundedMeanInterval(accs, opt.confidence)) : null;
        const accuracy = iv ?? { value: accs[0]!, lo: Number.NaN, hi: Number.NaN };
        const frac = (f: (t: (typeof p.trials)[number]) => number): number =>
          mean(p.trials.map((t) => f(t) / s.images));
        return {
          ber: p.ber,
          trials: p.trials.length,
          accuracy,
          sdcRate: frac((t) => t.sdc),
          criticalRate: frac((t) => t.criticalSdc),
          nonFiniteRate: frac((t) => t.nonFinite),
          meanFaults: mean(p.trials.map((t) => t.faults)),
        };
      });
    return {
      variantId: s.variantId,
      clean,
      cleanSource: s.cleanAccuracy === undefined ? 'variant' : 'sweep',
      level,
      minTrials: prep.minTrials,
      points,
      threshold: thresholdEst(r, opt.confidence),
      auc:
        aucRep && auc !== null
          ? prep.minTrials >= 2
            ? percentileEst(auc, aucRep, opt.confidence)
            : { value: auc, lo: Number.NaN, hi: Number.NaN }
          : null,
      vsBaseline: null,
    };
  });

  const side = (id: string, metric: 'threshold' | 'auc') => {
    const r = mustGet(reps, id);
    const st = sweepStats.find((s) => s.variantId === id)!;
    if (metric === 'threshold') {
      return {
        value: r.thr.ber,
        rep: r.logThr,
        censored: r.thr.censored,
        loOpen: st.threshold.loOpen,
        hiOpen: st.threshold.hiOpen,
      };
    }
    r.logAuc ??= Float64Array.from(r.aucRep!, (x) => Math.log10(x));
    return { value: r.auc!, rep: r.logAuc, censored: 'none' as Censor, loOpen: false, hiOpen: false };
  };
  const hasAuc = grid.length >= 2;
  const testable = (a: string, b: string): boolean =>
    mustGet(reps, a).prep.minTrials >= 2 && mustGet(reps, b).prep.minTrials >= 2;
  const baseSweep = baseline ? sweepStats.find((s) => s.variantId === baseline.id) : undefined;
  if (baseline && baseSweep) {
    for (const st of sweepStats) {
      if (st.variantId === baseline.id) continue;
      const paired = bothPaired(mustGet(reps, st.variantId).prep, mustGet(reps, baseline.id).prep);
      const ok = testable(st.variantId, baseline.id);
      st.vsBaseline = {
        threshold: ratioOf(
          side(st.variantId, 'threshold'),
          side(baseline.id, 'threshold'),
          paired,
          opt.confidence,
          ok,
        ).ratio,
        auc: hasAuc
          ? ratioOf(side(st.variantId, 'auc'), side(baseline.id, 'auc'), paired, opt.confidence, ok).ratio
          : null,
      };
    }
  }

  // The threshold is the headline metric, but it can only rank variants when the sweep brackets it.
  let primary: 'threshold' | 'auc' = 'threshold';
  let primaryReason = `the BER at which mean accuracy falls ${Math.round(opt.drop * 100)} points below clean`;
  const ref = baseSweep ? [baseSweep] : sweepStats;
  const censoredShare = ref.filter((s) => s.threshold.censored !== 'none').length / Math.max(1, ref.length);
  if (hasAuc && sweepStats.length > 0 && (baseSweep ? censoredShare > 0 : censoredShare > 0.5)) {
    primary = 'auc';
    primaryReason = baseSweep
      ? `the unpruned model's threshold lies outside the swept BERs, so variants are compared by normalized AUC (mean accuracy over the swept log-BER range)`
      : `most variants' thresholds lie outside the swept BERs, so variants are compared by normalized AUC (mean accuracy over the swept log-BER range)`;
  }

  const comparisons: Comparison[] = [];
  const family = (fam: Comparison['family'], list: [string, string][], metric = primary): void => {
    // A study with only its baseline measured so far (or no pruning at all) has nothing to test.
    if (!list.length) return;
    const raw = list.map(([a, b]) => {
      const paired = bothPaired(mustGet(reps, a).prep, mustGet(reps, b).prep);
      const ok = testable(a, b);
      const { ratio, diff } = ratioOf(side(a, metric), side(b, metric), paired, opt.confidence, ok);
      return { family: fam, a, b, metric, ratio, p: ok ? bootP(diff) : 1, testable: ok };
    });
    const adj = holmAdjust(raw.map((r) => r.p));
    raw.forEach((r, i) => {
      comparisons.push({ ...r, pHolm: nth(adj, i), significant: r.testable && nth(adj, i) < opt.alpha });
    });
  };
  if (primary === 'threshold' || hasAuc) {
    const pruned = sweepStats.map((s) => s.variantId).filter((id) => id !== baseline?.id);
    if (baseSweep) {
      const vsBase = pruned.map((id): [string, string] => [id, baseline!.id]);
      family('vs-unpruned', vsBase);
      // Only this way round: AUC is the primary metric only when thresholds are censored (the
      // baseline's, or most variants'), and then thresholds cannot cross-check it. The ratios reuse the replicates above, so this
      // family changes no other number of the report.
      if (hasAuc && primary === 'threshold') family('cross-check', vsBase, 'auc');
    }
    const between: [string, string][] = [];
    for (let i = 0; i < pruned.length; i++)
      for (let j = i + 1; j < pruned.length; j++) between.push([pruned[i]!, pruned[j]!]);
    family('between-pruned', between);
    if (hasAuc && primary === 'threshold') family('cross-check-between', between, 'auc');
  }

  const baseVariant = baseline && present.has(baseline.id) ? baseline : null;
  return {
    key,
    model,
    faultModel: fm,
    baselineId: baseVariant?.id ?? null,
    variantIds,
    grid,
    primary,
    primaryReason,
    sweeps: sweepStats,
    bits: bitSweeps.map((s) => bitStats(s, mustGet(byId, s.variantId), opt.confidence)),
    costs: variantIds.map((id) =>
      costStats(mustGet(byId, id), baseVariant, fm.storageFormat, opt.confidence),
    ),
    comparisons,
    bootstrap: B,
  };
}
