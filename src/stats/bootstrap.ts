/**
 * Intervals for means and other statistics of a sample: Student's t, and the bootstrap
 * (percentile and BCa) with a seeded `Rng`, so that every interval a report prints is replayable.
 * Also the stratified bootstrap behind the intervals of curve summaries (area under the
 * accuracy-vs-BER curve, tolerance thresholds, ratios between models): each BER point's trials are
 * resampled separately, as the campaign drew them.
 */
import { Rng } from '../core/rng.js';
import { checkConfidence, checkFunction, checkInteger, checkNumber, checkSample } from './args.js';
import type { Interval } from './interval.js';
import { normalCdf, normalQuantile, studentTCritical } from './special.js';
import { quantileSorted, sum, variance } from './summary.js';

/**
 * Student's t interval for a mean, x̄ ± t_{1−α/2, n−1} · s/√n (Student 1908, Biometrika 6:1–25).
 * Exact for normal data and robust for means of bounded outcomes such as accuracies when n is a
 * few tens. Needs n ≥ 2; a sample with zero spread gives the zero-width interval [x̄, x̄].
 */
export function tInterval(values: ArrayLike<number>, confidence = 0.95): Interval {
  const fn = 'tInterval';
  const xs = checkSample(fn, 'values', values, 2);
  checkConfidence(fn, confidence);
  const n = xs.length;
  const m = sum(xs) / n;
  const se = Math.sqrt(Math.max(0, variance(xs)) / n);
  const half = se === 0 ? 0 : studentTCritical(confidence, n - 1) * se;
  return { estimate: m, lower: m - half, upper: m + half, confidence, method: 't' };
}

/** What every bootstrap takes: the generator (required: randomness is always passed in) and sizes. */
export interface BootstrapOptions {
  rng: Rng;
  /** Number of resamples; 2000 by default (Efron & Tibshirani 1993, §19.3, for interval endpoints). */
  resamples?: number;
  confidence?: number;
}

/** A statistic of a sample (resampled copies are passed as Float64Array). */
export type Statistic = (sample: Float64Array) => number;

function checkBootstrap(
  fn: string,
  options: BootstrapOptions,
): { rng: Rng; resamples: number; confidence: number } {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${fn}: options must be an object with an rng, got ${String(options)}`);
  if (!(options.rng instanceof Rng))
    throw new TypeError(
      `${fn}: options.rng must be an Rng (e.g. Rng.seeded(seed).split('bootstrap')), got ${String(options.rng)}`,
    );
  const resamples = checkInteger(
    fn,
    'options.resamples',
    options.resamples ?? 2000,
    100,
    1e8,
    'use at least 100 resamples (2000 or more for 95% endpoints)',
  );
  const confidence = checkConfidence(fn, options.confidence ?? 0.95);
  return { rng: options.rng, resamples, confidence };
}

const meanStatistic: Statistic = (s) => sum(s) / s.length;

function checkReplicates(fn: string, replicates: ArrayLike<number>): Float64Array {
  const sorted = Float64Array.from(replicates);
  if (sorted.length < 2)
    throw new RangeError(`${fn}: replicates needs at least 2 values, got ${sorted.length}`);
  for (let i = 0; i < sorted.length; i++) {
    if (Number.isNaN(sorted[i]!))
      throw new RangeError(`${fn}: replicate ${i} is NaN; the statistic must be defined on every resample`);
  }
  return sorted.sort();
}

/**
 * The bootstrap percentile interval (Efron 1979; Efron & Tibshirani 1993, §13.3): the α/2 and
 * 1 − α/2 type-7 quantiles of the bootstrap replicates, as scipy.stats.bootstrap computes them.
 */
export function percentileInterval(
  estimate: number,
  replicates: ArrayLike<number>,
  confidence = 0.95,
): Interval {
  const fn = 'percentileInterval';
  checkNumber(fn, 'estimate', estimate);
  checkConfidence(fn, confidence);
  const sorted = checkReplicates(fn, replicates);
  const tail = (1 - confidence) / 2;
  return {
    estimate,
    lower: quantileSorted(sorted, tail),
    upper: quantileSorted(sorted, 1 - tail),
    confidence,
    method: 'percentile',
  };
}

/**
 * The bias-corrected and accelerated (BCa) bootstrap interval (Efron 1987, JASA 82:171–185;
 * Efron & Tibshirani 1993, eqs. 14.9–14.15): the replicates' quantiles at
 * α₁,₂ = Φ(ẑ₀ + (ẑ₀ + z_{α/2, 1−α/2}) / (1 − â(ẑ₀ + z))) with the bias correction ẑ₀ = Φ⁻¹(share of
 * replicates below the estimate, ties counted half, as scipy does) and the acceleration
 * â = Σdᵢ³ / (6(Σdᵢ²)^{3/2}), dᵢ = mean(jackknife) − jackknifeᵢ. Second-order accurate, and it
 * respects skew (accuracies near 0 or 1). When every replicate lies on one side of the estimate
 * the share is clamped to [1/(2B), 1 − 1/(2B)] instead of giving up (scipy returns NaN there).
 */
export function bcaInterval(
  estimate: number,
  replicates: ArrayLike<number>,
  jackknife: ArrayLike<number>,
  confidence = 0.95,
): Interval {
  const fn = 'bcaInterval';
  checkNumber(fn, 'estimate', estimate);
  checkConfidence(fn, confidence);
  const sorted = checkReplicates(fn, replicates);
  const jk = checkSample(fn, 'jackknife', jackknife, 2);
  const B = sorted.length;
  let below = 0;
  let atOrBelow = 0;
  for (let i = 0; i < B; i++) {
    if (sorted[i]! < estimate) below++;
    if (sorted[i]! <= estimate) atOrBelow++;
  }
  const share = Math.min(1 - 0.5 / B, Math.max(0.5 / B, (below + atOrBelow) / (2 * B)));
  const z0 = normalQuantile(share);
  const jm = sum(jk) / jk.length;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < jk.length; i++) {
    const d = jm - jk[i]!;
    s2 += d * d;
    s3 += d * d * d;
  }
  const a = s2 === 0 ? 0 : s3 / (6 * s2 ** 1.5);
  const tail = (1 - confidence) / 2;
  const adjusted = (zq: number): number => {
    const num = z0 + zq;
    return normalCdf(z0 + num / (1 - a * num));
  };
  const zl = normalQuantile(tail);
  return {
    estimate,
    lower: quantileSorted(sorted, adjusted(zl)),
    upper: quantileSorted(sorted, adjusted(-zl)),
    confidence,
    method: 'bca',
  };
}

/**
 * Draws the bootstrap replicates of `statistic` over `values`: resample i uses its own stream
 * rng.split('resample', i), so the replicates do not depend on the order they are computed in.
 */
export function bootstrapReplicates(
  values: ArrayLike<number>,
  statistic: Statistic,
  rng: Rng,
  resamples: number,
): Float64Array {
  const fn = 'bootstrapReplicates';
  checkSample(fn, 'values', values, 1);
  checkFunction(fn, 'statistic', statistic);
  checkBootstrap(fn, { rng, resamples });
  const n = values.length;
  const out = new Float64Array(resamples);
  const buf = new Float64Array(n);
  for (let r = 0; r < resamples; r++) {
    const g = rng.split('resample', r);
    for (let i = 0; i < n; i++) buf[i] = values[g.int(n)]!;
    out[r] = statistic(buf);
  }
  return out;
}

/** Leave-one-out values of a statistic (O(n) for the mean, n calls otherwise). */
export function jackknifeValues(values: ArrayLike<number>, statistic?: Statistic): Float64Array {
  const fn = 'jackknifeValues';
  checkSample(fn, 'values', values, 2);
  if (statistic !== undefined) checkFunction(fn, 'statistic', statistic);
  const n = values.length;
  const out = new Float64Array(n);
  if (!statistic) {
    const total = sum(values);
    for (let i = 0; i < n; i++) out[i] = (total - values[i]!) / (n - 1);
    return out;
  }
  const buf = new Float64Array(n - 1);
  for (let i = 0; i < n; i++) {
    let w = 0;
    for (let j = 0; j < n; j++) if (j !== i) buf[w++] = values[j]!;
    out[i] = statistic(buf);
  }
  return out;
}

/**
 * A bootstrap interval for a statistic of one sample (the mean by default): BCa by default,
 * percentile on request. Use it for mean accuracy over BER trials when the t interval's symmetry
 * is doubtful (accuracies piled up near 0 or 1).
 */
export function bootstrapInterval(
  values: ArrayLike<number>,
  options: BootstrapOptions & { statistic?: Statistic; method?: 'bca' | 'percentile' },
): Interval {
  const fn = 'bootstrapInterval';
  const { rng, resamples, confidence } = checkBootstrap(fn, options);
  const xs = checkSample(fn, 'values', values, 2);
  const method = options.method ?? 'bca';
  if (method !== 'bca' && method !== 'percentile')
    throw new RangeError(`${fn}: options.method must be 'bca' or 'percentile', got '${String(method)}'`);
  if (options.statistic !== undefined) checkFunction(fn, 'options.statistic', options.statistic);
  const statistic = options.statistic ?? meanStatistic;
  const estimate = statistic(Float64Array.from(xs));
  const reps = bootstrapReplicates(xs, statistic, rng, resamples);
  if (method === 'percentile') return percentileInterval(estimate, reps, confidence);
  return bcaInterval(estimate, reps, jackknifeValues(xs, options.statistic), confidence);
}

/**
 * The stratified bootstrap percentile interval of a statistic of stratum means (Efron &
 * Tibshirani 1993, §8.3 on stratified resampling): each stratum (e.g. the trials at one BER) is
 * resampled with replacement on its own, the means of the resampled strata are passed to
 * `statistic`, and the interval is the percentile interval of its replicates. This propagates the
 * trial-to-trial spread into curve summaries: the area under a curve, a tolerance threshold
 * (Infinity for a resample that never crosses is fine), or a ratio between two models — pass the
 * strata of both models and let `statistic` split the means array. Percentile, not BCa: these
 * statistics are not smooth (thresholds jump between BER points), which the BCa jackknife assumes.
 */
export function stratifiedBootstrap(
  strata: readonly ArrayLike<number>[],
  statistic: (means: Float64Array) => number,
  options: BootstrapOptions,
): Interval {
  const fn = 'stratifiedBootstrap';
  const { rng, resamples, confidence } = checkBootstrap(fn, options);
  if (!Array.isArray(strata))
    throw new TypeError(`${fn}: strata must be an array of samples, got ${typeof strata}`);
  if (strata.length === 0) throw new RangeError(`${fn}: strata needs at least 1 stratum, got 0`);
  checkFunction(fn, 'statistic', statistic);
  const ss = strata.map((s, i) => checkSample(fn, `strata[${i}]`, s, 1));
  const means = new Float64Array(ss.length);
  ss.forEach((s, i) => {
    means[i] = sum(s) / s.length;
  });
  const estimate = statistic(means.slice());
  if (Number.isNaN(estimate))
    throw new RangeError(
      `${fn}: statistic returned NaN on the observed strata means; it must be defined everywhere`,
    );
  const reps = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    const g = rng.split('resample', r);
    for (let j = 0; j < ss.length; j++) {
      const s = ss[j]!;
      const n = s.length;
      let acc = 0;
      for (let i = 0; i < n; i++) acc += s[g.int(n)]!;
      means[j] = acc / n;
    }
    reps[r] = statistic(means);
  }
  return percentileInterval(estimate, reps, confidence);
}
