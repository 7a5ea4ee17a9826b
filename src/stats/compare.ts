/**
 * Comparisons between models. Paired: two models evaluated under the identical fault list
 * (McNemar's test on per-experiment outcomes, a paired bootstrap and sign-flip test on
 * per-experiment accuracies). Unpaired: Welch's t test for mean accuracies and the two-proportion
 * z test for rates. And Holm's correction, because a study compares many method pairs at once.
 */
import { checkConfidence, checkInteger, checkNumber, checkSample } from './args.js';
import { type BootstrapOptions, bootstrapInterval } from './bootstrap.js';
import type { Interval } from './interval.js';
import { wilsonInterval } from './proportion.js';
import { binomialCdf, chiSquareSf, normalCdf, studentTCdf, studentTCritical } from './special.js';
import { sum, variance } from './summary.js';

/** The result of a hypothesis test. */
export interface TestResult {
  /** The test statistic (χ², z or t; for the exact McNemar test, the smaller discordant count). */
  statistic: number;
  /** Two-sided p-value. */
  pValue: number;
  method: string;
}

/** McNemar's test result with its discordant counts. */
export interface McNemarResult extends TestResult {
  /** Experiments where the first model was right (no SDC) and the second wrong. */
  b: number;
  /** Experiments where the first model was wrong and the second right. */
  c: number;
}

/**
 * McNemar's test (McNemar 1947, Psychometrika 12:153–157) for two models under identical fault
 * lists, from the discordant counts b (only the second model failed) and c (only the first
 * failed); concordant pairs carry no information. Under H₀ b ~ Bin(b + c, ½). 'exact' gives the
 * two-sided binomial p-value min(1, 2·P(X ≤ min(b, c))); 'chi2' the χ²₁ test with Edwards'
 * continuity correction (|b − c| − 1)²/(b + c). 'auto' (default) is exact when b + c < 25, where
 * the χ² approximation is poor (the usual rule, e.g. Fagerland, Lydersen & Laake 2013, BMC Med.
 * Res. Methodol. 13:91). No discordant pairs: p = 1.
 */
export function mcnemarTest(
  b: number,
  c: number,
  options: { method?: 'auto' | 'exact' | 'chi2' } = {},
): McNemarResult {
  const fn = 'mcnemarTest';
  const hint = 'pass the count of discordant experiments';
  checkInteger(fn, 'b', b, 0, Number.POSITIVE_INFINITY, hint);
  checkInteger(fn, 'c', c, 0, Number.POSITIVE_INFINITY, hint);
  const requested = options.method ?? 'auto';
  if (requested !== 'auto' && requested !== 'exact' && requested !== 'chi2')
    throw new RangeError(
      `${fn}: options.method must be 'auto', 'exact' or 'chi2', got '${String(requested)}'`,
    );
  const n = b + c;
  const method = requested === 'auto' ? (n < 25 ? 'exact' : 'chi2') : requested;
  if (n === 0) return { statistic: 0, pValue: 1, method: `mcnemar-${method}`, b, c };
  if (method === 'exact') {
    const m = Math.min(b, c);
    return { statistic: m, pValue: Math.min(1, 2 * binomialCdf(m, n, 0.5)), method: 'mcnemar-exact', b, c };
  }
  const d = Math.max(0, Math.abs(b - c) - 1);
  const statistic = (d * d) / n;
  return { statistic, pValue: chiSquareSf(statistic, 1), method: 'mcnemar-chi2', b, c };
}

function isFailure(fn: string, name: string, v: unknown, i: number): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  throw new TypeError(`${fn}: ${name}[${i}] must be a boolean or 0/1 (1 = failure), got ${String(v)}`);
}

/**
 * McNemar's test from per-experiment outcomes of two models under the same fault list, entry i
 * true (or 1) when experiment i was a failure (an SDC) for that model.
 */
export function mcnemarFromOutcomes(
  first: ArrayLike<boolean | number>,
  second: ArrayLike<boolean | number>,
  options: { method?: 'auto' | 'exact' | 'chi2' } = {},
): McNemarResult {
  const fn = 'mcnemarFromOutcomes';
  for (const [name, v] of [
    ['first', first],
    ['second', second],
  ] as const) {
    if (!(Array.isArray(v) || ArrayBuffer.isView(v)))
      throw new TypeError(`${fn}: ${name} must be an array of booleans, got ${typeof v}`);
  }
  if (first.length !== second.length)
    throw new RangeError(
      `${fn}: first and second must come from the same fault list (same length), got ${first.length} and ${second.length}`,
    );
  let b = 0;
  let c = 0;
  for (let i = 0; i < first.length; i++) {
    const f1 = isFailure(fn, 'first', first[i], i);
    const f2 = isFailure(fn, 'second', second[i], i);
    if (!f1 && f2) b++;
    else if (f1 && !f2) c++;
  }
  return mcnemarTest(b, c, options);
}

/** A paired comparison: an interval for the mean difference and a test of "no difference". */
export interface PairedComparison {
  /** Bootstrap interval for mean(first) − mean(second). */
  difference: Interval;
  /** Two-sided p-value of the sign-flip randomization test. */
  pValue: number;
}

/**
 * Paired comparison of two models' per-experiment values (accuracies) under the identical fault
 * list. The interval is the BCa bootstrap of the mean of the differences dᵢ = firstᵢ − secondᵢ
 * (resampling experiments keeps the pairing). The p-value is the sign-flip randomization test of
 * H₀: dᵢ symmetric about 0 (Fisher 1935, §21), with `resamples` random sign patterns and the
 * (1 + hits)/(1 + B) correction that keeps a Monte Carlo p-value valid (Phipson & Smyth 2010,
 * Stat. Appl. Genet. Mol. Biol. 9:39).
 */
export function pairedBootstrap(
  first: ArrayLike<number>,
  second: ArrayLike<number>,
  options: BootstrapOptions,
): PairedComparison {
  const fn = 'pairedBootstrap';
  const a = checkSample(fn, 'first', first, 2);
  const b = checkSample(fn, 'second', second, 2);
  if (a.length !== b.length)
    throw new RangeError(
      `${fn}: first and second must be paired (same fault list, same length), got ${a.length} and ${b.length}`,
    );
  const d = new Float64Array(a.length);
  for (let i = 0; i < d.length; i++) d[i] = a[i]! - b[i]!;
  const difference = bootstrapInterval(d, { ...options, method: 'bca' });
  const observed = Math.abs(sum(d));
  const B = options.resamples ?? 2000;
  const flips = options.rng.split('sign-flip');
  let hits = 0;
  for (let r = 0; r < B; r++) {
    const g = flips.split(r);
    let s = 0;
    for (let i = 0; i < d.length; i++) s += g.u32() & 1 ? d[i]! : -d[i]!;
    // Ties count as at least as extreme; the tolerance absorbs summation-order rounding.
    if (Math.abs(s) >= observed * (1 - 1e-12)) hits++;
  }
  return { difference, pValue: (1 + hits) / (1 + B) };
}

/** Welch's test result with the interval for the difference of means. */
export interface WelchResult extends TestResult {
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Interval for mean(first) − mean(second). */
  difference: Interval;
}

/**
 * Welch's unequal-variance t test (Welch 1947, Biometrika 34:28–35) for the means of two
 * independent samples (accuracies of two models under different fault draws): t = (x̄₁ − x̄₂)/se,
 * se² = s₁²/n₁ + s₂²/n₂, with the Welch–Satterthwaite degrees of freedom, and the matching
 * interval x̄₁ − x̄₂ ± t_{1−α/2, df}·se. If both samples have zero spread the difference is known
 * exactly: p = 1 when the means are equal, 0 otherwise.
 */
export function welchTTest(
  first: ArrayLike<number>,
  second: ArrayLike<number>,
  confidence = 0.95,
): WelchResult {
  const fn = 'welchTTest';
  const x = checkSample(fn, 'first', first, 2);
  const y = checkSample(fn, 'second', second, 2);
  checkConfidence(fn, confidence);
  const n1 = x.length;
  const n2 = y.length;
  const v1 = Math.max(0, variance(x)) / n1;
  const v2 = Math.max(0, variance(y)) / n2;
  const diff = sum(x) / n1 - sum(y) / n2;
  const se = Math.sqrt(v1 + v2);
  if (se === 0) {
    const df = n1 + n2 - 2;
    const statistic = diff === 0 ? 0 : Math.sign(diff) * Number.POSITIVE_INFINITY;
    const difference = { estimate: diff, lower: diff, upper: diff, confidence, method: 'welch' };
    return { statistic, pValue: diff === 0 ? 1 : 0, method: 'welch', df, difference };
  }
  const df = (v1 + v2) ** 2 / ((v1 * v1) / (n1 - 1) + (v2 * v2) / (n2 - 1));
  const statistic = diff / se;
  const pValue = Math.min(1, 2 * studentTCdf(-Math.abs(statistic), df));
  const half = studentTCritical(confidence, df) * se;
  return {
    statistic,
    pValue,
    method: 'welch',
    df,
    difference: { estimate: diff, lower: diff - half, upper: diff + half, confidence, method: 'welch' },
  };
}

/** The two-proportion z test with Newcombe's interval for the difference. */
export interface TwoProportionResult extends TestResult {
  /** Interval for k₁/n₁ − k₂/n₂. */
  difference: Interval;
}

/**
 * The two-proportion z test for rates from independent campaigns (pooled standard error,
 * z = (p̂₁ − p̂₂)/√(p̄(1 − p̄)(1/n₁ + 1/n₂)), two-sided normal p-value), with Newcombe's hybrid
 * score interval for the difference (Newcombe 1998, Stat. Med. 17:873–890, method 10), built from
 * the two Wilson intervals; unlike the Wald interval it behaves at rates near 0. When both rates
 * are 0 (or both 1) there is no evidence of a difference: z = 0, p = 1.
 */
export function twoProportionZTest(
  k1: number,
  n1: number,
  k2: number,
  n2: number,
  confidence = 0.95,
): TwoProportionResult {
  const fn = 'twoProportionZTest';
  const trials = 'pass the number of experiments';
  checkInteger(fn, 'n1', n1, 1, Number.POSITIVE_INFINITY, trials);
  checkInteger(fn, 'n2', n2, 1, Number.POSITIVE_INFINITY, trials);
  checkInteger(fn, 'k1', k1, 0, n1, `pass the number of events among the n1 = ${n1} experiments`);
  checkInteger(fn, 'k2', k2, 0, n2, `pass the number of events among the n2 = ${n2} experiments`);
  checkConfidence(fn, confidence);
  const p1 = k1 / n1;
  const p2 = k2 / n2;
  const pooled = (k1 + k2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const statistic = se === 0 ? 0 : (p1 - p2) / se;
  const pValue = se === 0 ? 1 : Math.min(1, 2 * normalCdf(-Math.abs(statistic)));
  const w1 = wilsonInterval(k1, n1, confidence);
  const w2 = wilsonInterval(k2, n2, confidence);
  const d = p1 - p2;
  const lower = d - Math.sqrt((p1 - w1.lower) ** 2 + (w2.upper - p2) ** 2);
  const upper = d + Math.sqrt((w1.upper - p1) ** 2 + (p2 - w2.lower) ** 2);
  return {
    statistic,
    pValue,
    method: 'two-proportion-z',
    difference: { estimate: d, lower, upper, confidence, method: 'newcombe' },
  };
}

/**
 * Holm's step-down adjusted p-values (Holm 1979, Scand. J. Statist. 6:65–70): with the p-values
 * sorted ascending, p̃₍ᵢ₎ = max_{j ≤ i} min(1, (m − j + 1)·p₍ⱼ₎), returned in the input order.
 * Rejecting every hypothesis with p̃ ≤ α controls the family-wise error rate at α, uniformly more
 * powerful than plain Bonferroni.
 */
export function holmAdjust(pValues: ArrayLike<number>): number[] {
  const fn = 'holmAdjust';
  const ps = checkSample(fn, 'pValues', pValues, 1);
  for (let i = 0; i < ps.length; i++) {
    const p = checkNumber(fn, `pValues[${i}]`, ps[i]);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`${fn}: pValues[${i}] must be in [0, 1], got ${p}`);
  }
  const m = ps.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => ps[i]! - ps[j]! || i - j);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((idx, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * ps[idx]!));
    out[idx] = running;
  });
  return out;
}
